//! The scrape limits a job sets and the failures they cause, worded as Prometheus words its
//! `lastError` (`scrape/scrape.go`: `errBodySizeLimit`, `errSampleLimit`, `verifyLabelLimits`).
//! Pure.

use serde::Serialize;

use crate::go_quote::go_quote;

/// A job's per-scrape limits; zero means unlimited, as in Prometheus.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Fails when the uncompressed body is this many bytes **or more**.
    pub body_size_limit: u64,
    /// Fails when a scrape has more samples than this.
    pub sample_limit: u64,
    /// Fails when a series has more labels than this (`__name__`, `job` and `instance` count).
    pub label_limit: u64,
    /// Fails when a label name is longer than this many bytes.
    pub label_name_length_limit: u64,
    /// Fails when a label value (unescaped) is longer than this many bytes.
    pub label_value_length_limit: u64,
}

impl From<&crate::config::model::Limits> for Limits {
    fn from(limits: &crate::config::model::Limits) -> Limits {
        Limits {
            body_size_limit: limits.body_size_limit,
            sample_limit: limits.sample_limit,
            label_limit: limits.label_limit,
            label_name_length_limit: limits.label_name_length_limit,
            label_value_length_limit: limits.label_value_length_limit,
        }
    }
}

impl Limits {
    /// True when a label's name or value length must be checked against a limit.
    pub(crate) fn checks_lengths(&self) -> bool {
        self.label_name_length_limit > 0 || self.label_value_length_limit > 0
    }
}

/// Why Prometheus would fail this scrape. The first failure in Prometheus's own order wins:
/// body size (the body is read whole before parsing), then the content type, then the first
/// parse error or label-limit breach in line order, then the sample limit (which Prometheus
/// notes and keeps parsing past).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    BodySizeLimit {
        limit: u64,
    },
    /// The gzip-compressed body could not be decompressed.
    Gzip {
        message: String,
    },
    ContentType {
        message: String,
    },
    Parse {
        line: u64,
        message: String,
    },
    LabelLimit {
        line: u64,
        message: String,
    },
    LabelNameLengthLimit {
        line: u64,
        message: String,
    },
    LabelValueLengthLimit {
        line: u64,
        message: String,
    },
    SampleLimit {
        line: u64,
        limit: u64,
    },
}

impl Failure {
    /// The text Prometheus shows as the target's `lastError`.
    pub fn last_error(&self) -> String {
        match self {
            Failure::BodySizeLimit { .. } => "body size limit exceeded".to_string(),
            Failure::SampleLimit { .. } => "sample limit exceeded".to_string(),
            Failure::ContentType { message }
            | Failure::Gzip { message }
            | Failure::Parse { message, .. }
            | Failure::LabelLimit { message, .. }
            | Failure::LabelNameLengthLimit { message, .. }
            | Failure::LabelValueLengthLimit { message, .. } => message.clone(),
        }
    }

    /// The stable kind name used in JSON (`body_size_limit`, `sample_limit`…).
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::BodySizeLimit { .. } => "body_size_limit",
            Failure::ContentType { .. } => "content_type",
            Failure::Gzip { .. } => "gzip",
            Failure::Parse { .. } => "parse",
            Failure::LabelLimit { .. } => "label_limit",
            Failure::LabelNameLengthLimit { .. } => "label_name_length_limit",
            Failure::LabelValueLengthLimit { .. } => "label_value_length_limit",
            Failure::SampleLimit { .. } => "sample_limit",
        }
    }

    /// The line the failure was found on, when it belongs to one.
    pub fn line(&self) -> Option<u64> {
        match self {
            Failure::Parse { line, .. }
            | Failure::LabelLimit { line, .. }
            | Failure::LabelNameLengthLimit { line, .. }
            | Failure::LabelValueLengthLimit { line, .. }
            | Failure::SampleLimit { line, .. } => Some(*line),
            Failure::BodySizeLimit { .. } | Failure::Gzip { .. } | Failure::ContentType { .. } => {
                None
            }
        }
    }

    /// Failures that end Prometheus's parse loop at once (the sample limit does not).
    pub(crate) fn breaks_parsing(&self) -> bool {
        matches!(
            self,
            Failure::Parse { .. }
                | Failure::LabelLimit { .. }
                | Failure::LabelNameLengthLimit { .. }
                | Failure::LabelValueLengthLimit { .. }
        )
    }
}

/// One label of a series as the length checks see it: the name and the first bytes of the value
/// are kept (enough for Prometheus's `%.50s` and `%.50q`), with the full lengths.
#[derive(Debug, Clone, Default)]
pub(crate) struct CheckedLabel {
    pub name: Vec<u8>,
    pub name_len: u64,
    pub value_prefix: Vec<u8>,
    pub value_len: u64,
}

/// Bytes of a label value kept for messages: `%.50q` shows at most 50 characters of 4 bytes.
pub(crate) const VALUE_PREFIX: usize = 200;

/// Go's `%.50s`: at most 50 characters of `text`.
pub(crate) fn go_truncate(text: &[u8], chars: usize) -> String {
    String::from_utf8_lossy(text).chars().take(chars).collect()
}

/// `verifyLabelLimits` for the label count.
pub(crate) fn label_limit_message(metric: &[u8], count: u64, limit: u64) -> String {
    format!(
        "label_limit exceeded (metric: {}, number of labels: {count}, limit: {limit})",
        go_truncate(metric, 50)
    )
}

/// `verifyLabelLimits` for lengths: labels are checked in sorted name order and the first
/// breach is reported, name length before value length for each label.
pub(crate) fn length_limit_failure(
    metric: &[u8],
    labels: &mut [CheckedLabel],
    limits: &Limits,
    line: u64,
) -> Option<Failure> {
    labels.sort_by(|a, b| a.name.cmp(&b.name));
    let metric = go_truncate(metric, 50);
    for label in labels.iter() {
        let name = go_truncate(&label.name, 50);
        if limits.label_name_length_limit > 0 && label.name_len > limits.label_name_length_limit {
            return Some(Failure::LabelNameLengthLimit {
                line,
                message: format!(
                    "label_name_length_limit exceeded (metric: {metric}, label name: {name}, length: {}, limit: {})",
                    label.name_len, limits.label_name_length_limit
                ),
            });
        }
        if limits.label_value_length_limit > 0 && label.value_len > limits.label_value_length_limit
        {
            let value = go_quote(&go_truncate(&label.value_prefix, 50));
            return Some(Failure::LabelValueLengthLimit {
                line,
                message: format!(
                    "label_value_length_limit exceeded (metric: {metric}, label name: {name}, value: {value}, length: {}, limit: {})",
                    label.value_len, limits.label_value_length_limit
                ),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_like_prometheus() {
        assert_eq!(
            label_limit_message(b"x", 6, 2),
            "label_limit exceeded (metric: x, number of labels: 6, limit: 2)"
        );
        let long = "a".repeat(60);
        assert_eq!(
            label_limit_message(long.as_bytes(), 3, 2),
            format!(
                "label_limit exceeded (metric: {}, number of labels: 3, limit: 2)",
                &long[..50]
            )
        );
    }

    #[test]
    fn length_checks_follow_sorted_label_order() {
        let label = |name: &str, value: &str| CheckedLabel {
            name: name.as_bytes().to_vec(),
            name_len: name.len() as u64,
            value_prefix: value.as_bytes().to_vec(),
            value_len: value.len() as u64,
        };
        let mut labels = vec![label("zz", "long value"), label("aa", "long value")];
        let limits = Limits {
            label_value_length_limit: 4,
            ..Limits::default()
        };
        let failure = length_limit_failure(b"m", &mut labels, &limits, 3);
        assert_eq!(
            failure.map(|f| f.last_error()),
            Some("label_value_length_limit exceeded (metric: m, label name: aa, value: \"long value\", length: 10, limit: 4)".to_string())
        );
    }
}
