//! Ingest throughput and acknowledgement latency of the relay (BENCHMARKS.md, "connectly-relay").
//!
//! Three servers on loopback, each answering a signed POST:
//! - `bare`: an axum route that reads the body, verifies the signature and answers 200 (no
//!   storage: the floor of hyper + axum + reqwest + HMAC on this machine);
//! - `relay`: the relay with group commit (up to 256 rows per commit), forwarding to a bare 200
//!   sink at the same time, as in production;
//! - `relay-1`: the same with `max_batch = 1`: one fsync per event, the baseline group commit is
//!   measured against.
//!
//! Throughput: `CLIENTS` tasks (64) send distinct signed events back to back for `SECS` seconds
//! (3); ack/s are the 200s per second. Latency: an open-loop sender at `RATE` events per second
//! (300) for `SECS` seconds; each latency runs from the request's scheduled send time to its 200
//! (so a stall counts for every request behind it). The journal lives under cargo's target tmp
//! directory (a real disk, where fsync costs what it costs), or `RELAY_BENCH_DIR`.
//!
//! `cargo bench -p connectly-relay --bench ingest` (env: RELAY_BENCH_SECS, RELAY_BENCH_RATE,
//! RELAY_BENCH_ROUNDS).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use connectly_relay::{Relay, RelayConfig, SqliteStore, Url, Verifier};

const SECRET: &str = "whsec_bench";
const CLIENTS: usize = 64;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A distinct event and its signature.
fn event() -> (Vec<u8>, String) {
    let i = NEXT.fetch_add(1, Ordering::Relaxed);
    let body = format!(
        r#"{{"timestamp": "1639083206", "sender": {{"id": "+1{i:010}", "channelType": "whatsapp"}}, "recipient": {{"id": "+16045550100", "channelType": "whatsapp"}}, "message": {{"id": "m{i}", "text": "hello, a message of a typical size"}}}}"#
    )
    .into_bytes();
    let signature = connectly_webhook::sign(SECRET, &body);
    (body, signature)
}

async fn bare_server(verify: bool) -> String {
    let verifier = Verifier::new(SECRET);
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
        let verifier = verifier.clone();
        async move {
            if !verify {
                return StatusCode::OK;
            }
            let signature = headers
                .get("x-connectly-hmac-sha256")
                .and_then(|v| v.to_str().ok());
            match verifier.verify(&body, signature) {
                Ok(_) => StatusCode::OK,
                Err(_) => StatusCode::UNAUTHORIZED,
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/")
}

/// The peer (`RELAY_BENCH_PEER`, qhook's `hmac` source) checks the same HMAC-SHA256 of the body,
/// hex in `X-Webhook-Signature`, where Connectly sends Base64 in `x-connectly-hmac-sha256`.
fn peer_signature(body: &[u8]) -> String {
    use hmac::{KeyInit as _, Mac as _};
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn post(http: &reqwest::Client, url: &str) -> bool {
    let (body, signature) = event();
    let peer = std::env::var("RELAY_BENCH_PEER").is_ok_and(|p| url.starts_with(&p));
    let request = if peer {
        http.post(url)
            .header("x-webhook-signature", peer_signature(&body))
    } else {
        http.post(url).header("x-connectly-hmac-sha256", signature)
    };
    match request
        .header("content-type", "text/plain; charset=utf-8")
        .body(body)
        .send()
        .await
    {
        Ok(response) => response.status() == StatusCode::OK,
        Err(_) => false,
    }
}

/// CPU seconds (user + system) of this process, and of its threads named `name`, from /proc
/// (clock ticks of 10 ms: over a 3 s phase on 2 cores, within 2 %).
fn cpu_seconds(name: &str) -> (f64, f64) {
    let ticks = |stat: &str| -> Option<(String, f64)> {
        let (head, rest) = stat.rsplit_once(')')?;
        let comm = head.split_once('(')?.1.to_owned();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // Fields 14 and 15 (utime, stime); `rest` starts at field 3.
        let t: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        Some((comm, t / 100.0))
    };
    let all = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| ticks(&s))
        .map_or(0.0, |(_, t)| t);
    let mut named = 0.0;
    for task in std::fs::read_dir("/proc/self/task").into_iter().flatten().flatten() {
        if let Some((comm, t)) = std::fs::read_to_string(task.path().join("stat"))
            .ok()
            .and_then(|s| ticks(&s))
        {
            if name.starts_with(&comm) {
                named += t;
            }
        }
    }
    (all, named)
}

/// Acks per second, and what they cost: process CPU µs per ack, of it the writer thread's, and
/// the cores busy meanwhile.
struct Run {
    acks: f64,
    cpu_us: f64,
    writer_us: f64,
    cores: f64,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} [{:.0} µs CPU/ack, writer {:.0}, {:.2} cores]",
            self.acks, self.cpu_us, self.writer_us, self.cores
        )
    }
}

async fn throughput(http: &reqwest::Client, url: &str, secs: u64) -> f64 {
    measured(http, url, secs).await.acks
}

async fn measured(http: &reqwest::Client, url: &str, secs: u64) -> Run {
    let (cpu0, writer0) = cpu_seconds("connectly-relay-writer");
    let deadline = Instant::now() + Duration::from_secs(secs);
    let acked = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let (http, url, acked) = (http.clone(), url.to_owned(), acked.clone());
        tasks.spawn(async move {
            while Instant::now() < deadline {
                if post(&http, &url).await {
                    acked.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let wall = started.elapsed().as_secs_f64();
    let (cpu1, writer1) = cpu_seconds("connectly-relay-writer");
    let acks = acked.load(Ordering::Relaxed).max(1) as f64;
    Run {
        acks: acks / wall,
        cpu_us: (cpu1 - cpu0) * 1e6 / acks,
        writer_us: (writer1 - writer0) * 1e6 / acks,
        cores: (cpu1 - cpu0) / wall,
    }
}

/// p50, p99 in ms, and the share of requests answered 200.
async fn latency(http: &reqwest::Client, url: &str, rate: u64, secs: u64) -> (f64, f64, f64) {
    let count = rate * secs;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let start = Instant::now() + Duration::from_millis(50);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..count {
        let scheduled = start + interval * n as u32;
        tokio::time::sleep_until(scheduled.into()).await;
        let (http, url) = (http.clone(), url.to_owned());
        tasks.spawn(async move {
            let ok = post(&http, &url).await;
            (scheduled.elapsed(), ok)
        });
    }
    let mut latencies = Vec::new();
    let mut ok = 0;
    while let Some(done) = tasks.join_next().await {
        let (took, fine) = done.unwrap();
        latencies.push(took);
        ok += usize::from(fine);
    }
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e3;
    (at(0.5), at(0.99), ok as f64 / latencies.len() as f64)
}

/// A relay forwarding to `sink`, its journal `name` in `dir`.
async fn relay(sink: &str, dir: &std::path::Path, name: &str, max_batch: usize) -> Relay {
    let path = dir.join(format!("{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let mut config = RelayConfig::new(Verifier::new(SECRET), Url::parse(sink).unwrap());
    config.max_batch = max_batch;
    Relay::start(config, store).await.unwrap()
}

/// A handler that accepts connections and never answers: the relay's forwards in flight
/// (`concurrency`, 16) wait on it for the whole phase (the forward timeout is 30 s), so the
/// relay only ingests.
async fn silent_sink() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    format!("http://{addr}/")
}

fn main() {
    let secs = env("RELAY_BENCH_SECS", 3);
    let rate = env("RELAY_BENCH_RATE", 300);
    let rounds = env("RELAY_BENCH_ROUNDS", 2);
    let dir = std::env::var("RELAY_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
    let dir = tempfile::tempdir_in(dir).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(CLIENTS)
            .build()
            .unwrap();
        let sink = bare_server(false).await;
        let bare = bare_server(true).await;
        let silent = silent_sink().await;
        println!("journal in {}", dir.path().display());
        println!("throughput, {CLIENTS} clients, {secs} s each (acks/s):");
        for round in 1..=rounds {
            let bare_run = measured(&http, &bare, secs).await;
            let b = bare_run.acks;
            let group = relay(
                &sink,
                dir.path(),
                "group",
                connectly_relay::DEFAULT_MAX_BATCH,
            )
            .await;
            let group_run = measured(&http, &group.url(), secs).await;
            let g = group_run.acks;
            let commits = group.metrics().commits();
            let writes = group.metrics().writes_committed();
            group.shutdown().await.unwrap();
            let single = relay(&sink, dir.path(), "single", 1).await;
            let s = throughput(&http, &single.url(), secs).await;
            single.shutdown().await.unwrap();
            // The ingest path alone: the forwards wait on a silent handler, events stay on disk.
            let idle = relay(
                &silent,
                dir.path(),
                "ingest",
                connectly_relay::DEFAULT_MAX_BATCH,
            )
            .await;
            let idle_run = measured(&http, &idle.url(), secs).await;
            let i = idle_run.acks;
            let commit_s = idle
                .metrics()
                .render(None)
                .lines()
                .find_map(|l| l.strip_prefix("connectly_relay_commit_seconds_sum "))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0);
            let idle_commits = idle.metrics().commits().max(1);
            let rows = idle.metrics().writes_committed() as f64 / idle_commits as f64;
            let delivered = idle.metrics().forwards(connectly_relay::Forwarded::Delivered);
            assert_eq!(delivered, 0, "forwarding was not idle");
            drop(idle); // shutdown would wait for the forwards in flight (30 s)
            println!("  round {round}: bare {bare_run}");
            println!("  round {round}: relay {group_run}");
            println!(
                "  round {round}: relay, forwarding idle {idle_run}  ingest/bare {:.2}  \
                 ({rows:.1} rows/commit, {:.2} ms/commit, writer busy {:.0} %)",
                i / b,
                commit_s * 1e3 / idle_commits as f64,
                commit_s * 100.0 / secs as f64
            );
            println!(
                "  round {round}: bare {b:.0}  relay {g:.0} ({:.1} writes/commit)  relay-1 {s:.0}  \
                 relay/bare {:.2}  relay/relay-1 {:.1}",
                // Stored events and forward outcomes share the writer.
                writes as f64 / commits.max(1) as f64,
                g / b,
                g / s
            );
        }
        println!("ack latency at {rate}/s offered, {secs} s (p50 ms, p99 ms, share answered 200):");
        let (p50, p99, ok) = latency(&http, &bare, rate, secs).await;
        println!("  bare     {p50:.2}  {p99:.2}  {ok:.3}");
        for (name, batch) in [
            ("relay", connectly_relay::DEFAULT_MAX_BATCH),
            ("relay-1", 1),
        ] {
            let server = relay(&sink, dir.path(), name, batch).await;
            let (p50, p99, ok) = latency(&http, &server.url(), rate, secs).await;
            server.shutdown().await.unwrap();
            println!("  {name:<8} {p50:.2}  {p99:.2}  {ok:.3}");
        }
        // A peer started outside (scripts/bench-relay-vs-qhook.sh): the same loads, the same run.
        if let Ok(peer) = std::env::var("RELAY_BENCH_PEER") {
            for round in 1..=rounds {
                let p = throughput(&http, &peer, secs).await;
                let group = relay(&sink, dir.path(), "vs-peer", connectly_relay::DEFAULT_MAX_BATCH).await;
                let g = throughput(&http, &group.url(), secs).await;
                group.shutdown().await.unwrap();
                println!("  peer round {round}: peer {p:.0} acks/s  relay {g:.0} acks/s  relay/peer {:.1}", g / p.max(1.0));
            }
            let (p50, p99, ok) = latency(&http, &peer, rate, secs).await;
            println!("  peer     {p50:.2}  {p99:.2}  {ok:.3}");
        }
    });
}
