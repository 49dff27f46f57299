//! Go's `strings.ToLower` / `strings.ToUpper`, for the `lowercase` and `uppercase` actions. Part of
//! the relabel stage; pure.
//!
//! Go maps each character on its own with Unicode's simple case mapping. Rust's `str` methods use
//! the full mapping instead (`ß` → `SS`, `İ` → `i̇`, a final `Σ` → `ς`), so we map per character
//! and fall back to the simple mapping where the full one has several characters.

pub(super) fn go_to_lower(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    text.chars().map(simple_lower).collect()
}

pub(super) fn go_to_upper(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_uppercase();
    }
    text.chars().map(simple_upper).collect()
}

fn simple_lower(c: char) -> char {
    let mut mapped = c.to_lowercase();
    match (mapped.next(), mapped.next()) {
        (Some(single), None) => single,
        // U+0130 is the only character whose full lowercase has several characters.
        _ if c == '\u{130}' => 'i',
        _ => c,
    }
}

fn simple_upper(c: char) -> char {
    let mut mapped = c.to_uppercase();
    match (mapped.next(), mapped.next()) {
        (Some(single), None) => single,
        _ => simple_upper_of_expanding(c),
    }
}

/// Of the characters whose full uppercase expands, only the Greek letters with ypogegrammeni
/// have a simple uppercase: their titlecase form. The rest (`ß`, ligatures, …) stay as they are.
fn simple_upper_of_expanding(c: char) -> char {
    let code = u32::from(c);
    let mapped = match code {
        0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => code + 8,
        0x1FB3 => 0x1FBC,
        0x1FC3 => 0x1FCC,
        0x1FF3 => 0x1FFC,
        _ => code,
    };
    char::from_u32(mapped).unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_mapped_plainly() {
        assert_eq!(go_to_upper("bAr123Foo"), "BAR123FOO");
        assert_eq!(go_to_lower("bAr123Foo"), "bar123foo");
    }

    #[test]
    fn characters_map_one_to_one_like_go() {
        assert_eq!(go_to_upper("straße"), "STRAßE");
        assert_eq!(go_to_lower("İ"), "i");
        assert_eq!(go_to_lower("ΟΔΟΣ"), "οδοσ");
        assert_eq!(go_to_upper("ﬁ"), "ﬁ");
        assert_eq!(go_to_upper("ᾳ"), "ᾼ");
        assert_eq!(go_to_upper("ᾈ"), "ᾈ");
        assert_eq!(go_to_upper("éſ"), "ÉS");
    }
}
