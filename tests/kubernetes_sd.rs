//! Kubernetes discovery against simulated clusters (kubesim, in process, on ephemeral loopback
//! ports): the seed's two clusters resolve to the targets and scrape URLs the seed intends, and
//! an RBAC gap on discovery is reported as exactly the missing rule.

#[path = "kubernetes/common.rs"]
mod common;

use std::collections::BTreeMap;

use common::{resolve, start, targets_by_cluster_and_job};
use prom_preflight::targets::TargetState;

#[test]
fn seed_resolves_each_clusters_jobs_to_the_intended_scrape_urls() {
    let s = start("seed");
    let config = s.ready.configs[0].clone();
    let (loaded, jobs) = resolve(&config, prom_preflight::version::PrometheusVersion::DEFAULT);
    let found = targets_by_cluster_and_job(&loaded, &jobs);

    let api = |cluster: &str| {
        s.sim
            .cluster(cluster)
            .map(|c| c.api_addr.to_string())
            .unwrap()
    };
    let mut want: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (cluster, nodes) in [("stage", 2), ("product", 3)] {
        let host = api(cluster);
        let node_urls = |suffix: &str| -> Vec<String> {
            (1..=nodes)
                .map(|i| {
                    format!(
                        "https://{host}/api/v1/nodes/{cluster}-server-{i}/proxy/metrics{suffix}"
                    )
                })
                .collect()
        };
        want.insert(
            (cluster.into(), format!("{cluster}-kubelet")),
            node_urls(""),
        );
        want.insert(
            (cluster.into(), format!("{cluster}-cadvisor")),
            node_urls("/cadvisor"),
        );
        want.insert(
            (cluster.into(), format!("{cluster}-apiservers")),
            vec![format!("https://{host}/metrics")],
        );
        // One target per node-exporter pod (a DaemonSet pod per node), all through the service
        // proxy; with ephemeral ports the declared 9100 is the port kubesim bound.
        let port = s
            .sim
            .cluster(cluster)
            .and_then(|c| {
                c.exporters
                    .iter()
                    .find(|(id, _)| id.starts_with("monitoring/prometheus-node-exporter"))
                    .map(|(_, addr)| addr.port())
            })
            .unwrap();
        want.insert(
            (cluster.into(), format!("{cluster}-node-exporter")),
            vec![
                format!(
                    "https://{host}/api/v1/namespaces/monitoring/services/prometheus-node-exporter:{port}/proxy/metrics"
                );
                nodes
            ],
        );
        want.insert(
            (cluster.into(), "apiservers".into()),
            vec![format!("https://{host}/metrics")],
        );
    }
    assert_eq!(found, want);

    let clusters: std::collections::BTreeSet<&String> = found.keys().map(|(c, _)| c).collect();
    assert_eq!(clusters.len(), 2, "two clusters show up as two clusters");

    // Every Kubernetes SD entry knows the API server it listed, and every list worked.
    for job in &jobs {
        for sd in &job.discovery {
            let facts = sd.kubernetes.as_ref().map(|k| k.as_ref());
            if let Some(facts) = facts {
                assert!(
                    facts.lists.iter().all(|l| l.status == Some(200)),
                    "{:#?}",
                    facts.lists
                );
            }
        }
    }
}

#[test]
fn seed_instance_labels_follow_the_seed_relabeling() {
    let s = start("seed");
    let (loaded, jobs) = resolve(
        &s.ready.configs[0],
        prom_preflight::version::PrometheusVersion::DEFAULT,
    );
    let job = jobs
        .iter()
        .find(|j| loaded.config.scrape_configs[j.job_index].job_name == "stage-node-exporter")
        .unwrap();
    let mut instances: Vec<String> = job
        .targets
        .iter()
        .filter_map(|t| match &t.target.state {
            TargetState::Active { labels, .. } => Some(labels["instance"].clone()),
            _ => None,
        })
        .collect();
    instances.sort();
    assert_eq!(instances, ["stage-server-1", "stage-server-2"]);
}

#[test]
fn missing_list_endpoints_is_reported_as_exactly_that_rule() {
    let s = start("rbac-missing-endpoints-list");
    let c = &s.ready.clusters[0];
    let config = common::write_config(
        &s,
        &format!(
            "scrape_configs:\n  - job_name: node-exporter\n    kubernetes_sd_configs:\n      - role: endpoints\n        api_server: {}\n        bearer_token_file: {}\n        tls_config: {{ca_file: {}}}\n",
            c.api_server,
            c.tokens["monitoring/prometheus"].display(),
            c.ca_file.display()
        ),
    );
    let report = prom_preflight::run_checks(
        &config,
        prom_preflight::version::PrometheusVersion::DEFAULT,
        &Default::default(),
        &Default::default(),
        &prom_preflight::Reach::Discovery,
    )
    .unwrap();
    let forbidden: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.check == "sd/forbidden")
        .collect();
    assert_eq!(forbidden.len(), 1, "{:#?}", report.findings);
    let f = forbidden[0];
    assert!(
        f.message.contains(
            r#"missing RBAC rule: apiGroups: [""], resources: ["endpoints"], verbs: ["list", "watch"] (cluster-wide)"#
        ),
        "{}",
        f.message
    );
    assert!(
        f.message
            .starts_with("system:serviceaccount:monitoring:prometheus may not list"),
        "{}",
        f.message
    );
    assert_eq!(f.location.as_ref().map(|l| l.line), Some(4));
    assert_eq!(
        f.cluster.as_deref(),
        Some(c.api_server.trim_start_matches("https://"))
    );
    let fix = f.remediation.as_deref().unwrap();
    assert!(fix.contains("kind: ClusterRole\n"), "{fix}");
    assert!(
        fix.contains("  - apiGroups: [\"\"]\n    resources: [\"endpoints\"]\n    verbs: [\"list\", \"watch\"]\n"),
        "{fix}"
    );
    assert!(fix.contains("kind: ServiceAccount\n    name: prometheus\n    namespace: monitoring"));
    // The lists that were allowed are not blamed.
    assert!(!f.message.contains("\"services\"") && !f.message.contains("\"pods\""));
    // No secret leaks into the report.
    let token = std::fs::read_to_string(&c.tokens["monitoring/prometheus"]).unwrap();
    let json = prom_preflight::report::json::render(&report);
    assert!(!json.contains(token.trim()));
}

#[test]
fn kubeconfig_file_reaches_the_cluster_with_its_context() {
    let s = start("seed");
    let c = &s.ready.clusters[0];
    let config = common::write_config(
        &s,
        &format!(
            "scrape_configs:\n  - job_name: nodes\n    kubernetes_sd_configs:\n      - role: node\n        kubeconfig_file: {}\n",
            c.kubeconfig.display()
        ),
    );
    let (loaded, jobs) = resolve(&config, prom_preflight::version::PrometheusVersion::DEFAULT);
    let found = targets_by_cluster_and_job(&loaded, &jobs);
    let host = c.api_server.trim_start_matches("https://").to_string();
    let urls = &found[&(host, "nodes".to_string())];
    assert_eq!(urls.len(), 2, "{found:#?}");
    assert!(
        urls.iter().all(|u| u.starts_with("http://127.0.1.")),
        "{urls:?}"
    );
}

#[test]
fn targets_command_prints_kubernetes_jobs_as_json_and_a_table_by_cluster() {
    let s = start("seed");
    let config = &s.ready.configs[0];
    let bin = env!("CARGO_BIN_EXE_prom-preflight");
    let run = |args: &[&str]| {
        let out = testkit::run(
            std::process::Command::new(bin)
                .arg("targets")
                .arg(config)
                .args(args),
            std::time::Duration::from_secs(60),
        );
        assert_eq!(out.code(), 0, "{}", out.stderr);
        out.stdout
    };
    let json: serde_json::Value = serde_json::from_str(&run(&["--job", "stage-cadvisor"])).unwrap();
    let targets = json.as_array().unwrap();
    assert_eq!(targets.len(), 2);
    for t in targets {
        assert_eq!(t["labels"]["cluster"], "stage");
        assert!(t["discoveredLabels"]["__meta_kubernetes_node_name"]
            .as_str()
            .unwrap()
            .starts_with("stage-server-"));
    }
    let table = run(&["--format", "table"]);
    let header = table.lines().next().unwrap();
    assert!(
        header.starts_with("CLUSTER ") && header.contains(" JOB ") && header.contains(" STATE")
    );
    for cluster in ["stage ", "product "] {
        assert!(table.lines().any(|l| l.starts_with(cluster)), "{table}");
    }
    let offline = run(&["--offline", "--job", "stage-cadvisor"]);
    assert_eq!(offline.trim(), "[]");
}
