//! What the analysis of one payload found: the facts checks and reports read. Pure data; its JSON
//! form (serde) is part of the `payload --format json` output.

use serde::Serialize;

use super::content_type::Format;
use super::families::FamilyStats;
use super::limits::{Failure, Limits};

/// Everything learned from one payload.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The parser Prometheus would use (`auto` when no content type was given).
    pub format: Format,
    pub content_type: Option<String>,
    /// Uncompressed bytes read (at most the body size limit: reading stops there).
    pub bytes: u64,
    /// Bytes as received, when the payload was gzip-compressed.
    pub compressed_bytes: Option<u64>,
    pub lines: u64,
    pub samples: u64,
    /// Distinct series (name and labels as exposed).
    pub series: u64,
    /// False when more series were seen than the analyzer remembers; `series` is then an upper
    /// bound that counts every later sample as a new series.
    pub series_exact: bool,
    /// Samples that repeated a series already seen in this payload.
    pub duplicate_samples: u64,
    /// Metric families (a histogram's `_bucket`, `_sum` and `_count` are one family).
    pub families: u64,
    /// False when some families were pooled into `(other families)`.
    pub families_exact: bool,
    /// The families with the most series, largest first.
    pub top_families: Vec<FamilyStats>,
    /// The series with the most labels, counted as Prometheus counts for `label_limit`
    /// (`__name__` and the target's labels included).
    pub most_labels: Option<LabelCount>,
    pub longest_label_name: Option<LongestLabel>,
    pub longest_label_value: Option<LongestLabel>,
    pub invalid_utf8_label_values: u64,
    pub first_invalid_utf8: Option<LabelAt>,
    pub parse_errors: u64,
    /// The first parse errors, with their line numbers (1-based).
    pub first_parse_errors: Vec<ParseError>,
    pub limits: Limits,
    pub verdict: Verdict,
    pub analysis: Analysis,
}

#[derive(Debug, Clone, Serialize)]
pub struct LabelCount {
    pub metric: String,
    pub labels: u64,
    pub line: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LongestLabel {
    pub metric: String,
    pub label: String,
    pub length: u64,
    pub line: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LabelAt {
    pub metric: String,
    pub label: String,
    pub line: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ParseError {
    pub line: u64,
    pub message: String,
}

/// Prometheus's view of a scrape returning this payload.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// `up`, `down`, or `unknown` (a protobuf payload, which is not analyzed).
    pub health: &'static str,
    /// The `lastError` Prometheus would show.
    pub error: Option<String>,
    pub failure: Option<Failure>,
}

/// How far the analysis went.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// True when every byte was read and every line analyzed.
    pub complete: bool,
    /// Why it stopped early, and at which line.
    pub stopped: Option<String>,
    pub stopped_at_line: Option<u64>,
}
