//! `connectly events send | verify` (and `connectly mock --deliver-secret`), run for real against
//! an axum receiver started in the test process on loopback. The secret travels in
//! `CONNECTLY_WEBHOOK_SECRET` or `--secret`, and every run checks that it appears in no output.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use crate::common::{connectly, Out};
use assert_cmd::Command;
use axum::http::HeaderMap;
use connectly_tests::{Receiver, Seen};
use connectly_webhook::{parse, sign, Event, Verifier, SIGNATURE_HEADER};
use serde_json::{json, Value};

mod inspect;
mod mock_deliver;
mod send;
mod send_errors;
mod verify;

/// A distinctive secret, so that any leak of it is found in the output.
const SECRET: &str = "whsec_cli_SECRET_4b7c1d";

// ----------------------------------------------------------------------------------------------
// Harness

/// The shared test receiver, verifying with [`SECRET`] and served while the commands run.
fn start_receiver() -> Receiver {
    Receiver::start_blocking(Verifier::new(SECRET))
}

/// `connectly ARGS` with the secret in the environment.
fn with_secret(args: &[&str]) -> Command {
    let mut cmd = connectly(args);
    cmd.env("CONNECTLY_WEBHOOK_SECRET", SECRET);
    cmd
}

/// `connectly events send --to URL --topic TOPIC EXTRA...` with the secret in the environment.
fn send_to(url: &str, topic: &str, extra: &[&str]) -> Command {
    let mut args = vec!["events", "send", "--to", url, "--topic", topic];
    args.extend_from_slice(extra);
    with_secret(&args)
}

/// `connectly events verify ARGS...` with the secret in the environment.
fn verify(args: &[&str]) -> Command {
    with_secret(&[&["events", "verify"], args].concat())
}

/// `connectly events verify --secret SECRET ARGS...`, nothing in the environment.
fn verify_with(secret: &str, args: &[&str]) -> Command {
    connectly(&[&["events", "verify", "--secret", secret], args].concat())
}

trait Run {
    /// Runs to completion; fails the test if the secret shows in any output.
    fn run(&mut self) -> Out;
}

impl Run for Command {
    fn run(&mut self) -> Out {
        crate::common::run_hiding(self, "SECRET_4b7c1d")
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers[name].to_str().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Text that would drive a terminal: clear the screen, go back to the line's start, reverse
/// what follows. Shown as [`HOSTILE_SHOWN`].
const HOSTILE: &str = "\u{1b}[2J\r\u{202e}gnp.exe";
/// [`HOSTILE`] in the printable form (`connectly_net::printable`).
const HOSTILE_SHOWN: &str = r"\u{1b}[2J\r\u{202e}gnp.exe";

/// Neither output holds a character of [`HOSTILE`] as it is (issues 27.6, 33.6).
#[track_caller]
fn assert_nothing_raw(out: &Out) {
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        for c in ['\u{1b}', '\r', '\u{202e}'] {
            assert!(!text.contains(c), "{c:?} reached {name} as it is: {out:#?}");
        }
    }
}

/// A receiver on loopback that answers every request with `status` and `body` (what a broken or
/// hostile receiver could send): its URL. It serves on a thread until the test process ends.
fn answering(status: &'static str, body: &'static str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/webhook", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            // The request's head and the body it announces, then the answer.
            let mut seen = Vec::new();
            let mut buf = [0; 8192];
            loop {
                let n = stream.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if seen.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}
