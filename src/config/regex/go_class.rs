//! Character classes and escapes in Go RE2 syntax, rewritten for the `regex` crate. Part of config
//! loading; pure.
//!
//! Go's Perl classes are ASCII, its Unicode class names are case-sensitive general categories and
//! scripts only, and inside brackets it has no nested classes or set operators, so `[`, `&&`, `--`
//! and `~~` are plain characters there. Everything is emitted in a form that means the same to the
//! `regex` crate whether it appears inside or outside brackets.

use super::go_syntax::{
    GoError, INVALID_CHAR_RANGE, INVALID_ESCAPE, MISSING_BRACKET, TRAILING_BACKSLASH,
};

/// A class no character belongs to. Go can express it (`[^\x00-\x{10FFFF}]`, a lone surrogate).
pub(super) const NEVER_MATCHES: &str = r"[^\x{0}-\x{10FFFF}]";

const SURROGATES: std::ops::RangeInclusive<u32> = 0xD800..=0xDFFF;

/// One element of a bracketed class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ClassItem {
    /// `lo-hi` (or a single character when equal), as code points.
    Range(u32, u32),
    /// A class already written in `regex` syntax (`[0-9]`, `[:alpha:]`, `\p{Greek}`).
    Rendered(String),
}

impl ClassItem {
    /// Surrogates cannot occur in text, so ranges are trimmed to the code points that can.
    fn clamped(&self) -> Option<(u32, u32)> {
        let ClassItem::Range(lo, hi) = *self else {
            return None;
        };
        let lo = if SURROGATES.contains(&lo) { 0xE000 } else { lo };
        let hi = if SURROGATES.contains(&hi) { 0xD7FF } else { hi };
        (lo <= hi).then_some((lo, hi))
    }

    pub(super) fn is_empty(&self) -> bool {
        matches!(self, ClassItem::Range(..)) && self.clamped().is_none()
    }

    pub(super) fn write(&self, out: &mut String) {
        if let ClassItem::Rendered(text) = self {
            out.push_str(text);
            return;
        }
        if let Some((lo, hi)) = self.clamped() {
            push_literal(out, lo);
            if hi != lo {
                out.push('-');
                push_literal(out, hi);
            }
        }
    }
}

/// A parsed `[...]`: its items and how many bytes of the pattern it spans.
#[derive(Debug)]
pub(super) struct Class {
    pub negated: bool,
    pub items: Vec<ClassItem>,
    pub len: usize,
}

/// Go's `parseClass`; `text` starts at `[`. `]` right after `[` or `[^` is a literal.
pub(super) fn parse_class(text: &str) -> Result<Class, GoError> {
    let mut pos = 1;
    let negated = text.get(pos..).is_some_and(|t| t.starts_with('^'));
    pos += usize::from(negated);
    let mut items = Vec::new();
    let mut first = true;
    loop {
        let rest = text.get(pos..).unwrap_or("");
        if !first && rest.starts_with(']') {
            return Ok(Class {
                negated,
                items,
                len: pos + 1,
            });
        }
        first = false;
        let (item, len) = class_item(rest, text)?;
        items.push(item);
        pos += len;
    }
}

fn class_item(rest: &str, whole_class: &str) -> Result<(ClassItem, usize), GoError> {
    if rest.len() > 2 && rest.starts_with("[:") {
        if let Some((rendered, len)) = posix_class(rest)? {
            return Ok((ClassItem::Rendered(rendered), len));
        }
    }
    if let Some((rendered, len)) = escape_class(rest)? {
        return Ok((ClassItem::Rendered(rendered), len));
    }
    let (lo, lo_len) = class_char(rest, whole_class)?;
    let after = rest.get(lo_len..).unwrap_or("");
    // `[a-]` means `a` or `-`.
    let range_end = after
        .strip_prefix('-')
        .filter(|t| !t.is_empty() && !t.starts_with(']'));
    let Some(range_end) = range_end else {
        return Ok((ClassItem::Range(lo, lo), lo_len));
    };
    let (hi, hi_len) = class_char(range_end, whole_class)?;
    let len = lo_len + 1 + hi_len;
    if hi < lo {
        return Err(GoError::new(
            INVALID_CHAR_RANGE,
            rest.get(..len).unwrap_or(rest),
        ));
    }
    Ok((ClassItem::Range(lo, hi), len))
}

fn class_char(rest: &str, whole_class: &str) -> Result<(u32, usize), GoError> {
    match rest.chars().next() {
        None => Err(GoError::new(MISSING_BRACKET, whole_class)),
        Some('\\') => parse_escape(rest),
        Some(c) => Ok((u32::from(c), c.len_utf8())),
    }
}

/// Go's `parseNamedClass`: `[:name:]` or `[:^name:]`, the name ending at the first `:]`.
fn posix_class(rest: &str) -> Result<Option<(String, usize)>, GoError> {
    const NAMES: [&str; 14] = [
        "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
        "space", "upper", "word", "xdigit",
    ];
    let Some(end) = rest.get(2..).and_then(|t| t.find(":]")) else {
        return Ok(None);
    };
    let len = end + 4;
    let text = rest.get(..len).unwrap_or(rest);
    let name = text.get(2..len - 2).unwrap_or("");
    if NAMES.contains(&name.strip_prefix('^').unwrap_or(name)) {
        Ok(Some((text.to_string(), len)))
    } else {
        Err(GoError::new(INVALID_CHAR_RANGE, text))
    }
}

/// `\d \s \w` (and negations) or `\p…`/`\P…`, written as a `regex` class, with its length.
pub(super) fn escape_class(rest: &str) -> Result<Option<(String, usize)>, GoError> {
    if let Some(rendered) = perl_class(rest) {
        return Ok(Some((rendered.to_string(), 2)));
    }
    unicode_class(rest)
}

fn perl_class(rest: &str) -> Option<&'static str> {
    Some(match rest.get(..2)? {
        r"\d" => "[0-9]",
        r"\D" => "[^0-9]",
        r"\s" => r"[\t\n\f\r ]",
        r"\S" => r"[^\t\n\f\r ]",
        r"\w" => "[0-9A-Za-z_]",
        r"\W" => "[^0-9A-Za-z_]",
        _ => return None,
    })
}

/// Go's `parseUnicodeClass`: `\pL`, `\p{Greek}`, `\P{…}` and `\p{^…}` for negation.
fn unicode_class(rest: &str) -> Result<Option<(String, usize)>, GoError> {
    let mut negated = match rest.get(..2) {
        Some(r"\p") => false,
        Some(r"\P") => true,
        _ => return Ok(None),
    };
    let after = rest.get(2..).unwrap_or("");
    let (name, len) = if after.starts_with('{') {
        let Some(end) = rest.find('}') else {
            return Err(GoError::new(INVALID_CHAR_RANGE, rest));
        };
        (rest.get(3..end).unwrap_or(""), end + 1)
    } else {
        let letter = after.chars().next().map_or(0, char::len_utf8);
        (after.get(..letter).unwrap_or(""), 2 + letter)
    };
    let sequence = rest.get(..len).unwrap_or(rest);
    let name = match name.strip_prefix('^') {
        Some(positive) => {
            negated = !negated;
            positive
        }
        None => name,
    };
    match render_unicode_class(name, negated) {
        Some(rendered) => Ok(Some((rendered, len))),
        None => Err(GoError::new(INVALID_CHAR_RANGE, sequence)),
    }
}

/// Go knows "Any", the general categories and the scripts, by their exact names.
fn render_unicode_class(name: &str, negated: bool) -> Option<String> {
    const CATEGORIES: [&str; 35] = [
        "C", "Cc", "Cf", "Co", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd",
        "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So",
        "Z", "Zl", "Zp", "Zs",
    ];
    let caret = if negated { "^" } else { "" };
    let rendered = match name {
        // Go's C is Cc, Cf, Co and Cs; Rust's also has unassigned code points.
        "C" => format!(r"[{caret}\p{{Cc}}\p{{Cf}}\p{{Co}}]"),
        // Surrogates never occur in text.
        "Cs" if negated => r"\p{Any}".to_string(),
        "Cs" => NEVER_MATCHES.to_string(),
        "Any" => format!(r"[{caret}\p{{Any}}]"),
        _ if CATEGORIES.contains(&name) => format!(r"[{caret}\p{{gc={name}}}]"),
        _ if is_script_name(name) => format!(r"[{caret}\p{{sc={name}}}]"),
        _ => return None,
    };
    Some(rendered)
}

/// Go's script names are capitalised words joined by `_`; the `regex` crate would also accept
/// other spellings and non-script properties, which Go refuses.
fn is_script_name(name: &str) -> bool {
    let well_formed = name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.bytes().all(|b| b == b'_' || b.is_ascii_alphabetic());
    well_formed && regex_syntax::parse(&format!(r"\p{{sc={name}}}")).is_ok()
}

/// Go's `parseEscape`: a single escaped character (octal, hex, C escapes, punctuation) as a code
/// point and the number of bytes consumed. `text` starts at the backslash.
pub(super) fn parse_escape(text: &str) -> Result<(u32, usize), GoError> {
    let mut chars = text.char_indices().skip(1);
    let Some((_, c)) = chars.next() else {
        return Err(GoError::new(TRAILING_BACKSLASH, ""));
    };
    let after = 1 + c.len_utf8();
    let invalid = |len: usize| GoError::new(INVALID_ESCAPE, text.get(..len).unwrap_or(text));
    let simple = match c {
        'a' => Some(0x07),
        'f' => Some(0x0C),
        'n' => Some(0x0A),
        'r' => Some(0x0D),
        't' => Some(0x09),
        'v' => Some(0x0B),
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => Some(u32::from(c)),
        _ => None,
    };
    if let Some(code) = simple {
        return Ok((code, after));
    }
    match c {
        '0'..='7' => octal_escape(text).ok_or_else(|| invalid(after)),
        'x' => hex_escape(text).map_err(invalid),
        _ => Err(invalid(after)),
    }
}

/// `\0`, `\12`, `\123`: up to three octal digits; a single non-zero digit is a backreference,
/// which Go refuses.
fn octal_escape(text: &str) -> Option<(u32, usize)> {
    let digits: Vec<u32> = text
        .bytes()
        .skip(1)
        .take(3)
        .take_while(|b| (b'0'..=b'7').contains(b))
        .map(|b| u32::from(b - b'0'))
        .collect();
    if digits.len() == 1 && digits.first() != Some(&0) {
        return None;
    }
    let code = digits.iter().fold(0, |acc, d| acc * 8 + d);
    Some((code, 1 + digits.len()))
}

/// `\x41` or `\x{10FFFF}`; on failure, how much of the text Go quotes in its error.
fn hex_escape(text: &str) -> Result<(u32, usize), usize> {
    let body = text.get(2..).unwrap_or("");
    if let Some(braced) = body.strip_prefix('{') {
        let mut code: u32 = 0;
        for (offset, c) in braced.char_indices() {
            let consumed = 3 + offset + c.len_utf8();
            if c == '}' {
                return if offset == 0 {
                    Err(consumed)
                } else {
                    Ok((code, consumed))
                };
            }
            let digit = c.to_digit(16).ok_or(consumed)?;
            code = code * 16 + digit;
            if code > 0x10FFFF {
                return Err(consumed);
            }
        }
        return Err(text.len());
    }
    let mut digits = body.chars();
    let first = digits.next();
    let second = digits.next();
    let consumed = 2 + first.map_or(0, char::len_utf8) + second.map_or(0, char::len_utf8);
    match (
        first.and_then(|c| c.to_digit(16)),
        second.and_then(|c| c.to_digit(16)),
    ) {
        (Some(hi), Some(lo)) => Ok((hi * 16 + lo, consumed)),
        _ => Err(consumed),
    }
}

/// Writes one code point as a `regex` literal that means the same inside and outside brackets.
pub(super) fn push_literal(out: &mut String, code: u32) {
    let Some(c) = char::from_u32(code) else {
        out.push_str(NEVER_MATCHES);
        return;
    };
    if regex_syntax::is_meta_character(c) {
        out.push('\\');
        out.push(c);
    } else if c.is_control() || (c.is_whitespace() && c != ' ') {
        out.push_str(&format!(r"\x{{{code:X}}}"));
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> String {
        let parsed = parse_class(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        let mut out = String::new();
        parsed.items.iter().for_each(|item| item.write(&mut out));
        assert_eq!(parsed.len, text.len(), "{text} should be consumed whole");
        format!("{}{out}", if parsed.negated { "^" } else { "" })
    }

    #[test]
    fn bracket_first_is_literal() {
        assert_eq!(class("[]a]"), r"\]a");
        assert_eq!(class("[^]a]"), r"^\]a");
    }

    #[test]
    fn dash_after_a_perl_class_is_literal() {
        assert_eq!(class(r"[\d-z]"), r"[0-9]\-z");
        assert_eq!(class("[a-]"), r"a\-");
    }

    #[test]
    fn posix_and_unicode_names_follow_go() {
        assert_eq!(class("[[:alpha:]x]"), "[:alpha:]x");
        assert_eq!(class(r"[\p{^Greek}]"), r"[^\p{sc=Greek}]");
        let invalid = |text: &str| parse_class(text).map(|_| ()).unwrap_err().expr;
        assert_eq!(invalid("[[:foo:]]"), "[:foo:]");
        assert_eq!(invalid(r"[\p{greek}]"), r"\p{greek}");
        assert_eq!(invalid(r"[\p{Alphabetic}]"), r"\p{Alphabetic}");
        assert_eq!(invalid(r"[\pX]"), r"\pX");
    }

    #[test]
    fn class_errors_quote_what_go_quotes() {
        let error = |text: &str| parse_class(text).map(|_| ()).unwrap_err();
        assert_eq!(error("[z-a]"), GoError::new(INVALID_CHAR_RANGE, "z-a"));
        assert_eq!(error("[a)$"), GoError::new(MISSING_BRACKET, "[a)$"));
        assert_eq!(error(r"[a-\d]"), GoError::new(INVALID_ESCAPE, r"\d"));
    }

    #[test]
    fn escapes_decode_like_go() {
        assert_eq!(parse_escape(r"\x41"), Ok((0x41, 4)));
        assert_eq!(parse_escape(r"\x{1F600}"), Ok((0x1F600, 9)));
        assert_eq!(parse_escape(r"\012"), Ok((0o12, 4)));
        assert_eq!(parse_escape(r"\0"), Ok((0, 2)));
        assert_eq!(parse_escape(r"\."), Ok((u32::from('.'), 2)));
        assert_eq!(parse_escape(r"\x{}").unwrap_err().expr, r"\x{}");
        assert_eq!(
            parse_escape(r"\x{110000}").unwrap_err().code,
            INVALID_ESCAPE
        );
        assert_eq!(parse_escape(r"\q").unwrap_err().expr, r"\q");
        assert_eq!(parse_escape(r"\é").unwrap_err().expr, r"\é");
    }

    #[test]
    fn surrogates_never_match() {
        assert_eq!(class(r"[\x{D800}]"), "");
        assert_eq!(class(r"[\x{D7FF}-\x{E000}]"), "\u{D7FF}-\u{E000}");
    }
}
