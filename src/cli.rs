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
    /// Diagnose a configuration for a person: targets up and down per cluster and job, then
    /// each problem once, grouped by cause, with its fix.
    Doctor(DoctorArgs),
    /// Start simulated clusters shaped like a real multi-cluster setup, run `doctor` on their
    /// prometheus.yml, print the report, and stop them. Needs nothing but this binary.
    Demo {
        /// Also show per-target facts (phases, status).
        #[arg(long)]
        verbose: bool,
    },
    /// Print the targets Prometheus would scrape, in promtool's `check service-discovery` shape.
    Targets(TargetsArgs),
    /// List every check with its id, default severity, summary and where it is declared.
    Checks {
        /// Also list the custom checks of this settings file.
        #[arg(long, value_name = "FILE")]
        checks_config: Option<PathBuf>,
        #[command(subcommand)]
        command: Option<ChecksCommand>,
    },
    /// Analyze a metrics payload (a file, or `-` for stdin) as Prometheus would scrape it:
    /// size, samples, series, top families, label extremes and verdicts against limits.
    Payload(PayloadArgs),
    /// Print the minimal ClusterRole/Role and bindings this configuration needs, as a ready
    /// `kubectl apply -f -` manifest; each rule confirmed with SelfSubjectAccessReview unless
    /// `--offline`, and over-broad grants marked.
    Rbac(RbacArgs),
    /// Print the documentation of one check.
    Explain {
        /// The check id, for example `config/unknown-field`.
        id: String,
    },
    /// Print a shell completion script to stdout.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout.
    Man,
}

#[derive(Debug, Subcommand)]
pub enum ChecksCommand {
    /// Write a Markdown page per check (DIR/<area>/<name>.md) and an index (DIR/README.md).
    Docs {
        /// The directory to write into; created when missing.
        dir: PathBuf,
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
    /// Probe at most this many targets at once (live runs).
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub concurrency: usize,
    /// A report to write, to stdout or, with `=PATH`, to a file. Repeat for several reports from
    /// one run; at most one goes to stdout. Default: human.
    #[arg(long = "format", value_name = "FMT[=PATH]", value_parser = OutputParser)]
    pub outputs: Vec<OutputSpec>,
    /// Exit with 1 when a reported finding at or above this severity exists.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Leave out findings below this severity: not shown, not counted, not failing the run.
    #[arg(long, value_enum, default_value_t = MinSeverity::Info)]
    pub min_severity: MinSeverity,
    /// Read the files the config names (tokens, CA, certificates, keys, file_sd files) from TO
    /// instead of FROM, for paths equal to or under FROM. Repeatable; the longest FROM wins.
    #[arg(long, value_name = "FROM=TO", value_parser = parse_path_map)]
    pub path_map: Vec<(PathBuf, PathBuf)>,
    /// Leave out the known findings this baseline file lists; new findings still fail the run.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record every reported finding in this baseline file, then treat them as known.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,
    /// When to colour human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Check settings: disable checks, change severities (globally or per job), add custom
    /// checks. Default: `prom-preflight.yml` next to the config, when present.
    #[arg(long, value_name = "FILE")]
    pub checks_config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Do not use the network; only what the configuration itself shows.
    #[arg(long)]
    pub offline: bool,
    /// Probe at most this many targets at once.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub concurrency: usize,
    /// Also show per-target facts (phases, status).
    #[arg(long)]
    pub verbose: bool,
    /// Check settings (see `check --checks-config`).
    #[arg(long, value_name = "FILE")]
    pub checks_config: Option<PathBuf>,
    /// When to colour the report.
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
    /// Do not use the network: Kubernetes SD entries are reported as not resolved.
    #[arg(long)]
    pub offline: bool,
    /// Print the `alerting.alertmanagers` targets instead of the jobs' targets, in the shape of
    /// Prometheus's `/api/v1/alertmanagers` (`activeAlertmanagers`, `droppedAlertmanagers`).
    #[arg(long, conflicts_with = "job")]
    pub alertmanagers: bool,
}

#[derive(Debug, clap::Args)]
pub struct RbacArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Compute from the configuration only: no discovery, no reviews (targets behind
    /// Kubernetes discovery contribute only their discovery permissions).
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, clap::Args)]
pub struct PayloadArgs {
    /// The payload file, or `-` to read standard input. Read as a stream, never held whole.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PayloadFormat::Human)]
    pub format: PayloadFormat,
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
    Junit,
    Sarif,
    Github,
}

/// One `--format FMT[=PATH]`: a report and where it goes (stdout without a path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    pub format: ReportFormat,
    pub path: Option<PathBuf>,
}

/// Parses `FMT[=PATH]`, and offers the format names to help and shell completion.
#[derive(Debug, Clone, Copy)]
struct OutputParser;

impl clap::builder::TypedValueParser for OutputParser {
    type Value = OutputSpec;

    fn parse_ref(
        &self,
        command: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<OutputSpec, clap::Error> {
        let text = value.to_str().ok_or_else(|| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidUtf8,
                "--format is not UTF-8\n",
            )
            .with_cmd(command)
        })?;
        parse_output(text).map_err(|message| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("{message}\n"),
            )
            .with_cmd(command)
        })
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            ReportFormat::value_variants()
                .iter()
                .filter_map(ValueEnum::to_possible_value),
        ))
    }
}

fn parse_output(text: &str) -> Result<OutputSpec, String> {
    let (name, path) = match text.split_once('=') {
        Some((name, "")) => {
            return Err(format!(
                "`{name}=` names no file; write `{name}=PATH` or `{name}`"
            ))
        }
        Some((name, path)) => (name, Some(PathBuf::from(path))),
        None => (text, None),
    };
    let format = ReportFormat::from_str(name, true).map_err(|_| {
        format!("unknown format {name:?}; expected human, json, junit, sarif or github")
    })?;
    Ok(OutputSpec { format, path })
}

fn parse_path_map(text: &str) -> Result<(PathBuf, PathBuf), String> {
    crate::config::path_map::PathMap::parse_rule(text).map_err(|e| e.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MinSeverity {
    Info,
    Warning,
    Error,
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

/// Output of `payload`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PayloadFormat {
    Human,
    Json,
}
