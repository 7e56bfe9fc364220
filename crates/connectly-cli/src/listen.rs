//! `--listen ADDR` of `connectly mock` and `connectly relay serve`: read (`localhost:PORT` is the
//! loopback address, never a DNS lookup) and bound, with a failure that says what to do when the
//! port is taken; and the two servers' other shared bounds (`--max-connections`, the help line
//! on those without a flag).

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use clap::Args;

use crate::Failure;

/// `--max-connections` of `connectly mock` and `connectly relay serve`.
#[derive(Args, Debug)]
pub(crate) struct MaxConnections {
    /// Connections served at once; past that, new connections wait until one closes.
    #[arg(long = "max-connections", value_name = "N",
          default_value_t = connectly_net::server::DEFAULT_MAX_CONNECTIONS as u32,
          value_parser = clap::value_parser!(u32).range(1..))]
    limit: u32,
}

impl MaxConnections {
    /// The cap given.
    pub(crate) fn get(&self) -> usize {
        self.limit as usize
    }
}

/// The `--help` line on a server's bounds that have no flag.
pub(crate) fn bounds_help(
    header_read_timeout: Duration,
    body_read_timeout: Duration,
    max_header_bytes: usize,
) -> String {
    format!(
        "Timeouts: {} s to send a request's headers, {} s to send its body. Headers: at most {} \
         KiB (more: 431).",
        header_read_timeout.as_secs(),
        body_read_timeout.as_secs(),
        max_header_bytes / 1024,
    )
}

/// Parses `--listen`: `IP:PORT`, `[IPv6]:PORT`, or `localhost:PORT` (127.0.0.1).
pub(crate) fn parse(text: &str) -> Result<SocketAddr, String> {
    if let Some(port) = text
        .strip_prefix("localhost:")
        .or_else(|| text.strip_prefix("LOCALHOST:"))
    {
        let port: u16 = port
            .parse()
            .map_err(|_| format!("{port:?} is not a port number (0 to 65535)"))?;
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }
    text.parse().map_err(|_| {
        format!("{text:?} is not IP:PORT (e.g. 127.0.0.1:8080, [::1]:8080 or localhost:8080)")
    })
}

/// Binds `addr`; a port in use says so, with what to do.
pub(crate) async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, Failure> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        let failure = Failure::failed(format!("cannot listen on {addr}")).caused_by(&e);
        if e.kind() == std::io::ErrorKind::AddrInUse {
            failure.hint(format!(
                "port {} is in use: stop what listens there, or pick another port \
                 (--listen {}:0 takes any free one and prints it)",
                addr.port(),
                match addr {
                    SocketAddr::V4(v4) => v4.ip().to_string(),
                    SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
                }
            ))
        } else {
            failure
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_is_the_loopback_address_and_other_names_are_refused() {
        assert_eq!(
            parse("localhost:8080"),
            Ok("127.0.0.1:8080".parse().unwrap())
        );
        assert_eq!(parse("[::1]:9"), Ok("[::1]:9".parse().unwrap()));
        assert_eq!(parse("127.0.0.1:0"), Ok("127.0.0.1:0".parse().unwrap()));
        assert!(parse("localhost:99999").unwrap_err().contains("port"));
        assert!(parse("example.com:80").unwrap_err().contains("IP:PORT"));
    }
}
