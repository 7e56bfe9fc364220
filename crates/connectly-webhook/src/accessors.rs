//! What the typed events carry, read however each documented form puts it: a message's
//! [`MessageKind`], a reply's id and callback data, a delivery status's campaign and error.

use serde_json::Value;

use crate::types;

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

#[cfg(test)]
mod tests {
    use crate::{parse, sample, Event, MessageKind};

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
}
