//! The Kubernetes API objects discovery reads, as small serde structs holding exactly the fields
//! Prometheus's Kubernetes SD uses. Pure data.
//!
//! Every field is optional on the wire: a missing field or an explicit `null` decodes to Go's zero
//! value (empty string, empty list, zero), which is what client-go hands Prometheus. Fields that
//! Go keeps as pointers (so that "unset" differs from "empty") are `Option` here too, because
//! Prometheus emits their labels only when they are set.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// Decodes `null` like a missing field: Go's zero value.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// One page of a list response.
#[derive(Debug, Deserialize)]
#[serde(bound = "T: Deserialize<'de>")]
pub struct List<T> {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ListMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub items: Vec<T>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListMeta {
    #[serde(default, rename = "continue", deserialize_with = "nullable")]
    pub continue_token: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub namespace: String,
    #[serde(default, deserialize_with = "nullable")]
    pub uid: String,
    #[serde(default, deserialize_with = "nullable")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "nullable")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "nullable")]
    pub owner_references: Vec<OwnerReference>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct OwnerReference {
    #[serde(default, deserialize_with = "nullable")]
    pub kind: String,
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default)]
    pub controller: Option<bool>,
}

/// `type` + `status` pairs, as in node and pod conditions.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Condition {
    #[serde(default, rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    #[serde(default, deserialize_with = "nullable")]
    pub status: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Node {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: NodeSpec,
    #[serde(default, deserialize_with = "nullable")]
    pub status: NodeStatus,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSpec {
    #[serde(default, rename = "providerID", deserialize_with = "nullable")]
    pub provider_id: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeStatus {
    #[serde(default, deserialize_with = "nullable")]
    pub addresses: Vec<NodeAddress>,
    #[serde(default, deserialize_with = "nullable")]
    pub daemon_endpoints: DaemonEndpoints,
    #[serde(default, deserialize_with = "nullable")]
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct NodeAddress {
    #[serde(default, rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    #[serde(default, deserialize_with = "nullable")]
    pub address: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DaemonEndpoints {
    #[serde(default, deserialize_with = "nullable")]
    pub kubelet_endpoint: DaemonEndpoint,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct DaemonEndpoint {
    /// Capitalised on the wire (`"Port"`), as in the Kubernetes API.
    #[serde(default, rename = "Port", deserialize_with = "nullable")]
    pub port: i64,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Pod {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: PodSpec,
    #[serde(default, deserialize_with = "nullable")]
    pub status: PodStatus,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(default, deserialize_with = "nullable")]
    pub node_name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub containers: Vec<Container>,
    #[serde(default, deserialize_with = "nullable")]
    pub init_containers: Vec<Container>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Container {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub image: String,
    #[serde(default, deserialize_with = "nullable")]
    pub ports: Vec<ContainerPort>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub container_port: i64,
    #[serde(default, deserialize_with = "nullable")]
    pub protocol: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatus {
    #[serde(default, deserialize_with = "nullable")]
    pub phase: String,
    #[serde(default, rename = "podIP", deserialize_with = "nullable")]
    pub pod_ip: String,
    #[serde(default, rename = "hostIP", deserialize_with = "nullable")]
    pub host_ip: String,
    #[serde(default, deserialize_with = "nullable")]
    pub conditions: Vec<Condition>,
    #[serde(default, deserialize_with = "nullable")]
    pub container_statuses: Vec<ContainerStatus>,
    #[serde(default, deserialize_with = "nullable")]
    pub init_container_statuses: Vec<ContainerStatus>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatus {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, rename = "containerID", deserialize_with = "nullable")]
    pub container_id: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Service {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: ServiceSpec,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    #[serde(default, deserialize_with = "nullable")]
    pub ports: Vec<ServicePort>,
    #[serde(default, rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    #[serde(default, rename = "clusterIP", deserialize_with = "nullable")]
    pub cluster_ip: String,
    #[serde(default, deserialize_with = "nullable")]
    pub external_name: String,
    #[serde(default, rename = "loadBalancerIP", deserialize_with = "nullable")]
    pub load_balancer_ip: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ServicePort {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub port: i64,
    #[serde(default, deserialize_with = "nullable")]
    pub protocol: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Endpoints {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub subsets: Vec<EndpointSubset>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSubset {
    #[serde(default, deserialize_with = "nullable")]
    pub addresses: Vec<EndpointAddress>,
    #[serde(default, deserialize_with = "nullable")]
    pub not_ready_addresses: Vec<EndpointAddress>,
    #[serde(default, deserialize_with = "nullable")]
    pub ports: Vec<EndpointPort>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointAddress {
    #[serde(default, deserialize_with = "nullable")]
    pub ip: String,
    #[serde(default, deserialize_with = "nullable")]
    pub hostname: String,
    #[serde(default)]
    pub node_name: Option<String>,
    #[serde(default)]
    pub target_ref: Option<ObjectReference>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ObjectReference {
    #[serde(default, deserialize_with = "nullable")]
    pub kind: String,
    #[serde(default, deserialize_with = "nullable")]
    pub namespace: String,
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct EndpointPort {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub port: i64,
    #[serde(default, deserialize_with = "nullable")]
    pub protocol: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointSlice {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub address_type: String,
    #[serde(default, deserialize_with = "nullable")]
    pub endpoints: Vec<SliceEndpoint>,
    #[serde(default, deserialize_with = "nullable")]
    pub ports: Vec<SlicePort>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SliceEndpoint {
    #[serde(default, deserialize_with = "nullable")]
    pub addresses: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub conditions: SliceConditions,
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(default)]
    pub target_ref: Option<ObjectReference>,
    #[serde(default)]
    pub node_name: Option<String>,
    #[serde(default)]
    pub zone: Option<String>,
    /// `topology` in `discovery.k8s.io/v1beta1`, which Prometheus 2.x reads from old clusters.
    #[serde(default, alias = "topology", deserialize_with = "nullable")]
    pub deprecated_topology: BTreeMap<String, String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct SliceConditions {
    #[serde(default)]
    pub ready: Option<bool>,
    #[serde(default)]
    pub serving: Option<bool>,
    #[serde(default)]
    pub terminating: Option<bool>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlicePort {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub port: Option<i64>,
    #[serde(default)]
    pub protocol: Option<String>,
    #[serde(default)]
    pub app_protocol: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Ingress {
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: ObjectMeta,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: IngressSpec,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IngressSpec {
    #[serde(default)]
    pub ingress_class_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub rules: Vec<IngressRule>,
    #[serde(default, deserialize_with = "nullable")]
    pub tls: Vec<IngressTls>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct IngressRule {
    #[serde(default, deserialize_with = "nullable")]
    pub host: String,
    /// `None` when the rule has no `http` section: Prometheus then uses the path `/`.
    #[serde(default)]
    pub http: Option<HttpIngressRuleValue>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct HttpIngressRuleValue {
    #[serde(default, deserialize_with = "nullable")]
    pub paths: Vec<HttpIngressPath>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct HttpIngressPath {
    #[serde(default, deserialize_with = "nullable")]
    pub path: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct IngressTls {
    #[serde(default, deserialize_with = "nullable")]
    pub hosts: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_and_missing_fields_decode_to_zero_values() {
        let pod: Pod = serde_json::from_str(
            r#"{"metadata": {"name": "a", "labels": null},
                "spec": {"containers": [{"name": "c", "ports": null}]},
                "status": null}"#,
        )
        .unwrap();
        assert_eq!(pod.metadata.name, "a");
        assert!(pod.metadata.labels.is_empty());
        assert!(pod.spec.containers[0].ports.is_empty());
        assert_eq!(pod.status.pod_ip, "");
    }

    #[test]
    fn node_kubelet_port_uses_the_capitalised_field() {
        let node: Node = serde_json::from_str(
            r#"{"status": {"daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}}}}"#,
        )
        .unwrap();
        assert_eq!(node.status.daemon_endpoints.kubelet_endpoint.port, 10250);
    }

    #[test]
    fn ingress_rule_without_http_differs_from_empty_paths() {
        let ing: Ingress = serde_json::from_str(
            r#"{"spec": {"rules": [{"host": "a"}, {"host": "b", "http": {"paths": []}}]}}"#,
        )
        .unwrap();
        assert!(ing.spec.rules[0].http.is_none());
        assert!(ing.spec.rules[1].http.as_ref().unwrap().paths.is_empty());
    }
}
