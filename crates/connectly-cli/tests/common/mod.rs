//! What the CLI test files share: running the binary, and checking its output never shows a
//! secret.

#![allow(dead_code)] // each test file uses its own part

use std::fmt;

use assert_cmd::Command;
use serde_json::Value;

/// What a run printed, and how it ended.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Debug for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit code {}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Out {
    /// Checks the exit code.
    pub fn code(self, expected: i32) -> Self {
        assert_eq!(self.code, expected, "unexpected exit code: {self:?}");
        self
    }

    /// Stdout as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {self:?}"))
    }

    /// The `FILE:LINE:COL` of each `FILE:LINE:COL: error: ...` line of stderr.
    pub fn located(&self) -> Vec<String> {
        self.stderr
            .lines()
            .filter_map(|line| line.split_once(": error: ").map(|(at, _)| at.to_owned()))
            .collect()
    }
}

/// Runs `command` to completion; fails the test if `secret` shows on stdout or stderr.
pub fn run_hiding(command: &mut Command, secret: &str) -> Out {
    let output = command.output().unwrap();
    let out = Out {
        code: output
            .status
            .code()
            .expect("the command exited on its own (not killed)"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !text.contains(secret),
            "the secret appears on {name}: {out:?}"
        );
    }
    out
}

/// A `connectly mock` child process, killed when dropped so a failing test leaves no server
/// behind.
pub struct MockProcess {
    child: std::process::Child,
    /// The base URL it printed on its first line.
    pub base_url: String,
}

impl MockProcess {
    /// Starts `connectly mock --listen 127.0.0.1:0 EXTRA...` and reads the base URL it prints.
    pub fn start(extra: &[&str]) -> Self {
        use std::io::{BufRead, BufReader};
        use std::process::Stdio;
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("connectly"))
            .args(["mock", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env_remove("CONNECTLY_API_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let process = Self {
            child,
            base_url: first.trim_end().to_owned(),
        };
        assert!(
            process.base_url.starts_with("http://127.0.0.1:"),
            "a loopback URL, got {first:?}"
        );
        process
    }
}

impl MockProcess {
    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
