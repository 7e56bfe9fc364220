//! The receiving half: what a 200, a 401 and a 503 mean, and dedup.

use std::sync::Arc;
use std::time::Duration;

use connectly_relay::{DeliveryKey, Refusal, Store};
use connectly_tests::Sink;
use tokio::task::JoinSet;

use crate::common::{event, eventually, start, Backend, SECRET};

async fn a_200_means_the_exact_bytes_and_signature_header_are_in_the_journal(backend: Backend) {
    let sink = Sink::start().await;
    let relay = start(backend, &sink.url(), |_| {}).await;
    // Any shape is stored once correctly signed: not JSON, an array, odd spacing, an object.
    let bodies: [&[u8]; 4] = [
        b"not json at all \xff\xfe",
        b"[1, 2, 3]",
        b"  {\"topic\" :\"orders\"}\n\n",
        &event(1),
    ];
    for body in bodies {
        let signature = connectly_webhook::sign(SECRET, body);
        let answer = relay.post(body, Some(&signature)).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        // No waiting: the 200 itself says the commit returned.
        let stored = relay
            .store
            .get(&DeliveryKey::of(body))
            .unwrap()
            .expect("stored before the 200");
        assert_eq!(stored.body, body);
        assert_eq!(stored.signature, signature);
        assert_eq!(
            stored.content_type.as_deref(),
            Some("text/plain; charset=utf-8")
        );
    }
    assert_eq!(relay.relay.metrics().stored(), 4);
}

async fn a_bad_or_missing_signature_is_401_and_never_stored(backend: Backend) {
    let sink = Sink::start().await;
    let relay = start(backend, &sink.url(), |_| {}).await;
    let body = event(2);
    let other = event(3);
    for signature in [
        Some(connectly_webhook::sign("whsec_someone_else", &body)),
        Some(connectly_webhook::sign(SECRET, &other)),
        Some("not base64 !!".to_owned()),
        None,
    ] {
        let answer = relay.post(&body, signature.as_deref()).await;
        assert_eq!(answer.status, 401, "{signature:?}: {answer:?}");
    }
    let status = relay.status();
    assert_eq!((status.pending, status.delivered, status.dead), (0, 0, 0));
    assert_eq!(relay.relay.metrics().refusals(Refusal::Signature), 4);
    assert!(sink.forwards().is_empty());
}

async fn a_journal_that_cannot_commit_answers_503_with_retry_after_never_200(backend: Backend) {
    let sink = Sink::start().await;
    let relay = Arc::new(start(backend, &sink.url(), |_| {}).await);
    relay.store.fail(true);
    let mut sends = JoinSet::new();
    for i in 0..20 {
        let relay = relay.clone();
        sends.spawn(async move { relay.post_signed(&event(i)).await });
    }
    while let Some(answer) = sends.join_next().await {
        let answer = answer.unwrap();
        assert_eq!(answer.status, 503, "{answer:?}");
        assert!(answer.retry_after.is_some(), "{answer:?}");
    }
    let status = relay.status();
    assert_eq!((status.pending, status.delivered, status.dead), (0, 0, 0));
    assert_eq!(relay.relay.metrics().refusals(Refusal::Journal), 20);
    // Healthy again: Connectly's retries are stored.
    relay.store.fail(false);
    for i in 0..20 {
        assert_eq!(relay.post_signed(&event(i)).await.status, 200);
    }
    eventually(Duration::from_secs(10), "the 20 events delivered", || {
        relay.status().delivered == 20
    })
    .await;
}

async fn a_full_ingest_queue_answers_503_with_retry_after(backend: Backend) {
    let sink = Sink::start().await;
    // One write in the writer's hands (held), one in the queue: the rest are refused, and only
    // what was answered 200 is stored.
    let relay = Arc::new(
        start(backend, &sink.url(), |c| {
            c.queue_capacity = 1;
            c.max_batch = 1;
        })
        .await,
    );
    relay.store.hold(true);
    let mut sends = JoinSet::new();
    for i in 0..6 {
        let relay = relay.clone();
        sends.spawn(async move { (i, relay.post_signed(&event(i)).await) });
    }
    eventually(Duration::from_secs(10), "four refusals", || {
        relay.relay.metrics().refusals(Refusal::QueueFull) >= 4
    })
    .await;
    relay.store.hold(false);
    let (mut accepted, mut refused) = (Vec::new(), 0);
    while let Some(done) = sends.join_next().await {
        let (i, answer) = done.unwrap();
        match answer.status {
            200 => accepted.push(i),
            503 => {
                assert_eq!(answer.retry_after.as_deref(), Some("1"));
                refused += 1;
            }
            other => panic!("event {i}: {other}"),
        }
    }
    // At most two (the writer may hold the retention purge instead of an event).
    assert!(
        accepted.len() <= 2 && refused >= 4,
        "{accepted:?}, {refused} refused"
    );
    for i in 0..6 {
        let stored = relay.store.get(&DeliveryKey::of(&event(i))).unwrap();
        assert_eq!(stored.is_some(), accepted.contains(&i), "event {i}");
    }
}

async fn dedup_resending_ten_percent_gives_exactly_the_original_count_at_the_sink(
    backend: Backend,
) {
    let sink = Sink::start().await;
    let relay = Arc::new(start(backend, &sink.url(), |_| {}).await);
    // The first wave: 100 events and, at the same time, 5 of them twice.
    let mut sends = JoinSet::new();
    for i in (0..100).chain(0..5) {
        let relay = relay.clone();
        sends.spawn(async move { relay.post_signed(&event(i)).await });
    }
    while let Some(answer) = sends.join_next().await {
        assert_eq!(answer.unwrap().status, 200);
    }
    eventually(Duration::from_secs(20), "100 delivered", || {
        relay.status().delivered == 100
    })
    .await;
    // The second wave: 5 more retries, after delivery.
    for i in 5..10 {
        assert_eq!(relay.post_signed(&event(i)).await.status, 200);
    }
    let metrics = relay.relay.metrics();
    assert_eq!((metrics.stored(), metrics.deduplicated()), (100, 10));
    let status = relay.status();
    assert_eq!((status.pending, status.delivered), (0, 100));
    let delivered = sink.delivered();
    let keys: std::collections::HashSet<_> = delivered.iter().map(|f| f.key.clone()).collect();
    assert_eq!((delivered.len(), keys.len()), (100, 100));
    let text = relay
        .http
        .get(format!("{}metrics", relay.relay.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "connectly_relay_received_total 110",
        "connectly_relay_stored_total 100",
        "connectly_relay_deduplicated_total 10",
        "connectly_relay_forwarded_total{outcome=\"delivered\"} 100",
        "connectly_relay_pending_events 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
    }
}

async fn a_body_over_the_cap_is_413_and_never_stored(backend: Backend) {
    let sink = Sink::start().await;
    let relay = start(backend, &sink.url(), |c| c.max_body_bytes = 100).await;
    let body = event(1);
    assert!(body.len() > 100);
    assert_eq!(relay.post_signed(&body).await.status, 413);
    assert_eq!(relay.status().pending, 0);
    assert_eq!(relay.relay.metrics().refusals(Refusal::TooLarge), 1);
}

async fn a_body_that_does_not_arrive_in_time_is_408_and_never_stored(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sink = Sink::start().await;
    let relay = start(backend, &sink.url(), |c| {
        c.body_read_timeout = Duration::from_millis(200);
    })
    .await;
    let body = event(1);
    let signature = connectly_webhook::sign(SECRET, &body);
    let mut stream = tokio::net::TcpStream::connect(relay.relay.addr())
        .await
        .unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: {}\r\nx-connectly-hmac-sha256: {signature}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // Half the body, then nothing.
    stream.write_all(&body[..body.len() / 2]).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(relay.status().pending, 0);
    assert_eq!(relay.relay.metrics().refusals(Refusal::BodyTimeout), 1);
}

crate::both_stores!(
    a_200_means_the_exact_bytes_and_signature_header_are_in_the_journal,
    a_bad_or_missing_signature_is_401_and_never_stored,
    a_journal_that_cannot_commit_answers_503_with_retry_after_never_200,
    a_full_ingest_queue_answers_503_with_retry_after,
    dedup_resending_ten_percent_gives_exactly_the_original_count_at_the_sink,
    a_body_over_the_cap_is_413_and_never_stored,
    a_body_that_does_not_arrive_in_time_is_408_and_never_stored,
);
