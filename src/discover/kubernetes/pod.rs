//! Role `pod`: one group per pod with an IP, one target per container port (a container without
//! ports gives one port-less target), regular containers first, then init containers. Also the
//! pod labels the endpoints roles merge into their targets. Pure.

use crate::discover::TargetGroup;
use crate::labels::{reserved, Labels};

use super::meta;
use super::objects::{Container, ContainerPort, Pod};
use super::semantics::Semantics;
use super::store::Store;

/// Prometheus's `podLabels`: identity, state and controller of the pod.
pub fn pod_labels(pod: &Pod) -> Labels {
    let mut labels = meta::labels_of([
        ("pod_ip", pod.status.pod_ip.clone()),
        ("pod_ready", ready(pod)),
        ("pod_phase", pod.status.phase.clone()),
        ("pod_node_name", pod.spec.node_name.clone()),
        ("pod_host_ip", pod.status.host_ip.clone()),
        ("pod_uid", pod.metadata.uid.clone()),
    ]);
    meta::add_object_meta(&mut labels, "pod", &pod.metadata);
    let controller = pod
        .metadata
        .owner_references
        .iter()
        .find(|owner| owner.controller == Some(true));
    if let Some(owner) = controller {
        if !owner.kind.is_empty() {
            meta::set(&mut labels, "pod_controller_kind", owner.kind.clone());
        }
        if !owner.name.is_empty() {
            meta::set(&mut labels, "pod_controller_name", owner.name.clone());
        }
    }
    labels
}

/// The Ready condition's status, lowercased, or `unknown`.
fn ready(pod: &Pod) -> String {
    pod.status
        .conditions
        .iter()
        .find(|c| c.kind == "Ready")
        .map(|c| c.status.to_lowercase())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Containers then init containers, each with whether it is an init container.
pub fn all_containers(pod: &Pod) -> impl Iterator<Item = (&Container, bool)> {
    let regular = pod.spec.containers.iter().map(|c| (c, false));
    let init = pod.spec.init_containers.iter().map(|c| (c, true));
    regular.chain(init)
}

/// The labels of one container port target (`podContainer*`), protocol from `protocol`.
pub fn container_port_labels(
    container: &Container,
    port: &ContainerPort,
    port_number: i64,
    protocol: &str,
) -> Labels {
    meta::labels_of([
        ("pod_container_name", container.name.clone()),
        ("pod_container_image", container.image.clone()),
        ("pod_container_port_name", port.name.clone()),
        ("pod_container_port_number", port_number.to_string()),
        ("pod_container_port_protocol", protocol.to_string()),
    ])
}

pub fn build(pod: &Pod, store: &Store, semantics: Semantics) -> TargetGroup {
    let source = format!("pod/{}/{}", pod.metadata.namespace, pod.metadata.name);
    let mut group = TargetGroup {
        source,
        targets: Vec::new(),
        labels: Labels::new(),
    };
    // A pod without an IP (starting or evicted) gives an empty group.
    if pod.status.pod_ip.is_empty() {
        return group;
    }
    let mut labels = pod_labels(pod);
    meta::set(&mut labels, "namespace", pod.metadata.namespace.clone());
    if let Some(node) = store.node(&pod.spec.node_name) {
        labels.extend(super::node::attached_labels(node, semantics));
    }
    group.labels = labels;
    let ip = &pod.status.pod_ip;
    for (container, is_init) in all_containers(pod) {
        let statuses = if is_init {
            &pod.status.init_container_statuses
        } else {
            &pod.status.container_statuses
        };
        let container_id = statuses
            .iter()
            .find(|s| s.name == container.name)
            .map(|s| s.container_id.clone())
            .unwrap_or_default();
        let common = meta::labels_of([
            ("pod_container_name", container.name.clone()),
            ("pod_container_id", container_id),
            ("pod_container_image", container.image.clone()),
            ("pod_container_init", is_init.to_string()),
        ]);
        if container.ports.is_empty() {
            let mut target = common;
            target.insert(reserved::ADDRESS.to_string(), ip.clone());
            group.targets.push(target);
            continue;
        }
        for port in &container.ports {
            let mut target = common.clone();
            target.insert(
                reserved::ADDRESS.to_string(),
                meta::join_host_port(ip, port.container_port),
            );
            target.extend(meta::labels_of([
                ("pod_container_port_number", port.container_port.to_string()),
                ("pod_container_port_name", port.name.clone()),
                ("pod_container_port_protocol", port.protocol.clone()),
            ]));
            group.targets.push(target);
        }
    }
    group
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::PrometheusVersion;

    const POD: &str = r#"{
        "metadata": {"name": "web-1", "namespace": "shop", "uid": "u1",
                     "labels": {"app": "web"},
                     "ownerReferences": [{"kind": "ReplicaSet", "name": "web-abc", "controller": true}]},
        "spec": {"nodeName": "n1",
                 "containers": [{"name": "app", "image": "img:1",
                                 "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]},
                                {"name": "sidecar", "image": "side:1"}],
                 "initContainers": [{"name": "init", "image": "init:1",
                                     "ports": [{"containerPort": 9000, "protocol": "TCP"}]}]},
        "status": {"phase": "Running", "podIP": "10.1.0.5", "hostIP": "10.0.0.1",
                   "conditions": [{"type": "Ready", "status": "True"}],
                   "containerStatuses": [{"name": "app", "containerID": "containerd://abc"}]}}"#;

    #[test]
    fn one_target_per_port_and_one_per_portless_container() {
        let pod: Pod = serde_json::from_str(POD).unwrap();
        let g = build(
            &pod,
            &Store::default(),
            Semantics(PrometheusVersion::DEFAULT),
        );
        assert_eq!(g.source, "pod/shop/web-1");
        assert_eq!(g.labels["__meta_kubernetes_namespace"], "shop");
        assert_eq!(g.labels["__meta_kubernetes_pod_ready"], "true");
        assert_eq!(
            g.labels["__meta_kubernetes_pod_controller_kind"],
            "ReplicaSet"
        );
        assert_eq!(g.labels["__meta_kubernetes_pod_label_app"], "web");
        let addrs: Vec<&str> = g
            .targets
            .iter()
            .map(|t| t["__address__"].as_str())
            .collect();
        assert_eq!(addrs, ["10.1.0.5:8080", "10.1.0.5", "10.1.0.5:9000"]);
        assert_eq!(
            g.targets[0]["__meta_kubernetes_pod_container_id"],
            "containerd://abc"
        );
        assert_eq!(g.targets[1]["__meta_kubernetes_pod_container_id"], "");
        assert!(!g.targets[1].contains_key("__meta_kubernetes_pod_container_port_number"));
        assert_eq!(g.targets[2]["__meta_kubernetes_pod_container_init"], "true");
        assert_eq!(
            g.targets[2]["__meta_kubernetes_pod_container_port_name"],
            ""
        );
    }

    #[test]
    fn pod_without_ip_gives_an_empty_group() {
        let mut pod: Pod = serde_json::from_str(POD).unwrap();
        pod.status.pod_ip.clear();
        let g = build(
            &pod,
            &Store::default(),
            Semantics(PrometheusVersion::DEFAULT),
        );
        assert!(g.targets.is_empty() && g.labels.is_empty());
    }
}
