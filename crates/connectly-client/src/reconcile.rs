//! Reconciling one registration: what differs between a live registration and the wanted one
//! ([`changes`]), what it takes to get from one to the other ([`reconcile`]), and
//! [`Client::upsert_webhook`], which does it. `connectly apply` plans every topic of a business
//! with the same [`reconcile`].
//!
//! Registrations are compared as Connectly treats them: an absent `type` is `custom`, an absent
//! `echo` is `false`, and an absent list is an empty one.

use serde_json::{Map, Value};

use crate::{types, Client, Error};

impl types::WebhookRegistration {
    /// The topic, when this version knows it (`None` for a topic Connectly added later, which
    /// [`Self::topic`] keeps as it was listed).
    pub fn known_topic(&self) -> Option<types::Topic> {
        self.topic.parse().ok()
    }

    /// Whether this is a registration for `topic`.
    pub fn is_for(&self, topic: types::Topic) -> bool {
        self.known_topic() == Some(topic)
    }
}

/// One field that differs, terraform-style: `address`, `configuration.filters[1]`,
/// `configuration.channelTypes`. `old` is `None` for what is added, `new` is `None` for what is
/// removed.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Where, as dotted keys and `[index]`es from the registration's root.
    pub path: String,
    /// The live value, if any.
    pub old: Option<Value>,
    /// The wanted value, if any.
    pub new: Option<Value>,
}

impl Change {
    /// `+` added, `-` removed, `~` changed.
    pub fn sign(&self) -> char {
        match (&self.old, &self.new) {
            (None, _) => '+',
            (_, None) => '-',
            _ => '~',
        }
    }
}

/// What it takes to make the live registration of a topic (or none) the wanted one.
#[derive(Debug, Clone, PartialEq)]
pub enum Reconcile {
    /// No live registration for the topic: create one.
    Create,
    /// The live registration is the wanted one.
    Unchanged {
        /// The live id.
        id: String,
    },
    /// An update in place (same id, no gap in delivery) gets there.
    Update {
        /// The live id.
        id: String,
        /// What differs.
        changes: Vec<Change>,
        /// The update to send: the whole wanted address and configuration, lists included even
        /// when empty (so that `[]` clears a stored list).
        request: types::UpdateWebhookRequest,
    },
    /// Only a delete then a create gets there: something an update cannot change differs (the
    /// type, or a `webengageConfiguration` to remove). Events sent in between are lost.
    Replace {
        /// The live id.
        id: String,
        /// What differs.
        changes: Vec<Change>,
        /// Why an update is not enough, in words.
        reason: String,
    },
}

/// The live registrations of `want`'s topic, split into the one to reconcile with `want` and the
/// others. Connectly documents one registration per topic, but a live list may hold more (an old
/// registration, a race, another tool): the one reconciled is the one that already is as wanted,
/// else the first listed; the others are extra, and only a deletion makes the topic match.
///
/// ```
/// use connectly_client::{reconcile::for_topic, types};
/// let want: types::CreateWebhookRequest = serde_json::from_value(serde_json::json!(
///     {"topic": "messages", "address": "https://example.com/m"})).unwrap();
/// let live: Vec<types::WebhookRegistration> = serde_json::from_value(serde_json::json!([
///     {"id": "wh_2", "topic": "messages", "address": "https://other.example/steal"},
///     {"id": "wh_1", "topic": "messages", "address": "https://example.com/m"},
///     {"id": "wh_3", "topic": "templates", "address": "https://example.com/t"}]))
///     .unwrap();
/// let (kept, extra) = for_topic(&live, &want);
/// assert_eq!(kept.unwrap().id, "wh_1");
/// assert_eq!(extra.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(), ["wh_2"]);
/// ```
pub fn for_topic<'a>(
    live: &'a [types::WebhookRegistration],
    want: &types::CreateWebhookRequest,
) -> (
    Option<&'a types::WebhookRegistration>,
    Vec<&'a types::WebhookRegistration>,
) {
    let mut same: Vec<&types::WebhookRegistration> =
        live.iter().filter(|w| w.is_for(want.topic)).collect();
    let chosen = same
        .iter()
        .position(|w| changes(w, want).is_empty())
        .unwrap_or(0);
    if same.is_empty() {
        return (None, same);
    }
    let kept = same.remove(chosen);
    (Some(kept), same)
}

/// Compares the live registration of a topic (if any) with the wanted one.
///
/// ```
/// use connectly_client::{reconcile::{reconcile, Reconcile}, types};
/// let want: types::CreateWebhookRequest = serde_json::from_value(serde_json::json!(
///     {"topic": "messages", "address": "https://example.com/new"})).unwrap();
/// let live: types::WebhookRegistration = serde_json::from_value(serde_json::json!(
///     {"id": "wh_1", "topic": "messages", "address": "https://example.com/old",
///      "configuration": {"echo": false, "filters": []}})).unwrap();
/// match reconcile(Some(&live), &want) {
///     Reconcile::Update { id, changes, .. } => {
///         assert_eq!(id, "wh_1");
///         assert_eq!(changes.len(), 1);
///         assert_eq!(changes[0].path, "address");
///     }
///     other => panic!("{other:?}"),
/// }
/// ```
pub fn reconcile(
    live: Option<&types::WebhookRegistration>,
    want: &types::CreateWebhookRequest,
) -> Reconcile {
    let Some(live) = live else {
        return Reconcile::Create;
    };
    let changes = changes(live, want);
    if changes.is_empty() {
        return Reconcile::Unchanged {
            id: live.id.clone(),
        };
    }
    let mut reasons = Vec::new();
    if changes.iter().any(|c| c.path == "type") {
        reasons.push("an update cannot change the type".to_owned());
    }
    if changes
        .iter()
        .any(|c| c.path == "configuration.webengageConfiguration" && c.new.is_none())
    {
        reasons.push("an update cannot remove webengageConfiguration".to_owned());
    }
    if reasons.is_empty() {
        Reconcile::Update {
            id: live.id.clone(),
            changes,
            request: update_request(want),
        }
    } else {
        Reconcile::Replace {
            id: live.id.clone(),
            changes,
            reason: reasons.join("; "),
        }
    }
}

/// The fields in which `want` differs from `live`, in a stable order (address, type,
/// configuration; within a list, by index).
pub fn changes(
    live: &types::WebhookRegistration,
    want: &types::CreateWebhookRequest,
) -> Vec<Change> {
    let old = comparable(
        &live.address,
        live.type_.as_deref(),
        live.configuration.as_ref(),
    );
    let wanted_type = want.type_.map(|t| t.to_string());
    let new = comparable(
        want.address.as_str(),
        wanted_type.as_deref(),
        want.configuration.as_ref(),
    );
    let mut out = Vec::new();
    diff(String::new(), Some(&old), Some(&new), &mut out);
    out
}

/// The update that makes a registration `want` in place: the address and the whole
/// configuration, with `echo` explicit and every list present (`[]` clears).
pub fn update_request(want: &types::CreateWebhookRequest) -> types::UpdateWebhookRequest {
    let given = want.configuration.clone().unwrap_or_default();
    types::UpdateWebhookRequest {
        address: Some(want.address.clone()),
        configuration: Some(types::Configuration {
            echo: Some(given.echo.unwrap_or(false)),
            channel_types: Some(given.channel_types.unwrap_or_default()),
            filters: Some(given.filters.unwrap_or_default()),
            webengage_configuration: given.webengage_configuration,
        }),
    }
}

/// Removes from a registration's `configuration` what Connectly treats as its default: `null`,
/// `false` (`echo`) and empty lists. The one rule for comparing registrations ([`changes`]) and
/// for writing them as config (`connectly export`).
///
/// ```
/// let mut c = serde_json::json!({"echo": false, "filters": [], "channelTypes": ["whatsapp"]});
/// connectly_client::reconcile::drop_defaults(c.as_object_mut().unwrap());
/// assert_eq!(c, serde_json::json!({"channelTypes": ["whatsapp"]}));
/// ```
pub fn drop_defaults(configuration: &mut Map<String, Value>) {
    configuration.retain(|_, v| {
        !(v.is_null() || *v == Value::Bool(false) || matches!(v, Value::Array(a) if a.is_empty()))
    });
}

/// A registration as compared: `type` always present (absent is `custom`), `configuration`
/// always present, without `echo: false` and empty lists.
fn comparable(
    address: &str,
    type_: Option<&str>,
    configuration: Option<&types::Configuration>,
) -> Value {
    let mut root = Map::new();
    root.insert("address".to_owned(), Value::String(address.to_owned()));
    let type_ = match type_ {
        Some(given) => given.to_owned(),
        None => types::WebhookType::default().to_string(),
    };
    root.insert("type".to_owned(), Value::String(type_));
    let mut config = match configuration.map(serde_json::to_value) {
        Some(Ok(Value::Object(map))) => map,
        _ => Map::new(),
    };
    drop_defaults(&mut config);
    // Always present, so that a change names the configuration field, not the whole object.
    root.insert("configuration".to_owned(), Value::Object(config));
    Value::Object(root)
}

fn diff(path: String, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<Change>) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let keys = b.keys().chain(a.keys().filter(|k| !b.contains_key(*k)));
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                diff(child, a.get(key), b.get(key), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                diff(format!("{path}[{i}]"), a.get(i), b.get(i), out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(Change {
            path,
            old: a.cloned(),
            new: b.cloned(),
        }),
    }
}

/// What [`Client::upsert_webhook`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpsertOutcome {
    /// There was no registration for the topic: one was created.
    Created,
    /// The topic's registration differed: it was updated in place (same id).
    Updated,
    /// The topic's registration was already the wanted one: nothing was sent.
    Unchanged,
}

/// The result of [`Client::upsert_webhook`]: what it did, and the registration's id.
#[derive(Debug, Clone, PartialEq)]
pub struct Upserted {
    /// What was done.
    pub outcome: UpsertOutcome,
    /// The id of the topic's registration.
    pub id: String,
    /// What an update changed (empty unless [`UpsertOutcome::Updated`]).
    pub changes: Vec<Change>,
}

/// How many times [`Client::upsert_webhook`] looks again after a 409 race or an unknown create.
const UPSERT_ROUNDS: usize = 3;

impl Client {
    /// Makes `registration` the business's registration for its topic, whatever exists: lists
    /// the registrations, then creates one, updates the topic's registration in place, or
    /// leaves it alone. Never creates blindly: when a create answers 409 (another client won a
    /// race) or its outcome is unknown ([`Error::outcome_unknown`]), it lists again and
    /// reconciles with what it finds, so the topic ends with one registration.
    ///
    /// A registration whose type differs cannot be updated: that is
    /// [`Error::InvalidInput`] (delete it first), nothing is sent.
    pub async fn upsert_webhook(
        &self,
        business_id: &str,
        registration: &types::CreateWebhookRequest,
    ) -> Result<Upserted, Error> {
        let mut create_unknown: Option<Error> = None;
        let mut last_error = None;
        for _ in 0..UPSERT_ROUNDS {
            let live = match self.list_webhooks(business_id).await {
                Ok(list) => list.webhooks,
                // The earlier create may have happened: that is what the caller must know.
                Err(e) => return Err(create_unknown.unwrap_or(e)),
            };
            let (existing, _) = for_topic(&live, registration);
            match reconcile(existing, registration) {
                Reconcile::Create => match self.create_webhook(business_id, registration).await {
                    Ok(created) => {
                        return Ok(Upserted {
                            outcome: UpsertOutcome::Created,
                            id: created.id,
                            changes: Vec::new(),
                        })
                    }
                    Err(e @ Error::AlreadyRegistered { .. }) => last_error = Some(e),
                    Err(e) if e.outcome_unknown() => create_unknown = Some(e),
                    Err(e) => return Err(e),
                },
                Reconcile::Unchanged { id } => {
                    let outcome = if create_unknown.is_some() {
                        // Our create went through after all.
                        UpsertOutcome::Created
                    } else {
                        UpsertOutcome::Unchanged
                    };
                    return Ok(Upserted {
                        outcome,
                        id,
                        changes: Vec::new(),
                    });
                }
                Reconcile::Update {
                    id,
                    changes,
                    request,
                } => {
                    self.update_webhook(business_id, &id, &request).await?;
                    return Ok(Upserted {
                        outcome: UpsertOutcome::Updated,
                        id,
                        changes,
                    });
                }
                Reconcile::Replace { id, reason, .. } => {
                    return Err(Error::InvalidInput {
                        what: "registration",
                        reason: format!(
                            "the {} registration {id} cannot be updated to it: {reason}; delete it first",
                            registration.topic
                        ),
                    })
                }
            }
        }
        Err(create_unknown
            .or(last_error)
            .expect("every round that does not return records its error"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live(value: Value) -> types::WebhookRegistration {
        serde_json::from_value(value).unwrap()
    }

    fn want(value: Value) -> types::CreateWebhookRequest {
        serde_json::from_value(value).unwrap()
    }

    const A: &str = "https://example.com/a";

    #[test]
    fn defaults_compare_equal_to_their_absence() {
        let have = live(
            json!({"id": "1", "topic": "messages", "address": A, "type": "custom",
            "configuration": {"echo": false, "channelTypes": [], "filters": []}}),
        );
        let wanted = want(json!({"topic": "messages", "address": A}));
        assert_eq!(
            reconcile(Some(&have), &wanted),
            Reconcile::Unchanged { id: "1".into() }
        );
    }

    #[test]
    fn field_level_changes_name_each_path() {
        let have = live(json!({"id": "1", "topic": "messages", "address": A,
            "configuration": {"channelTypes": ["whatsapp"],
                "filters": [{"field": "f", "expression": "x"}]}}));
        let wanted = want(
            json!({"topic": "messages", "address": "https://example.com/b",
            "configuration": {"filters": [{"field": "f", "expression": "y"},
                                          {"field": "g", "expression": "z"}]}}),
        );
        let changes = changes(&have, &wanted);
        let summary: Vec<(char, &str)> = changes
            .iter()
            .map(|c| (c.sign(), c.path.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                ('~', "address"),
                ('~', "configuration.filters[0].expression"),
                ('+', "configuration.filters[1]"),
                ('-', "configuration.channelTypes"),
            ]
        );
        assert_eq!(changes[3].old, Some(json!(["whatsapp"])));
        assert_eq!(changes[3].new, None);
    }

    #[test]
    fn clearing_a_list_is_an_update_that_sends_it_empty() {
        let have = live(json!({"id": "1", "topic": "messages", "address": A,
            "configuration": {"filters": [{"field": "f", "expression": "x"}]}}));
        let wanted = want(json!({"topic": "messages", "address": A}));
        let Reconcile::Update { id, request, .. } = reconcile(Some(&have), &wanted) else {
            panic!("an update");
        };
        assert_eq!(id, "1");
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"address": A, "configuration": {"channelTypes": [], "echo": false, "filters": []}})
        );
    }

    #[test]
    fn a_type_change_needs_a_replace() {
        let have = live(json!({"id": "1", "topic": "messages", "address": A, "type": "zapier"}));
        let wanted = want(json!({"topic": "messages", "address": A}));
        match reconcile(Some(&have), &wanted) {
            Reconcile::Replace {
                id,
                changes,
                reason,
            } => {
                assert_eq!(id, "1");
                assert_eq!(changes[0].path, "type");
                assert_eq!(changes[0].old, Some(json!("zapier")));
                assert_eq!(changes[0].new, Some(json!("custom")));
                assert!(reason.contains("type"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(reconcile(None, &wanted), Reconcile::Create);
    }

    #[test]
    fn removing_webengage_configuration_needs_a_replace() {
        let have = live(json!({"id": "1", "topic": "messages", "address": A,
            "configuration": {"webengageConfiguration": {"webengageToken": "t", "webengageWebhookUrl": "https://w"}}}));
        let wanted = want(json!({"topic": "messages", "address": A}));
        assert!(matches!(
            reconcile(Some(&have), &wanted),
            Reconcile::Replace { .. }
        ));
    }
}
