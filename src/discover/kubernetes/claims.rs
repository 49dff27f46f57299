//! What a bearer token says about itself: the claims of a JWT (service-account tokens are JWTs),
//! decoded without verifying the signature. Only the claims are kept; the token never leaves the
//! HTTP client. Pure.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The claims findings quote: who the token is, who issued it, and until when it is valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TokenClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<String>,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    exp: Option<f64>,
    #[serde(default)]
    iat: Option<f64>,
    #[serde(default)]
    aud: Option<Audience>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// The claims of `token`, or `None` when it is not a JWT (an opaque token).
pub fn decode(token: &str) -> Option<TokenClaims> {
    let mut parts = token.trim().split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || payload.len() > 64 * 1024 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let raw: Raw = serde_json::from_slice(&bytes).ok()?;
    let audiences = match raw.aud {
        None => Vec::new(),
        Some(Audience::One(a)) => vec![a],
        Some(Audience::Many(a)) => a,
    };
    Some(TokenClaims {
        subject: raw.sub,
        issuer: raw.iss,
        expires_at: raw.exp.map(|e| e as i64),
        issued_at: raw.iat.map(|e| e as i64),
        audiences,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.{}", b(r#"{"alg":"RS256"}"#), b(payload), b("sig"))
    }

    #[test]
    fn decodes_service_account_claims() {
        let claims = decode(&jwt(
            r#"{"iss":"https://kubernetes.default.svc","sub":"system:serviceaccount:monitoring:prometheus","exp":1700000000,"aud":["https://kubernetes.default.svc"]}"#,
        ))
        .unwrap();
        assert_eq!(
            claims.subject.as_deref(),
            Some("system:serviceaccount:monitoring:prometheus")
        );
        assert_eq!(claims.expires_at, Some(1_700_000_000));
        assert_eq!(claims.audiences.len(), 1);
    }

    #[test]
    fn opaque_tokens_have_no_claims() {
        assert!(decode("abcdef").is_none());
        assert!(decode("a.b.c").is_none());
    }
}

/// Unix seconds as RFC 3339 UTC (`2024-05-01T12:00:00Z`), for messages about expiry.
pub fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn formats_unix_time() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
