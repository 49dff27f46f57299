//! The objects a role looks up while building targets: pods and services by namespace and name
//! (endpoints roles), nodes by name (`attach_metadata.node`). Pure.

use std::collections::HashMap;

use super::objects::{Node, Pod, Service};

#[derive(Debug, Default)]
pub struct Store {
    pods: HashMap<(String, String), Pod>,
    services: HashMap<(String, String), Service>,
    /// `Some` only with `attach_metadata.node`.
    nodes: Option<HashMap<String, Node>>,
}

impl Store {
    pub fn add_pods(&mut self, pods: Vec<Pod>) {
        for pod in pods {
            let key = (pod.metadata.namespace.clone(), pod.metadata.name.clone());
            self.pods.insert(key, pod);
        }
    }

    pub fn add_services(&mut self, services: Vec<Service>) {
        for service in services {
            let key = (
                service.metadata.namespace.clone(),
                service.metadata.name.clone(),
            );
            self.services.insert(key, service);
        }
    }

    pub fn set_nodes(&mut self, nodes: Vec<Node>) {
        self.nodes = Some(
            nodes
                .into_iter()
                .map(|n| (n.metadata.name.clone(), n))
                .collect(),
        );
    }

    pub fn pod(&self, namespace: &str, name: &str) -> Option<&Pod> {
        self.pods.get(&(namespace.to_string(), name.to_string()))
    }

    pub fn service(&self, namespace: &str, name: &str) -> Option<&Service> {
        self.services
            .get(&(namespace.to_string(), name.to_string()))
    }

    /// The node, when node metadata is attached and the node is known.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.as_ref()?.get(name)
    }

    /// A copy of the attached nodes, for another namespace's store.
    pub fn nodes_clone(&self) -> Option<Vec<Node>> {
        self.nodes.as_ref().map(|n| n.values().cloned().collect())
    }

    /// True when `attach_metadata.node` is in effect.
    pub fn attaches_nodes(&self) -> bool {
        self.nodes.is_some()
    }
}
