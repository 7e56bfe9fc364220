//! Running the fake API: [`MockServer`] (in-process, stopped when dropped) and [`serve`] (in the
//! foreground, until a signal), both over `connectly_net::server`'s accept loop, given the mock's
//! caps on the connections served at once and the header bytes of each, and its header timeout.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use connectly_net::server::{self, Handle, Limits};
use serde_json::Value;
use tokio::net::TcpListener;

use crate::app::{app, lock, Shared};
use crate::config::MockConfig;
use crate::log::RecordedRequest;

/// A running fake Connectly API. Dropping it stops the server; [`MockServer::shutdown`] stops it
/// and waits.
pub struct MockServer {
    server: Handle,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for MockServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockServer")
            .field("addr", &self.addr())
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
    pub async fn start_with(config: MockConfig) -> io::Result<Self> {
        config.check_listen(config.listen)?;
        let listener = TcpListener::bind(config.listen).await?;
        let (router, shared, limits) = prepare(&listener, config)?;
        let server = Handle::spawn(listener, move |listener, stop| {
            server::serve(listener, router, limits, stop)
        })?;
        Ok(Self { server, shared })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The base URL to give a client, e.g. `http://127.0.0.1:43121`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr())
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
    pub async fn shutdown(self) -> io::Result<()> {
        self.server.shutdown().await
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
    let (router, _, limits) = prepare(&listener, config)?;
    server::serve(listener, router, limits, shutdown).await
}

/// The mock's router, state and limits on `listener`, once [`MockConfig::check_listen`] accepts
/// its address (which becomes `config.listen`). The accept loop enforces the connection cap,
/// the header cap (431 past it) and the header timeout.
fn prepare(
    listener: &TcpListener,
    mut config: MockConfig,
) -> io::Result<(Router, Arc<Shared>, Limits)> {
    let addr = listener.local_addr()?;
    config.check_listen(addr)?;
    config.listen = addr;
    let limits = Limits::new(config.header_read_timeout)
        .max_connections(config.max_connections)
        .max_header_bytes(config.max_header_bytes);
    let (router, shared) = app(config);
    Ok((router, shared, limits))
}
