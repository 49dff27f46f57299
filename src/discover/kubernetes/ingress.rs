//! Role `ingress`: one target per rule and path, at the rule's bare host (no port, no
//! `__scheme__`). Pure.

use crate::discover::TargetGroup;
use crate::labels::{reserved, Labels};

use super::meta;
use super::objects::Ingress;

fn group_labels(ingress: &Ingress) -> Labels {
    let mut labels = Labels::new();
    meta::set(&mut labels, "namespace", ingress.metadata.namespace.clone());
    if let Some(class) = &ingress.spec.ingress_class_name {
        meta::set(&mut labels, "ingress_class_name", class.clone());
    }
    meta::add_object_meta(&mut labels, "ingress", &ingress.metadata);
    labels
}

/// Prometheus's `matchesHostnamePattern`: equal, or a `*.` pattern with the same number of
/// labels whose other labels are equal.
fn matches_host(pattern: &str, host: &str) -> bool {
    if pattern == host {
        return true;
    }
    let pattern: Vec<&str> = pattern.split('.').collect();
    let host: Vec<&str> = host.split('.').collect();
    pattern.first() == Some(&"*") && pattern.len() == host.len() && pattern[1..] == host[1..]
}

pub fn build(ingress: &Ingress) -> TargetGroup {
    let tls_hosts: Vec<&str> = ingress
        .spec
        .tls
        .iter()
        .flat_map(|tls| tls.hosts.iter().map(String::as_str))
        .collect();
    let mut targets = Vec::new();
    for rule in &ingress.spec.rules {
        let scheme = if tls_hosts.iter().any(|p| matches_host(p, &rule.host)) {
            "https"
        } else {
            "http"
        };
        let paths: Vec<String> = match &rule.http {
            None => vec!["/".to_string()],
            Some(http) => http
                .paths
                .iter()
                .map(|p| {
                    if p.path.is_empty() {
                        "/".to_string()
                    } else {
                        p.path.clone()
                    }
                })
                .collect(),
        };
        for path in paths {
            let mut target = meta::labels_of([
                ("ingress_scheme", scheme.to_string()),
                ("ingress_host", rule.host.clone()),
                ("ingress_path", path),
            ]);
            target.insert(reserved::ADDRESS.to_string(), rule.host.clone());
            targets.push(target);
        }
    }
    TargetGroup {
        source: format!(
            "ingress/{}/{}",
            ingress.metadata.namespace, ingress.metadata.name
        ),
        targets,
        labels: group_labels(ingress),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme_from_tls_hosts_and_default_paths() {
        let i: Ingress = serde_json::from_str(
            r#"{"metadata": {"name": "g", "namespace": "m"},
                "spec": {"ingressClassName": "traefik",
                         "rules": [{"host": "a.example.com", "http": {"paths": [{"path": "/x"}, {"path": ""}]}},
                                   {"host": "b.other.com"},
                                   {"host": "c.example.com", "http": {"paths": []}}],
                         "tls": [{"hosts": ["*.example.com"]}]}}"#,
        )
        .unwrap();
        let g = build(&i);
        assert_eq!(g.source, "ingress/m/g");
        assert_eq!(g.labels["__meta_kubernetes_ingress_class_name"], "traefik");
        let got: Vec<(&str, &str, &str)> = g
            .targets
            .iter()
            .map(|t| {
                (
                    t["__address__"].as_str(),
                    t["__meta_kubernetes_ingress_scheme"].as_str(),
                    t["__meta_kubernetes_ingress_path"].as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("a.example.com", "https", "/x"),
                ("a.example.com", "https", "/"),
                ("b.other.com", "http", "/"),
            ]
        );
    }

    #[test]
    fn wildcard_needs_equal_depth() {
        assert!(matches_host("*.a.b", "x.a.b"));
        assert!(!matches_host("*.a.b", "y.x.a.b"));
        assert!(!matches_host("x.a.b", "y.a.b"));
    }
}
