//! `--listen ADDR` of `connectly mock` and `connectly relay serve`: read (`localhost:PORT` is the
//! loopback address, never a DNS lookup) and bound, with a failure that says what to do when the
//! port is taken.

use std::net::{Ipv4Addr, SocketAddr};

use crate::Failure;

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
