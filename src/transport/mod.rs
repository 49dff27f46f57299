//! The HTTP client shared by discovery and probes, built from a job's (or SD config's)
//! `HttpClientConfig` exactly as Prometheus would use it, but instrumented: every phase of a GET
//! (DNS, connect, TLS, first byte, transfer) is timed, the server's certificate chain is kept even
//! when it is rejected, and failures are data ([`Fetch::outcome`]), never panics or bare strings.
//! Like Prometheus's per-job client, a transport keeps idle connections and sends the next
//! request to the same `host:port` on one of them (see `pool`).
//!
//! This stage depends only on `config`; it knows nothing of targets, probes or checks.
//!
//! ```no_run
//! # async fn demo(http: &prom_preflight::config::model::HttpClientConfig) -> Result<(), Box<dyn std::error::Error>> {
//! use prom_preflight::transport::{CountOnly, Options, Request, Transport};
//! let transport = Transport::new(http, &Options::default())?;
//! let request = Request::get("https://127.0.0.1:6443/metrics".parse()?, std::time::Duration::from_secs(10));
//! let fetch = transport.get(&request, &mut CountOnly).await;
//! match &fetch.outcome {
//!     Ok(response) => println!("HTTP {} after {:?}", response.status, fetch.phases.total),
//!     Err(failure) => println!("failed: {}", failure.message),
//! }
//! # Ok(()) }
//! ```
//!
//! Secrets: credentials are read per request and go only into the `Authorization` header; no
//! error, fact or log line carries them.

mod auth;
mod body;
pub mod certs;
mod conn;
#[cfg(test)]
mod conn_tests;
mod pool;
mod verifier;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::config::model::HttpClientConfig;
use crate::config::model::Secret;

pub use auth::{Credentials, CredentialsError};
pub use body::{BodyConsumer, BodyEnd, BodyStats, CountOnly, Flow};
pub use certs::{CertFacts, TlsProblem};
pub use verifier::TlsFacts;

/// Why a transport could not be built from a config (Prometheus would refuse to create the
/// client, so the job's scrapes never start).
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("failed to read {what} {path}: {source}")]
    ReadFile {
        what: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to find a PEM certificate in {path}")]
    NoCertificates { path: String },
    #[error("failed to find a PEM private key in {path}")]
    NoPrivateKey { path: String },
    #[error("failed to use the client certificate: {0}")]
    ClientCertificate(String),
    #[error("failed to parse proxy_url: {0}")]
    Proxy(String),
    #[error("not supported by the prober: {0}")]
    Unsupported(String),
}

/// Settings of the prober itself (not of the scraped job).
#[derive(Debug, Clone)]
pub struct Options {
    /// How many redirects to follow before failing, when the config follows them (Go: 10).
    pub max_redirects: usize,
    /// How many leading bytes of a body to keep for diagnosis.
    pub body_prefix_bytes: usize,
    /// Read at most this many uncompressed bytes when the request sets no limit.
    pub max_body_bytes: u64,
    /// Read at most this many bytes of a non-2xx body (they are only kept as a prefix).
    pub error_body_bytes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_redirects: 10,
            body_prefix_bytes: 4096,
            max_body_bytes: 1 << 30,
            error_body_bytes: 4096,
        }
    }
}

/// One GET (or, with a body, one POST) to make.
#[derive(Debug, Clone)]
pub struct Request {
    pub url: url::Url,
    /// Extra headers (never `Authorization`; that comes from the config's credentials).
    pub headers: Vec<(String, String)>,
    /// The whole exchange, body included, must finish within this.
    pub timeout: Duration,
    /// Stop and report once the uncompressed body reaches this many bytes (Prometheus's
    /// `body_size_limit`; `None` or 0 for none).
    pub body_limit: Option<u64>,
    /// A body to POST; `None` makes the request a GET.
    pub body: Option<Vec<u8>>,
}

impl Request {
    pub fn get(url: url::Url, timeout: Duration) -> Request {
        Request {
            url,
            headers: Vec::new(),
            timeout,
            body_limit: None,
            body: None,
        }
    }

    /// A POST of a JSON document (only `Self*Review` objects are ever posted: read-only toward
    /// clusters).
    pub fn post_json(url: url::Url, timeout: Duration, json: Vec<u8>) -> Request {
        Request {
            url,
            headers: vec![("Content-Type".into(), "application/json".into())],
            timeout,
            body_limit: None,
            body: Some(json),
        }
    }
}

/// The phases of one exchange (the last hop when redirects were followed). `None` means the
/// phase did not happen (no DNS for an IP literal, no TLS over http) or was not reached.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Phases {
    #[serde(serialize_with = "secs_opt")]
    pub dns: Option<Duration>,
    #[serde(serialize_with = "secs_opt")]
    pub connect: Option<Duration>,
    #[serde(serialize_with = "secs_opt")]
    pub tls: Option<Duration>,
    /// From the request being written to the response headers.
    #[serde(serialize_with = "secs_opt")]
    pub first_byte: Option<Duration>,
    /// From the response headers to the end of the body (or where reading stopped).
    #[serde(serialize_with = "secs_opt")]
    pub transfer: Option<Duration>,
    /// The whole exchange, redirects included.
    #[serde(serialize_with = "secs")]
    pub total: Duration,
    /// The request went on an idle connection that an earlier request of the same job opened
    /// (as Prometheus reuses them), so there was no DNS, connect or TLS phase.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub connection_reused: bool,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

fn secs_opt<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_f64(d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

/// Which phase a timeout interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Dns,
    Connect,
    Tls,
    FirstByte,
    Transfer,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Dns => "dns",
            Phase::Connect => "connect",
            Phase::Tls => "tls",
            Phase::FirstByte => "first-byte",
            Phase::Transfer => "transfer",
        }
    }
}

/// What went wrong before a response arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FailureKind {
    /// A secret file could not be read.
    Credentials,
    Dns,
    Connect,
    /// The handshake failed; `problem` is set when the certificate was the reason.
    Tls {
        problem: Option<TlsProblem>,
    },
    Timeout {
        phase: Phase,
    },
    /// The proxy refused or failed the CONNECT.
    Proxy,
    /// The connection closed or reset before a response.
    Reset,
    /// A protocol error, or a redirect that could not be followed.
    Http,
    TooManyRedirects,
}

/// A failed exchange. `message` is worded as Go's `net/http` and `crypto/x509` word it,
/// without the `Get "URL": ` prefix (see [`FetchFailure::prometheus_error`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FetchFailure {
    #[serde(flatten)]
    pub kind: FailureKind,
    pub message: String,
}

impl FetchFailure {
    pub(crate) fn new(kind: FailureKind, message: impl Into<String>) -> FetchFailure {
        FetchFailure {
            kind,
            message: message.into(),
        }
    }
    pub(crate) fn timeout(phase: Phase) -> FetchFailure {
        FetchFailure::new(FailureKind::Timeout { phase }, "context deadline exceeded")
    }
}

/// A response, with its body already streamed to the consumer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Response {
    pub status: u16,
    /// Go's status text (`403 Forbidden`).
    pub status_text: String,
    /// `HTTP/1.1` or `HTTP/2.0`.
    pub http_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_length: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub www_authenticate: Option<String>,
    /// The first bytes of the uncompressed body (at most `Options::body_prefix_bytes`).
    #[serde(skip)]
    pub body_prefix: Vec<u8>,
    pub body: BodyStats,
}

impl Response {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Everything one GET showed, success or not.
#[derive(Debug, Clone, Serialize)]
pub struct Fetch {
    /// The URL asked for.
    pub url: String,
    /// Locations followed, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redirects: Vec<String>,
    pub phases: Phases,
    /// TLS facts of the last connection that got as far as a handshake.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsFacts>,
    pub outcome: Result<Response, FetchFailure>,
}

impl FetchFailure {
    /// The error as Prometheus puts it in `lastError`: `Get "URL": <message>`.
    pub fn prometheus_error(&self, url: &str) -> String {
        format!("Get {}: {}", crate::go_quote::go_quote(url), self.message)
    }
}

/// A client for one HTTP client config. Cheap to clone; safe to share between tasks.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<conn::Inner>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("credentials", &self.inner.credentials.describe())
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// Reads the config's CA, client certificate and key (credential files are read per
    /// request). Fails where Prometheus would fail to create the HTTP client.
    pub fn new(http: &HttpClientConfig, options: &Options) -> Result<Transport, TransportError> {
        if http.oauth2.is_some() {
            return Err(TransportError::Unsupported("oauth2".into()));
        }
        let proxy = match http.proxy_url.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(text) => Some(conn::Proxy::parse(text)?),
        };
        Ok(Transport {
            inner: Arc::new(conn::Inner {
                tls: verifier::TlsSetup::new(&http.tls)?,
                credentials: Credentials::from_config(http),
                proxy,
                follow_redirects: http.follow_redirects,
                enable_http2: http.enable_http2,
                options: options.clone(),
                pool: pool::Pool::default(),
            }),
        })
    }

    /// Makes one GET, streaming a 2xx body to `consumer`; never panics, never exceeds
    /// `request.timeout`.
    pub async fn get(&self, request: &Request, consumer: &mut dyn BodyConsumer) -> Fetch {
        conn::get(&self.inner, request, consumer).await
    }

    /// The bearer token the config sends, for decoding its claims when a server says 401.
    /// A secret: never print it.
    pub fn bearer_token(&self) -> Option<Secret> {
        self.inner.credentials.bearer_token()
    }

    /// Every secret the config sends (see [`Credentials::wire_secrets`]), to scrub from
    /// anything a server echoes back. Secrets: never print them.
    pub fn wire_secrets(&self) -> Vec<Secret> {
        self.inner.credentials.wire_secrets()
    }

    /// A description of the credentials that names no secret.
    pub fn credentials(&self) -> String {
        self.inner.credentials.describe()
    }
}

/// Installs ring, offering cipher suites in Go's order, as the process-wide rustls provider
/// (harmless when already installed).
pub fn install_crypto_provider() {
    let _ = verifier::go_ordered_provider().install_default();
}
