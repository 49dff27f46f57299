//! The minimal RBAC manifest a configuration needs, as a ready `kubectl apply -f -` document:
//! per identity a ClusterRole + ClusterRoleBinding for cluster-scoped needs and non-resource
//! URLs, and a Role + RoleBinding per namespace for namespace-only needs. Also which granted
//! rules are broader than needed. Pure.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::probe::authz::PolicyRule;

use super::needs::{Permission, Requirement};
use super::{ClusterAccess, ReviewOutcome};

/// What the API server said about one needed permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Not asked (offline, or no API server known).
    Unconfirmed,
    Allowed,
    /// The review failed.
    Failed,
    Denied,
}

impl Status {
    fn of(outcome: &ReviewOutcome) -> Status {
        match outcome {
            ReviewOutcome::Allowed { .. } => Status::Allowed,
            ReviewOutcome::Denied { .. } => Status::Denied,
            ReviewOutcome::Failed { .. } => Status::Failed,
            ReviewOutcome::NotChecked => Status::Unconfirmed,
        }
    }

    fn comment(self) -> &'static str {
        match self {
            Status::Unconfirmed => "",
            Status::Allowed => "  # already allowed",
            Status::Failed => "  # could not be confirmed",
            Status::Denied => "  # missing now",
        }
    }
}

/// One identity's part of the manifest.
#[derive(Debug, Clone)]
pub struct Section {
    pub cluster: String,
    /// `system:serviceaccount:NS:NAME` or another user name; `None` when unknown.
    pub subject: Option<String>,
    pub grants: Vec<(Permission, Status)>,
    /// The jobs that need these grants.
    pub jobs: Vec<String>,
    /// Comment lines (over-broad grants seen).
    pub notes: Vec<String>,
}

impl Section {
    /// A section from the config alone.
    pub fn offline(req: &Requirement, subject: Option<String>) -> Section {
        Section {
            cluster: req.cluster.clone(),
            subject,
            grants: req
                .needs
                .keys()
                .map(|p| (p.clone(), Status::Unconfirmed))
                .collect(),
            jobs: jobs_of(req.needs.values().flatten().map(|n| n.job.as_str())),
            notes: Vec::new(),
        }
    }

    /// A section confirmed by the API server's reviews, with over-broad grants noted.
    pub fn confirmed(access: &ClusterAccess) -> Section {
        Section {
            cluster: access.cluster.clone(),
            subject: access.subject.clone(),
            grants: access
                .reviews
                .iter()
                .map(|r| (r.permission.clone(), Status::of(&r.outcome)))
                .collect(),
            jobs: jobs_of(
                access
                    .reviews
                    .iter()
                    .flat_map(|r| r.needed_by.iter().map(|n| n.job.as_str())),
            ),
            notes: over_broad(access)
                .iter()
                .map(|o| {
                    format!(
                        "over-broad grant seen: {} # {}",
                        o.rule.to_yaml().trim_start_matches("- "),
                        o.why
                    )
                })
                .collect(),
        }
    }
}

fn jobs_of<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let set: BTreeSet<&str> = names.collect();
    set.into_iter().map(str::to_string).collect()
}

/// A granted rule that is broader than the configuration needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverBroad {
    pub rule: PolicyRule,
    pub why: String,
}

/// The rules `access` holds (SelfSubjectRulesReview) that are broader than needed: `nodes/proxy`
/// where nothing needs it, and wildcards.
pub fn over_broad(access: &ClusterAccess) -> Vec<OverBroad> {
    let needs_node_proxy = access
        .reviews
        .iter()
        .any(|r| r.permission.resource == "nodes" && r.permission.subresource == "proxy");
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let star = |v: &[String]| v.iter().any(|s| s == "*");
    for rules in &access.rules {
        for rule in rules.resource_rules.iter().chain(&rules.non_resource_rules) {
            let why = if star(&rule.verbs) {
                "wildcard verbs grant every verb, writes included".to_string()
            } else if rule
                .resources
                .iter()
                .any(|r| r == "*" || r.starts_with("*/"))
            {
                "wildcard resources grant every resource of the group".to_string()
            } else if star(&rule.api_groups) {
                "wildcard apiGroups grant the resource in every API group".to_string()
            } else if star(&rule.non_resource_urls) {
                "a wildcard nonResourceURL grants every path".to_string()
            } else if !needs_node_proxy
                && rule.resources.iter().any(|r| r == "nodes/proxy")
                && (rule.api_groups.is_empty() || rule.api_groups.iter().any(|g| g.is_empty()))
            {
                "nodes/proxy allows exec on every kubelet; nodes/metrics suffices for /metrics scrapes"
                    .to_string()
            } else {
                continue;
            };
            if seen.insert(rule.to_yaml()) {
                out.push(OverBroad {
                    rule: rule.clone(),
                    why,
                });
            }
        }
    }
    out
}

const VERB_ORDER: &[&str] = &["get", "list", "watch"];

fn verb_rank(v: &str) -> usize {
    VERB_ORDER
        .iter()
        .position(|o| *o == v)
        .unwrap_or(VERB_ORDER.len())
}

/// Merges permissions into the fewest rules: one per (API group, verbs), resources listed.
fn rules<'a>(grants: impl Iterator<Item = &'a (Permission, Status)>) -> Vec<(PolicyRule, Status)> {
    // resource → verbs, per group
    let mut by_resource: BTreeMap<(String, String), (BTreeSet<String>, Status)> = BTreeMap::new();
    let mut by_path: BTreeMap<String, (BTreeSet<String>, Status)> = BTreeMap::new();
    for (p, status) in grants {
        let slot = if p.is_resource() {
            by_resource
                .entry((p.group.clone(), p.resource_path()))
                .or_insert_with(|| (BTreeSet::new(), Status::Unconfirmed))
        } else {
            by_path
                .entry(p.path.clone())
                .or_insert_with(|| (BTreeSet::new(), Status::Unconfirmed))
        };
        slot.0.insert(p.verb.clone());
        slot.1 = slot.1.max(*status);
    }
    let sorted = |verbs: &BTreeSet<String>| {
        let mut v: Vec<String> = verbs.iter().cloned().collect();
        v.sort_by_key(|s| (verb_rank(s), s.clone()));
        v
    };
    let mut merged: BTreeMap<(String, Vec<String>, Status), Vec<String>> = BTreeMap::new();
    for ((group, resource), (verbs, status)) in &by_resource {
        merged
            .entry((group.clone(), sorted(verbs), *status))
            .or_default()
            .push(resource.clone());
    }
    let mut out: Vec<(PolicyRule, Status)> = merged
        .into_iter()
        .map(|((group, verbs, status), resources)| {
            (
                PolicyRule {
                    api_groups: vec![group],
                    resources,
                    verbs,
                    ..PolicyRule::default()
                },
                status,
            )
        })
        .collect();
    let mut paths: BTreeMap<(Vec<String>, Status), Vec<String>> = BTreeMap::new();
    for (path, (verbs, status)) in &by_path {
        paths
            .entry((sorted(verbs), *status))
            .or_default()
            .push(path.clone());
    }
    out.extend(paths.into_iter().map(|((verbs, status), urls)| {
        (
            PolicyRule {
                non_resource_urls: urls,
                verbs,
                ..PolicyRule::default()
            },
            status,
        )
    }));
    out
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// The subject line and the binding name suffix for a subject.
fn subject(subject: Option<&str>) -> (String, String, bool) {
    match subject {
        Some(s) => match s
            .strip_prefix("system:serviceaccount:")
            .and_then(|r| r.split_once(':'))
        {
            Some((ns, name)) => (
                format!("  - kind: ServiceAccount\n    name: {}\n    namespace: {}\n", quote(name), quote(ns)),
                name.to_string(),
                true,
            ),
            None => (
                format!("  - kind: User\n    apiGroup: rbac.authorization.k8s.io\n    name: {}\n", quote(s)),
                "user".to_string(),
                true,
            ),
        },
        None => (
            "  # placeholder: the token's service account is unknown (not a JWT, or no token);\n  # replace it with the identity Prometheus authenticates as.\n  - kind: ServiceAccount\n    name: prometheus\n    namespace: monitoring\n".to_string(),
            "prometheus".to_string(),
            false,
        ),
    }
}

fn rule_lines(rules: &[(PolicyRule, Status)]) -> String {
    let mut text = String::from("rules:\n");
    for (rule, status) in rules {
        text.push_str(&format!("  {}{}\n", rule.to_yaml(), status.comment()));
    }
    text
}

/// The manifest of one section.
pub fn render_section(section: &Section) -> String {
    let (subject_text, suffix, _) = subject(section.subject.as_deref());
    let name = format!("prometheus-scrape-{suffix}");
    let mut text = format!(
        "# API server {}; identity {}; needed by jobs: {}\n",
        section.cluster,
        section.subject.as_deref().unwrap_or("unknown"),
        section.jobs.join(", ")
    );
    for note in &section.notes {
        text.push_str(&format!("# {note}\n"));
    }
    let cluster: Vec<&(Permission, Status)> = section
        .grants
        .iter()
        .filter(|(p, _)| p.namespace.is_empty() || !p.is_resource())
        .collect();
    let mut namespaced: BTreeMap<&str, Vec<&(Permission, Status)>> = BTreeMap::new();
    for g in &section.grants {
        if !g.0.namespace.is_empty() && g.0.is_resource() {
            namespaced
                .entry(g.0.namespace.as_str())
                .or_default()
                .push(g);
        }
    }
    let mut docs = Vec::new();
    if !cluster.is_empty() {
        let r = rules(cluster.into_iter());
        docs.push(format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {name}\n{}",
            rule_lines(&r)
        ));
        docs.push(format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {name}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {name}\nsubjects:\n{subject_text}"
        ));
    }
    for (ns, grants) in namespaced {
        let r = rules(grants.into_iter());
        docs.push(format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {name}\n  namespace: {}\n{}",
            quote(ns),
            rule_lines(&r)
        ));
        docs.push(format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: {name}\n  namespace: {}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: {name}\nsubjects:\n{subject_text}",
            quote(ns)
        ));
    }
    text.push_str(&docs.join("---\n"));
    text
}

/// The whole manifest: every section, separated as YAML documents. Empty when nothing is
/// needed.
pub fn render(sections: &[Section]) -> String {
    let parts: Vec<String> = sections
        .iter()
        .filter(|s| !s.grants.is_empty())
        .map(render_section)
        .collect();
    if parts.is_empty() {
        return String::new();
    }
    let mut text = String::from(
        "# Minimal RBAC for this Prometheus configuration (prom-preflight rbac).\n# Apply each section to its cluster: kubectl apply -f -\n",
    );
    text.push_str(&parts.join("---\n"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_verbs_and_splits_scopes() {
        let section = Section {
            cluster: "127.0.0.1:6443".into(),
            subject: Some("system:serviceaccount:monitoring:prometheus".into()),
            grants: vec![
                (
                    Permission::resource("list", "", "nodes", ""),
                    Status::Unconfirmed,
                ),
                (
                    Permission::resource("watch", "", "nodes", ""),
                    Status::Unconfirmed,
                ),
                (
                    Permission::resource("get", "", "nodes/metrics", ""),
                    Status::Unconfirmed,
                ),
                (
                    Permission::resource("get", "", "services/proxy", "apps"),
                    Status::Denied,
                ),
                (Permission::non_resource("get", "/metrics"), Status::Allowed),
            ],
            jobs: vec!["kubelet".into()],
            notes: vec![],
        };
        let text = render_section(&section);
        assert!(text.contains("kind: ClusterRole\nmetadata:\n  name: prometheus-scrape-prometheus\nrules:\n  - {apiGroups: [\"\"], resources: [\"nodes/metrics\"], verbs: [\"get\"]}\n  - {apiGroups: [\"\"], resources: [\"nodes\"], verbs: [\"list\", \"watch\"]}\n  - {nonResourceURLs: [\"/metrics\"], verbs: [\"get\"]}  # already allowed\n"), "{text}");
        assert!(text.contains("kind: Role\nmetadata:\n  name: prometheus-scrape-prometheus\n  namespace: \"apps\"\nrules:\n  - {apiGroups: [\"\"], resources: [\"services/proxy\"], verbs: [\"get\"]}  # missing now\n"), "{text}");
        assert!(text.contains(
            "  - kind: ServiceAccount\n    name: \"prometheus\"\n    namespace: \"monitoring\"\n"
        ));
    }

    #[test]
    fn unknown_subject_is_a_commented_placeholder() {
        let (text, _, known) = subject(None);
        assert!(!known);
        assert!(text.contains("# placeholder"));
    }
}
