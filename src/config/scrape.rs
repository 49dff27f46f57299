//! Reading one `scrape_configs` entry: its fields with their defaults from `global`, its HTTP
//! client, discovery and relabel rules, and Prometheus's `ScrapeConfig.Validate`. Pure.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::decode::{self, Ctx, Fields};
use crate::config::diagnostic::{Code, Diagnostic};
use crate::config::model::{GlobalConfig, Limits, ScrapeConfig, SdConfig, SdKind};
use crate::config::yaml::Node;
use crate::config::{http_client, relabel_rule, sd};

/// Fields that exist only from some release on: (name, major, minor).
const LATER_FIELDS: [(&str, u16, u16); 13] = [
    ("scrape_classic_histograms", 2, 45),
    ("native_histogram_bucket_limit", 2, 45),
    ("keep_dropped_targets", 2, 47),
    ("track_timestamps_staleness", 2, 48),
    ("scrape_protocols", 2, 49),
    ("enable_compression", 2, 49),
    ("native_histogram_min_bucket_factor", 2, 50),
    ("metric_name_validation_scheme", 2, 55),
    ("fallback_scrape_protocol", 3, 0),
    ("convert_classic_histograms_to_nhcb", 3, 0),
    ("scrape_failure_log_file", 3, 0),
    ("always_scrape_classic_histograms", 3, 5),
    ("metric_name_escaping_scheme", 3, 4),
];

/// Reads and validates one scrape config. `None` when it is unusable (not a mapping, no name).
pub fn read(ctx: &mut Ctx, node: &Node, global: &GlobalConfig) -> Option<ScrapeConfig> {
    if node.is_null() {
        ctx.report(Diagnostic::new(
            Code::InvalidValue,
            Some(node.location.clone()),
            "empty or null scrape config section",
        ));
        return None;
    }
    let mut f = Fields::of(ctx, node, "config.ScrapeConfig")?;
    let job_name = f
        .get(ctx, "job_name")
        .and_then(|n| decode::string(ctx, n))
        .unwrap_or_default();
    ctx.job = Some(job_name.clone()).filter(|name| !name.is_empty());
    let job = read_fields(ctx, &mut f, node, job_name, global);
    f.finish(ctx);
    let job = job.and_then(|job| validate(ctx, job, node));
    ctx.job = None;
    job
}

fn read_fields(
    ctx: &mut Ctx,
    f: &mut Fields,
    node: &Node,
    job_name: String,
    global: &GlobalConfig,
) -> Option<ScrapeConfig> {
    let honor_labels = f
        .get(ctx, "honor_labels")
        .and_then(|n| decode::boolean(ctx, n))
        .unwrap_or(false);
    let honor_timestamps = f
        .get(ctx, "honor_timestamps")
        .and_then(|n| decode::boolean(ctx, n))
        .unwrap_or(true);
    let params = f
        .get(ctx, "params")
        .map(|n| params(ctx, n))
        .unwrap_or_default();
    let interval = f
        .get(ctx, "scrape_interval")
        .and_then(|n| decode::duration(ctx, n))
        .unwrap_or(Duration::ZERO);
    let timeout = f
        .get(ctx, "scrape_timeout")
        .and_then(|n| decode::duration(ctx, n))
        .unwrap_or(Duration::ZERO);
    let metrics_path_node = f.get(ctx, "metrics_path");
    let metrics_path = metrics_path_node
        .and_then(|n| decode::string(ctx, n))
        .unwrap_or_else(|| "/metrics".to_string());
    let scheme = f
        .get(ctx, "scheme")
        .and_then(|n| decode::string(ctx, n))
        .unwrap_or_else(|| "http".to_string());
    let limits = limits(ctx, f, global.limits);
    let mut fallback_scrape_protocol = None;
    for (name, major, minor) in LATER_FIELDS {
        let node = f.get_since(ctx, name, major, minor);
        if name == "fallback_scrape_protocol" {
            fallback_scrape_protocol = node.and_then(|n| decode::string(ctx, n));
        }
    }
    let http = http_client::read_inline(ctx, f);
    let service_discovery = sd::read_all(ctx, f);
    let relabel_configs = f
        .get(ctx, "relabel_configs")
        .map(|n| relabel_rule::read_rules(ctx, n, "target relabeling"))
        .unwrap_or_default();
    let metric_relabel_configs = f
        .get(ctx, "metric_relabel_configs")
        .map(|n| relabel_rule::read_rules(ctx, n, "metric relabeling"))
        .unwrap_or_default();

    if job_name.is_empty() {
        ctx.report(Diagnostic::new(
            Code::InvalidValue,
            Some(node.location.clone()),
            "job_name is empty",
        ));
        return None;
    }
    Some(ScrapeConfig {
        job_name,
        location: node.location.clone(),
        file: ctx.file.to_path_buf(),
        scrape_interval: if interval.is_zero() {
            global.scrape_interval
        } else {
            interval
        },
        scrape_timeout: timeout,
        metrics_path,
        metrics_path_location: metrics_path_node.map(|n| n.location.clone()),
        scheme,
        params,
        honor_labels,
        honor_timestamps,
        limits,
        fallback_scrape_protocol,
        http,
        service_discovery,
        relabel_configs,
        metric_relabel_configs,
    })
}

fn limits(ctx: &mut Ctx, f: &mut Fields, inherited: Limits) -> Limits {
    let number = |ctx: &mut Ctx, f: &mut Fields, name: &'static str, fallback: u64| {
        f.get(ctx, name)
            .and_then(|n| decode::unsigned(ctx, n))
            .filter(|v| *v != 0)
            .unwrap_or(fallback)
    };
    let body_size_limit = f
        .get(ctx, "body_size_limit")
        .and_then(|n| decode::size(ctx, n))
        .filter(|v| *v != 0);
    Limits {
        body_size_limit: body_size_limit.unwrap_or(inherited.body_size_limit),
        sample_limit: number(ctx, f, "sample_limit", inherited.sample_limit),
        target_limit: number(ctx, f, "target_limit", inherited.target_limit),
        label_limit: number(ctx, f, "label_limit", inherited.label_limit),
        label_name_length_limit: number(
            ctx,
            f,
            "label_name_length_limit",
            inherited.label_name_length_limit,
        ),
        label_value_length_limit: number(
            ctx,
            f,
            "label_value_length_limit",
            inherited.label_value_length_limit,
        ),
    }
}

fn params(ctx: &mut Ctx, node: &Node) -> BTreeMap<String, Vec<String>> {
    let mut params = BTreeMap::new();
    for (key, value) in decode::mapping(ctx, node, "url.Values").unwrap_or_default() {
        if let Some(name) = decode::string(ctx, key) {
            params.insert(name, decode::string_list(ctx, value));
        }
    }
    params
}

/// `ScrapeConfig.Validate`: HTTP client rules, URLs in static targets, timeout defaulting.
fn validate(ctx: &mut Ctx, mut job: ScrapeConfig, node: &Node) -> Option<ScrapeConfig> {
    http_client::validate(ctx, &job.http, &node.location);
    if job.relabel_configs.is_empty() {
        check_static_targets(ctx, &job.service_discovery);
    }
    if !job.metrics_path.starts_with('/') {
        let at = job
            .metrics_path_location
            .clone()
            .unwrap_or_else(|| job.location.clone());
        let message = format!(
            "metrics_path {:?} does not start with '/'",
            job.metrics_path
        );
        let help = format!("write `metrics_path: /{}`", job.metrics_path);
        ctx.report(
            Diagnostic::new(Code::MetricsPathNoSlash, Some(at), message)
                .with_help(help)
                .tolerated(),
        );
    }
    let global_timeout = ctx.global_timeout;
    if job.scrape_timeout > job.scrape_interval {
        let message = format!(
            "scrape timeout greater than scrape interval for scrape config with job name {:?}",
            job.job_name
        );
        ctx.report(Diagnostic::new(
            Code::TimeoutExceedsInterval,
            Some(node.location.clone()),
            message,
        ));
        return None;
    }
    if job.scrape_timeout.is_zero() {
        job.scrape_timeout = global_timeout.min(job.scrape_interval);
    }
    Some(job)
}

/// Prometheus's `checkStaticTargets`, run when a job or alertmanager has no `relabel_configs`.
pub(super) fn check_static_targets(ctx: &mut Ctx, service_discovery: &[SdConfig]) {
    for config in service_discovery {
        let SdKind::Static(group) = &config.kind else {
            continue;
        };
        for (target, location) in &group.targets {
            if target.contains('/') {
                let message = format!("{target:?} is not a valid hostname");
                let help = "a target is host:port; put the scheme in `scheme:` and the path in `metrics_path:`";
                ctx.report(
                    Diagnostic::new(Code::InvalidTarget, Some(location.clone()), message)
                        .with_help(help),
                );
                return;
            }
        }
    }
}
