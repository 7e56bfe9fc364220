//! An embeddable, stateful fake of Connectly's webhooks API, for tests and demos.
//!
//! It behaves like the documented API, not like a list of canned answers: a registration made
//! with create shows up in list, a second registration of a topic answers 409, update and delete
//! answer 404 for unknown ids, and every request body is validated with the same JSON Schemas
//! users get from `connectly-schema`. It listens on `127.0.0.1` and an ephemeral port by default.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mock = connectly_mock::MockServer::start().await?;
//! let client = connectly_client::Client::builder(mock.api_key()).base_url(mock.base_url()).build()?;
//! assert!(client.list_webhooks("biz_1").await?.webhooks.is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! Behaviour, per the API reference:
//!
//! | request | answer |
//! | --- | --- |
//! | missing or unknown `X-API-Key` | 401, before the body is read |
//! | body over [`MockConfig::max_body_bytes`] (1 MiB by default) | 413 |
//! | body not all sent within [`MockConfig::body_read_timeout`] | 408 |
//! | malformed JSON, or a body the schema refuses (e.g. a field over its `maxLength`) | 400, the message names each field |
//! | a path or query parameter the spec refuses (e.g. an id over 256 characters) | 400, naming it |
//! | a request line and headers over [`MockConfig::max_header_bytes`] (32 KiB by default) | 431, connection closed |
//! | create for a topic the business already registered | 409 |
//! | update or delete of an unknown id (for that business) | 404 |
//! | List Reports (`GET .../reporting/reports[?type=T]`) | 200, two plausible reports (see below) |
//! | an unknown path | 404; a known path with another method: 405 |
//!
//! Every error has Connectly's error body (`message`, `type`, `code`, `cntTraceId`, `details`).
//! Ids are ULIDs; list returns a business's registrations in creation order. Every request is
//! kept in a log ([`MockServer::requests`]) so tests can assert on what a client sent: the last
//! [`REQUEST_LOG_CAPACITY`] requests within [`REQUEST_LOG_BYTES`] by default, each with its body
//! only when the key was accepted and the body read.
//!
//! List Reports answers, for any business, a daily (`campaign.daily.v1`) and a monthly
//! (`campaign.monthly.v1`) campaign report, each with a completed last run and a download URL on
//! `reports.example.com` valid for an hour from the call (nothing is behind it).
//!
//! # Hostile clients
//!
//! The key is checked from the headers alone, in constant time: a request without an accepted
//! key gets 401 and its body is never read nor kept. At most [`MAX_CONNECTIONS`] connections are
//! served at once (further ones wait to be accepted) and each may send at most
//! [`MAX_HEADER_BYTES`] of headers, so connections that never finish their headers cost a
//! bounded amount of memory. A connection that has not sent a request's headers within
//! [`HEADER_READ_TIMEOUT`] is closed, a body not all sent within [`BODY_READ_TIMEOUT`] gets 408,
//! and the request log is bounded by entries and by bytes. The mock listens on a loopback address
//! unless told otherwise with [`MockConfig::allow_non_loopback`] *and* a key of one's own
//! ([`MockConfig::check_listen`]).
//!
//! # Delivering sample events
//!
//! Started with a webhook secret ([`MockConfig::deliver_secret`]), the mock can also play
//! Connectly's sending side and POST a signed sample event to a business's registered
//! (loopback) address, so that register → receive → verify runs offline: see [`deliver`].

#![deny(missing_docs)]

mod app;
mod config;
pub mod deliver;
mod errors;
mod gate;
mod log;
mod reports;
mod server;
mod store;
mod webhooks;

pub use config::{
    MockConfig, RequestObserver, BODY_READ_TIMEOUT, DEFAULT_API_KEY, DEFAULT_MAX_BODY_BYTES,
    HEADER_READ_TIMEOUT, MAX_CONNECTIONS, MAX_HEADER_BYTES, MIN_HEADER_BYTES, REQUEST_LOG_BYTES,
    REQUEST_LOG_CAPACITY,
};
pub use deliver::DELIVERY_TIMEOUT;
pub use log::{RecordedRequest, ServedRequest};
pub use server::{serve, MockServer};
