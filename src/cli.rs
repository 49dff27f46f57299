//! The command line: subcommands, their flags, and help text.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::version::PrometheusVersion;

#[derive(Debug, Parser)]
#[command(name = "prom-preflight", version, about = "Preflight checks for Prometheus scrape configurations", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a configuration and report findings; the exit code gates CI.
    Check(CheckArgs),
    /// Print the targets Prometheus would scrape, in promtool's `check service-discovery` shape.
    Targets(TargetsArgs),
    /// List every check with its id, default severity, summary and where it is declared.
    Checks {
        /// Also list the custom checks of this settings file.
        #[arg(long, value_name = "FILE")]
        checks_config: Option<PathBuf>,
    },
    /// Print the documentation of one check.
    Explain {
        /// The check id, for example `config/unknown-field`.
        id: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct CommonArgs {
    /// The Prometheus configuration file.
    pub config: PathBuf,
    /// Reproduce the semantics of this Prometheus release (MAJOR.MINOR).
    #[arg(long, value_name = "X.Y", default_value_t = PrometheusVersion::DEFAULT, value_parser = parse_version)]
    pub prometheus_version: PrometheusVersion,
}

fn parse_version(text: &str) -> Result<PrometheusVersion, String> {
    text.parse()
        .map_err(|e: crate::version::ParseVersionError| e.to_string())
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Do not use the network; report what could not be checked without it.
    #[arg(long)]
    pub offline: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// Exit with 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Check settings: disable checks, change severities (globally or per job), add custom
    /// checks. Default: `prom-preflight.yml` next to the config, when present.
    #[arg(long, value_name = "FILE")]
    pub checks_config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct TargetsArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Only this job; prints one JSON array instead of an object keyed by job name.
    #[arg(long)]
    pub job: Option<String>,
    #[arg(long, value_enum, default_value_t = TargetsFormat::Json)]
    pub format: TargetsFormat,
    /// Show, for every target, what each relabel rule did.
    #[arg(long)]
    pub explain: bool,
    /// Do not use the network: Kubernetes SD entries are reported as not resolved.
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetsFormat {
    Json,
    Table,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
