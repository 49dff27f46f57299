//! SARIF 2.1.0 for code-scanning tools (GitHub code scanning, IDE viewers). Pure, given the
//! working directory.
//!
//! # Shape
//! One run. `tool.driver.rules` describes every check of the run: `id` (the check id),
//! `shortDescription` (its summary), `fullDescription` (its description), `help` (description and
//! fix, as text and Markdown), `helpUri` (its generated documentation page) and
//! `defaultConfiguration.level`. `results` is always present, empty when nothing was found; each
//! result has `ruleId` and `ruleIndex`, `level` (`error`, `warning`, `note` for info), the message
//! (with the job and target it concerns), its location in `prometheus.yml` (`artifactLocation.uri`
//! relative to the working directory when the file lies under it, else a `file://` URI;
//! `region.startLine`/`startColumn` counted in Unicode code points, as `columnKind` says) and
//! `partialFingerprints."preflightIdentity/v1"`, the digest of the finding's identity (check, job,
//! cluster, target and normalised message; see `report::identity`), which does not change when
//! lines move. A finding without a location points at the start of the main config file. What the
//! run did not check is listed as notes under `invocations[0].toolExecutionNotifications`.
//!
//! Written with `serde_json` rather than a SARIF type crate: the subset is small, and a test
//! validates the output against the official schema.

use std::path::Path;

use serde_json::{json, Map, Value};

use crate::check::finding::{Finding, Severity};
use crate::check::spec::{CheckSpec, Needs};
use crate::report::identity::Identity;
use crate::report::uri::{relative_to, uri_reference};
use crate::report::{docs_url, Report};
use crate::source::Location;

pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The `partialFingerprints` key; its suffix changes if the identity recipe ever does.
pub const FINGERPRINT_KEY: &str = "preflightIdentity/v1";

const INFORMATION_URI: &str = "https://github.com/prom-preflight/prom-preflight";

pub fn render(report: &Report, cwd: Option<&Path>) -> String {
    let rules = rules(report);
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| result(report, finding, &rules, cwd))
        .collect();
    let notifications: Vec<Value> = report
        .not_checked
        .iter()
        .map(|text| json!({ "level": "note", "message": { "text": text } }))
        .collect();
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": report.tool.name,
                    "version": report.tool.version,
                    "semanticVersion": report.tool.version,
                    "informationUri": INFORMATION_URI,
                    "rules": rules.iter().map(rule).collect::<Vec<Value>>(),
                }
            },
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {
                "prometheusVersion": report.prometheus_version,
                "mode": report.mode,
                "configValid": report.summary.config_valid,
                "suppressed": report.summary.suppressed,
            },
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).expect("a SARIF log always serializes");
    text.push('\n');
    text
}

/// What a rule is built from: a check's spec, or only its id for a finding whose check is not in
/// the run's scope.
enum Rule<'a> {
    Spec(&'a CheckSpec),
    Id(&'a str),
}

impl Rule<'_> {
    fn id(&self) -> &str {
        match self {
            Rule::Spec(spec) => &spec.id,
            Rule::Id(id) => id,
        }
    }
}

fn rules(report: &Report) -> Vec<Rule<'_>> {
    let mut rules: Vec<Rule> = report.scope.checks.iter().map(Rule::Spec).collect();
    for finding in &report.findings {
        if !rules.iter().any(|r| r.id() == finding.check) {
            rules.push(Rule::Id(&finding.check));
        }
    }
    rules.sort_by(|a, b| a.id().cmp(b.id()));
    rules
}

fn rule(rule: &Rule) -> Value {
    let id = rule.id();
    let Rule::Spec(spec) = rule else {
        return json!({ "id": id, "helpUri": docs_url(id) });
    };
    let help_text = format!("{}\n\nFix: {}", spec.description, spec.remediation);
    let help_markdown = format!(
        "{}\n\n**Fix:** {}\n\n[Documentation]({})",
        spec.description,
        spec.remediation,
        docs_url(id)
    );
    let area = id.split('/').next().unwrap_or_default();
    json!({
        "id": id,
        "shortDescription": { "text": spec.summary },
        "fullDescription": { "text": spec.description },
        "help": { "text": help_text, "markdown": help_markdown },
        "helpUri": docs_url(id),
        "defaultConfiguration": { "level": level(spec.severity) },
        "properties": {
            "tags": [area],
            "needs": match spec.needs { Needs::Offline => "offline", Needs::Network => "network" },
        },
    })
}

fn result(report: &Report, finding: &Finding, rules: &[Rule], cwd: Option<&Path>) -> Value {
    let mut result = Map::new();
    result.insert("ruleId".into(), json!(finding.check));
    if let Some(index) = rules.iter().position(|r| r.id() == finding.check) {
        result.insert("ruleIndex".into(), json!(index));
    }
    result.insert("level".into(), json!(level(finding.severity)));
    result.insert("message".into(), json!({ "text": message(finding) }));
    let location = finding.location.clone().or_else(|| {
        let file = report.scope.config_file.as_deref()?;
        Some(Location::file_start(file.into()))
    });
    if let Some(location) = location {
        let uri = uri_reference(&relative_to(&location.file, cwd));
        result.insert(
            "locations".into(),
            json!([{
                "physicalLocation": {
                    "artifactLocation": { "uri": uri },
                    "region": { "startLine": location.line, "startColumn": location.column },
                }
            }]),
        );
    }
    result.insert(
        "partialFingerprints".into(),
        json!({ FINGERPRINT_KEY: Identity::of(finding).fingerprint() }),
    );
    let mut properties = Map::new();
    for (key, value) in [
        ("job", &finding.job),
        ("cluster", &finding.cluster),
        ("target", &finding.target),
        ("remediation", &finding.remediation),
    ] {
        if let Some(value) = value {
            properties.insert(key.into(), json!(value));
        }
    }
    if !properties.is_empty() {
        result.insert("properties".into(), Value::Object(properties));
    }
    Value::Object(result)
}

fn message(finding: &Finding) -> String {
    let context: Vec<String> = [
        finding.job.as_ref().map(|j| format!("job {j}")),
        finding.cluster.as_ref().map(|c| format!("cluster {c}")),
        finding.target.as_ref().map(|t| format!("target {t}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if context.is_empty() {
        finding.message.clone()
    } else {
        format!("{} ({})", finding.message, context.join(", "))
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}
