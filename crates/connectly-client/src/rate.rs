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
        let turn = {
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let turn = next.map_or(now, |n| n.max(now));
            *next = Some(turn + self.interval);
            turn
        };
        if turn > now {
            tokio::time::sleep_until(turn).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn ten_per_second_spaces_requests_100_ms_apart() {
        let limit = RateLimit::per_second(10);
        let start = Instant::now();
        for _ in 0..21 {
            limit.acquire().await;
        }
        // 21 requests at 10/s: the first at once, the last 2 s later (paused clock: exact).
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }
}
