//! Baselines: a gate adopted on a config with known problems suppresses exactly those, survives
//! edits that move lines, and still fails on a new problem.

use std::path::Path;

use crate::support::{check_json, run};

fn seed() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed/prometheus.yml");
    std::fs::read_to_string(path).unwrap()
}

fn findings(report: &serde_json::Value) -> &Vec<serde_json::Value> {
    report["findings"].as_array().unwrap()
}

#[test]
fn a_baseline_suppresses_exactly_the_known_findings_and_a_new_problem_fails() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&config, seed()).unwrap();

    let (code, before) = check_json(&config, &[]);
    assert_eq!(code, 1, "the seed has errors");
    let known = findings(&before).len();
    assert!(known > 5);

    // Writing the baseline accepts everything reported now.
    let (code, written) = check_json(&config, &["--write-baseline", baseline.to_str().unwrap()]);
    assert_eq!(code, 0, "{written:#}");
    assert_eq!(written["summary"]["suppressed"], known);
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(file["baseline_version"], 1);
    let counted: u64 = file["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted as usize, known);
    assert!(
        !std::fs::read_to_string(&baseline)
            .unwrap()
            .contains("\"line\""),
        "no line numbers"
    );

    // Lines move (a comment on top) and a new problem appears in one job.
    let edited = format!(
        "# A comment that moves every line down.\n#\n{}",
        seed().replacen(
            "job_name: stage-cadvisor",
            "job_name: stage-cadvisor\n  scrape_intervall: 1m",
            1
        )
    );
    std::fs::write(&config, edited).unwrap();
    let (code, after) = check_json(&config, &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(code, 1, "the new problem fails the gate: {after:#}");
    let left = findings(&after);
    assert_eq!(left.len(), 1, "only the new finding is reported: {after:#}");
    assert_eq!(left[0]["check"], "config/unknown-field");
    assert_eq!(
        after["summary"]["suppressed"], known,
        "every known finding is suppressed"
    );

    // Without the new problem, the gate passes.
    let fixed = format!("# A comment that moves every line down.\n#\n{}", seed());
    std::fs::write(&config, fixed).unwrap();
    let (code, report) = check_json(&config, &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(findings(&report).len(), 0);
}

#[test]
fn the_human_summary_counts_the_suppressed_findings() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&config, seed()).unwrap();
    let output = run(&[
        "check",
        config.to_str().unwrap(),
        "--write-baseline",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("known (suppressed by the baseline)"),
        "{stdout}"
    );
}

#[test]
fn an_unreadable_baseline_is_a_tool_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, seed()).unwrap();
    let missing = dir.path().join("none.json");
    let output = run(&[
        "check",
        config.to_str().unwrap(),
        "--baseline",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"findings\": 3}").unwrap();
    let output = run(&[
        "check",
        config.to_str().unwrap(),
        "--baseline",
        broken.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: failed to parse baseline"),
        "{stderr}"
    );
}
