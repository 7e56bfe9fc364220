//! What the relay's benches share: the secret, the client count, the environment knobs and the
//! signed event they send (a ~260-byte `messages` event, distinct each call).

use std::sync::atomic::{AtomicU64, Ordering};

/// The webhook secret every bench relay verifies with.
pub const SECRET: &str = "whsec_bench";
/// How many clients send back to back in a throughput phase.
pub const CLIENTS: usize = 64;

/// The number in the environment variable `name`, else `default`.
pub fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A distinct event and its signature.
pub fn event() -> (Vec<u8>, String) {
    let i = NEXT.fetch_add(1, Ordering::Relaxed);
    let body = format!(
        r#"{{"timestamp": "1639083206", "sender": {{"id": "+1{i:010}", "channelType": "whatsapp"}}, "recipient": {{"id": "+16045550100", "channelType": "whatsapp"}}, "message": {{"id": "m{i}", "text": "hello, a message of a typical size"}}}}"#
    )
    .into_bytes();
    let signature = connectly_webhook::sign(SECRET, &body);
    (body, signature)
}

/// The benches' runtime (two workers: the machine's cores) and their HTTP client (no proxy, a
/// connection kept per client).
pub fn runtime_and_client() -> (tokio::runtime::Runtime, reqwest::Client) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .unwrap();
    (rt, http)
}
