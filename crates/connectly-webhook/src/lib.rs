//! Receive [Connectly] webhook events safely.
//!
//! Connectly POSTs each event to a registered address with the header `x-connectly-hmac-sha256`:
//! the Base64 HMAC-SHA256 of the raw body, keyed with the webhook secret. This crate checks that
//! signature in constant time ([`verify`], or [`Verifier`] for several secrets), reads the body
//! into an [`Event`] whatever the request's content type (Connectly sends `text/plain`), and,
//! with the `axum` feature, offers extractors that do both ([`axum::ConnectlyEvent`]).
//!
//! **A signed event is never refused for its shape.** Events are told apart by the fields
//! present (`statusUpdate`, `report`, `message` or `buttonResponse`; most bodies have no
//! `topic`), and a JSON object this version cannot type is an [`Event::Unknown`] carrying the raw
//! JSON and the reason (an [`Event::Unreadable`] with the raw bytes when it cannot even be read
//! into values: nesting deeper than 128 levels, `1e400`, a lone surrogate escape). Only a body
//! that is not a JSON object is an error.
//!
//! **In production** a [`Verifier`] accepts several secrets during a rotation and says which
//! matched, gives each delivery a [`DeliveryKey`] (the digest of the raw body: a retry has the
//! same) to drop duplicates, and can refuse events whose signed `timestamp` is outside a window.
//!
//! The payload types in [`types`] are generated from the connectly-rs OpenAPI document
//! (`cargo xtask regenerate`), like the client and the JSON Schemas, and so are the sample events
//! ([`samples`]) and [`TOPICS`]. They accept unknown fields, and an unknown message kind, status
//! or media type does not fail the event.
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
//!                 "recipient": {"id": "+16045550100", "channelType": "whatsapp"},
//!                 "buttonResponse": {"text": "Yes", "payload": "1"}}"#;
//! let signature = sign(secret, body); // what Connectly puts in x-connectly-hmac-sha256
//!
//! match verify_and_parse(secret, body, Some(&signature))? {
//!     Event::Message(event) => match event.kind() {
//!         MessageKind::Button(button) => assert_eq!(button.payload.as_deref(), Some("1")),
//!         MessageKind::Text(text) => println!("{} says {text}", event.sender.id),
//!         other => println!("a {} message", other.name()),
//!     },
//!     Event::DeliveryStatus(event) => println!("{} is now {}", event.status_update.id, event.status_update.status),
//!     Event::Report(event) => println!("report {} is ready", event.report.name),
//!     Event::Unknown(event) => println!("kept for later: {} ({})", serde_json::Value::from(event.value), event.reason),
//!     _ => {} // the enum is non-exhaustive
//! }
//! # Ok::<(), connectly_webhook::Error>(())
//! ```

#![deny(missing_docs)]

#[cfg(feature = "axum")]
pub mod axum;
mod event;
mod receive;
mod sample;
#[cfg(feature = "send")]
pub mod send;
mod signature;
// Both files are written by `cargo xtask regenerate`, which `cargo xtask check` compares
// byte for byte: rustfmt must leave them as generated.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
#[rustfmt::skip]
mod generated;
#[rustfmt::skip]
mod samples;

pub use event::{parse, Event, MediaType, MessageKind, Status, UnknownEvent, UnreadableEvent};
pub use receive::{parse_timestamp, Delivery, DeliveryKey, Verifier};
pub use sample::{
    choose_sample, default_sample, kinds_of, sample, samples, samples_of, Sample, SampleError,
};
pub use samples::TOPICS;
pub use signature::{sign, verify, SIGNATURE_HEADER};

/// `": cause: its cause: ..."`: the causes of `error`, for a message on one line (the axum
/// rejection's body, a failed send).
#[cfg(any(feature = "axum", feature = "send"))]
fn causes(error: &dyn std::error::Error) -> String {
    let mut text = String::new();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The event payload types, generated from the spec's event components. The event itself is
/// [`Event`].
pub mod types {
    pub use crate::generated::*;
}

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
    /// The signature does not match the body with any accepted secret: another secret, or a
    /// changed body.
    #[error("the signature does not match the body")]
    SignatureMismatch,
    /// The body is not JSON.
    #[error("the body is not JSON")]
    NotJson(#[source] serde_json::Error),
    /// The body is JSON but not an object (it is the value named).
    #[error("the body is JSON but not an object: it is {0}")]
    NotAnObject(&'static str),
    /// The signed `timestamp` is further from now than the [`Verifier::max_age`] window: a
    /// replayed (or very late) delivery.
    #[error(
        "the event's signed timestamp is {} s in the {}, outside the accepted window of {window_secs} s",
        seconds_off.unsigned_abs(),
        if *seconds_off < 0 { "past" } else { "future" }
    )]
    Stale {
        /// The timestamp minus now, in seconds (negative: in the past).
        seconds_off: i64,
        /// The window, in seconds.
        window_secs: u64,
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

/// [`verify`], then [`parse`]: nothing of an unverified body is parsed. For several secrets, a
/// delivery key or a freshness check, use a [`Verifier`].
pub fn verify_and_parse(
    secret: impl AsRef<[u8]>,
    raw_body: &[u8],
    signature_header: Option<&str>,
) -> Result<Event, Error> {
    verify(secret, raw_body, signature_header)?;
    parse(raw_body)
}
