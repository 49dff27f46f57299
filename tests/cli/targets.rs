//! `targets`: the promtool-shaped JSON, job selection, and the relabel trace.

use crate::support::{data, run};

fn targets(args: &[&str]) -> serde_json::Value {
    let output = run(args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("targets prints JSON")
}

#[test]
fn one_job_prints_one_array_in_promtool_shape() {
    let config = data("clean/prometheus.yml");
    let value = targets(&["targets", config.to_str().unwrap(), "--job", "node"]);
    let array = value.as_array().expect("an array");
    assert_eq!(array.len(), 2);
    let labels = &array[0]["labels"];
    assert_eq!(labels["__address__"], "10.0.0.1:9100");
    assert_eq!(labels["instance"], "10.0.0.1:9100");
    assert_eq!(labels["job"], "node");
    assert_eq!(labels["__scrape_interval__"], "15s");
    assert_eq!(labels["__scrape_timeout__"], "10s");
    assert_eq!(array[0]["discoveredLabels"]["__address__"], "10.0.0.1:9100");
}

#[test]
fn all_jobs_print_an_object_keyed_by_job() {
    let config = data("clean/prometheus.yml");
    let value = targets(&["targets", config.to_str().unwrap()]);
    let object = value.as_object().expect("an object");
    assert!(
        object.contains_key("node") && object.contains_key("blackbox"),
        "{value:#}"
    );
}

#[test]
fn explain_shows_what_each_rule_did() {
    let config = data("clean/prometheus.yml");
    let value = targets(&[
        "targets",
        config.to_str().unwrap(),
        "--job",
        "blackbox",
        "--explain",
    ]);
    let trace = value[0]["relabelTrace"].as_array().expect("a trace");
    assert_eq!(trace.len(), 3);
    assert_eq!(trace[0]["action"], "replace");
    assert_eq!(trace[0]["matched"], true);
    assert_eq!(trace[0]["changes"][0]["set"], "__param_target");
}

#[test]
fn an_unknown_job_is_a_usage_error_listing_the_jobs() {
    let config = data("clean/prometheus.yml");
    let output = run(&["targets", config.to_str().unwrap(), "--job", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("node, blackbox"), "{stderr}");
}
