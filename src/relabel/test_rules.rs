//! Test-only construction of relabel rules with Prometheus's defaults (the config loader builds
//! them for real).

use std::path::Path;
use std::sync::Arc;

use crate::config::model::{RelabelAction, RelabelRule};
use crate::config::regex::PromRegex;
use crate::labels::Labels;
use crate::source::Location;
use crate::version::PrometheusVersion;

/// A rule under construction, starting from Prometheus's defaults.
#[derive(Clone)]
pub(crate) struct RuleBuilder {
    action: RelabelAction,
    source_labels: Vec<String>,
    separator: String,
    regex: String,
    modulus: u64,
    target_label: String,
    replacement: String,
}

pub(crate) fn rule(action: RelabelAction) -> RuleBuilder {
    RuleBuilder {
        action,
        source_labels: Vec::new(),
        separator: ";".to_string(),
        regex: "(.*)".to_string(),
        modulus: 0,
        target_label: String::new(),
        replacement: "$1".to_string(),
    }
}

impl RuleBuilder {
    pub(crate) fn sources(mut self, names: &[&str]) -> Self {
        self.source_labels = names.iter().map(|name| name.to_string()).collect();
        self
    }

    pub(crate) fn separator(mut self, separator: &str) -> Self {
        self.separator = separator.to_string();
        self
    }

    pub(crate) fn regex(mut self, regex: &str) -> Self {
        self.regex = regex.to_string();
        self
    }

    pub(crate) fn modulus(mut self, modulus: u64) -> Self {
        self.modulus = modulus;
        self
    }

    pub(crate) fn target(mut self, target: &str) -> Self {
        self.target_label = target.to_string();
        self
    }

    pub(crate) fn replacement(mut self, replacement: &str) -> Self {
        self.replacement = replacement.to_string();
        self
    }

    pub(crate) fn build(self, version: PrometheusVersion) -> RelabelRule {
        let regex = PromRegex::new(&self.regex, version)
            .unwrap_or_else(|e| panic!("test regex {:?}: {e}", self.regex));
        RelabelRule {
            source_labels: self.source_labels,
            separator: self.separator,
            regex,
            modulus: self.modulus,
            target_label: self.target_label,
            replacement: self.replacement,
            action: self.action,
            location: Location::new(Arc::from(Path::new("test.yml")), 1, 1),
        }
    }
}

pub(crate) fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}
