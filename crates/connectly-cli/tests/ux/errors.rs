//! Errors: the cause chain and a hint, retries, timeouts.

use super::*;

// ----------------------------------------------------------------------------------------------
// Errors: the cause chain and a hint

#[test]
fn connection_refused_prints_the_cause_chain_and_asks_whether_the_mock_runs() {
    // Port 1 on loopback: nothing listens there.
    let out = list_unreachable(&[]).run().code(1);
    // After the retries' lines (one per retry).
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .skip_while(|l| l.starts_with("retrying "))
        .collect();
    assert!(lines[0].starts_with("error: "), "{out:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  caused by: ") && l.contains("Connection refused")),
        "the root cause is shown: {out:?}"
    );
    assert!(
        out.stderr.contains("is the mock") && out.stderr.contains("connectly mock"),
        "{out:?}"
    );
}

#[test]
fn a_timeout_says_how_long_it_waited_and_which_flag_sets_it() {
    // A listener that never accepts: the kernel completes the connection, nobody answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let out = list_at(&url, &["--timeout", "0.5", "--retries", "0"])
        .run()
        .code(1);
    assert!(
        out.stderr
            .contains(" over 1 attempt of up to 0.5 s; pass --timeout SECONDS"),
        "{out:?}"
    );
    assert!(!out.stderr.contains("retrying"), "{out:?}");

    let out = list_at(&url, &["--timeout", "0.5", "--json"]).run().code(1);
    assert_eq!(json_error(&out)["kind"], "timeout", "{out:?}");
}

/// Each retry is a line on stderr before its wait, and the timeout hint states the time the call
/// took over all its attempts, measured.
#[test]
fn retries_are_printed_and_the_timeout_hint_states_the_total() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let out = list_at(&url, &["--timeout", "1", "--retries", "2"])
        .run()
        .code(1);
    let retrying: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("retrying"))
        .collect();
    assert_eq!(retrying.len(), 2, "{out:?}");
    for (line, attempt) in retrying.iter().zip(2..) {
        let prefix = format!("retrying GET /v1/businesses/{BIZ}/webhooks in ");
        let suffix =
            format!(" s (attempt {attempt} of 3): timed out waiting for Connectly's answer");
        assert!(line.starts_with(&prefix), "{line}");
        assert!(line.contains(&suffix), "{line}");
    }
    let hint = out
        .stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("hint: waited "))
        .unwrap_or_else(|| panic!("a hint: {out:?}"));
    let (seconds, rest) = hint.split_once(" s ").unwrap();
    assert_eq!(
        rest, "over 3 attempts of up to 1 s each; pass --timeout SECONDS to wait longer",
        "{out:?}"
    );
    // Three attempts of 1 s and two waits of at least 0.1 s; the waits are at most 0.5 and 1 s.
    let seconds: f64 = seconds.parse().unwrap();
    assert!((3.2..6.0).contains(&seconds), "{out:?}");
}

/// A plain-HTTP server: answers anything (a TLS ClientHello included) with a 400.
fn plain_http_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buffer = [0; 1024];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    port
}

#[test]
fn https_to_a_plain_local_receiver_suggests_http() {
    let port = plain_http_server();
    let to = format!("https://127.0.0.1:{port}/webhook");
    let out = connectly(&[
        "events", "send", "--to", &to, "--topic", "messages", "--secret", "whsec_x",
    ])
    .run()
    .code(1);
    assert!(
        out.stderr
            .contains(&format!("use --to http://127.0.0.1:{port}/webhook")),
        "{out:?}"
    );
}
