//! `connectly events verify` and `events inspect`: a body checked against its signature, and read
//! the way a receiver reads it (never refused for its shape).

use serde::Serialize;
use serde_json::json;

use super::{read_bytes, reason, InspectArgs, VerifyArgs};
use crate::failure::Kind;
use crate::output::{self, Printer};
use crate::Failure;

/// `events verify`'s `--json` document (beside `error` when it does not match).
#[derive(Serialize)]
struct Verified {
    valid: bool,
}

/// `events inspect`'s `--json` document (beside `error` when the signature does not match).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Inspected<'a> {
    verified: Option<bool>,
    topic: &'a str,
    kind: &'a str,
    delivery_key: String,
    timestamp: Option<&'a str>,
    fields: serde_json::Map<String, serde_json::Value>,
    reason: Option<&'a str>,
}

pub(super) fn verify(printer: &Printer, args: VerifyArgs) -> Result<(), Failure> {
    let secret = args.secret.needed("events verify")?.0.as_bytes();
    let body = read_bytes(printer, &args.file)?;
    match connectly_webhook::verify(secret, &body, args.signature.as_deref()) {
        Ok(()) if printer.json_mode() => printer.json(&Verified { valid: true }),
        Ok(()) => printer.line("valid"),
        Err(error) => {
            if !printer.json_mode() {
                printer.line("invalid")?;
            }
            let mut failure = Failure::failed(error.to_string())
                .kind(Kind::Invalid)
                .with_document(output::fields(&Verified { valid: false }));
            if matches!(error, connectly_webhook::Error::SignatureMismatch) {
                let trimmed = body
                    .strip_suffix(b"\r\n")
                    .or_else(|| body.strip_suffix(b"\n"));
                let without_newline = trimmed.is_some_and(|trimmed| {
                    connectly_webhook::verify(secret, trimmed, args.signature.as_deref()).is_ok()
                });
                failure = failure.hint(if without_newline {
                    "it matches the body without its trailing newline: the file has one that was not signed"
                } else {
                    "check the secret, and that the file holds the raw body exactly as received (not reformatted)"
                });
            }
            Err(failure)
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

pub(super) fn inspect(printer: &Printer, args: InspectArgs) -> Result<(), Failure> {
    // Checked before anything is read.
    let secret = match &args.signature {
        Some(_) => Some(args.secret.needed("--signature")?),
        None => None,
    };
    let body = read_bytes(printer, &args.file)?;
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
        printer.status(format!(
            "connectly: {name}: {signature}; {}; shown raw",
            unreadable.reason
        ));
    }
    let document = Inspected {
        verified: verified.as_ref().map(Result::is_ok),
        topic: event.topic(),
        kind: event.kind(),
        delivery_key: key.to_string(),
        timestamp: event.timestamp(),
        fields: fields
            .iter()
            .map(|(field, value)| ((*field).to_owned(), value.clone()))
            .collect(),
        reason,
    };
    if !printer.json_mode() {
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
            printer.line(format!("{field:<13}{value}"))?;
        }
    }
    match verified {
        // The reading is printed; the verdict is the failure, as `events verify` says it.
        Some(Err(error)) => Err(Failure::failed(format!("{name}: {error}"))
            .kind(Kind::Invalid)
            .hint("check the secret, and that the file holds the raw body exactly as received")
            .with_document(output::fields(&document))),
        _ if printer.json_mode() => printer.json(&document),
        _ => Ok(()),
    }
}
