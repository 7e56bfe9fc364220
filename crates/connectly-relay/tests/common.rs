//! What the relay tests share: a relay on a temporary journal (SQLite or Postgres: the suite runs
//! against both, see [`both_stores!`]) whose writes can be made to fail, signed test events, and
//! polling with a deadline (never a sleep as an assertion).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use connectly_relay::{
    DeliveryKey, Filter, Keys, PgOptions, PgStore, Record, Relay, RelayConfig, Selector,
    SqliteStore, Status, Store, StoreError, Url, Verifier, Write, Written,
};

pub const SECRET: &str = "whsec_relay_TEST_5e4d";

/// Which journal a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Defines, for each `async fn NAME(backend: Backend)` (or `fn` after `sync:`), the tests
/// `NAME::sqlite` and `NAME::postgres`: one suite, both stores.
#[macro_export]
macro_rules! both_stores {
    (sync: $($name:ident),* $(,)?) => { $(
        mod $name {
            #[test]
            fn sqlite() { super::$name($crate::common::Backend::Sqlite) }
            #[test]
            fn postgres() { super::$name($crate::common::Backend::Postgres) }
        }
    )* };
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { super::$name($crate::common::Backend::Sqlite).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { super::$name($crate::common::Backend::Postgres).await }
        }
    )* };
}

/// A fresh, empty journal and what keeps it alive (its directory or database).
pub struct Journal {
    pub store: Box<dyn Store>,
    /// Runs SQL on the journal's database behind the store's back (to corrupt a row).
    pub execute: Box<dyn Fn(&str) + Send + Sync>,
    _place: Box<dyn std::any::Any + Send + Sync>,
}

/// A fresh journal of `backend`.
pub fn journal(backend: Backend) -> Journal {
    journal_with(backend, PgOptions::default())
}

/// A fresh journal of `backend`, a Postgres one opened with `options`.
pub fn journal_with(backend: Backend, options: PgOptions) -> Journal {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("relay.db");
            Journal {
                store: Box::new(SqliteStore::open(&path).unwrap()),
                execute: Box::new(move |sql| {
                    let connection = rusqlite::Connection::open(&path).unwrap();
                    connection.execute_batch(sql).unwrap();
                }),
                _place: Box::new(dir),
            }
        }
        Backend::Postgres => {
            let database = connectly_tests::postgres::database();
            let url = database.url().to_owned();
            Journal {
                store: Box::new(PgStore::open(&url, options).unwrap()),
                execute: Box::new(move |sql| {
                    connectly_tests::postgres::psql(&url, sql);
                }),
                _place: Box::new(database),
            }
        }
    }
}

/// The journal under test, with fault injection on writes (fail them, or hold them until
/// released).
pub struct Faulty {
    pub inner: Box<dyn Store>,
    pub failing: AtomicBool,
    /// The most events the forwarder asked for at once (beyond those it holds).
    pub most_due: AtomicUsize,
    /// How many times the forwarder read due events.
    pub looks: AtomicUsize,
    held: Mutex<bool>,
    released: Condvar,
}

impl Faulty {
    pub fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    /// Writes wait (`true`) until released (`false`).
    pub fn hold(&self, held: bool) {
        *self.held.lock().unwrap() = held;
        self.released.notify_all();
    }
}

impl Store for Faulty {
    fn write(&self, batch: &[Write]) -> Result<Vec<Written>, StoreError> {
        let mut held = self.held.lock().unwrap();
        while *held {
            held = self.released.wait(held).unwrap();
        }
        drop(held);
        if self.failing.load(Ordering::SeqCst) {
            return Err(StoreError::new("commit", "injected fault: disk full"));
        }
        self.inner.write(batch)
    }
    fn due(&self, now: i64, limit: usize, held: &Keys) -> Result<Vec<Record>, StoreError> {
        self.most_due.fetch_max(limit, Ordering::SeqCst);
        self.looks.fetch_add(1, Ordering::SeqCst);
        self.inner.due(now, limit, held)
    }
    fn next_due(&self, after: i64) -> Result<Option<i64>, StoreError> {
        self.inner.next_due(after)
    }
    fn get(&self, key: &DeliveryKey) -> Result<Option<Record>, StoreError> {
        self.inner.get(key)
    }
    fn list(&self, filter: &Filter) -> Result<Vec<Record>, StoreError> {
        self.inner.list(filter)
    }
    fn status(&self) -> Result<Status, StoreError> {
        self.inner.status()
    }
    fn replay(&self, selector: &Selector, now: i64) -> Result<usize, StoreError> {
        self.inner.replay(selector, now)
    }
    fn purge_dead(&self) -> Result<usize, StoreError> {
        self.inner.purge_dead()
    }
}

/// A relay forwarding to `forward_to`, on a fresh journal in a temporary directory.
pub struct Running {
    pub relay: Relay,
    pub store: Arc<Faulty>,
    pub http: reqwest::Client,
    _place: Box<dyn std::any::Any + Send + Sync>,
}

pub async fn start(
    backend: Backend,
    forward_to: &str,
    tweak: impl FnOnce(&mut RelayConfig),
) -> Running {
    start_on(journal(backend), forward_to, tweak).await
}

/// A relay forwarding to `forward_to`, on `journal` (filled beforehand).
pub async fn start_on(
    journal: Journal,
    forward_to: &str,
    tweak: impl FnOnce(&mut RelayConfig),
) -> Running {
    let Journal { store, _place, .. } = journal;
    let store = Arc::new(Faulty {
        inner: store,
        failing: AtomicBool::new(false),
        most_due: AtomicUsize::new(0),
        looks: AtomicUsize::new(0),
        held: Mutex::new(false),
        released: Condvar::new(),
    });
    let mut config = RelayConfig::new(Verifier::new(SECRET), Url::parse(forward_to).unwrap());
    tweak(&mut config);
    let relay = Relay::start(config, store.clone()).await.unwrap();
    Running {
        relay,
        store,
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
        _place,
    }
}

/// A distinct signed-able event body.
pub fn event(i: usize) -> Vec<u8> {
    format!(
        r#"{{"timestamp": "1639083206", "sender": {{"id": "+1631555{i:04}", "channelType": "whatsapp"}}, "recipient": {{"id": "+16045550100", "channelType": "whatsapp"}}, "message": {{"id": "m{i}", "text": "hello {i}"}}}}"#
    )
    .into_bytes()
}

/// What the relay answered a POST.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
}

impl Running {
    /// POSTs `body` as Connectly does, signed with `signature` (`None`: no header).
    pub async fn post(&self, body: &[u8], signature: Option<&str>) -> Answer {
        let mut request = self
            .http
            .post(self.relay.url())
            .header("content-type", "text/plain; charset=utf-8")
            .body(body.to_vec());
        if let Some(signature) = signature {
            request = request.header("x-connectly-hmac-sha256", signature);
        }
        let response = request.send().await.unwrap();
        Answer {
            status: response.status().as_u16(),
            retry_after: response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        }
    }

    /// POSTs `body` signed with [`SECRET`].
    pub async fn post_signed(&self, body: &[u8]) -> Answer {
        self.post(body, Some(&connectly_webhook::sign(SECRET, body)))
            .await
    }

    pub fn status(&self) -> Status {
        self.store.status().unwrap()
    }
}

/// Polls `check` every 10 ms until it holds; fails the test after `limit` with `what`.
pub async fn eventually(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "not within {limit:?}: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
