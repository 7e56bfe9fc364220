//! Verify + parse throughput for typical events, against two baselines in the same run: parsing
//! the same body with serde_json into an untyped `Value` (the floor of any JSON receiver), and
//! computing the HMAC alone.
//!
//! `cargo bench -p connectly-webhook --bench verify_parse`
//!
//! `text_v0` and `failed_v0` are the exact bodies measured before the event model followed the
//! documentation (the `text` and `failed` samples of that time), kept so runs compare like for
//! like; the others are today's samples of the spec, and `unknown` a signed object of no known
//! shape (the fallback path).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const TEXT_V0: &str = r#"{"timestamp":"1639083206","sender":{"id":"+16315555500","channelType":"whatsapp","name":"Ada"},"recipient":{"id":"123456123","channelType":"whatsapp"},"message":{"text":"TEST 11"}}"#;
const FAILED_V0: &str = r#"{"topic":"delivery_status","timestamp":"1639083213","sender":{"id":"123456123","channelType":"whatsapp"},"recipient":{"id":"+16315555500","channelType":"whatsapp"},"statusUpdate":{"id":"msg_01ARZ3NDEKTSV4RRFFQ69G5FAV","status":"delivery_failed","error":{"code":"131026","message":"Message undeliverable","title":"Receiver incapable"}},"metadata":{"campaign_name":"summer-promo-2026"}}"#;
const UNKNOWN: &str = r#"{"topic":"orders","timestamp":"1639083206","order":{"id":"o_1","lines":[{"sku":"A","qty":2}]}}"#;

fn verify_parse(c: &mut Criterion) {
    let secret = b"whsec_benchmark_secret";
    let sample = |name| connectly_webhook::sample(name).expect("a sample").body;
    let bodies = [
        ("text_v0", TEXT_V0),
        ("failed_v0", FAILED_V0),
        ("text", sample("text")),
        ("failed", sample("failed")),
        ("button", sample("button")),
        ("report", sample("report")),
        ("unknown", UNKNOWN),
    ];
    let mut group = c.benchmark_group("webhook");
    for (name, body) in bodies {
        let body = body.as_bytes();
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
