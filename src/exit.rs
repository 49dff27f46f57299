//! Exit codes, the contract with CI systems. Documented in the README.

/// Nothing at or above `--fail-on` was found.
pub const OK: u8 = 0;
/// Findings at or above `--fail-on` exist (including a config Prometheus would refuse).
pub const FINDINGS: u8 = 1;
/// The tool could not do its job: bad usage, unreadable config file, internal error.
pub const TOOL_ERROR: u8 = 2;
