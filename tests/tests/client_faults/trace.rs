//! The trace of a retrying call: each call recorded, the key never.

use super::*;

#[test]
fn trace_of_a_retrying_run_records_each_call_and_never_the_key() {
    let captured = Captured::default();
    let _default = captured.install(tracing::Level::TRACE, FmtSpan::CLOSE);
    let runtime = current_thread_runtime();

    runtime.block_on(async {
        // The server echoes the key in its failures, as a careless proxy might.
        let echo = format!(r#"{{"message":"key {KEY} is throttled"}}"#);
        let server = RawServer::start(Reply::Script(vec![
            Reply::Bytes(response(503, "application/json", echo.as_bytes())),
            Reply::Bytes(response_with(429, &[("retry-after", "0")], echo.as_bytes())),
            list_ok(),
        ]))
        .await;
        let client = client_with(&server.base_url(), fast_retries());
        guarded(client.list_webhooks(BUSINESS))
            .await
            .expect("third time");
        let failing = RawServer::start(Reply::Bytes(response(
            503,
            "text/html",
            format!("<p>{KEY}</p>").as_bytes(),
        )))
        .await;
        let error =
            guarded(client_with(&failing.base_url(), fast_retries()).list_webhooks(BUSINESS))
                .await
                .expect_err("always 503");
        tracing::error!(%error, ?error, "gave up");
        guarded(client_at("http://127.0.0.1:1").list_webhooks(BUSINESS))
            .await
            .expect_err("refused");
    });
    drop(runtime);

    let text = captured.text();
    assert!(!text.contains(KEY), "the API key is in the trace:\n{text}");
    // The span and its fields, and one event per retry.
    assert!(text.contains("operation=\"list_webhooks\""), "{text}");
    assert!(
        text.contains(&format!("business_id=\"{BUSINESS}\"")),
        "{text}"
    );
    assert!(
        text.contains("retry_reason=\"429 Too Many Requests\""),
        "{text}"
    );
    assert!(
        text.contains("status=200") && text.contains("elapsed_ms="),
        "{text}"
    );
    assert!(text.contains("attempt=3"), "{text}");
    let retries = text.lines().filter(|l| l.contains("retrying")).count();
    assert_eq!(retries, 2 + 2 + 2, "{text}");
    if std::env::var_os("SHOW_TRACE").is_some() {
        eprintln!("{text}");
    }
}
