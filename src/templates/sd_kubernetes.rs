//! Template `sd-kubernetes`: explains what went wrong when Kubernetes discovery listed objects,
//! from the facts discovery recorded for every list call. One template serves every check of the
//! family; the spec's id says which question it answers:
//!
//! - `sd/api-unreachable`: the API server was not reached (refused, DNS, timeout);
//! - `sd/tls-failed`: the TLS handshake failed, with the certificate's names and the fix;
//! - `sd/unauthorized`: 401, with the token's claims (subject, issuer, expiry), never the token;
//! - `sd/forbidden`: 403, decoded into the missing RBAC rule (see [`super::sd_forbidden`]);
//! - `sd/api-error`: any other failed answer (404, 5xx, an undecodable body);
//! - `sd/no-objects`: every list worked and there was nothing to discover;
//! - `sd/selector-matches-nothing`: a selector excluded every object that exists.
//!
//! Pure: findings come from recorded facts only.

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::discover::kubernetes::{Failure, KubeFacts, ListFact, Purpose};
use crate::discover::SdResult;
use crate::templates::{finding, sd_forbidden, Template};

pub struct SdKubernetes;

impl Template for SdKubernetes {
    fn name(&self) -> &'static str {
        "sd-kubernetes"
    }

    fn description(&self) -> &'static str {
        "Explains failed or empty Kubernetes discovery from the list calls it made."
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let mut findings = Vec::new();
        for job in input.jobs {
            let job_name = &input.config.scrape_configs[job.job_index].job_name;
            for sd in &job.discovery {
                let Some(facts) = sd.kubernetes.as_deref() else {
                    continue;
                };
                let found = match spec.id.as_str() {
                    "sd/api-unreachable" => unreachable(facts),
                    "sd/tls-failed" => tls_failed(facts),
                    "sd/unauthorized" => unauthorized(facts),
                    "sd/forbidden" => sd_forbidden::forbidden(facts),
                    "sd/api-error" => api_error(facts),
                    "sd/no-objects" => no_objects(facts),
                    "sd/selector-matches-nothing" => selector_matches_nothing(facts),
                    _ => None,
                };
                if let Some(problem) = found {
                    findings.push(to_finding(spec, problem, job_name, sd, facts));
                }
            }
        }
        findings
    }
}

/// What a check found for one SD entry.
pub struct Problem {
    pub message: String,
    pub evidence: Option<String>,
    /// Replaces the spec's generic remediation when the fix can be spelled out.
    pub remediation: Option<String>,
}

fn to_finding(
    spec: &CheckSpec,
    problem: Problem,
    job: &str,
    sd: &SdResult,
    facts: &KubeFacts,
) -> Finding {
    let mut f = finding(spec, problem.message);
    f.job = Some(job.to_string());
    f.cluster = Some(facts.cluster.clone());
    f.location = Some(sd.location.clone());
    f.evidence = problem.evidence;
    if let Some(remediation) = problem.remediation {
        f.remediation = Some(remediation);
    }
    f
}

/// `GET URL -> 403 in 12ms` lines for the calls `pick` selects.
pub fn calls(facts: &KubeFacts, pick: impl Fn(&ListFact) -> bool) -> Vec<&ListFact> {
    facts.lists.iter().filter(|l| pick(l)).collect()
}

pub fn evidence(calls: &[&ListFact]) -> Option<String> {
    let lines: Vec<String> = calls
        .iter()
        .map(|c| {
            let outcome = match (&c.failure, c.status) {
                (Some(failure), _) => failure.to_string(),
                (None, Some(status)) => format!("HTTP {status}"),
                (None, None) => "no answer".to_string(),
            };
            let mut line = format!("GET {} -> {outcome} ({} ms)", c.url, c.latency.as_millis());
            if let Some(body) = c.error_body.as_deref().filter(|b| !b.is_empty()) {
                line.push_str(&format!("\n  {}", body.trim()));
            }
            line
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn unreachable(facts: &KubeFacts) -> Option<Problem> {
    let failed = calls(facts, |c| {
        matches!(
            c.failure,
            Some(Failure::Unreachable { .. } | Failure::Timeout { .. })
        )
    });
    let first = failed.first()?;
    let reason = first
        .failure
        .as_ref()
        .map(Failure::to_string)
        .unwrap_or_default();
    Some(Problem {
        message: format!(
            "Kubernetes discovery could not reach the API server {}: {reason}; Prometheus discovers no targets from this entry",
            facts.api_server
        ),
        evidence: evidence(&failed),
        remediation: None,
    })
}

fn tls_failed(facts: &KubeFacts) -> Option<Problem> {
    let failed = calls(facts, |c| matches!(c.failure, Some(Failure::Tls { .. })));
    let first = failed.first()?;
    let reason = first
        .failure
        .as_ref()
        .map(Failure::to_string)
        .unwrap_or_default();
    let tls = &first.tls;
    let checked = tls
        .checked_name
        .clone()
        .unwrap_or_else(|| facts.cluster.clone());
    let mut message = format!(
        "the TLS handshake with the API server {} failed: {reason}",
        facts.api_server
    );
    let mut remediation = None;
    if let Some(cert) = &tls.server_certificate {
        message.push_str(&format!(
            "; its certificate (subject {}, issuer {}) names {}",
            cert.subject,
            cert.issuer,
            if cert.sans.is_empty() {
                "no subject alternative names".to_string()
            } else {
                cert.sans.join(", ")
            }
        ));
        let name_missing = !cert.sans.iter().any(|s| s == &checked);
        let expired = reason.contains("expired");
        remediation = Some(if expired {
            format!(
                "The API server certificate expired{}: renew it on the cluster (k3s rotates certificates on restart when they are within 90 days of expiry; kubeadm: `kubeadm certs renew apiserver`).",
                cert.not_after.as_deref().map(|t| format!(" at {t}")).unwrap_or_default()
            )
        } else if name_missing && !cert.sans.is_empty() {
            // The name under which the chain verifies, as the handshake found it; else the
            // first DNS name the certificate carries.
            let name = tls.name_that_verifies.as_ref().unwrap_or_else(|| {
                cert.sans
                    .iter()
                    .find(|s| s.parse::<std::net::IpAddr>().is_err())
                    .unwrap_or(&cert.sans[0])
            });
            format!(
                "The certificate does not name {checked}. Either verify it against a name it carries, in this SD entry's `tls_config` (with `ca_file` set to the cluster CA):\n\n  tls_config:\n    server_name: {name}\n\nor add {checked} to the API server's certificate SANs (k3s: `--tls-san {}`).",
                checked.split(':').next().unwrap_or(&checked)
            )
        } else {
            "Give this SD entry the CA that signed the API server certificate (`tls_config.ca_file`); for k3s it is /var/lib/rancher/k3s/server/tls/server-ca.crt on a server node.".to_string()
        });
    }
    Some(Problem {
        message,
        evidence: evidence(&failed),
        remediation,
    })
}

fn unauthorized(facts: &KubeFacts) -> Option<Problem> {
    let failed = calls(facts, |c| c.status == Some(401));
    failed.first()?;
    let creds = &facts.credentials;
    let mut message = format!(
        "the API server {} rejected this SD entry's credentials (401 Unauthorized)",
        facts.api_server
    );
    let source = creds
        .source
        .as_deref()
        .map(|s| format!(" from {s}"))
        .unwrap_or_default();
    match &creds.token_claims {
        Some(claims) => {
            let mut parts = Vec::new();
            if let Some(sub) = &claims.subject {
                parts.push(format!("subject {sub}"));
            }
            if let Some(iss) = &claims.issuer {
                parts.push(format!("issuer {iss}"));
            }
            if let Some(exp) = claims.expires_at {
                let when = crate::discover::kubernetes::claims::rfc3339(exp);
                if exp <= facts.checked_at {
                    parts.push(format!("expired at {when}"));
                } else {
                    parts.push(format!("expires at {when}"));
                }
            }
            if !claims.audiences.is_empty() {
                parts.push(format!("audiences {}", claims.audiences.join(", ")));
            }
            message.push_str(&format!(
                "; the bearer token{source} has {}",
                parts.join(", ")
            ));
        }
        None if creds.kind == "none" => message.push_str("; no credentials were sent"),
        None => message.push_str(&format!("; credentials: {}{source}", creds.kind)),
    }
    let expired = creds
        .token_claims
        .as_ref()
        .and_then(|c| c.expires_at)
        .is_some_and(|exp| exp <= facts.checked_at);
    let remediation = expired.then(|| {
        "The token has expired. Issue a new one (`kubectl -n <namespace> create token <serviceaccount> --duration=8760h`), or use a long-lived service-account token Secret (type kubernetes.io/service-account-token), and write it to the token file.".to_string()
    });
    Some(Problem {
        message,
        evidence: evidence(&failed),
        remediation,
    })
}

fn api_error(facts: &KubeFacts) -> Option<Problem> {
    let failed = calls(facts, |c| {
        let bad_status = c.status.is_some_and(|s| s != 200 && s != 401 && s != 403);
        let other_failure = matches!(
            c.failure,
            Some(Failure::Setup { .. } | Failure::TooLarge { .. })
        );
        (bad_status || other_failure) && c.purpose != Purpose::SelectorProbe
    });
    let first = failed.first()?;
    let what = match (&first.failure, first.status) {
        (Some(failure), _) => failure.to_string(),
        (None, Some(status)) => format!("HTTP {status}"),
        (None, None) => "no answer".into(),
    };
    Some(Problem {
        message: format!(
            "listing {} from {} failed: {what}; Prometheus discovers nothing from this entry until it succeeds",
            first.resource.resource, facts.api_server
        ),
        evidence: evidence(&failed),
        remediation: None,
    })
}

fn role_lists(facts: &KubeFacts) -> Vec<&ListFact> {
    calls(facts, |c| c.purpose == Purpose::Role)
}

fn all_succeeded(facts: &KubeFacts) -> bool {
    facts
        .lists
        .iter()
        .filter(|c| c.purpose != Purpose::SelectorProbe)
        .all(ListFact::succeeded)
}

fn where_listed(facts: &KubeFacts) -> String {
    if facts.namespaces.is_empty() {
        "in any namespace".to_string()
    } else {
        format!("in namespace(s) {}", facts.namespaces.join(", "))
    }
}

fn no_objects(facts: &KubeFacts) -> Option<Problem> {
    let lists = role_lists(facts);
    if lists.is_empty() || !all_succeeded(facts) {
        return None;
    }
    if lists.iter().any(|l| l.object_count != Some(0)) {
        return None;
    }
    // A selector that hides existing objects is the other check's finding.
    let probes = calls(facts, |c| c.purpose == Purpose::SelectorProbe);
    if probes.iter().any(|p| p.object_count.unwrap_or(0) > 0) {
        return None;
    }
    Some(Problem {
        message: format!(
            "the API server {} has no {} {} (role {}); this entry discovers no targets",
            facts.api_server,
            lists[0].resource.resource,
            where_listed(facts),
            facts.role
        ),
        evidence: evidence(&lists),
        remediation: None,
    })
}

fn selector_matches_nothing(facts: &KubeFacts) -> Option<Problem> {
    let probes = calls(facts, |c| {
        c.purpose == Purpose::SelectorProbe && c.object_count.unwrap_or(0) > 0
    });
    let probe = probes.first()?;
    let selected = facts.lists.iter().find(|c| {
        c.purpose == Purpose::Role
            && c.resource == probe.resource
            && c.namespace == probe.namespace
            && c.object_count == Some(0)
    })?;
    let mut selectors = Vec::new();
    if let Some(l) = &selected.label_selector {
        selectors.push(format!("label selector {l:?}"));
    }
    if let Some(f) = &selected.field_selector {
        selectors.push(format!("field selector {f:?}"));
    }
    let scope = match &selected.namespace {
        Some(ns) => format!("namespace {ns}"),
        None => "the cluster".to_string(),
    };
    Some(Problem {
        message: format!(
            "the {} matches none of the {} in {scope}, which has some; this entry discovers nothing there",
            selectors.join(" and "),
            selected.resource.resource,
        ),
        evidence: evidence(&[selected, *probe]),
        remediation: None,
    })
}
