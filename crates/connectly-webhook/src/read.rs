//! Reading a verified body into an [`Event`], routed by the fields present (most bodies carry
//! no `topic`): a fast path that guesses the shape from the raw bytes, and the exact path that
//! probes the top-level fields; anything else that is a JSON object is [`Event::Unknown`] or
//! [`Event::Unreadable`].

use serde_json::Value;

use crate::{types, Error, Event, UnknownEvent, UnreadableEvent};

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
