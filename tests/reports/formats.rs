//! Each machine format read back by what its consumers use: the official SARIF 2.1.0 schema, the
//! report's own JSON schema, a JUnit parser, and GitHub's workflow-command syntax.

use std::path::Path;

use prom_preflight::report::{github, json, junit, sarif};
use quick_junit::{NonSuccessKind, TestCaseStatus};
use serde_json::Value;

use crate::fixture;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Validates `instance` against the JSON schema in `schema_path` (relative to the crate), with
/// format assertions on; panics listing every violation.
pub fn assert_valid(schema_path: &str, instance: &Value) {
    let text = std::fs::read_to_string(root().join(schema_path)).expect("the schema is committed");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "invalid against {schema_path}:\n{}",
        errors.join("\n")
    );
}

const SARIF_SCHEMA: &str = "tests/data/schemas/sarif-schema-2.1.0.json";

fn sarif_of(report: &prom_preflight::report::Report) -> Value {
    serde_json::from_str(&sarif::render(report, Some(root()))).expect("SARIF is JSON")
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    assert_valid(SARIF_SCHEMA, &sarif_of(&fixture::report()));
    assert_valid(SARIF_SCHEMA, &sarif_of(&fixture::clean_report()));
}

#[test]
fn the_schema_validator_rejects_broken_sarif() {
    // Proves the validation above can fail: a result with a misspelt level.
    let mut log = sarif_of(&fixture::report());
    log["runs"][0]["results"][0]["level"] = Value::from("fatal");
    let text = std::fs::read_to_string(root().join(SARIF_SCHEMA)).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    assert!(!jsonschema::is_valid(&schema, &log));
}

#[test]
fn sarif_rules_results_and_fingerprints() {
    let log = sarif_of(&fixture::report());
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "rules are sorted by id");
    for rule in rules {
        assert!(rule["shortDescription"]["text"]
            .as_str()
            .unwrap()
            .ends_with('.'));
        assert!(rule["help"]["text"].as_str().unwrap().contains("Fix: "));
        let id = rule["id"].as_str().unwrap();
        assert!(rule["helpUri"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/docs/checks/{id}.md")));
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], result["ruleId"],
            "ruleIndex points at the rule"
        );
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], fixture::CONFIG);
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        let fingerprint = result["partialFingerprints"]["preflightIdentity/v1"]
            .as_str()
            .unwrap();
        assert_eq!(fingerprint.len(), 32);
    }
    // The fingerprint ignores where the finding is: moving it keeps the identity.
    let mut moved = fixture::report();
    for finding in &mut moved.findings {
        if let Some(location) = &mut finding.location {
            location.line += 7;
        }
    }
    let moved = sarif_of(&moved);
    for (a, b) in results
        .iter()
        .zip(moved["runs"][0]["results"].as_array().unwrap())
    {
        assert_eq!(a["partialFingerprints"], b["partialFingerprints"]);
        assert_ne!(a["locations"], b["locations"]);
    }
    let clean = sarif_of(&fixture::clean_report());
    assert_eq!(
        clean["runs"][0]["results"],
        Value::Array(Vec::new()),
        "always a results array"
    );
}

#[test]
fn json_report_is_valid_against_its_schema() {
    let report: Value = serde_json::from_str(&json::render(&fixture::report())).unwrap();
    assert_valid("schemas/report-v1.json", &report);
    assert_eq!(report["summary"]["suppressed"], 0);
}

#[test]
fn junit_parses_back_with_a_suite_per_job() {
    let xml = junit::render(&fixture::report());
    let parsed = quick_junit::Report::deserialize_from_str(&xml).expect("JUnit XML parses back");
    let suites: Vec<&str> = parsed.test_suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(suites, ["(config)", "kubelet", "node-exporter", "blackbox"]);
    let suite = |name: &str| {
        parsed
            .test_suites
            .iter()
            .find(|s| s.name.as_str() == name)
            .unwrap()
    };
    let status = |suite_name: &str, case: &str| {
        &suite(suite_name)
            .test_cases
            .iter()
            .find(|c| c.name.as_str() == case)
            .unwrap_or_else(|| panic!("{suite_name} has a case {case}"))
            .status
    };
    let failed = |s: &TestCaseStatus| {
        matches!(
            s,
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Failure,
                ..
            }
        )
    };
    assert!(failed(status("(config)", "config/unknown-field")));
    assert!(matches!(
        status("(config)", "config/file-missing"),
        TestCaseStatus::Success { .. }
    ));
    assert!(failed(status("kubelet", "config/file-missing")));
    assert!(failed(status("kubelet", "relabel/never-matches")));
    assert!(matches!(
        status("kubelet", "targets/invalid"),
        TestCaseStatus::Success { .. }
    ));
    assert!(matches!(
        status("kubelet", "scrape/example-live-check"),
        TestCaseStatus::Skipped { .. }
    ));
    // A finding about a target fails that target's case; the job's case for the check is gone.
    assert!(failed(status(
        "node-exporter",
        "targets/invalid 10.0.0.8:9100,10.0.0.9:9100"
    )));
    assert!(suite("node-exporter")
        .test_cases
        .iter()
        .all(|c| c.name.as_str() != "targets/invalid"));
    // A job with no finding passes every offline check.
    let blackbox = suite("blackbox");
    assert_eq!(blackbox.failures, 0);
    assert_eq!(
        blackbox.tests, 5,
        "targets/invalid is disabled for blackbox"
    );
    assert!(blackbox
        .test_cases
        .iter()
        .all(|c| c.name.as_str() != "targets/invalid"));
    assert_eq!(parsed.failures, 5);
    if let TestCaseStatus::NonSuccess { ty, message, .. } = status("kubelet", "config/file-missing")
    {
        assert_eq!(ty.as_ref().map(|t| t.as_str()), Some("error"));
        assert!(message
            .as_ref()
            .unwrap()
            .as_str()
            .contains("does not exist"));
    }
}

#[test]
fn github_annotations_line_by_line() {
    let text = github::render(&fixture::report(), Some(root()));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "one line per finding: {text}");
    let expected_prefixes = [
        "::error file=tests/data/reports/prometheus.yml,line=4,col=3,title=config/unknown-field::",
        "::notice file=tests/data/reports/prometheus.yml,line=9,col=9,title=sd/not-resolved-offline::",
        "::error file=tests/data/reports/prometheus.yml,line=10,col=24,title=config/file-missing::",
        "::warning file=tests/data/reports/prometheus.yml,line=12,col=9,title=relabel/never-matches::",
        "::warning file=tests/data/reports/prometheus.yml,line=17,col=36,title=targets/invalid::",
    ];
    for (line, prefix) in lines.iter().zip(expected_prefixes) {
        assert!(
            line.starts_with(prefix),
            "{line}\ndoes not start with\n{prefix}"
        );
        let message = &line[prefix.len()..];
        assert!(!message.contains('\n') && !message.contains('\r'));
    }
    // `%` in a message is escaped, and the message's lines are joined with %0A.
    assert!(lines[3].contains("regex `5\\d%25`"), "{}", lines[3]);
    assert!(lines[3].contains("%0Ajob kubelet%0Afix: "), "{}", lines[3]);
    // `,` and `:` in a property are escaped; in the message they are not.
    let mut report = fixture::report();
    report.findings.truncate(1);
    report.findings[0].location.as_mut().unwrap().file = Path::new("a,b:c.yml").into();
    let line = github::render(&report, None);
    assert!(
        line.starts_with("::error file=a%2Cb%3Ac.yml,line=4,col=3,"),
        "{line}"
    );
    assert!(
        line.contains("::field scrape_intervall not found"),
        "{line}"
    );
}

/// Runs the binary's `check` on the seed configuration with `args`, in the crate's directory.
fn check_seed(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_prom-preflight"))
        .current_dir(root())
        .args(["check", "fixtures/seed/prometheus.yml"])
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn real_reports_on_the_seed_are_valid_against_their_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let sarif = check_seed(&["--format", "sarif"]);
    assert_eq!(sarif.status.code(), Some(1));
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_valid(SARIF_SCHEMA, &sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() > 10);
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "fixtures/seed/prometheus.yml"
    );

    let json = check_seed(&["--format", "json"]);
    assert_valid(
        "schemas/report-v1.json",
        &serde_json::from_slice(&json.stdout).unwrap(),
    );

    let written = check_seed(&[
        "--format",
        "json",
        "--write-baseline",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(written.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&written.stdout).unwrap();
    assert_valid("schemas/report-v1.json", &report);
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_valid("schemas/baseline-v1.json", &file);
}

#[test]
fn hostile_text_keeps_every_format_well_formed() {
    let nasty = "a\u{0}b\u{1b}[31mred\u{1b}[0m\r\nnext line: 100%, \"quoted\" <tag> & ::error::";
    let mut report = fixture::report();
    for finding in &mut report.findings {
        finding.message = format!("{nasty} {}", finding.message);
        finding.job = finding.job.as_ref().map(|j| format!("{j}{nasty}"));
        finding.target = Some(nasty.to_string());
        finding.evidence = Some(nasty.to_string());
        finding.remediation = Some(nasty.to_string());
    }
    let xml = junit::render(&report);
    let parsed = quick_junit::Report::deserialize_from_str(&xml).expect("still parses");
    assert_eq!(parsed.failures, report.findings.len());
    assert_valid(SARIF_SCHEMA, &sarif_of(&report));
    let annotations = github::render(&report, Some(root()));
    assert_eq!(
        annotations.lines().count(),
        report.findings.len(),
        "{annotations}"
    );
    for line in annotations.lines() {
        let rest = line.strip_prefix("::").unwrap();
        let (_, message) = rest.split_once("::").unwrap();
        assert!(!message.contains('\r'), "{line}");
    }
    let json: Value = serde_json::from_str(&json::render(&report)).unwrap();
    assert_valid("schemas/report-v1.json", &json);
}
