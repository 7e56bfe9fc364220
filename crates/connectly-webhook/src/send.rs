//! Sending an event the way Connectly does (feature `send`): for test tools such as
//! `connectly events send` and the mock's delivery, not for receivers.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::{sign, SIGNATURE_HEADER};

/// How much of a receiver's answer [`send_event`] keeps.
pub const ANSWER_EXCERPT_BYTES: usize = 4096;

/// What the receiver answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: reqwest::StatusCode,
    /// The start of the answer's body (at most [`ANSWER_EXCERPT_BYTES`]; cut short if the
    /// receiver hung up).
    pub excerpt: Vec<u8>,
}

/// Why an event could not be sent: the error and its causes, on one line.
#[derive(Debug, thiserror::Error)]
#[error("{text}")]
pub struct SendError {
    text: String,
    timed_out: bool,
}

impl SendError {
    /// Whether the receiver gave no (complete) answer within the timeout.
    pub fn is_timeout(&self) -> bool {
        self.timed_out
    }

    fn new(error: &reqwest::Error, timeout: Duration) -> Self {
        let mut text = if error.is_timeout() {
            format!("no answer within {} s", timeout.as_secs_f64())
        } else {
            String::from("request failed")
        };
        text.push_str(&crate::causes(error));
        Self {
            text,
            timed_out: error.is_timeout(),
        }
    }
}

/// POSTs `body` to `url` as Connectly does: `content-type: text/plain; charset=utf-8` and
/// `x-connectly-hmac-sha256: sign(secret, body)`. Redirects are not followed, the whole exchange
/// is bounded by `timeout`, and a loopback host is reached directly: no proxy, and `localhost`
/// pinned to the loopback addresses (no DNS). Which URLs are acceptable is the caller's call.
pub async fn send_event(
    url: &reqwest::Url,
    secret: &[u8],
    body: Vec<u8>,
    timeout: Duration,
) -> Result<Answer, SendError> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none());
    if connectly_net::is_loopback(url) {
        builder = builder.no_proxy().resolve_to_addrs(
            "localhost",
            &[
                SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
            ],
        );
    }
    let client = builder.build().map_err(|e| SendError::new(&e, timeout))?;
    let signature = sign(secret, &body);
    let mut response = client
        .post(url.clone())
        .header("content-type", "text/plain; charset=utf-8")
        .header(SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await
        .map_err(|e| SendError::new(&e, timeout))?;
    let status = response.status();
    let mut excerpt = Vec::new();
    while excerpt.len() < ANSWER_EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
            // The status is what counts; a body cut short is reported as far as it came.
            Ok(None) | Err(_) => break,
        }
    }
    excerpt.truncate(ANSWER_EXCERPT_BYTES);
    Ok(Answer { status, excerpt })
}
