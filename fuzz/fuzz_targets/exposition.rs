//! The exposition analyzer never panics, and its summary does not depend on how the payload is
//! cut into chunks; gzip-compressing the payload changes nothing but the compressed count.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use prom_preflight::exposition::{Analyzer, GzipAnalyzer, Limits, Options, Summary};
use prom_preflight::version::PrometheusVersion;

fn options(control: &[u8]) -> Options {
    let byte = |i: usize| control.get(i).copied().unwrap_or(0);
    let small = |b: u8| {
        if b & 0x80 != 0 {
            u64::from(b & 0x3f)
        } else {
            0
        }
    };
    let content_type = match byte(5) % 6 {
        0 => None,
        1 => Some(String::new()),
        2 => Some("text/plain; version=0.0.4".to_string()),
        3 => Some("application/openmetrics-text; version=1.0.0".to_string()),
        4 => Some("text/html".to_string()),
        _ => Some("application/vnd.google.protobuf".to_string()),
    };
    Options {
        limits: Limits {
            body_size_limit: small(byte(0)) * 7,
            sample_limit: small(byte(1)),
            label_limit: small(byte(2)),
            label_name_length_limit: small(byte(3)),
            label_value_length_limit: small(byte(4)),
        },
        content_type,
        version: if byte(6) & 1 == 0 {
            PrometheusVersion::DEFAULT
        } else {
            PrometheusVersion::V2_42
        },
        honor_labels: byte(6) & 2 != 0,
        keep_going: byte(6) & 4 != 0,
        max_tracked_series: usize::from(byte(7) % 16) + 1,
        max_families: usize::from(byte(8) % 8) + 1,
        ..Options::default()
    }
}

/// The summary as JSON; the byte count is left out when reading stopped early, since how far a
/// reader got past the stopping line depends on its chunks.
fn json(summary: &Summary) -> String {
    let mut summary = summary.clone();
    if !summary.analysis.complete
        && summary.verdict.failure.as_ref().map(|f| f.kind()) != Some("body_size_limit")
    {
        summary.bytes = 0;
    }
    serde_json::to_string(&summary).unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 10 {
        return;
    }
    let (control, payload) = data.split_at(10);
    let options = options(control);
    let chunk = usize::from(control[9] % 17) + 1;

    let mut whole = Analyzer::new(options.clone());
    whole.feed(payload);
    let whole = whole.finish();

    let mut chunked = Analyzer::new(options.clone());
    for piece in payload.chunks(chunk) {
        chunked.feed(piece);
    }
    assert_eq!(json(&whole), json(&chunked.finish()), "chunks of {chunk}");

    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = encoder.write_all(payload);
    let compressed = encoder.finish().unwrap_or_default();
    let mut gzip = GzipAnalyzer::new(Analyzer::new(options.clone()), 0);
    for piece in compressed.chunks(chunk) {
        gzip.feed(piece);
    }
    let mut gunzipped = gzip.finish();
    if !payload.is_empty() {
        gunzipped.compressed_bytes = None;
        assert_eq!(json(&whole), json(&gunzipped), "gzip");
    }

    // The raw bytes as a (mostly broken) gzip body.
    let mut raw = GzipAnalyzer::new(Analyzer::new(options), 1 << 16);
    raw.feed(payload);
    let _ = raw.finish();
});
