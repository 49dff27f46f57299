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
    /// Analyze a metrics payload (a file, or `-` for stdin) as Prometheus would scrape it:
    /// size, samples, series, top families, label extremes and verdicts against limits.
    Payload(PayloadArgs),
    /// List every check with its id, default severity and summary.
    Checks,
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
}

#[derive(Debug, clap::Args)]
pub struct PayloadArgs {
    /// The payload file, or `-` to read standard input. Read as a stream, never held whole.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
    /// The input is gzip-compressed (implied by a `.gz` file name).
    #[arg(long)]
    pub gzip: bool,
    /// Fail when the uncompressed body reaches this size (base-2 units: `10MB` = 10 MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub body_size_limit: Option<u64>,
    /// Fail when the payload has more samples than this.
    #[arg(long, value_name = "N")]
    pub sample_limit: Option<u64>,
    /// Fail when a series has more labels than this (`__name__`, `job`, `instance` count).
    #[arg(long, value_name = "N")]
    pub label_limit: Option<u64>,
    /// Fail when a label name is longer than this many bytes.
    #[arg(long, value_name = "N")]
    pub label_name_length_limit: Option<u64>,
    /// Fail when a label value is longer than this many bytes.
    #[arg(long, value_name = "N")]
    pub label_value_length_limit: Option<u64>,
    /// Apply Prometheus's Content-Type rule to this response header value (3.x fails a blank
    /// or unknown type without `--fallback-scrape-protocol`).
    #[arg(long, value_name = "TYPE")]
    pub content_type: Option<String>,
    /// The job's `fallback_scrape_protocol`, e.g. `PrometheusText0.0.4`.
    #[arg(long, value_name = "PROTOCOL")]
    pub fallback_scrape_protocol: Option<String>,
    /// The target's `job` label, counted and length-checked as Prometheus does.
    #[arg(long, default_value = "payload")]
    pub job: String,
    /// The target's `instance` label, counted and length-checked as Prometheus does.
    #[arg(long, default_value = "payload")]
    pub instance: String,
    /// The job's `honor_labels`: exposed `job`/`instance` labels win over the target's.
    #[arg(long)]
    pub honor_labels: bool,
    /// Keep analyzing past the first failure (complete counts; Prometheus's verdict is the same).
    #[arg(long)]
    pub keep_going: bool,
    /// How many families to list by series.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Reproduce the semantics of this Prometheus release (MAJOR.MINOR).
    #[arg(long, value_name = "X.Y", default_value_t = PrometheusVersion::DEFAULT, value_parser = parse_version)]
    pub prometheus_version: PrometheusVersion,
}

fn parse_size(text: &str) -> Result<u64, String> {
    crate::config::size::parse_base2_bytes(text)
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
