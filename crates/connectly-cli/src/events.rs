//! `connectly events send | verify | inspect`: the receiving side's tools. `send` POSTs a
//! realistic signed event to a receiver, as Connectly does; `verify` checks a signature against a
//! body's raw bytes; `inspect` shows how connectly-webhook reads a body.
//!
//! Everything that came from outside (the receiver's answer, an event's fields, file names)
//! reaches a terminal only through [`connectly_net::printable`]; `--json` carries it as it is.

use std::fmt;
use std::time::Duration;

use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand};
use reqwest::Url;
use serde_json::json;

use crate::failure::Kind;
use crate::{Failure, Global, TimeoutArg};

use connectly_net::printable;
use connectly_webhook::TOPICS;

/// `events send --help`'s epilogue: the spec's samples, by topic.
fn send_help() -> String {
    let mut samples = String::new();
    for topic in TOPICS {
        let names = connectly_webhook::kinds_of(topic);
        samples.push_str(&format!(
            "  {topic:<16} {} (default: {})\n",
            names.join(", "),
            names.first().copied().unwrap_or("none")
        ));
    }
    format!(
        "\
The event is POSTed with the headers Connectly sends: `content-type: text/plain; charset=utf-8`
and `x-connectly-hmac-sha256: <Base64 HMAC-SHA256 of the body, keyed with the secret>`. Redirects
are not followed. Exit 0 when the receiver answers 2xx, 1 otherwise (or when it cannot be
reached), 2 on a usage error (a sample of another topic, a plain-http URL off loopback).

Samples (the named examples of the spec's `event` callback):
{samples}
Examples:
  export CONNECTLY_WEBHOOK_SECRET=whsec_...
  connectly events send --to http://127.0.0.1:3000/webhook --topic messages --sample button
  connectly events send --to https://hooks.example.com/connectly --topic delivery_status --body event.json"
    )
}

const VERIFY_HELP: &str = "\
Exit 0 (and `valid` on stdout) when SIG is the Base64 HMAC-SHA256 of the file's raw bytes keyed
with the secret; exit 1 (`invalid` on stdout, the reason on stderr: missing, not Base64, or
mismatch) otherwise.

Examples:
  connectly events verify --signature \"$SIG\" body.json
  connectly events verify --json --signature \"$SIG\" - < body.json     # {\"valid\": true}";

const INSPECT_HELP: &str = "\
Prints whether the signature matched (when --signature is given), the topic, the kind, the
delivery key (SHA-256 of the raw body: a retry has the same) and the main fields, as
connectly-webhook reads them. A JSON object this version cannot type is shown as topic/kind
`unknown` with the reason; one it cannot even read as JSON values (nesting over 128 levels,
`1e400`, a lone surrogate escape) is shown raw (field `raw`) with the reason. Text from the body
is shown escaped (`\\u{1b}`); --json carries it as it is: one object {\"verified\":
true|false|null, \"topic\", \"kind\", \"deliveryKey\", \"timestamp\", \"fields\": {...}, \"reason\"}.

Exit 0 for any body the library accepts (an unknown or unreadable shape included); 1 when the
signature does not match or the body is not a JSON object; 2 when --signature is given without
a secret.

Examples:
  connectly events inspect captured-body.json
  connectly events inspect --json --signature \"$SIG\" - < captured-body.json";

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
    #[command(after_help = send_help(), mut_arg("secret", |a| a.required(true)))]
    Send(SendArgs),
    /// Check an x-connectly-hmac-sha256 signature against a body's raw bytes.
    #[command(after_help = VERIFY_HELP, mut_arg("secret", |a| a.required(true)))]
    Verify(VerifyArgs),
    /// Show how the library reads a body: signature, topic, kind, delivery key, main fields.
    #[command(after_help = INSPECT_HELP)]
    Inspect(InspectArgs),
}

/// The webhook secret, from `--secret` or `CONNECTLY_WEBHOOK_SECRET`: one flag for the three
/// verbs; `send` and `verify` mark it required (`mut_arg`), `inspect` needs it only with
/// `--signature` ([`SecretArg::needed`]).
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
    secret: Option<Secret>,
}

impl SecretArg {
    /// The secret, or a usage error (exit 2) saying how to give it.
    fn needed(&self, by: &str) -> Result<&Secret, Failure> {
        self.secret.as_ref().ok_or_else(|| {
            Failure::usage(format!(
                "{by} needs the webhook secret (--secret or CONNECTLY_WEBHOOK_SECRET)"
            ))
        })
    }
}

#[derive(Args, Debug)]
pub(crate) struct SendArgs {
    /// The receiver's URL: HTTPS (plain http only for loopback: `127.0.0.0/8`, `localhost`, `[::1]`).
    #[arg(long, value_name = "URL")]
    to: String,
    #[command(flatten)]
    secret: SecretArg,
    /// The event's topic.
    #[arg(long, value_parser = PossibleValuesParser::new(TOPICS.iter().copied()))]
    topic: String,
    /// Which sample event to send [default: the topic's first, listed below].
    #[arg(long, value_name = "NAME", value_parser = sample_names(), conflicts_with = "body")]
    sample: Option<String>,
    /// Send this file's raw bytes, unchanged, instead of a sample (`-` reads stdin).
    #[arg(long, value_name = "FILE")]
    body: Option<String>,
    #[command(flatten)]
    timeout: TimeoutArg,
}

#[derive(Args, Debug)]
pub(crate) struct InspectArgs {
    #[command(flatten)]
    secret: SecretArg,
    /// The value of the x-connectly-hmac-sha256 header (Base64); checked when given.
    #[arg(long, value_name = "SIG")]
    signature: Option<String>,
    /// The raw body, byte for byte as received (`-`: stdin).
    #[arg(value_name = "FILE", default_value = "-")]
    file: String,
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

pub(crate) async fn run(global: &Global, command: EventsCommand) -> Result<(), Failure> {
    match command {
        EventsCommand::Send(args) => {
            let timeout = args.timeout.duration();
            send(global, timeout, args).await
        }
        EventsCommand::Verify(args) => verify(global, args),
        EventsCommand::Inspect(args) => inspect(global, args),
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

/// The URL for messages: any password replaced.
fn shown(url: &Url) -> String {
    connectly_net::shown(url)
}

fn read_bytes(name: &str) -> Result<Vec<u8>, Failure> {
    crate::input::read_source(name, "an event body", crate::input::MAX_EVENT_BYTES)
        .map_err(Failure::failed)
}

async fn send(global: &Global, timeout: Duration, args: SendArgs) -> Result<(), Failure> {
    let topic = args.topic.as_str();
    // Everything is checked before anything is read or sent.
    let secret = args.secret.needed("events send")?;
    let sample = match (&args.body, &args.sample) {
        (Some(_), None) => None,
        (_, name) => Some(
            connectly_webhook::choose_sample(topic, name.as_deref())
                .map_err(|e| Failure::usage(format!("--topic {topic} --sample: {e}")))?,
        ),
    };
    let sample_name = sample.map(|s| s.name);
    let url = Url::parse(&args.to)
        .map_err(|e| Failure::usage(format!("--to {:?} is not a URL: {e}", args.to)))?;
    match connectly_net::check_transport(&url) {
        Ok(()) => {}
        Err(connectly_net::Refusal::PlainHttp) => {
            return Err(Failure::usage(format!(
                "refusing to send to {} over plain http: the event would travel unencrypted. \
                 Use https (plain http is allowed only for loopback hosts: {})",
                shown(&url),
                connectly_net::LOOPBACK_HOSTS
            )))
        }
        Err(refusal) => return Err(Failure::usage(format!("--to {}: {refusal}", shown(&url)))),
    }

    let (body, what) = match (&args.body, sample) {
        (Some(file), _) => {
            let bytes = read_bytes(file)?;
            let name = printable(crate::input::display_name(file));
            match connectly_webhook::parse(&bytes) {
                Ok(event) => match reason(&event) {
                    Some(reason) => eprintln!(
                        "connectly: warning: {name} is not an event this version can type ({}); sending it unchanged",
                        printable(reason)
                    ),
                    None if event.topic() == topic => {}
                    None => eprintln!(
                        "connectly: warning: {name} is a {} event, not {topic}; sending it unchanged",
                        printable(event.topic())
                    ),
                },
                Err(e) => eprintln!(
                    "connectly: warning: {name} is not a Connectly event ({}); sending it unchanged",
                    // The error and its causes on one line, as `Failure` words them.
                    printable(&Failure::failed(e.to_string()).caused_by(&e).to_string())
                ),
            }
            (bytes, format!("{name} ({topic})"))
        }
        (None, Some(sample)) => (
            sample.body.as_bytes().to_vec(),
            format!("the {} sample ({topic}: {})", sample.name, sample.summary),
        ),
        (None, None) => unreachable!("a sample is chosen when there is no --body"),
    };

    let length = body.len();
    let answer = connectly_webhook::send::send_event(&url, secret.0.as_bytes(), body, timeout)
        .await
        .map_err(|e| {
            let failure = Failure::failed(format!("cannot deliver to {}", shown(&url)))
                .caused_by(&e)
                .network(&url, "--to");
            if e.is_timeout() {
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
        crate::output::json(
            &json!({"status": status.as_u16(), "sample": sample_name, "topic": topic}),
        );
    } else {
        crate::outln!("{status}");
    }
    if status.is_success() {
        return Ok(());
    }
    // Shown through `printable` when the failure is printed (`output::failure`).
    let answer = masked(String::from_utf8_lossy(&answer.excerpt).trim(), &secret.0);
    Err(Failure::failed(if answer.is_empty() {
        format!("the receiver answered {status}")
    } else {
        format!("the receiver answered {status}: {answer}")
    }))
}

fn verify(global: &Global, args: VerifyArgs) -> Result<(), Failure> {
    let secret = args.secret.needed("events verify")?.0.as_bytes();
    let body = read_bytes(&args.file)?;
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

/// The main fields of an event, in the order shown.
fn main_fields(event: &connectly_webhook::Event) -> Vec<(&'static str, serde_json::Value)> {
    use connectly_webhook::{Event, MessageKind};
    let mut fields = Vec::new();
    let mut put = |name, value: Option<serde_json::Value>| {
        if let Some(value) = value {
            fields.push((name, value));
        }
    };
    let party = |p: &connectly_webhook::types::Participant| {
        let mut text = p.id.clone();
        if let Some(name) = &p.name {
            text.push_str(&format!(" ({name})"));
        }
        if let Some(user_id) = &p.user_id {
            text.push_str(&format!(" userId {user_id}"));
        }
        json!(text)
    };
    match event {
        Event::Message(m) => {
            put("sender", Some(party(&m.sender)));
            put("recipient", Some(party(&m.recipient)));
            match m.kind() {
                MessageKind::Text(text) | MessageKind::ButtonText(text) => {
                    put("text", Some(json!(text)))
                }
                MessageKind::Attachments(attachments) => put(
                    "attachments",
                    Some(json!(attachments
                        .iter()
                        .map(|a| format!("{} {}", a.type_, a.url))
                        .collect::<Vec<_>>())),
                ),
                MessageKind::Referral(r) => {
                    put(
                        "text",
                        m.message
                            .as_ref()
                            .and_then(|c| c.text.clone())
                            .map(Into::into),
                    );
                    put("referral", serde_json::to_value(r).ok());
                }
                MessageKind::Button(b) => put("buttonResponse", serde_json::to_value(b).ok()),
                _ => put(
                    "message",
                    m.message
                        .as_ref()
                        .and_then(|c| serde_json::to_value(c).ok()),
                ),
            }
            put("replyToId", m.reply_to_id().map(Into::into));
            put("callbackData", m.callback_data().cloned());
        }
        Event::DeliveryStatus(s) => {
            put("messageId", Some(json!(s.status_update.id)));
            put("status", Some(json!(s.status_update.status)));
            put("customer", Some(party(&s.recipient)));
            if let Some(error) = s.error() {
                put("error", serde_json::to_value(error).ok());
            }
            put("campaign", s.campaign_name().map(Into::into));
            put("callbackData", s.callback_data().cloned());
        }
        Event::Report(r) => {
            let report = &r.report;
            put(
                "report",
                Some(json!(format!(
                    "{} ({}, {})",
                    report.id, report.name, report.type_
                ))),
            );
            put(
                "run",
                Some(json!(format!(
                    "{} {}",
                    report.last_run.id, report.last_run.status
                ))),
            );
            put("url", Some(json!(report.last_run.result.url)));
            put("expiresAt", Some(json!(report.last_run.result.expires_at)));
        }
        Event::Unknown(u) => put("keys", Some(json!(u.value.keys().collect::<Vec<_>>()))),
        Event::Unreadable(u) => put("raw", Some(json!(String::from_utf8_lossy(&u.raw)))),
        _ => {}
    }
    fields
}

/// Why the library could not type `event` (an unknown or unreadable shape), if it could not.
fn reason(event: &connectly_webhook::Event) -> Option<&str> {
    match event {
        connectly_webhook::Event::Unknown(unknown) => Some(&unknown.reason),
        connectly_webhook::Event::Unreadable(unreadable) => Some(&unreadable.reason),
        _ => None,
    }
}

fn inspect(global: &Global, args: InspectArgs) -> Result<(), Failure> {
    // Checked before anything is read.
    let secret = match &args.signature {
        Some(_) => Some(args.secret.needed("--signature")?),
        None => None,
    };
    let body = read_bytes(&args.file)?;
    let name = crate::input::display_name(&args.file);
    let verified = secret.map(|secret| {
        connectly_webhook::verify(secret.0.as_bytes(), &body, args.signature.as_deref())
    });
    let key = connectly_webhook::DeliveryKey::of(&body);
    let event = connectly_webhook::parse(&body).map_err(|error| {
        Failure::failed(format!("{name} is not a Connectly event"))
            .caused_by(&error)
            .kind(crate::failure::Kind::Invalid)
    })?;
    let fields = main_fields(&event);
    let reason = reason(&event);
    if let connectly_webhook::Event::Unreadable(unreadable) = &event {
        // The library's rule: a signed object is never refused for its shape; say what was
        // verified and what could not be read.
        let signature = match &verified {
            None => "signature not checked (no --signature)",
            Some(Ok(())) => "verified",
            Some(Err(_)) => "signature DOES NOT MATCH",
        };
        eprintln!(
            "connectly: {}: {signature}; {}; shown raw",
            printable(name),
            printable(&unreadable.reason)
        );
    }
    if global.json {
        let mut object = serde_json::Map::new();
        for (field, value) in &fields {
            object.insert((*field).to_owned(), value.clone());
        }
        crate::output::json(&json!({
            "verified": verified.as_ref().map(Result::is_ok),
            "topic": event.topic(),
            "kind": event.kind(),
            "deliveryKey": key.to_string(),
            "timestamp": event.timestamp(),
            "fields": object,
            "reason": reason,
        }));
    } else {
        let signature = match &verified {
            None => "not checked (no --signature)".to_owned(),
            Some(Ok(())) => "matched".to_owned(),
            Some(Err(e)) => format!("DOES NOT MATCH: {e}"),
        };
        let mut rows = vec![
            ("signature", signature),
            ("topic", event.topic().to_owned()),
            ("kind", event.kind().to_owned()),
            ("deliveryKey", key.to_string()),
        ];
        if let Some(timestamp) = event.timestamp() {
            rows.push(("timestamp", timestamp.to_owned()));
        }
        if let Some(reason) = reason {
            rows.push(("reason", reason.to_owned()));
        }
        for (field, value) in &fields {
            // Text as it is, a list of texts one after another, anything else as JSON.
            let text = match value {
                serde_json::Value::String(text) => text.clone(),
                serde_json::Value::Array(items) if items.iter().all(|i| i.is_string()) => items
                    .iter()
                    .filter_map(serde_json::Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            rows.push((field, text));
        }
        // Every value but the signature's and the key came from the body: one printable form.
        for (field, value) in rows {
            crate::outln!("{field:<13}{}", printable(&value));
        }
    }
    match verified {
        Some(Err(error)) => {
            // The reading is printed; the verdict goes to stderr, as `events verify` does.
            eprintln!(
                "error: {}: {error}\n  hint: check the secret, and that the file holds the raw body exactly as received",
                printable(name)
            );
            Err(Failure::reported())
        }
        _ => Ok(()),
    }
}
