//! JSON pointer (RFC 6901) reference tokens: the one place `~0` and `~1` are written and read.

/// Escapes one reference token of a JSON pointer (RFC 6901): `~` as `~0`, `/` as `~1`.
///
/// ```
/// assert_eq!(connectly_document::escape_pointer_token("a/b~c"), "a~1b~0c");
/// ```
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Unescapes one reference token of a JSON pointer (RFC 6901): `~1` as `/`, then `~0` as `~`
/// (in that order, so `~01` is `~1`); borrowed when there is nothing to unescape.
///
/// ```
/// use connectly_document::{escape_pointer_token, unescape_pointer_token};
/// assert_eq!(unescape_pointer_token("a~1b~0c"), "a/b~c");
/// assert_eq!(unescape_pointer_token("~01"), "~1");
/// assert_eq!(unescape_pointer_token(&escape_pointer_token("~1/")), "~1/");
/// ```
pub fn unescape_pointer_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains('~') {
        token.replace("~1", "/").replace("~0", "~").into()
    } else {
        token.into()
    }
}
