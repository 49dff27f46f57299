//! Starting kubesim scenarios in process and resolving configs against them.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use prom_preflight::config::{self, Loaded};
use prom_preflight::discover::kubernetes::client::HttpConnector;
use prom_preflight::targets::{self, JobTargets, TargetState};
use prom_preflight::version::PrometheusVersion;

/// A running scenario and the files it wrote (CA, tokens, kubeconfigs, rendered configs).
pub type Started = kubesim::Staged;

/// Starts `fixtures/scenarios/<name>.yaml` on ephemeral ports.
pub fn start(name: &str) -> Started {
    kubesim::Staged::named(name).expect("scenario starts")
}

/// Writes a config next to the scenario's files.
pub fn write_config(s: &Started, text: &str) -> PathBuf {
    let path = s.dir.path().join("test-prometheus.yml");
    std::fs::write(&path, text).expect("config written");
    path
}

/// Loads `config` and resolves every job over the network.
pub fn resolve(config: &Path, version: PrometheusVersion) -> (Loaded, Vec<JobTargets>) {
    let loaded = config::load(config, version).expect("config loads");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let connector = HttpConnector::new(runtime.handle().clone(), Duration::from_secs(10));
    let jobs = targets::resolve(&loaded.config, version, false, Some(&connector));
    drop(connector);
    (loaded, jobs)
}

/// Sorted scrape URLs of active targets by (cluster, job).
pub fn targets_by_cluster_and_job(
    loaded: &Loaded,
    jobs: &[JobTargets],
) -> BTreeMap<(String, String), Vec<String>> {
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for job in jobs {
        let name = &loaded.config.scrape_configs[job.job_index].job_name;
        for t in &job.targets {
            if let TargetState::Active { scrape_url, .. } = &t.target.state {
                let cluster = t.cluster.clone().unwrap_or_default();
                out.entry((cluster, name.clone()))
                    .or_default()
                    .push(scrape_url.clone());
            }
        }
    }
    for urls in out.values_mut() {
        urls.sort();
    }
    out
}
