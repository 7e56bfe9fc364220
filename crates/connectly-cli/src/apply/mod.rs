//! `connectly apply`: make the live registrations of one or more businesses match config files.
//!
//! Plan, then act: every file is read and validated, every business listed and planned
//! ([`plan::plan`], pure) before anything is written. A plan that cannot be carried out (an
//! entry needing `--prune`) writes nothing anywhere; a plan that deletes or replaces needs a
//! confirmation (`--yes` off a terminal). Then each business runs its steps in order (updates,
//! creates, deletes, and replaces, which leave a gap in delivery, last), businesses side by side
//! up to `--parallel`; a failing business stops its own remaining steps, never the others'.
//! Every step ends done, failed, not attempted or unknown, and the report says which.

mod execute;
mod interrupt;
mod model;
mod plan;
mod report;

use std::collections::BTreeMap;

use connectly_client::types;
use futures_util::StreamExt;

use crate::failure::{ErrorDoc, Kind};
use crate::output::{self, Printer};
use crate::{business_id, files, ApiArgs, Connection, Failure};
use model::{Business, Planned, RunStatus};
pub(crate) use model::{Op, Outcome};
use plan::Action;

/// The flags of `connectly apply`.
pub(crate) struct Options {
    pub(crate) dry_run: bool,
    pub(crate) prune: bool,
    pub(crate) yes: bool,
    pub(crate) exit_code: bool,
    pub(crate) parallel: usize,
    /// `webhooks create --upsert`: only this topic's registrations are planned.
    pub(crate) only_topic: Option<types::Topic>,
}

/// The business of `webhooks create --upsert`: one registration, as a file holding only it.
pub(crate) fn one(
    business: &str,
    registration: &types::CreateWebhookRequest,
) -> Result<Business, Failure> {
    let config = serde_json::json!({"businessId": business, "webhooks": [registration]});
    let config = serde_json::from_value(config).map_err(|e| Failure::usage(e.to_string()))?;
    Ok(Business {
        id: business.to_owned(),
        source: "command line".to_owned(),
        config,
        error: None,
        actions: Vec::new(),
    })
}

/// Reads and validates every file, and finds each one's business: before any request.
pub(crate) fn read_all(
    printer: &Printer,
    api: &ApiArgs,
    names: &[String],
) -> Result<Vec<Business>, Failure> {
    let names = files::expand(names)?;
    let mut businesses = Vec::new();
    let mut invalid = Vec::new();
    for name in &names {
        match files::read_config(printer, name) {
            Ok(config) => {
                let id = business_id(api, config.business_id.as_deref().map(|b| b.as_str()))
                    .map_err(|mut e| {
                        if names.len() > 1 {
                            e.message = format!("{name}: {}", e.message);
                        }
                        e
                    })?;
                businesses.push(Business {
                    id,
                    source: name.clone(),
                    config,
                    error: None,
                    actions: Vec::new(),
                });
            }
            Err(failure) if failure.kind == Kind::Usage => return Err(failure),
            Err(failure) => invalid.push(failure),
        }
    }
    if !invalid.is_empty() {
        if invalid.len() == 1 {
            return Err(invalid.remove(0));
        }
        let messages: Vec<&str> = invalid.iter().map(|f| f.message.as_str()).collect();
        return Err(Failure::failed(format!(
            "{} of {} files are invalid: nothing was changed\n  {}",
            invalid.len(),
            names.len(),
            messages.join("\n  ")
        ))
        .kind(Kind::Invalid));
    }
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for b in &businesses {
        if let Some(first) = seen.insert(&b.id, &b.source) {
            return Err(Failure::usage(format!(
                "{first} and {} are both for business {}: one file per business (nothing was changed)",
                b.source, b.id
            )));
        }
    }
    Ok(businesses)
}

pub(crate) async fn run(
    connection: &Connection,
    printer: &Printer,
    mut businesses: Vec<Business>,
    options: Options,
) -> Result<(), Failure> {
    let client = &connection.client;
    let parallel = options.parallel.max(1);
    let progress = printer.progress(businesses.len(), "businesses");

    // 1. Plan every business (listing is the only request).
    progress.start("planning");
    futures_util::stream::iter(businesses.iter_mut())
        .for_each_concurrent(parallel, |business| {
            let progress = &progress;
            async move {
                match client.list_webhooks(&business.id).await {
                    Ok(list) => {
                        business.actions =
                            plan::plan(&business.config, &list.webhooks, options.prune)
                                .into_iter()
                                .filter(|a| {
                                    options
                                        .only_topic
                                        .is_none_or(|t| a.topic() == t.to_string())
                                })
                                .map(Planned::new)
                                .collect();
                    }
                    Err(e) => {
                        let mut failure = Failure::from(e);
                        failure.message =
                            format!("cannot list the registrations: {}", failure.message);
                        business.error = Some(ErrorDoc::from(&failure));
                    }
                }
                progress.inc();
            }
        })
        .await;
    progress.finish();

    let all = || businesses.iter().flat_map(|b| &b.actions);
    let needs_prune = all()
        .filter(|p| matches!(p.action, Action::NeedsPrune { .. }))
        .count();
    let confirm: BTreeMap<&'static str, usize> = all()
        .filter_map(|p| p.action.needs_confirmation())
        .fold(BTreeMap::new(), |mut counts, what| {
            *counts.entry(what).or_default() += 1;
            counts
        });
    let to_confirm = confirmation_text(&confirm);
    let pending = all().any(|p| p.action.is_change());
    let drift = all().any(|p| p.action.is_drift());

    // 2. Decide. A question on a terminal shows the plan first (on stderr): a refusal then
    // prints only the summary.
    let asks = !options.dry_run
        && needs_prune == 0
        && !confirm.is_empty()
        && !options.yes
        && std::io::IsTerminal::is_terminal(&std::io::stdin());
    let mut status = if options.dry_run {
        RunStatus::Planned
    } else if needs_prune > 0 {
        RunStatus::Blocked
    } else if !confirm.is_empty() && !options.yes && !confirmed(printer, &businesses, &to_confirm) {
        RunStatus::Refused
    } else {
        RunStatus::Applied
    };

    // 3. Act: each business's result printed as it ends (off a terminal too, so that a run cut
    // short has said what it did); the first Ctrl-C or SIGTERM starts no new request.
    let mut streamed = false;
    if status == RunStatus::Applied && pending {
        let stop = interrupt::Stop::listen(printer.clone());
        streamed = !printer.json_mode();
        progress.start("applying");
        futures_util::stream::iter(businesses.iter_mut())
            .for_each_concurrent(parallel, |business| {
                let (progress, stop) = (&progress, &stop);
                async move {
                    execute::execute(client, business, stop).await;
                    let text = report::business_text(business, true);
                    if streamed {
                        // A closed stdout ends the run's printing, not its requests.
                        let _ = progress.out(printer, &text);
                    }
                    stop.record(text);
                    progress.inc();
                }
            })
            .await;
        progress.finish();
        if stop.stopped() {
            status = RunStatus::Interrupted;
        }
    }

    let result = outcome(
        &businesses,
        status,
        &options,
        needs_prune,
        &to_confirm,
        drift,
    );
    report::print_hints(printer, &businesses);
    if !printer.json_mode() {
        let shown = streamed || (asks && status == RunStatus::Refused);
        report::print_text(printer, &businesses, status, shown)?;
        return result;
    }
    let document = report::document(&businesses, status);
    match result {
        Err(failure) if failure.kind != Kind::ChangesPending => {
            Err(failure.with_document(output::fields(&document)))
        }
        result => {
            printer.json(&document)?;
            result
        }
    }
}

/// What needs a confirmation, in words: `delete 1, replace 2 and remove configuration from 1
/// registration(s)`.
fn confirmation_text(counts: &BTreeMap<&'static str, usize>) -> String {
    let parts: Vec<String> = counts
        .iter()
        .map(|(what, n)| format!("{what} {n}"))
        .collect();
    let text = match parts.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    };
    format!("{text} registration(s)")
}

/// The exit code of the run, as a failure: what [`report::overall`] says, never at odds with
/// it. A dry run fails only when a business could not be planned, never because of what its plan
/// holds (that is exit 3 with `--exit-code`).
fn outcome(
    businesses: &[Business],
    status: RunStatus,
    options: &Options,
    needs_prune: usize,
    to_confirm: &str,
    drift: bool,
) -> Result<(), Failure> {
    match status {
        RunStatus::Blocked => Err(Failure::failed(format!(
            "{needs_prune} registration(s) can only be replaced (delete, then create): nothing was changed"
        ))
        .hint("rerun with --prune (and --yes off a terminal)")),
        RunStatus::Refused => Err(crate::confirm::not_confirmed(to_confirm)),
        RunStatus::Interrupted => Err(Failure::failed(
            "interrupted: no request was started after it; the report above says what was done, \
             not attempted and unknown",
        )
        .kind(Kind::Interrupted)
        .hint("`connectly apply` again picks up from the live state")),
        RunStatus::Planned | RunStatus::Applied => {
            let failed: Vec<&Business> = businesses.iter().filter(|b| b.failed()).collect();
            if !failed.is_empty() {
                let list_failed = businesses.iter().filter(|b| b.error.is_some()).count();
                let names: Vec<&str> = failed.iter().map(|b| b.id.as_str()).collect();
                return Err(Failure::failed(format!(
                    "{} of {} business(es) failed ({}){}",
                    failed.len(),
                    businesses.len(),
                    names.join(", "),
                    if status == RunStatus::Applied && list_failed < failed.len() {
                        "; running `connectly apply` again picks up from the live state"
                    } else {
                        ""
                    }
                )));
            }
            if status == RunStatus::Planned && options.exit_code && drift {
                return Err(Failure::reported().kind(Kind::ChangesPending));
            }
            Ok(())
        }
    }
}

/// Asks on a terminal; never off one (then `--yes` is the only way).
fn confirmed(printer: &Printer, businesses: &[Business], what: &str) -> bool {
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return false;
    }
    // The plan goes to stderr first, so the question comes with what it is about.
    if !printer.json_mode() {
        report::print_plan_to_stderr(printer, businesses);
    }
    let mut question = what.to_owned();
    if let Some(first) = question.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    printer.ask(&format!("{question}? [y/N] "))
}
