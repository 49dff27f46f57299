//! Target finalization: Prometheus's `PopulateLabels` (scrape/target.go) around the relabel
//! engine. Pure.
//!
//! Before relabeling, the job's defaults and `params` are added to the discovered labels; after
//! it, the address, default port and scrape interval/timeout are checked, `__meta_*` labels are
//! removed and `instance` defaults to the address.

use std::borrow::Cow;

use crate::config::model::ScrapeConfig;
use crate::labels::{reserved, set_or_delete, Labels};
use crate::version::PrometheusVersion;

use super::address::with_default_port;
use crate::config::duration::{format_duration, parse_duration};
use crate::go_quote::go_quote;

/// Why Prometheus refuses to create a target. The messages are Prometheus's own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("no address")]
    NoAddress,
    /// Carries the configured scheme, which is what Prometheus quotes.
    #[error("invalid scheme: {}", go_quote(.0))]
    InvalidScheme(String),
    #[error("{} is not a valid hostname", go_quote(.0))]
    InvalidHostname(String),
    #[error("error parsing scrape interval: {0}")]
    UnparsableInterval(String),
    #[error("scrape interval cannot be 0")]
    ZeroInterval,
    #[error("error parsing scrape timeout: {0}")]
    UnparsableTimeout(String),
    #[error("scrape timeout cannot be 0")]
    ZeroTimeout,
    #[error("scrape timeout cannot be greater than scrape interval ({} > {})", go_quote(.timeout), go_quote(.interval))]
    TimeoutAboveInterval { timeout: String, interval: String },
}

/// The labels relabeling starts from (Prometheus's discoveredLabels): target labels over group
/// labels, then the job's defaults where a label is absent or empty, then `params`.
pub(super) fn discovered_labels(
    job: &ScrapeConfig,
    group_labels: Cow<'_, Labels>,
    target_labels: Labels,
    version: PrometheusVersion,
) -> Labels {
    // Target labels win over group labels, and one set to "" still hides the group's value, as
    // in Prometheus. Group labels the caller gave up are taken, not copied.
    let mut labels = match group_labels {
        Cow::Owned(mut group) => {
            group.extend(target_labels);
            group
        }
        Cow::Borrowed(group) => {
            let mut labels = target_labels;
            for (name, value) in group {
                if !labels.contains_key(name) {
                    labels.insert(name.clone(), value.clone());
                }
            }
            labels
        }
    };
    labels.retain(|_, value| !value.is_empty());
    let defaults = [
        (reserved::JOB, job.job_name.clone()),
        (
            reserved::SCRAPE_INTERVAL,
            format_duration(job.scrape_interval),
        ),
        (
            reserved::SCRAPE_TIMEOUT,
            format_duration(job.scrape_timeout),
        ),
        (reserved::METRICS_PATH, job.metrics_path.clone()),
        (reserved::SCHEME, job.scheme.clone()),
    ];
    for (name, value) in defaults {
        if !labels.contains_key(name) {
            set_or_delete(&mut labels, name, &value);
        }
    }
    for (key, values) in &job.params {
        let Some(first) = values.first() else {
            continue;
        };
        let name = format!("{}{key}", reserved::PARAM_PREFIX);
        if version.params_overwrite_discovered() || !labels.contains_key(&name) {
            set_or_delete(&mut labels, &name, first);
        }
    }
    labels
}

/// Checks and completes relabeled labels into a target's final labels.
pub(super) fn finalize(
    job: &ScrapeConfig,
    mut labels: Labels,
    version: PrometheusVersion,
) -> Result<Labels, TargetError> {
    let label = |labels: &Labels, name: &str| labels.get(name).cloned().unwrap_or_default();
    let mut address = label(&labels, reserved::ADDRESS);
    if address.is_empty() {
        return Err(TargetError::NoAddress);
    }
    if version.adds_default_port() {
        let scheme = label(&labels, reserved::SCHEME);
        if let Some(with_port) = with_default_port(&address, &scheme, &job.scheme)? {
            address = with_port;
            labels.insert(reserved::ADDRESS.to_string(), address.clone());
        }
    }
    if address.contains('/') {
        return Err(TargetError::InvalidHostname(address));
    }
    check_interval_and_timeout(&labels, version)?;
    labels.retain(|name, _| !name.starts_with(reserved::META_PREFIX));
    if !labels.contains_key(reserved::INSTANCE) {
        labels.insert(reserved::INSTANCE.to_string(), address);
    }
    Ok(labels)
}

fn check_interval_and_timeout(
    labels: &Labels,
    version: PrometheusVersion,
) -> Result<(), TargetError> {
    let text = |name: &str| labels.get(name).map_or("", String::as_str);
    let (interval_text, timeout_text) = (
        text(reserved::SCRAPE_INTERVAL),
        text(reserved::SCRAPE_TIMEOUT),
    );
    let interval =
        parse_duration(interval_text, version).map_err(TargetError::UnparsableInterval)?;
    if interval.is_zero() {
        return Err(TargetError::ZeroInterval);
    }
    let timeout = parse_duration(timeout_text, version).map_err(TargetError::UnparsableTimeout)?;
    if timeout.is_zero() {
        return Err(TargetError::ZeroTimeout);
    }
    if timeout > interval {
        return Err(TargetError::TimeoutAboveInterval {
            timeout: timeout_text.to_string(),
            interval: interval_text.to_string(),
        });
    }
    Ok(())
}
