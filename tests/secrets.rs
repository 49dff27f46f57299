//! Sentinel secrets (a bearer token, a basic-auth password, a client key, a token file's
//! content) never appear in any output of a full run: every report format (to stdout and to
//! files), doctor with and without `--verbose`, every targets format, with debug logging asked
//! for in the environment, over every error path (unreadable token file, bad client
//! certificate, refused connection, TLS failure, 401, 403 whose body echoes the token, discovery
//! refused).

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use kubesim::{Options, Scenario, Sim};

const TOKEN: &str = "SENTINEL-TOKEN-9f8e7d6c5b4a";
const PASSWORD: &str = "SENTINEL-PASSWORD-1a2b3c4d";
const KEY: &str = "SENTINEL-KEY-5e6f7a8b9c0d";

/// A loopback server that answers every request 403 with the request's own `Authorization`
/// header (and the rest of its head) in the body, as some proxies do.
struct Echo {
    addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Echo {
    fn start() -> Echo {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let body = format!(
                    "Forbidden: you sent {}",
                    String::from_utf8_lossy(&head).replace("\r\n", " ")
                );
                let _ = conn.write_all(
                    format!(
                        "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                    .as_bytes(),
                );
            }
        });
        Echo {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn scan(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "{what} shows the secret {secret:?}:\n{text}"
        );
    }
    // Base64 of a basic-auth pair would hide the password from a plain search.
    use base64::Engine;
    let pair = base64::engine::general_purpose::STANDARD.encode(format!("u:{PASSWORD}"));
    assert!(
        !text.contains(&pair),
        "{what} shows the basic-auth header:\n{text}"
    );
}

#[allow(clippy::too_many_lines)]
fn write_config(dir: &Path, files: &Path, sim: &kubesim::RunningSim, echo: &str) -> String {
    let cluster = &sim.clusters[0];
    let ca = files.join(&cluster.name).join("ca.crt");
    let token_file = files
        .join(&cluster.name)
        .join("monitoring_prometheus.token");
    let api = cluster.api_addr.to_string();
    let kubelet = cluster.nodes[0].kubelet.to_string();
    std::fs::write(dir.join("client.key"), format!("{KEY}\n")).unwrap();
    std::fs::write(dir.join("client.crt"), "not a certificate\n").unwrap();
    std::fs::write(dir.join("sentinel.token"), format!("{TOKEN}\n")).unwrap();
    let config = format!(
        "global:
  scrape_interval: 10s
  scrape_timeout: 3s
scrape_configs:
  - job_name: inline-token-401
    scheme: https
    bearer_token: {TOKEN}
    tls_config: {{ca_file: {ca}}}
    static_configs: [{{targets: ['{api}']}}]
  - job_name: token-file-401
    scheme: https
    authorization: {{credentials_file: {sentinel}}}
    tls_config: {{ca_file: {ca}}}
    static_configs: [{{targets: ['{api}']}}]
  - job_name: basic-auth-401
    scheme: https
    basic_auth: {{username: u, password: {PASSWORD}}}
    tls_config: {{ca_file: {ca}}}
    static_configs: [{{targets: ['{api}']}}]
  - job_name: token-file-403
    scheme: https
    authorization: {{credentials_file: {token_file}}}
    tls_config: {{insecure_skip_verify: true}}
    static_configs: [{{targets: ['{kubelet}']}}]
  - job_name: unreadable-token-file
    scheme: https
    authorization: {{credentials_file: {missing}}}
    tls_config: {{ca_file: {ca}}}
    static_configs: [{{targets: ['{api}']}}]
  - job_name: bad-client-cert
    scheme: https
    tls_config: {{ca_file: {ca}, cert_file: {crt}, key_file: {key}}}
    static_configs: [{{targets: ['{api}']}}]
  - job_name: refused
    bearer_token: {TOKEN}
    static_configs: [{{targets: ['127.0.0.1:1']}}]
  - job_name: tls-failure
    scheme: https
    bearer_token: {TOKEN}
    basic_auth: {{username: u, password: {PASSWORD}}}
    static_configs: [{{targets: ['{api}']}}]
  - job_name: echo-403
    bearer_token: {TOKEN}
    static_configs: [{{targets: ['{echo}']}}]
  - job_name: echo-403-basic
    basic_auth: {{username: u, password: {PASSWORD}}}
    static_configs: [{{targets: ['{echo}']}}]
  - job_name: sd-echo-403
    kubernetes_sd_configs:
      - role: node
        api_server: http://{echo}
        bearer_token: {TOKEN}
  - job_name: sd-refused
    kubernetes_sd_configs:
      - role: node
        api_server: https://{api}
        bearer_token: {TOKEN}
        tls_config: {{ca_file: {ca}}}
    bearer_token: {TOKEN}
",
        ca = ca.display(),
        sentinel = dir.join("sentinel.token").display(),
        token_file = token_file.display(),
        missing = dir.join("no-such.token").display(),
        crt = dir.join("client.crt").display(),
        key = dir.join("client.key").display(),
    );
    let path = dir.join("prometheus.yml");
    std::fs::write(&path, config).unwrap();
    path.display().to_string()
}

#[test]
fn secrets_appear_in_no_output_log_or_error() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(
        Scenario::named("rbac-missing-nodes-metrics").expect("scenario loads"),
        Options {
            ephemeral_ports: true,
            log_requests: false,
        },
    )
    .expect("scenario starts");
    let files = dir.path().join("sim");
    kubesim::output::write_files(&sim, &files).expect("files written");
    let files = files.canonicalize().unwrap();
    let file_token = std::fs::read_to_string(
        files
            .join(&sim.clusters[0].name)
            .join("monitoring_prometheus.token"),
    )
    .unwrap();
    let secrets = [TOKEN, PASSWORD, KEY, file_token.trim()];
    let echo = Echo::start();
    let config = write_config(dir.path(), &files, &sim, &echo.addr.to_string());
    let reports = dir.path().join("reports");
    std::fs::create_dir_all(&reports).unwrap();
    let report = |name: &str| reports.join(name).display().to_string();

    let mut runs: Vec<(String, Vec<String>)> = Vec::new();
    for format in ["human", "json", "junit", "sarif", "github"] {
        runs.push((
            format!("check --format {format}"),
            vec![
                "check".into(),
                config.clone(),
                "--format".into(),
                format.into(),
                "--color".into(),
                "always".into(),
            ],
        ));
    }
    // Every format at once, to files.
    let mut all = vec!["check".to_string(), config.clone()];
    for (format, file) in [
        ("human", "r.txt"),
        ("json", "r.json"),
        ("junit", "r.xml"),
        ("sarif", "r.sarif"),
        ("github", "r.github"),
    ] {
        all.push("--format".into());
        all.push(format!("{format}={}", report(file)));
    }
    all.push("--write-baseline".into());
    all.push(report("baseline.json"));
    runs.push(("check, every format to files".into(), all));
    for verbose in [false, true] {
        let mut args = vec!["doctor".to_string(), config.clone(), "--color".into()];
        args.push("always".into());
        if verbose {
            args.push("--verbose".into());
        }
        runs.push((format!("doctor verbose={verbose}"), args));
    }
    for extra in [
        vec!["--format", "json"],
        vec!["--format", "table"],
        vec!["--format", "json", "--explain"],
        vec!["--format", "table", "--explain"],
    ] {
        let mut args = vec!["targets".to_string(), config.clone()];
        args.extend(extra.iter().map(|s| s.to_string()));
        runs.push((format!("targets {}", extra.join(" ")), args));
    }

    let mut seen_findings = String::new();
    for (what, args) in &runs {
        let out = support::run(
            Command::new(support::preflight_bin())
                .args(args)
                .env("RUST_LOG", "trace")
                .env("RUST_BACKTRACE", "1"),
            Duration::from_secs(120),
        );
        assert!(
            !out.stderr.contains("panicked"),
            "{what}: panic: {}",
            out.stderr
        );
        scan(&format!("{what}: stdout"), &out.stdout, &secrets);
        scan(&format!("{what}: stderr"), &out.stderr, &secrets);
        seen_findings.push_str(&out.stdout);
    }
    let mut written = 0;
    for entry in std::fs::read_dir(&reports).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        scan(&path.display().to_string(), &text, &secrets);
        seen_findings.push_str(&text);
        written += 1;
    }
    assert_eq!(written, 6, "every report file was written");
    // The error paths were really taken.
    for id in [
        "auth/unauthorized",
        "rbac/forbidden",
        "scrape/http-status",
        "scrape/failed",
        "tls/unknown-authority",
        "sd/unauthorized",
    ] {
        assert!(seen_findings.contains(id), "no {id} finding in any output");
    }
    for job in [
        "unreadable-token-file",
        "bad-client-cert",
        "refused",
        "echo-403",
        "echo-403-basic",
        "sd-echo-403",
    ] {
        assert!(seen_findings.contains(job), "job {job} reported nowhere");
    }
    drop(echo);
    drop(sim);
}
