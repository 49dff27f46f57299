//! prom-preflight: a preflight checker for Prometheus scrape configurations.
//!
//! The pipeline runs top to bottom, and no module reaches back up it:
//! `config` → `discover` → `relabel` → `targets` → `check` → `report`.

pub mod labels;
pub mod source;
pub mod version;

pub mod check;
pub mod config;
pub mod discover;
pub mod relabel;
pub mod targets;
