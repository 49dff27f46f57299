//! End-to-end tests of the `prom-preflight` binary: exit codes, bad input, output shapes.

mod bad_input;
mod baseline;
mod custom_checks;
mod demo;
mod exit_codes;
mod generated;
mod outputs;
mod path_map;
mod payload;
mod rbac;
mod support;
mod targets;
