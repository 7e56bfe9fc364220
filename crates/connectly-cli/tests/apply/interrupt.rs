//! SIGINT in the middle of an apply.

use super::*;

/// Issue 32, finding 4: SIGINT in the middle of a long apply (12 businesses at 4 requests a
/// second) starts no new request, lets those in flight end, exits 130 and reports exactly what
/// was done and not attempted: the counts match the mock's request log.
#[cfg(unix)]
#[test]
fn sigint_mid_apply_reports_what_was_done_and_exits_130() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..12 {
        write(
            dir.path(),
            &format!("b{i:02}.yaml"),
            &format!(
                "businessId: biz_{i:02}\nwebhooks:\n  - topic: messages\n    address: https://example.com/{i}\n"
            ),
        );
    }
    let creates = || {
        fake.requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/create/webhooks"))
            .count()
    };
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("connectly"))
        .args(["--json", "apply"])
        .arg(dir.path())
        .args(["--rate", "4", "--parallel", "2", "--base-url"])
        .arg(fake.mock.base_url())
        .env("CONNECTLY_API_KEY", KEY)
        .env_remove("CONNECTLY_BUSINESS_ID")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (polling, with a deadline) until some creates went through, then interrupt.
    let deadline = Instant::now() + Duration::from_secs(20);
    while creates() < 3 {
        assert!(Instant::now() < deadline, "no creates within 20 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["status"], "interrupted", "{report}");
    let steps: Vec<&Value> = report["businesses"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["actions"].as_array().unwrap())
        .flat_map(|a| a["steps"].as_array().unwrap())
        .collect();
    let count = |outcome: &str| steps.iter().filter(|s| s["outcome"] == outcome).count();
    let sent = creates();
    assert_eq!(steps.len(), 12, "{report}");
    assert_eq!(count("done"), sent, "{report}");
    assert_eq!(count("unknown"), 0, "{report}");
    assert_eq!(count("not attempted"), 12 - sent, "{report}");
    assert!(
        sent < 12,
        "the interrupt came too late to test anything: {report}"
    );
}
