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

/// Custom checks on payload facts, against live exporters: "payload under N bytes for jobs
/// matching R" and "family X must be present in job Y's payload", each firing where it should
/// and staying quiet elsewhere.
#[test]
fn custom_payload_checks_fire_and_stay_quiet() {
    let staged = kubesim::Staged::named("payload-faults").expect("the scenario starts");
    let exporter = |pod: &str| {
        staged.sim.clusters[0]
            .exporters
            .iter()
            .find(|(name, _)| name == pod)
            .map(|(_, addr)| addr.to_string())
            .expect("the scenario has the pod")
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "scrape_configs:\n  - job_name: samples-app\n    scrape_timeout: 5s\n    static_configs: [{{targets: ['{}']}}]\n  - job_name: labels-app\n    scrape_timeout: 5s\n    static_configs: [{{targets: ['{}']}}]\n",
            exporter("monitoring/many-samples"),
            exporter("monitoring/many-labels"),
        ),
    )
    .unwrap();
    let settings = dir.path().join("settings.yml");
    std::fs::write(
        &settings,
        r#"custom:
  - id: policy/samples-payload-small
    template: payload-size
    params: {bytes: 64B, jobs: "samples-.*"}
    severity: warning
    summary: Payloads of the samples jobs stay under 64 bytes.
    remediation: Expose less.
  - id: policy/samples-payload-under-1kib
    template: payload-size
    params: {bytes: 1KiB, jobs: "samples-.*"}
    severity: warning
    summary: Payloads of the samples jobs stay under 1 KiB.
    remediation: Expose less.
  - id: policy/up-family
    template: payload-family
    params: {family: up, jobs: ".*-app"}
    severity: error
    summary: Every app exposes `up`.
    remediation: Add the family to the exporter.
  - id: policy/wide-family-in-labels-app
    template: payload-family
    params: {family: wide, jobs: "labels-app"}
    severity: error
    summary: The labels app exposes `wide`.
    remediation: Add the family to the exporter.
"#,
    )
    .unwrap();
    let report = live_report(&config, &settings);
    drop(staged);

    let small = findings_of(&report, "policy/samples-payload-small");
    assert_eq!(small.len(), 1, "{report:#}");
    assert_eq!(small[0]["job"], "samples-app", "labels-app does not match");
    let message = small[0]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "the payload is 96 bytes uncompressed (10 samples, 10 series), over 64 bytes"
        ),
        "{message}"
    );
    assert!(findings_of(&report, "policy/samples-payload-under-1kib").is_empty());

    let up = findings_of(&report, "policy/up-family");
    assert_eq!(up.len(), 1, "{report:#}");
    assert_eq!(up[0]["job"], "samples-app", "labels-app exposes up");
    assert!(up[0]["message"]
        .as_str()
        .unwrap()
        .contains("the payload has no `up` family"));
    assert!(findings_of(&report, "policy/wide-family-in-labels-app").is_empty());

    let payload = &report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["job"] == "samples-app")
        .expect("the target is in the report")["payload"];
    assert_eq!(payload["samples"], 10);
    assert_eq!(payload["top_families"][0]["name"], "a");
    assert_eq!(payload["verdict"]["health"], "up");
}

#[test]
fn custom_latency_and_token_checks_fire_and_stay_quiet() {
    // The node exporter answers after 400 ms; the token the job sends is a bound one, valid for
    // a year.
    let mut scenario = kubesim::Scenario::named("payload-slow-first-byte").expect("scenario");
    for daemon_set in &mut scenario.clusters[0].daemon_sets {
        if let Some(exporter) = &mut daemon_set.exporter {
            exporter.first_byte_delay_ms = Some(400);
        }
    }
    let staged = kubesim::Staged::start(scenario).expect("the scenario starts");
    let cluster = &staged.sim.clusters[0];
    let exporter = cluster
        .exporters
        .iter()
        .find(|(name, _)| name.contains("node-exporter"))
        .map(|(_, addr)| addr.to_string())
        .expect("the scenario has a node exporter");
    let token = &staged.ready.clusters[0].tokens["monitoring/prometheus"];
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "scrape_configs:\n  - job_name: slow-app\n    scrape_timeout: 5s\n    authorization: {{credentials_file: {}}}\n    static_configs: [{{targets: ['{exporter}']}}]\n",
            token.display()
        ),
    )
    .unwrap();
    let settings = dir.path().join("settings.yml");
    std::fs::write(
        &settings,
        r#"custom:
  - id: policy/latency-200ms
    template: probe-latency
    params: {seconds: 200ms, jobs: "slow-.*"}
    severity: warning
    summary: Scrapes of the slow jobs finish within 200 ms.
    remediation: Make the exporter answer faster.
  - id: policy/latency-4s
    template: probe-latency
    params: {seconds: 4s}
    severity: warning
    summary: Every scrape finishes within 4 s.
    remediation: Make the exporter answer faster.
  - id: policy/token-400-days
    template: token-validity
    params: {days: "400"}
    severity: error
    summary: Tokens stay valid for 400 more days.
    remediation: Use a longer-lived token.
  - id: policy/token-30-days
    template: token-validity
    params: {days: "30", jobs: "slow-app"}
    severity: error
    summary: Tokens stay valid for 30 more days.
    remediation: Renew the token.
"#,
    )
    .unwrap();
    let report = live_report(&config, &settings);
    drop(staged);

    let slow = findings_of(&report, "policy/latency-200ms");
    assert_eq!(slow.len(), 1, "{report:#}");
    let message = slow[0]["message"].as_str().unwrap();
    assert!(
        message.contains("over the 0.200s this policy allows"),
        "{message}"
    );
    assert!(findings_of(&report, "policy/latency-4s").is_empty());

    let token = findings_of(&report, "policy/token-400-days");
    assert_eq!(token.len(), 1, "{report:#}");
    let message = token[0]["message"].as_str().unwrap();
    assert!(
        message.contains("(for system:serviceaccount:monitoring:prometheus) expires in 36"),
        "{message}"
    );
    assert!(findings_of(&report, "policy/token-30-days").is_empty());
}

/// The JSON report of a live `check` of `config` with the custom checks of `settings`.
fn live_report(config: &Path, settings: &Path) -> serde_json::Value {
    let output = crate::support::run(&[
        "check",
        config.to_str().unwrap(),
        "--format",
        "json",
        "--checks-config",
        settings.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "report is JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}
