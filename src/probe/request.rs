//! The scrape request as Prometheus builds it for a target: URL from the finalized labels,
//! `Accept` for the selected version, `Accept-Encoding: gzip`, `User-Agent` and
//! `X-Prometheus-Scrape-Timeout-Seconds`; the deadline is the target's scrape timeout. Pure.

use std::time::Duration;

use crate::config::duration::parse_duration;
use crate::labels::{reserved, Labels};
use crate::transport::Request;
use crate::version::PrometheusVersion;

/// 2.42 (observed) and every release before scrape protocols became configurable (2.49).
const ACCEPT_2_42: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// 2.49–2.55: derived from the default `scrape_protocols` (OpenMetrics 1.0.0, 0.0.1, text 0.0.4).
const ACCEPT_2_49: &str = "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
/// 3.x: the default `scrape_protocols` with UTF-8 escaping on the newer formats.
const ACCEPT_3: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

/// The `Accept` header the selected version sends with default `scrape_protocols`.
pub fn accept_header(version: PrometheusVersion) -> &'static str {
    if version.at_least(3, 0) {
        ACCEPT_3
    } else if version.at_least(2, 49) {
        ACCEPT_2_49
    } else {
        ACCEPT_2_42
    }
}

/// Go's `strconv.FormatFloat(seconds, 'f', -1, 64)`: `10`, `0.5`, `1.25`.
pub fn timeout_seconds(timeout: Duration) -> String {
    format!("{}", timeout.as_secs_f64())
}

/// The target's scrape timeout from its `__scrape_timeout__` label, else the job's.
pub fn target_timeout(
    labels: &Labels,
    job_timeout: Duration,
    version: PrometheusVersion,
) -> Duration {
    labels
        .get(reserved::SCRAPE_TIMEOUT)
        .and_then(|t| parse_duration(t, version).ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(job_timeout)
}

/// The request for one scrape.
pub fn scrape_request(
    scrape_url: &str,
    timeout: Duration,
    body_size_limit: u64,
    version: PrometheusVersion,
) -> Result<Request, String> {
    let url =
        url::Url::parse(scrape_url).map_err(|e| format!("failed to parse {scrape_url:?}: {e}"))?;
    let mut request = Request::get(url, timeout);
    request.headers = vec![
        ("Accept".into(), accept_header(version).into()),
        ("Accept-Encoding".into(), "gzip".into()),
        (
            "User-Agent".into(),
            format!("Prometheus/{}.{}.0", version.major, version.minor),
        ),
        (
            "X-Prometheus-Scrape-Timeout-Seconds".into(),
            timeout_seconds(timeout),
        ),
    ];
    request.body_limit = (body_size_limit > 0).then_some(body_size_limit);
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_header_like_go() {
        assert_eq!(timeout_seconds(Duration::from_secs(10)), "10");
        assert_eq!(timeout_seconds(Duration::from_millis(500)), "0.5");
        assert_eq!(timeout_seconds(Duration::from_millis(1250)), "1.25");
    }

    #[test]
    fn headers_for_2_42() {
        let r = scrape_request(
            "https://127.0.0.1:10250/metrics",
            Duration::from_secs(1),
            0,
            PrometheusVersion::V2_42,
        )
        .unwrap();
        assert!(r.headers.contains(&("Accept".into(), ACCEPT_2_42.into())));
        assert!(r
            .headers
            .contains(&("User-Agent".into(), "Prometheus/2.42.0".into())));
        assert!(r
            .headers
            .contains(&("X-Prometheus-Scrape-Timeout-Seconds".into(), "1".into())));
        assert_eq!(r.body_limit, None);
    }
}
