//! Template `sd-problem`: reports what discovery could not do for a job: files missing or
//! invalid, and mechanisms not resolved in this run. Pure.

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::discover::{SdOutcome, SdProblemKind};
use crate::templates::{finding, Template};

pub struct SdProblemTemplate;

impl Template for SdProblemTemplate {
    fn name(&self) -> &'static str {
        "sd-problem"
    }

    fn description(&self) -> &'static str {
        "Reports service-discovery entries that yielded no usable target groups, and why."
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let mut findings = Vec::new();
        for job in input.jobs {
            let job_name = &input.config.scrape_configs[job.job_index].job_name;
            for sd in &job.discovery {
                match &sd.outcome {
                    SdOutcome::NotResolved { reason, .. }
                        if spec.id == "sd/not-resolved-offline" =>
                    {
                        let mut f = finding(
                            spec,
                            format!(
                                "targets of this {} SD entry were not resolved: {reason}",
                                sd.mechanism
                            ),
                        );
                        f.job = Some(job_name.clone());
                        f.location = Some(sd.location.clone());
                        findings.push(f);
                    }
                    SdOutcome::Resolved { problems, .. } => {
                        for problem in problems.iter().filter(|p| problem_id(p.kind) == spec.id) {
                            let mut f = finding(spec, problem.message.clone());
                            f.job = Some(job_name.clone());
                            f.location = Some(problem.location.clone());
                            f.rejects_config = problem.kind == SdProblemKind::FileInvalid;
                            findings.push(f);
                        }
                    }
                    SdOutcome::NotResolved { .. } => {}
                }
            }
        }
        findings
    }
}

fn problem_id(kind: SdProblemKind) -> &'static str {
    match kind {
        SdProblemKind::FileMissing => "sd/file-missing",
        SdProblemKind::FileInvalid => "sd/file-invalid",
    }
}
