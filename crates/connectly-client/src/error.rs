//! The errors of [`crate::Client`] and [`crate::ClientBuilder`].

use reqwest::StatusCode;

use crate::types;

/// Connectly's error body (`message`, `type`, `code`, `cntTraceId`, ...), as generated from the
/// spec's `Error` schema. Every field is optional.
pub type ApiError = types::Error;

/// What went wrong with a call. Match on it; every variant that comes from a response keeps the
/// HTTP status.
///
/// No variant ever contains the API key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 409: the topic already has a registration for this business. Update that registration
    /// (its id is in the list) instead of creating a second one.
    #[error(
        "{status}: the topic already has a registration; update it instead{}",
        describe(body)
    )]
    AlreadyRegistered {
        /// The HTTP status (409).
        status: StatusCode,
        /// Connectly's error body.
        body: Box<ApiError>,
    },
    /// 400: malformed body or invalid field values.
    #[error("{status}: Connectly refused the request as invalid{}", describe(body))]
    InvalidRequest {
        /// The HTTP status (400).
        status: StatusCode,
        /// Connectly's error body.
        body: Box<ApiError>,
    },
    /// 401: the API key is missing or invalid.
    #[error("{status}: the API key was refused{}", describe(body))]
    Unauthorized {
        /// The HTTP status (401).
        status: StatusCode,
        /// Connectly's error body.
        body: Box<ApiError>,
    },
    /// 404: unknown webhook id.
    #[error("{status}: no such registration{}", describe(body))]
    NotFound {
        /// The HTTP status (404).
        status: StatusCode,
        /// Connectly's error body.
        body: Box<ApiError>,
    },
    /// 500: Connectly failed.
    #[error("{status}: Connectly failed{}", describe(body))]
    Server {
        /// The HTTP status (500).
        status: StatusCode,
        /// Connectly's error body.
        body: Box<ApiError>,
    },
    /// A status the API reference does not document for this operation (a proxy's 502, a 429,
    /// a redirect, ...).
    #[error(
        "{status}: unexpected response{}{}",
        describe_opt(body),
        describe_excerpt(excerpt)
    )]
    UnexpectedStatus {
        /// The HTTP status.
        status: StatusCode,
        /// The body, when it was Connectly's error object.
        body: Option<Box<ApiError>>,
        /// A short, printable excerpt of the body.
        excerpt: String,
        /// The delay the server asked for in `Retry-After` (seconds form), if any.
        retry_after: Option<std::time::Duration>,
    },
    /// A success status whose body is not the documented JSON.
    #[error(
        "{}: the response body is not the documented JSON ({source}){}",
        status_or_unknown(status),
        describe_excerpt(excerpt)
    )]
    Decode {
        /// The HTTP status.
        status: Option<StatusCode>,
        /// A short, printable excerpt of the body.
        excerpt: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// The response body was larger than the client's cap ([`crate::ClientBuilder::max_response_bytes`]).
    #[error("{status}: the response body is larger than the {limit}-byte cap")]
    ResponseTooLarge {
        /// The HTTP status.
        status: StatusCode,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The connection or the whole request took longer than its timeout.
    #[error("timed out: {0}")]
    Timeout(#[source] reqwest::Error),
    /// The request could not be sent or the response not read (DNS, TLS, connection reset...).
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// An argument was refused before anything was sent (an empty or dot-segment id, ...).
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// Which argument.
        what: &'static str,
        /// Why.
        reason: String,
    },
}

impl Error {
    /// The HTTP status of the response this error came from, if one arrived.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::AlreadyRegistered { status, .. }
            | Error::InvalidRequest { status, .. }
            | Error::Unauthorized { status, .. }
            | Error::NotFound { status, .. }
            | Error::Server { status, .. }
            | Error::UnexpectedStatus { status, .. }
            | Error::ResponseTooLarge { status, .. } => Some(*status),
            Error::Decode { status, .. } => *status,
            Error::Timeout(e) | Error::Transport(e) => e.status(),
            Error::InvalidInput { .. } => None,
        }
    }

    /// Whether the request may have reached Connectly and been applied although this error was
    /// returned, so that a create must not simply be sent again (list first, and compare).
    ///
    /// `true`: a timeout or a broken connection after the request could have been sent, a body
    /// cut short, a success status whose body could not be read or decoded, and a gateway's
    /// 502 or 504 (the gateway may have passed the request on before it failed).
    /// `false`: nothing was sent (an argument refused, a connection that could not be
    /// established: refused, DNS, TLS handshake, connect timeout) or Connectly answered with
    /// any other status, which says what happened.
    ///
    /// ```
    /// # async fn run(client: connectly_client::Client, r: connectly_client::types::CreateWebhookRequest) {
    /// match client.create_webhook("biz_1", &r).await {
    ///     Err(e) if e.outcome_unknown() => { /* list, then decide whether to create again */ }
    ///     other => { /* the outcome is known */ }
    /// }
    /// # }
    /// ```
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Error::AlreadyRegistered { .. }
            | Error::InvalidRequest { .. }
            | Error::Unauthorized { .. }
            | Error::NotFound { .. }
            | Error::Server { .. }
            | Error::InvalidInput { .. } => false,
            Error::UnexpectedStatus { status, .. } => {
                matches!(status.as_u16(), 502 | 504)
            }
            Error::ResponseTooLarge { status, .. } => status.is_success(),
            Error::Decode { .. } => true,
            Error::Timeout(e) | Error::Transport(e) => !(e.is_connect() || e.is_builder()),
        }
    }

    /// Connectly's error body, when the response carried one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::AlreadyRegistered { body, .. }
            | Error::InvalidRequest { body, .. }
            | Error::Unauthorized { body, .. }
            | Error::NotFound { body, .. }
            | Error::Server { body, .. } => Some(body),
            Error::UnexpectedStatus { body, .. } => body.as_deref(),
            _ => None,
        }
    }

    /// Whether the request may have reached Connectly and been carried out although no answer
    /// says so: the connection dropped or timed out after the request was sent, a gateway
    /// answered for Connectly (502, 504), Connectly failed mid-way (500), or a success
    /// answer could not be read. After such an error of a create, list before creating again.
    ///
    /// `false` when the request was certainly not carried out: refused before sending, no
    /// connection made, or a definite refusal (400, 401, 404, 409, ...).
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Error::Timeout(e) | Error::Transport(e) => !e.is_connect() && !e.is_builder(),
            Error::Server { .. } | Error::Decode { .. } | Error::ResponseTooLarge { .. } => true,
            Error::UnexpectedStatus { status, .. } => {
                matches!(status.as_u16(), 502 | 504) || status.is_success()
            }
            Error::AlreadyRegistered { .. }
            | Error::InvalidRequest { .. }
            | Error::Unauthorized { .. }
            | Error::NotFound { .. }
            | Error::InvalidInput { .. } => false,
        }
    }

    /// Builds the variant for a documented error status.
    pub(crate) fn from_status(status: StatusCode, body: ApiError) -> Self {
        let body = Box::new(body);
        match status.as_u16() {
            400 => Error::InvalidRequest { status, body },
            401 => Error::Unauthorized { status, body },
            404 => Error::NotFound { status, body },
            409 => Error::AlreadyRegistered { status, body },
            500..=599 => Error::Server { status, body },
            _ => Error::UnexpectedStatus {
                status,
                body: Some(body),
                excerpt: String::new(),
                retry_after: None,
            },
        }
    }
}

fn describe(body: &ApiError) -> String {
    let mut out = String::new();
    if let Some(message) = &body.message {
        out.push_str(": ");
        out.push_str(message);
    }
    let mut extra = Vec::new();
    if let Some(code) = &body.code {
        extra.push(format!("code {code}"));
    }
    if let Some(trace) = &body.cnt_trace_id {
        extra.push(format!("trace {trace}"));
    }
    if !extra.is_empty() {
        out.push_str(&format!(" ({})", extra.join(", ")));
    }
    out
}

fn describe_opt(body: &Option<Box<ApiError>>) -> String {
    body.as_deref().map(describe).unwrap_or_default()
}

fn describe_excerpt(excerpt: &str) -> String {
    if excerpt.is_empty() {
        String::new()
    } else {
        format!("; body starts: {excerpt}")
    }
}

fn status_or_unknown(status: &Option<StatusCode>) -> String {
    status.map_or_else(|| "unknown status".to_owned(), |s| s.to_string())
}

/// Why a [`crate::Client`] could not be built. Never contains the API key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The API key is empty or has bytes a header cannot carry (CR, LF, other control bytes,
    /// non-ASCII). The key itself is not repeated here.
    #[error("invalid API key: {0}")]
    InvalidApiKey(&'static str),
    /// The base URL is not a URL.
    #[error("invalid base URL {url:?}: {reason}")]
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// The base URL is plain HTTP to a host that is not loopback: the API key would travel in
    /// clear text.
    #[error("refusing base URL {url:?}: the API key is only sent over HTTPS (plain http is allowed for loopback hosts only)")]
    InsecureBaseUrl {
        /// The URL as given.
        url: String,
    },
    /// The user agent cannot be a header value.
    #[error("invalid user agent: {0}")]
    InvalidUserAgent(String),
    /// reqwest could not build its client (TLS initialisation).
    #[error("could not build the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
}
