//! Template `probe-warning`: what works today but is unsafe or close to breaking, from probe
//! facts: `insecure_skip_verify` in use (and whether the job's CA would verify without it), a
//! certificate expiring soon, a slow phase, a body near `body_size_limit`. Pure.

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::probe::{Health, ProbeFacts};
use crate::templates::probe_text::{self, evidence, located};
use crate::templates::{finding, Template};
use crate::transport::certs::rfc3339;

/// Certificates expiring within this many days are reported.
pub const EXPIRING_DAYS: i64 = 30;

pub struct ProbeWarning;

impl Template for ProbeWarning {
    fn name(&self) -> &'static str {
        "probe-warning"
    }

    fn description(&self) -> &'static str {
        "Reports scrapes that work today but are unsafe or close to a limit."
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let Some(probes) = input.probes else {
            return Vec::new();
        };
        let rule: fn(&CheckSpec, &CheckInput, &ProbeFacts) -> Option<Finding> =
            match spec.id.as_str() {
                "tls/insecure-skip-verify" => insecure_skip_verify,
                "tls/expiring" => expiring,
                "scrape/slow" => slow,
                "scrape/body-size-near-limit" => near_limit,
                _ => return Vec::new(),
            };
        probes
            .targets
            .iter()
            .filter_map(|p| rule(spec, input, p))
            .collect()
    }
}

fn with_facts(f: Finding, input: &CheckInput, p: &ProbeFacts) -> Finding {
    let mut f = located(f, input, p);
    f.evidence = Some(evidence(p));
    f
}

fn insecure_skip_verify(spec: &CheckSpec, input: &CheckInput, p: &ProbeFacts) -> Option<Finding> {
    let tls = p.tls()?;
    if !tls.insecure_skip_verify || !tls.judged {
        return None;
    }
    let message = match tls.go_message() {
        None => "`insecure_skip_verify: true` is set although the job's CA and name verify the certificate; remove it".to_string(),
        Some(why) => {
            let mut m = format!(
                "`insecure_skip_verify: true` hides a certificate problem: without it the scrape would fail with `{why}`"
            );
            if let Some(name) = &tls.server_name_that_verifies {
                m.push_str(&format!(
                    "; with `server_name: {name}` the job's CA would verify it"
                ));
            }
            m
        }
    };
    let mut f = with_facts(finding(spec, message), input, p);
    if let Some(loc) =
        probe_text::http_of(input, p).and_then(|h| h.tls.insecure_skip_verify_location.clone())
    {
        f.location = Some(loc);
    }
    Some(f)
}

fn expiring(spec: &CheckSpec, input: &CheckInput, p: &ProbeFacts) -> Option<Finding> {
    let leaf = p.tls()?.leaf()?;
    let left = leaf.not_after - p.probed_at;
    if !(0..=EXPIRING_DAYS * 86_400).contains(&left) {
        return None;
    }
    let message = format!(
        "the certificate {:?} expires at {} (in {} days)",
        leaf.subject,
        rfc3339(leaf.not_after),
        left / 86_400
    );
    Some(with_facts(finding(spec, message), input, p))
}

fn slow(spec: &CheckSpec, input: &CheckInput, p: &ProbeFacts) -> Option<Finding> {
    if p.health != Health::Up {
        return None;
    }
    let fetch = p.fetch.as_ref()?;
    let half = p.timeout / 2;
    if fetch.phases.total <= half {
        return None;
    }
    let ph = &fetch.phases;
    let slowest = [
        ("dns", ph.dns),
        ("connect", ph.connect),
        ("tls", ph.tls),
        ("first byte", ph.first_byte),
        ("transfer", ph.transfer),
    ]
    .into_iter()
    .filter_map(|(n, d)| d.map(|d| (d, n)))
    .max()?;
    let message = format!(
        "the scrape took {:.3}s of its {}s scrape_timeout; the slowest phase is {} ({:.3}s)",
        ph.total.as_secs_f64(),
        p.timeout.as_secs_f64(),
        slowest.1,
        slowest.0.as_secs_f64()
    );
    Some(with_facts(finding(spec, message), input, p))
}

fn near_limit(spec: &CheckSpec, input: &CheckInput, p: &ProbeFacts) -> Option<Finding> {
    if p.health != Health::Up || p.body_size_limit == 0 {
        return None;
    }
    let size = p.response()?.body.uncompressed_bytes;
    if size * 5 < p.body_size_limit * 4 {
        return None;
    }
    let message = format!(
        "the body is {size} bytes uncompressed, {}% of body_size_limit ({} bytes)",
        size * 100 / p.body_size_limit,
        p.body_size_limit
    );
    Some(with_facts(finding(spec, message), input, p))
}
