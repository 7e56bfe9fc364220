//! When to try a forward again: [`Schedule`] (Svix's by default), with jitter, and
//! [`parse_duration`] for the flags that take a time (`5s`, `30m`, `7d`).

use std::time::Duration;

use connectly_webhook::DeliveryKey;

/// The delays before each attempt: the first is the delay before the first attempt (0:
/// immediately), the `n`-th the delay after the `(n-1)`-th attempt failed. After the last attempt
/// fails the event is dead. Each delay but a zero one is stretched or shrunk by up to
/// [`JITTER`], so that events that failed together do not all come back together.
///
/// ```
/// use std::time::Duration;
/// use connectly_relay::Schedule;
/// let schedule = Schedule::default();
/// assert_eq!(schedule.attempts(), 8);
/// assert_eq!(schedule.to_string(), "0s,5s,5m,30m,2h,5h,10h,10h");
/// assert_eq!("0,1s,250ms".parse::<Schedule>().unwrap().delays()[2], Duration::from_millis(250));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule(Vec<Duration>);

/// How far jitter moves a delay: ±20 %.
pub const JITTER: f64 = 0.2;

impl Default for Schedule {
    /// Svix's: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about 28 hours in all).
    fn default() -> Self {
        let m = 60;
        let h = 60 * m;
        Self(
            [0, 5, 5 * m, 30 * m, 2 * h, 5 * h, 10 * h, 10 * h]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
        )
    }
}

impl Schedule {
    /// A schedule of these delays; `None` when empty.
    pub fn new(delays: Vec<Duration>) -> Option<Self> {
        (!delays.is_empty()).then_some(Self(delays))
    }

    /// The delays, without jitter.
    pub fn delays(&self) -> &[Duration] {
        &self.0
    }

    /// How many attempts an event gets before it is dead.
    pub fn attempts(&self) -> u32 {
        u32::try_from(self.0.len()).unwrap_or(u32::MAX)
    }

    /// The delay before attempt `made + 1` once `made` attempts failed, with jitter drawn from
    /// the key and `salt`; `None` when no attempt is left.
    pub fn after(&self, made: u32, key: &DeliveryKey, salt: u64) -> Option<Duration> {
        let delay = *self.0.get(usize::try_from(made).ok()?)?;
        if delay.is_zero() {
            return Some(delay);
        }
        let mut seed = u64::from(made) ^ salt;
        for chunk in key.as_bytes().chunks_exact(8) {
            seed ^= u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        }
        // A uniform number in [0, 1) from splitmix64.
        seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
        Some(delay.mul_f64(1.0 - JITTER + 2.0 * JITTER * unit))
    }

    /// When attempt `made + 1` is due once `made` attempts were made, the last one (or, for the
    /// first attempt, the event's arrival) at `at` (Unix ms): `at` plus [`Schedule::after`]
    /// with `at` as its salt; `None` when no attempt is left.
    pub fn due_at(&self, made: u32, key: &DeliveryKey, at: i64) -> Option<i64> {
        let delay = self.after(made, key, at as u64)?;
        Some(at.saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX)))
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<String> = self.0.iter().map(|d| show_duration(*d)).collect();
        f.write_str(&shown.join(","))
    }
}

impl std::str::FromStr for Schedule {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let delays = text
            .split(',')
            .map(|part| parse_duration(part.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(delays).ok_or_else(|| "a schedule needs at least one delay".to_owned())
    }
}

/// Reads a time span: a number and a unit, `ms`, `s`, `m`, `h` or `d` (`250ms`, `1.5s`, `7d`);
/// a bare number is seconds.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(connectly_relay::parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
/// assert!(connectly_relay::parse_duration("soon").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => f64::NAN,
    };
    number
        .parse::<f64>()
        .ok()
        .and_then(|n| Duration::try_from_secs_f64(n * scale).ok())
        .ok_or_else(|| format!("expected a time such as 500ms, 5s, 30m, 2h or 7d, not {text:?}"))
}

fn show_duration(d: Duration) -> String {
    let ms = d.as_millis();
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
    ] {
        if ms >= size && ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    if ms == 0 {
        "0s".to_owned()
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_its_bounds_and_differs_between_keys() {
        let schedule = Schedule::default();
        let mut seen = std::collections::HashSet::new();
        for i in 0..200u32 {
            let key = DeliveryKey::of(&i.to_le_bytes());
            assert_eq!(schedule.after(0, &key, 7), Some(Duration::ZERO));
            let delay = schedule.after(1, &key, 7).unwrap();
            assert!(delay >= Duration::from_secs(4) && delay <= Duration::from_secs(6));
            seen.insert(delay);
            assert_eq!(schedule.after(8, &key, 7), None);
        }
        assert!(seen.len() > 150, "{} distinct delays", seen.len());
    }

    #[test]
    fn the_first_delay_is_the_wait_before_the_first_attempt() {
        let key = DeliveryKey::of(b"event");
        let at = 1_700_000_000_000;
        let now: Schedule = "0,1h".parse().unwrap();
        assert_eq!(now.due_at(0, &key, at), Some(at));
        let later: Schedule = "1h,0".parse().unwrap();
        let wait = later.due_at(0, &key, at).unwrap() - at;
        assert!((2_880_000..=4_320_000).contains(&wait), "{wait} ms");
        assert_eq!(later.due_at(1, &key, at), Some(at));
        assert_eq!(later.due_at(2, &key, at), None);
    }
}
