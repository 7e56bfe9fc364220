//! `connectly export`: the live registrations of a business as a webhooks config file, so that
//! `connectly apply` of it changes nothing and existing registrations are adopted in place.

use connectly_client::types;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::output::Printer;
use crate::{business_id, ApiArgs, Connection, Failure};

/// `export`'s `--json` document: a webhooks config.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Exported {
    business_id: String,
    webhooks: Vec<Value>,
}

pub(crate) async fn run(
    connection: &Connection,
    printer: &Printer,
    api: &ApiArgs,
) -> Result<(), Failure> {
    let business = business_id(api, None)?;
    let live = connection.client.list_webhooks(&business).await?.webhooks;
    let (kept, left_out) = split(&live);
    let webhooks: Vec<Value> = kept.iter().map(|w| entry(w)).collect();
    if printer.json_mode() {
        for (registration, why) in &left_out {
            printer.warning(format!(
                "left out {} ({} {}): {why}",
                registration.id, registration.topic, registration.address
            ));
        }
        return printer.json(&Exported {
            business_id: business,
            webhooks,
        });
    }
    let source = connection.client.base_url();
    printer.out(&yaml(&business, source, &kept, &webhooks, &left_out))
}

/// The registrations a config file can hold (the first listed of each known topic) and those it
/// cannot, with why: a topic this version does not know (`validate` would refuse it, `apply`
/// leaves it alone), or a second registration of a topic (a config holds one per topic; `apply
/// --prune` of the file deletes it).
fn split(
    live: &[types::WebhookRegistration],
) -> (
    Vec<&types::WebhookRegistration>,
    Vec<(&types::WebhookRegistration, &'static str)>,
) {
    let mut kept: Vec<&types::WebhookRegistration> = Vec::new();
    let mut left_out = Vec::new();
    for registration in live {
        if registration.known_topic().is_none() {
            left_out.push((
                registration,
                "a topic this version of connectly does not know; `connectly apply` leaves it alone",
            ));
        } else if kept.iter().any(|k| k.topic == registration.topic) {
            left_out.push((
                registration,
                "a second registration for its topic (a config holds one per topic); \
                 `connectly apply --prune` of this file deletes it",
            ));
        } else {
            kept.push(registration);
        }
    }
    (kept, left_out)
}

/// One live registration as a config entry: what a create needs, without the defaults
/// (`type: custom`, `echo: false`, empty lists), so that applying it changes nothing.
pub(crate) fn entry(live: &types::WebhookRegistration) -> Value {
    let mut entry = Map::new();
    entry.insert("topic".into(), json!(live.topic));
    entry.insert("address".into(), json!(live.address));
    if let Some(type_) = live
        .type_
        .as_ref()
        .filter(|t| **t != types::WebhookType::default().to_string())
    {
        entry.insert("type".into(), json!(type_));
    }
    if let Some(Value::Object(mut configuration)) = live.configuration.as_ref().map(|c| json!(c)) {
        connectly_client::reconcile::drop_defaults(&mut configuration);
        if !configuration.is_empty() {
            entry.insert("configuration".into(), Value::Object(configuration));
        }
    }
    Value::Object(entry)
}

/// The config as YAML, with comments saying where it came from and what was left out. Every
/// scalar is written as JSON (a JSON string is a YAML double-quoted scalar), so no value needs
/// YAML quoting rules; a comment holds no line break (its text is made printable).
fn yaml(
    business: &str,
    source: &str,
    kept: &[&types::WebhookRegistration],
    webhooks: &[Value],
    left_out: &[(&types::WebhookRegistration, &'static str)],
) -> String {
    let mut out = format!(
        "# Exported by `connectly export` from {source}, business {business}: {} registration(s).\n\
         # `connectly apply` of this file changes nothing; edit it, then apply.\n",
        kept.len() + left_out.len()
    );
    for (registration, why) in left_out {
        out.push_str(&format!(
            "# Left out: {} {} {}: {why}.\n",
            scalar(&json!(registration.id)),
            scalar(&json!(registration.topic)),
            scalar(&json!(registration.address)),
        ));
    }
    out.push_str(&format!("businessId: {}\n", json!(business)));
    if webhooks.is_empty() {
        out.push_str("webhooks: []\n");
        return out;
    }
    out.push_str("webhooks:\n");
    for (registration, entry) in kept.iter().zip(webhooks) {
        out.push_str(&format!("  # id {}\n", scalar(&json!(registration.id))));
        let Value::Object(fields) = entry else {
            continue;
        };
        for (i, (key, value)) in fields.iter().enumerate() {
            let lead = if i == 0 { "  - " } else { "    " };
            match value {
                Value::Object(inner) => {
                    out.push_str(&format!("{lead}{key}:\n"));
                    for (k, v) in inner {
                        out.push_str(&format!("      {k}: {}\n", scalar(v)));
                    }
                }
                other => out.push_str(&format!("{lead}{key}: {}\n", scalar(other))),
            }
        }
    }
    out
}

/// A value as JSON text (a JSON string is a YAML double-quoted scalar), in the printable form
/// of [`crate::output::json_text`]: read back, the same value.
fn scalar(value: &Value) -> String {
    crate::output::json_text(&value.to_string())
}
