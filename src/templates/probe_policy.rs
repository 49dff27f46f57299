//! Policy templates on probe facts, for custom checks. Pure: they read probe facts only.
//!
//! - `probe-latency` (`seconds`, a Prometheus duration like `2s`; `jobs`, an anchored regex on
//!   job_name): a probed target took longer than `seconds` from the first connection to the end
//!   of its body.
//! - `token-validity` (`days`; `jobs`): the bearer token a probed target's job sends expires
//!   within `days` (or has expired). Tokens without an expiry (legacy Secret-based ones) pass.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::config::duration::parse_duration;
use crate::templates::payload_checks::{params_of, probes_of, with_facts};
use crate::templates::{finding, Template};
use crate::version::PrometheusVersion;

pub struct ProbeLatency;

fn max_latency(params: &BTreeMap<String, String>) -> Result<Duration, String> {
    let text = params
        .get("seconds")
        .map(String::as_str)
        .unwrap_or_default();
    parse_duration(text, PrometheusVersion::DEFAULT)
        .map_err(|e| format!("`seconds` is a duration such as 2s or 500ms: {e}"))
}

impl Template for ProbeLatency {
    fn name(&self) -> &'static str {
        "probe-latency"
    }

    fn description(&self) -> &'static str {
        "Probed targets of jobs matching `jobs` answer, body included, within `seconds`."
    }

    fn check_params(&self, params: &BTreeMap<String, String>) -> Result<(), String> {
        params_of(params, &["seconds"], &["jobs"])?;
        max_latency(params).map(|_| ())
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let Ok(max) = max_latency(&spec.params) else {
            return Vec::new();
        };
        let mut findings = Vec::new();
        for p in probes_of(spec, input) {
            // A failed probe has its own finding; its duration says little about latency.
            let Some(total) = p.response().and(p.fetch.as_ref()).map(|f| f.phases.total) else {
                continue;
            };
            if total <= max {
                continue;
            }
            let message = format!(
                "the scrape took {:.3}s, over the {:.3}s this policy allows (scrape_timeout {:.3}s)",
                total.as_secs_f64(),
                max.as_secs_f64(),
                p.timeout.as_secs_f64()
            );
            findings.push(with_facts(finding(spec, message), input, p));
        }
        findings
    }
}

pub struct TokenValidity;

const SECONDS_PER_DAY: i64 = 86_400;

fn days(params: &BTreeMap<String, String>) -> Result<i64, String> {
    params
        .get("days")
        .and_then(|d| d.parse::<i64>().ok())
        .filter(|d| *d > 0)
        .ok_or_else(|| "`days` is a whole number of days, more than zero".to_string())
}

impl Template for TokenValidity {
    fn name(&self) -> &'static str {
        "token-validity"
    }

    fn description(&self) -> &'static str {
        "The bearer token of jobs matching `jobs` stays valid for at least `days` more days."
    }

    fn check_params(&self, params: &BTreeMap<String, String>) -> Result<(), String> {
        params_of(params, &["days"], &["jobs"])?;
        days(params).map(|_| ())
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let Ok(days) = days(&spec.params) else {
            return Vec::new();
        };
        let mut findings = Vec::new();
        for p in probes_of(spec, input) {
            let Some(claims) = &p.bearer_claims else {
                continue;
            };
            let Some(expires_at) = claims.expires_at else {
                continue;
            };
            let left = expires_at - p.probed_at;
            if left >= days * SECONDS_PER_DAY {
                continue;
            }
            let subject = claims.subject.as_deref().unwrap_or("an unknown subject");
            let when = if left <= 0 {
                "has expired".to_string()
            } else {
                format!(
                    "expires in {:.1} days",
                    left as f64 / SECONDS_PER_DAY as f64
                )
            };
            let message = format!(
                "the job's bearer token (for {subject}) {when}, sooner than the {days} days this policy asks for"
            );
            findings.push(with_facts(finding(spec, message), input, p));
        }
        findings
    }
}
