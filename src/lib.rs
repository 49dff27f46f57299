//! prom-preflight: a preflight checker for Prometheus scrape configurations.
//!
//! The pipeline runs top to bottom, and no module reaches back up it:
//! `config` → `discover` → `relabel` → `targets` → `check` → `report`.

pub mod source;
pub mod labels;
pub mod version;

pub mod config;
pub mod relabel;
pub mod targets;
pub mod check;
