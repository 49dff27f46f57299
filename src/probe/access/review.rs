//! Asking the API servers: one SelfSubjectAccessReview per needed permission and one
//! SelfSubjectRulesReview per namespace, POSTed through the shared transport with the
//! identity's own credentials and TLS settings. Read-only toward clusters (reviews create
//! nothing); every request has a deadline; a failed review is a fact, not an error.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::model::{Config, HttpClientConfig, SdKind};
use crate::discover::kubernetes::plan;
use crate::probe::authz::PolicyRule;
use crate::probe::token;
use crate::transport::{self, BodyConsumer, Flow, Request, Transport};

use super::needs::{HttpSource, Requirement, Requirements};
use super::{AccessFacts, ClusterAccess, Review, ReviewOutcome, RulesReview};

/// How to ask.
#[derive(Debug, Clone)]
pub struct AccessOptions {
    /// Deadline of each review.
    pub timeout: Duration,
    /// Reviews in flight per API server.
    pub per_server: usize,
    /// Also ask SelfSubjectRulesReview (for over-broad grants).
    pub rules: bool,
}

impl Default for AccessOptions {
    fn default() -> Self {
        AccessOptions {
            timeout: Duration::from_secs(10),
            per_server: 8,
            rules: true,
        }
    }
}

/// A review answer is small; refuse anything larger.
const MAX_REVIEW_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Default)]
struct Collect(Vec<u8>);

impl BodyConsumer for Collect {
    fn feed(&mut self, chunk: &[u8]) -> Flow {
        self.0.extend_from_slice(chunk);
        Flow::Continue
    }
}

/// The HTTP client config for `source`, with the `_scratch` files a kubeconfig needs alive.
fn http_of(
    config: &Config,
    source: HttpSource,
) -> Result<(HttpClientConfig, Option<plan::Scratch>), String> {
    match source {
        HttpSource::Job { job_index } => config
            .scrape_configs
            .get(job_index)
            .map(|j| (j.http.clone(), None))
            .ok_or_else(|| "failed to find the job".to_string()),
        HttpSource::Sd {
            job_index,
            sd_index,
        } => {
            let sd = config
                .scrape_configs
                .get(job_index)
                .and_then(|j| j.service_discovery.get(sd_index))
                .ok_or_else(|| "failed to find the SD entry".to_string())?;
            let SdKind::Kubernetes(k) = &sd.kind else {
                return Err("failed to find the Kubernetes SD entry".into());
            };
            let plan = plan::plan(k, &sd.location)?;
            Ok((plan.http, plan.scratch))
        }
    }
}

/// The client an identity's reviews go through: its credentials, and the TLS settings that
/// reach the API server.
fn client_for(
    config: &Config,
    req: &Requirement,
) -> Result<(Transport, Vec<plan::Scratch>), String> {
    let (creds, scratch) = http_of(config, req.credentials)?;
    let mut keep: Vec<plan::Scratch> = scratch.into_iter().collect();
    let http = match req.tls {
        None => creds,
        Some(tls_source) => {
            let (mut http, scratch) = http_of(config, tls_source)?;
            keep.extend(scratch);
            http.authorization = creds.authorization;
            http.bearer_token = creds.bearer_token;
            http.bearer_token_file = creds.bearer_token_file;
            http.basic_auth = creds.basic_auth;
            http.oauth2 = creds.oauth2;
            http
        }
    };
    let transport =
        Transport::new(&http, &transport::Options::default()).map_err(|e| format!("{e:#}"))?;
    Ok((transport, keep))
}

/// The subject (`sub` claim) of the token an identity sends, without any network: the
/// credentials are read as for a request and decoded, never printed.
pub fn subject_of(config: &Config, req: &Requirement) -> Option<String> {
    let (transport, _scratch) = client_for(config, req).ok()?;
    let token = transport.bearer_token()?;
    token::decode(token.expose())?.subject
}

/// The body of a SelfSubjectAccessReview for `p`.
pub fn access_review_body(p: &super::Permission) -> Value {
    let spec = if p.is_resource() {
        json!({"resourceAttributes": {
            "namespace": p.namespace, "verb": p.verb, "group": p.group,
            "resource": p.resource, "subresource": p.subresource}})
    } else {
        json!({"nonResourceAttributes": {"path": p.path, "verb": p.verb}})
    };
    json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": spec})
}

/// Reads a SelfSubjectAccessReview answer.
pub fn access_review_outcome(status: u16, body: &[u8]) -> ReviewOutcome {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => {
            return ReviewOutcome::Failed {
                message: format!("the API server answered HTTP {status} without a review"),
            }
        }
    };
    if !(200..300).contains(&status) {
        let message = value["message"].as_str().unwrap_or("no message");
        return ReviewOutcome::Failed {
            message: format!("the API server answered HTTP {status}: {message}"),
        };
    }
    let s = &value["status"];
    let text = |k: &str| s[k].as_str().unwrap_or_default().to_string();
    if s["allowed"].as_bool() == Some(true) {
        ReviewOutcome::Allowed {
            reason: text("reason"),
        }
    } else {
        ReviewOutcome::Denied {
            reason: text("reason"),
            evaluation_error: text("evaluationError"),
        }
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads a SelfSubjectRulesReview answer.
pub fn rules_review(namespace: &str, status: u16, body: &[u8]) -> RulesReview {
    let mut out = RulesReview {
        namespace: namespace.to_string(),
        ..RulesReview::default()
    };
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        out.error = Some(format!(
            "the API server answered HTTP {status} without a review"
        ));
        return out;
    };
    if !(200..300).contains(&status) {
        out.error = Some(format!(
            "the API server answered HTTP {status}: {}",
            value["message"].as_str().unwrap_or("no message")
        ));
        return out;
    }
    let s = &value["status"];
    for r in s["resourceRules"].as_array().into_iter().flatten() {
        out.resource_rules.push(PolicyRule {
            api_groups: strings(&r["apiGroups"]),
            resources: strings(&r["resources"]),
            resource_names: strings(&r["resourceNames"]),
            verbs: strings(&r["verbs"]),
            ..PolicyRule::default()
        });
    }
    for r in s["nonResourceRules"].as_array().into_iter().flatten() {
        out.non_resource_rules.push(PolicyRule {
            non_resource_urls: strings(&r["nonResourceURLs"]),
            verbs: strings(&r["verbs"]),
            ..PolicyRule::default()
        });
    }
    out.incomplete = s["incomplete"].as_bool().unwrap_or(false);
    out.error = s["evaluationError"]
        .as_str()
        .filter(|e| !e.is_empty())
        .map(str::to_string);
    out
}

/// POSTs `body` to `path` under `base`; the status and body, or why there is none.
async fn post(
    transport: &Transport,
    base: &str,
    path: &str,
    body: &Value,
    timeout: Duration,
) -> Result<(u16, Vec<u8>), String> {
    let text = format!("{}{path}", base.trim_end_matches('/'));
    let url =
        url::Url::parse(&text).map_err(|e| format!("failed to build the URL {text:?}: {e}"))?;
    let mut request = Request::post_json(url, timeout, body.to_string().into_bytes());
    request
        .headers
        .push(("Accept".into(), "application/json".into()));
    request.headers.push((
        "User-Agent".into(),
        concat!("prom-preflight/", env!("CARGO_PKG_VERSION")).into(),
    ));
    request.body_limit = Some(MAX_REVIEW_BYTES);
    let mut collect = Collect::default();
    let fetch = transport.get(&request, &mut collect).await;
    match fetch.outcome {
        Err(f) => Err(format!(
            "failed to ask {}: {}",
            base,
            f.prometheus_error(&text)
        )),
        Ok(r) if r.is_success() => Ok((r.status, collect.0)),
        Ok(r) => Ok((r.status, r.body_prefix)),
    }
}

const SSAR: &str = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
const SSRR: &str = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews";

async fn review_one(
    config: Arc<Config>,
    req: Requirement,
    options: AccessOptions,
) -> ClusterAccess {
    let mut access = ClusterAccess {
        cluster: req.cluster.clone(),
        api_server: req.api_server.clone(),
        credentials: String::new(),
        subject: None,
        not_checked: None,
        reviews: Vec::new(),
        rules: Vec::new(),
    };
    let not_checked = |access: &mut ClusterAccess, why: String| {
        access.not_checked = Some(why);
        access.reviews = req
            .needs
            .iter()
            .map(|(p, n)| Review {
                permission: p.clone(),
                needed_by: n.clone(),
                outcome: ReviewOutcome::NotChecked,
            })
            .collect();
    };
    let Some(base) = req.api_server.clone() else {
        not_checked(
            &mut access,
            "no API server is known for these targets (no kubernetes_sd_configs reaches their cluster)".into(),
        );
        return access;
    };
    let (transport, _scratch) = match client_for(&config, &req) {
        Ok(t) => t,
        Err(e) => {
            not_checked(&mut access, format!("failed to build the client: {e}"));
            return access;
        }
    };
    access.credentials = transport.credentials();
    access.subject = transport
        .bearer_token()
        .and_then(|t| token::decode(t.expose()))
        .and_then(|c| c.subject);
    let limit = Arc::new(Semaphore::new(options.per_server.max(1)));
    let mut tasks = JoinSet::new();
    for (order, (permission, needed_by)) in req.needs.iter().enumerate() {
        let (transport, base, limit) = (transport.clone(), base.clone(), limit.clone());
        let (permission, needed_by) = (permission.clone(), needed_by.clone());
        let timeout = options.timeout;
        tasks.spawn(async move {
            let _slot = limit.acquire_owned().await;
            let body = access_review_body(&permission);
            let outcome = match post(&transport, &base, SSAR, &body, timeout).await {
                Ok((status, body)) => access_review_outcome(status, &body),
                Err(message) => ReviewOutcome::Failed { message },
            };
            (
                order,
                Review {
                    permission,
                    needed_by,
                    outcome,
                },
            )
        });
    }
    let mut done = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(r) = joined {
            done.push(r);
        }
    }
    done.sort_by_key(|(order, _)| *order);
    access.reviews = done.into_iter().map(|(_, r)| r).collect();
    let answered = access
        .reviews
        .iter()
        .any(|r| !matches!(r.outcome, ReviewOutcome::Failed { .. }));
    if options.rules && answered {
        let mut namespaces: Vec<String> = req
            .needs
            .keys()
            .map(|p| p.namespace.clone())
            .filter(|n| !n.is_empty())
            .collect();
        namespaces.sort();
        namespaces.dedup();
        if namespaces.is_empty() {
            // Cluster-wide rules come with any namespace.
            namespaces.push("default".into());
        }
        for ns in namespaces {
            let body = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": {"namespace": ns}});
            access.rules.push(
                match post(&transport, &base, SSRR, &body, options.timeout).await {
                    Ok((status, body)) => rules_review(&ns, status, &body),
                    Err(message) => RulesReview {
                        namespace: ns,
                        error: Some(message),
                        ..RulesReview::default()
                    },
                },
            );
        }
    }
    access
}

/// Asks every API server about every requirement; blocks until done (each review within
/// `options.timeout`).
pub fn review_all(config: &Config, reqs: &Requirements, options: &AccessOptions) -> AccessFacts {
    transport::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build();
    let config = Arc::new(config.clone());
    let run = async {
        let mut tasks = JoinSet::new();
        for (order, req) in reqs.identities.iter().enumerate() {
            let (config, req, options) = (config.clone(), req.clone(), options.clone());
            tasks.spawn(async move { (order, review_one(config, req, options).await) });
        }
        let mut done = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            if let Ok(r) = joined {
                done.push(r);
            }
        }
        done.sort_by_key(|(order, _)| *order);
        done.into_iter().map(|(_, c)| c).collect()
    };
    match runtime {
        Ok(rt) => AccessFacts {
            clusters: rt.block_on(run),
        },
        Err(e) => AccessFacts {
            clusters: reqs
                .identities
                .iter()
                .map(|req| ClusterAccess {
                    cluster: req.cluster.clone(),
                    api_server: req.api_server.clone(),
                    credentials: String::new(),
                    subject: None,
                    not_checked: Some(format!("failed to start the review runtime: {e}")),
                    reviews: req
                        .needs
                        .iter()
                        .map(|(p, n)| Review {
                            permission: p.clone(),
                            needed_by: n.clone(),
                            outcome: ReviewOutcome::NotChecked,
                        })
                        .collect(),
                    rules: Vec::new(),
                })
                .collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::access::Permission;

    #[test]
    fn bodies_are_exactly_one_kind_of_attributes() {
        let b = access_review_body(&Permission::resource("get", "", "nodes/proxy", ""));
        assert_eq!(b["spec"]["resourceAttributes"]["namespace"], "");
        assert_eq!(b["spec"]["resourceAttributes"]["subresource"], "proxy");
        assert!(b["spec"]["nonResourceAttributes"].is_null());
        let b = access_review_body(&Permission::non_resource("get", "/metrics"));
        assert_eq!(b["spec"]["nonResourceAttributes"]["path"], "/metrics");
        assert!(b["spec"]["resourceAttributes"].is_null());
    }

    #[test]
    fn no_opinion_is_denied_and_errors_are_failures() {
        let denied = access_review_outcome(201, br#"{"status":{"allowed":false}}"#);
        assert!(matches!(denied, ReviewOutcome::Denied { .. }));
        let allowed =
            access_review_outcome(201, br#"{"status":{"allowed":true,"reason":"RBAC: ok"}}"#);
        assert_eq!(
            allowed,
            ReviewOutcome::Allowed {
                reason: "RBAC: ok".into()
            }
        );
        let failed = access_review_outcome(401, br#"{"kind":"Status","message":"Unauthorized"}"#);
        assert_eq!(
            failed,
            ReviewOutcome::Failed {
                message: "the API server answered HTTP 401: Unauthorized".into()
            }
        );
        assert!(matches!(
            access_review_outcome(200, b"<html>"),
            ReviewOutcome::Failed { .. }
        ));
    }

    #[test]
    fn rules_review_reads_both_kinds() {
        let body = br#"{"status":{"resourceRules":[{"verbs":["*"],"apiGroups":[""],"resources":["nodes/proxy"]}],"nonResourceRules":[{"verbs":["get"],"nonResourceURLs":["/metrics"]}],"incomplete":false}}"#;
        let r = rules_review("default", 201, body);
        assert_eq!(r.resource_rules[0].resources, vec!["nodes/proxy"]);
        assert_eq!(r.non_resource_rules[0].non_resource_urls, vec!["/metrics"]);
        assert!(r.error.is_none());
    }
}
