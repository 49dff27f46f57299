//! Stage 6: rendering. Everything upstream produces one [`Report`]; each module here turns it into
//! bytes for one audience. Nothing upstream knows about output formats. Pure, apart from reading
//! source lines for the human format.

pub mod human;
pub mod json;

use serde::Serialize;

use crate::check::finding::{Finding, Severity};

/// The version of the JSON report's shape; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

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
    /// Live runs: every probed target with its `scrape_url`, `health`, `error` (Prometheus's
    /// `lastError` wording) and the facts the probe gathered.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<crate::probe::ProbeFacts>,
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
    pub config_valid: bool,
}

impl Report {
    pub fn new(
        prometheus_version: String,
        mode: &'static str,
        findings: Vec<Finding>,
        not_checked: Vec<String>,
    ) -> Report {
        let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
        let summary = Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            config_valid: !findings.iter().any(|f| f.rejects_config),
        };
        Report {
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
            targets: Vec::new(),
        }
    }

    /// The most severe finding, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}
