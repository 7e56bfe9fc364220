//! The way to the database: which `--store` values are Postgres URLs, how a URL may be shown
//! (never its password), and the connection's settings and transport rule.

use tokio_postgres::config::Host;

use super::CONNECT_TIMEOUT;
use crate::store::StoreError;

/// The driver's settings for `url`: its own, plus durable commits, a connect timeout and an
/// application name when it names none; refused when the transport rule refuses it.
pub(super) fn config(url: &str, shown: &str) -> Result<tokio_postgres::Config, StoreError> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| StoreError::new(format!("read {shown}"), e))?;
    check_transport(&config, shown)?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    // Durable commits on every connection, whatever the server's default: a later `-c` wins.
    let startup = match config.get_options() {
        Some(given) => format!("{given} -c synchronous_commit=on"),
        None => "-c synchronous_commit=on".to_owned(),
    };
    config.options(&startup);
    if config.get_application_name().is_none() {
        config.application_name("connectly-relay");
    }
    Ok(config)
}

/// Whether `store` names a Postgres database (`postgres://` or `postgresql://`) rather than a
/// file.
pub fn is_postgres_url(store: &str) -> bool {
    let lower = store.get(..13).unwrap_or(store).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

/// A Postgres URL as it may be shown: without its password (in the authority or as a
/// `password=` parameter).
pub fn shown_postgres_url(given: &str) -> String {
    let Ok(url) = connectly_net::Url::parse(given) else {
        // Not a URL the parser takes: everything after the scheme could be a secret.
        return given.split_once("://").map_or_else(
            || "[unparsable URL]".to_owned(),
            |(scheme, _)| format!("{scheme}://[redacted]"),
        );
    };
    let text = connectly_net::shown(&url);
    let Some((base, query)) = text.split_once('?') else {
        return text;
    };
    let query: Vec<&str> = query
        .split('&')
        .map(|pair| {
            if pair.split('=').next() == Some("password") {
                "password=[redacted]"
            } else {
                pair
            }
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

/// Refuses a host that is neither loopback nor a Unix socket unless `sslmode=disable` says the
/// user accepts an unencrypted connection (this build has no TLS for Postgres).
fn check_transport(config: &tokio_postgres::Config, shown: &str) -> Result<(), StoreError> {
    let remote = config.get_hosts().iter().any(|host| match host {
        Host::Tcp(name) => {
            let name = name.trim_start_matches('[').trim_end_matches(']');
            !(name.eq_ignore_ascii_case("localhost")
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback()))
        }
        #[cfg(unix)]
        Host::Unix(_) => false,
    });
    if remote && config.get_ssl_mode() != tokio_postgres::config::SslMode::Disable {
        return Err(StoreError::new(
            format!("connect to {shown}"),
            "this build talks to Postgres without TLS, so it connects to loopback or a Unix \
             socket only; add sslmode=disable to the URL to accept an unencrypted connection \
             (a private network), or reach the server through a local tunnel",
        ));
    }
    Ok(())
}
