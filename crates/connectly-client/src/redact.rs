//! Server text made safe to keep and print: the API key redacted from anything a server sent
//! (in any case, and any run of [`KEY_PART_MIN`] or more consecutive characters of it), and
//! short excerpts of response bodies with their control characters escaped.

use std::borrow::Cow;

use connectly_net::is_unprintable;

use crate::ApiError;

const REDACTED: &str = "[redacted]";

/// The shortest part of the API key that is redacted on its own: a server that echoes the key
/// cut at either end (or both), or in another case, still has every run of this many of its
/// characters replaced. A key shorter than this is redacted whole.
pub(crate) const KEY_PART_MIN: usize = 8;

/// `text` with the API key replaced by `[redacted]`: the key itself, and every run of at least
/// [`KEY_PART_MIN`] consecutive characters of it, compared without regard to ASCII case.
///
/// One pass over the text: for each byte, the matches ending there are extended from those
/// ending at the byte before, at the positions of the key that hold that byte (the longest
/// common substring recurrence, kept sparse), so the cost is the text's length times the
/// number of times a byte occurs in the key.
pub(crate) fn redact<'t>(text: &'t str, key: &str) -> Cow<'t, str> {
    let spans = key_spans(text.as_bytes(), key.as_bytes());
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in spans {
        // The spans cover ASCII bytes only (the key is ASCII), so they are on char boundaries.
        out.push_str(&text[at..start]);
        out.push_str(REDACTED);
        at = end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// The byte ranges of `text` that are a run of at least [`KEY_PART_MIN`] (or all) of `key`'s
/// characters, case-insensitively, merged, in order.
fn key_spans(text: &[u8], key: &[u8]) -> Vec<(usize, usize)> {
    let min = KEY_PART_MIN.min(key.len());
    if min == 0 || text.len() < min {
        return Vec::new();
    }
    // Where each (lower-cased) byte occurs in the key.
    let mut at: Vec<Vec<usize>> = vec![Vec::new(); 256];
    for (j, b) in key.iter().enumerate() {
        at[usize::from(b.to_ascii_lowercase())].push(j);
    }
    // run[j]: the length of the match of text ending at the previous byte with key ending at
    // j; only the entries in `set` are non-zero.
    let (mut run, mut next) = (vec![0usize; key.len()], vec![0usize; key.len()]);
    let (mut set, mut next_set) = (Vec::new(), Vec::new());
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (i, b) in text.iter().enumerate() {
        let mut longest = 0;
        for &j in &at[usize::from(b.to_ascii_lowercase())] {
            let len = if j == 0 { 1 } else { run[j - 1] + 1 };
            next[j] = len;
            next_set.push(j);
            longest = longest.max(len);
        }
        for &j in &set {
            run[j] = 0;
        }
        std::mem::swap(&mut run, &mut next);
        std::mem::swap(&mut set, &mut next_set);
        next_set.clear();
        if longest >= min {
            // Merged with the spans it overlaps or touches (a long match may reach back over
            // more than one).
            let mut start = i + 1 - longest;
            while let Some(&(s, e)) = spans.last() {
                if start > e {
                    break;
                }
                start = start.min(s);
                spans.pop();
            }
            spans.push((start, i + 1));
        }
    }
    spans
}

fn redact_in_place(text: &mut String, key: &str) {
    if let Cow::Owned(redacted) = redact(text, key) {
        *text = redacted;
    }
}

fn redact_value(value: &mut serde_json::Value, key: &str) {
    match value {
        serde_json::Value::String(s) => redact_in_place(s, key),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|v| redact_value(v, key)),
        serde_json::Value::Object(map) => redact_map(map, key),
        _ => {}
    }
}

fn redact_map(map: &mut serde_json::Map<String, serde_json::Value>, key: &str) {
    if map.keys().any(|k| matches!(redact(k, key), Cow::Owned(_))) {
        *map = std::mem::take(map)
            .into_iter()
            .map(|(k, v)| (redact(&k, key).into_owned(), v))
            .collect();
    }
    map.values_mut().for_each(|v| redact_value(v, key));
}

/// Connectly's error body with the key redacted from every string.
pub(crate) fn redact_body(mut body: ApiError, key: &str) -> ApiError {
    for field in [
        &mut body.message,
        &mut body.type_,
        &mut body.code,
        &mut body.user_title,
        &mut body.user_message,
        &mut body.cnt_trace_id,
    ]
    .into_iter()
    .flatten()
    {
        redact_in_place(field, key);
    }
    redact_map(&mut body.details, key);
    body
}

/// Longest excerpt of a response body kept in an error, in characters.
pub(crate) const EXCERPT_CHARS: usize = 200;

/// A short excerpt of a body that is safe to print: the key redacted (before cutting, so no
/// prefix of it survives), at most [`EXCERPT_CHARS`] characters (plus a final `…` when cut),
/// lossy UTF-8, unprintable characters escaped. The cap counts the escaped text, so a body full
/// of control bytes (`\u{1}` is 5 characters) is not 5 times longer.
pub(crate) fn excerpt(body: &[u8], key: &str) -> String {
    // Enough of the body for the excerpt and for a key that starts inside it.
    let head = &body[..body.len().min(EXCERPT_CHARS * 4 + key.len())];
    let text = String::from_utf8_lossy(head);
    let text = redact(&text, key);
    let mut out = String::new();
    let mut chars = 0;
    for c in text.chars() {
        let escaped: String = if is_unprintable(c) {
            c.escape_default().collect()
        } else {
            c.into()
        };
        let len = escaped.chars().count();
        if chars + len > EXCERPT_CHARS {
            out.push('…');
            return out;
        }
        chars += len;
        out.push_str(&escaped);
    }
    if head.len() < body.len() {
        out.push('…');
    }
    out
}
#[cfg(test)]
mod tests {
    use super::*;

    /// A key that none of the bodies below contain.
    const K: &str = "sk_test_unused";

    #[test]
    fn excerpt_is_short_and_printable() {
        let long = "a".repeat(1000);
        assert_eq!(
            excerpt(long.as_bytes(), K).chars().count(),
            EXCERPT_CHARS + 1
        );
        assert_eq!(excerpt(b"<h1>\r\nBad", K), "<h1>\\r\\nBad");
        assert_eq!(excerpt(&[0xff, b'x'], K), "\u{fffd}x");
        let controls = excerpt(&[1; 1000], K);
        assert_eq!(controls.chars().count(), EXCERPT_CHARS / 5 * 5 + 1);
        assert!(controls.starts_with("\\u{1}\\u{1}") && controls.ends_with('…'));
        assert_eq!(
            excerpt(&[b'a'; EXCERPT_CHARS], K),
            "a".repeat(EXCERPT_CHARS)
        );
        assert_eq!(
            excerpt(b"\x1b[2J\xe2\x80\xaeok", K),
            "\\u{1b}[2J\\u{202e}ok"
        );
    }

    #[test]
    fn the_key_is_redacted_before_the_excerpt_is_cut() {
        let key = "sk_live_0123456789";
        // The key straddles the cut: no prefix of it may survive.
        let body = format!("{}{key}{}", "x".repeat(EXCERPT_CHARS - 4), "y".repeat(50));
        let cut = excerpt(body.as_bytes(), key);
        assert!(!cut.contains("sk_l"), "{cut}");
        assert_eq!(cut, format!("{}[red…", "x".repeat(EXCERPT_CHARS - 4)));
    }

    #[test]
    fn the_key_is_redacted_in_any_case_and_cut_at_either_end() {
        let key = "sk_live_0123456789AbCd";
        for (text, expected) in [
            (format!("key {key}!"), "key [redacted]!".to_owned()),
            (
                format!("KEY {} end", key.to_uppercase()),
                "KEY [redacted] end".to_owned(),
            ),
            (
                format!("[{}]", key.to_lowercase()),
                "[[redacted]]".to_owned(),
            ),
            // Cut at the start, at the end, at both: 8 characters or more.
            (format!("x{}y", &key[5..]), "x[redacted]y".to_owned()),
            (format!("x{}y", &key[..8]), "x[redacted]y".to_owned()),
            (format!("x{}y", &key[4..12]), "x[redacted]y".to_owned()),
            // Twice, back to back, and overlapping matches.
            (format!("{key}{key}"), "[redacted]".to_owned()),
            (
                format!("{} {}", &key[..10], &key[10..]),
                "[redacted] [redacted]".to_owned(),
            ),
            // Seven characters are not enough; other text is untouched.
            (format!("x{}y", &key[..7]), format!("x{}y", &key[..7])),
            ("sk_live_".to_owned(), "[redacted]".to_owned()),
            ("sk_test_0123".to_owned(), "sk_test_0123".to_owned()),
            (
                "Zürich 東京 sk_LIVE_0123 ok".to_owned(),
                "Zürich 東京 [redacted] ok".to_owned(),
            ),
        ] {
            assert_eq!(redact(&text, key), expected, "{text}");
        }
        // A key shorter than the part is redacted whole only.
        assert_eq!(
            redact("a SHORT one, short", "short"),
            "a [redacted] one, [redacted]"
        );
        assert_eq!(redact("a shor", "short"), "a shor");
        assert!(matches!(redact("nothing here", key), Cow::Borrowed(_)));
    }

    #[test]
    fn overlapping_matches_make_one_span() {
        // "abcdefghij" matches the key at 0 and at 11; only the second goes on to "klmnop".
        let key = "abcdefghij_abcdefghijklmnop";
        let text = "abcdefghijklmnop";
        assert_eq!(redact(text, key), "[redacted]");
        assert_eq!(key_spans(text.as_bytes(), key.as_bytes()), [(0, 16)]);
    }
}
