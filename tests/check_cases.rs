//! Per-check cases: `tests/checks/<area>/<name>.yaml` holds, for the check with that id, configs on
//! which it must fire (at a given line) and configs on which it must stay silent. Each case runs
//! the whole offline pipeline in a scratch directory, so files the case names really exist.
//!
//! A case with `scenario: NAME` starts `fixtures/scenarios/NAME.yaml` in kubesim (ephemeral ports
//! on loopback), fills the config's placeholders (`{{CLUSTER.api_server}}`, `{{CLUSTER.ca_file}}`,
//! `{{CLUSTER.token_file:NS/SA}}`, …) and runs a live check: discovery from the clusters, then
//! probes of every target. A case with `network: true` resolves discovery over the network without
//! a scenario (and probes nothing).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use prom_preflight::config::yaml::{self, Node, Value};
use prom_preflight::version::PrometheusVersion;

struct Case {
    name: String,
    fire_lines: Option<Vec<u64>>,
    version: PrometheusVersion,
    config: String,
    files: Vec<(String, String)>,
    scenario: Option<String>,
    /// Texts that must appear in the check's findings (message, evidence or remediation).
    contains: Vec<String>,
    network: bool,
}

fn scalar<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    let Value::Mapping(entries) = &node.value else {
        return None;
    };
    entries
        .iter()
        .find(|(k, _)| k.as_scalar() == Some(key))
        .map(|(_, v)| v)
}

fn read_cases(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap();
    let file: Arc<Path> = Arc::from(path);
    let root = yaml::parse(&text, &file)
        .unwrap_or_else(|e| panic!("{}: {}", e.location, e.message))
        .expect("a document");
    let Some(Value::Sequence(items)) = scalar(&root, "cases").map(|n| &n.value) else {
        panic!("{}: `cases:` list expected", path.display())
    };
    items
        .iter()
        .map(|item| {
            let text_of = |key: &str| {
                scalar(item, key)
                    .and_then(Node::as_scalar)
                    .map(str::to_string)
            };
            let expect = text_of("expect")
                .unwrap_or_else(|| panic!("{}: case without `expect`", path.display()));
            let fire_lines = match expect.as_str() {
                "clean" => None,
                "fire" => Some(match scalar(item, "lines").map(|n| &n.value) {
                    Some(Value::Sequence(lines)) => lines
                        .iter()
                        .map(|l| l.as_scalar().unwrap().parse().unwrap())
                        .collect(),
                    _ => Vec::new(),
                }),
                other => panic!(
                    "{}: expect must be fire or clean, not {other}",
                    path.display()
                ),
            };
            let files = match scalar(item, "files").map(|n| &n.value) {
                Some(Value::Mapping(entries)) => entries
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_scalar().unwrap().to_string(),
                            v.as_scalar().unwrap().to_string(),
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            };
            Case {
                name: text_of("name").expect("every case has a name"),
                fire_lines,
                version: text_of("prometheus_version")
                    .map(|v| v.parse().unwrap())
                    .unwrap_or(PrometheusVersion::DEFAULT),
                config: text_of("config").expect("every case has a config"),
                files,
                scenario: text_of("scenario"),
                contains: match scalar(item, "contains").map(|n| &n.value) {
                    Some(Value::Sequence(items)) => items
                        .iter()
                        .map(|t| t.as_scalar().unwrap().to_string())
                        .collect(),
                    _ => Vec::new(),
                },
                network: text_of("network").is_some_and(|v| v == "true"),
            }
        })
        .collect()
}

fn case_files() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/checks");
    let mut found = Vec::new();
    for area in std::fs::read_dir(&root).unwrap().flatten() {
        for file in std::fs::read_dir(area.path()).unwrap().flatten() {
            let path = file.path();
            let id = format!(
                "{}/{}",
                area.file_name().to_string_lossy(),
                path.file_stem().unwrap().to_string_lossy()
            );
            found.push((id, path));
        }
    }
    // `CHECK_CASES=scrape/` runs only the cases of ids starting with it.
    if let Ok(prefix) = std::env::var("CHECK_CASES") {
        found.retain(|(id, _)| id.starts_with(&prefix));
    }
    found.sort();
    found
}

fn run_case(id: &str, case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in &case.files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let mut text = case.config.clone();
    // Kept alive until the case has run; dropping it stops every listener.
    let mut sim = None;
    if let Some(name) = &case.scenario {
        let staged = kubesim::Staged::named(name).map_err(|e| format!("kubesim: {e}"))?;
        let files = staged.dir.path().canonicalize().unwrap();
        text = kubesim::output::render_template(&text, &staged.sim.clusters, &files)?;
        sim = Some(staged);
    }
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, &text).unwrap();
    let reach = match (&case.scenario, case.network) {
        (Some(_), _) => prom_preflight::Reach::Live(prom_preflight::probe::ProbeOptions::default()),
        (None, true) => prom_preflight::Reach::Discovery,
        (None, false) => prom_preflight::Reach::Offline,
    };
    let map = Default::default();
    let report =
        prom_preflight::run_checks(&config, case.version, &Default::default(), &map, &reach)
            .map_err(|e| format!("tool error: {e}"))?;
    drop(sim);
    let lines: Vec<u64> = report
        .findings
        .iter()
        .filter(|f| f.check == id)
        .map(|f| f.location.as_ref().map_or(0, |l| l.line as u64))
        .collect();
    let all: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            format!(
                "{} line {}: {}",
                f.check,
                f.location.as_ref().map_or(0, |l| l.line),
                f.message
            )
        })
        .collect();
    let texts: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.check == id)
        .map(|f| {
            format!(
                "{}\n{}\n{}",
                f.message,
                f.evidence.as_deref().unwrap_or(""),
                f.remediation.as_deref().unwrap_or("")
            )
        })
        .collect();
    for wanted in &case.contains {
        if !texts.iter().any(|t| t.contains(wanted.as_str())) {
            return Err(format!(
                "expected a {id} finding containing {wanted:?}; {id} findings: {texts:#?}; all: {all:#?}"
            ));
        }
    }
    match &case.fire_lines {
        None if lines.is_empty() => Ok(()),
        None => Err(format!(
            "expected no {id} finding, got lines {lines:?}; all findings: {all:#?}"
        )),
        Some(expected) if lines.is_empty() => Err(format!(
            "expected {id} to fire (lines {expected:?}); all findings: {all:#?}"
        )),
        Some(expected) if !expected.is_empty() && &lines != expected => Err(format!(
            "expected {id} at lines {expected:?}, got {lines:?}; all: {all:#?}"
        )),
        Some(_) => Ok(()),
    }
}

#[test]
fn every_check_case_behaves_as_declared() {
    let mut failures = Vec::new();
    let mut count = 0;
    for (id, path) in case_files() {
        for case in read_cases(&path) {
            count += 1;
            if let Err(message) = run_case(&id, &case) {
                failures.push(format!("{id} @ {}: {message}", case.name));
            }
        }
    }
    assert!(count > 0, "no cases found");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
