//! Where the runs that make up most of a sample line end: a metric or label name, a label value
//! up to its closing quote, and the digits of a value or timestamp. These searches are most of
//! the payload analyzer's time, so they look at sixteen bytes at once where the CPU has SSE2
//! (every x86-64 CPU); elsewhere names and values take eight bytes at once, and every search
//! finishes byte by byte. Every width gives the answer a byte loop would; the tests hold them to
//! that for all 256 byte values.

use super::lexical::{label_char, metric_char};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum NameKind {
    /// `[a-zA-Z0-9_:]`
    Metric,
    /// `[a-zA-Z0-9_]`
    Label,
}

/// The end of the run of name characters from `buf[from]` (`buf.len()` when it runs to the end).
#[inline]
pub(crate) fn name_end(buf: &[u8], from: usize, kind: NameKind) -> usize {
    let mut i = from;
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    while let Some(block) = buf.get(i..i + 16) {
        let names = sse2::name_bytes(block, kind);
        if names != 0xffff {
            return i + names.trailing_ones() as usize;
        }
        i += 16;
    }
    while let Some(word) = buf.get(i..i + 8) {
        let names = swar::name_bytes(word, kind);
        if names != swar::HIGH {
            return i + ((!names & swar::HIGH).trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    let class = match kind {
        NameKind::Metric => metric_char,
        NameKind::Label => label_char,
    };
    while i < buf.len() && class(buf[i]) {
        i += 1;
    }
    i
}

/// The end of the run of ASCII digits from `buf[from]` (`buf.len()` when it runs to the end).
#[inline]
pub(crate) fn digits_end(buf: &[u8], from: usize) -> usize {
    let mut i = from;
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    while let Some(block) = buf.get(i..i + 16) {
        let digits = sse2::digits(block);
        if digits != 0xffff {
            return i + digits.trailing_ones() as usize;
        }
        i += 16;
    }
    while i < buf.len() && buf[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// The first `"`, `\\` or newline in `text`: where a label value read in place ends, or stops
/// being simple.
#[inline]
pub(crate) fn value_end(text: &[u8]) -> Option<usize> {
    let mut at = 0;
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    while let Some(block) = text.get(at..at + 16) {
        let stops = sse2::value_stops(block);
        if stops != 0 {
            return Some(at + stops.trailing_zeros() as usize);
        }
        at += 16;
    }
    while let Some(word) = text.get(at..at + 8) {
        let stops = swar::value_stops(word);
        if stops != 0 {
            return Some(at + (stops.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    text[at..]
        .iter()
        .position(|b| matches!(b, b'"' | b'\\' | b'\n'))
        .map(|i| at + i)
}

/// Eight bytes in a `u64`: each test sets the top bit of every byte it holds for.
mod swar {
    use super::NameKind;

    const ONES: u64 = 0x0101_0101_0101_0101;
    pub(super) const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

    fn load(word: &[u8]) -> u64 {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        u64::from_le_bytes(bytes)
    }

    /// Top bits set on the name bytes of `word` (eight bytes).
    #[inline]
    pub(super) fn name_bytes(word: &[u8], kind: NameKind) -> u64 {
        // For bytes below 0x80, `x + (0x80 - lo)` has the top bit set exactly when `x >= lo`,
        // and no byte carries into the next: each test below is exact in every byte.
        let at_least = |x: u64, lo: u8| x.wrapping_add(ONES * u64::from(0x80 - lo));
        let in_range = |x: u64, lo: u8, hi: u8| at_least(x, lo) & !at_least(x, hi + 1);
        let digits_to = if kind == NameKind::Metric { b':' } else { b'9' };
        let x = load(word);
        let ascii = x & LOW7;
        let letter = in_range(ascii | (ONES * 0x20), b'a', b'z');
        let digit = in_range(ascii, b'0', digits_to);
        // Zero bytes of `other` (underscores of `x`): those without the top bit of `b + 0x7f | b`.
        let other = ascii ^ (ONES * u64::from(b'_'));
        let underscore = !((other + LOW7) | other);
        (letter | digit | underscore) & !x & HIGH
    }

    /// Top bits marking the `"`, `\\` and newline bytes of `word` (eight bytes). Only the lowest
    /// mark is exact (see below), which is all a search needs.
    #[inline]
    pub(super) fn value_stops(word: &[u8]) -> u64 {
        // A byte of `x ^ (ONES * c)` is zero where `x` has `c`. `(y - ONES) & !y & HIGH` marks
        // zero bytes; it can also mark a byte above a real zero (a borrow), never one below it.
        let zero = |y: u64| y.wrapping_sub(ONES) & !y & HIGH;
        let x = load(word);
        zero(x ^ (ONES * u64::from(b'"')))
            | zero(x ^ (ONES * u64::from(b'\\')))
            | zero(x ^ (ONES * u64::from(b'\n')))
    }
}

/// Sixteen bytes in an SSE2 register: each test gives one bit per byte.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[allow(unsafe_code)]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8, _mm_set_epi64x,
    };

    use super::NameKind;

    /// Bits set on the name bytes of `block` (sixteen bytes).
    #[inline]
    pub(super) fn name_bytes(block: &[u8], kind: NameKind) -> u32 {
        // SAFETY: SSE2 is enabled for this build (the module's `cfg`), so every CPU it runs on
        // has it; the function only computes on registers.
        unsafe { name_bytes_sse2(block, kind) }
    }

    /// Bits set on the `"`, `\\` and newline bytes of `block` (sixteen bytes).
    #[inline]
    pub(super) fn value_stops(block: &[u8]) -> u32 {
        // SAFETY: as in `name_bytes`.
        unsafe { value_stops_sse2(block) }
    }

    /// Bits set on the ASCII digits of `block` (sixteen bytes).
    #[inline]
    pub(super) fn digits(block: &[u8]) -> u32 {
        // SAFETY: as in `name_bytes`.
        unsafe { digits_sse2(block) }
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn load(block: &[u8]) -> __m128i {
        let half = |from: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&block[from..from + 8]);
            i64::from_le_bytes(bytes)
        };
        _mm_set_epi64x(half(8), half(0))
    }

    /// Byte lanes of `v` from `lo` to `hi`, for bounds below 0x7f.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn between(v: __m128i, lo: u8, hi: u8) -> __m128i {
        // Signed comparisons: bytes from 0x80 up are negative, so below every bound here.
        _mm_and_si128(
            _mm_cmpgt_epi8(v, _mm_set1_epi8(lo as i8 - 1)),
            _mm_cmplt_epi8(v, _mm_set1_epi8(hi as i8 + 1)),
        )
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn digits_sse2(block: &[u8]) -> u32 {
        _mm_movemask_epi8(between(load(block), b'0', b'9')) as u32
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn name_bytes_sse2(block: &[u8], kind: NameKind) -> u32 {
        let x = load(block);
        let letter = between(_mm_or_si128(x, _mm_set1_epi8(0x20)), b'a', b'z');
        let digits_to = if kind == NameKind::Metric { b':' } else { b'9' };
        let digit = between(x, b'0', digits_to);
        let underscore = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'_' as i8));
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(letter, digit), underscore)) as u32
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn value_stops_sse2(block: &[u8]) -> u32 {
        let x = load(block);
        let is = |c: u8| _mm_cmpeq_epi8(x, _mm_set1_epi8(c as i8));
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(is(b'"'), is(b'\\')), is(b'\n'))) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lengths that put the stop in a sixteen-byte block, an eight-byte word and the byte tail.
    const LENGTHS: [usize; 6] = [5, 12, 16, 23, 31, 40];

    #[test]
    fn value_end_is_the_first_quote_backslash_or_newline() {
        let naive = |text: &[u8]| text.iter().position(|b| matches!(b, b'"' | b'\\' | b'\n'));
        for len in 0..48 {
            for at in 0..=len {
                for stop in [b'"', b'\\', b'\n'] {
                    // Bytes next to the stop ones (`!`, `#`, `[`, `]`, 0x0b) and above 0x80
                    // must not be taken for them.
                    let mut text: Vec<u8> = (0..len)
                        .map(|i| [b'a', b'!', b'#', b'[', b']', 0x0b, 0xa2, 0xdc][i % 8])
                        .collect();
                    if at < len {
                        text[at] = stop;
                        if at + 1 < len {
                            text[at + 1] = b'"';
                        }
                    }
                    assert_eq!(value_end(&text), naive(&text), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn no_other_byte_stops_a_value() {
        for len in LENGTHS {
            for other in (0..=255u8).filter(|b| !matches!(b, b'"' | b'\\' | b'\n')) {
                assert_eq!(value_end(&vec![other; len]), None, "{other:#x} × {len}");
            }
        }
    }

    #[test]
    fn names_end_where_the_byte_by_byte_classes_say() {
        let naive = |buf: &[u8], kind: NameKind| {
            let class = if kind == NameKind::Metric {
                metric_char
            } else {
                label_char
            };
            buf.iter().position(|&b| !class(b)).unwrap_or(buf.len())
        };
        for kind in [NameKind::Metric, NameKind::Label] {
            for len in LENGTHS {
                for stop in 0..=255u8 {
                    for at in 0..len {
                        for filler in [b'a', b'Z', b'_', b'0', b'9', b':', b'z'] {
                            let mut buf = vec![filler; len];
                            buf[at] = stop;
                            assert_eq!(
                                name_end(&buf, 0, kind),
                                naive(&buf, kind),
                                "{buf:?} {kind:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn digit_runs_end_at_the_first_other_byte() {
        for len in LENGTHS {
            for stop in 0..=255u8 {
                for at in 0..len {
                    let mut buf: Vec<u8> = (0..len).map(|i| b'0' + (i % 10) as u8).collect();
                    buf[at] = stop;
                    let expected = if stop.is_ascii_digit() { len } else { at };
                    assert_eq!(digits_end(&buf, 0), expected, "{buf:?}");
                }
            }
            assert_eq!(digits_end(&vec![b'7'; len], 1), len);
        }
    }

    #[test]
    fn names_start_where_asked() {
        let buf = b"up{job=\"a\"} 1\nprocess_cpu_seconds_total:rate5m 2\n";
        assert_eq!(name_end(buf, 0, NameKind::Metric), 2);
        assert_eq!(name_end(buf, 3, NameKind::Label), 6);
        assert_eq!(name_end(buf, 14, NameKind::Metric), 46);
        assert_eq!(name_end(buf, 14, NameKind::Label), 39);
    }
}
