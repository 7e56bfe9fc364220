//! Failures say what happened, and a re-run converges.

use super::*;

fn outcomes(report: &Value) -> Vec<String> {
    // Plan order: messages (delete, create), then delivery_status (update).
    steps(report)
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["op"].as_str().unwrap(),
                s["outcome"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn each_failure_point_reports_the_true_state_and_a_rerun_converges() {
    use Fault::{DropAfter, FailBefore};
    let cases: [(Fault, [&str; 3]); 6] = [
        (
            FailBefore(1),
            [
                "delete not attempted",
                "create not attempted",
                "update failed",
            ],
        ),
        (
            DropAfter(1),
            [
                "delete not attempted",
                "create not attempted",
                "update unknown",
            ],
        ),
        (
            FailBefore(2),
            ["delete failed", "create not attempted", "update done"],
        ),
        (
            DropAfter(2),
            ["delete unknown", "create not attempted", "update done"],
        ),
        (
            FailBefore(3),
            ["delete done", "create failed", "update done"],
        ),
        (
            DropAfter(3),
            ["delete done", "create unknown", "update done"],
        ),
    ];
    for (fault, expected) in cases {
        let label = match &fault {
            FailBefore(k) => format!("fail before change {k}"),
            DropAfter(k) => format!("drop after change {k}"),
            _ => unreachable!(),
        };
        let fake = Fake::start();
        let old = zapier_messages_beside_delivery(&fake);
        let file = ConfigFile::new(WANTED);
        let proxy = Proxy::start(&fake, fault.clone());
        let mut cmd = connectly(&["apply", &file.path(), "--prune", "--yes", "--json"]);
        cmd.env("CONNECTLY_API_KEY", KEY)
            .args(["--base-url", &proxy.base_url]);
        let out = cmd.run().code(1);
        let report = out.json();
        assert_eq!(outcomes(&report), expected, "{label}: {out:?}");

        // The report is the truth: what it says done or unknown-but-carried-out is live.
        let live = fake.registrations();
        let messages = live.iter().find(|r| r["topic"] == "messages");
        let delivery = live
            .iter()
            .find(|r| r["topic"] == "delivery_status")
            .unwrap();
        let updated = matches!(
            fault,
            DropAfter(1) | FailBefore(2) | DropAfter(2) | FailBefore(3) | DropAfter(3)
        );
        assert_eq!(
            delivery["address"] == "https://example.com/d2",
            updated,
            "{label}: {live:?}"
        );
        match &fault {
            FailBefore(1) | DropAfter(1) | FailBefore(2) => {
                assert_eq!(messages.unwrap()["id"], old.as_str(), "{label}")
            }
            DropAfter(2) | FailBefore(3) => assert!(messages.is_none(), "{label}: {live:?}"),
            _ => assert_ne!(messages.unwrap()["id"], old.as_str(), "{label}"),
        }
        if let FailBefore(3) = fault {
            // The old registration is gone: say so, and how to restore it.
            let hint = out
                .stderr
                .lines()
                .find(|l| l.contains(&old))
                .unwrap_or_else(|| panic!("{label}: a hint naming the deleted id: {out:?}"));
            assert!(hint.contains("deleted"), "{hint}");
            assert!(
                hint.contains(&format!(
                    "connectly webhooks create --business-id {BIZ} --topic messages --address https://example.com/m --type zapier"
                )),
                "{hint}"
            );
        }

        // A re-run (no fault now) converges, and then nothing is pending.
        fake.cmd(&["apply", &file.path(), "--prune", "--yes"])
            .run()
            .code(0);
        fake.cmd(&["apply", &file.path(), "--dry-run", "--exit-code"])
            .run()
            .code(0);
        let live = fake.registrations();
        assert_eq!(live.len(), 2, "{label}: {live:?}");
        assert!(
            live.iter()
                .all(|r| r.get("type").is_none_or(|t| t == "custom")),
            "{label}: {live:?}"
        );
    }
}
