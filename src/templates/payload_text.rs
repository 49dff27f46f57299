//! Wording for scrapes the payload fails: which check a payload failure belongs to, and the
//! explanation with the line, the limit and Prometheus's own `lastError`. Pure.

use crate::exposition::{Failure, Summary};
use crate::version::PrometheusVersion;

/// The check id for a scrape the payload failed, if it did.
pub fn failure_check(summary: &Summary) -> Option<&'static str> {
    Some(match summary.verdict.failure.as_ref()? {
        Failure::SampleLimit { .. } => "scrape/sample-limit",
        Failure::LabelLimit { .. } => "scrape/label-limit",
        Failure::LabelNameLengthLimit { .. } | Failure::LabelValueLengthLimit { .. } => {
            "scrape/label-length-limit"
        }
        Failure::Parse { .. } => "scrape/unparseable",
        Failure::ContentType { .. } => "scrape/content-type",
        Failure::BodySizeLimit { .. } => "scrape/body-size-limit",
        Failure::Gzip { .. } => "scrape/failed",
    })
}

/// The largest families, as `name (N series)`.
pub fn top_families(summary: &Summary, n: usize) -> String {
    summary
        .top_families
        .iter()
        .take(n)
        .map(|f| format!("{} ({} series)", f.name, f.series))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The message (and a remediation replacing the spec's, when there is a better one) for a
/// scrape the payload failed.
pub fn explain(summary: &Summary, version: PrometheusVersion) -> (String, Option<String>) {
    let error = summary.verdict.error.clone().unwrap_or_default();
    let Some(failure) = &summary.verdict.failure else {
        return (format!("the scrape fails: {error}"), None);
    };
    let limits = &summary.limits;
    match failure {
        Failure::SampleLimit { line, limit } => {
            let at_least = if summary.analysis.complete {
                ""
            } else {
                "at least "
            };
            (
                format!(
                    "the target exposes {at_least}{} samples, more than sample_limit ({limit}): the limit is passed at line {line}, and Prometheus fails the whole scrape with `{error}` and keeps none of its samples; largest families: {}",
                    summary.samples,
                    top_families(summary, 5)
                ),
                None,
            )
        }
        Failure::LabelLimit { line, .. } => {
            let labels = summary
                .most_labels
                .as_ref()
                .map(|m| m.labels)
                .unwrap_or_default();
            (
                format!(
                    "a series at line {line} of the payload has {labels} labels (counting `__name__` and the labels the target adds, such as `job` and `instance`), more than label_limit ({}); Prometheus fails the scrape with `{error}`",
                    limits.label_limit
                ),
                None,
            )
        }
        Failure::LabelNameLengthLimit { line, .. } | Failure::LabelValueLengthLimit { line, .. } => {
            let which = if matches!(failure, Failure::LabelNameLengthLimit { .. }) {
                format!("label_name_length_limit ({})", limits.label_name_length_limit)
            } else {
                format!("label_value_length_limit ({})", limits.label_value_length_limit)
            };
            (
                format!(
                    "a label at line {line} of the payload is longer than {which}; Prometheus fails the scrape with `{error}`"
                ),
                None,
            )
        }
        Failure::Parse { line, message } => (
            format!(
                "line {line} of the payload cannot be parsed as {} ({message}); Prometheus fails the scrape and keeps none of its samples",
                format_name(summary)
            ),
            None,
        ),
        Failure::ContentType { .. } => content_type(summary, &error, version),
        Failure::BodySizeLimit { .. } | Failure::Gzip { .. } => {
            (format!("the scrape fails: {error}"), None)
        }
    }
}

fn format_name(summary: &Summary) -> &'static str {
    match summary.format {
        crate::exposition::Format::OpenMetrics => "OpenMetrics text",
        crate::exposition::Format::Protobuf => "protobuf",
        _ => "the Prometheus text format",
    }
}

fn content_type(
    summary: &Summary,
    error: &str,
    version: PrometheusVersion,
) -> (String, Option<String>) {
    let sent = match summary.content_type.as_deref() {
        None | Some("") => "no Content-Type".to_string(),
        Some(ct) => format!("Content-Type {ct:?}"),
    };
    (
        format!(
            "the target answers with {sent}; Prometheus {}.x accepts only text/plain, application/openmetrics-text and application/vnd.google.protobuf unless the job sets `fallback_scrape_protocol` (2.x parsed anything else as the text format), so it fails the scrape with `{error}`",
            version.major
        ),
        Some(
            "Set `fallback_scrape_protocol: PrometheusText0.0.4` on the job (Prometheus 3.0+), or make the target send `Content-Type: text/plain; version=0.0.4`."
                .to_string(),
        ),
    )
}
