#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod accessors;
#[cfg(feature = "axum")]
pub mod axum;
mod event;
mod open_enum;
mod read;
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

pub use accessors::MessageKind;
pub use event::{Event, UnknownEvent, UnreadableEvent};
pub use open_enum::{MediaType, Status};
pub use read::parse;
pub use receive::{parse_timestamp, Delivery, DeliveryKey, Verifier};
pub use sample::{
    choose_sample, default_sample, sample, sample_names, samples, samples_of, Sample, SampleError,
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
