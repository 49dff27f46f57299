//! Wording shared by the probe templates: where a probe finding points, the evidence line, and
//! the explanations of 401s, certificates, statuses, timeouts and body limits. Pure.

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::config::model::HttpClientConfig;
use crate::probe::token::TokenKind;
use crate::probe::ProbeFacts;
use crate::transport::certs::rfc3339;
use crate::transport::{BodyEnd, FailureKind, TlsFacts, TlsProblem};

/// Fills in job, target (the scrape URL) and location (the job or alertmanager entry) of a
/// probe finding.
pub fn located(mut f: Finding, input: &CheckInput, p: &ProbeFacts) -> Finding {
    f.job = Some(p.job.clone());
    f.target = Some(p.scrape_url.clone());
    f.location = match p.alertmanager_index {
        Some(i) => input
            .config
            .alertmanagers
            .get(i)
            .map(|a| a.location.clone()),
        None => input
            .config
            .scrape_configs
            .get(p.job_index)
            .map(|j| j.location.clone()),
    };
    f
}

/// The HTTP client config the probe went through: the job's, or the alertmanager entry's.
pub fn http_of<'i>(input: &CheckInput<'i>, p: &ProbeFacts) -> Option<&'i HttpClientConfig> {
    match p.alertmanager_index {
        Some(i) => input.config.alertmanagers.get(i).map(|a| &a.http),
        None => input
            .config
            .scrape_configs
            .get(p.job_index)
            .map(|s| &s.http),
    }
}

fn secs(d: Option<std::time::Duration>) -> String {
    d.map(|d| format!("{:.3}s", d.as_secs_f64()))
        .unwrap_or_else(|| "-".into())
}

/// One line of facts: phases, status, body counts, first line of an error body.
pub fn evidence(p: &ProbeFacts) -> String {
    let Some(fetch) = &p.fetch else {
        return p.client_error.clone().unwrap_or_default();
    };
    let ph = &fetch.phases;
    // A reused connection had no dns, connect or tls phase of its own.
    let opening = if ph.connection_reused {
        "reused connection".to_string()
    } else {
        format!(
            "dns {}, connect {}, tls {}",
            secs(ph.dns),
            secs(ph.connect),
            secs(ph.tls)
        )
    };
    let mut parts = vec![format!(
        "phases: {opening}, first byte {}, transfer {}, total {:.3}s of {}s",
        secs(ph.first_byte),
        secs(ph.transfer),
        ph.total.as_secs_f64(),
        p.timeout.as_secs_f64()
    )];
    if let Ok(r) = &fetch.outcome {
        parts.push(format!(
            "HTTP {} ({}), body {} bytes on the wire, {} uncompressed",
            r.status_text, r.http_version, r.body.compressed_bytes, r.body.uncompressed_bytes
        ));
    }
    if let Some(body) = &p.error_body {
        let first = body.lines().next().unwrap_or("").trim();
        if !first.is_empty() {
            parts.push(format!("body: {first}"));
        }
    }
    if let Some(tls) = &fetch.tls {
        if let Some(leaf) = tls.leaf() {
            parts.push(format!(
                "certificate: subject {:?}, issuer {:?}, SANs [{}], valid {} to {}",
                leaf.subject,
                leaf.issuer,
                leaf.sans().collect::<Vec<_>>().join(", "),
                rfc3339(leaf.not_before),
                rfc3339(leaf.not_after)
            ));
        }
    }
    parts.join("; ")
}

/// The explanation of a 401, with the token's claims when the job sends a JWT.
pub fn unauthorized(
    spec: &CheckSpec,
    input: &CheckInput,
    p: &ProbeFacts,
    responder: &str,
) -> (String, Option<String>) {
    let http = http_of(input, p);
    let sends_credentials = http.is_some_and(|h| {
        h.bearer_token.is_some()
            || h.bearer_token_file.is_some()
            || h.authorization.is_some()
            || h.basic_auth.is_some()
    });
    let mut message = format!("{responder} did not accept the credentials (HTTP 401)");
    if !sends_credentials {
        message.push_str("; the job sends no credentials");
        return (message, None);
    }
    if http.is_some_and(|h| h.basic_auth.is_some()) {
        message.push_str("; the job sends basic auth, which Kubernetes does not accept: the API server and kubelets authenticate a service account by its bearer token");
        return (message, None);
    }
    let Some(t) = &p.token else {
        message.push_str("; the credentials are not a JWT, so nothing more can be read from them");
        return (message, None);
    };
    let kind = match t.kind {
        TokenKind::Legacy => "legacy Secret-based service-account token",
        TokenKind::Bound => "bound service-account token",
        TokenKind::Other => "JWT",
    };
    message.push_str(&format!("; the bearer token is a {kind}"));
    if let Some(sub) = &t.subject {
        message.push_str(&format!(" for {sub}"));
    }
    if let Some(iss) = &t.issuer {
        message.push_str(&format!(" issued by {iss}"));
    }
    if !t.audiences.is_empty() {
        message.push_str(&format!(" for audiences [{}]", t.audiences.join(", ")));
    }
    if let Some(pod) = &t.bound_pod {
        message.push_str(&format!(", bound to pod {pod} (it dies with the pod)"));
    }
    match t.expires_at {
        Some(exp) if t.expired_at(p.probed_at) => {
            let ago = p.probed_at - exp;
            message.push_str(&format!(
                ", and it expired at {} ({} ago)",
                rfc3339(exp),
                human_secs(ago)
            ));
        }
        Some(exp) => message.push_str(&format!(", valid until {}", rfc3339(exp))),
        None if t.kind == TokenKind::Legacy => message.push_str(
            ", which stops working when its Secret or service account is deleted or it is marked invalid",
        ),
        None => {}
    }
    let _ = spec;
    (message, None)
}

fn human_secs(s: i64) -> String {
    match s {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

/// The certificate problem in Go's words plus what the certificate does carry.
pub fn tls_failure(spec: &CheckSpec, p: &ProbeFacts) -> (String, Option<String>) {
    let error = p.error.clone().unwrap_or_default();
    let Some(tls) = p.tls() else {
        return (error, None);
    };
    let mut message = error;
    if let Some(leaf) = tls.leaf() {
        message.push_str(&format!(
            "; the server presented {:?} issued by {:?}, valid for [{}] from {} until {}",
            leaf.subject,
            leaf.issuer,
            leaf.sans().collect::<Vec<_>>().join(", "),
            rfc3339(leaf.not_before),
            rfc3339(leaf.not_after)
        ));
        if let Some(TlsProblem::NotYetValid { now, not_before }) = &tls.problem {
            message.push_str(&format!(
                "; it becomes valid in {}: it was issued with a start date in the future, or this machine's clock is behind",
                human_secs(not_before - now)
            ));
        }
    }
    let remediation = match &tls.problem {
        Some(TlsProblem::NameMismatch { host }) => Some(name_fix(spec, tls, host)),
        Some(TlsProblem::UnknownAuthority) => Some(authority_fix(spec, tls)),
        _ => None,
    };
    (message, remediation)
}

fn name_fix(spec: &CheckSpec, tls: &TlsFacts, host: &str) -> String {
    let mut out = String::new();
    if let Some(name) = &tls.server_name_that_verifies {
        out.push_str(&format!(
            "The certificate verifies as {name:?}: set `tls_config: {{server_name: {name}}}` in this job. "
        ));
    }
    out.push_str(&format!(
        "Or add {host} to the certificate: k3s `--tls-san {host}` (then restart k3s), kubeadm `apiServer.certSANs: [{host}]` (then regenerate the API server certificate). "
    ));
    out.push_str(&spec.remediation);
    out
}

fn authority_fix(spec: &CheckSpec, tls: &TlsFacts) -> String {
    let self_signed_kubelet = tls
        .leaf()
        .is_some_and(|l| l.self_signed || l.issuer.contains("-ca@"));
    let mut out = String::new();
    if self_signed_kubelet {
        out.push_str("The kubelet serves a self-signed certificate with its own CA: enable `serverTLSBootstrap: true` (and approve the CSRs) so kubelets get cluster-CA-signed certificates, or accept it knowingly with `insecure_skip_verify: true`. ");
    } else if !tls.ca_configured {
        out.push_str("The job sets no `ca_file`, so the system roots were used. ");
    }
    out.push_str(&spec.remediation);
    out
}

pub use crate::probe::nearby::near_path;

pub fn timeout(p: &ProbeFacts) -> (String, Option<String>) {
    let phase = match p.failure().map(|f| &f.kind) {
        Some(FailureKind::Timeout { phase }) => phase.as_str(),
        _ => match p.response().map(|r| &r.body.end) {
            Some(BodyEnd::Failed { timeout: true, .. }) => "transfer",
            _ => "?",
        },
    };
    (
        format!(
            "the scrape did not finish within its {}s scrape_timeout (`{}`); the {phase} phase was under way",
            p.timeout.as_secs_f64(),
            p.error.clone().unwrap_or_default()
        ),
        None,
    )
}

pub fn body_limit(p: &ProbeFacts) -> (String, Option<String>) {
    let (wire, gzip) = p
        .response()
        .map(|r| (r.body.compressed_bytes, r.body.gzip))
        .unwrap_or((0, false));
    (
        format!(
            "the uncompressed body reached body_size_limit ({} bytes), where Prometheus stops and fails the scrape (`body size limit exceeded`); {wire} bytes had arrived on the wire{}",
            p.body_size_limit,
            if gzip { " gzip-compressed" } else { "" }
        ),
        None,
    )
}
