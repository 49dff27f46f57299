//! One golden file per kubesim scenario: the findings a live `check` produces on it, and no
//! others. The seed scenario is checked with its own prometheus.yml; every single-cluster
//! problem scenario with `fixtures/scenarios/lab.prometheus.yml.tmpl`, an ordinary setup, so
//! each golden shows what that scenario's one problem does to it.
//!
//! Addresses keep their loopback IP (each component has its own) but lose the ephemeral port;
//! temporary paths, dates and durations are replaced by placeholders. `scrape/slow` is left out:
//! a loaded machine can make any scrape slow.
//!
//! Re-bless with `UPDATE_GOLDEN=1 cargo test --test scenarios`, then read every changed line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kubesim::scenario::ConfigTemplate;
use kubesim::{Scenario, Staged};
use prom_preflight::probe::{Health, ProbeOptions};
use prom_preflight::report::Report;
use prom_preflight::version::PrometheusVersion;
use regex::Regex;
use testkit::text;

const LAB_TEMPLATE: &str = include_str!("../fixtures/scenarios/lab.prometheus.yml.tmpl");

/// Scenarios that are not one problem on one cluster: `fleet` is for benchmarks.
const NOT_GOLDEN: &[&str] = &["fleet"];

fn scenario_names() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/scenarios");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("scenario directory")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "yaml").then(|| path.file_stem()?.to_str().map(String::from))?
        })
        .filter(|name| !NOT_GOLDEN.contains(&name.as_str()))
        .collect();
    names.sort();
    names
}

/// Starts `name`, with the lab template when the scenario brings no prometheus.yml of its own.
fn stage(name: &str) -> Staged {
    let mut scenario = Scenario::named(name).expect("scenario loads");
    if scenario.prometheus_configs.is_empty() {
        scenario.prometheus_configs.push(ConfigTemplate {
            output: "prometheus.yml".into(),
            text: Some(LAB_TEMPLATE.into()),
            file: None,
        });
    }
    Staged::start(scenario).expect("scenario starts")
}

fn run(staged: &Staged, version: PrometheusVersion) -> Report {
    let config = staged.ready.configs.first().expect("a rendered config");
    prom_preflight::check_live(
        config,
        version,
        &ProbeOptions::default(),
        &Default::default(),
    )
    .expect("live check runs")
}

/// One block per finding, sorted, with everything that changes between runs replaced.
fn render(report: &Report, staged: &Staged) -> String {
    let redactions = Redactions::new(staged.dir.path());
    let mut blocks: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.check != "scrape/slow")
        .map(|f| {
            let line = f.location.as_ref().map(|l| l.line).unwrap_or(0);
            let mut block = format!(
                "{} {} job={} target={} line={}\n  {}\n",
                f.severity,
                f.check,
                f.job.as_deref().unwrap_or("-"),
                f.target.as_deref().unwrap_or("-"),
                line,
                f.message
            );
            if let Some(remediation) = &f.remediation {
                for remediation_line in remediation.lines() {
                    block.push_str(&format!("  | {remediation_line}\n"));
                }
            }
            redactions.apply(&block)
        })
        .collect();
    blocks.sort();
    let mut text = format!("# {} finding(s)\n", blocks.len());
    for block in blocks {
        text.push_str(&block);
    }
    text
}

struct Redactions {
    dir: String,
    patterns: Vec<(Regex, &'static str)>,
}

impl Redactions {
    fn new(dir: &Path) -> Redactions {
        let pattern = |re: &str| Regex::new(re).expect("redaction pattern");
        Redactions {
            dir: dir.display().to_string(),
            patterns: vec![
                (pattern(r"(127\.\d+\.\d+\.\d+):\d+"), "$1:<port>"),
                // A service's port in a proxy path is the bound one under ephemeral ports.
                (
                    pattern(r"(/services/[a-z0-9-]+):\d+/proxy"),
                    "$1:<port>/proxy",
                ),
                (
                    pattern(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?"),
                    "<time>",
                ),
                (pattern(r"@\d{9,}"), "@<epoch>"),
                (pattern(r"\b\d+(\.\d+)?(ms|s)\b"), "<duration>"),
                (pattern(r"\bin \d+ days?\b"), "in <n> days"),
            ],
        }
    }

    fn apply(&self, text: &str) -> String {
        let mut out = text.replace(&self.dir, "<dir>");
        for (pattern, replacement) in &self.patterns {
            out = pattern.replace_all(&out, *replacement).into_owned();
        }
        out
    }
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/scenarios")
        .join(format!("{name}.txt"))
}

#[test]
fn every_scenario_yields_exactly_its_golden_findings() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut differing = Vec::new();
    for name in scenario_names() {
        let staged = stage(&name);
        let report = run(&staged, PrometheusVersion::DEFAULT);
        assert_eq!(report.mode, "live", "{name}");
        let got = render(&report, &staged);
        drop(staged);
        let path = golden_path(&name);
        if update {
            std::fs::write(&path, &got).expect("golden written");
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if got != want {
            eprintln!(
                "--- {name}: expected {}\n{want}\n--- got\n{got}",
                path.display()
            );
            differing.push(name);
        }
    }
    assert!(
        differing.is_empty(),
        "findings differ from the golden files for {differing:?}; if the change is intended, \
         re-bless with UPDATE_GOLDEN=1 and read every changed line"
    );
}

#[test]
fn every_golden_file_belongs_to_a_scenario() {
    let names = scenario_names();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/scenarios");
    for entry in std::fs::read_dir(dir).expect("golden directory") {
        let path = entry.expect("entry").path();
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        assert!(
            names.iter().any(|n| n == stem),
            "{} has no scenario",
            path.display()
        );
    }
}

/// What a real scraper says of one target after its first scrape: `(health, lastError)`.
type Verdicts = BTreeMap<(String, String), (String, String)>;

/// Runs vmagent (Debian's Prometheus is built without Kubernetes discovery) on the scenario's
/// config until every active target has been scraped once, and returns its verdicts keyed by
/// (job, scrape URL).
fn vmagent_verdicts(vmagent: &Path, config: &Path) -> Option<Verdicts> {
    // Prometheus sets no body limit unless the job does; vmagent's default is 16 MiB.
    let running = testkit::vmagent::start(vmagent, config, &["-promscrape.maxScrapeSize=1GiB"]);
    let mut last_count = usize::MAX;
    // First scrapes land within one interval (15 s) of discovery; slow ones take their timeout.
    testkit::wait_for(Duration::from_secs(60), || {
        let active = running.active_targets()?;
        let scraped = active
            .iter()
            .all(|t| t["lastScrape"] != "1970-01-01T00:00:00Z");
        let stable = active.len() == last_count;
        last_count = active.len();
        if !(scraped && stable) {
            return None;
        }
        Some(
            active
                .iter()
                .map(|t| {
                    (
                        (text(&t["labels"]["job"]), text(&t["scrapeUrl"])),
                        (text(&t["health"]), text(&t["lastError"])),
                    )
                })
                .collect(),
        )
    })
}

/// The kind of failure an error names, in Prometheus's wording (ours) or vmagent's.
fn failure_class(error: &str) -> String {
    if error.is_empty() {
        return "none".into();
    }
    let status = Regex::new(r"(?:HTTP status |: )([1-5]\d\d)(?:[ ;]|$)").expect("pattern");
    if let Some(code) = status.captures(error) {
        return format!("http {}", &code[1]);
    }
    let classes = [
        ("timeout", &["deadline exceeded", "timeout"][..]),
        ("tls", &["x509", "tls:", "certificate"][..]),
        (
            "body size",
            &["body size limit", "max_scrape_size", "maxScrapeSize"][..],
        ),
        ("refused", &["connection refused"][..]),
        ("truncated", &["EOF", "connection reset"][..]),
    ];
    classes
        .iter()
        .find(|(_, needles)| needles.iter().any(|n| error.contains(n)))
        .map_or_else(|| format!("other: {error}"), |(class, _)| class.to_string())
}

/// Our verdicts against vmagent's, per scenario: the same targets, the same up/down, and the
/// same kind of failure.
fn compare(name: &str, ours: &Report, theirs: &Verdicts) -> Result<usize, String> {
    let mut our_keys = BTreeMap::new();
    let mut parse_failures = Vec::new();
    for t in &ours.targets {
        let health = match t.health {
            Health::Up => "up",
            Health::Down => "down",
        };
        let key = (t.job.clone(), t.scrape_url.clone());
        if is_parse_failure(t) {
            parse_failures.push(key.clone());
        }
        our_keys.insert(
            key,
            (health.to_string(), t.error.clone().unwrap_or_default()),
        );
    }
    let ours_only: Vec<_> = our_keys
        .keys()
        .filter(|k| !theirs.contains_key(*k))
        .collect();
    let theirs_only: Vec<_> = theirs
        .keys()
        .filter(|k| !our_keys.contains_key(*k))
        .collect();
    if !ours_only.is_empty() || !theirs_only.is_empty() {
        return Err(format!(
            "{name}: targets differ; only ours {ours_only:?}, only vmagent's {theirs_only:?}"
        ));
    }
    let mut agreed = 0;
    for (key, (health, error)) in &our_keys {
        let (their_health, their_error) = &theirs[key];
        // vmagent skips lines it cannot parse and keeps the target up; Prometheus fails the
        // scrape (tests/probe.rs compares those verdicts with Prometheus 2.42 itself).
        if parse_failures.contains(key) && their_health == "up" {
            eprintln!(
                "{name} {key:?}: known vmagent difference, unparseable payload: ours {error:?}"
            );
            continue;
        }
        if health != their_health || failure_class(error) != failure_class(their_error) {
            return Err(format!(
                "{name} {key:?}: ours {health} {error:?}, vmagent {their_health} {their_error:?}"
            ));
        }
        agreed += 1;
    }
    Ok(agreed)
}

fn is_parse_failure(t: &prom_preflight::probe::ProbeFacts) -> bool {
    t.payload.as_ref().is_some_and(|p| {
        matches!(
            p.summary.verdict.failure,
            Some(prom_preflight::exposition::Failure::Parse { .. })
        )
    })
}

#[test]
fn verdicts_agree_with_vmagent_on_every_scenario() {
    let Some(vmagent) = testkit::oracle("vmagent", "scrape verdicts (health, lastError)") else {
        return;
    };
    let results = testkit::parallel_map(scenario_names(), 3, move |name| {
        let staged = stage(&name);
        let config = staged
            .ready
            .configs
            .first()
            .expect("a rendered config")
            .clone();
        let theirs = vmagent_verdicts(&vmagent, &config)
            .ok_or_else(|| format!("{name}: vmagent did not scrape every target in time"))?;
        let ours = run(&staged, PrometheusVersion::V2_42);
        compare(&name, &ours, &theirs).map(|agreed| (name, agreed))
    });
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok((name, agreed)) => {
                eprintln!("{name}: {agreed} target verdict(s) agree with vmagent")
            }
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
