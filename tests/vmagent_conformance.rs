//! Kubernetes discovery conformance against vmagent (the only packaged implementation of
//! `kubernetes_sd_configs`), on the seed scenario served by kubesim: for every role, with and
//! without namespaces and selectors, the discovered labels of every target, its final labels and
//! its scrape URL must equal vmagent's, apart from the documented differences in [`DIFFERENCES`].
//!
//! The comparison is per job, as multisets of targets (order is not part of either contract).

#[path = "kubernetes/common.rs"]
mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{resolve, start, write_config, Started};
use prom_preflight::targets::TargetState;
use prom_preflight::version::PrometheusVersion;
use serde_json::Value;
use testkit::{oracle, wait_for, Running};

/// Jobs: name, role, extra SD settings (namespaces, selectors, attach_metadata).
const JOBS: &[(&str, &str, &str)] = &[
    ("node", "node", ""),
    (
        "node-field-selector",
        "node",
        "selectors: [{role: node, field: metadata.name=stage-server-2}]",
    ),
    ("pod", "pod", ""),
    (
        "pod-namespaced",
        "pod",
        "namespaces: {names: [kube-system]}",
    ),
    (
        "pod-label-selector",
        "pod",
        "selectors: [{role: pod, label: 'app.kubernetes.io/name in (traefik,kube-state-metrics)'}]",
    ),
    ("service", "service", ""),
    (
        "service-namespaced",
        "service",
        "namespaces: {names: [monitoring, default]}",
    ),
    ("endpoints", "endpoints", ""),
    (
        "endpoints-namespaced",
        "endpoints",
        "namespaces: {names: [kube-system]}",
    ),
    (
        "endpoints-service-selector",
        "endpoints",
        "selectors: [{role: service, label: 'k8s-app=kube-dns'}]",
    ),
    ("endpointslice", "endpointslice", ""),
    (
        "endpointslice-namespaced",
        "endpointslice",
        "namespaces: {names: [monitoring]}",
    ),
    (
        "endpointslice-label-selector",
        "endpointslice",
        "selectors: [{role: endpointslice, label: 'kubernetes.io/service-name=kube-dns'}]",
    ),
    ("pod-attach-node", "pod", "attach_metadata: {node: true}"),
    ("ingress", "ingress", ""),
];

/// Which targets of a role a difference concerns.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Every,
    /// The extra targets endpoints roles make for container ports no endpoint port covers.
    UncoveredPorts,
}

/// Where vmagent 1.79.5 and Prometheus (3.x, which we follow) disagree, each checked in the
/// Prometheus sources. The labels named (a trailing `*` is a prefix) are removed from both
/// sides, for the roles and targets given, before comparing; so are the final labels the
/// `labelmap` of `__meta_kubernetes_(.+)_name` derives from them.
const DIFFERENCES: &[(&[&str], Scope, &[&str], &str)] = &[
    (
        &["pod", "endpoints", "endpointslice"],
        Scope::Every,
        &["__meta_kubernetes_pod_container_image", "__meta_kubernetes_pod_container_id"],
        "vmagent 1.79.5 does not emit the container image and id labels Prometheus has (pod.go podContainerImageLabel, podContainerIDLabel)",
    ),
    (
        &["endpoints", "endpointslice"],
        Scope::Every,
        &["__meta_kubernetes_pod_container_init"],
        "Prometheus 3.0 (#14389, sidecar containers) adds pod_container_init to endpoints roles; vmagent 1.79.5 has it for role pod only",
    ),
    (
        &["endpoints", "endpointslice"],
        Scope::Every,
        &["__meta_kubernetes_service_type", "__meta_kubernetes_service_cluster_ip"],
        "vmagent adds the service's type and cluster IP to endpoints groups; Prometheus's serviceLabels() adds only namespace, name, labels and annotations",
    ),
    (
        &["endpoints"],
        Scope::Every,
        &["__meta_kubernetes_pod_container_port_protocol"],
        "for endpoints Prometheus takes the protocol of the endpoint port (endpoints.go: lv(string(port.Protocol))), vmagent that of the container port; they differ for coredns' UDP and TCP ports 53",
    ),
    (
        &["service"],
        Scope::Every,
        &["__meta_kubernetes_service_port_number"],
        "vmagent 1.79.5 does not emit service_port_number (service.go servicePortNumberLabel)",
    ),
    (
        &["endpointslice"],
        Scope::Every,
        &[
            "__meta_kubernetes_endpointslice_endpoint_node_name",
            "__meta_kubernetes_endpointslice_endpoint_conditions_serving",
            "__meta_kubernetes_endpointslice_endpoint_conditions_terminating",
        ],
        "vmagent 1.79.5 emits only the ready condition and no node name; Prometheus emits serving/terminating when set and node_name from 2.52",
    ),
    (
        &["endpoints"],
        Scope::UncoveredPorts,
        &["__meta_kubernetes_endpoints_*"],
        "vmagent builds the uncovered-port targets without the Endpoints object's labels; in Prometheus they are targets of the endpoints group and carry its labels",
    ),
    (
        &["endpointslice"],
        Scope::UncoveredPorts,
        &["__meta_kubernetes_endpointslice_*"],
        "likewise for EndpointSlices: vmagent drops the slice's name, address type and labels from uncovered-port targets",
    ),
];

/// Whether a discovered label set is an uncovered-port target of an endpoints role.
fn uncovered_port_target(role: &str, discovered: &Canon) -> bool {
    match role {
        "endpoints" => !discovered.contains_key("__meta_kubernetes_endpoint_port_name"),
        "endpointslice" => !discovered.contains_key("__meta_kubernetes_endpointslice_port"),
        _ => false,
    }
}

/// Applies [`DIFFERENCES`] to one target of a job of `role`.
fn normalize(role: &str, mut seen: Seen) -> Seen {
    let uncovered = uncovered_port_target(role, &seen.discovered);
    for (roles, scope, names, _reason) in DIFFERENCES {
        if !roles.contains(&role) || (*scope == Scope::UncoveredPorts && !uncovered) {
            continue;
        }
        let matches = |label: &str| {
            names.iter().any(|n| match n.strip_suffix('*') {
                Some(prefix) => label.starts_with(prefix),
                None => label == *n,
            })
        };
        let removed: Vec<String> = seen
            .discovered
            .keys()
            .filter(|k| matches(k))
            .cloned()
            .collect();
        for name in removed {
            seen.discovered.remove(&name);
            if let Some(mapped) = name
                .strip_prefix("__meta_kubernetes_")
                .and_then(|n| n.strip_suffix("_name"))
            {
                seen.labels.remove(mapped);
            }
        }
    }
    seen
}

fn config(s: &Started) -> String {
    let c = &s.ready.clusters[0];
    let mut out =
        String::from("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n");
    for (name, role, extra) in JOBS {
        out.push_str(&format!(
            "  - job_name: {name}\n    kubernetes_sd_configs:\n      - role: {role}\n        api_server: {}\n        bearer_token_file: {}\n        tls_config: {{ca_file: {}, server_name: kubernetes}}\n",
            c.api_server,
            c.tokens["monitoring/prometheus"].display(),
            c.ca_file.display(),
        ));
        if !extra.is_empty() {
            out.push_str(&format!("        {extra}\n"));
        }
        // Targets are scraped by vmagent; never let it resolve in-cluster names, and keep what
        // discovery said in a label so the final labels still depend on discovery.
        out.push_str("    relabel_configs:\n      - {source_labels: [__address__], target_label: discovered_address}\n      - {target_label: __address__, replacement: '127.0.0.1:1'}\n      - {regex: __meta_kubernetes_(.+)_name, action: labelmap}\n");
    }
    out
}

/// vmagent's active targets once every job has some and the count is stable.
fn vmagent_targets(vm: &Running) -> Vec<Value> {
    let mut last = usize::MAX;
    let mut stable = 0;
    wait_for(Duration::from_secs(60), || {
        let active = vm.active_targets()?;
        let every_job = JOBS
            .iter()
            .all(|(j, _, _)| active.iter().any(|t| t["labels"]["job"] == *j));
        stable = if active.len() == last { stable + 1 } else { 0 };
        last = active.len();
        (every_job && stable >= 5).then_some(active)
    })
    .expect("vmagent discovered every job in time")
}

type Canon = BTreeMap<String, String>;

fn of_json(v: &Value) -> Canon {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// One target as both sides describe it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Seen {
    discovered: Canon,
    labels: Canon,
    url: String,
}

/// Label-level differences between two targets: `(what, ours, theirs)`.
fn differences(a: &Seen, b: &Seen) -> Vec<(String, Option<String>, Option<String>)> {
    let mut out = Vec::new();
    for (kind, x, y) in [
        ("discovered", &a.discovered, &b.discovered),
        ("labels", &a.labels, &b.labels),
    ] {
        let names: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
        for name in names {
            if x.get(name) != y.get(name) {
                out.push((
                    format!("{kind}.{name}"),
                    x.get(name).cloned(),
                    y.get(name).cloned(),
                ));
            }
        }
    }
    if a.url != b.url {
        out.push(("url".into(), Some(a.url.clone()), Some(b.url.clone())));
    }
    out
}

/// Pairs each of our targets with vmagent's closest one and lists what differs; unpaired targets
/// on either side are differences too.
fn compare(ours: &[Seen], theirs: &[Seen]) -> Vec<String> {
    let mut left: Vec<&Seen> = theirs.iter().collect();
    let mut out = Vec::new();
    for a in ours {
        let best = left
            .iter()
            .enumerate()
            .min_by_key(|(_, b)| differences(a, b).len())
            .map(|(i, b)| (i, differences(a, b)));
        match best {
            Some((i, diff)) if diff.len() < 10 => {
                left.remove(i);
                for (what, x, y) in diff {
                    out.push(format!(
                        "{} {what}: ours {x:?}, vmagent {y:?}",
                        a.discovered.get("__address__").map_or("", String::as_str)
                    ));
                }
            }
            _ => out.push(format!("only ours: {:?}", a.discovered)),
        }
    }
    for b in left {
        out.push(format!("only vmagent's: {:?}", b.discovered));
    }
    out
}

#[test]
fn discovery_matches_vmagent_for_every_role() {
    let s = start("seed");
    let path = write_config(&s, &config(&s));
    let Some(bin) = oracle("vmagent", "Kubernetes discovery conformance") else {
        return;
    };
    let vm = testkit::vmagent::start(&bin, &path, &[]);
    let theirs_raw = vmagent_targets(&vm);

    let mut theirs: BTreeMap<String, Vec<Seen>> = BTreeMap::new();
    for t in &theirs_raw {
        let job = t["labels"]["job"].as_str().unwrap_or_default().to_string();
        let mut discovered = of_json(&t["discoveredLabels"]);
        // vmagent keeps empty values; Prometheus (and we) drop them from discoveredLabels.
        discovered.retain(|_, v| !v.is_empty());
        theirs.entry(job).or_default().push(Seen {
            discovered,
            labels: of_json(&t["labels"]),
            url: t["scrapeUrl"].as_str().unwrap_or_default().to_string(),
        });
    }

    let (loaded, jobs) = resolve(&path, PrometheusVersion::DEFAULT);
    let mut ours: BTreeMap<String, Vec<Seen>> = BTreeMap::new();
    for job in &jobs {
        let name = loaded.config.scrape_configs[job.job_index].job_name.clone();
        for t in &job.targets {
            let TargetState::Active { labels, scrape_url } = &t.target.state else {
                continue;
            };
            let visible: Canon = labels
                .iter()
                .filter(|(k, _)| !k.starts_with("__"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            ours.entry(name.clone()).or_default().push(Seen {
                discovered: t.target.discovered.clone(),
                labels: visible,
                url: scrape_url.clone(),
            });
        }
    }

    let mut report = Vec::new();
    let (mut compared, mut mismatched) = (0, 0);
    for (name, role, _) in JOBS {
        let mut a: Vec<Seen> = ours
            .remove(*name)
            .unwrap_or_default()
            .into_iter()
            .map(|t| normalize(role, t))
            .collect();
        let mut b: Vec<Seen> = theirs
            .remove(*name)
            .unwrap_or_default()
            .into_iter()
            .map(|t| normalize(role, t))
            .collect();
        // Both sides merge identical targets (Prometheus by label hash, vmagent likewise).
        a.sort();
        a.dedup();
        b.sort();
        b.dedup();
        compared += a.len().max(b.len());
        let diff = compare(&a, &b);
        mismatched += diff
            .iter()
            .map(|d| d.split(' ').next().unwrap_or_default().to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        for d in diff {
            report.push(format!("job {name}: {d}"));
        }
    }
    eprintln!(
        "vmagent conformance: {} jobs over 6 roles, {compared} targets compared, {mismatched} with differences",
        JOBS.len()
    );
    assert!(report.is_empty(), "{}", report.join("\n"));
}
