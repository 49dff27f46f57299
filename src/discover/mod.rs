//! Stage 2: service discovery. Turns each SD entry of a job into target groups carrying the same
//! labels Prometheus's discovery would produce, or says why it could not.
//!
//! Static and file discovery run offline. Mechanisms that need the network (Kubernetes, HTTP, the
//! clouds) are reported as not resolved rather than silently skipped; a later, networked
//! discoverer plugs in through the same [`SdOutcome`].

mod file_sd;
mod static_sd;

use crate::config::model::{SdConfig, SdKind};
use crate::labels::Labels;
use crate::source::Location;

/// A group of targets sharing labels, as Prometheus's `targetgroup.Group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetGroup {
    /// Prometheus's group source: `"0"` for the first static group, `path:index` for files.
    pub source: String,
    pub targets: Vec<Labels>,
    pub labels: Labels,
}

/// What discovery made of one SD entry.
#[derive(Debug, Clone)]
pub struct SdResult {
    /// Index of the entry among the job's `service_discovery` entries.
    pub sd_index: usize,
    pub location: Location,
    pub mechanism: &'static str,
    pub outcome: SdOutcome,
}

#[derive(Debug, Clone)]
pub enum SdOutcome {
    Resolved {
        groups: Vec<TargetGroup>,
        problems: Vec<SdProblem>,
    },
    /// The mechanism needs something we did not do in this run (usually the network).
    NotResolved { mechanism: String, reason: String },
}

/// A problem discovery met; a finding, not an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdProblem {
    pub kind: SdProblemKind,
    pub location: Location,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdProblemKind {
    /// A `file_sd_configs` pattern matched no file (Prometheus logs and waits for it).
    FileMissing,
    /// A file_sd file exists but is not a valid target group list (promtool refuses the config).
    FileInvalid,
}

/// Discovers every SD entry of a job without touching the network.
pub fn discover_offline(configs: &[SdConfig]) -> Vec<SdResult> {
    let mut static_index = 0;
    configs
        .iter()
        .enumerate()
        .map(|(sd_index, config)| {
            let (mechanism, outcome) = match &config.kind {
                SdKind::Static(group) => {
                    let outcome = static_sd::discover(group, static_index);
                    static_index += 1;
                    ("static", outcome)
                }
                SdKind::File(file) => ("file", file_sd::discover(file)),
                SdKind::Kubernetes(_) => ("kubernetes", not_resolved("kubernetes")),
                SdKind::Other { mechanism } => ("other", not_resolved(mechanism)),
            };
            SdResult {
                sd_index,
                location: config.location.clone(),
                mechanism,
                outcome,
            }
        })
        .collect()
}

fn not_resolved(mechanism: &str) -> SdOutcome {
    SdOutcome::NotResolved {
        mechanism: mechanism.to_string(),
        reason: format!("{mechanism} service discovery needs the network; this run is offline"),
    }
}
