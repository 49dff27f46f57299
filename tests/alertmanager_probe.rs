//! Alertmanagers are probed like scrape targets: `prom-preflight check` sends
//! `GET <path_prefix>/api/v2/status` through each entry's HTTP client config to a small
//! Alertmanager stand-in on loopback (it answers 200 to the right bearer token under `/am`, 401
//! to another token, 404 elsewhere), and every failure is a finding located at the entry.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::{preflight_bin, run};

const TOKEN: &str = "right-token-for-alertmanager";
const WRONG: &str = "SENTINEL-WRONG-TOKEN-3c2b1a";

/// Answers one request like Alertmanager would for its status endpoint.
fn answer(stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(&stream);
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    let path = first.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut authorized = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if line.to_ascii_lowercase().starts_with("authorization:") {
            authorized = line.trim_end().ends_with(&format!("Bearer {TOKEN}"));
        }
    }
    let (status, body) = match (path.as_str(), authorized) {
        ("/am/api/v2/status", true) => ("200 OK", r#"{"cluster":{"status":"ready"}}"#),
        ("/am/api/v2/status", false) => ("401 Unauthorized", "Unauthorized\n"),
        _ => ("404 Not Found", "404 page not found\n"),
    };
    let mut stream = &stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// Starts the stand-in on 127.0.0.1 and returns its address; it lives as long as the test.
fn alertmanager_stand_in() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local address").to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream));
        }
    });
    addr
}

fn config(dir: &std::path::Path, addr: &str) -> std::path::PathBuf {
    let path = dir.join("prometheus.yml");
    std::fs::write(
        &path,
        format!(
            "alerting:
  alertmanagers:
    - path_prefix: /am
      authorization: {{credentials: {TOKEN}}}
      static_configs: [{{targets: ['{addr}']}}]
    - path_prefix: /am
      authorization: {{credentials: {WRONG}}}
      static_configs: [{{targets: ['{addr}']}}]
    - static_configs: [{{targets: ['{addr}']}}]
    - timeout: 2s
      static_configs: [{{targets: ['127.0.0.1:1']}}]
    - static_configs: [{{targets: ['{addr}']}}]
      relabel_configs: [{{action: drop, source_labels: [__address__], regex: '.*'}}]
"
        ),
    )
    .expect("write config");
    path
}

#[test]
fn alertmanagers_are_probed_and_failures_are_located_at_their_entry() {
    let dir = tempfile::tempdir().expect("scratch directory");
    let addr = alertmanager_stand_in();
    let config = config(dir.path(), &addr);
    let out = run(
        Command::new(preflight_bin())
            .args(["check", "--format", "json"])
            .arg(&config),
        Duration::from_secs(60),
    );
    assert_eq!(out.code(), 1, "findings expected: {}", out.stderr);
    assert!(!out.stdout.contains(WRONG) && !out.stderr.contains(WRONG));
    let report: Value = serde_json::from_str(&out.stdout).expect("JSON report");

    // One probe per active alertmanager (the dropped one is not probed), marked as such.
    let targets = report["targets"].as_array().expect("targets");
    let probes: Vec<(&str, &str, &str)> = targets
        .iter()
        .map(|t| {
            assert_eq!(t["kind"], "alertmanager");
            (
                t["job"].as_str().unwrap_or(""),
                t["scrape_url"].as_str().unwrap_or(""),
                t["health"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let status = |prefix: &str| format!("http://{addr}{prefix}/api/v2/status");
    assert_eq!(
        probes,
        vec![
            ("alertmanager[0]", status("/am").as_str(), "up"),
            ("alertmanager[1]", status("/am").as_str(), "down"),
            ("alertmanager[2]", status("").as_str(), "down"),
            (
                "alertmanager[3]",
                "http://127.0.0.1:1/api/v2/status",
                "down"
            ),
        ]
    );
    assert_eq!(
        targets[0]["alerts_url"],
        format!("http://{addr}/am/api/v2/alerts")
    );

    // Each failure under its own check, at the entry's line.
    let mut findings: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["check"].as_str().unwrap_or("").to_string(),
                f["job"].as_str().unwrap_or("").to_string(),
                f["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    findings.sort();
    let expected: Vec<(String, String, u64)> = [
        ("alerting/unreachable", "alertmanager[3]", 10),
        ("auth/unauthorized", "alertmanager[1]", 6),
        ("scrape/http-status", "alertmanager[2]", 9),
    ]
    .iter()
    .map(|(c, j, l)| (c.to_string(), j.to_string(), *l))
    .collect();
    assert_eq!(findings, expected, "{}", out.stdout);
    for finding in report["findings"].as_array().expect("findings") {
        let message = finding["message"].as_str().unwrap_or("");
        assert!(
            message.starts_with("Prometheus cannot deliver alerts to http://"),
            "{message}"
        );
    }
}

#[test]
fn targets_lists_alertmanagers_in_prometheus_api_shape() {
    let dir = tempfile::tempdir().expect("scratch directory");
    let config = config(dir.path(), "127.0.0.1:9093");
    let out = run(
        Command::new(preflight_bin())
            .args(["targets", "--alertmanagers", "--offline"])
            .arg(&config),
        Duration::from_secs(30),
    );
    assert_eq!(out.code(), 0, "{}", out.stderr);
    let value: Value = serde_json::from_str(&out.stdout).expect("JSON");
    let urls = |key: &str| -> Vec<String> {
        value[key]
            .as_array()
            .expect("list")
            .iter()
            .map(|e| e["url"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(
        urls("activeAlertmanagers"),
        [
            "http://127.0.0.1:9093/am/api/v2/alerts",
            "http://127.0.0.1:9093/am/api/v2/alerts",
            "http://127.0.0.1:9093/api/v2/alerts",
            "http://127.0.0.1:1/api/v2/alerts",
        ]
    );
    assert_eq!(
        urls("droppedAlertmanagers"),
        ["http://127.0.0.1:9093/api/v2/alerts"]
    );
    assert_eq!(
        value["activeAlertmanagers"][1]["alertmanager"],
        "alertmanager[1]"
    );
    // Without the flag, the promtool-shaped job listing is unchanged (no jobs here).
    let jobs = run(
        Command::new(preflight_bin())
            .args(["targets", "--offline"])
            .arg(&config),
        Duration::from_secs(30),
    );
    assert_eq!(jobs.stdout.trim(), "{}");
}
