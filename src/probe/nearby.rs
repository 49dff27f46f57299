//! Stage 4 (probe), network: when a scrape gets `404 Not Found`, the well-known metrics paths on
//! the same host (`/metrics`, `/metrics/cadvisor`, `/metrics/resource`, `/metrics/probes`, and
//! the well-known path nearest to a misspelled one such as `/metircs`) are asked, through the
//! job's own client, which of them answer. An API server proxy prefix
//! (`/api/v1/nodes/NODE/proxy`) is kept. GET only; no body is read past its first bytes.
//!
//! The path arithmetic ([`near_path`], [`candidates`]) is pure; [`ask`] does the requests.

use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinSet;

use crate::probe::request::scrape_request;
use crate::transport::{BodyConsumer, Flow, Transport};
use crate::version::PrometheusVersion;

/// Paths exporters and kubelets commonly serve metrics (or stats) at.
const WELL_KNOWN: [&str; 6] = [
    "/metrics",
    "/metrics/cadvisor",
    "/metrics/resource",
    "/metrics/probes",
    "/federate",
    "/stats/summary",
];

/// The paths always asked after a 404 (the kubelet's metrics endpoints and `/metrics`).
const ASKED: [&str; 4] = [
    "/metrics",
    "/metrics/cadvisor",
    "/metrics/resource",
    "/metrics/probes",
];

/// How one nearby path answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathAnswer {
    /// The path asked, API server proxy prefix included.
    pub path: String,
    /// The HTTP status, when a response arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// This is the well-known path nearest (by edit distance) to the scraped one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub nearest: bool,
}

impl PathAnswer {
    pub fn ok(&self) -> bool {
        self.status == Some(200)
    }
}

/// Splits an API server proxy prefix (`/api/v1/nodes/n1/proxy`) from the proxied path.
fn split_proxy(path: &str) -> (&str, &str) {
    match path.find("/proxy/") {
        Some(i) => path.split_at(i + "/proxy".len()),
        None => ("", path),
    }
}

/// A well-known metrics path within two edits of `path` (`/metircs` → `/metrics`), keeping an
/// API server proxy prefix.
pub fn near_path(path: &str) -> Option<String> {
    let (prefix, rest) = split_proxy(path);
    WELL_KNOWN
        .iter()
        .map(|k| (edit_distance(rest, k), k))
        .filter(|(d, _)| *d > 0 && *d <= 2)
        .min()
        .map(|(_, k)| format!("{prefix}{k}"))
}

/// The paths to ask after `path` answered 404, the nearest one flagged; never `path` itself.
pub fn candidates(path: &str) -> Vec<(String, bool)> {
    let (prefix, _) = split_proxy(path);
    let nearest = near_path(path);
    let mut out: Vec<(String, bool)> = Vec::new();
    if let Some(n) = &nearest {
        out.push((n.clone(), true));
    }
    for p in ASKED {
        let full = format!("{prefix}{p}");
        if full != path && nearest.as_deref() != Some(full.as_str()) {
            out.push((full, false));
        }
    }
    out
}

/// Optimal string alignment distance: insertions, deletions, substitutions and adjacent
/// transpositions (`metircs` is one edit from `metrics`). Far-apart lengths are not measured.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 2 || a.len() > 256 {
        return usize::MAX;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// Reads nothing: the status is all a nearby path has to tell.
struct StatusOnly;

impl BodyConsumer for StatusOnly {
    fn feed(&mut self, _chunk: &[u8]) -> Flow {
        Flow::Stop
    }
}

/// Asks every candidate path of `scrape_url` at once, each within `timeout`.
pub(crate) async fn ask(
    transport: &Transport,
    scrape_url: &str,
    timeout: Duration,
    version: PrometheusVersion,
) -> Vec<PathAnswer> {
    let Ok(base) = url::Url::parse(scrape_url) else {
        return Vec::new();
    };
    let mut tasks = JoinSet::new();
    for (order, (path, nearest)) in candidates(base.path()).into_iter().enumerate() {
        let mut url = base.clone();
        url.set_path(&path);
        let transport = transport.clone();
        tasks.spawn(async move {
            let status = match scrape_request(url.as_str(), timeout, 0, version) {
                Ok(request) => transport
                    .get(&request, &mut StatusOnly)
                    .await
                    .outcome
                    .ok()
                    .map(|r| r.status),
                Err(_) => None,
            };
            (
                order,
                PathAnswer {
                    path,
                    status,
                    nearest,
                },
            )
        });
    }
    let mut answers = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(answer) = joined {
            answers.push(answer);
        }
    }
    answers.sort_by_key(|(order, _)| *order);
    answers.into_iter().map(|(_, a)| a).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_paths() {
        assert_eq!(near_path("/metircs").as_deref(), Some("/metrics"));
        assert_eq!(near_path("/metric").as_deref(), Some("/metrics"));
        assert_eq!(
            near_path("/api/v1/nodes/n1/proxy/metrics/cadvisr").as_deref(),
            Some("/api/v1/nodes/n1/proxy/metrics/cadvisor")
        );
        assert_eq!(near_path("/metrics"), None);
        assert_eq!(near_path("/something/else"), None);
    }

    #[test]
    fn candidates_put_the_nearest_first_and_skip_the_scraped_path() {
        let c = candidates("/metircs");
        assert_eq!(c[0], ("/metrics".to_string(), true));
        assert_eq!(
            c.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
            [
                "/metrics",
                "/metrics/cadvisor",
                "/metrics/resource",
                "/metrics/probes"
            ]
        );
        let c = candidates("/api/v1/nodes/n1/proxy/metrics/cadvisor");
        assert!(c
            .iter()
            .all(|(p, _)| p.starts_with("/api/v1/nodes/n1/proxy/metrics")));
        assert!(!c
            .iter()
            .any(|(p, _)| p == "/api/v1/nodes/n1/proxy/metrics/cadvisor"));
        assert_eq!(candidates("/x").len(), 4);
    }
}
