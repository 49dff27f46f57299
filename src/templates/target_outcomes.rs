//! Templates about the final targets: `targets-invalid` (finalization failed) and
//! `targets-label-collision` (distinct targets with identical visible labels). Pure.

use std::collections::BTreeMap;

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::labels::{visible, Labels};
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
        findings
    }
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
