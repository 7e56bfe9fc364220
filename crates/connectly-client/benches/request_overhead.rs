//! What the generated client costs per request: `connectly_client::Client::create_webhook`
//! against a hand-written minimal reqwest POST of the same JSON body with the same headers, both
//! against the same bare axum route on loopback (`connectly_tests::bare_create_server`), in the
//! same run.
//!
//! - latency at 1 request in flight: p50/p99 over interleaved rounds of single requests
//!   (printed first, collected with `Instant`), then criterion's own estimate;
//! - throughput at 64 requests in flight on one shared connection pool: requests/s over
//!   interleaved rounds of a fixed count (printed first), then criterion's estimate.
//!
//! `cargo bench -p connectly-client --bench request_overhead`
//!
//! The baseline's reqwest client has the transport settings the connectly client gives its own
//! (connect timeout, whole-request timeout, no redirects), so the ratio is the cost of the
//! generated layer: typed path and body, the transport hook that reads the body under a cap, the
//! per-attempt state and the typed error mapping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use connectly_client::{types, Client};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use progenitor_client::ClientInfo as _;

const API_KEY: &str = "sk_bench_0123456789";
const IN_FLIGHT: usize = 64;
const REQUESTS_PER_ITERATION: usize = 640;
/// Single requests per client per latency round, and rounds (clients alternate each round).
const LATENCY_REQUESTS: usize = 2_000;
const LATENCY_ROUNDS: usize = 5;
/// Requests per client per throughput round, and rounds.
const THROUGHPUT_REQUESTS: usize = 12_800;
const THROUGHPUT_ROUNDS: usize = 5;

/// The hand-written alternative: a serde struct, one reqwest POST, the same headers.
#[derive(Clone)]
struct Minimal {
    http: reqwest::Client,
    base_url: String,
}

#[derive(serde::Serialize)]
struct CreateBody<'a> {
    topic: &'a str,
    address: &'a str,
}

#[derive(serde::Deserialize)]
struct Created {
    id: String,
}

impl Minimal {
    fn new(base_url: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        let mut key = reqwest::header::HeaderValue::from_static(API_KEY);
        key.set_sensitive(true);
        headers.insert("x-api-key", key);
        headers.insert(
            reqwest::header::USER_AGENT,
            reqwest::header::HeaderValue::from_static("minimal/0.1"),
        );
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .connect_timeout(connectly_client::DEFAULT_CONNECT_TIMEOUT)
            .timeout(connectly_client::DEFAULT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a reqwest client");
        Self {
            http,
            base_url: base_url.to_owned(),
        }
    }

    async fn create(&self, business_id: &str) -> String {
        let response = self
            .http
            .post(format!(
                "{}/v1/businesses/{business_id}/create/webhooks",
                self.base_url
            ))
            .header(reqwest::header::ACCEPT, "application/json")
            .header("api-version", "1.0.0")
            .json(&CreateBody {
                topic: "messages",
                address: "https://example.com/webhook/messages",
            })
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), 200);
        response.json::<Created>().await.expect("an id").id
    }
}

/// One of the two ways to send a create.
#[derive(Clone)]
enum Sender {
    Connectly(Client, Arc<types::CreateWebhookRequest>),
    Minimal(Minimal),
}

impl Sender {
    fn name(&self) -> &'static str {
        match self {
            Sender::Connectly(..) => "connectly_client",
            Sender::Minimal(_) => "minimal_reqwest",
        }
    }

    async fn create(&self, business_id: &str) -> String {
        match self {
            Sender::Connectly(client, registration) => {
                client
                    .create_webhook(business_id, registration)
                    .await
                    .expect("the server answers 200")
                    .id
            }
            Sender::Minimal(minimal) => minimal.create(business_id).await,
        }
    }

    /// `total` creates, `in_flight` at a time (each task sends `total / in_flight` in a row).
    async fn burst(&self, total: usize, in_flight: usize, counter: &Arc<AtomicU64>) {
        let tasks: Vec<_> = (0..in_flight)
            .map(|_| {
                let sender = self.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    for _ in 0..total / in_flight {
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        let id = sender.create(&format!("biz_{n}")).await;
                        assert!(!id.is_empty());
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("a request task");
        }
    }
}

fn request_overhead(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let base_url = runtime.block_on(connectly_tests::bare_create_server());
    // The API version header the generated client sends; the baseline hard-codes the same.
    assert_eq!(connectly_client::generated::Client::api_version(), "1.0.0");
    let registration: types::CreateWebhookRequest = serde_json::from_str(
        r#"{"topic":"messages","address":"https://example.com/webhook/messages"}"#,
    )
    .expect("a registration");
    // Retries on (the default), so every call goes through the retry loop and its span.
    let connectly = Client::builder(API_KEY)
        .base_url(&base_url)
        .retry(connectly_client::RetryPolicy::default())
        .build()
        .expect("a loopback client");
    let senders = [
        Sender::Connectly(connectly, Arc::new(registration)),
        Sender::Minimal(Minimal::new(&base_url)),
    ];
    let counter = Arc::new(AtomicU64::new(0));

    // Warm both connection pools up to the widest use.
    for sender in &senders {
        runtime.block_on(sender.burst(IN_FLIGHT * 4, IN_FLIGHT, &counter));
    }

    // --- our own figures: interleaved rounds, so both see the same machine ----------------
    let mut latencies: [Vec<Duration>; 2] = Default::default();
    for _ in 0..LATENCY_ROUNDS {
        for (i, sender) in senders.iter().enumerate() {
            runtime.block_on(async {
                for _ in 0..LATENCY_REQUESTS {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let business = format!("biz_{n}");
                    let start = Instant::now();
                    let id = sender.create(&business).await;
                    latencies[i].push(start.elapsed());
                    assert!(!id.is_empty());
                }
            });
        }
    }
    let mut rates: [Vec<f64>; 2] = Default::default();
    for _ in 0..THROUGHPUT_ROUNDS {
        for (i, sender) in senders.iter().enumerate() {
            let start = Instant::now();
            runtime.block_on(sender.burst(THROUGHPUT_REQUESTS, IN_FLIGHT, &counter));
            rates[i].push(THROUGHPUT_REQUESTS as f64 / start.elapsed().as_secs_f64());
        }
    }
    println!("\nlatency, 1 in flight, {LATENCY_ROUNDS} × {LATENCY_REQUESTS} requests each:");
    let mut p = [[0.0; 3]; 2];
    for (i, sender) in senders.iter().enumerate() {
        let l = &mut latencies[i];
        l.sort();
        let pct = |q: f64| l[((l.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e6;
        p[i] = [pct(0.0), pct(0.5), pct(0.99)];
        println!(
            "  {:<17} min {:7.1} µs  p50 {:7.1} µs  p99 {:7.1} µs",
            sender.name(),
            p[i][0],
            p[i][1],
            p[i][2]
        );
    }
    println!(
        "  ratio connectly / minimal: p50 {:.3}×  p99 {:.3}×  (target ≤ 1.10×)",
        p[0][1] / p[1][1],
        p[0][2] / p[1][2]
    );
    println!(
        "throughput, {IN_FLIGHT} in flight, {THROUGHPUT_ROUNDS} rounds × {THROUGHPUT_REQUESTS} requests each:"
    );
    let mut medians = [0.0; 2];
    for (i, sender) in senders.iter().enumerate() {
        let r = &mut rates[i];
        r.sort_by(f64::total_cmp);
        medians[i] = r[r.len() / 2];
        let shown: Vec<String> = r.iter().map(|x| format!("{x:.0}")).collect();
        println!(
            "  {:<17} min {:7.0} req/s  median {:7.0} req/s  (rounds: {})",
            sender.name(),
            r[0],
            medians[i],
            shown.join(", ")
        );
    }
    println!(
        "  ratio connectly / minimal (medians): {:.3}×  (target ≥ 0.90×)\n",
        medians[0] / medians[1]
    );

    // --- criterion's estimates ----------------------------------------------------------------
    let mut group = c.benchmark_group("create_latency_1_in_flight");
    for sender in &senders {
        group.bench_function(sender.name(), |b| {
            b.to_async(&runtime).iter(|| async {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                sender.create(&format!("biz_{n}")).await
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("create_throughput_64_in_flight");
    group.throughput(Throughput::Elements(REQUESTS_PER_ITERATION as u64));
    for sender in &senders {
        group.bench_function(sender.name(), |b| {
            b.to_async(&runtime)
                .iter(|| sender.burst(REQUESTS_PER_ITERATION, IN_FLIGHT, &counter));
        });
    }
    group.finish();
}

criterion_group!(benches, request_overhead);
criterion_main!(benches);
