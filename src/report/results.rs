//! Per-cluster and per-job results: every resolved target with the state Prometheus would give it,
//! shaped after Prometheus's `/api/v1/targets` (final `labels`, `scrape_url`, `health`, `error`)
//! with the targets it would drop or refuse alongside, and a reference into the report's
//! `targets[]` for the probe's facts (a target's facts are written once, however many entries
//! share the scrape).
//!
//! Also the access questions a run raised (`kubectl auth can-i` material) from decoded 403s, for
//! the doctor; those are not part of the JSON report.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::config::model::Config;
use crate::discover::kubernetes::cluster_of;
use crate::labels::Labels;
use crate::probe::authz::{Answer, Scope};
use crate::probe::{Health, Probes};
use crate::source::Location;
use crate::targets::job::JobTargets;
use crate::targets::TargetState;

/// One cluster's jobs. `cluster` is `null` for targets attributed to no cluster (static targets
/// without a `cluster` label), and for jobs that resolved no target at all.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterResult {
    pub cluster: Option<String>,
    pub counts: Counts,
    pub jobs: Vec<JobResult>,
}

/// One job's targets in one cluster, in discovery order.
#[derive(Debug, Clone, Serialize)]
pub struct JobResult {
    pub job: String,
    pub counts: Counts,
    pub targets: Vec<TargetResult>,
}

/// How many targets are in each state. `unknown`: active, but not probed in this run (Prometheus
/// says `unknown` before a target's first scrape).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub up: usize,
    pub down: usize,
    pub unknown: usize,
    pub dropped: usize,
    pub failed: usize,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.up += other.up;
        self.down += other.down;
        self.unknown += other.unknown;
        self.dropped += other.dropped;
        self.failed += other.failed;
    }
}

/// What Prometheus does with a discovered target.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Scraped: listed in `activeTargets`.
    Active,
    /// Dropped by relabeling: listed in `droppedTargets`.
    Dropped,
    /// Refused during finalization (bad `__address__`, label collision…); Prometheus only logs it.
    Failed,
}

/// Prometheus's `health` of an active target.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TargetHealth {
    Up,
    Down,
    Unknown,
}

/// The relabel rule that dropped a target.
#[derive(Debug, Clone, Serialize)]
pub struct DroppedBy {
    /// 1-based position among the job's `relabel_configs`.
    pub rule: usize,
    pub action: String,
    pub location: Location,
}

/// One discovered target.
#[derive(Debug, Clone, Serialize)]
pub struct TargetResult {
    pub state: State,
    /// Active targets: the final labels (`__` labels included, `__meta_*` gone), as Prometheus's
    /// `labels` plus the `__address__`, `__scheme__`, `__metrics_path__` it scrapes with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
    /// How many labels relabeling started from (Prometheus's `discoveredLabels`).
    pub discovered_labels_count: usize,
    /// Dropped and failed targets: the discovered labels themselves, their only identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovered_labels: Option<Labels>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scrape_url: Option<String>,
    /// Active targets only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<TargetHealth>,
    /// Prometheus's `lastError` for a down target, or why a failed target was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped_by: Option<DroppedBy>,
    /// Index into the report's `targets[]`: the facts of the probe of this scrape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<usize>,
}

/// Builds the per-cluster results of every job in `jobs`; `probes` are the report's `targets[]`.
pub fn build(config: &Config, jobs: &[JobTargets], probes: Option<&Probes>) -> Vec<ClusterResult> {
    // (job index, index into the job's targets) → index into probes.targets.
    let mut probe_of: HashMap<(usize, usize), usize> = HashMap::new();
    if let Some(probes) = probes {
        for (index, facts) in probes.targets.iter().enumerate() {
            for &target in &facts.target_indices {
                probe_of.insert((facts.job_index, target), index);
            }
        }
    }
    let mut clusters: BTreeMap<Option<String>, Vec<JobResult>> = BTreeMap::new();
    for job in jobs {
        let Some(scrape) = config.scrape_configs.get(job.job_index) else {
            continue;
        };
        let named = named_clusters(job);
        let mut by_cluster: BTreeMap<Option<String>, JobResult> = BTreeMap::new();
        for (index, resolved) in job.targets.iter().enumerate() {
            let probe = probe_of.get(&(job.job_index, index)).copied();
            let facts = probe.and_then(|i| probes.and_then(|p| p.targets.get(i)));
            let target = &resolved.target;
            let mut result = TargetResult {
                state: State::Active,
                labels: None,
                discovered_labels_count: target.discovered.len(),
                discovered_labels: None,
                scrape_url: None,
                health: None,
                error: None,
                dropped_by: None,
                probe,
            };
            // A dropped target has no final `cluster` label; it belongs where the active
            // targets of its SD entry say their API server belongs.
            let cluster = match &target.state {
                TargetState::Active { .. } => resolved.cluster.clone(),
                _ => named
                    .get(&resolved.sd_index)
                    .cloned()
                    .or_else(|| resolved.cluster.clone()),
            };
            let entry = by_cluster.entry(cluster).or_insert_with(|| JobResult {
                job: scrape.job_name.clone(),
                counts: Counts::default(),
                targets: Vec::new(),
            });
            match &target.state {
                TargetState::Active { labels, scrape_url } => {
                    result.labels = Some(labels.clone());
                    result.scrape_url = Some(scrape_url.clone());
                    let health = match facts.map(|f| f.health) {
                        Some(Health::Up) => TargetHealth::Up,
                        Some(Health::Down) => TargetHealth::Down,
                        None => TargetHealth::Unknown,
                    };
                    match health {
                        TargetHealth::Up => entry.counts.up += 1,
                        TargetHealth::Down => entry.counts.down += 1,
                        TargetHealth::Unknown => entry.counts.unknown += 1,
                    }
                    result.health = Some(health);
                    result.error = facts.and_then(|f| f.error.clone());
                }
                TargetState::Dropped { rule } => {
                    result.state = State::Dropped;
                    result.discovered_labels = Some(target.discovered.clone());
                    result.dropped_by = scrape.relabel_configs.get(*rule).map(|r| DroppedBy {
                        rule: rule + 1,
                        action: r.action.as_str().to_string(),
                        location: r.location.clone(),
                    });
                    entry.counts.dropped += 1;
                }
                TargetState::Failed { error } => {
                    result.state = State::Failed;
                    result.discovered_labels = Some(target.discovered.clone());
                    result.error = Some(error.clone());
                    entry.counts.failed += 1;
                }
            }
            entry.targets.push(result);
        }
        if by_cluster.is_empty() {
            by_cluster.insert(
                None,
                JobResult {
                    job: scrape.job_name.clone(),
                    counts: Counts::default(),
                    targets: Vec::new(),
                },
            );
        }
        for (cluster, result) in by_cluster {
            clusters.entry(cluster).or_default().push(result);
        }
    }
    clusters
        .into_iter()
        .map(|(cluster, jobs)| {
            let mut counts = Counts::default();
            for job in &jobs {
                counts.add(&job.counts);
            }
            ClusterResult {
                cluster,
                counts,
                jobs,
            }
        })
        .collect()
}

/// For each SD entry whose active targets all carry one cluster name: that name. A Kubernetes SD
/// entry reaches one API server, so its dropped targets belong to the same cluster.
fn named_clusters(job: &JobTargets) -> HashMap<usize, String> {
    let mut seen: HashMap<usize, Option<&str>> = HashMap::new();
    for resolved in &job.targets {
        if !matches!(resolved.target.state, TargetState::Active { .. }) {
            continue;
        }
        let name = resolved.cluster.as_deref();
        seen.entry(resolved.sd_index)
            .and_modify(|known| {
                if *known != name {
                    *known = None;
                }
            })
            .or_insert(name);
    }
    let kubernetes: HashMap<usize, bool> = job
        .discovery
        .iter()
        .map(|sd| (sd.sd_index, sd.kubernetes.is_some()))
        .collect();
    seen.into_iter()
        .filter(|(sd, _)| kubernetes.get(sd).copied().unwrap_or(false))
        .filter_map(|(sd, name)| Some((sd, name?.to_string())))
        .collect()
}

/// A question to put to a cluster with `kubectl auth can-i`, from a decoded 403.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AccessCheck {
    /// The check whose finding this confirms (`rbac/forbidden`, `sd/forbidden`).
    pub check: &'static str,
    pub job: String,
    pub cluster: Option<String>,
    /// The refused identity (`system:serviceaccount:NS:NAME`, or a user name).
    pub user: String,
    pub verb: String,
    /// `nodes`, `nodes/proxy`…; empty for a non-resource URL.
    pub resource: String,
    pub api_group: String,
    pub namespace: Option<String>,
    pub non_resource_url: Option<String>,
}

impl AccessCheck {
    /// `kubectl auth can-i list endpoints --all-namespaces --as=system:serviceaccount:NS:NAME`.
    pub fn command(&self) -> String {
        let mut cmd = format!("kubectl auth can-i {}", self.verb);
        match &self.non_resource_url {
            Some(url) => cmd.push_str(&format!(" {url}")),
            None => {
                let (resource, subresource) = match self.resource.split_once('/') {
                    Some((r, s)) => (r, Some(s)),
                    None => (self.resource.as_str(), None),
                };
                if self.api_group.is_empty() {
                    cmd.push_str(&format!(" {resource}"));
                } else {
                    cmd.push_str(&format!(" {resource}.{}", self.api_group));
                }
                if let Some(sub) = subresource {
                    cmd.push_str(&format!(" --subresource={sub}"));
                }
                match &self.namespace {
                    Some(ns) => cmd.push_str(&format!(" --namespace={ns}")),
                    None => cmd.push_str(" --all-namespaces"),
                }
            }
        }
        cmd.push_str(&format!(" --as={}", shell_word(&self.user)));
        cmd
    }
}

/// `word` quoted for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    let plain = word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.:/=@".contains(c));
    if plain && !word.is_empty() {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Every distinct access question the run's 403s raise: probes refused by the API server or a
/// kubelet (`rbac/forbidden`), and discovery lists refused by the API server (`sd/forbidden`).
pub fn access_checks(
    config: &Config,
    jobs: &[JobTargets],
    probes: Option<&Probes>,
) -> Vec<AccessCheck> {
    let mut out = Vec::new();
    for facts in probes.map(|p| p.targets.as_slice()).unwrap_or_default() {
        let Some(Answer::Forbidden(denial)) = &facts.answer else {
            continue;
        };
        if denial.apiserver_identity {
            continue;
        }
        let rule = &denial.missing;
        for verb in &rule.verbs {
            let base = AccessCheck {
                check: "rbac/forbidden",
                job: facts.job.clone(),
                cluster: facts.cluster.clone(),
                user: denial.user.clone(),
                verb: verb.clone(),
                resource: String::new(),
                api_group: rule.api_groups.first().cloned().unwrap_or_default(),
                namespace: match &denial.scope {
                    Scope::Cluster => None,
                    Scope::Namespace { namespace } => Some(namespace.clone()),
                },
                non_resource_url: None,
            };
            if let Some(url) = rule.non_resource_urls.first() {
                out.push(AccessCheck {
                    non_resource_url: Some(url.clone()),
                    namespace: None,
                    ..base
                });
            } else {
                for resource in &rule.resources {
                    out.push(AccessCheck {
                        resource: resource.clone(),
                        ..base.clone()
                    });
                }
            }
        }
    }
    for job in jobs {
        let Some(scrape) = config.scrape_configs.get(job.job_index) else {
            continue;
        };
        for sd in &job.discovery {
            let Some(kube) = &sd.kubernetes else {
                continue;
            };
            let user = kube
                .credentials
                .token_claims
                .as_ref()
                .and_then(|c| c.subject.clone());
            let Some(user) = user else {
                continue;
            };
            for list in kube.lists.iter().filter(|l| l.status == Some(403)) {
                for verb in ["list", "watch"] {
                    out.push(AccessCheck {
                        check: "sd/forbidden",
                        job: scrape.job_name.clone(),
                        cluster: Some(cluster_of(&kube.api_server)),
                        user: user.clone(),
                        verb: verb.to_string(),
                        resource: list.resource.resource.to_string(),
                        api_group: list.resource.group.to_string(),
                        namespace: list.namespace.clone(),
                        non_resource_url: None,
                    });
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(resource: &str, namespace: Option<&str>) -> AccessCheck {
        AccessCheck {
            check: "rbac/forbidden",
            job: "kubelet".into(),
            cluster: None,
            user: "system:serviceaccount:monitoring:prometheus".into(),
            verb: "get".into(),
            resource: resource.into(),
            api_group: String::new(),
            namespace: namespace.map(str::to_string),
            non_resource_url: None,
        }
    }

    #[test]
    fn can_i_commands() {
        assert_eq!(
            check("nodes/proxy", None).command(),
            "kubectl auth can-i get nodes --subresource=proxy --all-namespaces --as=system:serviceaccount:monitoring:prometheus"
        );
        assert_eq!(
            check("services/proxy", Some("monitoring")).command(),
            "kubectl auth can-i get services --subresource=proxy --namespace=monitoring --as=system:serviceaccount:monitoring:prometheus"
        );
        let mut url = check("", None);
        url.non_resource_url = Some("/metrics".into());
        url.user = "it's me".into();
        assert_eq!(
            url.command(),
            r"kubectl auth can-i get /metrics --as='it'\''s me'"
        );
        let mut grouped = check("ingresses", Some("shop"));
        grouped.api_group = "networking.k8s.io".into();
        assert_eq!(
            grouped.command(),
            "kubectl auth can-i get ingresses.networking.k8s.io --namespace=shop --as=system:serviceaccount:monitoring:prometheus"
        );
    }
}
