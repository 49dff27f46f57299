//! Loading a configuration file and the files it includes: the top level, `global`, `alerting`,
//! `scrape_config_files`, and job-name uniqueness across all of them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::config::decode::{self, Ctx, Fields};
use crate::config::diagnostic::{Code, Diagnostic};
use crate::config::model::{AlertmanagerConfig, Config, GlobalConfig, Limits};
use crate::config::path_map::PathMap;
use crate::config::yaml::{self, Node};
use crate::config::{http_client, relabel_rule, scrape, sd};
use crate::source::{line_of, resolve_relative, Location};
use crate::version::PrometheusVersion;

/// A loaded configuration with every problem found while loading it.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub config: Config,
    pub diagnostics: Vec<Diagnostic>,
}

/// Why no configuration could be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("failed to read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to read {path}: it is a directory")]
    IsDirectory { path: PathBuf },
}

/// Larger inputs are not configs; refusing them keeps memory bounded.
const MAX_CONFIG_BYTES: u64 = 64 * 1024 * 1024;

/// Loads `path` as Prometheus `version` would.
pub fn load(path: &Path, version: PrometheusVersion) -> Result<Loaded, LoadError> {
    load_mapped(path, version, &PathMap::default())
}

/// Loads `path` as [`load`] does, with the files it names read from where `map` says
/// (`--path-map`): the map is applied to the loaded configuration before any referenced file is
/// checked.
pub fn load_mapped(
    path: &Path,
    version: PrometheusVersion,
    map: &PathMap,
) -> Result<Loaded, LoadError> {
    let text = read_config_text(path)?;
    let mut loaded = read_str(&text, path, version);
    map.apply(&mut loaded.config);
    check_referenced_files(&mut loaded);
    Ok(loaded)
}

fn read_config_text(path: &Path) -> Result<String, LoadError> {
    let metadata = std::fs::metadata(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if metadata.is_dir() {
        return Err(LoadError::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    if metadata.len() > MAX_CONFIG_BYTES {
        let source = std::io::Error::other(format!(
            "file is {} bytes, more than the {MAX_CONFIG_BYTES} a config may have",
            metadata.len()
        ));
        return Err(LoadError::Read {
            path: path.to_path_buf(),
            source,
        });
    }
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| LoadError::Read {
        path: path.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the file is not UTF-8 text",
        ),
    })
}

/// Loads configuration text that was read from `path`.
pub fn load_str(text: &str, path: &Path, version: PrometheusVersion) -> Loaded {
    let mut loaded = read_str(text, path, version);
    check_referenced_files(&mut loaded);
    loaded
}

/// Whether the files the configuration names exist: the last step of loading, after any path
/// mapping.
fn check_referenced_files(loaded: &mut Loaded) {
    let file_problems = crate::config::files::check_referenced_files(&loaded.config);
    loaded.diagnostics.extend(file_problems);
}

/// Reads, decodes and validates configuration text, without looking at the files it names.
fn read_str(text: &str, path: &Path, version: PrometheusVersion) -> Loaded {
    let mut loaded = Loaded::default();
    let file: Arc<Path> = Arc::from(path);
    let Some(root) = parse_reporting(text, &file, &mut loaded.diagnostics) else {
        return loaded;
    };
    let mut ctx = Ctx {
        file: file.clone(),
        version,
        diagnostics: &mut loaded.diagnostics,
        job: None,
        global_timeout: Duration::from_secs(10),
    };
    let Some(mut f) = Fields::of(&mut ctx, &root, "config.plain") else {
        return loaded;
    };
    let global = f
        .get(&mut ctx, "global")
        .map(|n| read_global(&mut ctx, n))
        .unwrap_or_default();
    ctx.global_timeout = global.scrape_timeout;
    f.skip(&mut ctx, "rule_files");
    let includes = f
        .get_since(&mut ctx, "scrape_config_files", 2, 43)
        .map(|n| decode::string_list(&mut ctx, n))
        .unwrap_or_default();
    let scrape_configs = f
        .get(&mut ctx, "scrape_configs")
        .map(|n| {
            decode::sequence(&mut ctx, n)
                .iter()
                .filter_map(|item| scrape::read(&mut ctx, item, &global))
                .collect()
        })
        .unwrap_or_default();
    let alertmanagers = f
        .get(&mut ctx, "alerting")
        .map(|n| read_alerting(&mut ctx, n))
        .unwrap_or_default();
    for name in ["remote_write", "remote_read", "storage", "tracing"] {
        f.skip(&mut ctx, name);
    }
    f.get_since(&mut ctx, "otlp", 2, 47);
    f.get_since(&mut ctx, "runtime", 3, 0);
    f.finish(&mut ctx);

    loaded.config = Config {
        global,
        scrape_configs,
        alertmanagers,
    };
    let location = Location::file_start(file.clone());
    include_scrape_config_files(&mut loaded, &includes, path, &location, version);
    report_duplicate_jobs(&mut loaded, path);
    loaded
}

/// Parses YAML; a syntax error becomes a diagnostic showing the offending line.
fn parse_reporting(
    text: &str,
    file: &Arc<Path>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Node> {
    match yaml::parse(text, file) {
        Ok(root) => root,
        Err(error) => {
            let mut diagnostic = Diagnostic::new(
                Code::YamlSyntax,
                Some(error.location.clone()),
                error.message,
            );
            if let Some(line) = line_of(text, error.location.line) {
                diagnostic = diagnostic.with_help(format!(
                    "line {}: {}",
                    error.location.line,
                    line.trim_end()
                ));
            }
            diagnostics.push(diagnostic);
            None
        }
    }
}

fn read_global(ctx: &mut Ctx, node: &Node) -> GlobalConfig {
    let mut global = GlobalConfig::default();
    let Some(mut f) = Fields::of(ctx, node, "config.plain") else {
        return global;
    };
    let interval = f
        .get(ctx, "scrape_interval")
        .and_then(|n| decode::duration(ctx, n))
        .filter(|d| !d.is_zero());
    let timeout = f
        .get(ctx, "scrape_timeout")
        .and_then(|n| decode::duration(ctx, n))
        .filter(|d| !d.is_zero());
    f.get(ctx, "evaluation_interval")
        .and_then(|n| decode::duration(ctx, n));
    if let Some(labels) = f.get(ctx, "external_labels") {
        global.external_labels = decode::label_map(ctx, labels);
    }
    f.skip(ctx, "query_log_file");
    f.get_since(ctx, "rule_query_offset", 2, 53);
    f.get_since(ctx, "scrape_failure_log_file", 3, 0);
    global.limits = read_global_limits(ctx, &mut f);
    for (name, major, minor) in [
        ("keep_dropped_targets", 2, 47),
        ("scrape_protocols", 2, 49),
        ("metric_name_validation_scheme", 2, 55),
        ("metric_name_escaping_scheme", 3, 4),
        ("convert_classic_histograms_to_nhcb", 3, 0),
        ("always_scrape_classic_histograms", 3, 5),
    ] {
        f.get_since(ctx, name, major, minor);
    }
    f.finish(ctx);
    global.scrape_interval = interval.unwrap_or(global.scrape_interval);
    match timeout {
        Some(timeout) if timeout > global.scrape_interval => {
            let at = node.location.clone();
            ctx.report(Diagnostic::new(
                Code::TimeoutExceedsInterval,
                Some(at),
                "global scrape timeout greater than scrape interval",
            ));
            global.scrape_timeout = timeout;
        }
        Some(timeout) => global.scrape_timeout = timeout,
        None => global.scrape_timeout = global.scrape_timeout.min(global.scrape_interval),
    }
    global
}

fn read_global_limits(ctx: &mut Ctx, f: &mut Fields) -> Limits {
    let mut number = |ctx: &mut Ctx, name: &'static str| {
        f.get_since(ctx, name, 2, 45)
            .and_then(|n| decode::unsigned(ctx, n))
            .unwrap_or(0)
    };
    let sample_limit = number(ctx, "sample_limit");
    let target_limit = number(ctx, "target_limit");
    let label_limit = number(ctx, "label_limit");
    let label_name_length_limit = number(ctx, "label_name_length_limit");
    let label_value_length_limit = number(ctx, "label_value_length_limit");
    let body_size_limit = f
        .get_since(ctx, "body_size_limit", 2, 45)
        .and_then(|n| decode::size(ctx, n))
        .unwrap_or(0);
    Limits {
        body_size_limit,
        sample_limit,
        target_limit,
        label_limit,
        label_name_length_limit,
        label_value_length_limit,
    }
}

fn read_alerting(ctx: &mut Ctx, node: &Node) -> Vec<AlertmanagerConfig> {
    let Some(mut f) = Fields::of(ctx, node, "config.AlertingConfig") else {
        return Vec::new();
    };
    if let Some(rules) = f.get(ctx, "alert_relabel_configs") {
        relabel_rule::read_rules(ctx, rules, "alert relabeling");
    }
    let mut alertmanagers = Vec::new();
    if let Some(list) = f.get(ctx, "alertmanagers") {
        for item in decode::sequence(ctx, list) {
            if let Some(am) = read_alertmanager(ctx, item) {
                alertmanagers.push(am);
            }
        }
    }
    f.finish(ctx);
    alertmanagers
}

fn read_alertmanager(ctx: &mut Ctx, node: &Node) -> Option<AlertmanagerConfig> {
    let mut f = Fields::of(ctx, node, "config.AlertmanagerConfig")?;
    let scheme = f
        .get(ctx, "scheme")
        .and_then(|n| decode::string(ctx, n))
        .unwrap_or_else(|| "http".to_string());
    let path_prefix = f
        .get(ctx, "path_prefix")
        .and_then(|n| decode::string(ctx, n))
        .unwrap_or_else(|| "/".to_string());
    let timeout = f
        .get(ctx, "timeout")
        .and_then(|n| decode::duration(ctx, n))
        .unwrap_or(Duration::from_secs(10));
    let api_version_node = f.get(ctx, "api_version");
    let api_version = api_version_node
        .and_then(|n| decode::string(ctx, n))
        .unwrap_or_else(|| "v2".to_string());
    // 3.0 dropped Alertmanager's v1 API (config/config.go `SupportedAlertmanagerAPIVersions`).
    let supported: &[&str] = if ctx.version.at_least(3, 0) {
        &["v2"]
    } else {
        &["v1", "v2"]
    };
    if !supported.contains(&api_version.as_str()) {
        ctx.report(Diagnostic::new(
            Code::InvalidValue,
            Some(api_version_node.map_or_else(|| node.location.clone(), |n| n.location.clone())),
            format!(
                "expected Alertmanager api version to be one of [{}] but got {api_version}",
                supported.join(" ")
            ),
        ));
    }
    let http = http_client::read_inline(ctx, &mut f);
    let service_discovery = sd::read_all(ctx, &mut f);
    let relabel_configs = f
        .get(ctx, "relabel_configs")
        .map(|n| relabel_rule::read_rules(ctx, n, "alertmanager relabeling"))
        .unwrap_or_default();
    if let Some(rules) = f.get_since(ctx, "alert_relabel_configs", 2, 51) {
        relabel_rule::read_rules(ctx, rules, "alert relabeling");
    }
    f.finish(ctx);
    http_client::validate(ctx, &http, &node.location);
    if relabel_configs.is_empty() {
        scrape::check_static_targets(ctx, &service_discovery);
    }
    Some(AlertmanagerConfig {
        location: node.location.clone(),
        scheme,
        path_prefix,
        timeout,
        api_version,
        http,
        service_discovery,
        relabel_configs,
    })
}

/// `scrape_config_files`: each pattern is globbed relative to the main file and each match is
/// read strictly as `{scrape_configs: [...]}`.
fn include_scrape_config_files(
    loaded: &mut Loaded,
    patterns: &[String],
    main: &Path,
    at: &Location,
    version: PrometheusVersion,
) {
    for pattern in patterns {
        if pattern
            .split_once('*')
            .is_some_and(|(_, after)| after.contains('*') || after.contains('/'))
        {
            let message = format!("invalid scrape config file path {pattern:?}");
            loaded.diagnostics.push(Diagnostic::new(
                Code::InvalidValue,
                Some(at.clone()),
                message,
            ));
            continue;
        }
        let resolved = resolve_relative(main, pattern);
        let mut matches: Vec<PathBuf> = glob::glob(&resolved.to_string_lossy())
            .map(|paths| paths.flatten().collect())
            .unwrap_or_default();
        matches.sort();
        for path in matches {
            include_one(loaded, &path, version);
        }
    }
}

fn include_one(loaded: &mut Loaded, path: &Path, version: PrometheusVersion) {
    let text = match read_config_text(path) {
        Ok(text) => text,
        Err(error) => {
            let at = Location::file_start(Arc::from(path));
            loaded.diagnostics.push(Diagnostic::new(
                Code::FileMissing,
                Some(at),
                error.to_string(),
            ));
            return;
        }
    };
    let file: Arc<Path> = Arc::from(path);
    let Some(root) = parse_reporting(&text, &file, &mut loaded.diagnostics) else {
        return;
    };
    let global = loaded.config.global.clone();
    let mut ctx = Ctx {
        file,
        version,
        diagnostics: &mut loaded.diagnostics,
        job: None,
        global_timeout: global.scrape_timeout,
    };
    let Some(mut f) = Fields::of(&mut ctx, &root, "config.ScrapeConfigs") else {
        return;
    };
    if let Some(list) = f.get(&mut ctx, "scrape_configs") {
        for item in decode::sequence(&mut ctx, list) {
            if let Some(job) = scrape::read(&mut ctx, item, &global) {
                loaded.config.scrape_configs.push(job);
            }
        }
    }
    f.finish(&mut ctx);
}

fn report_duplicate_jobs(loaded: &mut Loaded, main: &Path) {
    let jobs = &loaded.config.scrape_configs;
    for (index, job) in jobs.iter().enumerate() {
        let Some(first) = jobs[..index]
            .iter()
            .find(|earlier| earlier.job_name == job.job_name)
        else {
            continue;
        };
        let message = if job.file.as_path() == main {
            format!(
                "found multiple scrape configs with job name {:?}",
                job.job_name
            )
        } else {
            let origin = if first.file.as_path() == main {
                "main config file".to_string()
            } else {
                first.file.display().to_string()
            };
            format!(
                "{:?}: found multiple scrape configs with job name {:?}, first found in {origin}",
                job.file.display().to_string(),
                job.job_name
            )
        };
        let help = format!("rename one of them; the first is at {}", first.location);
        let mut diagnostic =
            Diagnostic::new(Code::DuplicateJob, Some(job.location.clone()), message)
                .with_help(help);
        diagnostic.job = Some(job.job_name.clone());
        loaded.diagnostics.push(diagnostic);
    }
}
