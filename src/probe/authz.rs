//! Decoding a 403 or 401 answer: who answered (the API server's `Status` JSON, the kubelet's or
//! kube-rbac-proxy's `Forbidden (user=…)` text, or the target itself) and, for a 403, the exact
//! RBAC rule the caller lacks. Pure: text in, facts out.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

/// Who produced a 401/403 body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Responder {
    /// kube-apiserver (or any k8s.io/apiserver server): a `Status` JSON body.
    ApiServer,
    /// The kubelet's authorization filter (`resource=nodes`).
    Kubelet,
    /// kube-rbac-proxy in front of an exporter (same text, other resources or none).
    KubeRbacProxy,
    /// The scraped program itself: not a Kubernetes authorization decision.
    Target,
}

impl Responder {
    pub fn describe(self) -> &'static str {
        match self {
            Responder::ApiServer => "the API server",
            Responder::Kubelet => "the kubelet",
            Responder::KubeRbacProxy => "kube-rbac-proxy",
            Responder::Target => "the target itself",
        }
    }
}

/// Where a missing rule must be granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Scope {
    /// A ClusterRole bound with a ClusterRoleBinding.
    Cluster,
    /// A Role (or ClusterRole) bound with a RoleBinding in this namespace.
    Namespace { namespace: String },
}

/// One RBAC `PolicyRule`, as it would be written in a (Cluster)Role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PolicyRule {
    #[serde(rename = "apiGroups", skip_serializing_if = "Vec::is_empty")]
    pub api_groups: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(rename = "resourceNames", skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    #[serde(rename = "nonResourceURLs", skip_serializing_if = "Vec::is_empty")]
    pub non_resource_urls: Vec<String>,
    pub verbs: Vec<String>,
}

impl PolicyRule {
    /// The rule in flow-style YAML, as one list item of `rules:`.
    pub fn to_yaml(&self) -> String {
        let list = |v: &[String]| {
            let items: Vec<String> = v
                .iter()
                .map(|s| serde_json::to_string(s).unwrap_or_default())
                .collect();
            format!("[{}]", items.join(", "))
        };
        let mut parts = Vec::new();
        if !self.non_resource_urls.is_empty() {
            parts.push(format!(
                "nonResourceURLs: {}",
                list(&self.non_resource_urls)
            ));
        } else {
            parts.push(format!("apiGroups: {}", list(&self.api_groups)));
            parts.push(format!("resources: {}", list(&self.resources)));
            if !self.resource_names.is_empty() {
                parts.push(format!("resourceNames: {}", list(&self.resource_names)));
            }
        }
        parts.push(format!("verbs: {}", list(&self.verbs)));
        format!("- {{{}}}", parts.join(", "))
    }
}

/// A decoded 403.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Denial {
    pub responder: Responder,
    /// The identity that was refused, as the server names it.
    pub user: String,
    /// The rule that would allow the request.
    pub missing: PolicyRule,
    pub scope: Scope,
    /// The object's name from the message (a node, or a `[scheme:]service[:port]` segment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// Text the authorizer appended (`RBAC: clusterrole… not found`, a webhook's reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The kubelet refused the API server's own client identity on a proxied request: a cluster
    /// misconfiguration, not a rule the scraping identity lacks.
    pub apiserver_identity: bool,
}

impl Denial {
    /// A service account named by `system:serviceaccount:NS:NAME`.
    pub fn service_account(&self) -> Option<(&str, &str)> {
        let rest = self.user.strip_prefix("system:serviceaccount:")?;
        rest.split_once(':')
    }

    /// A ready manifest granting the missing rule to the refused identity.
    pub fn manifest(&self) -> String {
        let name = "prometheus-scrape";
        let subject = match self.service_account() {
            Some((ns, sa)) => format!("  - {{kind: ServiceAccount, name: {sa}, namespace: {ns}}}"),
            None => format!(
                "  - {{kind: User, apiGroup: rbac.authorization.k8s.io, name: {}}}",
                serde_json::to_string(&self.user).unwrap_or_default()
            ),
        };
        let rule = self.missing.to_yaml();
        match &self.scope {
            Scope::Cluster => format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: {name}}}\nrules:\n  {rule}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: {name}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {name}}}\nsubjects:\n{subject}\n"
            ),
            Scope::Namespace { namespace } => format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: {name}, namespace: {namespace}}}\nrules:\n  {rule}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: {name}, namespace: {namespace}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: {name}}}\nsubjects:\n{subject}\n"
            ),
        }
    }
}

/// What a 401 or 403 body says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Answer {
    Forbidden(Box<Denial>),
    /// Authentication failed; the server gives no reason (only its log does).
    Unauthorized {
        responder: Responder,
    },
    /// A 401/403 that is not a Kubernetes authorization decision, or one we cannot parse.
    Other {
        responder: Responder,
    },
}

static APISERVER_MESSAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"^(?:(?P<gr>\S+?)(?: "(?P<name>[^"]*)")? is forbidden|forbidden): User "(?P<user>[^"]*)" cannot (?P<verb>\S+) (?:path "(?P<path>[^"]*)"|resource "(?P<res>[^"]*)" in API group "(?P<group>[^"]*)" (?:at the cluster scope|in the namespace "(?P<ns>[^"]*)"))(?:: (?P<reason>(?s:.*)))?$"#,
    )
    .expect("static regex")
});

static KUBELET_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^Forbidden \(user=(?P<user>.*), verb=(?P<verb>[^,]*), resource=(?P<res>[^,]*), subresource(?:=(?P<sub>[^)]*)|\(s\)=\[(?P<subs>[^\]]*)\])\)$",
    )
    .expect("static regex")
});

/// Decodes a 401/403 answer to a GET of `path` (the request path, used for kube-rbac-proxy's
/// non-resource checks and to tell a relayed kubelet answer from a direct one).
pub fn decode(status: u16, body: &str, path: &str) -> Option<Answer> {
    if status != 401 && status != 403 {
        return None;
    }
    let trimmed = body.trim();
    if let Some(status_json) = api_status(trimmed) {
        let reason = status_json
            .get("reason")
            .and_then(|r| r.as_str())
            .unwrap_or("");
        let message = status_json
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or("");
        return Some(match (status, reason) {
            (401, _) | (_, "Unauthorized") => Answer::Unauthorized {
                responder: Responder::ApiServer,
            },
            _ => match apiserver_denial(message) {
                Some(d) => Answer::Forbidden(Box::new(d)),
                None => Answer::Other {
                    responder: Responder::ApiServer,
                },
            },
        });
    }
    if status == 401 && trimmed == "Unauthorized" {
        return Some(Answer::Unauthorized {
            responder: Responder::Kubelet,
        });
    }
    if status == 403 {
        if let Some(d) = kubelet_denial(trimmed, path) {
            return Some(Answer::Forbidden(Box::new(d)));
        }
    }
    Some(Answer::Other {
        responder: Responder::Target,
    })
}

fn api_status(body: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    if !body.starts_with('{') {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let map = value.as_object()?;
    (map.get("kind").and_then(|k| k.as_str()) == Some("Status")).then(|| map.clone())
}

/// Parses a kube-apiserver `Forbidden` message (format since Kubernetes 1.12).
pub fn apiserver_denial(message: &str) -> Option<Denial> {
    let c = APISERVER_MESSAGE.captures(message)?;
    let get = |n: &str| c.name(n).map(|m| m.as_str().to_string());
    let user = get("user")?;
    let verb = get("verb")?;
    let reason = get("reason").filter(|r| !r.is_empty());
    if let Some(path) = get("path") {
        return Some(Denial {
            responder: Responder::ApiServer,
            user,
            missing: PolicyRule {
                non_resource_urls: vec![path],
                verbs: vec![verb],
                ..Default::default()
            },
            scope: Scope::Cluster,
            resource_name: None,
            reason,
            apiserver_identity: false,
        });
    }
    let resource = get("res")?;
    let group = get("group").unwrap_or_default();
    let name = get("name");
    let scope = match get("ns") {
        Some(ns) => Scope::Namespace { namespace: ns },
        None => Scope::Cluster,
    };
    // A proxied service or pod is authorized by its whole `[scheme:]name[:port]` segment; the
    // rule names it so the grant covers exactly the endpoint being scraped.
    let resource_names = match (&name, resource.as_str()) {
        (Some(n), "services/proxy") => vec![n.clone()],
        _ => Vec::new(),
    };
    Some(Denial {
        responder: Responder::ApiServer,
        user,
        missing: PolicyRule {
            api_groups: vec![group],
            resources: vec![resource],
            resource_names,
            verbs: vec![verb],
            ..Default::default()
        },
        scope,
        resource_name: name,
        reason,
        apiserver_identity: false,
    })
}

/// Parses the kubelet's (or kube-rbac-proxy's) `Forbidden (user=…, …)` text, both the format
/// before Kubernetes 1.32 (`subresource=x`) and after (`subresource(s)=[a b]`).
pub fn kubelet_denial(text: &str, path: &str) -> Option<Denial> {
    let c = KUBELET_TEXT.captures(text.trim())?;
    let get = |n: &str| c.name(n).map(|m| m.as_str().to_string());
    let user = get("user")?;
    let verb = get("verb").unwrap_or_default();
    let resource = get("res").unwrap_or_default();
    let subresources: Vec<String> = match (get("sub"), get("subs")) {
        (Some(s), _) => vec![s],
        (None, Some(list)) => list.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    };
    let subresources: Vec<String> = subresources.into_iter().filter(|s| !s.is_empty()).collect();
    // A 403 through the API server's node proxy comes from the kubelet judging the API
    // server's own client certificate.
    let relayed = path.starts_with("/api/v1/nodes/") && path.contains("/proxy");
    let apiserver_identity = user.contains("kube-apiserver") || (relayed && resource == "nodes");
    let verb = if verb.is_empty() {
        "get".to_string()
    } else {
        verb
    };
    if resource.is_empty() {
        // kube-rbac-proxy without resource attributes: a non-resource check of the path.
        let url_path = path.split('?').next().unwrap_or(path).to_string();
        return Some(Denial {
            responder: Responder::KubeRbacProxy,
            user,
            missing: PolicyRule {
                non_resource_urls: vec![url_path],
                verbs: vec![verb],
                ..Default::default()
            },
            scope: Scope::Cluster,
            resource_name: None,
            reason: None,
            apiserver_identity: false,
        });
    }
    let responder = if resource == "nodes" {
        Responder::Kubelet
    } else {
        Responder::KubeRbacProxy
    };
    let resources = match subresources.first() {
        Some(sub) if responder == Responder::Kubelet => vec![format!("{resource}/{sub}")],
        Some(sub) => {
            // kube-rbac-proxy prints the configured resource attributes; the subresource field
            // is what its config names (often a service name).
            vec![format!("{resource}/{sub}")]
        }
        None => vec![resource.clone()],
    };
    Some(Denial {
        responder,
        user,
        missing: PolicyRule {
            api_groups: vec![String::new()],
            resources,
            verbs: vec![verb],
            ..Default::default()
        },
        scope: Scope::Cluster,
        resource_name: None,
        reason: None,
        apiserver_identity,
    })
}

#[cfg(test)]
#[path = "authz_tests.rs"]
mod tests;
