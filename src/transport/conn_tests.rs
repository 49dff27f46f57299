//! Connections against small servers on loopback that count the connections they accept:
//! reuse, and the size of a response head.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::config::model::HttpClientConfig;
use crate::transport::conn::READ_BUFFER_MAX;
use crate::transport::{BodyEnd, CountOnly, Fetch, Options, Request, Transport};

/// How the server treats a connection after each answer.
#[derive(Clone, Copy)]
enum After {
    /// Keeps it open for the next request.
    KeepAlive,
    /// Says `Connection: close` and closes it.
    SayClose,
    /// Closes it without a word, as a server whose idle timeout passed.
    SilentClose,
}

struct Server {
    url: String,
    accepted: Arc<AtomicUsize>,
}

/// A plain-HTTP server on loopback that counts the connections it accepts and hands each to
/// `handle` on a thread of its own.
fn listen(handle: impl Fn(TcpStream) + Clone + Send + 'static) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!("http://{}/metrics", listener.local_addr().expect("address"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            let handle = handle.clone();
            std::thread::spawn(move || handle(stream));
        }
    });
    Server { url, accepted }
}

/// An HTTP/1.1 server answering every request with `body`.
fn serve(after: After, body: &'static str) -> Server {
    listen(move |stream| answer(stream, after, body))
}

/// A server whose answer carries one header of `bytes` bytes.
fn serve_long_head(bytes: usize) -> Server {
    listen(move |stream| {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        while matches!(reader.read_line(&mut line), Ok(n) if n > 0) && line != "\r\n" {
            line.clear();
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\nX-Padding: {}\r\nContent-Length: 5\r\n\r\nup 1\n",
            "a".repeat(bytes)
        );
        let _ = reader.into_inner().write_all(head.as_bytes());
    })
}

fn answer(stream: TcpStream, after: After, body: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut writer = stream;
    loop {
        // The request head, up to its blank line.
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) if line == "\r\n" => break,
                Ok(_) => {}
            }
        }
        let close = matches!(after, After::SayClose);
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n{}\r\n",
            body.len(),
            if close { "Connection: close\r\n" } else { "" }
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(body.as_bytes()).is_err()
        {
            return;
        }
        if !matches!(after, After::KeepAlive) {
            return;
        }
    }
}

fn fetch_all(
    transport: &Transport,
    url: &str,
    times: usize,
    body_limit: Option<u64>,
) -> Vec<Fetch> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let mut fetches = Vec::new();
        for _ in 0..times {
            let mut request = Request::get(url.parse().expect("url"), Duration::from_secs(5));
            request.body_limit = body_limit;
            fetches.push(transport.get(&request, &mut CountOnly).await);
            // Lets the finished connection's task notice the end of the response.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        fetches
    })
}

fn transport() -> Transport {
    Transport::new(&HttpClientConfig::default(), &Options::default()).expect("a transport")
}

fn assert_all_ok(fetches: &[Fetch]) {
    for (i, fetch) in fetches.iter().enumerate() {
        let response = fetch.outcome.as_ref().unwrap_or_else(|f| {
            panic!("request {i} failed: {}", f.message);
        });
        assert_eq!(response.status, 200, "request {i}");
    }
}

/// Three requests in turn through one transport to a server that treats its connections as
/// `after` says; every one must succeed. Returns them and how many connections were accepted.
fn three_requests(after: After) -> (Vec<Fetch>, usize) {
    let server = serve(after, "up 1\n");
    let fetches = fetch_all(&transport(), &server.url, 3, None);
    assert_all_ok(&fetches);
    (fetches, server.accepted.load(Ordering::SeqCst))
}

#[test]
fn a_job_reuses_its_idle_connection() {
    let (fetches, accepted) = three_requests(After::KeepAlive);
    assert_eq!(accepted, 1);
    assert!(!fetches[0].phases.connection_reused);
    assert!(fetches[0].phases.connect.is_some());
    for fetch in &fetches[1..] {
        assert!(fetch.phases.connection_reused);
        assert_eq!(fetch.phases.connect, None);
        assert!(fetch.phases.first_byte.is_some());
    }
}

#[test]
fn transports_do_not_share_connections() {
    let server = serve(After::KeepAlive, "up 1\n");
    assert_all_ok(&fetch_all(&transport(), &server.url, 1, None));
    assert_all_ok(&fetch_all(&transport(), &server.url, 1, None));
    assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
}

#[test]
fn connection_close_is_honoured() {
    let (fetches, accepted) = three_requests(After::SayClose);
    assert_eq!(accepted, 3);
    assert!(fetches.iter().all(|f| !f.phases.connection_reused));
}

#[test]
fn a_connection_the_server_dropped_is_replaced_without_an_error() {
    let (_, accepted) = three_requests(After::SilentClose);
    assert_eq!(accepted, 3);
}

#[test]
fn a_body_not_read_to_its_end_closes_its_connection() {
    let server = serve(After::KeepAlive, "up 1\nup 2\nup 3\n");
    let fetches = fetch_all(&transport(), &server.url, 2, Some(4));
    for fetch in &fetches {
        let response = fetch.outcome.as_ref().expect("a response");
        assert_eq!(response.body.end, BodyEnd::LimitReached { limit: 4 });
    }
    assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
    assert!(!fetches[1].phases.connection_reused);
}

/// An HTTPS server with a self-signed certificate for `127.0.0.1`, keeping connections alive.
fn serve_tls() -> Server {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    crate::transport::install_crypto_provider();
    let key = rcgen::KeyPair::generate().expect("key");
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("params");
    let cert = params.self_signed(&key).expect("certificate");
    let config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).expect("key der"),
        )
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let url = format!(
        "https://{}/metrics",
        listener.local_addr().expect("address")
    );
    listener.set_nonblocking(true).expect("nonblocking");
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            while let Ok((tcp, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while matches!(tls.read(&mut byte).await, Ok(1)) {
                        head.push(byte[0]);
                        if head.ends_with(b"\r\n\r\n") {
                            head.clear();
                            let reply = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nup 1\n";
                            if tls.write_all(reply).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
    });
    Server { url, accepted }
}

#[test]
fn a_reused_tls_connection_reports_the_chain_of_its_handshake() {
    let server = serve_tls();
    let mut http = HttpClientConfig::default();
    http.tls.insecure_skip_verify = true;
    let transport = Transport::new(&http, &Options::default()).expect("a transport");
    let fetches = fetch_all(&transport, &server.url, 2, None);
    assert_all_ok(&fetches);
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
    let first = fetches[0].tls.as_ref().expect("TLS facts of the handshake");
    let reused = fetches[1]
        .tls
        .as_ref()
        .expect("TLS facts on the reused connection");
    assert!(fetches[1].phases.connection_reused);
    assert_eq!(fetches[1].phases.tls, None);
    assert_eq!(first.chain.len(), 1);
    assert!(Arc::ptr_eq(&first.chain, &reused.chain));
    assert_eq!(reused.protocol_version.as_deref(), Some("TLSv1.3"));
    assert!(
        first.problem.is_some(),
        "a self-signed chain is judged, not trusted"
    );
}

#[test]
fn a_long_response_head_is_read_and_a_huge_one_is_refused_in_gos_words() {
    let fits = serve_long_head(READ_BUFFER_MAX / 2);
    assert_all_ok(&fetch_all(&transport(), &fits.url, 1, None));
    let over = serve_long_head(1 << 20);
    let fetches = fetch_all(&transport(), &over.url, 1, None);
    let failure = fetches[0]
        .outcome
        .as_ref()
        .expect_err("a head over the limit fails");
    assert_eq!(
        failure.message,
        format!("net/http: server response headers exceeded {READ_BUFFER_MAX} bytes; aborted")
    );
}
