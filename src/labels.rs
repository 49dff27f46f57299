//! Label sets, the currency between discovery, relabeling and target finalization.
//!
//! A `BTreeMap` keeps labels sorted by name, which is the order Prometheus uses when it hashes,
//! prints and compares label sets; it also makes every output deterministic. Pure.

use std::collections::BTreeMap;

/// A set of labels, sorted by name. An empty value is never stored: Prometheus treats a label set
/// to "" as absent.
pub type Labels = BTreeMap<String, String>;

/// Names of the labels that steer a scrape.
pub mod reserved {
    pub const ADDRESS: &str = "__address__";
    pub const METRICS_PATH: &str = "__metrics_path__";
    pub const SCHEME: &str = "__scheme__";
    pub const SCRAPE_INTERVAL: &str = "__scrape_interval__";
    pub const SCRAPE_TIMEOUT: &str = "__scrape_timeout__";
    pub const PARAM_PREFIX: &str = "__param_";
    pub const META_PREFIX: &str = "__meta_";
    pub const RESERVED_PREFIX: &str = "__";
    pub const JOB: &str = "job";
    pub const INSTANCE: &str = "instance";
}

/// Sets `name` to `value`, deleting it when `value` is empty, as Prometheus's label builder does.
pub fn set_or_delete(labels: &mut Labels, name: &str, value: &str) {
    if value.is_empty() {
        labels.remove(name);
    } else {
        labels.insert(name.to_string(), value.to_string());
    }
}

/// The labels a scraped series carries: everything not starting with `__`.
pub fn visible(labels: &Labels) -> impl Iterator<Item = (&String, &String)> {
    labels
        .iter()
        .filter(|(name, _)| !name.starts_with(reserved::RESERVED_PREFIX))
}
