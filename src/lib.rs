//! prom-preflight: a preflight checker for Prometheus scrape configurations.
//!
//! The pipeline runs top to bottom, and no module reaches back up it:
//! `config` → `discover` → `relabel` → `targets` → `check` → `report`.
//! [`run`] wires the stages together for each subcommand; errors are typed in the stages and
//! rendered only in `main`.

pub mod source;
pub mod labels;
pub mod version;

pub mod config;
pub mod discover;
pub mod relabel;
pub mod targets;
pub mod check;
pub mod templates;
pub mod report;

pub mod cli;
pub mod exit;
mod commands;

pub use commands::{check_offline, run, Error};
