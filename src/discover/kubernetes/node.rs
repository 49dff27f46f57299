//! Role `node`: one target per node, at the first address by type priority and the kubelet
//! port, with `instance` set to the node name. Pure.

use crate::discover::TargetGroup;
use crate::labels::{reserved, Labels};

use super::meta;
use super::objects::Node;
use super::semantics::Semantics;

/// Address types in Prometheus's order of preference (from `k8s.io/kubernetes/pkg/util/node`).
const ADDRESS_PRIORITY: [&str; 6] = [
    "InternalIP",
    "InternalDNS",
    "ExternalIP",
    "ExternalDNS",
    "LegacyHostIP",
    "Hostname",
];

/// The node's group labels; also what `attach_metadata.node` adds to other roles (without the
/// provider id and conditions).
fn group_labels(node: &Node, semantics: Semantics) -> Labels {
    let mut labels = Labels::new();
    meta::set(
        &mut labels,
        "node_provider_id",
        node.spec.provider_id.clone(),
    );
    meta::add_object_meta(&mut labels, "node", &node.metadata);
    if semantics.node_conditions() {
        for condition in &node.status.conditions {
            let name = meta::sanitize(&condition.kind.to_lowercase());
            meta::set(
                &mut labels,
                &format!("node_condition_{name}"),
                condition.status.to_lowercase(),
            );
        }
    }
    labels
}

/// `None` when the node has no address: Prometheus logs "No node address found" and sends no
/// group.
pub fn build(node: &Node, semantics: Semantics) -> Option<TargetGroup> {
    let addresses = &node.status.addresses;
    let first_of = |kind: &str| {
        addresses
            .iter()
            .find(|a| a.kind == kind)
            .map(|a| a.address.as_str())
    };
    let host = ADDRESS_PRIORITY.iter().find_map(|kind| first_of(kind))?;
    let port = node.status.daemon_endpoints.kubelet_endpoint.port;
    let mut target = Labels::from([
        (
            reserved::ADDRESS.to_string(),
            meta::join_host_port(host, port),
        ),
        (reserved::INSTANCE.to_string(), node.metadata.name.clone()),
    ]);
    for address in addresses {
        let name = meta::sanitize(&format!("{}node_address_{}", meta::PREFIX, address.kind));
        target
            .entry(name)
            .or_insert_with(|| address.address.clone());
    }
    Some(TargetGroup {
        source: format!("node/{}", node.metadata.name),
        targets: vec![target],
        labels: group_labels(node, semantics),
    })
}

/// The labels `attach_metadata.node` adds: `node_name` and the node's labels, plus its
/// annotations from 2.46.
pub fn attached_labels(node: &Node, semantics: Semantics) -> Labels {
    let mut labels = Labels::new();
    meta::set(&mut labels, "node_name", node.metadata.name.clone());
    meta::add_labels(&mut labels, "node", &node.metadata.labels);
    if semantics.object_meta_everywhere() {
        meta::add_annotations(&mut labels, "node", &node.metadata.annotations);
    }
    labels
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::PrometheusVersion;

    fn node(json: &str) -> Node {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn address_priority_kubelet_port_and_instance() {
        let n = node(
            r#"{"metadata": {"name": "n1", "labels": {"kubernetes.io/os": "linux"}},
                "spec": {"providerID": "k3s://n1"},
                "status": {"addresses": [{"type": "Hostname", "address": "n1"},
                                         {"type": "ExternalIP", "address": "1.2.3.4"},
                                         {"type": "InternalIP", "address": "10.0.0.1"},
                                         {"type": "InternalIP", "address": "10.0.0.2"}],
                           "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                           "conditions": [{"type": "Ready", "status": "True"}]}}"#,
        );
        let g = build(&n, Semantics(PrometheusVersion::DEFAULT)).unwrap();
        assert_eq!(g.source, "node/n1");
        let t = &g.targets[0];
        assert_eq!(t["__address__"], "10.0.0.1:10250");
        assert_eq!(t["instance"], "n1");
        assert_eq!(t["__meta_kubernetes_node_address_InternalIP"], "10.0.0.1");
        assert_eq!(t["__meta_kubernetes_node_address_ExternalIP"], "1.2.3.4");
        assert_eq!(t["__meta_kubernetes_node_address_Hostname"], "n1");
        assert_eq!(g.labels["__meta_kubernetes_node_name"], "n1");
        assert_eq!(g.labels["__meta_kubernetes_node_provider_id"], "k3s://n1");
        assert_eq!(
            g.labels["__meta_kubernetes_node_label_kubernetes_io_os"],
            "linux"
        );
        assert!(!g
            .labels
            .contains_key("__meta_kubernetes_node_condition_ready"));
        let g = build(&n, Semantics(PrometheusVersion::new(3, 12))).unwrap();
        assert_eq!(g.labels["__meta_kubernetes_node_condition_ready"], "true");
    }

    #[test]
    fn node_without_address_has_no_group() {
        let n = node(r#"{"metadata": {"name": "n1"}}"#);
        assert!(build(&n, Semantics(PrometheusVersion::DEFAULT)).is_none());
    }
}
