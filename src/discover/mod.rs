//! Stage 2: service discovery. Turns each SD entry of a job into target groups carrying the same
//! labels Prometheus's discovery would produce, or says why it could not.
//!
//! Static and file discovery run offline. Kubernetes discovery needs the network: [`discover`]
//! resolves it through a [`kubernetes::Connector`], [`discover_offline`] reports it as not
//! resolved. Other mechanisms (HTTP, the clouds) are reported as not resolved rather than
//! silently skipped.

mod file_sd;
pub mod kubernetes;
mod static_sd;

use crate::config::model::{KubernetesSd, SdConfig, SdKind};
use crate::labels::Labels;
use crate::source::Location;
use crate::version::PrometheusVersion;

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
    /// For Kubernetes SD resolved over the network: the API server, credentials and every list
    /// call made, so that checks can explain an empty or failed discovery.
    pub kubernetes: Option<Box<kubernetes::KubeFacts>>,
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
    discover_with(configs, |_, _| (not_resolved("kubernetes"), None))
}

/// Discovers every SD entry of a job, resolving Kubernetes SD entries through `connector` with
/// the semantics of Prometheus `version`. Kubernetes entries are resolved concurrently.
pub fn discover(
    configs: &[SdConfig],
    version: PrometheusVersion,
    connector: &dyn kubernetes::Connector,
) -> Vec<SdResult> {
    let kube: Vec<(usize, &SdConfig, &KubernetesSd)> = configs
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match &c.kind {
            SdKind::Kubernetes(sd) => Some((i, c, sd.as_ref())),
            _ => None,
        })
        .collect();
    let mut resolved: Vec<Option<(SdOutcome, Option<Box<kubernetes::KubeFacts>>)>> =
        (0..configs.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = kube
            .iter()
            .map(|(i, config, sd)| {
                let handle =
                    scope.spawn(move || kubernetes_entry(sd, &config.location, version, connector));
                (*i, handle)
            })
            .collect();
        for (i, handle) in handles {
            let result = handle.join().unwrap_or_else(|_| {
                (
                    SdOutcome::NotResolved {
                        mechanism: "kubernetes".into(),
                        reason: "discovery failed unexpectedly".into(),
                    },
                    None,
                )
            });
            resolved[i] = Some(result);
        }
    });
    discover_with(configs, |index, _| {
        resolved[index]
            .take()
            .unwrap_or_else(|| (not_resolved("kubernetes"), None))
    })
}

fn kubernetes_entry(
    sd: &KubernetesSd,
    location: &Location,
    version: PrometheusVersion,
    connector: &dyn kubernetes::Connector,
) -> (SdOutcome, Option<Box<kubernetes::KubeFacts>>) {
    match connector.connect(sd, location) {
        Err(reason) => (
            SdOutcome::NotResolved {
                mechanism: "kubernetes".into(),
                reason,
            },
            None,
        ),
        Ok(connection) => {
            let (groups, facts) = kubernetes::discover(sd, &connection, version);
            (
                SdOutcome::Resolved {
                    groups,
                    problems: Vec::new(),
                },
                Some(Box::new(facts)),
            )
        }
    }
}

type KubeResult = (SdOutcome, Option<Box<kubernetes::KubeFacts>>);

fn discover_with(
    configs: &[SdConfig],
    mut kubernetes_sd: impl FnMut(usize, &SdConfig) -> KubeResult,
) -> Vec<SdResult> {
    let mut static_index = 0;
    configs
        .iter()
        .enumerate()
        .map(|(sd_index, config)| {
            let mut facts = None;
            let (mechanism, outcome) = match &config.kind {
                SdKind::Static(group) => {
                    let outcome = static_sd::discover(group, static_index);
                    static_index += 1;
                    ("static", outcome)
                }
                SdKind::File(file) => ("file", file_sd::discover(file)),
                SdKind::Kubernetes(_) => {
                    let (outcome, found) = kubernetes_sd(sd_index, config);
                    facts = found;
                    ("kubernetes", outcome)
                }
                SdKind::Other { mechanism } => ("other", not_resolved(mechanism)),
            };
            SdResult {
                sd_index,
                location: config.location.clone(),
                mechanism,
                outcome,
                kubernetes: facts,
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
