//! Which permissions a configuration needs, per API server and identity: `list`/`watch` for
//! every `kubernetes_sd_configs` role and namespace, and for every resolved scrape URL the
//! attributes the API server or the kubelet will authorize (`nodes/proxy`, `services/proxy`,
//! `pods/proxy`, `nodes/metrics`, the `/metrics` non-resource URL). Pure: config and resolved
//! targets in, requirements out; discovery that failed still yields its SD needs.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use serde::Serialize;

use crate::config::model::{
    Config, HttpClientConfig, KubernetesRole, KubernetesSd, ScrapeConfig, SdKind,
};
use crate::discover::kubernetes::cluster_of;
use crate::probe::authz::{PolicyRule, Scope};
use crate::source::Location;
use crate::targets::{JobTargets, TargetState};

/// The kubelet's default secure port: a target there is a kubelet.
pub const KUBELET_PORT: u16 = 10250;
/// The API server's usual port.
pub const API_SERVER_PORT: u16 = 6443;

/// One set of attributes the authorizer sees, as a SelfSubjectAccessReview asks it. Resource
/// attributes when `resource` is set, else a non-resource `path`. `namespace` empty means the
/// cluster scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Permission {
    pub verb: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subresource: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub path: String,
}

impl Permission {
    pub fn resource(verb: &str, group: &str, resource: &str, namespace: &str) -> Permission {
        let (resource, subresource) = resource.split_once('/').unwrap_or((resource, ""));
        Permission {
            verb: verb.into(),
            namespace: namespace.into(),
            group: group.into(),
            resource: resource.into(),
            subresource: subresource.into(),
            path: String::new(),
        }
    }

    pub fn non_resource(verb: &str, path: &str) -> Permission {
        Permission {
            verb: verb.into(),
            path: path.into(),
            namespace: String::new(),
            group: String::new(),
            resource: String::new(),
            subresource: String::new(),
        }
    }

    pub fn is_resource(&self) -> bool {
        !self.resource.is_empty()
    }

    /// `nodes/proxy`, or `nodes`.
    pub fn resource_path(&self) -> String {
        if self.subresource.is_empty() {
            self.resource.clone()
        } else {
            format!("{}/{}", self.resource, self.subresource)
        }
    }

    /// Where a grant must be bound: non-resource URLs and cluster-scoped checks need a
    /// ClusterRoleBinding.
    pub fn scope(&self) -> Scope {
        if self.namespace.is_empty() || !self.is_resource() {
            Scope::Cluster
        } else {
            Scope::Namespace {
                namespace: self.namespace.clone(),
            }
        }
    }

    /// The single rule that grants exactly this.
    pub fn rule(&self) -> PolicyRule {
        if self.is_resource() {
            PolicyRule {
                api_groups: vec![self.group.clone()],
                resources: vec![self.resource_path()],
                verbs: vec![self.verb.clone()],
                ..PolicyRule::default()
            }
        } else {
            PolicyRule {
                non_resource_urls: vec![self.path.clone()],
                verbs: vec![self.verb.clone()],
                ..PolicyRule::default()
            }
        }
    }

    /// `get nodes/proxy (cluster-wide)`, `list services in namespace "monitoring"`,
    /// `get path "/metrics"`.
    pub fn describe(&self) -> String {
        if !self.is_resource() {
            return format!("{} path {:?}", self.verb, self.path);
        }
        let group = if self.group.is_empty() {
            String::new()
        } else {
            format!(" in API group {:?}", self.group)
        };
        let scope = if self.namespace.is_empty() {
            " (cluster-wide)".to_string()
        } else {
            format!(" in namespace {:?}", self.namespace)
        };
        format!("{} {}{group}{scope}", self.verb, self.resource_path())
    }
}

/// Why a permission is needed: which job, and for what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Need {
    pub job: String,
    #[serde(skip)]
    pub job_index: usize,
    /// `kubernetes_sd_configs role endpoints`, or the scrape URL.
    pub what: String,
    pub location: Location,
}

/// Where an HTTP client config comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HttpSource {
    /// The job's own HTTP client config (used for its scrapes).
    Job { job_index: usize },
    /// A `kubernetes_sd_configs` entry's (its `api_server` + HTTP config, or its kubeconfig).
    Sd { job_index: usize, sd_index: usize },
}

/// One identity at one API server, and everything it needs there.
#[derive(Debug, Clone)]
pub struct Requirement {
    /// The API server's `host:port` (how findings name a cluster).
    pub cluster: String,
    /// The API server's base URL; `None` when no API server is known (a kubelet scraped from a
    /// static target in a job without Kubernetes discovery).
    pub api_server: Option<String>,
    /// Whose credentials the checks must use.
    pub credentials: HttpSource,
    /// Whose TLS settings reach the API server (the credentials' own when `None`).
    pub tls: Option<HttpSource>,
    pub needs: BTreeMap<Permission, Vec<Need>>,
}

/// Every requirement of a configuration, one per (API server, identity).
#[derive(Debug, Clone, Default)]
pub struct Requirements {
    pub identities: Vec<Requirement>,
}

/// Identifies credentials without keeping them: file paths, or a hash of an inline secret.
fn credential_key(http: &HttpClientConfig) -> String {
    let hash = |s: &str| {
        let mut h = DefaultHasher::new();
        s.hash(&mut h);
        h.finish()
    };
    if let Some(a) = &http.authorization {
        if let Some(f) = &a.credentials_file {
            return format!("authorization-file:{}", f.resolved.display());
        }
        if let Some(s) = &a.credentials {
            return format!("authorization:{:x}", hash(s.expose()));
        }
    }
    if let Some(f) = &http.bearer_token_file {
        return format!("authorization-file:{}", f.resolved.display());
    }
    if let Some(s) = &http.bearer_token {
        return format!("authorization:{:x}", hash(s.expose()));
    }
    if let Some(b) = &http.basic_auth {
        return format!("basic:{}", b.username);
    }
    if let Some(f) = &http.tls.cert_file {
        return format!("client-cert:{}", f.resolved.display());
    }
    "anonymous".into()
}

/// The resources a role's informers list and watch.
pub fn role_resources(sd: &KubernetesSd) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = match sd.role {
        KubernetesRole::Node => vec![("", "nodes")],
        KubernetesRole::Service => vec![("", "services")],
        KubernetesRole::Pod => vec![("", "pods")],
        KubernetesRole::Endpoints => vec![("", "endpoints"), ("", "services"), ("", "pods")],
        KubernetesRole::EndpointSlice => vec![
            ("discovery.k8s.io", "endpointslices"),
            ("", "services"),
            ("", "pods"),
        ],
        KubernetesRole::Ingress => vec![("networking.k8s.io", "ingresses")],
    };
    let attach = matches!(
        sd.role,
        KubernetesRole::Pod | KubernetesRole::Endpoints | KubernetesRole::EndpointSlice
    ) && sd.attach_node_metadata;
    if attach {
        out.push(("", "nodes"));
    }
    out
}

/// What a scrape URL asks of Kubernetes authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScrapeAccess {
    /// Through the API server (a proxy path or a non-resource URL): the API server decides.
    ApiServer {
        api_server: String,
        permission: Permission,
    },
    /// A kubelet on its secure port: it asks the API server about `nodes/<sub>`.
    Kubelet { permission: Permission },
    /// Not a Kubernetes component we know of.
    Other,
}

/// The kubelet's path → subresource mapping (fine-grained authorization off, which every
/// version still accepts; `nodes/metrics` for every `/metrics*` path).
pub fn kubelet_subresource(path: &str) -> &'static str {
    let under = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    if under("/metrics") {
        "metrics"
    } else if under("/stats") {
        "stats"
    } else if under("/logs") {
        "log"
    } else if under("/checkpoint") {
        "checkpoint"
    } else {
        "proxy"
    }
}

/// Classifies a scrape URL. `api_servers` are the `host:port`s known to be API servers;
/// `kubelet` says the target is known to be a kubelet whatever its port (a node discovered by
/// role `node` and scraped at its kubelet endpoint).
pub fn scrape_access(scrape_url: &str, api_servers: &[String], kubelet: bool) -> ScrapeAccess {
    let Ok(url) = url::Url::parse(scrape_url) else {
        return ScrapeAccess::Other;
    };
    let host_port = match (url.host_str(), url.port_or_known_default()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        _ => return ScrapeAccess::Other,
    };
    let origin = format!("{}://{host_port}", url.scheme());
    let segments: Vec<&str> = url.path().trim_start_matches('/').split('/').collect();
    let get = |resource: &str, namespace: &str| ScrapeAccess::ApiServer {
        api_server: origin.clone(),
        permission: Permission::resource("get", "", resource, namespace),
    };
    match segments.as_slice() {
        ["api", "v1", "nodes", name, "proxy", ..] if !name.is_empty() => {
            return get("nodes/proxy", "")
        }
        ["api", "v1", "namespaces", ns, kind @ ("services" | "pods"), name, "proxy", ..]
            if !ns.is_empty() && !name.is_empty() =>
        {
            return get(&format!("{kind}/proxy"), ns)
        }
        _ => {}
    }
    if kubelet || url.port_or_known_default() == Some(KUBELET_PORT) {
        return ScrapeAccess::Kubelet {
            permission: Permission::resource(
                "get",
                "",
                &format!("nodes/{}", kubelet_subresource(url.path())),
                "",
            ),
        };
    }
    let known = api_servers.iter().any(|a| a == &host_port);
    if known || url.port() == Some(API_SERVER_PORT) {
        return ScrapeAccess::ApiServer {
            api_server: origin,
            permission: Permission::non_resource("get", url.path()),
        };
    }
    ScrapeAccess::Other
}

/// Whether a target discovered by role `node` is scraped at the address discovery gave it
/// (the node's kubelet endpoint).
fn at_kubelet_endpoint(target: &crate::targets::Target, scrape_url: &str) -> bool {
    let d = &target.discovered;
    if d.get("__meta_kubernetes_node_name").is_none()
        || d.get("__meta_kubernetes_pod_name").is_some()
    {
        return false;
    }
    let Some(address) = d.get("__address__") else {
        return false;
    };
    url::Url::parse(scrape_url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .is_some_and(|hp| &hp == address)
}

fn kubernetes_sds(job: &ScrapeConfig) -> impl Iterator<Item = (usize, &KubernetesSd, &Location)> {
    job.service_discovery
        .iter()
        .enumerate()
        .filter_map(|(i, sd)| match &sd.kind {
            SdKind::Kubernetes(k) => Some((i, k.as_ref(), &sd.location)),
            _ => None,
        })
}

/// The API server an SD entry talks to: its `api_server`, else what discovery found (a
/// kubeconfig's server).
fn sd_api_server(sd: &KubernetesSd, job: Option<&JobTargets>, sd_index: usize) -> Option<String> {
    if let Some(a) = sd.api_server.as_ref().filter(|a| !a.is_empty()) {
        return Some(a.trim_end_matches('/').to_string());
    }
    job?.discovery
        .iter()
        .find(|d| d.sd_index == sd_index)
        .and_then(|d| d.kubernetes.as_ref())
        .map(|k| k.api_server.trim_end_matches('/').to_string())
}

#[derive(Default)]
struct Builder {
    by_key: BTreeMap<(String, String), Requirement>,
}

impl Builder {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        api_server: Option<String>,
        cluster: String,
        credentials: HttpSource,
        credential_key: String,
        tls: Option<HttpSource>,
        permission: Permission,
        need: Need,
    ) {
        let entry = self
            .by_key
            .entry((cluster.clone(), credential_key))
            .or_insert_with(|| Requirement {
                cluster,
                api_server: api_server.clone(),
                credentials,
                tls,
                needs: BTreeMap::new(),
            });
        if entry.api_server.is_none() {
            entry.api_server = api_server;
            entry.tls = tls;
        }
        let needs = entry.needs.entry(permission).or_default();
        if !needs.contains(&need) {
            needs.push(need);
        }
    }
}

/// Computes every permission `config` needs, from its SD entries and the resolved targets.
pub fn compute(config: &Config, jobs: &[JobTargets]) -> Requirements {
    let job_of = |i: usize| jobs.iter().find(|j| j.job_index == i);
    let mut b = Builder::default();
    // API servers by host:port, with the SD entry that reaches each (for TLS settings).
    let mut api_servers: BTreeMap<String, (String, HttpSource)> = BTreeMap::new();
    for (job_index, job) in config.scrape_configs.iter().enumerate() {
        for (sd_index, sd, location) in kubernetes_sds(job) {
            let source = HttpSource::Sd {
                job_index,
                sd_index,
            };
            let api_server = sd_api_server(sd, job_of(job_index), sd_index);
            let cluster = match &api_server {
                Some(a) => cluster_of(a),
                None => "in-cluster".to_string(),
            };
            if let Some(a) = &api_server {
                api_servers
                    .entry(cluster.clone())
                    .or_insert((a.clone(), source));
            }
            let key = match &sd.kubeconfig_file {
                Some(f) => format!("kubeconfig:{}", f.resolved.display()),
                None => credential_key(&sd.http),
            };
            let namespaces: Vec<String> = if sd.namespaces.is_empty() {
                vec![String::new()]
            } else {
                sd.namespaces.clone()
            };
            for (group, resource) in role_resources(sd) {
                let scopes: &[String] = if resource == "nodes" {
                    &[String::new()]
                } else {
                    &namespaces
                };
                for ns in scopes {
                    for verb in ["list", "watch"] {
                        b.add(
                            api_server.clone(),
                            cluster.clone(),
                            source,
                            key.clone(),
                            None,
                            Permission::resource(verb, group, resource, ns),
                            Need {
                                job: job.job_name.clone(),
                                job_index,
                                what: format!("kubernetes_sd_configs role {}", sd.role.as_str()),
                                location: location.clone(),
                            },
                        );
                    }
                }
            }
        }
    }
    let known: Vec<String> = api_servers.keys().cloned().collect();
    for jt in jobs {
        let Some(job) = config.scrape_configs.get(jt.job_index) else {
            continue;
        };
        let source = HttpSource::Job {
            job_index: jt.job_index,
        };
        let key = credential_key(&job.http);
        for resolved in &jt.targets {
            let TargetState::Active { scrape_url, .. } = &resolved.target.state else {
                continue;
            };
            let need = Need {
                job: job.job_name.clone(),
                job_index: jt.job_index,
                what: scrape_url.clone(),
                location: job.location.clone(),
            };
            match scrape_access(
                scrape_url,
                &known,
                at_kubelet_endpoint(&resolved.target, scrape_url),
            ) {
                ScrapeAccess::ApiServer {
                    api_server,
                    permission,
                } => {
                    let cluster = cluster_of(&api_server);
                    b.add(
                        Some(api_server),
                        cluster,
                        source,
                        key.clone(),
                        None,
                        permission,
                        need,
                    );
                }
                ScrapeAccess::Kubelet { permission } => {
                    // The kubelet asks the API server the target was discovered from, else the
                    // one the job discovers from, else the one its cluster label names.
                    let own_sd = job.service_discovery.get(resolved.sd_index).and_then(|sd| {
                        match &sd.kind {
                            SdKind::Kubernetes(k) => sd_api_server(k, Some(jt), resolved.sd_index)
                                .map(|a| {
                                    (
                                        a,
                                        HttpSource::Sd {
                                            job_index: jt.job_index,
                                            sd_index: resolved.sd_index,
                                        },
                                    )
                                }),
                            _ => None,
                        }
                    });
                    let any_sd = || {
                        kubernetes_sds(job).find_map(|(i, k, _)| {
                            sd_api_server(k, Some(jt), i).map(|a| {
                                (
                                    a,
                                    HttpSource::Sd {
                                        job_index: jt.job_index,
                                        sd_index: i,
                                    },
                                )
                            })
                        })
                    };
                    let by_cluster = || {
                        resolved
                            .cluster
                            .as_ref()
                            .and_then(|c| api_servers.get(c).cloned())
                    };
                    let found = own_sd.or_else(any_sd).or_else(by_cluster);
                    let (api_server, cluster, tls) = match found {
                        Some((a, tls)) => (Some(a.clone()), cluster_of(&a), Some(tls)),
                        None => (
                            None,
                            resolved
                                .cluster
                                .clone()
                                .unwrap_or_else(|| "unknown API server".to_string()),
                            None,
                        ),
                    };
                    b.add(
                        api_server,
                        cluster,
                        source,
                        key.clone(),
                        tls,
                        permission,
                        need,
                    );
                }
                ScrapeAccess::Other => {}
            }
        }
    }
    Requirements {
        identities: b.by_key.into_values().collect(),
    }
}

#[cfg(test)]
#[path = "needs_tests.rs"]
mod tests;
