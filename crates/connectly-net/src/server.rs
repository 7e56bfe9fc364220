//! The one way connectly-rs serves HTTP (feature `server`), shared by the mock and the relay:
//! [`serve`], an accept loop with a header read timeout and optional caps on the connections
//! served at once and on each one's header bytes, which stops gracefully; and [`Handle`], a
//! server running on its own task, stopped when dropped.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

/// The smallest header cap the HTTP server accepts (8 KiB, hyper's smallest read buffer); a
/// smaller [`Limits::max_header_bytes`] is raised to it.
pub const MIN_HEADER_BYTES: usize = 8 * 1024;

/// The default cap on connections served at once of the mock and the relay: past it, a new
/// connection waits in the system's listen queue (never refused) until one closes. 512 stays
/// well under the usual 1024 open files a process may have (the rest are the server's own:
/// its journal, its outgoing connections), and bounds what peers that never finish their
/// requests can hold: each at most its header cap and a body cap.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// The default cap on a request's line and headers of the mock and the relay (32 KiB; more
/// gets 431): far above any real request's, and what a connection costs at most while its
/// headers arrive.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 32 * 1024;

/// What [`serve`] enforces per connection and in all.
///
/// ```
/// use std::time::Duration;
/// let limits = connectly_net::server::Limits::new(Duration::from_secs(5))
///     .max_connections(0)
///     .max_header_bytes(1024);
/// assert_eq!(limits.connections(), Some(1));
/// assert_eq!(limits.header_bytes(), Some(connectly_net::server::MIN_HEADER_BYTES));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    header_read_timeout: Duration,
    max_connections: Option<usize>,
    max_header_bytes: Option<usize>,
}

impl Limits {
    /// A connection that has not sent a request's whole header block within
    /// `header_read_timeout` (also on an idle keep-alive connection) is closed; no other cap.
    pub fn new(header_read_timeout: Duration) -> Self {
        Self {
            header_read_timeout,
            max_connections: None,
            max_header_bytes: None,
        }
    }

    /// Serves at most `limit` connections at once (at least 1): the next is accepted once one
    /// closes, and until then it waits in the system's listen queue, which costs the server
    /// nothing.
    pub fn max_connections(mut self, limit: usize) -> Self {
        self.max_connections = Some(limit.max(1));
        self
    }

    /// Reads at most `limit` bytes of a request's line and headers (at least
    /// [`MIN_HEADER_BYTES`]): past it, 431 and the connection is closed.
    pub fn max_header_bytes(mut self, limit: usize) -> Self {
        self.max_header_bytes = Some(limit.max(MIN_HEADER_BYTES));
        self
    }

    /// The cap on connections served at once, if any.
    pub fn connections(&self) -> Option<usize> {
        self.max_connections
    }

    /// The cap on a request's header bytes, if any (otherwise hyper's default).
    pub fn header_bytes(&self) -> Option<usize> {
        self.max_header_bytes
    }
}

/// Accepts connections on `listener` (within `limits`) and serves each with `router` over
/// HTTP/1.1, until `shutdown` completes; then stops accepting, asks every connection to close
/// once its request in flight is answered, and waits for them. The listener and `router` are
/// dropped before it returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (stop, stopping) = watch::channel(());
    let mut connections = JoinSet::new();
    let slots = Arc::new(Semaphore::new(
        limits.max_connections.unwrap_or(Semaphore::MAX_PERMITS),
    ));
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
                .header_read_timeout(limits.header_read_timeout);
            if let Some(bytes) = limits.max_header_bytes {
                // The buffer's cap bounds what is read while the headers are incomplete; the
                // header size cap refuses a complete header block over the limit too, which the
                // buffer alone lets through when one read brings more than the limit.
                builder.max_buf_size(bytes).max_header_size(bytes);
            }
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
    drop(router);
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

/// A server running on its own task. Dropping it asks the server to stop (without waiting);
/// [`Handle::shutdown`] asks and waits.
pub struct Handle {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Completes when its [`Handle`] is shut down or dropped: the `shutdown` future of a server
/// started by [`Handle::spawn`].
#[derive(Debug)]
pub struct Stop(oneshot::Receiver<()>);

impl Future for Stop {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

impl Handle {
    /// Spawns `run(listener, stop)` on the current Tokio runtime, where `stop` completes when
    /// this handle is shut down or dropped. Fails when the listener's address cannot be read.
    pub fn spawn<F>(
        listener: TcpListener,
        run: impl FnOnce(TcpListener, Stop) -> F,
    ) -> io::Result<Self>
    where
        F: Future<Output = io::Result<()>> + Send + 'static,
    {
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(listener, Stop(stopped)));
        Ok(Self {
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Asks the server to stop and waits for its task to end, with its result.
    pub async fn shutdown(mut self) -> io::Result<()> {
        self.stop();
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }

    fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.stop();
    }
}
