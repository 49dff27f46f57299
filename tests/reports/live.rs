//! Every output format on the live seed scenario: the built-in demo's simulated clusters (the same
//! scenario `prom-preflight demo` starts), checked by the binary as a CI job would run it, with
//! all five `check` formats written in one run, and `doctor --verbose`.
//!
//! What changes from run to run is redacted into placeholders before the comparison: the
//! temporary directory (`[DIR]`), ephemeral ports (`[PORT]`), phase timings (`[DURATION]`),
//! dates and timestamps (`[DATE]`, `[TIME]`), and certificate validity. `UPDATE_GOLDEN=1 cargo
//! test --test reports` rewrites `tests/golden/seed-live.*`; read every changed line before
//! committing it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use prom_preflight::demo::Demo;
use quick_junit::{NonSuccessKind, TestCaseStatus};
use regex::Regex;
use serde_json::Value;

use crate::formats::assert_valid;
use crate::golden::check_golden;

/// The outputs of one live run, raw and redacted.
struct Outputs {
    dir: PathBuf,
    config_text: String,
    /// File name → raw text.
    raw: Vec<(&'static str, String)>,
    doctor: String,
    check_exit: Option<i32>,
    doctor_exit: Option<i32>,
}

impl Outputs {
    fn raw(&self, name: &str) -> &str {
        &self
            .raw
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no output {name}"))
            .1
    }
}

const FORMATS: [(&str, &str); 5] = [
    ("human", "report.txt"),
    ("json", "report.json"),
    ("junit", "report.junit.xml"),
    ("sarif", "report.sarif"),
    ("github", "report.github.txt"),
];

/// Starts the seed once for all tests of this file, runs `check` (every format) and `doctor`
/// against it, and stops it.
fn outputs() -> &'static Outputs {
    static OUTPUTS: OnceLock<Outputs> = OnceLock::new();
    OUTPUTS.get_or_init(|| {
        let demo = Demo::start().expect("the seed scenario starts");
        let dir = demo
            .config
            .parent()
            .expect("the config is in the scenario's directory")
            .to_path_buf();
        let out = tempfile::tempdir().expect("a temporary directory");
        let mut check = Command::new(env!("CARGO_BIN_EXE_prom-preflight"));
        // As in CI: run from the directory holding prometheus.yml, so SARIF and GitHub name it
        // relative to the checkout.
        check
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .args(["check", "prometheus.yml"]);
        for (format, file) in FORMATS {
            check
                .arg("--format")
                .arg(format!("{format}={}", out.path().join(file).display()));
        }
        let check = check.output().expect("the binary runs");
        let doctor = Command::new(env!("CARGO_BIN_EXE_prom-preflight"))
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .args(["doctor", "--verbose", "prometheus.yml"])
            .output()
            .expect("the binary runs");
        assert!(
            check.stderr.is_empty() && doctor.stderr.is_empty(),
            "no progress line or error when stderr is not a terminal:\n{}{}",
            String::from_utf8_lossy(&check.stderr),
            String::from_utf8_lossy(&doctor.stderr)
        );
        let raw = FORMATS
            .iter()
            .map(|(_, file)| {
                let text = std::fs::read_to_string(out.path().join(file))
                    .unwrap_or_else(|_| panic!("{file} was written"));
                (*file, text)
            })
            .collect();
        let config_text = std::fs::read_to_string(&demo.config).expect("the config is readable");
        let outputs = Outputs {
            dir: dir.clone(),
            config_text,
            raw,
            doctor: String::from_utf8(doctor.stdout).expect("UTF-8"),
            check_exit: check.status.code(),
            doctor_exit: doctor.status.code(),
        };
        drop(demo);
        outputs
    })
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid pattern")
}

/// Replaces what varies between runs in text output.
fn redact_text(text: &str, dir: &Path) -> String {
    let text = text.replace(&dir.display().to_string(), "[DIR]");
    // Ephemeral ports (the simulated API servers, kubelets and exporters).
    let text = re(r":[0-9]{4,5}\b").replace_all(&text, ":[PORT]");
    // The CA's name carries its creation time, as k3s names it.
    let text = re(r"@[0-9]{9,}").replace_all(&text, "@[TIME]");
    let text = re(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
        .replace_all(&text, "[DATE]");
    // Measured phases (`0.097s`, `726ms`); a configured timeout (`of 10s`) stays.
    let text = re(r"\b([0-9]+\.[0-9]+s|[0-9]+ms)\b").replace_all(&text, "[DURATION]");
    // Whether a probe found an idle connection of its job depends on timing (see `as_if_fresh`);
    // every probe of this fixture goes to an IP address over https.
    text.replace(
        "phases: reused connection,",
        "phases: dns -, connect [DURATION], tls [DURATION],",
    )
    .replace(
        "  reused connection, first byte",
        "  connect [DURATION], tls [DURATION], first byte",
    )
}

/// Keys whose values are instants or durations in the JSON report.
const VARYING: [&str; 8] = [
    "probed_at",
    "not_before",
    "not_after",
    "issued_at",
    "expires_at",
    "latency",
    "duration",
    "checked_at",
];

/// A probe goes on an idle connection of its job when an earlier probe to the same host has
/// finished, which depends on timing; the golden shows every fetch as if it opened its own.
fn as_if_fresh(fetch: &mut serde_json::Map<String, Value>) {
    let https = fetch
        .get("url")
        .and_then(Value::as_str)
        .is_some_and(|url| url.starts_with("https:"));
    let Some(Value::Object(phases)) = fetch.get_mut("phases") else {
        return;
    };
    if phases.remove("connection_reused") == Some(Value::Bool(true)) {
        phases.insert("connect".into(), Value::from(0.0));
        if https {
            phases.insert("tls".into(), Value::from(0.0));
        }
    }
}

fn redact_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            as_if_fresh(map);
            for (key, v) in map.iter_mut() {
                if key == "phases" {
                    if let Value::Object(phases) = v {
                        for phase in phases.values_mut().filter(|p| p.is_number()) {
                            *phase = Value::from("[DURATION]");
                        }
                    }
                } else if VARYING.contains(&key.as_str()) && !v.is_null() {
                    *v = Value::from("[REDACTED]");
                } else if key.contains("port") && v.as_str().is_some_and(is_port) {
                    // Discovered labels such as `__meta_kubernetes_pod_container_port_number`.
                    *v = Value::from("[PORT]");
                } else if key == "preflightIdentity/v1" {
                    // The identity includes the target's URL, port included; its stability is
                    // tested on the fixed report.
                    *v = Value::from("[FINGERPRINT]");
                } else {
                    redact_json(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

fn is_port(text: &str) -> bool {
    text.len() >= 4 && text.bytes().all(|b| b.is_ascii_digit())
}

fn redacted(name: &str) -> String {
    let o = outputs();
    let raw = if name == "doctor.txt" {
        o.doctor.as_str()
    } else {
        o.raw(name)
    };
    if name.ends_with(".json") || name.ends_with(".sarif") {
        let mut value: Value = serde_json::from_str(raw).expect("valid JSON");
        redact_json(&mut value);
        let text = serde_json::to_string_pretty(&value).expect("serializes") + "\n";
        return redact_text(&text, &o.dir);
    }
    redact_text(raw, &o.dir)
}

fn golden(name: &str) {
    check_golden(&format!("seed-live.{name}"), &redacted(name));
}

#[test]
fn live_exit_codes() {
    let o = outputs();
    assert_eq!(o.check_exit, Some(1), "the seed has an error finding");
    assert_eq!(o.doctor_exit, Some(1));
}

#[test]
fn live_human() {
    golden("report.txt");
}

#[test]
fn live_json() {
    golden("report.json");
}

#[test]
fn live_junit() {
    golden("report.junit.xml");
}

#[test]
fn live_sarif() {
    golden("report.sarif");
}

#[test]
fn live_github() {
    golden("report.github.txt");
}

#[test]
fn live_doctor() {
    golden("doctor.txt");
}

#[test]
fn redaction_leaves_no_port_path_or_timing() {
    let o = outputs();
    for name in FORMATS.iter().map(|(_, f)| *f).chain(["doctor.txt"]) {
        let text = redacted(name);
        assert!(!text.contains(&o.dir.display().to_string()), "{name}");
        assert!(!re(r"127\.0\.0\.[0-9]+:[0-9]").is_match(&text), "{name}");
        assert!(!re(r"\b[0-9]+ms\b").is_match(&text), "{name}");
        assert!(!text.contains("eyJ"), "{name}: no token");
    }
}

#[test]
fn live_json_report_is_valid_and_lines_up_with_the_probes() {
    let report: Value = serde_json::from_str(outputs().raw("report.json")).unwrap();
    assert_valid("schemas/report-v1.json", &report);
    assert_eq!(report["mode"], "live");
    let probes = report["targets"].as_array().unwrap();
    let clusters = report["clusters"].as_array().unwrap();
    let names: Vec<&Value> = clusters.iter().map(|c| &c["cluster"]).collect();
    assert_eq!(names, ["product", "stage"]);
    let mut referenced = std::collections::BTreeSet::new();
    for cluster in clusters {
        for job in cluster["jobs"].as_array().unwrap() {
            let mut up = 0;
            let mut down = 0;
            for target in job["targets"].as_array().unwrap() {
                if target["state"] != "active" {
                    continue;
                }
                let index = target["probe"]
                    .as_u64()
                    .expect("every active target was probed");
                let probe = &probes[index as usize];
                referenced.insert(index);
                assert_eq!(probe["scrape_url"], target["scrape_url"]);
                assert_eq!(probe["health"], target["health"]);
                assert_eq!(probe["job"], job["job"]);
                assert_eq!(probe["cluster"], cluster["cluster"]);
                assert_eq!(target["labels"]["job"], job["job"]);
                assert_eq!(target["labels"]["instance"], probe["instance"]);
                match target["health"].as_str().unwrap() {
                    "up" => up += 1,
                    _ => {
                        down += 1;
                        assert_eq!(probe["error"], target["error"]);
                    }
                }
            }
            assert_eq!(job["counts"]["up"], up);
            assert_eq!(job["counts"]["down"], down);
        }
    }
    let scrapes = probes.iter().filter(|p| p.get("kind").is_none()).count();
    assert_eq!(referenced.len(), scrapes, "every scrape probe has a target");
    // The static `apiservers` job reaches both clusters with one token: down in one.
    let apiservers = |name: &str| {
        clusters.iter().find(|c| c["cluster"] == name).unwrap()["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["job"] == "apiservers")
            .unwrap()["counts"]
            .clone()
    };
    assert_eq!(apiservers("product")["down"], 1);
    assert_eq!(apiservers("stage")["up"], 1);
}

#[test]
fn live_sarif_is_valid_against_the_official_schema() {
    let sarif: Value = serde_json::from_str(outputs().raw("report.sarif")).unwrap();
    assert_valid("tests/data/schemas/sarif-schema-2.1.0.json", &sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        assert_eq!(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "prometheus.yml"
        );
    }
}

#[test]
fn live_junit_parses_back() {
    let xml = outputs().raw("report.junit.xml");
    let parsed = quick_junit::Report::deserialize_from_str(xml).expect("JUnit XML parses back");
    let suites: Vec<&str> = parsed.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert!(suites.contains(&"apiservers"), "{suites:?}");
    assert!(suites.contains(&"stage-kubelet"), "{suites:?}");
    let failures: Vec<(String, String)> = parsed
        .test_suites
        .iter()
        .flat_map(|s| {
            s.test_cases.iter().filter_map(move |c| match &c.status {
                TestCaseStatus::NonSuccess {
                    kind: NonSuccessKind::Failure,
                    ..
                } => Some((s.name.to_string(), c.name.to_string())),
                _ => None,
            })
        })
        .collect();
    assert!(
        failures
            .iter()
            .any(|(s, c)| s == "apiservers" && c.starts_with("auth/unauthorized ")),
        "{failures:?}"
    );
    assert_eq!(parsed.failures, failures.len());
}

/// The text a check's annotation must point at in the rendered prometheus.yml.
fn expected_at(check: &str) -> &'static str {
    match check {
        "tls/insecure-skip-verify" => "insecure_skip_verify: true",
        "relabel/never-matches" => {
            "source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_port]"
        }
        // The job as a whole: the token is the job's (or its SD entry's), not one line.
        "auth/unauthorized" => "job_name: apiservers",
        other => panic!("no expectation for {other}; add one"),
    }
}

#[test]
fn live_github_annotations_point_at_the_rendered_config() {
    let o = outputs();
    let config: Vec<&str> = o.config_text.lines().collect();
    let pattern = re(
        r"^::(error|warning|notice) file=prometheus\.yml,line=([0-9]+),col=([0-9]+),title=([a-z/-]+)::",
    );
    let text = o.raw("report.github.txt");
    assert!(!text.is_empty());
    for line in text.lines() {
        let c = pattern
            .captures(line)
            .unwrap_or_else(|| panic!("not an annotation on prometheus.yml: {line}"));
        let number: usize = c[2].parse().unwrap();
        let column: usize = c[3].parse().unwrap();
        let source = config
            .get(number - 1)
            .unwrap_or_else(|| panic!("line {number} is past the end: {line}"));
        assert!(
            source[column - 1..].contains(expected_at(&c[4]))
                || source[column - 1..]
                    .trim_start_matches("- ")
                    .starts_with(expected_at(&c[4])),
            "{line}\npoints at line {number}: {source:?}"
        );
    }
}

/// `doctor` on a scenario with one refused RBAC rule: the manifest, and the `kubectl` commands
/// that confirm the refusal and apply the fix.
fn doctor_on(name: &str) -> String {
    let mut scenario = kubesim::Scenario::named(name).expect("scenario loads");
    if scenario.prometheus_configs.is_empty() {
        scenario
            .prometheus_configs
            .push(kubesim::scenario::ConfigTemplate {
                output: "prometheus.yml".into(),
                text: Some(include_str!("../../fixtures/scenarios/lab.prometheus.yml.tmpl").into()),
                file: None,
            });
    }
    let staged = kubesim::Staged::start(scenario).expect("scenario starts");
    let config = staged.ready.configs.first().expect("a rendered config");
    let report = prom_preflight::check_live(
        config,
        prom_preflight::version::PrometheusVersion::DEFAULT,
        &prom_preflight::probe::ProbeOptions::default(),
        &Default::default(),
    )
    .expect("live check runs");
    colored::control::set_override(false);
    prom_preflight::report::doctor::render(&report, false)
}

#[test]
fn doctor_says_how_to_confirm_and_grant_a_refused_scrape() {
    let text = doctor_on("rbac-missing-nodes-metrics");
    assert_eq!(
        text.matches("error[rbac/forbidden]").count(),
        1,
        "one root cause:\n{text}"
    );
    assert!(text.contains("kind: ClusterRole"), "{text}");
    assert!(
        text.contains("     kubectl auth can-i get nodes --subresource=metrics --all-namespaces --as=system:serviceaccount:monitoring:prometheus\n"),
        "{text}"
    );
    assert_eq!(text.matches("kubectl auth can-i").count(), 1, "{text}");
    assert!(text.contains("kubectl apply -f rbac.yaml"), "{text}");
}

#[test]
fn doctor_says_how_to_confirm_and_grant_a_refused_discovery() {
    let text = doctor_on("rbac-missing-endpoints-list");
    assert!(text.contains("error[sd/forbidden]"), "{text}");
    assert!(
        text.contains("\n-        apiserver                       0     0\n"),
        "the job whose discovery was refused has a row:\n{text}"
    );
    if std::env::var_os("SHOW_DOCTOR").is_some() {
        eprintln!("{text}");
    }
    for verb in ["list", "watch"] {
        assert!(
            text.contains(&format!(
                "kubectl auth can-i {verb} endpoints --namespace=default --as=system:serviceaccount:monitoring:prometheus\n"
            )),
            "{text}"
        );
    }
}
