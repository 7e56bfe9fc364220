//! Events: reading a verified body into an [`Event`], routed by the fields present (most bodies
//! carry no `topic`), with an [`Event::Unknown`] for any JSON object this version cannot type
//! and an [`Event::Unreadable`] for one it cannot even read into values.

use std::fmt;

use serde_json::{Map, Value};

use crate::{types, Error};

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

/// Parses a raw body (whatever its content type) into an [`Event`]. Fails only for a body that
/// is not a JSON object; unknown fields, kinds, statuses and shapes are accepted, and a JSON
/// object that cannot be read into values is an [`Event::Unreadable`].
///
/// ```
/// use connectly_webhook::{parse, Event};
/// let event = parse(br#"{"topic": "orders", "order": {"id": 7}}"#).unwrap();
/// assert!(matches!(&event, Event::Unknown(_)));
/// assert_eq!((event.topic(), event.kind()), ("orders", "unknown"));
/// let Event::Unreadable(event) = parse(br#"{"amount": 1e400}"#).unwrap() else { panic!() };
/// assert!(event.reason.contains("number out of range"));
/// assert!(parse(b"[1, 2]").is_err());
/// ```
pub fn parse(raw_body: &[u8]) -> Result<Event, Error> {
    match parse_guessed(raw_body) {
        Some(event) => Ok(event),
        None => parse_probed(raw_body),
    }
}

/// The fast path (one pass instead of two): guess the shape from the keys present anywhere in
/// the raw bytes and parse that shape directly. It answers only when the answer is certainly
/// [`parse_probed`]'s, else `None`:
/// - a body with a `\u` escape could spell a key without its bytes: no guess;
/// - `statusUpdate` and `report` are required fields of their shapes, so a successful parse
///   proves the top-level key, and the absence of the bytes proves its absence;
/// - a message needs a top-level `message` or `buttonResponse` (both optional fields of the
///   type), checked on the parsed event.
///
/// Any failure falls back to the probe, which words the reason.
fn parse_guessed(raw_body: &[u8]) -> Option<Event> {
    let has = |needle: &[u8]| memchr::memmem::find(raw_body, needle).is_some();
    if has(b"\\u") {
        return None;
    }
    if has(b"\"statusUpdate\"") {
        return serde_json::from_slice(raw_body)
            .ok()
            .map(|e| Event::DeliveryStatus(Box::new(e)));
    }
    if has(b"\"report\"") {
        return serde_json::from_slice(raw_body)
            .ok()
            .map(|e| Event::Report(Box::new(e)));
    }
    let event: types::MessageEvent = serde_json::from_slice(raw_body).ok()?;
    (event.message.is_some() || event.button_response.is_some())
        .then(|| Event::Message(Box::new(event)))
}

/// The exact path: probe which top-level fields the body has, then parse that shape; anything
/// else that is a JSON object is [`Event::Unknown`] with the reason.
fn parse_probed(raw_body: &[u8]) -> Result<Event, Error> {
    /// Which fields the body has, read without building anything: every value is skipped.
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "statusUpdate")]
        status_update: Option<serde::de::IgnoredAny>,
        report: Option<serde::de::IgnoredAny>,
        message: Option<serde::de::IgnoredAny>,
        #[serde(rename = "buttonResponse")]
        button_response: Option<serde::de::IgnoredAny>,
    }
    let probe = match serde_json::from_slice::<Probe>(raw_body) {
        Ok(probe) => probe,
        // JSON, but not an object (a string, a number...): the fallback says which.
        Err(e) if e.is_data() => return unknown(raw_body, String::new()),
        Err(e) => return unreadable(raw_body, e),
    };
    let typed = if probe.status_update.is_some() {
        serde_json::from_slice(raw_body).map(|e| Event::DeliveryStatus(Box::new(e)))
    } else if probe.report.is_some() {
        serde_json::from_slice(raw_body).map(|e| Event::Report(Box::new(e)))
    } else if probe.message.is_some() || probe.button_response.is_some() {
        serde_json::from_slice(raw_body).map(|e| Event::Message(Box::new(e)))
    } else {
        return unknown(
            raw_body,
            "it has none of statusUpdate, report, message, buttonResponse".to_owned(),
        );
    };
    typed.or_else(|e| {
        let topic = if probe.status_update.is_some() {
            "delivery_status"
        } else if probe.report.is_some() {
            "report"
        } else {
            "messages"
        };
        unknown(raw_body, format!("not a valid {topic} event: {e}"))
    })
}

/// The fallback: the body as a JSON object, or why it is not one.
fn unknown(raw_body: &[u8], reason: String) -> Result<Event, Error> {
    match serde_json::from_slice::<Value>(raw_body) {
        Ok(Value::Object(value)) => Ok(Event::Unknown(UnknownEvent { value, reason })),
        Ok(other) => Err(Error::NotAnObject(json_type(&other))),
        Err(e) => unreadable(raw_body, e),
    }
}

/// A body serde_json could not read (`error`): an [`Event::Unreadable`] when it is a JSON object
/// all the same (read again without building values, hence without serde_json's depth limit,
/// number range or surrogate check), else [`Error::NotJson`].
fn unreadable(raw_body: &[u8], error: serde_json::Error) -> Result<Event, Error> {
    let starts_an_object = raw_body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    if starts_an_object && serde_json::from_slice::<serde::de::IgnoredAny>(raw_body).is_ok() {
        Ok(Event::Unreadable(UnreadableEvent {
            raw: raw_body.to_vec(),
            reason: format!("the body could not be read as JSON: {error}"),
        }))
    } else {
        Err(Error::NotJson(error))
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What a `messages` event carries, by kind. A referral comes with text: it is reported as a
/// referral.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum MessageKind<'a> {
    /// A text message (a quoted reply too: see [`types::MessageEvent::reply_to_id`]).
    Text(&'a str),
    /// Media attachments (one per event today).
    Attachments(&'a [types::Attachment]),
    /// The conversation started from an ad or a post; the message's text is beside it.
    Referral(&'a types::Referral),
    /// A button tap, as a top-level `buttonResponse` (newer documented form; the message
    /// replied to is in `context.replyToId`).
    Button(&'a types::ButtonResponse),
    /// A button tap, as `message.text` (the label) with `message.isButtonResponse: true`
    /// (oldest documented form; no payload).
    ButtonText(&'a str),
    /// A kind this version does not know; its fields are in the raw body.
    Unknown,
}

impl MessageKind<'_> {
    /// Its name: `text`, `attachment`, `referral`, `button`, `button_text` or `unknown`.
    pub fn name(&self) -> &'static str {
        match self {
            MessageKind::Text(_) => "text",
            MessageKind::Attachments(_) => "attachment",
            MessageKind::Referral(_) => "referral",
            MessageKind::Button(_) => "button",
            MessageKind::ButtonText(_) => "button_text",
            MessageKind::Unknown => "unknown",
        }
    }
}

impl types::MessageEvent {
    /// The kind of message, from the fields present.
    pub fn kind(&self) -> MessageKind<'_> {
        if let Some(button) = &self.button_response {
            return MessageKind::Button(button);
        }
        self.message
            .as_ref()
            .map_or(MessageKind::Unknown, types::MessageContent::kind)
    }

    /// The id of the message this one replies to (`context.replyToId`), if any.
    pub fn reply_to_id(&self) -> Option<&str> {
        self.context.as_ref()?.reply_to_id.as_deref()
    }

    /// The `callbackData` of the outbound message this one replies to, if it had any.
    pub fn callback_data(&self) -> Option<&Value> {
        self.callback_data.as_ref().map(|data| &data.0)
    }
}

impl types::MessageContent {
    /// The kind of the `message` object.
    pub fn kind(&self) -> MessageKind<'_> {
        if let Some(referral) = &self.referral {
            MessageKind::Referral(referral)
        } else if !self.attachments.is_empty() {
            MessageKind::Attachments(&self.attachments)
        } else if let Some(text) = &self.text {
            if self.is_button_response == Some(true) {
                MessageKind::ButtonText(text)
            } else {
                MessageKind::Text(text)
            }
        } else {
            MessageKind::Unknown
        }
    }
}

impl types::DeliveryStatusEvent {
    /// The campaign of the message, wherever the page put it: top-level `metadata` or
    /// `statusUpdate.metadata`, as `campaign_name` or `campaignName`.
    pub fn campaign_name(&self) -> Option<&str> {
        let top = self.metadata.as_ref().and_then(|m| m.0.as_ref());
        let nested = self
            .status_update
            .metadata
            .as_ref()
            .and_then(|m| m.0.as_ref());
        top.and_then(|m| m.campaign_name.as_deref()).or_else(|| {
            let nested = nested?;
            [nested.get("campaign_name"), nested.get("campaignName")]
                .into_iter()
                .find_map(|value| value?.as_str())
        })
    }

    /// Why the delivery failed (`statusUpdate.error`), when it did.
    pub fn error(&self) -> Option<&types::DeliveryErrorInner> {
        self.status_update.error.as_ref()?.0.as_ref()
    }

    /// The `callbackData` of the message, if it had any.
    pub fn callback_data(&self) -> Option<&Value> {
        self.callback_data.as_ref().map(|data| &data.0)
    }
}

/// A string enum of the spec that may gain values: the documented value, or the text of one
/// this version does not know (so a new value does not fail the event).
macro_rules! open_enum {
    ($(#[$doc:meta])* $name:ident, $known:ty, [$($variant:ident => $text:literal),* $(,)?]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            /// One of the documented values.
            Known($known),
            /// Another value, as sent.
            Other(String),
        }

        impl $name {
            /// The documented value, if it is one.
            pub fn known(&self) -> Option<$known> {
                match self {
                    $name::Known(value) => Some(*value),
                    $name::Other(_) => None,
                }
            }

            /// The value as sent.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::Known(<$known>::$variant) => $text,)*
                    $name::Other(text) => text,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Ok(match text.parse::<$known>() {
                    Ok(value) => $name::Known(value),
                    Err(_) => $name::Other(text),
                })
            }
        }
    };
}

open_enum!(
    /// The status of a `delivery_status` event: a known [`types::DeliveryStatus`], or the text
    /// of one this version does not know.
    Status,
    types::DeliveryStatus,
    [Sent => "sent", Delivered => "delivered", Read => "read", DeliveryFailed => "delivery_failed"]
);

open_enum!(
    /// The media type of an attachment: a known [`types::AttachmentType`], or the text of one
    /// this version does not know.
    MediaType,
    types::AttachmentType,
    [Image => "image", Video => "video", Audio => "audio", Document => "document"]
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{sample, samples};

    #[test]
    fn the_fast_path_takes_every_sample_and_agrees_with_the_probe_or_steps_aside() {
        for s in samples() {
            let body = s.body.as_bytes();
            let guessed = parse_guessed(body).unwrap_or_else(|| panic!("{}: no guess", s.name));
            assert_eq!(Some(guessed), parse_probed(body).ok(), "{}", s.name);
        }
        let text = sample("text").unwrap().body;
        assert!(text.contains(r#""Hello""#), "{text}");
        let with = |key: &str, value: &str| {
            let mut v: Value = serde_json::from_str(text).unwrap();
            v[key] = serde_json::from_str(value).unwrap();
            v.to_string()
        };
        let tricky = [
            // The keys' bytes where they are not top-level keys.
            with(
                "metadata",
                r#"{"statusUpdate": {"id": "x", "status": "read"}}"#,
            ),
            with("metadata", r#"{"report": 1}"#),
            with("x", r#""report""#),
            with("x", r#""statusUpdate""#),
            text.replace(r#""Hello""#, r#""\"statusUpdate\": \"report\": ""#),
            // A top-level key spelled with an escape, beside a valid message.
            format!(
                r#"{},"\u0073tatusUpdate":{{"id":"m","status":"read"}}}}"#,
                text.trim_end().strip_suffix('}').unwrap()
            ),
            // A message that is null, both shapes at once, no shape at all.
            with("message", "null"),
            with("statusUpdate", r#"{"id": "m", "status": "read"}"#),
            with("report", r#"{"id": "r"}"#),
            r#"{"topic": "orders"}"#.to_owned(),
            "[1]".to_owned(),
            "{".to_owned(),
        ];
        // Results compared as text: `Error` holds a `serde_json::Error`, which has no `PartialEq`.
        let shown =
            |result: Result<Event, Error>| format!("{:?}", result.map_err(|e| e.to_string()));
        let mut guessed = 0;
        for body in &tricky {
            let probed = shown(parse_probed(body.as_bytes()));
            if let Some(event) = parse_guessed(body.as_bytes()) {
                guessed += 1;
                assert_eq!(shown(Ok(event)), probed, "{body}");
            }
            assert_eq!(shown(parse(body.as_bytes())), probed, "{body}");
        }
        assert!(
            guessed >= 2,
            "the fast path took {guessed} of the tricky bodies"
        );
    }

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

    #[test]
    fn the_documented_variants_are_read_where_each_page_puts_them() {
        let Event::Message(button) = parse(sample("button").unwrap().body.as_bytes()).unwrap()
        else {
            panic!()
        };
        let MessageKind::Button(response) = button.kind() else {
            panic!("{:?}", button.kind())
        };
        assert_eq!(response.payload.as_deref(), Some("1"));
        assert_eq!(
            button.reply_to_id(),
            Some("018d62f2-2524-10fa-f857-091ab99c14c8")
        );
        assert_eq!(button.callback_data().unwrap()["orderId"], "A-1042");
        assert!(button.message.is_none());

        let Event::Message(flag) = parse(sample("button_flag").unwrap().body.as_bytes()).unwrap()
        else {
            panic!()
        };
        assert_eq!(flag.kind(), MessageKind::ButtonText("Yes, please"));

        for (name, media) in [("image", "image"), ("video", "video"), ("audio", "audio")] {
            let Event::Message(m) = parse(sample(name).unwrap().body.as_bytes()).unwrap() else {
                panic!()
            };
            let MessageKind::Attachments([attachment]) = m.kind() else {
                panic!("{name}")
            };
            assert_eq!(attachment.type_.as_str(), media);
            assert!(attachment.type_.known().is_some());
        }

        let Event::Message(ad) = parse(sample("referral").unwrap().body.as_bytes()).unwrap() else {
            panic!()
        };
        let MessageKind::Referral(referral) = ad.kind() else {
            panic!()
        };
        assert_eq!(referral.ctwa_clid.as_deref(), Some("ARAkLkA8nM4pT2bZ"));
        assert!(referral.thumbnail_url.is_some() && referral.video_url.is_some());

        let Event::Message(hidden) = parse(sample("bsuid").unwrap().body.as_bytes()).unwrap()
        else {
            panic!()
        };
        assert_eq!(hidden.sender.phone_number.as_deref(), Some(""));
        assert_eq!(
            hidden.sender.user_id.as_deref(),
            Some("US.13491208655302741918")
        );

        for name in ["sent", "failed", "failed_legacy"] {
            let Event::DeliveryStatus(s) = parse(sample(name).unwrap().body.as_bytes()).unwrap()
            else {
                panic!()
            };
            assert_eq!(s.campaign_name(), Some("summer-promo-2026"), "{name}");
        }
        let Event::DeliveryStatus(failed) =
            parse(sample("failed").unwrap().body.as_bytes()).unwrap()
        else {
            panic!()
        };
        let error = failed.error().unwrap();
        assert_eq!(error.cnt_trace_id.as_deref(), Some("6909023413031898817"));
        assert_eq!(
            error.code.as_deref(),
            Some("ERROR_CODE_MESSAGE_TEMPLATE_INPUT_INVALID")
        );
        assert_eq!(failed.sender.name, None);

        let Event::Report(report) = parse(sample("report").unwrap().body.as_bytes()).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            report.report.last_run.result.expires_at,
            "2025-04-30T12:39:56Z"
        );
    }

    #[test]
    fn unknown_fields_kinds_statuses_and_media_do_not_fail_the_event() {
        let message = br#"{"timestamp": "1", "sender": {"id": "a", "channelType": "whatsapp", "x": 1},
            "recipient": {"id": "b", "channelType": "sms"}, "message": {"sticker": {"id": "s"}}, "new": true}"#;
        let event = parse(message).unwrap();
        assert_eq!((event.topic(), event.kind()), ("messages", "unknown"));
        let status = br#"{"topic": "delivery_status", "timestamp": "1", "sender": {"id": "a", "channelType": "whatsapp"},
            "recipient": {"id": "b", "channelType": "whatsapp"}, "statusUpdate": {"id": "m", "status": "queued", "extra": [1]}}"#;
        match parse(status).unwrap() {
            Event::DeliveryStatus(e) => {
                assert_eq!(e.status_update.status, Status::Other("queued".into()));
                assert_eq!(e.status_update.status.known(), None);
                assert_eq!(
                    serde_json::to_value(&e.status_update.status).unwrap(),
                    "queued"
                );
            }
            other => panic!("{other:?}"),
        }
        let sticker = br#"{"timestamp": "1", "sender": {"id": "a", "channelType": "whatsapp"},
            "recipient": {"id": "b", "channelType": "whatsapp"}, "message": {"attachments": [{"type": "sticker", "url": "u"}]}}"#;
        let Event::Message(m) = parse(sticker).unwrap() else {
            panic!()
        };
        let MessageKind::Attachments([a]) = m.kind() else {
            panic!()
        };
        assert_eq!(a.type_, MediaType::Other("sticker".into()));
    }

    #[test]
    fn a_json_object_of_unknown_shape_is_an_unknown_event_with_the_reason() {
        // No known field at all.
        let Event::Unknown(e) = parse(br#"{"hello": 1}"#).unwrap() else {
            panic!()
        };
        assert_eq!(e.value["hello"], 1);
        assert!(e.reason.contains("none of statusUpdate"), "{}", e.reason);
        // A known field, but a required one missing: typed as nothing, kept whole.
        let Event::Unknown(e) = parse(br#"{"message": {"text": "x"}}"#).unwrap() else {
            panic!()
        };
        assert!(
            e.reason
                .starts_with("not a valid messages event: missing field"),
            "{}",
            e.reason
        );
        // A documented field with an unexpected type.
        let body =
            br#"{"topic": "report", "timestamp": "2025-01-01T00:00:00Z", "report": {"id": 7}}"#;
        let event = parse(body).unwrap();
        assert_eq!((event.topic(), event.kind()), ("report", "unknown"));
        assert_eq!(event.timestamp(), Some("2025-01-01T00:00:00Z"));
        let Event::Unknown(e) = event else { panic!() };
        assert!(
            e.reason.contains("not a valid report event"),
            "{}",
            e.reason
        );
        assert!(e.reason.contains("line 1 column"), "{}", e.reason);
    }

    #[test]
    fn only_a_body_that_is_not_a_json_object_is_refused() {
        assert!(matches!(parse(b"not json"), Err(Error::NotJson(_))));
        assert!(matches!(parse(b"{\"a\": "), Err(Error::NotJson(_))));
        for (body, what) in [
            (&b"[]"[..], "an array"),
            (b"[null, null, null, null]", "an array"),
            (b"\"text\"", "a string"),
            (b"12", "a number"),
            (b"null", "null"),
        ] {
            match parse(body) {
                Err(Error::NotAnObject(found)) => assert_eq!(found, what),
                other => panic!("{other:?}"),
            }
        }
    }
}
