//! Hostile and broken input ends in a located finding or a clear error, never a panic.

use std::io::Write;

use crate::support::{check_json, data, has, run};

#[test]
fn broken_indentation_is_located_with_the_source_line() {
    let (code, report) = check_json(&data("bad-indentation/prometheus.yml"), &[]);
    assert_eq!(code, 1);
    assert!(has(&report, "config/yaml-syntax", 3), "{report:#}");
    let finding = &report["findings"][0];
    assert!(
        finding["remediation"]
            .as_str()
            .unwrap()
            .contains("scheme: https"),
        "shows the offending line: {finding:#}"
    );
}

#[test]
fn a_directory_is_a_tool_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("it is a directory"));
}

#[test]
fn binary_garbage_is_a_tool_error_not_a_panic() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    file.write_all(&garbage).unwrap();
    let output = run(&["check", file.path().to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("not UTF-8"));
}

#[test]
fn text_that_is_not_yaml_is_a_located_finding() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(b"scrape_configs:\n  - job_name: [unclosed\n")
        .unwrap();
    let (code, report) = check_json(file.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(report["findings"][0]["check"], "config/yaml-syntax");
    assert!(report["findings"][0]["location"]["line"].as_u64().unwrap() >= 2);
}

#[test]
fn a_fifty_megabyte_config_is_read_in_bounded_time_and_memory() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let value = "x".repeat(50 * 1024 * 1024);
    write!(file, "scrape_configs:\n  - job_name: big\n    static_configs:\n      - targets: [a:1]\n        labels:\n          huge: \"{value}\"\n").unwrap();
    let (code, report) = check_json(file.path(), &[]);
    assert_eq!(
        code, 0,
        "a large but valid config is fine: {}",
        report["findings"]
    );
}

#[test]
fn an_invalid_regex_is_located_at_its_rule() {
    let (code, report) = check_json(&data("invalid-regex/prometheus.yml"), &[]);
    assert_eq!(code, 1);
    assert!(has(&report, "config/invalid-relabel-rule", 8), "{report:#}");
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("error parsing regexp"), "{message}");
}

#[test]
fn a_duration_without_unit_is_located() {
    let (code, report) = check_json(&data("duration-without-unit/prometheus.yml"), &[]);
    assert_eq!(code, 1);
    assert!(has(&report, "config/invalid-value", 3), "{report:#}");
    assert_eq!(
        report["findings"][0]["message"],
        "not a valid duration string: \"5\""
    );
}

#[test]
fn an_unknown_relabel_action_is_located() {
    let (code, report) = check_json(&data("unknown-relabel-action/prometheus.yml"), &[]);
    assert_eq!(code, 1);
    assert!(has(&report, "config/invalid-relabel-rule", 7), "{report:#}");
    assert_eq!(
        report["findings"][0]["message"],
        "unknown relabel action \"rewrite\""
    );
}

#[test]
fn an_alias_bomb_is_refused() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 0..9 {
        let prev = if level == 0 {
            "a".to_string()
        } else {
            format!("l{}", level - 1)
        };
        text.push_str(&format!(
            "l{level}: &l{level} [{}]\n",
            vec![format!("*{prev}"); 10].join(", ")
        ));
    }
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    let (code, report) = check_json(file.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(report["findings"][0]["check"], "config/yaml-syntax");
}
