//! How to start a mock: [`MockConfig`], its defaults, and the rule for where it may listen.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use crate::log::ServedRequest;

/// The API key a mock accepts when none is configured. It is public (it is in this crate's
/// source), so a mock that accepts it only ever listens on loopback.
pub const DEFAULT_API_KEY: &str = "mock-api-key";

/// Largest request body accepted by default, in bytes (1 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// How many requests the log keeps by default: past that, the oldest are dropped, so a
/// long-running mock does not grow without bound.
pub const REQUEST_LOG_CAPACITY: usize = 10_000;

/// How many bytes (request lines, headers and bodies) the log keeps by default (32 MiB): past
/// that, the oldest requests are dropped, whatever their number.
pub const REQUEST_LOG_BYTES: usize = 32 * 1024 * 1024;

/// How long a client has, by default, to send a request's headers once the mock starts waiting
/// for them (also on an idle keep-alive connection). A connection that has not sent a whole
/// header block by then is closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a client has, by default, to send a whole request body once its headers are in.
/// Past that the mock answers 408 and closes the connection.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How many connections the mock serves at once by default. Past that, a new connection waits
/// (in the system's listen queue, costing the mock nothing) until one closes.
pub const MAX_CONNECTIONS: usize = connectly_net::server::DEFAULT_MAX_CONNECTIONS;

/// How many bytes of a request's line and headers the mock reads by default (32 KiB): a
/// connection that sends more gets 431 and is closed, so each connection costs at most about
/// this much while its headers arrive.
pub const MAX_HEADER_BYTES: usize = connectly_net::server::DEFAULT_MAX_HEADER_BYTES;

/// The smallest header cap the HTTP server accepts (8 KiB); a smaller
/// [`MockConfig::max_header_bytes`] is raised to it.
pub const MIN_HEADER_BYTES: usize = connectly_net::server::MIN_HEADER_BYTES;

/// Called once per answered request (see [`MockConfig::on_request`]).
pub type RequestObserver = Arc<dyn Fn(&ServedRequest) + Send + Sync>;

/// How to start a [`MockServer`](crate::MockServer).
///
/// ```
/// let config = connectly_mock::MockConfig::default()
///     .api_key("key-a")
///     .api_key("key-b")
///     .max_body_bytes(64 * 1024);
/// assert_eq!(config.api_keys, ["key-a", "key-b"]);
/// ```
#[derive(Clone)]
pub struct MockConfig {
    /// Address to listen on (default `127.0.0.1:0`: loopback, an ephemeral port). Any other
    /// than a loopback address needs [`MockConfig::allow_non_loopback`] and a key of one's own
    /// (see [`MockConfig::check_listen`]).
    pub listen: SocketAddr,
    /// Accepted API keys (default: [`DEFAULT_API_KEY`] alone). They are compared in constant
    /// time.
    pub api_keys: Vec<String>,
    /// Whether [`MockConfig::api_key`] was called: then `api_keys` holds only the keys given.
    keys_given: bool,
    /// How many connections are served at once (default [`MAX_CONNECTIONS`]); past that, new
    /// connections wait until one closes.
    pub max_connections: usize,
    /// How many bytes of a request's line and headers are read (default [`MAX_HEADER_BYTES`],
    /// at least [`MIN_HEADER_BYTES`]); more gets 431 and the connection is closed.
    pub max_header_bytes: usize,
    /// Largest request body, in bytes (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub max_body_bytes: usize,
    /// How many requests the log keeps (default [`REQUEST_LOG_CAPACITY`]).
    pub request_log_capacity: usize,
    /// How many bytes the log keeps (default [`REQUEST_LOG_BYTES`]).
    pub request_log_bytes: usize,
    /// Time allowed to send a request's headers (default [`HEADER_READ_TIMEOUT`]).
    pub header_read_timeout: Duration,
    /// Time allowed to send a request's body (default [`BODY_READ_TIMEOUT`]).
    pub body_read_timeout: Duration,
    /// Whether the mock may listen on an address that is not loopback (default `false`).
    pub non_loopback: bool,
    /// The webhook secret that signs the events of the deliver endpoint (see
    /// [`deliver`](crate::deliver)); `None` (the default) leaves delivery off.
    pub deliver_secret: Option<String>,
    /// Called once per answered request (default: none).
    pub on_request: Option<RequestObserver>,
}

impl fmt::Debug for MockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockConfig")
            .field("listen", &self.listen)
            .field(
                "api_keys",
                &format_args!("[{} redacted]", self.api_keys.len()),
            )
            .field("max_connections", &self.max_connections)
            .field("max_header_bytes", &self.max_header_bytes)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("request_log_capacity", &self.request_log_capacity)
            .field("request_log_bytes", &self.request_log_bytes)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("non_loopback", &self.non_loopback)
            .field(
                "deliver_secret",
                &self.deliver_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("on_request", &self.on_request.as_ref().map(|_| "Fn"))
            .finish()
    }
}

impl Default for MockConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            api_keys: vec![DEFAULT_API_KEY.to_owned()],
            keys_given: false,
            max_connections: MAX_CONNECTIONS,
            max_header_bytes: MAX_HEADER_BYTES,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_log_capacity: REQUEST_LOG_CAPACITY,
            request_log_bytes: REQUEST_LOG_BYTES,
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_read_timeout: BODY_READ_TIMEOUT,
            non_loopback: false,
            deliver_secret: None,
            on_request: None,
        }
    }
}

impl MockConfig {
    /// Listens on `addr`.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Accepts `key`. The first call replaces the default key; later calls add keys (every key
    /// given is accepted, [`DEFAULT_API_KEY`] too when given).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        if !self.keys_given {
            self.api_keys.clear();
            self.keys_given = true;
        }
        self.api_keys.push(key.into());
        self
    }

    /// Serves at most `limit` connections at once (at least 1); further connections wait until
    /// one closes.
    pub fn max_connections(mut self, limit: usize) -> Self {
        self.max_connections = limit.max(1);
        self
    }

    /// Reads at most `limit` bytes of a request's line and headers (at least
    /// [`MIN_HEADER_BYTES`]); a connection that sends more gets 431 and is closed.
    pub fn max_header_bytes(mut self, limit: usize) -> Self {
        self.max_header_bytes = limit.max(MIN_HEADER_BYTES);
        self
    }

    /// Refuses bodies over `limit` bytes with 413.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Keeps the last `capacity` requests in the log (0 keeps none).
    pub fn request_log_capacity(mut self, capacity: usize) -> Self {
        self.request_log_capacity = capacity;
        self
    }

    /// Keeps at most `bytes` of requests (request lines, headers, bodies) in the log.
    pub fn request_log_bytes(mut self, bytes: usize) -> Self {
        self.request_log_bytes = bytes;
        self
    }

    /// Closes a connection that has not sent a request's headers within `timeout`.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Answers 408 to a request whose body has not arrived within `timeout`.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// Allows listening on an address that is not loopback, which also needs an API key other
    /// than [`DEFAULT_API_KEY`]: anyone who reaches the port can then call the mock.
    pub fn allow_non_loopback(mut self) -> Self {
        self.non_loopback = true;
        self
    }

    /// Enables the deliver endpoint (see [`deliver`](crate::deliver)), signing events with
    /// `secret`. It only ever sends to the registered address, on a loopback host.
    pub fn deliver_secret(mut self, secret: impl Into<String>) -> Self {
        self.deliver_secret = Some(secret.into());
        self
    }

    /// Calls `observer` once per answered request, with its method, path, status and latency
    /// (never its key or body), e.g. to print an access log.
    pub fn on_request(mut self, observer: impl Fn(&ServedRequest) + Send + Sync + 'static) -> Self {
        self.on_request = Some(Arc::new(observer));
        self
    }

    /// Whether the mock may listen on `addr`: a loopback address always; any other (including
    /// `0.0.0.0` and `::`) only with [`MockConfig::allow_non_loopback`] and API keys that are
    /// all someone's own (none empty, none [`DEFAULT_API_KEY`]).
    ///
    /// ```
    /// use connectly_mock::MockConfig;
    /// let public = "0.0.0.0:8080".parse().unwrap();
    /// assert!(MockConfig::default().check_listen(public).is_err());
    /// assert!(MockConfig::default().allow_non_loopback().check_listen(public).is_err());
    /// let own = MockConfig::default().allow_non_loopback().api_key("k3y-of-my-own");
    /// assert!(own.check_listen(public).is_ok());
    /// ```
    pub fn check_listen(&self, addr: SocketAddr) -> io::Result<()> {
        if connectly_net::is_loopback_listen(addr) {
            return Ok(());
        }
        let refuse = |why: &str| {
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("refusing to listen on {addr}, which is not a loopback address: {why}"),
            ))
        };
        if !self.non_loopback {
            return refuse(
                "anyone who reaches it could call the mock; opt in explicitly \
                 (`connectly mock --allow-non-loopback`, MockConfig::allow_non_loopback)",
            );
        }
        if self.api_keys.is_empty()
            || self
                .api_keys
                .iter()
                .any(|k| k.is_empty() || k == DEFAULT_API_KEY)
        {
            return refuse(&format!(
                "the default key {DEFAULT_API_KEY:?} is public; give keys of your own \
                 (`--api-key KEY`, MockConfig::api_key)"
            ));
        }
        Ok(())
    }
}
