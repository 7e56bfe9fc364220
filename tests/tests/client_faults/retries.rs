//! Retries and the rate limit.

use super::*;

#[tokio::test]
async fn list_answering_503_503_200_succeeds_with_exactly_3_requests() {
    let server = RawServer::start(Reply::Script(vec![status(503), status(503), list_ok()])).await;

    let list = guarded(client_with(&server.base_url(), fast_retries()).list_webhooks(BUSINESS))
        .await
        .expect("the third answer is a 200");

    assert!(list.webhooks.is_empty());
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests
        .iter()
        .all(|r| r.head.starts_with(&format!("GET {LIST_PATH} "))));
}

#[tokio::test]
async fn update_and_delete_are_retried_on_502_503_504_and_a_lost_connection() {
    let ok = Reply::Bytes(response(200, "application/json", b"{}"));
    let update = types::UpdateWebhookRequest {
        address: None,
        configuration: None,
    };
    for failure in [status(502), status(503), status(504), Reply::Close] {
        let server = RawServer::start(Reply::Script(vec![failure.clone(), ok.clone()])).await;
        let client = client_with(&server.base_url(), fast_retries());
        guarded(client.update_webhook(BUSINESS, "wh_1", &update))
            .await
            .expect("retried");
        assert_eq!(server.requests().len(), 2);
        let server = RawServer::start(Reply::Script(vec![failure, ok.clone()])).await;
        let client = client_with(&server.base_url(), fast_retries());
        guarded(client.delete_webhook(BUSINESS, "wh_1"))
            .await
            .expect("retried");
        assert_eq!(server.requests().len(), 2);
    }
}

/// `ClientBuilder::on_retry` hears of every retry, before its wait, and of nothing else: the
/// request as sent, the attempt about to be sent out of how many, the wait, the table's reason
/// and the error's line with the echoed key redacted.
#[tokio::test]
async fn on_retry_is_called_once_per_retry_with_the_attempt_about_to_be_sent() {
    let echo = Reply::Bytes(response(
        503,
        "text/html",
        format!("<h1>busy</h1> key {KEY}").as_bytes(),
    ));
    let server = RawServer::start(Reply::Script(vec![echo.clone(), echo, list_ok()])).await;
    let notices = Arc::new(Mutex::new(Vec::new()));
    let heard = notices.clone();
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .retry(fast_retries().max_retries(3))
        .on_retry(move |notice| heard.lock().unwrap().push(notice.clone()))
        .build()
        .unwrap();

    guarded(client.list_webhooks(BUSINESS))
        .await
        .expect("the third answer is a 200");

    let notices = notices.lock().unwrap().clone();
    assert_eq!(server.requests().len(), 3);
    let attempts: Vec<(u32, u32)> = notices
        .iter()
        .map(|n| (n.attempt, n.max_attempts))
        .collect();
    assert_eq!(attempts, [(2, 4), (3, 4)], "{notices:#?}");
    for notice in &notices {
        assert_eq!(
            (notice.method.as_str(), notice.path.as_str()),
            ("GET", LIST_PATH)
        );
        assert_eq!(notice.reason, "503 Service Unavailable");
        assert!(notice.delay >= MIN_RETRY_DELAY, "{notice:?}");
        assert!(
            notice
                .error
                .starts_with("503 Service Unavailable: unexpected response")
                && notice.error.contains("key [redacted]")
                && !notice.error.contains(&KEY[4..12]),
            "{notice:?}"
        );
    }
    assert!(
        notices[1].elapsed >= notices[0].elapsed + notices[0].delay,
        "{notices:#?}"
    );

    // A call that is not retried (a create after a 503 may have been applied) tells nothing.
    let server = RawServer::start(status(503)).await;
    let heard = Arc::new(AtomicUsize::new(0));
    let count = heard.clone();
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .retry(fast_retries())
        .on_retry(move |_| {
            count.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    guarded(client.create_webhook(BUSINESS, &messages_registration()))
        .await
        .expect_err("a 503");
    assert_eq!(heard.load(Ordering::SeqCst), 0);
}

/// Lists against a server that answers `first`, then a 200, with 1 ms backoffs: the call
/// succeeds on its second request. Returns when the call was started.
async fn list_answered_after(first: Vec<u8>) -> Instant {
    let server = RawServer::start(Reply::Script(vec![Reply::Bytes(first), list_ok()])).await;
    let client = client_with(&server.base_url(), fast_retries());
    let started = Instant::now();
    guarded(client.list_webhooks(BUSINESS))
        .await
        .expect("the second answer is a 200");
    assert_eq!(server.requests().len(), 2);
    started
}

#[tokio::test]
async fn retry_after_in_seconds_is_waited_for() {
    // Backoff alone would wait at most 1 ms: only Retry-After can make it 1 s.
    let started = list_answered_after(response_with(429, &[("retry-after", "1")], b"{}")).await;
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(1), "{waited:?}");
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_waited_for() {
    // Three seconds ahead, cut to whole seconds by the format: the date is at least two seconds
    // after `asked`, however long the request takes to get there.
    let asked = Instant::now();
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3));
    list_answered_after(response_with(503, &[("retry-after", &date)], b"{}")).await;
    let waited = asked.elapsed();
    assert!(waited >= Duration::from_secs(2), "{waited:?}");
}

#[tokio::test]
async fn create_is_never_resent_after_502_503_504_a_timeout_or_a_lost_connection() {
    for failure in [status(502), status(503), status(504), Reply::Close] {
        let server = RawServer::start(Reply::Script(vec![failure, status(200)])).await;
        let client = client_with(&server.base_url(), fast_retries().max_retries(5));
        let error = guarded(client.create_webhook(BUSINESS, &messages_registration()))
            .await
            .expect_err("the first answer is a failure");
        assert_eq!(
            server.requests().len(),
            1,
            "{error:?}: the create was sent again"
        );
    }
    let stalled = RawServer::start(Reply::BytesThenStall(Vec::new())).await;
    let client = Client::builder(KEY)
        .base_url(stalled.base_url())
        .timeout(SHORT_TIMEOUT)
        .retry(fast_retries().max_retries(5))
        .build()
        .unwrap();
    let error = guarded(client.create_webhook(BUSINESS, &messages_registration()))
        .await
        .expect_err("timeout");
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    assert_eq!(stalled.requests().len(), 1, "the create was sent again");
}

#[tokio::test]
async fn create_is_retried_after_429_which_was_not_applied() {
    let server = RawServer::start(Reply::Script(vec![
        Reply::Bytes(response_with(429, &[("retry-after", "0")], b"{}")),
        Reply::Bytes(response(200, "application/json", br#"{"id":"wh_1"}"#)),
    ]))
    .await;

    let created = guarded(
        client_with(&server.base_url(), fast_retries())
            .create_webhook(BUSINESS, &messages_registration()),
    )
    .await
    .expect("the second answer is a 200");

    assert_eq!(created.id, "wh_1");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn retry_budget_caps_the_attempts() {
    let server = RawServer::start(status(503)).await;

    let error = guarded(
        client_with(&server.base_url(), fast_retries().max_retries(4)).list_webhooks(BUSINESS),
    )
    .await
    .expect_err("always 503");

    assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert_eq!(server.requests().len(), 5, "1 attempt + 4 retries");
    let server = RawServer::start(status(503)).await;
    guarded(client_with(&server.base_url(), RetryPolicy::none()).list_webhooks(BUSINESS))
        .await
        .expect_err("always 503");
    assert_eq!(server.requests().len(), 1, "retries disabled");
}

/// Issue 33.8: a server answering 429 with `Retry-After: 0` at once cannot drive a loop of
/// requests: however many retries are asked for, at most [`MAX_RETRIES`] are made, each after at
/// least [`MIN_RETRY_DELAY`].
#[tokio::test]
async fn retry_after_0_on_429_is_bounded_by_the_retry_cap_and_the_minimum_wait() {
    let server = RawServer::start(Reply::Bytes(response_with(
        429,
        &[("retry-after", "0")],
        b"{}",
    )))
    .await;
    let client = client_with(
        &server.base_url(),
        RetryPolicy::default().max_retries(u32::MAX),
    );

    let started = Instant::now();
    let error = guarded(client.create_webhook(BUSINESS, &messages_registration()))
        .await
        .expect_err("always 429");
    let elapsed = started.elapsed();

    assert_eq!(error.status(), Some(StatusCode::TOO_MANY_REQUESTS));
    assert_eq!(server.requests().len(), 1 + MAX_RETRIES as usize);
    assert!(
        elapsed >= MAX_RETRIES * MIN_RETRY_DELAY,
        "{} requests in {elapsed:?}",
        server.requests().len()
    );
}

#[tokio::test]
async fn retry_budget_caps_the_time() {
    // A Retry-After beyond the budget is not waited for: the 429 comes back at once, with it.
    let server = RawServer::start(Reply::Bytes(response_with(
        429,
        &[("retry-after", "3600")],
        b"{}",
    )))
    .await;
    let client = client_with(
        &server.base_url(),
        fast_retries()
            .max_retries(10)
            .budget(Duration::from_secs(5)),
    );
    let error = guarded(client.list_webhooks(BUSINESS))
        .await
        .expect_err("429");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(server.requests().len(), 1);

    // Attempts that each time out after 200 ms, a 500 ms budget, 10 retries allowed: retries
    // stop once the budget is spent (after the 2nd or 3rd attempt), each attempt still bounded
    // by the request timeout.
    let stalled = RawServer::start(Reply::BytesThenStall(Vec::new())).await;
    let attempt_timeout = Duration::from_millis(200);
    let client = Client::builder(KEY)
        .base_url(stalled.base_url())
        .timeout(attempt_timeout)
        .retry(
            fast_retries()
                .max_retries(10)
                .budget(Duration::from_millis(500)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let error = guarded(client.list_webhooks(BUSINESS))
        .await
        .expect_err("timeouts");
    let elapsed = started.elapsed();
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    let attempts = stalled.requests().len();
    assert!((2..=3).contains(&attempts), "{attempts} attempts");
    assert!(elapsed >= attempts as u32 * attempt_timeout, "{elapsed:?}");
}

#[tokio::test]
async fn delete_answering_404_after_a_lost_attempt_has_succeeded() {
    let not_found = Reply::Bytes(response(
        404,
        "application/json",
        br#"{"message":"no such webhook"}"#,
    ));
    // The first attempt's connection drops after the request, or a gateway answers 503 (it
    // may have forwarded it): it may have deleted it.
    for first in [Reply::Close, status(503)] {
        let server = RawServer::start(Reply::Script(vec![first, not_found.clone()])).await;
        guarded(client_with(&server.base_url(), fast_retries()).delete_webhook(BUSINESS, "wh_1"))
            .await
            .expect("gone either way");
        assert_eq!(server.requests().len(), 2);
    }
    // A 404 as the first answer is still NotFound; so is one after a 429, which applied nothing.
    for script in [
        vec![not_found.clone()],
        vec![status(429), not_found.clone()],
    ] {
        let server = RawServer::start(Reply::Script(script)).await;
        let error = guarded(
            client_with(&server.base_url(), fast_retries()).delete_webhook(BUSINESS, "wh_1"),
        )
        .await
        .expect_err("404");
        assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
    }
}

#[tokio::test]
async fn rate_limit_spaces_the_requests_of_a_client_and_its_clones() {
    let server = RawServer::start(list_ok()).await;
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .rate_limit(20)
        .build()
        .unwrap();
    let clone = client.clone();

    let started = Instant::now();
    for _ in 0..3 {
        guarded(client.list_webhooks(BUSINESS)).await.unwrap();
        guarded(clone.list_webhooks(BUSINESS)).await.unwrap();
    }

    // 6 requests at 20/s: the first at once, then one every 50 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests().len(), 6);
}
