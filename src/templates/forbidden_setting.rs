//! Template `forbidden-setting` (parameter `setting`): a policy that no job may use a setting:
//! `insecure_skip_verify`, `honor_labels`, `plain_http` (scheme http), `no_body_size_limit`,
//! `no_sample_limit`. Pure.

use std::collections::BTreeMap;

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::config::model::ScrapeConfig;
use crate::source::Location;
use crate::templates::{finding, Template};

pub struct ForbiddenSetting;

const SETTINGS: [&str; 5] = [
    "insecure_skip_verify",
    "honor_labels",
    "plain_http",
    "no_body_size_limit",
    "no_sample_limit",
];

impl Template for ForbiddenSetting {
    fn name(&self) -> &'static str {
        "forbidden-setting"
    }

    fn description(&self) -> &'static str {
        "No job uses the setting named by the `setting` parameter."
    }

    fn check_params(&self, params: &BTreeMap<String, String>) -> Result<(), String> {
        match (params.get("setting"), params.len()) {
            (Some(setting), 1) if SETTINGS.contains(&setting.as_str()) => Ok(()),
            _ => Err(format!(
                "takes exactly one parameter, `setting`, one of: {}",
                SETTINGS.join(", ")
            )),
        }
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let Some(setting) = spec.params.get("setting") else {
            return Vec::new();
        };
        input
            .config
            .scrape_configs
            .iter()
            .filter_map(|job| uses(job, setting).map(|at| (job, at)))
            .map(|(job, at)| {
                let mut f = finding(
                    spec,
                    format!("job uses `{setting}`, which this policy forbids"),
                );
                f.job = Some(job.job_name.clone());
                f.location = Some(at);
                f
            })
            .collect()
    }
}

/// Where `job` uses `setting`, if it does.
fn uses(job: &ScrapeConfig, setting: &str) -> Option<Location> {
    let used = match setting {
        "insecure_skip_verify" => job.http.tls.insecure_skip_verify,
        "honor_labels" => job.honor_labels,
        "plain_http" => job.scheme == "http",
        "no_body_size_limit" => job.limits.body_size_limit == 0,
        "no_sample_limit" => job.limits.sample_limit == 0,
        _ => false,
    };
    let at = match setting {
        "insecure_skip_verify" => job.http.tls.insecure_skip_verify_location.clone(),
        _ => None,
    };
    used.then(|| at.unwrap_or_else(|| job.location.clone()))
}
