//! Create is never retried; whether a failed call may still have been applied, and whether it
//! is sent again (one table for every failure).

use super::*;

#[tokio::test]
async fn create_is_sent_once_when_the_server_hangs_up_without_answering() {
    let server = RawServer::start(Reply::Close).await;
    let client = client_at(&server.base_url());

    let result = guarded(client.create_webhook(BUSINESS, &messages_registration())).await;

    match &result {
        Err(error @ Error::Transport(_)) => assert_key_not_shown(error),
        other => panic!("expected Transport, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1, "the create was sent again");
    assert_eq!(server.connections(), 1, "the client reconnected");
}

#[tokio::test]
async fn create_is_sent_once_when_the_server_answers_503() {
    let server = RawServer::start(Reply::Bytes(response(
        503,
        "text/html",
        b"<h1>Service Unavailable</h1>",
    )))
    .await;
    let client = client_at(&server.base_url());

    let result = guarded(client.create_webhook(BUSINESS, &messages_registration())).await;

    match &result {
        Err(Error::UnexpectedStatus { status, .. }) => {
            assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE);
        }
        other => panic!("expected UnexpectedStatus, got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1, "the create was sent again");
    assert_eq!(server.connections(), 1, "the client reconnected");
}

// Whether a failed call may still have been applied, and whether it is sent again ----------------

/// A failure a test server (or no server) makes.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Answers this status with an HTML page.
    Status(u16),
    /// Answers 200 with a body that is not the documented JSON.
    Undecodable,
    /// Answers 200 with a body over the client's cap ([`TABLE_CAP`]).
    TooLarge,
    /// Reads the request and never answers (the client's timeout is [`SHORT_TIMEOUT`]).
    Stall,
    /// Reads the request and hangs up.
    HangUp,
    /// Nothing listens: the connection is refused.
    Refused,
}

/// The response cap of the clients of [`every_failure_follows_the_one_table`].
const TABLE_CAP: usize = 256;

impl Fault {
    fn reply(self) -> Reply {
        match self {
            Fault::Status(code) => status(code),
            Fault::Undecodable => Reply::Bytes(response(200, "application/json", b"{\"id\":")),
            Fault::TooLarge => Reply::Bytes(response(
                200,
                "application/json",
                format!(r#"{{"id":"wh_1","pad":"{}"}}"#, "x".repeat(TABLE_CAP)).as_bytes(),
            )),
            Fault::Stall => Reply::BytesThenStall(Vec::new()),
            Fault::HangUp => Reply::Close,
            Fault::Refused => unreachable!("no server"),
        }
    }
}

/// The expected rule, written here independently of the client's table: (what the attempt saw,
/// may it have been applied?, transient?). Every status the client can see: one of each class
/// (101, 201, 307, 418, 501, 600) and every status the rule names (400, 401, 404, 409, 429,
/// 500, 502, 503, 504), and the failures without a usable answer.
const EXPECTED: &[(Fault, bool, bool)] = &[
    (Fault::Refused, false, true),
    (Fault::Stall, true, true),
    (Fault::HangUp, true, true),
    (Fault::Undecodable, true, false),
    (Fault::TooLarge, true, false),
    (Fault::Status(101), true, false),
    (Fault::Status(201), true, false),
    (Fault::Status(307), false, false),
    (Fault::Status(400), false, false),
    (Fault::Status(401), false, false),
    (Fault::Status(404), false, false),
    (Fault::Status(409), false, false),
    (Fault::Status(418), false, false),
    (Fault::Status(429), false, true),
    (Fault::Status(500), true, false),
    (Fault::Status(501), true, false),
    (Fault::Status(502), true, true),
    (Fault::Status(503), true, true),
    (Fault::Status(504), true, true),
    (Fault::Status(600), true, false),
];

/// One call (a create, or a list), its first attempt failing with `fault`, the second
/// succeeding: its result, and how many attempts were made.
async fn call_after(fault: Fault, create: bool, retry: RetryPolicy) -> (Result<(), Error>, usize) {
    let server = match fault {
        Fault::Refused => None,
        fault => {
            let ok = if create {
                Reply::Bytes(response(200, "application/json", br#"{"id":"wh_1"}"#))
            } else {
                list_ok()
            };
            Some(RawServer::start(Reply::Script(vec![fault.reply(), ok])).await)
        }
    };
    let base_url = server
        .as_ref()
        .map_or_else(|| "http://127.0.0.1:1".to_owned(), RawServer::base_url);
    let client = Client::builder(KEY)
        .base_url(base_url)
        .timeout(SHORT_TIMEOUT)
        .max_response_bytes(TABLE_CAP)
        .retry(retry)
        .build()
        .unwrap();
    // Attempts are counted by the server, or (when nothing listens) by the retry events.
    let captured = Captured::default();
    let result = {
        let _default = captured.install(tracing::Level::INFO, FmtSpan::NONE);
        if create {
            guarded(client.create_webhook(BUSINESS, &messages_registration()))
                .await
                .map(drop)
        } else {
            guarded(client.list_webhooks(BUSINESS)).await.map(drop)
        }
    };
    let attempts = match &server {
        Some(server) => server.requests().len(),
        None => 1 + captured.text().matches("retrying").count(),
    };
    (result, attempts)
}

/// Issue 27.3: one rule says whether a failed request may have been applied and whether it is
/// sent again. For every row: `outcome_unknown`, and whether a create (not idempotent) and a
/// list (idempotent) are retried: when transient, and idempotent or certainly not applied.
#[tokio::test(flavor = "current_thread")]
async fn every_failure_follows_the_one_table() {
    let once = fast_retries().max_retries(1);
    for &(fault, applied, transient) in EXPECTED {
        for create in [true, false] {
            let what = format!("{fault:?} on a {}", if create { "create" } else { "list" });
            // Not retried: the error itself.
            let (result, attempts) = call_after(fault, create, RetryPolicy::none()).await;
            let error = result.expect_err(&what);
            assert_eq!(attempts, 1, "{what}");
            assert_eq!(error.outcome_unknown(), applied, "{what}: {error:?}");
            assert_key_not_shown(&error);
            // Retried once at most: the second attempt succeeds if there is one.
            let retried = transient && (!create || !applied);
            let (result, attempts) = call_after(fault, create, once.clone()).await;
            assert_eq!(attempts, 1 + usize::from(retried), "{what}: {result:?}");
            if retried && !matches!(fault, Fault::Refused) {
                result.unwrap_or_else(|e| panic!("{what}: the retry failed: {e:?}"));
            }
        }
    }
    // Refused before anything was sent: known not applied, and not worth another attempt.
    let error = guarded(client_at("http://127.0.0.1:1").delete_webhook(BUSINESS, ".."))
        .await
        .expect_err("a dot segment");
    assert!(!error.outcome_unknown(), "{error:?}");
}
