//! 7. schema.

use super::*;

#[test]
fn schema_subcommands_print_the_committed_schemas() {
    let schemas = workspace_root().join("schemas");
    for (args, file) in [
        (
            &["schema", "registration"][..],
            "create-webhook.schema.json",
        ),
        (&["schema", "config"], "webhooks-config.schema.json"),
        (&["schema"], "webhooks-config.schema.json"),
        (&["schema", "update"], "update-webhook.schema.json"),
    ] {
        let out = connectly(args).run().code(0);
        let committed: Value =
            serde_json::from_str(&std::fs::read_to_string(schemas.join(file)).unwrap()).unwrap();
        assert_eq!(out.json(), committed, "{args:?} prints {file}");
    }
}
