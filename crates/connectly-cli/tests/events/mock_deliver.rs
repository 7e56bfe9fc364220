//! `connectly mock --deliver-secret`.

use super::*;

/// `POST PATH` with the mock's default key over a plain HTTP/1.1 connection: (status, body).
fn post_raw(base: &str, path: &str) -> (u16, Value) {
    let addr = base.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\nx-api-key: {}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        connectly_mock::DEFAULT_API_KEY
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (
        status,
        serde_json::from_str(body.trim()).unwrap_or(Value::Null),
    )
}

#[test]
fn mock_deliver_secret_sends_a_signed_sample_to_the_registered_loopback_address() {
    let receiver = start_receiver();
    let mut mock = crate::common::MockProcess::start(&["--deliver-secret", SECRET]);
    let base = mock.base_url.clone();

    let address = format!("https://127.0.0.1:{}/webhook", receiver.port());
    connectly(&[
        "webhooks",
        "create",
        "--topic",
        "messages",
        "--address",
        &address,
        "--base-url",
        &base,
        "--business-id",
        "biz_cli",
    ])
    .env("CONNECTLY_API_KEY", connectly_mock::DEFAULT_API_KEY)
    .run()
    .code(0);

    let (status, body) = post_raw(
        &base,
        "/v1/businesses/biz_cli/mock/deliver?topic=messages&sample=referral",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], 200, "{body}");
    assert_eq!(body["address"], address.as_str());
    let Seen::Event(event, _) = receiver.next() else {
        panic!()
    };
    let sample = connectly_webhook::sample("referral").unwrap();
    assert_eq!(*event, parse(sample.body.as_bytes()).unwrap());
    assert!(mock.is_running(), "still serving");
}
