//! Events: the [`Event`] a verified body is read into (see [`parse`](crate::parse())), with an
//! [`Event::Unknown`] for any JSON object this version cannot type and an [`Event::Unreadable`]
//! for one it cannot even read into values, and what every event answers (topic, kind,
//! timestamp).

use serde_json::{Map, Value};

use crate::types;
#[cfg(doc)]
use crate::MessageKind;

/// A Connectly event, by the fields its body has.
///
/// A correctly signed JSON object is always an `Event`: one this version cannot type (a new
/// topic, a new shape, a documented field with an unexpected type) is [`Event::Unknown`], one
/// it cannot read into values at all is [`Event::Unreadable`], never an error, so a receiver
/// never refuses a genuine delivery for its shape.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A `messages` event (`message` or `buttonResponse`): a customer sent a message or tapped
    /// a button. See [`types::MessageEvent::kind`].
    Message(Box<types::MessageEvent>),
    /// A `delivery_status` event (`statusUpdate`): a message the business sent changed status.
    DeliveryStatus(Box<types::DeliveryStatusEvent>),
    /// A `report` event (`report`): a scheduled report run completed.
    Report(Box<types::ReportEvent>),
    /// A JSON object this version cannot type.
    Unknown(UnknownEvent),
    /// A JSON object this version cannot read into values (nesting deeper than serde_json's
    /// 128 levels, a number beyond `f64` such as `1e400`, a lone surrogate escape such as
    /// `"\ud800"`): kept raw, with the reason.
    Unreadable(UnreadableEvent),
}

/// A signed JSON object that could not be read into values: its raw bytes, and why.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UnreadableEvent {
    /// The body, byte for byte.
    pub raw: Vec<u8>,
    /// Why it could not be read: `the body could not be read as JSON: ` and what serde_json
    /// found, with line and column.
    pub reason: String,
}

/// A signed JSON object that is not an event this version can type: the raw object, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownEvent {
    /// The body, as JSON.
    pub value: Map<String, Value>,
    /// Why it could not be typed: what serde found (with line and column) for a body that looks
    /// like a known event, or which fields were looked for.
    pub reason: String,
}

impl Event {
    /// The topic: `messages`, `delivery_status` or `report`, by the fields present; for an
    /// [`Event::Unknown`], its `topic` field if it is a string, else `unknown` (always for an
    /// [`Event::Unreadable`]).
    pub fn topic(&self) -> &str {
        match self {
            Event::Message(_) => "messages",
            Event::DeliveryStatus(_) => "delivery_status",
            Event::Report(_) => "report",
            Event::Unknown(event) => event
                .value
                .get("topic")
                .and_then(Value::as_str)
                .unwrap_or("unknown"),
            Event::Unreadable(_) => "unknown",
        }
    }

    /// What the event is, in one word: the [`MessageKind::name`] of a message, the status of a
    /// delivery status (`sent`, `delivered`, `read`, `delivery_failed`, or a new one as sent),
    /// `report`, or `unknown` ([`Event::Unknown`], [`Event::Unreadable`]).
    pub fn kind(&self) -> &str {
        match self {
            Event::Message(event) => event.kind().name(),
            Event::DeliveryStatus(event) => event.status_update.status.as_str(),
            Event::Report(_) => "report",
            Event::Unknown(_) | Event::Unreadable(_) => "unknown",
        }
    }

    /// The signed `timestamp`, as sent: Unix seconds (`messages`, `delivery_status`) or ISO 8601
    /// (`report`); see [`parse_timestamp`](crate::parse_timestamp).
    pub fn timestamp(&self) -> Option<&str> {
        match self {
            Event::Message(event) => Some(&event.timestamp),
            Event::DeliveryStatus(event) => Some(&event.timestamp),
            Event::Report(event) => Some(&event.timestamp),
            Event::Unknown(event) => event.value.get("timestamp").and_then(Value::as_str),
            Event::Unreadable(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{parse, samples, Event};

    #[test]
    fn every_sample_is_typed() {
        // Which kind each sample is read as: `tests/tests/webhook_receiver.rs`, with the shapes
        // the spec has no sample of.
        for s in samples() {
            let event = parse(s.body.as_bytes()).unwrap();
            assert!(!matches!(event, Event::Unknown(_)), "{}: {event:?}", s.name);
            assert_ne!(event.kind(), "unknown", "{}", s.name);
        }
    }
}
