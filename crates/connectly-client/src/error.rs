//! The errors of [`crate::Client`] and [`crate::ClientBuilder`]: what each says, and how it is
//! displayed. They are built in one place, [`crate::outcome`]; everything in them that came from
//! the server (Connectly's error body, an excerpt of the body, a JSON error quoting it) has the
//! API key redacted there ([`crate::redact`]), and its control characters are escaped when it is
//! displayed.

use std::{fmt, time::Duration};

use connectly_net::printable;
use reqwest::StatusCode;

use crate::types;

/// Connectly's error body (`message`, `type`, `code`, `cntTraceId`, ...), as generated from the
/// spec's `Error` schema. Every field is optional.
///
/// In an [`Error`], every string of it (`details` included) has the API key replaced by
/// `[redacted]`; control characters are kept as sent and escaped only when the error is
/// displayed, so escape them yourself if you print a field on its own.
pub type ApiError = types::Error;

/// What went wrong with a call. Match on it; every variant that comes from a response keeps the
/// HTTP status.
///
/// No variant ever contains the API key, and [`Display`](fmt::Display) escapes the control
/// characters of anything the server sent. `Display` is one sentence; what caused it (a TCP, TLS
/// or JSON error) is its [`source`](std::error::Error::source), to be printed as a cause chain.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 409: the topic already has a registration for this business. Update that registration
    /// (its id is in the list) instead of creating a second one.
    #[error(
        "{status}: the topic already has a registration; update it instead{}",
        Describe(body)
    )]
    AlreadyRegistered {
        /// The HTTP status (409).
        status: StatusCode,
        /// Connectly's error body.
        body: Box<ApiError>,
    },
    /// 400: malformed body or invalid field values.
    #[error("{status}: Connectly refused the request as invalid{}", Describe(body))]
    InvalidRequest {
        /// The HTTP status (400).
        status: StatusCode,
        /// Connectly's error body.
        body: Box<ApiError>,
    },
    /// 401: the API key is missing or invalid.
    #[error("{status}: the API key was refused{}", Describe(body))]
    Unauthorized {
        /// The HTTP status (401).
        status: StatusCode,
        /// Connectly's error body.
        body: Box<ApiError>,
    },
    /// 404: unknown webhook id.
    #[error("{status}: no such registration{}", Describe(body))]
    NotFound {
        /// The HTTP status (404).
        status: StatusCode,
        /// Connectly's error body.
        body: Box<ApiError>,
    },
    /// 500: Connectly failed.
    #[error("{status}: Connectly failed{}", Describe(body))]
    Server {
        /// The HTTP status (500).
        status: StatusCode,
        /// Connectly's error body.
        body: Box<ApiError>,
    },
    /// A status the API reference does not document for this operation (a proxy's 502, a 429,
    /// a redirect, ...).
    #[error("{status}: unexpected response{}", DescribeUnexpected(body, excerpt))]
    UnexpectedStatus {
        /// The HTTP status.
        status: StatusCode,
        /// The body, when it was Connectly's error object (API key redacted).
        body: Option<Box<ApiError>>,
        /// A short excerpt of the body: at most 200 characters, API key redacted, control
        /// characters escaped.
        excerpt: String,
        /// The delay the server asked for in `Retry-After` (seconds or HTTP-date form), if any.
        retry_after: Option<Duration>,
    },
    /// A success status whose body is not the documented JSON.
    #[error(
        "{}: the response body is not the documented JSON{}",
        status_or_unknown(status),
        Excerpt(excerpt)
    )]
    Decode {
        /// The HTTP status.
        status: Option<StatusCode>,
        /// A short excerpt of the body: at most 200 characters, API key redacted, control
        /// characters escaped.
        excerpt: String,
        /// What the JSON decoder said (it may quote the body: redacted and escaped as well).
        #[source]
        source: DecodeError,
    },
    /// The response body was larger than the client's cap ([`crate::ClientBuilder::max_response_bytes`]).
    #[error("{status}: the response body is larger than the {limit}-byte cap")]
    ResponseTooLarge {
        /// The HTTP status.
        status: StatusCode,
        /// The cap, in bytes.
        limit: usize,
    },
    /// The connection or the whole request took longer than its timeout
    /// ([`crate::ClientBuilder::connect_timeout`], [`crate::ClientBuilder::timeout`]).
    #[error("{}", if .0.is_connect() {
        "timed out connecting to Connectly"
    } else {
        "timed out waiting for Connectly's answer"
    })]
    Timeout(#[source] reqwest::Error),
    /// The request could not be sent or the response not read (DNS, TLS, connection refused or
    /// reset, a body cut short...).
    #[error("{}", if .0.is_connect() {
        "could not connect to Connectly"
    } else {
        "the connection to Connectly failed before the answer was complete"
    })]
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

/// The JSON decoder's complaint about a response body, with anything it quotes from the body
/// redacted (API key) and escaped (control characters).
#[derive(Debug, Clone)]
pub struct DecodeError {
    pub(crate) message: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl DecodeError {
    /// The line of the body where decoding failed (1-based; 0 at end of input).
    pub fn line(&self) -> usize {
        self.line
    }

    /// The column of the body where decoding failed (1-based).
    pub fn column(&self) -> usize {
        self.column
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

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

    /// The delay the server asked for in `Retry-After`, if it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::UnexpectedStatus { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Whether the request may have reached Connectly and been carried out although no answer
    /// says so, so that a create must not simply be sent again (list first, and compare).
    ///
    /// The column "may it have been applied?" of the table in the crate documentation ("Errors,
    /// timeouts and retries"), the same rule the retries follow. `true`: a timeout or a lost
    /// connection after connecting, 500, a gateway's 502, 503 or 504, a success that could not
    /// be read. `false`: refused before sending, no connection made (refused, DNS, TLS
    /// handshake, connect timeout), or a definite refusal (400, 401, 404, 409, 429, a redirect).
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
        crate::retry::Rule::of(self).maybe_applied
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
}

// Display helpers ---------------------------------------------------------------------------------

/// `: message (code X, trace Y)`, escaped.
struct Describe<'a>(&'a ApiError);

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = self.0;
        if let Some(message) = &body.message {
            write!(f, ": {}", printable(message))?;
        }
        let mut extra = Vec::new();
        if let Some(code) = &body.code {
            extra.push(format!("code {}", printable(code)));
        }
        if let Some(trace) = &body.cnt_trace_id {
            extra.push(format!("trace {}", printable(trace)));
        }
        if !extra.is_empty() {
            write!(f, " ({})", extra.join(", "))?;
        }
        Ok(())
    }
}

/// Connectly's error body when there was one, the excerpt otherwise.
struct DescribeUnexpected<'a>(&'a Option<Box<ApiError>>, &'a str);

impl fmt::Display for DescribeUnexpected<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(body) if body.message.is_some() || body.code.is_some() => Describe(body).fmt(f),
            _ => Excerpt(self.1).fmt(f),
        }
    }
}

/// `; body starts: ...`, escaped (excerpts are built escaped; this holds for hand-made ones too).
struct Excerpt<'a>(&'a str);

impl fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, "; body starts: {}", printable(self.0))
        }
    }
}

fn status_or_unknown(status: &Option<StatusCode>) -> String {
    status.map_or_else(|| "unknown status".to_owned(), |s| s.to_string())
}

/// Why a [`crate::Client`] could not be built. Never contains the API key, nor the password of
/// a base URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The API key is empty or has bytes a header cannot carry (CR, LF, other control bytes,
    /// non-ASCII). The key itself is not repeated here.
    #[error("invalid API key: {0}")]
    InvalidApiKey(&'static str),
    /// The base URL is not a URL, or carries what a base URL must not (credentials, a query).
    #[error("invalid base URL {url}: {reason}")]
    InvalidBaseUrl {
        /// The URL as given, any credentials replaced by `[redacted]`.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// The base URL is plain HTTP to a host that is not loopback: the API key would travel in
    /// clear text.
    #[error("refusing base URL {url}: the API key is only sent over HTTPS (plain http is allowed for loopback hosts only)")]
    InsecureBaseUrl {
        /// The URL as given, any credentials replaced by `[redacted]`.
        url: String,
    },
    /// The user agent cannot be a header value.
    #[error("invalid user agent {}", printable(.0))]
    InvalidUserAgent(String),
    /// reqwest could not build its client (TLS initialisation).
    #[error("could not build the HTTP client")]
    Http(#[source] reqwest::Error),
}
