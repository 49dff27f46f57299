//! Behaviour of the analyzer on whole payloads: counts, families, limits in Prometheus's order
//! and wording, chunking invariance, gzip.

use std::io::Write;

use super::*;

const SAMPLE: &str = r#"# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{code="200",method="get"} 1027 1395066363000
http_requests_total{code="400",method="post"} 3 1395066363000
# HELP rpc_seconds RPC latency.
# TYPE rpc_seconds histogram
rpc_seconds_bucket{le="0.05"} 24054
rpc_seconds_bucket{le="+Inf"} 144320
rpc_seconds_sum 53423
rpc_seconds_count 144320
# A plain comment.

go_goroutines 42
"#;

fn options() -> Options {
    Options::default()
}

fn with_limits(limits: Limits) -> Options {
    Options {
        limits,
        ..Options::default()
    }
}

fn json(summary: &Summary) -> String {
    serde_json::to_string(summary).unwrap_or_default()
}

#[test]
fn counts_samples_series_and_families() {
    let s = analyze(SAMPLE.as_bytes(), options());
    assert_eq!(s.verdict.health, "up", "{:?}", s.verdict);
    assert_eq!(s.lines, 13);
    assert_eq!(s.samples, 7);
    assert_eq!(s.series, 7);
    assert!(s.series_exact);
    assert_eq!(s.families, 3);
    let top: Vec<(&str, u64)> = s
        .top_families
        .iter()
        .map(|f| (f.name.as_str(), f.series))
        .collect();
    assert_eq!(
        top,
        vec![
            ("rpc_seconds", 4),
            ("http_requests_total", 2),
            ("go_goroutines", 1)
        ]
    );
    assert_eq!(s.top_families[0].kind, Some(MetricType::Histogram));
    assert!(s.top_families[0].help);
    let most = s
        .most_labels
        .as_ref()
        .map(|m| (m.metric.as_str(), m.labels));
    // code, method, __name__, job, instance.
    assert_eq!(most, Some(("http_requests_total", 5)));
    let value = s
        .longest_label_value
        .as_ref()
        .map(|l| (l.label.as_str(), l.length));
    assert_eq!(value, Some(("method", 4)));
}

#[test]
fn any_chunking_gives_the_same_summary() {
    let mut payload =
        format!("{SAMPLE}weird{{a=\"x\\\"y\\\\z\\n\",b=\"é€😀\"}} 1\nbad{{a=\"").into_bytes();
    payload.extend_from_slice(b"\xff\"} 1\nlast{a=\"1\"} 2");
    let opts = || Options {
        keep_going: true,
        ..options()
    };
    let whole = json(&analyze(&payload, opts()));
    for split in 0..payload.len() {
        let mut analyzer = Analyzer::new(opts());
        analyzer.feed(&payload[..split]);
        analyzer.feed(&payload[split..]);
        assert_eq!(json(&analyzer.finish()), whole, "split at {split}");
    }
    let mut analyzer = Analyzer::new(opts());
    for byte in &payload {
        analyzer.feed(std::slice::from_ref(byte));
    }
    assert_eq!(json(&analyzer.finish()), whole, "byte by byte");
}

#[test]
fn body_size_limit_fails_at_the_limit() {
    let body = b"a 1\nb 2\n";
    let at = analyze(
        body,
        with_limits(Limits {
            body_size_limit: body.len() as u64,
            ..Limits::default()
        }),
    );
    assert_eq!(
        at.verdict.error.as_deref(),
        Some("body size limit exceeded")
    );
    let above = analyze(
        body,
        with_limits(Limits {
            body_size_limit: body.len() as u64 + 1,
            ..Limits::default()
        }),
    );
    assert_eq!(above.verdict.error, None);
}

#[test]
fn body_size_limit_wins_over_an_earlier_parse_error() {
    let s = analyze(
        b"a{ 1\nb 2\nc 3\n",
        with_limits(Limits {
            body_size_limit: 8,
            ..Limits::default()
        }),
    );
    assert_eq!(s.verdict.error.as_deref(), Some("body size limit exceeded"));
}

#[test]
fn sample_limit_and_label_limit_read_like_prometheus() {
    let s = analyze(
        b"a 1\nb 2\nc 3\n",
        with_limits(Limits {
            sample_limit: 2,
            ..Limits::default()
        }),
    );
    assert_eq!(s.verdict.error.as_deref(), Some("sample limit exceeded"));
    assert_eq!(s.verdict.failure.as_ref().and_then(Failure::line), Some(3));

    let s = analyze(
        b"ok 1\nx{a=\"1\",b=\"2\",c=\"3\"} 1\n",
        with_limits(Limits {
            label_limit: 2,
            ..Limits::default()
        }),
    );
    // ok has __name__, job and instance: 3 labels, already over 2.
    assert_eq!(
        s.verdict.error.as_deref(),
        Some("label_limit exceeded (metric: ok, number of labels: 3, limit: 2)")
    );
    let s = analyze(
        b"ok 1\nx{a=\"1\",b=\"2\",c=\"3\"} 1\n",
        with_limits(Limits {
            label_limit: 5,
            ..Limits::default()
        }),
    );
    assert_eq!(
        s.verdict.error.as_deref(),
        Some("label_limit exceeded (metric: x, number of labels: 6, limit: 5)")
    );
}

#[test]
fn a_parse_error_beats_a_sample_limit_seen_earlier_when_reading_on() {
    let payload = b"a 1\nb 2\nc{ 3\n";
    let limits = Limits {
        sample_limit: 1,
        ..Limits::default()
    };
    let s = analyze(payload, with_limits(limits));
    assert_eq!(s.verdict.error.as_deref(), Some("sample limit exceeded"));
    assert!(!s.analysis.complete);
    let s = analyze(
        payload,
        Options {
            keep_going: true,
            ..with_limits(limits)
        },
    );
    assert_eq!(s.verdict.failure.as_ref().map(Failure::kind), Some("parse"));
    assert!(s.analysis.complete);
}

#[test]
fn length_limits_check_labels_in_sorted_order_with_target_labels() {
    let s = analyze(
        b"m{zz=\"12345\",aa=\"123456\"} 1\n",
        with_limits(Limits {
            label_value_length_limit: 5,
            ..Limits::default()
        }),
    );
    assert_eq!(
        s.verdict.error.as_deref(),
        Some("label_value_length_limit exceeded (metric: m, label name: aa, value: \"123456\", length: 6, limit: 5)")
    );
    // The target's job label (`payload`, 7 bytes) is checked too.
    let s = analyze(
        b"m 1\n",
        with_limits(Limits {
            label_value_length_limit: 6,
            ..Limits::default()
        }),
    );
    assert!(s
        .verdict
        .error
        .as_deref()
        .is_some_and(|e| e.contains("label name: instance")));
    let s = analyze(
        b"metric_name_that_is_long 1\n",
        with_limits(Limits {
            label_name_length_limit: 7,
            ..Limits::default()
        }),
    );
    assert_eq!(
        s.verdict.error.as_deref(),
        Some("label_name_length_limit exceeded (metric: metric_name_that_is_long, label name: __name__, length: 8, limit: 7)")
    );
}

#[test]
fn invalid_utf8_label_values_fail_with_prometheus_wording() {
    let s = analyze(b"a 1\nm{l=\"\xff\"} 1\n", options());
    assert_eq!(
        s.verdict.error.as_deref(),
        Some(r#"invalid UTF-8 label value: "\"\xff\"""#)
    );
    assert_eq!(s.invalid_utf8_label_values, 1);
    let at = s
        .first_invalid_utf8
        .as_ref()
        .map(|a| (a.label.as_str(), a.line));
    assert_eq!(at, Some(("l", 2)));
}

#[test]
fn parse_errors_carry_line_numbers() {
    let s = analyze(
        b"ok 1\nnovalue\nm{a=b} 1\nm 1 2 3\n# TYPE x meter\n",
        Options {
            keep_going: true,
            ..options()
        },
    );
    let lines: Vec<u64> = s.first_parse_errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![2, 3, 4, 5]);
    assert_eq!(s.parse_errors, 4);
    assert_eq!(
        s.first_parse_errors[3].message,
        "invalid metric type \"meter\""
    );
    assert_eq!(s.samples, 1);
}

#[test]
fn unterminated_quotes_end_at_the_line() {
    for body in [
        &b"a{b=\"c\nok 1\n"[..],
        b"{\"a\nok 1\n",
        b"a{b=\"c\\\nok 1\n",
    ] {
        let s = analyze(
            body,
            Options {
                keep_going: true,
                ..options()
            },
        );
        assert_eq!((s.parse_errors, s.samples, s.lines), (1, 1, 2), "{body:?}");
    }
}

#[test]
fn values_and_timestamps_are_checked() {
    let s = analyze(b"a true\n", options());
    assert_eq!(
        s.verdict.error.as_deref(),
        Some("strconv.ParseFloat: parsing \"true\": invalid syntax")
    );
    let s = analyze(b"a 1 12x\n", options());
    assert!(s.verdict.error.is_some());
    for ok in [
        "a +Inf\n",
        "a NaN 1\n",
        "a 1e3 -5\n",
        "a{} 1\n",
        "a{b=\"c\",} 1\n",
        "a 1",
    ] {
        let s = analyze(ok.as_bytes(), options());
        assert_eq!(s.verdict.error, None, "{ok:?}");
        assert_eq!(s.samples, 1, "{ok:?}");
    }
}

#[test]
fn quoted_utf8_names_are_accepted_by_3x() {
    let s = analyze(
        b"# TYPE \"my.metric\" gauge\n{\"my.metric\", \"my.label\"=\"v\"} 1\n",
        options(),
    );
    assert_eq!(s.verdict.error, None, "{:?}", s.first_parse_errors);
    assert_eq!(s.top_families[0].name, "my.metric");
    assert_eq!(s.top_families[0].kind, Some(MetricType::Gauge));
}

#[test]
fn content_type_rule_follows_the_version() {
    let s = analyze(
        b"a 1\n",
        Options {
            content_type: Some(String::new()),
            ..options()
        },
    );
    assert_eq!(
        s.verdict.failure.as_ref().map(Failure::kind),
        Some("content_type")
    );
    let s = analyze(
        b"",
        Options {
            content_type: Some(String::new()),
            ..options()
        },
    );
    assert_eq!(s.verdict.health, "up");
    let s = analyze(
        b"a 1\n",
        Options {
            content_type: Some(String::new()),
            version: crate::version::PrometheusVersion::V2_42,
            ..options()
        },
    );
    assert_eq!(s.verdict.health, "up");
}

#[test]
fn openmetrics_needs_eof() {
    let om = |body: &[u8]| {
        analyze(
            body,
            Options {
                content_type: Some("application/openmetrics-text; version=1.0.0".to_string()),
                ..options()
            },
        )
    };
    assert_eq!(
        om(b"# TYPE a counter\na_total 1 # {t=\"1\"} 1\n# EOF\n")
            .verdict
            .error,
        None
    );
    assert_eq!(
        om(b"a 1\n").verdict.error.as_deref(),
        Some("data does not end with # EOF")
    );
}

#[test]
fn a_huge_single_line_streams() {
    let value = vec![b'v'; 10 << 20];
    let mut analyzer = Analyzer::new(options());
    analyzer.feed(b"m{big=\"");
    for chunk in value.chunks(64 << 10) {
        analyzer.feed(chunk);
    }
    analyzer.feed(b"\"} 1\n");
    let s = analyzer.finish();
    assert_eq!(s.verdict.error, None);
    assert_eq!(s.longest_label_value.map(|l| l.length), Some(10 << 20));
}

#[test]
fn series_tracking_is_capped() {
    let payload: String = (0..100).map(|i| format!("m{{i=\"{i}\"}} 1\n")).collect();
    let s = analyze(
        payload.as_bytes(),
        Options {
            max_tracked_series: 10,
            max_families: 1,
            ..options()
        },
    );
    assert_eq!(s.series, 100);
    assert!(!s.series_exact);
    let s = analyze(b"a 1\na 1\nb 1\n", options());
    assert_eq!((s.series, s.duplicate_samples), (2, 1));
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

#[test]
fn gzip_bodies_are_counted_both_ways() {
    let compressed = gzip(SAMPLE.as_bytes());
    let mut analyzer = GzipAnalyzer::new(Analyzer::new(options()), 0);
    for chunk in compressed.chunks(7) {
        analyzer.feed(chunk);
    }
    let s = analyzer.finish();
    assert_eq!(s.verdict.error, None);
    assert_eq!(s.samples, 7);
    assert_eq!(s.bytes, SAMPLE.len() as u64);
    assert_eq!(s.compressed_bytes, Some(compressed.len() as u64));
}

#[test]
fn a_gzip_bomb_stops_at_the_limit() {
    let line = b"m{a=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"} 1\n";
    let body: Vec<u8> = line.iter().copied().cycle().take(64 << 20).collect();
    let compressed = gzip(&body);
    assert!(compressed.len() < 1 << 20);
    let mut analyzer = GzipAnalyzer::new(
        Analyzer::new(with_limits(Limits {
            body_size_limit: 1 << 20,
            ..Limits::default()
        })),
        0,
    );
    let mut fed = 0;
    for chunk in compressed.chunks(16 << 10) {
        fed += chunk.len();
        if analyzer.feed(chunk) == Flow::Stop {
            break;
        }
    }
    assert!(fed < compressed.len());
    let s = analyzer.finish();
    assert_eq!(s.verdict.error.as_deref(), Some("body size limit exceeded"));
    assert_eq!(s.bytes, 1 << 20);

    let mut capped = GzipAnalyzer::new(Analyzer::new(options()), 2 << 20);
    for chunk in compressed.chunks(16 << 10) {
        if capped.feed(chunk) == Flow::Stop {
            break;
        }
    }
    let s = capped.finish();
    assert_eq!(s.bytes, 2 << 20);
    assert!(!s.analysis.complete);
    assert_eq!(s.verdict.health, "up");
}

#[test]
fn broken_gzip_fails_like_go() {
    let mut analyzer = GzipAnalyzer::new(Analyzer::new(options()), 0);
    analyzer.feed(b"not gzip at all");
    assert_eq!(
        analyzer.finish().verdict.error.as_deref(),
        Some("gzip: invalid header")
    );
    let compressed = gzip(SAMPLE.as_bytes());
    let mut analyzer = GzipAnalyzer::new(Analyzer::new(options()), 0);
    analyzer.feed(&compressed[..compressed.len() / 2]);
    assert_eq!(
        analyzer.finish().verdict.error.as_deref(),
        Some("unexpected EOF")
    );
    let analyzer = GzipAnalyzer::new(Analyzer::new(options()), 0);
    assert_eq!(analyzer.finish().verdict.error.as_deref(), Some("EOF"));
}

/// Lines the scanner reads in one pass when they lie in one chunk, and their near misses that it
/// leaves to the state machine: fed whole, in small chunks (so that most lines cross a chunk
/// boundary and take the state machine's path) and byte by byte (never the one-pass reading),
/// every summary must be the same.
#[test]
fn the_one_pass_reading_and_the_state_machine_agree() {
    let long_name = "n".repeat(1500);
    let long_value = "v".repeat(5000);
    let mut inputs: Vec<Vec<u8>> = [
        "m{a=\"1\",b=\"2\"} 1 1700000000000\nm{a=\"1\",b=\"2\"} 2 1700000000001\n",
        "m{a=\"1\",b=\"2\"}  1\nm{a=\"1\",b=\"2\"} 1\nm{a=\"1\",b=\"2\"}\t1\n",
        "m{a=\"x\\\"y\",b=\"z\\\\\\\\\",c=\"\\n\"} 1\nm{a=\"x\\\"y\",b=\"z\\\\\\\\\",c=\"\\n\"} 1\n",
        "m{} 1\nm{} 1 123\nm {} 1\nm {a=\"b\"} 1\nm{a=\"1\",} 1\nm{a=\"b\"}1\n",
        "m 1\nm 1 -5\nm 1 1.5\nm 1 12345678901234567890\nm 1 123456789012345678\n",
        "m 1 1234567890123456789\nm 1 99999999999999999999\nm 1 1e3\nm 1 +5\nm 1 5x\n",
        "m NaN\nm +Inf\nm -Inf\nm -1.5e3\nm .5\nm 5.\nm 1e999\nm 0x1p3\nm 1_0\nm true\n",
        "m 123456789012345678901234567890\nm 1234567890123456789012345678901\n",
        "m 12345678901234567890123456789012345678901234567890123456789012345678901\n",
        "m 1 \nm 1  \nm 1 2 \nm\t1\nm 1\t2\nm 1 2 3\nm  1\n m 1\n",
        "m{a=\"é€😀\"} 1\nm{a=\"é\",b=\"€\"} 1 5\n",
        "m{job=\"x\",instance=\"y\",a=\"z\"} 1\nm{instance=\"y\"} 1\n",
        "m{a=b} 1\nm{a=\"b\" c=\"d\"} 1\nm{a=\"b\",c=\"d\" } 1\nm{a=\"b\"c=\"d\"} 1\n",
        "m{,} 1\nm{a=\"b\"} \nm\nm{a=\"b\"}\nm{ a=\"b\"} 1\nm{a =\"b\"} 1\nm{a= \"b\"} 1\n",
        "m{\"quoted.name\"=\"v\"} 1\n{\"m\"} 1\n{\"m\",a=\"b\"} 1\nm{\"a\"=\"b\",c=\"d\"} 1\n",
        "# HELP m Help.\n# TYPE m counter\nm 1\n# a comment\n\nm{a=\"b\"} 2\n",
        "m_total 1 # {t=\"1\"} 1\nm 1 # x\n",
        "m{a=\"1\"} 1\nlast{a=\"2\"} 3 17",
        "m{a=\"1\"} 1\nlast{a=\"2\"",
    ]
    .iter()
    .map(|text| text.as_bytes().to_vec())
    .collect();
    inputs.push(format!("{long_name}{{a=\"1\"}} 1\n{long_name} 2\n").into_bytes());
    inputs.push(
        format!("m{{{long_name}=\"1\",b=\"{long_value}\"}} 1\nm{{b=\"1\"}} 1\n").into_bytes(),
    );
    inputs.push(b"m{a=\"\xff\"} 1\nm{a=\"x\",b=\"\xc3\"} 1\n".to_vec());
    inputs.push(b"m{a=\"\xff\xfe\"} 1\nm{b=\"\xe2\x82\"} 1\nm{b=\"\xe2\x82\xac\"} 1\n".to_vec());
    let all: Vec<u8> = inputs.concat();
    inputs.push(all);

    let limits = Limits {
        label_limit: 4,
        label_name_length_limit: 1200,
        label_value_length_limit: 4000,
        ..Limits::default()
    };
    let option_sets = [
        options(),
        Options {
            keep_going: true,
            ..options()
        },
        Options {
            keep_going: true,
            ..with_limits(limits)
        },
        Options {
            keep_going: true,
            honor_labels: true,
            ..with_limits(limits)
        },
        with_limits(Limits {
            label_value_length_limit: 3,
            ..Limits::default()
        }),
        Options {
            keep_going: true,
            version: crate::version::PrometheusVersion::V2_42,
            ..options()
        },
        Options {
            keep_going: true,
            content_type: Some("application/openmetrics-text; version=1.0.0".to_string()),
            ..options()
        },
        Options {
            keep_going: true,
            content_type: Some("text/plain; version=0.0.4".to_string()),
            ..options()
        },
        Options {
            keep_going: true,
            target_labels: Vec::new(),
            ..with_limits(limits)
        },
    ];
    // Once the analysis stops, later chunks are not counted: bytes depend on the chunking then.
    let seen = |mut summary: Summary, opts: &Options| {
        if !opts.keep_going {
            summary.bytes = 0;
        }
        json(&summary)
    };
    for (n, input) in inputs.iter().enumerate() {
        for (o, opts) in option_sets.iter().enumerate() {
            let whole = seen(analyze(input, opts.clone()), opts);
            for size in [1, 2, 3, 7, 64] {
                let mut analyzer = Analyzer::new(opts.clone());
                for chunk in input.chunks(size) {
                    analyzer.feed(chunk);
                }
                assert_eq!(
                    seen(analyzer.finish(), opts),
                    whole,
                    "input {n}, options {o}, chunks of {size}: {:?}",
                    String::from_utf8_lossy(input)
                );
            }
        }
    }
}
