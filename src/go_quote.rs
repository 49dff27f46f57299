//! Go's `%q` formatting (`strconv.Quote`), which Prometheus uses in its error messages; we
//! reproduce it so our messages read exactly like Prometheus's. Shared by all stages; pure.

use std::fmt::Write;
use std::sync::LazyLock;

/// Quotes `text` as Go's `strconv.Quote` does: printable characters as they are, the rest escaped.
pub fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        push_quoted(&mut out, c);
    }
    out.push('"');
    out
}

fn push_quoted(out: &mut String, c: char) {
    let escape = match c {
        '"' => "\\\"",
        '\\' => "\\\\",
        '\u{7}' => "\\a",
        '\u{8}' => "\\b",
        '\u{c}' => "\\f",
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        '\u{b}' => "\\v",
        _ => "",
    };
    let code = u32::from(c);
    let _ = match (escape, is_go_printable(c)) {
        ("", true) => write!(out, "{c}"),
        ("", false) if code < 0x80 => write!(out, "\\x{code:02x}"),
        ("", false) if code < 0x10000 => write!(out, "\\u{code:04x}"),
        ("", false) => write!(out, "\\U{code:08x}"),
        (escaped, _) => write!(out, "{escaped}"),
    };
}

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space.
fn is_go_printable(c: char) -> bool {
    static PRINTABLE: LazyLock<Option<regex::Regex>> =
        LazyLock::new(|| regex::Regex::new(r"^[\p{L}\p{M}\p{N}\p{P}\p{S}]$").ok());
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    let mut buffer = [0; 4];
    PRINTABLE
        .as_ref()
        .is_some_and(|re| re.is_match(c.encode_utf8(&mut buffer)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_strconv_quote() {
        assert_eq!(go_quote("h:1/x"), r#""h:1/x""#);
        assert_eq!(go_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote("tab\there\u{1}"), r#""tab\there\x01""#);
        assert_eq!(go_quote("é\u{200b}\u{a0}"), r#""é\u200b\u00a0""#);
    }
}
