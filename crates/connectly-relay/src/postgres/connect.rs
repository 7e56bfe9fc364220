//! The way to the database: which `--store` values are Postgres URLs, how a URL may be shown
//! (never its password), and the connection's settings and transport rule.

use std::path::PathBuf;

use tokio_postgres::config::{Host, SslMode};

use super::CONNECT_TIMEOUT;
use crate::store::StoreError;

/// How the connection to the database travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Transport {
    /// In clear: only to loopback or a Unix socket.
    Plain,
    /// TLS, the server's certificate verified (its chain and its name) against the CA
    /// certificates in `root` (the URL's `sslrootcert`), or the platform's trusted roots.
    Tls {
        /// The PEM file of the CA certificates to trust instead of the platform's.
        root: Option<PathBuf>,
    },
}

/// The driver's settings for `url` and how to reach it: the URL's own settings, plus durable
/// commits, a connect timeout and an application name when it names none; refused when the
/// transport rule refuses it.
pub(super) fn config(
    url: &str,
    shown: &str,
) -> Result<(tokio_postgres::Config, Transport), StoreError> {
    let (url, mode, root) = take_tls_parameters(url)
        .map_err(|reason| StoreError::new(format!("read {shown}"), reason))?;
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| StoreError::new(format!("read {shown}"), e))?;
    let transport = transport(&config, mode.as_deref(), root)
        .map_err(|reason| StoreError::new(format!("connect to {shown}"), reason))?;
    config.ssl_mode(match transport {
        Transport::Plain => SslMode::Disable,
        Transport::Tls { .. } => SslMode::Require,
    });
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
    Ok((config, transport))
}

/// `url` without its `sslmode` and `sslrootcert` query parameters (read here: the driver knows
/// neither `verify-full` nor `sslrootcert`), and their values.
fn take_tls_parameters(url: &str) -> Result<(String, Option<String>, Option<PathBuf>), String> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), None, None));
    };
    let (mut mode, mut root, mut kept) = (None, None, Vec::new());
    for pair in query.split('&') {
        let decoded = url::form_urlencoded::parse(pair.as_bytes()).next();
        match decoded {
            Some((key, value)) if key == "sslmode" => mode = Some(value.into_owned()),
            Some((key, value)) if key == "sslrootcert" => {
                root = Some(PathBuf::from(value.into_owned()));
            }
            _ => kept.push(pair),
        }
    }
    if let Some(given) = &mode {
        if !SSL_MODES.contains(&given.as_str()) {
            return Err(format!(
                "sslmode={given} is not one of {}",
                SSL_MODES.join(", ")
            ));
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, mode, root))
}

/// The `sslmode` values libpq knows, all accepted.
const SSL_MODES: &[&str] = &[
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

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

/// The transport `sslmode` asks for, under the rule HTTPS follows too: in clear only to
/// loopback or a Unix socket. `disable` to another host is refused; no `sslmode` (or `allow`,
/// `prefer`) is TLS to another host and clear text to loopback, unless `sslrootcert` is given;
/// `require`, `verify-ca` and `verify-full` are TLS, the certificate verified (chain and name)
/// whichever was given: a relay never sends the password and the events to a server it has not
/// verified.
fn transport(
    config: &tokio_postgres::Config,
    mode: Option<&str>,
    root: Option<PathBuf>,
) -> Result<Transport, String> {
    let local = config.get_hosts().iter().all(|host| match host {
        Host::Tcp(name) => is_loopback_host(name),
        #[cfg(unix)]
        Host::Unix(_) => true,
    });
    match mode {
        Some("disable") if !local => Err(format!(
            "sslmode=disable would send the password and the events in clear text, which is \
             allowed to loopback ({}) or a Unix socket only: use sslmode=verify-full (with \
             sslrootcert=FILE when the server's CA is not one the platform trusts)",
            connectly_net::LOOPBACK_HOSTS
        )),
        Some("disable") => Ok(Transport::Plain),
        None | Some("allow" | "prefer") if local && root.is_none() => Ok(Transport::Plain),
        _ => Ok(Transport::Tls { root }),
    }
}

/// Whether a host name of the URL is loopback, by the rule of [`connectly_net::is_loopback`].
fn is_loopback_host(name: &str) -> bool {
    let name = name.trim_start_matches('[').trim_end_matches(']');
    let url = if name.contains(':') {
        format!("http://[{name}]/")
    } else {
        format!("http://{name}/")
    };
    connectly_net::Url::parse(&url).is_ok_and(|url| connectly_net::is_loopback(&url))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(url: &str) -> Result<Transport, String> {
        let (url, mode, root) = take_tls_parameters(url)?;
        transport(&url.parse().unwrap(), mode.as_deref(), root)
    }

    #[test]
    fn clear_text_only_to_loopback_and_tls_verified_elsewhere() {
        let tls = |root: Option<&str>| {
            Ok(Transport::Tls {
                root: root.map(PathBuf::from),
            })
        };
        for url in [
            "postgres://u@127.0.0.1/db",
            "postgres://u@localhost/db",
            "postgres://u@[::1]/db?sslmode=prefer",
            "postgres://u@%2Frun%2Fpostgresql/db",
            "postgres://u@127.0.0.1/db?sslmode=disable",
        ] {
            assert_eq!(decided(url), Ok(Transport::Plain), "{url}");
        }
        assert_eq!(decided("postgres://u@db.internal/db"), tls(None));
        assert_eq!(
            decided("postgres://u@db.internal/db?sslmode=prefer"),
            tls(None)
        );
        assert_eq!(
            decided("postgres://u@127.0.0.1/db?sslmode=require"),
            tls(None)
        );
        assert_eq!(
            decided("postgres://u@127.0.0.1/db?sslrootcert=%2Fca%20dir%2Fca.pem&connect_timeout=2"),
            tls(Some("/ca dir/ca.pem"))
        );
        // One host that is not loopback is enough to need TLS.
        assert_eq!(decided("postgres://u@127.0.0.1,db.internal/db"), tls(None));
        let refused = decided("postgres://u@db.internal/db?sslmode=disable").unwrap_err();
        assert!(refused.contains("loopback"), "{refused}");
        let unknown = decided("postgres://u@db.internal/db?sslmode=on").unwrap_err();
        assert!(unknown.contains("sslmode=on is not one of"), "{unknown}");
    }

    #[test]
    fn the_driver_gets_the_url_without_the_tls_parameters() {
        let (url, mode, root) =
            take_tls_parameters("postgres://u@h/db?sslmode=verify-full&x=1&sslrootcert=ca.pem")
                .unwrap();
        assert_eq!(url, "postgres://u@h/db?x=1");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root, Some(PathBuf::from("ca.pem")));
    }
}
