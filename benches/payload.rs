//! Payload analysis throughput (MB/s of uncompressed exposition) on a generated cadvisor-like
//! exposition, plain and gzip-compressed, fed in 256 KiB chunks as the `payload` command and the
//! probe feed it. `PAYLOAD_BENCH_MB` sets the size: by default 100 under `cargo bench`, and 1
//! under `cargo test`, which runs each benchmark once to show it works, not how fast.

#[path = "support/generate.rs"]
mod generate;

use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use prom_preflight::exposition::{Analyzer, GzipAnalyzer, Options, Summary};

const CHUNK: usize = 256 * 1024;

fn size() -> u64 {
    // `cargo bench` passes `--bench`; `cargo test` does not.
    let benching = std::env::args().any(|arg| arg == "--bench");
    std::env::var("PAYLOAD_BENCH_MB")
        .ok()
        .and_then(|mb| mb.parse().ok())
        .unwrap_or(if benching { 100 } else { 1 })
        << 20
}

fn analyze_plain(plain: &[u8]) -> Summary {
    let mut analyzer = Analyzer::new(Options::default());
    for chunk in plain.chunks(CHUNK) {
        analyzer.feed(chunk);
    }
    analyzer.finish()
}

fn analyze_gzipped(gzipped: &[u8]) -> Summary {
    let mut analyzer = GzipAnalyzer::new(Analyzer::new(Options::default()), 0);
    for chunk in gzipped.chunks(CHUNK) {
        analyzer.feed(chunk);
    }
    analyzer.finish()
}

/// Fails the run unless both inputs take the path the benchmark claims to measure: every line
/// analyzed, no parse error, and the same series from the gzip path as from the plain one.
fn assert_full_analysis(plain: &[u8], gzipped: &[u8]) {
    let from_plain = analyze_plain(plain);
    let from_gzip = analyze_gzipped(gzipped);
    for (name, summary) in [("plain", &from_plain), ("gzip", &from_gzip)] {
        assert!(
            summary.analysis.complete && summary.parse_errors == 0 && summary.series > 0,
            "the {name} input was not analyzed whole: {:?}, {} parse errors, {} series",
            summary.analysis,
            summary.parse_errors,
            summary.series
        );
        assert_eq!(summary.bytes, plain.len() as u64, "{name}: bytes analyzed");
    }
    assert_eq!(from_plain.series, from_gzip.series, "series, plain vs gzip");
}

fn payload(c: &mut Criterion) {
    let plain = generate::cadvisor_vec(size());
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = encoder.write_all(&plain);
    let gzipped = encoder.finish().unwrap_or_default();
    assert_full_analysis(&plain, &gzipped);

    let mut group = c.benchmark_group("payload");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Bytes(plain.len() as u64));
    group.bench_function("cadvisor-plain", |b| {
        b.iter(|| black_box(analyze_plain(&plain)))
    });
    group.bench_function("cadvisor-gzip", |b| {
        b.iter(|| black_box(analyze_gzipped(&gzipped)))
    });
    group.finish();
}

criterion_group!(benches, payload);
criterion_main!(benches);
