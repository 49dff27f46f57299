//! The machine-readable report.
//!
//! # Wire format
//! One JSON object, described by `schemas/report-v1.json`:
//! `schema_version` (1), `tool {name, version}`, `prometheus_version` ("3.7"), `mode` ("offline", or "live" when targets were probed),
//! `summary {errors, warnings, infos, config_valid, suppressed}`, `findings[]` with `check`, `severity`,
//! optional `job`, `cluster`, `target`, `location {file, line, column}`, `message`, optional
//! `evidence` and `remediation`, `not_checked[]` (strings), and in live runs `targets[]` (one per
//! probed target: `scrape_url`, `health`, `error` in Prometheus's `lastError` wording, and the
//! probe's facts), and `clusters[]` (per cluster, `null` for targets attributed to none, and per
//! job: `counts {up, down, unknown, dropped, failed}` and every resolved target with `state`
//! (`active`, `dropped` with `dropped_by {rule, action, location}`, `failed` with `error`), final
//! `labels`, `discovered_labels_count`, `scrape_url`, `health`, `error`, and `probe`: the index of
//! its facts in `targets[]`, so a program can line it up with Prometheus's `/api/v1/targets`
//! without the facts written twice). Fields are only ever added within one schema version.

use crate::report::Report;

/// Writes the report as it serializes: a fleet's report runs to tens of megabytes, which would
/// otherwise be held whole in memory (and briefly twice while its buffer grows) at the run's end.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(std::io::Error::from)?;
    out.write_all(b"\n")
}

/// The report as one string, for callers that want it in memory.
pub fn render(report: &Report) -> String {
    let mut text = Vec::new();
    write(report, &mut text).expect("writing a report to memory cannot fail");
    String::from_utf8(text).expect("serde_json writes UTF-8")
}
