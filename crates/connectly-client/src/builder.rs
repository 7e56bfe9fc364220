//! Building a [`Client`]: the API key ([`ApiKey`]), the settings ([`ClientBuilder`]) and the
//! checks of the base URL and the key before anything is sent.

use std::{
    fmt,
    net::{Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use reqwest::header;

use crate::{
    call::OnRetry, generated, rate, transport, BuildError, Client, RetryNotice, RetryPolicy,
    DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
};

/// A Connectly API key. Its `Debug` and `Display` never show it.
///
/// ```
/// let key = connectly_client::ApiKey::from("sk_live_123");
/// assert_eq!(format!("{key:?}"), "ApiKey([redacted])");
/// ```
#[derive(Clone)]
pub struct ApiKey(Arc<str>);

impl ApiKey {
    /// The key itself, for the header and for redaction.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        Self(key.into())
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        Self(key.into())
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Configures a [`Client`]. Start from [`Client::builder`].
///
/// ```
/// use std::time::Duration;
/// let client = connectly_client::Client::builder("sk_test")
///     .timeout(Duration::from_secs(5))
///     .build()?;
/// # Ok::<(), connectly_client::BuildError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    api_key: ApiKey,
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
    max_response_bytes: usize,
    retry: RetryPolicy,
    rate_limit: u32,
    on_retry: Option<OnRetry>,
}

impl ClientBuilder {
    /// The defaults, with this key ([`Client::builder`]).
    pub(crate) fn new(api_key: ApiKey) -> Self {
        Self {
            api_key,
            base_url: DEFAULT_BASE_URL.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            user_agent: concat!("connectly-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            retry: RetryPolicy::default(),
            rate_limit: 0,
            on_retry: None,
        }
    }

    /// The API's base URL (default [`DEFAULT_BASE_URL`]). Must be HTTPS unless the host is
    /// loopback; may carry a path prefix; must not carry credentials, a query or a fragment.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Time allowed to establish a connection (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for a whole request, response body included (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `connectly-rs/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Largest response body accepted, in bytes (default [`DEFAULT_MAX_RESPONSE_BYTES`]).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// When and how calls are retried (default: [`RetryPolicy::default`], on). Create is only
    /// retried when it certainly was not applied; see [`RetryPolicy`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Calls `hook` before each retry's wait, with what is retried, when and why (a
    /// [`RetryNotice`]), so that a program can tell its user. It runs on the calling task:
    /// keep it short, and do not block in it.
    ///
    /// ```
    /// use connectly_client::Client;
    /// let client = Client::builder("sk_test")
    ///     .on_retry(|notice| {
    ///         eprintln!(
    ///             "retrying {} {} in {:.1} s (attempt {} of {}): {}",
    ///             notice.method,
    ///             notice.path.escape_debug(),
    ///             notice.delay.as_secs_f64(),
    ///             notice.attempt,
    ///             notice.max_attempts,
    ///             notice.error.escape_debug(),
    ///         )
    ///     })
    ///     .build()?;
    /// # Ok::<(), connectly_client::BuildError>(())
    /// ```
    pub fn on_retry(mut self, hook: impl Fn(&RetryNotice) + Send + Sync + 'static) -> Self {
        self.on_retry = Some(OnRetry(Arc::new(hook)));
        self
    }

    /// At most `requests_per_second` requests per second from this client and its clones,
    /// evenly spaced (retries count; a call waits for its turn). `0`, the default, means no
    /// limit. For fleet runs that must stay under Connectly's rate limits.
    pub fn rate_limit(mut self, requests_per_second: u32) -> Self {
        self.rate_limit = requests_per_second;
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client, BuildError> {
        let base_url = check_base_url(&self.base_url)?;
        let mut key = header::HeaderValue::from_str(self.api_key.expose())
            .ok()
            .filter(|_| {
                self.api_key
                    .expose()
                    .bytes()
                    .all(|b| b.is_ascii_graphic() || b == b' ')
            })
            .ok_or(BuildError::InvalidApiKey(
                "it must be visible ASCII, without CR, LF or other control characters",
            ))?;
        if self.api_key.expose().trim().is_empty() {
            return Err(BuildError::InvalidApiKey("it is empty"));
        }
        key.set_sensitive(true);
        let mut headers = header::HeaderMap::new();
        headers.insert("x-api-key", key);
        let user_agent = header::HeaderValue::from_str(&self.user_agent)
            .map_err(|_| BuildError::InvalidUserAgent(self.user_agent.clone()))?;
        headers.insert(header::USER_AGENT, user_agent);
        let mut http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::none());
        if connectly_net::is_loopback(&base_url) {
            // Plain http is allowed here only: a proxy of the environment (HTTP_PROXY,
            // ALL_PROXY...) would read the key in clear, so loopback is reached directly, and
            // `localhost` is the loopback addresses, not what DNS says.
            http = http.no_proxy().resolve_to_addrs(
                "localhost",
                &[
                    SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                    SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
                ],
            );
        }
        let http = http.build().map_err(BuildError::Http)?;
        Ok(Client {
            api: generated::Client::new_with_client(
                base_url.as_str().trim_end_matches('/'),
                http,
                transport::CallContext {
                    max_response_bytes: self.max_response_bytes,
                },
            ),
            api_key: self.api_key,
            retry: self.retry,
            rate_limit: (self.rate_limit > 0)
                .then(|| Arc::new(rate::RateLimit::per_second(self.rate_limit))),
            on_retry: self.on_retry,
        })
    }
}

fn check_base_url(given: &str) -> Result<connectly_net::Url, BuildError> {
    let invalid = |reason: &str| BuildError::InvalidBaseUrl {
        url: connectly_net::shown_str(given),
        reason: reason.to_owned(),
    };
    let url = connectly_net::Url::parse(given).map_err(|e| invalid(&e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("credentials do not belong in the URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "a query or fragment does not belong in the base URL",
        ));
    }
    match connectly_net::check_transport(&url) {
        Ok(()) => {}
        Err(connectly_net::Refusal::PlainHttp) => {
            return Err(BuildError::InsecureBaseUrl {
                url: connectly_net::shown_str(given),
            })
        }
        Err(refusal) => return Err(invalid(&refusal.to_string())),
    }
    Ok(url)
}
