use std::path::Path;

use super::*;
use crate::config::load::load_str;
use crate::targets::job::resolve_offline;
use crate::version::PrometheusVersion;

fn requirements(yaml: &str) -> Requirements {
    let loaded = load_str(
        yaml,
        Path::new("prometheus.yml"),
        PrometheusVersion::DEFAULT,
    );
    let jobs = resolve_offline(&loaded.config, PrometheusVersion::DEFAULT, false);
    compute(&loaded.config, &jobs)
}

fn described(req: &Requirement) -> Vec<String> {
    req.needs.keys().map(Permission::describe).collect()
}

#[test]
fn sd_roles_need_list_and_watch_per_namespace() {
    let reqs = requirements(
        r#"
scrape_configs:
  - job_name: eps
    kubernetes_sd_configs:
      - role: endpoints
        api_server: https://127.0.0.1:6443
        namespaces: {names: [monitoring, apps]}
  - job_name: nodes
    kubernetes_sd_configs:
      - role: node
        api_server: https://127.0.0.1:6443
"#,
    );
    assert_eq!(reqs.identities.len(), 1);
    let req = &reqs.identities[0];
    assert_eq!(req.cluster, "127.0.0.1:6443");
    assert_eq!(req.api_server.as_deref(), Some("https://127.0.0.1:6443"));
    let d = described(req);
    for want in [
        "list endpoints in namespace \"monitoring\"",
        "watch endpoints in namespace \"apps\"",
        "list services in namespace \"apps\"",
        "watch pods in namespace \"monitoring\"",
        "list nodes (cluster-wide)",
        "watch nodes (cluster-wide)",
    ] {
        assert!(d.contains(&want.to_string()), "{want} not in {d:?}");
    }
    // Namespaced needs never become cluster-wide.
    assert!(!d.contains(&"list endpoints (cluster-wide)".to_string()));
    assert_eq!(d.len(), 3 * 2 * 2 + 2);
    let jobs: Vec<&str> = req.needs[&Permission::resource("list", "", "nodes", "")]
        .iter()
        .map(|n| n.job.as_str())
        .collect();
    assert_eq!(jobs, vec!["nodes"]);
}

#[test]
fn endpointslice_and_ingress_use_their_groups_and_attach_metadata_adds_nodes() {
    let reqs = requirements(
        r#"
scrape_configs:
  - job_name: slices
    kubernetes_sd_configs:
      - role: endpointslice
        api_server: https://127.0.0.1:6443
        attach_metadata: {node: true}
      - role: ingress
        api_server: https://127.0.0.1:6443
"#,
    );
    let d = described(&reqs.identities[0]);
    assert!(
        d.contains(&"list endpointslices in API group \"discovery.k8s.io\" (cluster-wide)".into())
    );
    assert!(d.contains(&"watch ingresses in API group \"networking.k8s.io\" (cluster-wide)".into()));
    assert!(d.contains(&"list nodes (cluster-wide)".into()));
}

#[test]
fn scrape_urls_map_to_proxy_subresources_kubelet_and_non_resource() {
    let reqs = requirements(
        r#"
scrape_configs:
  - job_name: via-proxy
    scheme: https
    metrics_path: /api/v1/nodes/node-1/proxy/metrics/cadvisor
    static_configs: [{targets: ["10.0.0.1:6443"]}]
  - job_name: svc-proxy
    scheme: https
    metrics_path: /api/v1/namespaces/monitoring/services/https:node-exporter:9100/proxy/metrics
    static_configs: [{targets: ["10.0.0.1:6443"]}]
  - job_name: pod-proxy
    scheme: https
    metrics_path: /api/v1/namespaces/apps/pods/web-0:8080/proxy/metrics
    static_configs: [{targets: ["10.0.0.1:6443"]}]
  - job_name: apiserver
    scheme: https
    static_configs: [{targets: ["10.0.0.1:6443"]}]
  - job_name: plain
    static_configs: [{targets: ["10.0.0.9:9100"]}]
"#,
    );
    assert_eq!(reqs.identities.len(), 1, "{:?}", reqs.identities);
    let d = described(&reqs.identities[0]);
    for want in [
        "get path \"/metrics\"",
        "get services/proxy in namespace \"monitoring\"",
        "get pods/proxy in namespace \"apps\"",
        "get nodes/proxy (cluster-wide)",
    ] {
        assert!(d.contains(&want.to_string()), "{want} not in {d:?}");
    }
    assert_eq!(d.len(), 4, "{d:?}");
    assert_eq!(reqs.identities[0].cluster, "10.0.0.1:6443");
}

#[test]
fn kubelet_paths_need_their_subresource() {
    assert_eq!(kubelet_subresource("/metrics"), "metrics");
    assert_eq!(kubelet_subresource("/metrics/cadvisor"), "metrics");
    assert_eq!(kubelet_subresource("/metricsx"), "proxy");
    assert_eq!(kubelet_subresource("/stats/summary"), "stats");
    assert_eq!(kubelet_subresource("/logs/"), "log");
    assert_eq!(kubelet_subresource("/pods"), "proxy");
    assert_eq!(
        scrape_access("https://10.0.0.5:10250/metrics/cadvisor", &[], false),
        ScrapeAccess::Kubelet {
            permission: Permission::resource("get", "", "nodes/metrics", "")
        }
    );
    assert_eq!(
        scrape_access("http://10.0.0.5:9100/metrics", &[], false),
        ScrapeAccess::Other
    );
    assert!(matches!(
        scrape_access("https://10.0.0.5:40123/metrics", &[], true),
        ScrapeAccess::Kubelet { .. }
    ));
    // A known API server on another port is still an API server.
    assert_eq!(
        scrape_access(
            "https://10.0.0.1:443/metrics",
            &["10.0.0.1:443".into()],
            false
        ),
        ScrapeAccess::ApiServer {
            api_server: "https://10.0.0.1:443".into(),
            permission: Permission::non_resource("get", "/metrics"),
        }
    );
}

#[test]
fn kubelets_are_checked_at_the_api_server_their_job_discovers_from() {
    // Discovery is not resolved offline, so the kubelet target is static here; the job's SD
    // entry still names the API server, whose TLS settings the review uses.
    let reqs = requirements(
        r#"
scrape_configs:
  - job_name: kubelet
    scheme: https
    authorization: {credentials: abc}
    tls_config: {insecure_skip_verify: true}
    kubernetes_sd_configs:
      - role: node
        api_server: https://127.0.0.1:6443
        authorization: {credentials: abc}
    static_configs: [{targets: ["10.0.0.5:10250"]}]
"#,
    );
    assert_eq!(reqs.identities.len(), 1, "{:?}", reqs.identities);
    let req = &reqs.identities[0];
    assert_eq!(req.cluster, "127.0.0.1:6443");
    let d = described(req);
    assert!(
        d.contains(&"get nodes/metrics (cluster-wide)".into()),
        "{d:?}"
    );
    assert!(d.contains(&"list nodes (cluster-wide)".into()));
}

#[test]
fn different_tokens_are_different_identities_and_no_api_server_is_reported() {
    let reqs = requirements(
        r#"
scrape_configs:
  - job_name: a
    kubernetes_sd_configs:
      - {role: pod, api_server: "https://127.0.0.1:6443", authorization: {credentials: one}}
  - job_name: b
    kubernetes_sd_configs:
      - {role: pod, api_server: "https://127.0.0.1:6443", authorization: {credentials: two}}
  - job_name: lone-kubelet
    scheme: https
    static_configs: [{targets: ["10.0.0.5:10250"]}]
"#,
    );
    assert_eq!(reqs.identities.len(), 3);
    let lone = reqs
        .identities
        .iter()
        .find(|r| r.api_server.is_none())
        .expect("a kubelet without an API server");
    assert_eq!(lone.cluster, "unknown API server");
}
