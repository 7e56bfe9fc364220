//! Verify + parse throughput for a typical event, against two baselines in the same run: parsing
//! the same body with serde_json into an untyped `Value` (the floor of any JSON receiver), and
//! computing the HMAC alone.
//!
//! `cargo bench -p connectly-webhook --bench verify_parse`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

fn verify_parse(c: &mut Criterion) {
    let secret = b"whsec_benchmark_secret";
    let mut group = c.benchmark_group("webhook");
    for name in ["text", "failed"] {
        let body = connectly_webhook::sample(name)
            .expect("a sample")
            .body
            .as_bytes();
        let signature = connectly_webhook::sign(secret, body);
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("verify_and_parse/{name}"), |b| {
            b.iter(|| {
                connectly_webhook::verify_and_parse(secret, black_box(body), Some(&signature))
                    .expect("valid")
            })
        });
        group.bench_function(format!("baseline_serde_json_value/{name}"), |b| {
            b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(body)).expect("JSON"))
        });
        group.bench_function(format!("baseline_hmac_only/{name}"), |b| {
            b.iter(|| {
                connectly_webhook::verify(secret, black_box(body), Some(&signature)).expect("valid")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, verify_parse);
criterion_main!(benches);
