//! [`KubeGet`] over the shared HTTP transport: the SD entry's own TLS settings and credentials,
//! a timeout on every call, and a cap on how much of a list is read. This is the only part of
//! Kubernetes discovery that touches the network.

use std::time::Duration;

use crate::config::model::KubernetesSd;
use crate::source::Location;
use crate::transport::{self, BodyConsumer, FailureKind, Flow, Request, Transport};

use super::api::{ApiResponse, CertificateSummary, Failure, KubeGet, Reply, TlsOutcome};
use super::plan::{self, Scratch};
use super::{Connection, Connector};

/// A list page larger than this is refused (500 objects rarely exceed a few MiB).
const MAX_PAGE_BYTES: u64 = 256 * 1024 * 1024;

/// Makes [`KubeGet`] clients from SD entries, running requests on `runtime`.
pub struct HttpConnector {
    runtime: tokio::runtime::Handle,
    /// The deadline of each request, body included.
    pub timeout: Duration,
}

impl HttpConnector {
    /// `runtime` must not be the runtime of the calling thread: requests block on it.
    pub fn new(runtime: tokio::runtime::Handle, timeout: Duration) -> HttpConnector {
        transport::install_crypto_provider();
        HttpConnector { runtime, timeout }
    }
}

impl Connector for HttpConnector {
    fn connect(&self, sd: &KubernetesSd, location: &Location) -> Result<Connection, String> {
        let plan = plan::plan(sd, location)?;
        let base = url::Url::parse(&plan.api_server)
            .map_err(|e| format!("failed to parse api_server {:?}: {e}", plan.api_server))?;
        if base.host_str().is_none_or(str::is_empty) {
            return Err(format!("api_server {:?} has no host", plan.api_server));
        }
        let transport = Transport::new(&plan.http, &transport::Options::default())
            .map_err(|e| format!("{e:#}"))?;
        let client = HttpKubeGet {
            base: plan.api_server.trim_end_matches('/').to_string(),
            transport,
            runtime: self.runtime.clone(),
            timeout: self.timeout,
            _scratch: plan.scratch,
        };
        Ok(Connection {
            client: Box::new(client),
            credentials: plan.credentials,
            own_namespace: plan.own_namespace,
        })
    }
}

struct HttpKubeGet {
    base: String,
    transport: Transport,
    runtime: tokio::runtime::Handle,
    timeout: Duration,
    /// Keeps inline kubeconfig PEM files alive as long as the client.
    _scratch: Option<Scratch>,
}

/// Keeps a successful body, up to the request's limit.
#[derive(Default)]
struct Collect(Vec<u8>);

impl BodyConsumer for Collect {
    fn feed(&mut self, chunk: &[u8]) -> Flow {
        self.0.extend_from_slice(chunk);
        Flow::Continue
    }
}

fn tls_outcome(facts: Option<&transport::TlsFacts>, https: bool) -> TlsOutcome {
    let Some(facts) = facts else {
        return TlsOutcome {
            used: https,
            ..TlsOutcome::default()
        };
    };
    TlsOutcome {
        used: true,
        verification_skipped: facts.insecure_skip_verify,
        server_certificate: facts.leaf().map(|leaf| CertificateSummary {
            subject: leaf.subject.clone(),
            issuer: leaf.issuer.clone(),
            sans: leaf.sans().map(str::to_string).collect(),
            not_after: Some(super::claims::rfc3339(leaf.not_after)),
        }),
        checked_name: Some(facts.server_name.clone()).filter(|n| !n.is_empty()),
        verdict: facts.go_message(),
        name_that_verifies: facts.server_name_that_verifies.clone(),
    }
}

fn failure(kind: &FailureKind, message: String) -> Failure {
    match kind {
        FailureKind::Tls { .. } => Failure::Tls { message },
        FailureKind::Timeout { .. } => Failure::Timeout { message },
        FailureKind::Credentials | FailureKind::TooManyRedirects => Failure::Setup { message },
        FailureKind::Dns
        | FailureKind::Connect
        | FailureKind::Proxy
        | FailureKind::Reset
        | FailureKind::Http => Failure::Unreachable { message },
    }
}

/// An error body with the credentials removed, should the server echo them.
fn scrub(body: &[u8], secrets: &[crate::config::model::Secret]) -> Vec<u8> {
    let mut text = String::from_utf8_lossy(body).into_owned();
    for s in secrets.iter().map(|s| s.expose()).filter(|s| s.len() >= 8) {
        text = text.replace(s, "<redacted>");
    }
    text.into_bytes()
}

impl KubeGet for HttpKubeGet {
    fn get(&self, path_and_query: &str) -> ApiResponse {
        let text = format!("{}{path_and_query}", self.base);
        let https = text.starts_with("https:");
        let url = match url::Url::parse(&text) {
            Ok(url) => url,
            Err(e) => {
                return ApiResponse {
                    result: Err(Failure::Setup {
                        message: format!("failed to build the URL {text:?}: {e}"),
                    }),
                    latency: Duration::ZERO,
                    tls: TlsOutcome::default(),
                }
            }
        };
        let mut request = Request::get(url, self.timeout);
        request.headers = vec![
            ("Accept".into(), "application/json".into()),
            (
                "User-Agent".into(),
                concat!("prom-preflight/", env!("CARGO_PKG_VERSION")).into(),
            ),
        ];
        request.body_limit = Some(MAX_PAGE_BYTES);
        let mut body = Collect::default();
        let fetch = self
            .runtime
            .block_on(self.transport.get(&request, &mut body));
        let tls = tls_outcome(fetch.tls.as_ref(), https);
        let latency = fetch.phases.total;
        let result = match fetch.outcome {
            Err(f) => Err(failure(&f.kind, f.prometheus_error(&text))),
            Ok(response) => match response.body.end {
                transport::BodyEnd::LimitReached { limit }
                | transport::BodyEnd::CapReached { cap: limit } => Err(Failure::TooLarge { limit }),
                transport::BodyEnd::Failed { message, timeout } => {
                    let message = format!("failed to read the response from {text}: {message}");
                    Err(if timeout {
                        Failure::Timeout { message }
                    } else {
                        Failure::Unreachable { message }
                    })
                }
                _ if response.is_success() => Ok(Reply {
                    status: response.status,
                    body: body.0,
                }),
                _ => Ok(Reply {
                    status: response.status,
                    body: scrub(&response.body_prefix, &self.transport.wire_secrets()),
                }),
            },
        };
        ApiResponse {
            result,
            latency,
            tls,
        }
    }

    fn base_url(&self) -> &str {
        &self.base
    }
}
