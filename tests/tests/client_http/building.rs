//! Building a client.

use super::*;

#[test]
fn plain_http_base_url_to_non_loopback_host_is_refused() {
    for url in [
        "http://api.connectly.ai",
        "http://example.com:8080/prefix",
        "http://10.0.0.1:8080",
        "http://localhost.example.com",
        "http://127.0.0.1.example.com",
    ] {
        match Client::builder(KEY).base_url(url).build() {
            Err(BuildError::InsecureBaseUrl { url: given }) => assert_eq!(given, url),
            other => panic!("{url}: expected InsecureBaseUrl, got {other:?}"),
        }
    }
}

#[test]
fn loopback_http_and_https_base_urls_are_accepted() {
    for url in [
        "http://127.0.0.1:1",
        "http://localhost:1",
        "http://[::1]:1",
        "https://api.connectly.ai",
    ] {
        let client = Client::builder(KEY)
            .base_url(url)
            .build()
            .unwrap_or_else(|e| panic!("{url} refused: {e}"));
        assert_eq!(client.base_url(), url);
    }
}

#[test]
fn api_key_with_crlf_is_refused_without_showing_the_key() {
    let secret = "sk_live_Hh2kQ9secret";
    let key = format!("{secret}\r\nX-Injected: 1");
    let error = Client::builder(key.as_str())
        .base_url("http://127.0.0.1:1")
        .build()
        .expect_err("CR LF cannot go in a header");

    assert!(matches!(error, BuildError::InvalidApiKey(_)), "{error:?}");
    let display = error.to_string();
    let debug = format!("{error:?}");
    for shown in [&display, &debug] {
        assert!(!shown.contains(secret), "the key leaks: {shown}");
        assert!(!shown.contains("X-Injected"), "the key leaks: {shown}");
    }
}

#[test]
fn client_and_builder_debug_do_not_show_the_api_key() {
    let builder = Client::builder(KEY).base_url("http://127.0.0.1:1");
    let builder_debug = format!("{builder:?}");
    let client = builder.build().unwrap();
    let client_debug = format!("{client:?}");

    assert!(!client_debug.contains(KEY), "{client_debug}");
    assert!(!builder_debug.contains(KEY), "{builder_debug}");
    assert!(client_debug.contains("127.0.0.1:1"), "{client_debug}");
}
