//! Running the fake API: [`MockServer`] (in-process, stopped when dropped), [`serve`] (in the
//! foreground, until a signal), and the accept loop both use, which caps the connections served
//! at once and the header bytes of each, applies the header timeout and shuts down gracefully.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

use crate::app::{app, lock, Shared};
use crate::config::MockConfig;
use crate::log::RecordedRequest;

/// A running fake Connectly API. Dropping it stops the server; [`MockServer::shutdown`] stops it
/// and waits.
pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts a server on `127.0.0.1` and an ephemeral port, accepting
    /// [`DEFAULT_API_KEY`](crate::DEFAULT_API_KEY).
    pub async fn start() -> io::Result<Self> {
        Self::start_with(MockConfig::default()).await
    }

    /// Starts a server with `config`. Fails when [`MockConfig::check_listen`] refuses its
    /// address.
    pub async fn start_with(mut config: MockConfig) -> io::Result<Self> {
        config.check_listen(config.listen)?;
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        config.listen = addr;
        let limits = Limits::of(&config);
        let (router, shared) = app(config);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(accept_loop(listener, router, limits, async {
            let _ = rx.await;
        }));
        Ok(Self {
            addr,
            shared,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to give a client, e.g. `http://127.0.0.1:43121`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The first accepted API key.
    pub fn api_key(&self) -> &str {
        self.shared
            .config
            .api_keys
            .first()
            .map_or("", String::as_str)
    }

    /// The requests received so far, oldest first (the last
    /// [`MockConfig::request_log_capacity`], within [`MockConfig::request_log_bytes`]).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).snapshot()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// The registrations of `business_id`, as list would return them.
    pub fn registrations(&self, business_id: &str) -> Vec<Value> {
        lock(&self.shared.store)
            .registrations(business_id)
            .iter()
            .filter_map(|r| serde_json::to_value(r).ok())
            .collect()
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for the server.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serves the fake API on `listener` until `shutdown` completes, then lets the requests in
/// flight finish (for a foreground server such as `connectly mock`, with Ctrl-C as the
/// signal; to stop at once, drop the returned future). Fails at once when
/// [`MockConfig::check_listen`] refuses the listener's address.
pub async fn serve(
    listener: TcpListener,
    config: MockConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let mut config = config;
    let addr = listener.local_addr()?;
    config.check_listen(addr)?;
    config.listen = addr;
    let limits = Limits::of(&config);
    let (router, _) = app(config);
    accept_loop(listener, router, limits, shutdown).await
}

/// What the accept loop enforces per connection and in all.
#[derive(Clone, Copy)]
struct Limits {
    max_connections: usize,
    max_header_bytes: usize,
    header_read_timeout: Duration,
}

impl Limits {
    fn of(config: &MockConfig) -> Self {
        Self {
            max_connections: config.max_connections.max(1),
            max_header_bytes: config.max_header_bytes.max(crate::config::MIN_HEADER_BYTES),
            header_read_timeout: config.header_read_timeout,
        }
    }
}

/// Accepts connections, at most `limits.max_connections` open at once (the next is accepted
/// once one closes: until then it waits in the listen queue, which costs the mock nothing), and
/// serves each with HTTP/1.1, a header read timeout and a cap on the header bytes (hyper's read
/// buffer: past it, 431 and the connection is closed), until `shutdown`; then stops accepting,
/// asks every connection to close once its request in flight is answered, and waits for them.
async fn accept_loop(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (stop, stopping) = watch::channel(());
    let mut connections = JoinSet::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    tokio::pin!(shutdown);
    'serving: loop {
        // A free slot first, then a connection: past the cap, nothing more is accepted.
        let slot = tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
        };
        let stream = loop {
            tokio::select! {
                () = &mut shutdown => break 'serving,
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => break stream,
                    // A connection that failed before it was accepted: nothing to serve.
                    Err(e) if is_per_connection(&e) => {}
                    // Out of file descriptors or memory: give the open connections time to end.
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                },
            }
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let mut stopping = stopping.clone();
        connections.spawn(async move {
            let _slot = slot;
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .max_buf_size(limits.max_header_bytes);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stopping.changed() => connection.as_mut().graceful_shutdown(),
            }
            let _ = connection.await;
        });
    }
    drop(listener);
    drop(stop);
    while connections.join_next().await.is_some() {}
    Ok(())
}

fn is_per_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
