//! The report for a person diagnosing a setup (`doctor`, `demo`): first a cluster × job matrix of
//! targets up and down, then each problem once, grouped by root cause (one missing RBAC rule that
//! breaks forty targets is one entry listing the forty compactly), with its evidence and fix.
//! `verbose` adds per-target facts. Colour follows the `colored` override the caller sets.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use colored::Colorize;

use crate::check::finding::{Finding, Severity};
use crate::probe::Health;
use crate::report::Report;
use crate::transport::Fetch;

/// How many targets a group lists before saying "and N more".
const LISTED_TARGETS: usize = 5;

pub fn render(report: &Report, verbose: bool) -> String {
    let mut out = String::new();
    matrix(&mut out, report);
    let groups = group_by_cause(&report.findings);
    if groups.is_empty() {
        let _ = writeln!(out, "\n{}", "No problems found.".green().bold());
    } else {
        let _ = writeln!(out, "\n{} problem(s), most severe first:\n", groups.len());
    }
    for (index, group) in groups.iter().enumerate() {
        render_group(&mut out, index + 1, group);
    }
    if verbose {
        target_facts(&mut out, report);
    }
    for item in &report.not_checked {
        let _ = writeln!(out, "{} {item}", "not checked:".dimmed());
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "{} error(s), {} warning(s), {} info; semantics of Prometheus {}, {} run",
        s.errors, s.warnings, s.infos, report.prometheus_version, report.mode
    );
    out
}

/// Targets up and down per cluster and job.
fn matrix(out: &mut String, report: &Report) {
    let mut cells: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for target in &report.targets {
        let cluster = target.cluster.clone().unwrap_or_else(|| "-".to_string());
        let cell = cells.entry((cluster, target.job.clone())).or_default();
        match target.health {
            Health::Up => cell.0 += 1,
            _ => cell.1 += 1,
        }
    }
    if cells.is_empty() {
        let _ = writeln!(
            out,
            "No target was probed (offline run, or no active targets)."
        );
        return;
    }
    let cluster_width = cells
        .keys()
        .map(|(c, _)| c.len())
        .max()
        .unwrap_or(0)
        .max("CLUSTER".len());
    let job_width = cells
        .keys()
        .map(|(_, j)| j.len())
        .max()
        .unwrap_or(0)
        .max("JOB".len());
    let _ = writeln!(
        out,
        "{:<cluster_width$}  {:<job_width$}  {:>4}  {:>4}",
        "CLUSTER", "JOB", "UP", "DOWN"
    );
    for ((cluster, job), (up, down)) in &cells {
        let down_text = format!("{down:>4}");
        let down_text = if *down > 0 {
            down_text.red().bold().to_string()
        } else {
            down_text
        };
        let _ = writeln!(
            out,
            "{cluster:<cluster_width$}  {job:<job_width$}  {up:>4}  {down_text}"
        );
    }
}

/// Findings that share a check and a fix share a root cause.
struct Group<'r> {
    first: &'r Finding,
    members: Vec<&'r Finding>,
}

fn group_by_cause(findings: &[Finding]) -> Vec<Group<'_>> {
    let mut groups: Vec<Group> = Vec::new();
    for finding in findings {
        let same_cause = |g: &&mut Group| {
            g.first.check == finding.check && g.first.remediation == finding.remediation
        };
        match groups.iter_mut().find(|g| same_cause(g)) {
            Some(group) => group.members.push(finding),
            None => groups.push(Group {
                first: finding,
                members: vec![finding],
            }),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse((g.first.severity, g.members.len())));
    groups
}

fn render_group(out: &mut String, number: usize, group: &Group) {
    let f = group.first;
    let label = match f.severity {
        Severity::Error => "error".red().bold(),
        Severity::Warning => "warning".yellow().bold(),
        Severity::Info => "info".blue().bold(),
    };
    let _ = writeln!(out, "{number}. {label}[{}]: {}", f.check, f.message.bold());
    let mut jobs: Vec<&str> = Vec::new();
    for job in group.members.iter().filter_map(|m| m.job.as_deref()) {
        if !jobs.contains(&job) {
            jobs.push(job);
        }
    }
    if group.members.len() > 1 || !jobs.is_empty() {
        let _ = writeln!(
            out,
            "   affects {} place(s) in job(s) {}",
            group.members.len(),
            jobs.join(", ")
        );
    }
    let targets: Vec<&str> = group
        .members
        .iter()
        .filter_map(|m| m.target.as_deref())
        .collect();
    for target in targets.iter().take(LISTED_TARGETS) {
        let _ = writeln!(out, "   - {target}");
    }
    if targets.len() > LISTED_TARGETS {
        let _ = writeln!(out, "   - and {} more", targets.len() - LISTED_TARGETS);
    }
    let mut locations: Vec<String> = group
        .members
        .iter()
        .filter_map(|m| m.location.as_ref().map(|l| l.to_string()))
        .collect();
    locations.dedup();
    if !locations.is_empty() {
        let more = locations.len().saturating_sub(LISTED_TARGETS);
        locations.truncate(LISTED_TARGETS);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let _ = writeln!(out, "   at {}{tail}", locations.join(", "));
    }
    if let Some(evidence) = &f.evidence {
        for line in evidence.lines() {
            let _ = writeln!(out, "   {} {line}", "|".dimmed());
        }
    }
    if let Some(remediation) = &f.remediation {
        let _ = writeln!(out, "   {}", "fix:".green().bold());
        for line in remediation.lines() {
            let _ = writeln!(out, "     {line}");
        }
    }
    out.push('\n');
}

fn target_facts(out: &mut String, report: &Report) {
    let _ = writeln!(out, "Targets:");
    for t in &report.targets {
        let health = match t.health {
            Health::Up => "up".green(),
            _ => "down".red(),
        };
        let _ = writeln!(
            out,
            "  {health:<4} {} [{}] {}",
            t.scrape_url,
            t.job,
            t.error.as_deref().unwrap_or("")
        );
        if let Some(fetch) = &t.fetch {
            let _ = writeln!(out, "       {}", phases(fetch));
        }
    }
    out.push('\n');
}

/// `dns 1ms, connect 2ms, tls 5ms, first byte 40ms, transfer 3ms, 12345 bytes`.
fn phases(fetch: &Fetch) -> String {
    let p = &fetch.phases;
    let named = [
        ("dns", p.dns),
        ("connect", p.connect),
        ("tls", p.tls),
        ("first byte", p.first_byte),
        ("transfer", p.transfer),
    ];
    let mut parts: Vec<String> = named
        .iter()
        .filter_map(|(name, d)| d.map(|d| format!("{name} {}ms", d.as_millis())))
        .collect();
    if let Ok(response) = &fetch.outcome {
        parts.push(format!("HTTP {}", response.status));
    }
    parts.join(", ")
}
