//! The transport hook of the generated client: every error body, and every success body that
//! does not declare a length within the cap, is read here, once, under the size cap, and handed
//! on to the generated code in memory. What the generated code cannot keep (the status of an
//! undecodable body, a body cut at the cap) is recorded in the call's context for
//! [`crate::error::from_failure`].

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::{ResponseBuilderExt as _, StatusCode};

use crate::generated;

/// Per-attempt state shared between the transport hook and the error mapping.
///
/// Every attempt builds its own generated client around a fresh context, so concurrent calls
/// never see each other's state.
#[derive(Clone, Debug, Default)]
pub struct CallContext {
    pub(crate) max_response_bytes: usize,
    state: Arc<Mutex<CallState>>,
}

/// What the transport saw of the response.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CallState {
    /// Status of the response, once one arrived.
    pub(crate) status: Option<StatusCode>,
    /// The body was over the cap and was cut there.
    pub(crate) too_large: bool,
}

impl CallContext {
    pub(crate) fn new(max_response_bytes: usize) -> Self {
        Self {
            max_response_bytes,
            state: Arc::default(),
        }
    }

    pub(crate) fn state(&self) -> CallState {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner)
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
        ctx.update(|s| {
            s.status = Some(status);
            s.too_large = too_large;
        });
        Ok(rebuild(response, Bytes::from(body)))
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
