//! The one rule for a destructive step (`webhooks delete`, and `apply`'s deletions, replaces and
//! updates that remove configuration): `--yes`, or a `y` typed on a terminal after the question.
//! Off a terminal without `--yes` it is refused, so a script never deletes by accident; either
//! way a refusal is one failure, [`not_confirmed`].

use crate::output::Printer;
use crate::Failure;

/// `Ok` when `yes`, or when the user answers `y` to `question` on a terminal; else
/// [`not_confirmed`] for `what` (`delete webhook X`).
pub(crate) fn destructive(
    printer: &Printer,
    yes: bool,
    question: &str,
    what: &str,
) -> Result<(), Failure> {
    if yes || printer.ask(question) {
        Ok(())
    } else {
        Err(not_confirmed(what))
    }
}

/// The failure of a destructive step that was not confirmed: declined on a terminal, or off one
/// without `--yes`. Nothing was changed.
pub(crate) fn not_confirmed(what: &str) -> Failure {
    let why = if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        "not confirmed"
    } else {
        "not confirmed: stdin is not a terminal"
    };
    Failure::failed(format!("did not {what}: {why} (nothing was changed)"))
        .hint("pass --yes to confirm")
}
