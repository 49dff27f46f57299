//! Stage 4: probes. One GET per active target, built as Prometheus builds its scrape, through the
//! job's own HTTP client config; the facts each probe gathers (phases, certificates, status, body
//! counts, decoded 401/403 answers) feed the checks. Touches the network; bounded concurrency
//! with a per-host cap so one API server is not flooded; every probe ends within its target's
//! scrape timeout.

pub mod access;
pub mod alternate;
pub mod authz;
pub mod nearby;
pub mod payload;
mod request;
mod run;
pub mod token;
mod verdict;

use std::time::Duration;

use serde::Serialize;

use crate::transport::Fetch;

pub use request::{accept_header, scrape_request};
pub use run::{probe_all, probe_all_with_alertmanagers};
pub use verdict::{alertmanager_verdict, verdict, Health};

/// How to probe.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// At most this many probes in flight.
    pub concurrency: usize,
    /// At most this many probes in flight to one `host:port` (an API server serves many
    /// proxied targets).
    pub per_host: usize,
    /// Draw a progress line on stderr (only when stderr is a terminal).
    pub progress: bool,
    pub transport: crate::transport::Options,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            concurrency: 64,
            per_host: 8,
            progress: false,
            transport: crate::transport::Options::default(),
        }
    }
}

/// Everything one probe learned about one target.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeFacts {
    /// Index into `config.scrape_configs`.
    #[serde(skip)]
    pub job_index: usize,
    pub job: String,
    /// The cluster the target belongs to (see `targets::job::ResolvedTarget::cluster`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// Indices into the job's resolved targets that share this scrape (Prometheus scrapes
    /// duplicates once).
    #[serde(skip)]
    pub target_indices: Vec<usize>,
    pub instance: String,
    pub scrape_url: String,
    #[serde(serialize_with = "secs")]
    pub timeout: Duration,
    /// The job's `body_size_limit` (0: none).
    pub body_size_limit: u64,
    /// Unix seconds when the probe ran (certificate expiry is judged against it).
    pub probed_at: i64,
    pub health: Health,
    /// Prometheus's `lastError` wording, when down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why no request was made (the job's HTTP client could not be built).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_error: Option<String>,
    /// The GET itself. Its response's `body_prefix` is empty: the probe takes it out once it
    /// has made `error_body` from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetch: Option<Fetch>,
    /// A decoded 401/403 answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<authz::Answer>,
    /// The claims of the bearer token the job sends, for policies on its lifetime (kept out of
    /// the report: `token` shows them where they explain a 401).
    #[serde(skip)]
    pub bearer_claims: Option<token::TokenClaims>,
    /// The bearer token's claims, decoded when the answer was 401.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<token::TokenClaims>,
    /// The first bytes of a non-2xx body, as text (never a token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_body: Option<String>,
    /// `alertmanager` for an `alerting.alertmanagers` target (then `job` is `alertmanager[N]`,
    /// `job_index` is `usize::MAX` and `scrape_url` is the `/api/v2/status` URL probed); absent
    /// for scrape targets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<ProbeKind>,
    /// Index into `config.alertmanagers` for an alertmanager probe.
    #[serde(skip)]
    pub alertmanager_index: Option<usize>,
    /// For an alertmanager: the URL Prometheus posts alerts to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts_url: Option<String>,
    /// The 2xx body as the exposition analyzer saw it: counts, families, label extremes, parse
    /// errors, the content type's verdict, and the limit that stopped the scrape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<payload::PayloadFacts>,
    /// For a down kubelet target of a `role: node` job: the other access path (direct or
    /// through the API server proxy), tried with the same client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternate: Option<alternate::Alternate>,
    /// After a 404: how the well-known metrics paths on the same host answered.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nearby_paths: Vec<nearby::PathAnswer>,
}

/// What kind of target a probe was for, when it is not a scrape target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProbeKind {
    Alertmanager,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl ProbeFacts {
    /// The response, when one arrived.
    pub fn response(&self) -> Option<&crate::transport::Response> {
        self.fetch.as_ref().and_then(|f| f.outcome.as_ref().ok())
    }
    /// The failure, when no response arrived.
    pub fn failure(&self) -> Option<&crate::transport::FetchFailure> {
        self.fetch.as_ref().and_then(|f| f.outcome.as_ref().err())
    }
    pub fn tls(&self) -> Option<&crate::transport::TlsFacts> {
        self.fetch.as_ref().and_then(|f| f.tls.as_ref())
    }
}

/// All probes of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Probes {
    pub targets: Vec<ProbeFacts>,
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
}

impl Probes {
    pub fn for_job(&self, job_index: usize) -> impl Iterator<Item = &ProbeFacts> {
        self.targets
            .iter()
            .filter(move |p| p.job_index == job_index)
    }
}
