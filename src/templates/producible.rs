//! Which `__meta_*` labels a job's discovery mechanisms can produce, by name prefix. Shared by
//! the relabel templates. Pure.

use crate::config::model::{KubernetesRole, ScrapeConfig, SdKind};

/// Label-name prefixes a job's discovery can produce; `None` means "unknown, assume anything".
pub fn meta_prefixes(job: &ScrapeConfig) -> Vec<String> {
    let mut prefixes = Vec::new();
    for sd in &job.service_discovery {
        match &sd.kind {
            SdKind::Static(_) => {}
            SdKind::File(_) => prefixes.push("__meta_filepath".to_string()),
            SdKind::Kubernetes(k8s) => {
                prefixes.extend(kubernetes_prefixes(k8s.role, k8s.attach_node_metadata))
            }
            SdKind::Other { mechanism } => prefixes.push(format!("__meta_{mechanism}_")),
        }
    }
    prefixes
}

fn kubernetes_prefixes(role: KubernetesRole, attach_node: bool) -> Vec<String> {
    let k = "__meta_kubernetes_";
    let service_via_endpoints = [
        "service_name",
        "service_label_",
        "service_labelpresent_",
        "service_annotation_",
        "service_annotationpresent_",
    ];
    let mut names: Vec<String> = match role {
        KubernetesRole::Node => vec!["node_".into()],
        KubernetesRole::Pod => vec!["namespace".into(), "pod_".into()],
        KubernetesRole::Service => vec!["namespace".into(), "service_".into()],
        KubernetesRole::Endpoints => {
            let mut v: Vec<String> = vec![
                "namespace".into(),
                "endpoints_".into(),
                "endpoint_".into(),
                "pod_".into(),
            ];
            v.extend(service_via_endpoints.iter().map(|s| s.to_string()));
            v
        }
        KubernetesRole::EndpointSlice => {
            let mut v: Vec<String> =
                vec!["namespace".into(), "endpointslice_".into(), "pod_".into()];
            v.extend(service_via_endpoints.iter().map(|s| s.to_string()));
            v
        }
        KubernetesRole::Ingress => vec!["namespace".into(), "ingress_".into()],
    };
    if attach_node
        && matches!(
            role,
            KubernetesRole::Pod | KubernetesRole::Endpoints | KubernetesRole::EndpointSlice
        )
    {
        names.push("node_name".into());
        names.push("node_label_".into());
        names.push("node_labelpresent_".into());
    }
    names.into_iter().map(|n| format!("{k}{n}")).collect()
}

/// True when a label named `name` (or, with `is_prefix`, any label starting with `name`) can be
/// produced by discovery with these prefixes.
pub fn can_produce(prefixes: &[String], name: &str, is_prefix: bool) -> bool {
    prefixes.iter().any(|p| {
        let exact_label = !p.ends_with('_') || p == "__meta_filepath";
        if exact_label {
            name == p || (is_prefix && p.starts_with(name))
        } else {
            name.starts_with(p.as_str()) || (is_prefix && p.starts_with(name))
        }
    })
}

/// The literal text a regex must start with, up to its first metacharacter.
pub fn literal_prefix(pattern: &str) -> &str {
    let end = pattern
        .find(|c: char| "\\.+*?()|[]{}^$".contains(c))
        .unwrap_or(pattern.len());
    &pattern[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_role_produces_node_labels_only() {
        let prefixes = kubernetes_prefixes(KubernetesRole::Node, false);
        assert!(can_produce(&prefixes, "__meta_kubernetes_node_name", false));
        assert!(!can_produce(
            &prefixes,
            "__meta_kubernetes_endpoint_port_name",
            false
        ));
        assert!(can_produce(
            &prefixes,
            "__meta_kubernetes_node_label_",
            true
        ));
    }

    #[test]
    fn endpoints_role_sees_only_some_service_labels() {
        let prefixes = kubernetes_prefixes(KubernetesRole::Endpoints, false);
        assert!(can_produce(
            &prefixes,
            "__meta_kubernetes_service_name",
            false
        ));
        assert!(can_produce(
            &prefixes,
            "__meta_kubernetes_service_annotation_prometheus_io_path",
            false
        ));
        assert!(!can_produce(
            &prefixes,
            "__meta_kubernetes_service_port_name",
            false
        ));
        assert!(can_produce(&prefixes, "__meta_kubernetes_namespace", false));
    }

    #[test]
    fn literal_prefix_stops_at_metacharacters() {
        assert_eq!(
            literal_prefix("__meta_kubernetes_node_label_(.+)"),
            "__meta_kubernetes_node_label_"
        );
        assert_eq!(literal_prefix("(.*)"), "");
    }
}
