//! `connectly apply`: make the live registrations of one or more businesses match config files.
//!
//! Plan, then act: every file is read and validated, every business listed and planned
//! ([`plan::plan`], pure) before anything is written. A plan that cannot be carried out (an
//! entry needing `--prune`) writes nothing anywhere; a plan that deletes or replaces needs a
//! confirmation (`--yes` off a terminal). Then each business runs its steps in order (updates,
//! creates, deletes, and replaces, which leave a gap in delivery, last), businesses side by side
//! up to `--parallel`; a failing business stops its own remaining steps, never the others'.
//! Every step ends done, failed, not attempted or unknown, and the report says which.

mod interrupt;
mod plan;
mod report;

use std::collections::BTreeMap;

use connectly_client::{types, Client, Error};
use futures_util::StreamExt;

use crate::failure::{ErrorDoc, Kind};
use crate::output::{self, Printer};
use crate::{business_id, files, ApiArgs, Connection, Failure};
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

/// How one step ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Done,
    Failed(ErrorDoc),
    NotAttempted,
    /// The request may have reached Connectly: it may or may not have been carried out.
    Unknown(ErrorDoc),
}

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Failed(_) => "failed",
            Outcome::NotAttempted => "not attempted",
            Outcome::Unknown(_) => "unknown",
        }
    }
}

/// The request a step sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Create,
    Update,
    Delete,
}

impl Op {
    fn label(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }
}

/// One request of an action.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    op: Op,
    /// The id it acted on, or the new id of a create.
    id: Option<String>,
    outcome: Outcome,
}

/// An action of the plan and, once applied, how each of its steps ended.
#[derive(Debug)]
pub(crate) struct Planned {
    action: Action,
    steps: Vec<Step>,
    /// Where the registration a failed replace deleted was saved, when it held a secret (a
    /// WebEngage token): a config file, mode 0600, that `connectly apply` restores it from.
    /// `Err` says why it could not be saved.
    restore_file: Option<Result<String, String>>,
}

impl Planned {
    fn new(action: Action) -> Self {
        let step = |op, id: Option<&str>| Step {
            op,
            id: id.map(str::to_owned),
            outcome: Outcome::NotAttempted,
        };
        let steps = match &action {
            Action::Create { .. } => vec![step(Op::Create, None)],
            Action::Update { id, .. } => vec![step(Op::Update, Some(id))],
            Action::Delete { old, .. } => vec![step(Op::Delete, Some(&old.id))],
            Action::Replace { old, .. } => {
                vec![step(Op::Delete, Some(&old.id)), step(Op::Create, None)]
            }
            Action::Unchanged { .. }
            | Action::Kept { .. }
            | Action::Extra { .. }
            | Action::UnknownTopic { .. }
            | Action::NeedsPrune { .. } => vec![],
        };
        Self {
            action,
            steps,
            restore_file: None,
        }
    }

    fn all_done(&self) -> bool {
        self.steps.iter().all(|s| s.outcome == Outcome::Done)
    }
}

/// One business: its file, its plan, how it went.
#[derive(Debug)]
pub(crate) struct Business {
    id: String,
    source: String,
    config: types::WebhooksConfig,
    /// Why it could not be listed (then it has no plan): the whole failure, causes and hint.
    error: Option<ErrorDoc>,
    actions: Vec<Planned>,
}

impl Business {
    fn failed(&self) -> bool {
        self.error.is_some()
            || self
                .actions
                .iter()
                .flat_map(|p| &p.steps)
                .any(|s| matches!(s.outcome, Outcome::Failed(_) | Outcome::Unknown(_)))
    }
}

/// What the run as a whole came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunStatus {
    /// `--dry-run`: planned only.
    Planned,
    /// An entry needs `--prune`: nothing written.
    Blocked,
    /// A destructive plan was not confirmed: nothing written.
    Refused,
    /// Carried out (see each business for failures).
    Applied,
    /// Ctrl-C or SIGTERM while applying: no request was started after it, those in flight ended.
    Interrupted,
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
                    execute(client, business, stop).await;
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

/// Carries out one business's plan in order, stopping at its first failure, and starting no
/// step once `stop` says so (those steps stay not attempted).
async fn execute(client: &Client, business: &mut Business, stop: &interrupt::Stop) {
    let mut order: Vec<usize> = (0..business.actions.len())
        .filter(|&i| business.actions[i].action.is_change())
        .collect();
    order.sort_by_key(|&i| business.actions[i].action.order());
    for i in order {
        let planned = &mut business.actions[i];
        for s in 0..planned.steps.len() {
            if stop.stopped() {
                return;
            }
            let result = step(client, &business.id, &planned.action, planned.steps[s].op).await;
            let step = &mut planned.steps[s];
            match result {
                Ok(new_id) => {
                    step.outcome = Outcome::Done;
                    if new_id.is_some() {
                        step.id = new_id;
                    }
                }
                Err(e) => {
                    let unknown = e.outcome_unknown();
                    let error = ErrorDoc::from(&Failure::from(e));
                    step.outcome = if unknown {
                        Outcome::Unknown(error)
                    } else {
                        Outcome::Failed(error)
                    };
                    if let Action::Replace { old, .. } = &planned.action {
                        let secret = old
                            .configuration
                            .as_ref()
                            .is_some_and(|c| c.webengage_configuration.is_some());
                        if s == 1 && secret {
                            planned.restore_file = Some(save_for_restore(&business.id, old));
                        }
                    }
                    return;
                }
            }
        }
    }
}

/// Saves a deleted registration as a one-entry config file that `connectly apply` restores, in
/// the temporary directory, readable by its owner only (it holds a WebEngage token, which no
/// message may show). The path, or why it could not be written.
fn save_for_restore(business: &str, old: &types::WebhookRegistration) -> Result<String, String> {
    let config = serde_json::json!({
        "businessId": business,
        "webhooks": [crate::export::entry(old)],
    });
    let safe = |text: &str| -> String {
        text.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(64)
            .collect()
    };
    let path = std::env::temp_dir().join(format!(
        "connectly-restore-{}-{}.json",
        safe(business),
        safe(&old.id)
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&path).and_then(|mut file| {
        std::io::Write::write_all(&mut file, format!("{config:#}\n").as_bytes())
    });
    match written {
        Ok(()) => Ok(path.to_string_lossy().into_owned()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Sends one request; the new id of a create.
async fn step(
    client: &Client,
    business: &str,
    action: &Action,
    op: Op,
) -> Result<Option<String>, Error> {
    match (action, op) {
        (Action::Create { want } | Action::Replace { want, .. }, Op::Create) => {
            match client.create_webhook(business, want).await {
                Ok(created) => Ok(Some(created.id)),
                // Another client registered the topic since the plan was made: adopt that
                // registration and make it the wanted one (`upsert_webhook` lists again).
                Err(Error::AlreadyRegistered { .. }) => {
                    Ok(Some(client.upsert_webhook(business, want).await?.id))
                }
                Err(e) => Err(e),
            }
        }
        (Action::Update { id, request, .. }, Op::Update) => {
            client.update_webhook(business, id, request).await?;
            Ok(None)
        }
        (Action::Delete { old, .. } | Action::Replace { old, .. }, Op::Delete) => {
            match client.delete_webhook(business, &old.id).await {
                // Gone already (an earlier run's delete went through): the state wanted.
                Ok(()) | Err(Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        }
        _ => Ok(None),
    }
}
