//! Byte-level helpers of the scanner: character classes, a UTF-8 check that accepts its input in
//! pieces, and the number syntax Prometheus's parsers accept. Pure.

use crate::go_quote::go_quote;

/// Bit 0: may start a metric name; bit 1: may continue one; bit 2: may start a label name;
/// bit 3: may continue one.
static CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let alpha = c.is_ascii_alphabetic() || c == b'_';
        let digit = c.is_ascii_digit();
        let mut bits = 0;
        if alpha || c == b':' {
            bits |= 0b0011;
        }
        if digit {
            bits |= 0b0010;
        }
        if alpha {
            bits |= 0b1100;
        }
        if digit {
            bits |= 0b1000;
        }
        table[b] = bits;
        b += 1;
    }
    table
};

#[inline(always)]
pub(crate) fn metric_start(b: u8) -> bool {
    CLASS[b as usize] & 0b0001 != 0
}

#[inline(always)]
pub(crate) fn metric_char(b: u8) -> bool {
    CLASS[b as usize] & 0b0010 != 0
}

#[inline(always)]
pub(crate) fn label_start(b: u8) -> bool {
    CLASS[b as usize] & 0b0100 != 0
}

#[inline(always)]
pub(crate) fn label_char(b: u8) -> bool {
    CLASS[b as usize] & 0b1000 != 0
}

/// A UTF-8 validity check over a text that arrives in pieces: a character split between two
/// pieces is carried over (at most 3 bytes).
#[derive(Debug, Default, Clone)]
pub(crate) struct Utf8Stream {
    pending: [u8; 4],
    pending_len: usize,
    invalid: bool,
}

fn sequence_len(lead: u8) -> usize {
    match lead {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

impl Utf8Stream {
    pub(crate) fn reset(&mut self) {
        self.pending_len = 0;
        self.invalid = false;
    }

    /// `ascii` tells that the piece is known to be ASCII (its whole chunk is), which skips the
    /// check unless a character is pending from an earlier piece.
    #[inline]
    pub(crate) fn feed(&mut self, mut piece: &[u8], ascii: bool) {
        if self.invalid || piece.is_empty() || (ascii && self.pending_len == 0) {
            return;
        }
        if self.pending_len == 0 && piece.is_ascii() {
            return;
        }
        if self.pending_len > 0 {
            let need = sequence_len(self.pending[0]);
            let take = (need - self.pending_len).min(piece.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&piece[..take]);
            self.pending_len += take;
            piece = &piece[take..];
            if self.pending_len < need {
                return;
            }
            if std::str::from_utf8(&self.pending[..need]).is_err() {
                self.invalid = true;
                return;
            }
            self.pending_len = 0;
        }
        if let Err(error) = std::str::from_utf8(piece) {
            match error.error_len() {
                Some(_) => self.invalid = true,
                None => {
                    let rest = &piece[error.valid_up_to()..];
                    self.pending[..rest.len()].copy_from_slice(rest);
                    self.pending_len = rest.len();
                }
            }
        }
    }

    /// True when everything fed so far is complete, valid UTF-8.
    pub(crate) fn valid(&self) -> bool {
        !self.invalid && self.pending_len == 0
    }
}

/// Go's `%q` of bytes that may not be UTF-8: invalid bytes become `\xNN`.
pub(crate) fn go_quote_bytes(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in bytes.utf8_chunks() {
        let quoted = go_quote(chunk.valid());
        out.push_str(&quoted[1..quoted.len() - 1]);
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('"');
    out
}

/// The longest number token we parse; Go would accept longer digit strings, which no exporter
/// writes.
pub(crate) const NUMBER_CAP: usize = 64;

/// Checks a sample value as Prometheus's `parseFloat` does (Go `strconv.ParseFloat` without the
/// `p`, `P` and `_` forms), returning Go's error text.
pub(crate) fn check_float(text: &[u8], truncated: bool) -> Result<(), String> {
    if !truncated && plain_decimal(text) {
        return Ok(());
    }
    let shown = String::from_utf8_lossy(text);
    let syntax = || {
        format!(
            "strconv.ParseFloat: parsing {}{}: invalid syntax",
            go_quote(&shown),
            if truncated { "…" } else { "" }
        )
    };
    if truncated {
        return Err(syntax());
    }
    if text.iter().any(|b| matches!(b, b'p' | b'P' | b'_')) {
        return Err("unsupported character in float".to_string());
    }
    let Ok(s) = std::str::from_utf8(text) else {
        return Err(syntax());
    };
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = unsigned.to_ascii_lowercase();
    if lower == "inf" || lower == "infinity" {
        return Ok(());
    }
    if lower == "nan" {
        // Go accepts NaN only without a sign.
        return if unsigned.len() == s.len() {
            Ok(())
        } else {
            Err(syntax())
        };
    }
    if !unsigned
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return Err(syntax());
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_infinite() => Err(format!(
            "strconv.ParseFloat: parsing {}: value out of range",
            go_quote(s)
        )),
        Ok(_) => Ok(()),
        Err(_) => Err(syntax()),
    }
}

/// The common case, checked without allocating: `[+-]?digits[.digits][e[+-]digits]` with at
/// least one mantissa digit, short enough that Go cannot overflow it.
#[inline]
fn plain_decimal(text: &[u8]) -> bool {
    if text.is_empty() || text.len() > 30 {
        return false;
    }
    let mut i = usize::from(matches!(text[0], b'+' | b'-'));
    let mut digits = 0;
    while i < text.len() && text[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < text.len() && text[i] == b'.' {
        i += 1;
        while i < text.len() && text[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return false;
    }
    if i < text.len() && matches!(text[i], b'e' | b'E') {
        i += 1;
        if i < text.len() && matches!(text[i], b'+' | b'-') {
            i += 1;
        }
        let start = i;
        while i < text.len() && text[i].is_ascii_digit() {
            i += 1;
        }
        // Large exponents may overflow: leave them to the full check.
        if i == start || i - start > 2 {
            return false;
        }
    }
    i == text.len()
}

/// Checks a timestamp: an int64 of milliseconds in the Prometheus text format, a float of
/// seconds in OpenMetrics; `either` accepts both (a file of unknown format).
pub(crate) fn check_timestamp(text: &[u8], truncated: bool, float: bool) -> Result<(), String> {
    if float {
        return check_float(text, truncated);
    }
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    if !truncated
        && !digits.is_empty()
        && digits.len() <= 18
        && digits.iter().all(u8::is_ascii_digit)
    {
        return Ok(());
    }
    let s = String::from_utf8_lossy(text);
    if !truncated && s.parse::<i64>().is_ok() {
        return Ok(());
    }
    let digits = s.strip_prefix(['+', '-']).unwrap_or(&s);
    let reason = if !truncated && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        "value out of range"
    } else {
        "invalid syntax"
    };
    Err(format!(
        "strconv.ParseInt: parsing {}: {reason}",
        go_quote(&s)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_follow_go() {
        for ok in [
            "1", "-1.5", "1e10", ".5", "5.", "+Inf", "-inf", "NaN", "Infinity", "1E-3",
        ] {
            assert_eq!(check_float(ok.as_bytes(), false), Ok(()), "{ok}");
        }
        assert_eq!(
            check_float(b"true", false),
            Err("strconv.ParseFloat: parsing \"true\": invalid syntax".to_string())
        );
        assert_eq!(
            check_float(b"1_2", false),
            Err("unsupported character in float".to_string())
        );
        assert_eq!(
            check_float(b"0x1p-3", false),
            Err("unsupported character in float".to_string())
        );
        assert!(check_float(b"+NaN", false).is_err());
        assert!(check_float(b"1e999", false)
            .unwrap_err()
            .ends_with("value out of range"));
    }

    #[test]
    fn utf8_split_across_pieces() {
        let text = "aé€😀b".as_bytes();
        for split in 0..text.len() {
            let mut check = Utf8Stream::default();
            check.feed(&text[..split], false);
            check.feed(&text[split..], false);
            assert!(check.valid(), "split at {split}");
        }
        let mut check = Utf8Stream::default();
        check.feed(b"a\xff", false);
        assert!(!check.valid());
        let mut check = Utf8Stream::default();
        check.feed(b"\xc3", false);
        assert!(!check.valid());
        let mut check = Utf8Stream::default();
        check.feed(b"\xc3", false);
        check.feed(b"a", true);
        assert!(!check.valid());
    }

    #[test]
    fn quotes_invalid_bytes_like_go() {
        assert_eq!(go_quote_bytes(b"\"\xff\""), r#""\"\xff\"""#);
    }
}
