//! End-to-end tests of the `prom-preflight` binary: exit codes, bad input, output shapes.

mod bad_input;
mod exit_codes;
mod payload;
mod support;
mod targets;
