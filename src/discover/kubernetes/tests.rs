//! Role orchestration against a scripted API: which lists are made, what a failed companion list
//! does, selectors, namespaces, pagination, and the release differences of the endpoints roles.

use super::api::fake::FakeApi;
use super::*;
use crate::config::model::{HttpClientConfig, KubernetesSelector};
use crate::labels::Labels;

fn sd(role: KubernetesRole) -> KubernetesSd {
    KubernetesSd {
        role,
        api_server: Some("https://api.test:6443".into()),
        kubeconfig_file: None,
        namespaces: Vec::new(),
        own_namespace: false,
        selectors: Vec::new(),
        attach_node_metadata: false,
        http: HttpClientConfig::default(),
    }
}

fn run(
    sd: &KubernetesSd,
    api: FakeApi,
    version: PrometheusVersion,
) -> (Vec<TargetGroup>, KubeFacts, Vec<String>) {
    let connection = Connection {
        client: Box::new(api),
        credentials: Credentials::default(),
        own_namespace: None,
    };
    let (groups, facts) = discover(sd, &connection, version);
    // The fake records what it was asked; read it back through the trait object.
    let asked = facts.lists.iter().map(|f| f.url.clone()).collect();
    (groups, facts, asked)
}

const ENDPOINTS: &str = r#"{"items": [{
    "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"},
                 "annotations": {"note": "x"}},
    "subsets": [{"addresses": [{"ip": "10.1.0.5", "nodeName": "n1",
                                "targetRef": {"kind": "Pod", "namespace": "shop", "name": "web-1"}}],
                 "notReadyAddresses": [{"ip": "10.1.0.6"}],
                 "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]}]}"#;

const SERVICES: &str = r#"{"items": [{"metadata": {"name": "web", "namespace": "shop",
    "labels": {"tier": "front"}}, "spec": {"type": "ClusterIP", "clusterIP": "10.43.0.9",
    "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}]}"#;

const PODS: &str = r#"{"items": [{
    "metadata": {"name": "web-1", "namespace": "shop", "uid": "u1"},
    "spec": {"nodeName": "n1",
             "containers": [{"name": "app", "image": "img", "ports": [
                 {"name": "http", "containerPort": 8080, "protocol": "TCP"},
                 {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}]}],
             "initContainers": [{"name": "proxy", "image": "envoy", "ports": [
                 {"name": "admin", "containerPort": 15000, "protocol": "TCP"}]}]},
    "status": {"podIP": "10.1.0.5", "phase": "Running",
               "conditions": [{"type": "Ready", "status": "True"}]}}]}"#;

fn endpoints_api(ns: &str) -> FakeApi {
    FakeApi::default()
        .with(&format!("/api/v1{ns}/endpoints?limit=500"), 200, ENDPOINTS)
        .with(&format!("/api/v1{ns}/services?limit=500"), 200, SERVICES)
        .with(&format!("/api/v1{ns}/pods?limit=500"), 200, PODS)
}

fn by_address<'g>(group: &'g TargetGroup, address: &str) -> &'g Labels {
    group
        .targets
        .iter()
        .find(|t| t["__address__"] == address)
        .unwrap_or_else(|| panic!("no target {address} in {:#?}", group.targets))
}

#[test]
fn endpoints_merge_service_and_pod_labels_and_add_uncovered_ports() {
    let (groups, facts, asked) = run(
        &sd(KubernetesRole::Endpoints),
        endpoints_api(""),
        PrometheusVersion::DEFAULT,
    );
    assert_eq!(asked.len(), 3, "{asked:?}");
    assert_eq!(facts.cluster, "api.test:6443");
    let g = &groups[0];
    assert_eq!(g.source, "endpoints/shop/web");
    assert_eq!(g.labels["__meta_kubernetes_service_name"], "web");
    assert_eq!(g.labels["__meta_kubernetes_service_label_tier"], "front");
    assert_eq!(g.labels["__meta_kubernetes_endpoints_annotation_note"], "x");
    assert!(!g.labels.contains_key("__meta_kubernetes_service_port_name"));

    let ready = by_address(g, "10.1.0.5:8080");
    assert_eq!(ready["__meta_kubernetes_endpoint_ready"], "true");
    assert_eq!(ready["__meta_kubernetes_endpoint_node_name"], "n1");
    assert_eq!(ready["__meta_kubernetes_pod_name"], "web-1");
    assert_eq!(ready["__meta_kubernetes_pod_container_name"], "app");
    assert_eq!(ready["__meta_kubernetes_pod_container_port_name"], "http");
    assert_eq!(ready["__meta_kubernetes_pod_container_init"], "false");

    let not_ready = by_address(g, "10.1.0.6:8080");
    assert_eq!(not_ready["__meta_kubernetes_endpoint_ready"], "false");
    assert!(!not_ready.contains_key("__meta_kubernetes_pod_name"));

    let extra = by_address(g, "10.1.0.5:9090");
    assert_eq!(
        extra["__meta_kubernetes_pod_container_port_name"],
        "metrics"
    );
    assert!(!extra.contains_key("__meta_kubernetes_endpoint_ready"));
    let sidecar = by_address(g, "10.1.0.5:15000");
    assert_eq!(sidecar["__meta_kubernetes_pod_container_init"], "true");
    assert_eq!(g.targets.len(), 4);
}

#[test]
fn endpoints_in_2_42_skip_init_containers_and_endpoint_annotations() {
    let (groups, _, _) = run(
        &sd(KubernetesRole::Endpoints),
        endpoints_api(""),
        PrometheusVersion::V2_42,
    );
    let g = &groups[0];
    assert!(!g
        .labels
        .contains_key("__meta_kubernetes_endpoints_annotation_note"));
    assert_eq!(g.labels["__meta_kubernetes_endpoints_label_app"], "web");
    assert_eq!(g.targets.len(), 3, "no sidecar target before 3.0");
    assert!(!by_address(g, "10.1.0.5:8080").contains_key("__meta_kubernetes_pod_container_init"));
}

#[test]
fn a_failed_companion_list_yields_nothing_for_the_namespace() {
    let api = FakeApi::default()
        .with("/api/v1/endpoints?limit=500", 200, ENDPOINTS)
        .with("/api/v1/services?limit=500", 200, SERVICES)
        .with(
            "/api/v1/pods?limit=500",
            403,
            r#"{"kind":"Status","code":403,"reason":"Forbidden"}"#,
        );
    let (groups, facts, _) = run(
        &sd(KubernetesRole::Endpoints),
        api,
        PrometheusVersion::DEFAULT,
    );
    assert!(groups.is_empty());
    let pods = facts
        .lists
        .iter()
        .find(|f| f.resource.resource == "pods")
        .unwrap();
    assert_eq!(pods.status, Some(403));
    assert_eq!(pods.purpose, Purpose::Companion);
}

#[test]
fn namespaces_and_selectors_become_paths_and_query_parameters() {
    let mut config = sd(KubernetesRole::Pod);
    config.namespaces = vec!["a".into(), "b".into()];
    config.selectors = vec![KubernetesSelector {
        role: KubernetesRole::Pod,
        label: Some("app=web".into()),
        field: Some("spec.nodeName=n1".into()),
    }];
    let query = "labelSelector=app%3Dweb&fieldSelector=spec.nodeName%3Dn1&limit=500";
    let api = FakeApi::default()
        .with(&format!("/api/v1/namespaces/a/pods?{query}"), 200, PODS)
        .with(
            &format!("/api/v1/namespaces/b/pods?{query}"),
            200,
            r#"{"items": []}"#,
        )
        .with(
            "/api/v1/namespaces/b/pods?limit=1",
            200,
            r#"{"items": [{}]}"#,
        );
    let (groups, facts, asked) = run(&config, api, PrometheusVersion::DEFAULT);
    assert_eq!(groups.len(), 1);
    assert_eq!(asked.len(), 3, "{asked:?}");
    let probe = &facts.lists[2];
    assert_eq!(probe.purpose, Purpose::SelectorProbe);
    assert_eq!(probe.object_count, Some(1));
}

#[test]
fn attach_metadata_node_lists_nodes_and_adds_their_labels() {
    let mut config = sd(KubernetesRole::Pod);
    config.attach_node_metadata = true;
    let api = FakeApi::default()
        .with(
            "/api/v1/nodes?limit=500",
            200,
            r#"{"items": [{"metadata": {"name": "n1", "labels": {"zone": "z1"},
                 "annotations": {"a": "b"}}}]}"#,
        )
        .with("/api/v1/pods?limit=500", 200, PODS);
    let (groups, _, _) = run(&config, api, PrometheusVersion::DEFAULT);
    let labels = &groups[0].labels;
    assert_eq!(labels["__meta_kubernetes_node_name"], "n1");
    assert_eq!(labels["__meta_kubernetes_node_label_zone"], "z1");
    assert_eq!(labels["__meta_kubernetes_node_annotation_a"], "b");
}

#[test]
fn prometheus_2_asks_the_server_version_for_endpointslices() {
    let api = FakeApi::default()
        .with("/version", 200, r#"{"major": "1", "minor": "20+"}"#)
        .with(
            "/apis/discovery.k8s.io/v1beta1/endpointslices?limit=500",
            200,
            r#"{"items": []}"#,
        )
        .with("/api/v1/services?limit=500", 200, r#"{"items": []}"#)
        .with("/api/v1/pods?limit=500", 200, r#"{"items": []}"#);
    let (_, facts, asked) = run(
        &sd(KubernetesRole::EndpointSlice),
        api,
        PrometheusVersion::V2_42,
    );
    assert_eq!(facts.lists[0].purpose, Purpose::Version);
    assert!(asked[1].contains("/v1beta1/"), "{asked:?}");
}

#[test]
fn endpointslice_uses_the_service_name_label_and_container_protocols() {
    let slices = r#"{"items": [{
        "metadata": {"name": "web-abc", "namespace": "shop",
                     "labels": {"kubernetes.io/service-name": "web"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.1.0.5"], "conditions": {"ready": true},
                       "nodeName": "n1", "zone": "z1",
                       "targetRef": {"kind": "Pod", "namespace": "shop", "name": "web-1"}}],
        "ports": [{"name": "http", "port": 8080, "protocol": "UDP"}]}]}"#;
    let api = FakeApi::default()
        .with(
            "/apis/discovery.k8s.io/v1/endpointslices?limit=500",
            200,
            slices,
        )
        .with("/api/v1/services?limit=500", 200, SERVICES)
        .with("/api/v1/pods?limit=500", 200, PODS);
    let (groups, _, _) = run(
        &sd(KubernetesRole::EndpointSlice),
        api,
        PrometheusVersion::DEFAULT,
    );
    let g = &groups[0];
    assert_eq!(g.labels["__meta_kubernetes_service_name"], "web");
    assert_eq!(
        g.labels["__meta_kubernetes_endpointslice_address_type"],
        "IPv4"
    );
    let t = by_address(g, "10.1.0.5:8080");
    assert_eq!(t["__meta_kubernetes_endpointslice_port_protocol"], "UDP");
    assert_eq!(t["__meta_kubernetes_pod_container_port_protocol"], "TCP");
    assert_eq!(t["__meta_kubernetes_endpointslice_endpoint_zone"], "z1");
    assert_eq!(
        t["__meta_kubernetes_endpointslice_endpoint_conditions_ready"],
        "true"
    );
    assert!(!t.contains_key("__meta_kubernetes_endpointslice_endpoint_conditions_serving"));
}

#[test]
fn cluster_is_the_api_server_host_and_port() {
    assert_eq!(cluster_of("https://127.0.0.10:6443"), "127.0.0.10:6443");
    assert_eq!(cluster_of("https://k8s.example.com"), "k8s.example.com:443");
}
