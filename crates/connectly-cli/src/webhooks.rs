//! `connectly webhooks create | list | update | delete`.

use std::io::{BufRead, IsTerminal, Write};

use connectly_client::{types, Error};
use connectly_schema::{validate_as, SchemaKind};
use serde_json::{json, Map, Value};

use crate::failure::Kind;
use crate::output;
use crate::{business_id, ApiArgs, ConfigFlags, Connection, Failure, Global, WebhooksCommand};

pub(crate) async fn run(
    connection: &Connection,
    global: &Global,
    api: &ApiArgs,
    command: WebhooksCommand,
) -> Result<(), Failure> {
    let client = &connection.client;
    let business = business_id(api, None)?;
    match command {
        WebhooksCommand::Create {
            topic,
            address,
            type_,
            configuration,
        } => {
            let mut body = Map::new();
            body.insert("topic".into(), topic.clone().into());
            body.insert("address".into(), address.into());
            if let Some(type_) = type_ {
                body.insert("type".into(), type_.into());
            }
            if let Some(configuration) = configuration.to_json() {
                body.insert("configuration".into(), configuration);
            }
            let registration: types::CreateWebhookRequest =
                checked(SchemaKind::Registration, body)?;
            match client.create_webhook(&business, &registration).await {
                Ok(created) => {
                    if global.json {
                        output::json(&json!({"id": created.id}));
                    } else {
                        crate::outln!("{}", created.id);
                    }
                    Ok(())
                }
                Err(Error::AlreadyRegistered { .. }) => {
                    let existing = client.list_webhooks(&business).await.ok().and_then(|list| {
                        list.webhooks
                            .into_iter()
                            .find(|w| w.topic.to_string() == topic)
                    });
                    let (id, address) = existing
                        .map(|w| (w.id, w.address))
                        .unwrap_or_else(|| ("ID".to_owned(), "its address".to_owned()));
                    Err(Failure::failed(format!(
                        "topic `{topic}` already has a registration for business {business} (id {id}, address {address}); \
                         Connectly allows one address per topic."
                    ))
                    .kind(Kind::Conflict)
                    .hint(format!(
                        "change it in place with `connectly webhooks update {id} --address URL`"
                    )))
                }
                Err(e) => Err(e.into()),
            }
        }
        WebhooksCommand::List => {
            let mut list = client.list_webhooks(&business).await?;
            // Defaults included: an absent type is the spec's default.
            for webhook in &mut list.webhooks {
                webhook.type_ = Some(webhook.type_.unwrap_or_default());
            }
            if global.json {
                output::json(&serde_json::to_value(&list).unwrap_or_default());
            } else if list.webhooks.is_empty() {
                eprintln!("no webhooks registered for business {business}");
            } else {
                let rows: Vec<[String; 4]> = list
                    .webhooks
                    .iter()
                    .map(|w| {
                        [
                            w.id.clone(),
                            w.topic.to_string(),
                            w.type_.unwrap_or_default().to_string(),
                            w.address.clone(),
                        ]
                    })
                    .collect();
                output::table(["ID", "TOPIC", "TYPE", "ADDRESS"], &rows);
            }
            Ok(())
        }
        WebhooksCommand::Update {
            webhook_id,
            address,
            configuration,
        } => {
            let mut body = Map::new();
            if let Some(address) = address {
                body.insert("address".into(), address.into());
            }
            if let Some(configuration) = configuration.to_json() {
                body.insert("configuration".into(), configuration);
            }
            if body.is_empty() {
                return Err(Failure::usage(
                    "nothing to update: give --address and/or configuration flags".to_owned(),
                ));
            }
            let update: types::UpdateWebhookRequest = checked(SchemaKind::Update, body)?;
            client
                .update_webhook(&business, &webhook_id, &update)
                .await?;
            if global.json {
                output::json(&json!({"id": webhook_id, "updated": true}));
            } else {
                crate::outln!("updated {webhook_id}");
            }
            Ok(())
        }
        WebhooksCommand::Delete { webhook_id, yes } => {
            if !yes
                && std::io::stdin().is_terminal()
                && !confirm(&format!(
                    "Delete webhook {webhook_id} of business {business}? [y/N] "
                ))
            {
                return Err(Failure::failed("not deleted".to_owned()));
            }
            client.delete_webhook(&business, &webhook_id).await?;
            if global.json {
                output::json(&json!({"id": webhook_id, "deleted": true}));
            } else {
                crate::outln!("deleted {webhook_id}");
            }
            Ok(())
        }
    }
}

impl ConfigFlags {
    /// The `configuration` object the flags describe, if any flag was given.
    fn to_json(&self) -> Option<Value> {
        let mut configuration = Map::new();
        if let Some(echo) = self.echo {
            configuration.insert("echo".into(), echo.into());
        }
        if !self.channel_types.is_empty() {
            configuration.insert("channelTypes".into(), json!(self.channel_types));
        }
        if !self.filters.is_empty() {
            let filters: Vec<Value> = self
                .filters
                .iter()
                .map(|(field, expression)| json!({"field": field, "expression": expression}))
                .collect();
            configuration.insert("filters".into(), filters.into());
        }
        if let (Some(token), Some(url)) = (&self.webengage_token, &self.webengage_webhook_url) {
            configuration.insert(
                "webengageConfiguration".into(),
                json!({"webengageToken": token, "webengageWebhookUrl": url}),
            );
        }
        (!configuration.is_empty()).then_some(Value::Object(configuration))
    }
}

/// Validates a request body built from flags with the schema users get, naming the flag at
/// fault, then converts it to the client's type.
fn checked<T: serde::de::DeserializeOwned>(
    kind: SchemaKind,
    body: Map<String, Value>,
) -> Result<T, Failure> {
    let body = Value::Object(body);
    if let Err(errors) = validate_as(kind, &body) {
        let lines: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", flag_for(&e.pointer), e.message))
            .collect();
        return Err(Failure::usage(lines.join("\n")));
    }
    serde_json::from_value(body).map_err(|e| Failure::usage(e.to_string()))
}

/// The command-line flag that sets the value at `pointer`.
fn flag_for(pointer: &str) -> &'static str {
    let p = pointer.trim_start_matches('/');
    match p.split('/').next().unwrap_or_default() {
        "topic" => "--topic",
        "address" => "--address",
        "type" => "--type",
        "configuration" => match p.split('/').nth(1).unwrap_or_default() {
            "echo" => "--echo",
            "channelTypes" => "--channel-type",
            "filters" => "--filter",
            "webengageConfiguration" => "--webengage-token/--webengage-webhook-url",
            _ => "configuration",
        },
        _ => "request",
    }
}

fn confirm(question: &str) -> bool {
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok()
        && matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}
