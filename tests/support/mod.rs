//! Shared helpers for the integration tests of this crate. The generic parts (oracles, processes,
//! deadlines) live in the workspace's `testkit` crate, shared with kubesim's tests.

#![allow(dead_code)]

use std::path::PathBuf;

#[allow(unused_imports)]
pub use testkit::{oracle, parallel_map, run, Finished};

/// Path of the prom-preflight binary built for this test run.
pub fn preflight_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_prom-preflight"))
}

/// Root of the crate, so test data is found whatever the working directory.
pub fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
