//! Reading the `*_sd_configs` and `static_configs` of a job or alertmanager block, with
//! Prometheus's validation for the kinds we resolve (static, file, Kubernetes). Other mechanisms
//! are recognised, so their keys are not unknown fields, and reported later as not resolved. Pure.

use std::time::Duration;

use crate::config::decode::{self, Ctx, Fields};
use crate::config::diagnostic::{Code, Diagnostic};
use crate::config::http_client;
use crate::config::model::{
    FileSd, KubernetesRole, KubernetesSd, KubernetesSelector, SdConfig, SdKind, StaticGroup,
};
use crate::config::yaml::Node;

/// Mechanisms Prometheus knows but we do not resolve offline: (field name, first release).
const OTHER_MECHANISMS: [(&str, u16, u16); 26] = [
    ("azure_sd_configs", 2, 0),
    ("consul_sd_configs", 2, 0),
    ("digitalocean_sd_configs", 2, 0),
    ("docker_sd_configs", 2, 0),
    ("dockerswarm_sd_configs", 2, 0),
    ("dns_sd_configs", 2, 0),
    ("ec2_sd_configs", 2, 0),
    ("eureka_sd_configs", 2, 0),
    ("gce_sd_configs", 2, 0),
    ("hetzner_sd_configs", 2, 0),
    ("http_sd_configs", 2, 0),
    ("ionos_sd_configs", 2, 43),
    ("kuma_sd_configs", 2, 0),
    ("lightsail_sd_configs", 2, 0),
    ("linode_sd_configs", 2, 0),
    ("marathon_sd_configs", 2, 0),
    ("nerve_sd_configs", 2, 0),
    ("nomad_sd_configs", 2, 0),
    ("openstack_sd_configs", 2, 0),
    ("ovhcloud_sd_configs", 2, 40),
    ("puppetdb_sd_configs", 2, 0),
    ("scaleway_sd_configs", 2, 0),
    ("serverset_sd_configs", 2, 0),
    ("triton_sd_configs", 2, 0),
    ("uyuni_sd_configs", 2, 0),
    ("vultr_sd_configs", 2, 43),
];

/// Reads every discovery field of `fields`, in Prometheus's field order.
pub fn read_all(ctx: &mut Ctx, fields: &mut Fields) -> Vec<SdConfig> {
    let mut configs = Vec::new();
    if let Some(node) = fields.get(ctx, "static_configs") {
        for item in decode::sequence(ctx, node) {
            if let Some(group) = static_group(ctx, item) {
                configs.push(SdConfig {
                    location: item.location.clone(),
                    kind: SdKind::Static(group),
                });
            }
        }
    }
    if let Some(node) = fields.get(ctx, "file_sd_configs") {
        for item in non_null_items(ctx, node, "file_sd_configs") {
            if let Some(file) = file_sd(ctx, item) {
                configs.push(SdConfig {
                    location: item.location.clone(),
                    kind: SdKind::File(file),
                });
            }
        }
    }
    if let Some(node) = fields.get(ctx, "kubernetes_sd_configs") {
        for item in non_null_items(ctx, node, "kubernetes_sd_configs") {
            if let Some(sd) = kubernetes_sd(ctx, item) {
                configs.push(SdConfig {
                    location: item.location.clone(),
                    kind: SdKind::Kubernetes(Box::new(sd)),
                });
            }
        }
    }
    for (name, major, minor) in OTHER_MECHANISMS {
        if let Some(node) = fields.get_since(ctx, name, major, minor) {
            for item in non_null_items(ctx, node, name) {
                let mechanism = name.trim_end_matches("_sd_configs").to_string();
                configs.push(SdConfig {
                    location: item.location.clone(),
                    kind: SdKind::Other { mechanism },
                });
            }
        }
    }
    configs
}

fn non_null_items<'n>(ctx: &mut Ctx, node: &'n Node, name: &str) -> Vec<&'n Node> {
    let mut items = Vec::new();
    for item in decode::sequence(ctx, node) {
        if item.is_null() {
            let message = format!("empty or null section in {name}");
            ctx.report(Diagnostic::new(
                Code::InvalidValue,
                Some(item.location.clone()),
                message,
            ));
        } else {
            items.push(item);
        }
    }
    items
}

fn static_group(ctx: &mut Ctx, node: &Node) -> Option<StaticGroup> {
    let mut f = Fields::of(ctx, node, "targetgroup.Group")?;
    let mut group = StaticGroup::default();
    if let Some(targets) = f.get(ctx, "targets") {
        for item in decode::sequence(ctx, targets) {
            if let Some(target) = decode::string(ctx, item) {
                group.targets.push((target, item.location.clone()));
            }
        }
    }
    if let Some(labels) = f.get(ctx, "labels") {
        group.labels = decode::label_map(ctx, labels);
    }
    f.finish(ctx);
    Some(group)
}

fn file_sd(ctx: &mut Ctx, node: &Node) -> Option<FileSd> {
    let mut f = Fields::of(ctx, node, "file.SDConfig")?;
    let mut files = Vec::new();
    if let Some(list) = f.get(ctx, "files") {
        for item in decode::sequence(ctx, list) {
            let Some(file) = http_client::file_ref(ctx, item) else {
                continue;
            };
            if !is_valid_file_pattern(&file.written) {
                ctx.invalid(
                    item,
                    format!(
                        "path name {:?} is not valid for file discovery",
                        file.written
                    ),
                );
                continue;
            }
            files.push(file);
        }
    }
    let refresh_interval = f
        .get(ctx, "refresh_interval")
        .and_then(|n| decode::duration(ctx, n));
    f.finish(ctx);
    if files.is_empty() {
        ctx.invalid(
            node,
            "file service discovery config must contain at least one path name",
        );
        return None;
    }
    Some(FileSd {
        files,
        refresh_interval: refresh_interval.unwrap_or(Duration::from_secs(300)),
    })
}

/// `^[^*]*(\*[^/]*)?$`: at most one `*`, and only in the last path element.
fn is_valid_file_pattern(pattern: &str) -> bool {
    match pattern.split_once('*') {
        None => true,
        Some((_, after)) => !after.contains('*') && !after.contains('/'),
    }
}

fn kubernetes_sd(ctx: &mut Ctx, node: &Node) -> Option<KubernetesSd> {
    let mut f = Fields::of(ctx, node, "kubernetes.plain")?;
    let role_node = f.get(ctx, "role");
    let api_server_node = f.get(ctx, "api_server");
    let api_server = api_server_node.and_then(|n| decode::string(ctx, n));
    if let (Some(node), Some(url)) = (api_server_node, &api_server) {
        check_api_server_host(ctx, node, url);
    }
    let kubeconfig_file = f
        .get(ctx, "kubeconfig_file")
        .and_then(|n| http_client::file_ref(ctx, n));
    let (namespaces, own_namespace) = f
        .get(ctx, "namespaces")
        .map(|n| namespaces(ctx, n))
        .unwrap_or_default();
    let selectors_node = f.get(ctx, "selectors");
    let attach_node_metadata = f
        .get(ctx, "attach_metadata")
        .map(|n| attach_metadata(ctx, n))
        .unwrap_or(false);
    let http = http_client::read_inline(ctx, &mut f);
    f.finish(ctx);

    let at = node.location.clone();
    let role = match role_node.and_then(|n| decode::string(ctx, n)) {
        None => {
            return invalid(
                ctx,
                node,
                "role missing (one of: pod, service, endpoints, endpointslice, node, ingress)",
            )
        }
        Some(name) => match KubernetesRole::parse(&name) {
            Some(role) => role,
            None => return invalid(ctx, node, &format!("unknown Kubernetes SD role {name:?}")),
        },
    };
    let selectors = selectors_node
        .map(|n| selectors(ctx, n, role))
        .unwrap_or_default();
    if kubeconfig_file.is_some() && api_server.is_some() {
        return invalid(
            ctx,
            node,
            "cannot use 'kubeconfig_file' and 'api_server' simultaneously",
        );
    }
    if kubeconfig_file.is_some() && http.any_field_set {
        return invalid(
            ctx,
            node,
            "cannot use a custom HTTP client configuration together with 'kubeconfig_file'",
        );
    }
    if api_server.is_none() && kubeconfig_file.is_none() && http.any_field_set {
        return invalid(ctx, node, "to use custom HTTP client configuration please provide the 'api_server' URL explicitly");
    }
    if (api_server.is_some() || kubeconfig_file.is_some()) && own_namespace {
        return invalid(
            ctx,
            node,
            "cannot use 'api_server' and 'namespaces.own_namespace' simultaneously",
        );
    }
    http_client::validate(ctx, &http, &at);
    Some(KubernetesSd {
        role,
        api_server,
        kubeconfig_file,
        namespaces,
        own_namespace,
        selectors,
        attach_node_metadata,
        http,
    })
}

/// `https://:6443` parses and Prometheus accepts it, but with no host the client dials the
/// Prometheus machine itself.
fn check_api_server_host(ctx: &mut Ctx, node: &Node, url: &str) {
    match url::Url::parse(url) {
        Ok(parsed) if parsed.host_str().is_some_and(|h| !h.is_empty()) => {}
        Ok(_) | Err(url::ParseError::EmptyHost) => {
            let message =
                format!("api_server {url:?} has no host: discovery would connect to this machine");
            let help = "write the API server's address, for example `https://203.0.113.10:6443`";
            ctx.report(
                Diagnostic::new(
                    Code::ApiServerWithoutHost,
                    Some(node.location.clone()),
                    message,
                )
                .with_help(help)
                .tolerated(),
            );
        }
        Err(error) => ctx.invalid(node, format!("parse {url:?}: {error}")),
    }
}

fn invalid<T>(ctx: &mut Ctx, node: &Node, message: &str) -> Option<T> {
    ctx.invalid(node, message);
    None
}

fn namespaces(ctx: &mut Ctx, node: &Node) -> (Vec<String>, bool) {
    let Some(mut f) = Fields::of(ctx, node, "kubernetes.NamespaceDiscovery") else {
        return (Vec::new(), false);
    };
    let own = f
        .get(ctx, "own_namespace")
        .and_then(|n| decode::boolean(ctx, n))
        .unwrap_or(false);
    let names = f
        .get(ctx, "names")
        .map(|n| decode::string_list(ctx, n))
        .unwrap_or_default();
    f.finish(ctx);
    (names, own)
}

fn attach_metadata(ctx: &mut Ctx, node: &Node) -> bool {
    let Some(mut f) = Fields::of(ctx, node, "kubernetes.AttachMetadataConfig") else {
        return false;
    };
    let attach_node = f
        .get(ctx, "node")
        .and_then(|n| decode::boolean(ctx, n))
        .unwrap_or(false);
    f.get_since(ctx, "namespace", 3, 6);
    for later in ["deployment", "job", "cronjob"] {
        f.get_since(ctx, later, 3, 11);
    }
    f.finish(ctx);
    attach_node
}

fn selectors(ctx: &mut Ctx, node: &Node, role: KubernetesRole) -> Vec<KubernetesSelector> {
    let mut selectors: Vec<KubernetesSelector> = Vec::new();
    for item in decode::sequence(ctx, node) {
        let Some(mut f) = Fields::of(ctx, item, "kubernetes.SelectorConfig") else {
            continue;
        };
        let role_name = f
            .get(ctx, "role")
            .and_then(|n| decode::string(ctx, n))
            .unwrap_or_default();
        let label = f.get(ctx, "label").and_then(|n| decode::string(ctx, n));
        let field = f.get(ctx, "field").and_then(|n| decode::string(ctx, n));
        f.finish(ctx);
        let Some(selector_role) = KubernetesRole::parse(&role_name) else {
            ctx.invalid(item, format!("unknown Kubernetes SD role {role_name:?}"));
            continue;
        };
        if selectors.iter().any(|s| s.role == selector_role) {
            ctx.invalid(item, format!("duplicated selector role: {role_name}"));
            continue;
        }
        let allowed = allowed_selector_roles(role, ctx.version);
        if !allowed.contains(&selector_role) {
            let names: Vec<&str> = allowed.iter().map(|r| r.as_str()).collect();
            ctx.invalid(
                item,
                format!(
                    "{} role supports only {} selectors",
                    role.as_str(),
                    names.join(", ")
                ),
            );
            continue;
        }
        selectors.push(KubernetesSelector {
            role: selector_role,
            label,
            field,
        });
    }
    selectors
}

fn allowed_selector_roles(
    role: KubernetesRole,
    version: crate::version::PrometheusVersion,
) -> Vec<KubernetesRole> {
    use KubernetesRole::*;
    match role {
        Endpoints => vec![Pod, Service, Endpoints],
        EndpointSlice => vec![Pod, Service, EndpointSlice],
        Pod if version.at_least(3, 11) => vec![Pod, Node],
        other => vec![other],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_patterns_allow_one_star_in_the_last_element() {
        assert!(is_valid_file_pattern("targets/*.json"));
        assert!(is_valid_file_pattern("targets.json"));
        assert!(!is_valid_file_pattern("*/targets.json"));
        assert!(!is_valid_file_pattern("a*b*.json"));
    }
}
