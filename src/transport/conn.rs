//! One GET, by hand: DNS → TCP connect (through an HTTP CONNECT proxy when configured) → TLS →
//! HTTP/1.1 or HTTP/2 → streamed body, each phase timed and bounded by the request's deadline.
//! Redirects are followed as Go's client does (up to a cap, with `Referer`).

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout_at;

use crate::config::model::Secret;
use crate::transport::auth::Credentials;
use crate::transport::body::{BodyConsumer, BodyEnd, BodyStats, Decoder, Sink};
use crate::transport::pool::{Connection, Key, Pool, SendError, Sender};
use crate::transport::verifier::{TlsFacts, TlsSetup};
use crate::transport::{
    FailureKind, Fetch, FetchFailure, Options, Phase, Phases, Request, Response, TransportError,
};

/// The read buffer of an HTTP/1.1 connection grows to about this size. hyper's default (about
/// 400 KiB) is reached by every connection that carries a large body, and idle connections keep
/// it: in a fleet run that was about 20 MB more at peak. A response head still unfinished once
/// this much has arrived is refused (Go accepts up to 10 MB; no metrics endpoint or API server
/// sends a head near 64 KiB).
pub(crate) const READ_BUFFER_MAX: usize = 64 * 1024;

/// The shared state behind a `Transport`.
pub(crate) struct Inner {
    pub tls: TlsSetup,
    pub credentials: Credentials,
    pub proxy: Option<Proxy>,
    pub follow_redirects: bool,
    pub enable_http2: bool,
    pub options: Options,
    pub pool: Pool,
}

/// An `http://` proxy reached with CONNECT for https targets and absolute-form requests for
/// http targets.
pub(crate) struct Proxy {
    host: String,
    port: u16,
    authorization: Option<Secret>,
}

impl Proxy {
    pub fn parse(text: &str) -> Result<Proxy, TransportError> {
        let url = url::Url::parse(text).map_err(|e| TransportError::Proxy(e.to_string()))?;
        if url.scheme() != "http" {
            return Err(TransportError::Unsupported(format!(
                "proxy_url scheme {}",
                url.scheme()
            )));
        }
        let host = url
            .host_str()
            .ok_or_else(|| TransportError::Proxy("no host".into()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let authorization = (!url.username().is_empty()).then(|| {
            use base64::Engine;
            let raw = format!("{}:{}", url.username(), url.password().unwrap_or(""));
            Secret::new(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            ))
        });
        Ok(Proxy {
            host,
            port: url.port_or_known_default().unwrap_or(80),
            authorization,
        })
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// Where one hop stands when it fails: the failure plus what was measured up to then.
struct HopError {
    failure: FetchFailure,
}

impl From<FetchFailure> for HopError {
    fn from(failure: FetchFailure) -> Self {
        HopError { failure }
    }
}

/// A response whose headers arrived; the body is still to be read.
struct Opened {
    response: hyper::Response<Incoming>,
    /// The connection it came on, and where that leads (for the pool once the body is read).
    connection: Connection,
    key: Key,
}

pub(crate) async fn get(
    inner: &Inner,
    request: &Request,
    consumer: &mut dyn BodyConsumer,
) -> Fetch {
    let start = Instant::now();
    let deadline = tokio::time::Instant::from_std(start + request.timeout);
    let mut url = request.url.clone();
    let mut redirects = Vec::new();
    let mut referer: Option<String> = None;
    let mut fetch = Fetch {
        url: request.url.to_string(),
        redirects: Vec::new(),
        phases: Phases::default(),
        tls: None,
        outcome: Err(FetchFailure::new(FailureKind::Http, "no request made")),
    };
    loop {
        let mut phases = Phases::default();
        let opened = open(
            inner,
            &url,
            request,
            referer.as_deref(),
            deadline,
            &mut phases,
            &mut fetch.tls,
        )
        .await;
        let opened = match opened {
            Ok(o) => o,
            Err(e) => {
                phases.total = start.elapsed();
                fetch.phases = phases;
                fetch.redirects = redirects;
                fetch.outcome = Err(e.failure);
                return fetch;
            }
        };
        let status = opened.response.status().as_u16();
        let location = header(&opened.response, hyper::header::LOCATION);
        if inner.follow_redirects && matches!(status, 301 | 302 | 303 | 307 | 308) {
            if let Some(loc) = &location {
                drop(opened.connection);
                if redirects.len() >= inner.options.max_redirects {
                    phases.total = start.elapsed();
                    fetch.phases = phases;
                    fetch.redirects = redirects;
                    fetch.outcome = Err(FetchFailure::new(
                        FailureKind::TooManyRedirects,
                        format!("stopped after {} redirects", inner.options.max_redirects),
                    ));
                    return fetch;
                }
                match url.join(loc) {
                    Ok(next) if matches!(next.scheme(), "http" | "https") => {
                        // Go sends no Referer when going from https to http.
                        referer = (!(url.scheme() == "https" && next.scheme() == "http"))
                            .then(|| url.to_string());
                        redirects.push(next.to_string());
                        url = next;
                        continue;
                    }
                    _ => {
                        phases.total = start.elapsed();
                        fetch.phases = phases;
                        fetch.redirects = redirects;
                        fetch.outcome = Err(FetchFailure::new(
                            FailureKind::Http,
                            format!("failed to parse Location header {loc:?}"),
                        ));
                        return fetch;
                    }
                }
            }
        }
        let response = read_body(inner, request, opened, deadline, &mut phases, consumer).await;
        phases.total = start.elapsed();
        fetch.phases = phases;
        fetch.redirects = redirects;
        fetch.outcome = Ok(response);
        return fetch;
    }
}

fn header(resp: &hyper::Response<Incoming>, name: hyper::header::HeaderName) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The request's response headers: on an idle connection to the same place when the pool has
/// one, else on a new one (DNS, connect, TLS).
async fn open(
    inner: &Inner,
    url: &url::Url,
    request: &Request,
    referer: Option<&str>,
    deadline: tokio::time::Instant,
    phases: &mut Phases,
    tls_out: &mut Option<TlsFacts>,
) -> Result<Opened, HopError> {
    // Prometheus's round trippers read credential files before dialing.
    let authorization = inner
        .credentials
        .header()
        .map_err(|e| FetchFailure::new(FailureKind::Credentials, e.to_string()))?;
    let https = url.scheme() == "https";
    let host = match url.host() {
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        Some(h) => h.to_string(),
        None => {
            return Err(FetchFailure::new(FailureKind::Http, "http: no Host in request URL").into())
        }
    };
    let port = url
        .port_or_known_default()
        .unwrap_or(if https { 443 } else { 80 });
    let key = Key { https, host, port };
    let absolute_form = inner.proxy.is_some() && !https;
    let replayable = request.body.is_none();
    if let Some(mut connection) = inner.pool.take(&key) {
        let req = build_request(
            url,
            request,
            authorization.clone(),
            referer,
            connection.sender.is_http2(),
            absolute_form,
        )?;
        let t = Instant::now();
        match timeout_at(deadline, connection.sender.send(req)).await {
            Err(_) => return Err(FetchFailure::timeout(Phase::FirstByte).into()),
            Ok(Ok(response)) => {
                phases.connection_reused = true;
                phases.first_byte = Some(t.elapsed());
                *tls_out = connection.tls.clone();
                return Ok(Opened {
                    response,
                    connection,
                    key,
                });
            }
            // The server closed the idle connection as the request went out: Go's transport
            // sends it again on a new connection when that is safe, and so do we.
            Ok(Err(SendError { not_sent, error }))
                if not_sent || (replayable && closed(&error)) => {}
            Ok(Err(SendError { error, .. })) => return Err(hyper_failure(error)),
        }
    }
    let mut connection = dial(inner, &key, deadline, phases, tls_out).await?;
    let req = build_request(
        url,
        request,
        authorization,
        referer,
        connection.sender.is_http2(),
        absolute_form,
    )?;
    let t = Instant::now();
    let response = match timeout_at(deadline, connection.sender.send(req)).await {
        Err(_) => return Err(FetchFailure::timeout(Phase::FirstByte).into()),
        Ok(Err(e)) => return Err(hyper_failure(e.error)),
        Ok(Ok(r)) => r,
    };
    phases.first_byte = Some(t.elapsed());
    Ok(Opened {
        response,
        connection,
        key,
    })
}

/// Whether a send failed because the connection was already closed (not because of what the
/// server answered).
fn closed(error: &hyper::Error) -> bool {
    error.is_canceled() || error.is_closed() || error.is_incomplete_message()
}

/// A new connection to `key`: DNS, connect (through the proxy when configured), TLS, and the
/// HTTP handshake.
async fn dial(
    inner: &Inner,
    key: &Key,
    deadline: tokio::time::Instant,
    phases: &mut Phases,
    tls_out: &mut Option<TlsFacts>,
) -> Result<Connection, HopError> {
    let Key { https, host, port } = key;
    let (https, port) = (*https, *port);
    let (dial_host, dial_port) = match &inner.proxy {
        Some(p) => (p.host.clone(), p.port),
        None => (host.clone(), port),
    };
    let addrs = resolve(
        &dial_host,
        dial_port,
        deadline,
        phases,
        inner.proxy.is_some(),
    )
    .await?;
    let t = Instant::now();
    let tcp = match timeout_at(deadline, connect(&addrs)).await {
        Err(_) => return Err(FetchFailure::timeout(Phase::Connect).into()),
        Ok(Err(message)) => {
            let message = if inner.proxy.is_some() {
                format!("proxyconnect tcp: {message}")
            } else {
                message
            };
            return Err(FetchFailure::new(FailureKind::Connect, message).into());
        }
        Ok(Ok(s)) => s,
    };
    let _ = tcp.set_nodelay(true);
    let mut stream: Box<dyn Io> = Box::new(tcp);
    if let (Some(proxy), true) = (&inner.proxy, https) {
        stream = proxy_connect(stream, proxy, host, port, deadline).await?;
    }
    phases.connect = Some(t.elapsed());
    let mut tls = None;
    if https {
        let (tls_stream, facts) = handshake(inner, host, stream, deadline, phases, tls_out).await?;
        *tls_out = Some(facts.clone());
        tls = Some(facts);
        stream = tls_stream;
    }
    let h2 = tls
        .as_ref()
        .is_some_and(|facts: &TlsFacts| facts.alpn.as_deref() == Some("h2"));
    let io = TokioIo::new(stream);
    let (sender, driver) = if h2 {
        let (sender, conn) = timeout_at(
            deadline,
            hyper::client::conn::http2::handshake(TokioExecutor::new(), io),
        )
        .await
        .map_err(|_| FetchFailure::timeout(Phase::FirstByte))?
        .map_err(hyper_failure)?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        (Sender::Http2(sender), driver)
    } else {
        let (sender, conn) = timeout_at(
            deadline,
            hyper::client::conn::http1::Builder::new()
                .max_buf_size(READ_BUFFER_MAX)
                .handshake(io),
        )
        .await
        .map_err(|_| FetchFailure::timeout(Phase::FirstByte))?
        .map_err(hyper_failure)?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        (Sender::Http1(sender), driver)
    };
    Ok(Connection {
        sender,
        driver,
        tls,
    })
}

/// The TLS handshake, keeping the facts of the chain whether or not it is accepted.
async fn handshake(
    inner: &Inner,
    host: &str,
    stream: Box<dyn Io>,
    deadline: tokio::time::Instant,
    phases: &mut Phases,
    tls_out: &mut Option<TlsFacts>,
) -> Result<(Box<dyn Io>, TlsFacts), HopError> {
    let name = inner
        .tls
        .server_name
        .clone()
        .unwrap_or_else(|| host.to_string());
    let alpn: &[&[u8]] = if inner.enable_http2 {
        &[b"h2", b"http/1.1"]
    } else {
        &[b"http/1.1"]
    };
    let (config, capture) = inner
        .tls
        .client_config(alpn)
        .map_err(|e| FetchFailure::new(FailureKind::Tls { problem: None }, e.to_string()))?;
    let server_name = ServerName::try_from(name.clone()).map_err(|_| {
        FetchFailure::new(
            FailureKind::Tls { problem: None },
            format!("tls: invalid server name {name:?}"),
        )
    })?;
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let t = Instant::now();
    let result = timeout_at(deadline, connector.connect(server_name, stream)).await;
    let mut facts = inner.tls.facts(&name, &capture);
    let tls_stream = match result {
        Err(_) => {
            *tls_out = Some(facts);
            return Err(FetchFailure::timeout(Phase::Tls).into());
        }
        Ok(Err(e)) => {
            let failure = tls_failure(&e, &facts);
            *tls_out = Some(facts);
            return Err(failure.into());
        }
        Ok(Ok(s)) => s,
    };
    phases.tls = Some(t.elapsed());
    let (_, session) = tls_stream.get_ref();
    facts.protocol_version = session
        .protocol_version()
        .map(|v| format!("{v:?}").replace('_', "."));
    facts.alpn = session
        .alpn_protocol()
        .map(|p| String::from_utf8_lossy(p).into_owned());
    Ok((Box::new(tls_stream), facts))
}

async fn resolve(
    host: &str,
    port: u16,
    deadline: tokio::time::Instant,
    phases: &mut Phases,
    via_proxy: bool,
) -> Result<Vec<SocketAddr>, HopError> {
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let t = Instant::now();
    let found = timeout_at(deadline, tokio::net::lookup_host((host, port))).await;
    phases.dns = Some(t.elapsed());
    let prefix = if via_proxy { "proxyconnect tcp: " } else { "" };
    match found {
        Err(_) => Err(FetchFailure::timeout(Phase::Dns).into()),
        Ok(Err(_)) => Err(FetchFailure::new(
            FailureKind::Dns,
            format!("{prefix}dial tcp: lookup {host}: no such host"),
        )
        .into()),
        Ok(Ok(addrs)) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                return Err(FetchFailure::new(
                    FailureKind::Dns,
                    format!("{prefix}dial tcp: lookup {host}: no such host"),
                )
                .into());
            }
            Ok(addrs)
        }
    }
}

/// Tries each address in turn, as Go's dialer does; the last error wins.
async fn connect(addrs: &[SocketAddr]) -> Result<TcpStream, String> {
    let mut last = String::from("dial tcp: no addresses");
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => return Ok(s),
            Err(e) => last = format!("dial tcp {addr}: connect: {}", os_error_text(&e)),
        }
    }
    Err(last)
}

/// An OS error as Go prints it: `connection refused`, not `Connection refused (os error 111)`.
pub(crate) fn os_error_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().collect::<String>() + chars.as_str(),
        None => text,
    }
}

async fn proxy_connect(
    mut stream: Box<dyn Io>,
    proxy: &Proxy,
    host: &str,
    port: u16,
    deadline: tokio::time::Instant,
) -> Result<Box<dyn Io>, HopError> {
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(auth) = &proxy.authorization {
        head.push_str("Proxy-Authorization: ");
        head.push_str(auth.expose());
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let exchange = async {
        stream.write_all(head.as_bytes()).await?;
        // Read the proxy's answer byte by byte up to the blank line (bounded), so nothing of
        // the TLS stream that follows is consumed.
        let mut answer = Vec::new();
        let mut byte = [0u8; 1];
        while !answer.ends_with(b"\r\n\r\n") && answer.len() < 8192 {
            let n = stream.read(&mut byte).await?;
            if n == 0 {
                break;
            }
            answer.push(byte[0]);
        }
        Ok::<Vec<u8>, std::io::Error>(answer)
    };
    let answer = match timeout_at(deadline, exchange).await {
        Err(_) => return Err(FetchFailure::timeout(Phase::Connect).into()),
        Ok(Err(e)) => {
            return Err(FetchFailure::new(
                FailureKind::Proxy,
                format!("proxyconnect tcp: {}", os_error_text(&e)),
            )
            .into())
        }
        Ok(Ok(a)) => a,
    };
    let text = String::from_utf8_lossy(&answer);
    let status_line = text.lines().next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let _version = parts.next();
    let code = parts.next().unwrap_or("");
    if code != "200" {
        let reason = parts.next().unwrap_or("").trim();
        let message = if status_line.is_empty() {
            "proxyconnect tcp: unexpected EOF".to_string()
        } else {
            format!("{code} {reason}").trim().to_string()
        };
        return Err(FetchFailure::new(FailureKind::Proxy, message).into());
    }
    Ok(stream)
}

fn build_request(
    url: &url::Url,
    request: &Request,
    authorization: Option<Secret>,
    referer: Option<&str>,
    h2: bool,
    absolute_form: bool,
) -> Result<hyper::Request<Full<Bytes>>, HopError> {
    let path_and_query = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let uri = if h2 || absolute_form {
        url.as_str().to_string()
    } else {
        path_and_query
    };
    let method = if request.body.is_some() {
        "POST"
    } else {
        "GET"
    };
    let mut b = hyper::Request::builder().method(method).uri(uri);
    if !h2 {
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => String::new(),
        };
        b = b.header(hyper::header::HOST, host);
    }
    for (name, value) in &request.headers {
        if name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("host") {
            continue;
        }
        b = b.header(name.as_str(), value.as_str());
    }
    if let Some(r) = referer {
        b = b.header(hyper::header::REFERER, r);
    }
    if let Some(auth) = authorization {
        let mut value = hyper::header::HeaderValue::from_str(auth.expose()).map_err(|_| {
            FetchFailure::new(
                FailureKind::Credentials,
                "net/http: invalid header field value for \"Authorization\"",
            )
        })?;
        value.set_sensitive(true);
        b = b.header(hyper::header::AUTHORIZATION, value);
    }
    let body = Bytes::from(request.body.clone().unwrap_or_default());
    b.body(Full::new(body)).map_err(|e| {
        FetchFailure::new(FailureKind::Http, format!("failed to build request: {e}")).into()
    })
}

fn tls_failure(e: &std::io::Error, facts: &TlsFacts) -> FetchFailure {
    let rustls_error = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match rustls_error {
        Some(rustls::Error::InvalidCertificate(_)) if facts.problem.is_some() => FetchFailure::new(
            FailureKind::Tls {
                problem: facts.problem.clone(),
            },
            facts.go_message().unwrap_or_default(),
        ),
        Some(rustls::Error::AlertReceived(alert)) => FetchFailure::new(
            FailureKind::Tls { problem: None },
            format!("remote error: tls: {}", alert_text(*alert)),
        ),
        Some(other) => {
            FetchFailure::new(FailureKind::Tls { problem: None }, format!("tls: {other}"))
        }
        None if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            FetchFailure::new(FailureKind::Reset, "EOF")
        }
        None => FetchFailure::new(FailureKind::Reset, os_error_text(e)),
    }
}

/// Go's `alert.String()` texts for the alerts servers send.
fn alert_text(alert: rustls::AlertDescription) -> String {
    use rustls::AlertDescription as A;
    match alert {
        A::HandshakeFailure => "handshake failure".into(),
        A::BadCertificate => "bad certificate".into(),
        A::UnsupportedCertificate => "unsupported certificate".into(),
        A::CertificateExpired => "expired certificate".into(),
        A::CertificateUnknown => "unknown certificate".into(),
        A::UnknownCA => "unknown certificate authority".into(),
        A::ProtocolVersion => "protocol version not supported".into(),
        A::InternalError => "internal error".into(),
        A::CertificateRequired => "certificate required".into(),
        A::AccessDenied => "access denied".into(),
        A::DecryptError => "error decrypting message".into(),
        A::UnrecognisedName => "unrecognized name".into(),
        A::NoApplicationProtocol => "no application protocol".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn hyper_failure(e: hyper::Error) -> HopError {
    FetchFailure::new(FailureKind::Reset, hyper_message(&e)).into()
}

fn hyper_message(e: &hyper::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionReset => "read: connection reset by peer".into(),
                std::io::ErrorKind::UnexpectedEof => "unexpected EOF".into(),
                _ => os_error_text(io),
            };
        }
        source = s.source();
    }
    if e.is_incomplete_message() || e.is_closed() {
        return "EOF".into();
    }
    if e.is_parse_too_large() {
        return format!(
            "net/http: server response headers exceeded {READ_BUFFER_MAX} bytes; aborted"
        );
    }
    if e.is_canceled() {
        return "context canceled".into();
    }
    e.to_string()
}

async fn read_body(
    inner: &Inner,
    request: &Request,
    opened: Opened,
    deadline: tokio::time::Instant,
    phases: &mut Phases,
    consumer: &mut dyn BodyConsumer,
) -> Response {
    let Opened {
        response,
        connection,
        key,
    } = opened;
    let version = connection.sender.version();
    let status = response.status();
    let content_encoding = header(&response, hyper::header::CONTENT_ENCODING);
    let gzip = content_encoding
        .as_deref()
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("gzip"));
    let mut out = Response {
        status: status.as_u16(),
        status_text: format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )
        .trim()
        .to_string(),
        http_version: version.to_string(),
        content_type: header(&response, hyper::header::CONTENT_TYPE),
        content_encoding,
        content_length: header(&response, hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.trim().parse().ok()),
        location: header(&response, hyper::header::LOCATION),
        www_authenticate: header(&response, hyper::header::WWW_AUTHENTICATE),
        body_prefix: Vec::new(),
        body: BodyStats {
            compressed_bytes: 0,
            uncompressed_bytes: 0,
            gzip,
            end: BodyEnd::Complete,
        },
    };
    let success = status.is_success();
    if success {
        consumer.start(out.content_type.as_deref());
    }
    let options = &inner.options;
    let sink = if success {
        Sink::new(
            options.body_prefix_bytes,
            request.body_limit,
            options.max_body_bytes,
            Some(&mut *consumer),
        )
    } else {
        Sink::new(options.error_body_bytes, None, options.max_body_bytes, None)
    };
    let mut decoder = Decoder::new(gzip, sink);
    let mut body = response.into_body();
    let t = Instant::now();
    let mut compressed = 0u64;
    let end = loop {
        match timeout_at(deadline, body.frame()).await {
            Err(_) => {
                break BodyEnd::Failed {
                    message: "context deadline exceeded".into(),
                    timeout: true,
                }
            }
            Ok(None) => match decoder.finish() {
                Ok(()) => break BodyEnd::Complete,
                Err(end) => break end,
            },
            Ok(Some(Err(e))) => {
                break BodyEnd::Failed {
                    message: hyper_message(&e),
                    timeout: false,
                }
            }
            Ok(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    compressed += data.len() as u64;
                    if let Err(end) = decoder.push(data) {
                        break end;
                    }
                }
            }
        }
    };
    phases.transfer = Some(t.elapsed());
    drop(body);
    // Only a connection whose response was read to its end can carry the next request.
    if end == BodyEnd::Complete {
        inner.pool.put(key, connection);
    } else {
        drop(connection);
    }
    out.body_prefix = decoder.prefix().to_vec();
    out.body.uncompressed_bytes = decoder.uncompressed();
    out.body.compressed_bytes = compressed;
    drop(decoder);
    if success && end == BodyEnd::Complete {
        consumer.finish();
    }
    out.body.end = end;
    out
}
