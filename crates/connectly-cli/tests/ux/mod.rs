//! What every verb shares, as users of gh, cargo and ripgrep expect it: errors with their cause
//! chain and a hint, one `--json` contract (errors included), exit codes, a closed stdout that
//! ends quietly, colour, help with its option headings and examples, completions and man pages.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Stdio;

use crate::common::{connectly, list_at, list_unreachable, Fake, Out, Run, BIZ, KEY};
use serde_json::{json, Value};

/// Every verb, as its path of subcommand names, found by walking `--help` (so a new verb is
/// covered without editing this list). The root is `[]`.
pub fn verbs() -> Vec<Vec<String>> {
    fn walk(path: Vec<String>, all: &mut Vec<Vec<String>>) {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = connectly(&args).run().code(0).stdout;
        all.push(path.clone());
        let Some((_, section)) = help.split_once("\nCommands:\n") else {
            return;
        };
        for line in section.lines().take_while(|l| l.starts_with("  ")) {
            let name = line.split_whitespace().next().unwrap();
            if name != "help" {
                let mut child = path.clone();
                child.push(name.to_owned());
                walk(child, all);
            }
        }
    }
    let mut all = Vec::new();
    walk(Vec::new(), &mut all);
    all
}

fn help(path: &[String]) -> String {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    connectly(&args).run().code(0).stdout
}

/// The error object of a `--json` run: `message`, `kind` and `causes` always; `hint` only when
/// there is one (then a string).
fn json_error(out: &Out) -> Value {
    let error = out.json()["error"].clone();
    assert!(error.is_object(), "an error object: {out:?}");
    for key in ["message", "kind", "causes"] {
        assert!(error.get(key).is_some(), "error.{key} is present: {out:?}");
    }
    assert!(
        error.get("hint").is_none_or(Value::is_string),
        "error.hint, when present, is text: {out:?}"
    );
    error
}

mod errors;
mod help;
mod output;
mod smaller;
