//! The report for a person at a terminal: each finding with its location, the offending source
//! line, and what to do. Colour only when asked for (the caller decides from the terminal and
//! `NO_COLOR`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use colored::Colorize;

use crate::check::finding::{Finding, Severity};
use crate::report::Report;
use crate::source::line_of;

/// Reads each source file at most once, to show offending lines.
#[derive(Default)]
pub struct SourceLines {
    files: HashMap<PathBuf, Option<String>>,
}

impl SourceLines {
    /// Line `line` (1-based) of `path`, when the file is readable.
    pub fn line(&mut self, path: &Path, line: u32) -> Option<String> {
        let text = self
            .files
            .entry(path.to_path_buf())
            .or_insert_with(|| std::fs::read_to_string(path).ok());
        text.as_deref()
            .and_then(|t| line_of(t, line))
            .map(str::to_string)
    }
}

pub fn render(report: &Report, sources: &mut SourceLines) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        render_finding(&mut out, finding, sources);
    }
    for item in &report.not_checked {
        let _ = writeln!(out, "{}: {item}", "not checked".dimmed());
    }
    let s = &report.summary;
    let verdict = if s.config_valid {
        "Prometheus would load this configuration".green()
    } else {
        "Prometheus would refuse this configuration".red()
    };
    let suppressed = match s.suppressed {
        0 => String::new(),
        n => format!(", {n} known (suppressed by the baseline)"),
    };
    let _ = writeln!(
        out,
        "{} error(s), {} warning(s), {} info{suppressed}; {verdict} (semantics of Prometheus {}, {} run)",
        s.errors, s.warnings, s.infos, report.prometheus_version, report.mode
    );
    out
}

fn render_finding(out: &mut String, finding: &Finding, sources: &mut SourceLines) {
    let label = match finding.severity {
        Severity::Error => "error".red().bold(),
        Severity::Warning => "warning".yellow().bold(),
        Severity::Info => "info".blue().bold(),
    };
    let _ = writeln!(
        out,
        "{label}[{}]: {}",
        finding.check,
        finding.message.bold()
    );
    if let Some(location) = &finding.location {
        let _ = writeln!(out, "  {} {location}", "-->".blue());
        if let Some(line) = sources.line(&location.file, location.line) {
            let gutter = location.line.to_string();
            let pad = " ".repeat(gutter.len());
            let caret_pad: String = line
                .chars()
                .take(location.column.saturating_sub(1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(out, "  {pad} {}", "|".blue());
            let _ = writeln!(out, "  {} {} {line}", gutter.blue(), "|".blue());
            let _ = writeln!(out, "  {pad} {} {caret_pad}{}", "|".blue(), "^".red());
        }
    }
    let context: Vec<String> = [
        finding.job.as_ref().map(|j| format!("job {j}")),
        finding.target.as_ref().map(|t| format!("target {t}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !context.is_empty() {
        let _ = writeln!(out, "  {} {}", "=".blue(), context.join(", "));
    }
    if let Some(evidence) = &finding.evidence {
        for line in evidence.lines() {
            let _ = writeln!(out, "  {} {line}", "|".dimmed());
        }
    }
    if let Some(remediation) = &finding.remediation {
        let _ = writeln!(out, "  {} {remediation}", "= fix:".green());
    }
    out.push('\n');
}
