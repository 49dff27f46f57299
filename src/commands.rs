//! The subcommands, each a straight run through the pipeline stages it needs.

use std::io::{IsTerminal, Write};
use std::path::Path;

use crate::check::finding::Severity;
use crate::check::input::CheckInput;
use crate::check::registry;
use crate::cli::{CheckArgs, Cli, ColorChoice, Command, FailOn, ReportFormat, TargetsArgs};
use crate::config::{self, LoadError};
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
        Command::Payload(args) => crate::payload_command::run(args),
        Command::Checks => list_checks(),
        Command::Explain { id } => explain(&id),
    }
}

/// Loads `config`, resolves what can be resolved offline, and runs every built-in check.
pub fn check_offline(config: &Path, version: PrometheusVersion) -> Result<Report, Error> {
    let loaded = config::load(config, version)?;
    // The trace tells the relabel checks which rules matched which targets.
    let jobs = targets::resolve_offline(&loaded.config, version, true);
    let checks = registry::builtin()?;
    let input = CheckInput {
        config: &loaded.config,
        diagnostics: &loaded.diagnostics,
        jobs: &jobs,
        version,
    };
    let findings = check::run_all(&checks, &input);
    let not_checked = vec![
        "live checks (discovery over the network, probes of each target) are not part of this version; the findings cover the configuration and the targets resolvable offline"
            .to_string(),
    ];
    Ok(Report::new(
        version.to_string(),
        "offline",
        findings,
        not_checked,
    ))
}

fn check_command(args: CheckArgs) -> Result<u8, Error> {
    // Until live checks exist every run is offline; the report's `not_checked` says so.
    let _ = args.offline;
    let report = check_offline(&args.common.config, args.common.prometheus_version)?;
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
    let jobs = targets::resolve_offline(&loaded.config, version, args.explain);
    let named = |job: &JobTargets| loaded.config.scrape_configs[job.job_index].job_name.clone();
    let selected: Vec<&JobTargets> = match &args.job {
        Some(name) => {
            let found: Vec<&JobTargets> =
                jobs.iter().filter(|j| &named(j) == name).take(1).collect();
            if found.is_empty() {
                let names: Vec<String> = jobs.iter().map(named).collect();
                return Err(Error::Usage(format!(
                    "job {name:?} not found; jobs in this config: {}",
                    names.join(", ")
                )));
            }
            found
        }
        None => jobs.iter().collect(),
    };
    let text = match args.format {
        crate::cli::TargetsFormat::Json => {
            targets::output::json(&loaded.config, &selected, args.job.is_some(), args.explain)
        }
        crate::cli::TargetsFormat::Table => targets::output::table(&loaded.config, &selected),
    };
    write_stdout(&text)?;
    Ok(exit::OK)
}

fn list_checks() -> Result<u8, Error> {
    let mut text = String::new();
    for check in registry::builtin()? {
        let spec = &check.spec;
        text.push_str(&format!(
            "{:<36} {:<8} {}\n",
            spec.id,
            spec.severity.as_str(),
            spec.summary
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
pub(crate) fn write_stdout(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
