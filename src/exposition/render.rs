//! Human-readable text of a payload [`Summary`], for the `payload` command. Pure.

use std::fmt::Write;

use super::summary::Summary;

fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Use of a limit: `"12 of 100 (12%)"`, or `"no limit"`.
fn usage(used: u64, limit: u64, render: fn(u64) -> String) -> String {
    if limit == 0 {
        return format!("{} (no limit)", render(used));
    }
    let percent = used as f64 * 100.0 / limit as f64;
    format!("{} of {} ({percent:.0}%)", render(used), render(limit))
}

fn plain(n: u64) -> String {
    n.to_string()
}

/// Renders the summary as a short report; `source` names the input.
pub fn human(summary: &Summary, source: &str) -> String {
    let mut out = String::new();
    let s = summary;
    let verdict = match &s.verdict.error {
        None => s.verdict.health.to_string(),
        Some(error) => format!("{} — {error}", s.verdict.health),
    };
    let _ = writeln!(out, "{source}: {verdict}");
    if let Some(failure) = &s.verdict.failure {
        if let Some(line) = failure.line() {
            let _ = writeln!(out, "  at line {line}");
        }
    }
    let mut bytes = size(s.bytes);
    if let Some(compressed) = s.compressed_bytes {
        let ratio = if compressed > 0 {
            s.bytes as f64 / compressed as f64
        } else {
            0.0
        };
        bytes.push_str(&format!(
            " uncompressed, {} gzip-compressed ({ratio:.1}×)",
            size(compressed)
        ));
    }
    let _ = writeln!(out, "  format:   {}", s.format.as_str());
    let _ = writeln!(
        out,
        "  body:     {}",
        usage(s.bytes, s.limits.body_size_limit, size)
    );
    if s.compressed_bytes.is_some() {
        let _ = writeln!(out, "            {bytes}");
    }
    let _ = writeln!(out, "  lines:    {}", s.lines);
    let _ = writeln!(
        out,
        "  samples:  {}",
        usage(s.samples, s.limits.sample_limit, plain)
    );
    let approx = if s.series_exact { "" } else { " (upper bound)" };
    let _ = writeln!(out, "  series:   {}{approx}", s.series);
    if s.duplicate_samples > 0 {
        let _ = writeln!(out, "  duplicate samples: {}", s.duplicate_samples);
    }
    let pooled = if s.families_exact {
        ""
    } else {
        " (some pooled)"
    };
    let _ = writeln!(out, "  families: {}{pooled}", s.families);
    if let Some(most) = &s.most_labels {
        let _ = writeln!(
            out,
            "  labels:   {} on {} (line {}; __name__ and target labels included)",
            usage(most.labels, s.limits.label_limit, plain),
            most.metric,
            most.line
        );
    }
    if let Some(longest) = &s.longest_label_name {
        let _ = writeln!(
            out,
            "  longest label name:  {} ({} on {}, line {})",
            usage(longest.length, s.limits.label_name_length_limit, plain),
            longest.label,
            longest.metric,
            longest.line
        );
    }
    if let Some(longest) = &s.longest_label_value {
        let _ = writeln!(
            out,
            "  longest label value: {} ({} on {}, line {})",
            usage(longest.length, s.limits.label_value_length_limit, plain),
            longest.label,
            longest.metric,
            longest.line
        );
    }
    if s.invalid_utf8_label_values > 0 {
        let first = s
            .first_invalid_utf8
            .as_ref()
            .map(|at| format!(" (first: {} on {}, line {})", at.label, at.metric, at.line))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  invalid UTF-8 label values: {}{first}",
            s.invalid_utf8_label_values
        );
    }
    if s.parse_errors > 0 {
        let _ = writeln!(out, "  parse errors: {}", s.parse_errors);
        for error in &s.first_parse_errors {
            let _ = writeln!(out, "    line {}: {}", error.line, error.message);
        }
    }
    if let Some(reason) = &s.analysis.stopped {
        let line = s
            .analysis
            .stopped_at_line
            .map(|l| format!(" after line {l}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  analysis stopped{line}: {reason} (counts cover the part read; --keep-going reads on)"
        );
    }
    if !s.top_families.is_empty() {
        let _ = writeln!(out, "\n  top families by series:");
        let _ = writeln!(
            out,
            "  {:>10} {:>10}  {:<10} family",
            "series", "samples", "type"
        );
        for family in &s.top_families {
            let kind = family.kind.map_or("-", |k| k.as_str());
            let _ = writeln!(
                out,
                "  {:>10} {:>10}  {:<10} {}",
                family.series, family.samples, kind, family.name
            );
        }
    }
    out
}
