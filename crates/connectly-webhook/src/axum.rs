//! An axum extractor that verifies and parses a Connectly event (feature `axum`).
//!
//! Put the webhook secret in the router's state as a [`WebhookSecret`] (or anything it can be
//! taken from with [`FromRef`]); a handler that takes a [`ConnectlyEvent`] then only runs for
//! requests whose signature matches. Others get 401 (bad or missing signature) or 400 (a body
//! that is not an event), as plain text that never contains the secret.
//!
//! A complete receiver:
//!
//! ```no_run
//! use axum::{routing::post, Router};
//! use connectly_webhook::axum::{ConnectlyEvent, WebhookSecret};
//! use connectly_webhook::Event;
//!
//! async fn receive(ConnectlyEvent(event): ConnectlyEvent) -> &'static str {
//!     match event {
//!         Event::Message(m) => println!("message from {}: {:?}", m.sender.id, m.message.kind()),
//!         Event::DeliveryStatus(s) => println!("{} is {}", s.status_update.id, s.status_update.status),
//!         _ => {}
//!     }
//!     "ok" // 200: anything else counts as a failed delivery
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let secret = WebhookSecret::new(std::env::var("CONNECTLY_WEBHOOK_SECRET").expect("a secret"));
//!     let app = Router::new().route("/webhook", post(receive)).with_state(secret);
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     axum::serve(listener, app).await
//! }
//! ```

use std::fmt;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::{verify_and_parse, Error, Event, SIGNATURE_HEADER};

/// The webhook secret, for the router's state. Its `Debug` never shows it.
#[derive(Clone)]
pub struct WebhookSecret(Arc<[u8]>);

impl WebhookSecret {
    /// Wraps a secret.
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self(Arc::from(secret.as_ref()))
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret([redacted])")
    }
}

/// A verified, parsed Connectly event, extracted from a request.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectlyEvent(pub Event);

/// Why [`ConnectlyEvent`] refused a request: 401 for the signature, 400 for the body.
#[derive(Debug)]
pub struct Rejection(Error);

impl Rejection {
    /// What was wrong.
    pub fn error(&self) -> &Error {
        &self.0
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let status = if self.0.is_signature_error() {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        (status, self.0.to_string()).into_response()
    }
}

impl<S> FromRequest<S> for ConnectlyEvent
where
    WebhookSecret: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let secret = WebhookSecret::from_ref(state);
        let signature = request
            .headers()
            .get(SIGNATURE_HEADER)
            .map(|v| v.to_str().map(str::to_owned).unwrap_or_default());
        // Any content type: Connectly sends JSON as text/plain.
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        verify_and_parse(&secret.0, &body, signature.as_deref())
            .map(ConnectlyEvent)
            .map_err(|e| Rejection(e).into_response())
    }
}
