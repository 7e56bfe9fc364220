#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

use std::{borrow::Cow, fmt};

pub use url::Url;

#[cfg(feature = "server")]
pub mod server;

/// The hosts plain HTTP is allowed to, as users read it in messages.
pub const LOOPBACK_HOSTS: &str = "127.0.0.0/8, localhost, [::1]";

/// Whether the URL's host is loopback: an address in `127.0.0.0/8`, `::1`, or the name
/// `localhost` (any case). Nothing else: not `0.0.0.0`, not `::ffff:127.0.0.1`, not
/// `localhost.example.com`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether a server may listen on `addr` without an explicit opt-in: a loopback address
/// (`127.0.0.0/8`, `::1`, or the IPv4-mapped form of a `127.x` address, which only this host
/// can reach). `0.0.0.0` and `::` are not: they listen on every interface. The mock and the
/// relay refuse any other address unless told `--allow-non-loopback`.
///
/// ```
/// assert!(connectly_net::is_loopback_listen("127.0.0.1:8080".parse().unwrap()));
/// assert!(!connectly_net::is_loopback_listen("0.0.0.0:8080".parse().unwrap()));
/// ```
pub fn is_loopback_listen(addr: std::net::SocketAddr) -> bool {
    addr.ip().to_canonical().is_loopback()
}

/// Why [`check_transport`] refused a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// `http` to a host that is not loopback: it would travel in clear text.
    PlainHttp,
    /// A scheme other than `https` and `http` (the scheme is given).
    Scheme(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::PlainHttp => write!(
                f,
                "plain http is allowed only to loopback hosts ({LOOPBACK_HOSTS}); use https"
            ),
            Refusal::Scheme(scheme) => write!(f, "the scheme must be https, not {scheme}"),
        }
    }
}

impl std::error::Error for Refusal {}

/// The transport policy: `https` to any host, `http` only to a loopback host ([`is_loopback`]),
/// nothing else.
pub fn check_transport(url: &Url) -> Result<(), Refusal> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(Refusal::PlainHttp),
        other => Err(Refusal::Scheme(other.to_owned())),
    }
}

/// The URL as it may be shown in a message or a log: a password is replaced by `[redacted]`
/// (the user name is kept, it says which account was meant).
///
/// ```
/// let url = url::Url::parse("https://me:s3cret@example.com/x").unwrap();
/// assert_eq!(connectly_net::shown(&url), "https://me:[redacted]@example.com/x");
/// ```
pub fn shown(url: &Url) -> String {
    match url.password() {
        None => url.to_string(),
        Some(password) => {
            let text = url.as_str();
            // The serialised password sits between the first `:` after `//` and the `@`;
            // replacing that exact span keeps everything else as the URL crate wrote it.
            let start = text.find("//").map_or(0, |i| i + 2);
            let at = text[start..].find('@').map_or(text.len(), |i| start + i);
            let colon = text[start..at].find(':').map_or(at, |i| start + i);
            debug_assert_eq!(&text[colon + 1..at], password);
            format!("{}:[redacted]{}", &text[..colon], &text[at..])
        }
    }
}

/// A URL as given by a user, as it may be shown: through [`shown`] when it parses; otherwise
/// everything from `//` to the last `@` before any `?` or `#` is replaced by `[redacted]`
/// (more than the credentials, perhaps, but never less).
///
/// ```
/// assert_eq!(connectly_net::shown_str("http://u:p@@x:bad/"), "http://[redacted]@x:bad/");
/// assert_eq!(connectly_net::shown_str("http://u:pa/ss@x:bad/"), "http://[redacted]@x:bad/");
/// assert_eq!(connectly_net::shown_str("not a url"), "not a url");
/// ```
pub fn shown_str(given: &str) -> String {
    if let Ok(url) = Url::parse(given) {
        return if url.password().is_some() {
            shown(&url)
        } else {
            given.to_owned()
        };
    }
    let Some(start) = given.find("//").map(|i| i + 2) else {
        return given.to_owned();
    };
    let end = given[start..]
        .find(['?', '#'])
        .map_or(given.len(), |i| start + i);
    match given[start..end].rfind('@') {
        Some(at) => format!("{}[redacted]{}", &given[..start], &given[start + at..]),
        None => given.to_owned(),
    }
}

/// Whether a character must not reach a terminal as it is: control characters (ESC, CR, BEL,
/// newline...) and the bidirectional marks and overrides that reorder what is shown.
pub fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The one printable form of text that came from outside (a server's message, a receiver's
/// answer, a field of an event or a file, a file name): every character of [`is_unprintable`]
/// escaped as Rust writes it (`\u{1b}`, `\r`, `\u{202e}`), everything else as it is. Used for
/// terminal text only; JSON output carries the original text (JSON escapes it itself).
///
/// ```
/// assert_eq!(connectly_net::printable("ok \u{1b}[2J\r\u{202e}"), "ok \\u{1b}[2J\\r\\u{202e}");
/// assert!(matches!(connectly_net::printable("plain"), std::borrow::Cow::Borrowed("plain")));
/// ```
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unprintable) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unprintable(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn loopback_hosts_and_only_those() {
        for yes in [
            "http://127.0.0.1/",
            "http://127.255.0.9:1/",
            "http://0x7f.1/",
            "http://LocalHost:80/",
            "http://[::1]:9/",
        ] {
            assert!(is_loopback(&url(yes)), "{yes}");
            assert_eq!(check_transport(&url(yes)), Ok(()), "{yes}");
        }
        for no in [
            "http://0.0.0.0/",
            "http://128.0.0.1/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost.example.com/",
            "http://example.com/",
            "http://[::]/",
        ] {
            assert!(!is_loopback(&url(no)), "{no}");
            assert_eq!(check_transport(&url(no)), Err(Refusal::PlainHttp), "{no}");
        }
        assert_eq!(check_transport(&url("https://example.com/")), Ok(()));
        assert_eq!(
            check_transport(&url("ftp://127.0.0.1/")),
            Err(Refusal::Scheme("ftp".into()))
        );
        assert!(!is_loopback(&url("file:///etc/passwd")));
    }

    #[test]
    fn shown_hides_passwords() {
        let with = url("http://user:p%40ss:w@127.0.0.1:8/x?y");
        let text = shown(&with);
        assert_eq!(text, "http://user:[redacted]@127.0.0.1:8/x?y");
        assert!(!text.contains("p%40ss") && !text.contains("ss:w"));
        assert_eq!(shown(&url("https://a.b/c")), "https://a.b/c");
        assert_eq!(shown(&url("https://only@a.b/")), "https://only@a.b/");
        assert_eq!(
            shown_str("ftp://user:hunter2@host:99999/"),
            "ftp://[redacted]@host:99999/"
        );
        assert!(!shown_str("https://u:hunter2@[bad/").contains("hunter2"));
    }

    #[test]
    fn printable_escapes_what_drives_a_terminal() {
        assert_eq!(printable("\u{1b}[2Jgone"), "\\u{1b}[2Jgone");
        assert_eq!(printable("a\rb\nc\u{7}"), "a\\rb\\nc\\u{7}");
        assert_eq!(printable("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(
            printable("\u{2066}x\u{2069}\u{200f}"),
            "\\u{2066}x\\u{2069}\\u{200f}"
        );
        assert_eq!(printable("café ✓ 日本"), "café ✓ 日本");
    }
}
