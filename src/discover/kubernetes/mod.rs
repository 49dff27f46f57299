//! Stage 2, Kubernetes: `kubernetes_sd_configs` resolved from the live cluster with the SD
//! entry's own credentials, producing the target groups Prometheus's discovery would produce for
//! the selected release, and a [`ListFact`] for every call made.
//!
//! A one-shot check lists (with pagination) instead of watching. As in Prometheus, a role's
//! discoverer for a namespace produces nothing until every list it depends on succeeded
//! (endpoints also need services and pods; `attach_metadata.node` needs nodes).
//!
//! The role builders ([`node`], [`pod`], [`service`], [`endpoints`], [`endpointslice`],
//! [`ingress`]) are pure; the network is behind [`api::KubeGet`], provided by a [`Connector`].

pub mod api;
mod backends;
pub mod claims;
pub mod client;
mod endpoints;
mod endpointslice;
mod ingress;
pub mod kubeconfig;
mod meta;
mod node;
pub mod objects;
pub mod plan;
mod pod;
mod semantics;
mod service;
mod store;

use serde::Serialize;

use crate::config::model::{KubernetesRole, KubernetesSd};
use crate::discover::TargetGroup;
use crate::source::Location;
use crate::version::PrometheusVersion;

pub use api::{ApiResponse, Failure, KubeGet, ListFact, Purpose, Reply, Resource, TlsOutcome};
pub use claims::TokenClaims;
pub use semantics::Semantics;

use api::{list, ListRequest};
use objects::{EndpointSlice, Endpoints, Ingress, Node, Pod, Service};
use store::Store;

/// How the SD entry authenticates, without the secret itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Credentials {
    /// `bearer`, `basic`, `client-certificate`, `oauth2`, `none`, or an `authorization` type.
    pub kind: String,
    /// Where the secret comes from (a file path, `inline`, or a kubeconfig user).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The claims of a JWT bearer token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_claims: Option<TokenClaims>,
}

/// A client for one SD entry's API server.
pub struct Connection {
    pub client: Box<dyn KubeGet + Send>,
    pub credentials: Credentials,
    /// The pod's own namespace, listed too when `namespaces.own_namespace` is set.
    pub own_namespace: Option<String>,
}

/// Makes the client an SD entry describes (api_server + HTTP config, kubeconfig, or in-cluster).
pub trait Connector: Sync {
    /// `Err` says why no client could be made (unreadable kubeconfig, no in-cluster account...).
    fn connect(&self, sd: &KubernetesSd, location: &Location) -> Result<Connection, String>;
}

/// Everything discovery learnt about one Kubernetes SD entry besides its targets.
#[derive(Debug, Clone, Serialize)]
pub struct KubeFacts {
    /// The API server's base URL.
    pub api_server: String,
    /// The cluster targets of this entry belong to unless relabeling sets a `cluster` label:
    /// the API server's host and port.
    pub cluster: String,
    pub role: &'static str,
    /// Namespaces listed; empty means all.
    pub namespaces: Vec<String>,
    pub credentials: Credentials,
    pub lists: Vec<ListFact>,
    /// Unix seconds when discovery ran, so checks can tell an expired token without a clock.
    pub checked_at: i64,
}

/// The host (and port) of a URL, as findings name a cluster.
pub fn cluster_of(api_server: &str) -> String {
    match url::Url::parse(api_server) {
        Ok(url) => match (url.host_str(), url.port_or_known_default()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            _ => api_server.to_string(),
        },
        Err(_) => api_server.to_string(),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Resolves one SD entry through `connection`.
pub fn discover(
    sd: &KubernetesSd,
    connection: &Connection,
    version: PrometheusVersion,
) -> (Vec<TargetGroup>, KubeFacts) {
    let client = connection.client.as_ref();
    let mut namespaces = sd.namespaces.clone();
    if sd.own_namespace {
        namespaces.extend(connection.own_namespace.clone());
    }
    let mut run = Run {
        sd,
        namespaces: namespaces.clone(),
        client,
        semantics: Semantics(version),
        lists: Vec::new(),
        groups: Vec::new(),
    };
    run.role();
    let api_server = client.base_url().to_string();
    let facts = KubeFacts {
        cluster: cluster_of(&api_server),
        api_server,
        role: sd.role.as_str(),
        namespaces,
        credentials: connection.credentials.clone(),
        lists: run.lists,
        checked_at: now(),
    };
    (run.groups, facts)
}

struct Run<'a> {
    sd: &'a KubernetesSd,
    namespaces: Vec<String>,
    client: &'a dyn KubeGet,
    semantics: Semantics,
    lists: Vec<ListFact>,
    groups: Vec<TargetGroup>,
}

const NODES: Resource = Resource::core("nodes");
const PODS: Resource = Resource::core("pods");
const SERVICES: Resource = Resource::core("services");
const ENDPOINTS: Resource = Resource::core("endpoints");

impl<'a> Run<'a> {
    fn selector(&self, role: KubernetesRole) -> (Option<&'a str>, Option<&'a str>) {
        self.sd
            .selectors
            .iter()
            .find(|s| s.role == role)
            .map(|s| (s.label.as_deref(), s.field.as_deref()))
            .unwrap_or((None, None))
    }

    /// Namespaces to list: the configured names, or `None` (all) when there are none.
    fn namespaces(&self) -> Vec<Option<String>> {
        if self.namespaces.is_empty() {
            vec![None]
        } else {
            self.namespaces.iter().cloned().map(Some).collect()
        }
    }

    fn list<T: serde::de::DeserializeOwned>(
        &mut self,
        purpose: Purpose,
        resource: Resource,
        namespace: Option<&str>,
        selector_role: KubernetesRole,
    ) -> Option<Vec<T>> {
        let (label, field) = self.selector(selector_role);
        let request = ListRequest {
            purpose,
            resource,
            namespace,
            label_selector: label,
            field_selector: field,
        };
        let (items, fact) = list::<T>(self.client, &request);
        let probe = purpose == Purpose::Role
            && fact.object_count == Some(0)
            && (label.is_some_and(|s| !s.is_empty()) || field.is_some_and(|s| !s.is_empty()));
        self.lists.push(fact);
        if probe {
            let unfiltered = ListRequest {
                purpose: Purpose::SelectorProbe,
                label_selector: None,
                field_selector: None,
                ..request
            };
            let (_, fact) = list::<serde::de::IgnoredAny>(self.client, &unfiltered);
            self.lists.push(fact);
        }
        items
    }

    /// Nodes for `attach_metadata.node` (listed with the node selectors); `Err` when the list
    /// failed, which stops the role as Prometheus's informer sync would.
    fn attached_nodes(&mut self, store: &mut Store) -> Result<(), ()> {
        if !self.sd.attach_node_metadata {
            return Ok(());
        }
        let nodes = self.list::<Node>(Purpose::Companion, NODES, None, KubernetesRole::Node);
        store.set_nodes(nodes.ok_or(())?);
        Ok(())
    }

    /// The API version Prometheus 2.x picks after `GET /version`; 3.x always uses `v1`.
    fn versioned(
        &mut self,
        group: &'static str,
        resource: &'static str,
        v1_from_minor: u32,
    ) -> Resource {
        let mut version = "v1";
        if self.semantics.probes_server_version() {
            let (found, fact) = api::server_version(self.client);
            self.lists.push(fact);
            if let Some((major, minor)) = found {
                if !(major >= 1 && minor >= v1_from_minor) {
                    version = "v1beta1";
                }
            }
        }
        Resource {
            group,
            version,
            resource,
        }
    }

    fn role(&mut self) {
        let semantics = self.semantics;
        match self.sd.role {
            KubernetesRole::Node => {
                let nodes = self.list::<Node>(Purpose::Role, NODES, None, KubernetesRole::Node);
                for node in nodes.unwrap_or_default() {
                    self.groups.extend(node::build(&node, semantics));
                }
            }
            KubernetesRole::Pod => {
                let mut store = Store::default();
                if self.attached_nodes(&mut store).is_err() {
                    return;
                }
                for ns in self.namespaces() {
                    let pods =
                        self.list::<Pod>(Purpose::Role, PODS, ns.as_deref(), KubernetesRole::Pod);
                    for pod in pods.unwrap_or_default() {
                        self.groups.push(pod::build(&pod, &store, semantics));
                    }
                }
            }
            KubernetesRole::Service => {
                for ns in self.namespaces() {
                    let services = self.list::<Service>(
                        Purpose::Role,
                        SERVICES,
                        ns.as_deref(),
                        KubernetesRole::Service,
                    );
                    for svc in services.unwrap_or_default() {
                        self.groups.push(service::build(&svc));
                    }
                }
            }
            KubernetesRole::Ingress => {
                let resource = self.versioned("networking.k8s.io", "ingresses", 19);
                for ns in self.namespaces() {
                    let ingresses = self.list::<Ingress>(
                        Purpose::Role,
                        resource.clone(),
                        ns.as_deref(),
                        KubernetesRole::Ingress,
                    );
                    for ing in ingresses.unwrap_or_default() {
                        self.groups.push(ingress::build(&ing));
                    }
                }
            }
            KubernetesRole::Endpoints => self.endpoints_like(None),
            KubernetesRole::EndpointSlice => {
                let resource = self.versioned("discovery.k8s.io", "endpointslices", 21);
                self.endpoints_like(Some(resource))
            }
        }
    }

    /// `endpoints` (`slices` = None) and `endpointslice`: per namespace, the role's resource plus
    /// services and pods; nothing from a namespace unless all three lists succeed.
    fn endpoints_like(&mut self, slices: Option<Resource>) {
        let semantics = self.semantics;
        let mut nodes = Store::default();
        if self.attached_nodes(&mut nodes).is_err() {
            return;
        }
        for ns in self.namespaces() {
            let mut store = Store::default();
            if let Some(n) = nodes.nodes_clone() {
                store.set_nodes(n);
            }
            let (endpoints, endpoint_slices) = match &slices {
                None => (
                    self.list::<Endpoints>(
                        Purpose::Role,
                        ENDPOINTS,
                        ns.as_deref(),
                        KubernetesRole::Endpoints,
                    ),
                    Some(Vec::new()),
                ),
                Some(resource) => (
                    Some(Vec::new()),
                    self.list::<EndpointSlice>(
                        Purpose::Role,
                        resource.clone(),
                        ns.as_deref(),
                        KubernetesRole::EndpointSlice,
                    ),
                ),
            };
            let services = self.list::<Service>(
                Purpose::Companion,
                SERVICES,
                ns.as_deref(),
                KubernetesRole::Service,
            );
            let pods =
                self.list::<Pod>(Purpose::Companion, PODS, ns.as_deref(), KubernetesRole::Pod);
            let (Some(endpoints), Some(endpoint_slices), Some(services), Some(pods)) =
                (endpoints, endpoint_slices, services, pods)
            else {
                continue;
            };
            store.add_services(services);
            store.add_pods(pods);
            for e in &endpoints {
                self.groups.push(endpoints::build(e, &store, semantics));
            }
            for s in &endpoint_slices {
                self.groups.push(endpointslice::build(s, &store, semantics));
            }
        }
    }
}

#[cfg(test)]
mod tests;
