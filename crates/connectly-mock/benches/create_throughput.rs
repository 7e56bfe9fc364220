//! Create requests per second against the in-process mock, 32 connections in flight on loopback,
//! and the same load against a bare axum route that answers a fixed `{"id": ...}` without
//! authentication, validation or state: the floor of this HTTP stack on this machine, so the
//! ratio shows what the mock's own work costs.
//!
//! `cargo bench -p connectly-mock --bench create_throughput`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const CONNECTIONS: usize = 32;
const REQUESTS_PER_ITERATION: usize = 320;

fn create_throughput(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let mock = runtime
        .block_on(connectly_mock::MockServer::start())
        .expect("the mock starts");
    let baseline = runtime.block_on(connectly_tests::bare_create_server());
    let targets = [
        ("create_32_connections", mock.base_url()),
        ("baseline_bare_axum_32_connections", baseline),
    ];
    let key = mock.api_key().to_owned();
    // One client per connection: each keeps its own keep-alive connection.
    let clients: Vec<reqwest::Client> = (0..CONNECTIONS)
        .map(|_| {
            reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .expect("a reqwest client")
        })
        .collect();
    let counter = Arc::new(AtomicU64::new(0));

    let mut group = c.benchmark_group("mock");
    group.throughput(Throughput::Elements(REQUESTS_PER_ITERATION as u64));
    for (name, url) in targets {
        group.bench_function(name, |b| {
        b.to_async(&runtime).iter(|| {
            let clients = clients.clone();
            let url = url.clone();
            let key = key.clone();
            let counter = counter.clone();
            async move {
                let tasks: Vec<_> = clients
                    .into_iter()
                    .map(|client| {
                        let url = url.clone();
                        let key = key.clone();
                        let counter = counter.clone();
                        tokio::spawn(async move {
                            for _ in 0..REQUESTS_PER_ITERATION / CONNECTIONS {
                                // A new business each time: every create is a 200.
                                let n = counter.fetch_add(1, Ordering::Relaxed);
                                let response = client
                                    .post(format!("{url}/v1/businesses/biz_{n}/create/webhooks"))
                                    .header("x-api-key", &key)
                                    .header("content-type", "application/json")
                                    .body(r#"{"topic":"messages","address":"https://example.com/webhook/messages"}"#)
                                    .send()
                                    .await
                                    .expect("the mock answers");
                                assert_eq!(response.status(), 200);
                            }
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.expect("a request task");
                }
            }
        });
    });
    }
    group.finish();
}

criterion_group!(benches, create_throughput);
criterion_main!(benches);
