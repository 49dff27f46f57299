//! Templates about the final targets: `targets-invalid` (finalization failed) and
//! `targets-label-collision` (distinct targets with identical visible labels). Pure.

use std::collections::BTreeMap;

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::config::model::SdKind;
use crate::labels::{visible, Labels};
use crate::targets::alertmanager::{self, AlertmanagerState};
use crate::targets::TargetState;
use crate::templates::{finding, Template};

pub struct TargetsInvalid;

impl Template for TargetsInvalid {
    fn name(&self) -> &'static str {
        "targets-invalid"
    }

    fn description(&self) -> &'static str {
        "Reports targets that Prometheus's finalization rejects after relabeling."
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let mut findings = Vec::new();
        for job in input.jobs {
            let scrape = &input.config.scrape_configs[job.job_index];
            for resolved in &job.targets {
                let TargetState::Failed { error } = &resolved.target.state else {
                    continue;
                };
                let address = resolved
                    .target
                    .discovered
                    .get("__address__")
                    .cloned()
                    .unwrap_or_default();
                let mut f = finding(spec, format!("target {address:?} is not scraped: {error}"));
                f.job = Some(scrape.job_name.clone());
                f.target = Some(address);
                f.location = scrape
                    .service_discovery
                    .get(resolved.sd_index)
                    .map(|sd| sd.location.clone());
                f.rejects_config = true;
                findings.push(f);
            }
        }
        findings.extend(invalid_alertmanagers(spec, input));
        findings
    }
}

/// An alertmanager whose relabeled address is not a valid host makes Prometheus discard its
/// whole target group; `promtool check config` refuses it for static and file SD.
fn invalid_alertmanagers(spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
    let mut findings = Vec::new();
    for set in input.alertmanagers {
        let Some(am) = input.config.alertmanagers.get(set.index) else {
            continue;
        };
        for target in &set.targets {
            let AlertmanagerState::Invalid { error } = &target.state else {
                continue;
            };
            let discarded = set
                .targets
                .iter()
                .filter(|t| {
                    t.sd_index == target.sd_index
                        && t.group_source == target.group_source
                        && matches!(t.state, AlertmanagerState::GroupDiscarded { .. })
                })
                .count();
            let address = target
                .discovered
                .get("__address__")
                .cloned()
                .unwrap_or_default();
            let mut message = format!(
                "alertmanager {address:?} is not used: {error}; Prometheus discards its whole target group"
            );
            if discarded > 0 {
                message.push_str(&format!(
                    ", so {discarded} other alertmanager(s) of the group receive no alerts either"
                ));
            }
            let mut f = finding(spec, message);
            f.job = Some(alertmanager::display_name(set.index));
            f.target = Some(address);
            let sd = am.service_discovery.get(target.sd_index);
            // Without relabeling, loading already refused a static URL target.
            if am.relabel_configs.is_empty()
                && sd.is_some_and(|sd| matches!(sd.kind, SdKind::Static(_)))
            {
                continue;
            }
            f.location = sd.map(|sd| sd.location.clone());
            f.rejects_config =
                sd.is_some_and(|sd| matches!(sd.kind, SdKind::Static(_) | SdKind::File(_)));
            findings.push(f);
        }
    }
    findings
}

pub struct TargetsLabelCollision;

impl Template for TargetsLabelCollision {
    fn name(&self) -> &'static str {
        "targets-label-collision"
    }

    fn description(&self) -> &'static str {
        "Finds distinct targets whose series would carry identical labels."
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        // visible labels -> distinct (all labels, URL) of the targets that end up with them
        let mut by_visible: BTreeMap<Labels, Vec<(usize, Labels, String)>> = BTreeMap::new();
        for job in input.jobs {
            for resolved in &job.targets {
                let TargetState::Active { labels, scrape_url } = &resolved.target.state else {
                    continue;
                };
                let key: Labels = visible(labels)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let entry = by_visible.entry(key).or_default();
                if !entry.iter().any(|(_, l, u)| l == labels && u == scrape_url) {
                    entry.push((job.job_index, labels.clone(), scrape_url.clone()));
                }
            }
        }
        let mut findings = Vec::new();
        for (visible_labels, targets) in by_visible.into_iter().filter(|(_, t)| t.len() > 1) {
            let scrape = &input.config.scrape_configs[targets[0].0];
            let shown: Vec<String> = visible_labels
                .iter()
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect();
            let urls: Vec<&str> = targets.iter().map(|(_, _, url)| url.as_str()).collect();
            let message = format!("{} distinct targets end up with the same labels {{{}}}; their series overwrite each other", targets.len(), shown.join(", "));
            let mut f = finding(spec, message);
            f.job = Some(scrape.job_name.clone());
            f.location = Some(scrape.location.clone());
            f.evidence = Some(format!("scrape URLs:\n{}", urls.join("\n")));
            findings.push(f);
        }
        findings
    }
}
