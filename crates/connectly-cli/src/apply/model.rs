//! What `connectly apply` keeps of a run: each business, its plan's actions, each action's
//! requests (steps) and how each ended, and how the run as a whole ended.

use connectly_client::types;

use super::plan::Action;
use crate::failure::ErrorDoc;

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
    pub(super) fn label(&self) -> &'static str {
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
    pub(super) fn label(self) -> &'static str {
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
    pub(super) op: Op,
    /// The id it acted on, or the new id of a create.
    pub(super) id: Option<String>,
    pub(super) outcome: Outcome,
}

/// An action of the plan and, once applied, how each of its steps ended.
#[derive(Debug)]
pub(crate) struct Planned {
    pub(super) action: Action,
    pub(super) steps: Vec<Step>,
    /// Where the registration a failed replace deleted was saved, when it held a secret (a
    /// WebEngage token): a config file, mode 0600, that `connectly apply` restores it from.
    /// `Err` says why it could not be saved.
    pub(super) restore_file: Option<Result<String, String>>,
}

impl Planned {
    pub(super) fn new(action: Action) -> Self {
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

    pub(super) fn all_done(&self) -> bool {
        self.steps.iter().all(|s| s.outcome == Outcome::Done)
    }
}

/// One business: its file, its plan, how it went.
#[derive(Debug)]
pub(crate) struct Business {
    pub(super) id: String,
    pub(super) source: String,
    pub(super) config: types::WebhooksConfig,
    /// Why it could not be listed (then it has no plan): the whole failure, causes and hint.
    pub(super) error: Option<ErrorDoc>,
    pub(super) actions: Vec<Planned>,
}

impl Business {
    pub(super) fn failed(&self) -> bool {
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
