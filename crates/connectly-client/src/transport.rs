//! The transport hook of the generated client, the one place a response is read: every body is
//! read here, once, under the size cap, and handed on to the generated code in memory. What the
//! generated code cannot keep (the request sent, the status of an undecodable body, a body cut at
//! the cap) goes to the attempt's [`Observed`], which [`observe`] returns beside the attempt's
//! outcome, for [`crate::outcome::settle`] and the retry notice.

use std::cell::RefCell;
use std::future::Future;

use bytes::Bytes;
use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::{Method, ResponseBuilderExt as _, StatusCode, Url};

use crate::generated;

/// The generated client's context: the settings its transport hook needs.
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

/// What the transport hook saw of one attempt.
#[derive(Debug, Default)]
pub(crate) struct Observed {
    /// The request's method and URL, once it was sent.
    pub(crate) sent: Option<(Method, Url)>,
    /// The response's status, once one arrived.
    pub(crate) status: Option<StatusCode>,
    /// The body was over the cap and was cut there.
    pub(crate) too_large: bool,
}

impl Observed {
    /// The request's method, and its path and query as sent (empty before it was sent).
    pub(crate) fn request(&self) -> (String, String) {
        self.sent
            .as_ref()
            .map_or_else(Default::default, |(method, url)| {
                (
                    method.to_string(),
                    url[url::Position::BeforePath..].to_owned(),
                )
            })
    }
}

tokio::task_local! {
    /// What the hook saw of the attempt being polled (scoped by [`observe`]).
    static ATTEMPT: RefCell<Observed>;
}

/// Runs one attempt and returns its output with what the transport hook saw of it.
///
/// One generated client serves every call of a [`crate::Client`] (building one per attempt cost
/// about 2 % of throughput in the request-overhead bench), so what the hook sees goes to a
/// task-local scoped to the attempt: concurrent calls never see each other's.
pub(crate) async fn observe<F: Future>(attempt: F) -> (F::Output, Observed) {
    ATTEMPT
        .scope(RefCell::default(), async {
            let output = attempt.await;
            (output, ATTEMPT.with(RefCell::take))
        })
        .await
}

/// Records what the hook saw, when an attempt is being observed (a generated client used
/// directly, outside [`crate::Client`], has nobody to tell).
fn record(update: impl FnOnce(&mut Observed)) {
    let _ = ATTEMPT.try_with(|seen| update(&mut seen.borrow_mut()));
}

impl ClientHooks<CallContext> for generated::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        _info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        record(|seen| seen.sent = Some((request.method().clone(), request.url().clone())));
        let mut response = self.client.execute(request).await?;
        let status = response.status();
        let (body, too_large) = read_capped(&mut response, self.inner.max_response_bytes).await?;
        record(|seen| {
            seen.status = Some(status);
            seen.too_large = too_large;
        });
        Ok(rebuild(response, Bytes::from(body)))
    }
}

/// Reads the whole body, stopping at `cap` bytes (the rest is not downloaded). Every body: a
/// success with a declared length within the cap used to skip this read, and the request-overhead
/// bench measured no difference without that shortcut.
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

/// The response again, with `body` (complete, in memory) as its body.
fn rebuild(mut original: reqwest::Response, body: Bytes) -> reqwest::Response {
    // Keeping the request's URL also spares `reqwest::Response::from` parsing a placeholder URL.
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
