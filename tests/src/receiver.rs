//! The axum test receiver: a webhook endpoint on 127.0.0.1 that records what its handlers got.

use std::net::SocketAddr;
use std::sync::mpsc;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::{routing::post, Router};
use connectly_webhook::axum::ConnectlyEvent;
use connectly_webhook::{Delivery, Event, Verifier};

/// What the receiver's handlers saw, one per request they ran for.
#[derive(Debug)]
pub enum Seen {
    /// `/webhook`: a request the [`ConnectlyEvent`] extractor verified and parsed.
    Event(Box<Event>, HeaderMap),
    /// `/delivery`: a request the [`Delivery`] extractor verified and parsed.
    Delivery(Box<Delivery>),
    /// `/raw`: any request, as received.
    Raw(Bytes, HeaderMap),
}

/// An axum receiver on 127.0.0.1 that verifies with its [`Verifier`]. Routes: `/webhook`
/// ([`ConnectlyEvent`] and the headers), `/delivery` ([`Delivery`]), `/event`
/// ([`ConnectlyEvent`], answers the event's kind, records nothing) and `/raw` (anything).
/// Handlers run before it answers, so once a sender has its answer, what it sent is recorded.
pub struct Receiver {
    addr: SocketAddr,
    seen: mpsc::Receiver<Seen>,
    /// The runtime serving it, when it has its own ([`Receiver::start_blocking`]).
    _rt: Option<tokio::runtime::Runtime>,
}

impl Receiver {
    /// Starts on the current tokio runtime.
    pub async fn start(verifier: Verifier) -> Self {
        let (app, seen) = app(verifier);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            addr,
            seen,
            _rt: None,
        }
    }

    /// Starts on a runtime of its own, which serves it while the caller blocks (on a command).
    pub fn start_blocking(verifier: Verifier) -> Self {
        let rt = crate::runtime();
        let mut receiver = rt.block_on(Self::start(verifier));
        receiver._rt = Some(rt);
        receiver
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// What the last request delivered (its sender has the answer, so the handler has run).
    pub fn next(&self) -> Seen {
        self.seen.try_recv().expect("the receiver got a request")
    }

    /// The next request, which must have come through `/webhook`.
    pub fn next_event(&self) -> (Event, HeaderMap) {
        match self.next() {
            Seen::Event(event, headers) => (*event, headers),
            other => panic!("expected a /webhook event, got {other:?}"),
        }
    }

    /// The next request, which must have come through `/delivery`.
    pub fn next_delivery(&self) -> Delivery {
        match self.next() {
            Seen::Delivery(delivery) => *delivery,
            other => panic!("expected a /delivery request, got {other:?}"),
        }
    }

    /// Fails if any handler that records has run since the last [`Receiver::next`].
    pub fn assert_nothing_received(&self) {
        assert!(self.seen.try_recv().is_err(), "the receiver's handler ran");
    }
}

fn app(verifier: Verifier) -> (Router, mpsc::Receiver<Seen>) {
    let (tx, seen) = mpsc::channel();
    let (delivery_tx, raw_tx) = (tx.clone(), tx.clone());
    let app = Router::new()
        .route(
            "/webhook",
            post(
                move |headers: HeaderMap, ConnectlyEvent(event): ConnectlyEvent| {
                    let tx = tx.clone();
                    async move {
                        tx.send(Seen::Event(Box::new(event), headers)).unwrap();
                        "ok"
                    }
                },
            ),
        )
        .route(
            "/delivery",
            post(move |delivery: Delivery| {
                let tx = delivery_tx.clone();
                async move {
                    tx.send(Seen::Delivery(Box::new(delivery))).unwrap();
                    "ok"
                }
            }),
        )
        .route(
            "/event",
            post(|ConnectlyEvent(event): ConnectlyEvent| async move { event.kind().to_owned() }),
        )
        .route(
            "/raw",
            post(move |headers: HeaderMap, body: Bytes| {
                let tx = raw_tx.clone();
                async move {
                    tx.send(Seen::Raw(body, headers)).unwrap();
                    "ok"
                }
            }),
        )
        .with_state(verifier);
    (app, seen)
}
