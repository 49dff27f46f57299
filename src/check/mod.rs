//! Stage 5: checks, pure functions from facts to findings. Each check is declared in
//! `checks/<area>/<name>.yaml` and implemented by a template in `src/templates/`.

pub mod finding;
pub mod input;
pub mod registry;
pub mod settings;
pub mod spec;

use finding::Finding;
use input::CheckInput;
use registry::Check;

/// Runs every check over `input`; findings come out sorted by location, then check id.
pub fn run_all(checks: &[Check], input: &CheckInput) -> Vec<Finding> {
    let mut findings: Vec<Finding> = checks
        .iter()
        .flat_map(|check| check.template.run(&check.spec, input))
        .collect();
    findings.sort_by(|a, b| {
        (&a.location, &a.check, &a.job, &a.target).cmp(&(&b.location, &b.check, &b.job, &b.target))
    });
    findings
}
