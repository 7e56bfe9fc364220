//! The API connection of a verb, from its API options: the key (environment or file, never
//! printed), the business id, and a client (or the in-process fake of `--mock`).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use connectly_client::Client;
use connectly_mock::MockServer;

use crate::output::Printer;
use crate::{input, mock, ApiArgs, Failure};

/// A client, and the in-process mock it talks to under `--mock`.
pub(crate) struct Connection {
    pub(crate) client: Client,
    _mock: Option<MockServer>,
    /// When the command's calls began.
    started: Instant,
    /// The last retry the client told of: when its call began, and the attempt it sent.
    last_retry: Arc<Mutex<Option<(Instant, u32)>>>,
}

impl Connection {
    /// For a timeout: how long the failed call waited, measured, over how many attempts.
    pub(crate) fn waited(&self, failure: Failure, api: &ApiArgs) -> Failure {
        let last = *self
            .last_retry
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (started, attempts) = last.unwrap_or((self.started, 1));
        failure.waited(started.elapsed(), attempts, api.timeout.duration())
    }
}

/// One status line per retry, before its wait (`-q` silences it); noted for the timeout hint.
fn on_retry(
    printer: &Printer,
    notice: &connectly_client::RetryNotice,
    last: &Mutex<Option<(Instant, u32)>>,
) {
    let call_started = Instant::now().checked_sub(notice.elapsed);
    *last.lock().unwrap_or_else(PoisonError::into_inner) =
        call_started.map(|started| (started, notice.attempt));
    printer.status(format!(
        "retrying {} {} in {:.1} s (attempt {} of {}): {}",
        notice.method,
        notice.path,
        notice.delay.as_secs_f64(),
        notice.attempt,
        notice.max_attempts,
        notice.error
    ));
}

pub(crate) async fn connect(printer: &Printer, api: &ApiArgs) -> Result<Connection, Failure> {
    let (mut builder, mock) = if api.mock {
        let mock = mock::in_process(printer).await?;
        (
            Client::builder(mock.api_key()).base_url(mock.base_url()),
            Some(mock),
        )
    } else {
        let key = api_key(api)?;
        (Client::builder(key).base_url(api.base_url.clone()), None)
    };
    if let Some(timeout) = api.timeout.seconds {
        builder = builder.timeout(timeout);
    }
    builder = builder.retry(connectly_client::RetryPolicy::default().max_retries(api.retries));
    if let Some(rate) = api.rate {
        builder = builder.rate_limit(rate);
    }
    let last_retry = Arc::new(Mutex::new(None));
    let (heard, shown) = (last_retry.clone(), printer.clone());
    builder = builder.on_retry(move |notice| on_retry(&shown, notice, &heard));
    let client = builder.build().map_err(|e| Failure::usage(e.to_string()))?;
    Ok(Connection {
        client,
        _mock: mock,
        started: Instant::now(),
        last_retry,
    })
}

fn api_key(api: &ApiArgs) -> Result<String, Failure> {
    if let Some(path) = &api.api_key_file {
        let bytes = input::read_file(path, "an --api-key-file", input::MAX_KEY_FILE_BYTES)
            .map_err(|e| Failure::usage(format!("--api-key-file: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Failure::usage(format!(
                "--api-key-file {}: the key is not UTF-8 text",
                path.display()
            ))
        })?;
        return Ok(text.trim_end_matches(['\r', '\n']).to_owned());
    }
    match std::env::var("CONNECTLY_API_KEY") {
        Ok(key) if !key.is_empty() => Ok(key),
        _ => Err(Failure::usage(
            "no API key: set CONNECTLY_API_KEY or pass --api-key-file PATH (or try --mock)"
                .to_owned(),
        )),
    }
}

/// The business id from the flag or the environment, else from a config file.
pub(crate) fn business_id(api: &ApiArgs, from_file: Option<&str>) -> Result<String, Failure> {
    match (
        api.business_id.as_deref().filter(|id| !id.is_empty()),
        from_file,
    ) {
        (Some(flag), Some(file)) if flag != file => Err(Failure::usage(format!(
            "--business-id {flag:?} differs from the file's businessId {file:?}"
        ))),
        (Some(id), _) | (None, Some(id)) => Ok(id.to_owned()),
        (None, None) => Err(Failure::usage(
            "no business id: pass --business-id ID or set CONNECTLY_BUSINESS_ID".to_owned(),
        )),
    }
}
