//! Resolving a whole job: discovery, then relabeling and finalization of every discovered
//! target, keeping where each target came from.

use crate::config::model::Config;
use crate::discover::{self, SdOutcome, SdResult};
use crate::targets::{populate, Target};
use crate::version::PrometheusVersion;

/// One job after discovery and relabeling.
#[derive(Debug, Clone)]
pub struct JobTargets {
    /// Index into `config.scrape_configs`.
    pub job_index: usize,
    pub discovery: Vec<SdResult>,
    /// Every discovered target, with the SD entry it came from, in discovery order.
    pub targets: Vec<ResolvedTarget>,
}

#[derive(Debug, Clone)]
pub struct ResolvedTarget {
    pub sd_index: usize,
    pub group_source: String,
    pub target: Target,
}

/// Resolves every job with offline discovery. `trace` keeps what each relabel rule did.
pub fn resolve_offline(
    config: &Config,
    version: PrometheusVersion,
    trace: bool,
) -> Vec<JobTargets> {
    config
        .scrape_configs
        .iter()
        .enumerate()
        .map(|(job_index, job)| {
            let discovery = discover::discover_offline(&job.service_discovery);
            let mut targets = Vec::new();
            for sd in &discovery {
                let SdOutcome::Resolved { groups, .. } = &sd.outcome else {
                    continue;
                };
                for group in groups {
                    for labels in &group.targets {
                        let target = populate(job, &group.labels, labels, version, trace);
                        targets.push(ResolvedTarget {
                            sd_index: sd.sd_index,
                            group_source: group.source.clone(),
                            target,
                        });
                    }
                }
            }
            JobTargets {
                job_index,
                discovery,
                targets,
            }
        })
        .collect()
}
