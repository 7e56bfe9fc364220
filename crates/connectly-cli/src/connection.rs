//! The API connection of a verb, from its API options: the key (environment or file, never
//! printed), the business id, and a client (or the in-process fake of `--mock`).

use connectly_client::Client;
use connectly_mock::MockServer;

use crate::output::Printer;
use crate::{input, mock, ApiArgs, Failure};

/// A client, and the in-process mock it talks to under `--mock`.
pub(crate) struct Connection {
    pub(crate) client: Client,
    _mock: Option<MockServer>,
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
    let client = builder.build().map_err(|e| Failure::usage(e.to_string()))?;
    Ok(Connection {
        client,
        _mock: mock,
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
