//! Prometheus's duration syntax (`model.Duration` from prometheus/common): config values such as
//! `scrape_interval`, and the `__scrape_interval__`/`__scrape_timeout__` labels that target
//! finalization re-parses. Durations become label values, so printing must match Go byte for
//! byte. Pure.

use std::time::Duration;

use crate::version::PrometheusVersion;

use crate::go_quote::go_quote;

const NANOS_PER_MILLI: u64 = 1_000_000;
const MAX_NANOS: u64 = i64::MAX as u64;

/// Units from largest to smallest, with their length in milliseconds.
const UNITS: [(&str, u64); 7] = [
    ("y", 365 * 24 * 3_600_000),
    ("w", 7 * 24 * 3_600_000),
    ("d", 24 * 3_600_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1000),
    ("ms", 1),
];

/// Renders like Go's `model.Duration.String`: `1m30s`, `1d`, `1w`, `1s500ms`, `0s`. Years and
/// weeks appear only when they divide the duration exactly; below a millisecond is dropped.
pub fn format_duration(duration: Duration) -> String {
    let mut millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    if millis == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (unit, length) in UNITS {
        let whole_only = unit == "y" || unit == "w";
        if whole_only && millis % length != 0 {
            continue;
        }
        let count = millis / length;
        if count > 0 {
            out.push_str(&format!("{count}{unit}"));
            millis -= count * length;
        }
    }
    out
}

/// Parses like the `model.ParseDuration` of the given release; the error text is Prometheus's.
pub fn parse_duration(text: &str, version: PrometheusVersion) -> Result<Duration, String> {
    match text {
        "0" => return Ok(Duration::ZERO),
        "" => return Err("empty duration string".to_string()),
        _ => {}
    }
    let millis = if version.names_unknown_duration_units() {
        scan_units(text)?
    } else {
        match_units(text)?
    };
    let nanos = millis
        .checked_mul(NANOS_PER_MILLI)
        .filter(|nanos| *nanos <= MAX_NANOS)
        .ok_or_else(|| "duration out of range".to_string())?;
    Ok(Duration::from_nanos(nanos))
}

fn invalid(text: &str) -> String {
    format!("not a valid duration string: {}", go_quote(text))
}

/// `number unit` pairs in strictly decreasing unit order, as Go's duration regex accepts them
/// (before 2.43). Returns milliseconds, saturating so that overflow is reported by the caller.
fn match_units(text: &str) -> Result<u64, String> {
    let mut rest = text;
    let mut millis: u64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (number, after) = rest.split_at(digits);
        let unit = longest_unit(after).filter(|(index, ..)| digits > 0 && *index >= next_unit);
        let Some((index, unit, length)) = unit else {
            return Err(invalid(text));
        };
        let count = number.parse::<u64>().unwrap_or(u64::MAX);
        millis = millis.saturating_add(count.saturating_mul(length));
        next_unit = index + 1;
        rest = after.strip_prefix(unit).unwrap_or("");
    }
    Ok(millis)
}

/// The unit at the start of `text` (`ms` wins over `m`): its position, name and length in ms.
fn longest_unit(text: &str) -> Option<(usize, &'static str, u64)> {
    UNITS
        .iter()
        .enumerate()
        .filter(|(_, (unit, _))| text.starts_with(unit))
        .max_by_key(|(_, (unit, _))| unit.len())
        .map(|(index, (unit, length))| (index, *unit, *length))
}

/// The scanner of prometheus/common 0.42 and later: a unit is the whole run of non-digits.
fn scan_units(text: &str) -> Result<u64, String> {
    let mut rest = text;
    let mut millis: u64 = 0;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (number, after) = rest.split_at(digits);
        let unit_len = after.bytes().take_while(|b| !b.is_ascii_digit()).count();
        let (unit, tail) = after.split_at(unit_len);
        let count = number.parse::<u64>().map_err(|_| invalid(text))?;
        if unit.is_empty() {
            return Err(invalid(text));
        }
        let known = UNITS
            .iter()
            .enumerate()
            .find(|(_, (name, _))| *name == unit);
        let Some((index, (_, length))) = known else {
            return Err(format!(
                "unknown unit {} in duration {}",
                go_quote(unit),
                go_quote(text)
            ));
        };
        if index < next_unit {
            return Err(invalid(text));
        }
        let nanos = count.checked_mul(length * NANOS_PER_MILLI);
        millis = nanos
            .filter(|n| *n <= MAX_NANOS)
            .and_then(|_| millis.checked_add(count * length))
            .ok_or_else(|| "duration out of range".to_string())?;
        next_unit = index + 1;
        rest = tail;
    }
    Ok(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V2: PrometheusVersion = PrometheusVersion::V2_42;
    const V3: PrometheusVersion = PrometheusVersion::DEFAULT;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn formats_canonically_like_go() {
        assert_eq!(format_duration(secs(90)), "1m30s");
        assert_eq!(format_duration(secs(86_400)), "1d");
        assert_eq!(format_duration(secs(7 * 86_400)), "1w");
        assert_eq!(format_duration(secs(8 * 86_400)), "8d");
        assert_eq!(format_duration(secs(365 * 86_400)), "1y");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1s500ms");
        assert_eq!(format_duration(Duration::ZERO), "0s");
        assert_eq!(format_duration(Duration::from_micros(999)), "0s");
    }

    #[test]
    fn parses_every_unit_in_order() {
        for version in [V2, V3] {
            assert_eq!(parse_duration("1m30s", version), Ok(secs(90)));
            assert_eq!(parse_duration("1d2h", version), Ok(secs(26 * 3600)));
            assert_eq!(
                parse_duration("1s500ms", version),
                Ok(Duration::from_millis(1500))
            );
            assert_eq!(parse_duration("5ms", version), Ok(Duration::from_millis(5)));
            assert_eq!(parse_duration("0", version), Ok(Duration::ZERO));
            assert_eq!(parse_duration("0s", version), Ok(Duration::ZERO));
        }
    }

    #[test]
    fn errors_match_2_42() {
        assert_eq!(parse_duration("", V2), Err("empty duration string".into()));
        assert_eq!(
            parse_duration("5x", V2),
            Err(r#"not a valid duration string: "5x""#.into())
        );
        assert_eq!(
            parse_duration("1m30", V2),
            Err(r#"not a valid duration string: "1m30""#.into())
        );
        assert_eq!(
            parse_duration("30s1m", V2),
            Err(r#"not a valid duration string: "30s1m""#.into())
        );
        assert_eq!(
            parse_duration("5", V2),
            Err(r#"not a valid duration string: "5""#.into())
        );
        let huge = parse_duration("99999999999999999999y", V2);
        assert_eq!(huge, Err("duration out of range".into()));
    }

    #[test]
    fn errors_from_2_43_name_the_unknown_unit() {
        let unknown = parse_duration("5x", V3);
        assert_eq!(unknown, Err(r#"unknown unit "x" in duration "5x""#.into()));
        assert_eq!(
            parse_duration("1m30", V3),
            Err(r#"not a valid duration string: "1m30""#.into())
        );
        assert_eq!(
            parse_duration("s", V3),
            Err(r#"not a valid duration string: "s""#.into())
        );
        assert_eq!(
            parse_duration("1s1s", V3),
            Err(r#"not a valid duration string: "1s1s""#.into())
        );
        assert_eq!(
            parse_duration("300y", V3),
            Err("duration out of range".into())
        );
        assert!(
            parse_duration("1.5s", V3).is_err(),
            "fractions are not allowed"
        );
        assert!(parse_duration("-1s", V3).is_err());
        assert!(
            parse_duration("10S", V3).is_err(),
            "units are case-sensitive"
        );
        let too_long = parse_duration("99999999999999999999y", V3);
        assert_eq!(
            too_long,
            Err(r#"not a valid duration string: "99999999999999999999y""#.into())
        );
    }
}
