//! Reading what the user names on the command line (a file, or `-` for standard input), never
//! more than a documented cap: `connectly validate /dev/zero` stops at the cap instead of
//! growing until the machine runs out of memory.

use std::io::{IsTerminal, Read};
use std::path::Path;

use crate::output::Printer;

/// Largest config file `validate` and `apply` read (1 MiB). A config holds at most one
/// registration per topic per business, a few kB; a larger file is refused before parsing.
pub(crate) const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Largest event body `events send --body` and `events verify` read (1 MiB, the body limit of
/// the mock and of common receivers; Connectly's events are a few kB).
pub(crate) const MAX_EVENT_BYTES: u64 = 1024 * 1024;

/// Largest `--api-key-file` read (4 KiB; an API key is well under 100 bytes).
pub(crate) const MAX_KEY_FILE_BYTES: u64 = 4 * 1024;

/// How a source is named in messages: `<stdin>` for `-`.
pub(crate) fn display_name(source: &str) -> &str {
    if source == "-" {
        "<stdin>"
    } else {
        source
    }
}

/// Reads `source` (`-`: stdin), `what` it is (`"a config file"`), at most `cap` bytes; more is
/// an error that names the cap.
pub(crate) fn read_source(
    printer: &Printer,
    source: &str,
    what: &str,
    cap: u64,
) -> Result<Vec<u8>, String> {
    if source == "-" {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            printer.status(format!(
                "connectly: reading {what} from stdin (end with Ctrl-D)"
            ));
        }
        read_capped(stdin.lock(), "<stdin>", what, cap)
    } else {
        read_file(Path::new(source), what, cap)
    }
}

/// Reads the file at `path`, at most `cap` bytes (see [`read_source`]).
pub(crate) fn read_file(path: &Path, what: &str, cap: u64) -> Result<Vec<u8>, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    read_capped(file, &path.display().to_string(), what, cap)
}

/// The one capped read: at most `cap` bytes of `reader`, else an error naming the cap.
fn read_capped(reader: impl Read, name: &str, what: &str, cap: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {name}: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(format!(
            "{name} is larger than {}, the limit for {what}: refused (nothing was used)",
            size(cap)
        ));
    }
    Ok(bytes)
}

/// `1 MiB`, `4 KiB`, `100 bytes`.
pub(crate) fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_is_cut_at_the_cap_and_the_error_names_it() {
        let at_cap = read_capped(&[b'x'; 16][..], "f", "a thing", 16).unwrap();
        assert_eq!(at_cap.len(), 16);
        let err =
            read_capped(std::io::repeat(0), "/dev/zero", "a config file", 1 << 20).unwrap_err();
        assert_eq!(
            err,
            "/dev/zero is larger than 1 MiB, the limit for a config file: refused (nothing was used)"
        );
    }

    #[test]
    fn sizes_are_shown_in_their_unit() {
        assert_eq!(size(MAX_CONFIG_BYTES), "1 MiB");
        assert_eq!(size(MAX_KEY_FILE_BYTES), "4 KiB");
        assert_eq!(size(100), "100 bytes");
    }
}
