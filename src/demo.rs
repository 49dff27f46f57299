//! `prom-preflight demo`: the seed setup (two k3s-shaped clusters, `stage` and `product`, one
//! Prometheus outside them reaching kubelets and the API server proxy with a service-account
//! token) started in-process by kubesim on loopback addresses and ephemeral ports, so that a
//! newcomer sees a real diagnosis before pointing the tool at a real cluster. The scenario is
//! compiled into the binary.

use std::path::PathBuf;

use kubesim::{Options, RunningSim, Scenario, Sim};

const SCENARIO: &str = include_str!("../fixtures/scenarios/seed.yaml");
const PROMETHEUS_TEMPLATE: &str = include_str!("../fixtures/scenarios/seed.prometheus.yml.tmpl");

/// Simulated clusters and the files a Prometheus needs to reach them; stopped when dropped.
pub struct Demo {
    sim: Option<RunningSim>,
    /// The rendered prometheus.yml.
    pub config: PathBuf,
    // Holds the CA, token and config files until the demo ends.
    _dir: tempfile::TempDir,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("failed to read the built-in scenario: {0}")]
    Scenario(String),
    #[error("failed to start the simulated clusters: {0}")]
    Start(String),
    #[error("failed to write the simulated clusters' files")]
    Files(#[source] std::io::Error),
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
        let options = Options {
            ephemeral_ports: true,
            log_requests: false,
        };
        let sim = Sim::start(scenario, options).map_err(|e| DemoError::Start(e.to_string()))?;
        let dir = tempfile::Builder::new()
            .prefix("prom-preflight-demo")
            .tempdir()
            .map_err(DemoError::Files)?;
        let ready = kubesim::output::write_files(&sim, dir.path()).map_err(DemoError::Files)?;
        let config =
            ready.configs.first().cloned().ok_or_else(|| {
                DemoError::Scenario("the scenario renders no prometheus.yml".into())
            })?;
        Ok(Demo {
            sim: Some(sim),
            config,
            _dir: dir,
        })
    }

    /// Describes what is running, for the report's header.
    pub fn describe(&self) -> String {
        let Some(sim) = &self.sim else {
            return String::new();
        };
        let clusters: Vec<String> = sim
            .clusters
            .iter()
            .map(|c| format!("{} at {}", c.name, c.api_server()))
            .collect();
        format!("Simulated clusters: {}.", clusters.join(", "))
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Some(sim) = self.sim.take() {
            sim.stop();
        }
    }
}
