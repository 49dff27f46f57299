//! Template `probe-failure`: for every probed target Prometheus would mark down, exactly one
//! finding under the check id that explains it (RBAC rule, token, certificate, status, timeout,
//! body size, the payload's limits, parse errors and content type, or the catch-all
//! `scrape/failed`). Pure: reads probe facts only.

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::probe::authz::{Answer, Denial, Scope};
use crate::probe::{Health, ProbeFacts};
use crate::templates::payload_text;
use crate::templates::probe_http;
use crate::templates::probe_text::{self, located};
use crate::templates::{finding, Template};
use crate::transport::{BodyEnd, FailureKind, TlsProblem};

pub struct ProbeFailure;

/// The check id a down target belongs to.
pub fn failure_check(p: &ProbeFacts) -> Option<&'static str> {
    if p.health == Health::Up {
        return None;
    }
    if let Some(failure) = p.failure() {
        return Some(match &failure.kind {
            FailureKind::Tls {
                problem: Some(problem),
            } => match problem {
                TlsProblem::UnknownAuthority => "tls/unknown-authority",
                TlsProblem::NameMismatch { .. } => "tls/name-mismatch",
                TlsProblem::Expired { .. } => "tls/expired",
                TlsProblem::NotYetValid { .. } => "tls/not-yet-valid",
                TlsProblem::Other { .. } => "scrape/failed",
            },
            FailureKind::Timeout { .. } => "scrape/timeout",
            _ => catch_all(p),
        });
    }
    let Some(response) = p.response() else {
        return Some(catch_all(p));
    };
    if response.status != 200 {
        return Some(match &p.answer {
            Some(Answer::Forbidden(d)) if d.apiserver_identity => "rbac/apiserver-identity-refused",
            Some(Answer::Forbidden(_)) => "rbac/forbidden",
            Some(Answer::Unauthorized { .. }) => match &p.token {
                Some(t) if t.expired_at(p.probed_at) => "auth/token-expired",
                _ => "auth/unauthorized",
            },
            // Alerts are posted, not scraped: the scrape-specific explanations do not apply.
            _ if p.alertmanager_index.is_some() => "scrape/http-status",
            _ => match response.status {
                404 => "scrape/not-found",
                301 | 302 | 303 | 307 | 308 => "scrape/redirect-not-followed",
                503 if probe_http::proxy_unavailable(p).is_some() => "scrape/proxy-backend-down",
                s if s >= 500 => "scrape/server-error",
                _ => "scrape/http-status",
            },
        });
    }
    Some(match &response.body.end {
        BodyEnd::LimitReached { .. } => "scrape/body-size-limit",
        BodyEnd::Failed { timeout: true, .. } => "scrape/timeout",
        BodyEnd::Failed { .. } => catch_all(p),
        _ => p
            .payload
            .as_ref()
            .and_then(|payload| payload_text::failure_check(&payload.summary))
            .unwrap_or_else(|| catch_all(p)),
    })
}

/// The check for a failure no specific check explains: an unreachable alertmanager, or a
/// failed scrape.
fn catch_all(p: &ProbeFacts) -> &'static str {
    if p.alertmanager_index.is_some() {
        "alerting/unreachable"
    } else {
        "scrape/failed"
    }
}

impl Template for ProbeFailure {
    fn name(&self) -> &'static str {
        "probe-failure"
    }

    fn description(&self) -> &'static str {
        "Explains why a probed target would be down, one check per cause."
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let Some(probes) = input.probes else {
            return Vec::new();
        };
        probes
            .targets
            .iter()
            .filter(|p| failure_check(p) == Some(spec.id.as_str()))
            .map(|p| explain(spec, input, p))
            .collect()
    }
}

fn explain(spec: &CheckSpec, input: &CheckInput, p: &ProbeFacts) -> Finding {
    let error = p.error.clone().unwrap_or_default();
    let (message, remediation) = match (spec.id.as_str(), &p.answer) {
        ("rbac/forbidden", Some(Answer::Forbidden(d))) => forbidden(spec, d),
        ("rbac/apiserver-identity-refused", Some(Answer::Forbidden(d))) => (
            format!(
                "the kubelet refused the API server's own client identity {:?} on the proxied request (`{error}`); the scraping identity's RBAC is not the problem",
                d.user
            ),
            None,
        ),
        ("auth/unauthorized" | "auth/token-expired", Some(Answer::Unauthorized { responder })) => {
            probe_text::unauthorized(spec, input, p, responder.describe())
        }
        ("tls/unknown-authority" | "tls/name-mismatch" | "tls/expired" | "tls/not-yet-valid", _) => {
            probe_text::tls_failure(spec, p)
        }
        ("scrape/not-found", _) => probe_http::not_found(spec, p),
        ("scrape/server-error", _) => probe_http::server_error(p),
        ("scrape/proxy-backend-down", _) => probe_http::proxy_backend_down(spec, p),
        ("scrape/redirect-not-followed", _) => probe_http::redirect_not_followed(spec, input, p),
        ("scrape/http-status", _) => probe_http::other_status(p),
        ("scrape/timeout", _) => probe_text::timeout(p),
        ("scrape/body-size-limit", _) => probe_text::body_limit(p),
        ("alerting/unreachable", _) => match &p.client_error {
            Some(e) => (
                format!("the alertmanager entry's HTTP client cannot be built: {e}"),
                Some("Fix the entry's `tls_config` files (CA, client certificate and key) or its HTTP client settings.".into()),
            ),
            None => (format!("the connection fails: {error}"), None),
        },
        (
            "scrape/sample-limit"
            | "scrape/label-limit"
            | "scrape/label-length-limit"
            | "scrape/unparseable"
            | "scrape/content-type",
            _,
        ) => match &p.payload {
            Some(payload) => payload_text::explain(&payload.summary, input.version),
            None => (format!("the scrape fails: {error}"), None),
        },
        _ => match &p.client_error {
            Some(e) => (
                format!("the job's HTTP client cannot be built, so Prometheus never scrapes it: {e}"),
                Some("Fix the job's `tls_config` files (CA, client certificate and key) or its HTTP client settings.".into()),
            ),
            None => (format!("the scrape fails: {error}"), None),
        },
    };
    // Every failure of an alertmanager probe means alerts would be lost; say so first.
    let message = match &p.alerts_url {
        Some(url) => format!("Prometheus cannot deliver alerts to {url}: {message}"),
        None => message,
    };
    let mut f = located(finding(spec, message), input, p);
    f.evidence = Some(probe_text::evidence(p));
    if let Some(r) = remediation {
        f.remediation = Some(r);
    }
    f
}

fn forbidden(spec: &CheckSpec, d: &Denial) -> (String, Option<String>) {
    let scope = match &d.scope {
        Scope::Cluster => "cluster-wide".to_string(),
        Scope::Namespace { namespace } => format!("in namespace {namespace:?}"),
    };
    let mut message = format!(
        "{} refused {:?} (HTTP 403); missing RBAC rule ({scope}): {}",
        d.responder.describe(),
        d.user,
        d.missing.to_yaml().trim_start_matches("- ")
    );
    if let Some(reason) = &d.reason {
        message.push_str(&format!("; the authorizer adds: {reason}"));
    }
    // The API server authorizes a path before it knows whether the path exists: a 403 for a
    // misspelled `/metrics` is a typo, not a missing grant.
    if let Some(near) = d
        .missing
        .non_resource_urls
        .first()
        .and_then(|path| probe_text::near_path(path))
    {
        message.push_str(&format!(
            "; the path looks like a typo of {near:?}, which the API server authorizes separately"
        ));
        return (
            message,
            Some(format!(
                "Set `metrics_path: {near}` rather than granting the misspelled path."
            )),
        );
    }
    let remediation = format!(
        "{}\n\n{}(apply with `kubectl apply -f -`.)",
        spec.remediation,
        d.manifest()
    );
    (message, Some(remediation))
}
