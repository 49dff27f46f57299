//! What the `endpoints` and `endpointslice` roles share: merging the labels of the pod behind an
//! address, the container port an endpoint port lands on, and the extra targets for the pod's
//! container ports no endpoint port covers. Pure.

use crate::labels::{reserved, Labels};

use super::meta;
use super::objects::Pod;
use super::pod::{all_containers, container_port_labels, pod_labels};
use super::semantics::Semantics;

/// Where the container-port protocol label comes from.
#[derive(Debug, Clone, Copy)]
pub enum ProtocolFrom<'a> {
    /// `endpoints`: the endpoint port's protocol.
    EndpointPort(&'a str),
    /// `endpointslice`: the container port's own protocol.
    ContainerPort,
}

/// Pods seen behind addresses, in the order first seen, with the ports that covered them.
#[derive(Debug, Default)]
pub struct SeenPods<'a> {
    pods: Vec<(&'a Pod, Vec<i64>)>,
}

impl<'a> SeenPods<'a> {
    /// Merges the pod's labels into `target` (the pod wins), adds the matching container's port
    /// labels, and remembers that `port` covers the pod.
    pub fn attach(
        &mut self,
        target: Labels,
        pod: &'a Pod,
        port: Option<i64>,
        protocol: ProtocolFrom,
        semantics: Semantics,
    ) -> Labels {
        let index = match self.pods.iter().position(|(p, _)| std::ptr::eq(*p, pod)) {
            Some(index) => index,
            None => {
                self.pods.push((pod, Vec::new()));
                self.pods.len() - 1
            }
        };
        let mut target = meta::merge(target, pod_labels(pod));
        if let Some(port) = port {
            // Prometheus breaks out of the port loop only, so the last container with a
            // matching port wins.
            for (container, is_init) in all_containers(pod) {
                if is_init && !semantics.endpoints_see_init_containers() {
                    continue;
                }
                let Some(cport) = container.ports.iter().find(|c| c.container_port == port) else {
                    continue;
                };
                let protocol = match protocol {
                    ProtocolFrom::EndpointPort(p) => p,
                    ProtocolFrom::ContainerPort => cport.protocol.as_str(),
                };
                target.extend(container_port_labels(container, cport, port, protocol));
                if semantics.endpoints_see_init_containers() {
                    meta::set(&mut target, "pod_container_init", is_init.to_string());
                }
            }
            self.pods[index].1.push(port);
        }
        target
    }

    /// One target per container port of a seen pod that no endpoint port covered.
    pub fn extra_targets(&self, semantics: Semantics) -> Vec<Labels> {
        let mut targets = Vec::new();
        for (pod, covered) in &self.pods {
            let ip = &pod.status.pod_ip;
            if ip.is_empty() && semantics.skips_extra_targets_without_pod_ip() {
                continue;
            }
            for (container, is_init) in all_containers(pod) {
                if is_init && !semantics.endpoints_see_init_containers() {
                    continue;
                }
                for cport in &container.ports {
                    if covered.contains(&cport.container_port) {
                        continue;
                    }
                    let mut target = container_port_labels(
                        container,
                        cport,
                        cport.container_port,
                        &cport.protocol,
                    );
                    target.insert(
                        reserved::ADDRESS.to_string(),
                        meta::join_host_port(ip, cport.container_port),
                    );
                    if semantics.endpoints_see_init_containers() {
                        meta::set(&mut target, "pod_container_init", is_init.to_string());
                    }
                    targets.push(meta::merge(target, pod_labels(pod)));
                }
            }
        }
        targets
    }
}
