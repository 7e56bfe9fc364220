//! The spec's string enums that may gain values ([`Status`], [`MediaType`]): the documented
//! value, or the text of a new one, so that a new value never fails an event.

use std::fmt;

use crate::types;

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
    use crate::{parse, Event, MessageKind};

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
}
