//! [`Failure`]: why a command failed, as the user sees it: a one-sentence message, the chain of
//! causes under it (as ripgrep and cargo print them), a hint where one helps, a stable `kind` for
//! `--json`, and the exit code (1 failure, 2 usage).

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use reqwest::Url;

/// What kind of failure, as `--json` reports it in `error.kind`. The names are part of the JSON
/// contract (`docs/json.md`): add new ones, never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Bad arguments, no API key, no business id (exit 2).
    Usage,
    /// A file or input is invalid (config file, request body built from flags).
    Invalid,
    /// The server could not be reached, or the connection broke (DNS, refused, TLS, reset).
    Connection,
    /// No complete answer within `--timeout`.
    Timeout,
    /// 401: the API key was refused.
    Unauthorized,
    /// 404: no such registration.
    NotFound,
    /// 409: the topic already has a registration.
    Conflict,
    /// 400: the API refused the request as invalid.
    InvalidRequest,
    /// Any other error status or an undocumented answer from the API (5xx, 429, bad JSON...).
    Api,
    /// Anything else (a receiver's non-2xx answer, an invalid signature, a plan that needs
    /// `--prune`...).
    Failed,
    /// `apply --dry-run --exit-code` found changes to make (exit 3).
    ChangesPending,
    /// Ctrl-C or SIGTERM stopped the run (exit 130).
    Interrupted,
    /// Stdout was closed by its reader (`| head`): the command ends quietly, exit 0.
    ClosedStdout,
}

impl Kind {
    /// The name in `--json` output.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Usage => "usage",
            Kind::Invalid => "invalid",
            Kind::Connection => "connection",
            Kind::Timeout => "timeout",
            Kind::Unauthorized => "unauthorized",
            Kind::NotFound => "not_found",
            Kind::Conflict => "conflict",
            Kind::InvalidRequest => "invalid_request",
            Kind::Api => "api",
            Kind::Failed => "failed",
            Kind::ChangesPending => "changes_pending",
            Kind::Interrupted => "interrupted",
            Kind::ClosedStdout => "closed_stdout",
        }
    }
}

/// A failure as `--json` shows it (`{"error": ErrorDoc}`, and in `apply`'s report for each
/// business and step that failed): the message, the hint, the kind and the causes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct ErrorDoc {
    pub(crate) message: String,
    pub(crate) kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) hint: Option<String>,
    pub(crate) causes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) location: Option<Location>,
}

/// Where in a file a failure stands.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct Location {
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) pointer: String,
}

impl From<&Failure> for ErrorDoc {
    fn from(failure: &Failure) -> Self {
        Self {
            message: failure.message.clone(),
            kind: failure.kind.as_str(),
            hint: failure.hint.clone(),
            causes: failure.causes.clone(),
            location: failure.location.as_deref().cloned(),
        }
    }
}

impl ErrorDoc {
    /// The terminal lines: the message, then `caused by: ...` per cause and `hint: ...`, each
    /// printable and prefixed with `indent`.
    pub(crate) fn lines(&self, indent: &str) -> Vec<String> {
        let mut lines = vec![connectly_net::printable(&self.message).into_owned()];
        for cause in &self.causes {
            lines.push(format!(
                "{indent}caused by: {}",
                connectly_net::printable(cause)
            ));
        }
        if let Some(hint) = &self.hint {
            lines.push(format!("{indent}hint: {}", connectly_net::printable(hint)));
        }
        lines
    }
}

/// A failure, with the exit code it maps to. Its text is already free of secrets.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) kind: Kind,
    /// One sentence; empty when the details were printed already.
    pub(crate) message: String,
    /// The causes, outermost first, each one sentence.
    pub(crate) causes: Vec<String>,
    pub(crate) hint: Option<String>,
    /// The command printed the details itself (`validate`, `events verify`): only the exit code
    /// remains.
    pub(crate) reported: bool,
    /// Where in a file, when the failure is about one.
    pub(crate) location: Option<Box<Location>>,
    /// The verb's own `--json` fields, printed beside `error` (`validate`'s files, `apply`'s
    /// businesses).
    pub(crate) document: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

impl Failure {
    /// Exit 1, with this message.
    pub(crate) fn failed(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::Failed,
            message: message.into(),
            causes: Vec::new(),
            hint: None,
            reported: false,
            location: None,
            document: None,
        }
    }

    /// Stdout was closed by its reader: end quietly, exit 0.
    pub(crate) fn closed_stdout() -> Self {
        Self::failed("stdout was closed").kind(Kind::ClosedStdout)
    }

    /// The same failure, with the verb's own `--json` fields.
    pub(crate) fn with_document(
        mut self,
        document: serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        self.document = Some(Box::new(document));
        self
    }

    /// The same failure, at a place in a file.
    pub(crate) fn at(mut self, location: Location) -> Self {
        self.location = Some(Box::new(location));
        self
    }

    /// Exit 2: a usage error.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::Usage,
            ..Self::failed(message)
        }
    }

    /// Exit 1, the details having been printed already.
    pub(crate) fn reported() -> Self {
        Self {
            reported: true,
            ..Self::failed("")
        }
    }

    /// The same failure, of another kind.
    pub(crate) fn kind(mut self, kind: Kind) -> Self {
        self.kind = kind;
        self
    }

    /// The same failure, with a hint (what to try).
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The same failure, caused by `error` (and its own causes).
    pub(crate) fn caused_by(mut self, error: &(dyn StdError + 'static)) -> Self {
        let mut next = Some(error);
        while let Some(cause) = next {
            self.push_cause(cause.to_string());
            next = cause.source();
        }
        self
    }

    /// Adds a cause unless the text already says it (a `Display` that repeats its source).
    fn push_cause(&mut self, cause: String) {
        let said = |text: &str| text.contains(cause.as_str());
        if cause.is_empty() || said(&self.message) || self.causes.iter().any(|c| said(c)) {
            return;
        }
        self.causes.push(cause);
    }

    /// The exit code: 2 for usage errors, 3 for pending changes (`apply --exit-code`), 130 when
    /// interrupted, else 1.
    pub(crate) fn exit_code(&self) -> u8 {
        match self.kind {
            Kind::Usage => 2,
            Kind::ChangesPending => 3,
            Kind::Interrupted => 130,
            Kind::ClosedStdout => 0,
            _ => 1,
        }
    }

    /// A network failure talking to `url` (the `flag` that set it, for the hint): the kind and
    /// a hint come from the causes.
    pub(crate) fn network(mut self, url: &Url, flag: &str) -> Self {
        let chain = self.chain_text();
        if self.kind == Kind::Failed {
            self.kind = Kind::Connection;
        }
        if self.hint.is_none() {
            self.hint = connection_hint(url, flag, &chain);
        }
        self
    }

    /// For a timeout: says how long the call waited (`elapsed`, measured, across its
    /// `attempts`, each of up to `timeout`) and which flag sets it.
    pub(crate) fn waited(mut self, elapsed: Duration, attempts: u32, timeout: Duration) -> Self {
        if self.kind == Kind::Timeout && self.hint.is_none() {
            let timeout = timeout.as_secs_f64();
            let attempts = match attempts {
                1 => format!("1 attempt of up to {timeout} s"),
                n => format!("{n} attempts of up to {timeout} s each"),
            };
            self.hint = Some(format!(
                "waited {:.1} s over {attempts}; pass --timeout SECONDS to wait longer",
                elapsed.as_secs_f64()
            ));
        }
        self
    }

    fn chain_text(&self) -> String {
        let mut text = self.message.clone();
        for cause in &self.causes {
            text.push_str(": ");
            text.push_str(cause);
        }
        text
    }
}

impl fmt::Display for Failure {
    /// The message and its causes on one line (for logs; the CLI prints one cause a line).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.chain_text())
    }
}

/// A hint for a connection that failed, from the text of its causes.
fn connection_hint(url: &Url, flag: &str, chain: &str) -> Option<String> {
    let host = url.host_str().unwrap_or_default();
    let loopback = connectly_net::is_loopback(url);
    let at = match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let lower = chain.to_ascii_lowercase();
    if lower.contains("invalidcontenttype")
        || lower.contains("wrong version number")
        || lower.contains("http request to https")
    {
        if url.scheme() == "https" {
            let mut plain = url.clone();
            let _ = plain.set_scheme("http");
            let advice = if loopback {
                format!(
                    "a local receiver without a certificate is reached over plain http: use {flag} {plain}"
                )
            } else {
                format!("check that {flag} names a TLS endpoint")
            };
            return Some(format!("{at} answered without TLS (plain HTTP?); {advice}"));
        }
        return None;
    }
    if lower.contains("connection refused") {
        return Some(if loopback && flag == "--to" {
            format!("nothing is listening on {at}: is your receiver running? (check {flag})")
        } else if loopback {
            format!(
                "nothing is listening on {at}: is the mock (or your server) running? \
                 Start one with `connectly mock --listen {at}`, or pass --mock to use an in-process one"
            )
        } else {
            format!(
                "nothing accepted the connection at {at}: check {flag} and that the server is up"
            )
        });
    }
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        return Some(format!(
            "the host {host} could not be resolved: check {flag}"
        ));
    }
    if lower.contains("certificate") {
        return Some(format!(
            "the TLS certificate of {at} was refused: check {flag} (for a local server, use http://)"
        ));
    }
    None
}

/// The error's sentence with the text Connectly sent (its message, code and trace id) as it was
/// sent: the client's `Display` shows it in printable form for logs and terminals, but a
/// failure keeps the original (`--json` carries it; the terminal output makes it printable).
fn verbatim(error: &connectly_client::Error) -> String {
    let mut text = error.to_string();
    if let Some(body) = error.api_error() {
        for field in [&body.message, &body.code, &body.cnt_trace_id]
            .into_iter()
            .flatten()
        {
            let shown = connectly_net::printable(field);
            if shown != field.as_str() {
                text = text.replace(shown.as_ref(), field);
            }
        }
    }
    text
}

impl From<connectly_client::Error> for Failure {
    fn from(error: connectly_client::Error) -> Self {
        use connectly_client::Error;
        let kind = match &error {
            Error::AlreadyRegistered { .. } => Kind::Conflict,
            Error::InvalidRequest { .. } => Kind::InvalidRequest,
            Error::Unauthorized { .. } => Kind::Unauthorized,
            Error::NotFound { .. } => Kind::NotFound,
            Error::Timeout(_) => Kind::Timeout,
            Error::Transport(_) => Kind::Connection,
            Error::InvalidInput { .. } => Kind::Usage,
            _ => Kind::Api,
        };
        let mut failure = Failure::failed(verbatim(&error)).kind(kind);
        if let Some(source) = error.source() {
            failure = failure.caused_by(source);
        }
        if kind == Kind::NotFound {
            failure =
                failure.hint("`connectly webhooks list` shows the registrations and their ids");
        }
        if kind == Kind::Unauthorized {
            failure = failure.hint(
                "check CONNECTLY_API_KEY or --api-key-file (and that the key belongs to --base-url)",
            );
        }
        let url = match &error {
            Error::Timeout(e) | Error::Transport(e) => e.url().cloned(),
            _ => None,
        };
        match url {
            Some(url) if kind == Kind::Connection => failure.network(&url, "--base-url"),
            _ => failure,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_already_in_the_message_are_not_repeated() {
        let io = std::io::Error::other("inner");
        let failure = Failure::failed("outer: inner").caused_by(&io);
        assert!(failure.causes.is_empty(), "{failure:?}");
        let failure = Failure::failed("outer").caused_by(&io);
        assert_eq!(failure.causes, ["inner"]);
    }

    #[test]
    fn refused_on_loopback_asks_whether_the_mock_runs() {
        let url = Url::parse("http://127.0.0.1:1/v1").unwrap();
        let hint = connection_hint(&url, "--base-url", "tcp connect error: Connection refused");
        assert!(hint.unwrap().contains("is the mock"));
        let url = Url::parse("https://api.example.com").unwrap();
        let hint = connection_hint(&url, "--base-url", "Connection refused").unwrap();
        assert!(
            !hint.contains("mock") && hint.contains("--base-url"),
            "{hint}"
        );
    }

    #[test]
    fn tls_to_a_plain_local_server_suggests_http() {
        let url = Url::parse("https://127.0.0.1:3000/webhook").unwrap();
        let hint = connection_hint(
            &url,
            "--to",
            "received corrupt message of type InvalidContentType",
        )
        .unwrap();
        assert!(
            hint.contains("--to http://127.0.0.1:3000/webhook"),
            "{hint}"
        );
    }

    #[test]
    fn usage_exits_2_and_the_rest_1() {
        assert_eq!(Failure::usage("x").exit_code(), 2);
        assert_eq!(Failure::failed("x").exit_code(), 1);
        assert_eq!(Failure::reported().exit_code(), 1);
    }
}
