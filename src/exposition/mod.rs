//! Payload analysis: a streaming analyzer of Prometheus and OpenMetrics text expositions, used by
//! the probe stage for every scrape and by the `payload` command. Pure: it is fed bytes and
//! never does I/O.
//!
//! Feed chunks with [`Analyzer::feed`] (or [`GzipAnalyzer::feed`] for a gzip body) and call
//! `finish` for a [`Summary`]: bytes, samples, series, families, label extremes, parse errors
//! with line numbers, and Prometheus's verdict against the job's limits, worded as its
//! `lastError`. Nothing is buffered beyond a few small per-line fields, so a single 100 MB line
//! or a gzip bomb costs no memory; family and series tracking are capped by [`Options`] and the
//! summary says when counts are upper bounds.
//!
//! What is not reproduced exactly: parse-error wording (Prometheus's lexer token names are not
//! mirrored; the failing line is), `metric_relabel_configs` (the limits are checked on the
//! exposed series), and label values that span lines (Prometheus's lexer allows a raw newline
//! inside a quoted value; we report a parse error).

mod analyzer;
pub mod content_type;
pub mod families;
mod gzip;
mod lexical;
pub mod limits;
pub mod render;
mod runs;
mod scan;
pub mod summary;
#[cfg(test)]
mod tests;

pub use analyzer::{Analyzer, Flow};
pub use content_type::Format;
pub use families::{FamilyStats, MetricType};
pub use gzip::GzipAnalyzer;
pub use limits::{Failure, Limits};
pub use summary::Summary;

use crate::version::PrometheusVersion;

/// How to analyze one payload.
#[derive(Debug, Clone)]
pub struct Options {
    pub limits: Limits,
    /// The labels the target adds to every series (`job`, `instance`, and any others), which
    /// Prometheus counts for `label_limit` and checks for the length limits.
    pub target_labels: Vec<(String, String)>,
    /// The job's `honor_labels`: exposed labels win over the target's.
    pub honor_labels: bool,
    /// The response's `Content-Type`; `None` when unknown (a file), which skips the check.
    pub content_type: Option<String>,
    /// The job's `fallback_scrape_protocol` (3.x), e.g. `PrometheusText0.0.4`.
    pub fallback_scrape_protocol: Option<String>,
    pub version: PrometheusVersion,
    /// Keep analyzing after the scrape is known to fail (for complete counts); by default the
    /// analysis stops at the first failure, as soon as a limit is exceeded.
    pub keep_going: bool,
    /// Series identities remembered for exact counts (16 bytes each).
    pub max_tracked_series: usize,
    /// Families counted by name; later ones are pooled.
    pub max_families: usize,
    /// Parse errors kept with their line numbers (all are counted).
    pub max_parse_errors: usize,
    /// Families listed in [`Summary::top_families`].
    pub top_families: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            limits: Limits::default(),
            target_labels: vec![
                ("job".to_string(), "payload".to_string()),
                ("instance".to_string(), "payload".to_string()),
            ],
            honor_labels: false,
            content_type: None,
            fallback_scrape_protocol: None,
            version: PrometheusVersion::DEFAULT,
            keep_going: false,
            max_tracked_series: 1 << 20,
            max_families: 10_000,
            max_parse_errors: 10,
            top_families: 10,
        }
    }
}

/// Analyzes a whole in-memory payload; a convenience for tests and small bodies.
pub fn analyze(payload: &[u8], options: Options) -> Summary {
    let mut analyzer = Analyzer::new(options);
    analyzer.feed(payload);
    analyzer.finish()
}
