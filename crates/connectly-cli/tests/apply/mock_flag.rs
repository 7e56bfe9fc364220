//! `apply --mock`.

use super::*;

#[test]
fn apply_example_with_mock_needs_no_api_key() {
    let out = connectly(&["apply", "examples/webhooks.yaml", "--mock"])
        .current_dir(workspace_root())
        .run()
        .code(0);
    assert!(out.stderr.contains("in-process fake"), "{out:?}");
    assert!(summary(&out).starts_with("applied: 2 created"), "{out:?}");
}

#[test]
fn apply_rate_spaces_the_requests() {
    // The list and two creates at 2 requests per second: the third waits for its turn, 1 s after
    // the first (a lower bound only; without the limit the run takes milliseconds).
    let started = std::time::Instant::now();
    let out = connectly(&["apply", "examples/webhooks.yaml", "--mock", "--rate", "2"])
        .current_dir(workspace_root())
        .run()
        .code(0);
    assert!(summary(&out).starts_with("applied: 2 created"), "{out:?}");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= std::time::Duration::from_millis(950),
        "3 requests at --rate 2 took {elapsed:?}"
    );
}
