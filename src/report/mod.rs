//! Stage 6: rendering. Everything upstream produces one [`Report`]; each module here turns it into
//! bytes for one audience (nextest's reporter split): `human` for a terminal, `json` for programs,
//! `junit` and `sarif` for CI tools, `github` for workflow annotations. Nothing upstream knows about
//! output formats. Pure, apart from reading source lines for the human format.
//!
//! Two steps happen between checks and renderers, both here because both only drop findings:
//! [`Report::retain_at_least`] (`--min-severity`) and [`baseline::apply`] (`--baseline`).

pub mod baseline;
pub mod docs;
pub mod doctor;
pub mod github;
pub mod human;
pub mod identity;
pub mod json;
pub mod junit;
pub mod results;
pub mod sarif;
pub mod uri;

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::Serialize;

use crate::check::finding::{Finding, Severity};
use crate::check::spec::CheckSpec;

/// The version of the JSON report's shape; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Where each check's generated documentation page is published; a check's page is
/// `{DOCS_URL}{id}.md` (the file `docs/checks/<area>/<name>.md` in the repository).
pub const DOCS_URL: &str =
    "https://github.com/prom-preflight/prom-preflight/blob/main/docs/checks/";

/// The URL of one check's documentation page.
pub fn docs_url(check_id: &str) -> String {
    format!("{DOCS_URL}{check_id}.md")
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    /// The Prometheus release whose semantics were applied.
    pub prometheus_version: String,
    /// `offline` when nothing was fetched from the network.
    pub mode: &'static str,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    /// What this run did not examine, in words (for example discovery that needs the network).
    pub not_checked: Vec<String>,
    /// Per cluster, per job: every resolved target with its final labels, scrape URL, state,
    /// health and a reference into `targets` for its probe facts (see [`results`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<results::ClusterResult>,
    /// Live runs: every probed target with its `scrape_url`, `health`, `error` (Prometheus's
    /// `lastError` wording) and the facts the probe gathered.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<crate::probe::ProbeFacts>,
    /// Live runs: the minimal RBAC manifest (ClusterRole/Role and bindings) this configuration
    /// needs, as `prom-preflight rbac` prints it, each rule confirmed by the API server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rbac_manifest: Option<String>,
    /// What the run covered; not part of the JSON report, read by reporters that also list what
    /// passed (JUnit) or describe every rule (SARIF).
    #[serde(skip)]
    pub scope: Scope,
    /// `kubectl auth can-i` questions raised by decoded 403s, for the doctor.
    #[serde(skip)]
    pub access: Vec<results::AccessCheck>,
}

/// The jobs and checks a run covered, and the configuration file it read.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// The main configuration file as the user named it; results without a location point here.
    pub config_file: Option<PathBuf>,
    /// Job names in configuration order.
    pub jobs: Vec<String>,
    /// Every check that was part of the run (not disabled everywhere), sorted by id.
    pub checks: Vec<CheckSpec>,
    /// (job, check id) pairs whose check the user's settings disable for that job.
    pub disabled: BTreeSet<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Whether `promtool check config` (and a Prometheus reload) would accept the configuration.
    /// Judged on every finding, including those a baseline or `--min-severity` leaves out.
    pub config_valid: bool,
    /// Findings left out because the baseline (`--baseline`) lists them as known.
    pub suppressed: usize,
}

impl Report {
    pub fn new(
        prometheus_version: String,
        mode: &'static str,
        findings: Vec<Finding>,
        not_checked: Vec<String>,
    ) -> Report {
        let summary = Summary {
            errors: 0,
            warnings: 0,
            infos: 0,
            config_valid: !findings.iter().any(|f| f.rejects_config),
            suppressed: 0,
        };
        let mut report = Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
            },
            prometheus_version,
            mode,
            summary,
            findings,
            not_checked,
            scope: Scope::default(),
            clusters: Vec::new(),
            targets: Vec::new(),
            rbac_manifest: None,
            access: Vec::new(),
        };
        report.recount();
        report
    }

    /// Records what the run covered (see [`Scope`]).
    pub fn with_scope(mut self, scope: Scope) -> Report {
        self.scope = scope;
        self
    }

    /// The most severe finding, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Drops findings below `min` (`--min-severity`): they are neither shown nor counted.
    pub fn retain_at_least(&mut self, min: Severity) {
        self.findings.retain(|f| f.severity >= min);
        self.recount();
    }

    /// Recomputes the per-severity counts after findings were dropped; `config_valid` keeps the
    /// verdict over all findings.
    fn recount(&mut self) {
        let count = |severity| {
            self.findings
                .iter()
                .filter(|f| f.severity == severity)
                .count()
        };
        self.summary.errors = count(Severity::Error);
        self.summary.warnings = count(Severity::Warning);
        self.summary.infos = count(Severity::Info);
    }
}
