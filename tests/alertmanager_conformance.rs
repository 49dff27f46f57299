//! Conformance of alertmanager resolution with a real Prometheus 2.42: for every case in
//! `tests/conformance/alertmanagers/<case>/prometheus.yml`, Prometheus runs on loopback and its
//! `/api/v1/alertmanagers` (active and dropped URLs) is compared with
//! `prom-preflight targets --alertmanagers --offline --prometheus-version 2.42`, as multisets
//! (Prometheus lists entries in map order). Without `prometheus` on `PATH` (or in
//! `$PROMETHEUS`) the test prints `SKIPPED` and passes, unless `PREFLIGHT_REQUIRE_ORACLES=1`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::{crate_root, oracle, parallel_map, preflight_bin, run};
use testkit::wait_for;

/// Active and dropped URLs, sorted.
type Urls = (Vec<String>, Vec<String>);

fn urls(data: &Value) -> Urls {
    let list = |key: &str| {
        let mut urls: Vec<String> = data[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["url"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        urls.sort();
        urls
    };
    (list("activeAlertmanagers"), list("droppedAlertmanagers"))
}

/// What Prometheus lists once discovery has settled: two equal answers 1.5s apart.
fn prometheus_urls(bin: &Path, config: &Path) -> Urls {
    let prometheus = testkit::prometheus::start(bin, config, &[]);
    let read = || {
        prometheus
            .get("/api/v1/alertmanagers")
            .and_then(|b| serde_json::from_str::<Value>(&b).ok())
            .map(|v| urls(&v["data"]))
    };
    let mut last: Option<Urls> = None;
    wait_for(Duration::from_secs(30), || {
        let now = read()?;
        if now.0.is_empty() && now.1.is_empty() {
            return None;
        }
        if last.as_ref() == Some(&now) {
            return Some(now);
        }
        last = Some(now);
        std::thread::sleep(Duration::from_millis(1200));
        None
    })
    .unwrap_or_else(|| panic!("{}: prometheus listed no alertmanagers", config.display()))
}

fn our_urls(config: &Path) -> Urls {
    let out = run(
        Command::new(preflight_bin())
            .args(["targets", "--alertmanagers", "--offline"])
            .args(["--prometheus-version", "2.42"])
            .arg(config),
        Duration::from_secs(30),
    );
    assert_eq!(out.code(), 0, "{}: {}", config.display(), out.stderr);
    let value: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {}", config.display(), out.stdout));
    urls(&value)
}

fn cases() -> Vec<PathBuf> {
    let root = crate_root().join("tests/conformance/alertmanagers");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("alertmanager cases")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("prometheus.yml").is_file())
        .collect();
    cases.sort();
    cases
}

#[test]
fn alertmanager_urls_agree_with_prometheus_2_42() {
    let Some(bin) = oracle("prometheus", "alertmanager resolution") else {
        return;
    };
    let cases = cases();
    assert!(cases.len() >= 6, "the corpus lost cases");
    let results = parallel_map(cases, 2, move |case| {
        let config = case.join("prometheus.yml");
        let theirs = prometheus_urls(&bin, &config);
        let ours = our_urls(&config);
        (case, ours, theirs)
    });
    let (mut compared, mut mismatches) = (0, Vec::new());
    for (case, ours, theirs) in &results {
        compared += theirs.0.len() + theirs.1.len();
        if ours != theirs {
            mismatches.push(format!(
                "{}:\n  ours   active {:?} dropped {:?}\n  theirs active {:?} dropped {:?}",
                case.display(),
                ours.0,
                ours.1,
                theirs.0,
                theirs.1
            ));
        }
    }
    eprintln!(
        "alertmanager conformance against prometheus 2.42: {} configs, {compared} alertmanager URLs compared, {} mismatching configs",
        results.len(),
        mismatches.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
