//! The `prom-preflight` binary: parse arguments, run, turn the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = prom_preflight::cli::Cli::parse();
    match prom_preflight::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("error: {}", render_chain(&error));
            ExitCode::from(error.exit_code())
        }
    }
}

/// The error and its causes, joined with `: `.
fn render_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
