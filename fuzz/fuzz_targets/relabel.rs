//! The relabel engine and target finalization never panic: arbitrary rules (rendered as YAML and
//! loaded as Prometheus would load them) applied to arbitrary label sets.
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use prom_preflight::config;
use prom_preflight::targets::populate;
use prom_preflight::version::PrometheusVersion;

const ACTIONS: [&str; 12] = [
    "replace",
    "keep",
    "drop",
    "hashmod",
    "labelmap",
    "labeldrop",
    "labelkeep",
    "lowercase",
    "uppercase",
    "keepequal",
    "dropequal",
    "Replace",
];

#[derive(Debug, Arbitrary)]
struct Rule {
    action: u8,
    source_labels: Vec<String>,
    separator: Option<String>,
    regex: Option<String>,
    target_label: Option<String>,
    replacement: Option<String>,
    modulus: Option<u8>,
}

#[derive(Debug, Arbitrary)]
struct Input {
    v3: bool,
    rules: Vec<Rule>,
    group: Vec<(String, String)>,
    target: Vec<(String, String)>,
}

/// A YAML double-quoted scalar.
fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

fn render(rules: &[Rule]) -> String {
    let mut yaml = String::from("scrape_configs:\n- job_name: fuzz\n  relabel_configs:\n");
    for rule in rules.iter().take(16) {
        let action = ACTIONS[usize::from(rule.action) % ACTIONS.len()];
        yaml.push_str(&format!("  - action: {action}\n"));
        if !rule.source_labels.is_empty() {
            let labels: Vec<String> = rule
                .source_labels
                .iter()
                .take(4)
                .map(|l| quote(l))
                .collect();
            yaml.push_str(&format!("    source_labels: [{}]\n", labels.join(", ")));
        }
        for (key, value) in [
            ("separator", &rule.separator),
            ("regex", &rule.regex),
            ("target_label", &rule.target_label),
            ("replacement", &rule.replacement),
        ] {
            if let Some(value) = value {
                yaml.push_str(&format!("    {key}: {}\n", quote(value)));
            }
        }
        if let Some(modulus) = rule.modulus {
            yaml.push_str(&format!("    modulus: {modulus}\n"));
        }
    }
    yaml
}

fuzz_target!(|input: Input| {
    let version = if input.v3 {
        PrometheusVersion::DEFAULT
    } else {
        PrometheusVersion::V2_42
    };
    let yaml = render(&input.rules);
    let loaded = config::load_str(&yaml, Path::new("/fuzz/prometheus.yml"), version);
    let Some(job) = loaded.config.scrape_configs.first() else {
        return;
    };
    let group: BTreeMap<String, String> = input.group.into_iter().take(16).collect();
    let mut target: BTreeMap<String, String> = input.target.into_iter().take(16).collect();
    target
        .entry("__address__".to_string())
        .or_insert_with(|| "h:1".to_string());
    let _ = populate(job, &group, target, version, true);
});
