//! Role `endpoints`: one target per address and port of every subset (ready addresses, then
//! not-ready ones), with the labels of the service of the same name and of the pod behind each
//! address, plus extra targets for uncovered pod ports. Pure.

use crate::discover::TargetGroup;
use crate::labels::{reserved, Labels};

use super::backends::{ProtocolFrom, SeenPods};
use super::meta;
use super::objects::{EndpointAddress, EndpointPort, Endpoints, ObjectReference, Pod};
use super::semantics::Semantics;
use super::service::service_labels;
use super::store::Store;

fn group_labels(endpoints: &Endpoints, store: &Store, semantics: Semantics) -> Labels {
    let m = &endpoints.metadata;
    let mut labels = Labels::new();
    meta::set(&mut labels, "namespace", m.namespace.clone());
    if let Some(service) = store.service(&m.namespace, &m.name) {
        labels.extend(service_labels(service));
    }
    if semantics.object_meta_everywhere() {
        meta::add_object_meta(&mut labels, "endpoints", m);
    } else {
        meta::set(&mut labels, "endpoints_name", m.name.clone());
        meta::add_labels(&mut labels, "endpoints", &m.labels);
    }
    labels
}

/// The pod a target reference names, if it is a pod in the store.
pub fn resolve_pod<'s>(store: &'s Store, target: Option<&ObjectReference>) -> Option<&'s Pod> {
    let target = target.filter(|t| t.kind == "Pod")?;
    store.pod(&target.namespace, &target.name)
}

/// Labels `attach_metadata.node` adds for a node named by `node_name` or, from 2.45, by a Node
/// target reference.
pub fn node_labels(
    store: &Store,
    node_name: Option<&str>,
    target: Option<&ObjectReference>,
    semantics: Semantics,
    target_ref_first: bool,
) -> Option<Labels> {
    if !store.attaches_nodes() {
        return None;
    }
    let by_ref = target
        .filter(|t| t.kind == "Node" && semantics.node_metadata_from_node_target_ref())
        .map(|t| t.name.as_str());
    let name = if target_ref_first {
        by_ref.or(node_name)
    } else {
        node_name.or(by_ref)
    }?;
    store
        .node(name)
        .map(|node| super::node::attached_labels(node, semantics))
}

pub fn build(endpoints: &Endpoints, store: &Store, semantics: Semantics) -> TargetGroup {
    let m = &endpoints.metadata;
    let mut targets = Vec::new();
    let mut seen = SeenPods::default();
    let mut add = |addr: &EndpointAddress, port: &EndpointPort, ready: &str| {
        let mut target = meta::labels_of([
            ("endpoint_port_name", port.name.clone()),
            ("endpoint_port_protocol", port.protocol.clone()),
            ("endpoint_ready", ready.to_string()),
        ]);
        target.insert(
            reserved::ADDRESS.to_string(),
            meta::join_host_port(&addr.ip, port.port),
        );
        if let Some(t) = &addr.target_ref {
            meta::set(&mut target, "endpoint_address_target_kind", t.kind.clone());
            meta::set(&mut target, "endpoint_address_target_name", t.name.clone());
        }
        if let Some(node) = &addr.node_name {
            meta::set(&mut target, "endpoint_node_name", node.clone());
        }
        if !addr.hostname.is_empty() {
            meta::set(&mut target, "endpoint_hostname", addr.hostname.clone());
        }
        let node = node_labels(
            store,
            addr.node_name.as_deref(),
            addr.target_ref.as_ref(),
            semantics,
            false,
        );
        if let Some(node) = node {
            target = meta::merge(target, node);
        }
        match resolve_pod(store, addr.target_ref.as_ref()) {
            None => targets.push(target),
            Some(pod) => targets.push(seen.attach(
                target,
                pod,
                Some(port.port),
                ProtocolFrom::EndpointPort(&port.protocol),
                semantics,
            )),
        }
    };
    for subset in &endpoints.subsets {
        for port in &subset.ports {
            for addr in &subset.addresses {
                add(addr, port, "true");
            }
            for addr in &subset.not_ready_addresses {
                add(addr, port, "false");
            }
        }
    }
    targets.extend(seen.extra_targets(semantics));
    TargetGroup {
        source: format!("endpoints/{}/{}", m.namespace, m.name),
        targets,
        labels: group_labels(endpoints, store, semantics),
    }
}
