//! Stage 3b: target finalization. Turns one discovered target into what Prometheus would scrape
//! (or the reason it would not), exactly as `scrape/target.go` `PopulateLabels` and `Target.URL`
//! do for the selected release. Pure: no IO.

mod address;
mod finalize;
#[cfg(test)]
mod tests;
mod url;

pub mod alertmanager;
pub mod job;
pub mod output;

pub use job::{resolve, resolve_jobs, resolve_offline, JobTargets, ResolvedTarget};

use std::borrow::Cow;

use crate::config::model::ScrapeConfig;
use crate::discover::TargetGroup;
use crate::labels::Labels;
use crate::relabel::{self, RuleStep};
use crate::version::PrometheusVersion;

pub use finalize::TargetError;
pub use url::{go_url, scrape_url};

/// One discovered target after relabeling and finalization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The labels relabeling started from (Prometheus's `discoveredLabels`): discovery's labels
    /// plus the job's defaults and `params`.
    pub discovered: Labels,
    pub state: TargetState,
    /// What each `relabel_configs` rule did; empty unless tracing was asked for.
    pub trace: Vec<RuleStep>,
}

/// What Prometheus does with a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetState {
    /// Scraped. `labels` are the final labels, `__` labels included (`__address__`,
    /// `__metrics_path__`, `__scheme__`, `__scrape_*__`, `__param_*`, `__tmp_*`…) but `__meta_*`
    /// removed; `instance` and `job` are always set.
    Active { labels: Labels, scrape_url: String },
    /// Dropped by the `relabel_configs` rule with this index.
    Dropped { rule: usize },
    /// Refused, with Prometheus's message (a [`TargetError`] rendered); Prometheus only logs
    /// these, so they appear in neither target list.
    Failed { error: String },
}

/// What Prometheus deduplicates active targets by: all final labels and the scrape URL. Targets
/// that differed only in `__meta_*` labels share a key, since those are gone by now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DedupKey<'t> {
    pub labels: &'t Labels,
    pub scrape_url: &'t str,
}

impl Target {
    /// The key under which Prometheus would merge this target with identical ones; `None` unless
    /// the target is active.
    pub fn dedup_key(&self) -> Option<DedupKey<'_>> {
        match &self.state {
            TargetState::Active { labels, scrape_url } => Some(DedupKey { labels, scrape_url }),
            _ => None,
        }
    }
}

/// [`populate`] for every target of `group`, in order. The group is consumed, and its last
/// target takes the group's labels rather than a copy of them: in the node role every group is
/// one target, and a fleet's discovered labels are its largest data.
pub fn populate_group(
    job: &ScrapeConfig,
    group: TargetGroup,
    version: PrometheusVersion,
    trace: bool,
) -> Vec<Target> {
    let TargetGroup {
        mut targets,
        labels: group_labels,
        ..
    } = group;
    let last = targets.pop();
    let mut out: Vec<Target> = targets
        .into_iter()
        .map(|target_labels| populate(job, &group_labels, target_labels, version, trace))
        .collect();
    if let Some(target_labels) = last {
        let group_labels = Cow::Owned(group_labels);
        out.push(populate_from(
            job,
            group_labels,
            target_labels,
            version,
            trace,
        ));
    }
    out
}

/// Builds the target Prometheus `version` would create in `job` from one discovered target
/// (`target_labels`) of a group (`group_labels`). The target's labels become its
/// `discovered` labels, so they are taken rather than copied.
pub fn populate(
    job: &ScrapeConfig,
    group_labels: &Labels,
    target_labels: Labels,
    version: PrometheusVersion,
    trace: bool,
) -> Target {
    populate_from(
        job,
        Cow::Borrowed(group_labels),
        target_labels,
        version,
        trace,
    )
}

/// [`populate`], taking the group's labels when the caller can give them up.
fn populate_from(
    job: &ScrapeConfig,
    group_labels: Cow<'_, Labels>,
    target_labels: Labels,
    version: PrometheusVersion,
    trace: bool,
) -> Target {
    let discovered = finalize::discovered_labels(job, group_labels, target_labels, version);
    let outcome = relabel::apply(&job.relabel_configs, discovered.clone(), version, trace);
    let state = match outcome.dropped_by {
        Some(rule) => TargetState::Dropped { rule },
        None => match finalize::finalize(job, outcome.labels, version) {
            Ok(labels) => {
                let scrape_url = scrape_url(&labels, &job.params);
                TargetState::Active { labels, scrape_url }
            }
            Err(error) => TargetState::Failed {
                error: error.to_string(),
            },
        },
    };
    Target {
        discovered,
        state,
        trace: outcome.trace,
    }
}
