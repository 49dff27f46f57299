//! Relabel regexes with Go RE2 semantics, anchored the way the selected Prometheus release anchors
//! them. Pure.
//!
//! PLACEHOLDER: the contract below is fixed; the Go-compatible translation is being written.

use crate::version::PrometheusVersion;

/// A compiled relabel regex. Keeps the pattern as written for messages and traces.
#[derive(Debug, Clone)]
pub struct PromRegex {
    written: String,
    compiled: regex::Regex,
}

/// A regex Go's RE2 would reject (or that we cannot reproduce), with Go's wording where known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("error parsing regexp: {0}")]
pub struct RegexError(pub String);

impl PromRegex {
    /// Compiles `pattern` as Prometheus `version` would: `^(?:RE)$` in 2.x, `^(?s:RE)$` in 3.x.
    pub fn new(pattern: &str, version: PrometheusVersion) -> Result<PromRegex, RegexError> {
        let flags = if version.dot_matches_newline() {
            "s"
        } else {
            ""
        };
        let anchored = format!("^(?{flags}:{pattern})$");
        let compiled = regex::Regex::new(&anchored).map_err(|e| RegexError(e.to_string()))?;
        Ok(PromRegex {
            written: pattern.to_string(),
            compiled,
        })
    }

    /// The pattern as the user wrote it (unanchored).
    pub fn as_str(&self) -> &str {
        &self.written
    }

    /// The anchored, compiled regex.
    pub fn compiled(&self) -> &regex::Regex {
        &self.compiled
    }
}
