//! A Kubernetes service-account token's claims, decoded without verification to explain a 401:
//! who it names, who issued it, for which audiences, and whether it has expired. The token itself
//! is never kept or printed; only these claims are. Pure.

use base64::Engine;
use serde::Serialize;

/// Legacy Secret-based token or a bound (TokenRequest/projected) one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenKind {
    /// `iss: kubernetes/serviceaccount`, no expiry; valid while its Secret exists.
    Legacy,
    /// Issued by the TokenRequest API: has `exp` and audiences.
    Bound,
    /// A JWT that is not a service-account token.
    Other,
}

/// The claims of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenClaims {
    pub kind: TokenKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<String>,
    /// Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// The pod a bound token dies with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound_pod: Option<String>,
    /// The Secret a legacy token lives in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl TokenClaims {
    pub fn expired_at(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|exp| exp <= now)
    }
}

/// Decodes the claims segment of a JWT; `None` when `token` is not a JWT.
pub fn decode(token: &str) -> Option<TokenClaims> {
    let mut parts = token.trim().split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let bytes = engine.decode(payload.trim_end_matches('=')).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let s = |key: &str| v.get(key).and_then(|x| x.as_str()).map(str::to_string);
    let n = |key: &str| v.get(key).and_then(|x| x.as_i64());
    let audiences = match v.get("aud") {
        Some(serde_json::Value::String(a)) => vec![a.clone()],
        Some(serde_json::Value::Array(list)) => list
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let k8s = v.get("kubernetes.io");
    let at = |path: &[&str]| {
        let mut cur = k8s?;
        for p in path {
            cur = cur.get(p)?;
        }
        cur.as_str().map(str::to_string)
    };
    let issuer = s("iss");
    let kind = if issuer.as_deref() == Some("kubernetes/serviceaccount") {
        TokenKind::Legacy
    } else if k8s.is_some() {
        TokenKind::Bound
    } else {
        TokenKind::Other
    };
    let legacy = |suffix: &str| s(&format!("kubernetes.io/serviceaccount/{suffix}"));
    Some(TokenClaims {
        kind,
        subject: s("sub"),
        audiences,
        expires_at: n("exp"),
        issued_at: n("iat"),
        namespace: at(&["namespace"]).or_else(|| legacy("namespace")),
        service_account: at(&["serviceaccount", "name"]).or_else(|| legacy("service-account.name")),
        bound_pod: at(&["pod", "name"]),
        secret: at(&["secret", "name"]).or_else(|| legacy("secret.name")),
        issuer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.c2ln",
            e.encode(r#"{"alg":"RS256"}"#),
            e.encode(claims)
        )
    }

    #[test]
    fn bound_token() {
        let t = jwt(
            r#"{"aud":["https://kubernetes.default.svc.cluster.local"],"exp":1700003600,"iat":1700000000,"iss":"https://kubernetes.default.svc.cluster.local","kubernetes.io":{"namespace":"monitoring","pod":{"name":"prometheus-0","uid":"u"},"serviceaccount":{"name":"prometheus","uid":"v"}},"nbf":1700000000,"sub":"system:serviceaccount:monitoring:prometheus"}"#,
        );
        let c = decode(&t).unwrap();
        assert_eq!(c.kind, TokenKind::Bound);
        assert_eq!(
            c.subject.as_deref(),
            Some("system:serviceaccount:monitoring:prometheus")
        );
        assert_eq!(c.namespace.as_deref(), Some("monitoring"));
        assert_eq!(c.service_account.as_deref(), Some("prometheus"));
        assert_eq!(c.bound_pod.as_deref(), Some("prometheus-0"));
        assert!(c.expired_at(1700003600));
        assert!(!c.expired_at(1700000000));
    }

    #[test]
    fn legacy_token() {
        let t = jwt(
            r#"{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"monitoring","kubernetes.io/serviceaccount/secret.name":"prometheus-token","kubernetes.io/serviceaccount/service-account.name":"prometheus","sub":"system:serviceaccount:monitoring:prometheus"}"#,
        );
        let c = decode(&t).unwrap();
        assert_eq!(c.kind, TokenKind::Legacy);
        assert_eq!(c.expires_at, None);
        assert_eq!(c.secret.as_deref(), Some("prometheus-token"));
        assert!(!c.expired_at(i64::MAX));
    }

    #[test]
    fn not_a_jwt() {
        assert_eq!(decode("opaque-token"), None);
        assert_eq!(decode("a.b.c.d"), None);
        assert_eq!(decode("a.!!!.c"), None);
    }
}
