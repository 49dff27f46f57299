//! Role `service`: one target per service port at `<name>.<namespace>.svc:<port>`. Pure.

use crate::discover::TargetGroup;
use crate::labels::{reserved, Labels};

use super::meta;
use super::objects::Service;

/// Prometheus's `serviceLabels`: namespace, name, labels and annotations. The endpoints roles add
/// these to their groups too.
pub fn service_labels(service: &Service) -> Labels {
    let mut labels = Labels::new();
    meta::set(&mut labels, "namespace", service.metadata.namespace.clone());
    meta::add_object_meta(&mut labels, "service", &service.metadata);
    labels
}

pub fn build(service: &Service) -> TargetGroup {
    let (namespace, name) = (&service.metadata.namespace, &service.metadata.name);
    let spec = &service.spec;
    let targets = spec
        .ports
        .iter()
        .map(|port| {
            let mut target = meta::labels_of([
                ("service_port_name", port.name.clone()),
                ("service_port_number", port.port.to_string()),
                ("service_port_protocol", port.protocol.clone()),
                ("service_type", spec.kind.clone()),
            ]);
            target.insert(
                reserved::ADDRESS.to_string(),
                meta::join_host_port(&format!("{name}.{namespace}.svc"), port.port),
            );
            if spec.kind == "ExternalName" {
                meta::set(
                    &mut target,
                    "service_external_name",
                    spec.external_name.clone(),
                );
            } else {
                meta::set(&mut target, "service_cluster_ip", spec.cluster_ip.clone());
            }
            if spec.kind == "LoadBalancer" {
                meta::set(
                    &mut target,
                    "service_loadbalancer_ip",
                    spec.load_balancer_ip.clone(),
                );
            }
            target
        })
        .collect();
    TargetGroup {
        source: format!("svc/{namespace}/{name}"),
        targets,
        labels: service_labels(service),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_target_per_port() {
        let s: Service = serde_json::from_str(
            r#"{"metadata": {"name": "traefik", "namespace": "kube-system"},
                "spec": {"type": "LoadBalancer", "clusterIP": "10.43.0.5",
                         "ports": [{"name": "web", "port": 80, "protocol": "TCP"},
                                   {"name": "websecure", "port": 443, "protocol": "TCP"}]}}"#,
        )
        .unwrap();
        let g = build(&s);
        assert_eq!(g.source, "svc/kube-system/traefik");
        assert_eq!(g.targets.len(), 2);
        let t = &g.targets[1];
        assert_eq!(t["__address__"], "traefik.kube-system.svc:443");
        assert_eq!(t["__meta_kubernetes_service_port_number"], "443");
        assert_eq!(t["__meta_kubernetes_service_cluster_ip"], "10.43.0.5");
        assert_eq!(t["__meta_kubernetes_service_loadbalancer_ip"], "");
        assert_eq!(g.labels["__meta_kubernetes_service_name"], "traefik");
    }

    #[test]
    fn external_name_replaces_cluster_ip() {
        let s: Service = serde_json::from_str(
            r#"{"metadata": {"name": "ext", "namespace": "a"},
                "spec": {"type": "ExternalName", "externalName": "db.example.com",
                         "ports": [{"port": 5432, "protocol": "TCP"}]}}"#,
        )
        .unwrap();
        let t = &build(&s).targets[0];
        assert_eq!(
            t["__meta_kubernetes_service_external_name"],
            "db.example.com"
        );
        assert!(!t.contains_key("__meta_kubernetes_service_cluster_ip"));
    }
}
