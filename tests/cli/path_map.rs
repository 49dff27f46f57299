//! `--path-map FROM=TO`: CI points the production token and CA paths at stand-ins.

use std::path::Path;

use crate::support::check_json;

const SA: &str = "/opt/prometheus/serviceaccount";

fn seed() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/seed/prometheus.yml")
}

fn mentions_sa(report: &serde_json::Value) -> usize {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["message"].as_str().unwrap().contains(SA))
        .count()
}

#[test]
fn mapped_service_account_files_make_the_seed_findings_disappear() {
    if Path::new(SA).exists() {
        eprintln!("SKIPPED: {SA} exists on this machine, so the seed has no findings about it");
        return;
    }
    let (_, unmapped) = check_json(&seed(), &[]);
    let missing = mentions_sa(&unmapped);
    assert_eq!(
        missing, 12,
        "every reference to the stage token and CA: {unmapped:#}"
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("stage")).unwrap();
    std::fs::write(dir.path().join("stage/token"), "not-a-real-token\n").unwrap();
    std::fs::write(dir.path().join("stage/ca.crt"), "not a real CA\n").unwrap();
    let rule = format!("{SA}={}", dir.path().display());
    let (_, mapped) = check_json(&seed(), &["--path-map", &rule]);
    assert_eq!(mentions_sa(&mapped), 0, "{mapped:#}");
    let dropped = unmapped["findings"].as_array().unwrap().len()
        - mapped["findings"].as_array().unwrap().len();
    assert_eq!(
        dropped, missing,
        "only the mapped files' findings went away"
    );
}

#[test]
fn a_mapped_file_that_is_missing_names_both_paths() {
    if Path::new(SA).exists() {
        eprintln!("SKIPPED: {SA} exists on this machine");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rule = format!("{SA}/stage={}", dir.path().display());
    let (_, report) = check_json(&seed(), &["--path-map", &rule]);
    let message = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .find(|m| m.contains("stage/token"))
        .expect("the token is still missing");
    let read_from = dir.path().join("token");
    assert!(
        message.contains(&format!(
            "(read from {:?})",
            read_from.display().to_string()
        )),
        "{message}"
    );
}

#[test]
fn a_rule_without_equals_is_a_usage_error() {
    let output = crate::support::run(&["check", "x.yml", "--path-map", "/opt/sa"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("FROM=TO"), "{stderr}");
}
