//! The receiving side: every sample event validates against the exported event schema and
//! parses; the axum extractor verifies and parses end to end on loopback.

use axum::{routing::post, Router};
use connectly_schema::{validate_as, SchemaKind};
use connectly_webhook::axum::{ConnectlyEvent, WebhookSecret};
use connectly_webhook::{parse, sign, Event, SIGNATURE_HEADER};
use serde_json::{json, Value};
use tokio::sync::mpsc;

const SECRET: &str = "whsec_e2e_Xq81";

#[test]
fn every_sample_event_validates_against_the_exported_event_schema_and_parses() {
    let mut count = 0;
    for sample in connectly_webhook::samples() {
        let value: Value = serde_json::from_str(sample.body).unwrap();
        assert_eq!(
            validate_as(SchemaKind::Event, &value),
            Ok(()),
            "{}",
            sample.name
        );
        parse(sample.body.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}", sample.name));
        count += 1;
    }
    assert_eq!(
        count, 8,
        "text, attachment, button, referral, sent, delivered, read, failed"
    );
    // The schema's own examples are the same events.
    let examples = SchemaKind::Event.schema()["examples"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(examples, count);
}

#[test]
fn the_schema_and_the_parser_agree_on_tolerance_and_on_what_is_required() {
    let mut event: Value =
        serde_json::from_str(connectly_webhook::sample("read").unwrap().body).unwrap();
    event["statusUpdate"]["status"] = json!("queued");
    event["brandNew"] = json!({"x": 1});
    assert_eq!(validate_as(SchemaKind::Event, &event), Ok(()));
    assert!(parse(event.to_string().as_bytes()).is_ok());

    let mut missing: Value =
        serde_json::from_str(connectly_webhook::sample("text").unwrap().body).unwrap();
    missing.as_object_mut().unwrap().remove("sender");
    assert!(validate_as(SchemaKind::Event, &missing).is_err());
    assert!(parse(missing.to_string().as_bytes()).is_err());
}

async fn receiver() -> (String, mpsc::UnboundedReceiver<Event>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new()
        .route(
            "/webhook",
            post(move |ConnectlyEvent(event): ConnectlyEvent| {
                let tx = tx.clone();
                async move {
                    tx.send(event).unwrap();
                    "ok"
                }
            }),
        )
        .with_state(WebhookSecret::new(SECRET));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

async fn post_event(url: &str, body: &[u8], signature: Option<String>) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "text/plain; charset=utf-8")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header(SIGNATURE_HEADER, signature);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_axum_extractor_accepts_signed_events_and_refuses_the_rest() {
    let (url, mut seen) = receiver().await;
    for sample in connectly_webhook::samples() {
        let body = sample.body.as_bytes();
        let (status, _) = post_event(&url, body, Some(sign(SECRET, body))).await;
        assert_eq!(status, 200, "{}", sample.name);
        assert_eq!(seen.recv().await.unwrap(), parse(body).unwrap());
    }

    let body = connectly_webhook::sample("text").unwrap().body.as_bytes();
    let mut flipped = body.to_vec();
    flipped[10] ^= 1;
    let cases = [
        (body.to_vec(), None, 401, "missing"),
        (
            body.to_vec(),
            Some(sign("another secret", body)),
            401,
            "does not match",
        ),
        (body.to_vec(), Some("!!".to_owned()), 401, "not Base64"),
        (flipped, Some(sign(SECRET, body)), 401, "does not match"),
        (
            b"{\"hello\": 1}".to_vec(),
            Some(sign(SECRET, b"{\"hello\": 1}")),
            400,
            "not a Connectly event",
        ),
        (
            b"<xml/>".to_vec(),
            Some(sign(SECRET, b"<xml/>")),
            400,
            "not JSON",
        ),
    ];
    for (body, signature, expected, says) in cases {
        let (status, text) = post_event(&url, &body, signature).await;
        assert_eq!(status, expected, "{text}");
        assert!(text.contains(says), "{text:?} lacks {says:?}");
        assert!(!text.contains(SECRET));
    }
    assert!(
        seen.try_recv().is_err(),
        "no refused request reached the handler"
    );
}
