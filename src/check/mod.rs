//! Stage 5: checks, pure functions from facts to findings.

pub mod finding;
