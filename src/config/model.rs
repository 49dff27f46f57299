//! The Prometheus configuration, as Prometheus holds it after loading: defaults applied, relative
//! paths resolved, regexes compiled, and every job, SD entry and relabel rule carrying its location.
//!
//! Only the parts a preflight check needs are typed in detail; every field Prometheus knows is
//! still recognised by the loader (so that unknown-field detection is exact). Pure data.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::config::regex::PromRegex;
use crate::source::Location;

/// A whole configuration: the main file plus everything `scrape_config_files` pulled in.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub global: GlobalConfig,
    pub scrape_configs: Vec<ScrapeConfig>,
    pub alertmanagers: Vec<AlertmanagerConfig>,
}

#[derive(Debug, Clone)]
pub struct GlobalConfig {
    pub scrape_interval: Duration,
    pub scrape_timeout: Duration,
    pub external_labels: BTreeMap<String, String>,
    pub limits: Limits,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        GlobalConfig {
            scrape_interval: Duration::from_secs(60),
            scrape_timeout: Duration::from_secs(10),
            external_labels: BTreeMap::new(),
            limits: Limits::default(),
        }
    }
}

/// Per-scrape limits; zero means unlimited, as in Prometheus.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub body_size_limit: u64,
    pub sample_limit: u64,
    pub target_limit: u64,
    pub label_limit: u64,
    pub label_name_length_limit: u64,
    pub label_value_length_limit: u64,
}

/// One `scrape_configs` entry, with defaults filled in from `global`.
#[derive(Debug, Clone)]
pub struct ScrapeConfig {
    pub job_name: String,
    /// Where the entry starts (the `- job_name:` item).
    pub location: Location,
    /// The file that declared this job (the main file or a `scrape_config_files` match).
    pub file: PathBuf,
    pub scrape_interval: Duration,
    pub scrape_timeout: Duration,
    pub metrics_path: String,
    pub metrics_path_location: Option<Location>,
    pub scheme: String,
    pub params: BTreeMap<String, Vec<String>>,
    pub honor_labels: bool,
    pub honor_timestamps: bool,
    pub limits: Limits,
    /// `fallback_scrape_protocol` (3.0+), e.g. `PrometheusText0.0.4`: the parser used when a
    /// target sends a blank or unsupported `Content-Type`.
    pub fallback_scrape_protocol: Option<String>,
    pub http: HttpClientConfig,
    pub service_discovery: Vec<SdConfig>,
    pub relabel_configs: Vec<RelabelRule>,
    pub metric_relabel_configs: Vec<RelabelRule>,
}

/// An `alerting.alertmanagers` entry: targets are found and relabeled like a scrape job's.
#[derive(Debug, Clone)]
pub struct AlertmanagerConfig {
    pub location: Location,
    pub scheme: String,
    pub path_prefix: String,
    pub timeout: Duration,
    pub api_version: String,
    pub http: HttpClientConfig,
    pub service_discovery: Vec<SdConfig>,
    pub relabel_configs: Vec<RelabelRule>,
}

/// A file path taken from the config, already resolved against the declaring file's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    /// The path as written.
    pub written: String,
    pub resolved: PathBuf,
    pub location: Location,
}

/// A secret given inline. Never printed: `Debug` shows `<secret>`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }
    /// The secret itself, for building a request. Never pass this to anything that prints.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<secret>")
    }
}

/// Prometheus's `HTTPClientConfig` (prometheus/common), shared by jobs, SD configs and
/// alertmanagers.
#[derive(Debug, Clone, Default)]
pub struct HttpClientConfig {
    pub basic_auth: Option<BasicAuth>,
    pub authorization: Option<Authorization>,
    pub oauth2: Option<OAuth2>,
    pub bearer_token: Option<Secret>,
    pub bearer_token_file: Option<FileRef>,
    pub tls: TlsConfig,
    pub proxy_url: Option<String>,
    pub no_proxy: Option<String>,
    pub proxy_from_environment: bool,
    pub proxy_connect_header: bool,
    pub follow_redirects: bool,
    pub enable_http2: bool,
    /// True when any field was written, which matters for `kubernetes_sd_configs` validation.
    pub any_field_set: bool,
}

#[derive(Debug, Clone, Default)]
pub struct BasicAuth {
    pub username: String,
    pub username_file: Option<FileRef>,
    pub password: Option<Secret>,
    pub password_file: Option<FileRef>,
}

#[derive(Debug, Clone, Default)]
pub struct Authorization {
    pub kind: String,
    pub credentials: Option<Secret>,
    pub credentials_file: Option<FileRef>,
}

#[derive(Debug, Clone, Default)]
pub struct OAuth2 {
    pub client_id: String,
    pub client_secret: Option<Secret>,
    pub client_secret_file: Option<FileRef>,
    pub token_url: String,
}

#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    pub ca_file: Option<FileRef>,
    pub cert_file: Option<FileRef>,
    pub key_file: Option<FileRef>,
    pub ca_inline: bool,
    pub cert_inline: bool,
    pub key_inline: bool,
    pub server_name: Option<String>,
    pub insecure_skip_verify: bool,
    pub insecure_skip_verify_location: Option<Location>,
    pub min_version: Option<String>,
    pub max_version: Option<String>,
}

/// One service-discovery entry of a job.
#[derive(Debug, Clone)]
pub struct SdConfig {
    pub location: Location,
    pub kind: SdKind,
}

#[derive(Debug, Clone)]
pub enum SdKind {
    /// `static_configs[i]`.
    Static(StaticGroup),
    /// `file_sd_configs[i]`.
    File(FileSd),
    /// `kubernetes_sd_configs[i]`.
    Kubernetes(Box<KubernetesSd>),
    /// Any other `<name>_sd_configs` entry: recognised, not resolved offline.
    Other { mechanism: String },
}

#[derive(Debug, Clone, Default)]
pub struct StaticGroup {
    /// Each target with the location of its list item.
    pub targets: Vec<(String, Location)>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct FileSd {
    /// Patterns as written and resolved; they may contain a `*` in the last path element.
    pub files: Vec<FileRef>,
    pub refresh_interval: Duration,
}

#[derive(Debug, Clone)]
pub struct KubernetesSd {
    pub role: KubernetesRole,
    pub api_server: Option<String>,
    pub kubeconfig_file: Option<FileRef>,
    pub namespaces: Vec<String>,
    pub own_namespace: bool,
    pub selectors: Vec<KubernetesSelector>,
    pub attach_node_metadata: bool,
    pub http: HttpClientConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KubernetesRole {
    Node,
    Pod,
    Service,
    Endpoints,
    EndpointSlice,
    Ingress,
}

impl KubernetesRole {
    pub fn parse(name: &str) -> Option<KubernetesRole> {
        Some(match name {
            "node" => KubernetesRole::Node,
            "pod" => KubernetesRole::Pod,
            "service" => KubernetesRole::Service,
            "endpoints" => KubernetesRole::Endpoints,
            "endpointslice" => KubernetesRole::EndpointSlice,
            "ingress" => KubernetesRole::Ingress,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KubernetesRole::Node => "node",
            KubernetesRole::Pod => "pod",
            KubernetesRole::Service => "service",
            KubernetesRole::Endpoints => "endpoints",
            KubernetesRole::EndpointSlice => "endpointslice",
            KubernetesRole::Ingress => "ingress",
        }
    }
}

#[derive(Debug, Clone)]
pub struct KubernetesSelector {
    pub role: KubernetesRole,
    pub label: Option<String>,
    pub field: Option<String>,
}

/// A relabel action, by its Prometheus name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelabelAction {
    Replace,
    Keep,
    Drop,
    KeepEqual,
    DropEqual,
    HashMod,
    LabelMap,
    LabelDrop,
    LabelKeep,
    Lowercase,
    Uppercase,
}

impl RelabelAction {
    /// Action names are case-insensitive in Prometheus.
    pub fn parse(name: &str) -> Option<RelabelAction> {
        Some(match name.to_ascii_lowercase().as_str() {
            "replace" => RelabelAction::Replace,
            "keep" => RelabelAction::Keep,
            "drop" => RelabelAction::Drop,
            "keepequal" => RelabelAction::KeepEqual,
            "dropequal" => RelabelAction::DropEqual,
            "hashmod" => RelabelAction::HashMod,
            "labelmap" => RelabelAction::LabelMap,
            "labeldrop" => RelabelAction::LabelDrop,
            "labelkeep" => RelabelAction::LabelKeep,
            "lowercase" => RelabelAction::Lowercase,
            "uppercase" => RelabelAction::Uppercase,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RelabelAction::Replace => "replace",
            RelabelAction::Keep => "keep",
            RelabelAction::Drop => "drop",
            RelabelAction::KeepEqual => "keepequal",
            RelabelAction::DropEqual => "dropequal",
            RelabelAction::HashMod => "hashmod",
            RelabelAction::LabelMap => "labelmap",
            RelabelAction::LabelDrop => "labeldrop",
            RelabelAction::LabelKeep => "labelkeep",
            RelabelAction::Lowercase => "lowercase",
            RelabelAction::Uppercase => "uppercase",
        }
    }
}

/// One relabel rule, with Prometheus's defaults applied and its regex compiled.
#[derive(Debug, Clone)]
pub struct RelabelRule {
    pub source_labels: Vec<String>,
    pub separator: String,
    pub regex: PromRegex,
    pub modulus: u64,
    pub target_label: String,
    pub replacement: String,
    pub action: RelabelAction,
    /// Where the rule starts (its `- ` list item).
    pub location: Location,
}
