//! Ingest throughput and acknowledgement latency of the relay (BENCHMARKS.md, "connectly-relay").
//!
//! Servers on loopback, each answering a signed POST:
//! - `bare`: an axum route that reads the body, verifies the signature and answers 200 (no
//!   storage: the floor of hyper + axum + reqwest + HMAC on this machine);
//! - `relay`: the relay with group commit (up to 256 rows per commit), forwarding to a bare 200
//!   sink at the same time, as in production;
//! - `relay-1`: the same with `max_batch = 1`: one fsync per event, the baseline group commit is
//!   measured against;
//! - `relay, ingest only`: the relay forwarding to a handler that never answers, so that after
//!   its first 16 forwards it only ingests;
//! - `drain`: forwarding alone: `DRAIN` (40,000) events stored beforehand, a relay started on
//!   them forwarding to the 200 sink; forwards/s until all are delivered, and the process's CPU
//!   per forward (sink included);
//! - `steady`: an open-loop sender at each of `STEADY` events/s (5,000 and 15,000) for `SECS`
//!   seconds to the relay forwarding to the 200 sink: acks/s, forwards/s over the same span and
//!   the pending backlog at its end (forwarding keeps up when the backlog stays bounded and
//!   forwards/s ≈ acks/s).
//!
//! Each throughput phase also reports the process's CPU per ack (load generator included), the
//! writer thread's part of it and the cores busy: on a shared machine the CPU per ack moves less
//! than the acks/s. First, the journal alone: [`SqliteStore`] commits of 1, 16 and 64 new events
//! from one thread, as the writer makes them (rows/s, ms per commit, CPU per row), and of 16 into
//! a journal already holding 300,000 (as one in use holds its retention window).
//!
//! Throughput: `CLIENTS` tasks (64) send distinct signed events back to back for `SECS` seconds
//! (3); ack/s are the 200s per second. Latency: an open-loop sender at `RATE` events per second
//! (300) for `SECS` seconds; each latency runs from the request's scheduled send time to its 200
//! (so a stall counts for every request behind it). The journal lives under cargo's target tmp
//! directory (a real disk, where fsync costs what it costs), or `RELAY_BENCH_DIR`.
//!
//! `cargo bench -p connectly-relay --bench ingest` (env: RELAY_BENCH_SECS, RELAY_BENCH_RATE,
//! RELAY_BENCH_ROUNDS, RELAY_BENCH_STEADY, RELAY_BENCH_DRAIN; RELAY_BENCH_ONLY=forward runs only
//! the forwarding phases).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use connectly_relay::{
    DeliveryKey, Forwarded, NewEvent, Relay, RelayConfig, SqliteStore, Store as _, Url, Verifier,
    Write,
};

mod common;
use common::{env, event, CLIENTS, SECRET};

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

/// CPU seconds (user + system) of this process, and of each of its threads named `name` by
/// thread id, from /proc (ticks of 10 ms: over a 3 s phase, within 1 %).
fn cpu_seconds(name: &str) -> (f64, std::collections::HashMap<String, f64>) {
    let ticks = |stat: &str| -> Option<(String, f64)> {
        let (head, rest) = stat.rsplit_once(')')?;
        let comm = head.split_once('(')?.1.to_owned();
        // utime and stime are fields 14 and 15; `rest` starts at field 3.
        let mut fields = rest.split_whitespace().skip(11);
        let user: f64 = fields.next()?.parse().ok()?;
        let system: f64 = fields.next()?.parse().ok()?;
        Some((comm, (user + system) / 100.0))
    };
    let all = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| ticks(&s))
        .map_or(0.0, |(_, t)| t);
    let mut named = std::collections::HashMap::new();
    for task in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // The kernel keeps 15 bytes of a thread's name.
        if let Some((_, t)) = ticks(&stat).filter(|(comm, _)| name.starts_with(comm.as_str())) {
            named.insert(task.file_name().to_string_lossy().into_owned(), t);
        }
    }
    (all, named)
}

/// CPU seconds the threads of `after` used since `before` (threads that ended meanwhile, an
/// earlier relay's, are left out).
fn since(
    before: &std::collections::HashMap<String, f64>,
    after: &std::collections::HashMap<String, f64>,
) -> f64 {
    after
        .iter()
        .map(|(tid, t)| t - before.get(tid).copied().unwrap_or(0.0))
        .sum::<f64>()
        .max(0.0)
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
    let writer = since(&writer0, &writer1);
    let acks = acked.load(Ordering::Relaxed).max(1) as f64;
    Run {
        acks: acks / wall,
        cpu_us: (cpu1 - cpu0) * 1e6 / acks,
        writer_us: writer * 1e6 / acks,
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
    open(sink, dir, name, max_batch).await
}

/// A relay forwarding to `sink`, on the journal `name` in `dir` as it is.
async fn open(sink: &str, dir: &std::path::Path, name: &str, max_batch: usize) -> Relay {
    let path = dir.join(format!("{name}.db"));
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

/// CPU seconds of the calling thread.
fn thread_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    fields.iter().sum::<f64>() / 100.0
}

/// A distinct signed event to store, received and due at `at`.
fn stored_event(at: i64) -> Write {
    let (body, signature) = event();
    Write::Insert(NewEvent {
        key: DeliveryKey::of(&body),
        body,
        signature,
        content_type: Some("text/plain; charset=utf-8".to_owned()),
        received_at: at,
        next_at: at,
    })
}

/// The journal alone, from one thread as the writer uses it: `rows` new events in commits of
/// `batch`, into a journal already holding `stored` (a journal in use holds its retention
/// window). Prints rows/s, ms per commit and CPU µs per row.
fn store_alone(dir: &std::path::Path, batch: usize, rows: usize, stored: usize) {
    let name = format!("store-{batch}-{stored}");
    preload(dir, &name, stored);
    let path = dir.join(format!("{name}.db"));
    let store = SqliteStore::open(&path).unwrap();
    let batches: Vec<Vec<Write>> = (0..rows / batch)
        .map(|b| {
            (0..batch)
                .map(|i| stored_event(1_700_000_000_000 + (b * batch + i) as i64))
                .collect()
        })
        .collect();
    let (started, cpu0) = (Instant::now(), thread_cpu_seconds());
    for writes in &batches {
        store.write(writes).unwrap();
    }
    let (wall, cpu) = (started.elapsed().as_secs_f64(), thread_cpu_seconds() - cpu0);
    let wal = std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len());
    println!(
        "  store alone, {batch:>3} rows/commit, {stored:>7} stored: {:.0} rows/s  {:.2} ms/commit  {:.1} µs CPU/row  \
         (wal {:.1} MB)",
        rows as f64 / wall,
        wall * 1e3 / batches.len() as f64,
        cpu * 1e6 / rows as f64,
        wal as f64 / 1e6,
    );
}

/// `count` signed events stored in the journal `name` in `dir`, due now.
fn preload(dir: &std::path::Path, name: &str, count: usize) {
    let path = dir.join(format!("{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let store = SqliteStore::open(&path).unwrap();
    let now = connectly_relay::now_ms();
    let writes: Vec<Write> = (0..count).map(|_| stored_event(now)).collect();
    for chunk in writes.chunks(1000) {
        store.write(chunk).unwrap();
    }
}

/// Forwarding alone: a relay started on `count` stored events; forwards/s until all are
/// delivered (or 20 s), process CPU µs per forward and of it the writer's.
async fn drain(sink: &str, dir: &std::path::Path, count: usize) -> String {
    preload(dir, "drain", count);
    let (cpu0, writer0) = cpu_seconds("connectly-relay-writer");
    let started = Instant::now();
    let server = open(sink, dir, "drain", connectly_relay::DEFAULT_MAX_BATCH).await;
    let metrics = server.metrics().clone();
    let deadline = started + Duration::from_secs(20);
    while metrics.forwards(Forwarded::Delivered) < count as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let wall = started.elapsed().as_secs_f64();
    let done = metrics.forwards(Forwarded::Delivered).max(1) as f64;
    let (cpu1, writer1) = cpu_seconds("connectly-relay-writer");
    let writer = since(&writer0, &writer1);
    server.shutdown().await.unwrap();
    format!(
        "{done:.0} in {wall:.2} s: {:.0} forwards/s [{:.0} µs CPU/forward, writer {:.0}, {:.2} cores]",
        done / wall,
        (cpu1 - cpu0) * 1e6 / done,
        writer * 1e6 / done,
        (cpu1 - cpu0) / wall
    )
}

/// An open-loop sender at `rate`/s for `secs` s to a relay forwarding to `sink`: acks/s,
/// forwards/s over the same span, the backlog (pending) at its end and the CPU per event.
async fn steady(
    http: &reqwest::Client,
    sink: &str,
    dir: &std::path::Path,
    rate: u64,
    secs: u64,
) -> String {
    let server = relay(sink, dir, "steady", connectly_relay::DEFAULT_MAX_BATCH).await;
    let journal = SqliteStore::open(dir.join("steady.db")).unwrap();
    let metrics = server.metrics().clone();
    let (cpu0, _) = cpu_seconds("-");
    let started = Instant::now();
    let acked = Arc::new(AtomicU64::new(0));
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..rate * secs {
        tokio::time::sleep_until((started + interval * n as u32).into()).await;
        let (http, url, acked) = (http.clone(), server.url(), acked.clone());
        tasks.spawn(async move {
            if post(&http, &url).await {
                acked.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let wall = started.elapsed().as_secs_f64();
    let forwarded = metrics.forwards(Forwarded::Delivered) as f64;
    let (cpu1, _) = cpu_seconds("-");
    let pending = journal.status().unwrap().pending;
    let acks = acked.load(Ordering::Relaxed) as f64;
    server.shutdown().await.unwrap();
    format!(
        "{:.0} acks/s, {:.0} forwards/s (forwarded/acked {:.2}), backlog at the end {pending} \
         pending [{:.0} µs CPU/event, {:.2} cores]",
        acks / wall,
        forwarded / wall,
        forwarded / acks.max(1.0),
        (cpu1 - cpu0) * 1e6 / acks.max(1.0),
        (cpu1 - cpu0) / wall
    )
}

fn main() {
    let secs = env("RELAY_BENCH_SECS", 3);
    let rate = env("RELAY_BENCH_RATE", 300);
    let rounds = env("RELAY_BENCH_ROUNDS", 2);
    let steady_rates: Vec<u64> = std::env::var("RELAY_BENCH_STEADY")
        .unwrap_or_else(|_| "5000,15000".to_owned())
        .split(',')
        .filter_map(|rate| rate.trim().parse().ok())
        .collect();
    let drain_count = env("RELAY_BENCH_DRAIN", 40_000) as usize;
    let only_forward = std::env::var("RELAY_BENCH_ONLY").is_ok_and(|v| v == "forward");
    let dir = std::env::var("RELAY_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
    let dir = tempfile::tempdir_in(dir).unwrap();
    println!("journal in {}", dir.path().display());
    if !only_forward {
        for (batch, rows, stored) in [
            (1, 1_000, 0),
            (16, 32_000, 0),
            (64, 64_000, 0),
            (16, 32_000, 300_000),
        ] {
            store_alone(dir.path(), batch, rows, stored);
        }
    }
    let (rt, http) = common::runtime_and_client();
    rt.block_on(async {
        let sink = bare_server(false).await;
        let bare = bare_server(true).await;
        let silent = silent_sink().await;
        println!(
            "forwarding, {drain_count} stored events drained; {steady_rates:?}/s offered for {secs} s:"
        );
        for round in 1..=rounds {
            println!("  round {round}: drain {}", drain(&sink, dir.path(), drain_count).await);
            for &rate in &steady_rates {
                println!(
                    "  round {round}: steady {rate}/s: {}",
                    steady(&http, &sink, dir.path(), rate, secs).await
                );
            }
        }
        if only_forward {
            return;
        }
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
            let group_started = Instant::now();
            let group_run = measured(&http, &group.url(), secs).await;
            let group_wall = group_started.elapsed().as_secs_f64();
            let commits = group.metrics().commits();
            let writes = group.metrics().writes_committed();
            let forwarded = group.metrics().forwards(Forwarded::Delivered);
            group.shutdown().await.unwrap();
            let single = relay(&sink, dir.path(), "single", 1).await;
            let s = throughput(&http, &single.url(), secs).await;
            single.shutdown().await.unwrap();
            let idle = relay(
                &silent,
                dir.path(),
                "ingest",
                connectly_relay::DEFAULT_MAX_BATCH,
            )
            .await;
            let idle_run = measured(&http, &idle.url(), secs).await;
            let metrics = idle.metrics();
            let commit_s = metrics
                .render(None)
                .lines()
                .find_map(|l| l.strip_prefix("connectly_relay_commit_seconds_sum "))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0);
            let idle_commits = metrics.commits().max(1) as f64;
            let rows = metrics.writes_committed() as f64 / idle_commits;
            assert_eq!(metrics.forwards(Forwarded::Delivered), 0, "it forwarded");
            drop(idle); // shutdown would wait for the forwards in flight (30 s)
            println!("  round {round}: bare {bare_run}");
            println!(
                "  round {round}: relay {group_run}  relay/bare {:.2}  ({:.1} writes/commit, \
                 {forwarded} forwarded meanwhile: {:.0} forwards/s, {:.2} of the acks)",
                group_run.acks / b,
                // Stored events and forward outcomes share the writer.
                writes as f64 / commits.max(1) as f64,
                forwarded as f64 / group_wall,
                forwarded as f64 / group_wall / group_run.acks,
            );
            println!(
                "  round {round}: relay-1 {s:.0}  relay/relay-1 {:.1}",
                group_run.acks / s
            );
            println!(
                "  round {round}: relay, ingest only {idle_run}  ingest/bare {:.2}  ({rows:.1} \
                 rows/commit, {:.2} ms/commit, writer committing {:.0} % of the time)",
                idle_run.acks / b,
                commit_s * 1e3 / idle_commits,
                commit_s * 100.0 / secs as f64
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
