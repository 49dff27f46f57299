//! Expected findings for the seed fixtures (`fixtures/seed/`, scrape configs from a real blog post).
//!
//! Each test runs `prom-preflight check <fixture> --offline --format json` with the default
//! Prometheus version (3.x, which has `kubernetes_sd_configs`) and asserts the exact set of
//! `(check id, line)` pairs in the report, plus the `config_valid` verdict. The expectations are
//! what a careful reviewer would raise, each justified where it is written down. Lines are found
//! by the text they hold, so a fixture's header comment can change without touching this file.
//!
//! Conventions the expectations follow:
//! - a YAML syntax error is the only finding of a file: nothing after it can be known;
//! - a missing secret, CA, certificate or key file is one `config/file-missing` finding per place
//!   it is referenced (each place must be fixed or removed), located at that key. Whether a file
//!   is missing is decided on the machine running the test, not assumed;
//! - `sd/not-resolved-offline` is one info finding per SD config entry, located at the entry's
//!   first line (`- api_server: ...`);
//! - a relabel finding is located at the first line of its rule (`- ...`), and a rule gets the
//!   most specific finding only (a rule reading labels the job cannot produce also never matches,
//!   but `relabel/unknown-source-label` says why).

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

/// The job-level and SD-level secret files of the post's API-server jobs.
const STAGE_TOKEN: &str = "/opt/prometheus/serviceaccount/stage/token";
const STAGE_CA: &str = "/opt/prometheus/serviceaccount/stage/ca.crt";
/// The in-pod service-account token the 1.1 jobs read; present only when run inside a pod.
const POD_TOKEN: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/// A seed fixture and the findings expected in its report.
struct Fixture {
    name: &'static str,
    path: PathBuf,
    text: String,
    expected: BTreeSet<(String, usize)>,
}

impl Fixture {
    fn new(name: &'static str) -> Self {
        let path = support::crate_root().join("fixtures/seed").join(name);
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("failed to read {}: {e}", path.display()));
        Fixture {
            name,
            path,
            text,
            expected: BTreeSet::new(),
        }
    }

    /// Line numbers (1-based) of every line containing `needle`; panics when there is none, so
    /// an expectation can never silently point at nothing.
    fn lines(&self, needle: &str) -> Vec<usize> {
        let found: Vec<usize> = self
            .text
            .lines()
            .enumerate()
            .filter(|(_, line)| line.contains(needle) && !line.trim_start().starts_with('#'))
            .map(|(index, _)| index + 1)
            .collect();
        assert!(
            !found.is_empty(),
            "{}: no line contains {needle:?}",
            self.name
        );
        found
    }

    /// The line of the `nth` (1-based) line containing `needle`.
    fn line(&self, needle: &str, nth: usize) -> usize {
        let found = self.lines(needle);
        *found.get(nth - 1).unwrap_or_else(|| {
            panic!(
                "{}: only {} lines contain {needle:?}",
                self.name,
                found.len()
            )
        })
    }

    fn expect(&mut self, check: &str, line: usize) -> &mut Self {
        self.expected.insert((check.to_string(), line));
        self
    }

    /// Expects `config/file-missing` at every line referencing `path`, if it is missing here.
    fn expect_missing_file(&mut self, path: &str) -> &mut Self {
        if !Path::new(path).exists() {
            for line in self.lines(path) {
                self.expect("config/file-missing", line);
            }
        }
        self
    }

    /// Runs the check and compares the report with the expectations.
    fn assert_report(&self, config_valid: bool) {
        let finished = support::run(
            Command::new(support::preflight_bin())
                .arg("check")
                .arg(&self.path)
                .args(["--offline", "--format", "json"]),
            Duration::from_secs(60),
        );
        let report: Value = serde_json::from_str(&finished.stdout).unwrap_or_else(|e| {
            panic!(
                "{}: `check` exited {} without a JSON report ({e}); expected findings {:?}; \
                 stderr:\n{}",
                self.name,
                finished.code(),
                self.expected,
                finished.stderr
            )
        });
        assert_eq!(report["schema_version"], 1, "{}: schema_version", self.name);

        let findings = report["findings"].as_array().cloned().unwrap_or_default();
        let actual: BTreeSet<(String, usize)> = findings
            .iter()
            .map(|f| {
                let check = f["check"].as_str().unwrap_or("<no check>").to_string();
                let line = f["location"]["line"].as_u64().unwrap_or(0) as usize;
                (check, line)
            })
            .collect();
        let mut problems = Vec::new();
        for missing in self.expected.difference(&actual) {
            problems.push(format!(
                "expected but not reported: {} at line {}",
                missing.0, missing.1
            ));
        }
        for extra in actual.difference(&self.expected) {
            let messages: Vec<&str> = findings
                .iter()
                .filter(|f| {
                    f["check"] == extra.0.as_str()
                        && f["location"]["line"].as_u64().unwrap_or(0) as usize == extra.1
                })
                .filter_map(|f| f["message"].as_str())
                .collect();
            problems.push(format!(
                "reported but not expected: {} at line {} ({})",
                extra.0,
                extra.1,
                messages.join("; ")
            ));
        }
        if report["summary"]["config_valid"].as_bool() != Some(config_valid) {
            problems.push(format!(
                "summary.config_valid is {}, expected {config_valid}",
                report["summary"]["config_valid"]
            ));
        }
        let errors = findings.iter().filter(|f| f["severity"] == "error").count();
        if finished.code() != i32::from(errors > 0) {
            problems.push(format!(
                "exit code {} with {errors} error findings",
                finished.code()
            ));
        }
        assert!(
            problems.is_empty(),
            "{}:\n  {}",
            self.name,
            problems.join("\n  ")
        );
    }
}

/// True when a file the job itself (not its SD) authenticates with exists: promtool check config
/// rejects a config whose job-level credentials file is missing.
fn exists(path: &str) -> bool {
    Path::new(path).exists()
}

// ----- section 1.1: scraping kubelet and cAdvisor directly ----------------------------------

#[test]
fn kubelet_direct_is_a_yaml_syntax_error() {
    let mut f = Fixture::new("kubelet-direct.yml");
    // `scheme: https` is indented deeper than `- job_name:` allows: the parser fails there, and
    // nothing else in the file can be judged.
    let at = f.line("    scheme: https", 1);
    f.expect("config/yaml-syntax", at);
    f.assert_report(false);
}

#[test]
fn cadvisor_direct_is_a_yaml_syntax_error() {
    let mut f = Fixture::new("cadvisor-direct.yml");
    let at = f.line("    scheme: https", 1);
    f.expect("config/yaml-syntax", at);
    f.assert_report(false);
}

#[test]
fn kubelet_direct_reindented_shows_the_mistakes_behind_the_syntax_error() {
    let mut f = Fixture::new("kubelet-direct-reindented.yml");
    // `target:` is not a field of a static config; Prometheus refuses to load the file.
    let target = f.line("- target:", 1);
    // static_configs never produces __meta_kubernetes_node_label_*: the labelmap can never copy
    // anything, the node labels the author wanted are not there.
    let labelmap = f.line("- action: labelmap", 1);
    f.expect("config/unknown-field", target)
        .expect("relabel/unknown-source-label", labelmap)
        // The in-pod token path, read by a Prometheus running outside the cluster.
        .expect_missing_file(POD_TOKEN);
    f.assert_report(false);
}

#[test]
fn cadvisor_direct_reindented_shows_the_mistakes_behind_the_syntax_error() {
    let mut f = Fixture::new("cadvisor-direct-reindented.yml");
    let target = f.line("- target:", 1);
    let labelmap = f.line("- action: labelmap", 1);
    // The rule meant to set the cAdvisor path reads __meta_kubernetes_node_name, which a static
    // job never has, so `(.+)` never matches and the path stays /metrics (kubelet metrics, not
    // cAdvisor). Its slash-less replacement never takes effect, so it is not a finding.
    let node_name_rule = f.line("- source_labels: [__meta_kubernetes_node_name]", 1);
    f.expect("config/unknown-field", target)
        .expect("relabel/unknown-source-label", labelmap)
        .expect("relabel/unknown-source-label", node_name_rule)
        .expect_missing_file(POD_TOKEN);
    f.assert_report(false);
}

// ----- section 1.2 and 1.3: through the API server --------------------------------------------

/// Expectations shared by every post job that discovers through the stage API server: the SD
/// entry cannot be resolved offline, and the token (and CA, where used) exist only on the
/// author's machine. Both the SD entry and the job reference them, and both fail at runtime:
/// discovery cannot authenticate, and a CA file that cannot be read fails the client even with
/// insecure_skip_verify.
fn expect_stage_sd_job(f: &mut Fixture, api_server_line: usize) {
    f.expect("sd/not-resolved-offline", api_server_line)
        .expect_missing_file(STAGE_TOKEN);
    if f.text.contains(STAGE_CA) {
        f.expect_missing_file(STAGE_CA);
    }
}

#[test]
fn kubelet_apiserver_proxy() {
    let mut f = Fixture::new("kubelet-apiserver-proxy.yml");
    // `https://:6443` parses as a URL, and Prometheus accepts it, but it has no host: the client
    // dials port 6443 on the Prometheus machine itself. The config stays valid; the value is wrong.
    let api_server = f.line("- api_server: https://:6443", 1);
    f.expect("sd/api-server-without-host", api_server);
    expect_stage_sd_job(&mut f, api_server);
    // The job name says cadvisor while the job scrapes kubelet metrics: misleading, but no
    // check can know what a name should say. Every SD label the rules read exists for role
    // node, so there is no relabel finding, and targets are unknown offline.
    f.assert_report(exists(STAGE_TOKEN));
}

#[test]
fn cadvisor_apiserver_proxy() {
    let mut f = Fixture::new("cadvisor-apiserver-proxy.yml");
    let api_server = f.line("- api_server: https://public-ip:6443", 1);
    expect_stage_sd_job(&mut f, api_server);
    f.assert_report(exists(STAGE_TOKEN));
}

#[test]
fn apiserver_endpoints() {
    let mut f = Fixture::new("apiserver-endpoints.yml");
    // namespace, service name and endpoint port name all exist for role endpoints; the keep
    // rule's `replacement: $1` is ignored by keep and harms nothing.
    let api_server = f.line("- api_server: https://public-ip:6443", 1);
    expect_stage_sd_job(&mut f, api_server);
    f.assert_report(exists(STAGE_TOKEN));
}

#[test]
fn node_exporter_endpoints() {
    let mut f = Fixture::new("node-exporter-endpoints.yml");
    // Role endpoints provides the pod annotations, service annotations and labels and the pod
    // node name these rules read (through the endpoint's target pod and its service), so no
    // relabel finding. That all targets share one service-proxy URL is a real flaw no check
    // sees offline (fixtures/seed/README.md).
    let api_server = f.line("- api_server: https://public-ip:6443", 1);
    expect_stage_sd_job(&mut f, api_server);
    f.assert_report(exists(STAGE_TOKEN));
}

#[test]
fn apiserver_proxy_multi_job() {
    let mut f = Fixture::new("apiserver-proxy-multi-job.yml");
    expect_section_1_2(&mut f);
    // Prometheus refuses a second job with the same name, whatever the rest of the file says.
    f.assert_report(false);
}

/// Section 1.2's three jobs in one file: each job's own findings, plus the second
/// `stage-cadvisor`, reported where the duplicate name is written.
fn expect_section_1_2(f: &mut Fixture) {
    let empty_host = f.line("- api_server: https://:6443", 1);
    f.expect("sd/api-server-without-host", empty_host);
    f.expect("sd/not-resolved-offline", empty_host);
    for line in f.lines("- api_server: https://public-ip:6443") {
        f.expect("sd/not-resolved-offline", line);
    }
    f.expect_missing_file(STAGE_TOKEN)
        .expect_missing_file(STAGE_CA);
    let duplicate = f.line("- job_name: stage-cadvisor", 2);
    f.expect("config/duplicate-job", duplicate);
}

// ----- section 2 and the combined config -------------------------------------------------------

#[test]
fn multi_cluster_static_is_a_yaml_syntax_error() {
    let mut f = Fixture::new("multi-cluster-static.yml");
    // In the second group, `labels:` is indented like the items of `targets` but is not an item:
    // the parser stops at it.
    let at = f.line("        labels:", 1);
    f.expect("config/yaml-syntax", at);
    f.assert_report(false);
}

#[test]
fn combined_multi_cluster_config() {
    let mut f = Fixture::new("prometheus.yml");
    // Sections 1.2 and 1.3 bring their findings along (four API-server jobs, one SD entry each);
    // section 2's static job has two distinct targets with distinct cluster labels, no rules and
    // no files, so it adds nothing.
    expect_section_1_2(&mut f);
    assert_eq!(
        f.lines("- api_server: https://public-ip:6443").len(),
        3,
        "cadvisor, apiservers and node-exporter discover through public-ip"
    );
    f.assert_report(false);
}
