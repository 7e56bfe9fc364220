//! The plan of one business: a pure function of the config file, the live registrations and
//! `--prune`. Each topic is reconciled by `connectly_client::reconcile` (the logic
//! `Client::upsert_webhook` uses too).

use connectly_client::reconcile::{for_topic, reconcile, Change, Reconcile};
use connectly_client::types;

/// What to do about one topic of one business. Each variant carries what carrying it out needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    /// No live registration for the topic.
    Create { want: types::CreateWebhookRequest },
    /// Differs in what an update can change: in place, same id, no gap in delivery.
    Update {
        id: String,
        want: types::CreateWebhookRequest,
        changes: Vec<Change>,
        request: types::UpdateWebhookRequest,
    },
    /// Already as in the file.
    Unchanged {
        id: String,
        want: types::CreateWebhookRequest,
    },
    /// Differs in what only delete + create can change (the type): a gap in delivery, so it
    /// needs `--prune` and a confirmation, and runs last.
    Replace {
        old: types::WebhookRegistration,
        want: types::CreateWebhookRequest,
        changes: Vec<Change>,
        reason: String,
    },
    /// Not in the file, or a second registration of a topic in the file (`extra`), `--prune`
    /// given.
    Delete {
        old: types::WebhookRegistration,
        extra: bool,
    },
    /// Not in the file, kept because `--prune` was not given.
    Kept { old: types::WebhookRegistration },
    /// A second registration of a topic in the file (Connectly documents one per topic): drift
    /// that only `--prune` removes.
    Extra { old: types::WebhookRegistration },
    /// A topic this version does not know: left alone, even with `--prune` (`connectly webhooks
    /// delete ID` removes it, with a confirmation).
    UnknownTopic { old: types::WebhookRegistration },
    /// Would be a replace, but `--prune` was not given: the plan cannot be carried out.
    NeedsPrune {
        old: types::WebhookRegistration,
        want: types::CreateWebhookRequest,
        changes: Vec<Change>,
        reason: String,
    },
}

impl Action {
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Action::Create { .. } => "create",
            Action::Update { .. } => "update",
            Action::Unchanged { .. } => "unchanged",
            Action::Replace { .. } => "replace",
            Action::Delete { .. } => "delete",
            Action::Kept { .. } => "kept",
            Action::Extra { .. } => "extra",
            Action::UnknownTopic { .. } => "unknown-topic",
            Action::NeedsPrune { .. } => "needs-prune",
        }
    }

    /// The terraform-style sign of the action.
    pub(crate) fn sign(&self) -> &'static str {
        match self {
            Action::Create { .. } => "+",
            Action::Update { .. } => "~",
            Action::Replace { .. } => "-/+",
            Action::Delete { .. } => "-",
            Action::NeedsPrune { .. } | Action::Extra { .. } => "!",
            Action::UnknownTopic { .. } => "?",
            Action::Unchanged { .. } | Action::Kept { .. } => " ",
        }
    }

    pub(crate) fn topic(&self) -> String {
        match self {
            Action::Create { want }
            | Action::Update { want, .. }
            | Action::Unchanged { want, .. } => want.topic.to_string(),
            Action::Replace { old, .. }
            | Action::Delete { old, .. }
            | Action::Kept { old }
            | Action::Extra { old }
            | Action::UnknownTopic { old }
            | Action::NeedsPrune { old, .. } => old.topic.clone(),
        }
    }

    /// The live id, if the topic has a registration.
    pub(crate) fn live_id(&self) -> Option<&str> {
        match self {
            Action::Create { .. } => None,
            Action::Update { id, .. } | Action::Unchanged { id, .. } => Some(id),
            Action::Replace { old, .. }
            | Action::Delete { old, .. }
            | Action::Kept { old }
            | Action::Extra { old }
            | Action::UnknownTopic { old }
            | Action::NeedsPrune { old, .. } => Some(&old.id),
        }
    }

    /// The address the topic will have (the live one for deletions and kept ones).
    pub(crate) fn address(&self) -> &str {
        match self {
            Action::Create { want }
            | Action::Update { want, .. }
            | Action::Unchanged { want, .. }
            | Action::Replace { want, .. }
            | Action::NeedsPrune { want, .. } => want.address.as_str(),
            Action::Delete { old, .. }
            | Action::Kept { old }
            | Action::Extra { old }
            | Action::UnknownTopic { old } => &old.address,
        }
    }

    pub(crate) fn changes(&self) -> &[Change] {
        match self {
            Action::Update { changes, .. }
            | Action::Replace { changes, .. }
            | Action::NeedsPrune { changes, .. } => changes,
            _ => &[],
        }
    }

    pub(crate) fn reason(&self) -> Option<String> {
        match self {
            Action::Replace { reason, .. } => Some(format!(
                "{reason}: delete, then create; a delivery gap, events in between are lost"
            )),
            Action::NeedsPrune { reason, .. } => Some(format!(
                "{reason}: only a replace (delete, then create) can, with --prune"
            )),
            Action::Kept { .. } => Some("not in the file (--prune deletes it)".to_owned()),
            Action::Delete { extra: true, .. } => Some(EXTRA.to_owned()),
            Action::Extra { .. } => Some(format!("{EXTRA} (--prune deletes it)")),
            Action::UnknownTopic { old } => Some(format!(
                "unknown topic {}: left alone; this version of connectly cannot manage it \
                 (`connectly webhooks delete {}` removes it)",
                old.topic, old.id
            )),
            _ => None,
        }
    }

    /// Whether carrying it out sends anything.
    pub(crate) fn is_change(&self) -> bool {
        matches!(
            self,
            Action::Create { .. }
                | Action::Update { .. }
                | Action::Replace { .. }
                | Action::Delete { .. }
        )
    }

    /// Whether the live state differs from the file here (`apply --dry-run --exit-code` exits 3):
    /// a change, or what only `--prune` changes (a replace, an extra registration).
    pub(crate) fn is_drift(&self) -> bool {
        self.is_change() || matches!(self, Action::Extra { .. } | Action::NeedsPrune { .. })
    }

    /// Why carrying it out needs a confirmation, if it does: it deletes, replaces (a gap in
    /// delivery), or removes configuration (a filter, a channel type, echo, WebEngage settings:
    /// the receiver then gets events it did not get before). The one rule of `apply` and
    /// `webhooks create --upsert`.
    pub(crate) fn needs_confirmation(&self) -> Option<&'static str> {
        match self {
            Action::Delete { .. } => Some("delete"),
            Action::Replace { .. } => Some("replace"),
            Action::Update { changes, .. }
                if changes
                    .iter()
                    .any(|c| c.sign() == '-' && c.path.starts_with("configuration")) =>
            {
                Some("remove configuration from")
            }
            _ => None,
        }
    }

    /// When it runs: what causes no gap first, the replace (a delivery gap) last.
    pub(crate) fn order(&self) -> u8 {
        match self {
            Action::Update { .. } => 0,
            Action::Create { .. } => 1,
            Action::Delete { .. } => 2,
            Action::Replace { .. } => 3,
            _ => 4,
        }
    }
}

/// Why a second registration of a topic is deleted or reported.
const EXTRA: &str = "a second registration for the topic (Connectly documents one per topic)";

/// The actions that make `live` match `desired`: the file's topics in its order (each followed by
/// the extra registrations of its topic, see [`for_topic`]), then the live registrations the file
/// does not name, those of topics this version does not know last.
pub(crate) fn plan(
    desired: &types::WebhooksConfig,
    live: &[types::WebhookRegistration],
    prune: bool,
) -> Vec<Action> {
    let mut actions = Vec::new();
    for want in &desired.webhooks {
        let (have, extras) = for_topic(live, want);
        let want = want.clone();
        actions.push(match (reconcile(have, &want), have) {
            (Reconcile::Create, _) | (_, None) => Action::Create { want },
            (Reconcile::Unchanged { id }, _) => Action::Unchanged { id, want },
            (
                Reconcile::Update {
                    id,
                    changes,
                    request,
                },
                _,
            ) => Action::Update {
                id,
                want,
                changes,
                request,
            },
            (
                Reconcile::Replace {
                    changes, reason, ..
                },
                Some(old),
            ) => {
                let old = old.clone();
                if prune {
                    Action::Replace {
                        old,
                        want,
                        changes,
                        reason,
                    }
                } else {
                    Action::NeedsPrune {
                        old,
                        want,
                        changes,
                        reason,
                    }
                }
            }
        });
        actions.extend(extras.into_iter().map(|extra| {
            let old = extra.clone();
            if prune {
                Action::Delete { old, extra: true }
            } else {
                Action::Extra { old }
            }
        }));
    }
    let mut unknown = Vec::new();
    for have in live {
        let named = desired.webhooks.iter().any(|w| have.is_for(w.topic));
        let old = have.clone();
        if have.known_topic().is_none() {
            unknown.push(Action::UnknownTopic { old });
        } else if !named {
            actions.push(if prune {
                Action::Delete { old, extra: false }
            } else {
                Action::Kept { old }
            });
        }
    }
    actions.extend(unknown);
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn config(webhooks: Value) -> types::WebhooksConfig {
        serde_json::from_value(json!({ "webhooks": webhooks })).unwrap()
    }

    fn live(value: Value) -> Vec<types::WebhookRegistration> {
        serde_json::from_value(value).unwrap()
    }

    fn labels(actions: &[Action]) -> Vec<(&'static str, String)> {
        actions.iter().map(|a| (a.label(), a.topic())).collect()
    }

    const M: &str = "https://example.com/m";
    const D: &str = "https://example.com/d";

    #[test]
    fn creates_what_is_missing_and_leaves_equal_ones() {
        let want = config(json!([
            {"topic": "messages", "address": M},
            {"topic": "delivery_status", "address": D}
        ]));
        let have = live(json!([{"id": "1", "topic": "messages", "address": M,
            "configuration": {"echo": false, "filters": []}}]));
        let actions = plan(&want, &have, false);
        assert_eq!(
            labels(&actions),
            [
                ("unchanged", "messages".to_owned()),
                ("create", "delivery_status".to_owned())
            ]
        );
        assert_eq!(actions[0].live_id(), Some("1"));
    }

    #[test]
    fn a_cleared_list_is_an_update_in_place_not_a_replace() {
        let want = config(json!([{"topic": "messages", "address": M}]));
        let have = live(json!([{"id": "1", "topic": "messages", "address": M,
            "configuration": {"filters": [{"field": "f", "expression": "x"}]}}]));
        let actions = plan(&want, &have, false);
        let Action::Update {
            id,
            changes,
            request,
            ..
        } = &actions[0]
        else {
            panic!("{actions:?}");
        };
        assert_eq!(id, "1");
        assert_eq!(changes[0].path, "configuration.filters");
        assert_eq!(
            request.configuration.as_ref().unwrap().filters,
            Some(vec![])
        );
    }

    #[test]
    fn a_type_change_needs_prune_and_is_a_replace_with_it() {
        let want = config(json!([{"topic": "messages", "address": M}]));
        let have = live(json!([{"id": "1", "topic": "messages", "address": M, "type": "zapier"}]));
        assert_eq!(plan(&want, &have, false)[0].label(), "needs-prune");
        let pruned = plan(&want, &have, true);
        assert_eq!(pruned[0].label(), "replace");
        assert!(pruned[0].is_change());
        assert!(pruned[0].reason().unwrap().contains("delivery gap"));
    }

    #[test]
    fn registrations_not_in_the_file_are_kept_or_deleted() {
        let want = config(json!([]));
        let have = live(json!([{"id": "1", "topic": "messages", "address": M}]));
        assert_eq!(plan(&want, &have, false)[0].label(), "kept");
        assert!(!plan(&want, &have, false)[0].is_change());
        assert_eq!(plan(&want, &have, true)[0].label(), "delete");
    }

    #[test]
    fn replaces_run_last_and_updates_first() {
        let want = config(json!([
            {"topic": "messages", "address": M},
            {"topic": "delivery_status", "address": "https://example.com/new"}
        ]));
        let have = live(json!([
            {"id": "1", "topic": "messages", "address": M, "type": "zapier"},
            {"id": "2", "topic": "delivery_status", "address": D}
        ]));
        let mut actions = plan(&want, &have, true);
        actions.sort_by_key(Action::order);
        assert_eq!(
            labels(&actions),
            [
                ("update", "delivery_status".to_owned()),
                ("replace", "messages".to_owned())
            ]
        );
    }
}
