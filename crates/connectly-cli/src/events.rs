//! `connectly events send | verify`: the receiving side's tools. `send` POSTs a realistic signed
//! event to a receiver, as Connectly does; `verify` checks a signature against a body's raw bytes.

use std::fmt;
use std::io::{IsTerminal, Read};
use std::time::Duration;

use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand};
use reqwest::Url;
use serde_json::json;

use crate::failure::Kind;
use crate::{Failure, Global, TimeoutArg};

use connectly_webhook::TOPICS;

const SEND_HELP: &str = "\
The event is POSTed with the headers Connectly sends: `content-type: text/plain; charset=utf-8`
and `x-connectly-hmac-sha256: <Base64 HMAC-SHA256 of the body, keyed with the secret>`. Redirects
are not followed. Exit 0 when the receiver answers 2xx, 1 otherwise (or when it cannot be
reached), 2 on a usage error (a kind of another topic, a plain-http URL off loopback).

Sample kinds:
  messages         text (default), attachment, button, referral
  delivery_status  sent (default), delivered, read, failed

Examples:
  export CONNECTLY_WEBHOOK_SECRET=whsec_...
  connectly events send --to http://127.0.0.1:3000/webhook --topic messages --kind button
  connectly events send --to https://hooks.example.com/connectly --topic delivery_status --body event.json";

const VERIFY_HELP: &str = "\
Exit 0 (and `valid` on stdout) when SIG is the Base64 HMAC-SHA256 of the file's raw bytes keyed
with the secret; exit 1 (`invalid` on stdout, the reason on stderr: missing, not Base64, or
mismatch) otherwise.

Examples:
  connectly events verify --signature \"$SIG\" body.json
  connectly events verify --json --signature \"$SIG\" - < body.json     # {\"valid\": true}";

/// The webhook secret. Its `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Clap's parser for a secret: anything but empty (the error never shows the value).
pub(crate) fn parse_secret(text: &str) -> Result<Secret, String> {
    if text.is_empty() {
        Err("the secret is empty".to_owned())
    } else {
        Ok(Secret(text.to_owned()))
    }
}

#[derive(Subcommand, Debug)]
pub(crate) enum EventsCommand {
    /// POST a signed sample event (or a file's raw bytes) to a receiver, as Connectly would;
    /// prints the status the receiver answered.
    #[command(after_help = SEND_HELP)]
    Send(SendArgs),
    /// Check an x-connectly-hmac-sha256 signature against a body's raw bytes.
    #[command(after_help = VERIFY_HELP)]
    Verify(VerifyArgs),
}

/// The webhook secret, from `--secret` or `CONNECTLY_WEBHOOK_SECRET`.
#[derive(Args, Debug)]
pub(crate) struct SecretArg {
    /// The webhook secret (never printed).
    #[arg(
        long = "secret",
        env = "CONNECTLY_WEBHOOK_SECRET",
        hide_env_values = true,
        value_name = "S",
        value_parser = parse_secret
    )]
    value: Secret,
}

#[derive(Args, Debug)]
pub(crate) struct SendArgs {
    /// The receiver's URL: HTTPS (plain http only for loopback: `127.0.0.0/8`, `localhost`, `[::1]`).
    #[arg(long, value_name = "URL")]
    to: String,
    #[command(flatten)]
    secret: SecretArg,
    /// The event's topic.
    #[arg(long, value_parser = PossibleValuesParser::new(TOPICS))]
    topic: String,
    /// Which sample event to send [default: text for messages, sent for delivery_status].
    #[arg(long, value_parser = sample_names(), conflicts_with = "body")]
    kind: Option<String>,
    /// Send this file's raw bytes, unchanged, instead of a sample (`-` reads stdin).
    #[arg(long, value_name = "FILE")]
    body: Option<String>,
    #[command(flatten)]
    timeout: TimeoutArg,
}

#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    secret: SecretArg,
    /// The value of the x-connectly-hmac-sha256 header (Base64).
    #[arg(long, value_name = "SIG", required = true)]
    signature: Option<String>,
    /// The raw body, byte for byte as received (`-`: stdin).
    #[arg(value_name = "FILE", default_value = "-")]
    file: String,
}

/// The names of the sample events, from the spec.
fn sample_names() -> PossibleValuesParser {
    PossibleValuesParser::new(connectly_webhook::samples().map(|s| s.name))
}

/// The sample kinds of `topic`, in the spec's order.
fn kinds(topic: &str) -> Vec<&'static str> {
    connectly_webhook::samples_of(topic)
        .map(|s| s.name)
        .collect()
}

pub(crate) async fn run(global: &Global, command: EventsCommand) -> Result<(), Failure> {
    match command {
        EventsCommand::Send(args) => {
            let timeout = args.timeout.duration();
            send(global, timeout, args).await
        }
        EventsCommand::Verify(args) => verify(global, args),
    }
}

/// The receiver's answer, as shown: the secret is never sent, but a receiver that has it could
/// echo it, so it is masked (when long enough to be told from ordinary text).
fn masked(answer: &str, secret: &str) -> String {
    if secret.len() >= 8 {
        answer.replace(secret, "[redacted]")
    } else {
        answer.to_owned()
    }
}

/// Whether the URL's host is loopback: `127.0.0.0/8`, `localhost` or `[::1]`.
fn is_loopback(url: &Url) -> bool {
    url.host_str()
        .is_some_and(connectly_webhook::is_loopback_host)
}

/// The URL for messages: any password replaced.
fn shown(url: &Url) -> String {
    let mut url = url.clone();
    if url.password().is_some() {
        let _ = url.set_password(Some("redacted"));
    }
    url.to_string()
}

fn read_bytes(name: &str) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    if name == "-" {
        if std::io::stdin().is_terminal() {
            eprintln!("connectly: reading the body from stdin (end with Ctrl-D)");
        }
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::failed(format!("cannot read stdin: {e}")))?;
    } else {
        bytes =
            std::fs::read(name).map_err(|e| Failure::failed(format!("cannot read {name}: {e}")))?;
    }
    Ok(bytes)
}

async fn send(global: &Global, timeout: Duration, args: SendArgs) -> Result<(), Failure> {
    let topic = args.topic.as_str();
    // Everything is checked before anything is read or sent.
    let kind = match &args.kind {
        Some(kind) if !kinds(topic).contains(&kind.as_str()) => {
            let other = TOPICS.iter().find(|t| kinds(t).contains(&kind.as_str()));
            return Err(Failure::usage(format!(
                "--kind {kind} is {}, not of --topic {topic}, whose kinds are {}",
                other.map_or("unknown".to_owned(), |t| format!("a sample of topic {t}")),
                kinds(topic).join(", ")
            )));
        }
        Some(kind) => Some(kind.as_str()),
        None if args.body.is_some() => None,
        None => connectly_webhook::default_sample(topic).map(|s| s.name),
    };
    let url = Url::parse(&args.to)
        .map_err(|e| Failure::usage(format!("--to {:?} is not a URL: {e}", args.to)))?;
    let loopback = is_loopback(&url);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(Failure::usage(format!(
                "refusing to send to {} over plain http: the event would travel unencrypted. \
                 Use https (plain http is allowed only for loopback hosts: 127.0.0.0/8, localhost, [::1])",
                shown(&url)
            )))
        }
        scheme => {
            return Err(Failure::usage(format!(
                "--to {}: the scheme must be https, not {scheme}",
                shown(&url)
            )))
        }
    }

    let (body, what) = match (&args.body, kind) {
        (Some(file), _) => {
            let bytes = read_bytes(file)?;
            let name = if file == "-" {
                "<stdin>"
            } else {
                file.as_str()
            };
            match connectly_webhook::parse(&bytes) {
                Ok(event) if event.topic() == topic => {}
                Ok(event) => eprintln!(
                    "connectly: warning: {name} is a {} event, not {topic}; sending it unchanged",
                    event.topic()
                ),
                Err(e) => eprintln!(
                    "connectly: warning: {name} is not a valid Connectly event ({e}); sending it unchanged"
                ),
            }
            (bytes, format!("{name} ({topic})"))
        }
        (None, Some(kind)) => {
            let sample = connectly_webhook::sample(kind).expect("kinds come from the samples");
            (
                sample.body.as_bytes().to_vec(),
                format!("the {kind} sample ({topic}: {})", sample.summary),
            )
        }
        (None, None) => unreachable!("a kind is chosen when there is no --body"),
    };

    let length = body.len();
    let answer =
        connectly_webhook::send::send_event(&url, args.secret.value.0.as_bytes(), body, timeout)
            .await
            .map_err(|e| {
                let failure = Failure::failed(format!("cannot deliver to {}", shown(&url)))
                    .caused_by(&e)
                    .network(&url, "--to");
                // The sender words a timeout as "no answer within N s".
                if e.to_string().starts_with("no answer within") {
                    failure
                        .kind(Kind::Timeout)
                        .hint("pass --timeout SECONDS to wait longer")
                } else {
                    failure
                }
            })?;
    let status = answer.status;
    eprintln!(
        "connectly: sent {what}, {length} bytes, signed, to {}",
        shown(&url)
    );
    if global.json {
        crate::output::json(&json!({"status": status.as_u16(), "kind": kind, "topic": topic}));
    } else {
        crate::outln!("{status}");
    }
    if status.is_success() {
        return Ok(());
    }
    let answer = masked(
        String::from_utf8_lossy(&answer.excerpt).trim(),
        &args.secret.value.0,
    );
    Err(Failure::failed(if answer.is_empty() {
        format!("the receiver answered {status}")
    } else {
        format!("the receiver answered {status}: {answer}")
    }))
}

fn verify(global: &Global, args: VerifyArgs) -> Result<(), Failure> {
    let body = read_bytes(&args.file)?;
    let secret = args.secret.value.0.as_bytes();
    match connectly_webhook::verify(secret, &body, args.signature.as_deref()) {
        Ok(()) => {
            if global.json {
                crate::output::json(&json!({"valid": true}));
            } else {
                crate::outln!("valid");
            }
            Ok(())
        }
        Err(error) => {
            let reason = error.to_string();
            if global.json {
                crate::output::json(&json!({"valid": false, "reason": reason}));
            } else {
                crate::outln!("invalid");
            }
            eprintln!("error: {reason}");
            if matches!(error, connectly_webhook::Error::SignatureMismatch) {
                let trimmed = body
                    .strip_suffix(b"\r\n")
                    .or_else(|| body.strip_suffix(b"\n"));
                let without_newline = trimmed.is_some_and(|trimmed| {
                    connectly_webhook::verify(secret, trimmed, args.signature.as_deref()).is_ok()
                });
                if without_newline {
                    eprintln!(
                        "  hint: it matches the body without its trailing newline: the file has one that was not signed"
                    );
                } else {
                    eprintln!(
                        "  hint: check the secret, and that the file holds the raw body exactly as received (not reformatted)"
                    );
                }
            }
            Err(Failure::reported())
        }
    }
}
