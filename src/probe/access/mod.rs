//! Access preflight: before judging scrapes, ask each API server whether the configuration's
//! identities hold every permission the configuration needs (SelfSubjectAccessReview, one per
//! permission, cluster-scoped checks with an empty namespace), and which rules they hold
//! (SelfSubjectRulesReview, for over-broad grants). Missing permissions are found even for
//! targets discovery could not reach, because the needs of SD entries come from the config.
//!
//! [`needs`] (pure) computes the requirements; [`review`] asks the API servers; [`manifest`]
//! (pure) writes the minimal RBAC manifest.

pub mod manifest;
pub mod needs;
mod review;

use serde::Serialize;

use crate::probe::authz::PolicyRule;

pub use needs::{compute, HttpSource, Need, Permission, Requirement, Requirements};
pub use review::{review_all, subject_of, AccessOptions};

/// What the API servers answered, per identity.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AccessFacts {
    pub clusters: Vec<ClusterAccess>,
}

/// One identity at one API server.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterAccess {
    /// The API server's `host:port`.
    pub cluster: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_server: Option<String>,
    /// The credentials, described without the secret.
    pub credentials: String,
    /// Who the token says it is (`system:serviceaccount:NS:NAME`), when it is a JWT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Why nothing was asked (no API server known, the client could not be built).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_checked: Option<String>,
    pub reviews: Vec<Review>,
    /// The rules the identity holds, per namespace asked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RulesReview>,
}

impl ClusterAccess {
    /// The service account the subject names: `(namespace, name)`.
    pub fn service_account(&self) -> Option<(&str, &str)> {
        self.subject
            .as_deref()?
            .strip_prefix("system:serviceaccount:")?
            .split_once(':')
    }

    pub fn denied(&self) -> impl Iterator<Item = &Review> {
        self.reviews
            .iter()
            .filter(|r| matches!(r.outcome, ReviewOutcome::Denied { .. }))
    }
}

/// One permission, who needs it, and the API server's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Review {
    pub permission: Permission,
    pub needed_by: Vec<Need>,
    pub outcome: ReviewOutcome,
}

/// A SelfSubjectAccessReview's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum ReviewOutcome {
    Allowed {
        #[serde(skip_serializing_if = "String::is_empty")]
        reason: String,
    },
    /// Not allowed (an explicit deny, or no authorizer had an opinion).
    Denied {
        #[serde(skip_serializing_if = "String::is_empty")]
        reason: String,
        #[serde(skip_serializing_if = "String::is_empty")]
        evaluation_error: String,
    },
    /// No answer: the review itself failed (401, unreachable, not JSON).
    Failed { message: String },
    /// Not asked (see [`ClusterAccess::not_checked`]).
    NotChecked,
}

/// A SelfSubjectRulesReview's answer for one namespace (cluster-wide rules included).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RulesReview {
    pub namespace: String,
    pub resource_rules: Vec<PolicyRule>,
    pub non_resource_rules: Vec<PolicyRule>,
    /// The authorizer chain could not list everything (a webhook authorizer is present).
    pub incomplete: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
