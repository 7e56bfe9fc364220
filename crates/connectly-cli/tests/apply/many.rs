//! Many businesses.

use super::*;

#[test]
fn fifty_files_apply_with_parallel_8_and_a_second_run_changes_nothing() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..50 {
        write(
            dir.path(),
            &format!("biz{i:02}.yaml"),
            &format!(
                "businessId: biz_{i:02}\nwebhooks:\n  - topic: messages\n    address: https://example.com/{i}/m\n  \
                 - topic: delivery_status\n    address: https://example.com/{i}/d\n"
            ),
        );
    }
    let run = |extra: &[&str]| {
        let mut cmd = connectly(&[
            "apply",
            dir.path().to_str().unwrap(),
            "--parallel",
            "8",
            "--json",
        ]);
        cmd.env("CONNECTLY_API_KEY", KEY)
            .args(["--base-url", &fake.mock.base_url()])
            .args(extra);
        cmd.run()
    };
    let report = run(&[]).code(0).json();
    assert_eq!(report["summary"]["created"], 100);
    assert_eq!(report["summary"]["businesses"], 50);
    let businesses = report["businesses"].as_array().unwrap();
    assert_eq!(
        businesses[7]["businessId"], "biz_07",
        "results kept apart, in file order"
    );
    for i in 0..50 {
        let live = fake.mock.registrations(&format!("biz_{i:02}"));
        assert_eq!(live.len(), 2);
        assert_eq!(live[0]["address"], format!("https://example.com/{i}/m"));
    }
    fake.mock.clear_requests();
    let report = run(&[]).code(0).json();
    assert_eq!(report["summary"]["unchanged"], 100);
    assert!(fake.requests().iter().all(|r| r.method == "GET"));
    run(&["--dry-run", "--exit-code"]).code(0);
}

#[test]
fn a_failing_business_does_not_stop_the_others() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    for biz in ["biz_a", "biz_b"] {
        write(
            dir.path(),
            &format!("{biz}.yaml"),
            &format!("businessId: {biz}\nwebhooks:\n  - topic: messages\n    address: https://example.com/m\n"),
        );
    }
    // biz_b's create fails: the proxy answers 500 to the first POST of biz_b.
    let proxy = Proxy::start(
        &fake,
        Fault::FailPath("/v1/businesses/biz_b/create/webhooks".into()),
    );
    let mut cmd = connectly(&["apply", dir.path().to_str().unwrap(), "--json"]);
    cmd.env("CONNECTLY_API_KEY", KEY)
        .args(["--base-url", &proxy.base_url]);
    let out = cmd.run().code(1);
    let report = out.json();
    assert_eq!(report["businesses"][0]["status"], "applied");
    assert_eq!(report["businesses"][1]["status"], "failed");
    assert_eq!(report["summary"]["businessesFailed"], 1);
    assert_eq!(fake.mock.registrations("biz_a").len(), 1);
    assert!(fake.mock.registrations("biz_b").is_empty());
}
