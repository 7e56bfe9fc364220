//! Receiving in production: a [`Verifier`] that accepts several secrets (rotation) and says which
//! matched, a [`DeliveryKey`] to drop retried deliveries, and an optional freshness check on the
//! signed `timestamp`.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::Digest as _;

use crate::signature::verify_any;
use crate::{parse, Error, Event};

/// Checks deliveries against one or more webhook secrets, optionally refusing events whose
/// signed `timestamp` is outside a window. Cheap to clone (the secrets are shared); its `Debug`
/// never shows a secret.
///
/// ```
/// use std::time::Duration;
/// use connectly_webhook::{sign, Verifier};
///
/// // During a rotation: the new secret first, the old one still accepted.
/// let verifier = Verifier::new("whsec_new").also_accept("whsec_old").max_age(Duration::from_secs(600));
/// let body = br#"{"topic": "orders"}"#; // no timestamp: accepted, `timestamp` is None
/// let delivery = verifier.verify_and_parse(body, Some(&sign("whsec_old", body)))?;
/// assert_eq!(delivery.secret_index, 1); // time to finish the rotation?
/// assert_eq!(delivery.key.to_string().len(), 64);
/// # Ok::<(), connectly_webhook::Error>(())
/// ```
#[derive(Clone)]
pub struct Verifier {
    secrets: Arc<[Box<[u8]>]>,
    max_age: Option<Duration>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field(
                "secrets",
                &format_args!("[{} redacted]", self.secrets.len()),
            )
            .field("max_age", &self.max_age)
            .finish()
    }
}

impl Verifier {
    /// Accepts events signed with `secret`; no freshness check.
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self {
            secrets: Arc::from([Box::from(secret.as_ref())]),
            max_age: None,
        }
    }

    /// Also accepts events signed with `secret` (e.g. the previous secret during a rotation).
    /// Secrets are numbered in the order given, from 0: [`Delivery::secret_index`].
    pub fn also_accept(self, secret: impl AsRef<[u8]>) -> Self {
        let mut secrets = self.secrets.to_vec();
        secrets.push(Box::from(secret.as_ref()));
        Self {
            secrets: secrets.into(),
            ..self
        }
    }

    /// Refuses an event whose signed `timestamp` is more than `window` away from now, in the
    /// past or in the future ([`Error::Stale`]). Both documented formats are read (Unix seconds,
    /// ISO 8601); an event without a readable timestamp is accepted, with
    /// [`Delivery::timestamp`] `None`, since its shape is not a reason to refuse it. Connectly
    /// documents no retry schedule: a window shorter than its retries refuses late retries.
    pub fn max_age(self, window: Duration) -> Self {
        Self {
            max_age: Some(window),
            ..self
        }
    }

    /// How many secrets are accepted.
    pub fn secret_count(&self) -> usize {
        self.secrets.len()
    }

    /// Checks only the signature; returns the index of the secret that matched.
    pub fn verify(&self, raw_body: &[u8], signature_header: Option<&str>) -> Result<usize, Error> {
        verify_any(&self.secrets, raw_body, signature_header)
    }

    /// Verifies the signature, parses the body and checks its freshness, now.
    pub fn verify_and_parse(
        &self,
        raw_body: &[u8],
        signature_header: Option<&str>,
    ) -> Result<Delivery, Error> {
        self.verify_and_parse_at(raw_body, signature_header, SystemTime::now())
    }

    /// [`verify_and_parse`](Self::verify_and_parse) as if the time were `now`. Nothing of an
    /// unverified body is parsed.
    pub fn verify_and_parse_at(
        &self,
        raw_body: &[u8],
        signature_header: Option<&str>,
        now: SystemTime,
    ) -> Result<Delivery, Error> {
        let secret_index = self.verify(raw_body, signature_header)?;
        let event = parse(raw_body)?;
        let timestamp = event.timestamp().and_then(parse_timestamp);
        if let (Some(window), Some(at)) = (self.max_age, timestamp) {
            let seconds_off = signed_seconds(at) - signed_seconds(now);
            if seconds_off.unsigned_abs() > window.as_secs() {
                return Err(Error::Stale {
                    seconds_off,
                    window_secs: window.as_secs(),
                });
            }
        }
        Ok(Delivery {
            event,
            secret_index,
            key: DeliveryKey::of(raw_body),
            timestamp,
        })
    }
}

/// A verified delivery: the event and what a production receiver needs beside it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Delivery {
    /// The event.
    pub event: Event,
    /// Which secret matched, in the order given to the [`Verifier`] (0: the first).
    pub secret_index: usize,
    /// The same for every retry of this delivery: use it to drop duplicates.
    pub key: DeliveryKey,
    /// The signed `timestamp`, when the event has a readable one.
    pub timestamp: Option<SystemTime>,
}

/// A key for deduplication: the SHA-256 of the raw body. Connectly sends no event id, but a
/// retried delivery has the same raw body, hence the same key; any other event differs at
/// least in its timestamp or content. Shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeliveryKey([u8; 32]);

impl DeliveryKey {
    /// The key of a raw body.
    ///
    /// ```
    /// use connectly_webhook::DeliveryKey;
    /// assert_eq!(
    ///     DeliveryKey::of(b"abc").to_string(),
    ///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" // SHA-256("abc")
    /// );
    /// ```
    pub fn of(raw_body: &[u8]) -> Self {
        Self(sha2::Sha256::digest(raw_body).into())
    }

    /// The digest's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key whose digest is `bytes` (as [`as_bytes`](Self::as_bytes) gave it, e.g. read back
    /// from a store).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

/// Reads the 64 hex digits [`Display`](fmt::Display) writes (either case).
///
/// ```
/// use connectly_webhook::DeliveryKey;
/// let key = DeliveryKey::of(b"abc");
/// assert_eq!(key.to_string().parse::<DeliveryKey>(), Ok(key));
/// assert!("abc".parse::<DeliveryKey>().is_err());
/// ```
impl std::str::FromStr for DeliveryKey {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let digits = text.as_bytes();
        if digits.len() != 64 || !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err("a delivery key is 64 hex digits (the SHA-256 of the raw body)".to_owned());
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            let nibble = |d: u8| (d as char).to_digit(16).unwrap_or(0) as u8;
            *byte = nibble(pair[0]) << 4 | nibble(pair[1]);
        }
        Ok(Self(bytes))
    }
}

impl fmt::Display for DeliveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

impl fmt::Debug for DeliveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeliveryKey({self})")
    }
}

fn signed_seconds(at: SystemTime) -> i64 {
    match at.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Reads a signed `timestamp` in either documented format: Unix seconds as a string
/// (`"1639083206"`, `messages` and `delivery_status`) or ISO 8601 / RFC 3339
/// (`"2025-04-30T12:34:56Z"`, `report`; fractions of a second and `±HH:MM` offsets accepted).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use connectly_webhook::parse_timestamp;
/// assert_eq!(parse_timestamp("1639083206"), Some(UNIX_EPOCH + Duration::from_secs(1639083206)));
/// assert_eq!(parse_timestamp("2025-04-30T12:34:56Z"), Some(UNIX_EPOCH + Duration::from_secs(1746016496)));
/// assert_eq!(parse_timestamp("yesterday"), None);
/// ```
pub fn parse_timestamp(text: &str) -> Option<SystemTime> {
    if !text.is_empty() && text.len() <= 12 && text.bytes().all(|b| b.is_ascii_digit()) {
        return Some(UNIX_EPOCH + Duration::from_secs(text.parse().ok()?));
    }
    let seconds = rfc3339_seconds(text.as_bytes())?;
    Some(if seconds >= 0 {
        UNIX_EPOCH + Duration::from_secs(seconds.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs())
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` → Unix seconds (the fraction dropped).
fn rfc3339_seconds(text: &[u8]) -> Option<i64> {
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = text.get(range)?;
        digits.iter().try_fold(0i64, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
        })
    };
    let separator = |at: usize, allowed: &[u8]| text.get(at).is_some_and(|b| allowed.contains(b));
    if !(separator(4, b"-")
        && separator(7, b"-")
        && separator(10, b"Tt ")
        && separator(13, b":")
        && separator(16, b":"))
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // The calendar (days in each month, leap years) is jiff's; a date it refuses is refused.
    let date = jiff::civil::Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
    )
    .ok()?;
    let days = i64::from(date.since(jiff::civil::date(1970, 1, 1)).ok()?.get_days());
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let two = |a: u8, b: u8| -> Option<i64> {
                (a.is_ascii_digit() && b.is_ascii_digit())
                    .then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'))
            };
            let (hours, minutes) = (two(*h1, *h2)?, two(*m1, *m2)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'-' {
                -offset
            } else {
                offset
            }
        }
        _ => return None,
    };
    // A leap second (`:60`) counts as the first second of the next minute, as before jiff.
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{sample, sign};

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    #[test]
    fn rotation_accepts_each_secret_names_the_one_that_matched_and_refuses_others() {
        let body = sample("text").unwrap().body.as_bytes();
        let verifier = Verifier::new("whsec_new").also_accept("whsec_old");
        assert_eq!(verifier.secret_count(), 2);
        for (index, secret) in ["whsec_new", "whsec_old"].into_iter().enumerate() {
            let delivery = verifier
                .verify_and_parse(body, Some(&sign(secret, body)))
                .unwrap();
            assert_eq!(delivery.secret_index, index, "{secret}");
            assert_eq!(delivery.event, parse(body).unwrap());
        }
        let error = verifier
            .verify_and_parse(body, Some(&sign("whsec_retired", body)))
            .unwrap_err();
        assert!(matches!(error, Error::SignatureMismatch));
        // Without the old secret, what it signed is refused.
        assert!(Verifier::new("whsec_new")
            .verify(body, Some(&sign("whsec_old", body)))
            .is_err());
        let debug = format!("{verifier:?}");
        assert!(!debug.contains("whsec"), "{debug}");
        assert!(debug.contains("2 redacted"), "{debug}");
    }

    #[test]
    fn the_delivery_key_is_the_same_for_a_retry_and_differs_for_any_other_body() {
        let verifier = Verifier::new("s");
        let key = |body: &[u8]| {
            verifier
                .verify_and_parse(body, Some(&sign("s", body)))
                .unwrap()
                .key
        };
        let first = sample("sent").unwrap().body.as_bytes();
        let retry = first.to_vec();
        assert_eq!(key(first), key(&retry));
        assert_eq!(key(first), DeliveryKey::of(first));
        let mut seen = std::collections::HashSet::new();
        for s in crate::samples() {
            assert!(seen.insert(key(s.body.as_bytes())), "{}", s.name);
        }
        // One byte apart (the same event re-serialised) is another delivery.
        let mut spaced = first.to_vec();
        spaced.push(b' ');
        assert_ne!(key(first), key(&spaced));
        let text = key(first).to_string();
        assert_eq!(text.len(), 64);
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }

    #[test]
    fn freshness_refuses_events_outside_the_window_in_both_timestamp_formats() {
        let window = Duration::from_secs(300);
        let verifier = Verifier::new("s").max_age(window);
        let signed = |name: &str| {
            let body = sample(name).unwrap().body.as_bytes();
            (body, sign("s", body))
        };
        // text: "1639083206" (Unix seconds); report: "2025-04-30T12:34:56Z" = 1746016496.
        for (name, sent) in [("text", 1_639_083_206), ("report", 1_746_016_496)] {
            let (body, signature) = signed(name);
            for (now, fresh) in [
                (sent, true),
                (sent + 300, true),
                (sent - 300, true),
                (sent + 301, false),
                (sent - 301, false),
                (sent + 86_400, false),
            ] {
                let result = verifier.verify_and_parse_at(body, Some(&signature), at(now));
                match (fresh, result) {
                    (true, Ok(delivery)) => assert_eq!(delivery.timestamp, Some(at(sent))),
                    (
                        false,
                        Err(Error::Stale {
                            seconds_off,
                            window_secs,
                        }),
                    ) => {
                        assert_eq!(seconds_off, sent as i64 - now as i64);
                        assert_eq!(window_secs, 300);
                    }
                    (fresh, other) => panic!("{name} at {now}: fresh {fresh}, got {other:?}"),
                }
            }
            // Without a window, any age is accepted.
            let late =
                Verifier::new("s").verify_and_parse_at(body, Some(&signature), at(sent + 86_400));
            assert!(late.is_ok());
        }
        // The signature comes first: a stale body with a bad signature is a signature error.
        let (body, _) = signed("text");
        let error = verifier
            .verify_and_parse_at(body, Some(&sign("x", body)), at(0))
            .unwrap_err();
        assert!(error.is_signature_error());
        // No readable timestamp: accepted, not refused for its shape.
        let body = br#"{"topic": "orders"}"#;
        let delivery = verifier
            .verify_and_parse_at(body, Some(&sign("s", body)), at(0))
            .unwrap();
        assert_eq!(delivery.timestamp, None);
        let error = Error::Stale {
            seconds_off: -400,
            window_secs: 300,
        }
        .to_string();
        assert!(error.contains("400 s in the past"), "{error}");
    }

    #[test]
    fn timestamps_in_both_documented_formats_and_nothing_else() {
        for (text, seconds) in [
            ("0", 0),
            ("1639083206", 1_639_083_206),
            ("2025-04-30T12:34:56Z", 1_746_016_496),
            ("2025-04-30T12:34:56.789Z", 1_746_016_496),
            ("2025-04-30T14:34:56+02:00", 1_746_016_496),
            ("2025-04-30t12:34:56z", 1_746_016_496),
            ("1970-01-01T00:00:00Z", 0),
            ("2024-02-29T00:00:00Z", 1_709_164_800),
            ("2000-03-01T00:00:00Z", 951_868_800),
            ("2016-12-31T23:59:60Z", 1_483_228_800),
            ("9999-12-31T23:59:59Z", 253_402_300_799),
            ("1969-12-31T23:00:00-01:00", 0),
        ] {
            assert_eq!(parse_timestamp(text), Some(at(seconds)), "{text}");
        }
        assert_eq!(
            parse_timestamp("0000-01-01T00:00:00Z"),
            Some(UNIX_EPOCH - Duration::from_secs(62_167_219_200))
        );
        for text in [
            "",
            "-5",
            "1.5",
            "12345678901234",
            "2025-04-30",
            "2025-04-30T12:34:56",
            "2025-02-29T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-04-30T24:00:00Z",
            "2100-02-29T00:00:00Z",
            "2025-04-31T00:00:00Z",
            "2025-04-30T12:34:61Z",
            "2025-04-30T12:34:56.Z",
            "2025-04-30T12:34:56+0200",
            "2025-04-30T12:34:56Zjunk",
            "２０２５-04-30T12:34:56Z",
        ] {
            assert_eq!(parse_timestamp(text), None, "{text}");
        }
    }
}
