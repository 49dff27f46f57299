//! Conformance of prom-preflight with real Prometheus code, judged by `promtool` 2.42.
//!
//! Two corpora live in `tests/conformance/` (see its README):
//! - `sd/<case>/prometheus.yml`: every job is resolved by `promtool check service-discovery` and by
//!   `prom-preflight targets`, and the final label sets are compared target by target;
//! - `config/<case>.yml`: `promtool check config` and `prom-preflight check --offline` must agree on
//!   whether Prometheus accepts the file.
//!
//! Both tests print every difference with its case name, then the totals, and fail on any
//! difference. Without promtool they are skipped loudly (see `support::oracle`).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

/// The Prometheus version whose behaviour promtool 2.42 shows.
const PROMETHEUS_VERSION: &str = "2.42";
/// promtool waits this long for discovery; file_sd answers well within it.
const SD_TIMEOUT: &str = "300ms";
/// promtool always waits its whole timeout, so jobs run side by side.
const THREADS: usize = 8;
/// Deadline for any one process, far above what a healthy run needs.
const PROCESS_DEADLINE: Duration = Duration::from_secs(120);
/// Guards against a corpus that silently shrank (a renamed folder would otherwise test nothing).
const MIN_SD_JOBS: usize = 40;
const MIN_CONFIG_CASES: usize = 40;

fn conformance_dir() -> PathBuf {
    support::crate_root().join("tests").join("conformance")
}

// ---------------------------------------------------------------------------------------------
// Service discovery: relabeling and target finalization
// ---------------------------------------------------------------------------------------------

type Labels = BTreeMap<String, String>;

/// What became of one discovered target.
#[derive(Debug)]
enum Outcome {
    /// Kept, with its final labels (reserved `__*__` labels included).
    Kept(Labels),
    /// Dropped by relabeling (`"labels": {}`).
    Dropped,
    /// Failed finalization; promtool prints `"error": {}`, we print the message.
    Failed(Option<String>),
}

/// One job of one case folder.
struct SdJob {
    case: String,
    job: String,
    config: PathBuf,
    /// Whether the job relabels. promtool 2.42 can scramble `discoveredLabels` when relabeling
    /// changes labels, and it removes duplicates by (discovered, final) pairs, so how many times a
    /// kept label set is listed is reliable only for jobs without relabel_configs.
    relabels: bool,
}

/// The result of comparing one job.
struct SdComparison {
    name: String,
    targets: usize,
    differences: Vec<String>,
}

#[test]
fn relabeling_and_finalization_match_promtool() {
    let Some(promtool) = support::oracle(
        "promtool",
        "relabeling and target finalization (tests/conformance/sd)",
    ) else {
        return;
    };
    let jobs = sd_jobs();
    assert!(
        jobs.len() >= MIN_SD_JOBS,
        "expected at least {MIN_SD_JOBS} jobs in tests/conformance/sd, found {}",
        jobs.len()
    );

    let comparisons =
        support::parallel_map(jobs, THREADS, move |job| compare_sd_job(&promtool, job));

    let mut differing = 0;
    let mut differences = 0;
    let mut targets = 0;
    for comparison in &comparisons {
        targets += comparison.targets;
        if !comparison.differences.is_empty() {
            differing += 1;
            differences += comparison.differences.len();
            eprintln!("MISMATCH {}", comparison.name);
            for difference in &comparison.differences {
                eprintln!("    {difference}");
            }
        }
    }
    eprintln!(
        "service discovery conformance against promtool {PROMETHEUS_VERSION}: {} jobs compared, \
         {targets} promtool targets compared, {differing} jobs with {differences} mismatches",
        comparisons.len()
    );
    assert_eq!(
        differing, 0,
        "prom-preflight targets differs from promtool; see the list above"
    );
}

/// Lists every job of every case folder, in folder order.
fn sd_jobs() -> Vec<SdJob> {
    let root = conformance_dir().join("sd");
    let mut cases: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("failed to read {}: {e}", root.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    let mut jobs = Vec::new();
    for case in cases {
        let config = case.join("prometheus.yml");
        let text = fs::read_to_string(&config)
            .unwrap_or_else(|e| panic!("failed to read {}: {e}", config.display()));
        let declared = declared_jobs(&text);
        assert!(!declared.is_empty(), "{} declares no job", config.display());
        let name = case
            .file_name()
            .expect("case folder name")
            .to_string_lossy();
        for (job, relabels) in declared {
            jobs.push(SdJob {
                case: name.to_string(),
                job,
                config: config.clone(),
                relabels,
            });
        }
    }
    jobs
}

/// Finds the jobs of a corpus file and whether each has `relabel_configs`. Corpus files follow a
/// simple layout (each job starts with a `- job_name:` line), so a line scan is enough here.
fn declared_jobs(text: &str) -> Vec<(String, bool)> {
    let mut jobs: Vec<(String, bool)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if let Some(name) = line.strip_prefix("- job_name:") {
            let name = name.trim().trim_matches(|c| c == '"' || c == '\'');
            jobs.push((name.to_string(), false));
        } else if line.starts_with("relabel_configs:") {
            if let Some(last) = jobs.last_mut() {
                last.1 = true;
            }
        }
    }
    jobs
}

fn compare_sd_job(promtool: &Path, job: SdJob) -> SdComparison {
    let name = format!("sd/{} job {:?}", job.case, job.job);
    let dir = job.config.parent().expect("case folder");
    let oracle = support::run(
        Command::new(promtool)
            .current_dir(dir)
            .args(["check", "service-discovery"])
            .arg(&job.config)
            .arg(&job.job)
            .arg(format!("--timeout={SD_TIMEOUT}")),
        PROCESS_DEADLINE,
    );
    let expected = match (oracle.code(), parse_targets(&oracle.stdout)) {
        (0, Ok(outcomes)) if !outcomes.is_empty() => outcomes,
        (0, Ok(_)) => {
            return corpus_problem(name, "promtool found no target; the case exercises nothing")
        }
        (code, parsed) => {
            let why = parsed.err().unwrap_or_default();
            return corpus_problem(
                name,
                &format!(
                    "promtool exited {code} {why}; stderr: {}",
                    oracle.stderr.trim()
                ),
            );
        }
    };

    let ours = support::run(
        Command::new(support::preflight_bin())
            .current_dir(dir)
            .arg("targets")
            .arg(&job.config)
            .args([
                "--job",
                &job.job,
                "--prometheus-version",
                PROMETHEUS_VERSION,
            ]),
        PROCESS_DEADLINE,
    );
    let targets = expected.len();
    let differences = match (ours.code(), parse_targets(&ours.stdout)) {
        (0, Ok(actual)) => compare_outcomes(&expected, &actual, !job.relabels),
        (code, parsed) => vec![format!(
            "prom-preflight targets exited {code}{}; stderr: {}",
            parsed.err().map(|e| format!(" ({e})")).unwrap_or_default(),
            ours.stderr.trim()
        )],
    };
    SdComparison {
        name,
        targets,
        differences,
    }
}

fn corpus_problem(name: String, problem: &str) -> SdComparison {
    SdComparison {
        name,
        targets: 0,
        differences: vec![format!("broken case: {problem}")],
    }
}

/// Reads the JSON array printed by `promtool check service-discovery` or `prom-preflight targets`.
fn parse_targets(stdout: &str) -> Result<Vec<Outcome>, String> {
    let value: Value =
        serde_json::from_str(stdout).map_err(|e| format!("output is not JSON: {e}"))?;
    let entries = value.as_array().ok_or("output is not a JSON array")?;
    entries
        .iter()
        .map(|entry| {
            let entry = entry.as_object().ok_or("an entry is not an object")?;
            if let Some(error) = entry.get("error") {
                return Ok(Outcome::Failed(error.as_str().map(str::to_string)));
            }
            let labels = entry
                .get("labels")
                .and_then(Value::as_object)
                .ok_or("an entry has no \"labels\" object")?;
            if labels.is_empty() {
                return Ok(Outcome::Dropped);
            }
            labels
                .iter()
                .map(|(name, value)| match value.as_str() {
                    Some(value) => Ok((name.clone(), value.to_string())),
                    None => Err(format!("label {name:?} is not a string")),
                })
                .collect::<Result<Labels, String>>()
                .map(Outcome::Kept)
        })
        .collect()
}

/// Compares the targets of one job, ignoring order. Kept targets are compared by their final
/// labels (with multiplicity when `exact`); dropped and failed targets can only be compared by
/// presence (with count for dropped targets when `exact`), because promtool prints neither their
/// final labels nor its error message.
fn compare_outcomes(expected: &[Outcome], actual: &[Outcome], exact: bool) -> Vec<String> {
    let (kept_p, dropped_p, failed_p) = tally(expected);
    let (kept_o, dropped_o, failed_o) = tally(actual);

    let mut differences = Vec::new();
    let all: BTreeSet<&Labels> = kept_p.keys().chain(kept_o.keys()).copied().collect();
    for labels in all {
        let (p, o) = (
            kept_p.get(labels).copied().unwrap_or(0),
            kept_o.get(labels).copied().unwrap_or(0),
        );
        let differs = if exact { p != o } else { (p > 0) != (o > 0) };
        if differs {
            differences.push(format!(
                "kept target listed {p}x by promtool, {o}x by prom-preflight: {}",
                render(labels)
            ));
        }
    }
    let dropped_differs = if exact {
        dropped_p != dropped_o
    } else {
        (dropped_p > 0) != (dropped_o > 0)
    };
    if dropped_differs {
        differences.push(format!(
            "dropped targets: promtool {dropped_p}, prom-preflight {dropped_o}"
        ));
    }
    if failed_p.is_empty() != failed_o.is_empty() {
        let ours: Vec<&str> = failed_o
            .iter()
            .map(|m| m.unwrap_or("(no message)"))
            .collect();
        differences.push(format!(
            "failed targets: promtool {}, prom-preflight {} {ours:?}",
            failed_p.len(),
            failed_o.len()
        ));
    }
    differences
}

/// Kept label sets with their counts, the number of dropped targets, and the failure messages.
type Tally<'a> = (BTreeMap<&'a Labels, usize>, usize, Vec<Option<&'a str>>);

fn tally(outcomes: &[Outcome]) -> Tally<'_> {
    let mut kept: BTreeMap<&Labels, usize> = BTreeMap::new();
    let mut dropped = 0;
    let mut failed = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Kept(labels) => *kept.entry(labels).or_default() += 1,
            Outcome::Dropped => dropped += 1,
            Outcome::Failed(message) => failed.push(message.as_deref()),
        }
    }
    (kept, dropped, failed)
}

fn render(labels: &Labels) -> String {
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect();
    format!("{{{}}}", pairs.join(", "))
}

// ---------------------------------------------------------------------------------------------
// Config verdicts
// ---------------------------------------------------------------------------------------------

struct ConfigComparison {
    name: String,
    difference: Option<String>,
}

#[test]
fn config_verdicts_match_promtool() {
    let Some(promtool) = support::oracle(
        "promtool",
        "config accept/reject verdicts (tests/conformance/config)",
    ) else {
        return;
    };
    let root = conformance_dir().join("config");
    let mut cases: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("failed to read {}: {e}", root.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yml"))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= MIN_CONFIG_CASES,
        "expected at least {MIN_CONFIG_CASES} configs in {}, found {}",
        root.display(),
        cases.len()
    );

    let comparisons =
        support::parallel_map(cases, THREADS, move |case| compare_config(&promtool, &case));

    let mut valid = 0;
    let mut mismatches = 0;
    for comparison in &comparisons {
        match &comparison.difference {
            None => valid += 1,
            Some(difference) => {
                mismatches += 1;
                eprintln!("MISMATCH {}\n{difference}", comparison.name);
            }
        }
    }
    eprintln!(
        "config verdict conformance against promtool {PROMETHEUS_VERSION}: {} configs compared, \
         {valid} agree, {mismatches} mismatches",
        comparisons.len()
    );
    assert_eq!(
        mismatches, 0,
        "prom-preflight check disagrees with promtool; see the list above"
    );
}

fn compare_config(promtool: &Path, case: &Path) -> ConfigComparison {
    let name = format!(
        "config/{}",
        case.file_name().expect("file name").to_string_lossy()
    );
    let dir = case.parent().expect("corpus folder");
    let oracle = support::run(
        Command::new(promtool)
            .current_dir(dir)
            .args(["check", "config"])
            .arg(case),
        PROCESS_DEADLINE,
    );
    let promtool_valid = match oracle.code() {
        0 => true,
        1 => false,
        code => {
            return ConfigComparison {
                name,
                difference: Some(format!(
                    "    broken case: promtool check config exited {code}: {}",
                    oracle.stderr.trim()
                )),
            }
        }
    };
    let promtool_says = promtool_message(&oracle.stdout, &oracle.stderr);

    let ours = support::run(
        Command::new(support::preflight_bin())
            .current_dir(dir)
            .arg("check")
            .arg(case)
            .args([
                "--offline",
                "--format",
                "json",
                "--prometheus-version",
                PROMETHEUS_VERSION,
            ]),
        PROCESS_DEADLINE,
    );
    let report = match serde_json::from_str::<Value>(&ours.stdout) {
        Ok(report) if matches!(ours.code(), 0 | 1) => report,
        parsed => {
            return ConfigComparison {
                name,
                difference: Some(format!(
                    "    promtool: {promtool_says}\n    prom-preflight check exited {} without a \
                     report{}; stderr: {}",
                    ours.code(),
                    parsed.err().map(|e| format!(" ({e})")).unwrap_or_default(),
                    ours.stderr.trim()
                )),
            }
        }
    };

    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    let errors = findings.iter().filter(|f| f["severity"] == "error").count();
    let mut problems = Vec::new();
    match report["summary"]["config_valid"].as_bool() {
        Some(ours_valid) if ours_valid != promtool_valid => problems.push(format!(
            "verdict: promtool {}, prom-preflight {}",
            verdict(promtool_valid),
            verdict(ours_valid)
        )),
        Some(_) => {}
        None => problems.push("report has no boolean summary.config_valid".to_string()),
    }
    // Prometheus refuses to start on an invalid config; a gate that exits 0 on it lets it through.
    if !promtool_valid && errors == 0 {
        problems.push("promtool rejects the file but the report has no error finding".to_string());
    }
    let expected_code = i32::from(errors > 0);
    if ours.code() != expected_code {
        problems.push(format!(
            "exit code {} with {errors} error findings (expected {expected_code})",
            ours.code()
        ));
    }
    if problems.is_empty() {
        return ConfigComparison {
            name,
            difference: None,
        };
    }
    let mut text = String::new();
    for problem in problems {
        text.push_str(&format!("    {problem}\n"));
    }
    text.push_str(&format!("    promtool: {promtool_says}\n"));
    text.push_str("    prom-preflight findings:");
    if findings.is_empty() {
        text.push_str(" none");
    }
    for finding in &findings {
        text.push_str(&format!(
            "\n      {} {} line {}: {}",
            finding["severity"].as_str().unwrap_or("?"),
            finding["check"].as_str().unwrap_or("?"),
            finding["location"]["line"],
            finding["message"].as_str().unwrap_or("?")
        ));
    }
    ConfigComparison {
        name,
        difference: Some(text),
    }
}

fn verdict(valid: bool) -> &'static str {
    if valid {
        "valid"
    } else {
        "invalid"
    }
}

/// promtool's own words: the `FAILED:` message with its continuation lines, or its success line.
fn promtool_message(stdout: &str, stderr: &str) -> String {
    for stream in [stderr, stdout] {
        let mut lines = stream.lines();
        if let Some(first) = lines.by_ref().find(|l| l.contains("FAILED:")) {
            let mut message = first.trim().to_string();
            for line in lines.take_while(|l| !l.trim().is_empty()) {
                message.push_str(" | ");
                message.push_str(line.trim());
            }
            return message;
        }
    }
    stdout
        .lines()
        .chain(stderr.lines())
        .filter(|l| l.contains("SUCCESS") || l.contains("WARNING"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" | ")
}

#[cfg(test)]
mod harness {
    //! The comparison itself must be right, or the conformance verdicts mean nothing.

    use super::*;

    fn kept(pairs: &[(&str, &str)]) -> Outcome {
        Outcome::Kept(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn promtool_shapes_are_read() {
        let out = r#"[
  {"discoveredLabels": {"__address__": "a"}, "labels": {"__address__": "a:80", "job": "j"}},
  {"discoveredLabels": {"__address__": "b"}, "labels": {}},
  {"discoveredLabels": {}, "labels": {}, "error": {}},
  {"discoveredLabels": {"__address__": ""}, "labels": {}, "error": "no address"}
]"#;
        let parsed = parse_targets(out).expect("valid output");
        assert!(matches!(&parsed[0], Outcome::Kept(l) if l["__address__"] == "a:80"));
        assert!(matches!(parsed[1], Outcome::Dropped));
        assert!(matches!(parsed[2], Outcome::Failed(None)));
        assert!(matches!(&parsed[3], Outcome::Failed(Some(m)) if m == "no address"));
        assert!(parse_targets("").is_err());
        assert!(parse_targets(r#"{"labels": {}}"#).is_err());
    }

    #[test]
    fn equal_results_in_another_order_agree() {
        let a = [kept(&[("x", "1")]), Outcome::Dropped, kept(&[("x", "2")])];
        let b = [kept(&[("x", "2")]), kept(&[("x", "1")]), Outcome::Dropped];
        assert!(compare_outcomes(&a, &b, true).is_empty());
    }

    #[test]
    fn a_differing_label_is_reported_on_both_sides() {
        let a = [kept(&[("x", "1")])];
        let b = [kept(&[("x", "1"), ("y", "")])];
        assert_eq!(compare_outcomes(&a, &b, false).len(), 2);
    }

    #[test]
    fn multiplicity_counts_only_in_exact_mode() {
        let a = [kept(&[("x", "1")])];
        let b = [kept(&[("x", "1")]), kept(&[("x", "1")])];
        assert_eq!(compare_outcomes(&a, &b, true).len(), 1);
        assert!(compare_outcomes(&a, &b, false).is_empty());
    }

    #[test]
    fn dropped_and_failed_targets_must_match_in_presence() {
        let a = [Outcome::Dropped];
        let b = [Outcome::Failed(Some("no address".into()))];
        assert_eq!(compare_outcomes(&a, &b, false).len(), 2);
        let one_failure = [Outcome::Failed(None)];
        let two_failures = [
            Outcome::Failed(Some("a".into())),
            Outcome::Failed(Some("b".into())),
        ];
        assert!(compare_outcomes(&one_failure, &two_failures, true).is_empty());
    }

    #[test]
    fn jobs_and_their_relabeling_are_found() {
        let text = "scrape_configs:\n  - job_name: 'a'\n    relabel_configs:\n      - action: drop\n  - job_name: b\n    metric_relabel_configs: []\n";
        assert_eq!(
            declared_jobs(text),
            vec![("a".to_string(), true), ("b".to_string(), false)]
        );
    }

    #[test]
    fn promtool_failure_message_is_extracted() {
        let stderr = "  FAILED: parsing YAML file f: yaml: unmarshal errors:\n  line 3: field x not found\n\n";
        assert_eq!(
            promtool_message("Checking f\n", stderr),
            "FAILED: parsing YAML file f: yaml: unmarshal errors: | line 3: field x not found"
        );
    }
}
