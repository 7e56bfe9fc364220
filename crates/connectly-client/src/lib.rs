#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod builder;
mod call;
mod error;
mod outcome;
mod rate;
pub mod reconcile;
mod redact;
mod retry;
mod transport;

/// The raw progenitor output: the generated `Client` and its `types`. Prefer [`crate::Client`],
/// which wraps it with the API key, typed errors and the transport policy.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/codegen.rs"));
}

/// Typed httpmock helpers generated from the spec: `server.create_webhook(|when, then| ...)`.
/// Enabled by the `httpmock` feature, for users' own tests.
#[cfg(feature = "httpmock")]
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod mock {
    include!(concat!(env!("OUT_DIR"), "/codegen_httpmock.rs"));
}

use std::{fmt, sync::Arc, time::Duration};

pub use builder::{ApiKey, ClientBuilder};
pub use call::RetryNotice;
use call::{OnRetry, Operation};
pub use error::{ApiError, BuildError, DecodeError, Error};
pub use generated::types;
pub use reconcile::{UpsertOutcome, Upserted};
pub use reqwest::StatusCode;
use retry::Safety;
pub use retry::{
    RetryPolicy, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF, DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_BUDGET, MAX_RETRIES, MIN_RETRY_DELAY,
};

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://api.connectly.ai";
/// Default time allowed to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for a whole request, from sending to the last byte of the response.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on a response body, in bytes (1 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// A Connectly webhooks client. Cheap to clone (the connection pool is shared).
///
/// Its `Debug` output shows the base URL, never the API key.
#[derive(Clone)]
pub struct Client {
    /// The generated client: base URL, connection pool, and the transport hook's settings.
    api: generated::Client,
    api_key: ApiKey,
    retry: RetryPolicy,
    rate_limit: Option<Arc<rate::RateLimit>>,
    on_retry: Option<OnRetry>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url())
            .field("api_key", &self.api_key)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the production API with the default settings.
    pub fn new(api_key: impl Into<ApiKey>) -> Result<Self, BuildError> {
        Self::builder(api_key).build()
    }

    /// A builder, to change the base URL, timeouts, user agent or response cap.
    pub fn builder(api_key: impl Into<ApiKey>) -> ClientBuilder {
        ClientBuilder::new(api_key.into())
    }

    /// The base URL requests go to (without a trailing slash).
    pub fn base_url(&self) -> &str {
        &self.api.baseurl
    }

    /// Registers `registration.address` for `registration.topic` (Create Webhook). Returns the
    /// new registration's id. A topic that already has a registration gives
    /// [`Error::AlreadyRegistered`]. Retried only when it certainly was not applied (no
    /// connection, or 429); see [`RetryPolicy`].
    ///
    /// Runnable against a local mock server (here httpmock, on loopback):
    ///
    /// ```
    /// use connectly_client::{types, Client, Error};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let server = httpmock::MockServer::start_async().await;
    /// server.mock(|when, then| {
    ///     when.method("POST").path("/v1/businesses/biz_1/create/webhooks");
    ///     then.status(409).json_body(serde_json::json!({
    ///         "message": "an endpoint is already registered for this topic",
    ///         "code": "ERROR_CODE_ALREADY_EXISTS",
    ///     }));
    /// });
    /// let client = Client::builder("sk_test").base_url(server.base_url()).build().unwrap();
    /// let registration: types::CreateWebhookRequest = serde_json::from_value(serde_json::json!({
    ///     "topic": "messages",
    ///     "address": "https://example.com/webhook/messages",
    /// }))
    /// .unwrap();
    ///
    /// match client.create_webhook("biz_1", &registration).await {
    ///     Ok(created) => println!("registered {}", created.id),
    ///     Err(Error::AlreadyRegistered { body, .. }) => {
    ///         assert_eq!(body.code.as_deref(), Some("ERROR_CODE_ALREADY_EXISTS"));
    ///         // update the existing registration instead (see `update_webhook`)
    ///     }
    ///     Err(other) => panic!("{other}"),
    /// }
    /// # }
    /// ```
    pub async fn create_webhook(
        &self,
        business_id: &str,
        registration: &types::CreateWebhookRequest,
    ) -> Result<types::CreateWebhookResponse, Error> {
        let id = &path_segment("business id", business_id)?;
        let op = Operation {
            name: "create_webhook",
            business_id,
            safety: Safety::NotIdempotent,
        };
        self.call(op, || self.api.create_webhook(id, registration))
            .await
            .0
    }

    /// Lists the business's registrations (Get Webhooks). Retried per the [`RetryPolicy`].
    pub async fn list_webhooks(&self, business_id: &str) -> Result<types::WebhookList, Error> {
        let id = &path_segment("business id", business_id)?;
        let op = Operation {
            name: "list_webhooks",
            business_id,
            safety: Safety::Idempotent,
        };
        let (response, _) = self.call(op, || self.api.list_webhooks(id)).await;
        Ok(response?.entity)
    }

    /// Changes the address and/or configuration of a registration (Update Webhook); fields left
    /// `None` keep their value. An unknown id gives [`Error::NotFound`]. Retried per the
    /// [`RetryPolicy`] (sending the same update twice leaves the same state).
    pub async fn update_webhook(
        &self,
        business_id: &str,
        webhook_id: &str,
        update: &types::UpdateWebhookRequest,
    ) -> Result<(), Error> {
        let id = &path_segment("business id", business_id)?;
        let webhook = &path_segment("webhook id", webhook_id)?;
        let op = Operation {
            name: "update_webhook",
            business_id,
            safety: Safety::Idempotent,
        };
        let (response, _) = self
            .call(op, || self.api.update_webhook(id, webhook, update))
            .await;
        response.map(drop)
    }

    /// Deletes a registration (Delete Webhook). An unknown id gives [`Error::NotFound`].
    /// Retried per the [`RetryPolicy`]; when an earlier attempt may have been applied (a
    /// timeout, a lost connection) and a retry then answers 404, the registration is gone
    /// either way and the call succeeds.
    pub async fn delete_webhook(&self, business_id: &str, webhook_id: &str) -> Result<(), Error> {
        let id = &path_segment("business id", business_id)?;
        let webhook = &path_segment("webhook id", webhook_id)?;
        let op = Operation {
            name: "delete_webhook",
            business_id,
            safety: Safety::Idempotent,
        };
        let (response, attempts) = self.call(op, || self.api.delete_webhook(id, webhook)).await;
        match response {
            Ok(_) => Ok(()),
            Err(Error::NotFound { .. }) if attempts.earlier_outcome_unknown => {
                tracing::info!(
                    webhook_id,
                    "404 after an attempt that may have deleted it: the registration is gone"
                );
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// Lists the latest run of each report configured for the business (List Reports), only
    /// those of `report_type` when given (e.g. `campaign.daily.v1`). A run's
    /// `result.url` is a fresh download URL. Retried per the [`RetryPolicy`] (a read).
    pub async fn list_reports(
        &self,
        business_id: &str,
        report_type: Option<&str>,
    ) -> Result<Vec<types::ListedReport>, Error> {
        let id = &path_segment("business id", business_id)?;
        let report_type: Option<types::ListReportsType> = report_type
            .map(|t| {
                t.to_owned()
                    .try_into()
                    .map_err(|e: types::error::ConversionError| Error::InvalidInput {
                        what: "report type",
                        reason: if t.is_empty() {
                            "it is empty".to_owned()
                        } else {
                            e.to_string()
                        },
                    })
            })
            .transpose()?;
        let report_type = &report_type;
        let op = Operation {
            name: "list_reports",
            business_id,
            safety: Safety::Idempotent,
        };
        let (response, _) = self
            .call(op, || self.api.list_reports(id, report_type.as_ref()))
            .await;
        Ok(response?.data)
    }
}

/// Checks an id before it becomes a path segment. Percent-encoding keeps `/`, `?`, `#` and `%`
/// inside the segment, but the dot segments would still be resolved by URL normalisation.
fn path_segment<T>(what: &'static str, value: &str) -> Result<T, Error>
where
    T: for<'v> TryFrom<&'v str, Error: fmt::Display>,
{
    if value == "." || value == ".." {
        return Err(Error::InvalidInput {
            what,
            reason: format!("{value:?} is a dot segment and would change the request path"),
        });
    }
    // `encode_path` leaves `\` as is, and the URL parser reads it as `/` in http(s) URLs: the id
    // would leave its segment (`..\other` reaches another business).
    if value.contains('\\') {
        return Err(Error::InvalidInput {
            what,
            reason: "a backslash would be read as `/` and change the request path".to_owned(),
        });
    }
    T::try_from(value).map_err(|e| Error::InvalidInput {
        what,
        reason: if value.is_empty() {
            "it is empty".to_owned()
        } else {
            e.to_string()
        },
    })
}
