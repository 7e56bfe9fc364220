//! A change to a registration as the CLI shows it, terraform-style: `~ path: old → new` in text,
//! `{path, old, new}` in JSON; a WebEngage token never shown. Shared by `apply` and
//! `webhooks create --upsert`.

use connectly_client::reconcile::Change;
use serde::Serialize;
use serde_json::Value;

/// A change as `~ path: old → new`, `+ path: new`, `- path: old`; sensitive values hidden.
pub(crate) fn change_line(change: &Change) -> String {
    let show = |v: &Option<Value>| match v {
        Some(v) => shown(&change.path, v),
        None => String::new(),
    };
    match change.sign() {
        '+' => format!("+ {}: {}", change.path, show(&change.new)),
        '-' => format!("- {}: {}", change.path, show(&change.old)),
        _ => format!(
            "~ {}: {} → {}",
            change.path,
            show(&change.old),
            show(&change.new)
        ),
    }
}

/// A change as JSON: `{path, old, new}` (absent sides are `null`); sensitive values hidden.
#[derive(Debug, Serialize)]
pub(crate) struct ChangeDoc {
    path: String,
    old: Value,
    new: Value,
}

impl From<&Change> for ChangeDoc {
    fn from(change: &Change) -> Self {
        let hide = |v: &Option<Value>| match v {
            Some(v) if is_sensitive(&change.path, v) => Value::String("(sensitive)".to_owned()),
            Some(v) => v.clone(),
            None => Value::Null,
        };
        Self {
            path: change.path.clone(),
            old: hide(&change.old),
            new: hide(&change.new),
        }
    }
}

/// A WebEngage token is a credential: diffs say it changed, never what it is.
pub(crate) fn is_sensitive(path: &str, value: &Value) -> bool {
    path.ends_with("webengageToken")
        || value
            .as_object()
            .is_some_and(|o| o.contains_key("webengageToken"))
        || value
            .pointer("/webengageConfiguration/webengageToken")
            .is_some()
}

fn shown(path: &str, value: &Value) -> String {
    if is_sensitive(path, value) {
        return "(sensitive)".to_owned();
    }
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    connectly_net::printable(&text).into_owned()
}
