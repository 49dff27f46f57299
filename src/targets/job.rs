//! Resolving a whole job: discovery, then relabeling and finalization of every discovered
//! target, keeping where each target came from and which cluster it belongs to.

use crate::config::model::{Config, ScrapeConfig};
use crate::discover::kubernetes::Connector;
use crate::discover::{self, SdOutcome, SdResult};
use crate::targets::{populate_group, Target, TargetState};
use crate::version::PrometheusVersion;

/// One job after discovery and relabeling.
#[derive(Debug, Clone)]
pub struct JobTargets {
    /// Index into `config.scrape_configs`.
    pub job_index: usize,
    /// What discovery made of each SD entry, without its target groups: their labels have moved
    /// into `targets` (a fleet's discovered labels are its largest data, and keeping them twice
    /// doubled it).
    pub discovery: Vec<SdResult>,
    /// Every discovered target, with the SD entry it came from, in discovery order.
    pub targets: Vec<ResolvedTarget>,
}

#[derive(Debug, Clone)]
pub struct ResolvedTarget {
    pub sd_index: usize,
    pub group_source: String,
    pub target: Target,
    /// The cluster the target belongs to: its `cluster` label (after relabeling, or as
    /// discovered), else the API server (`host:port`) it was discovered from.
    pub cluster: Option<String>,
}

/// How many jobs are discovered at the same time over the network.
const PARALLEL_JOBS: usize = 8;

/// Resolves every job with offline discovery. `trace` keeps what each relabel rule did.
pub fn resolve_offline(
    config: &Config,
    version: PrometheusVersion,
    trace: bool,
) -> Vec<JobTargets> {
    resolve(config, version, trace, None)
}

/// Resolves every job; Kubernetes SD entries are resolved over the network through `connector`
/// when one is given, and reported as not resolved otherwise.
pub fn resolve(
    config: &Config,
    version: PrometheusVersion,
    trace: bool,
    connector: Option<&dyn Connector>,
) -> Vec<JobTargets> {
    let all: Vec<usize> = (0..config.scrape_configs.len()).collect();
    resolve_jobs(config, &all, version, trace, connector)
}

/// Like [`resolve`], for the jobs at `indices` of `config.scrape_configs` only.
pub fn resolve_jobs(
    config: &Config,
    indices: &[usize],
    version: PrometheusVersion,
    trace: bool,
    connector: Option<&dyn Connector>,
) -> Vec<JobTargets> {
    let jobs: Vec<(usize, &ScrapeConfig)> = indices
        .iter()
        .filter_map(|&i| config.scrape_configs.get(i).map(|job| (i, job)))
        .collect();
    let mut out = Vec::with_capacity(jobs.len());
    for chunk in jobs.chunks(PARALLEL_JOBS) {
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|&(job_index, job)| {
                    scope.spawn(move || resolve_job(job_index, job, version, trace, connector))
                })
                .collect();
            for (handle, &(job_index, job)) in handles.into_iter().zip(chunk) {
                // A panic in one job's discovery must not hide the others; redo it offline.
                out.push(
                    handle
                        .join()
                        .unwrap_or_else(|_| resolve_job(job_index, job, version, trace, None)),
                );
            }
        });
    }
    out
}

fn resolve_job(
    job_index: usize,
    job: &ScrapeConfig,
    version: PrometheusVersion,
    trace: bool,
    connector: Option<&dyn Connector>,
) -> JobTargets {
    let mut discovery = match connector {
        Some(connector) => discover::discover(&job.service_discovery, version, connector),
        None => discover::discover_offline(&job.service_discovery),
    };
    let mut targets = Vec::new();
    for sd in &mut discovery {
        let SdOutcome::Resolved { groups, .. } = &mut sd.outcome else {
            continue;
        };
        let sd_cluster = sd.kubernetes.as_ref().map(|k| k.cluster.clone());
        for group in std::mem::take(groups) {
            let source = group.source.clone();
            for target in populate_group(job, group, version, trace) {
                let cluster = cluster_of(&target).or_else(|| sd_cluster.clone());
                targets.push(ResolvedTarget {
                    sd_index: sd.sd_index,
                    group_source: source.clone(),
                    target,
                    cluster,
                });
            }
        }
    }
    JobTargets {
        job_index,
        discovery,
        targets,
    }
}

/// The `cluster` label a target ends up with, or was discovered with.
fn cluster_of(target: &Target) -> Option<String> {
    if let TargetState::Active { labels, .. } = &target.state {
        if let Some(cluster) = labels.get("cluster") {
            return Some(cluster.clone());
        }
    }
    target.discovered.get("cluster").cloned()
}
