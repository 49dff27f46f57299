//! User check settings: custom checks from templates, disables and severity overrides.

use std::path::Path;

use crate::support::{check_json, data};

fn example_settings() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs/examples/prom-preflight.yml")
        .display()
        .to_string()
}

fn findings_of<'r>(report: &'r serde_json::Value, check: &str) -> Vec<&'r serde_json::Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

#[test]
fn three_custom_checks_change_the_report() {
    let config = data("custom-checks/prometheus.yml");
    let (_, without) = check_json(&config, &[]);
    let settings = example_settings();
    let (code, with) = check_json(&config, &["--checks-config", &settings]);

    for id in [
        "policy/cluster-label",
        "policy/no-insecure-skip-verify",
        "policy/body-size-limit",
    ] {
        assert!(
            findings_of(&without, id).is_empty(),
            "{id} only exists with the settings"
        );
    }
    let cluster = findings_of(&with, "policy/cluster-label");
    assert_eq!(cluster.len(), 1, "{with:#}");
    assert_eq!(cluster[0]["job"], "product-kubelet");
    let insecure = findings_of(&with, "policy/no-insecure-skip-verify");
    assert_eq!(insecure.len(), 1);
    assert_eq!(
        insecure[0]["location"]["line"], 12,
        "points at insecure_skip_verify"
    );
    let limit = findings_of(&with, "policy/body-size-limit");
    assert_eq!(limit.len(), 1);
    assert_eq!(
        limit[0]["job"], "product-kubelet",
        "stage-nodes has a limit"
    );
    assert_eq!(limit[0]["severity"], "warning");
    assert_eq!(code, 1, "the custom errors fail the gate");
}

#[test]
fn severity_overrides_and_disables_apply() {
    let config = data("custom-checks/prometheus.yml");
    let (_, without) = check_json(&config, &[]);
    let slash = findings_of(&without, "config/metrics-path-no-slash");
    assert_eq!(slash.len(), 1);
    assert_eq!(slash[0]["severity"], "warning");

    let settings = example_settings();
    let (_, with) = check_json(&config, &["--checks-config", &settings]);
    assert_eq!(
        findings_of(&with, "config/metrics-path-no-slash")[0]["severity"],
        "error"
    );
}

#[test]
fn a_settings_file_next_to_the_config_is_picked_up() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::copy(data("custom-checks/prometheus.yml"), &config).unwrap();
    std::fs::write(
        dir.path().join("prom-preflight.yml"),
        "disable: [config/metrics-path-no-slash]\n",
    )
    .unwrap();
    let (_, report) = check_json(&config, &[]);
    assert!(
        findings_of(&report, "config/metrics-path-no-slash").is_empty(),
        "{report:#}"
    );
}

#[test]
fn a_broken_settings_file_is_a_located_tool_error() {
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("settings.yml");
    std::fs::write(&settings, "custom:\n  - id: policy/x\n    template: required-label\n    params: {lable: cluster}\n    summary: S.\n    remediation: R.\n    severity: error\n").unwrap();
    let config = data("clean/prometheus.yml");
    let output = crate::support::run(&[
        "check",
        config.to_str().unwrap(),
        "--checks-config",
        settings.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("settings.yml:2") && stderr.contains("`label`"),
        "{stderr}"
    );
}
