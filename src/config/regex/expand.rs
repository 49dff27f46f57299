//! Go's `Regexp.ExpandString` template rules, used by relabel `replacement` and `target_label`.
//! Part of config loading; pure.
//!
//! `$name` takes the longest run of letters, digits and `_` (Unicode letters and decimal digits,
//! as Go's `unicode.IsLetter`/`IsDigit`), so `$1bar` names the group `1bar`; `${1}bar` is group 1
//! then `bar`. A name of ASCII digits without a leading zero is a group number. `$$` is `$`; a `$`
//! not followed by a name is kept as is; an unknown or non-participating group expands to "".

use std::sync::LazyLock;

use super::Submatches;

/// Which group a `$` reference names.
#[derive(Debug, PartialEq, Eq)]
enum Reference<'a> {
    Number(usize),
    Name(&'a str),
}

/// Appends `template`, expanded against `groups`, to `out`.
pub(super) fn expand(template: &str, groups: &Submatches<'_, '_>, out: &mut String) {
    let mut rest = template;
    while let Some(dollar) = memchr::memchr(b'$', rest.as_bytes()) {
        out.push_str(rest.get(..dollar).unwrap_or(""));
        let after = rest.get(dollar + 1..).unwrap_or("");
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
            continue;
        }
        let Some((reference, tail)) = extract(after) else {
            out.push('$');
            rest = after;
            continue;
        };
        let value = match reference {
            Reference::Number(index) => groups.get(index),
            Reference::Name(name) => groups.named(name),
        };
        out.push_str(value.unwrap_or(""));
        rest = tail;
    }
    out.push_str(rest);
}

/// Go's `extract`: the reference after a `$` and the text after it, or `None` when malformed.
fn extract(text: &str) -> Option<(Reference<'_>, &str)> {
    let (braced, body) = match text.strip_prefix('{') {
        Some(body) => (true, body),
        None => (false, text),
    };
    let name_len: usize = body
        .chars()
        .take_while(|&c| is_name_char(c))
        .map(char::len_utf8)
        .sum();
    if name_len == 0 {
        return None;
    }
    let (name, mut rest) = body.split_at(name_len);
    if braced {
        rest = rest.strip_prefix('}')?;
    }
    Some((reference(name), rest))
}

/// Go stops accumulating once the value reaches 10^8, so up to nine digits without a leading
/// zero make a number; anything else is a name.
fn reference(name: &str) -> Reference<'_> {
    let numeric = name.bytes().all(|b| b.is_ascii_digit())
        && (name.len() == 1 || !name.starts_with('0'))
        && name.len() <= 9;
    match name.parse::<usize>() {
        Ok(number) if numeric => Reference::Number(number),
        _ => Reference::Name(name),
    }
}

fn is_name_char(c: char) -> bool {
    static LETTER_OR_DIGIT: LazyLock<Option<regex::Regex>> =
        LazyLock::new(|| regex::Regex::new(r"^[\p{L}\p{Nd}]$").ok());
    if c.is_ascii() {
        return c == '_' || c.is_ascii_alphanumeric();
    }
    let mut buffer = [0; 4];
    LETTER_OR_DIGIT
        .as_ref()
        .is_some_and(|re| re.is_match(c.encode_utf8(&mut buffer)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_take_the_longest_run() {
        assert_eq!(extract("1bar"), Some((Reference::Name("1bar"), "")));
        assert_eq!(extract("{1}bar"), Some((Reference::Number(1), "bar")));
        assert_eq!(extract("1-x"), Some((Reference::Number(1), "-x")));
        assert_eq!(extract("1ü"), Some((Reference::Name("1ü"), "")));
    }

    #[test]
    fn malformed_references_are_literal() {
        assert_eq!(extract("{1"), None);
        assert_eq!(extract("{}"), None);
        assert_eq!(extract("-"), None);
        assert_eq!(extract(""), None);
    }

    #[test]
    fn leading_zeros_and_huge_numbers_are_names() {
        assert_eq!(reference("01"), Reference::Name("01"));
        assert_eq!(reference("0"), Reference::Number(0));
        assert_eq!(reference("999999999"), Reference::Number(999_999_999));
        assert_eq!(reference("1000000000"), Reference::Name("1000000000"));
    }
}
