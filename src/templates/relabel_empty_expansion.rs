//! Template `relabel-empty-expansion`: replacements like `$1suffix`, which Go reads as the group
//! named `1suffix` and expands to nothing. Pure.

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::config::model::{RelabelAction, RelabelRule};
use crate::templates::{finding, Template};

pub struct RelabelEmptyExpansion;

impl Template for RelabelEmptyExpansion {
    fn name(&self) -> &'static str {
        "relabel-empty-expansion"
    }

    fn description(&self) -> &'static str {
        "Finds `$name` references in replacements and target labels that name no capture group."
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let mut findings = Vec::new();
        for job in &input.config.scrape_configs {
            for (index, rule) in job.relabel_configs.iter().enumerate() {
                for (field, reference) in empty_references(rule) {
                    let fixed = braced(&reference);
                    let message = format!("rule {}: `{field}` uses `${reference}`, which names no capture group and expands to nothing", index + 1);
                    let mut f = finding(spec, message);
                    f.job = Some(job.job_name.clone());
                    f.location = Some(rule.location.clone());
                    if let Some(fixed) = fixed {
                        f.remediation = Some(format!(
                            "Write `{fixed}` instead of `${reference}`. {}",
                            spec.remediation
                        ));
                    }
                    findings.push(f);
                }
            }
        }
        findings
    }
}

/// `(field, name)` for every `$name` / `${name}` in the rule's templates that names no group.
fn empty_references(rule: &RelabelRule) -> Vec<(&'static str, String)> {
    let templated: &[(&'static str, &str)] = match rule.action {
        RelabelAction::Replace => &[
            ("replacement", rule.replacement.as_str()),
            ("target_label", rule.target_label.as_str()),
        ],
        RelabelAction::LabelMap => &[("replacement", rule.replacement.as_str())],
        _ => &[],
    };
    let regex = &rule.regex;
    let exists = |name: &str| match name.parse::<usize>() {
        Ok(number) => number < regex.group_count(),
        Err(_) => regex.has_group_named(name),
    };
    let mut found = Vec::new();
    for (field, text) in templated {
        for name in references(text) {
            if !exists(&name) {
                found.push((*field, name));
            }
        }
    }
    found
}

/// The names Go's `Expand` reads: `$$` is a literal dollar, `${name}`, and `$name` with the
/// longest run of letters, digits and underscores.
fn references(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut names = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => i += 2,
            Some(b'{') => {
                let Some(end) = text[i + 2..].find('}') else {
                    break;
                };
                names.push(text[i + 2..i + 2 + end].to_string());
                i += end + 3;
            }
            _ => {
                let len = text[i + 1..]
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    .count();
                if len > 0 {
                    names.push(text[i + 1..i + 1 + len].to_string());
                }
                i += len + 1;
            }
        }
    }
    names
}

/// `1suffix` → `${1}suffix`, when the name starts with a group number.
fn braced(name: &str) -> Option<String> {
    let digits = name.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && digits < name.len())
        .then(|| format!("${{{}}}{}", &name[..digits], &name[digits..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_reads_the_longest_name() {
        assert_eq!(references("$1bar"), vec!["1bar"]);
        assert_eq!(references("${1}bar"), vec!["1"]);
        assert_eq!(references("$$1"), Vec::<String>::new());
        assert_eq!(references("/api/v1/nodes/${1}/proxy/metrics"), vec!["1"]);
        assert_eq!(references("$1;$2"), vec!["1", "2"]);
    }

    #[test]
    fn suggests_braces() {
        assert_eq!(braced("1bar").as_deref(), Some("${1}bar"));
        assert_eq!(braced("name"), None);
    }
}
