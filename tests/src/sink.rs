//! The relay tests' handler: an axum endpoint on 127.0.0.1 that records every request the relay
//! forwards (raw bytes and headers) and answers 200, or 500 while told to fail. It can be
//! stopped and started again on the same port (a handler that is down, then up).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::Router;
use tokio::sync::oneshot;

/// One request the sink received.
#[derive(Debug, Clone)]
pub struct Forward {
    /// `x-connectly-relay-key`.
    pub key: String,
    /// `x-connectly-relay-attempt`.
    pub attempt: u32,
    /// `x-connectly-hmac-sha256`, as received.
    pub signature: Option<String>,
    /// `content-type`, as received.
    pub content_type: Option<String>,
    /// The raw body.
    pub body: Bytes,
    /// What the sink answered.
    pub status: u16,
}

#[derive(Default)]
struct Shared {
    failing: AtomicBool,
    delay_ms: AtomicU64,
    seen: Mutex<Vec<Forward>>,
}

/// A recording handler on 127.0.0.1 (any path, any method).
pub struct Sink {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
}

impl Sink {
    /// Starts on an ephemeral port of 127.0.0.1, on the current runtime.
    pub async fn start() -> Self {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on `addr` (e.g. the address of a sink that was stopped), on the current runtime.
    pub async fn start_on(addr: SocketAddr) -> Self {
        Self::serve(addr, Arc::default()).await
    }

    async fn serve(addr: SocketAddr, shared: Arc<Shared>) -> Self {
        // A stopped sink's listener closes once its connections have: wait for the port.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let listener = loop {
            match tokio::net::TcpListener::bind(addr).await {
                Ok(listener) => break listener,
                Err(e) if std::time::Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(e) => panic!("cannot listen on {addr}: {e}"),
            }
        };
        let addr = listener.local_addr().unwrap();
        let state = shared.clone();
        let app = Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move {
                let delay = state.delay_ms.load(Ordering::SeqCst);
                if delay > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                }
                let text = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let status = if state.failing.load(Ordering::SeqCst) {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                };
                state.seen.lock().unwrap().push(Forward {
                    key: text("x-connectly-relay-key").unwrap_or_default(),
                    attempt: text("x-connectly-relay-attempt")
                        .and_then(|a| a.parse().ok())
                        .unwrap_or(0),
                    signature: text("x-connectly-hmac-sha256"),
                    content_type: text("content-type"),
                    body,
                    status: status.as_u16(),
                });
                status
            }
        });
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Self {
            addr,
            shared,
            stop: Some(stop),
        }
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL to forward to, `http://127.0.0.1:PORT/hook`.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Answers 500 (`true`) or 200 (`false`) from now on.
    pub fn fail(&self, failing: bool) {
        self.shared.failing.store(failing, Ordering::SeqCst);
    }

    /// Waits this long before answering each request from now on (a slow handler).
    pub fn delay(&self, delay: std::time::Duration) {
        self.shared
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// Every request answered so far, in order.
    pub fn forwards(&self) -> Vec<Forward> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// The requests answered 200 so far.
    pub fn delivered(&self) -> Vec<Forward> {
        self.forwards()
            .into_iter()
            .filter(|f| f.status == 200)
            .collect()
    }

    /// Stops listening (connections are refused from now on); [`Sink::restart`] serves again on
    /// the same port with the same record.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Serves again on the same port, keeping what was recorded.
    pub async fn restart(&mut self) {
        self.stop();
        let again = Self::serve(self.addr, self.shared.clone()).await;
        *self = again;
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop();
    }
}
