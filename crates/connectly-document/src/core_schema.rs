//! Resolving scalars and checking tags with YAML 1.2's core schema, refusing what JSON cannot
//! hold (`.nan`, `.inf`, `1e400`, integers beyond 64 bits) and any tag outside the schema.

use serde_json::{Number, Value};
use yaml_rust2::parser::Tag;
use yaml_rust2::scanner::TScalarStyle;

/// The YAML core schema's tag prefix (`!!` unless a `%TAG` directive changes it).
const CORE_TAG: &str = "tag:yaml.org,2002:";

/// Checks the tag of a sequence (`is_seq`) or mapping: none, `!`, or the core schema's own.
pub(crate) fn collection_tag(tag: Option<&Tag>, is_seq: bool) -> Result<(), String> {
    let want = if is_seq { "seq" } else { "map" };
    if let Some(tag) = tag {
        if !(tag.handle == CORE_TAG && tag.suffix == want || is_non_specific(tag)) {
            return Err(format!(
                "the tag `{}` is not allowed on a {}: only `!!{want}`",
                show_tag(tag),
                if is_seq { "sequence" } else { "mapping" },
            ));
        }
    }
    Ok(())
}

fn is_non_specific(tag: &Tag) -> bool {
    tag.handle.is_empty() && tag.suffix == "!"
}

fn show_tag(tag: &Tag) -> String {
    if tag.handle == CORE_TAG {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}
/// Resolves a scalar: plain ones with the YAML 1.2 core schema, quoted and block ones as
/// strings, tagged ones as their core-schema tag says.
pub(crate) fn scalar(
    text: String,
    style: TScalarStyle,
    tag: Option<&Tag>,
) -> Result<Value, String> {
    let core = match tag {
        None if style == TScalarStyle::Plain => return plain_scalar(&text),
        None => return Ok(Value::String(text)),
        Some(tag) if is_non_specific(tag) => return Ok(Value::String(text)),
        Some(tag) if tag.handle == CORE_TAG => tag.suffix.as_str(),
        Some(tag) => {
            return Err(format!(
                "unsupported tag `{}`: only the YAML core schema's !!str, !!int, !!float, \
                 !!bool, !!null, !!seq and !!map are read",
                show_tag(tag)
            ))
        }
    };
    let resolved = plain_scalar(&text);
    let wrong = |what: &str| format!("{text:?} is not {what}, as its tag `!!{core}` requires");
    match core {
        "str" => Ok(Value::String(text)),
        "null" => match resolved {
            Ok(Value::Null) => Ok(Value::Null),
            _ => Err(wrong("null")),
        },
        "bool" => match resolved {
            Ok(Value::Bool(b)) => Ok(Value::Bool(b)),
            _ => Err(wrong("a boolean")),
        },
        "int" => match resolved {
            Ok(Value::Number(n)) if !n.is_f64() => Ok(Value::Number(n)),
            Err(e) if int_syntax(&text) => Err(e),
            _ => Err(wrong("an integer")),
        },
        "float" => match resolved {
            Ok(Value::Number(n)) => n
                .as_f64()
                .and_then(Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| wrong("a float")),
            Err(e) => Err(e),
            _ => Err(wrong("a float")),
        },
        other => Err(format!(
            "unsupported tag `!!{other}`: only the YAML core schema's !!str, !!int, !!float, \
             !!bool, !!null, !!seq and !!map are read"
        )),
    }
}

/// Resolves a plain scalar with the YAML 1.2 core schema. What JSON cannot hold faithfully is
/// an error: `.nan`, `.inf`, a float beyond `f64`, an integer beyond 64 bits.
fn plain_scalar(text: &str) -> Result<Value, String> {
    let quote = format!("quote it (\"{text}\") if you mean the string");
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        ".nan" | ".NaN" | ".NAN" => {
            return Err(format!(
                "`{text}` (not a number) cannot be held in JSON; {quote}"
            ))
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF" => {
            return Err(format!(
                "`{text}` (infinity) cannot be held in JSON; {quote}"
            ))
        }
        _ => {}
    }
    let radix = |digits: &str, radix: u32| {
        u64::from_str_radix(digits, radix)
            .map(|n| Value::Number(n.into()))
            .map_err(|_| format!("the integer `{text}` does not fit in 64 bits; {quote}"))
    };
    if let Some(digits) = text.strip_prefix("0x") {
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return radix(digits, 16);
        }
    }
    if let Some(digits) = text.strip_prefix("0o") {
        if !digits.is_empty() && digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return radix(digits, 8);
        }
    }
    if int_syntax(text) {
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        if let Ok(u) = text.trim_start_matches('+').parse::<u64>() {
            return Ok(Value::Number(u.into()));
        }
        return Err(format!(
            "the integer `{text}` does not fit in 64 bits; {quote}"
        ));
    }
    if float_syntax(text) {
        let f: f64 = text
            .parse()
            .map_err(|_| format!("`{text}` is not a number; {quote}"))?;
        return Number::from_f64(f).map(Value::Number).ok_or_else(|| {
            format!("`{text}` is beyond the range of a 64-bit float (JSON numbers here are finite); {quote}")
        });
    }
    Ok(Value::String(text.to_owned()))
}

/// `[-+]?[0-9]+`
fn int_syntax(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the core schema's float.
fn float_syntax(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text).as_bytes();
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let int = digits(s);
    let mut i = int;
    let mut frac = 0;
    if s.get(i) == Some(&b'.') {
        frac = digits(&s[i + 1..]);
        i += 1 + frac;
    }
    if int == 0 && frac == 0 {
        return false;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let exp = digits(&s[i..]);
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == s.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::tests::err;
    use crate::{Document, ParseError, Position};
    use serde_json::json;

    /// The error `text` is refused with, which says `needle`.
    fn refused(text: &str, needle: &str) -> ParseError {
        let e = err(text);
        assert!(e.message.contains(needle), "{text}: {e}");
        e
    }

    /// Issue 13, case 4: tags.
    #[test]
    fn core_schema_tags_are_honoured_and_others_refused() {
        let doc = Document::parse(
            "a: !!str true\nb: !!int \"12\"\nc: !!float 1\nd: !!bool \"false\"\ne: !!null ''\nf: ! 12\ng: !!seq [1]\nh: !!map {}\n",
        )
        .unwrap();
        assert_eq!(
            doc.value(),
            &json!({"a": "true", "b": 12, "c": 1.0, "d": false, "e": null, "f": "12", "g": [1], "h": {}})
        );
        for (text, needle) in [
            ("a: !custom x\n", "unsupported tag `!custom`"),
            ("a: !!binary aGVsbG8=\n", "unsupported tag `!!binary`"),
            ("a: !!timestamp 2001-12-14\n", "unsupported tag"),
            ("a: !!int twelve\n", "is not an integer"),
            ("a: !!bool yes\n", "is not a boolean"),
            ("a: !!map [1]\n", "only `!!seq`"),
            ("a: !!set {x: null}\n", "only `!!map`"),
        ] {
            let e = refused(text, needle);
            assert_eq!(e.position.line, 1, "{e}");
        }
    }

    /// Issue 13, case 4: special scalars.
    #[test]
    fn numbers_json_cannot_hold_are_refused() {
        for (text, needle) in [
            ("a: 1e400\n", "beyond the range"),
            ("a: -1e400\n", "beyond the range"),
            ("a: .nan\n", "not a number"),
            ("a: .inf\n", "infinity"),
            ("a: -.Inf\n", "infinity"),
            ("a: 123456789012345678901234\n", "does not fit in 64 bits"),
            ("a: 0xffffffffffffffffff\n", "does not fit in 64 bits"),
        ] {
            let e = refused(text, needle);
            assert_eq!(e.position, Position { line: 1, column: 4 }, "{e}");
        }
        let doc = Document::parse(
            "a: 1e300\nb: '.nan'\nc: 18446744073709551615\nd: 0x1F\ne: 0o17\nf: .5\ng: -3\nh: 1_000\ni: NULL\nj: yes\n",
        )
        .unwrap();
        assert_eq!(
            doc.value(),
            &json!({"a": 1e300, "b": ".nan", "c": 18446744073709551615u64, "d": 31, "e": 15,
                    "f": 0.5, "g": -3, "h": "1_000", "i": null, "j": "yes"})
        );
    }

    #[test]
    fn float_syntax_is_the_core_schemas() {
        for yes in ["1.5", ".5", "1.", "-1e5", "+2E-3", "1.5e+10"] {
            assert!(float_syntax(yes), "{yes}");
        }
        for no in [".", "e5", "1e", "1.5.2", "inf", "1_0", "0x1", ""] {
            assert!(!float_syntax(no), "{no}");
        }
    }
}
