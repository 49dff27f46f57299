//! The user's check settings (`--checks-config FILE`, or `prom-preflight.yml` next to the
//! Prometheus config): disable checks, change severities globally or for jobs matching a regex, and
//! add custom checks that instantiate templates with parameters. Read with the same located YAML
//! reader as the Prometheus config, so a mistake is reported at its line. Pure apart from reading
//! the file.
//!
//! ```yaml
//! disable: [relabel/never-matches]
//! severity:
//!   config/metrics-path-no-slash: error
//! jobs:
//!   - match: "stage-.*"          # a regex on job_name, anchored
//!     disable: [sd/file-missing]
//!     severity: {config/file-missing: warning}
//! custom:
//!   - id: custom/cluster-label
//!     template: required-label
//!     params: {label: cluster}
//!     severity: error
//!     summary: Every target carries a `cluster` label.
//!     remediation: Add the label in the job's static_configs or with a relabel rule.
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::check::finding::{Finding, Severity};
use crate::check::spec::{spec_from_node, CheckSpec, SpecError};
use crate::config::decode::{self, Ctx, Fields};
use crate::config::diagnostic::Diagnostic;
use crate::config::yaml::{self, Node};
use crate::version::PrometheusVersion;

/// The name looked up next to the Prometheus config when `--checks-config` is not given.
pub const DEFAULT_FILE_NAME: &str = "prom-preflight.yml";

#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub disabled: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
    pub jobs: Vec<JobSettings>,
    pub custom: Vec<CheckSpec>,
    /// The file the settings came from, if any.
    pub source: Option<String>,
}

#[derive(Debug, Clone)]
pub struct JobSettings {
    pub job_name: regex::Regex,
    pub disabled: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
}

impl Settings {
    /// Reads a settings file; any problem in it is an error, since it is the tool's own input.
    pub fn load(path: &Path) -> Result<Settings, SpecError> {
        let source = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| SpecError::new(&source, format!("failed to read: {e}")))?;
        Settings::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Settings, SpecError> {
        let source = path.display().to_string();
        let file: Arc<Path> = Arc::from(path);
        let root = yaml::parse(text, &file)
            .map_err(|e| SpecError::new(&source, format!("{}: {}", e.location, e.message)))?;
        let Some(root) = root else {
            return Ok(Settings {
                source: Some(source),
                ..Settings::default()
            });
        };
        let mut diagnostics: Vec<Diagnostic> = Vec::new();
        let mut ctx = Ctx {
            file,
            version: PrometheusVersion::DEFAULT,
            diagnostics: &mut diagnostics,
            job: None,
            global_timeout: Default::default(),
        };
        let mut settings = Settings {
            source: Some(source.clone()),
            ..Settings::default()
        };
        let mut custom_nodes: Vec<Node> = Vec::new();
        if let Some(mut f) = Fields::of(&mut ctx, &root, "Settings") {
            settings.disabled = f
                .get(&mut ctx, "disable")
                .map(|n| decode::string_list(&mut ctx, n))
                .unwrap_or_default();
            let severity_node = f.get(&mut ctx, "severity");
            let jobs_node = f.get(&mut ctx, "jobs");
            custom_nodes = f
                .get(&mut ctx, "custom")
                .map(|n| decode::sequence(&mut ctx, n).to_vec())
                .unwrap_or_default();
            f.finish(&mut ctx);
            settings.severity = severity_node
                .map(|n| severities(&mut ctx, n))
                .unwrap_or_default();
            settings.jobs = jobs_node
                .map(|n| job_settings(&mut ctx, n))
                .unwrap_or_default();
        }
        if let Some(problem) = diagnostics.first() {
            let at = problem
                .location
                .as_ref()
                .map(|l| l.to_string())
                .unwrap_or_default();
            return Err(SpecError::new(
                &source,
                format!("{at}: {}", problem.message),
            ));
        }
        for node in &custom_nodes {
            settings.custom.push(spec_from_node(
                node,
                &format!("{source}:{}", node.location.line),
            )?);
        }
        Ok(settings)
    }

    /// Whether `check` is disabled for `job` (or everywhere, for findings without a job).
    pub fn is_disabled(&self, check: &str, job: Option<&str>) -> bool {
        self.disabled.iter().any(|d| d == check)
            || self
                .for_job(job)
                .any(|j| j.disabled.iter().any(|d| d == check))
    }

    /// The severity `check` has for `job`: a job override wins over a global one.
    pub fn severity(&self, check: &str, job: Option<&str>) -> Option<Severity> {
        let per_job = self
            .for_job(job)
            .filter_map(|j| j.severity.get(check).copied())
            .last();
        per_job.or_else(|| self.severity.get(check).copied())
    }

    fn for_job<'s>(&'s self, job: Option<&'s str>) -> impl Iterator<Item = &'s JobSettings> + 's {
        self.jobs
            .iter()
            .filter(move |j| job.is_some_and(|name| j.job_name.is_match(name)))
    }

    /// Applies disables and severity overrides to findings.
    pub fn apply(&self, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .filter(|f| !self.is_disabled(&f.check, f.job.as_deref()))
            .map(|mut f| {
                if let Some(severity) = self.severity(&f.check, f.job.as_deref()) {
                    f.severity = severity;
                }
                f
            })
            .collect()
    }
}

fn severities(ctx: &mut Ctx, node: &Node) -> BTreeMap<String, Severity> {
    let mut map = BTreeMap::new();
    for (key, value) in decode::mapping(ctx, node, "severity").unwrap_or_default() {
        let (Some(check), Some(level)) = (decode::string(ctx, key), decode::string(ctx, value))
        else {
            continue;
        };
        match Severity::parse(&level) {
            Some(severity) => {
                map.insert(check, severity);
            }
            None => ctx.invalid(
                value,
                format!("unknown severity {level:?} (error, warning or info)"),
            ),
        }
    }
    map
}

fn job_settings(ctx: &mut Ctx, node: &Node) -> Vec<JobSettings> {
    let mut jobs = Vec::new();
    for item in decode::sequence(ctx, node) {
        let Some(mut f) = Fields::of(ctx, item, "JobSettings") else {
            continue;
        };
        let pattern = f.get(ctx, "match").and_then(|n| decode::string(ctx, n));
        let disabled = f
            .get(ctx, "disable")
            .map(|n| decode::string_list(ctx, n))
            .unwrap_or_default();
        let severity = f
            .get(ctx, "severity")
            .map(|n| severities(ctx, n))
            .unwrap_or_default();
        f.finish(ctx);
        let Some(pattern) = pattern else {
            ctx.invalid(item, "a job entry needs `match:`, a regex on job_name");
            continue;
        };
        match regex::Regex::new(&format!("^(?:{pattern})$")) {
            Ok(job_name) => jobs.push(JobSettings {
                job_name,
                disabled,
                severity,
            }),
            Err(e) => ctx.invalid(item, format!("invalid job regex {pattern:?}: {e}")),
        }
    }
    jobs
}
