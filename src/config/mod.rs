//! Stage 1: read `prometheus.yml` (and its `scrape_config_files`) exactly as Prometheus would, into a
//! located, defaulted, validated [`Config`], plus every problem found on the way as a [`Diagnostic`].
//!
//! Loading never stops at the first problem: a config with an unknown field still yields the jobs
//! that were readable, so later stages can check them too. Only an unreadable main file is an error.

pub mod model;
pub mod regex;

pub use model::*;
