//! The registrations, per business, as typed records (the client's generated types, so the
//! spec alone says what a registration holds).

use std::collections::HashMap;

use connectly_client::types::{
    Configuration, CreateWebhookRequest, UpdateWebhookRequest, WebhookRegistration,
};
use serde_json::{Map, Value};

/// Registrations per business, in creation order. At most one per topic per business.
#[derive(Default)]
pub(crate) struct Store {
    businesses: HashMap<String, Vec<WebhookRegistration>>,
}

impl Store {
    /// The registrations of `business`, in creation order.
    pub(crate) fn registrations(&self, business: &str) -> &[WebhookRegistration] {
        self.businesses.get(business).map_or(&[], Vec::as_slice)
    }

    /// The registration of `business` for `topic` (as the topic's name), if any.
    pub(crate) fn for_topic(&self, business: &str, topic: &str) -> Option<&WebhookRegistration> {
        self.registrations(business)
            .iter()
            .find(|r| r.topic == topic)
    }

    /// Stores `request` under a new ULID and returns the id, or the id of the registration that
    /// already has its topic.
    pub(crate) fn create(
        &mut self,
        business: String,
        request: CreateWebhookRequest,
    ) -> Result<String, String> {
        let list = self.businesses.entry(business).or_default();
        if let Some(existing) = list.iter().find(|r| r.is_for(request.topic)) {
            return Err(existing.id.clone());
        }
        let id = ulid::Ulid::generate().to_string();
        list.push(WebhookRegistration {
            id: id.clone(),
            topic: request.topic.to_string(),
            address: String::from(request.address),
            type_: request.type_.map(|t| t.to_string()),
            configuration: request.configuration,
            extra: Default::default(),
        });
        Ok(id)
    }

    /// Applies `update` to the registration `id` of `business`: a given address replaces the
    /// stored one; each key present in `configuration` (the request's own JSON, so that an empty
    /// list given is told from a list left out) replaces the stored value, the others stay.
    /// `false` when there is no such registration.
    pub(crate) fn update(
        &mut self,
        business: &str,
        id: &str,
        update: UpdateWebhookRequest,
        configuration: Option<&Map<String, Value>>,
    ) -> bool {
        let Some(registration) = self
            .businesses
            .get_mut(business)
            .and_then(|list| list.iter_mut().find(|r| r.id == id))
        else {
            return false;
        };
        if let Some(address) = update.address {
            registration.address = String::from(address);
        }
        if let Some(given) = configuration {
            registration.configuration = Some(merge(registration.configuration.take(), given));
        }
        true
    }

    /// Deletes the registration `id` of `business`; `false` when there is none.
    pub(crate) fn remove(&mut self, business: &str, id: &str) -> bool {
        let Some(list) = self.businesses.get_mut(business) else {
            return false;
        };
        let before = list.len();
        list.retain(|r| r.id != id);
        list.len() != before
    }
}

/// `stored` with each key of `given` replaced (no field is named here: the spec's types say
/// which there are).
fn merge(stored: Option<Configuration>, given: &Map<String, Value>) -> Configuration {
    let mut fields = match serde_json::to_value(stored.clone().unwrap_or_default()) {
        Ok(Value::Object(fields)) => fields,
        _ => Map::new(),
    };
    fields.extend(given.iter().map(|(k, v)| (k.clone(), v.clone())));
    // `given` passed the schema, so this only fails if the schema and the types disagree,
    // which `tests/tests/schema_client_agree.rs` rules out; keep the stored value then.
    serde_json::from_value(Value::Object(fields)).unwrap_or_else(|_| stored.unwrap_or_default())
}
