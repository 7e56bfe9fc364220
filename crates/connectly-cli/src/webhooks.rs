//! `connectly webhooks create | list | update | delete`.

use connectly_client::{types, Error};
use connectly_schema::SchemaKind;
use serde::Serialize;

use crate::confirm;
use crate::failure::Kind;
use crate::flags::{checked, Given};
use crate::output::Printer;
use crate::{business_id, ApiArgs, Connection, Failure, WebhooksCommand};

/// `webhooks create`'s `--json` document.
#[derive(Serialize)]
struct Created {
    id: String,
}

/// `webhooks update`'s `--json` document.
#[derive(Serialize)]
struct Updated {
    id: String,
    updated: bool,
}

/// `webhooks delete`'s `--json` document.
#[derive(Serialize)]
struct Deleted {
    id: String,
    deleted: bool,
}

pub(crate) async fn run(
    connection: &Connection,
    printer: &Printer,
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
            upsert,
            dry_run,
            yes,
        } => {
            let given = Given {
                topic: Some(&topic),
                address: Some(&address),
                type_: type_.as_deref(),
                configuration: &configuration,
            };
            let registration: types::CreateWebhookRequest =
                checked(SchemaKind::Registration, given.body())?;
            if upsert {
                // `apply` of a file holding only this registration, for its topic only.
                let options = crate::apply::Options {
                    dry_run,
                    prune: true,
                    yes,
                    exit_code: dry_run,
                    parallel: 1,
                    only_topic: Some(registration.topic),
                };
                let one = crate::apply::one(&business, &registration)?;
                return crate::apply::run(connection, printer, vec![one], options).await;
            }
            match client.create_webhook(&business, &registration).await {
                Ok(created) if printer.json_mode() => printer.json(&Created { id: created.id }),
                Ok(created) => printer.line(created.id),
                Err(Error::AlreadyRegistered { .. }) => {
                    let existing = client
                        .list_webhooks(&business)
                        .await
                        .ok()
                        .and_then(|list| list.webhooks.into_iter().find(|w| w.topic == topic));
                    let (id, address) = existing
                        .map(|w| (w.id, w.address))
                        .unwrap_or_else(|| ("ID".to_owned(), "its address".to_owned()));
                    Err(Failure::failed(format!(
                        "topic `{topic}` already has a registration for business {business} (id {id}, address {address}); \
                         Connectly allows one address per topic."
                    ))
                    .kind(Kind::Conflict)
                    .hint(format!(
                        "change it in place with `connectly webhooks update {id} --address URL`, or rerun with --upsert"
                    )))
                }
                Err(e) => Err(e.into()),
            }
        }
        WebhooksCommand::List => {
            let mut list = client.list_webhooks(&business).await?;
            // Defaults included: an absent type is the spec's default.
            for webhook in &mut list.webhooks {
                if webhook.type_.is_none() {
                    webhook.type_ = Some(types::WebhookType::default().to_string());
                }
            }
            if printer.json_mode() {
                return printer.json(&list);
            }
            if list.webhooks.is_empty() {
                printer.status(format!("no webhooks registered for business {business}"));
                return Ok(());
            }
            let rows: Vec<[String; 4]> = list
                .webhooks
                .iter()
                .map(|w| {
                    [
                        w.id.clone(),
                        w.topic.clone(),
                        w.type_.clone().unwrap_or_default(),
                        w.address.clone(),
                    ]
                })
                .collect();
            printer.table(["ID", "TOPIC", "TYPE", "ADDRESS"], &rows)
        }
        WebhooksCommand::Update {
            webhook_id,
            address,
            configuration,
        } => {
            let given = Given {
                topic: None,
                address: address.as_deref(),
                type_: None,
                configuration: &configuration,
            };
            let body = given.body();
            if body.is_empty() {
                return Err(Failure::usage(
                    "nothing to update: give --address and/or configuration flags".to_owned(),
                ));
            }
            let update: types::UpdateWebhookRequest = checked(SchemaKind::Update, body)?;
            client
                .update_webhook(&business, &webhook_id, &update)
                .await?;
            let line = format!("updated {webhook_id}");
            printer.result(
                &Updated {
                    id: webhook_id,
                    updated: true,
                },
                line,
            )
        }
        WebhooksCommand::Delete { webhook_id, yes } => {
            let what = format!("delete webhook {webhook_id}");
            if !yes {
                // The question names what would go: the topic and the address.
                let listed = client.list_webhooks(&business).await?;
                let Some(it) = listed.webhooks.iter().find(|w| w.id == webhook_id) else {
                    return Err(Failure::failed(format!(
                        "business {business} has no registration {webhook_id} (nothing was changed)"
                    ))
                    .kind(Kind::NotFound)
                    .hint("`connectly webhooks list` shows the registrations and their ids"));
                };
                let question = format!(
                    "Delete the {} registration {webhook_id} ({}) of business {business}? [y/N] ",
                    it.topic, it.address
                );
                confirm::destructive(printer, false, &question, &what)?;
            }
            client.delete_webhook(&business, &webhook_id).await?;
            let line = format!("deleted {webhook_id}");
            printer.result(
                &Deleted {
                    id: webhook_id,
                    deleted: true,
                },
                line,
            )
        }
    }
}
