//! End-to-end tests of the `prom-preflight` binary: exit codes, bad input, output shapes.

mod bad_input;
mod custom_checks;
mod exit_codes;
mod support;
mod targets;
