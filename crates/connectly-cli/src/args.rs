//! The `connectly` command line as clap reads it: the verbs, their flags, and the global and API
//! options. `--help`, the man pages, the completions and `docs/cli.md` all come from here.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{NonEmptyStringValueParser, PossibleValuesParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use connectly_schema::SchemaKind;

use crate::events::EventsCommand;
use crate::output::ColorWhen;
use crate::{help, mock, relay, reports};

/// Manage Connectly webhooks: register them, validate webhooks config files, apply a config
/// file idempotently, send and verify signed test events, and try it all against a local fake
/// API (`--mock`).
#[derive(Parser, Debug)]
#[command(name = "connectly", version, after_help = help::main())]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The options of every verb.
#[derive(Args, Debug)]
#[command(next_help_heading = "Global options")]
pub(crate) struct Global {
    /// Machine-readable JSON on stdout: one document per run, errors included (README, "JSON
    /// output").
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// When to colour errors on stderr [default: auto: on a terminal, unless NO_COLOR is set].
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto, hide_default_value = true)]
    pub(crate) color: ColorWhen,
    /// Trace to stderr: -v each call and retry, -vv more detail, -vvv the HTTP stack
    /// (RUST_LOG, when set, chooses instead). Never shows the API key.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub(crate) verbose: u8,
    /// Print no status lines, retries or progress on stderr (results, warnings and errors
    /// still).
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
}

/// The options of the verbs that call the Connectly API.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "API options")]
pub(crate) struct ApiArgs {
    /// The API base URL (HTTPS; plain http only for loopback).
    #[arg(long, global = true, env = "CONNECTLY_BASE_URL", default_value = connectly_client::DEFAULT_BASE_URL, value_name = "URL")]
    pub(crate) base_url: String,
    /// Read the API key from this file instead of CONNECTLY_API_KEY.
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) api_key_file: Option<PathBuf>,
    /// The business whose webhooks to manage.
    #[arg(long, global = true, env = "CONNECTLY_BUSINESS_ID", value_name = "ID", value_parser = NonEmptyStringValueParser::new())]
    pub(crate) business_id: Option<String>,
    #[command(flatten)]
    pub(crate) timeout: TimeoutArg,
    /// Run against an in-process fake Connectly API instead of the real one (its state ends
    /// with the command).
    #[arg(long, global = true)]
    pub(crate) mock: bool,
    /// Retries of a failed call: after connection failures, 429, 502, 503 and 504, with backoff
    /// and Retry-After; a create only when it certainly was not applied. 0 disables.
    #[arg(long, global = true, value_name = "N", default_value_t = connectly_client::DEFAULT_MAX_RETRIES,
          value_parser = clap::value_parser!(u32).range(0..=i64::from(connectly_client::MAX_RETRIES)))]
    pub(crate) retries: u32,
    /// At most N requests per second from this command, shared by all `--parallel` workers
    /// (retries count), to stay under Connectly's rate limits [default: no limit].
    #[arg(long, global = true, value_name = "N")]
    pub(crate) rate: Option<u32>,
}

/// `--timeout`.
#[derive(Args, Debug, Clone)]
pub(crate) struct TimeoutArg {
    #[arg(long = "timeout", global = true, value_name = "SECONDS", value_parser = parse_timeout,
          help = format!("Time allowed for each whole request, in seconds [default: {}]",
                         connectly_client::DEFAULT_TIMEOUT.as_secs()))]
    pub(crate) seconds: Option<Duration>,
}

impl TimeoutArg {
    /// `--timeout`, or the client's default.
    pub(crate) fn duration(&self) -> Duration {
        self.seconds.unwrap_or(connectly_client::DEFAULT_TIMEOUT)
    }
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| "expected a positive number of seconds".to_owned())
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Create, list, update and delete webhook registrations.
    #[command(after_help = help::WEBHOOKS)]
    Webhooks {
        #[command(flatten)]
        api: ApiArgs,
        #[command(subcommand)]
        command: WebhooksCommand,
    },
    /// Validate webhooks config files (YAML or JSON; `-` reads stdin); every error is reported
    /// with its file, line, column and JSON pointer.
    #[command(after_help = help::VALIDATE)]
    Validate {
        /// The files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
    /// Print a JSON Schema.
    #[command(after_help = help::SCHEMA)]
    Schema {
        /// Which schema.
        #[arg(value_enum, default_value_t = WhichSchema::Config)]
        which: WhichSchema,
    },
    /// Make the live registrations match config files (one business each): create what is
    /// missing, update in place what differs, leave equal ones alone; with --prune also delete
    /// and replace. The whole plan is made before anything is written.
    #[command(after_help = help::APPLY)]
    Apply {
        /// Config files (YAML or JSON; `-` reads stdin), or directories of them.
        #[arg(value_name = "FILE", required = true)]
        files: Vec<String>,
        /// Print the plan (with every field that changes) and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// With --dry-run: exit 3 when changes are pending, 0 when none (drift detection).
        #[arg(long, requires = "dry_run")]
        exit_code: bool,
        /// Also delete registrations that are not in the files, and replace (delete, then
        /// create: a gap in delivery) those whose type differs.
        #[arg(long)]
        prune: bool,
        /// Confirm deletions, replacements and updates that remove configuration (required off
        /// a terminal; asked on one).
        #[arg(long)]
        yes: bool,
        /// How many businesses to work on at once.
        #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
        parallel: u16,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Print the live registrations of a business as a config file (YAML, or JSON) that
    /// `connectly apply` adopts as is.
    #[command(after_help = help::EXPORT)]
    Export {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Run the fake Connectly API in the foreground until Ctrl-C.
    #[command(after_help = mock::help())]
    Mock(mock::MockArgs),
    /// List the reports of the Reports product (the latest run of each, with a download URL).
    #[command(after_help = reports::EXAMPLES)]
    Reports {
        #[command(flatten)]
        api: ApiArgs,
        #[command(subcommand)]
        command: reports::ReportsCommand,
    },
    /// Send signed test events to a receiver, verify signatures, inspect bodies.
    #[command(subcommand, after_help = help::EVENTS)]
    Events(EventsCommand),
    /// Receive events so that none is lost: a 200 only once stored on disk, then forwarded to
    /// your handler with retries, dead letters and replay.
    #[command(subcommand)]
    Relay(relay::RelayCommand),
    /// Print a shell completion script.
    #[command(after_help = help::COMPLETIONS)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per verb into a directory.
    #[command(after_help = help::MAN)]
    Man {
        /// Write connectly.1, connectly-webhooks.1, connectly-webhooks-list.1, ... into DIR.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub(crate) enum WhichSchema {
    /// One registration (the Create Webhook body).
    Registration,
    /// A webhooks config file.
    Config,
    /// The Update Webhook body.
    Update,
    /// An event Connectly POSTs to a registered address.
    Event,
}

#[derive(Subcommand, Debug)]
pub(crate) enum WebhooksCommand {
    /// Register an address for a topic; prints the new id.
    #[command(after_help = help::CREATE)]
    Create {
        /// The event topic.
        #[arg(long, value_parser = schema_values("Topic"))]
        topic: String,
        /// The HTTPS address Connectly POSTs events to.
        #[arg(long, value_name = "URL")]
        address: String,
        /// The integration type [default: custom].
        #[arg(long = "type", value_parser = schema_values("WebhookType"))]
        type_: Option<String>,
        #[command(flatten)]
        configuration: ConfigFlags,
        /// Make this the topic's registration whatever exists, as `connectly apply` of a file
        /// holding only it would: create it, update the existing one in place, or leave it
        /// alone (never a second registration). The plan is printed first; a change that
        /// removes configuration (filters, channel types, echo, WebEngage settings), deletes or
        /// replaces needs a confirmation (`--yes` off a terminal). Exit codes and JSON output
        /// as for `apply`.
        #[arg(long)]
        upsert: bool,
        /// With --upsert: print the plan and change nothing (exit 3 when changes are pending).
        #[arg(long, requires = "upsert")]
        dry_run: bool,
        /// With --upsert: confirm what removes configuration, deletes or replaces.
        #[arg(long, requires = "upsert")]
        yes: bool,
    },
    /// List the business's registrations.
    #[command(after_help = help::LIST)]
    List,
    /// Change the address and/or configuration of a registration (the topic cannot change).
    #[command(after_help = help::UPDATE)]
    Update {
        /// The registration's id.
        webhook_id: String,
        /// The new HTTPS address.
        #[arg(long, value_name = "URL")]
        address: Option<String>,
        #[command(flatten)]
        configuration: ConfigFlags,
    },
    /// Delete a registration (asks first on a terminal, unless --yes).
    #[command(after_help = help::DELETE)]
    Delete {
        /// The registration's id.
        webhook_id: String,
        /// Do not ask.
        #[arg(long)]
        yes: bool,
    },
}

/// The `configuration` of a registration, as flags.
#[derive(Args, Debug, Default)]
pub(crate) struct ConfigFlags {
    /// Also deliver the messages the business itself sends.
    #[arg(long, value_name = "true|false")]
    pub(crate) echo: Option<bool>,
    /// Deliver only events of this channel type (repeatable), e.g. whatsapp.
    #[arg(long = "channel-type", value_name = "C")]
    pub(crate) channel_types: Vec<String>,
    /// Deliver only events whose FIELD matches EXPR (repeatable), e.g. campaign_name=promo-*.
    #[arg(long = "filter", value_name = "FIELD=EXPR", value_parser = parse_filter)]
    pub(crate) filters: Vec<(String, String)>,
    /// The WebEngage token (with --webengage-webhook-url).
    #[arg(long, value_name = "T", requires = "webengage_webhook_url")]
    pub(crate) webengage_token: Option<String>,
    /// The WebEngage webhook URL (with --webengage-token).
    #[arg(long, value_name = "URL", requires = "webengage_token")]
    pub(crate) webengage_webhook_url: Option<String>,
}

/// The values of an enum of the registration schema: the spec, not this file, lists them.
fn schema_values(def: &str) -> PossibleValuesParser {
    let values = connectly_schema::allowed_values(&SchemaKind::Registration.schema()["$defs"][def])
        .map(|values| {
            values
                .into_iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<&'static str>>()
        })
        .unwrap_or_default();
    PossibleValuesParser::new(values)
}

fn parse_filter(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((field, expression)) if !field.is_empty() && !expression.is_empty() => {
            Ok((field.to_owned(), expression.to_owned()))
        }
        _ => Err("expected FIELD=EXPR, e.g. campaign_name=summer-promo-*".to_owned()),
    }
}
