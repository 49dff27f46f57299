//! Template `required-label` (parameter `label`): every active target must carry the label, for
//! example `cluster` in a multi-cluster setup. Pure.

use std::collections::BTreeMap;

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::targets::TargetState;
use crate::templates::{finding, Template};

pub struct RequiredLabel;

impl Template for RequiredLabel {
    fn name(&self) -> &'static str {
        "required-label"
    }

    fn description(&self) -> &'static str {
        "Every active target carries the label named by the `label` parameter."
    }

    fn check_params(&self, params: &BTreeMap<String, String>) -> Result<(), String> {
        match (params.get("label"), params.len()) {
            (Some(label), 1) if !label.is_empty() => Ok(()),
            _ => Err("takes exactly one parameter, `label`".to_string()),
        }
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let Some(label) = spec.params.get("label") else {
            return Vec::new();
        };
        let mut findings = Vec::new();
        for job in input.jobs {
            let scrape = &input.config.scrape_configs[job.job_index];
            let missing: Vec<&str> = job
                .targets
                .iter()
                .filter_map(|t| match &t.target.state {
                    TargetState::Active { labels, scrape_url } if !labels.contains_key(label) => {
                        Some(scrape_url.as_str())
                    }
                    _ => None,
                })
                .collect();
            if missing.is_empty() {
                continue;
            }
            let message = format!(
                "{} target(s) of the job have no `{label}` label",
                missing.len()
            );
            let mut f = finding(spec, message);
            f.job = Some(scrape.job_name.clone());
            f.location = Some(scrape.location.clone());
            f.evidence = Some(
                missing
                    .iter()
                    .take(10)
                    .copied()
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
            findings.push(f);
        }
        findings
    }
}
