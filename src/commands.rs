//! The subcommands, each a straight run through the pipeline stages it needs.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use crate::check::finding::Severity;
use crate::check::input::CheckInput;
use crate::check::registry;
use crate::check::settings::{self, Settings};
use crate::cli::{CheckArgs, Cli, ColorChoice, Command, FailOn, ReportFormat, TargetsArgs};
use crate::config::{self, LoadError};
use crate::discover::kubernetes::client::HttpConnector;
use crate::discover::kubernetes::Connector;
use crate::report::{self, Report};
use crate::targets::{self, JobTargets};
use crate::version::PrometheusVersion;
use crate::{check, exit};

/// Why a command could not produce its output.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Spec(#[from] check::spec::SpecError),
    #[error("failed to write output")]
    Output(#[from] std::io::Error),
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        exit::TOOL_ERROR
    }
}

/// Runs one command and returns the process exit code.
pub fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Check(args) => check_command(args),
        Command::Targets(args) => targets_command(args),
        Command::Checks { checks_config } => list_checks(checks_config.as_deref()),
        Command::Explain { id } => explain(&id),
    }
}

/// Loads `config`, resolves what can be resolved offline, and runs the built-in checks and the
/// custom checks of `settings`, with its disables and severity overrides applied.
pub fn check_offline(
    config: &Path,
    version: PrometheusVersion,
    settings: &Settings,
) -> Result<Report, Error> {
    run_checks(config, version, settings, true)
}

/// The tokio runtime and the Kubernetes connector of a networked run.
struct Network {
    // Declared first so the connector's handle is dropped before the runtime.
    connector: HttpConnector,
    _runtime: tokio::runtime::Runtime,
}

/// Each discovery request (body included) must finish within this.
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(10);

fn network(offline: bool) -> Result<Option<Network>, Error> {
    if offline {
        return Ok(None);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("prom-preflight-net")
        .build()
        .map_err(Error::Output)?;
    let connector = HttpConnector::new(runtime.handle().clone(), DISCOVERY_TIMEOUT);
    Ok(Some(Network {
        connector,
        _runtime: runtime,
    }))
}

/// Like [`check_offline`]; without `offline`, Kubernetes SD entries are resolved from their
/// clusters first, and the discovery checks run on what the clusters answered.
pub fn run_checks(
    config: &Path,
    version: PrometheusVersion,
    settings: &Settings,
    offline: bool,
) -> Result<Report, Error> {
    let loaded = config::load(config, version)?;
    let network = network(offline)?;
    let connector = network.as_ref().map(|n| &n.connector as &dyn Connector);
    // The trace tells the relabel checks which rules matched which targets.
    let jobs = targets::resolve(&loaded.config, version, true, connector);
    let checks = registry::with_settings(settings)?;
    let input = CheckInput {
        config: &loaded.config,
        diagnostics: &loaded.diagnostics,
        jobs: &jobs,
        version,
    };
    let findings = settings.apply(check::run_all(&checks, &input));
    let (mode, not_checked) = if offline {
        ("offline", "live checks (discovery over the network, probes of each target) are not part of an offline run; the findings cover the configuration and the targets resolvable offline")
    } else {
        ("network", "probes of each target are not part of this version; the findings cover the configuration and discovery")
    };
    Ok(Report::new(
        version.to_string(),
        mode,
        findings,
        vec![not_checked.to_string()],
    ))
}

fn check_command(args: CheckArgs) -> Result<u8, Error> {
    let settings = load_settings(args.checks_config.as_deref(), Some(&args.common.config))?;
    let report = run_checks(
        &args.common.config,
        args.common.prometheus_version,
        &settings,
        args.offline,
    )?;
    let text = match args.format {
        ReportFormat::Json => report::json::render(&report),
        ReportFormat::Human => {
            set_colour(args.color);
            report::human::render(&report, &mut report::human::SourceLines::default())
        }
    };
    write_stdout(&text)?;
    Ok(exit_code(&report, args.fail_on))
}

fn set_colour(choice: ColorChoice) {
    let enabled = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    colored::control::set_override(enabled);
}

fn exit_code(report: &Report, fail_on: FailOn) -> u8 {
    let threshold = match fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Info => Severity::Info,
        FailOn::Never => return exit::OK,
    };
    if report.worst().is_some_and(|worst| worst >= threshold) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

fn targets_command(args: TargetsArgs) -> Result<u8, Error> {
    let version = args.common.prometheus_version;
    let loaded = config::load(&args.common.config, version)?;
    let scrape_configs = &loaded.config.scrape_configs;
    let indices: Vec<usize> = match &args.job {
        Some(name) => {
            let found: Vec<usize> = (0..scrape_configs.len())
                .filter(|&i| &scrape_configs[i].job_name == name)
                .take(1)
                .collect();
            if found.is_empty() {
                let names: Vec<&str> = scrape_configs.iter().map(|j| j.job_name.as_str()).collect();
                return Err(Error::Usage(format!(
                    "job {name:?} not found; jobs in this config: {}",
                    names.join(", ")
                )));
            }
            found
        }
        None => (0..scrape_configs.len()).collect(),
    };
    let network = network(args.offline)?;
    let connector = network.as_ref().map(|n| &n.connector as &dyn Connector);
    let jobs = targets::resolve_jobs(&loaded.config, &indices, version, args.explain, connector);
    let selected: Vec<&JobTargets> = jobs.iter().collect();
    let text = match args.format {
        crate::cli::TargetsFormat::Json => {
            targets::output::json(&loaded.config, &selected, args.job.is_some(), args.explain)
        }
        crate::cli::TargetsFormat::Table => targets::output::table(&loaded.config, &selected),
    };
    write_stdout(&text)?;
    Ok(exit::OK)
}

/// The user's check settings: the file given, or `prom-preflight.yml` next to the config.
fn load_settings(explicit: Option<&Path>, config: Option<&Path>) -> Result<Settings, Error> {
    if let Some(path) = explicit {
        return Ok(Settings::load(path)?);
    }
    let beside = config
        .and_then(Path::parent)
        .map(|dir| dir.join(settings::DEFAULT_FILE_NAME));
    match beside {
        Some(path) if path.is_file() => Ok(Settings::load(&path)?),
        _ => Ok(Settings::default()),
    }
}

fn list_checks(checks_config: Option<&Path>) -> Result<u8, Error> {
    let settings = load_settings(checks_config, None)?;
    let mut text = String::new();
    for check in registry::with_settings(&settings)? {
        let spec = &check.spec;
        let (id, severity) = (&spec.id, spec.severity.as_str());
        text.push_str(&format!(
            "{id:<36} {severity:<8} {}  [{}]\n",
            spec.summary, spec.source
        ));
    }
    write_stdout(&text)?;
    Ok(exit::OK)
}

fn explain(id: &str) -> Result<u8, Error> {
    let checks = registry::builtin()?;
    let Some(check) = checks.iter().find(|c| c.spec.id == id) else {
        return Err(Error::Usage(format!(
            "no check has the id {id:?}; `prom-preflight checks` lists them"
        )));
    };
    let s = &check.spec;
    let text = format!(
        "{}\n\n{}\n\nDefault severity: {}\nTemplate: {} ({})\nDeclared in: {}\n\n{}\n\nFix: {}\n",
        s.id,
        s.summary,
        s.severity,
        s.template,
        check.template.description(),
        s.source,
        s.description,
        s.remediation
    );
    write_stdout(&text)?;
    Ok(exit::OK)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn write_stdout(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
