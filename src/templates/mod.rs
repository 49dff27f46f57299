//! Check templates: the Rust code behind the checks declared in `checks/`. A spec names its
//! template; one template can serve many checks (every loader diagnostic shares one). Pure.
//!
//! The list below is explicit on purpose: adding a template means adding it here, where a reader
//! sees them all.

mod alternate_path;
mod forbidden_setting;
mod loader_diagnostic;
mod payload_checks;
mod payload_text;
mod probe_failure;
mod probe_http;
mod probe_policy;
mod probe_text;
mod probe_warning;
mod producible;
mod rbac_access;
mod relabel_empty_expansion;
mod relabel_outcomes;
mod relabel_unknown_source_label;
mod required_label;
mod sd_forbidden;
mod sd_kubernetes;
mod sd_problem;
mod target_outcomes;

use std::collections::BTreeMap;

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;

/// A check implementation. `run` turns facts into findings for the check `spec` declares.
pub trait Template: Sync {
    /// The name specs use in `template:`.
    fn name(&self) -> &'static str;
    /// One sentence for `checks` listings and docs.
    fn description(&self) -> &'static str;
    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding>;
    /// Validates a spec's `params` before anything runs. Templates without parameters refuse any.
    fn check_params(&self, params: &BTreeMap<String, String>) -> Result<(), String> {
        match params.keys().next() {
            None => Ok(()),
            Some(name) => Err(format!("takes no parameters, but `{name}` is given")),
        }
    }
}

pub static TEMPLATES: &[&dyn Template] = &[
    &loader_diagnostic::LoaderDiagnostic,
    &sd_problem::SdProblemTemplate,
    &sd_kubernetes::SdKubernetes,
    &relabel_unknown_source_label::RelabelUnknownSourceLabel,
    &relabel_empty_expansion::RelabelEmptyExpansion,
    &relabel_outcomes::RelabelNeverMatches,
    &relabel_outcomes::RelabelDropsAllTargets,
    &target_outcomes::TargetsInvalid,
    &target_outcomes::TargetsLabelCollision,
    &required_label::RequiredLabel,
    &forbidden_setting::ForbiddenSetting,
    &probe_failure::ProbeFailure,
    &probe_warning::ProbeWarning,
    &payload_checks::PayloadNearLimit,
    &payload_checks::PayloadSize,
    &payload_checks::PayloadFamily,
    &probe_policy::ProbeLatency,
    &probe_policy::TokenValidity,
    &alternate_path::AlternatePath,
    &rbac_access::RbacMissingPermission,
    &rbac_access::RbacOverBroad,
];

pub fn find(name: &str) -> Option<&'static dyn Template> {
    TEMPLATES.iter().copied().find(|t| t.name() == name)
}

/// A finding for `spec` with its default severity and remediation; templates fill in the rest.
pub fn finding(spec: &CheckSpec, message: String) -> Finding {
    Finding {
        check: spec.id.clone(),
        severity: spec.severity,
        job: None,
        cluster: None,
        target: None,
        location: None,
        message,
        evidence: None,
        remediation: Some(spec.remediation.clone()),
        rejects_config: false,
    }
}
