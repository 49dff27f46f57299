//! A check's declaration: its stable id, default severity, the template that implements it, the
//! template's parameters, and the words a person reads (summary, remediation). Built-in specs come
//! from `checks/<area>/<name>.yaml`; users declare custom checks the same way in their settings
//! file. Pure.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::check::finding::Severity;
use crate::config::decode::{self, Ctx, Fields};
use crate::config::diagnostic::Diagnostic;
use crate::config::yaml::{self, Node};
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
    /// The template's parameters, as written (templates parse and validate them).
    pub params: BTreeMap<String, String>,
    pub needs: Needs,
    pub summary: String,
    pub description: String,
    pub remediation: String,
    /// Where the spec came from (for `checks` listings).
    pub source: String,
}

/// Why a spec could not be read: specs are ours or the user's tool settings, so this is a tool
/// error, not a finding.
#[derive(Debug, thiserror::Error)]
#[error("failed to read checks from {source_file}: {message}")]
pub struct SpecError {
    pub source_file: String,
    pub message: String,
}

impl SpecError {
    pub fn new(source_file: &str, message: impl Into<String>) -> SpecError {
        SpecError {
            source_file: source_file.to_string(),
            message: message.into(),
        }
    }
}

/// Parses one built-in spec file. `expected_id` is the id its path implies; the two must agree.
pub fn parse_spec(
    text: &str,
    source_file: &str,
    expected_id: &str,
) -> Result<CheckSpec, SpecError> {
    let file: Arc<Path> = Arc::from(Path::new(source_file));
    let root = yaml::parse(text, &file)
        .map_err(|e| SpecError::new(source_file, format!("{}: {}", e.location, e.message)))?
        .ok_or_else(|| SpecError::new(source_file, "empty"))?;
    let spec = spec_from_node(&root, source_file)?;
    if spec.id != expected_id {
        return Err(SpecError::new(
            source_file,
            format!(
                "id {:?} differs from the id its path gives, {expected_id:?}",
                spec.id
            ),
        ));
    }
    Ok(spec)
}

/// Reads a spec from a YAML mapping (a built-in spec file, or a `custom:` entry of user settings).
pub fn spec_from_node(node: &Node, source: &str) -> Result<CheckSpec, SpecError> {
    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    let mut ctx = Ctx {
        file: node.location.file.clone(),
        version: PrometheusVersion::DEFAULT,
        diagnostics: &mut diagnostics,
        job: None,
        global_timeout: Default::default(),
    };
    let mut f = Fields::of(&mut ctx, node, "CheckSpec")
        .ok_or_else(|| SpecError::new(source, "expected a mapping"))?;
    let text = |ctx: &mut Ctx, f: &mut Fields, name: &'static str| {
        f.get(ctx, name)
            .and_then(|n| decode::string(ctx, n))
            .unwrap_or_default()
    };
    let id = text(&mut ctx, &mut f, "id");
    let severity = text(&mut ctx, &mut f, "severity");
    let template = text(&mut ctx, &mut f, "template");
    let needs = text(&mut ctx, &mut f, "needs");
    let summary = text(&mut ctx, &mut f, "summary");
    let description = text(&mut ctx, &mut f, "description");
    let remediation = text(&mut ctx, &mut f, "remediation");
    let params = f
        .get(&mut ctx, "params")
        .map(|n| params(&mut ctx, n))
        .unwrap_or_default();
    f.finish(&mut ctx);
    if let Some(problem) = diagnostics.first() {
        let at = problem
            .location
            .as_ref()
            .map(|l| l.to_string())
            .unwrap_or_default();
        return Err(SpecError::new(source, format!("{at}: {}", problem.message)));
    }
    let severity = Severity::parse(&severity)
        .ok_or_else(|| SpecError::new(source, format!("unknown severity {severity:?}")))?;
    let needs = match needs.as_str() {
        "offline" | "" => Needs::Offline,
        "network" => Needs::Network,
        other => {
            return Err(SpecError::new(
                source,
                format!("unknown `needs` {other:?} (offline or network)"),
            ))
        }
    };
    for (name, value) in [
        ("id", &id),
        ("template", &template),
        ("summary", &summary),
        ("remediation", &remediation),
    ] {
        if value.trim().is_empty() {
            return Err(SpecError::new(
                source,
                format!("`{name}` must not be empty"),
            ));
        }
    }
    Ok(CheckSpec {
        id,
        severity,
        template,
        params,
        needs,
        summary: summary.trim().to_string(),
        description: description.trim().to_string(),
        remediation: remediation.trim().to_string(),
        source: source.to_string(),
    })
}

fn params(ctx: &mut Ctx, node: &Node) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    for (key, value) in decode::mapping(ctx, node, "params").unwrap_or_default() {
        if let (Some(key), Some(value)) = (decode::string(ctx, key), decode::string(ctx, value)) {
            params.insert(key, value);
        }
    }
    params
}
