//! `export`, then `apply`.

use super::*;

#[test]
fn export_then_apply_is_a_no_op_and_adopts_in_place() {
    let fake = Fake::start();
    fake.create(&[
        "--topic",
        "messages",
        "--address",
        "https://example.com/m",
        "--type",
        "zapier",
        "--echo",
        "true",
    ]);
    fake.create(&[
        "--topic",
        "delivery_status",
        "--address",
        "https://example.com/d",
        "--channel-type",
        "whatsapp",
        "--filter",
        "campaign_name=it's *",
    ]);
    let before = fake.registrations();
    for format in [&[][..], &["--json"][..]] {
        let mut args = vec!["export"];
        args.extend_from_slice(format);
        let out = fake.cmd(&args).run().code(0);
        if format.is_empty() {
            assert!(
                out.stdout
                    .starts_with("# Exported by `connectly export` from http://127.0.0.1:"),
                "{out:?}"
            );
            for r in &before {
                assert!(
                    out.stdout.contains(r["id"].as_str().unwrap()),
                    "ids in comments: {out:?}"
                );
            }
        }
        let file = ConfigFile::new(&out.stdout);
        connectly(&["validate", &file.path()]).run().code(0);
        fake.mock.clear_requests();
        let out = fake
            .cmd(&["apply", &file.path(), "--prune", "--json"])
            .run()
            .code(0);
        assert_eq!(out.json()["summary"]["unchanged"], 2, "{out:?}");
        assert_eq!(
            fake.request_lines(),
            [format!("GET /v1/businesses/{BIZ}/webhooks")]
        );
        assert_eq!(fake.registrations(), before);
    }
}
