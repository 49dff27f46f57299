//! Templates that judge relabeling by what it did to the job's real (offline-resolved) targets:
//! `relabel-never-matches` and `relabel-drops-all-targets`. They only speak when every SD entry
//! of the job was resolved, since a rule may match targets we did not see. Pure.

use crate::check::finding::Finding;
use crate::check::input::{CheckInput, JobTargets};
use crate::check::spec::CheckSpec;
use crate::config::model::RelabelAction;
use crate::discover::SdOutcome;
use crate::targets::TargetState;
use crate::templates::relabel_unknown_source_label::unknown_reads;
use crate::templates::{finding, Template};

fn fully_resolved(job: &JobTargets) -> bool {
    !job.targets.is_empty()
        && job
            .discovery
            .iter()
            .all(|sd| matches!(sd.outcome, SdOutcome::Resolved { .. }))
}

pub struct RelabelNeverMatches;

impl Template for RelabelNeverMatches {
    fn name(&self) -> &'static str {
        "relabel-never-matches"
    }

    fn description(&self) -> &'static str {
        "Finds relabel rules that match none of the job's resolved targets."
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let mut findings = Vec::new();
        for job in input.jobs.iter().filter(|j| fully_resolved(j)) {
            let scrape = &input.config.scrape_configs[job.job_index];
            let already_explained: Vec<usize> =
                unknown_reads(scrape).into_iter().map(|(i, _)| i).collect();
            for (index, rule) in scrape.relabel_configs.iter().enumerate() {
                // keep/drop failures are reported as dropped targets; always-acting actions cannot miss.
                let can_miss = matches!(
                    rule.action,
                    RelabelAction::Replace
                        | RelabelAction::Drop
                        | RelabelAction::LabelMap
                        | RelabelAction::LabelDrop
                );
                if !can_miss || already_explained.contains(&index) {
                    continue;
                }
                let reached = job
                    .targets
                    .iter()
                    .filter(|t| t.target.trace.iter().any(|s| s.rule == index))
                    .count();
                let matched = job
                    .targets
                    .iter()
                    .filter(|t| t.target.trace.iter().any(|s| s.rule == index && s.matched))
                    .count();
                if reached == 0 || matched > 0 {
                    continue;
                }
                let sources = if rule.source_labels.is_empty() {
                    String::new()
                } else {
                    format!(" on [{}]", rule.source_labels.join(", "))
                };
                let message = format!(
                    "rule {} ({}, regex `{}`{sources}) matched none of the {reached} target(s) that reached it",
                    index + 1,
                    rule.action.as_str(),
                    rule.regex.as_str()
                );
                let mut f = finding(spec, message);
                f.job = Some(scrape.job_name.clone());
                f.location = Some(rule.location.clone());
                findings.push(f);
            }
        }
        findings
    }
}

pub struct RelabelDropsAllTargets;

impl Template for RelabelDropsAllTargets {
    fn name(&self) -> &'static str {
        "relabel-drops-all-targets"
    }

    fn description(&self) -> &'static str {
        "Finds jobs whose relabeling drops every resolved target."
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let mut findings = Vec::new();
        for job in input.jobs.iter().filter(|j| fully_resolved(j)) {
            let mut dropped_by: Vec<usize> = Vec::new();
            for resolved in &job.targets {
                match resolved.target.state {
                    TargetState::Dropped { rule } => dropped_by.push(rule),
                    _ => break,
                }
            }
            if dropped_by.len() != job.targets.len() {
                continue;
            }
            let scrape = &input.config.scrape_configs[job.job_index];
            let mut counts: Vec<(usize, usize)> = Vec::new();
            for rule in dropped_by {
                match counts.iter_mut().find(|(r, _)| *r == rule) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((rule, 1)),
                }
            }
            counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let parts: Vec<String> = counts
                .iter()
                .map(|(rule, n)| format!("{n} by rule {}", rule + 1))
                .collect();
            let message = format!(
                "relabeling drops all {} target(s) of the job ({}); it scrapes nothing",
                job.targets.len(),
                parts.join(", ")
            );
            let mut f = finding(spec, message);
            f.job = Some(scrape.job_name.clone());
            f.location = counts
                .first()
                .and_then(|(rule, _)| scrape.relabel_configs.get(*rule))
                .map(|r| r.location.clone())
                .or(Some(scrape.location.clone()));
            findings.push(f);
        }
        findings
    }
}
