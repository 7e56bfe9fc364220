//! The `Examples:` (and other closing) sections of each verb's `--help`; the man pages and the
//! help snapshots (`tests/snapshots/`) come from the same text.

/// The exit codes, the one table that `--help`, the man page's EXIT STATUS and `docs/` show.
pub(crate) const EXIT_CODES: [(u8, &str); 5] = [
    (0, "success; no drift for a dry run"),
    (1, "failure: the API refused or failed, a file is invalid, a plan could not be applied, a destructive step was not confirmed"),
    (2, "usage error: bad arguments, no API key, no business id"),
    (3, "changes pending (apply --dry-run --exit-code, webhooks create --upsert --dry-run): any difference, replaces and extra registrations included"),
    (130, "interrupted (Ctrl-C, SIGTERM): apply reports what was done, not attempted and unknown"),
];

const MAIN_EXAMPLES: &str = "\
Examples:
  connectly apply examples/webhooks.yaml --mock --dry-run      # try it with no account
  connectly webhooks list --business-id biz_1 --json | jq -r '.webhooks[].id'
  connectly completions bash > ~/.local/share/bash-completion/completions/connectly";

const ENVIRONMENT: &str = "\
Environment:
  CONNECTLY_API_KEY         the API key (or --api-key-file; never printed)
  CONNECTLY_BASE_URL        the API base URL (--base-url)
  CONNECTLY_BUSINESS_ID     the business (--business-id)
  CONNECTLY_WEBHOOK_SECRET  the webhook secret of `events send`, `verify` and `inspect` (--secret; never printed)
  NO_COLOR                  no colour on stderr (unless --color always)";

/// `connectly --help`'s closing text: examples, [`EXIT_CODES`] and the environment.
pub(crate) fn main() -> String {
    let codes: Vec<String> = EXIT_CODES
        .iter()
        .map(|(code, meaning)| format!("  {code:<3}  {meaning}"))
        .collect();
    format!(
        "{MAIN_EXAMPLES}\n\nExit codes:\n{}\n\n{ENVIRONMENT}",
        codes.join("\n")
    )
}

/// The main man page's closing text: the same without the exit codes, which have a section of
/// their own (EXIT STATUS).
pub(crate) fn main_for_man() -> String {
    format!("{MAIN_EXAMPLES}\n\n{ENVIRONMENT}")
}

pub(crate) const WEBHOOKS: &str = "\
Examples:
  export CONNECTLY_API_KEY=... CONNECTLY_BUSINESS_ID=biz_1
  connectly webhooks create --topic messages --address https://example.com/webhook
  connectly webhooks list
  connectly webhooks update ID --address https://example.com/new
  connectly webhooks delete ID --yes";

pub(crate) const CREATE: &str = "\
Examples:
  connectly webhooks create --business-id biz_1 --topic messages --address https://example.com/webhook
  connectly webhooks create --business-id biz_1 --topic delivery_status \\
      --address https://example.com/status --channel-type whatsapp --filter 'campaign_name=promo-*'
  connectly webhooks create --mock --business-id biz_1 --topic messages \\
      --address https://example.com/webhook --json      # {\"id\": ...}";

pub(crate) const LIST: &str = "\
Examples:
  connectly webhooks list --business-id biz_1
  connectly webhooks list --business-id biz_1 --json | jq -r '.webhooks[] | [.id, .topic] | @tsv'";

pub(crate) const UPDATE: &str = "\
Examples:
  connectly webhooks update ID --address https://example.com/new
  connectly webhooks update ID --echo true --channel-type whatsapp";

pub(crate) const DELETE: &str = "\
Examples:
  connectly webhooks delete ID          # asks first on a terminal
  connectly webhooks delete ID --yes    # in scripts";

pub(crate) const VALIDATE: &str = "\
Examples:
  connectly validate examples/webhooks.yaml
  connectly validate config/*.yaml --json
  generate-config | connectly validate -";

pub(crate) const SCHEMA: &str = "\
Examples:
  connectly schema > webhooks-config.schema.json      # for an editor's YAML language server
  connectly schema registration | jq '.properties | keys'";

pub(crate) const APPLY: &str = "\
Examples:
  connectly apply examples/webhooks.yaml --dry-run    # print the plan, change nothing
  connectly apply examples/webhooks.yaml              # create and update in place
  connectly apply examples/webhooks.yaml --prune      # also delete what is not in the file (asks)
  connectly apply config/ --prune --yes --parallel 8  # one file per business; --yes off a terminal
  connectly apply config/ --dry-run --exit-code       # CI drift check: exit 3 when changes are pending
  connectly apply - --json < webhooks.yaml

Deletions and replacements (delete, then create: events in between are lost) need --prune and a
confirmation: asked on a terminal, --yes off one. An entry that needs --prune, or any invalid
file, stops the run before anything is written.";

pub(crate) const EXPORT: &str = "\
Examples:
  connectly export --business-id biz_1 > config/biz_1.yaml   # adopt what exists
  connectly apply config/biz_1.yaml --dry-run                 # no changes";

pub(crate) const EVENTS: &str = "\
Examples:
  export CONNECTLY_WEBHOOK_SECRET=whsec_...
  connectly events send --to http://127.0.0.1:3000/webhook --topic messages
  connectly events verify --signature \"$SIG\" body.json
  connectly events inspect --signature \"$SIG\" body.json";

pub(crate) const COMPLETIONS: &str = "\
Examples:
  connectly completions bash > ~/.local/share/bash-completion/completions/connectly
  connectly completions zsh > ~/.zfunc/_connectly       # with fpath+=(~/.zfunc) in .zshrc
  connectly completions fish > ~/.config/fish/completions/connectly.fish
  connectly completions powershell >> $PROFILE
  connectly completions elvish >> ~/.config/elvish/rc.elv";

pub(crate) const MAN: &str = "\
Examples:
  connectly man | man -l -
  connectly man --dir ~/.local/share/man/man1          # one page per verb: connectly-webhooks-list.1, ...";
