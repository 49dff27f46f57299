//! The fixed report: findings of every severity, with and without a job, a target and a location,
//! and text that needs escaping (`%`, `,`, `:`, quotes, a multi-line evidence), pointing into
//! `tests/data/reports/prometheus.yml`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use prom_preflight::check::finding::{Finding, Severity};
use prom_preflight::check::spec::{CheckSpec, Needs};
use prom_preflight::report::{Report, Scope};
use prom_preflight::source::Location;

pub const CONFIG: &str = "tests/data/reports/prometheus.yml";

fn at(line: u32, column: u32) -> Option<Location> {
    let file: Arc<Path> = Arc::from(Path::new(CONFIG));
    Some(Location::new(file, line, column))
}

fn spec(id: &str, severity: Severity, needs: Needs, summary: &str, remediation: &str) -> CheckSpec {
    CheckSpec {
        id: id.to_string(),
        severity,
        template: "fixture".to_string(),
        params: Default::default(),
        needs,
        summary: summary.to_string(),
        description: format!("The description of {id}, in a sentence."),
        remediation: remediation.to_string(),
        source: format!("checks/{id}.yaml"),
    }
}

fn finding(check: &str, severity: Severity, job: Option<&str>, message: &str) -> Finding {
    Finding {
        check: check.to_string(),
        severity,
        job: job.map(str::to_string),
        cluster: None,
        target: None,
        location: None,
        message: message.to_string(),
        evidence: None,
        remediation: None,
        rejects_config: false,
    }
}

pub fn report() -> Report {
    let mut unknown = finding(
        "config/unknown-field",
        Severity::Error,
        None,
        "field scrape_intervall not found in type config.GlobalConfig",
    );
    unknown.location = at(4, 3);
    unknown.remediation = Some("Did you mean `scrape_interval`?".into());
    unknown.rejects_config = true;

    let mut token = finding(
        "config/file-missing",
        Severity::Error,
        Some("kubelet"),
        "bearer_token_file \"/opt/prometheus/serviceaccount/prod/token\" does not exist",
    );
    token.location = at(10, 24);
    token.remediation = Some("Create the file or fix the path.".into());
    token.rejects_config = true;

    let mut offline = finding(
        "sd/not-resolved-offline",
        Severity::Info,
        Some("kubelet"),
        "targets of this kubernetes SD entry were not resolved: this run is offline",
    );
    offline.location = at(9, 9);
    offline.remediation = Some("Run without `--offline` to check these targets.".into());

    let mut never = finding(
        "relabel/never-matches",
        Severity::Warning,
        Some("kubelet"),
        "rule 1 (keep, regex `5\\d%`) matched none of the 3 target(s) that reached it",
    );
    never.location = at(12, 9);
    never.remediation = Some("Fix the regex, or remove the rule.".into());

    let mut invalid = finding(
        "targets/invalid",
        Severity::Warning,
        Some("node-exporter"),
        "target \"10.0.0.8:9100,10.0.0.9:9100\" is not scraped: invalid \"__address__\" label",
    );
    invalid.target = Some("10.0.0.8:9100,10.0.0.9:9100".into());
    invalid.location = at(17, 36);
    invalid.evidence =
        Some("__address__=\"10.0.0.8:9100,10.0.0.9:9100\"\n100% of this group".into());
    invalid.remediation = Some("List each target as its own item.".into());

    let findings = vec![unknown, offline, token, never, invalid];
    let not_checked = vec!["live checks are not part of this version".to_string()];
    let scope = Scope {
        config_file: Some(PathBuf::from(CONFIG)),
        jobs: vec!["kubelet".into(), "node-exporter".into(), "blackbox".into()],
        checks: vec![
            spec(
                "config/file-missing",
                Severity::Error,
                Needs::Offline,
                "A file the configuration refers to does not exist or cannot be read.",
                "Create the file or fix its path.",
            ),
            spec(
                "config/unknown-field",
                Severity::Error,
                Needs::Offline,
                "A field Prometheus does not know; it refuses the file.",
                "Fix the field's name or remove it.",
            ),
            spec(
                "relabel/never-matches",
                Severity::Warning,
                Needs::Offline,
                "A relabel rule matches no target that reaches it.",
                "Fix the rule's regex or source labels, or remove the rule.",
            ),
            spec(
                "scrape/example-live-check",
                Severity::Error,
                Needs::Network,
                "A check that needs the network (this fixture's stand-in for the live checks).",
                "Nothing to fix: it is an example.",
            ),
            spec(
                "sd/not-resolved-offline",
                Severity::Info,
                Needs::Offline,
                "A discovery mechanism that needs the network was not resolved.",
                "Run without `--offline` to check these targets.",
            ),
            spec(
                "targets/invalid",
                Severity::Warning,
                Needs::Offline,
                "A target Prometheus would not scrape because its labels are invalid.",
                "Fix the target's address or the relabeling that produced it.",
            ),
        ],
        // The user's settings turn one check off for one job: its case is left out there.
        disabled: [("blackbox".to_string(), "targets/invalid".to_string())].into(),
    };
    Report::new("3.7".into(), "offline", findings, not_checked).with_scope(scope)
}

/// The fixed report with no findings at all.
pub fn clean_report() -> Report {
    let full = report();
    Report::new(
        "3.7".into(),
        "offline",
        Vec::new(),
        full.not_checked.clone(),
    )
    .with_scope(full.scope.clone())
}
