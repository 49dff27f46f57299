//! Templates on the payload facts of probed targets. Pure: they read probe facts only.
//!
//! - `payload-near-limit` (`limit`: `sample_limit` or `label_limit`; `percent`, default 80):
//!   the scrape works, but the payload uses at least that share of the job's limit.
//! - `payload-size` (`bytes`, a base-2 size like `10MiB`; `jobs`, an anchored regex on job_name;
//!   `only_without_limit`: `true` to look only at jobs without `body_size_limit`): the
//!   uncompressed payload is larger than `bytes`.
//! - `payload-family` (`family`; `jobs`): every probed target of the matching jobs exposes the
//!   metric family.

use std::collections::BTreeMap;

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::config::size::parse_base2_bytes;
use crate::probe::payload::PayloadFacts;
use crate::probe::{Health, ProbeFacts};
use crate::templates::payload_text::top_families;
use crate::templates::probe_text::{evidence, located};
use crate::templates::{finding, Template};

/// Refuses parameters other than `allowed`, and requires `required`.
pub(crate) fn params_of(
    params: &BTreeMap<String, String>,
    required: &[&str],
    optional: &[&str],
) -> Result<(), String> {
    let all = || {
        required
            .iter()
            .chain(optional)
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(unknown) = params
        .keys()
        .find(|k| !required.contains(&k.as_str()) && !optional.contains(&k.as_str()))
    {
        return Err(format!("does not take `{unknown}` (it takes {})", all()));
    }
    if let Some(missing) = required.iter().find(|r| !params.contains_key(**r)) {
        return Err(format!(
            "needs the parameter `{missing}` (it takes {})",
            all()
        ));
    }
    if let Some(jobs) = params.get("jobs") {
        jobs_regex(jobs).map_err(|e| format!("`jobs` is not a valid regex: {e}"))?;
    }
    Ok(())
}

pub(crate) fn jobs_regex(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::Regex::new(&format!("^(?:{pattern})$"))
}

/// The probes of jobs matching the spec's `jobs` parameter (all jobs without it).
pub(crate) fn probes_of<'a>(spec: &CheckSpec, input: &'a CheckInput) -> Vec<&'a ProbeFacts> {
    let Some(probes) = input.probes else {
        return Vec::new();
    };
    let jobs = match spec.params.get("jobs").map(|j| jobs_regex(j)) {
        None => None,
        Some(Ok(re)) => Some(re),
        Some(Err(_)) => return Vec::new(),
    };
    probes
        .targets
        .iter()
        .filter(|p| jobs.as_ref().is_none_or(|re| re.is_match(&p.job)))
        .collect()
}

/// [`probes_of`], for the probes that have a payload.
fn payloads<'a>(
    spec: &CheckSpec,
    input: &'a CheckInput,
) -> Vec<(&'a ProbeFacts, &'a PayloadFacts)> {
    probes_of(spec, input)
        .into_iter()
        .filter_map(|p| p.payload.as_ref().map(|payload| (p, payload)))
        .collect()
}

pub(crate) fn with_facts(f: Finding, input: &CheckInput, p: &ProbeFacts) -> Finding {
    let mut f = located(f, input, p);
    f.evidence = Some(evidence(p));
    f
}

pub struct PayloadNearLimit;

const NEAR_LIMITS: [&str; 2] = ["sample_limit", "label_limit"];

fn percent(spec: &CheckSpec) -> u64 {
    spec.params
        .get("percent")
        .and_then(|p| p.parse().ok())
        .unwrap_or(80)
}

impl Template for PayloadNearLimit {
    fn name(&self) -> &'static str {
        "payload-near-limit"
    }

    fn description(&self) -> &'static str {
        "The payload uses at least `percent`% (default 80) of the job's `limit` (sample_limit or label_limit)."
    }

    fn check_params(&self, params: &BTreeMap<String, String>) -> Result<(), String> {
        params_of(params, &["limit"], &["percent", "jobs"])?;
        if !params
            .get("limit")
            .is_some_and(|l| NEAR_LIMITS.contains(&l.as_str()))
        {
            return Err(format!("`limit` is one of: {}", NEAR_LIMITS.join(", ")));
        }
        match params.get("percent").map(|p| p.parse::<u64>()) {
            None | Some(Ok(1..=100)) => Ok(()),
            _ => Err("`percent` is a whole number from 1 to 100".to_string()),
        }
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let percent = percent(spec);
        let limit_name = spec.params.get("limit").map(String::as_str);
        let mut findings = Vec::new();
        for (p, payload) in payloads(spec, input) {
            if p.health != Health::Up {
                continue;
            }
            let s = &payload.summary;
            let (used, limit, what) = match limit_name {
                Some("sample_limit") => (s.samples, s.limits.sample_limit, "samples".to_string()),
                Some("label_limit") => match &s.most_labels {
                    Some(m) => (
                        m.labels,
                        s.limits.label_limit,
                        format!("labels on the series {} at line {}", m.metric, m.line),
                    ),
                    None => continue,
                },
                _ => continue,
            };
            if limit == 0 || used * 100 < limit * percent {
                continue;
            }
            let mut message = format!(
                "the payload has {used} {what}, {}% of {} ({limit}); a little growth makes Prometheus fail the scrape",
                used * 100 / limit,
                limit_name.unwrap_or_default()
            );
            if limit_name == Some("sample_limit") {
                message.push_str(&format!("; largest families: {}", top_families(s, 5)));
            }
            findings.push(with_facts(finding(spec, message), input, p));
        }
        findings
    }
}

pub struct PayloadSize;

fn format_bytes(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else {
        format!("{bytes} bytes")
    }
}

impl Template for PayloadSize {
    fn name(&self) -> &'static str {
        "payload-size"
    }

    fn description(&self) -> &'static str {
        "The uncompressed payload of targets of jobs matching `jobs` stays under `bytes`; with `only_without_limit: true`, only jobs without body_size_limit are looked at."
    }

    fn check_params(&self, params: &BTreeMap<String, String>) -> Result<(), String> {
        params_of(params, &["bytes"], &["jobs", "only_without_limit"])?;
        let bytes = params.get("bytes").map(String::as_str).unwrap_or_default();
        match parse_base2_bytes(bytes) {
            Ok(b) if b > 0 => {}
            Ok(_) => return Err("`bytes` must be more than zero".to_string()),
            Err(e) => return Err(format!("`bytes` is a size such as 10MiB: {e}")),
        }
        match params.get("only_without_limit").map(String::as_str) {
            None | Some("true" | "false") => Ok(()),
            Some(_) => Err("`only_without_limit` is true or false".to_string()),
        }
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let Some(max) = spec
            .params
            .get("bytes")
            .and_then(|b| parse_base2_bytes(b).ok())
        else {
            return Vec::new();
        };
        let only_without_limit = spec
            .params
            .get("only_without_limit")
            .is_some_and(|v| v == "true");
        let mut findings = Vec::new();
        for (p, payload) in payloads(spec, input) {
            if only_without_limit && p.body_size_limit > 0 {
                continue;
            }
            let s = &payload.summary;
            // A body cut short by a failure (timeout, reset) has a size that only says how far
            // the transfer got; the failure's own finding is the one to act on.
            if p.health == Health::Down && !s.analysis.complete {
                continue;
            }
            let bytes = payload.bytes();
            if bytes <= max {
                continue;
            }
            let mut message = format!(
                "the payload is {}{} uncompressed ({} samples, {} series), over {}",
                if s.analysis.complete { "" } else { "at least " },
                format_bytes(bytes),
                s.samples,
                s.series,
                format_bytes(max)
            );
            if let Some(wire) = s.compressed_bytes {
                message.push_str(&format!(
                    "; {} gzip-compressed on the wire",
                    format_bytes(wire)
                ));
            }
            if p.body_size_limit == 0 {
                message.push_str("; the job sets no body_size_limit, so nothing stops it from growing without bound");
            }
            message.push_str(&format!("; largest families: {}", top_families(s, 5)));
            findings.push(with_facts(finding(spec, message), input, p));
        }
        findings
    }
}

pub struct PayloadFamily;

impl Template for PayloadFamily {
    fn name(&self) -> &'static str {
        "payload-family"
    }

    fn description(&self) -> &'static str {
        "Every probed target of jobs matching `jobs` exposes the metric family `family`."
    }

    fn check_params(&self, params: &BTreeMap<String, String>) -> Result<(), String> {
        params_of(params, &["family"], &["jobs"])?;
        match params.get("family") {
            Some(f) if !f.is_empty() => Ok(()),
            _ => Err("`family` must not be empty".to_string()),
        }
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let Some(family) = spec.params.get("family") else {
            return Vec::new();
        };
        payloads(spec, input)
            .into_iter()
            .filter(|(_, payload)| payload.has_family(family) == Some(false))
            .map(|(p, payload)| {
                let message = format!(
                    "the payload has no `{family}` family ({} families, {} series)",
                    payload.summary.families, payload.summary.series
                );
                with_facts(finding(spec, message), input, p)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parameters_are_validated() {
        assert!(PayloadSize
            .check_params(&params(&[("bytes", "10MiB"), ("jobs", "cadvisor.*")]))
            .is_ok());
        assert!(PayloadSize.check_params(&params(&[])).is_err());
        assert!(PayloadSize
            .check_params(&params(&[("bytes", "1000")]))
            .unwrap_err()
            .contains("unknown unit"));
        assert!(PayloadSize
            .check_params(&params(&[("bytes", "1KiB"), ("jobs", "(")]))
            .unwrap_err()
            .contains("not a valid regex"));
        assert!(PayloadSize
            .check_params(&params(&[("bytes", "1KiB"), ("only_without_limit", "yes")]))
            .is_err());
        assert!(PayloadNearLimit
            .check_params(&params(&[("limit", "sample_limit"), ("percent", "90")]))
            .is_ok());
        assert!(PayloadNearLimit
            .check_params(&params(&[("limit", "body_size_limit")]))
            .is_err());
        assert!(PayloadNearLimit
            .check_params(&params(&[("limit", "label_limit"), ("percent", "0")]))
            .is_err());
        assert!(PayloadFamily
            .check_params(&params(&[("family", "up"), ("job", "x")]))
            .unwrap_err()
            .contains("does not take `job`"));
        assert!(PayloadFamily
            .check_params(&params(&[("family", "up")]))
            .is_ok());
    }
}
