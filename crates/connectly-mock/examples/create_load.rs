//! A bounded load generator for any server of the Connectly webhooks API on loopback: sends
//! creates over N keep-alive connections (default 32), one reqwest client per connection, each
//! create for a new business, and prints requests/s and the statuses it got.
//!
//! ```sh
//! cargo run --release -p connectly-mock --example create_load -- http://127.0.0.1:PORT \
//!     [--key KEY] [--connections 32] [--requests 20000] [--warmup 640] [--max-seconds 60]
//! ```
//!
//! Used by `scripts/bench-mock-vs-prism.sh` to load `connectly mock` and Prism the same way.
//! Only loopback URLs are accepted; the run stops after `--requests` or `--max-seconds`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BODY: &str = r#"{"topic":"messages","address":"https://example.com/webhook/messages"}"#;

struct Options {
    base_url: String,
    key: String,
    connections: usize,
    requests: usize,
    warmup: usize,
    max_seconds: u64,
}

fn parse() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        base_url: String::new(),
        key: "sk_bench".to_owned(),
        connections: 32,
        requests: 20_000,
        warmup: 640,
        max_seconds: 60,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        let number = |v: String| v.parse::<usize>().map_err(|e| format!("{v}: {e}"));
        match arg.as_str() {
            "--key" => options.key = value("--key")?,
            "--connections" => options.connections = number(value("--connections")?)?.max(1),
            "--requests" => options.requests = number(value("--requests")?)?,
            "--warmup" => options.warmup = number(value("--warmup")?)?,
            "--max-seconds" => options.max_seconds = number(value("--max-seconds")?)? as u64,
            url if !url.starts_with("--") && options.base_url.is_empty() => {
                options.base_url = url.trim_end_matches('/').to_owned();
            }
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    let loopback = ["http://127.", "http://localhost:", "http://[::1]:"];
    if !loopback.iter().any(|p| options.base_url.starts_with(p)) {
        return Err("give a loopback base URL, e.g. http://127.0.0.1:8080".to_owned());
    }
    Ok(options)
}

/// Sends `total` creates over the clients; returns the elapsed time and the status counts.
async fn run(
    clients: &[reqwest::Client],
    options: &Arc<Options>,
    total: usize,
    deadline: Instant,
    counter: &Arc<AtomicU64>,
) -> (Duration, BTreeMap<String, usize>) {
    let remaining = Arc::new(AtomicUsize::new(total));
    let statuses = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let run_id = std::process::id();
    let start = Instant::now();
    let tasks: Vec<_> = clients
        .iter()
        .cloned()
        .map(|client| {
            let (options, remaining, statuses, counter) = (
                options.clone(),
                remaining.clone(),
                statuses.clone(),
                counter.clone(),
            );
            tokio::spawn(async move {
                let mut mine = BTreeMap::<String, usize>::new();
                while remaining
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| r.checked_sub(1))
                    .is_ok()
                    && Instant::now() < deadline
                {
                    // A new business each time: every create to the mock is a 200.
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let url = format!(
                        "{}/v1/businesses/biz_{run_id}_{n}/create/webhooks",
                        options.base_url
                    );
                    let result = client
                        .post(url)
                        .header("x-api-key", &options.key)
                        .header("content-type", "application/json")
                        .header("accept", "application/json")
                        .body(BODY)
                        .send()
                        .await;
                    let status = match result {
                        Ok(response) => {
                            let status = response.status().as_u16().to_string();
                            // Read the whole body, as a client would.
                            let _ = response.bytes().await;
                            status
                        }
                        Err(e) => format!("error: {e}"),
                    };
                    *mine.entry(status).or_default() += 1;
                }
                let mut all = statuses.lock().expect("no panics while held");
                for (status, count) in mine {
                    *all.entry(status).or_default() += count;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a request task");
    }
    let elapsed = start.elapsed();
    let statuses = Arc::try_unwrap(statuses)
        .expect("the tasks are done")
        .into_inner()
        .expect("no panics while held");
    (elapsed, statuses)
}

#[tokio::main]
async fn main() {
    let options = match parse() {
        Ok(options) => Arc::new(options),
        Err(message) => {
            eprintln!("create_load: {message}");
            std::process::exit(2);
        }
    };
    let clients: Vec<reqwest::Client> = (0..options.connections)
        .map(|_| {
            reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(30))
                .build()
                .expect("a reqwest client")
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(options.max_seconds);
    let counter = Arc::new(AtomicU64::new(0));
    run(&clients, &options, options.warmup, deadline, &counter).await;
    let (elapsed, statuses) = run(&clients, &options, options.requests, deadline, &counter).await;
    let sent: usize = statuses.values().sum();
    let rate = sent as f64 / elapsed.as_secs_f64();
    let statuses: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    println!(
        "{} connections, {sent} requests in {:.3} s: {rate:.0} requests/s (statuses {{{}}}){}",
        options.connections,
        elapsed.as_secs_f64(),
        statuses.join(", "),
        if Instant::now() >= deadline {
            " [stopped at --max-seconds]"
        } else {
            ""
        }
    );
}
