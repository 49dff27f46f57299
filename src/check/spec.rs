//! A check's declaration, read from `checks/<area>/<name>.yaml`: its stable id, default severity,
//! the template that implements it, and the words a person reads (summary, remediation). Pure.

use std::path::Path;
use std::sync::Arc;

use crate::check::finding::Severity;
use crate::config::decode::{self, Ctx, Fields};
use crate::config::diagnostic::Diagnostic;
use crate::config::yaml;
use crate::version::PrometheusVersion;

/// What a check needs to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// The config (and files it names) only.
    Offline,
    /// Live discovery or probes.
    Network,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSpec {
    pub id: String,
    pub severity: Severity,
    pub template: String,
    pub needs: Needs,
    pub summary: String,
    pub description: String,
    pub remediation: String,
    /// Where the spec came from (for `checks` listings).
    pub source: String,
}

/// Why a spec could not be read: the spec file is ours (or the user's), so this is a tool error.
#[derive(Debug, thiserror::Error)]
#[error("failed to read check spec {source_file}: {message}")]
pub struct SpecError {
    pub source_file: String,
    pub message: String,
}

/// Parses one spec. `expected_id` is the id its path implies; the two must agree.
pub fn parse_spec(
    text: &str,
    source_file: &str,
    expected_id: &str,
) -> Result<CheckSpec, SpecError> {
    let fail = |message: String| SpecError {
        source_file: source_file.to_string(),
        message,
    };
    let file: Arc<Path> = Arc::from(Path::new(source_file));
    let root = yaml::parse(text, &file)
        .map_err(|e| fail(format!("{}: {}", e.location, e.message)))?
        .ok_or_else(|| fail("empty".into()))?;
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut ctx = Ctx {
        file,
        version: PrometheusVersion::DEFAULT,
        diagnostics: &mut diagnostics,
        job: None,
        global_timeout: Default::default(),
    };
    let mut f = Fields::of(&mut ctx, &root, "CheckSpec")
        .ok_or_else(|| fail("expected a mapping".into()))?;
    let mut text_field = |ctx: &mut Ctx, name: &'static str| {
        f.get(ctx, name)
            .and_then(|n| decode::string(ctx, n))
            .unwrap_or_default()
    };
    let id = text_field(&mut ctx, "id");
    let severity = text_field(&mut ctx, "severity");
    let template = text_field(&mut ctx, "template");
    let needs = text_field(&mut ctx, "needs");
    let summary = text_field(&mut ctx, "summary");
    let description = text_field(&mut ctx, "description");
    let remediation = text_field(&mut ctx, "remediation");
    f.finish(&mut ctx);
    if let Some(problem) = diagnostics.first() {
        return Err(fail(format!(
            "{}: {}",
            problem
                .location
                .as_ref()
                .map(|l| l.to_string())
                .unwrap_or_default(),
            problem.message
        )));
    }
    if id != expected_id {
        return Err(fail(format!(
            "id {id:?} differs from the id its path gives, {expected_id:?}"
        )));
    }
    let severity =
        Severity::parse(&severity).ok_or_else(|| fail(format!("unknown severity {severity:?}")))?;
    let needs = match needs.as_str() {
        "offline" => Needs::Offline,
        "network" => Needs::Network,
        other => {
            return Err(fail(format!(
                "unknown `needs` {other:?} (offline or network)"
            )))
        }
    };
    for (name, value) in [
        ("template", &template),
        ("summary", &summary),
        ("remediation", &remediation),
    ] {
        if value.trim().is_empty() {
            return Err(fail(format!("`{name}` must not be empty")));
        }
    }
    let trim = |s: String| s.trim().to_string();
    Ok(CheckSpec {
        id,
        severity,
        template,
        needs,
        summary: trim(summary),
        description: trim(description),
        remediation: trim(remediation),
        source: source_file.to_string(),
    })
}
