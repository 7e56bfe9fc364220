//! `connectly`: register Connectly webhooks, validate and apply webhooks config files, send and
//! verify signed test events, and run a local fake of the API. Run `connectly --help`.

mod apply;
mod args;
mod changes;
mod confirm;
mod connection;
mod events;
mod export;
mod failure;
mod files;
mod flags;
mod help;
mod input;
mod listen;
mod mock;
mod output;
mod relay;
mod reports;
mod webhooks;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, ValueEnum};
use connectly_schema::SchemaKind;

pub(crate) use args::{ApiArgs, ConfigFlags, TimeoutArg, WebhooksCommand};
use args::{Cli, Command, WhichSchema};
use connection::connect;
pub(crate) use connection::{business_id, Connection};
pub(crate) use failure::Failure;
use output::{ColorWhen, Printer};

fn main() -> ExitCode {
    let cli = parse();
    let g = &cli.global;
    let printer = Printer::new(g.json, g.quiet, g.color, g.verbose);
    let result = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run(cli, &printer)),
        Err(e) => Err(Failure::failed("cannot start the async runtime").caused_by(&e)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            printer.failure(&failure);
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
                let printer = Printer::new(true, true, color, 0);
                let _ = printer.json(&output::failure_document(&Failure::usage(message)));
            }
            error.exit()
        }
    }
}

async fn run(cli: Cli, printer: &Printer) -> Result<(), Failure> {
    match cli.command {
        Command::Validate { files } => files::validate_files(printer, &files),
        Command::Schema { which } => {
            let kind = match which {
                WhichSchema::Registration => SchemaKind::Registration,
                WhichSchema::Config => SchemaKind::Config,
                WhichSchema::Update => SchemaKind::Update,
                WhichSchema::Event => SchemaKind::Event,
            };
            printer.out(kind.text())
        }
        Command::Mock(args) => mock::run(printer, args).await,
        Command::Reports { api, command } => {
            let connection = connect(printer, &api).await?;
            reports::run(&connection, printer, &api, command)
                .await
                .map_err(|f| connection.waited(f, &api))
        }
        Command::Events(command) => events::run(printer, command).await,
        Command::Relay(command) => relay::run(printer, command).await,
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "connectly", &mut script);
            printer.out(&String::from_utf8_lossy(&script))
        }
        Command::Man { dir: None } => {
            let page = main_man_page()
                .map_err(|e| Failure::failed("cannot render the manual page").caused_by(&e))?;
            printer.out(&String::from_utf8_lossy(&page))
        }
        Command::Man { dir: Some(dir) } => {
            let written = std::fs::create_dir_all(&dir)
                .and_then(|()| clap_mangen::generate_to(Cli::command(), &dir))
                .and_then(|()| main_man_page())
                .and_then(|page| std::fs::write(dir.join("connectly.1"), page));
            written.map_err(|e| {
                Failure::failed(format!(
                    "cannot write the manual pages to {}",
                    dir.display()
                ))
                .caused_by(&e)
            })?;
            printer.status(format!("wrote the manual pages to {}", dir.display()));
            Ok(())
        }
        Command::Webhooks { api, command } => {
            let connection = connect(printer, &api).await?;
            webhooks::run(&connection, printer, &api, command)
                .await
                .map_err(|f| connection.waited(f, &api))
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
            let businesses = apply::read_all(printer, &api, &files)?;
            let connection = connect(printer, &api).await?;
            let options = apply::Options {
                dry_run,
                prune,
                yes,
                exit_code,
                parallel: usize::from(parallel),
                only_topic: None,
            };
            apply::run(&connection, printer, businesses, options)
                .await
                .map_err(|f| connection.waited(f, &api))
        }
        Command::Export { api } => {
            let connection = connect(printer, &api).await?;
            export::run(&connection, printer, &api)
                .await
                .map_err(|f| connection.waited(f, &api))
        }
    }
}

/// The main man page: clap's sections, the exit codes in an EXIT STATUS section of their own
/// ([`help::EXIT_CODES`]), then the version.
fn main_man_page() -> std::io::Result<Vec<u8>> {
    use clap_mangen::roff::{roman, Roff};
    let man = clap_mangen::Man::new(Cli::command().after_help(help::main_for_man()));
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    man.render_subcommands_section(&mut page)?;
    man.render_extra_section(&mut page)?;
    let mut status = Roff::default();
    status.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in help::EXIT_CODES {
        status.control("TP", []);
        status.text([roman(code.to_string())]);
        status.text([roman(meaning)]);
    }
    status.to_writer(&mut page)?;
    man.render_version_section(&mut page)?;
    Ok(page)
}
