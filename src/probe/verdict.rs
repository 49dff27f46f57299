//! Prometheus's verdict on one scrape: `health` up or down, and `lastError` in its own words
//! (`server returned HTTP status 403 Forbidden`, `Get "URL": context deadline exceeded`,
//! `body size limit exceeded`, x509 texts with the prefix newer Go versions add), then the
//! payload's: content type (3.0+), parse errors, `label_limit`, the length limits and
//! `sample limit exceeded`, as the exposition analyzer words them. Pure.

use serde::Serialize;

use crate::exposition::Summary;
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

/// Whether Prometheus could deliver alerts to an Alertmanager whose status request went like
/// `fetch`: a connection, TLS or timeout failure is worded as for a scrape; any 2xx status is
/// fine (as for `sendOne`), another is `bad response status 404 Not Found`.
pub fn alertmanager_verdict(fetch: &Fetch, version: PrometheusVersion) -> (Health, Option<String>) {
    match &fetch.outcome {
        Err(_) => verdict(fetch, None, version),
        Ok(r) if r.status / 100 == 2 => (Health::Up, None),
        Ok(r) => (
            Health::Down,
            Some(format!("bad response status {}", r.status_text)),
        ),
    }
}

/// The health and `lastError` Prometheus would show after one scrape that went like `fetch`,
/// whose 2xx body the analyzer summarized as `payload`.
pub fn verdict(
    fetch: &Fetch,
    payload: Option<&Summary>,
    version: PrometheusVersion,
) -> (Health, Option<String>) {
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
    // The body was read whole (or to the limit); now the parser and the limits judge it.
    if let Some(summary) = payload.filter(|s| s.verdict.health == "down") {
        return (Health::Down, summary.verdict.error.clone());
    }
    (Health::Up, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exposition::{Limits, Options};
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
            verdict(&f, None, v),
            (
                Health::Down,
                Some("server returned HTTP status 403 Forbidden".into())
            )
        );
        let f = fetch(Err(FetchFailure::timeout(Phase::FirstByte)));
        assert_eq!(
            verdict(&f, None, v).1.unwrap(),
            "Get \"https://127.0.0.1:10250/metrics\": context deadline exceeded"
        );
        let f = fetch(Ok(response(
            200,
            "200 OK",
            BodyEnd::LimitReached { limit: 10 },
        )));
        assert_eq!(verdict(&f, None, v).1.unwrap(), "body size limit exceeded");
        let tls = FetchFailure::new(
            FailureKind::Tls {
                problem: Some(TlsProblem::UnknownAuthority),
            },
            "x509: certificate signed by unknown authority",
        );
        let f = fetch(Err(tls));
        assert_eq!(
            verdict(&f, None, v).1.unwrap(),
            "Get \"https://127.0.0.1:10250/metrics\": x509: certificate signed by unknown authority"
        );
        assert!(verdict(&f, None, PrometheusVersion::DEFAULT)
            .1
            .unwrap()
            .contains(": tls: failed to verify certificate: x509: certificate signed"));
        let f = fetch(Ok(response(200, "200 OK", BodyEnd::Complete)));
        assert_eq!(verdict(&f, None, v), (Health::Up, None));
    }

    fn analyzed(
        body: &str,
        content_type: &str,
        limits: Limits,
        version: PrometheusVersion,
    ) -> Summary {
        crate::exposition::analyze(
            body.as_bytes(),
            Options {
                limits,
                content_type: Some(content_type.into()),
                version,
                ..Options::default()
            },
        )
    }

    #[test]
    fn content_type_rule_since_3_0() {
        let f = fetch(Ok(response(200, "200 OK", BodyEnd::Complete)));
        let blank = analyzed("up 1\n", "", Limits::default(), PrometheusVersion::V2_42);
        assert_eq!(
            verdict(&f, Some(&blank), PrometheusVersion::V2_42),
            (Health::Up, None)
        );
        let v3 = PrometheusVersion::DEFAULT;
        let blank = analyzed("up 1\n", "", Limits::default(), v3);
        assert_eq!(
            verdict(&f, Some(&blank), v3).1.unwrap(),
            "non-compliant scrape target sending blank Content-Type and no fallback_scrape_protocol specified for target"
        );
        let html = analyzed("up 1\n", "text/html", Limits::default(), v3);
        assert_eq!(
            verdict(&f, Some(&html), v3).1.unwrap(),
            "received unsupported Content-Type \"text/html\" and no fallback_scrape_protocol specified for target"
        );
    }

    #[test]
    fn payload_limits_in_prometheus_words() {
        let f = fetch(Ok(response(200, "200 OK", BodyEnd::ConsumerStopped)));
        let v = PrometheusVersion::V2_42;
        let text = "a 1\nb 2\nc{x=\"1\",y=\"2\"} 3\n";
        let limits = Limits {
            sample_limit: 2,
            ..Limits::default()
        };
        let s = analyzed(text, "text/plain", limits, v);
        assert_eq!(verdict(&f, Some(&s), v).1.unwrap(), "sample limit exceeded");
        let limits = Limits {
            label_limit: 4,
            ..Limits::default()
        };
        let s = analyzed(text, "text/plain", limits, v);
        assert_eq!(
            verdict(&f, Some(&s), v).1.unwrap(),
            "label_limit exceeded (metric: c, number of labels: 5, limit: 4)"
        );
        let s = analyzed("a 1\nb x\n", "text/plain", Limits::default(), v);
        assert_eq!(verdict(&f, Some(&s), v).0, Health::Down);
        let fine = analyzed(text, "text/plain", Limits::default(), v);
        assert_eq!(verdict(&f, Some(&fine), v), (Health::Up, None));
    }
}
