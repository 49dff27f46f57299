//! Facts about presented certificates (subject, issuer, SANs, validity) and the judgement Go's
//! `crypto/x509` would pass on them, worded as Go words it, so a probe's error lines up with
//! Prometheus's `lastError`. Pure.

use std::net::IpAddr;

use serde::Serialize;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// One certificate as the server presented it; the leaf comes first in a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertFacts {
    pub subject: String,
    pub issuer: String,
    /// The subject's common name, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<String>,
    /// Unix seconds.
    pub not_before: i64,
    /// Unix seconds.
    pub not_after: i64,
    pub is_ca: bool,
    /// Subject and issuer are the same name (a self-signed certificate, as kubelets make).
    pub self_signed: bool,
    /// Whether the certificate has a subjectAltName extension at all.
    #[serde(skip)]
    pub has_san_extension: bool,
}

impl CertFacts {
    /// Parses one DER certificate; `None` when it is not a certificate x509-parser understands.
    pub fn parse(der: &[u8]) -> Option<CertFacts> {
        let (_, cert) = X509Certificate::from_der(der).ok()?;
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        let mut has_san_extension = false;
        if let Ok(Some(san)) = cert.subject_alternative_name() {
            has_san_extension = true;
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(d) => dns_names.push((*d).to_string()),
                    GeneralName::IPAddress(bytes) => {
                        if let Some(ip) = ip_from_bytes(bytes) {
                            ip_addresses.push(ip.to_string());
                        }
                    }
                    _ => {}
                }
            }
        }
        let common_name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_string);
        let subject = cert.subject().to_string();
        let issuer = cert.issuer().to_string();
        Some(CertFacts {
            self_signed: subject == issuer,
            subject,
            issuer,
            common_name,
            dns_names,
            ip_addresses,
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            is_ca: cert.is_ca(),
            has_san_extension,
        })
    }

    /// Every name the certificate is valid for: DNS names, then IP addresses.
    pub fn sans(&self) -> impl Iterator<Item = &str> {
        self.dns_names
            .iter()
            .chain(self.ip_addresses.iter())
            .map(String::as_str)
    }

    /// Whether `host` (a DNS name or an IP address) is one the certificate is valid for, by
    /// Go's rules: IPs match IP SANs exactly; names match DNS SANs case-insensitively, with a
    /// wildcard only as the whole leftmost label.
    pub fn matches_host(&self, host: &str) -> bool {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return self
                .ip_addresses
                .iter()
                .any(|san| san.parse::<IpAddr>().ok() == Some(ip));
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.dns_names
            .iter()
            .any(|pattern| match_hostname(&pattern.to_ascii_lowercase(), &host))
    }
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => {
            let a: [u8; 4] = bytes.try_into().ok()?;
            Some(IpAddr::from(a))
        }
        16 => {
            let a: [u8; 16] = bytes.try_into().ok()?;
            Some(IpAddr::from(a))
        }
        _ => None,
    }
}

fn match_hostname(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.');
    if pattern.is_empty() || host.is_empty() {
        return false;
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let h: Vec<&str> = host.split('.').collect();
    if p.len() != h.len() {
        return false;
    }
    p.iter()
        .zip(&h)
        .enumerate()
        .all(|(i, (p, h))| (i == 0 && *p == "*") || p == h)
}

/// Formats unix seconds as Go's `time.RFC3339` in UTC (`2024-01-02T03:04:05Z`).
pub fn rfc3339(unix: i64) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// Why a certificate chain was not accepted, in the order Go checks: the leaf's validity
/// period, then the name, then the authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TlsProblem {
    /// The leaf's `notAfter` is in the past.
    Expired { now: i64, not_after: i64 },
    /// The leaf's `notBefore` is in the future.
    NotYetValid { now: i64, not_before: i64 },
    /// The leaf does not name the host (or `server_name`) the client asked for.
    NameMismatch { host: String },
    /// No chain leads to a trusted root (`ca_file`, or the system roots without one).
    UnknownAuthority,
    /// Anything else the verifier refused; `detail` is rustls's description.
    Other { detail: String },
}

impl TlsProblem {
    /// The message Go's `crypto/x509` gives for this problem (without the
    /// `tls: failed to verify certificate: ` prefix newer Go versions add).
    pub fn go_message(&self, leaf: Option<&CertFacts>) -> String {
        match self {
            TlsProblem::Expired { now, not_after } => format!(
                "x509: certificate has expired or is not yet valid: current time {} is after {}",
                rfc3339(*now),
                rfc3339(*not_after)
            ),
            TlsProblem::NotYetValid { now, not_before } => format!(
                "x509: certificate has expired or is not yet valid: current time {} is before {}",
                rfc3339(*now),
                rfc3339(*not_before)
            ),
            TlsProblem::NameMismatch { host } => hostname_error(leaf, host),
            TlsProblem::UnknownAuthority => "x509: certificate signed by unknown authority".into(),
            TlsProblem::Other { detail } => format!("x509: {detail}"),
        }
    }
}

/// Go's `x509.HostnameError.Error()`.
fn hostname_error(leaf: Option<&CertFacts>, host: &str) -> String {
    let Some(c) = leaf else {
        return format!("x509: certificate is not valid for any names, but wanted to match {host}");
    };
    if !c.has_san_extension
        && c.common_name
            .as_deref()
            .is_some_and(|cn| match_hostname(&cn.to_ascii_lowercase(), &host.to_ascii_lowercase()))
    {
        return "x509: certificate relies on legacy Common Name field, use SANs instead".into();
    }
    let valid = if host.parse::<IpAddr>().is_ok() {
        if c.ip_addresses.is_empty() {
            return format!(
                "x509: cannot validate certificate for {host} because it doesn't contain any IP SANs"
            );
        }
        c.ip_addresses.join(", ")
    } else {
        c.dns_names.join(", ")
    };
    if valid.is_empty() {
        return format!("x509: certificate is not valid for any names, but wanted to match {host}");
    }
    format!("x509: certificate is valid for {valid}, not {host}")
}

/// Judges a chain as Go would: leaf validity first, then the name, then what the real verifier
/// (rustls/webpki, which also checks the chain) said.
pub fn classify(
    leaf: Option<&CertFacts>,
    host: &str,
    now: i64,
    verifier: Result<(), rustls::CertificateError>,
) -> Option<TlsProblem> {
    if let Some(leaf) = leaf {
        if now > leaf.not_after {
            return Some(TlsProblem::Expired {
                now,
                not_after: leaf.not_after,
            });
        }
        if now < leaf.not_before {
            return Some(TlsProblem::NotYetValid {
                now,
                not_before: leaf.not_before,
            });
        }
        if !leaf.matches_host(host) {
            return Some(TlsProblem::NameMismatch { host: host.into() });
        }
    }
    use rustls::CertificateError as E;
    match verifier {
        Ok(()) => None,
        Err(E::UnknownIssuer | E::BadSignature) => Some(TlsProblem::UnknownAuthority),
        Err(E::NotValidForName | E::NotValidForNameContext { .. }) => {
            Some(TlsProblem::NameMismatch { host: host.into() })
        }
        Err(E::Expired | E::ExpiredContext { .. }) => Some(TlsProblem::Other {
            detail: "a certificate in the chain has expired".into(),
        }),
        Err(other) => {
            let text = format!("{other:?}");
            // webpki stops at 6 intermediates; Go's verifier has no depth limit, so a longer
            // chain Prometheus accepts cannot be judged here: say so instead of a type name.
            let detail = if text.contains("MaximumPathDepthExceeded") {
                "the chain has more intermediate certificates than the prober verifies (at most \
                 6; Go sets no such limit, so Prometheus may accept it)"
                    .to_string()
            } else {
                text
            };
            Some(TlsProblem::Other { detail })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(dns: &[&str], ips: &[&str]) -> CertFacts {
        CertFacts {
            subject: "CN=k3s".into(),
            issuer: "CN=k3s-server-ca".into(),
            common_name: Some("k3s".into()),
            dns_names: dns.iter().map(|s| s.to_string()).collect(),
            ip_addresses: ips.iter().map(|s| s.to_string()).collect(),
            not_before: 0,
            not_after: 2_000_000_000,
            is_ca: false,
            self_signed: false,
            has_san_extension: !(dns.is_empty() && ips.is_empty()),
        }
    }

    #[test]
    fn go_hostname_messages() {
        let c = leaf(&["kubernetes"], &["10.43.0.1", "127.0.0.1"]);
        let p = TlsProblem::NameMismatch {
            host: "100.22.117.32".into(),
        };
        assert_eq!(
            p.go_message(Some(&c)),
            "x509: certificate is valid for 10.43.0.1, 127.0.0.1, not 100.22.117.32"
        );
        let c = leaf(&["node1"], &[]);
        assert_eq!(
            TlsProblem::NameMismatch {
                host: "10.0.0.5".into()
            }
            .go_message(Some(&c)),
            "x509: cannot validate certificate for 10.0.0.5 because it doesn't contain any IP SANs"
        );
        assert_eq!(
            TlsProblem::NameMismatch {
                host: "kubernetes.default.svc".into()
            }
            .go_message(Some(&leaf(&["apiserver"], &[]))),
            "x509: certificate is valid for apiserver, not kubernetes.default.svc"
        );
        let mut legacy = leaf(&[], &[]);
        legacy.common_name = Some("host.example".into());
        assert_eq!(
            TlsProblem::NameMismatch {
                host: "host.example".into()
            }
            .go_message(Some(&legacy)),
            "x509: certificate relies on legacy Common Name field, use SANs instead"
        );
    }

    #[test]
    fn expiry_message_uses_rfc3339() {
        let p = TlsProblem::Expired {
            now: 1_704_067_200,
            not_after: 1_703_980_800,
        };
        assert_eq!(
            p.go_message(None),
            "x509: certificate has expired or is not yet valid: current time 2024-01-01T00:00:00Z is after 2023-12-31T00:00:00Z"
        );
    }

    #[test]
    fn wildcard_only_leftmost() {
        let c = leaf(&["*.example.com"], &[]);
        assert!(c.matches_host("a.example.com"));
        assert!(c.matches_host("A.Example.com"));
        assert!(!c.matches_host("a.b.example.com"));
        assert!(!c.matches_host("example.com"));
    }

    #[test]
    fn go_order_expiry_before_name() {
        let mut c = leaf(&["x"], &[]);
        c.not_after = 10;
        let p = classify(
            Some(&c),
            "y",
            20,
            Err(rustls::CertificateError::UnknownIssuer),
        );
        assert!(matches!(p, Some(TlsProblem::Expired { .. })));
        let c = leaf(&["x"], &[]);
        let p = classify(
            Some(&c),
            "x",
            20,
            Err(rustls::CertificateError::UnknownIssuer),
        );
        assert_eq!(p, Some(TlsProblem::UnknownAuthority));
    }
}
