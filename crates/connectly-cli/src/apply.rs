//! `connectly apply`: reconcile the live registrations of a business with a config file.
//!
//! Registrations are matched by topic (Connectly allows one per topic per business). For each
//! topic: missing → create; same address, type and configuration → unchanged; another address
//! or configuration → update in place (same id); another type, or a configuration list to clear
//! (which an update cannot do) → replace (delete, then create), only with `--prune`. Live
//! registrations of topics not in the file are deleted only with `--prune`.

use std::io::IsTerminal;

use connectly_client::types;
use serde_json::{json, Map, Value};

use crate::output;
use crate::{business_id, ApiArgs, Connection, Failure, Global};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Create,
    Update,
    Unchanged,
    Replace,
    Delete,
    /// Differs, but only a replace can fix it, and `--prune` was not given.
    NeedsPrune,
    /// Live, not in the file, kept because `--prune` was not given.
    Kept,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Create => "create",
            Kind::Update => "update",
            Kind::Unchanged => "unchanged",
            Kind::Replace => "replace",
            Kind::Delete => "delete",
            Kind::NeedsPrune => "needs-prune",
            Kind::Kept => "kept",
        }
    }
}

struct Action {
    kind: Kind,
    topic: String,
    /// The live id (the new one once created).
    id: Option<String>,
    address: String,
    reason: Option<String>,
    desired: Option<types::CreateWebhookRequest>,
}

/// A configuration as compared: absent `echo` is `false`, empty lists are absent.
fn normalised(configuration: Option<&types::Configuration>) -> Map<String, Value> {
    let mut map = match configuration.map(serde_json::to_value) {
        Some(Ok(Value::Object(map))) => map,
        _ => Map::new(),
    };
    if map.get("echo") == Some(&Value::Bool(false)) {
        map.remove("echo");
    }
    map.retain(|_, v| !matches!(v, Value::Array(a) if a.is_empty()));
    map
}

fn plan(
    desired: &types::WebhooksConfig,
    live: &[types::WebhookRegistration],
    prune: bool,
) -> Vec<Action> {
    let mut actions = Vec::new();
    for want in &desired.webhooks {
        let topic = want.topic.to_string();
        let Some(have) = live.iter().find(|w| w.topic == want.topic) else {
            actions.push(Action {
                kind: Kind::Create,
                topic,
                id: None,
                address: want.address.to_string(),
                reason: None,
                desired: Some(want.clone()),
            });
            continue;
        };
        let want_config = normalised(want.configuration.as_ref());
        let have_config = normalised(have.configuration.as_ref());
        let want_type = want.type_.unwrap_or_default();
        let have_type = have.type_.unwrap_or_default();
        let cleared: Vec<&String> = have_config
            .keys()
            .filter(|k| *k != "echo" && !want_config.contains_key(*k))
            .collect();
        let (kind, reason) = if want_type != have_type {
            (
                Kind::Replace,
                Some(format!(
                    "type {have_type} → {want_type} (the type cannot be updated)"
                )),
            )
        } else if !cleared.is_empty() {
            let keys: Vec<&str> = cleared.iter().map(|k| k.as_str()).collect();
            (
                Kind::Replace,
                Some(format!(
                    "{} to remove (an update cannot clear them)",
                    keys.join(", ")
                )),
            )
        } else if have.address != want.address.as_str() || want_config != have_config {
            (Kind::Update, None)
        } else {
            (Kind::Unchanged, None)
        };
        let kind = if kind == Kind::Replace && !prune {
            Kind::NeedsPrune
        } else {
            kind
        };
        actions.push(Action {
            kind,
            topic,
            id: Some(have.id.clone()),
            address: want.address.to_string(),
            reason,
            desired: Some(want.clone()),
        });
    }
    for have in live {
        if !desired.webhooks.iter().any(|w| w.topic == have.topic) {
            actions.push(Action {
                kind: if prune { Kind::Delete } else { Kind::Kept },
                topic: have.topic.to_string(),
                id: Some(have.id.clone()),
                address: have.address.clone(),
                reason: (!prune).then(|| "not in the file (--prune deletes it)".to_owned()),
                desired: None,
            });
        }
    }
    actions
}

pub(crate) async fn run(
    connection: &Connection,
    global: &Global,
    api: &ApiArgs,
    config: types::WebhooksConfig,
    dry_run: bool,
    prune: bool,
) -> Result<(), Failure> {
    let client = &connection.client;
    let business = business_id(api, config.business_id.as_deref().map(|b| b.as_str()))?;
    let live = client.list_webhooks(&business).await?.webhooks;
    let mut actions = plan(&config, &live, prune);

    if !dry_run {
        // Deletions first: they free topics for the creations.
        let mut order: Vec<usize> = (0..actions.len()).collect();
        order.sort_by_key(|&i| match actions[i].kind {
            Kind::Delete => 0,
            Kind::Replace => 1,
            Kind::Update => 2,
            Kind::Create => 3,
            _ => 4,
        });
        let changes = order
            .iter()
            .filter(|&&i| is_change(actions[i].kind))
            .count();
        let progress = std::io::stderr().is_terminal() && !global.json;
        let mut done = 0;
        for i in order {
            let action = &mut actions[i];
            if !is_change(action.kind) {
                continue;
            }
            execute(client, &business, action).await.map_err(|e| {
                Failure::failed(format!(
                    "{} {} failed after {done} of {changes} change(s): {e}",
                    action.kind.label(),
                    action.topic
                ))
            })?;
            done += 1;
            if progress {
                eprintln!(
                    "[{done}/{changes}] {} {}",
                    action.kind.label(),
                    action.topic
                );
            }
        }
    }
    report(&business, &actions, dry_run, global.json);
    if actions.iter().any(|a| a.kind == Kind::NeedsPrune) {
        return Err(Failure::failed(
            "some registrations can only be replaced (delete, then create): rerun with --prune"
                .to_owned(),
        ));
    }
    Ok(())
}

fn is_change(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::Create | Kind::Update | Kind::Replace | Kind::Delete
    )
}

async fn execute(
    client: &connectly_client::Client,
    business: &str,
    action: &mut Action,
) -> Result<(), connectly_client::Error> {
    match action.kind {
        Kind::Create | Kind::Replace => {
            if let (Kind::Replace, Some(id)) = (action.kind, &action.id) {
                client.delete_webhook(business, id).await?;
            }
            let desired = action
                .desired
                .as_ref()
                .expect("creations carry their registration");
            action.id = Some(client.create_webhook(business, desired).await?.id);
        }
        Kind::Update => {
            let desired = action
                .desired
                .as_ref()
                .expect("updates carry their registration");
            let mut configuration = desired.configuration.clone().unwrap_or_default();
            // Send `echo` explicitly, so `true` → absent also changes.
            configuration.echo = Some(configuration.echo.unwrap_or(false));
            let update = types::UpdateWebhookRequest {
                address: Some(desired.address.clone()),
                configuration: Some(configuration),
            };
            let id = action.id.as_deref().expect("updates have an id");
            client.update_webhook(business, id, &update).await?;
        }
        Kind::Delete => {
            let id = action.id.as_deref().expect("deletions have an id");
            client.delete_webhook(business, id).await?;
        }
        Kind::Unchanged | Kind::NeedsPrune | Kind::Kept => {}
    }
    Ok(())
}

fn report(business: &str, actions: &[Action], dry_run: bool, json_output: bool) {
    let count = |kinds: &[Kind]| actions.iter().filter(|a| kinds.contains(&a.kind)).count();
    let created = count(&[Kind::Create]);
    let updated = count(&[Kind::Update]);
    let unchanged = count(&[Kind::Unchanged]);
    let replaced = count(&[Kind::Replace]);
    let deleted = count(&[Kind::Delete]);
    let blocked = count(&[Kind::NeedsPrune]);
    let kept = count(&[Kind::Kept]);
    if json_output {
        let list: Vec<Value> = actions
            .iter()
            .map(|a| json!({"action": a.kind.label(), "topic": a.topic, "id": a.id, "address": a.address, "reason": a.reason}))
            .collect();
        output::json(
            &json!({"businessId": business, "dryRun": dry_run, "actions": list, "summary": {
                "created": created, "updated": updated, "unchanged": unchanged, "replaced": replaced,
                "deleted": deleted, "needsPrune": blocked, "kept": kept}}),
        );
        return;
    }
    let rows: Vec<[String; 5]> = actions
        .iter()
        .map(|a| {
            [
                a.kind.label().to_owned(),
                a.topic.clone(),
                a.id.clone().unwrap_or_else(|| "-".to_owned()),
                a.address.clone(),
                a.reason.clone().unwrap_or_default(),
            ]
        })
        .collect();
    output::table(["ACTION", "TOPIC", "ID", "ADDRESS", "NOTE"], &rows);
    let verb = |n: usize, word: &str| format!("{n} {word}");
    crate::outln!(
        "{}: {}, {}, {}, {}, {}{}",
        if dry_run {
            "plan (dry run, nothing changed)"
        } else {
            "applied"
        },
        verb(created, "created"),
        verb(updated, "updated"),
        verb(unchanged, "unchanged"),
        verb(replaced, "replaced"),
        verb(deleted, "deleted"),
        if blocked + kept > 0 {
            format!(", {blocked} need --prune, {kept} kept")
        } else {
            String::new()
        },
    );
}
