//! Prometheus's verdict on one scrape: `health` up or down, and `lastError` in its own words
//! (`server returned HTTP status 403 Forbidden`, `Get "URL": context deadline exceeded`,
//! `body size limit exceeded`, x509 texts with the prefix newer Go versions add). Pure.

use serde::Serialize;

use crate::go_quote::go_quote;
use crate::transport::{BodyEnd, FailureKind, Fetch};
use crate::version::PrometheusVersion;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Up,
    Down,
}

/// Builds of Prometheus with Go ≥ 1.20 (upstream 2.43 and later) wrap certificate errors.
fn tls_prefix(version: PrometheusVersion) -> &'static str {
    if version.at_least(2, 43) {
        "tls: failed to verify certificate: "
    } else {
        ""
    }
}

/// Content types 3.x parses without `fallback_scrape_protocol`.
fn supported_content_type(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return false;
    };
    let media = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    matches!(
        media.as_str(),
        "text/plain" | "application/openmetrics-text" | "application/vnd.google.protobuf"
    )
}

/// Whether Prometheus could deliver alerts to an Alertmanager whose status request went like
/// `fetch`: a connection, TLS or timeout failure is worded as for a scrape; any 2xx status is
/// fine (as for `sendOne`), another is `bad response status 404 Not Found`.
pub fn alertmanager_verdict(fetch: &Fetch, version: PrometheusVersion) -> (Health, Option<String>) {
    match &fetch.outcome {
        Err(_) => verdict(fetch, version),
        Ok(r) if r.status / 100 == 2 => (Health::Up, None),
        Ok(r) => (
            Health::Down,
            Some(format!("bad response status {}", r.status_text)),
        ),
    }
}

/// The health and `lastError` Prometheus would show after one scrape that went like `fetch`.
pub fn verdict(fetch: &Fetch, version: PrometheusVersion) -> (Health, Option<String>) {
    let response = match &fetch.outcome {
        Err(failure) => {
            let message = match &failure.kind {
                FailureKind::Tls { problem: Some(_) } => {
                    format!("{}{}", tls_prefix(version), failure.message)
                }
                _ => failure.message.clone(),
            };
            return (
                Health::Down,
                Some(format!("Get {}: {message}", go_quote(&fetch.url))),
            );
        }
        Ok(r) => r,
    };
    if response.status != 200 {
        return (
            Health::Down,
            Some(format!(
                "server returned HTTP status {}",
                response.status_text
            )),
        );
    }
    match &response.body.end {
        BodyEnd::LimitReached { .. } => {
            return (Health::Down, Some("body size limit exceeded".into()));
        }
        BodyEnd::Failed { message, .. } => return (Health::Down, Some(message.clone())),
        BodyEnd::Complete
        | BodyEnd::CapReached { .. }
        | BodyEnd::ConsumerStopped
        | BodyEnd::PrefixOnly => {}
    }
    if version.at_least(3, 0) && !supported_content_type(response.content_type.as_deref()) {
        return (
            Health::Down,
            Some(format!(
                "received unsupported Content-Type {} and no fallback_scrape_protocol specified for target",
                go_quote(response.content_type.as_deref().unwrap_or(""))
            )),
        );
    }
    (Health::Up, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{BodyStats, FetchFailure, Phase, Phases, Response, TlsProblem};

    fn fetch(outcome: Result<Response, FetchFailure>) -> Fetch {
        Fetch {
            url: "https://127.0.0.1:10250/metrics".into(),
            redirects: Vec::new(),
            phases: Phases::default(),
            tls: None,
            outcome,
        }
    }

    fn response(status: u16, text: &str, end: BodyEnd) -> Response {
        Response {
            status,
            status_text: text.into(),
            http_version: "HTTP/1.1".into(),
            content_type: Some("text/plain; version=0.0.4".into()),
            content_encoding: None,
            content_length: None,
            location: None,
            www_authenticate: None,
            body_prefix: Vec::new(),
            body: BodyStats {
                compressed_bytes: 0,
                uncompressed_bytes: 0,
                gzip: false,
                end,
            },
        }
    }

    #[test]
    fn prometheus_wording() {
        let v = PrometheusVersion::V2_42;
        let f = fetch(Ok(response(403, "403 Forbidden", BodyEnd::PrefixOnly)));
        assert_eq!(
            verdict(&f, v),
            (
                Health::Down,
                Some("server returned HTTP status 403 Forbidden".into())
            )
        );
        let f = fetch(Err(FetchFailure::timeout(Phase::FirstByte)));
        assert_eq!(
            verdict(&f, v).1.unwrap(),
            "Get \"https://127.0.0.1:10250/metrics\": context deadline exceeded"
        );
        let f = fetch(Ok(response(
            200,
            "200 OK",
            BodyEnd::LimitReached { limit: 10 },
        )));
        assert_eq!(verdict(&f, v).1.unwrap(), "body size limit exceeded");
        let tls = FetchFailure::new(
            FailureKind::Tls {
                problem: Some(TlsProblem::UnknownAuthority),
            },
            "x509: certificate signed by unknown authority",
        );
        let f = fetch(Err(tls));
        assert_eq!(
            verdict(&f, v).1.unwrap(),
            "Get \"https://127.0.0.1:10250/metrics\": x509: certificate signed by unknown authority"
        );
        assert!(verdict(&f, PrometheusVersion::DEFAULT)
            .1
            .unwrap()
            .contains(": tls: failed to verify certificate: x509: certificate signed"));
        let f = fetch(Ok(response(200, "200 OK", BodyEnd::Complete)));
        assert_eq!(verdict(&f, v), (Health::Up, None));
    }

    #[test]
    fn content_type_rule_since_3_0() {
        let mut r = response(200, "200 OK", BodyEnd::Complete);
        r.content_type = None;
        let f = fetch(Ok(r));
        assert_eq!(verdict(&f, PrometheusVersion::V2_42).0, Health::Up);
        assert_eq!(
            verdict(&f, PrometheusVersion::DEFAULT).1.unwrap(),
            "received unsupported Content-Type \"\" and no fallback_scrape_protocol specified for target"
        );
    }
}
