//! Role `endpointslice`: one target per endpoint, port and address of every slice, with the
//! labels of the slice's service (`kubernetes.io/service-name`) and of the pod behind each
//! endpoint, plus extra targets for uncovered pod ports. Pure.

use crate::discover::TargetGroup;
use crate::labels::{reserved, Labels};

use super::backends::{ProtocolFrom, SeenPods};
use super::endpoints::{node_labels, resolve_pod};
use super::meta;
use super::objects::{EndpointSlice, SliceEndpoint, SlicePort};
use super::semantics::Semantics;
use super::service::service_labels;
use super::store::Store;

const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";

fn group_labels(slice: &EndpointSlice, store: &Store, semantics: Semantics) -> Labels {
    let m = &slice.metadata;
    let mut labels = Labels::new();
    meta::set(&mut labels, "namespace", m.namespace.clone());
    meta::set(
        &mut labels,
        "endpointslice_address_type",
        slice.address_type.clone(),
    );
    if semantics.object_meta_everywhere() {
        meta::add_object_meta(&mut labels, "endpointslice", m);
    } else {
        meta::set(&mut labels, "endpointslice_name", m.name.clone());
    }
    let service = m
        .labels
        .get(SERVICE_NAME_LABEL)
        .and_then(|name| store.service(&m.namespace, name));
    if let Some(service) = service {
        labels.extend(service_labels(service));
    }
    labels
}

fn endpoint_labels(
    addr: &str,
    ep: &SliceEndpoint,
    port: &SlicePort,
    semantics: Semantics,
) -> Labels {
    let mut target = Labels::new();
    let address = match port.port {
        Some(number) => meta::join_host_port(addr, number),
        None => addr.to_string(),
    };
    target.insert(reserved::ADDRESS.to_string(), address);
    let optional = [
        ("endpointslice_port_name", port.name.clone()),
        ("endpointslice_port_protocol", port.protocol.clone()),
        ("endpointslice_port", port.port.map(|p| p.to_string())),
        ("endpointslice_port_app_protocol", port.app_protocol.clone()),
        (
            "endpointslice_endpoint_conditions_ready",
            ep.conditions.ready.map(|b| b.to_string()),
        ),
        (
            "endpointslice_endpoint_conditions_serving",
            ep.conditions.serving.map(|b| b.to_string()),
        ),
        (
            "endpointslice_endpoint_conditions_terminating",
            ep.conditions.terminating.map(|b| b.to_string()),
        ),
        ("endpointslice_endpoint_hostname", ep.hostname.clone()),
    ];
    for (suffix, value) in optional {
        if let Some(value) = value {
            meta::set(&mut target, suffix, value);
        }
    }
    if let Some(t) = &ep.target_ref {
        meta::set(
            &mut target,
            "endpointslice_address_target_kind",
            t.kind.clone(),
        );
        meta::set(
            &mut target,
            "endpointslice_address_target_name",
            t.name.clone(),
        );
    }
    if semantics.slice_node_name_and_zone() {
        if let Some(node) = &ep.node_name {
            meta::set(
                &mut target,
                "endpointslice_endpoint_node_name",
                node.clone(),
            );
        }
        if let Some(zone) = &ep.zone {
            meta::set(&mut target, "endpointslice_endpoint_zone", zone.clone());
        }
    }
    for (key, value) in &ep.deprecated_topology {
        let key = meta::sanitize(key);
        meta::set(
            &mut target,
            &format!("endpointslice_endpoint_topology_{key}"),
            value.clone(),
        );
        meta::set(
            &mut target,
            &format!("endpointslice_endpoint_topology_present_{key}"),
            meta::PRESENT,
        );
    }
    target
}

pub fn build(slice: &EndpointSlice, store: &Store, semantics: Semantics) -> TargetGroup {
    let m = &slice.metadata;
    let mut targets = Vec::new();
    let mut seen = SeenPods::default();
    for ep in &slice.endpoints {
        for port in &slice.ports {
            for addr in &ep.addresses {
                let mut target = endpoint_labels(addr, ep, port, semantics);
                let node = node_labels(
                    store,
                    ep.node_name.as_deref(),
                    ep.target_ref.as_ref(),
                    semantics,
                    true,
                );
                if let Some(node) = node {
                    target = meta::merge(target, node);
                }
                match resolve_pod(store, ep.target_ref.as_ref()) {
                    None => targets.push(target),
                    Some(pod) => targets.push(seen.attach(
                        target,
                        pod,
                        port.port,
                        ProtocolFrom::ContainerPort,
                        semantics,
                    )),
                }
            }
        }
    }
    targets.extend(seen.extra_targets(semantics));
    TargetGroup {
        source: format!("endpointslice/{}/{}", m.namespace, m.name),
        targets,
        labels: group_labels(slice, store, semantics),
    }
}
