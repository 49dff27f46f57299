//! `check` as a CI gate: several reports in one run, `--fail-on` and `--min-severity` on each
//! level, and the usage errors of `--format`.

use crate::support::{check_json, data, run};

/// A config whose worst finding is `error`, `warning`, `info`, or that has none.
fn config_with_worst(worst: &str) -> std::path::PathBuf {
    data(match worst {
        "error" => "unknown-field/prometheus.yml",
        "warning" => "warnings-only/prometheus.yml",
        "info" => "info-only/prometheus.yml",
        _ => "clean/prometheus.yml",
    })
}

#[test]
fn every_fail_on_level_against_every_worst_severity() {
    // (worst finding, --fail-on, expected exit code)
    let table = [
        ("error", "error", 1),
        ("error", "warning", 1),
        ("error", "info", 1),
        ("error", "never", 0),
        ("warning", "error", 0),
        ("warning", "warning", 1),
        ("warning", "info", 1),
        ("warning", "never", 0),
        ("info", "error", 0),
        ("info", "warning", 0),
        ("info", "info", 1),
        ("info", "never", 0),
        ("none", "error", 0),
        ("none", "warning", 0),
        ("none", "info", 0),
        ("none", "never", 0),
    ];
    for (worst, fail_on, expected) in table {
        let (code, report) = check_json(&config_with_worst(worst), &["--fail-on", fail_on]);
        assert_eq!(
            code, expected,
            "worst {worst}, --fail-on {fail_on}: {report:#}"
        );
    }
}

#[test]
fn findings_below_min_severity_are_neither_shown_nor_failing() {
    let config = config_with_worst("warning");
    let (code, report) = check_json(
        &config,
        &["--fail-on", "warning", "--min-severity", "error"],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    assert_eq!(report["summary"]["warnings"], 0);

    let config = config_with_worst("info");
    let (_, report) = check_json(&config, &["--min-severity", "warning"]);
    assert_eq!(report["summary"]["infos"], 0, "{report:#}");
    // The verdict on the config is over every finding, shown or not.
    let (_, report) = check_json(
        &config_with_worst("error"),
        &["--min-severity", "error", "--fail-on", "never"],
    );
    assert_eq!(report["summary"]["config_valid"], false);
}

#[test]
fn several_formats_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let config = data("unknown-field/prometheus.yml");
    let output = run(&[
        "check",
        config.to_str().unwrap(),
        "--format",
        &format!("json={}", path("report.json")),
        "--format",
        &format!("junit={}", path("report.xml")),
        "--format",
        &format!("sarif={}", path("report.sarif")),
        "--format",
        &format!("github={}", path("annotations.txt")),
        "--format",
        &format!("human={}", path("report.txt")),
        "--format",
        "github",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.starts_with("::error file="), "{stdout}");
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    assert_eq!(
        read("annotations.txt"),
        stdout,
        "the same annotations to a file and stdout"
    );
    let json: serde_json::Value = serde_json::from_str(&read("report.json")).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert!(read("report.xml").starts_with("<?xml"));
    let sarif: serde_json::Value = serde_json::from_str(&read("report.sarif")).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let human = read("report.txt");
    assert!(human.contains("error[config/unknown-field]"), "{human}");
    assert!(!human.contains('\u{1b}'), "no colour in a file");
}

#[test]
fn format_usage_errors_exit_two() {
    let config = data("clean/prometheus.yml");
    let config = config.to_str().unwrap();
    for args in [
        vec!["--format", "json", "--format", "github"],
        vec!["--format", "xml"],
        vec!["--format", "json="],
        vec!["--format", "json=a.json", "--format", "sarif=a.json"],
    ] {
        let mut all = vec!["check", config];
        all.extend_from_slice(&args);
        let output = run(&all);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?} says why");
    }
}

#[test]
fn an_unwritable_report_file_is_a_tool_error() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("missing-dir/report.sarif");
    let config = data("clean/prometheus.yml");
    let output = run(&[
        "check",
        config.to_str().unwrap(),
        "--format",
        &format!("sarif={}", target.display()),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: failed to write "), "{stderr}");
}
