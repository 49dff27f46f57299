//! The machine-readable report.
//!
//! # Wire format
//! One JSON object, described by `schemas/report-v1.json`:
//! `schema_version` (1), `tool {name, version}`, `prometheus_version` ("3.7"), `mode` ("offline", or "live" when targets were probed),
//! `summary {errors, warnings, infos, config_valid, suppressed}`, `findings[]` with `check`, `severity`,
//! optional `job`, `cluster`, `target`, `location {file, line, column}`, `message`, optional
//! `evidence` and `remediation`, `not_checked[]` (strings), and in live runs `targets[]` (one per
//! probed target: `scrape_url`, `health`, `error` in Prometheus's `lastError` wording, and the
//! probe's facts). Fields are only ever added within one schema version.

use crate::report::Report;

pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("a report always serializes");
    text.push('\n');
    text
}
