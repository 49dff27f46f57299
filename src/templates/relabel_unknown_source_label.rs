//! Template `relabel-unknown-source-label`: relabel rules that read `__meta_*` labels no
//! discovery mechanism of the job produces (nor an earlier rule sets). Pure.

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::config::model::{RelabelAction, RelabelRule, ScrapeConfig};
use crate::templates::producible::{can_produce, literal_prefix, meta_prefixes};
use crate::templates::{finding, Template};

pub struct RelabelUnknownSourceLabel;

impl Template for RelabelUnknownSourceLabel {
    fn name(&self) -> &'static str {
        "relabel-unknown-source-label"
    }

    fn description(&self) -> &'static str {
        "Finds relabel rules reading meta labels that the job's discovery cannot produce."
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let mut findings = Vec::new();
        for job in &input.config.scrape_configs {
            for (index, unknown) in unknown_reads(job) {
                let rule = &job.relabel_configs[index];
                let mechanisms = mechanism_names(job);
                let message = format!(
                    "rule {} ({}) reads {unknown}, which {} never produces: the rule always sees an empty value",
                    index + 1,
                    rule.action.as_str(),
                    mechanisms
                );
                let mut f = finding(spec, message);
                f.job = Some(job.job_name.clone());
                f.location = Some(rule.location.clone());
                findings.push(f);
            }
        }
        findings
    }
}

/// For each rule of `job` that reads an impossible meta label: (rule index, what it reads).
pub fn unknown_reads(job: &ScrapeConfig) -> Vec<(usize, String)> {
    let prefixes = meta_prefixes(job);
    let mut set_by_rules: Vec<String> = Vec::new();
    let mut found = Vec::new();
    for (index, rule) in job.relabel_configs.iter().enumerate() {
        let set_earlier = |name: &str| set_by_rules.iter().any(|s| s == name);
        if let Some(unknown) = impossible_read(rule, &prefixes, &set_earlier) {
            found.push((index, unknown));
        }
        if matches!(
            rule.action,
            RelabelAction::Replace
                | RelabelAction::HashMod
                | RelabelAction::Lowercase
                | RelabelAction::Uppercase
        ) {
            set_by_rules.push(rule.target_label.clone());
        }
    }
    found
}

fn impossible_read(
    rule: &RelabelRule,
    prefixes: &[String],
    set_earlier: &dyn Fn(&str) -> bool,
) -> Option<String> {
    match rule.action {
        RelabelAction::LabelMap | RelabelAction::LabelDrop | RelabelAction::LabelKeep => {
            let prefix = literal_prefix(rule.regex.as_str());
            let reads_meta = prefix.starts_with("__meta_") && prefix.len() > "__meta_".len();
            (reads_meta && !can_produce(prefixes, prefix, true) && !set_earlier(prefix))
                .then(|| format!("labels matching `{}`", rule.regex.as_str()))
        }
        _ => rule
            .source_labels
            .iter()
            .find(|name| {
                name.starts_with("__meta_")
                    && !can_produce(prefixes, name, false)
                    && !set_earlier(name)
            })
            .map(|name| format!("`{name}`")),
    }
}

fn mechanism_names(job: &ScrapeConfig) -> String {
    use crate::config::model::SdKind;
    let mut names: Vec<String> = job
        .service_discovery
        .iter()
        .map(|sd| match &sd.kind {
            SdKind::Static(_) => "static_configs".to_string(),
            SdKind::File(_) => "file_sd_configs".to_string(),
            SdKind::Kubernetes(k) => format!("kubernetes_sd_configs (role: {})", k.role.as_str()),
            SdKind::Other { mechanism } => format!("{mechanism}_sd_configs"),
        })
        .collect();
    names.dedup();
    if names.is_empty() {
        "a job without discovery".to_string()
    } else {
        names.join(" and ")
    }
}
