//! `connectly events send | verify | inspect`: the receiving side's tools. `send` POSTs a
//! realistic signed event to a receiver, as Connectly does; `verify` checks a signature against a
//! body's raw bytes; `inspect` shows how connectly-webhook reads a body.
//!
//! Everything that came from outside (the receiver's answer, an event's fields, file names)
//! reaches a terminal only through [`connectly_net::printable`]; `--json` carries it as it is.

use std::fmt;

use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand};

use crate::output::Printer;
use crate::{Failure, TimeoutArg};

use connectly_webhook::TOPICS;

/// `events send --help`'s epilogue: the spec's samples, by topic.
fn send_help() -> String {
    let mut samples = String::new();
    for topic in TOPICS {
        let names = connectly_webhook::sample_names(topic);
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

mod inspect;
mod send;

pub(crate) async fn run(printer: &Printer, command: EventsCommand) -> Result<(), Failure> {
    match command {
        EventsCommand::Send(args) => {
            let timeout = args.timeout.duration();
            send::send(printer, timeout, args).await
        }
        EventsCommand::Verify(args) => inspect::verify(printer, args),
        EventsCommand::Inspect(args) => inspect::inspect(printer, args),
    }
}

/// Reads an event body (`-`: stdin), capped.
pub(super) fn read_bytes(printer: &Printer, name: &str) -> Result<Vec<u8>, Failure> {
    crate::input::read_source(
        printer,
        name,
        "an event body",
        crate::input::MAX_EVENT_BYTES,
    )
    .map_err(Failure::failed)
}

/// Why the library could not type `event` (an unknown or unreadable shape), if it could not.
pub(super) fn reason(event: &connectly_webhook::Event) -> Option<&str> {
    match event {
        connectly_webhook::Event::Unknown(unknown) => Some(&unknown.reason),
        connectly_webhook::Event::Unreadable(unreadable) => Some(&unreadable.reason),
        _ => None,
    }
}
