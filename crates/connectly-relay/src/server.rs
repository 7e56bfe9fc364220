//! Running a relay: [`Relay`] (in-process, for tests and embedding) and [`serve`] (in the
//! foreground until a signal), both over one accept loop with a header timeout, and one
//! shutdown order: stop accepting, answer the requests in flight (their commits included), let
//! the forwards in flight finish and record, then stop the writer once its queue is empty.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch, Notify};
use tokio::task::{JoinHandle, JoinSet};

use crate::forward::Forwarder;
use crate::ingest::{router, Ingest};
use crate::metrics::Metrics;
use crate::store::Store;
use crate::{writer, RelayConfig};

/// A relay running in this process. Dropping it stops it (without waiting);
/// [`Relay::shutdown`] drains and waits.
pub struct Relay {
    addr: SocketAddr,
    metrics: Arc<Metrics>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Relay {
    /// Binds `config.listen` and starts receiving into `store` and forwarding from it. Fails
    /// when [`RelayConfig::check`] refuses the configuration.
    pub async fn start(config: RelayConfig, store: Arc<dyn Store>) -> io::Result<Self> {
        config.check()?;
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let metrics = Arc::new(Metrics::default());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(run(listener, config, store, metrics.clone(), async {
            let _ = rx.await;
        }));
        Ok(Self {
            addr,
            metrics,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL to POST events to, e.g. `http://127.0.0.1:43121/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Its counters.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Stops accepting, finishes the commits and forwards in flight, and waits.
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

impl Drop for Relay {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serves on `listener` until `shutdown` completes, then drains (see the module doc). Fails at
/// once when [`RelayConfig::check`] refuses the configuration or the listener's address.
pub async fn serve(
    listener: TcpListener,
    config: RelayConfig,
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let config = RelayConfig {
        listen: listener.local_addr()?,
        ..config
    };
    config.check()?;
    run(listener, config, store, metrics, shutdown).await
}

async fn run(
    listener: TcpListener,
    config: RelayConfig,
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .connect_timeout(config.forward_timeout.min(Duration::from_secs(10)))
        .timeout(config.forward_timeout)
        .build()
        .map_err(io::Error::other)?;
    let (writer, writer_thread) = writer::spawn(
        store.clone(),
        config.queue_capacity,
        config.max_batch,
        metrics.clone(),
    )?;
    let wake = Arc::new(Notify::new());
    let (stop_forwarding, stop_rx) = watch::channel(false);
    let forwarder = tokio::spawn(
        Forwarder {
            store: store.clone(),
            writer: writer.clone(),
            client,
            target: config.forward_to.clone(),
            schedule: config.schedule.clone(),
            concurrency: config.concurrency,
            retention: config.retention,
            metrics: metrics.clone(),
            wake: wake.clone(),
        }
        .run(stop_rx),
    );
    let ingest = Arc::new(Ingest {
        verifier: config.verifier.clone(),
        writer,
        metrics,
        wake,
        store,
        max_body_bytes: config.max_body_bytes,
        body_read_timeout: config.body_read_timeout,
    });
    let served = accept_loop(
        listener,
        router(ingest),
        config.header_read_timeout,
        shutdown,
    )
    .await;
    let _ = stop_forwarding.send(true);
    let _ = forwarder.await;
    // Every sender is gone now (the router with the connections, the forwarder): the writer
    // commits what is queued and ends.
    let _ = tokio::task::spawn_blocking(move || writer_thread.join()).await;
    served
}

/// Accepts connections and serves each with HTTP/1.1 and a header read timeout, until
/// `shutdown`; then stops accepting, asks every connection to close once its request in flight
/// is answered, and waits for them.
async fn accept_loop(
    listener: TcpListener,
    router: Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (stop, stopping) = watch::channel(());
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) if matches!(e.kind(), io::ErrorKind::ConnectionRefused
                        | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset) => continue,
                    // Out of file descriptors or memory: give the open connections time to end.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = TowerToHyperService::new(router.clone());
                let mut stopping = stopping.clone();
                connections.spawn(async move {
                    let mut builder = http1::Builder::new();
                    builder
                        .timer(TokioTimer::new())
                        .header_read_timeout(header_read_timeout);
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(connection);
                    tokio::select! {
                        _ = connection.as_mut() => return,
                        _ = stopping.changed() => connection.as_mut().graceful_shutdown(),
                    }
                    let _ = connection.await;
                });
            }
        }
    }
    drop(listener);
    drop(router);
    drop(stop);
    while connections.join_next().await.is_some() {}
    Ok(())
}
