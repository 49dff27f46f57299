//! `prom-preflight demo`: the seed setup (two k3s-shaped clusters, `stage` and `product`, one
//! Prometheus outside them reaching kubelets and the API server proxy with a service-account
//! token) started in-process by kubesim on loopback addresses and ephemeral ports, so that a
//! newcomer sees a real diagnosis before pointing the tool at a real cluster. The scenario is
//! compiled into the binary.

use std::path::PathBuf;

use kubesim::{Scenario, StageError, Staged};

const SCENARIO: &str = include_str!("../fixtures/scenarios/seed.yaml");
const PROMETHEUS_TEMPLATE: &str = include_str!("../fixtures/scenarios/seed.prometheus.yml.tmpl");

/// Simulated clusters and the files a Prometheus needs to reach them; stopped when dropped.
pub struct Demo {
    staged: Staged,
    /// The rendered prometheus.yml.
    pub config: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("failed to read the built-in scenario: {0}")]
    Scenario(String),
    #[error(transparent)]
    Start(#[from] StageError),
}

impl Demo {
    pub fn start() -> Result<Demo, DemoError> {
        let mut scenario =
            Scenario::from_yaml(SCENARIO).map_err(|e| DemoError::Scenario(e.to_string()))?;
        for template in &mut scenario.prometheus_configs {
            template
                .text
                .get_or_insert_with(|| PROMETHEUS_TEMPLATE.to_string());
        }
        let staged = Staged::start(scenario)?;
        let config =
            staged.ready.configs.first().cloned().ok_or_else(|| {
                DemoError::Scenario("the scenario renders no prometheus.yml".into())
            })?;
        Ok(Demo { staged, config })
    }

    /// Describes what is running, for the report's header.
    pub fn describe(&self) -> String {
        let clusters: Vec<String> = self
            .staged
            .sim
            .clusters
            .iter()
            .map(|c| format!("{} at {}", c.name, c.api_server()))
            .collect();
        format!("Simulated clusters: {}.", clusters.join(", "))
    }
}
