//! Template `probe-alternate-path`: a kubelet target of a `role: node` job that fails on the
//! access path the job uses (direct, or through the API server's node proxy) but answers on the
//! other one with the same token and TLS settings; the finding gives the `relabel_configs` that
//! switch to it. Pure: reads probe facts only.

use crate::check::finding::Finding;
use crate::check::input::CheckInput;
use crate::check::spec::CheckSpec;
use crate::probe::alternate::{AccessPath, Alternate};
use crate::probe::{Health, ProbeFacts};
use crate::templates::probe_text::located;
use crate::templates::{finding, Template};

pub struct AlternatePath;

impl Template for AlternatePath {
    fn name(&self) -> &'static str {
        "probe-alternate-path"
    }

    fn description(&self) -> &'static str {
        "Reports kubelet targets that fail on the configured access path but answer on the other one, with the relabel rules that switch."
    }

    fn run(&self, spec: &CheckSpec, input: &CheckInput) -> Vec<Finding> {
        let Some(probes) = input.probes else {
            return Vec::new();
        };
        probes
            .targets
            .iter()
            .filter(|p| p.health == Health::Down)
            .filter_map(|p| {
                let alt = p.alternate.as_ref().filter(|a| a.health == Health::Up)?;
                Some(explain(spec, input, p, alt))
            })
            .collect()
    }
}

/// The rules as a block to paste at the end of the job's `relabel_configs`.
pub fn relabel_block(alt: &Alternate) -> String {
    let mut out = String::from("relabel_configs:\n  # ...the job's rules, then:\n");
    for rule in &alt.relabel_configs {
        for line in rule.to_yaml().lines() {
            out.push_str("  ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn explain(spec: &CheckSpec, input: &CheckInput, p: &ProbeFacts, alt: &Alternate) -> Finding {
    let message = format!(
        "the kubelet of node {} fails when scraped {} (`{}`) but answers when scraped {} with the same token and TLS settings: {} is up",
        alt.node,
        alt.configured.describe(),
        p.error.as_deref().unwrap_or("down"),
        alt.tried.describe(),
        alt.url
    );
    let why = match alt.tried {
        AccessPath::ApiServerProxy => "The API server then authorizes `get` on `nodes/proxy` for the token and relays the request with its own kubelet client identity.",
        AccessPath::Direct => "The kubelet then authorizes the token itself (`get` on `nodes/metrics`), and Prometheus must reach the node's port directly.",
    };
    let remediation = format!(
        "Append these rules to the end of the job's `relabel_configs` (they override the address and path set before them):\n\n{}\n{why} {}",
        relabel_block(alt),
        spec.remediation
    );
    let mut f = located(finding(spec, message), input, p);
    f.evidence = Some(format!(
        "configured: {} ({}); other path: {} ({})",
        p.scrape_url,
        p.error.as_deref().unwrap_or("down"),
        alt.url,
        "up"
    ));
    f.remediation = Some(remediation);
    f
}
