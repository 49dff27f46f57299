//! Templates `rbac-missing-permission` and `rbac-over-broad`: what the access preflight showed.
//! A permission the configuration needs that the API server's SelfSubjectAccessReview denies
//! (with the rule, the jobs that need it and a ready manifest), and granted rules broader than
//! needed (SelfSubjectRulesReview: `nodes/proxy` where `nodes/metrics` suffices, wildcards).
//! Pure.

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::probe::access::manifest::{over_broad, render_section, Section, Status};
use crate::probe::access::{ClusterAccess, Review, ReviewOutcome};
use crate::templates::{finding, Template};

pub struct RbacMissingPermission;

impl Template for RbacMissingPermission {
    fn name(&self) -> &'static str {
        "rbac-missing-permission"
    }

    fn description(&self) -> &'static str {
        "Reports permissions the configuration needs that the API server's SelfSubjectAccessReview denies."
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let Some(access) = input.access else {
            return Vec::new();
        };
        access
            .clusters
            .iter()
            .flat_map(|c| c.denied().map(move |r| missing(spec, c, r)))
            .collect()
    }
}

fn identity(c: &ClusterAccess) -> String {
    match &c.subject {
        Some(s) => format!("{s:?}"),
        None if c.credentials.is_empty() => "the configured identity".to_string(),
        None => format!("the identity of {}", c.credentials),
    }
}

fn needed_by(r: &Review) -> String {
    let mut jobs: Vec<String> = Vec::new();
    for n in &r.needed_by {
        let count = r.needed_by.iter().filter(|m| m.job == n.job).count();
        let text = if n.what.contains("://") {
            format!(
                "{} ({} target{})",
                n.job,
                count,
                if count == 1 { "" } else { "s" }
            )
        } else {
            format!("{} ({})", n.job, n.what)
        };
        if !jobs.contains(&text) {
            jobs.push(text);
        }
    }
    jobs.join(", ")
}

fn missing(spec: &CheckSpec, c: &ClusterAccess, r: &Review) -> Finding {
    let p = &r.permission;
    let scope = match p.scope() {
        crate::probe::authz::Scope::Cluster => "cluster-wide".to_string(),
        crate::probe::authz::Scope::Namespace { namespace } => {
            format!("in namespace {namespace:?}")
        }
    };
    let mut message = format!(
        "the API server {} denies {} `{}`, needed by {}; missing RBAC rule ({scope}): {}",
        c.cluster,
        identity(c),
        p.describe(),
        needed_by(r),
        p.rule().to_yaml().trim_start_matches("- ")
    );
    if let ReviewOutcome::Denied {
        reason,
        evaluation_error,
    } = &r.outcome
    {
        for extra in [reason, evaluation_error] {
            if !extra.is_empty() {
                message.push_str(&format!(" ({extra})"));
            }
        }
    }
    let mut f = finding(spec, message);
    let first = r.needed_by.first();
    f.job = first.map(|n| n.job.clone());
    f.location = first.map(|n| n.location.clone());
    f.cluster = Some(c.cluster.clone());
    f.target = r
        .needed_by
        .iter()
        .find(|n| n.what.contains("://"))
        .map(|n| n.what.clone());
    let section = Section {
        cluster: c.cluster.clone(),
        subject: c.subject.clone(),
        grants: vec![(p.clone(), Status::Denied)],
        jobs: r.needed_by.iter().map(|n| n.job.clone()).take(1).collect(),
        notes: Vec::new(),
    };
    f.remediation = Some(format!(
        "{}\n{}",
        spec.remediation,
        render_section(&section)
    ));
    f
}

pub struct RbacOverBroad;

impl Template for RbacOverBroad {
    fn name(&self) -> &'static str {
        "rbac-over-broad"
    }

    fn description(&self) -> &'static str {
        "Reports granted RBAC rules broader than the configuration needs, from SelfSubjectRulesReview."
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let Some(access) = input.access else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for c in &access.clusters {
            let first = c.reviews.iter().flat_map(|r| r.needed_by.first()).next();
            for o in over_broad(c) {
                let mut f = finding(
                    spec,
                    format!(
                        "{} holds `{}` at the API server {}: {}",
                        identity(c),
                        o.rule.to_yaml().trim_start_matches("- "),
                        c.cluster,
                        o.why
                    ),
                );
                f.job = first.map(|n| n.job.clone());
                f.location = first.map(|n| n.location.clone());
                f.cluster = Some(c.cluster.clone());
                out.push(f);
            }
        }
        out
    }
}
