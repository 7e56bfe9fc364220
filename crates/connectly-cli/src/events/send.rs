//! `connectly events send`: a realistic signed event (a sample of the spec, or a file's raw
//! bytes) POSTed to a receiver as Connectly sends it.

use std::time::Duration;

use reqwest::Url;
use serde::Serialize;

use super::{read_bytes, reason, SendArgs};
use crate::failure::Kind;
use crate::output::{self, Printer};
use crate::Failure;

/// `events send`'s `--json` document (beside `error` when the receiver refused the event).
#[derive(Serialize)]
struct Sent<'a> {
    status: u16,
    sample: Option<&'a str>,
    topic: &'a str,
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

pub(super) async fn send(
    printer: &Printer,
    timeout: Duration,
    args: SendArgs,
) -> Result<(), Failure> {
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
            let bytes = read_bytes(printer, file)?;
            let name = crate::input::display_name(file);
            match connectly_webhook::parse(&bytes) {
                Ok(event) => match reason(&event) {
                    Some(reason) => printer.warning(format!(
                        "{name} is not an event this version can type ({reason}); sending it unchanged"
                    )),
                    None if event.topic() == topic => {}
                    None => printer.warning(format!(
                        "{name} is a {} event, not {topic}; sending it unchanged",
                        event.topic()
                    )),
                },
                Err(e) => printer.warning(format!(
                    "{name} is not a Connectly event ({}); sending it unchanged",
                    // The error and its causes on one line, as `Failure` words them.
                    Failure::failed(e.to_string()).caused_by(&e)
                )),
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
    printer.status(format!(
        "connectly: sent {what}, {length} bytes, signed, to {}",
        shown(&url)
    ));
    let document = Sent {
        status: status.as_u16(),
        sample: sample_name,
        topic,
    };
    if !printer.json_mode() {
        printer.line(status)?;
    }
    if status.is_success() {
        return if printer.json_mode() {
            printer.json(&document)
        } else {
            Ok(())
        };
    }
    // Shown through `printable` when the failure is printed (`Printer::failure`).
    let answer = masked(String::from_utf8_lossy(&answer.excerpt).trim(), &secret.0);
    Err(Failure::failed(if answer.is_empty() {
        format!("the receiver answered {status}")
    } else {
        format!("the receiver answered {status}: {answer}")
    })
    .with_document(output::fields(&document)))
}
