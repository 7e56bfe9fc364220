//! The receiving side: every documented event shape validates against the exported event schema
//! and is typed; the axum extractors verify and parse end to end on loopback, hand every signed
//! JSON object to the handler (an unknown shape as `Event::Unknown`, one serde_json cannot read
//! into values as `Event::Unreadable`), and refuse only a bad signature (401) or a signed body
//! that is not a JSON object (400).

use std::time::Duration;

use connectly_schema::{validate_as, SchemaKind};
use connectly_tests::Receiver;
use connectly_webhook::{parse, sign, Event, Verifier, SIGNATURE_HEADER};
use serde_json::{json, Value};

const SECRET: &str = "whsec_e2e_Xq81";
const OLD_SECRET: &str = "whsec_e2e_old_77";

/// Documented shapes that are not samples of their own: the stray top-level keys of the GitBook
/// header example, and the oldest readme.io forms (no names, a business id without `+`).
const MORE_DOCUMENTED_SHAPES: [(&str, &str, &str); 3] = [
    (
        r#"{"timestamp":"1639083206","sender":{"id":"+16315555500","channelType":"whatsapp","name":"Ada"},"recipient":{"id":"+16045550100","channelType":"whatsapp","name":"Acme"},"message":{"text":"Hello"},"attachments":[],"location":null}"#,
        "messages",
        "text",
    ),
    (
        r#"{"timestamp":"1639083206","sender":{"id":"16315555500","channelType":"whatsapp"},"recipient":{"id":"123456123","channelType":"whatsapp"},"message":{"attachments":[{"type":"document","url":"https://cdn.dev.connectly.ai/x.pdf"}]}}"#,
        "messages",
        "attachment",
    ),
    (
        r#"{"topic":"delivery_status","timestamp":"1639083206","sender":{"id":"123456123","channelType":"whatsapp"},"recipient":{"id":"+16315555500","channelType":"whatsapp"},"statusUpdate":{"id":"01FRRWW2ZAHD9GJ1SWY4VF2GBD","status":"delivered","error":null},"metadata":{"campaign_name":"promo"}}"#,
        "delivery_status",
        "delivered",
    ),
];

/// Every documented shape as `(name, body, topic, kind)`: the spec's samples, then the others.
fn documented_shapes() -> Vec<(String, &'static str, &'static str, &'static str)> {
    let mut shapes: Vec<_> = connectly_webhook::samples()
        .map(|s| {
            let kind = match s.name {
                "image" | "video" | "audio" | "document" => "attachment",
                "quoted_reply" | "bsuid" => "text",
                "button_with_id" => "button",
                "button_flag" => "button_text",
                "failed" | "failed_legacy" => "delivery_failed",
                name => name,
            };
            (s.name.to_owned(), s.body, s.topic(), kind)
        })
        .collect();
    for (i, (body, topic, kind)) in MORE_DOCUMENTED_SHAPES.into_iter().enumerate() {
        shapes.push((format!("extra {i}"), body, topic, kind));
    }
    shapes
}

#[test]
fn every_documented_shape_validates_against_the_event_schema_and_is_typed() {
    let shapes = documented_shapes();
    for (name, body, topic, kind) in &shapes {
        let value: Value = serde_json::from_str(body).unwrap();
        assert_eq!(validate_as(SchemaKind::Event, &value), Ok(()), "{name}");
        let event = parse(body.as_bytes()).unwrap();
        assert!(!matches!(event, Event::Unknown(_)), "{name}: {event:?}");
        assert_eq!((event.topic(), event.kind()), (*topic, *kind), "{name}");
    }
    let samples = connectly_webhook::samples().count();
    assert_eq!(samples, 17, "one per documented form");
    // The schema's own examples are the same events.
    let examples = SchemaKind::Event.schema()["examples"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(examples, samples);
    // No documented shape has `message.button` (it was invented): such a field is not typed.
    let mut invented: Value = serde_json::from_str(shapes[0].1).unwrap();
    invented["message"] = json!({"button": {"payload": "P", "text": "T"}});
    let event = parse(invented.to_string().as_bytes()).unwrap();
    assert_eq!(event.kind(), "unknown");
}

#[test]
fn the_schema_and_the_parser_agree_on_tolerance_and_the_parser_keeps_what_it_cannot_type() {
    let mut event: Value =
        serde_json::from_str(connectly_webhook::sample("read").unwrap().body).unwrap();
    event["statusUpdate"]["status"] = json!("queued");
    event["brandNew"] = json!({"x": 1});
    assert_eq!(validate_as(SchemaKind::Event, &event), Ok(()));
    assert_eq!(
        parse(event.to_string().as_bytes()).unwrap().kind(),
        "queued"
    );

    let mut missing: Value =
        serde_json::from_str(connectly_webhook::sample("text").unwrap().body).unwrap();
    missing.as_object_mut().unwrap().remove("sender");
    assert!(validate_as(SchemaKind::Event, &missing).is_err());
    match parse(missing.to_string().as_bytes()).unwrap() {
        Event::Unknown(unknown) => {
            assert_eq!(Value::Object(unknown.value), missing);
            assert!(
                unknown.reason.contains("missing field `sender`"),
                "{}",
                unknown.reason
            );
        }
        other => panic!("{other:?}"),
    }
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
async fn every_documented_shape_and_any_signed_object_reaches_the_handler() {
    let receiver = Receiver::start(Verifier::new(SECRET)).await;
    let url = receiver.url("/delivery");
    for (name, body, topic, kind) in documented_shapes() {
        let body = body.as_bytes();
        let (status, text) = post_event(&url, body, Some(sign(SECRET, body))).await;
        assert_eq!((status, text.as_str()), (200, "ok"), "{name}");
        let delivery = receiver.next_delivery();
        assert_eq!(delivery.event, parse(body).unwrap(), "{name}");
        assert_eq!(
            (delivery.event.topic(), delivery.event.kind()),
            (topic, kind)
        );
        assert_eq!(delivery.secret_index, 0);
        // The simple extractor sees the same event.
        let (status, text) =
            post_event(&receiver.url("/event"), body, Some(sign(SECRET, body))).await;
        assert_eq!((status, text.as_str()), (200, kind), "{name}");
    }

    // Signed JSON objects this version cannot type: 200, and the handler gets them whole.
    for body in [
        &br#"{"topic": "orders", "order": {"id": 7}}"#[..],
        br#"{"message": {"text": "no sender"}}"#,
        br#"{"timestamp": 5, "sender": {}, "recipient": {}, "statusUpdate": "delivered"}"#,
        b"{}",
    ] {
        let (status, _) = post_event(&url, body, Some(sign(SECRET, body))).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(body));
        let delivery = receiver.next_delivery();
        let Event::Unknown(unknown) = delivery.event else {
            panic!("{:?}", delivery.event)
        };
        assert_eq!(
            Value::Object(unknown.value),
            serde_json::from_slice::<Value>(body).unwrap()
        );
    }
}

/// Issue 33.7: JSON objects that are valid JSON (RFC 8259 sets no depth, number range or
/// surrogate rule) but that serde_json cannot read into values.
fn unreadable_objects() -> Vec<(Vec<u8>, &'static str)> {
    let text = connectly_webhook::sample("text").unwrap().body;
    vec![
        (
            format!(r#"{{"a": {}{}}}"#, "[".repeat(200), "]".repeat(200)).into_bytes(),
            "recursion limit exceeded",
        ),
        (br#"{"amount": 1e400}"#.to_vec(), "number out of range"),
        (br#"{"text": "\ud800"}"#.to_vec(), "hex escape"),
        // A documented shape with an unreadable value where a value is kept (`callbackData`).
        (
            text.replacen('{', r#"{"callbackData": {"n": -1e400}, "#, 1)
                .into_bytes(),
            "number out of range",
        ),
    ]
}

#[tokio::test]
async fn a_signed_object_that_cannot_be_read_into_values_reaches_the_handler_raw() {
    let receiver = Receiver::start(Verifier::new(SECRET)).await;
    for (body, says) in unreadable_objects() {
        let shown = String::from_utf8_lossy(&body[..body.len().min(60)]).into_owned();
        let event = parse(&body).unwrap_or_else(|e| panic!("{shown}: {e}"));
        let Event::Unreadable(unreadable) = &event else {
            panic!("{shown}: {event:?}")
        };
        assert_eq!(unreadable.raw, body, "kept byte for byte");
        assert!(unreadable.reason.contains(says), "{}", unreadable.reason);
        assert!(
            unreadable
                .reason
                .starts_with("the body could not be read as JSON: "),
            "{}",
            unreadable.reason
        );
        assert_eq!(
            (event.topic(), event.kind(), event.timestamp()),
            ("unknown", "unknown", None)
        );

        let (status, text) =
            post_event(&receiver.url("/delivery"), &body, Some(sign(SECRET, &body))).await;
        assert_eq!((status, text.as_str()), (200, "ok"), "{shown}");
        assert_eq!(receiver.next_delivery().event, event, "{shown}");
    }
    // Where nothing is kept (a field this version does not know), it is skipped unread: the
    // event is typed.
    let text = connectly_webhook::sample("text").unwrap().body;
    let extra = text.replacen('{', r#"{"extra": [-1e400, "\ud800"], "#, 1);
    assert_eq!(parse(extra.as_bytes()).unwrap().kind(), "text");
}

#[tokio::test]
async fn only_a_bad_signature_is_401_and_only_a_signed_non_object_is_400() {
    let receiver = Receiver::start(Verifier::new(SECRET)).await;
    let url = receiver.url("/delivery");
    let body = connectly_webhook::sample("button").unwrap().body.as_bytes();
    let mut flipped = body.to_vec();
    flipped[20] ^= 1;
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
            b"[1, 2]".to_vec(),
            Some(sign(SECRET, b"[1, 2]")),
            400,
            "not an object: it is an array",
        ),
        (
            b"<xml/>".to_vec(),
            Some(sign(SECRET, b"<xml/>")),
            400,
            "not JSON: expected value at line 1 column 1",
        ),
        // Cut short: not JSON, whatever it starts with.
        (
            br#"{"a": [1,"#.to_vec(),
            Some(sign(SECRET, br#"{"a": [1,"#)),
            400,
            "not JSON: EOF while parsing",
        ),
        // An unsigned non-object is a signature problem first.
        (b"<xml/>".to_vec(), None, 401, "missing"),
    ];
    for (body, signature, expected, says) in cases {
        let (status, text) = post_event(&url, &body, signature).await;
        assert_eq!(status, expected, "{text}");
        assert!(text.contains(says), "{text:?} lacks {says:?}");
        assert!(!text.contains(SECRET));
    }
    // No refused request reached the handler.
    receiver.assert_nothing_received();
}

#[tokio::test]
async fn rotation_delivery_key_and_freshness_through_the_extractor() {
    let verifier = Verifier::new(SECRET)
        .also_accept(OLD_SECRET)
        .max_age(Duration::from_secs(600));
    let receiver = Receiver::start(verifier).await;
    let url = receiver.url("/delivery");

    // A fresh event (now, in both timestamp formats), signed with either secret.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut text: Value =
        serde_json::from_str(connectly_webhook::sample("text").unwrap().body).unwrap();
    text["timestamp"] = json!(now.to_string());
    let text = text.to_string();
    let mut keys = Vec::new();
    for (secret, index) in [(SECRET, 0), (OLD_SECRET, 1), (OLD_SECRET, 1)] {
        let (status, answer) =
            post_event(&url, text.as_bytes(), Some(sign(secret, text.as_bytes()))).await;
        assert_eq!(status, 200, "{answer}");
        let delivery = receiver.next_delivery();
        assert_eq!(delivery.secret_index, index);
        keys.push(delivery.key);
    }
    // The same body (a retry) has the same key whichever secret signed it.
    assert!(keys.iter().all(|k| *k == keys[0]));

    // The samples' own timestamps (2021 and 2025) are outside the window: 401, handler not run.
    for name in ["text", "report"] {
        let body = connectly_webhook::sample(name).unwrap().body.as_bytes();
        let (status, answer) = post_event(&url, body, Some(sign(SECRET, body))).await;
        assert_eq!(status, 401, "{name}: {answer}");
        assert!(
            answer.contains("outside the accepted window of 600 s"),
            "{answer}"
        );
    }
    receiver.assert_nothing_received();
}
