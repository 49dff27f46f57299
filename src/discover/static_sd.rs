//! `static_configs`: each target becomes `{__address__: target}` under the group's labels. Pure.

use crate::config::model::StaticGroup;
use crate::discover::{SdOutcome, TargetGroup};
use crate::labels::{reserved, Labels};

/// All static groups of a job form one provider whose groups are sourced `"0"`, `"1"`, ...
pub fn discover(group: &StaticGroup, index: usize) -> SdOutcome {
    let targets = group
        .targets
        .iter()
        .map(|(address, _)| Labels::from([(reserved::ADDRESS.to_string(), address.clone())]))
        .collect();
    let labels = group
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let group = TargetGroup {
        source: index.to_string(),
        targets,
        labels,
    };
    SdOutcome::Resolved {
        groups: vec![group],
        problems: Vec::new(),
    }
}
