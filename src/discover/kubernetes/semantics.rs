//! Where Kubernetes discovery differs between Prometheus releases. Every difference is one method,
//! named for the behaviour and documented with the release that introduced it (checked against
//! the Prometheus sources of each tag). Pure.

use crate::version::PrometheusVersion;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Semantics(pub PrometheusVersion);

impl Semantics {
    /// 2.46 (#11642 family, `addObjectMetaLabels`): endpoints get `_annotation_*` labels,
    /// endpointslices get their `_label_*`/`_annotation_*` labels, and attached node metadata
    /// includes node annotations.
    pub fn object_meta_everywhere(self) -> bool {
        self.0.at_least(2, 46)
    }

    /// 2.46 (#11642): endpoints/endpointslice skip the extra targets of a pod without an IP;
    /// before, they were emitted as `:port`.
    pub fn skips_extra_targets_without_pod_ip(self) -> bool {
        self.0.at_least(2, 46)
    }

    /// 2.45: with `attach_metadata.node`, an endpoint whose target is a Node gets that node's
    /// labels even without `nodeName`.
    pub fn node_metadata_from_node_target_ref(self) -> bool {
        self.0.at_least(2, 45)
    }

    /// 2.52: endpointslice targets carry `_endpoint_node_name` and `_endpoint_zone`.
    pub fn slice_node_name_and_zone(self) -> bool {
        self.0.at_least(2, 52)
    }

    /// 3.0: endpoints/endpointslice also match init (sidecar) containers and emit
    /// `__meta_kubernetes_pod_container_init`.
    pub fn endpoints_see_init_containers(self) -> bool {
        self.0.major >= 3
    }

    /// 3.12: nodes carry `node_condition_<type>` labels.
    pub fn node_conditions(self) -> bool {
        self.0.at_least(3, 12)
    }

    /// Up to 2.55, endpointslice and ingress discovery ask `GET /version` to choose between the
    /// `v1` and `v1beta1` APIs; 3.0 always uses `v1` (#14365).
    pub fn probes_server_version(self) -> bool {
        self.0.major < 3
    }
}
