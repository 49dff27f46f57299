//! Stage 1: read `prometheus.yml` (and its `scrape_config_files`) exactly as Prometheus would, into a
//! located, defaulted, validated [`Config`], plus every problem found on the way as a [`Diagnostic`].
//!
//! Loading never stops at the first problem: a config with an unknown field still yields the jobs
//! that were readable, so later stages can check them too. Only an unreadable main file is an error.

pub mod decode;
pub mod diagnostic;
pub mod duration;
pub mod files;
pub mod http_client;
pub mod load;
pub mod model;
pub mod path_map;
pub mod regex;
pub mod relabel_rule;
pub mod scrape;
pub mod sd;
pub mod size;
pub mod yaml;

pub use load::{load, load_mapped, load_str, LoadError, Loaded};
pub use model::*;
