//! The `connectly` binary, run for real against a `connectly_mock::MockServer` started in the
//! test process on loopback. The API key always travels in `CONNECTLY_API_KEY` (or a key file),
//! never in the arguments, and every run checks that it appears in no output.

use std::path::{Path, PathBuf};

use crate::common::{connectly, list_unreachable, Fake, Out, Run, BIZ, CREATE_MESSAGES, KEY};
use connectly_mock::RecordedRequest;
use serde_json::{json, Value};

mod api_key;
mod create;
mod list_update_delete;
mod mock_cmd;
mod schema;
mod usage;
mod validate;

/// The documented Create Webhook examples: the flags that build each one, and its body.
fn documented_examples() -> Vec<(Vec<&'static str>, Value)> {
    vec![
        (
            vec![
                "--topic",
                "messages",
                "--address",
                "https://example.com/webhook/messages",
            ],
            json!({"topic": "messages", "address": "https://example.com/webhook/messages"}),
        ),
        (
            vec![
                "--topic",
                "delivery_status",
                "--address",
                "https://example.com/webhook/delivery",
            ],
            json!({"topic": "delivery_status", "address": "https://example.com/webhook/delivery"}),
        ),
        (
            vec![
                "--topic",
                "delivery_status",
                "--address",
                "https://example.com/webhook/delivery",
                "--channel-type",
                "whatsapp",
                "--filter",
                "campaign_name=summer-promo-*",
            ],
            json!({
                "topic": "delivery_status",
                "address": "https://example.com/webhook/delivery",
                "configuration": {
                    "channelTypes": ["whatsapp"],
                    "filters": [{"field": "campaign_name", "expression": "summer-promo-*"}]
                }
            }),
        ),
    ]
}

// ----------------------------------------------------------------------------------------------
// Harness

pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

pub(crate) fn is_change(request: &RecordedRequest) -> bool {
    request.method != "GET"
}

// ----------------------------------------------------------------------------------------------
// 6. validate

pub(crate) const BAD_YAML: &str = "\
businessId: biz_1
webhooks:
  - topic: messages
    adress: https://example.com/a
  - topic: delivery_status
    address: https://example.com/b
    type: carrier_pigeon
  - topic: messages
    address: http://example.com/c
  - address: https://example.com/d
";
