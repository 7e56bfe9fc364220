//! Receive [Connectly] webhook events safely.
//!
//! Connectly POSTs each event to a registered address with the header `x-connectly-hmac-sha256`:
//! the Base64 HMAC-SHA256 of the raw body, keyed with the webhook secret. This crate checks that
//! signature in constant time ([`verify`]), parses the body into typed events ([`parse`]) whatever
//! the request's content type (Connectly sends `text/plain`), and, with the `axum` feature,
//! offers an extractor that does both ([`axum::ConnectlyEvent`]).
//!
//! The event types in [`types`] are generated from the connectly-rs OpenAPI document
//! (`cargo xtask regenerate`), like the client and the JSON Schemas. They accept unknown fields,
//! and an unknown message kind or status does not fail the event.
//!
//! It is light: serde, serde_json, hmac, sha2, base64; no HTTP client, no async runtime.
//!
//! [Connectly]: https://docs.connectly.ai
//!
//! ```
//! use connectly_webhook::{sign, verify_and_parse, Event, MessageKind};
//!
//! let secret = b"whsec_test";
//! let body = br#"{"timestamp": "1639083206", "sender": {"id": "+16315555500", "channelType": "whatsapp"},
//!                 "recipient": {"id": "123456123", "channelType": "whatsapp"}, "message": {"text": "hi"}}"#;
//! let signature = sign(secret, body); // what Connectly puts in x-connectly-hmac-sha256
//!
//! match verify_and_parse(secret, body, Some(&signature))? {
//!     Event::Message(event) => assert_eq!(event.message.kind(), MessageKind::Text("hi")),
//!     Event::DeliveryStatus(event) => println!("{} is now {}", event.status_update.id, event.status_update.status),
//!     _ => {} // a topic this version does not know
//! }
//! # Ok::<(), connectly_webhook::Error>(())
//! ```

#![deny(missing_docs)]

#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "send")]
pub mod send;
// Both files are written by `cargo xtask regenerate`, which `cargo xtask check` compares
// byte for byte: rustfmt must leave them as generated.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
#[rustfmt::skip]
mod generated;
#[rustfmt::skip]
mod samples;

use std::fmt;

use base64::Engine as _;
use hmac::{KeyInit, Mac};

/// The event payload types, generated from the spec's `WebhookEvent` component.
pub mod types {
    pub use crate::generated::*;
}

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "x-connectly-hmac-sha256";

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Why a request was not accepted as a Connectly event. Never contains the secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No `x-connectly-hmac-sha256` header.
    #[error("missing {SIGNATURE_HEADER} header")]
    MissingSignature,
    /// The header is not Base64.
    #[error("the {SIGNATURE_HEADER} header is not Base64")]
    SignatureNotBase64,
    /// The signature does not match the body: another secret, or a changed body.
    #[error("the signature does not match the body")]
    SignatureMismatch,
    /// The body is not JSON.
    #[error("the body is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// The body is JSON but neither a `messages` event (`message`) nor a `delivery_status` event
    /// (`statusUpdate`).
    #[error("the body is not a Connectly event: it has neither `message` nor `statusUpdate`")]
    NotAnEvent,
    /// The body looks like an event of `topic` but a required field is missing or mistyped.
    #[error("not a valid {topic} event: {source}")]
    InvalidEvent {
        /// `messages` or `delivery_status`.
        topic: &'static str,
        /// What serde found.
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    /// Whether the error is about the signature (answer 401) rather than the body (answer 400).
    pub fn is_signature_error(&self) -> bool {
        matches!(
            self,
            Error::MissingSignature | Error::SignatureNotBase64 | Error::SignatureMismatch
        )
    }
}

/// The signature Connectly sends for `raw_body`: Base64 of HMAC-SHA256 keyed with `secret`.
/// For tests and for sending sample events.
///
/// ```
/// // RFC 4231, test case 2
/// let signature = connectly_webhook::sign(b"Jefe", b"what do ya want for nothing?");
/// assert_eq!(signature, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
/// ```
pub fn sign(secret: impl AsRef<[u8]>, raw_body: &[u8]) -> String {
    let mut mac =
        HmacSha256::new_from_slice(secret.as_ref()).expect("HMAC takes keys of any length");
    mac.update(raw_body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks `signature_header` (the value of `x-connectly-hmac-sha256`, `None` when the request
/// has none) against the raw body, in constant time.
pub fn verify(
    secret: impl AsRef<[u8]>,
    raw_body: &[u8],
    signature_header: Option<&str>,
) -> Result<(), Error> {
    let header = signature_header.ok_or(Error::MissingSignature)?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(header.trim())
        .map_err(|_| Error::SignatureNotBase64)?;
    let mut mac =
        HmacSha256::new_from_slice(secret.as_ref()).expect("HMAC takes keys of any length");
    mac.update(raw_body);
    // `verify_slice` compares in constant time (and refuses a truncated tag).
    mac.verify_slice(&signature)
        .map_err(|_| Error::SignatureMismatch)
}

/// A Connectly event, by topic.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A `messages` event: a customer sent a message.
    Message(types::MessageEvent),
    /// A `delivery_status` event: a message the business sent changed status.
    DeliveryStatus(types::DeliveryStatusEvent),
}

impl Event {
    /// The topic: `messages` or `delivery_status`.
    pub fn topic(&self) -> &'static str {
        match self {
            Event::Message(_) => "messages",
            Event::DeliveryStatus(_) => "delivery_status",
        }
    }
}

/// Parses a raw body (whatever its content type) into an [`Event`]. Unknown fields, message
/// kinds and statuses are accepted.
pub fn parse(raw_body: &[u8]) -> Result<Event, Error> {
    /// Which topic the body is, read without building anything: every value is skipped.
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "statusUpdate")]
        status_update: Option<serde::de::IgnoredAny>,
        message: Option<serde::de::IgnoredAny>,
    }
    let probe = match serde_json::from_slice::<Probe>(raw_body) {
        Ok(probe) => probe,
        // JSON, but not an object (an array, a string...).
        Err(e) if e.is_data() => return Err(Error::NotAnEvent),
        Err(e) => return Err(Error::NotJson(e)),
    };
    let invalid = |topic| move |source| Error::InvalidEvent { topic, source };
    if probe.status_update.is_some() {
        serde_json::from_slice(raw_body)
            .map(Event::DeliveryStatus)
            .map_err(invalid("delivery_status"))
    } else if probe.message.is_some() {
        serde_json::from_slice(raw_body)
            .map(Event::Message)
            .map_err(invalid("messages"))
    } else {
        Err(Error::NotAnEvent)
    }
}

/// [`verify`], then [`parse`]: nothing of an unverified body is parsed.
pub fn verify_and_parse(
    secret: impl AsRef<[u8]>,
    raw_body: &[u8],
    signature_header: Option<&str>,
) -> Result<Event, Error> {
    verify(secret, raw_body, signature_header)?;
    parse(raw_body)
}

/// The status of a `delivery_status` event: a known [`types::DeliveryStatus`], or the text of one
/// this version does not know (so a new status does not fail the event).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    /// One of the documented statuses.
    Known(types::DeliveryStatus),
    /// Another status, as sent.
    Other(String),
}

impl Status {
    /// The documented status, if it is one.
    pub fn known(&self) -> Option<types::DeliveryStatus> {
        match self {
            Status::Known(status) => Some(*status),
            Status::Other(_) => None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Known(status) => status.fmt(f),
            Status::Other(text) => f.write_str(text),
        }
    }
}

impl serde::Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Status {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(match text.parse::<types::DeliveryStatus>() {
            Ok(status) => Status::Known(status),
            Err(_) => Status::Other(text),
        })
    }
}

/// What a `messages` event carries, by kind. A referral may come with text: it is reported as a
/// referral.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum MessageKind<'a> {
    /// A text message.
    Text(&'a str),
    /// Media attachments.
    Attachments(&'a [types::Attachment]),
    /// A tap on a button of an earlier message.
    Button(&'a types::ButtonResponse),
    /// The conversation started from an ad or a post.
    Referral(&'a types::Referral),
    /// A kind this version does not know; its fields are in the raw body.
    Unknown,
}

impl types::MessageContent {
    /// The kind of message.
    pub fn kind(&self) -> MessageKind<'_> {
        if let Some(referral) = &self.referral {
            MessageKind::Referral(referral)
        } else if let Some(button) = &self.button {
            MessageKind::Button(button)
        } else if !self.attachments.is_empty() {
            MessageKind::Attachments(&self.attachments)
        } else if let Some(text) = &self.text {
            MessageKind::Text(text)
        } else {
            MessageKind::Unknown
        }
    }
}

/// A sample event from the spec: what `connectly events send` posts, and what tests use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Its name: `text`, `attachment`, `button`, `referral`, `sent`, `delivered`, `read`,
    /// `failed`.
    pub name: &'static str,
    /// One line about it.
    pub summary: &'static str,
    /// The JSON body.
    pub body: &'static str,
}

impl Sample {
    /// The sample's topic (`messages` or `delivery_status`), as [`parse`] reads it.
    pub fn topic(&self) -> &'static str {
        parse(self.body.as_bytes()).map_or("unknown", |event| event.topic())
    }
}

/// Whether `host` (a URL's host, IPv6 in brackets or not) is loopback: `127.0.0.0/8`,
/// `localhost` or `::1`. Test tools deliver sample events over plain HTTP only to such hosts.
///
/// ```
/// use connectly_webhook::is_loopback_host;
/// assert!(is_loopback_host("127.0.0.9") && is_loopback_host("[::1]") && is_loopback_host("LocalHost"));
/// assert!(!is_loopback_host("0.0.0.0") && !is_loopback_host("::ffff:127.0.0.1") && !is_loopback_host("localhost.example.com"));
/// ```
pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The topics, as [`Event::topic`] names them.
pub const TOPICS: [&str; 2] = ["messages", "delivery_status"];

/// The samples of `topic`, in the spec's order.
pub fn samples_of(topic: &str) -> impl Iterator<Item = Sample> + '_ {
    samples().filter(move |s| s.topic() == topic)
}

/// The sample sent when none is named: the first of `topic` in the spec's order (`text` for
/// `messages`, `sent` for `delivery_status`).
pub fn default_sample(topic: &str) -> Option<Sample> {
    samples_of(topic).next()
}

/// Every sample event of the spec, in its order.
///
/// ```
/// let names: Vec<&str> = connectly_webhook::samples().map(|s| s.name).collect();
/// assert!(names.contains(&"text") && names.contains(&"failed"));
/// ```
pub fn samples() -> impl Iterator<Item = Sample> {
    samples::SAMPLES
        .iter()
        .map(|&(name, summary, body)| Sample {
            name,
            summary,
            body,
        })
}

/// The sample event called `name`.
pub fn sample(name: &str) -> Option<Sample> {
    samples().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 HMAC-SHA-256 test cases 1–4, 6 and 7 (5 is a truncated tag), as hex.
    const RFC4231: [(&str, &str, &str); 6] = [
        (
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
            "4869205468657265",
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        ),
        (
            "4a656665",
            "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        ),
        (
            "0102030405060708090a0b0c0d0e0f10111213141516171819",
            "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
        ),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        ),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "5468697320697320612074657374207573696e672061206c6172676572207468616e20626c6f636b2d73697a65206b657920616e642061206c6172676572207468616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565647320746f20626520686173686564206265666f7265206265696e6720757365642062792074686520484d414320616c676f726974686d2e",
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
        ),
    ];

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn rfc_4231_vectors() {
        for (key, data, mac) in RFC4231 {
            let expected = base64::engine::general_purpose::STANDARD.encode(hex(mac));
            assert_eq!(sign(hex(key), &hex(data)), expected);
            assert!(verify(hex(key), &hex(data), Some(&expected)).is_ok());
        }
    }

    #[test]
    fn sign_then_verify_round_trips_and_any_flipped_byte_fails() {
        let secret = b"whsec_round_trip";
        let body = sample("failed").unwrap().body.as_bytes();
        let signature = sign(secret, body);
        assert!(verify(secret, body, Some(&signature)).is_ok());
        for i in 0..body.len() {
            let mut changed = body.to_vec();
            changed[i] ^= 0x01;
            assert!(
                matches!(
                    verify(secret, &changed, Some(&signature)),
                    Err(Error::SignatureMismatch)
                ),
                "byte {i}"
            );
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&signature)
            .unwrap();
        for i in 0..raw.len() {
            let mut changed = raw.clone();
            changed[i] ^= 0x80;
            let changed = base64::engine::general_purpose::STANDARD.encode(changed);
            assert!(
                matches!(
                    verify(secret, body, Some(&changed)),
                    Err(Error::SignatureMismatch)
                ),
                "signature byte {i}"
            );
        }
        // A truncated signature, another secret.
        let truncated = base64::engine::general_purpose::STANDARD.encode(&raw[..16]);
        assert!(matches!(
            verify(secret, body, Some(&truncated)),
            Err(Error::SignatureMismatch)
        ));
        assert!(matches!(
            verify(b"other", body, Some(&signature)),
            Err(Error::SignatureMismatch)
        ));
    }

    #[test]
    fn signature_errors_say_what_is_wrong_without_the_secret() {
        let secret = "whsec_do_not_print_me";
        for (header, expected) in [
            (None, "missing"),
            (Some("%%%not base64"), "not Base64"),
            (Some("AAAA"), "does not match"),
        ] {
            let error = verify(secret, b"{}", header).unwrap_err();
            assert!(error.is_signature_error());
            let text = format!("{error} {error:?}");
            assert!(text.contains(expected), "{text}");
            assert!(!text.contains(secret));
        }
    }

    #[test]
    fn samples_are_grouped_by_topic_with_a_default_each() {
        let names = |topic| samples_of(topic).map(|s| s.name).collect::<Vec<_>>();
        assert_eq!(
            names("messages"),
            ["text", "attachment", "button", "referral"]
        );
        assert_eq!(
            names("delivery_status"),
            ["sent", "delivered", "read", "failed"]
        );
        assert_eq!(default_sample("messages").map(|s| s.name), Some("text"));
        assert_eq!(
            default_sample("delivery_status").map(|s| s.name),
            Some("sent")
        );
        assert!(default_sample("nope").is_none());
        for topic in TOPICS {
            assert!(samples_of(topic).all(|s| s.topic() == topic));
        }
    }

    #[test]
    fn every_sample_parses_as_its_topic() {
        let mut topics = Vec::new();
        for sample in samples() {
            let event =
                parse(sample.body.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}", sample.name));
            topics.push(event.topic());
            match (sample.name, &event) {
                ("text", Event::Message(e)) => {
                    assert_eq!(e.message.kind(), MessageKind::Text("TEST 11"))
                }
                ("attachment", Event::Message(e)) => {
                    assert!(matches!(e.message.kind(), MessageKind::Attachments(a) if a.len() == 1))
                }
                ("button", Event::Message(e)) => {
                    assert!(matches!(e.message.kind(), MessageKind::Button(_)));
                    assert!(e
                        .context
                        .as_ref()
                        .and_then(|c| c.reply_to_id.as_ref())
                        .is_some());
                }
                ("referral", Event::Message(e)) => {
                    assert!(matches!(e.message.kind(), MessageKind::Referral(_)))
                }
                ("sent" | "delivered" | "read" | "failed", Event::DeliveryStatus(e)) => {
                    let status = e.status_update.status.to_string();
                    let expected = if sample.name == "failed" {
                        "delivery_failed"
                    } else {
                        sample.name
                    };
                    assert_eq!(status, expected);
                    assert!(e.status_update.status.known().is_some());
                }
                (name, event) => panic!("{name} parsed as {event:?}"),
            }
        }
        assert_eq!(topics.iter().filter(|t| **t == "messages").count(), 4);
        assert_eq!(
            topics.iter().filter(|t| **t == "delivery_status").count(),
            4
        );
    }

    #[test]
    fn unknown_fields_kinds_and_statuses_do_not_fail_the_event() {
        let message = br#"{"timestamp": "1", "sender": {"id": "a", "channelType": "whatsapp", "x": 1},
            "recipient": {"id": "b", "channelType": "sms"}, "message": {"sticker": {"id": "s"}}, "new": true}"#;
        match parse(message).unwrap() {
            Event::Message(e) => assert_eq!(e.message.kind(), MessageKind::Unknown),
            other => panic!("{other:?}"),
        }
        let status = br#"{"topic": "delivery_status", "timestamp": "1", "sender": {"id": "a", "channelType": "whatsapp"},
            "recipient": {"id": "b", "channelType": "whatsapp"}, "statusUpdate": {"id": "m", "status": "queued", "extra": [1]}}"#;
        match parse(status).unwrap() {
            Event::DeliveryStatus(e) => {
                assert_eq!(e.status_update.status, Status::Other("queued".into()));
                assert_eq!(e.status_update.status.known(), None);
                assert_eq!(
                    serde_json::to_value(&e.status_update.status).unwrap(),
                    "queued"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bodies_that_are_not_events_are_refused_with_a_reason() {
        assert!(matches!(parse(b"not json"), Err(Error::NotJson(_))));
        assert!(matches!(parse(b"{\"hello\": 1}"), Err(Error::NotAnEvent)));
        assert!(matches!(parse(b"[]"), Err(Error::NotAnEvent)));
        let error = parse(br#"{"message": {"text": "x"}}"#).unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidEvent {
                    topic: "messages",
                    ..
                }
            ),
            "{error}"
        );
        assert!(error.to_string().contains("missing field"), "{error}");
    }
}
