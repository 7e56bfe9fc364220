//! Running a relay: [`Relay`] (in-process, for tests and embedding) and [`serve`] (in the
//! foreground until a signal), both over `connectly_net::server`'s accept loop with the relay's
//! header timeout, connection cap and header cap, and one shutdown order: stop accepting, answer
//! the requests in flight (their commits included), let the forwards in flight finish and
//! record, then stop the writer once its queue is empty.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use connectly_net::server::{self, Handle, Limits};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};

use crate::forward::Forwarder;
use crate::ingest::{router, Ingest};
use crate::metrics::Metrics;
use crate::store::Store;
use crate::{writer, RelayConfig};

/// A relay running in this process. Dropping it stops it (without waiting);
/// [`Relay::shutdown`] drains and waits.
pub struct Relay {
    server: Handle,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("addr", &self.addr())
            .finish_non_exhaustive()
    }
}

impl Relay {
    /// Binds `config.listen` and starts receiving into `store` and forwarding from it. Fails
    /// when [`RelayConfig::check`] refuses the configuration.
    pub async fn start(config: RelayConfig, store: Arc<dyn Store>) -> io::Result<Self> {
        config.check()?;
        let listener = TcpListener::bind(config.listen).await?;
        let metrics = Arc::new(Metrics::default());
        let counters = metrics.clone();
        let server = Handle::spawn(listener, move |listener, stop| {
            serve(listener, config, store, counters, stop)
        })?;
        Ok(Self { server, metrics })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The URL to POST events to, e.g. `http://127.0.0.1:43121/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr())
    }

    /// Its counters.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Stops accepting, finishes the commits and forwards in flight, and waits.
    pub async fn shutdown(self) -> io::Result<()> {
        self.server.shutdown().await
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
        schedule: config.schedule.clone(),
        max_body_bytes: config.max_body_bytes,
        body_read_timeout: config.body_read_timeout,
    });
    let served = server::serve(
        listener,
        router(ingest),
        Limits::new(config.header_read_timeout)
            .max_connections(config.max_connections)
            .max_header_bytes(config.max_header_bytes),
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
