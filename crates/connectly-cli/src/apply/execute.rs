//! Carrying out a business's plan: its steps in order (updates, creates, deletes, replaces last),
//! each request's outcome recorded, a create that finds the topic taken adopting what is there,
//! and a failed replace's secret-holding registration saved for a restore.

use connectly_client::{types, Client, Error};

use super::interrupt;
use super::model::{Business, Op, Outcome};
use super::plan::Action;
use crate::failure::ErrorDoc;
use crate::Failure;

/// Carries out one business's plan in order, stopping at its first failure, and starting no
/// step once `stop` says so (those steps stay not attempted).
pub(super) async fn execute(client: &Client, business: &mut Business, stop: &interrupt::Stop) {
    let mut order: Vec<usize> = (0..business.actions.len())
        .filter(|&i| business.actions[i].action.is_change())
        .collect();
    order.sort_by_key(|&i| business.actions[i].action.order());
    for i in order {
        let planned = &mut business.actions[i];
        for s in 0..planned.steps.len() {
            if stop.stopped() {
                return;
            }
            let result = step(client, &business.id, &planned.action, planned.steps[s].op).await;
            let step = &mut planned.steps[s];
            match result {
                Ok(new_id) => {
                    step.outcome = Outcome::Done;
                    if new_id.is_some() {
                        step.id = new_id;
                    }
                }
                Err(e) => {
                    let unknown = e.outcome_unknown();
                    let error = ErrorDoc::from(&Failure::from(e));
                    step.outcome = if unknown {
                        Outcome::Unknown(error)
                    } else {
                        Outcome::Failed(error)
                    };
                    if let Action::Replace { old, .. } = &planned.action {
                        let secret = old
                            .configuration
                            .as_ref()
                            .is_some_and(|c| c.webengage_configuration.is_some());
                        if s == 1 && secret {
                            planned.restore_file = Some(save_for_restore(&business.id, old));
                        }
                    }
                    return;
                }
            }
        }
    }
}

/// Saves a deleted registration as a one-entry config file that `connectly apply` restores, in
/// the temporary directory, readable by its owner only (it holds a WebEngage token, which no
/// message may show). The path, or why it could not be written.
fn save_for_restore(business: &str, old: &types::WebhookRegistration) -> Result<String, String> {
    let config = serde_json::json!({
        "businessId": business,
        "webhooks": [crate::export::entry(old)],
    });
    let safe = |text: &str| -> String {
        text.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(64)
            .collect()
    };
    let path = std::env::temp_dir().join(format!(
        "connectly-restore-{}-{}.json",
        safe(business),
        safe(&old.id)
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&path).and_then(|mut file| {
        std::io::Write::write_all(&mut file, format!("{config:#}\n").as_bytes())
    });
    match written {
        Ok(()) => Ok(path.to_string_lossy().into_owned()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Sends one request; the new id of a create.
async fn step(
    client: &Client,
    business: &str,
    action: &Action,
    op: Op,
) -> Result<Option<String>, Error> {
    match (action, op) {
        (Action::Create { want } | Action::Replace { want, .. }, Op::Create) => {
            match client.create_webhook(business, want).await {
                Ok(created) => Ok(Some(created.id)),
                // Another client registered the topic since the plan was made: adopt that
                // registration and make it the wanted one (`upsert_webhook` lists again).
                Err(Error::AlreadyRegistered { .. }) => {
                    Ok(Some(client.upsert_webhook(business, want).await?.id))
                }
                Err(e) => Err(e),
            }
        }
        (Action::Update { id, request, .. }, Op::Update) => {
            client.update_webhook(business, id, request).await?;
            Ok(None)
        }
        (Action::Delete { old, .. } | Action::Replace { old, .. }, Op::Delete) => {
            match client.delete_webhook(business, &old.id).await {
                // Gone already (an earlier run's delete went through): the state wanted.
                Ok(()) | Err(Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        }
        _ => Ok(None),
    }
}
