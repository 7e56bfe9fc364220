//! `connectly relay`: the process under test and its helpers; the crash test, a journal that
//! cannot be written (a file size limit: real EFBIG) and SIGTERM draining (`crash.rs`); the
//! journal verbs against a running relay and the listen rule (`verbs.rs`).

mod crash;
mod verbs;

pub(crate) use verbs::dead_events_list_retry_and_export;

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::io::Read;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use connectly_tests::Sink;
use connectly_webhook::DeliveryKey;

use crate::common::{connectly, run_hiding};

pub(crate) const SECRET: &str = "whsec_relay_CLI_SECRET_77aa";

/// A `connectly relay serve` child process, killed (SIGKILL) when dropped.
pub(crate) struct RelayProcess {
    child: Child,
    pub(crate) url: String,
}

impl RelayProcess {
    /// Starts `relay serve --store STORE` (a file or a Postgres URL).
    pub(crate) fn start(store: impl AsRef<OsStr>, forward_to: &str, extra: &[&str]) -> Self {
        let command = std::process::Command::new(assert_cmd::cargo::cargo_bin("connectly"));
        Self::spawn(command, store.as_ref(), forward_to, extra)
    }

    /// Starts it as [`RelayProcess::start`] does, but no file it writes may grow past `bytes`
    /// (`prlimit --fsize`, util-linux), with SIGXFSZ ignored (an ignored signal stays ignored
    /// across exec): a write past the limit fails with EFBIG instead of killing the process.
    pub(crate) fn start_under_file_size_limit(
        store: impl AsRef<OsStr>,
        forward_to: &str,
        extra: &[&str],
        bytes: u64,
    ) -> Self {
        let mut command = std::process::Command::new("sh");
        command
            .arg("-c")
            .arg(format!(
                r#"trap "" XFSZ; exec prlimit --fsize={bytes} -- "$0" "$@""#
            ))
            .arg(assert_cmd::cargo::cargo_bin("connectly"));
        Self::spawn(command, store.as_ref(), forward_to, extra)
    }

    /// Runs `command` with `relay serve`'s arguments and waits for the URL it prints.
    fn spawn(
        mut command: std::process::Command,
        store: &OsStr,
        forward_to: &str,
        extra: &[&str],
    ) -> Self {
        command
            .args([
                "relay",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--forward-to",
                forward_to,
            ])
            .arg("--store")
            .arg(store)
            .args(extra)
            .env("CONNECTLY_WEBHOOK_SECRET", SECRET);
        let (child, first) = connectly_tests::cli::spawn_reading_first_line(command);
        assert!(first.starts_with("http://127.0.0.1:"), "{first:?}");
        Self {
            child,
            url: first.trim_end().to_owned(),
        }
    }

    /// Whether it is still running.
    pub(crate) fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub(crate) fn kill_9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the exit (at most 20 s): its status and stderr.
    pub(crate) fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        let exit = loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                break exit;
            }
            assert!(Instant::now() < deadline, "no exit within 20 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut stderr = String::new();
        let _ = self
            .child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr);
        (exit, stderr)
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        self.kill_9();
    }
}

pub(crate) fn event(i: u64) -> Vec<u8> {
    format!(
        r#"{{"timestamp": "1639083206", "sender": {{"id": "+1{i:010}", "channelType": "whatsapp"}}, "recipient": {{"id": "+16045550100", "channelType": "whatsapp"}}, "message": {{"id": "m{i}", "text": "hi"}}}}"#
    )
    .into_bytes()
}

pub(crate) async fn post(http: &reqwest::Client, url: &str, body: Vec<u8>) -> Option<u16> {
    let signature = connectly_webhook::sign(SECRET, &body);
    let response = http
        .post(url)
        .header("content-type", "text/plain; charset=utf-8")
        .header("x-connectly-hmac-sha256", signature)
        .body(body)
        .send()
        .await
        .ok()?;
    Some(response.status().as_u16())
}

pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// Polls `check` every 10 ms until it holds; fails after `limit` with `what`.
pub(crate) fn eventually(
    limit: Duration,
    what: impl Fn() -> String,
    mut check: impl FnMut() -> bool,
) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(
            Instant::now() < deadline,
            "not within {limit:?}: {}",
            what()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// POSTs `body` to each of `urls`; the key of each answered 200 goes into `acked`. Returns how
/// many were not answered 200.
pub(crate) async fn post_recording(
    http: &reqwest::Client,
    urls: &[String],
    body: Vec<u8>,
    acked: &Mutex<HashSet<String>>,
) -> usize {
    let key = DeliveryKey::of(&body).to_string();
    let mut not_acked = 0;
    for url in urls {
        match post(http, url, body.clone()).await {
            Some(200) => {
                acked.lock().unwrap().insert(key.clone());
            }
            _ => not_acked += 1,
        }
    }
    not_acked
}

/// Waits (at most `limit`) until the sink has every event of `acked`; returns how many
/// deliveries were duplicates.
pub(crate) fn all_delivered(sink: &Sink, acked: &HashSet<String>, limit: Duration) -> usize {
    let delivered_keys =
        || -> HashSet<String> { sink.delivered().into_iter().map(|f| f.key).collect() };
    eventually(
        limit,
        || {
            let delivered = delivered_keys();
            format!(
                "{} of {} events answered 200 never reached the sink",
                acked.difference(&delivered).count(),
                acked.len()
            )
        },
        || delivered_keys().is_superset(acked),
    );
    let mut per_key: HashMap<String, usize> = HashMap::new();
    for forward in sink.delivered() {
        *per_key.entry(forward.key).or_default() += 1;
    }
    per_key.values().map(|n| n - 1).sum()
}

/// xorshift64*: the kill moments, from a seed printed for a rerun (`RELAY_CRASH_SEED`).
pub(crate) struct Rng(u64);
impl Rng {
    /// From `RELAY_CRASH_SEED`, or the clock; the seed is printed for a rerun.
    pub(crate) fn seeded() -> Self {
        let seed = std::env::var("RELAY_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("RELAY_CRASH_SEED={seed}");
        Self(seed)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}
