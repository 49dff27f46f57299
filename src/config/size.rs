//! Base-2 byte sizes (`body_size_limit: 10MB`), parsed like `alecthomas/units.ParseBase2Bytes`,
//! which Prometheus uses: `KB` and `KiB` both mean 1024, lowercase `k` and bare numbers are
//! rejected. Pure.

const UNITS: [(&str, &str, u32); 7] = [
    ("B", "B", 0),
    ("KB", "KiB", 1),
    ("MB", "MiB", 2),
    ("GB", "GiB", 3),
    ("TB", "TiB", 4),
    ("PB", "PiB", 5),
    ("EB", "EiB", 6),
];

fn unit_factor(unit: &str) -> Option<f64> {
    UNITS
        .iter()
        .find(|(old, new, _)| unit == *old || unit == *new)
        .map(|(_, _, power)| 1024f64.powi(*power as i32))
}

/// Parses a size such as `100B`, `1KB`, `1.5MiB` or `1MB512KB` into bytes.
pub fn parse_base2_bytes(text: &str) -> Result<u64, String> {
    let invalid = || format!("units: invalid {text}");
    let mut rest = text;
    let negative = rest.starts_with('-');
    rest = rest.strip_prefix(['-', '+']).unwrap_or(rest);
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(invalid());
        }
        let value: f64 = format!("0{number}").parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .bytes()
            .take_while(|b| !(b.is_ascii_digit() || *b == b'.'))
            .count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let factor =
            unit_factor(unit).ok_or_else(|| format!("units: unknown unit {unit} in {text}"))?;
        total += value * factor;
    }
    if negative {
        return Err(format!("size must not be negative: {text}"));
    }
    if total > i64::MAX as f64 {
        return Err("units: overflow parsing unit".to_string());
    }
    Ok(total as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_both_unit_spellings() {
        assert_eq!(parse_base2_bytes("100B"), Ok(100));
        assert_eq!(parse_base2_bytes("1KB"), Ok(1024));
        assert_eq!(parse_base2_bytes("1KiB"), Ok(1024));
        assert_eq!(parse_base2_bytes("10MB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_base2_bytes("1MB512KB"), Ok(1024 * 1024 + 512 * 1024));
        assert_eq!(parse_base2_bytes("1.5KB"), Ok(1536));
        assert_eq!(parse_base2_bytes("0"), Ok(0));
    }

    #[test]
    fn rejects_bare_numbers_and_lowercase_units() {
        assert_eq!(
            parse_base2_bytes("1000"),
            Err("units: unknown unit  in 1000".to_string())
        );
        assert!(parse_base2_bytes("1kB").is_err());
        assert!(parse_base2_bytes("").is_err());
        assert!(parse_base2_bytes("MB").is_err());
    }
}
