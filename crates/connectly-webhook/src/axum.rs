//! axum extractors that verify and parse a Connectly event (feature `axum`).
//!
//! Put a [`Verifier`] in the router's state (or anything it can be taken from with
//! [`FromRef`]); a handler that takes a [`ConnectlyEvent`] (the event) or a [`Delivery`] (the
//! event, which secret matched, its delivery key and timestamp) then only runs for requests
//! whose signature matches. The answer is a [`Rejection`]:
//!
//! - **401** when the signature is missing, not Base64 or does not match (checked before the
//!   body is read when the header is missing or malformed), or, only if the verifier has a
//!   [`Verifier::max_age`], when the signed timestamp is outside the window;
//! - **400** when a correctly signed body is not a JSON object;
//! - axum's own answer when the body cannot be read (413 over axum's `DefaultBodyLimit`, 2 MB
//!   unless the router sets another).
//!
//! Any correctly signed JSON object reaches the handler, as [`Event::Unknown`] when this version
//! cannot type it (as [`Event::Unreadable`], raw, when it cannot even read it into values): a refused delivery is retried by Connectly and refused again, so a shape
//! problem must never become an error status. The answers are plain text and never contain a
//! secret.
//!
//! A complete receiver:
//!
//! ```no_run
//! use axum::{routing::post, Router};
//! use connectly_webhook::axum::ConnectlyEvent;
//! use connectly_webhook::{Event, Verifier};
//!
//! async fn receive(ConnectlyEvent(event): ConnectlyEvent) -> &'static str {
//!     match event {
//!         Event::Message(m) => println!("message from {}: {}", m.sender.id, m.kind().name()),
//!         Event::DeliveryStatus(s) => println!("{} is {}", s.status_update.id, s.status_update.status),
//!         Event::Report(r) => println!("report ready: {}", r.report.last_run.result.url),
//!         other => println!("a {} event this version cannot type", other.topic()),
//!     }
//!     "ok" // 200: anything else counts as a failed delivery
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let secret = std::env::var("CONNECTLY_WEBHOOK_SECRET").expect("a secret");
//!     let app = Router::new().route("/webhook", post(receive)).with_state(Verifier::new(secret));
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     axum::serve(listener, app).await
//! }
//! ```

use std::fmt;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::signature::decode_header;
use crate::{Delivery, Error, Event, Verifier, SIGNATURE_HEADER};

/// A verified, parsed Connectly event, extracted from a request.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectlyEvent(pub Event);

/// Why an extractor of this module refused a request; its response is 401 (signature, or a
/// stale timestamp when a window is set), 400 (a signed body that is not a JSON object), or
/// axum's answer for a body that could not be read.
#[derive(Debug)]
pub struct Rejection(Inner);

#[derive(Debug)]
enum Inner {
    Event(Error),
    Body(BytesRejection),
}

impl Rejection {
    /// What was wrong with the event, unless the body could not be read at all.
    pub fn error(&self) -> Option<&Error> {
        match &self.0 {
            Inner::Event(error) => Some(error),
            Inner::Body(_) => None,
        }
    }

    /// The status of the answer.
    pub fn status(&self) -> StatusCode {
        match &self.0 {
            Inner::Event(Error::NotJson(_) | Error::NotAnObject(_)) => StatusCode::BAD_REQUEST,
            Inner::Event(_) => StatusCode::UNAUTHORIZED,
            Inner::Body(rejection) => rejection.status(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::Event(error) => error.fmt(f),
            Inner::Body(rejection) => rejection.fmt(f),
        }
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            Inner::Event(error) => std::error::Error::source(error),
            Inner::Body(rejection) => std::error::Error::source(rejection),
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self.0 {
            Inner::Body(rejection) => rejection.into_response(),
            Inner::Event(ref error) => {
                let text = format!("{error}{}", crate::causes(error));
                (self.status(), text).into_response()
            }
        }
    }
}

impl<S> FromRequest<S> for Delivery
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Verifier::from_ref(state);
        let signature = request
            .headers()
            .get(SIGNATURE_HEADER)
            .map(|v| v.to_str().map(str::to_owned).unwrap_or_default());
        // Credentials before the body: a request without a usable signature is not read.
        decode_header(signature.as_deref()).map_err(|e| Rejection(Inner::Event(e)))?;
        // Any content type: Connectly sends JSON as text/plain.
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|e| Rejection(Inner::Body(e)))?;
        verifier
            .verify_and_parse(&body, signature.as_deref())
            .map_err(|e| Rejection(Inner::Event(e)))
    }
}

impl<S> FromRequest<S> for ConnectlyEvent
where
    Verifier: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Delivery::from_request(request, state)
            .await
            .map(|delivery| ConnectlyEvent(delivery.event))
    }
}
