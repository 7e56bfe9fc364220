//! The optional client-side rate limit: requests evenly spaced, at most N per second.

use std::{
    sync::{Mutex, PoisonError},
    time::Duration,
};

use tokio::time::Instant;

/// Spaces the requests of one client (and its clones) at least `1/N` s apart.
#[derive(Debug)]
pub(crate) struct RateLimit {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimit {
    pub(crate) fn per_second(requests: u32) -> Self {
        Self {
            interval: Duration::from_secs(1) / requests.max(1),
            next: Mutex::new(None),
        }
    }

    /// Waits for this request's turn. Turns are handed out in call order, so waiting callers
    /// are served first come, first served.
    pub(crate) async fn acquire(&self) {
        let now = Instant::now();
        let turn = self.take_turn(now);
        if turn > now {
            tokio::time::sleep_until(turn).await;
        }
    }

    /// Books the next turn for a request made at `now`: `now` itself when the previous turn is
    /// at least one interval ago, else one interval after the previous turn.
    fn take_turn(&self, now: Instant) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        let turn = next.map_or(now, |n| n.max(now));
        *next = Some(turn + self.interval);
        turn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The turns are computed from given instants, so the test needs neither a real wait nor
    // tokio's paused clock (whose `test-util` feature would also slow every timer of the
    // request-overhead bench, which shares this crate's dev-dependencies).

    #[test]
    fn ten_per_second_spaces_requests_100_ms_apart() {
        let limit = RateLimit::per_second(10);
        let start = Instant::now();
        // 21 requests at once at 10/s: the first at once, then one every 100 ms.
        let turns: Vec<_> = (0..21).map(|_| limit.take_turn(start) - start).collect();
        let expected: Vec<_> = (0..21).map(|i| Duration::from_millis(100) * i).collect();
        assert_eq!(turns, expected);
    }

    #[test]
    fn a_request_after_a_quiet_spell_goes_at_once() {
        let limit = RateLimit::per_second(10);
        let start = Instant::now();
        assert_eq!(limit.take_turn(start), start);
        // 1 s later the previous turn is long past: no wait, and no credit saved up either.
        let later = start + Duration::from_secs(1);
        assert_eq!(limit.take_turn(later), later);
        assert_eq!(limit.take_turn(later), later + Duration::from_millis(100));
    }
}
