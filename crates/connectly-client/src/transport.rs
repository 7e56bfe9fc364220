//! The transport hook of the generated client: every error body, and every success body that
//! does not declare a length within the cap, is read here, once, under the size cap, and handed
//! on to the generated code in memory. What the generated code cannot keep (the status of an
//! undecodable body, a body cut at the cap) is recorded in the attempt's task-local state
//! ([`observe`]) for [`crate::error::from_failure`].

use std::cell::Cell;
use std::future::Future;

use bytes::Bytes;
use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::{ResponseBuilderExt as _, StatusCode};

use crate::generated;

/// The generated client's context: the settings its transport hook needs.
///
/// One generated client, built with the [`crate::Client`], serves every call. What the hook
/// sees of one attempt's response goes to a task-local [`CallState`] that [`observe`] scopes to
/// that attempt, so concurrent calls never see each other's state, and an attempt allocates
/// nothing for it.
///
/// Its default is the client's default cap ([`crate::DEFAULT_MAX_RESPONSE_BYTES`]): a generated
/// client built with `Default::default()` reads answers up to it (a cap of 0 would cut every
/// non-empty body).
#[derive(Clone, Debug)]
pub struct CallContext {
    pub(crate) max_response_bytes: usize,
}

impl Default for CallContext {
    fn default() -> Self {
        Self {
            max_response_bytes: crate::DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// What the transport saw of the response.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct CallState {
    /// Status of the response, once one arrived.
    pub(crate) status: Option<StatusCode>,
    /// The body was over the cap and was cut there.
    pub(crate) too_large: bool,
}

tokio::task_local! {
    /// The state of the attempt being polled (set by [`observe`]).
    static ATTEMPT: Cell<CallState>;
}

/// Runs one attempt (the future `attempt` makes) and hands its output, with what the transport
/// hook saw of its response, to `settle`, inside the attempt's scope.
///
/// It takes the maker rather than the future so that the future is built in place, inside the
/// scope: awaiting a future held by value would keep two copies of it in the call's state.
/// It settles inside the scope so that the scope's output is small. With the raw outcome (328
/// bytes with the state) as its output, tokio's task-local future made 8 more `memcpy` calls
/// per request at 64 in flight (callgrind; BENCHMARKS.md §1 at commit 75c538e, seventh pass).
pub(crate) fn observe<F, Fut, G, R>(attempt: F, settle: G) -> impl Future<Output = R>
where
    F: FnOnce() -> Fut,
    Fut: Future,
    G: FnOnce(Fut::Output, CallState) -> R,
{
    ATTEMPT.scope(Cell::default(), async move {
        let output = attempt().await;
        settle(output, ATTEMPT.with(Cell::get))
    })
}

/// Records what the hook saw, when an attempt is being observed (a generated client used
/// directly, outside [`crate::Client`], has nobody to tell).
fn record(state: CallState) {
    let _ = ATTEMPT.try_with(|cell| cell.set(state));
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
            record(CallState {
                status: Some(status),
                too_large: false,
            });
            return Ok(response);
        }
        let (body, too_large) = read_capped(&mut response, ctx.max_response_bytes).await?;
        record(CallState {
            status: Some(status),
            too_large,
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
    // on every call: it was the largest item of the client's own per-request work (BENCHMARKS.md at commit 75c538e).
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
