//! Resolving `alerting.alertmanagers` entries: discovery through the same SD code as scrape jobs,
//! then Prometheus's `AlertmanagerFromGroup` and `alertmanagerSet.sync` (notifier package): the
//! configured `scheme` and `__alerts_path__` (`path_prefix` joined with `/api/<version>/alerts`)
//! are added to each discovered target, `relabel_configs` run, the address is checked, and active
//! alertmanagers are de-duplicated by URL. Unlike a scrape target, an alertmanager gets no default
//! port, no `instance` and no `__meta_*` cleanup: its URL is `scheme://address/path` as written.
//! Discovery may touch the network (Kubernetes SD through the connector); the rest is pure.

use std::collections::HashSet;

use crate::config::model::{AlertmanagerConfig, Config};
use crate::discover::kubernetes::Connector;
use crate::discover::{self, SdOutcome, SdResult};
use crate::labels::{reserved, Labels};
use crate::relabel::{self, RuleStep};
use crate::targets::url::go_url;
use crate::version::PrometheusVersion;

/// The label holding the path alerts are posted to.
pub const ALERTS_PATH: &str = "__alerts_path__";

/// One `alerting.alertmanagers` entry after discovery and relabeling.
#[derive(Debug, Clone)]
pub struct AlertmanagerTargets {
    /// Index into `config.alertmanagers`.
    pub index: usize,
    pub discovery: Vec<SdResult>,
    /// Every discovered target, in discovery order.
    pub targets: Vec<AlertmanagerTarget>,
}

/// One discovered alertmanager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertmanagerTarget {
    pub sd_index: usize,
    pub group_source: String,
    /// The labels relabeling started from: discovery's labels plus `__scheme__` and
    /// `__alerts_path__`.
    pub discovered: Labels,
    pub state: AlertmanagerState,
    /// What each `relabel_configs` rule did; empty unless tracing was asked for.
    pub trace: Vec<RuleStep>,
    /// The `cluster` label, else the API server the target was discovered from.
    pub cluster: Option<String>,
}

/// What Prometheus does with a discovered alertmanager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertmanagerState {
    /// Alerts are sent to `url`. `duplicate` is set when an earlier target of the same entry has
    /// the same URL (Prometheus keeps one).
    Active {
        labels: Labels,
        url: String,
        duplicate: bool,
    },
    /// Dropped by the `relabel_configs` rule with this index; `url` is built from the labels
    /// before relabeling, as Prometheus lists it under `droppedAlertmanagers`.
    Dropped { rule: usize, url: String },
    /// The relabeled address is not a valid host (`"…" is not a valid hostname`). Prometheus
    /// then discards the target's whole group.
    Invalid { error: String },
    /// Discarded because another target of its group was invalid.
    GroupDiscarded { error: String },
}

impl AlertmanagerTarget {
    /// The URL alerts are posted to, when the target is active and not a duplicate.
    pub fn active_url(&self) -> Option<&str> {
        match &self.state {
            AlertmanagerState::Active {
                url,
                duplicate: false,
                ..
            } => Some(url),
            _ => None,
        }
    }
}

impl AlertmanagerTargets {
    /// What Prometheus's `/api/v1/alertmanagers` lists for this entry, as URLs.
    pub fn active_urls(&self) -> impl Iterator<Item = &str> {
        self.targets
            .iter()
            .filter_map(AlertmanagerTarget::active_url)
    }
    pub fn dropped_urls(&self) -> impl Iterator<Item = &str> {
        self.targets.iter().filter_map(|t| match &t.state {
            AlertmanagerState::Dropped { url, .. } => Some(url.as_str()),
            _ => None,
        })
    }
}

/// How findings and listings name an entry: `alertmanager[N]`, N counting from 0 in
/// `alerting.alertmanagers`.
pub fn display_name(index: usize) -> String {
    format!("alertmanager[{index}]")
}

/// The path alerts are posted to: Go's `path.Join("/", path_prefix, "/api/<v>/alerts")`.
pub fn alerts_path(path_prefix: &str, api_version: &str) -> String {
    go_path_clean(&format!("/{path_prefix}/api/{api_version}/alerts"))
}

/// The path of Alertmanager's status endpoint under `path_prefix`, which preflight probes.
pub fn status_path(path_prefix: &str) -> String {
    go_path_clean(&format!("/{path_prefix}/api/v2/status"))
}

/// Go's `path.Clean` for a rooted path: single slashes, no `.` elements, `..` resolved and
/// never above the root, no trailing slash.
fn go_path_clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Resolves every alertmanager entry; Kubernetes SD entries go through `connector` when given
/// and are reported as not resolved otherwise.
pub fn resolve_alertmanagers(
    config: &Config,
    version: PrometheusVersion,
    trace: bool,
    connector: Option<&dyn Connector>,
) -> Vec<AlertmanagerTargets> {
    config
        .alertmanagers
        .iter()
        .enumerate()
        .map(|(index, am)| {
            let discovery = match connector {
                Some(connector) => discover::discover(&am.service_discovery, version, connector),
                None => discover::discover_offline(&am.service_discovery),
            };
            resolve_discovered(index, am, discovery, version, trace)
        })
        .collect()
}

/// Relabels what discovery found for one entry (`AlertmanagerFromGroup` per group, then the
/// de-duplication of `sync`).
pub fn resolve_discovered(
    index: usize,
    am: &AlertmanagerConfig,
    discovery: Vec<SdResult>,
    version: PrometheusVersion,
    trace: bool,
) -> AlertmanagerTargets {
    let path = alerts_path(&am.path_prefix, &am.api_version);
    let mut targets = Vec::new();
    for sd in &discovery {
        let SdOutcome::Resolved { groups, .. } = &sd.outcome else {
            continue;
        };
        let sd_cluster = sd.kubernetes.as_ref().map(|k| k.cluster.clone());
        for group in groups {
            let first = targets.len();
            let mut invalid: Option<String> = None;
            for target_labels in &group.targets {
                let discovered =
                    discovered_labels(am, &path, &group.labels, target_labels, version);
                let outcome =
                    relabel::apply(&am.relabel_configs, discovered.clone(), version, trace);
                let state = match outcome.dropped_by {
                    Some(rule) => AlertmanagerState::Dropped {
                        rule,
                        url: url_of(&discovered),
                    },
                    None => {
                        let address = label(&outcome.labels, reserved::ADDRESS);
                        if address.contains('/') {
                            let error = format!(
                                "{} is not a valid hostname",
                                crate::go_quote::go_quote(address)
                            );
                            invalid = Some(error.clone());
                            AlertmanagerState::Invalid { error }
                        } else {
                            AlertmanagerState::Active {
                                url: url_of(&outcome.labels),
                                labels: outcome.labels.clone(),
                                duplicate: false,
                            }
                        }
                    }
                };
                let cluster = label_opt(&outcome.labels, "cluster")
                    .or_else(|| label_opt(&discovered, "cluster"))
                    .or_else(|| sd_cluster.clone());
                targets.push(AlertmanagerTarget {
                    sd_index: sd.sd_index,
                    group_source: group.source.clone(),
                    discovered,
                    state,
                    trace: outcome.trace,
                    cluster,
                });
                if invalid.is_some() {
                    break;
                }
            }
            // Prometheus returns the error for the whole group and keeps none of it; targets
            // after the invalid one are never looked at.
            if let Some(error) = invalid {
                for target in targets.iter_mut().skip(first) {
                    if !matches!(target.state, AlertmanagerState::Invalid { .. }) {
                        target.state = AlertmanagerState::GroupDiscarded {
                            error: error.clone(),
                        };
                    }
                }
            }
        }
    }
    let mut seen = HashSet::new();
    for target in &mut targets {
        if let AlertmanagerState::Active { url, duplicate, .. } = &mut target.state {
            *duplicate = !seen.insert(url.clone());
        }
    }
    AlertmanagerTargets {
        index,
        discovery,
        targets,
    }
}

fn label<'l>(labels: &'l Labels, name: &str) -> &'l str {
    labels.get(name).map_or("", String::as_str)
}

fn label_opt(labels: &Labels, name: &str) -> Option<String> {
    labels.get(name).filter(|v| !v.is_empty()).cloned()
}

fn url_of(labels: &Labels) -> String {
    go_url(
        label(labels, reserved::SCHEME),
        label(labels, reserved::ADDRESS),
        label(labels, ALERTS_PATH),
    )
}

/// The labels relabeling starts from. 2.45+ (`labels.Builder`): target labels, then the
/// configured scheme and path over them, then group labels the target lacks (which may replace
/// the configured scheme or path). Before 2.45 the label slice kept duplicates and the first one
/// won: target labels, then the configured scheme and path, then group labels. Empty values
/// count as absent.
fn discovered_labels(
    am: &AlertmanagerConfig,
    path: &str,
    group_labels: &Labels,
    target_labels: &Labels,
    version: PrometheusVersion,
) -> Labels {
    let mut labels = target_labels.clone();
    let configured = [(reserved::SCHEME, am.scheme.as_str()), (ALERTS_PATH, path)];
    let builder = version.at_least(2, 45);
    for (name, value) in configured {
        if builder || !labels.contains_key(name) {
            labels.insert(name.to_string(), value.to_string());
        }
    }
    for (name, value) in group_labels {
        if target_labels.contains_key(name) {
            continue;
        }
        if builder || !labels.contains_key(name) {
            labels.insert(name.clone(), value.clone());
        }
    }
    labels.retain(|_, value| !value.is_empty());
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_path_joins_like_go() {
        assert_eq!(alerts_path("/", "v2"), "/api/v2/alerts");
        assert_eq!(alerts_path("", "v2"), "/api/v2/alerts");
        assert_eq!(alerts_path("am", "v2"), "/am/api/v2/alerts");
        assert_eq!(alerts_path("/am/", "v1"), "/am/api/v1/alerts");
        assert_eq!(alerts_path("//a/./b/../c", "v2"), "/a/c/api/v2/alerts");
        assert_eq!(alerts_path("/../..", "v2"), "/api/v2/alerts");
        assert_eq!(status_path("/am"), "/am/api/v2/status");
    }
}
