//! `connectly export`: the live registrations of a business as a webhooks config file, so that
//! `connectly apply` of it changes nothing and existing registrations are adopted in place.

use connectly_client::types;
use serde_json::{json, Map, Value};

use crate::output;
use crate::{business_id, ApiArgs, Connection, Failure, Global};

pub(crate) async fn run(
    connection: &Connection,
    global: &Global,
    api: &ApiArgs,
) -> Result<(), Failure> {
    let business = business_id(api, None)?;
    let live = connection.client.list_webhooks(&business).await?.webhooks;
    let webhooks: Vec<Value> = live.iter().map(entry).collect();
    if global.json {
        let config = json!({"businessId": business, "webhooks": webhooks});
        output::json(&config);
    } else {
        let source = connection.client.base_url();
        output::write_stdout(format_args!(
            "{}",
            yaml(&business, source, &live, &webhooks)
        ));
    }
    Ok(())
}

/// One live registration as a config entry: what a create needs, without the defaults
/// (`type: custom`, `echo: false`, empty lists), so that applying it changes nothing.
fn entry(live: &types::WebhookRegistration) -> Value {
    let mut entry = Map::new();
    entry.insert("topic".into(), json!(live.topic));
    entry.insert("address".into(), json!(live.address));
    if let Some(type_) = live.type_.filter(|t| *t != types::WebhookType::default()) {
        entry.insert("type".into(), json!(type_));
    }
    if let Some(Value::Object(mut configuration)) = live.configuration.as_ref().map(|c| json!(c)) {
        configuration.retain(|_, v| {
            !(v.is_null()
                || *v == Value::Bool(false)
                || matches!(v, Value::Array(a) if a.is_empty()))
        });
        if !configuration.is_empty() {
            entry.insert("configuration".into(), Value::Object(configuration));
        }
    }
    Value::Object(entry)
}

/// The config as YAML, with comments saying where it came from. Every scalar is written as JSON
/// (a JSON string is a YAML double-quoted scalar), so no value needs YAML quoting rules.
fn yaml(
    business: &str,
    source: &str,
    live: &[types::WebhookRegistration],
    webhooks: &[Value],
) -> String {
    let mut out = format!(
        "# Exported by `connectly export` from {source}, business {business}: {} registration(s).\n\
         # `connectly apply` of this file changes nothing; edit it, then apply.\n",
        live.len()
    );
    out.push_str(&format!("businessId: {}\n", json!(business)));
    if webhooks.is_empty() {
        out.push_str("webhooks: []\n");
        return out;
    }
    out.push_str("webhooks:\n");
    for (registration, entry) in live.iter().zip(webhooks) {
        out.push_str(&format!("  # id {}\n", json!(registration.id)));
        let Value::Object(fields) = entry else {
            continue;
        };
        for (i, (key, value)) in fields.iter().enumerate() {
            let lead = if i == 0 { "  - " } else { "    " };
            match value {
                Value::Object(inner) => {
                    out.push_str(&format!("{lead}{key}:\n"));
                    for (k, v) in inner {
                        out.push_str(&format!("      {k}: {v}\n"));
                    }
                }
                other => out.push_str(&format!("{lead}{key}: {other}\n")),
            }
        }
    }
    out
}
