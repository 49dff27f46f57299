//! Writes the benchmark inputs: `generate cadvisor BYTES` (a cadvisor-like exposition on
//! stdout) and `generate file-sd N DIR` (DIR/prometheus.yml and DIR/targets.json with N targets).
//! Used by `benches/compare-promtool.sh`.

#[path = "../benches/support/generate.rs"]
mod generate;

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["cadvisor", bytes] => match bytes.parse::<u64>() {
            Ok(bytes) => {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                generate::cadvisor(&mut out, bytes).and_then(|_| out.flush())
            }
            Err(e) => Err(std::io::Error::other(e.to_string())),
        },
        ["file-sd", n, dir] => match n.parse::<usize>() {
            Ok(n) => {
                let (config, targets) = generate::file_sd_job(n);
                std::fs::write(format!("{dir}/prometheus.yml"), config)
                    .and_then(|()| std::fs::write(format!("{dir}/targets.json"), targets))
            }
            Err(e) => Err(std::io::Error::other(e.to_string())),
        },
        _ => Err(std::io::Error::other(
            "usage: generate cadvisor BYTES | generate file-sd N DIR",
        )),
    };
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate: {e}");
            ExitCode::FAILURE
        }
    }
}
