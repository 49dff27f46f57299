//! `prom-preflight payload`: a file, stdin and gzip input, verdicts against limits, exit codes.

use std::io::Write;
use std::process::Stdio;

use crate::support::{binary, run};

const BODY: &str = "# HELP up Up.\n# TYPE up gauge\nup{a=\"1\"} 1\nup{a=\"2\"} 0\n";

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("the temp dir is writable");
    path.to_string_lossy().into_owned()
}

fn json(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "payload output is JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// `payload - --format json` with `body` on stdin, which is then closed.
fn from_stdin(body: &[u8]) -> std::process::Output {
    let mut child = binary()
        .args(["payload", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(mut stdin) = child.stdin.take() {
        // A run that stops early (a parse error, a limit) closes its stdin; its summary says why.
        let _ = stdin.write_all(body);
    }
    child.wait_with_output().expect("the binary exits")
}

#[test]
fn a_file_is_summarized() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(&dir, "metrics.txt", BODY.as_bytes());
    let output = run(&["payload", &file, "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let summary = json(&output);
    assert_eq!(summary["samples"], 2);
    assert_eq!(summary["series"], 2);
    assert_eq!(summary["top_families"][0]["name"], "up");
    assert_eq!(summary["verdict"]["health"], "up");

    let human = run(&["payload", &file]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("samples:  2"), "{text}");
}

#[test]
fn limits_give_prometheus_last_error_and_exit_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(&dir, "metrics.txt", BODY.as_bytes());
    for (flags, error) in [
        (&["--sample-limit", "1"][..], "sample limit exceeded"),
        (
            &["--body-size-limit", "10B"][..],
            "body size limit exceeded",
        ),
        (
            &["--label-limit", "3"][..],
            "label_limit exceeded (metric: up, number of labels: 4, limit: 3)",
        ),
    ] {
        let mut args = vec!["payload", file.as_str(), "--format", "json"];
        args.extend_from_slice(flags);
        let output = run(&args);
        assert_eq!(output.status.code(), Some(1), "{flags:?}");
        assert_eq!(json(&output)["verdict"]["error"], error, "{flags:?}");
    }
}

#[test]
fn stdin_and_gzip_are_streamed() {
    assert_eq!(json(&from_stdin(BODY.as_bytes()))["samples"], 2);

    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(BODY.as_bytes()).expect("gzip in memory");
    let compressed = encoder.finish().expect("gzip in memory");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(&dir, "metrics.txt.gz", &compressed);
    let summary = json(&run(&["payload", &file, "--format", "json"]));
    assert_eq!(summary["samples"], 2);
    assert_eq!(summary["bytes"], BODY.len());
    assert_eq!(summary["compressed_bytes"], compressed.len());
}

#[test]
fn three_x_refuses_a_blank_content_type() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(&dir, "metrics.txt", BODY.as_bytes());
    let output = run(&["payload", &file, "--format", "json", "--content-type", ""]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        json(&output)["verdict"]["error"],
        "non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target"
    );
    let output = run(&[
        "payload",
        &file,
        "--content-type",
        "",
        "--prometheus-version",
        "2.42",
    ]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn an_unreadable_file_is_a_tool_error() {
    let output = run(&["payload", "/nonexistent/metrics.txt"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("failed to read /nonexistent/metrics.txt"),
        "{stderr}"
    );
}

/// Fifty thousand distinct series, about 1.1 MB: many read buffers, with lines across their edges.
fn many_series() -> Vec<u8> {
    let mut body = String::from("# TYPE requests_total counter\n");
    for i in 0..50_000 {
        body.push_str(&format!(
            "requests_total{{path=\"/api/v1/items/{i}\",code=\"200\"}} {i}\n"
        ));
    }
    body.into_bytes()
}

#[test]
fn a_long_input_arrives_whole_and_in_order_from_a_file_and_from_stdin() {
    let body = many_series();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = write(&dir, "metrics.txt", &body);
    let from_file = run(&["payload", &file, "--format", "json"]);
    for output in [from_file, from_stdin(&body)] {
        let summary = json(&output);
        assert_eq!(summary["bytes"], body.len());
        assert_eq!(summary["samples"], 50_000);
        assert_eq!(summary["series"], 50_000);
        // A chunk delivered twice, lost or out of order would break a line somewhere.
        assert_eq!(summary["parse_errors"], 0, "{summary}");
        assert_eq!(output.status.code(), Some(0));
    }
}

#[test]
fn an_input_over_the_body_limit_ends_the_run_while_stdin_stays_open() {
    let mut child = binary()
        .args([
            "payload",
            "-",
            "--format",
            "json",
            "--body-size-limit",
            "100KB",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // Written but never closed: the run must end on the limit, not wait for the end of input.
    let mut stdin = child.stdin.take().expect("piped stdin");
    match stdin.write_all(&many_series()[..300_000]) {
        Ok(()) => {}
        // The run may end at the limit before it has read all that was written.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => panic!("writing to stdin: {e}"),
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().expect("the child can be polled").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("payload kept waiting on stdin after the body size limit");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(stdin);
    let output = child.wait_with_output().expect("the binary exits");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        json(&output)["verdict"]["error"],
        "body size limit exceeded"
    );
}
