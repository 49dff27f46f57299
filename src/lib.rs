//! prom-preflight: a preflight checker for Prometheus scrape configurations.
//!
//! The pipeline runs top to bottom, and no module reaches back up it:
//! `config` → `discover` → `relabel` → `targets` → `check` → `report`.
//! [`run`] wires the stages together for each subcommand; errors are typed in the stages and
//! rendered only in `main`.
//!
//! The only `unsafe` code is in `exposition::runs`: calling SSE2 comparisons, which every x86-64
//! CPU has, for the payload analyzer's hottest searches. Everything else is safe code.

#![deny(unsafe_code)]

pub mod go_quote;
pub mod labels;
pub(crate) mod recent;
pub mod source;
pub mod version;

pub mod check;
pub mod config;
pub mod discover;
pub mod exposition;
pub mod probe;
pub mod relabel;
pub mod report;
pub mod targets;
pub mod templates;
pub mod transport;

pub mod cli;
mod commands;
pub mod demo;
pub mod exit;
mod payload_command;
mod rbac_command;

pub use commands::{
    check_live, check_offline, check_offline_mapped, run, run_checks, Error, Reach,
};
