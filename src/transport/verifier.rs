//! TLS client setup from a job's `tls_config`, with a capturing certificate verifier: it keeps
//! the chain the server presented and the verdict even when verification fails, and re-judges
//! the chain under alternatives (the job's CA without `insecure_skip_verify`; a `server_name`
//! the leaf does carry). Prometheus's own verdict is what the handshake follows: a chain the job
//! would reject is rejected, so credentials never reach a server the job would not trust.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::Serialize;

use crate::config::model::TlsConfig;
use crate::recent::Recent;
use crate::transport::certs::{classify, CertFacts, TlsProblem};
use crate::transport::TransportError;

/// Cipher suites in the order Go's client offers them on a CPU with AES instructions (Go's
/// `defaultCipherSuitesTLS13`, then its TLS 1.2 preference order), which is what Prometheus
/// offers. ring's own order puts AES-256 first; a server honouring the client's order then
/// runs 14 AES rounds per block where it runs 10 for Prometheus.
const GO_CIPHER_SUITE_ORDER: [rustls::CipherSuite; 9] = [
    rustls::CipherSuite::TLS13_AES_128_GCM_SHA256,
    rustls::CipherSuite::TLS13_AES_256_GCM_SHA384,
    rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    rustls::CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// ring's crypto provider, offering its cipher suites in Go's order.
pub(crate) fn go_ordered_provider() -> CryptoProvider {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites.sort_by_key(|suite| {
        GO_CIPHER_SUITE_ORDER
            .iter()
            .position(|id| *id == suite.suite())
            .unwrap_or(GO_CIPHER_SUITE_ORDER.len())
    });
    provider
}

/// What one handshake showed about the server's certificates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TlsFacts {
    /// The name verified (and sent as SNI when it is a DNS name): `server_name` or the URL host.
    pub server_name: String,
    /// The chain as presented, leaf first; empty when the handshake ended before it. Shared by
    /// every handshake of the job that was shown the same certificates.
    pub chain: Arc<[CertFacts]>,
    /// The verdict under the job's own settings; `None` when no chain was seen.
    pub problem: Option<TlsProblem>,
    /// Whether a chain was seen and judged.
    pub judged: bool,
    /// The job sets `insecure_skip_verify: true` (so `problem` did not stop the handshake).
    pub insecure_skip_verify: bool,
    /// Whether a `ca_file` was configured (otherwise the system roots were used).
    pub ca_configured: bool,
    /// A name the leaf carries under which the chain verifies, when the job's name does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name_that_verifies: Option<String>,
    /// The negotiated protocol version and ALPN protocol, after a successful handshake.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpn: Option<String>,
}

impl TlsFacts {
    /// The leaf certificate, when one was presented.
    pub fn leaf(&self) -> Option<&CertFacts> {
        self.chain.first()
    }
    /// Go's wording of `problem` (no `tls: failed to verify certificate: ` prefix).
    pub fn go_message(&self) -> Option<String> {
        self.problem.as_ref().map(|p| p.go_message(self.leaf()))
    }
}

/// The long-lived part of a TLS setup: roots, the client certificate, versions.
#[derive(Debug)]
pub struct TlsSetup {
    provider: Arc<CryptoProvider>,
    inner: Option<Arc<WebPkiServerVerifier>>,
    client_auth: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    versions: Vec<&'static rustls::SupportedProtocolVersion>,
    pub server_name: Option<String>,
    pub insecure_skip_verify: bool,
    ca_configured: bool,
    chains: ParsedChains,
}

/// Certificate chains already parsed for this job, by their DER bytes.
///
/// The targets of a job mostly share a few servers (through the API server proxy, hundreds of
/// targets share one), and every probe keeps its chain's facts for the report: parsed once and
/// shared, a fleet's facts hold each chain once instead of once per target, and the X.509
/// parsing is done once per chain.
#[derive(Debug, Clone)]
struct ParsedChains(Arc<Mutex<Recent<ChainDer, Arc<[CertFacts]>>>>);

/// A chain's certificates as presented, leaf first, in DER.
type ChainDer = Vec<Vec<u8>>;

impl Default for ParsedChains {
    fn default() -> Self {
        ParsedChains(Arc::new(Mutex::new(Recent::new(Self::KEPT))))
    }
}

impl ParsedChains {
    /// Distinct chains kept; past this, the oldest is forgotten (and parsed again if seen again).
    const KEPT: usize = 64;

    fn get(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
    ) -> Arc<[CertFacts]> {
        let Ok(mut kept) = self.0.lock() else {
            return parse_chain(end_entity, intermediates);
        };
        let presented = || std::iter::once(end_entity).chain(intermediates);
        kept.get_or_build(
            |ders| {
                ders.len() == 1 + intermediates.len()
                    && ders
                        .iter()
                        .zip(presented())
                        .all(|(kept, der)| kept[..] == der[..])
            },
            || {
                let ders = presented().map(|der| der.to_vec()).collect();
                (ders, parse_chain(end_entity, intermediates))
            },
        )
        .clone()
    }
}

fn parse_chain(
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
) -> Arc<[CertFacts]> {
    std::iter::once(end_entity)
        .chain(intermediates)
        .filter_map(|der| CertFacts::parse(der))
        .collect()
}

impl TlsSetup {
    /// Reads `ca_file`, `cert_file` and `key_file` and checks the version bounds.
    pub fn new(tls: &TlsConfig) -> Result<TlsSetup, TransportError> {
        if tls.ca_inline || tls.cert_inline || tls.key_inline {
            return Err(TransportError::Unsupported(
                "inline tls_config ca, cert or key".into(),
            ));
        }
        let provider = Arc::new(go_ordered_provider());
        let mut roots = RootCertStore::empty();
        match &tls.ca_file {
            Some(file) => {
                let bytes =
                    std::fs::read(&file.resolved).map_err(|e| TransportError::ReadFile {
                        what: "ca_file",
                        path: file.written.clone(),
                        source: e,
                    })?;
                let mut any = false;
                for cert in CertificateDer::pem_slice_iter(&bytes).flatten() {
                    any = true;
                    let _ = roots.add(cert);
                }
                if !any || roots.is_empty() {
                    return Err(TransportError::NoCertificates {
                        path: file.written.clone(),
                    });
                }
            }
            None => add_system_roots(&mut roots),
        }
        let inner = if roots.is_empty() {
            None
        } else {
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .ok()
        };
        let client_auth = match (&tls.cert_file, &tls.key_file) {
            (Some(cert), Some(key)) => {
                let bytes =
                    std::fs::read(&cert.resolved).map_err(|e| TransportError::ReadFile {
                        what: "cert_file",
                        path: cert.written.clone(),
                        source: e,
                    })?;
                let certs: Vec<CertificateDer<'static>> =
                    CertificateDer::pem_slice_iter(&bytes).flatten().collect();
                if certs.is_empty() {
                    return Err(TransportError::NoCertificates {
                        path: cert.written.clone(),
                    });
                }
                let key_bytes =
                    std::fs::read(&key.resolved).map_err(|e| TransportError::ReadFile {
                        what: "key_file",
                        path: key.written.clone(),
                        source: e,
                    })?;
                let key = PrivateKeyDer::from_pem_slice(&key_bytes).map_err(|_| {
                    TransportError::NoPrivateKey {
                        path: key.written.clone(),
                    }
                })?;
                Some((certs, Arc::new(key)))
            }
            _ => None,
        };
        Ok(TlsSetup {
            provider,
            inner,
            client_auth,
            versions: versions(tls)?,
            server_name: tls.server_name.clone().filter(|s| !s.is_empty()),
            insecure_skip_verify: tls.insecure_skip_verify,
            ca_configured: tls.ca_file.is_some(),
            chains: ParsedChains::default(),
        })
    }

    /// A client config for one connection, with a fresh capture slot.
    pub fn client_config(
        &self,
        alpn: &[&[u8]],
    ) -> Result<(rustls::ClientConfig, Arc<Mutex<Capture>>), TransportError> {
        let capture = Arc::new(Mutex::new(Capture::default()));
        let verifier = Arc::new(CapturingVerifier {
            inner: self.inner.clone(),
            provider: self.provider.clone(),
            insecure_skip_verify: self.insecure_skip_verify,
            capture: capture.clone(),
            chains: self.chains.clone(),
        });
        let builder = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(&self.versions)
            .map_err(|e| TransportError::Unsupported(format!("tls versions: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut config = match &self.client_auth {
            Some((certs, key)) => builder
                .with_client_auth_cert(certs.clone(), key.clone_key())
                .map_err(|e| TransportError::ClientCertificate(e.to_string()))?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        // Go's client keeps no session cache unless given one, and Prometheus gives none: every
        // new connection makes a full handshake. A config is made per connection, so a cache
        // here would only cost memory.
        config.resumption = rustls::client::Resumption::disabled();
        Ok((config, capture))
    }

    /// Facts from a capture, filled in with the job's settings.
    pub fn facts(&self, server_name: &str, capture: &Mutex<Capture>) -> TlsFacts {
        let captured = capture.lock().map(|c| c.clone()).unwrap_or_default();
        TlsFacts {
            server_name: server_name.to_string(),
            chain: captured.chain,
            problem: captured.problem,
            judged: captured.judged,
            insecure_skip_verify: self.insecure_skip_verify,
            ca_configured: self.ca_configured,
            server_name_that_verifies: captured.name_that_verifies,
            protocol_version: None,
            alpn: None,
        }
    }
}

fn versions(
    tls: &TlsConfig,
) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, TransportError> {
    let rank = |v: &Option<String>, default: u8| -> Result<u8, TransportError> {
        match v.as_deref() {
            None | Some("") => Ok(default),
            Some("TLS10") => Ok(10),
            Some("TLS11") => Ok(11),
            Some("TLS12") => Ok(12),
            Some("TLS13") => Ok(13),
            Some(other) => Err(TransportError::Unsupported(format!("tls version {other}"))),
        }
    };
    let min = rank(&tls.min_version, 12)?;
    let max = rank(&tls.max_version, 13)?;
    let mut out = Vec::new();
    if min <= 13 && max >= 13 {
        out.push(&rustls::version::TLS13);
    }
    if min <= 12 && max >= 12 {
        out.push(&rustls::version::TLS12);
    }
    if out.is_empty() {
        return Err(TransportError::Unsupported(
            "tls versions below TLS 1.2 only".into(),
        ));
    }
    Ok(out)
}

/// Loads the system's trust store from the usual bundle files (as Go does on Linux).
fn add_system_roots(roots: &mut RootCertStore) {
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    if let Some(f) = std::env::var_os("SSL_CERT_FILE") {
        files.push(f.into());
    }
    for f in [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/ca-bundle.pem",
        "/etc/pki/tls/cacert.pem",
        "/etc/ssl/cert.pem",
    ] {
        files.push(f.into());
    }
    for f in files {
        if let Ok(bytes) = std::fs::read(&f) {
            for cert in CertificateDer::pem_slice_iter(&bytes).flatten() {
                let _ = roots.add(cert);
            }
            if !roots.is_empty() {
                return;
            }
        }
    }
}

/// What the verifier saw during one handshake.
#[derive(Debug, Clone, Default)]
pub struct Capture {
    pub chain: Arc<[CertFacts]>,
    pub problem: Option<TlsProblem>,
    pub judged: bool,
    pub name_that_verifies: Option<String>,
}

#[derive(Debug)]
struct CapturingVerifier {
    inner: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
    insecure_skip_verify: bool,
    capture: Arc<Mutex<Capture>>,
    chains: ParsedChains,
}

impl CapturingVerifier {
    fn verify_with(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), rustls::CertificateError> {
        let Some(inner) = &self.inner else {
            return Err(rustls::CertificateError::UnknownIssuer);
        };
        match inner.verify_server_cert(end_entity, intermediates, name, &[], now) {
            Ok(_) => Ok(()),
            Err(rustls::Error::InvalidCertificate(e)) => Err(e),
            Err(other) => Err(rustls::CertificateError::Other(rustls::OtherError(
                Arc::new(std::io::Error::other(other.to_string())),
            ))),
        }
    }
}

fn host_of(name: &ServerName<'_>) -> String {
    match name {
        ServerName::DnsName(d) => d.as_ref().to_string(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        _ => String::new(),
    }
}

impl ServerCertVerifier for CapturingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let chain = self.chains.get(end_entity, intermediates);
        let host = host_of(server_name);
        let verdict = self.verify_with(end_entity, intermediates, server_name, now);
        let now_secs = now.as_secs() as i64;
        let problem = classify(chain.first(), &host, now_secs, verdict.clone());
        // Alternative: a name the leaf carries under which the whole chain verifies.
        let mut name_that_verifies = None;
        if matches!(problem, Some(TlsProblem::NameMismatch { .. })) {
            if let Some(leaf) = chain.first() {
                for san in leaf.sans() {
                    if san.contains('*') {
                        continue;
                    }
                    let Ok(alt) = ServerName::try_from(san.to_string()) else {
                        continue;
                    };
                    if self
                        .verify_with(end_entity, intermediates, &alt, now)
                        .is_ok()
                    {
                        name_that_verifies = Some(san.to_string());
                        break;
                    }
                }
            }
        }
        if let Ok(mut slot) = self.capture.lock() {
            *slot = Capture {
                chain,
                problem: problem.clone(),
                judged: true,
                name_that_verifies,
            };
        }
        if self.insecure_skip_verify {
            return Ok(ServerCertVerified::assertion());
        }
        match (verdict, problem) {
            (Ok(()), None) => Ok(ServerCertVerified::assertion()),
            (Err(e), _) => Err(rustls::Error::InvalidCertificate(e)),
            // Go refuses what webpki would accept (e.g. an expired leaf it checks first).
            (Ok(()), Some(_)) => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed(name: &str) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec![name.to_string()]).expect("params");
        params.self_signed(&key).expect("certificate").der().clone()
    }

    #[test]
    fn a_chain_is_parsed_once_and_shared_and_others_are_kept_apart() {
        let chains = ParsedChains::default();
        let (a, b) = (self_signed("a.example"), self_signed("b.example"));
        let first = chains.get(&a, &[]);
        let again = chains.get(&a, &[]);
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(first[0].dns_names, vec!["a.example".to_string()]);
        let other = chains.get(&b, &[]);
        assert_eq!(other[0].dns_names, vec!["b.example".to_string()]);
        // The same leaf with an intermediate is another chain.
        let longer = chains.get(&a, std::slice::from_ref(&b));
        assert_eq!(longer.len(), 2);
        assert!(!Arc::ptr_eq(&first, &longer));
    }

    /// The suite a rustls server with ring's default order (AES-256 first; it follows the
    /// client's order) picks in an in-memory handshake with a client of `tls`.
    fn negotiated(tls: &TlsConfig) -> rustls::CipherSuite {
        let key = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec!["127.0.0.1".into()]).expect("params");
        let cert = params.self_signed(&key).expect("certificate");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server_config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::try_from(key.serialize_der()).expect("key der"),
            )
            .expect("server config");
        let (client_config, _) = TlsSetup::new(tls)
            .expect("setup")
            .client_config(&[])
            .expect("client config");
        let name = ServerName::try_from("127.0.0.1").expect("name");
        let mut client: rustls::Connection =
            rustls::ClientConnection::new(Arc::new(client_config), name)
                .expect("client")
                .into();
        let mut server: rustls::Connection = rustls::ServerConnection::new(Arc::new(server_config))
            .expect("server")
            .into();
        while client.is_handshaking() || server.is_handshaking() {
            deliver(&mut client, &mut server);
            deliver(&mut server, &mut client);
        }
        server.negotiated_cipher_suite().expect("a suite").suite()
    }

    /// Moves what `from` has to send into `to`, and lets `to` process it.
    fn deliver(from: &mut rustls::Connection, to: &mut rustls::Connection) {
        let mut flight = Vec::new();
        from.write_tls(&mut flight).expect("write a flight");
        to.read_tls(&mut flight.as_slice()).expect("read a flight");
        to.process_new_packets().expect("handshake");
    }

    #[test]
    fn the_client_offers_aes_128_first_as_go_does() {
        let tls = TlsConfig {
            insecure_skip_verify: true,
            ..TlsConfig::default()
        };
        assert_eq!(
            negotiated(&tls),
            rustls::CipherSuite::TLS13_AES_128_GCM_SHA256
        );
        let tls12 = TlsConfig {
            max_version: Some("TLS12".into()),
            ..tls
        };
        assert_eq!(
            negotiated(&tls12),
            rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        );
    }

    #[test]
    fn only_the_newest_chains_are_kept() {
        let chains = ParsedChains::default();
        let first = self_signed("first.example");
        let kept = chains.get(&first, &[]);
        for i in 0..ParsedChains::KEPT {
            chains.get(&self_signed(&format!("n{i}.example")), &[]);
        }
        let parsed_again = chains.get(&first, &[]);
        assert!(!Arc::ptr_eq(&kept, &parsed_again));
        assert_eq!(kept, parsed_again);
    }
}
