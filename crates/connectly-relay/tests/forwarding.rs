//! The forwarding half: what the handler receives, retries while it is down, dead letters.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use connectly_relay::{
    now_ms, DeliveryKey, Forwarded, Selector, State, Store, Verifier, PURGE_CHUNK,
};
use connectly_tests::Sink;

use crate::common::{event, eventually, journal, start, start_on, Backend, SECRET};

async fn the_forward_carries_the_original_bytes_and_verifies_with_the_original_secret(
    backend: Backend,
) {
    let sink = Sink::start().await;
    let relay = start(backend, &sink.url(), |_| {}).await;
    let body = event(7);
    assert_eq!(relay.post_signed(&body).await.status, 200);
    eventually(Duration::from_secs(10), "one delivery", || {
        relay.status().delivered == 1
    })
    .await;
    let [forward] = sink.delivered().try_into().unwrap();
    assert_eq!(forward.body, body);
    assert_eq!(
        forward.content_type.as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(forward.key, DeliveryKey::of(&body).to_string());
    assert_eq!(forward.attempt, 1);
    let delivery = Verifier::new(SECRET)
        .verify_and_parse(&forward.body, forward.signature.as_deref())
        .expect("the forward verifies with the original secret");
    assert_eq!(delivery.key, DeliveryKey::of(&body));
    let record = relay.store.get(&DeliveryKey::of(&body)).unwrap().unwrap();
    assert_eq!((record.state, record.attempts), (State::Delivered, 1));
    assert!(record.delivered_at.is_some());
}

async fn a_handler_down_for_a_while_then_up_gets_every_event(backend: Backend) {
    let mut sink = Sink::start().await;
    sink.stop();
    // Plenty of short retries: the test waits for failures, not for time.
    let schedule = format!("0{}", ",50ms".repeat(200));
    let relay = start(backend, &sink.url(), |c| {
        c.schedule = schedule.parse().unwrap();
        c.concurrency = 4;
    })
    .await;
    for i in 0..30 {
        assert_eq!(relay.post_signed(&event(i)).await.status, 200);
    }
    let metrics = relay.relay.metrics().clone();
    eventually(
        Duration::from_secs(20),
        "every event failed at least once",
        || metrics.forwards(Forwarded::Retry) >= 30,
    )
    .await;
    assert_eq!(relay.status().pending, 30);
    // The events wait on disk: the forwarder never held more than its concurrency's worth.
    let most = relay
        .store
        .most_due
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!(most <= 2 * 4, "the forwarder read {most} events at once");
    sink.restart().await;
    eventually(Duration::from_secs(20), "30 delivered", || {
        relay.status().delivered == 30
    })
    .await;
    let status = relay.status();
    assert_eq!((status.pending, status.dead), (0, 0));
    let keys: std::collections::HashSet<_> = sink.delivered().into_iter().map(|f| f.key).collect();
    assert_eq!(keys.len(), 30);
}

async fn a_handler_that_always_fails_gets_the_whole_schedule_then_dead_retry_delivers(
    backend: Backend,
) {
    let sink = Sink::start().await;
    sink.fail(true);
    let relay = start(backend, &sink.url(), |c| {
        c.schedule = "0,10ms,10ms".parse().unwrap()
    })
    .await;
    for i in 0..10 {
        assert_eq!(relay.post_signed(&event(i)).await.status, 200);
    }
    eventually(Duration::from_secs(20), "10 dead", || {
        relay.status().dead == 10
    })
    .await;
    // Exactly the schedule's three attempts each, numbered 1, 2, 3.
    let mut attempts: HashMap<String, Vec<u32>> = HashMap::new();
    for forward in sink.forwards() {
        attempts
            .entry(forward.key)
            .or_default()
            .push(forward.attempt);
    }
    assert_eq!(attempts.len(), 10);
    for (key, mut numbers) in attempts {
        numbers.sort_unstable();
        assert_eq!(numbers, [1, 2, 3], "{key}");
    }
    for i in 0..10 {
        let record = relay
            .store
            .get(&DeliveryKey::of(&event(i)))
            .unwrap()
            .unwrap();
        assert_eq!((record.state, record.attempts), (State::Dead, 3));
        let error = record.last_error.unwrap();
        assert!(error.contains("500"), "{error}");
    }
    assert_eq!(relay.relay.metrics().forwards(Forwarded::Dead), 10);
    // `relay dead retry` once the handler is fixed.
    sink.fail(false);
    let replayed = relay
        .store
        .replay(&Selector::State(State::Dead), now_ms())
        .unwrap();
    assert_eq!(replayed, 10);
    eventually(Duration::from_secs(20), "10 delivered", || {
        relay.status().delivered == 10
    })
    .await;
    assert_eq!(sink.delivered().len(), 10);
}

async fn a_schedule_s_first_delay_is_the_wait_before_the_first_attempt(backend: Backend) {
    let sink = Sink::start().await;
    let relay = start(backend, &sink.url(), |c| {
        c.schedule = "1h,5s".parse().unwrap();
    })
    .await;
    let (late, replayed) = (event(1), event(2));
    for body in [&late, &replayed] {
        assert_eq!(relay.post_signed(body).await.status, 200);
    }
    let record = relay.store.get(&DeliveryKey::of(&late)).unwrap().unwrap();
    assert_eq!((record.state, record.attempts), (State::Pending, 0));
    let wait = record.next_at.unwrap() - record.received_at;
    let hour = 3_600_000;
    assert!(
        (hour * 8 / 10..=hour * 12 / 10).contains(&wait),
        "the first attempt is due {wait} ms after arrival, not about 1 h"
    );
    // One event made due now is sent; the other, due in an hour, is not, though it came first
    // (the forwarder takes the earliest due first).
    relay
        .store
        .replay(&Selector::Key(DeliveryKey::of(&replayed)), now_ms())
        .unwrap();
    eventually(
        Duration::from_secs(10),
        "the replayed event delivered",
        || relay.status().delivered == 1,
    )
    .await;
    let keys: Vec<String> = sink.delivered().into_iter().map(|f| f.key).collect();
    assert_eq!(keys, [DeliveryKey::of(&replayed).to_string()]);
    let record = relay.store.get(&DeliveryKey::of(&late)).unwrap().unwrap();
    assert_eq!((record.state, record.attempts), (State::Pending, 0));
}

/// `count` events written to the journal directly (no arrival wakes the forwarder), due now.
fn store_directly(relay: &crate::common::Running, count: usize) -> Vec<Vec<u8>> {
    let bodies: Vec<Vec<u8>> = (0..count).map(event).collect();
    let now = now_ms();
    let inserts: Vec<_> = bodies
        .iter()
        .map(|body| crate::journal::insert(body, now))
        .collect();
    relay.store.write(&inserts).unwrap();
    bodies
}

async fn due_events_are_read_in_batches_and_each_sent_once(backend: Backend) {
    let sink = Sink::start().await;
    let relay = start(backend, &sink.url(), |c| c.concurrency = 16).await;
    store_directly(&relay, 200);
    eventually(Duration::from_secs(30), "200 delivered", || {
        relay.status().delivered == 200
    })
    .await;
    let keys: std::collections::HashSet<_> = sink.delivered().into_iter().map(|f| f.key).collect();
    assert_eq!((sink.delivered().len(), keys.len()), (200, 200));
    // Not one read of the journal per forward: a batch (about 8 here) each time the queue is
    // down to half, plus one every POLL (500 ms) however slow the machine.
    let looks = relay.store.looks.load(Ordering::SeqCst);
    assert!(looks <= 100, "{looks} reads of due events for 200 forwards");
}

async fn an_event_whose_outcome_is_not_committed_yet_is_not_sent_again(backend: Backend) {
    let sink = Sink::start().await;
    let relay = start(backend, &sink.url(), |c| c.concurrency = 4).await;
    relay.store.hold(true);
    // Inserted beside the writer, which now waits: the outcomes of the sends wait with it.
    let (store, bodies) = (relay.store.clone(), (0..8).map(event).collect::<Vec<_>>());
    let now = now_ms();
    let inserts: Vec<_> = bodies
        .iter()
        .map(|body| crate::journal::insert(body, now))
        .collect();
    store.inner.write(&inserts).unwrap();
    eventually(Duration::from_secs(10), "8 sent", || {
        sink.delivered().len() >= 8
    })
    .await;
    // The forwarder reads the journal again (twice) while the 8 are still pending there.
    let looks = relay.store.looks.load(Ordering::SeqCst);
    eventually(
        Duration::from_secs(10),
        "two more reads of due events",
        || relay.store.looks.load(Ordering::SeqCst) >= looks + 2,
    )
    .await;
    assert_eq!(relay.status().pending, 8);
    assert_eq!(
        sink.delivered().len(),
        8,
        "an event was sent again before its outcome was committed"
    );
    relay.store.hold(false);
    eventually(Duration::from_secs(10), "8 delivered", || {
        relay.status().delivered == 8
    })
    .await;
    assert_eq!(sink.delivered().len(), 8);
}

async fn expired_events_are_purged_a_chunk_at_a_time_until_none_is_left(backend: Backend) {
    let sink = Sink::start().await;
    let journal = journal(backend);
    // Received long ago and delivered: all expired, two and a half purges' worth.
    crate::journal::store_delivered(&*journal.store, PURGE_CHUNK * 5 / 2);
    let relay = start_on(journal, &sink.url(), |_| {}).await;
    // The relay purges at start; a full purge is followed by the next at once, not a minute
    // later.
    eventually(
        Duration::from_secs(20),
        "every expired event purged",
        || relay.status().delivered == 0,
    )
    .await;
}

crate::both_stores!(
    expired_events_are_purged_a_chunk_at_a_time_until_none_is_left,
    due_events_are_read_in_batches_and_each_sent_once,
    an_event_whose_outcome_is_not_committed_yet_is_not_sent_again,
    a_schedule_s_first_delay_is_the_wait_before_the_first_attempt,
    the_forward_carries_the_original_bytes_and_verifies_with_the_original_secret,
    a_handler_down_for_a_while_then_up_gets_every_event,
    a_handler_that_always_fails_gets_the_whole_schedule_then_dead_retry_delivers,
);
