#![doc = include_str!("../README.md")]
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
