//! Template `loader-diagnostic`: reports the problems the config loader found under the check id
//! each problem kind belongs to. Pure.

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::templates::{finding, Template};

pub struct LoaderDiagnostic;

impl Template for LoaderDiagnostic {
    fn name(&self) -> &'static str {
        "loader-diagnostic"
    }

    fn description(&self) -> &'static str {
        "Reports problems found while loading the configuration, located at the offending key."
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        input
            .diagnostics
            .iter()
            .filter(|d| d.code.check_id() == spec.id)
            .map(|d| {
                let mut f = finding(spec, d.message.clone());
                f.job = d.job.clone();
                f.location = d.location.clone();
                f.rejects_config = d.rejects_config;
                // A diagnostic's own hint is specific to this occurrence; it replaces the
                // check's general remediation.
                if let Some(help) = &d.help {
                    f.remediation = Some(sentence(help));
                }
                f
            })
            .collect()
    }
}

/// Makes a hint read as a sentence: capitalised, ending with a period.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with(['.', '?', '!']) {
        out.push('.');
    }
    out
}
