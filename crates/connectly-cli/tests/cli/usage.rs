//! 4. Usage errors: exit 2, nothing sent.

use super::*;

#[test]
fn unknown_topic_is_a_usage_error() {
    let fake = Fake::start();
    let out = fake.usage_error(&mut fake.create_cmd(&[
        "--topic",
        "orders",
        "--address",
        "https://example.com/m",
    ]));
    assert!(out.stderr.contains("orders"), "{out:?}");
    assert!(
        out.stderr.contains("messages") && out.stderr.contains("delivery_status"),
        "the allowed topics are listed: {out:?}"
    );
}

#[test]
fn missing_api_key_is_a_usage_error() {
    let fake = Fake::start();
    let out = fake.usage_error(
        fake.cmd(&["webhooks", "list"])
            .env_remove("CONNECTLY_API_KEY"),
    );
    assert!(out.stderr.contains("CONNECTLY_API_KEY"), "{out:?}");
}

#[test]
fn empty_api_key_is_a_usage_error() {
    let fake = Fake::start();
    let out = fake.usage_error(fake.cmd(&["webhooks", "list"]).env("CONNECTLY_API_KEY", ""));
    assert!(out.stderr.contains("no API key"), "{out:?}");
}

#[test]
fn missing_business_id_is_a_usage_error() {
    let fake = Fake::start();
    let out = fake.usage_error(
        connectly(&["webhooks", "list", "--base-url", &fake.mock.base_url()])
            .env("CONNECTLY_API_KEY", KEY),
    );
    assert!(out.stderr.contains("--business-id"), "{out:?}");
}

#[test]
fn business_id_from_the_environment_is_used() {
    let fake = Fake::start();
    connectly(&["webhooks", "list", "--base-url", &fake.mock.base_url()])
        .env("CONNECTLY_API_KEY", KEY)
        .env("CONNECTLY_BUSINESS_ID", "biz_from_env")
        .run()
        .code(0);
    assert_eq!(
        fake.request_lines(),
        ["GET /v1/businesses/biz_from_env/webhooks"]
    );
}

#[test]
fn http_address_is_refused_naming_the_address_flag() {
    let fake = Fake::start();
    let out = fake.usage_error(&mut fake.create_cmd(&[
        "--topic",
        "messages",
        "--address",
        "http://example.com/webhook",
    ]));
    assert!(out.stderr.contains("--address"), "{out:?}");
}

#[test]
fn plain_http_base_url_to_a_non_loopback_host_is_refused() {
    let out = connectly(&[
        "webhooks",
        "list",
        "--base-url",
        "http://example.com",
        "--business-id",
        BIZ,
    ])
    .env("CONNECTLY_API_KEY", KEY)
    .run()
    .code(2);
    assert!(out.stderr.contains("http://example.com"), "{out:?}");
    assert!(out.stderr.contains("HTTPS"), "{out:?}");
}

#[test]
fn non_positive_timeout_is_a_usage_error() {
    let fake = Fake::start();
    let out = fake.usage_error(&mut fake.cmd(&["webhooks", "list", "--timeout", "0"]));
    assert!(out.stderr.contains("--timeout"), "{out:?}");
}

/// Issue 33.8: `--retries` has the client's cap; more is a usage error, and nothing is sent.
#[test]
fn retries_over_the_cap_is_a_usage_error() {
    let fake = Fake::start();
    let cap = connectly_client::MAX_RETRIES.to_string();
    let over = (connectly_client::MAX_RETRIES + 1).to_string();
    let out = fake.usage_error(&mut fake.cmd(&["webhooks", "list", "--retries", &over]));
    assert!(out.stderr.contains("--retries"), "{out:?}");
    fake.cmd(&["webhooks", "list", "--retries", &cap])
        .run()
        .code(0);
}

/// Issue 33.3: with every proxy variable naming a loopback listener, the commands that talk to
/// a loopback host (the API by `--base-url` or `localhost`, `--mock`, a receiver of `events
/// send`) go direct and succeed; the proxy, which would read `X-API-Key` in clear, sees no
/// connection. The variables are set on the child only.
#[test]
fn proxy_variables_are_not_used_for_loopback_targets() {
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let proxied = |mut cmd: assert_cmd::Command| {
        for var in [
            "HTTP_PROXY",
            "http_proxy",
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            cmd.env(var, &proxy_url);
        }
        cmd.env_remove("NO_PROXY").env_remove("no_proxy");
        // A proxied request would wait for an answer the listener never gives: fail fast.
        cmd.args(["--timeout", "5"]);
        cmd
    };
    let fake = Fake::start();
    let port = fake.mock.addr().port();

    proxied(fake.cmd(&["webhooks", "list", "--retries", "0"]))
        .run()
        .code(0);
    let mut localhost = connectly(&["webhooks", "list", "--retries", "0", "--business-id", BIZ]);
    localhost
        .env("CONNECTLY_API_KEY", KEY)
        .args(["--base-url", &format!("http://localhost:{port}")]);
    proxied(localhost).run().code(0);
    let listed = format!("GET /v1/businesses/{BIZ}/webhooks");
    assert_eq!(fake.request_lines(), [listed.clone(), listed]);
    proxied(connectly(&[
        "webhooks",
        "list",
        "--mock",
        "--retries",
        "0",
        "--business-id",
        BIZ,
    ]))
    .run()
    .code(0);
    let receiver =
        connectly_tests::Receiver::start_blocking(connectly_webhook::Verifier::new("whsec_proxy"));
    let mut send = connectly(&["events", "send", "--topic", "messages", "--secret"]);
    send.args(["whsec_proxy", "--to", &receiver.url("/webhook")]);
    proxied(send).run().code(0);

    // Every connection the proxy was offered is in its accept queue, accepted or not.
    let mut connections = 0;
    loop {
        match proxy.accept() {
            Ok(_) => connections += 1,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(connections, 0, "the proxy was used");
}
