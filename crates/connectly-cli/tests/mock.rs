//! `connectly mock` as a process (request lines, Ctrl-C, `--listen` rule), `--mock`, and
//! `connectly reports list` against the in-process mock.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use assert_cmd::Command;

use crate::common::{connectly, run_hiding, MockProcess, Out};

const KEY: &str = "mock-test-key-5d1f";

fn run(cmd: &mut Command) -> Out {
    run_hiding(cmd, KEY)
}

/// `METHOD PATH` with `key` to the mock process, over a raw connection; returns the status line.
fn request(mock: &MockProcess, method: &str, path: &str, key: &str) -> String {
    let addr = mock.base_url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: x\r\nx-api-key: {key}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn mock_prints_one_line_per_request_on_stderr_and_never_the_key() {
    let mut mock = MockProcess::start(&["--api-key", KEY]);
    assert_eq!(
        request(&mock, "GET", "/v1/businesses/biz_1/webhooks", KEY),
        "HTTP/1.1 200 OK"
    );
    let line = mock.wait_for_stderr("/v1/businesses/biz_1/webhooks", Duration::from_secs(10));
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        fields[..3],
        ["GET", "/v1/businesses/biz_1/webhooks", "200"],
        "{line}"
    );
    assert!(fields[3].ends_with("ms"), "latency: {line}");
    request(
        &mock,
        "DELETE",
        "/v1/businesses/biz_1/delete/webhooks/nope",
        "wrong-key",
    );
    let line = mock.wait_for_stderr("/delete/webhooks/nope", Duration::from_secs(10));
    assert!(
        line.starts_with("DELETE /v1/businesses/biz_1/delete/webhooks/nope 401 "),
        "{line}"
    );
    assert!(
        mock.stderr_lines
            .iter()
            .all(|l| !l.contains(KEY) && !l.contains("wrong-key")),
        "{:#?}",
        mock.stderr_lines
    );
}

#[test]
fn mock_refuses_a_non_loopback_listen_without_the_opt_in_and_a_key_of_ones_own() {
    for args in [
        vec!["mock", "--listen", "0.0.0.0:0"],
        vec!["mock", "--listen", "0.0.0.0:0", "--allow-non-loopback"],
        vec!["mock", "--listen", "[::]:0", "--api-key", KEY],
        vec![
            "mock",
            "--listen",
            "0.0.0.0:0",
            "--allow-non-loopback",
            "--api-key",
            "mock-api-key",
        ],
    ] {
        let out = run(&mut connectly(&args)).code(2);
        assert!(out.stdout.is_empty(), "it never listened: {out:?}");
        assert!(out.stderr.contains("not a loopback address"), "{out:?}");
    }
}

#[test]
fn mock_stops_at_once_on_a_second_ctrl_c() {
    let mut mock = MockProcess::start(&[]);
    // A request in flight whose body never comes: a graceful stop waits for it (up to the body
    // timeout). `expect: 100-continue` makes the mock say when it starts reading the body.
    let addr = mock.base_url.trim_start_matches("http://").to_owned();
    let mut stalled = TcpStream::connect(&addr).unwrap();
    stalled
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stalled,
        "POST /v1/businesses/biz_1/create/webhooks HTTP/1.1\r\nhost: x\r\nx-api-key: {}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\nexpect: 100-continue\r\n\r\n",
        connectly_mock::DEFAULT_API_KEY
    )
    .unwrap();
    let mut continue_line = [0u8; 25];
    stalled.read_exact(&mut continue_line).unwrap();
    assert!(
        continue_line.starts_with(b"HTTP/1.1 100 Continue"),
        "{}",
        String::from_utf8_lossy(&continue_line)
    );

    mock.interrupt();
    mock.wait_for_stderr("Ctrl-C again", Duration::from_secs(10));
    assert!(
        mock.is_running(),
        "the first Ctrl-C waits for the request in flight"
    );
    mock.interrupt();
    let status = mock
        .wait_exit(connectly_mock::BODY_READ_TIMEOUT / 2)
        .expect("stopped at once on the second Ctrl-C");
    assert!(status.success(), "{status:?}");
    mock.wait_for_stderr("stopped at once", Duration::from_secs(10));
}

#[test]
fn mock_help_has_the_deliver_contract_from_the_mock_crate() {
    let out = run(&mut connectly(&["mock", "--help"])).code(0);
    for line in connectly_mock::deliver::CONTRACT
        .lines()
        .filter(|l| !l.starts_with("```"))
    {
        assert!(out.stdout.contains(line), "{line:?} missing from {out:?}");
    }
    assert!(!out.stdout.contains("```"), "{out:?}");
    assert!(out.stdout.contains(&connectly_mock::deliver::facts()));
}

#[test]
fn mock_flag_says_on_stderr_that_its_state_ends_with_the_command() {
    let out = run(&mut connectly(&[
        "webhooks",
        "list",
        "--mock",
        "--business-id",
        "biz_1",
    ]))
    .code(0);
    assert!(
        out.stderr.contains("its state ends with this command"),
        "{out:?}"
    );
}

#[test]
fn reports_list_prints_a_table_and_json() {
    let out = run(&mut connectly(&[
        "reports",
        "list",
        "--mock",
        "--business-id",
        "biz_1",
    ]))
    .code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{out:?}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        ["TYPE", "NAME", "LAST", "RUN", "CREATED", "EXPIRES", "URL"]
    );
    assert!(lines[1].starts_with("campaign.daily.v1 "), "{out:?}");
    assert!(lines[1].contains(" completed "), "{out:?}");
    assert!(lines[2].starts_with("campaign.monthly.v1 "), "{out:?}");

    let out = run(&mut connectly(&[
        "reports",
        "list",
        "--type",
        "campaign.monthly.v1",
        "--json",
        "--mock",
        "--business-id",
        "biz_1",
    ]))
    .code(0);
    let json = out.json();
    assert_eq!(json["businessId"], "biz_1");
    let reports = json["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 1, "{json}");
    assert_eq!(reports[0]["type"], "campaign.monthly.v1");
    assert_eq!(reports[0]["lastRun"]["status"], "completed");
    assert!(reports[0]["lastRun"]["result"]["url"]
        .as_str()
        .unwrap()
        .starts_with("https://"));

    // An empty type is a usage error; nothing is sent.
    run(&mut connectly(&[
        "reports",
        "list",
        "--type",
        "",
        "--mock",
        "--business-id",
        "biz_1",
    ]))
    .code(2);
}

#[test]
fn mock_accepts_every_api_key_given_the_default_one_too() {
    // The default key given first used to be dropped by the second --api-key.
    let mock = MockProcess::start(&[
        "--api-key",
        connectly_mock::DEFAULT_API_KEY,
        "--api-key",
        KEY,
        "--max-connections",
        "4",
    ]);
    for key in [connectly_mock::DEFAULT_API_KEY, KEY] {
        assert_eq!(
            request(&mock, "GET", "/v1/businesses/biz_1/webhooks", key),
            "HTTP/1.1 200 OK",
            "{key}"
        );
    }
    assert_eq!(
        request(&mock, "GET", "/v1/businesses/biz_1/webhooks", "other"),
        "HTTP/1.1 401 Unauthorized"
    );
}

#[test]
fn mock_refuses_zero_max_connections() {
    let out = run(&mut connectly(&["mock", "--max-connections", "0"]));
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--max-connections"), "{}", out.stderr);
}
