//! 10. `connectly mock`.

use super::*;

#[test]
fn mock_subcommand_prints_its_base_url_and_serves_the_api() {
    let mut mock = crate::common::MockProcess::start(&[]);
    let url = mock.base_url.clone();
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .expect("a loopback URL")
        .parse()
        .unwrap();
    assert_ne!(port, 0, "the real port, not the requested 0");

    // The CLI against it, with the mock's default key.
    let at_mock = ["--base-url", &url, "--business-id", BIZ];
    let id = connectly(&[&CREATE_MESSAGES[..], &at_mock].concat())
        .env("CONNECTLY_API_KEY", connectly_mock::DEFAULT_API_KEY)
        .run()
        .code(0)
        .stdout;

    // And the client.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = connectly_client::Client::builder(connectly_mock::DEFAULT_API_KEY)
        .base_url(url)
        .build()
        .unwrap();
    let list = rt.block_on(client.list_webhooks(BIZ)).unwrap();
    assert_eq!(list.webhooks.len(), 1);
    assert_eq!(list.webhooks[0].id, id.trim_end());
    assert!(mock.is_running(), "still serving");
}
