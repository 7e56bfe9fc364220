//! The errors of [`crate::Client`] and [`crate::ClientBuilder`], and the one place where what
//! came back from a call (a response, a generated-code error, a transport failure) becomes an
//! [`Error`]: [`success`] takes a decoded success within the cap, [`from_failure`] the rest.
//!
//! Everything in an error that came from the server (Connectly's error body, an excerpt of the
//! body, a JSON error quoting it) has the API key replaced by `[redacted]` when the error is
//! built (in any case, and any part of 8 or more consecutive characters of it: [`redact`]), and
//! its control characters escaped when it is displayed.

use std::{borrow::Cow, fmt, time::Duration};

use progenitor_client::{Error as GenError, ResponseValue};
use reqwest::{header, StatusCode};

use crate::{transport::CallState, types};
use connectly_net::{is_unprintable, printable};

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
    message: String,
    line: usize,
    column: usize,
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

// From a call's outcome to an Error ---------------------------------------------------------------

/// What the error needs to know about the call besides the outcome.
pub(crate) struct Context<'a> {
    /// The transport hook's record of the response.
    pub(crate) state: CallState,
    /// The client's response cap.
    pub(crate) limit: usize,
    /// The API key, to redact.
    pub(crate) key: &'a str,
}

/// What a generated operation returns.
pub(crate) type Outcome<T> = Result<ResponseValue<T>, GenError<ApiError>>;

/// An attempt's outcome that [`success`] did not take, with what the transport saw of it.
pub(crate) struct Failure<T> {
    pub(crate) outcome: Outcome<T>,
    pub(crate) state: CallState,
}

/// The value and status of a decoded documented success whose body was within the cap; any
/// other outcome is handed back, boxed, for [`from_failure`]. Not async: the common case builds
/// no further future.
///
/// Its result is small (the value and a status; a failure is a pointer): it is the output of the
/// attempt's task-local scope ([`crate::transport::observe`]), where a large output cost copies.
///
/// With [`from_failure`], the one place where a response becomes the call's result.
pub(crate) fn success<T>(
    outcome: Outcome<T>,
    state: CallState,
) -> Result<(T, Option<StatusCode>), Box<Failure<T>>> {
    match outcome {
        Ok(value) if !state.too_large => Ok((value.into_inner(), state.status)),
        outcome => Err(Box::new(Failure { outcome, state })),
    }
}

/// The [`Error`] of an outcome [`success`] did not take.
///
/// The transport hook has read every error body (under the cap) and left it in the response;
/// the generated code has matched the status against the operation's documented responses and
/// decoded a documented error body (or failed to). Nothing is decoded twice here.
pub(crate) async fn from_failure<T>(outcome: Outcome<T>, cx: Context<'_>) -> Error {
    if cx.state.too_large {
        if let Some(status) = cx.state.status {
            return Error::ResponseTooLarge {
                status,
                limit: cx.limit,
            };
        }
    }
    let error = match outcome {
        // Only a body cut at the cap comes here with a value (and then the status is known).
        Ok(value) => {
            return Error::ResponseTooLarge {
                status: value.status(),
                limit: cx.limit,
            }
        }
        Err(error) => error,
    };
    match error {
        // A documented error status with Connectly's error body.
        GenError::ErrorResponse(response) => {
            let status = response.status();
            let retry_after = retry_after(response.headers());
            documented(
                status,
                redact_body(response.into_inner(), cx.key),
                retry_after,
            )
        }
        // A documented status whose body did not decode: for a success, a decode error; for an
        // error status (an empty 401, a proxy's HTML 500), the status's variant, without a body.
        GenError::InvalidResponsePayload(body, source) => match cx.state.status {
            Some(status) if !status.is_success() => documented(status, ApiError::default(), None),
            status => Error::Decode {
                status,
                excerpt: excerpt(&body, cx.key),
                source: DecodeError {
                    message: printable(&redact(&source.to_string(), cx.key)).into_owned(),
                    line: source.line(),
                    column: source.column(),
                },
            },
        },
        GenError::UnexpectedResponse(response) => {
            let status = response.status();
            let retry_after = retry_after(response.headers());
            // Error bodies are in memory already (the transport hook read them under the cap);
            // an undocumented success is within the cap by its declared length.
            let body = response.bytes().await.unwrap_or_default();
            Error::UnexpectedStatus {
                status,
                body: serde_json::from_slice(&body)
                    .ok()
                    .map(|b| Box::new(redact_body(b, cx.key))),
                excerpt: excerpt(&body, cx.key),
                retry_after,
            }
        }
        GenError::CommunicationError(e)
        | GenError::ResponseBodyError(e)
        | GenError::InvalidUpgrade(e) => {
            if e.is_timeout() {
                Error::Timeout(e)
            } else {
                Error::Transport(e)
            }
        }
        GenError::InvalidRequest(reason) | GenError::Custom(reason) => Error::InvalidInput {
            what: "request",
            reason,
        },
    }
}

/// The variant of a status the operation documents.
fn documented(status: StatusCode, body: ApiError, retry_after: Option<Duration>) -> Error {
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
            retry_after,
        },
    }
}

/// `Retry-After` in either of its forms: delay-seconds, or an HTTP-date (a date in the past is
/// no delay).
pub(crate) fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

// Redaction and escaping ----------------------------------------------------------------------

const REDACTED: &str = "[redacted]";

/// The shortest part of the API key that is redacted on its own: a server that echoes the key
/// cut at either end (or both), or in another case, still has every run of this many of its
/// characters replaced. A key shorter than this is redacted whole.
pub(crate) const KEY_PART_MIN: usize = 8;

/// `text` with the API key replaced by `[redacted]`: the key itself, and every run of at least
/// [`KEY_PART_MIN`] consecutive characters of it, compared without regard to ASCII case.
///
/// One pass over the text: for each byte, the matches ending there are extended from those
/// ending at the byte before, at the positions of the key that hold that byte (the longest
/// common substring recurrence, kept sparse), so the cost is the text's length times the
/// number of times a byte occurs in the key.
pub(crate) fn redact<'t>(text: &'t str, key: &str) -> Cow<'t, str> {
    let spans = key_spans(text.as_bytes(), key.as_bytes());
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in spans {
        // The spans cover ASCII bytes only (the key is ASCII), so they are on char boundaries.
        out.push_str(&text[at..start]);
        out.push_str(REDACTED);
        at = end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// The byte ranges of `text` that are a run of at least [`KEY_PART_MIN`] (or all) of `key`'s
/// characters, case-insensitively, merged, in order.
fn key_spans(text: &[u8], key: &[u8]) -> Vec<(usize, usize)> {
    let min = KEY_PART_MIN.min(key.len());
    if min == 0 || text.len() < min {
        return Vec::new();
    }
    // Where each (lower-cased) byte occurs in the key.
    let mut at: Vec<Vec<usize>> = vec![Vec::new(); 256];
    for (j, b) in key.iter().enumerate() {
        at[usize::from(b.to_ascii_lowercase())].push(j);
    }
    // run[j]: the length of the match of text ending at the previous byte with key ending at
    // j; only the entries in `set` are non-zero.
    let (mut run, mut next) = (vec![0usize; key.len()], vec![0usize; key.len()]);
    let (mut set, mut next_set) = (Vec::new(), Vec::new());
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (i, b) in text.iter().enumerate() {
        let mut longest = 0;
        for &j in &at[usize::from(b.to_ascii_lowercase())] {
            let len = if j == 0 { 1 } else { run[j - 1] + 1 };
            next[j] = len;
            next_set.push(j);
            longest = longest.max(len);
        }
        for &j in &set {
            run[j] = 0;
        }
        std::mem::swap(&mut run, &mut next);
        std::mem::swap(&mut set, &mut next_set);
        next_set.clear();
        if longest >= min {
            // Merged with the spans it overlaps or touches (a long match may reach back over
            // more than one).
            let mut start = i + 1 - longest;
            while let Some(&(s, e)) = spans.last() {
                if start > e {
                    break;
                }
                start = start.min(s);
                spans.pop();
            }
            spans.push((start, i + 1));
        }
    }
    spans
}

fn redact_in_place(text: &mut String, key: &str) {
    if let Cow::Owned(redacted) = redact(text, key) {
        *text = redacted;
    }
}

fn redact_value(value: &mut serde_json::Value, key: &str) {
    match value {
        serde_json::Value::String(s) => redact_in_place(s, key),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| redact_value(v, key)),
        serde_json::Value::Object(map) => redact_map(map, key),
        _ => {}
    }
}

fn redact_map(map: &mut serde_json::Map<String, serde_json::Value>, key: &str) {
    if map.keys().any(|k| matches!(redact(k, key), Cow::Owned(_))) {
        *map = std::mem::take(map)
            .into_iter()
            .map(|(k, v)| (redact(&k, key).into_owned(), v))
            .collect();
    }
    map.values_mut().for_each(|v| redact_value(v, key));
}

/// Connectly's error body with the key redacted from every string.
fn redact_body(mut body: ApiError, key: &str) -> ApiError {
    for field in [
        &mut body.message,
        &mut body.type_,
        &mut body.code,
        &mut body.user_title,
        &mut body.user_message,
        &mut body.cnt_trace_id,
    ]
    .into_iter()
    .flatten()
    {
        redact_in_place(field, key);
    }
    redact_map(&mut body.details, key);
    body
}

/// Longest excerpt of a response body kept in an error, in characters.
pub(crate) const EXCERPT_CHARS: usize = 200;

/// A short excerpt of a body that is safe to print: the key redacted (before cutting, so no
/// prefix of it survives), at most [`EXCERPT_CHARS`] characters (plus a final `…` when cut),
/// lossy UTF-8, unprintable characters escaped. The cap counts the escaped text, so a body full
/// of control bytes (`\u{1}` is 5 characters) is not 5 times longer.
pub(crate) fn excerpt(body: &[u8], key: &str) -> String {
    // Enough of the body for the excerpt and for a key that starts inside it.
    let head = &body[..body.len().min(EXCERPT_CHARS * 4 + key.len())];
    let text = String::from_utf8_lossy(head);
    let text = redact(&text, key);
    let mut out = String::new();
    let mut chars = 0;
    for c in text.chars() {
        let escaped: String = if is_unprintable(c) {
            c.escape_default().collect()
        } else {
            c.into()
        };
        let len = escaped.chars().count();
        if chars + len > EXCERPT_CHARS {
            out.push('…');
            return out;
        }
        chars += len;
        out.push_str(&escaped);
    }
    if head.len() < body.len() {
        out.push('…');
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A key that none of the bodies below contain.
    const K: &str = "sk_test_unused";

    #[test]
    fn excerpt_is_short_and_printable() {
        let long = "a".repeat(1000);
        assert_eq!(
            excerpt(long.as_bytes(), K).chars().count(),
            EXCERPT_CHARS + 1
        );
        assert_eq!(excerpt(b"<h1>\r\nBad", K), "<h1>\\r\\nBad");
        assert_eq!(excerpt(&[0xff, b'x'], K), "\u{fffd}x");
        let controls = excerpt(&[1; 1000], K);
        assert_eq!(controls.chars().count(), EXCERPT_CHARS / 5 * 5 + 1);
        assert!(controls.starts_with("\\u{1}\\u{1}") && controls.ends_with('…'));
        assert_eq!(
            excerpt(&[b'a'; EXCERPT_CHARS], K),
            "a".repeat(EXCERPT_CHARS)
        );
        assert_eq!(
            excerpt(b"\x1b[2J\xe2\x80\xaeok", K),
            "\\u{1b}[2J\\u{202e}ok"
        );
    }

    #[test]
    fn the_key_is_redacted_before_the_excerpt_is_cut() {
        let key = "sk_live_0123456789";
        // The key straddles the cut: no prefix of it may survive.
        let body = format!("{}{key}{}", "x".repeat(EXCERPT_CHARS - 4), "y".repeat(50));
        let cut = excerpt(body.as_bytes(), key);
        assert!(!cut.contains("sk_l"), "{cut}");
        assert_eq!(cut, format!("{}[red…", "x".repeat(EXCERPT_CHARS - 4)));
    }

    #[test]
    fn the_key_is_redacted_in_any_case_and_cut_at_either_end() {
        let key = "sk_live_0123456789AbCd";
        for (text, expected) in [
            (format!("key {key}!"), "key [redacted]!".to_owned()),
            (
                format!("KEY {} end", key.to_uppercase()),
                "KEY [redacted] end".to_owned(),
            ),
            (
                format!("[{}]", key.to_lowercase()),
                "[[redacted]]".to_owned(),
            ),
            // Cut at the start, at the end, at both: 8 characters or more.
            (format!("x{}y", &key[5..]), "x[redacted]y".to_owned()),
            (format!("x{}y", &key[..8]), "x[redacted]y".to_owned()),
            (format!("x{}y", &key[4..12]), "x[redacted]y".to_owned()),
            // Twice, back to back, and overlapping matches.
            (format!("{key}{key}"), "[redacted]".to_owned()),
            (
                format!("{} {}", &key[..10], &key[10..]),
                "[redacted] [redacted]".to_owned(),
            ),
            // Seven characters are not enough; other text is untouched.
            (format!("x{}y", &key[..7]), format!("x{}y", &key[..7])),
            ("sk_live_".to_owned(), "[redacted]".to_owned()),
            ("sk_test_0123".to_owned(), "sk_test_0123".to_owned()),
            (
                "Zürich 東京 sk_LIVE_0123 ok".to_owned(),
                "Zürich 東京 [redacted] ok".to_owned(),
            ),
        ] {
            assert_eq!(redact(&text, key), expected, "{text}");
        }
        // A key shorter than the part is redacted whole only.
        assert_eq!(
            redact("a SHORT one, short", "short"),
            "a [redacted] one, [redacted]"
        );
        assert_eq!(redact("a shor", "short"), "a shor");
        assert!(matches!(redact("nothing here", key), Cow::Borrowed(_)));
    }

    #[test]
    fn overlapping_matches_make_one_span() {
        // "abcdefghij" matches the key at 0 and at 11; only the second goes on to "klmnop".
        let key = "abcdefghij_abcdefghijklmnop";
        let text = "abcdefghijklmnop";
        assert_eq!(redact(text, key), "[redacted]");
        assert_eq!(key_spans(text.as_bytes(), key.as_bytes()), [(0, 16)]);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = header::HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = std::time::SystemTime::now() + Duration::from_secs(90);
        headers.insert(
            header::RETRY_AFTER,
            httpdate::fmt_http_date(later).parse().unwrap(),
        );
        let delay = retry_after(&headers).unwrap();
        assert!(
            delay > Duration::from_secs(80) && delay <= Duration::from_secs(90),
            "{delay:?}"
        );
        headers.insert(
            header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }
}
