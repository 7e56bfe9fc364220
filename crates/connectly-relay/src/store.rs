//! The journal behind a trait: [`Store`]. The HTTP side (ingest, forwarder, writer) knows only
//! this trait; [`SqliteStore`](crate::SqliteStore) (one relay) and
//! [`PgStore`](crate::PgStore) (several relays on one database) implement it.
//!
//! Times are Unix milliseconds (`i64`), as stored.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use connectly_webhook::DeliveryKey;

/// A set of events, by key: those a forwarder holds ([`Store::due`]).
pub type Keys = HashSet<DeliveryKey>;

/// Where an event is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Stored, not yet delivered: waiting for its next attempt.
    Pending,
    /// The handler answered 2xx.
    Delivered,
    /// Every attempt of the schedule failed; waits for `relay dead retry`.
    Dead,
}

impl State {
    /// The name stored and shown: `pending`, `delivered`, `dead`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Delivered => "delivered",
            State::Dead => "dead",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "pending" => Ok(State::Pending),
            "delivered" => Ok(State::Delivered),
            "dead" => Ok(State::Dead),
            other => Err(format!(
                "unknown state {other:?}: expected pending, delivered or dead"
            )),
        }
    }
}

/// An event to store, exactly as it arrived.
#[derive(Clone)]
pub struct NewEvent {
    /// SHA-256 of `body`.
    pub key: DeliveryKey,
    /// The raw body, byte for byte.
    pub body: Vec<u8>,
    /// The `x-connectly-hmac-sha256` header, as received.
    pub signature: String,
    /// The `content-type` header, as received (when it was text).
    pub content_type: Option<String>,
    /// When it was received.
    pub received_at: i64,
    /// When its first attempt is due: `received_at` plus the schedule's first delay
    /// ([`Schedule::due_at`](crate::Schedule::due_at) with no attempt made).
    pub next_at: i64,
}

impl fmt::Debug for NewEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewEvent")
            .field("key", &self.key)
            .field("bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// What one forward attempt ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The handler answered 2xx.
    Delivered,
    /// Anything else: try again at `next_at`, or, with `None`, the event is dead.
    Failed {
        /// What went wrong, in a sentence.
        error: String,
        /// When to try again; `None`: the schedule is exhausted.
        next_at: Option<i64>,
    },
}

/// One change of a group commit.
#[derive(Debug, Clone)]
pub enum Write {
    /// Store a received event, unless its key is already stored (a duplicate).
    Insert(NewEvent),
    /// Record an attempt of a stored event.
    Attempt {
        /// The event.
        key: DeliveryKey,
        /// When it ended.
        at: i64,
        /// How.
        outcome: Outcome,
    },
    /// Forget delivered events received before `before` (the retention window): at most
    /// `limit` of them, the oldest first, so that one purge holds a commit (and the events
    /// waiting in it) for a bounded time however much has expired. Answered with
    /// [`Written::Applied`] and the count forgotten: `limit` means more may be left.
    PurgeDelivered {
        /// The cutoff.
        before: i64,
        /// The most events one purge forgets.
        limit: usize,
    },
}

/// What one [`Write`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// A new event was stored.
    Stored,
    /// An event with this key was already stored: nothing written.
    Duplicate,
    /// An attempt or purge was applied (the count of rows it changed).
    Applied(usize),
}

/// A stored event.
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    /// SHA-256 of `body`.
    pub key: DeliveryKey,
    /// Its state.
    pub state: State,
    /// Attempts made since it was stored or last replayed.
    pub attempts: u32,
    /// When it was received.
    pub received_at: i64,
    /// When it is due (pending events).
    pub next_at: Option<i64>,
    /// When the last attempt ended.
    pub last_attempt_at: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was delivered.
    pub delivered_at: Option<i64>,
    /// The `content-type` it arrived with.
    pub content_type: Option<String>,
    /// The original `x-connectly-hmac-sha256` header.
    pub signature: String,
    /// The raw body.
    pub body: Vec<u8>,
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("key", &self.key)
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .field("next_at", &self.next_at)
            .field("last_error", &self.last_error)
            .field("bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// The columns of a stored event, in the order [`record`] reads them: every store's `SELECT`
/// and `RETURNING` of events names these.
pub(crate) const RECORD_COLUMNS: &str = "key, state, attempts, received_at, next_at, \
                                         last_attempt_at, last_error, delivered_at, \
                                         content_type, signature, body";

/// One row of [`RECORD_COLUMNS`], as a store's driver reads it: each getter reads the column at
/// an index, with the driver's error when the value is not of that type.
pub(crate) trait Columns {
    /// The driver's error.
    type Error;
    fn bytes(&self, index: usize) -> Result<Vec<u8>, Self::Error>;
    fn text(&self, index: usize) -> Result<String, Self::Error>;
    fn text_or_null(&self, index: usize) -> Result<Option<String>, Self::Error>;
    fn integer(&self, index: usize) -> Result<i64, Self::Error>;
    fn integer_or_null(&self, index: usize) -> Result<Option<i64>, Self::Error>;
    /// The error for a value of the right type that no event can hold.
    fn invalid(&self, bad: BadColumn) -> Self::Error;
}

/// A stored value no event can hold (a corrupted row): which column, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadColumn {
    /// The column's index in [`RECORD_COLUMNS`].
    pub index: usize,
    /// What is wrong with its value, in a sentence.
    pub problem: String,
}

impl fmt::Display for BadColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let column = RECORD_COLUMNS.split(',').nth(self.index).unwrap_or("?");
        write!(
            f,
            "a stored event's column `{}` is corrupted: {}",
            column.trim(),
            self.problem
        )
    }
}

impl std::error::Error for BadColumn {}

/// The [`Record`] a row of [`RECORD_COLUMNS`] holds; a key that is not 32 bytes, an unknown
/// state or a negative attempt count is an error naming the column, never replaced by a default.
pub(crate) fn record<C: Columns>(row: &C) -> Result<Record, C::Error> {
    let bad = |index, problem: String| row.invalid(BadColumn { index, problem });
    let key = row.bytes(0)?;
    let key: [u8; 32] = key.try_into().map_err(|key: Vec<u8>| {
        bad(
            0,
            format!("{} bytes where a delivery key has 32", key.len()),
        )
    })?;
    let state = row.text(1)?.parse().map_err(|e| bad(1, e))?;
    let attempts = row.integer(2)?;
    let attempts = u32::try_from(attempts)
        .map_err(|_| bad(2, format!("{attempts} is not a count of attempts")))?;
    Ok(Record {
        key: DeliveryKey::from_bytes(key),
        state,
        attempts,
        received_at: row.integer(3)?,
        next_at: row.integer_or_null(4)?,
        last_attempt_at: row.integer_or_null(5)?,
        last_error: row.text_or_null(6)?,
        delivered_at: row.integer_or_null(7)?,
        content_type: row.text_or_null(8)?,
        signature: row.text(9)?,
        body: row.bytes(10)?,
    })
}

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only in this state.
    pub state: Option<State>,
    /// Received at or after.
    pub since: Option<i64>,
    /// Received before.
    pub until: Option<i64>,
    /// At most this many (oldest first); `None`: all.
    pub limit: Option<usize>,
}

/// Which events to send again.
#[derive(Debug, Clone)]
pub enum Selector {
    /// One event.
    Key(DeliveryKey),
    /// Every event received in `[since, until)`, whatever its state.
    Received {
        /// At or after (`None`: from the first).
        since: Option<i64>,
        /// Before (`None`: to the last).
        until: Option<i64>,
    },
    /// Every event in this state.
    State(State),
}

/// Counts by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Status {
    /// Waiting for an attempt.
    pub pending: u64,
    /// Delivered (within the retention window).
    pub delivered: u64,
    /// Dead letters.
    pub dead: u64,
    /// When the oldest pending event was received.
    pub oldest_pending: Option<i64>,
}

/// Why the journal failed. Its text names the operation and the backend's reason (never a
/// body or a secret: neither is ever put in a statement's text).
#[derive(Debug, thiserror::Error)]
#[error("the journal failed to {operation}: {reason}")]
pub struct StoreError {
    /// What was being done, e.g. `commit 12 writes`.
    pub operation: String,
    /// The backend's reason.
    pub reason: String,
}

impl StoreError {
    /// An error of `operation`.
    pub fn new(operation: impl Into<String>, reason: impl fmt::Display) -> Self {
        Self {
            operation: operation.into(),
            reason: reason.to_string(),
        }
    }
}

/// A durable journal of received events.
///
/// The contract the relay's guarantee rests on: when [`Store::write`] returns `Ok`, every write
/// of the batch is durable (it survives a crash of the process and of the machine); when it
/// returns `Err`, none is (the batch is one transaction). Implementations are called from one
/// writer thread for writes and from any thread for reads.
pub trait Store: Send + Sync + 'static {
    /// Applies `batch` in one durable transaction; one [`Written`] per write, in order. An
    /// `Insert` of a key already stored (also earlier in the same batch) is a `Duplicate`.
    fn write(&self, batch: &[Write]) -> Result<Vec<Written>, StoreError>;
    /// Pending events due at `now` that the caller does not hold yet, the earliest due first, at
    /// most `limit`. `held` are the events the caller already has (queued, being sent or being
    /// recorded): they are not read again.
    ///
    /// A store shared by several relays ([`PgStore`](crate::PgStore)) also *claims* the events
    /// it returns for this relay, for a lease: another relay's `due` skips them until the lease
    /// ends or an attempt of them is recorded (a relay that dies mid-forward loses its claims when
    /// the lease ends). The claims of `held` are renewed, well within the lease though not
    /// necessarily on every call. A single-relay store (SQLite) claims nothing.
    fn due(&self, now: i64, limit: usize, held: &Keys) -> Result<Vec<Record>, StoreError>;
    /// The earliest due time of a pending event later than `after` (`None`: none).
    fn next_due(&self, after: i64) -> Result<Option<i64>, StoreError>;
    /// One event.
    fn get(&self, key: &DeliveryKey) -> Result<Option<Record>, StoreError>;
    /// Events matching `filter`, oldest received first.
    fn list(&self, filter: &Filter) -> Result<Vec<Record>, StoreError>;
    /// Counts by state.
    fn status(&self) -> Result<Status, StoreError>;
    /// Makes the selected events pending again, due at `now`, with their attempts reset to 0;
    /// returns how many.
    fn replay(&self, selector: &Selector, now: i64) -> Result<usize, StoreError>;
    /// Deletes every dead event; returns how many.
    fn purge_dead(&self) -> Result<usize, StoreError>;
}
