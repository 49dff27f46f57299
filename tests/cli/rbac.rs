//! `prom-preflight rbac`: the manifest it prints names every permission the config needs, marks
//! what the API server denies, is read by kubectl as the objects we mean, and, applied to a
//! simulated cluster in place of its RBAC, makes every review allowed.

use std::path::Path;
use std::time::Duration;

use kubesim::rbac::RbacObject;
use kubesim::{Scenario, Staged};

use crate::support::binary;

/// Discovery of endpoints and nodes, kubelets scraped directly, node-exporter through the
/// service proxy, and the API server's own `/metrics`.
const CONFIG: &str = r#"
scrape_configs:
  - job_name: endpoints
    scrape_timeout: 5s
    kubernetes_sd_configs:
      - role: endpoints
        api_server: "{{lab.api_server}}"
        tls_config: {ca_file: "{{lab.ca_file}}"}
        authorization: {credentials_file: "{{lab.token_file:monitoring/prometheus}}"}
    relabel_configs:
      - {source_labels: [__meta_kubernetes_service_name], regex: prometheus-node-exporter, action: keep}
  - job_name: kubelet
    scheme: https
    scrape_timeout: 5s
    tls_config: {insecure_skip_verify: true}
    authorization: {credentials_file: "{{lab.token_file:monitoring/prometheus}}"}
    kubernetes_sd_configs:
      - role: node
        api_server: "{{lab.api_server}}"
        tls_config: {ca_file: "{{lab.ca_file}}"}
        authorization: {credentials_file: "{{lab.token_file:monitoring/prometheus}}"}
  - job_name: node-exporter-via-proxy
    scheme: https
    scrape_timeout: 5s
    metrics_path: /api/v1/namespaces/monitoring/services/prometheus-node-exporter:metrics/proxy/metrics
    tls_config: {ca_file: "{{lab.ca_file}}"}
    authorization: {credentials_file: "{{lab.token_file:monitoring/prometheus}}"}
    static_configs: [{targets: ["{{lab.api_address}}"]}]
  - job_name: apiserver
    scheme: https
    scrape_timeout: 5s
    tls_config: {ca_file: "{{lab.ca_file}}"}
    authorization: {credentials_file: "{{lab.token_file:monitoring/prometheus}}"}
    static_configs: [{targets: ["{{lab.api_address}}"]}]
"#;

fn write_config(staged: &Staged) -> std::path::PathBuf {
    let text = kubesim::output::render_template(CONFIG, &staged.sim.clusters, staged.dir.path())
        .expect("placeholders resolve");
    let path = staged.dir.path().join("prometheus.yml");
    std::fs::write(&path, text).unwrap();
    path
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = testkit::run(
        binary().args(args).env("NO_COLOR", "1"),
        Duration::from_secs(120),
    );
    (out.code(), out.stdout, out.stderr)
}

fn rbac(config: &Path, extra: &[&str]) -> String {
    let mut args = vec!["rbac", config.to_str().unwrap()];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "rbac failed: {stderr}");
    stdout
}

fn check_json(config: &Path) -> serde_json::Value {
    let (_, stdout, stderr) = run(&["check", config.to_str().unwrap(), "--format", "json"]);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("report is JSON ({e}): {stderr}"))
}

fn finding_checks(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}: {}",
                f["check"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// The manifest's documents as kubesim reads RBAC objects.
fn objects(manifest: &str) -> Vec<RbacObject> {
    manifest
        .split("\n---\n")
        .map(|doc| serde_saphyr::from_str(doc).unwrap_or_else(|e| panic!("{e}: {doc}")))
        .collect()
}

#[test]
fn rbac_marks_denied_rules_and_its_manifest_makes_every_review_allowed() {
    let staged = Staged::named("rbac-missing-endpoints-list").expect("scenario starts");
    let config = write_config(&staged);
    let manifest = rbac(&config, &[]);
    for line in [
        "# API server 127.0.44.1:",
        "identity system:serviceaccount:monitoring:prometheus; needed by jobs: apiserver, endpoints, kubelet, node-exporter-via-proxy",
        "  - {apiGroups: [\"\"], resources: [\"endpoints\"], verbs: [\"list\", \"watch\"]}  # missing now\n",
        "  - {apiGroups: [\"\"], resources: [\"nodes/metrics\"], verbs: [\"get\"]}  # already allowed\n",
        "  - {nonResourceURLs: [\"/metrics\"], verbs: [\"get\"]}  # already allowed\n",
        "kind: Role\nmetadata:\n  name: prometheus-scrape-prometheus\n  namespace: \"monitoring\"\nrules:\n  - {apiGroups: [\"\"], resources: [\"services/proxy\"], verbs: [\"get\"]}  # already allowed\n",
        "# over-broad grant seen: {apiGroups: [\"\"], resources: [\"nodes/proxy\", \"services/proxy\"], verbs: [\"get\"]} # nodes/proxy allows exec",
        "  - kind: ServiceAccount\n    name: \"prometheus\"\n    namespace: \"monitoring\"\n",
    ] {
        assert!(manifest.contains(line), "{line:?} not in:\n{manifest}");
    }
    assert!(
        !manifest.contains("nodes/proxy\"], verbs"),
        "nodes/proxy is never needed here:\n{manifest}"
    );

    // `check` reports the same manifest and the denied permission.
    let report = check_json(&config);
    assert_eq!(report["rbac_manifest"].as_str(), Some(manifest.as_str()));
    let findings = finding_checks(&report);
    assert!(
        findings
            .iter()
            .any(|f| f.starts_with("rbac/missing-permission: ")
                && f.contains("`list endpoints (cluster-wide)`")),
        "{findings:#?}"
    );
    drop(staged);

    // The same cluster with exactly the printed RBAC (plus Kubernetes' bootstrap roles).
    let mut scenario = Scenario::named("rbac-missing-endpoints-list").unwrap();
    scenario.clusters[0].rbac = objects(&manifest);
    let staged = Staged::start(scenario).expect("scenario with the printed RBAC starts");
    let config = write_config(&staged);
    let confirmed = rbac(&config, &[]);
    assert!(!confirmed.contains("# missing now"), "{confirmed}");
    assert!(
        !confirmed.contains("# could not be confirmed"),
        "{confirmed}"
    );
    assert!(!confirmed.contains("over-broad"), "{confirmed}");
    let rules = confirmed.lines().filter(|l| l.starts_with("  - {")).count();
    let allowed = confirmed
        .lines()
        .filter(|l| l.ends_with("# already allowed"))
        .count();
    assert!(rules >= 4 && rules == allowed, "{confirmed}");
    let report = check_json(&config);
    let findings = finding_checks(&report);
    for id in ["rbac/", "sd/forbidden", "auth/"] {
        assert!(
            !findings.iter().any(|f| f.starts_with(id)),
            "{id} finding with the printed RBAC applied: {findings:#?}"
        );
    }
}

#[test]
fn offline_rbac_reads_the_subject_from_the_token_and_falls_back_to_a_placeholder() {
    let staged = Staged::named("rbac-missing-endpoints-list").expect("scenario starts");
    let config = write_config(&staged);
    drop(staged.sim);
    let manifest = rbac(&config, &["--offline"]);
    assert!(
        manifest.contains("identity system:serviceaccount:monitoring:prometheus"),
        "{manifest}"
    );
    assert!(manifest.contains("resources: [\"endpoints\", \"nodes\", \"pods\", \"services\"], verbs: [\"list\", \"watch\"]}\n"), "{manifest}");
    assert!(!manifest.contains("# already allowed") && !manifest.contains("# missing now"));

    let bare = staged.dir.path().join("bare.yml");
    std::fs::write(
        &bare,
        "scrape_configs:\n  - job_name: pods\n    kubernetes_sd_configs:\n      - {role: pod, api_server: \"https://127.0.0.1:6443\", namespaces: {names: [apps]}}\n",
    )
    .unwrap();
    let manifest = rbac(&bare, &["--offline"]);
    assert!(
        manifest.contains("# placeholder: the token's service account is unknown"),
        "{manifest}"
    );
    assert!(
        manifest.contains("kind: Role\n") && !manifest.contains("kind: ClusterRole\n"),
        "{manifest}"
    );
}

#[test]
fn kubectl_reads_the_manifest_as_the_rbac_objects_we_mean() {
    let Some(kubectl) = testkit::oracle("kubectl", "the rbac manifest as kubectl reads it") else {
        return;
    };
    let staged = Staged::named("rbac-missing-endpoints-list").expect("scenario starts");
    let config = write_config(&staged);
    let manifest = rbac(&config, &[]);
    let file = staged.dir.path().join("manifest.yaml");
    std::fs::write(&file, &manifest).unwrap();
    // `apply --dry-run=client` needs the server's discovery of rbac.authorization.k8s.io,
    // which kubesim does not serve; `--local` runs kubectl's own client-side decoding.
    let out = testkit::run(
        std::process::Command::new(kubectl)
            .args(["annotate", "--local", "-o", "json", "-f"])
            .arg(&file)
            .arg("prom-preflight/checked=yes")
            .env("KUBECONFIG", "/dev/null"),
        Duration::from_secs(60),
    );
    assert_eq!(
        out.code(),
        0,
        "kubectl refused the manifest: {}",
        out.stderr
    );
    let objects: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&out.stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("kubectl prints JSON objects");
    let kinds: Vec<&str> = objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]
    );
    let ours = self::objects(&manifest);
    for (theirs, ours) in objects.iter().zip(&ours) {
        assert_eq!(theirs["metadata"]["name"], ours.metadata.name.as_str());
        assert_eq!(
            theirs["rules"].as_array().map_or(0, Vec::len),
            ours.rules.len(),
            "{theirs}"
        );
        for rule in theirs["rules"].as_array().into_iter().flatten() {
            assert!(
                rule["verbs"].as_array().is_some_and(|v| !v.is_empty()),
                "{rule}"
            );
            assert!(
                rule["resources"].is_array() != rule["nonResourceURLs"].is_array(),
                "{rule}"
            );
        }
        if let Some(subjects) = theirs["subjects"].as_array() {
            assert_eq!(subjects[0]["kind"], "ServiceAccount");
            assert_eq!(subjects[0]["name"], "prometheus");
            assert_eq!(subjects[0]["namespace"], "monitoring");
        }
    }
}
