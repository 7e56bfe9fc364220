//! The API key never goes to another host, nor into tracing output, errors or panic messages.

use super::*;

// The API key never goes to another host ------------------------------------------------------

#[tokio::test]
async fn redirect_307_308_to_another_loopback_port_never_reaches_it() {
    // The other "host": a raw server that counts every connection, not just matched requests.
    let elsewhere = RawServer::start(Reply::Bytes(response(
        200,
        "application/json",
        br#"{"id":"stolen","entity":{"webhooks":[]}}"#,
    )))
    .await;
    let server = MockServer::start_async().await;
    assert!(server.address().ip().is_loopback());
    assert_ne!(server.address().port(), elsewhere.addr.port());
    let client = client_at(&server.base_url());

    for status in [307u16, 308] {
        let mut redirects = Vec::new();
        for (method, path) in [
            (Method::POST, CREATE_PATH.to_owned()),
            (Method::GET, format!("/v1/businesses/{BUSINESS}/webhooks")),
        ] {
            let location = format!("{}{path}", elsewhere.base_url());
            redirects.push(
                server
                    .mock_async(|when, then| {
                        when.method(method).path(path);
                        then.status(status).header("location", location);
                    })
                    .await,
            );
        }

        let create = guarded(client.create_webhook(BUSINESS, &messages_registration())).await;
        let list = guarded(client.list_webhooks(BUSINESS)).await;

        assert_eq!(
            elsewhere.connections(),
            0,
            "{status}: the redirect was followed"
        );
        for result in [create.map(drop), list.map(drop)] {
            match &result {
                Err(error @ Error::UnexpectedStatus { status: got, .. }) => {
                    assert_eq!(got.as_u16(), status);
                    assert_key_not_shown(error);
                }
                other => panic!("{status}: expected UnexpectedStatus, got {other:?}"),
            }
        }
        for redirect in redirects {
            redirect.assert_calls_async(1).await;
            redirect.delete_async().await;
        }
    }

    assert_eq!(elsewhere.connections(), 0, "the redirect was followed");
    assert!(elsewhere.requests().is_empty());
}

// The API key in tracing output and in errors -------------------------------------------------

#[test]
fn api_key_is_absent_from_trace_level_output_of_every_crate() {
    // Every crate's output: `Captured::install` takes `log` records (reqwest's) too.
    let captured = Captured::default();
    let _default = captured.install(tracing::Level::TRACE, FmtSpan::NONE);
    let runtime = current_thread_runtime();

    runtime.block_on(async {
        let ok = RawServer::start(Reply::Bytes(response(
            200,
            "application/json",
            br#"{"id":"wh_1"}"#,
        )))
        .await;
        let unauthorized = RawServer::start(Reply::Bytes(response(
            401,
            "application/json",
            br#"{"message":"invalid API key","code":"ERROR_CODE_UNAUTHENTICATED"}"#,
        )))
        .await;
        let stalled = RawServer::start(Reply::BytesThenStall(Vec::new())).await;

        let client = client_at(&ok.base_url());
        tracing::info!(?client, "client under test");
        guarded(client.create_webhook(BUSINESS, &messages_registration()))
            .await
            .expect("create");
        let error = guarded(client_at(&unauthorized.base_url()).list_webhooks(BUSINESS))
            .await
            .expect_err("401");
        tracing::error!(%error, ?error, "401");
        let slow = Client::builder(KEY)
            .base_url(stalled.base_url())
            .timeout(SHORT_TIMEOUT)
            .build()
            .unwrap();
        let error = guarded(slow.create_webhook(BUSINESS, &messages_registration()))
            .await
            .expect_err("timeout");
        tracing::error!(%error, ?error, "timeout");
        let error = guarded(client_at("http://127.0.0.1:1").list_webhooks(BUSINESS))
            .await
            .expect_err("nothing listens on port 1");
        tracing::error!(%error, ?error, "transport");
    });
    drop(runtime);

    let text = captured.text();
    assert!(
        !text.contains(KEY),
        "the API key is in the trace output:\n{text}"
    );
    // The capture works and saw the client's own traffic, not only this test's events.
    assert!(text.contains("client under test"), "{text}");
    let from_http_stack = text
        .lines()
        .filter(|l| ["reqwest", "hyper", "h2"].iter().any(|c| l.contains(c)))
        .count();
    eprintln!("{from_http_stack} trace lines from reqwest/hyper/h2");
    if std::env::var_os("SHOW_TRACE").is_some() {
        eprintln!("{text}");
    }
    assert!(from_http_stack > 0, "no event from the HTTP stack:\n{text}");
}

#[tokio::test]
async fn api_key_is_absent_from_display_debug_and_sources_of_every_error() {
    let server = MockServer::start_async().await;
    let mut errors = Vec::new();
    for (status, body) in [
        (401u16, json!({"message": "invalid API key"})),
        (
            409,
            json!({"message": "already registered", "cntTraceId": "t"}),
        ),
        (400, json!({"message": "bad"})),
        (500, json!({})),
        (418, json!({"message": "teapot"})),
    ] {
        let mock = server
            .mock_async(|when, then| {
                when.method(Method::POST).path(CREATE_PATH);
                then.status(status).json_body(body);
            })
            .await;
        errors.push(
            guarded(
                client_at(&server.base_url()).create_webhook(BUSINESS, &messages_registration()),
            )
            .await
            .expect_err("an error status"),
        );
        mock.delete_async().await;
    }
    let mock = server
        .mock_async(|when, then| {
            when.method(Method::POST).path(CREATE_PATH);
            then.status(200).body("not json");
        })
        .await;
    let decode =
        guarded(client_at(&server.base_url()).create_webhook(BUSINESS, &messages_registration()))
            .await
            .expect_err("decode");
    assert!(matches!(decode, Error::Decode { .. }), "{decode:?}");
    errors.push(decode);
    mock.delete_async().await;
    let stalled = RawServer::start(Reply::BytesThenStall(Vec::new())).await;
    let timeout = guarded(
        Client::builder(KEY)
            .base_url(stalled.base_url())
            .timeout(SHORT_TIMEOUT)
            .build()
            .unwrap()
            .create_webhook(BUSINESS, &messages_registration()),
    )
    .await
    .expect_err("timeout");
    assert!(matches!(timeout, Error::Timeout(_)), "{timeout:?}");
    errors.push(timeout);
    let transport = guarded(client_at("http://127.0.0.1:1").list_webhooks(BUSINESS))
        .await
        .expect_err("nothing listens on port 1");
    assert!(matches!(transport, Error::Transport(_)), "{transport:?}");
    errors.push(transport);
    let too_large = RawServer::start(Reply::EndlessChunked).await;
    errors.push(
        guarded(client_at(&too_large.base_url()).list_webhooks(BUSINESS))
            .await
            .expect_err("over the cap"),
    );
    errors.push(
        guarded(client_at(&server.base_url()).delete_webhook(BUSINESS, ".."))
            .await
            .expect_err("a dot segment"),
    );

    let mut kinds: Vec<_> = errors
        .iter()
        .map(|e| {
            format!("{e:?}")
                .split([' ', '(', '{'])
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "Unauthorized",
            "AlreadyRegistered",
            "InvalidRequest",
            "Server",
            "UnexpectedStatus",
            "Decode",
            "Timeout",
            "Transport",
            "ResponseTooLarge",
            "InvalidInput"
        ]
    );
    for error in &errors {
        assert_key_not_shown(error);
    }
}

// Panic messages ------------------------------------------------------------------------------

#[test]
fn panic_message_formatting_the_client_does_not_contain_the_api_key() {
    let builder = Client::builder(KEY).base_url("http://127.0.0.1:1");
    let client = builder.clone().build().unwrap();
    let panics: Vec<Box<dyn FnOnce() + '_>> = vec![
        Box::new(|| panic!("{client:?}")),
        Box::new(|| panic!("{client:#?}")),
        Box::new(|| panic!("{builder:?}")),
        Box::new(|| failed_with(client.clone()).unwrap()),
        Box::new(|| failed_with(builder.clone()).expect("building")),
    ];
    for panicking in panics {
        let payload = catch_unwind(AssertUnwindSafe(panicking)).expect_err("it panics");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .expect("a formatted panic message");
        assert!(message.contains("127.0.0.1:1"), "{message}");
        assert!(
            !message.contains(KEY),
            "the API key is in a panic message: {message}"
        );
    }
}

/// A failed result, for `unwrap` and `expect` to format the value in their panic message.
fn failed_with<T>(value: T) -> Result<(), T> {
    Err(value)
}
