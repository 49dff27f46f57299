//! Running the binary and reading its JSON report.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_prom-preflight"))
}

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub fn run(args: &[&str]) -> Output {
    binary()
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

/// Runs `check --offline --format json` (plus `extra`) and returns (exit code, report).
pub fn check_json(config: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let config = config.to_str().expect("test paths are UTF-8");
    let mut args = vec!["check", config, "--offline", "--format", "json"];
    args.extend_from_slice(extra);
    let output = run(&args);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "report is JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().expect("exited normally"), report)
}

/// `(check id, line)` of every finding.
pub fn checks_and_lines(report: &serde_json::Value) -> Vec<(String, u64)> {
    report["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .map(|f| {
            (
                f["check"].as_str().unwrap_or_default().to_string(),
                f["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

pub fn has(report: &serde_json::Value, check: &str, line: u64) -> bool {
    checks_and_lines(report)
        .iter()
        .any(|(c, l)| c == check && *l == line)
}
