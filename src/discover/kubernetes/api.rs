//! The narrow interface discovery needs from an HTTP client ([`KubeGet`]), and what every call
//! leaves behind ([`ListFact`]): URL, status, latency, TLS outcome, object count and the first
//! bytes of an error body, so that checks can explain a failure without repeating the call.
//!
//! Listing with pagination is written against the trait, so it is tested without a network.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::objects::List;

/// Objects per page, as client-go's reflector asks for.
pub const PAGE_SIZE: usize = 500;
/// Pages after which a list is abandoned (a server that keeps returning `continue`).
const MAX_PAGES: usize = 10_000;
/// How much of an error body a fact keeps.
pub const ERROR_BODY_PREFIX: usize = 1024;

/// A GET against one API server. Implementations add credentials, verify TLS and bound time
/// and memory; they never fail in another way than by returning a [`Failure`].
pub trait KubeGet: Sync {
    /// `path_and_query` starts with `/`, for example `/api/v1/nodes?limit=500`.
    fn get(&self, path_and_query: &str) -> ApiResponse;
    /// The base URL requests go to, for facts and messages (no credentials in it).
    fn base_url(&self) -> &str;
}

/// What one GET produced.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub result: Result<Reply, Failure>,
    pub latency: Duration,
    pub tls: TlsOutcome,
}

/// An HTTP answer, whatever its status.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Why no HTTP answer came back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    /// DNS, connection refused or reset, proxy failures: the server was not reached.
    Unreachable { message: String },
    /// The TLS handshake failed (certificate not trusted, name mismatch, expired...).
    Tls { message: String },
    /// No complete answer within the timeout.
    Timeout { message: String },
    /// The body was larger than the client accepts.
    TooLarge { limit: u64 },
    /// The request could not be made (credentials file unreadable, bad URL...).
    Setup { message: String },
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unreachable { message }
            | Failure::Tls { message }
            | Failure::Timeout { message }
            | Failure::Setup { message } => f.write_str(message),
            Failure::TooLarge { limit } => write!(f, "response body larger than {limit} bytes"),
        }
    }
}

/// The TLS side of a call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TlsOutcome {
    /// False for plain HTTP.
    pub used: bool,
    /// `insecure_skip_verify` was in effect.
    pub verification_skipped: bool,
    /// The server's leaf certificate, when one was seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_certificate: Option<CertificateSummary>,
    /// The name the certificate was checked against (the URL host or `server_name`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_name: Option<String>,
    /// What verification said about the chain, in Go's words (also when it was skipped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// A name the certificate carries under which it verifies, when the checked one does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_that_verifies: Option<String>,
}

/// The facts of a certificate that explain a TLS failure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CertificateSummary {
    pub subject: String,
    pub issuer: String,
    /// DNS names and IP addresses, as written in the certificate.
    pub sans: Vec<String>,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_after: Option<String>,
}

/// Why a list call was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// The role's own resource (nodes for `node`, endpoints for `endpoints`...).
    Role,
    /// A resource the role also needs (services and pods for endpoints, nodes for
    /// `attach_metadata`): Prometheus waits for these lists too.
    Companion,
    /// A list without selectors, made only to tell "the selector matches nothing" from "there
    /// is nothing"; Prometheus does not make it.
    SelectorProbe,
    /// `GET /version` (Prometheus 2.x, endpointslice and ingress roles).
    Version,
}

/// The resource a call listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resource {
    /// API group, `""` for the core group.
    pub group: &'static str,
    pub version: &'static str,
    /// Plural resource name, as RBAC names it.
    pub resource: &'static str,
}

impl Resource {
    pub const fn core(resource: &'static str) -> Resource {
        Resource {
            group: "",
            version: "v1",
            resource,
        }
    }

    /// `/api/v1[/namespaces/NS]/RES` or `/apis/G/V[/namespaces/NS]/RES`.
    pub fn path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) => format!("{base}/namespaces/{ns}/{}", self.resource),
            None => format!("{base}/{}", self.resource),
        }
    }
}

/// One list (all its pages) or one version call, as checks see it.
#[derive(Debug, Clone, Serialize)]
pub struct ListFact {
    /// The URL of the first page.
    pub url: String,
    pub purpose: Purpose,
    pub resource: Resource,
    /// `None` for a cluster-wide list.
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_selector: Option<String>,
    /// The status of the last page fetched, when an answer came back.
    pub status: Option<u16>,
    /// Summed over pages.
    pub latency: Duration,
    pub pages: usize,
    pub tls: TlsOutcome,
    /// Objects listed, when the list completed.
    pub object_count: Option<usize>,
    /// Why the list did not complete (transport failure or undecodable body).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// The start of a non-200 body (a Kubernetes `Status` object, usually).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_body: Option<String>,
}

impl ListFact {
    pub fn succeeded(&self) -> bool {
        self.object_count.is_some()
    }

    /// The fact of a call to `path_and_query` (the first page of a list), before any answer.
    fn new(
        client: &dyn KubeGet,
        path_and_query: &str,
        purpose: Purpose,
        resource: Resource,
    ) -> ListFact {
        ListFact {
            url: format!(
                "{}{path_and_query}",
                client.base_url().trim_end_matches('/')
            ),
            purpose,
            resource,
            namespace: None,
            label_selector: None,
            field_selector: None,
            status: None,
            latency: Duration::ZERO,
            pages: 0,
            tls: TlsOutcome::default(),
            object_count: None,
            failure: None,
            error_body: None,
        }
    }

    /// Adds one answer (one page) to the fact: its latency, TLS outcome and status. Returns the
    /// body of a 200; a transport failure, or the start of any other status's body, is kept in
    /// the fact instead, for checks to explain.
    fn record(&mut self, response: ApiResponse) -> Option<Vec<u8>> {
        self.latency += response.latency;
        self.pages += 1;
        self.tls = response.tls;
        let reply = match response.result {
            Ok(reply) => reply,
            Err(failure) => {
                self.failure = Some(failure);
                return None;
            }
        };
        self.status = Some(reply.status);
        if reply.status != 200 {
            self.error_body = Some(body_prefix(&reply.body));
            return None;
        }
        Some(reply.body)
    }
}

/// What to list.
#[derive(Debug, Clone)]
pub struct ListRequest<'a> {
    pub purpose: Purpose,
    pub resource: Resource,
    pub namespace: Option<&'a str>,
    pub label_selector: Option<&'a str>,
    pub field_selector: Option<&'a str>,
}

fn query_escape(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

impl ListRequest<'_> {
    fn path_and_query(&self, continue_token: Option<&str>) -> String {
        let mut query = Vec::new();
        if let Some(s) = self.label_selector.filter(|s| !s.is_empty()) {
            query.push(format!("labelSelector={}", query_escape(s)));
        }
        if let Some(s) = self.field_selector.filter(|s| !s.is_empty()) {
            query.push(format!("fieldSelector={}", query_escape(s)));
        }
        let limit = if self.purpose == Purpose::SelectorProbe {
            1
        } else {
            PAGE_SIZE
        };
        query.push(format!("limit={limit}"));
        if let Some(token) = continue_token {
            query.push(format!("continue={}", query_escape(token)));
        }
        format!("{}?{}", self.resource.path(self.namespace), query.join("&"))
    }
}

fn body_prefix(body: &[u8]) -> String {
    let end = body.len().min(ERROR_BODY_PREFIX);
    String::from_utf8_lossy(&body[..end]).into_owned()
}

/// Lists every page of `request`. Returns the objects (`None` when the list failed) and the
/// fact describing the call. A selector probe stops after one page.
pub fn list<T: DeserializeOwned>(
    client: &dyn KubeGet,
    request: &ListRequest,
) -> (Option<Vec<T>>, ListFact) {
    let first = request.path_and_query(None);
    let mut fact = ListFact {
        namespace: request.namespace.map(str::to_string),
        label_selector: request.label_selector.map(str::to_string),
        field_selector: request.field_selector.map(str::to_string),
        ..ListFact::new(client, &first, request.purpose, request.resource.clone())
    };
    let mut items = Vec::new();
    let mut path = first;
    loop {
        let Some(body) = fact.record(client.get(&path)) else {
            return (None, fact);
        };
        let page: List<T> = match serde_json::from_slice(&body) {
            Ok(page) => page,
            Err(e) => {
                fact.failure = Some(Failure::Setup {
                    message: format!("failed to decode the list response: {e}"),
                });
                fact.error_body = Some(body_prefix(&body));
                return (None, fact);
            }
        };
        items.extend(page.items);
        let token = page.metadata.continue_token;
        if token.is_empty() || request.purpose == Purpose::SelectorProbe {
            break;
        }
        if fact.pages >= MAX_PAGES {
            fact.failure = Some(Failure::TooLarge {
                limit: (MAX_PAGES * PAGE_SIZE) as u64,
            });
            return (None, fact);
        }
        path = request.path_and_query(Some(&token));
    }
    fact.object_count = Some(items.len());
    (Some(items), fact)
}

/// `GET /version`: the server's `gitVersion` and its fact.
pub fn server_version(client: &dyn KubeGet) -> (Option<(u32, u32)>, ListFact) {
    #[derive(serde::Deserialize)]
    struct Info {
        #[serde(default)]
        major: String,
        #[serde(default)]
        minor: String,
    }
    let mut fact = ListFact::new(
        client,
        "/version",
        Purpose::Version,
        Resource::core("version"),
    );
    let Some(body) = fact.record(client.get("/version")) else {
        return (None, fact);
    };
    let parsed = serde_json::from_slice::<Info>(&body).ok().and_then(|i| {
        // Go's semver check in Prometheus reads `Major()`/`Minor()` of gitVersion; the
        // numeric fields carry the same numbers, minor possibly with a `+`.
        let major = i.major.trim_end_matches('+').parse().ok()?;
        let minor = i.minor.trim_end_matches('+').parse().ok()?;
        Some((major, minor))
    });
    fact.object_count = parsed.map(|_| 1);
    (parsed, fact)
}

#[cfg(test)]
pub mod fake {
    //! A scripted [`KubeGet`] for tests: answers by exact path, records what was asked.

    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;

    #[derive(Default)]
    pub struct FakeApi {
        pub answers: HashMap<String, (u16, String)>,
        pub asked: Mutex<Vec<String>>,
    }

    impl FakeApi {
        pub fn with(mut self, path: &str, status: u16, body: &str) -> FakeApi {
            self.answers
                .insert(path.to_string(), (status, body.to_string()));
            self
        }
    }

    impl KubeGet for FakeApi {
        fn get(&self, path_and_query: &str) -> ApiResponse {
            if let Ok(mut asked) = self.asked.lock() {
                asked.push(path_and_query.to_string());
            }
            let result = match self.answers.get(path_and_query) {
                Some((status, body)) => Ok(Reply {
                    status: *status,
                    body: body.as_bytes().to_vec(),
                }),
                None => Err(Failure::Unreachable {
                    message: format!("unexpected request {path_and_query}"),
                }),
            };
            ApiResponse {
                result,
                latency: Duration::from_millis(1),
                tls: TlsOutcome::default(),
            }
        }

        fn base_url(&self) -> &str {
            "https://api.test:6443"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fake::FakeApi;
    use super::*;

    #[test]
    fn follows_continue_tokens_and_escapes_selectors() {
        let api = FakeApi::default()
            .with(
                "/api/v1/namespaces/a/pods?labelSelector=app%3Dweb&limit=500",
                200,
                r#"{"metadata": {"continue": "t/1"}, "items": [{"metadata": {"name": "p1"}}]}"#,
            )
            .with(
                "/api/v1/namespaces/a/pods?labelSelector=app%3Dweb&limit=500&continue=t%2F1",
                200,
                r#"{"metadata": {}, "items": [{"metadata": {"name": "p2"}}]}"#,
            );
        let request = ListRequest {
            purpose: Purpose::Role,
            resource: Resource::core("pods"),
            namespace: Some("a"),
            label_selector: Some("app=web"),
            field_selector: None,
        };
        let (items, fact) = list::<super::super::objects::Pod>(&api, &request);
        let names: Vec<String> = items
            .unwrap()
            .into_iter()
            .map(|p| p.metadata.name)
            .collect();
        assert_eq!(names, ["p1", "p2"]);
        assert_eq!(fact.pages, 2);
        assert_eq!(fact.object_count, Some(2));
        assert_eq!(fact.status, Some(200));
        assert_eq!(
            fact.url,
            "https://api.test:6443/api/v1/namespaces/a/pods?labelSelector=app%3Dweb&limit=500"
        );
    }

    #[test]
    fn a_non_200_keeps_the_body_prefix() {
        let api = FakeApi::default().with(
            "/apis/discovery.k8s.io/v1/endpointslices?limit=500",
            403,
            r#"{"kind":"Status","code":403}"#,
        );
        let request = ListRequest {
            purpose: Purpose::Role,
            resource: Resource {
                group: "discovery.k8s.io",
                version: "v1",
                resource: "endpointslices",
            },
            namespace: None,
            label_selector: None,
            field_selector: None,
        };
        let (items, fact) = list::<super::super::objects::EndpointSlice>(&api, &request);
        assert!(items.is_none());
        assert_eq!(fact.status, Some(403));
        assert_eq!(
            fact.error_body.as_deref(),
            Some(r#"{"kind":"Status","code":403}"#)
        );
    }
}
