//! Baselines: adopt the gate on a configuration with known problems. `--write-baseline FILE` records
//! every reported finding; `--baseline FILE` then leaves out the findings it lists, so only new
//! problems fail the gate. Pure apart from [`read`] and [`write`].
//!
//! Findings are matched on their [`Identity`] (check, job, cluster, target and normalised
//! message), never on line numbers, so editing other parts of `prometheus.yml` keeps the baseline
//! valid. An entry carries a count: a baseline that knows two findings with one identity
//! suppresses two, and a third one with that identity is new and fails the gate.
//!
//! # File format
//! ```json
//! {
//!   "baseline_version": 1,
//!   "tool": { "name": "prom-preflight", "version": "0.1.0" },
//!   "findings": [
//!     { "check": "config/file-missing", "job": "kubelet",
//!       "message": "bearer_token_file \"/var/run/token\" does not exist", "count": 1 }
//!   ]
//! }
//! ```
//! `job`, `cluster` and `target` are left out when the finding has none; `count` defaults to 1;
//! `message` is kept as reported (it is normalised when matching); entries are sorted so the file
//! diffs well. Described by `schemas/baseline-v1.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::report::identity::Identity;
use crate::report::Report;

/// The version of the baseline file's shape.
pub const BASELINE_VERSION: u32 = 1;

/// Larger files are not baselines; refusing them keeps memory bounded.
const MAX_BASELINE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub baseline_version: u32,
    #[serde(default)]
    pub tool: Option<BaselineTool>,
    pub findings: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineTool {
    pub name: String,
    pub version: String,
}

/// Known findings with one identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub check: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub message: String,
    #[serde(default = "one")]
    pub count: usize,
}

fn one() -> usize {
    1
}

impl Entry {
    fn identity(&self) -> Identity {
        Identity::new(
            &self.check,
            self.job.as_deref(),
            self.cluster.as_deref(),
            self.target.as_deref(),
            &self.message,
        )
    }
}

/// Why a baseline file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("failed to read baseline {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to parse baseline {path}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("failed to use baseline {path}: version {found} is not supported (this release reads version {BASELINE_VERSION})")]
    Version { path: PathBuf, found: u32 },
    #[error("failed to write baseline {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Baseline {
    /// A baseline that knows every finding of `report`.
    pub fn from_report(report: &Report) -> Baseline {
        let mut counts: BTreeMap<Identity, (usize, &str)> = BTreeMap::new();
        for finding in &report.findings {
            let entry = counts
                .entry(Identity::of(finding))
                .or_insert((0, finding.message.as_str()));
            entry.0 += 1;
        }
        let findings = counts
            .into_iter()
            .map(|(id, (count, message))| Entry {
                check: id.check,
                job: id.job,
                cluster: id.cluster,
                target: id.target,
                message: message.to_string(),
                count,
            })
            .collect();
        Baseline {
            baseline_version: BASELINE_VERSION,
            tool: Some(BaselineTool {
                name: report.tool.name.to_string(),
                version: report.tool.version.to_string(),
            }),
            findings,
        }
    }

    /// The file's text: pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a baseline always serializes");
        text.push('\n');
        text
    }
}

/// What applying a baseline did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Findings left out of the report.
    pub suppressed: usize,
    /// Known findings that did not occur in this run (fixed since the baseline was written).
    pub unmatched: usize,
}

/// Leaves out of `report` every finding `baseline` knows, counting them in
/// `summary.suppressed`. Findings the baseline does not know stay, and so fail the gate.
pub fn apply(report: &mut Report, baseline: &Baseline) -> Applied {
    let mut known: BTreeMap<Identity, usize> = BTreeMap::new();
    for entry in &baseline.findings {
        *known.entry(entry.identity()).or_default() += entry.count;
    }
    let before = report.findings.len();
    report
        .findings
        .retain(|finding| match known.get_mut(&Identity::of(finding)) {
            Some(left) if *left > 0 => {
                *left -= 1;
                false
            }
            _ => true,
        });
    let suppressed = before - report.findings.len();
    report.summary.suppressed += suppressed;
    report.recount();
    Applied {
        suppressed,
        unmatched: known.values().sum(),
    }
}

pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
    let read_error = |source| BaselineError::Read {
        path: path.to_path_buf(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(read_error)?;
    if metadata.len() > MAX_BASELINE_BYTES {
        return Err(read_error(std::io::Error::other(format!(
            "file is {} bytes, more than the {MAX_BASELINE_BYTES} a baseline may have",
            metadata.len()
        ))));
    }
    let text = std::fs::read_to_string(path).map_err(read_error)?;
    // The version is read first, so that a future format is named as such rather than as a
    // parse error on a field this release does not know.
    #[derive(Deserialize)]
    struct Versioned {
        baseline_version: u32,
    }
    let version: Versioned =
        serde_json::from_str(&text).map_err(|source| BaselineError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
    if version.baseline_version != BASELINE_VERSION {
        return Err(BaselineError::Version {
            path: path.to_path_buf(),
            found: version.baseline_version,
        });
    }
    serde_json::from_str(&text).map_err(|source| BaselineError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

pub fn write(path: &Path, baseline: &Baseline) -> Result<(), BaselineError> {
    std::fs::write(path, baseline.to_json()).map_err(|source| BaselineError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::finding::{Finding, Severity};

    fn finding(check: &str, job: &str, message: &str) -> Finding {
        Finding {
            check: check.to_string(),
            severity: Severity::Error,
            job: Some(job.to_string()),
            cluster: None,
            target: None,
            location: None,
            message: message.to_string(),
            evidence: None,
            remediation: None,
            rejects_config: false,
        }
    }

    fn report(findings: Vec<Finding>) -> Report {
        Report::new("3.7".into(), "offline", findings, Vec::new())
    }

    #[test]
    fn known_findings_are_suppressed_and_new_ones_stay() {
        let known = report(vec![
            finding("config/file-missing", "a", "token missing"),
            finding("config/file-missing", "a", "token missing"),
            finding(
                "relabel/never-matches",
                "a",
                "rule 2 matched none of the 3 target(s)",
            ),
        ]);
        let baseline = Baseline::from_report(&known);
        assert_eq!(baseline.findings.len(), 2);
        assert_eq!(baseline.findings[0].count, 2);

        let mut now = report(vec![
            finding("config/file-missing", "a", "token missing"),
            finding("config/file-missing", "a", "token missing"),
            finding("config/file-missing", "a", "token missing"),
            finding("config/file-missing", "b", "token missing"),
            finding(
                "relabel/never-matches",
                "a",
                "rule 4 matched none of the 5 target(s)",
            ),
        ]);
        let applied = apply(&mut now, &baseline);
        assert_eq!(
            applied,
            Applied {
                suppressed: 3,
                unmatched: 0
            }
        );
        assert_eq!(now.summary.suppressed, 3);
        assert_eq!(now.summary.errors, 2);
        let left: Vec<&str> = now
            .findings
            .iter()
            .map(|f| f.job.as_deref().unwrap())
            .collect();
        assert_eq!(
            left,
            ["a", "b"],
            "the third copy in job a and the one in job b are new"
        );
    }

    #[test]
    fn the_file_round_trips_and_names_an_unknown_version() {
        let baseline = Baseline::from_report(&report(vec![finding("a/b", "j", "m")]));
        let text = baseline.to_json();
        let parsed: Baseline = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, baseline);
        assert!(
            !text.contains("cluster"),
            "absent parts are left out: {text}"
        );

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.json");
        std::fs::write(
            &path,
            r#"{"baseline_version": 2, "findings": [], "new": 1}"#,
        )
        .unwrap();
        let error = read(&path).unwrap_err();
        assert!(
            error.to_string().contains("version 2 is not supported"),
            "{error}"
        );
    }
}
