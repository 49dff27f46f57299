//! Hostile servers: each case starts a loopback server that misbehaves in one way, runs the real
//! `prom-preflight check CONFIG --format json` against it, and asserts that the run ends in a
//! clear finding (check id and error class), that the probe's own recorded time stays within the
//! target's scrape timeout plus one second, that the process did not panic, and that its peak
//! resident memory (the child's `ru_maxrss`, the kernel's VmHWM at exit) stays bounded.
//!
//! Durations are read from the report's probe facts, never from the test's wall clock.

mod support;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Peak RSS allowed for a whole check run against one hostile server.
const MAX_RSS_KB: u64 = 150 * 1024;
/// The scrape timeout of most hostile jobs, in seconds.
const TIMEOUT: u64 = 2;

/// What the server does with each connection.
type Behaviour = Arc<dyn Fn(TcpStream, &AtomicBool) + Send + Sync>;

/// A loopback server running `behaviour` on every connection until dropped.
struct Hostile {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Hostile {
    fn start(behaviour: Behaviour) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let accept = thread::spawn(move || {
            let mut workers = Vec::new();
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let b = behaviour.clone();
                let f = flag.clone();
                workers.push(thread::spawn(move || b(conn, &f)));
            }
            for w in workers {
                let _ = w.join();
            }
        });
        Hostile {
            addr,
            stop,
            accept: Some(accept),
        }
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// Sleeps in small steps; false once the server is stopping.
fn pause(stop: &AtomicBool, d: Duration) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
    !stop.load(Ordering::SeqCst)
}

/// Reads the request head (bounded), so the client is past writing when we misbehave.
fn read_head(conn: &mut TcpStream) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
}

/// Holds the connection open, silent, until the server stops.
fn hold(conn: TcpStream, stop: &AtomicBool) {
    while pause(stop, Duration::from_millis(200)) {}
    drop(conn);
}

/// Writes `total` bytes of `pattern` repeated, without ever holding them all.
fn stream_bytes(conn: &mut TcpStream, pattern: &[u8], total: u64, stop: &AtomicBool) -> bool {
    let mut chunk = Vec::with_capacity(64 * 1024);
    while chunk.len() + pattern.len() <= 64 * 1024 {
        chunk.extend_from_slice(pattern);
    }
    let mut sent = 0u64;
    while sent < total {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        let n = (total - sent).min(chunk.len() as u64) as usize;
        if conn.write_all(&chunk[..n]).is_err() {
            return false;
        }
        sent += n as u64;
    }
    true
}

fn http_response(conn: &mut TcpStream, head: &str) -> bool {
    conn.write_all(head.as_bytes()).is_ok()
}

/// One hostile case: the server, the job's extra settings, and what must be reported.
struct Case {
    name: &'static str,
    behaviour: Behaviour,
    scheme: &'static str,
    /// Extra lines of the job (indented four spaces).
    extra: String,
    /// The finding that must be reported for this job.
    check: &'static str,
    /// A fragment of the probe's `error` (Prometheus's `lastError`).
    error: &'static str,
    /// The job's scrape timeout in seconds.
    timeout: u64,
}

/// What one run showed.
struct Outcome {
    report: Value,
    stderr: String,
    code: i32,
    /// `ru_maxrss` from `wait4`: an upper bound (it includes the test's size at fork).
    max_rss_kb: u64,
    /// The child's own `VmHWM`, sampled every 20 ms while it ran.
    vmhwm_kb: u64,
}

/// Runs the binary, waits for it with `wait4` to learn its peak RSS; kills it past `deadline`.
fn run_measured(cmd: &mut Command, deadline: Duration) -> Outcome {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("prom-preflight starts");
    let mut guard = testkit::ProcessGuard(child);
    let pid = guard.0.id() as libc::pid_t;
    let mut out_pipe = guard.0.stdout.take().unwrap();
    let mut err_pipe = guard.0.stderr.take().unwrap();
    let out_reader = thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out_pipe.read_to_end(&mut s);
        s
    });
    let err_reader = thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err_pipe.read_to_end(&mut s);
        s
    });
    let started = Instant::now();
    let mut vmhwm_kb = 0u64;
    let (status, rusage) = loop {
        // The child's own high-water mark, sampled while it runs (ru_maxrss below also counts
        // the parent's size at fork, so it only bounds from above).
        if let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                vmhwm_kb = vmhwm_kb.max(kb);
            }
        }
        let mut status = 0;
        // SAFETY: plain FFI calls with valid pointers to locals.
        let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut rusage) };
        if r == pid {
            break (status, rusage);
        }
        assert!(r == 0, "wait4 failed");
        if started.elapsed() > deadline {
            panic!("prom-preflight did not finish within {deadline:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    // Reaped: the guard must not kill a recycled pid.
    std::mem::forget(guard);
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("report is not JSON ({e}); stderr: {stderr}"));
    Outcome {
        report,
        stderr,
        code,
        max_rss_kb: rusage.ru_maxrss as u64,
        vmhwm_kb,
    }
}

fn write_config(dir: &Path, case: &Case, target: &str) -> std::path::PathBuf {
    let config = format!(
        "global:\n  scrape_interval: 10s\nscrape_configs:\n  - job_name: {}\n    scrape_timeout: {}s\n    scheme: {}\n{}    static_configs: [{{targets: ['{target}']}}]\n",
        case.name,
        case.timeout,
        case.scheme,
        case.extra,
    );
    let path = dir.join(format!("{}.yml", case.name));
    std::fs::write(&path, config).unwrap();
    path
}

/// Runs one case and checks everything the issue asks of it; returns a line for the log.
fn run_case(case: Case) -> String {
    let dir = tempfile::tempdir().unwrap();
    let server = Hostile::start(case.behaviour.clone());
    let config = write_config(dir.path(), &case, &server.addr.to_string());
    let out = run_measured(
        Command::new(support::preflight_bin()).args([
            "check",
            config.to_str().unwrap(),
            "--format",
            "json",
            "--prometheus-version",
            "2.42",
        ]),
        Duration::from_secs(60),
    );
    drop(server);
    let name = case.name;
    assert!(
        !out.stderr.contains("panicked"),
        "{name}: panic: {}",
        out.stderr
    );
    let target = &out.report["targets"][0];
    let total = target["fetch"]["phases"]["total"].as_f64().unwrap();
    let timeout = target["timeout"].as_f64().unwrap();
    assert_eq!(timeout, case.timeout as f64);
    assert!(
        total <= timeout + 1.0,
        "{name}: the probe took {total}s, over its timeout {timeout}s + 1s"
    );
    assert!(
        out.max_rss_kb <= MAX_RSS_KB,
        "{name}: peak RSS {} KB over {MAX_RSS_KB} KB",
        out.max_rss_kb
    );
    assert!(out.vmhwm_kb > 0, "{name}: VmHWM was never sampled");
    let error = target["error"].as_str().unwrap_or_default().to_string();
    let line = format!(
        "{name:<18} {:<22} probe {total:.3}s of {timeout}s  VmHWM {:>6} KB (ru_maxrss {:>6} KB)  error: {error}",
        case.check, out.vmhwm_kb, out.max_rss_kb
    );
    assert_eq!(out.code, 1, "{name}: findings expected; {}", out.stderr);
    let findings = out.report["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["check"] == case.check && f["job"] == name),
        "{name}: no {} finding in {findings:#?}",
        case.check
    );
    assert_eq!(target["health"], "down", "{name}: {target:#}");
    assert!(
        error.contains(case.error),
        "{name}: error {error:?} lacks {:?}",
        case.error
    );
    eprintln!("{line}");
    line
}

impl Case {
    /// A plain-HTTP job with the usual timeout and no extra settings, whose server runs
    /// `behaviour` on each connection; the case functions below override only what differs.
    fn new(
        name: &'static str,
        check: &'static str,
        error: &'static str,
        behaviour: impl Fn(TcpStream, &AtomicBool) + Send + Sync + 'static,
    ) -> Case {
        Case {
            name,
            behaviour: Arc::new(behaviour),
            scheme: "http",
            extra: String::new(),
            check,
            error,
            timeout: TIMEOUT,
        }
    }
}

const OK_HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n";

fn never_answers() -> Case {
    Case::new(
        "never-answers",
        "scrape/timeout",
        "context deadline exceeded",
        |mut c, stop| {
            read_head(&mut c);
            hold(c, stop);
        },
    )
}

fn trickling_headers() -> Case {
    Case::new(
        "trickling-headers",
        "scrape/timeout",
        "context deadline exceeded",
        |mut c, stop| {
            read_head(&mut c);
            for b in OK_HEAD.bytes().chain(*b"X-Slow: yes\r\n") {
                if c.write_all(&[b]).is_err() || !pause(stop, Duration::from_secs(1)) {
                    return;
                }
            }
            hold(c, stop);
        },
    )
}

fn endless_body() -> Case {
    Case::new(
        "endless-body",
        "scrape/timeout",
        "context deadline exceeded",
        |mut c, stop| {
            read_head(&mut c);
            if !http_response(
                &mut c,
                &format!("{OK_HEAD}Transfer-Encoding: chunked\r\n\r\n"),
            ) {
                return;
            }
            let line = b"up 1\n";
            let chunk = format!("{:x}\r\n{}\r\n", line.len(), "up 1\n");
            while pause(stop, Duration::from_millis(10)) {
                if c.write_all(chunk.as_bytes()).is_err() {
                    return;
                }
            }
        },
    )
}

/// 1 GiB of zeros as 1,024 gzip members of 1 MiB each: about 1 MB on the wire.
fn gzip_bomb_bytes() -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(&vec![0u8; 1 << 20]).unwrap();
    let member = e.finish().unwrap();
    member.repeat(1024)
}

fn gzip_bomb() -> Case {
    let bomb = Arc::new(gzip_bomb_bytes());
    assert!(bomb.len() < 2 << 20, "bomb is {} bytes", bomb.len());
    Case {
        extra: "    body_size_limit: 10MB\n".into(),
        ..Case::new(
            "gzip-bomb",
            "scrape/body-size-limit",
            "body size limit exceeded",
            move |mut c, _stop| {
                read_head(&mut c);
                let head = format!(
                    "{OK_HEAD}Content-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
                    bomb.len()
                );
                if http_response(&mut c, &head) {
                    let _ = c.write_all(&bomb);
                }
            },
        )
    }
}

fn over_body_size_limit() -> Case {
    Case {
        extra: "    body_size_limit: 1MB\n".into(),
        ..Case::new(
            "ten-times-limit",
            "scrape/body-size-limit",
            "body size limit exceeded",
            |mut c, stop| {
                read_head(&mut c);
                let total = 10u64 << 20;
                if http_response(&mut c, &format!("{OK_HEAD}Content-Length: {total}\r\n\r\n")) {
                    stream_bytes(&mut c, b"metric_total{a=\"b\"} 1\n", total, stop);
                }
            },
        )
    }
}

fn reset_mid_body() -> Case {
    Case::new("reset-mid-body", "scrape/failed", "", |mut c, stop| {
        read_head(&mut c);
        if !http_response(&mut c, &format!("{OK_HEAD}Content-Length: 1048576\r\n\r\n")) {
            return;
        }
        if stream_bytes(&mut c, b"up 1\n", 100_000, stop) {
            // SO_LINGER 0: close sends a RST instead of a FIN.
            let fd = std::os::fd::AsRawFd::as_raw_fd(&c);
            let linger = libc::linger {
                l_onoff: 1,
                l_linger: 0,
            };
            // SAFETY: a valid socket and a pointer to a local of the right size.
            unsafe {
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    libc::SO_LINGER,
                    &linger as *const libc::linger as *const libc::c_void,
                    std::mem::size_of::<libc::linger>() as libc::socklen_t,
                );
            }
            let _ = c.shutdown(Shutdown::Read);
            drop(c);
        }
    })
}

fn redirect_loop() -> Case {
    Case::new(
        "redirect-loop",
        "scrape/failed",
        "stopped after 10 redirects",
        |mut c, _stop| {
            read_head(&mut c);
            let _ = http_response(
                &mut c,
                "HTTP/1.1 302 Found\r\nLocation: /metrics\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        },
    )
}

fn tls_handshake_stalls() -> Case {
    Case {
        scheme: "https",
        extra: "    tls_config: {insecure_skip_verify: true}\n".into(),
        ..Case::new(
            "tls-stall",
            "scrape/timeout",
            "context deadline exceeded",
            |mut c, stop| {
                // Take the ClientHello, answer nothing.
                let mut buf = [0u8; 4096];
                let _ = c.set_read_timeout(Some(Duration::from_millis(500)));
                let _ = c.read(&mut buf);
                hold(c, stop);
            },
        )
    }
}

fn status_403_of_10mb() -> Case {
    Case::new(
        "forbidden-10mb",
        "scrape/http-status",
        "server returned HTTP status 403 Forbidden",
        |mut c, stop| {
            read_head(&mut c);
            let total = 10u64 << 20;
            let head = format!(
                "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {total}\r\n\r\n"
            );
            if http_response(&mut c, &head) {
                stream_bytes(&mut c, b"Forbidden ", total, stop);
            }
        },
    )
}

/// A chain of 50 certificates: a root, 48 intermediates each signed by the one before, and a
/// leaf for 127.0.0.1. Returns the root's PEM and the server config presenting the other 49
/// plus the root (50 in all).
fn long_chain(dir: &Path) -> (std::path::PathBuf, Arc<rustls::ServerConfig>) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
    let ca_params = |cn: String| {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p
    };
    let root_key = KeyPair::generate().unwrap();
    let root_params = ca_params("hostile root".into());
    let root = root_params.self_signed(&root_key).unwrap();
    let mut chain = vec![root.der().clone()];
    let mut issuer = Issuer::new(root_params, root_key);
    for i in 1..=48 {
        let key = KeyPair::generate().unwrap();
        let params = ca_params(format!("hostile intermediate {i}"));
        let cert = params.signed_by(&key, &issuer).unwrap();
        chain.push(cert.der().clone());
        issuer = Issuer::new(params, key);
    }
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    params.subject_alt_names = vec![SanType::IpAddress("127.0.0.1".parse().unwrap())];
    let leaf = params.signed_by(&key, &issuer).unwrap();
    chain.push(leaf.der().clone());
    chain.reverse();
    assert_eq!(chain.len(), 50);
    let ca = dir.join("root.pem");
    std::fs::write(&ca, root.pem()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            chain,
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    (ca, Arc::new(config))
}

fn chain_of_50(dir: &Path) -> Case {
    let (ca, config) = long_chain(dir);
    Case {
        scheme: "https",
        extra: format!("    tls_config: {{ca_file: {}}}\n", ca.display()),
        // Go verifies a chain of any depth; webpki stops at 6 intermediates. The run must end
        // quickly with that said plainly (Prometheus itself may scrape this target).
        ..Case::new(
            "chain-of-50",
            "scrape/failed",
            "more intermediate certificates than the prober verifies",
            move |c, stop| {
                let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                    return;
                };
                let _ = c.set_read_timeout(Some(Duration::from_secs(5)));
                let mut tls = rustls::StreamOwned::new(conn, c);
                let mut buf = [0u8; 4096];
                if tls.read(&mut buf).is_err() {
                    return;
                }
                let body = "up 1\n";
                let _ = tls.write_all(
                    format!("{OK_HEAD}Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes(),
                );
                let _ = tls.flush();
                pause(stop, Duration::from_millis(200));
            },
        )
    }
}

fn invalid_utf8_label_value() -> Case {
    Case::new(
        "invalid-utf8",
        "scrape/unparseable",
        "invalid UTF-8 label value",
        |mut c, _stop| {
            read_head(&mut c);
            let body: &[u8] = b"# TYPE up gauge\nup{zone=\"eu-\xff\xfe\"} 1\n";
            let head = format!("{OK_HEAD}Content-Length: {}\r\n\r\n", body.len());
            if http_response(&mut c, &head) {
                let _ = c.write_all(body);
            }
        },
    )
}

fn single_100mb_line() -> Case {
    Case {
        // Unoptimized test builds analyze slowly; the bound is still the job's own timeout.
        timeout: 10,
        ..Case::new("line-of-100mb", "scrape/unparseable", "", |mut c, stop| {
            read_head(&mut c);
            let total = 100u64 << 20;
            let head = format!("{OK_HEAD}Content-Length: {}\r\n\r\n", total + 1);
            if http_response(&mut c, &head) && stream_bytes(&mut c, b"x", total, stop) {
                let _ = c.write_all(b"\n");
            }
        })
    }
}

#[test]
fn hostile_servers_end_in_clear_findings_within_timeout_and_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let cases = vec![
        chain_of_50(dir.path()),
        never_answers(),
        trickling_headers(),
        endless_body(),
        gzip_bomb(),
        over_body_size_limit(),
        reset_mid_body(),
        redirect_loop(),
        tls_handshake_stalls(),
        status_403_of_10mb(),
        invalid_utf8_label_value(),
        single_100mb_line(),
    ];
    let lines = support::parallel_map(cases, 2, run_case);
    eprintln!("\n{}", lines.join("\n"));
}
