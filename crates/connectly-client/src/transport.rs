//! The transport hook of the generated client: every response body is read here, once, under a
//! size cap, and what the generated code cannot keep (the status of an undecodable body, an
//! excerpt of a non-JSON error page, an oversized body) is recorded in the call's context.

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::{ResponseBuilderExt as _, StatusCode};

use crate::generated;

/// Per-call state shared between the transport hook and [`crate::Client`]'s error mapping.
///
/// Every call builds its own generated client around a fresh context, so concurrent calls never
/// see each other's state.
#[derive(Clone, Debug, Default)]
pub struct CallContext {
    pub(crate) max_response_bytes: usize,
    state: Arc<Mutex<CallState>>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct CallState {
    /// Status of the response, once one arrived.
    pub(crate) status: Option<StatusCode>,
    /// The body was over the cap and was cut there.
    pub(crate) too_large: bool,
    /// An error status came with a body that is not Connectly's error object; the generated code
    /// sees `{}` instead and this keeps a safe excerpt of the original.
    pub(crate) replaced_error_body: Option<String>,
}

impl CallContext {
    pub(crate) fn new(max_response_bytes: usize) -> Self {
        Self {
            max_response_bytes,
            state: Arc::default(),
        }
    }

    pub(crate) fn state(&self) -> CallState {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn update(&self, f: impl FnOnce(&mut CallState)) {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner));
    }
}

impl ClientHooks<CallContext> for generated::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let ctx = progenitor_client::ClientInfo::inner(self);
        let mut response = self.client.execute(request).await?;
        let status = response.status();
        // Fast path: a success whose declared length is within the cap goes to the generated
        // code as it is (hyper never reads past a declared length, so the cap holds). Anything
        // else (an error status, a chunked or too long body) is read here first.
        if status.is_success()
            && response
                .content_length()
                .is_some_and(|n| n <= ctx.max_response_bytes as u64)
        {
            ctx.update(|s| s.status = Some(status));
            return Ok(response);
        }
        let (body, too_large) = read_capped(&mut response, ctx.max_response_bytes).await?;
        let mut body = Bytes::from(body);
        let mut replaced = None;
        if !status.is_success()
            && !too_large
            && serde_json::from_slice::<generated::types::Error>(&body).is_err()
        {
            replaced = Some(excerpt(&body));
            body = Bytes::from_static(b"{}");
        }
        ctx.update(|s| {
            s.status = Some(status);
            s.too_large = too_large;
            s.replaced_error_body = replaced;
        });
        Ok(rebuild(response, body))
    }
}

/// Reads the whole body, stopping at `cap` bytes (the rest is not downloaded).
async fn read_capped(
    response: &mut reqwest::Response,
    cap: usize,
) -> reqwest::Result<(Vec<u8>, bool)> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > cap {
            body.extend_from_slice(&chunk[..cap - body.len()]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

fn rebuild(mut original: reqwest::Response, body: Bytes) -> reqwest::Response {
    // Keeping the request's URL also spares `reqwest::Response::from` parsing a placeholder URL
    // on every call: it was the largest item of the client's own per-request work (BENCHMARKS.md).
    let mut builder = http::Response::builder()
        .status(original.status())
        .version(original.version())
        .url(original.url().clone());
    if let Some(headers) = builder.headers_mut() {
        *headers = std::mem::take(original.headers_mut());
        // The body is now complete and in memory: the original framing no longer applies.
        headers.remove(reqwest::header::CONTENT_LENGTH);
        headers.remove(reqwest::header::TRANSFER_ENCODING);
    }
    let response = builder
        .body(body)
        .expect("status, version and headers come from a valid response");
    reqwest::Response::from(response)
}

/// Longest excerpt of a response body kept in an error, in characters.
pub(crate) const EXCERPT_CHARS: usize = 200;

/// A short excerpt of a body that is safe to print: at most [`EXCERPT_CHARS`] characters (plus
/// a final `…` when cut), lossy UTF-8, control characters escaped. The cap counts the escaped
/// text, so a body full of control bytes (`\u{1}` is 5 characters) is not 5 times longer.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut chars = 0;
    for c in text.chars() {
        let escaped: String = if c.is_control() {
            c.escape_default().collect()
        } else {
            c.into()
        };
        let len = escaped.chars().count();
        if chars + len > EXCERPT_CHARS {
            out.push('…');
            break;
        }
        chars += len;
        out.push_str(&escaped);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_short_and_printable() {
        let long = "a".repeat(1000);
        assert_eq!(excerpt(long.as_bytes()).chars().count(), EXCERPT_CHARS + 1);
        assert_eq!(excerpt(b"<h1>\r\nBad"), "<h1>\\r\\nBad");
        assert_eq!(excerpt(&[0xff, b'x']), "\u{fffd}x");
        let controls = excerpt(&[1; 1000]);
        assert_eq!(controls.chars().count(), EXCERPT_CHARS / 5 * 5 + 1);
        assert!(controls.starts_with("\\u{1}\\u{1}") && controls.ends_with('…'));
        assert_eq!(excerpt(&[b'a'; EXCERPT_CHARS]), "a".repeat(EXCERPT_CHARS));
    }
}
