//! Ingest throughput of the relay on Postgres, one and two instances on one database, beside the
//! SQLite store in the same run (BENCHMARKS.md, "connectly-relay on Postgres"); and the ceiling:
//! this disk's flushes per second, measured by `pg_test_fsync`.
//!
//! `CLIENTS` tasks (64) send distinct signed events back to back for `SECS` seconds (3); ack/s
//! are the 200s per second. With two relays, the clients alternate between them. Every relay
//! forwards to a bare 200 sink at the same time, as in production. Postgres is a cluster this
//! bench starts (`connectly_tests::postgres`, fsync and synchronous_commit on, defaults
//! otherwise) in a temporary directory, or `CONNECTLY_TEST_DATABASE_URL`'s server; the SQLite
//! journal lives under cargo's target tmp directory.
//!
//! `cargo bench -p connectly-relay --bench postgres` (env: RELAY_BENCH_SECS, RELAY_BENCH_ROUNDS).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use connectly_relay::{PgOptions, PgStore, Relay, RelayConfig, SqliteStore, Store, Url, Verifier};

mod common;
use common::{env, event, CLIENTS, SECRET};

async fn post(http: &reqwest::Client, url: &str) -> bool {
    let (body, signature) = event();
    http.post(url)
        .header("x-connectly-hmac-sha256", signature)
        .header("content-type", "text/plain; charset=utf-8")
        .body(body)
        .send()
        .await
        .is_ok_and(|r| r.status() == StatusCode::OK)
}

/// Acks per second, the clients spread over `urls` in turn.
async fn throughput(http: &reqwest::Client, urls: &[String], secs: u64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let acked = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..CLIENTS {
        let (http, url, acked) = (
            http.clone(),
            urls[client % urls.len()].clone(),
            acked.clone(),
        );
        tasks.spawn(async move {
            while Instant::now() < deadline {
                if post(&http, &url).await {
                    acked.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    acked.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

async fn sink() -> String {
    let app = axum::Router::new().fallback(|| async { StatusCode::OK });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/")
}

/// A relay; with `idle`, its first forward waits an hour (the ingest path alone).
async fn relay_with(sink: &str, store: Arc<dyn Store>, idle: bool) -> Relay {
    let mut config = RelayConfig::new(Verifier::new(SECRET), Url::parse(sink).unwrap());
    if idle {
        config.schedule = connectly_relay::Schedule::new(vec![Duration::from_secs(3600)]).unwrap();
    }
    Relay::start(config, store).await.unwrap()
}

async fn relay(sink: &str, store: Arc<dyn Store>) -> Relay {
    relay_with(sink, store, false).await
}

/// `n` relays on one fresh database: their throughput and writes per commit.
async fn on_postgres(
    http: &reqwest::Client,
    sink: &str,
    n: usize,
    idle: bool,
    secs: u64,
) -> (f64, f64) {
    let db = tokio::task::spawn_blocking(connectly_tests::postgres::database)
        .await
        .unwrap();
    let mut relays = Vec::new();
    for _ in 0..n {
        let store = PgStore::open(db.url(), PgOptions::default()).unwrap();
        relays.push(relay_with(sink, Arc::new(store), idle).await);
    }
    let urls: Vec<String> = relays.iter().map(Relay::url).collect();
    let acks = throughput(http, &urls, secs).await;
    let (mut commits, mut writes) = (0, 0);
    for relay in relays {
        commits += relay.metrics().commits();
        writes += relay.metrics().writes_committed();
        relay.shutdown().await.unwrap();
    }
    (acks, writes as f64 / commits.max(1) as f64)
}

/// `pg_test_fsync`'s lines for one 8 kB write per sync (the WAL flush a commit waits for).
fn fsync_ceiling(dir: &std::path::Path) -> Vec<String> {
    let bin = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|d| std::path::Path::new(d).join("pg_test_fsync").exists())
        .unwrap_or_else(|| "/usr/lib/postgresql/15/bin".to_owned());
    let file = dir.join("pg_test_fsync.out");
    let out = std::process::Command::new(format!("{bin}/pg_test_fsync"))
        .args(["-s", "2", "-f"])
        .arg(&file)
        .output();
    let _ = std::fs::remove_file(&file);
    match out {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let section = text
                .split("Compare file sync methods using one 8kB write")
                .nth(1)
                .and_then(|s| s.split("\n\n").find(|p| p.contains("fdatasync")))
                .unwrap_or("");
            section
                .lines()
                .filter(|l| l.contains("ops/sec") || l.contains("n/a"))
                .map(|l| l.trim().to_owned())
                .collect()
        }
        Err(e) => vec![format!("pg_test_fsync did not run: {e}")],
    }
}

fn main() {
    let secs = env("RELAY_BENCH_SECS", 3);
    let rounds = env("RELAY_BENCH_ROUNDS", 2);
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    println!(
        "ceiling, pg_test_fsync on {} (one 8 kB write per sync):",
        dir.path().display()
    );
    for line in fsync_ceiling(dir.path()) {
        println!("  {line}");
    }
    let (rt, http) = common::runtime_and_client();
    rt.block_on(async {
        let sink = sink().await;
        println!("throughput, {CLIENTS} clients, {secs} s each (acks/s, writes per commit):");
        for round in 1..=rounds {
            let path = dir.path().join(format!("round{round}.db"));
            let sqlite = relay(&sink, Arc::new(SqliteStore::open(&path).unwrap())).await;
            let s = throughput(&http, &[sqlite.url()], secs).await;
            let per = sqlite.metrics().writes_committed() as f64
                / sqlite.metrics().commits().max(1) as f64;
            sqlite.shutdown().await.unwrap();
            let (one, per1) = on_postgres(&http, &sink, 1, false, secs).await;
            let (two, per2) = on_postgres(&http, &sink, 2, false, secs).await;
            let (idle, _) = on_postgres(&http, &sink, 1, true, secs).await;
            println!(
                "  round {round}: sqlite {s:.0} ({per:.1})  postgres-1 {one:.0} ({per1:.1})  \
                 postgres-2 {two:.0} ({per2:.1})  postgres-1 forwarding idle {idle:.0}  \
                 pg-1/sqlite {:.2}  pg-2/pg-1 {:.2}",
                one / s,
                two / one
            );
        }
    });
}
