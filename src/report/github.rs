//! GitHub Actions workflow commands: one annotation per finding, on the file and line it concerns,
//! so the problems show in the pull request's diff. Pure, given the working directory.
//!
//! # Format
//! `::error file=deploy/prometheus.yml,line=23,col=24,title=config/file-missing::MESSAGE`, one per
//! line: `::error` for errors, `::warning` for warnings, `::notice` for infos. `file` is relative to
//! the working directory when the config lies under it (GitHub resolves it against the checkout);
//! a finding without a location has no `file`, `line` or `col`. The message is the finding's
//! message, then the job and target it concerns, then the fix, on separate lines.
//!
//! Escaping follows the Actions toolkit (`@actions/core` `command.ts`): in the message `%`, `\r` and
//! `\n` become `%25`, `%0D` and `%0A`; in property values `:` and `,` also become `%3A` and `%2C`.

use std::fmt::Write as _;
use std::path::Path;

use crate::check::finding::{Finding, Severity};
use crate::report::uri::relative_to;
use crate::report::Report;

/// Renders every finding as an annotation; `cwd` is the directory paths are made relative to.
pub fn render(report: &Report, cwd: Option<&Path>) -> String {
    let mut out = String::new();
    for finding in &report.findings {
        out.push_str(&annotation(finding, cwd));
        out.push('\n');
    }
    out
}

fn annotation(finding: &Finding, cwd: Option<&Path>) -> String {
    let command = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut properties: Vec<(&str, String)> = Vec::new();
    if let Some(location) = &finding.location {
        let file = relative_to(&location.file, cwd);
        properties.push(("file", file.to_string_lossy().into_owned()));
        properties.push(("line", location.line.to_string()));
        properties.push(("col", location.column.to_string()));
    }
    properties.push(("title", finding.check.clone()));
    let properties: Vec<String> = properties
        .into_iter()
        .map(|(key, value)| format!("{key}={}", escape_property(&value)))
        .collect();
    format!(
        "::{command} {}::{}",
        properties.join(","),
        escape_data(&message(finding))
    )
}

fn message(finding: &Finding) -> String {
    let mut text = finding.message.clone();
    let context: Vec<String> = [
        finding.job.as_ref().map(|j| format!("job {j}")),
        finding.cluster.as_ref().map(|c| format!("cluster {c}")),
        finding.target.as_ref().map(|t| format!("target {t}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !context.is_empty() {
        let _ = write!(text, "\n{}", context.join(", "));
    }
    if let Some(remediation) = &finding.remediation {
        let _ = write!(text, "\nfix: {remediation}");
    }
    text
}

/// `escapeData` of the Actions toolkit.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// `escapeProperty` of the Actions toolkit.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_and_properties_are_escaped_as_the_toolkit_does() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("C:\\x,y\n%"), "C%3A\\x%2Cy%0A%25");
    }
}
