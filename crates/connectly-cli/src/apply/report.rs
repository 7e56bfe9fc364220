//! What `connectly apply` prints: per business, each action with its field-level changes and,
//! once applied, how each step ended; then one summary. The same in `--json` ([`Report`]).

use serde::Serialize;
use serde_json::json;

use super::plan::Action;
use super::{Business, Op, Outcome, Planned, RunStatus};
use crate::changes::{change_line, ChangeDoc};
use crate::failure::{ErrorDoc, Failure};
use crate::flags::create_command;
use crate::output::Printer;

/// Counts over every business, by action kind (only what was done, once applied).
#[derive(Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    created: usize,
    updated: usize,
    unchanged: usize,
    replaced: usize,
    deleted: usize,
    needs_prune: usize,
    kept: usize,
    extra: usize,
    unknown_topic: usize,
    failed: usize,
    unknown: usize,
    not_attempted: usize,
}

impl Summary {
    fn of<'a>(actions: impl Iterator<Item = &'a Planned>, applied: bool) -> Self {
        let mut s = Summary::default();
        for planned in actions {
            let counts = !applied || planned.all_done();
            match planned.action {
                Action::Create { .. } if counts => s.created += 1,
                Action::Update { .. } if counts => s.updated += 1,
                Action::Replace { .. } if counts => s.replaced += 1,
                Action::Delete { .. } if counts => s.deleted += 1,
                Action::Unchanged { .. } => s.unchanged += 1,
                Action::NeedsPrune { .. } => s.needs_prune += 1,
                Action::Kept { .. } => s.kept += 1,
                Action::Extra { .. } => s.extra += 1,
                Action::UnknownTopic { .. } => s.unknown_topic += 1,
                _ => {}
            }
            if applied {
                for step in &planned.steps {
                    match step.outcome {
                        Outcome::Failed(_) => s.failed += 1,
                        Outcome::Unknown(_) => s.unknown += 1,
                        Outcome::NotAttempted => s.not_attempted += 1,
                        Outcome::Done => {}
                    }
                }
            }
        }
        s
    }

    fn line(&self) -> String {
        let mut line = format!(
            "{} created, {} updated, {} unchanged, {} replaced, {} deleted",
            self.created, self.updated, self.unchanged, self.replaced, self.deleted
        );
        if self.needs_prune + self.kept + self.extra > 0 {
            line.push_str(&format!(
                ", {} need --prune, {} kept, {} extra",
                self.needs_prune, self.kept, self.extra
            ));
        }
        if self.unknown_topic > 0 {
            line.push_str(&format!(
                ", {} of unknown topics left alone",
                self.unknown_topic
            ));
        }
        if self.failed + self.unknown + self.not_attempted > 0 {
            line.push_str(&format!(
                "; steps: {} failed, {} unknown, {} not attempted",
                self.failed, self.unknown, self.not_attempted
            ));
        }
        line
    }
}

/// The top-level `status` of the report, from how the businesses ended: `applied` or `planned`
/// when none failed, `failed` when all did, `partial` when some did; `blocked`, `refused` and
/// `interrupted` as the run ended. It always agrees with the exit code (0 only for `applied` and
/// `planned`).
pub(super) fn overall(businesses: &[Business], status: RunStatus) -> &'static str {
    let failed = businesses.iter().filter(|b| b.failed()).count();
    match status {
        RunStatus::Blocked => "blocked",
        RunStatus::Refused => "refused",
        RunStatus::Interrupted => "interrupted",
        _ if failed > 0 && failed == businesses.len() => "failed",
        _ if failed > 0 => "partial",
        RunStatus::Planned => "planned",
        RunStatus::Applied => "applied",
    }
}

/// `apply`'s `--json` document.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Report {
    status: &'static str,
    dry_run: bool,
    changes_pending: bool,
    businesses: Vec<BusinessDoc>,
    summary: Totals,
}

/// The summary over every business.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Totals {
    #[serde(flatten)]
    counts: Summary,
    businesses: usize,
    businesses_failed: usize,
}

/// One business in the report.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BusinessDoc {
    business_id: String,
    file: String,
    status: &'static str,
    error: Option<ErrorDoc>,
    actions: Vec<ActionDoc>,
    hints: Vec<String>,
    summary: Summary,
}

/// One action of a business's plan, with its steps once applied.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActionDoc {
    action: &'static str,
    topic: String,
    id: Option<String>,
    address: String,
    reason: Option<String>,
    delivery_gap: bool,
    changes: Vec<ChangeDoc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    steps: Option<Vec<StepDoc>>,
}

/// One request of an action, and how it ended.
#[derive(Serialize)]
struct StepDoc {
    op: &'static str,
    id: Option<String>,
    outcome: &'static str,
    error: Option<ErrorDoc>,
}

/// Whether a run's steps were sent (then each action reports its steps).
fn applied(status: RunStatus) -> bool {
    matches!(status, RunStatus::Applied | RunStatus::Interrupted)
}

/// The `--json` document of the run.
pub(super) fn document(businesses: &[Business], status: RunStatus) -> Report {
    let applied = applied(status);
    let failed = businesses.iter().filter(|b| b.failed()).count();
    let changes_pending = businesses
        .iter()
        .flat_map(|b| &b.actions)
        .any(|p| p.action.is_drift() && !(applied && p.action.is_change() && p.all_done()));
    Report {
        status: overall(businesses, status),
        dry_run: status == RunStatus::Planned,
        changes_pending,
        businesses: businesses
            .iter()
            .map(|b| business_doc(b, applied))
            .collect(),
        summary: Totals {
            counts: Summary::of(businesses.iter().flat_map(|b| &b.actions), applied),
            businesses: businesses.len(),
            businesses_failed: failed,
        },
    }
}

/// Prints the text report on stdout. `streamed`: each business's result (or the plan, before a
/// question) was printed already, so only the summary remains.
pub(super) fn print_text(
    printer: &Printer,
    businesses: &[Business],
    status: RunStatus,
    streamed: bool,
) -> Result<(), Failure> {
    let applied = applied(status);
    let total = Summary::of(businesses.iter().flat_map(|b| &b.actions), applied);
    let failed = businesses.iter().filter(|b| b.failed()).count();
    let mut out = String::new();
    if !streamed {
        for business in businesses {
            out.push_str(&business_text(business, applied));
        }
    }
    let head = match status {
        RunStatus::Planned => "plan (dry run, nothing changed)",
        RunStatus::Blocked => "plan (not applied: some entries need --prune; nothing changed)",
        RunStatus::Refused => "plan (not applied: not confirmed; nothing changed)",
        RunStatus::Applied => "applied",
        RunStatus::Interrupted => "interrupted",
    };
    let scope = if businesses.len() > 1 {
        format!(
            " ({} businesses{})",
            businesses.len(),
            if failed > 0 {
                format!(", {failed} failed")
            } else {
                String::new()
            }
        )
    } else {
        String::new()
    };
    // Failures lead the summary.
    let failures = if failed > 0 && businesses.len() == 1 {
        "FAILED: "
    } else if failed > 0 {
        "SOME FAILED: "
    } else {
        ""
    };
    out.push_str(&format!("{failures}{head}: {}{scope}\n", total.line()));
    printer.out(&out)
}

/// What each failure left behind, on stderr (also in the JSON report).
pub(super) fn print_hints(printer: &Printer, businesses: &[Business]) {
    for business in businesses {
        for hint in hints(business) {
            printer.note(format!("{}: {hint}", business.id));
        }
    }
}

/// The plan alone, on stderr, before the confirmation question.
pub(super) fn print_plan_to_stderr(printer: &Printer, businesses: &[Business]) {
    for business in businesses {
        printer.err_text(&business_text(business, false));
    }
}

/// One business as text: its plan and, once applied, how each step ended.
pub(super) fn business_text(business: &Business, applied: bool) -> String {
    let mut out = format!(
        "{} ({}):\n",
        business.id,
        connectly_net::printable(&business.source)
    );
    if let Some(error) = &business.error {
        out.push_str(&format!("  error: {}\n", error.lines("    ").join("\n")));
    }
    for planned in &business.actions {
        let action = &planned.action;
        let id = planned
            .steps
            .iter()
            .rev()
            .find_map(|s| {
                (s.outcome == Outcome::Done)
                    .then_some(s.id.as_deref())
                    .flatten()
            })
            .or(action.live_id())
            .unwrap_or("(new)");
        let mut line = format!(
            "{:>3} {} {} {} {}",
            action.sign(),
            action.label(),
            action.topic(),
            id,
            action.address()
        );
        if let Some(reason) = action.reason() {
            line.push_str(&format!(" ({reason})"));
        }
        if applied && !planned.steps.is_empty() {
            let steps: Vec<String> = planned
                .steps
                .iter()
                .map(|s| match &s.outcome {
                    Outcome::Failed(e) | Outcome::Unknown(e) => {
                        format!("{} {}: {}", s.op.label(), s.outcome.label(), e.message)
                    }
                    other => format!("{} {}", s.op.label(), other.label()),
                })
                .collect();
            line.push_str(&format!(": {}", steps.join(", ")));
        }
        out.push_str(connectly_net::printable(line.trim_end()).as_ref());
        out.push('\n');
        if applied {
            for step in &planned.steps {
                if let Outcome::Failed(e) | Outcome::Unknown(e) = &step.outcome {
                    for detail in e.lines("      ").into_iter().skip(1) {
                        out.push_str(&format!("{detail}\n"));
                    }
                }
            }
        }
        for change in action.changes() {
            out.push_str(&format!("      {}\n", change_line(change)));
        }
    }
    out
}

fn business_doc(business: &Business, applied: bool) -> BusinessDoc {
    let actions = business
        .actions
        .iter()
        .map(|planned| {
            let action = &planned.action;
            let new_id = planned
                .steps
                .iter()
                .find(|s| s.op == Op::Create && s.outcome == Outcome::Done)
                .and_then(|s| s.id.clone());
            ActionDoc {
                action: action.label(),
                topic: action.topic(),
                id: new_id.or(action.live_id().map(str::to_owned)),
                address: action.address().to_owned(),
                reason: action.reason(),
                delivery_gap: matches!(action, Action::Replace { .. } | Action::NeedsPrune { .. }),
                changes: action.changes().iter().map(ChangeDoc::from).collect(),
                previous_id: matches!(action, Action::Replace { .. })
                    .then(|| action.live_id().map(str::to_owned))
                    .flatten(),
                steps: applied.then(|| {
                    planned
                        .steps
                        .iter()
                        .map(|s| StepDoc {
                            op: s.op.label(),
                            id: s.id.clone(),
                            outcome: s.outcome.label(),
                            error: match &s.outcome {
                                Outcome::Failed(e) | Outcome::Unknown(e) => Some(e.clone()),
                                _ => None,
                            },
                        })
                        .collect()
                }),
            }
        })
        .collect();
    let status = if business.failed() {
        "failed"
    } else if applied {
        "applied"
    } else {
        "planned"
    };
    BusinessDoc {
        business_id: business.id.clone(),
        file: business.source.clone(),
        status,
        error: business.error.clone(),
        actions,
        hints: hints(business),
        summary: Summary::of(business.actions.iter(), applied),
    }
}

/// What a failure left behind, and how to get back: one sentence per failed or unknown step.
fn hints(business: &Business) -> Vec<String> {
    let mut hints = Vec::new();
    for planned in &business.actions {
        let topic = planned.action.topic();
        for (i, step) in planned.steps.iter().enumerate() {
            let uncertain = matches!(step.outcome, Outcome::Unknown(_));
            if !matches!(step.outcome, Outcome::Failed(_) | Outcome::Unknown(_)) {
                continue;
            }
            let what = if uncertain {
                format!(
                    "the {} of {topic} may or may not have been carried out (the request may have reached Connectly)",
                    step.op.label()
                )
            } else {
                format!("the {} of {topic} failed", step.op.label())
            };
            if let (Action::Replace { old, .. }, 1) = (&planned.action, i) {
                let old_body = json!({
                    "topic": old.topic,
                    "address": old.address,
                    "type": old.type_,
                    "configuration": old.configuration,
                });
                // A WebEngage token never goes into a message: the old registration was saved
                // to a file only its owner can read.
                let restore = match &planned.restore_file {
                    None => create_command(&business.id, &old_body),
                    Some(Ok(path)) => format!(
                        "`connectly apply {path}` (saved there with mode 0600: it holds the WebEngage token)"
                    ),
                    Some(Err(why)) => format!(
                        "create it again with its WebEngage token, which is not shown here \
                         (it could not be saved to a file: {why})"
                    ),
                };
                hints.push(format!(
                    "{what} after its old registration {} was deleted: the topic {} no registration now. \
                     `connectly apply` again creates the new one; to restore the old one instead: {restore}",
                    old.id,
                    if uncertain { "may have" } else { "has" },
                ));
            } else if uncertain {
                hints.push(format!(
                    "{what}; `connectly apply` again adopts whatever exists (check with `connectly webhooks list`)"
                ));
            } else {
                hints.push(format!("{what}; nothing after it was attempted"));
            }
        }
    }
    hints
}
