//! `sd/forbidden`: a 403 on a discovery list, decoded into the RBAC rule that is missing.
//!
//! The denied rule is what the call asked for: the resource and API group listed, cluster-wide
//! or in a namespace. Prometheus needs `list` and `watch` on it (it lists, then watches). The
//! Kubernetes `Status` message adds who was denied and, when a binding is dangling, why. Pure.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

use crate::discover::kubernetes::{KubeFacts, ListFact};
use crate::templates::sd_kubernetes::{calls, evidence, Problem};

/// The message `responsewriters.Forbidden` writes (kubernetes-authz reference, §1.4).
fn forbidden_message() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"^(?:\S+?(?: "[^"]*")? is forbidden|forbidden): User "(?P<user>[^"]*)" cannot (?P<verb>\S+) (?:path "[^"]*"|resource "[^"]*" in API group "[^"]*" (?:at the cluster scope|in the namespace "[^"]*"))(?:: (?P<reason>(?s:.*)))?$"#,
        )
        .expect("the Forbidden message pattern is valid")
    })
}

#[derive(serde::Deserialize)]
struct Status {
    #[serde(default)]
    message: String,
}

/// Who was denied and the authorizer's reason, from a 403 body.
fn denied(call: &ListFact) -> (Option<String>, Option<String>) {
    let Some(body) = call.error_body.as_deref() else {
        return (None, None);
    };
    let Ok(status) = serde_json::from_str::<Status>(body) else {
        return (None, None);
    };
    match forbidden_message().captures(&status.message) {
        Some(c) => (
            c.name("user").map(|m| m.as_str().to_string()),
            c.name("reason")
                .map(|m| m.as_str().trim().to_string())
                .filter(|r| !r.is_empty()),
        ),
        None => (None, None),
    }
}

/// One missing rule: a resource of an API group, cluster-wide or in some namespaces.
#[derive(Debug, Default)]
struct Rule {
    cluster_wide: bool,
    namespaces: Vec<String>,
}

fn quoted(items: &[&str]) -> String {
    let inner: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    format!("[{}]", inner.join(", "))
}

fn subject(user: &str) -> String {
    match user
        .strip_prefix("system:serviceaccount:")
        .and_then(|r| r.split_once(':'))
    {
        Some((ns, name)) => {
            format!("  - kind: ServiceAccount\n    name: {name}\n    namespace: {ns}")
        }
        None => {
            format!("  - kind: User\n    name: {user}\n    apiGroup: rbac.authorization.k8s.io")
        }
    }
}

fn manifest(rules: &BTreeMap<(String, String), Rule>, user: &str) -> String {
    let rule_yaml = |group: &str, resource: &str| {
        format!(
            "  - apiGroups: {}\n    resources: {}\n    verbs: {}\n",
            quoted(&[group]),
            quoted(&[resource]),
            quoted(&["list", "watch"])
        )
    };
    let mut cluster = String::new();
    let mut by_namespace: BTreeMap<&str, String> = BTreeMap::new();
    for ((group, resource), rule) in rules {
        if rule.cluster_wide {
            cluster.push_str(&rule_yaml(group, resource));
        }
        for ns in &rule.namespaces {
            by_namespace
                .entry(ns)
                .or_default()
                .push_str(&rule_yaml(group, resource));
        }
    }
    let subject = subject(user);
    let mut out = String::new();
    if !cluster.is_empty() {
        out.push_str(&format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: prometheus-discovery\nrules:\n{cluster}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: prometheus-discovery\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: prometheus-discovery\nsubjects:\n{subject}\n"
        ));
    }
    for (ns, rules) in by_namespace {
        if !out.is_empty() {
            out.push_str("---\n");
        }
        out.push_str(&format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: prometheus-discovery\n  namespace: {ns}\nrules:\n{rules}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: prometheus-discovery\n  namespace: {ns}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: prometheus-discovery\nsubjects:\n{subject}\n"
        ));
    }
    out
}

pub fn forbidden(facts: &KubeFacts) -> Option<Problem> {
    let failed = calls(facts, |c| c.status == Some(403));
    if failed.is_empty() {
        return None;
    }
    let mut rules: BTreeMap<(String, String), Rule> = BTreeMap::new();
    let mut user = None;
    let mut reasons = Vec::new();
    for call in &failed {
        let key = (
            call.resource.group.to_string(),
            call.resource.resource.to_string(),
        );
        let rule = rules.entry(key).or_default();
        match &call.namespace {
            None => rule.cluster_wide = true,
            Some(ns) if !rule.namespaces.contains(ns) => rule.namespaces.push(ns.clone()),
            Some(_) => {}
        }
        let (who, reason) = denied(call);
        user = user.or(who);
        if let Some(reason) = reason.filter(|r| !reasons.contains(r)) {
            reasons.push(reason);
        }
    }
    let user = user
        .or_else(|| {
            facts
                .credentials
                .token_claims
                .as_ref()
                .and_then(|c| c.subject.clone())
        })
        .unwrap_or_else(|| "this SD entry's identity".to_string());
    let described: Vec<String> = rules
        .iter()
        .map(|((group, resource), rule)| {
            let mut scope = Vec::new();
            if rule.cluster_wide {
                scope.push("cluster-wide".to_string());
            }
            if !rule.namespaces.is_empty() {
                scope.push(format!("in namespace {}", rule.namespaces.join(", ")));
            }
            format!(
                "apiGroups: {}, resources: {}, verbs: {} ({})",
                quoted(&[group]),
                quoted(&[resource]),
                quoted(&["list", "watch"]),
                scope.join(" and ")
            )
        })
        .collect();
    let mut message = format!(
        "{user} may not list what role {} discovers from {} (403 Forbidden); missing RBAC rule{}: {}",
        facts.role,
        facts.api_server,
        if described.len() > 1 { "s" } else { "" },
        described.join("; ")
    );
    if !reasons.is_empty() {
        message.push_str(&format!("; the authorizer says: {}", reasons.join("; ")));
    }
    let remediation = format!(
        "Grant the missing rule{} (Prometheus lists, then watches), for example:\n\n{}",
        if described.len() > 1 { "s" } else { "" },
        manifest(&rules, &user)
    );
    Some(Problem {
        message,
        evidence: evidence(&failed),
        remediation: Some(remediation),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_user_and_the_rbac_reason() {
        let m = r#"endpoints is forbidden: User "system:serviceaccount:monitoring:prometheus" cannot list resource "endpoints" in API group "" at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io "x" not found"#;
        let c = forbidden_message().captures(m).unwrap();
        assert_eq!(&c["user"], "system:serviceaccount:monitoring:prometheus");
        assert_eq!(&c["verb"], "list");
        assert!(c["reason"].starts_with("RBAC: clusterrole"));
        let m = r#"pods is forbidden: User "u" cannot list resource "pods" in API group "" in the namespace "shop""#;
        assert!(forbidden_message()
            .captures(m)
            .unwrap()
            .name("reason")
            .is_none());
    }

    #[test]
    fn service_accounts_become_service_account_subjects() {
        assert!(subject("system:serviceaccount:monitoring:prometheus")
            .contains("kind: ServiceAccount\n    name: prometheus\n    namespace: monitoring"));
        assert!(subject("alice").contains("kind: User"));
    }
}
