//! Prometheus durations (`1m30s`, `1d`, `500ms`), parsed and printed exactly as prometheus/common's
//! `model.Duration` does, because durations end up as label values (`__scrape_interval__`) that
//! must match Prometheus byte for byte. Pure.

use std::time::Duration;

const MS_PER: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Parses a Prometheus duration. Units must appear in descending order, each at most once;
/// a bare `0` is allowed, any other bare number is not.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    match text {
        "0" => return Ok(Duration::ZERO),
        "" => return Err("empty duration string".to_string()),
        _ => {}
    }
    let invalid = || format!("not a valid duration string: {text:?}");
    let mut rest = text;
    let mut total_ms: u64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(invalid());
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| "duration out of range".to_string())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let position = MS_PER[next_unit..]
            .iter()
            .position(|(name, _)| *name == unit)
            .ok_or_else(invalid)?;
        let index = next_unit + position;
        next_unit = index + 1;
        let ms = number
            .checked_mul(MS_PER[index].1)
            .ok_or("duration out of range")?;
        total_ms = total_ms.checked_add(ms).ok_or("duration out of range")?;
    }
    if total_ms > i64::MAX as u64 / 1_000_000 {
        return Err("duration out of range".to_string());
    }
    Ok(Duration::from_millis(total_ms))
}

/// Prints a duration the way Prometheus does: years and weeks only when exact, `0s` for zero.
pub fn format_duration(duration: Duration) -> String {
    let mut ms = duration.as_millis() as u64;
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (index, (unit, per)) in MS_PER.iter().enumerate() {
        let exact_only = index < 2;
        if exact_only && ms % per != 0 {
            continue;
        }
        let count = ms / per;
        if count > 0 {
            out.push_str(&format!("{count}{unit}"));
            ms -= count * per;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_unit_sequences_in_order() {
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(
            parse_duration("1h500ms"),
            Ok(Duration::from_millis(3_600_500))
        );
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("1y"), Ok(Duration::from_secs(365 * 86_400)));
    }

    #[test]
    fn rejects_what_prometheus_rejects() {
        assert_eq!(
            parse_duration("5"),
            Err("not a valid duration string: \"5\"".to_string())
        );
        assert_eq!(parse_duration(""), Err("empty duration string".to_string()));
        assert!(parse_duration("30s1m").is_err(), "units out of order");
        assert!(parse_duration("1s1s").is_err(), "unit repeated");
        assert!(parse_duration("1.5s").is_err(), "fractions are not allowed");
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("10S").is_err(), "units are case-sensitive");
    }

    #[test]
    fn formats_canonically() {
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(format_duration(Duration::from_secs(86_400)), "1d");
        assert_eq!(format_duration(Duration::from_secs(7 * 86_400)), "1w");
        assert_eq!(format_duration(Duration::from_secs(8 * 86_400)), "8d");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1s500ms");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }
}
