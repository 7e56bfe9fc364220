//! The HTTP server's bounds, shared with the mock (`connectly_net::server::Limits`): the header
//! timeout, the header cap and the connection cap. Raw connections (`connectly_tests::raw`),
//! where a client library cannot send the fault. The HTTP side does not depend on the journal:
//! SQLite only.

use std::net::SocketAddr;
use std::time::Duration;

use connectly_relay::{DeliveryKey, Store};
use connectly_tests::raw::{exchange, read_until_closed, served_only_once_a_slot_frees, stalled};
use connectly_tests::Sink;

use crate::common::{event, start, Backend, SECRET};

/// A signed POST of `body` with `extra` header lines, closing the connection after the answer.
fn signed_post(body: &[u8], extra: &str) -> Vec<u8> {
    let mut request = format!(
        "POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: text/plain; charset=utf-8\r\n\
         content-length: {}\r\nx-connectly-hmac-sha256: {}\r\n{extra}connection: close\r\n\r\n",
        body.len(),
        connectly_webhook::sign(SECRET, body)
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

/// Half a POST's header block, never finished.
const HALF_HEADERS: &[u8] = b"POST / HTTP/1.1\r\nhost: 127.0.0.1\r\nx-connectly-hm";

async fn answer(addr: SocketAddr, request: &[u8]) -> String {
    exchange(addr, request, Duration::from_secs(10))
        .await
        .expect("answered and closed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_stalls_in_its_headers_is_closed_within_the_header_timeout() {
    let sink = Sink::start().await;
    let relay = start(Backend::Sqlite, &sink.url(), |c| {
        c.header_read_timeout = Duration::from_millis(300);
    })
    .await;
    let addr = relay.relay.addr();
    let mut slow = stalled(addr, HALF_HEADERS).await;
    // Others are served meanwhile.
    assert_eq!(relay.post_signed(&event(1)).await.status, 200);
    // Closed (hyper answers 408, or nothing) well before this generous deadline: without the
    // timeout it would wait for the rest of its headers for ever.
    let closed = read_until_closed(&mut slow, Duration::from_secs(10))
        .await
        .expect("the connection with half its headers was closed");
    assert!(
        closed.is_empty() || closed.starts_with("HTTP/1.1 408"),
        "{closed}"
    );
    let status = relay.status();
    assert_eq!(status.pending + status.delivered, 1);
    assert_eq!(relay.relay.metrics().stored(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_over_the_cap_get_431_and_nothing_is_stored() {
    let sink = Sink::start().await;
    let relay = start(Backend::Sqlite, &sink.url(), |_| {}).await;
    let addr = relay.relay.addr();
    let cap = connectly_relay::DEFAULT_MAX_HEADER_BYTES;
    // Under the cap: stored.
    let padding = format!("x-padding: {}\r\n", "p".repeat(cap / 2));
    let under = answer(addr, &signed_post(&event(1), &padding)).await;
    assert!(under.starts_with("HTTP/1.1 200"), "{under}");
    // Over it, correctly signed: 431, not stored.
    let padding = format!("x-padding: {}\r\n", "p".repeat(cap + 1024));
    let over = answer(addr, &signed_post(&event(2), &padding)).await;
    assert!(over.starts_with("HTTP/1.1 431"), "{over}");
    assert!(relay
        .store
        .get(&DeliveryKey::of(&event(2)))
        .unwrap()
        .is_none());
    // A smaller cap, from the configuration (raised to the server's minimum, 8 KiB).
    let small = start(Backend::Sqlite, &sink.url(), |c| c.max_header_bytes = 1).await;
    let padding = format!("x-padding: {}\r\n", "p".repeat(12 * 1024));
    let over = answer(small.relay.addr(), &signed_post(&event(3), &padding)).await;
    assert!(over.starts_with("HTTP/1.1 431"), "{over}");
    let under = answer(small.relay.addr(), &signed_post(&event(4), "")).await;
    assert!(under.starts_with("HTTP/1.1 200"), "{under}");
    assert!(small
        .store
        .get(&DeliveryKey::of(&event(3)))
        .unwrap()
        .is_none());
    assert_eq!(
        (
            relay.relay.metrics().stored(),
            small.relay.metrics().stored()
        ),
        (1, 1)
    );
    // The 431 is the server's, before the route: the oversized request never reached it.
    assert_eq!(relay.relay.metrics().received(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_max_connections_wait_until_one_closes_and_are_then_stored() {
    let sink = Sink::start().await;
    let relay = start(Backend::Sqlite, &sink.url(), |c| {
        c.max_connections = 2;
        c.header_read_timeout = Duration::from_secs(60);
    })
    .await;
    let body = event(1);
    let answer =
        served_only_once_a_slot_frees(relay.relay.addr(), 2, HALF_HEADERS, &signed_post(&body, ""))
            .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(relay.store.get(&DeliveryKey::of(&body)).unwrap().is_some());
}
