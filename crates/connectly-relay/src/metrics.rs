//! The relay's counters and histograms, and their Prometheus text form (`GET /metrics`).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Why a POST was not answered 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 401: the signature was missing or did not match.
    Signature,
    /// 413: the body was over the cap.
    TooLarge,
    /// 408: the body did not arrive in time (or the connection broke).
    BodyTimeout,
    /// 503: the ingest queue was full.
    QueueFull,
    /// 503: the journal failed to commit.
    Journal,
    /// 503: the relay is shutting down.
    ShuttingDown,
}

const REFUSALS: [(Refusal, &str); 6] = [
    (Refusal::Signature, "signature"),
    (Refusal::TooLarge, "too_large"),
    (Refusal::BodyTimeout, "body_timeout"),
    (Refusal::QueueFull, "queue_full"),
    (Refusal::Journal, "journal"),
    (Refusal::ShuttingDown, "shutting_down"),
];

/// How a forward attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarded {
    /// 2xx.
    Delivered,
    /// Failed; will be tried again.
    Retry,
    /// Failed for the last time: dead.
    Dead,
}

const FORWARDED: [(Forwarded, &str); 3] = [
    (Forwarded::Delivered, "delivered"),
    (Forwarded::Retry, "retry"),
    (Forwarded::Dead, "dead"),
];

const BATCH_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];
const LATENCY_BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// A counter for each value of `E`, labelled by its table (`REFUSALS`, `FORWARDED`).
struct Labelled<E: 'static, const N: usize> {
    table: &'static [(E, &'static str); N],
    counts: [AtomicU64; N],
}

impl<E: Copy + PartialEq, const N: usize> Labelled<E, N> {
    fn new(table: &'static [(E, &'static str); N]) -> Self {
        Self {
            table,
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }

    fn count(&self, which: E) -> Option<&AtomicU64> {
        let i = self.table.iter().position(|(e, _)| *e == which)?;
        Some(&self.counts[i])
    }

    fn add(&self, which: E) {
        if let Some(count) = self.count(which) {
            count.fetch_add(1, Relaxed);
        }
    }

    fn get(&self, which: E) -> u64 {
        self.count(which).map_or(0, |count| count.load(Relaxed))
    }

    /// One counter family, a line per label as `name{key="label"}`.
    fn render(&self, out: &mut String, name: &str, help: &str, key: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for ((_, label), count) in self.table.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}{{{key}=\"{label}\"}} {}", count.load(Relaxed));
        }
    }
}

struct Histogram<const N: usize> {
    bounds: [f64; N],
    buckets: [AtomicU64; N],
    count: AtomicU64,
    /// The sum, in millionths.
    sum_micros: AtomicU64,
}

impl<const N: usize> Histogram<N> {
    fn new(bounds: [f64; N]) -> Self {
        Self {
            bounds,
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    fn observe(&self, value: f64) {
        for (bound, bucket) in self.bounds.iter().zip(&self.buckets) {
            if value <= *bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_micros
            .fetch_add((value * 1e6).round() as u64, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (bound, bucket) in self.bounds.iter().zip(&self.buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Relaxed)
            );
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.sum_micros.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {count}");
    }
}

/// What the relay counts. Shared by the ingest route, the writer and the forwarder.
pub struct Metrics {
    received: AtomicU64,
    stored: AtomicU64,
    deduplicated: AtomicU64,
    refused: Labelled<Refusal, { REFUSALS.len() }>,
    forwarded: Labelled<Forwarded, { FORWARDED.len() }>,
    queued: AtomicU64,
    in_flight: AtomicU64,
    batch_size: Histogram<{ BATCH_BUCKETS.len() }>,
    commit_seconds: Histogram<{ LATENCY_BUCKETS.len() }>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("received", &self.received())
            .field("stored", &self.stored())
            .field("deduplicated", &self.deduplicated())
            .finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            received: AtomicU64::new(0),
            stored: AtomicU64::new(0),
            deduplicated: AtomicU64::new(0),
            refused: Labelled::new(&REFUSALS),
            forwarded: Labelled::new(&FORWARDED),
            queued: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            batch_size: Histogram::new(BATCH_BUCKETS),
            commit_seconds: Histogram::new(LATENCY_BUCKETS),
        }
    }
}

impl Metrics {
    pub(crate) fn received_one(&self) {
        self.received.fetch_add(1, Relaxed);
    }
    pub(crate) fn stored_one(&self) {
        self.stored.fetch_add(1, Relaxed);
    }
    pub(crate) fn deduplicated_one(&self) {
        self.deduplicated.fetch_add(1, Relaxed);
    }
    pub(crate) fn refused(&self, why: Refusal) {
        self.refused.add(why);
    }
    pub(crate) fn forwarded(&self, how: Forwarded) {
        self.forwarded.add(how);
    }
    pub(crate) fn queue_changed(&self, delta: i64) {
        if delta >= 0 {
            self.queued.fetch_add(delta.unsigned_abs(), Relaxed);
        } else {
            self.queued.fetch_sub(delta.unsigned_abs(), Relaxed);
        }
    }
    pub(crate) fn in_flight_changed(&self, up: bool) {
        if up {
            self.in_flight.fetch_add(1, Relaxed);
        } else {
            self.in_flight.fetch_sub(1, Relaxed);
        }
    }
    pub(crate) fn committed(&self, rows: usize, took: Duration) {
        self.batch_size.observe(rows as f64);
        self.commit_seconds.observe(took.as_secs_f64());
    }

    /// Signed POSTs received (before dedup).
    pub fn received(&self) -> u64 {
        self.received.load(Relaxed)
    }
    /// Events newly stored.
    pub fn stored(&self) -> u64 {
        self.stored.load(Relaxed)
    }
    /// Events answered 200 as a duplicate of one stored.
    pub fn deduplicated(&self) -> u64 {
        self.deduplicated.load(Relaxed)
    }
    /// POSTs refused for this reason.
    pub fn refusals(&self, why: Refusal) -> u64 {
        self.refused.get(why)
    }
    /// Forward attempts that ended this way.
    pub fn forwards(&self, how: Forwarded) -> u64 {
        self.forwarded.get(how)
    }
    /// Forward attempts being sent now.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Relaxed)
    }
    /// Commits made so far.
    pub fn commits(&self) -> u64 {
        self.batch_size.count.load(Relaxed)
    }
    /// Writes (stored events, attempts, purges) committed so far, in all commits.
    pub fn writes_committed(&self) -> u64 {
        self.batch_size.sum_micros.load(Relaxed) / 1_000_000
    }

    /// The Prometheus text exposition; `pending` is the journal's count of pending events when
    /// it could be read.
    pub fn render(&self, pending: Option<u64>) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        counter(
            "connectly_relay_received_total",
            "Correctly signed POSTs received.",
            self.received(),
        );
        counter(
            "connectly_relay_stored_total",
            "Events committed to the journal.",
            self.stored(),
        );
        counter(
            "connectly_relay_deduplicated_total",
            "POSTs answered 200 whose body was already stored.",
            self.deduplicated(),
        );
        self.refused.render(
            &mut out,
            "connectly_relay_refused_total",
            "POSTs not answered 200, by reason.",
            "reason",
        );
        self.forwarded.render(
            &mut out,
            "connectly_relay_forwarded_total",
            "Forward attempts, by outcome.",
            "outcome",
        );
        let mut gauge = |name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        };
        gauge(
            "connectly_relay_ingest_queue_depth",
            "Writes waiting for the journal writer.",
            self.queued.load(Relaxed),
        );
        gauge(
            "connectly_relay_forwards_in_flight",
            "Forward attempts under way.",
            self.in_flight.load(Relaxed),
        );
        if let Some(pending) = pending {
            gauge(
                "connectly_relay_pending_events",
                "Events in the journal not yet delivered (nor dead).",
                pending,
            );
        }
        self.batch_size.render(
            &mut out,
            "connectly_relay_commit_batch_size",
            "Writes per journal commit.",
        );
        self.commit_seconds.render(
            &mut out,
            "connectly_relay_commit_seconds",
            "Time per journal commit (fsync included).",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_labelled_family_has_its_header_and_a_line_per_label() {
        let metrics = Metrics::default();
        metrics.refused(Refusal::QueueFull);
        metrics.refused(Refusal::QueueFull);
        metrics.forwarded(Forwarded::Dead);
        assert_eq!(metrics.refusals(Refusal::QueueFull), 2);
        assert_eq!(metrics.refusals(Refusal::Signature), 0);
        assert_eq!(metrics.forwards(Forwarded::Dead), 1);
        let text = metrics.render(None);
        let expected = "\
# HELP connectly_relay_refused_total POSTs not answered 200, by reason.
# TYPE connectly_relay_refused_total counter
connectly_relay_refused_total{reason=\"signature\"} 0
connectly_relay_refused_total{reason=\"too_large\"} 0
connectly_relay_refused_total{reason=\"body_timeout\"} 0
connectly_relay_refused_total{reason=\"queue_full\"} 2
connectly_relay_refused_total{reason=\"journal\"} 0
connectly_relay_refused_total{reason=\"shutting_down\"} 0
# HELP connectly_relay_forwarded_total Forward attempts, by outcome.
# TYPE connectly_relay_forwarded_total counter
connectly_relay_forwarded_total{outcome=\"delivered\"} 0
connectly_relay_forwarded_total{outcome=\"retry\"} 0
connectly_relay_forwarded_total{outcome=\"dead\"} 1
";
        assert!(text.contains(expected), "{text}");
    }
}
