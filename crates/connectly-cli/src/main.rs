//! `connectly`: register Connectly webhooks, validate and apply webhooks config files, send and
//! verify signed test events, and run a local fake of the API. Run `connectly --help`.

mod apply;
mod events;
mod export;
mod failure;
mod files;
mod help;
mod input;
mod mock;
mod output;
mod relay;
mod reports;
mod webhooks;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::{NonEmptyStringValueParser, PossibleValuesParser};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use connectly_client::Client;
use connectly_mock::MockServer;
use connectly_schema::SchemaKind;
use events::EventsCommand;
pub(crate) use failure::Failure;
use output::ColorWhen;

/// Manage Connectly webhooks: register them, validate webhooks config files, apply a config
/// file idempotently, send and verify signed test events, and try it all against a local fake
/// API (`--mock`).
#[derive(Parser, Debug)]
#[command(name = "connectly", version, after_help = help::MAIN)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
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
    color: ColorWhen,
    /// Trace to stderr: -v each call and retry, -vv more detail, -vvv the HTTP stack
    /// (RUST_LOG, when set, chooses instead). Never shows the API key.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

/// The options of the verbs that call the Connectly API.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "API options")]
pub(crate) struct ApiArgs {
    /// The API base URL (HTTPS; plain http only for loopback).
    #[arg(long, global = true, env = "CONNECTLY_BASE_URL", default_value = connectly_client::DEFAULT_BASE_URL, value_name = "URL")]
    base_url: String,
    /// Read the API key from this file instead of CONNECTLY_API_KEY.
    #[arg(long, global = true, value_name = "PATH")]
    api_key_file: Option<PathBuf>,
    /// The business whose webhooks to manage.
    #[arg(long, global = true, env = "CONNECTLY_BUSINESS_ID", value_name = "ID", value_parser = NonEmptyStringValueParser::new())]
    business_id: Option<String>,
    #[command(flatten)]
    timeout: TimeoutArg,
    /// Run against an in-process fake Connectly API instead of the real one (its state ends
    /// with the command).
    #[arg(long, global = true)]
    mock: bool,
    /// Retries of a failed call: after connection failures, 429, 502, 503 and 504, with backoff
    /// and Retry-After; a create only when it certainly was not applied. 0 disables.
    #[arg(long, global = true, value_name = "N", default_value_t = connectly_client::DEFAULT_MAX_RETRIES)]
    retries: u32,
    /// At most N requests per second from this command, shared by all `--parallel` workers
    /// (retries count), to stay under Connectly's rate limits [default: no limit].
    #[arg(long, global = true, value_name = "N")]
    rate: Option<u32>,
}

/// Traces (the client's `connectly` span per call, its retry events) go to stderr, filtered by
/// `RUST_LOG` when set, else by the `-v` count.
fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "warn,connectly_client=info",
        2 => "info,connectly_client=debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .try_init();
}

/// `--timeout`.
#[derive(Args, Debug, Clone)]
pub(crate) struct TimeoutArg {
    #[arg(long = "timeout", global = true, value_name = "SECONDS", value_parser = parse_timeout,
          help = format!("Time allowed for each whole request, in seconds [default: {}]",
                         connectly_client::DEFAULT_TIMEOUT.as_secs()))]
    seconds: Option<Duration>,
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
enum Command {
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
        /// Confirm deletions and replacements (required off a terminal; asked on one).
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
enum WhichSchema {
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
enum WebhooksCommand {
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
        /// Make this the topic's registration whatever exists: create it, update the existing
        /// one in place, or leave it alone (never a second registration).
        #[arg(long)]
        upsert: bool,
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
struct ConfigFlags {
    /// Also deliver the messages the business itself sends.
    #[arg(long, value_name = "true|false")]
    echo: Option<bool>,
    /// Deliver only events of this channel type (repeatable), e.g. whatsapp.
    #[arg(long = "channel-type", value_name = "C")]
    channel_types: Vec<String>,
    /// Deliver only events whose FIELD matches EXPR (repeatable), e.g. campaign_name=promo-*.
    #[arg(long = "filter", value_name = "FIELD=EXPR", value_parser = parse_filter)]
    filters: Vec<(String, String)>,
    /// The WebEngage token (with --webengage-webhook-url).
    #[arg(long, value_name = "T", requires = "webengage_webhook_url")]
    webengage_token: Option<String>,
    /// The WebEngage webhook URL (with --webengage-token).
    #[arg(long, value_name = "URL", requires = "webengage_token")]
    webengage_webhook_url: Option<String>,
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

fn main() -> ExitCode {
    let cli = parse();
    cli.global.color.apply();
    init_tracing(cli.global.verbose);
    let json_output = cli.global.json;
    let result = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run(cli)),
        Err(e) => Err(Failure::failed("cannot start the async runtime").caused_by(&e)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            output::failure(&failure, json_output);
            ExitCode::from(failure.exit_code())
        }
    }
}

/// The parsed command line. Clap's own errors exit 2 (as JSON under `--json`); `--help` and
/// `--version` exit 0. `--color` is looked at first so that clap's output follows it too.
fn parse() -> Cli {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let before_dashes = || args.iter().take_while(|a| *a != "--");
    let color = before_dashes()
        .zip(before_dashes().skip(1).map(Some).chain([None]))
        .find_map(|(arg, next)| {
            let value = match arg.to_str()?.strip_prefix("--color") {
                Some("") => next?.to_str()?,
                Some(rest) => rest.strip_prefix('=')?,
                None => return None,
            };
            ColorWhen::from_str(value, false).ok()
        })
        .unwrap_or_default();
    let json_output = before_dashes().any(|a| a == "--json");
    let matches = Cli::command()
        .color(color.for_clap())
        .try_get_matches_from(&args)
        .and_then(|matches| Cli::from_arg_matches(&matches));
    match matches {
        Ok(cli) => cli,
        Err(error) => {
            use clap::error::ErrorKind;
            let usage = !matches!(
                error.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            );
            if usage && json_output {
                // The message is the paragraph before the usage line, on one line.
                let rendered = error.render().to_string();
                let message = rendered
                    .lines()
                    .take_while(|line| !line.trim().is_empty())
                    .map(str::trim)
                    .collect::<Vec<_>>()
                    .join(" ");
                let message = message.trim_start_matches("error: ").to_owned();
                output::json(&output::error_json(&Failure::usage(message)));
            }
            error.exit()
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let global = &cli.global;
    match cli.command {
        Command::Validate { files } => files::validate_files(&files, global.json),
        Command::Schema { which } => {
            let kind = match which {
                WhichSchema::Registration => SchemaKind::Registration,
                WhichSchema::Config => SchemaKind::Config,
                WhichSchema::Update => SchemaKind::Update,
                WhichSchema::Event => SchemaKind::Event,
            };
            output::write_stdout(format_args!("{}", kind.text()));
            Ok(())
        }
        Command::Mock(args) => mock::run(args, global.json).await,
        Command::Reports { api, command } => {
            let connection = connect(&api).await?;
            reports::run(&connection, global, &api, command)
                .await
                .map_err(|f| f.waited(api.timeout.duration()))
        }
        Command::Events(command) => events::run(global, command).await,
        Command::Relay(command) => relay::run(global, command).await,
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "connectly", &mut script);
            output::write_stdout(format_args!("{}", String::from_utf8_lossy(&script)));
            Ok(())
        }
        Command::Man { dir: None } => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|e| Failure::failed("cannot render the manual page").caused_by(&e))?;
            output::write_stdout(format_args!("{}", String::from_utf8_lossy(&page)));
            Ok(())
        }
        Command::Man { dir: Some(dir) } => {
            std::fs::create_dir_all(&dir)
                .and_then(|()| clap_mangen::generate_to(Cli::command(), &dir))
                .map_err(|e| {
                    Failure::failed(format!(
                        "cannot write the manual pages to {}",
                        dir.display()
                    ))
                    .caused_by(&e)
                })?;
            eprintln!("connectly: wrote the manual pages to {}", dir.display());
            Ok(())
        }
        Command::Webhooks { api, command } => {
            let connection = connect(&api).await?;
            webhooks::run(&connection, global, &api, command)
                .await
                .map_err(|f| f.waited(api.timeout.duration()))
        }
        Command::Apply {
            files,
            dry_run,
            exit_code,
            prune,
            yes,
            parallel,
            api,
        } => {
            // Every file is checked before any request.
            let businesses = apply::read_all(&api, &files)?;
            let connection = connect(&api).await?;
            let options = apply::Options {
                dry_run,
                prune,
                yes,
                exit_code,
                parallel: usize::from(parallel),
            };
            apply::run(&connection, global, businesses, options)
                .await
                .map_err(|f| f.waited(api.timeout.duration()))
        }
        Command::Export { api } => {
            let connection = connect(&api).await?;
            export::run(&connection, global, &api)
                .await
                .map_err(|f| f.waited(api.timeout.duration()))
        }
    }
}

/// A client, and the in-process mock it talks to under `--mock`.
pub(crate) struct Connection {
    pub(crate) client: Client,
    _mock: Option<MockServer>,
}

async fn connect(api: &ApiArgs) -> Result<Connection, Failure> {
    let (mut builder, mock) = if api.mock {
        let mock = mock::in_process().await?;
        (
            Client::builder(mock.api_key()).base_url(mock.base_url()),
            Some(mock),
        )
    } else {
        let key = api_key(api)?;
        (Client::builder(key).base_url(api.base_url.clone()), None)
    };
    if let Some(timeout) = api.timeout.seconds {
        builder = builder.timeout(timeout);
    }
    builder = builder.retry(connectly_client::RetryPolicy::default().max_retries(api.retries));
    if let Some(rate) = api.rate {
        builder = builder.rate_limit(rate);
    }
    let client = builder.build().map_err(|e| Failure::usage(e.to_string()))?;
    Ok(Connection {
        client,
        _mock: mock,
    })
}

fn api_key(api: &ApiArgs) -> Result<String, Failure> {
    if let Some(path) = &api.api_key_file {
        let bytes = input::read_file(path, "an --api-key-file", input::MAX_KEY_FILE_BYTES)
            .map_err(|e| Failure::usage(format!("--api-key-file: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Failure::usage(format!(
                "--api-key-file {}: the key is not UTF-8 text",
                path.display()
            ))
        })?;
        return Ok(text.trim_end_matches(['\r', '\n']).to_owned());
    }
    match std::env::var("CONNECTLY_API_KEY") {
        Ok(key) if !key.is_empty() => Ok(key),
        _ => Err(Failure::usage(
            "no API key: set CONNECTLY_API_KEY or pass --api-key-file PATH (or try --mock)"
                .to_owned(),
        )),
    }
}

/// The business id from the flag or the environment, else from a config file.
pub(crate) fn business_id(api: &ApiArgs, from_file: Option<&str>) -> Result<String, Failure> {
    match (
        api.business_id.as_deref().filter(|id| !id.is_empty()),
        from_file,
    ) {
        (Some(flag), Some(file)) if flag != file => Err(Failure::usage(format!(
            "--business-id {flag:?} differs from the file's businessId {file:?}"
        ))),
        (Some(id), _) | (None, Some(id)) => Ok(id.to_owned()),
        (None, None) => Err(Failure::usage(
            "no business id: pass --business-id ID or set CONNECTLY_BUSINESS_ID".to_owned(),
        )),
    }
}
