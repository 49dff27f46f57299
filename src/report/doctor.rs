//! The report for a person diagnosing a setup (`doctor`, `demo`): first a cluster × job matrix of
//! targets up and down, then each problem once, grouped by root cause (one missing RBAC rule that
//! breaks forty targets is one entry listing the forty compactly), with its evidence and fix.
//! Each fix is spelled out where the facts allow: the prometheus.yml lines to change at their
//! file:line, the RBAC manifest with the `kubectl` commands to confirm the refusal and apply it.
//! `verbose` adds per-target facts (phases, body, certificate). Colour follows the `colored`
//! override the caller sets.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use colored::Colorize;

use crate::check::finding::{Finding, Severity};
use crate::probe::{Health, ProbeFacts};
use crate::report::human::SourceLines;
use crate::report::Report;
use crate::transport::certs::rfc3339;
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
    let mut sources = SourceLines::default();
    for (index, group) in groups.iter().enumerate() {
        render_group(&mut out, index + 1, group, report, &mut sources);
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
    // Jobs that produced no probed target (discovery refused, everything dropped) still get a
    // row in a live run: an empty row is the first hint.
    if !cells.is_empty() {
        for cluster in &report.clusters {
            for job in &cluster.jobs {
                let name = cluster.cluster.clone().unwrap_or_else(|| "-".to_string());
                if !cells.keys().any(|(_, j)| j == &job.job) {
                    cells.entry((name, job.job.clone())).or_default();
                }
            }
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

fn render_group(
    out: &mut String,
    number: usize,
    group: &Group,
    report: &Report,
    sources: &mut SourceLines,
) {
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
    config_change(out, group, report, sources);
    kubectl(out, group, report);
    out.push('\n');
}

/// The prometheus.yml change at its file:line, when the facts say exactly what to write: today
/// for `insecure_skip_verify` where another `server_name` lets the job's CA verify the server.
fn config_change(out: &mut String, group: &Group, report: &Report, sources: &mut SourceLines) {
    if group.first.check != "tls/insecure-skip-verify" {
        return;
    }
    let mut shown: Vec<String> = Vec::new();
    for member in &group.members {
        let (Some(location), Some(facts)) = (&member.location, probe_of(report, member)) else {
            continue;
        };
        let Some(tls) = facts.tls() else { continue };
        let Some(name) = tls
            .server_name_that_verifies
            .as_deref()
            .filter(|_| tls.ca_configured)
        else {
            continue;
        };
        let at = location.to_string();
        if shown.contains(&at) {
            continue;
        }
        let Some(line) = sources.line(&location.file, location.line) else {
            continue;
        };
        if !line.trim_start().starts_with("insecure_skip_verify:") {
            continue;
        }
        let indent = &line[..line.len() - line.trim_start().len()];
        if shown.is_empty() {
            let _ = writeln!(out, "   {}", "change prometheus.yml:".green().bold());
        }
        let _ = writeln!(out, "     {at}");
        let _ = writeln!(out, "     {} {line}", "-".red());
        let _ = writeln!(out, "     {} {indent}server_name: {name}", "+".green());
        shown.push(at);
    }
}

/// The `kubectl auth can-i` commands that confirm a refusal, and how to apply the manifest.
fn kubectl(out: &mut String, group: &Group, report: &Report) {
    let check = group.first.check.as_str();
    let checks: Vec<&crate::report::results::AccessCheck> = report
        .access
        .iter()
        .filter(|a| a.check == check)
        .filter(|a| {
            group.members.iter().any(|m| {
                m.job.as_deref() == Some(a.job.as_str())
                    && (m.cluster.is_none() || m.cluster == a.cluster)
            })
        })
        .collect();
    if checks.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "   {} (each says \"no\" now, \"yes\" once the manifest is applied):",
        "confirm".green().bold()
    );
    let mut previous_cluster = None;
    let mut commands: Vec<String> = Vec::new();
    for access in checks {
        if previous_cluster != Some(&access.cluster) {
            if let Some(cluster) = &access.cluster {
                let _ = writeln!(out, "     # cluster {cluster}");
            }
            previous_cluster = Some(&access.cluster);
        }
        let command = access.command();
        if !commands.contains(&command) {
            let _ = writeln!(out, "     {command}");
            commands.push(command);
        }
    }
    let _ = writeln!(
        out,
        "   {} save the manifest above as rbac.yaml, then: kubectl apply -f rbac.yaml",
        "apply:".green().bold()
    );
}

/// The probe a finding about a target was judged on.
fn probe_of<'r>(report: &'r Report, finding: &Finding) -> Option<&'r ProbeFacts> {
    let target = finding.target.as_deref()?;
    report
        .targets
        .iter()
        .find(|p| p.scrape_url == target && finding.job.as_deref().is_none_or(|job| job == p.job))
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
        if let Some(cluster) = &t.cluster {
            let _ = writeln!(out, "       cluster {cluster}, instance {}", t.instance);
        }
        if let Some(error) = &t.client_error {
            let _ = writeln!(out, "       no request: {error}");
        }
        if let Some(fetch) = &t.fetch {
            let _ = writeln!(out, "       {}", phases(fetch));
            if let Ok(response) = &fetch.outcome {
                let b = &response.body;
                let _ = writeln!(
                    out,
                    "       body {} bytes on the wire{}, {} uncompressed{}",
                    b.compressed_bytes,
                    if b.gzip { " (gzip)" } else { "" },
                    b.uncompressed_bytes,
                    if t.body_size_limit > 0 {
                        format!(" (body_size_limit {})", t.body_size_limit)
                    } else {
                        String::new()
                    }
                );
            }
            if let Some(payload) = &t.payload {
                let p = &payload.summary;
                let approx = |exact: bool| if exact { "" } else { "~" };
                let _ = writeln!(
                    out,
                    "       payload {} lines, {} samples, {}{} series, {}{} families, {} parse error(s){}",
                    p.lines,
                    p.samples,
                    approx(p.series_exact),
                    p.series,
                    approx(p.families_exact),
                    p.families,
                    p.parse_errors,
                    if p.analysis.complete { "" } else { ", read in part" }
                );
            }
            if let Some(tls) = &fetch.tls {
                if let Some(leaf) = tls.leaf() {
                    let mut line = format!(
                        "       certificate {:?} from {:?}, SANs [{}], valid until {}",
                        leaf.subject,
                        leaf.issuer,
                        leaf.sans().collect::<Vec<_>>().join(", "),
                        rfc3339(leaf.not_after)
                    );
                    if let Some(version) = &tls.protocol_version {
                        line.push_str(&format!(", {version}"));
                    }
                    if tls.insecure_skip_verify {
                        line.push_str(", not verified (insecure_skip_verify)");
                    }
                    let _ = writeln!(out, "{line}");
                }
            }
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
    let mut parts: Vec<String> = p
        .connection_reused
        .then(|| "reused connection".to_string())
        .into_iter()
        .chain(
            named
                .iter()
                .filter_map(|(name, d)| d.map(|d| format!("{name} {}ms", d.as_millis()))),
        )
        .collect();
    if let Ok(response) = &fetch.outcome {
        parts.push(format!("HTTP {}", response.status));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::results::AccessCheck;

    fn forbidden(job: &str, target: &str) -> Finding {
        Finding {
            check: "rbac/forbidden".into(),
            severity: Severity::Error,
            job: Some(job.into()),
            cluster: Some("stage".into()),
            target: Some(target.into()),
            location: None,
            message: "the kubelet refused it (HTTP 403)".into(),
            evidence: None,
            remediation: Some(
                "Grant it:\n\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole".into(),
            ),
            rejects_config: false,
        }
    }

    #[test]
    fn forbidden_groups_show_the_kubectl_commands_once() {
        colored::control::set_override(false);
        let findings = vec![
            forbidden("kubelet", "https://10.0.0.1:10250/metrics"),
            forbidden("kubelet", "https://10.0.0.2:10250/metrics"),
        ];
        let mut report = Report::new("3.7".into(), "live", findings, Vec::new());
        let access = AccessCheck {
            check: "rbac/forbidden",
            job: "kubelet".into(),
            cluster: Some("stage".into()),
            user: "system:serviceaccount:monitoring:prometheus".into(),
            verb: "get".into(),
            resource: "nodes/metrics".into(),
            api_group: String::new(),
            namespace: None,
            non_resource_url: None,
        };
        let mut other_job = access.clone();
        other_job.job = "elsewhere".into();
        other_job.verb = "list".into();
        report.access = vec![access, other_job];
        let text = render(&report, false);
        assert_eq!(
            text.matches("1. error[rbac/forbidden]").count(),
            1,
            "{text}"
        );
        assert!(
            text.contains("   - https://10.0.0.2:10250/metrics\n"),
            "{text}"
        );
        assert!(text.contains(
            "     # cluster stage\n     kubectl auth can-i get nodes --subresource=metrics --all-namespaces --as=system:serviceaccount:monitoring:prometheus\n"
        ), "{text}");
        assert_eq!(text.matches("kubectl auth can-i").count(), 1, "{text}");
        assert!(text.contains("kubectl apply -f rbac.yaml"), "{text}");
    }
}
