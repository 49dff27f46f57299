//! Exit codes: 0 below `--fail-on`, 1 at or above it, 2 when no report can be made.

use crate::support::{check_json, data, run};

#[test]
fn a_clean_config_exits_zero() {
    let (code, report) = check_json(&data("clean/prometheus.yml"), &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["config_valid"], true);
    assert_eq!(report["schema_version"], 1);
}

#[test]
fn warnings_fail_only_when_asked() {
    let config = data("warnings-only/prometheus.yml");
    let (code, report) = check_json(&config, &[]);
    assert!(
        report["summary"]["warnings"].as_u64().unwrap() > 0,
        "{report:#}"
    );
    assert_eq!(report["summary"]["errors"], 0, "{report:#}");
    assert_eq!(code, 0);
    assert_eq!(check_json(&config, &["--fail-on", "warning"]).0, 1);
    assert_eq!(check_json(&config, &["--fail-on", "info"]).0, 1);
    assert_eq!(check_json(&config, &["--fail-on", "never"]).0, 0);
}

#[test]
fn an_invalid_config_is_a_finding_with_exit_one() {
    let (code, report) = check_json(&data("unknown-field/prometheus.yml"), &[]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["config_valid"], false);
    assert_eq!(
        check_json(
            &data("unknown-field/prometheus.yml"),
            &["--fail-on", "never"]
        )
        .0,
        0
    );
}

#[test]
fn a_missing_file_is_a_tool_error() {
    let output = run(&["check", "does/not/exist.yml"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: failed to read does/not/exist.yml"),
        "{stderr}"
    );
}

#[test]
fn bad_usage_is_a_tool_error() {
    assert_eq!(run(&["check"]).status.code(), Some(2));
    assert_eq!(
        run(&["check", "x.yml", "--prometheus-version", "1.8"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&["explain", "no/such-check"]).status.code(), Some(2));
}
