//! What the `connectly` binary's tests share: running the binary, checking its output never
//! shows a secret, and a mock API on loopback. Only for the tests of connectly-cli, whose
//! build puts the binary where [`Command::cargo_bin`] finds it.

use std::fmt;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use assert_cmd::Command;
use connectly_mock::{MockConfig, MockServer, RecordedRequest};
use serde_json::Value;

/// What a run printed, and how it ended.
pub struct Out {
    /// The exit code.
    pub code: i32,
    /// All of stdout.
    pub stdout: String,
    /// All of stderr.
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

/// Starts the `connectly` binary as a child, set up by `configure` (arguments, environment),
/// with stdin closed and stdout and stderr piped; returns it and the first line it printed on
/// stdout (empty if it printed none).
pub fn spawn_connectly(
    configure: impl FnOnce(&mut std::process::Command),
) -> (std::process::Child, String) {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("connectly"));
    configure(&mut command);
    spawn_reading_first_line(command)
}

/// Starts `command` (the `connectly` binary, or a wrapper that execs it) with stdin closed and
/// stdout and stderr piped; returns it and the first line it printed on stdout (empty if none).
pub fn spawn_reading_first_line(
    mut command: std::process::Command,
) -> (std::process::Child, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    (child, first)
}

/// A `connectly mock` child process, killed when dropped so a failing test leaves no server
/// behind. Its stderr is read line by line on a thread (so it never blocks on a full pipe).
pub struct MockProcess {
    child: std::process::Child,
    stderr: std::sync::mpsc::Receiver<String>,
    /// The stderr lines read so far.
    pub stderr_lines: Vec<String>,
    /// The base URL it printed on its first line.
    pub base_url: String,
}

impl MockProcess {
    /// Starts `connectly mock --listen 127.0.0.1:0 EXTRA...` and reads the base URL it prints.
    pub fn start(extra: &[&str]) -> Self {
        let (process, first) = Self::spawn(extra);
        assert!(
            process.base_url.starts_with("http://127.0.0.1:"),
            "a loopback URL, got {first:?}"
        );
        process
    }

    /// Starts `connectly mock --listen 127.0.0.1:0 EXTRA...`; returns it and the first line it
    /// printed (`base_url` is that line, trimmed).
    pub fn spawn(extra: &[&str]) -> (Self, String) {
        let (mut child, first) = spawn_connectly(|command| {
            command
                .args(["mock", "--listen", "127.0.0.1:0"])
                .args(extra)
                .env_remove("CONNECTLY_API_KEY");
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let process = Self {
            child,
            stderr: rx,
            stderr_lines: Vec::new(),
            base_url: first.trim_end().to_owned(),
        };
        (process, first)
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Reads stderr until a line contains `text` (returned), failing the test after `limit`.
    pub fn wait_for_stderr(&mut self, text: &str, limit: std::time::Duration) -> String {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => {
                    self.stderr_lines.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no stderr line with {text:?} within {limit:?}; got {:#?}",
                    self.stderr_lines
                ),
            }
        }
    }

    /// Sends SIGINT, as Ctrl-C does.
    pub fn interrupt(&self) {
        let status = std::process::Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for it to exit, at most `limit`; `None` if it is still running then.
    pub fn wait_exit(&mut self, limit: std::time::Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + limit;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        None
    }
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A distinctive key, so that any leak of it (or of a part of it) is found in the output.
pub const KEY: &str = "sk_test_SECRET_9f8e7d";
/// The part of [`KEY`] whose appearance in any output fails a test.
pub const KEY_PART: &str = "SECRET_9f8e7d";
/// `connectly webhooks create` of a `messages` registration: the command the tests that need
/// one registration (any) run.
pub const CREATE_MESSAGES: [&str; 6] = [
    "webhooks",
    "create",
    "--topic",
    "messages",
    "--address",
    "https://example.com/m",
];
/// The business id the commands of [`Fake::cmd`] use.
pub const BIZ: &str = "biz_cli_test";

/// A mock server on loopback, with the multi-thread runtime that serves it while the (blocking)
/// commands run. Fields drop in order: the server, then its runtime.
pub struct Fake {
    /// The mock API.
    pub mock: MockServer,
    /// Serves the mock; tests may run their own loopback servers on it too.
    pub rt: tokio::runtime::Runtime,
}

impl Fake {
    /// A mock that accepts [`KEY`].
    pub fn start() -> Self {
        Self::accepting(KEY)
    }

    /// A mock that accepts `key`.
    pub fn accepting(key: &str) -> Self {
        let rt = crate::runtime();
        let mock = rt
            .block_on(MockServer::start_with(MockConfig::default().api_key(key)))
            .unwrap();
        assert!(mock.addr().ip().is_loopback());
        Self { mock, rt }
    }

    /// `connectly ARGS --base-url <mock> --business-id BIZ`, the key in the environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = connectly(args);
        cmd.env("CONNECTLY_API_KEY", KEY).args([
            "--base-url",
            &self.mock.base_url(),
            "--business-id",
            BIZ,
        ]);
        cmd
    }

    /// The requests received.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.mock.requests()
    }

    /// The requests received, as `METHOD PATH`.
    pub fn request_lines(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    /// The registrations of [`BIZ`].
    pub fn registrations(&self) -> Vec<Value> {
        self.mock.registrations(BIZ)
    }

    /// `connectly webhooks create ARGS`, as [`Fake::cmd`].
    pub fn create_cmd(&self, args: &[&str]) -> Command {
        let mut all = vec!["webhooks", "create"];
        all.extend_from_slice(args);
        self.cmd(&all)
    }

    /// Runs `command` (one of [`Fake::cmd`]'s) expecting a usage error: exit code 2, and
    /// nothing sent to the mock.
    pub fn usage_error(&self, command: &mut Command) -> Out {
        let out = command.run().code(2);
        assert!(
            self.requests().is_empty(),
            "a usage error sent a request: {out:?}"
        );
        out
    }

    /// Creates a registration through the CLI; returns its id.
    pub fn create(&self, args: &[&str]) -> String {
        let out = self.create_cmd(args).run().code(0);
        out.stdout.trim_end().to_owned()
    }
}

/// The binary with `ARGS`, none of the CONNECTLY_* variables of the caller's environment, and
/// a timeout so that a hang fails instead of blocking the suite.
pub fn connectly(args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("connectly").unwrap();
    for var in [
        "CONNECTLY_API_KEY",
        "CONNECTLY_BASE_URL",
        "CONNECTLY_BUSINESS_ID",
        "CONNECTLY_WEBHOOK_SECRET",
    ] {
        cmd.env_remove(var);
    }
    // Help is wrapped to the terminal (COLUMNS off one): wide enough here that no line wraps,
    // so tests read one option or verb a line.
    cmd.env("COLUMNS", "1000");
    cmd.args(args).timeout(Duration::from_secs(20));
    cmd
}

/// `connectly webhooks list EXTRA... --base-url http://127.0.0.1:1 --business-id BIZ` with
/// [`KEY`]: nothing listens on port 1 of loopback, so the connection is refused.
pub fn list_unreachable(extra: &[&str]) -> Command {
    list_at("http://127.0.0.1:1", extra)
}

/// `connectly webhooks list EXTRA... --base-url BASE_URL --business-id BIZ` with [`KEY`].
pub fn list_at(base_url: &str, extra: &[&str]) -> Command {
    let mut all = vec!["webhooks", "list"];
    all.extend_from_slice(extra);
    all.extend_from_slice(&["--base-url", base_url, "--business-id", BIZ]);
    let mut cmd = connectly(&all);
    cmd.env("CONNECTLY_API_KEY", KEY);
    cmd
}

/// Running a command and checking that [`KEY`] never shows.
pub trait Run {
    /// Runs to completion; fails the test if the API key shows in any output.
    fn run(&mut self) -> Out;
}

impl Run for Command {
    fn run(&mut self) -> Out {
        run_hiding(self, KEY_PART)
    }
}
