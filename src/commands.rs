//! The subcommands, each a straight run through the pipeline stages it needs.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use crate::check::finding::Severity;
use crate::check::input::CheckInput;
use crate::check::registry;
use crate::check::settings::{self, Settings};
use crate::cli::{
    CheckArgs, ChecksCommand, Cli, ColorChoice, Command, DoctorArgs, FailOn, MinSeverity,
    OutputSpec, ReportFormat, TargetsArgs,
};
use crate::config::path_map::PathMap;
use crate::config::{self, LoadError};
use crate::discover::kubernetes::client::HttpConnector;
use crate::discover::kubernetes::Connector;
use crate::probe::{self, ProbeOptions};
use crate::report::baseline::{self, Baseline, BaselineError};
use crate::report::{self, Report, Scope};
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
    #[error(transparent)]
    Demo(#[from] crate::demo::DemoError),
    #[error("failed to write {path}")]
    WriteFile {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    #[error("{0}")]
    Usage(String),
    #[error("failed to read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
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
        Command::Checks {
            checks_config,
            command: None,
        } => list_checks(checks_config.as_deref()),
        Command::Checks {
            command: Some(ChecksCommand::Docs { dir }),
            ..
        } => write_docs(&dir),
        Command::Payload(args) => crate::payload_command::run(args),
        Command::Rbac(args) => crate::rbac_command::run(args),
        Command::Explain { id } => explain(&id),
        Command::Doctor(args) => doctor_command(args),
        Command::Demo { verbose } => demo_command(verbose),
        Command::Completions { shell } => completions(shell),
        Command::Man => man_page(),
    }
}

/// Loads `config`, resolves what can be resolved offline, and runs the built-in checks and the
/// custom checks of `settings`, with its disables and severity overrides applied.
pub fn check_offline(
    config: &Path,
    version: PrometheusVersion,
    settings: &Settings,
) -> Result<Report, Error> {
    run_checks(
        config,
        version,
        settings,
        &PathMap::default(),
        &Reach::Offline,
    )
}

/// [`check_offline`] with the files the config names read from where `map` says.
pub fn check_offline_mapped(
    config: &Path,
    version: PrometheusVersion,
    settings: &Settings,
    map: &PathMap,
) -> Result<Report, Error> {
    run_checks(config, version, settings, map, &Reach::Offline)
}

/// Resolves discovery from the clusters, probes every active target as Prometheus would scrape
/// it, and runs every check, discovery and probe checks included.
pub fn check_live(
    config: &Path,
    version: PrometheusVersion,
    options: &ProbeOptions,
    settings: &Settings,
) -> Result<Report, Error> {
    let reach = Reach::Live(options.clone());
    run_checks(config, version, settings, &PathMap::default(), &reach)
}

/// How far a run goes beyond the configuration file.
#[derive(Debug, Clone)]
pub enum Reach {
    /// Nothing from the network: static and file discovery only.
    Offline,
    /// Discovery (Kubernetes) resolved from the clusters; targets not probed.
    Discovery,
    /// Discovery resolved, then every active target probed.
    Live(ProbeOptions),
}

impl Reach {
    /// What `--offline` and `--concurrency` ask for: nothing from the network, or a live run
    /// with a progress line.
    fn from_flags(offline: bool, concurrency: usize) -> Reach {
        if offline {
            return Reach::Offline;
        }
        Reach::Live(ProbeOptions {
            concurrency,
            progress: true,
            ..ProbeOptions::default()
        })
    }
}

/// The tokio runtime and the Kubernetes connector of a networked run.
pub(crate) struct Network {
    // Declared first so the connector's handle is dropped before the runtime.
    pub(crate) connector: HttpConnector,
    _runtime: tokio::runtime::Runtime,
}

/// Each discovery request (body included) must finish within this.
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn network(offline: bool) -> Result<Option<Network>, Error> {
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

/// The whole pipeline: load, discover, relabel, probe (per `reach`), check, report.
pub fn run_checks(
    config_path: &Path,
    version: PrometheusVersion,
    settings: &Settings,
    map: &PathMap,
    reach: &Reach,
) -> Result<Report, Error> {
    let loaded = config::load_mapped(config_path, version, map)?;
    let network = network(matches!(reach, Reach::Offline))?;
    let connector = network.as_ref().map(|n| &n.connector as &dyn Connector);
    // The trace tells the relabel checks which rules matched which targets.
    let jobs = targets::resolve(&loaded.config, version, true, connector);
    let alertmanagers =
        targets::alertmanager::resolve_alertmanagers(&loaded.config, version, false, connector);
    let probes = match reach {
        Reach::Live(options) => Some(probe::probe_all_with_alertmanagers(
            &loaded.config,
            &jobs,
            &alertmanagers,
            version,
            options,
        )),
        _ => None,
    };
    let access = match reach {
        Reach::Live(_) => Some(probe::access::review_all(
            &loaded.config,
            &probe::access::compute(&loaded.config, &jobs),
            &probe::access::AccessOptions::default(),
        )),
        _ => None,
    };
    let checks = registry::with_settings(settings)?;
    let input = CheckInput {
        config: &loaded.config,
        diagnostics: &loaded.diagnostics,
        jobs: &jobs,
        alertmanagers: &alertmanagers,
        version,
        probes: probes.as_ref(),
        access: access.as_ref(),
    };
    let findings = settings.apply(check::run_all(&checks, &input));
    let (mode, not_checked) = match reach {
        Reach::Offline => ("offline", "offline run: no discovery over the network and no probes of targets; the findings cover the configuration and the targets resolvable offline"),
        Reach::Discovery => ("network", "targets were discovered but not probed"),
        Reach::Live(_) => ("live", "RBAC is judged from the answers of probes and from SelfSubjectAccessReview (asked without resource names, so grants limited by resourceNames count as missing); alertmanagers are probed at `/api/v2/status`, not sent a test alert"),
    };
    let scope = scope(config_path, &loaded.config, &checks, settings);
    let mut report = Report::new(
        version.to_string(),
        mode,
        findings,
        vec![not_checked.to_string()],
    )
    .with_scope(scope);
    report.clusters = report::results::build(&loaded.config, &jobs, probes.as_ref());
    report.access = report::results::access_checks(&loaded.config, &jobs, probes.as_ref());
    if let Some(probes) = probes {
        report.targets = probes.targets;
    }
    if let Some(access) = &access {
        report.rbac_manifest =
            Some(crate::rbac_command::manifest_of(access)).filter(|m| !m.is_empty());
    }
    Ok(report)
}

/// What a run covered, for reporters that also list what passed (JUnit) or every rule (SARIF).
fn scope(
    config_path: &Path,
    config: &config::Config,
    checks: &[registry::Check],
    settings: &Settings,
) -> Scope {
    let jobs: Vec<String> = config
        .scrape_configs
        .iter()
        .map(|job| job.job_name.clone())
        .collect();
    let mut scope = Scope {
        config_file: Some(config_path.to_path_buf()),
        checks: checks
            .iter()
            .filter(|check| !settings.is_disabled(&check.spec.id, None))
            .map(|check| check.spec.clone())
            .collect(),
        ..Scope::default()
    };
    for job in &jobs {
        for check in &scope.checks {
            if settings.is_disabled(&check.id, Some(job)) {
                scope.disabled.insert((job.clone(), check.id.clone()));
            }
        }
    }
    scope.jobs = jobs;
    scope.checks.sort_by(|a, b| a.id.cmp(&b.id));
    scope
}

fn check_command(args: CheckArgs) -> Result<u8, Error> {
    let outputs = outputs(&args.outputs)?;
    let settings = load_settings(args.checks_config.as_deref(), Some(&args.common.config))?;
    let map = PathMap::new(args.path_map.clone());
    let reach = Reach::from_flags(args.offline, args.concurrency);
    let mut report = run_checks(
        &args.common.config,
        args.common.prometheus_version,
        &settings,
        &map,
        &reach,
    )?;
    report.retain_at_least(match args.min_severity {
        MinSeverity::Info => Severity::Info,
        MinSeverity::Warning => Severity::Warning,
        MinSeverity::Error => Severity::Error,
    });
    // A new baseline records everything reported now (known or not), then counts it as known.
    if let Some(path) = &args.write_baseline {
        let recorded = Baseline::from_report(&report);
        baseline::write(path, &recorded)?;
        baseline::apply(&mut report, &recorded);
    } else if let Some(path) = &args.baseline {
        baseline::apply(&mut report, &baseline::read(path)?);
    }
    let cwd = report::uri::current_dir();
    for output in &outputs {
        let text = match output.format {
            ReportFormat::Json => {
                write_output(output.path.as_deref(), |out| {
                    report::json::write(&report, out)
                })?;
                continue;
            }
            ReportFormat::Junit => report::junit::render(&report),
            ReportFormat::Sarif => report::sarif::render(&report, cwd.as_deref()),
            ReportFormat::Github => report::github::render(&report, cwd.as_deref()),
            ReportFormat::Human => {
                match output.path {
                    None => set_colour(args.color),
                    Some(_) => colored::control::set_override(false),
                }
                report::human::render(&report, &mut report::human::SourceLines::default())
            }
        };
        write_output(output.path.as_deref(), |out| out.write_all(text.as_bytes()))?;
    }
    Ok(exit_code(&report, args.fail_on))
}

/// The reports to write: human on stdout when none is asked for; at most one on stdout and at
/// most one per file.
fn outputs(asked: &[OutputSpec]) -> Result<Vec<OutputSpec>, Error> {
    if asked.is_empty() {
        return Ok(vec![OutputSpec {
            format: ReportFormat::Human,
            path: None,
        }]);
    }
    for (index, output) in asked.iter().enumerate() {
        if asked[..index]
            .iter()
            .any(|earlier| earlier.path == output.path)
        {
            return Err(Error::Usage(match &output.path {
                None => {
                    "at most one --format may write to stdout; give the others a file with FMT=PATH"
                        .to_string()
                }
                Some(path) => format!("two --format options write to {}", path.display()),
            }));
        }
    }
    Ok(asked.to_vec())
}

fn doctor_command(args: DoctorArgs) -> Result<u8, Error> {
    let settings = load_settings(args.checks_config.as_deref(), Some(&args.common.config))?;
    let reach = Reach::from_flags(args.offline, args.concurrency);
    let version = args.common.prometheus_version;
    let report = run_checks(
        &args.common.config,
        version,
        &settings,
        &PathMap::default(),
        &reach,
    )?;
    set_colour(args.color);
    write_stdout(&report::doctor::render(&report, args.verbose))?;
    Ok(exit_code(&report, FailOn::Error))
}

/// Runs `doctor` on simulated clusters; exits 0 when the demo ran, whatever it found.
fn demo_command(verbose: bool) -> Result<u8, Error> {
    let demo = crate::demo::Demo::start()?;
    let header = format!(
        "prom-preflight demo\n{}\nConfiguration: the seed's multi-cluster prometheus.yml, rendered for them.\n\n",
        demo.describe()
    );
    let options = ProbeOptions {
        progress: true,
        ..ProbeOptions::default()
    };
    let report = check_live(
        &demo.config,
        PrometheusVersion::DEFAULT,
        &options,
        &Settings::default(),
    )?;
    set_colour(ColorChoice::Auto);
    write_stdout(&(header + &report::doctor::render(&report, verbose)))?;
    drop(demo);
    Ok(exit::OK)
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
    if args.alertmanagers {
        let sets = targets::alertmanager::resolve_alertmanagers(
            &loaded.config,
            version,
            args.explain,
            connector,
        );
        let text = match args.format {
            crate::cli::TargetsFormat::Json => {
                targets::output::alertmanagers_json(&loaded.config, &sets, args.explain)
            }
            crate::cli::TargetsFormat::Table => {
                targets::output::alertmanagers_table(&loaded.config, &sets)
            }
        };
        write_stdout(&text)?;
        return Ok(exit::OK);
    }
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

fn write_docs(dir: &Path) -> Result<u8, Error> {
    let checks = registry::builtin()?;
    let pages = report::docs::pages(&checks);
    for (relative, text) in &pages {
        let path = dir.join(relative);
        let write = |path: &Path| {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, text)
        };
        write(&path).map_err(|source| Error::WriteFile { path, source })?;
    }
    write_stdout(&format!(
        "wrote {} pages under {}\n",
        pages.len(),
        dir.display()
    ))?;
    Ok(exit::OK)
}

fn completions(shell: clap_complete::Shell) -> Result<u8, Error> {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "prom-preflight", &mut script);
    write_stdout(&String::from_utf8_lossy(&script))?;
    Ok(exit::OK)
}

fn man_page() -> Result<u8, Error> {
    let command = <Cli as clap::CommandFactory>::command();
    let mut roff = Vec::new();
    clap_mangen::Man::new(command).render(&mut roff)?;
    write_stdout(&String::from_utf8_lossy(&roff))?;
    Ok(exit::OK)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub(crate) fn write_stdout(text: &str) -> Result<(), Error> {
    write_output(None, |out| out.write_all(text.as_bytes()))
}

/// Writes through a buffer to stdout (`None`; a closed pipe is not an error) or to a file.
fn write_output(
    path: Option<&std::path::Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let written = |sink: &mut dyn Write| {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, sink);
        write(&mut out)?;
        out.flush()
    };
    match path {
        None => match written(&mut std::io::stdout().lock()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => Ok(other?),
        },
        Some(path) => std::fs::File::create(path)
            .and_then(|mut file| written(&mut file))
            .map_err(|source| Error::WriteFile {
                path: path.to_path_buf(),
                source,
            }),
    }
}
