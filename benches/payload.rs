//! Payload analysis throughput (MB/s of uncompressed exposition) on a generated cadvisor-like
//! exposition, plain and gzip-compressed, fed in 256 KiB chunks as the `payload` command and the
//! probe feed it. `PAYLOAD_BENCH_MB` sets the size (default 100).

#[path = "support/generate.rs"]
mod generate;

use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use prom_preflight::exposition::{Analyzer, GzipAnalyzer, Options};

const CHUNK: usize = 256 * 1024;

fn size() -> u64 {
    std::env::var("PAYLOAD_BENCH_MB")
        .ok()
        .and_then(|mb| mb.parse().ok())
        .unwrap_or(100)
        << 20
}

fn payload(c: &mut Criterion) {
    let plain = generate::cadvisor_vec(size());
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = encoder.write_all(&plain);
    let gzipped = encoder.finish().unwrap_or_default();

    let mut group = c.benchmark_group("payload");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Bytes(plain.len() as u64));
    group.bench_function("cadvisor-plain", |b| {
        b.iter(|| {
            let mut analyzer = Analyzer::new(Options::default());
            for chunk in plain.chunks(CHUNK) {
                analyzer.feed(chunk);
            }
            black_box(analyzer.finish())
        })
    });
    group.bench_function("cadvisor-gzip", |b| {
        b.iter(|| {
            let mut analyzer = GzipAnalyzer::new(Analyzer::new(Options::default()), 0);
            for chunk in gzipped.chunks(CHUNK) {
                analyzer.feed(chunk);
            }
            black_box(analyzer.finish())
        })
    });
    group.finish();
}

criterion_group!(benches, payload);
criterion_main!(benches);
