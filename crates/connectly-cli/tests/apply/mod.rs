//! `connectly apply`, `export` and the confirmation rule, against the in-process mock and a
//! loopback proxy in front of it that fails on purpose.

use crate::cli::{is_change, workspace_root, write, BAD_YAML};
use crate::common::{connectly, Fake, Out, Run, BIZ, KEY};
use connectly_mock::RecordedRequest;
use serde_json::{json, Value};

use proxy::{Fault, Proxy};

mod exit_codes;
mod export;
mod failures;
mod interrupt;
mod many;
mod mock_flag;
mod plan;
mod proxy;
mod runs;
mod unreachable;
mod upsert;

// ----------------------------------------------------------------------------------------------
// The first run, the second run, in place, dry run, prune

const BOTH: &str = "\
businessId: biz_cli_test
webhooks:
  - topic: messages
    address: https://example.com/webhook/messages
  - topic: delivery_status
    address: https://example.com/webhook/delivery
    configuration:
      channelTypes: [whatsapp]
      filters:
        - field: campaign_name
          expression: summer-promo-*
";

const MESSAGES_ONLY: &str = "\
businessId: biz_cli_test
webhooks:
  - topic: messages
    address: https://example.com/webhook/messages
";

/// The last line of stdout: the summary.
/// The steps of the first business of an `apply --json` report, in plan order.
fn steps(report: &Value) -> Vec<Value> {
    report["businesses"][0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["steps"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn summary(out: &Out) -> &str {
    out.stdout.lines().last().unwrap_or_default()
}

/// A config file in a temporary directory.
struct ConfigFile {
    dir: tempfile::TempDir,
}

impl ConfigFile {
    fn new(text: &str) -> Self {
        let file = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        file.set(text);
        file
    }

    fn set(&self, text: &str) {
        write(self.dir.path(), "webhooks.yaml", text);
    }

    fn path(&self) -> String {
        self.dir
            .path()
            .join("webhooks.yaml")
            .to_str()
            .unwrap()
            .to_owned()
    }
}

/// Live: messages is a zapier registration, delivery_status has another address. The file
/// wants messages as `custom` (a replace: delete, then create) and delivery_status moved (an
/// update). The change requests, in order: 1 PUT delivery_status, 2 DELETE messages, 3 POST
/// messages.
const WANTED: &str = "\
businessId: biz_cli_test
webhooks:
  - topic: messages
    address: https://example.com/m
  - topic: delivery_status
    address: https://example.com/d2
";

/// Creates a `zapier` registration of `messages` at `/m` (returns its id) beside a custom one of
/// `delivery_status` at `/d`.
fn zapier_messages_beside_delivery(fake: &Fake) -> String {
    let messages = fake.create(&[
        "--topic",
        "messages",
        "--address",
        "https://example.com/m",
        "--type",
        "zapier",
    ]);
    fake.create(&[
        "--topic",
        "delivery_status",
        "--address",
        "https://example.com/d",
    ]);
    messages
}
