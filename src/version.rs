//! Which Prometheus release's semantics we reproduce.
//!
//! Defaults and relabel behaviour changed between releases (default ports, `.` matching newlines,
//! `params` precedence, fields that only exist from some release on). Every behaviour that differs
//! asks this type instead of comparing version numbers in place. Pure.

use std::fmt;
use std::str::FromStr;

/// A Prometheus release, by major and minor number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PrometheusVersion {
    pub major: u16,
    pub minor: u16,
}

impl PrometheusVersion {
    /// The behaviour we follow when the user does not choose: current 3.x.
    pub const DEFAULT: PrometheusVersion = PrometheusVersion::new(3, 7);
    /// The release Debian bookworm ships, which our conformance tests run.
    pub const V2_42: PrometheusVersion = PrometheusVersion::new(2, 42);

    pub const fn new(major: u16, minor: u16) -> PrometheusVersion {
        PrometheusVersion { major, minor }
    }

    /// True when this release is `major.minor` or later.
    pub fn at_least(self, major: u16, minor: u16) -> bool {
        self >= PrometheusVersion::new(major, minor)
    }

    /// 2.x appends `:80`/`:443` to port-less addresses after relabeling; 3.x never touches ports.
    pub fn adds_default_port(self) -> bool {
        self.major < 3
    }

    /// 3.x compiles relabel regexes with `(?s:…)`, so `.` matches a newline.
    pub fn dot_matches_newline(self) -> bool {
        self.major >= 3
    }

    /// 2.x lets `params` overwrite an SD-provided `__param_*`; 3.x only fills gaps.
    pub fn params_overwrite_discovered(self) -> bool {
        self.major < 3
    }

    /// From 2.50 a replace whose result is empty deletes the *expanded* target label, and an
    /// invalid expanded name is ignored; before, the literal `target_label` was deleted.
    pub fn replace_deletes_expanded_target(self) -> bool {
        self.at_least(2, 50)
    }

    /// From 2.43 (prometheus/common 0.42) durations are parsed by a scanner that names an
    /// unknown unit (`unknown unit "x" in duration "5x"`); before, every malformed duration was
    /// `not a valid duration string`.
    pub fn names_unknown_duration_units(self) -> bool {
        self.at_least(2, 43)
    }

    /// 3.x accepts any UTF-8 label name in `target_label`.
    pub fn utf8_label_names(self) -> bool {
        self.major >= 3
    }
}

impl fmt::Display for PrometheusVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Why a `--prometheus-version` value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "invalid Prometheus version {0:?}: expected MAJOR.MINOR, 2.0 or later, for example 2.42 or 3.7"
)]
pub struct ParseVersionError(String);

impl FromStr for PrometheusVersion {
    type Err = ParseVersionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim().trim_start_matches('v');
        let mut parts = trimmed.split('.');
        let number = |part: Option<&str>| part.and_then(|p| p.parse::<u16>().ok());
        match (number(parts.next()), number(parts.next())) {
            (Some(major), Some(minor)) if major >= 2 => Ok(PrometheusVersion::new(major, minor)),
            _ => Err(ParseVersionError(text.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_major_minor_and_patch() {
        assert_eq!("2.42".parse(), Ok(PrometheusVersion::V2_42));
        assert_eq!("v2.42.0".parse(), Ok(PrometheusVersion::V2_42));
        assert!("1.8".parse::<PrometheusVersion>().is_err());
        assert!("three".parse::<PrometheusVersion>().is_err());
    }

    #[test]
    fn behaviour_switches_follow_releases() {
        let v2 = PrometheusVersion::V2_42;
        let v3 = PrometheusVersion::DEFAULT;
        assert!(v2.adds_default_port() && !v3.adds_default_port());
        assert!(!v2.dot_matches_newline() && v3.dot_matches_newline());
        assert!(!v2.replace_deletes_expanded_target());
        assert!(PrometheusVersion::new(2, 50).replace_deletes_expanded_target());
    }
}
