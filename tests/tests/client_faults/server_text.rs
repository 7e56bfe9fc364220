//! What the client shows of what a server sent.

use super::*;

/// Everything an error can show: Display, Debug, every source, and the kept body and excerpt.
fn everything_shown(error: &Error) -> String {
    let mut shown = display_and_debug(error);
    if let Some(body) = error.api_error() {
        shown.push(serde_json::to_string(body).unwrap());
    }
    if let Error::UnexpectedStatus { excerpt, .. } | Error::Decode { excerpt, .. } = error {
        shown.push(excerpt.clone());
    }
    shown.join("\n")
}

/// An error from a create (or, for `Some(path)`, a list) answered with these bytes.
async fn error_for(reply: Vec<u8>, list: bool) -> Error {
    let server = RawServer::start(Reply::Bytes(reply)).await;
    let client = client_with(&server.base_url(), RetryPolicy::none());
    if list {
        guarded(client.list_webhooks(BUSINESS)).await.map(drop)
    } else {
        guarded(client.create_webhook(BUSINESS, &messages_registration()))
            .await
            .map(drop)
    }
    .expect_err("an error answer")
}

#[tokio::test]
async fn api_key_echoed_by_the_server_is_redacted_from_every_error() {
    let echoed = json!({
        "message": format!("invalid key {KEY}"),
        "code": KEY,
        "userMessage": format!("[{KEY}]"),
        "details": {"key": KEY, KEY: [KEY]},
    })
    .to_string();
    let html = format!("<html><body>Bad key: {KEY}</body></html>");
    // A list entry whose `echo` is the key (a string, not a boolean): the JSON decoder's
    // message quotes it.
    let quoted = format!(
        r#"{{"entity":{{"webhooks":[{{"id":"wh_1","topic":"messages","address":"https://a.b/","configuration":{{"echo":"{KEY}"}}}}]}}}}"#
    );
    let errors = [
        error_for(response(401, "application/json", echoed.as_bytes()), false).await,
        error_for(response(409, "application/json", echoed.as_bytes()), false).await,
        error_for(response(429, "application/json", echoed.as_bytes()), false).await,
        error_for(response(503, "text/html", html.as_bytes()), false).await,
        error_for(response(200, "application/json", html.as_bytes()), false).await,
        error_for(response(200, "application/json", quoted.as_bytes()), true).await,
    ];

    for error in &errors {
        let shown = everything_shown(error);
        assert!(!shown.contains(KEY), "the API key is shown:\n{shown}");
        assert!(shown.contains("[redacted]"), "nothing was echoed?\n{shown}");
    }
    assert!(matches!(errors[5], Error::Decode { .. }), "{:?}", errors[5]);
}

/// Issue 33.8: a server that echoes the key in another case, or cut at its start or its end,
/// shows none of it: no 8 consecutive characters of the key, in any case, in any error.
#[tokio::test]
async fn api_key_echoed_upper_cased_or_cut_at_either_end_is_redacted() {
    let upper = KEY.to_uppercase();
    let echoes = [
        upper.as_str(),
        &KEY[4..],              // truncated at the start
        &KEY[..KEY.len() - 4],  // truncated at the end
        &KEY[3..KEY.len() - 3], // both
    ];
    for echo in echoes {
        let body =
            json!({"message": format!("bad key {echo}"), "details": {echo: echo}}).to_string();
        let html = format!("<p>key={echo};</p>");
        let errors = [
            error_for(response(401, "application/json", body.as_bytes()), false).await,
            error_for(response(429, "application/json", body.as_bytes()), false).await,
            error_for(response(503, "text/html", html.as_bytes()), false).await,
            error_for(response(200, "application/json", html.as_bytes()), false).await,
        ];
        for error in &errors {
            let shown = everything_shown(error).to_lowercase();
            let key = KEY.to_lowercase();
            for part in key.as_bytes().windows(8) {
                let part = std::str::from_utf8(part).unwrap();
                assert!(
                    !shown.contains(part),
                    "{echo:?}: {part:?} is shown:\n{shown}"
                );
            }
            assert!(shown.contains("[redacted]"), "nothing was echoed?\n{shown}");
        }
    }
}

#[tokio::test]
async fn control_characters_from_the_server_are_escaped_in_error_messages() {
    let body = json!({"message": "gone\u{1b}[2J\u{1b}]0;pwned\u{7}", "code": "X\rY"}).to_string();
    let html = "<h1>\u{1b}[2J\u{202e}gnirts</h1>";
    let errors = [
        error_for(response(409, "application/json", body.as_bytes()), false).await,
        error_for(response(418, "application/json", body.as_bytes()), false).await,
        error_for(response(503, "text/html", html.as_bytes()), false).await,
        error_for(response(200, "application/json", html.as_bytes()), false).await,
    ];

    for error in &errors {
        let displayed = format!("{error}");
        let mut chain = vec![displayed.clone()];
        let mut source = std::error::Error::source(error);
        while let Some(s) = source {
            chain.push(s.to_string());
            source = s.source();
        }
        for text in chain {
            assert!(
                !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "a raw control character reaches the terminal: {text:?}"
            );
        }
        assert!(displayed.contains("\\u{1b}[2J"), "{displayed}");
    }
}

#[test]
fn a_password_in_the_base_url_is_never_echoed() {
    for url in [
        "http://admin:hunter2@127.0.0.1:1/",
        "https://admin:hunter2@api.example.com/",
        "http://admin:hunter2@example.com/",
        "http://admin:hunter2@127.0.0.1:99999999/",
        "http://admin:hun/ter2@[::1/",
    ] {
        let error = Client::builder(KEY).base_url(url).build().expect_err(url);
        let shown = format!("{error} {error:?} {error:#?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("ter2"),
            "{url}: {shown}"
        );
        assert!(!shown.contains(KEY), "{url}: {shown}");
    }
}
