//! Stage 4 (probe): the other access path of a kubelet scrape. A `kubernetes_sd_configs`
//! `role: node` job reaches each kubelet either directly (`https://<InternalIP>:10250/metrics…`)
//! or through the API server's node proxy (`https://<api server>/api/v1/nodes/<node>/proxy/metrics…`).
//! When the configured path fails, the other one is tried once, with the same client (token and
//! TLS settings), and the `relabel_configs` that switch the job to it are kept beside the answer.
//!
//! The alternate URL is not built by hand: the suggested rules are appended to the job's own
//! `relabel_configs` and the target is relabeled again from its discovered labels, so the URL
//! probed is exactly the one Prometheus would scrape after the fix. [`plan`] is pure.

use serde::Serialize;

use crate::config::model::{KubernetesRole, RelabelAction, RelabelRule, ScrapeConfig, SdKind};
use crate::config::regex::PromRegex;
use crate::labels::{reserved, Labels};
use crate::probe::Health;
use crate::recent::Recent;
use crate::targets::{populate, JobTargets, ResolvedTarget, TargetState};
use crate::version::PrometheusVersion;

const NODE_NAME: &str = "__meta_kubernetes_node_name";
const INTERNAL_IP: &str = "__meta_kubernetes_node_address_InternalIP";

/// How a kubelet is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccessPath {
    /// Straight to the kubelet's port.
    Direct,
    /// Through the API server's `nodes/<node>/proxy` subresource.
    ApiServerProxy,
}

impl AccessPath {
    pub fn describe(self) -> &'static str {
        match self {
            AccessPath::Direct => "directly at its own address",
            AccessPath::ApiServerProxy => "through the API server's node proxy",
        }
    }
}

/// A `replace` rule to append to the job's `relabel_configs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuggestedRule {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_labels: Vec<String>,
    /// `None`: Prometheus's default `(.*)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    pub target_label: String,
    pub replacement: String,
}

impl SuggestedRule {
    fn new(source: Option<&str>, regex: Option<&str>, target: &str, replacement: &str) -> Self {
        SuggestedRule {
            source_labels: source.map(|s| vec![s.to_string()]).unwrap_or_default(),
            regex: regex.map(str::to_string),
            target_label: target.to_string(),
            replacement: replacement.to_string(),
        }
    }

    fn to_rule(
        &self,
        at: &crate::source::Location,
        version: PrometheusVersion,
    ) -> Option<RelabelRule> {
        Some(RelabelRule {
            source_labels: self.source_labels.clone(),
            separator: ";".into(),
            regex: PromRegex::new(self.regex.as_deref().unwrap_or("(.*)"), version).ok()?,
            modulus: 0,
            target_label: self.target_label.clone(),
            replacement: self.replacement.clone(),
            action: RelabelAction::Replace,
            location: at.clone(),
        })
    }

    /// One YAML list item, as it goes under `relabel_configs:`.
    pub fn to_yaml(&self) -> String {
        let mut out = String::from("- ");
        let mut first = true;
        let mut field = |out: &mut String, text: String| {
            if !first {
                out.push_str("\n  ");
            }
            first = false;
            out.push_str(&text);
        };
        if !self.source_labels.is_empty() {
            field(
                &mut out,
                format!("source_labels: [{}]", self.source_labels.join(", ")),
            );
        }
        if let Some(r) = &self.regex {
            field(&mut out, format!("regex: {}", yaml_scalar(r)));
        }
        field(&mut out, format!("target_label: {}", self.target_label));
        field(
            &mut out,
            format!("replacement: {}", yaml_scalar(&self.replacement)),
        );
        out
    }
}

/// Quotes a scalar when plain YAML would misread it.
fn yaml_scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-:${}".contains(c))
        && !s.starts_with(['{', ':', '-']);
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// What the other access path of one target answered.
#[derive(Debug, Clone, Serialize)]
pub struct Alternate {
    /// The path the job uses (it failed).
    pub configured: AccessPath,
    /// The path tried instead.
    pub tried: AccessPath,
    pub node: String,
    /// The URL of the other path, as the job would scrape it with `relabel_configs` appended.
    pub url: String,
    pub health: Health,
    /// Prometheus's `lastError` wording for the other path, when it fails too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The rules to append to the job's `relabel_configs` to switch to the other path.
    pub relabel_configs: Vec<SuggestedRule>,
}

/// The other path of a target, before it is probed.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub configured: AccessPath,
    pub tried: AccessPath,
    pub node: String,
    pub url: String,
    pub rules: Vec<SuggestedRule>,
}

/// `/api/v1/nodes/<node>/proxy<rest>` → (`node`, `rest`).
fn node_proxy_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/api/v1/nodes/")?;
    let (node, rest) = rest.split_once('/')?;
    let rest = rest.strip_prefix("proxy")?;
    (rest.is_empty() || rest.starts_with('/')).then_some((node, rest))
}

/// Plans the other access path for the targets of one job.
///
/// The rules suggested for a job's targets are nearly always the same, so the job with them
/// appended (and their regexes compiled) is built once per distinct rule set rather than once per
/// target: on a fleet of thousands of kubelet targets the per-target copies cost more than all
/// the relabeling.
pub(crate) struct Planner<'a> {
    job: &'a ScrapeConfig,
    version: PrometheusVersion,
    amended: Recent<Vec<SuggestedRule>, Option<ScrapeConfig>>,
}

impl<'a> Planner<'a> {
    /// Distinct rule sets kept per job; a job whose targets need more is amended per target.
    const KEPT: usize = 8;

    pub(crate) fn new(job: &'a ScrapeConfig, version: PrometheusVersion) -> Planner<'a> {
        Planner {
            job,
            version,
            amended: Recent::new(Self::KEPT),
        }
    }

    /// The other access path of `resolved` (an active target of the job scraped at
    /// `scrape_url`), when it was discovered by a `role: node` Kubernetes SD entry and scrapes a
    /// kubelet metrics path.
    pub(crate) fn plan(
        &mut self,
        targets: &JobTargets,
        resolved: &ResolvedTarget,
        scrape_url: &str,
    ) -> Option<Plan> {
        let (configured, tried, node, rules) = suggest(self.job, targets, resolved, scrape_url)?;
        let url = self.relabeled_url(&resolved.target.discovered, &rules)?;
        (url != scrape_url).then_some(Plan {
            configured,
            tried,
            node,
            url,
            rules,
        })
    }

    /// The scrape URL of a target discovered with `discovered` once `rules` are appended to the
    /// job's `relabel_configs`.
    fn relabeled_url(&mut self, discovered: &Labels, rules: &[SuggestedRule]) -> Option<String> {
        let (job, version) = (self.job, self.version);
        let fixed = self
            .amended
            .get_or_build(
                |kept| kept == rules,
                || (rules.to_vec(), amend(job, rules, version)),
            )
            .as_ref()?;
        match populate(
            fixed,
            &Labels::new(),
            discovered.clone(),
            self.version,
            false,
        )
        .state
        {
            TargetState::Active { scrape_url, .. } => Some(scrape_url),
            _ => None,
        }
    }
}

/// The job with `rules` appended to its `relabel_configs`; `None` if a rule does not compile.
fn amend(
    job: &ScrapeConfig,
    rules: &[SuggestedRule],
    version: PrometheusVersion,
) -> Option<ScrapeConfig> {
    let mut fixed = job.clone();
    for r in rules {
        fixed
            .relabel_configs
            .push(r.to_rule(&job.location, version)?);
    }
    Some(fixed)
}

/// Which path `resolved` takes, which it would try instead, its node, and the rules that switch.
fn suggest(
    job: &ScrapeConfig,
    targets: &JobTargets,
    resolved: &ResolvedTarget,
    scrape_url: &str,
) -> Option<(AccessPath, AccessPath, String, Vec<SuggestedRule>)> {
    let sd = job.service_discovery.get(resolved.sd_index)?;
    let SdKind::Kubernetes(k) = &sd.kind else {
        return None;
    };
    if k.role != KubernetesRole::Node {
        return None;
    }
    let facts = targets
        .discovery
        .iter()
        .find(|d| d.sd_index == resolved.sd_index)
        .and_then(|d| d.kubernetes.as_ref())?;
    let discovered = &resolved.target.discovered;
    let node = discovered.get(NODE_NAME)?.clone();
    let TargetState::Active { labels, .. } = &resolved.target.state else {
        return None;
    };
    let url = url::Url::parse(scrape_url).ok()?;
    let mut rules = Vec::new();
    let (configured, tried) = if let Some((_, rest)) = node_proxy_path(url.path()) {
        if !rest.starts_with("/metrics") {
            return None;
        }
        // Back to the kubelet's own address and port, as discovery gave them.
        discovered.get(INTERNAL_IP)?;
        let port = discovered
            .get(reserved::ADDRESS)
            .and_then(|a| a.rsplit_once(':'))
            .map(|(_, p)| p.to_string())
            .unwrap_or_else(|| "10250".into());
        rules.push(SuggestedRule::new(
            Some(INTERNAL_IP),
            None,
            reserved::ADDRESS,
            &format!("${{1}}:{port}"),
        ));
        rules.push(SuggestedRule::new(None, None, reserved::METRICS_PATH, rest));
        (AccessPath::ApiServerProxy, AccessPath::Direct)
    } else {
        let path = url.path();
        if !path.starts_with("/metrics") {
            return None;
        }
        let api = url::Url::parse(&facts.api_server).ok()?;
        let host = api.host_str()?;
        let port = api.port_or_known_default()?;
        let api_address = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        rules.push(SuggestedRule::new(
            None,
            None,
            reserved::ADDRESS,
            &api_address,
        ));
        if url.scheme() != "https" {
            rules.push(SuggestedRule::new(None, None, reserved::SCHEME, "https"));
        }
        rules.push(SuggestedRule::new(
            Some(NODE_NAME),
            Some("(.+)"),
            reserved::METRICS_PATH,
            &format!("/api/v1/nodes/${{1}}/proxy{path}"),
        ));
        // `instance` defaults to `__address__`, which becomes the API server for every node.
        if labels.get(reserved::INSTANCE) == labels.get(reserved::ADDRESS) {
            rules.push(SuggestedRule::new(
                Some(NODE_NAME),
                None,
                reserved::INSTANCE,
                "$1",
            ));
        }
        (AccessPath::Direct, AccessPath::ApiServerProxy)
    };
    Some((configured, tried, node, rules))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_paths() {
        assert_eq!(
            node_proxy_path("/api/v1/nodes/n1/proxy/metrics/cadvisor"),
            Some(("n1", "/metrics/cadvisor"))
        );
        assert_eq!(node_proxy_path("/api/v1/nodes/n1/proxy"), Some(("n1", "")));
        assert_eq!(node_proxy_path("/api/v1/nodes/n1/proxyx"), None);
        assert_eq!(node_proxy_path("/metrics"), None);
    }

    #[test]
    fn rules_as_yaml() {
        let r = SuggestedRule::new(
            Some(NODE_NAME),
            Some("(.+)"),
            reserved::METRICS_PATH,
            "/api/v1/nodes/${1}/proxy/metrics",
        );
        assert_eq!(
            r.to_yaml(),
            "- source_labels: [__meta_kubernetes_node_name]\n  regex: '(.+)'\n  target_label: __metrics_path__\n  replacement: /api/v1/nodes/${1}/proxy/metrics"
        );
        let r = SuggestedRule::new(None, None, reserved::ADDRESS, "127.0.0.1:6443");
        assert_eq!(
            r.to_yaml(),
            "- target_label: __address__\n  replacement: 127.0.0.1:6443"
        );
        assert_eq!(yaml_scalar("${1}:10250"), "${1}:10250");
        assert_eq!(yaml_scalar("a b"), "'a b'");
    }
}
