//! Finalization as Prometheus's `PopulateLabels` does it, in 2.42 and 3.x behaviour.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::config::model::{HttpClientConfig, Limits, RelabelAction};
use crate::relabel::test_rules::{labels, rule};
use crate::source::Location;

const V2: PrometheusVersion = PrometheusVersion::V2_42;
const V3: PrometheusVersion = PrometheusVersion::DEFAULT;

/// A job with Prometheus's defaults: 1m interval, 10s timeout, `/metrics`, `http`.
fn job() -> ScrapeConfig {
    ScrapeConfig {
        job_name: "j".to_string(),
        location: Location::new(Arc::from(Path::new("test.yml")), 1, 1),
        file: PathBuf::from("test.yml"),
        scrape_interval: Duration::from_secs(60),
        scrape_timeout: Duration::from_secs(10),
        metrics_path: "/metrics".to_string(),
        metrics_path_location: None,
        scheme: "http".to_string(),
        params: BTreeMap::new(),
        honor_labels: false,
        honor_timestamps: true,
        limits: Limits::default(),
        fallback_scrape_protocol: None,
        http: HttpClientConfig::default(),
        service_discovery: Vec::new(),
        relabel_configs: Vec::new(),
        metric_relabel_configs: Vec::new(),
    }
}

fn with_rule(
    mut job: ScrapeConfig,
    target: &str,
    replacement: &str,
    version: PrometheusVersion,
) -> ScrapeConfig {
    let rule = rule(RelabelAction::Replace)
        .target(target)
        .replacement(replacement)
        .build(version);
    job.relabel_configs.push(rule);
    job
}

fn populate_one(job: &ScrapeConfig, target: &[(&str, &str)], version: PrometheusVersion) -> Target {
    populate(job, &Labels::new(), labels(target), version, false)
}

fn active(target: &Target) -> (&Labels, &str) {
    match &target.state {
        TargetState::Active { labels, scrape_url } => (labels, scrape_url),
        other => panic!("expected an active target, got {other:?}"),
    }
}

fn error(job: &ScrapeConfig, target: &[(&str, &str)], version: PrometheusVersion) -> String {
    match populate_one(job, target, version).state {
        TargetState::Failed { error } => error,
        other => panic!("expected a failed target, got {other:?}"),
    }
}

fn get<'l>(labels: &'l Labels, name: &str) -> Option<&'l str> {
    labels.get(name).map(String::as_str)
}

#[test]
fn defaults_fill_only_absent_labels() {
    let mut job = job();
    job.scrape_interval = Duration::from_secs(90);
    let target = populate_one(
        &job,
        &[
            ("__address__", "h:1"),
            ("__metrics_path__", "/own"),
            ("job", "sd"),
        ],
        V3,
    );
    let expected = labels(&[
        ("__address__", "h:1"),
        ("__metrics_path__", "/own"),
        ("__scheme__", "http"),
        ("__scrape_interval__", "1m30s"),
        ("__scrape_timeout__", "10s"),
        ("job", "sd"),
    ]);
    assert_eq!(target.discovered, expected);
    let (final_labels, url) = active(&target);
    assert_eq!(get(final_labels, "instance"), Some("h:1"));
    assert_eq!(url, "http://h:1/own");
}

#[test]
fn target_labels_win_over_group_labels_even_when_empty() {
    let group = labels(&[("a", "group"), ("b", "group"), ("__address__", "g:1")]);
    let target = labels(&[("a", "target"), ("b", ""), ("__address__", "t:1")]);
    let result = populate(&job(), &group, target, V3, false);
    assert_eq!(get(&result.discovered, "a"), Some("target"));
    assert_eq!(get(&result.discovered, "b"), None);
    assert_eq!(get(&result.discovered, "__address__"), Some("t:1"));
}

#[test]
fn a_group_populates_as_each_of_its_targets_would_alone() {
    let job = with_rule(job(), "env", "prod", V3);
    let group_labels = labels(&[("a", "group"), ("b", "group"), ("__address__", "g:1")]);
    let members = vec![
        labels(&[("a", "first"), ("__address__", "t:1")]),
        labels(&[("b", ""), ("__address__", "t:2")]),
        labels(&[("a", ""), ("b", "last")]),
    ];
    let one_by_one: Vec<Target> = members
        .iter()
        .map(|t| populate(&job, &group_labels, t.clone(), V3, false))
        .collect();
    let group = crate::discover::TargetGroup {
        source: "0".to_string(),
        targets: members,
        labels: group_labels,
    };
    let together = populate_group(&job, group, V3, false);
    assert_eq!(together, one_by_one);
    // The last target, which takes the group's labels, still lets its own "" hide them.
    assert_eq!(get(&together[2].discovered, "a"), None);
    assert_eq!(get(&together[2].discovered, "b"), Some("last"));
    assert_eq!(get(&together[2].discovered, "__address__"), Some("g:1"));
    assert_eq!(get(&together[1].discovered, "b"), None);
    assert_eq!(get(&together[0].discovered, "a"), Some("first"));
}

#[test]
fn params_overwrite_discovered_values_only_in_2x() {
    let mut job = job();
    job.params = BTreeMap::from([("module".to_string(), vec!["config".to_string()])]);
    let target = [("__address__", "h:1"), ("__param_module", "sd")];
    let v2 = populate_one(&job, &target, V2);
    assert_eq!(get(&v2.discovered, "__param_module"), Some("config"));
    let v3 = populate_one(&job, &target, V3);
    assert_eq!(get(&v3.discovered, "__param_module"), Some("sd"));
    assert_eq!(active(&v3).1, "http://h:1/metrics?module=sd");
}

#[test]
fn an_empty_first_param_deletes_the_discovered_value_in_2x() {
    let mut job = job();
    job.params = BTreeMap::from([("p".to_string(), vec![String::new(), "x".to_string()])]);
    let target = [("__address__", "h:1"), ("__param_p", "sd")];
    let v2 = populate_one(&job, &target, V2);
    assert_eq!(get(&v2.discovered, "__param_p"), None);
    assert_eq!(active(&v2).1, "http://h:1/metrics?p=&p=x");
    assert_eq!(
        get(&populate_one(&job, &target, V3).discovered, "__param_p"),
        Some("sd")
    );
}

#[test]
fn dropped_targets_keep_their_discovered_labels() {
    let mut job = job();
    job.relabel_configs.push(
        rule(RelabelAction::Drop)
            .sources(&["__address__"])
            .regex("h:1")
            .build(V3),
    );
    let target = populate_one(&job, &[("__address__", "h:1")], V3);
    assert_eq!(target.state, TargetState::Dropped { rule: 0 });
    assert_eq!(get(&target.discovered, "__address__"), Some("h:1"));
}

#[test]
fn missing_address_fails() {
    let job = with_rule(job(), "__address__", "", V3);
    assert_eq!(error(&job, &[("__address__", "h:1")], V3), "no address");
    assert_eq!(error(&self::job(), &[("a", "b")], V2), "no address");
}

#[test]
fn default_port_follows_the_relabeled_scheme_in_2x() {
    let plain = populate_one(&job(), &[("__address__", "h")], V2);
    let (labels, url) = active(&plain);
    assert_eq!(get(labels, "__address__"), Some("h:80"));
    assert_eq!(get(labels, "instance"), Some("h:80"));
    assert_eq!(url, "http://h:80/metrics");

    let https = with_rule(job(), "__scheme__", "https", V2);
    let target = populate_one(&https, &[("__address__", "[::1]")], V2);
    assert_eq!(active(&target).1, "https://[::1]:443/metrics");

    let kept_instance = populate_one(&job(), &[("__address__", "h"), ("instance", "mine")], V2);
    assert_eq!(get(active(&kept_instance).0, "instance"), Some("mine"));
}

#[test]
fn unknown_scheme_quotes_the_configured_scheme_in_2x() {
    let ftp = with_rule(job(), "__scheme__", "ftp", V2);
    assert_eq!(
        error(&ftp, &[("__address__", "h")], V2),
        r#"invalid scheme: "http""#
    );
    assert!(matches!(
        populate_one(&ftp, &[("__address__", "h:1")], V2).state,
        TargetState::Active { .. }
    ));
}

#[test]
fn no_default_port_in_3x() {
    let target = populate_one(&job(), &[("__address__", "h")], V3);
    let (labels, url) = active(&target);
    assert_eq!(get(labels, "__address__"), Some("h"));
    assert_eq!(get(labels, "instance"), Some("h"));
    assert_eq!(url, "http://h/metrics");
    let ftp = with_rule(job(), "__scheme__", "ftp", V3);
    assert_eq!(
        active(&populate_one(&ftp, &[("__address__", "h")], V3)).1,
        "ftp://h/metrics"
    );
}

#[test]
fn addresses_with_a_slash_are_not_hostnames() {
    assert_eq!(
        error(&job(), &[("__address__", "foo/bar")], V2),
        r#""foo/bar:80" is not a valid hostname"#
    );
    assert_eq!(
        error(&job(), &[("__address__", "foo/bar")], V3),
        r#""foo/bar" is not a valid hostname"#
    );
    assert_eq!(
        error(&job(), &[("__address__", "h:1/x")], V2),
        r#""h:1/x" is not a valid hostname"#
    );
}

#[test]
fn interval_and_timeout_labels_are_reparsed() {
    let address = [("__address__", "h:1")];
    let interval = |value: &str, version| {
        error(
            &with_rule(job(), "__scrape_interval__", value, version),
            &address,
            version,
        )
    };
    assert_eq!(
        interval("5x", V2),
        r#"error parsing scrape interval: not a valid duration string: "5x""#
    );
    assert_eq!(
        interval("5x", V3),
        r#"error parsing scrape interval: unknown unit "x" in duration "5x""#
    );
    assert_eq!(interval("0ms", V2), "scrape interval cannot be 0");
    assert_eq!(
        interval("5s", V2),
        r#"scrape timeout cannot be greater than scrape interval ("10s" > "5s")"#
    );

    let timeout = |value: &str| {
        error(
            &with_rule(job(), "__scrape_timeout__", value, V2),
            &address,
            V2,
        )
    };
    assert_eq!(
        timeout("2m"),
        r#"scrape timeout cannot be greater than scrape interval ("2m" > "1m")"#
    );
    assert_eq!(timeout("0"), "scrape timeout cannot be 0");
    assert_eq!(
        timeout("99999999999999999999y"),
        "error parsing scrape timeout: duration out of range"
    );

    let mut dropped = job();
    dropped.relabel_configs.push(
        rule(RelabelAction::LabelDrop)
            .regex("__scrape_interval__")
            .build(V2),
    );
    assert_eq!(
        error(&dropped, &address, V2),
        "error parsing scrape interval: empty duration string"
    );
}

#[test]
fn only_meta_labels_are_removed() {
    let target = [
        ("__address__", "h:1"),
        ("__meta_x", "m"),
        ("__tmp_y", "t"),
        ("__param_z", "p"),
    ];
    let result = populate_one(&job(), &target, V3);
    let (labels, url) = active(&result);
    assert_eq!(get(labels, "__meta_x"), None);
    assert_eq!(get(labels, "__tmp_y"), Some("t"));
    assert_eq!(get(labels, "__param_z"), Some("p"));
    assert_eq!(url, "http://h:1/metrics?z=p");
    assert_eq!(get(&result.discovered, "__meta_x"), Some("m"));
}

#[test]
fn reference_url_example_end_to_end() {
    let mut job = job();
    job.metrics_path = "/probe?x=1 y".to_string();
    let values = |list: &[&str]| list.iter().map(|v| v.to_string()).collect::<Vec<_>>();
    job.params = BTreeMap::from([
        ("module".to_string(), values(&["m1", "m2"])),
        ("other".to_string(), values(&["o"])),
        ("target".to_string(), values(&["http://example.com/a b"])),
    ]);
    let target = populate_one(&job, &[("__address__", "127.0.0.1:18000")], V2);
    assert_eq!(
        active(&target).1,
        "http://127.0.0.1:18000/probe%3Fx=1%20y?module=m1&module=m2&other=o&target=http%3A%2F%2Fexample.com%2Fa+b"
    );
}

#[test]
fn dedup_key_ignores_meta_but_not_tmp_labels() {
    let job = job();
    let one = populate_one(&job, &[("__address__", "h:1"), ("__meta_pod", "a")], V3);
    let two = populate_one(&job, &[("__address__", "h:1"), ("__meta_pod", "b")], V3);
    let tmp = populate_one(&job, &[("__address__", "h:1"), ("__tmp_x", "1")], V3);
    assert!(one.dedup_key().is_some());
    assert_eq!(one.dedup_key(), two.dedup_key());
    assert_ne!(one.dedup_key(), tmp.dedup_key());
    let dropped = Target {
        discovered: Labels::new(),
        state: TargetState::Dropped { rule: 0 },
        trace: Vec::new(),
    };
    assert_eq!(dropped.dedup_key(), None);
}

#[test]
fn trace_is_passed_through() {
    let job = with_rule(job(), "env", "prod", V3);
    let traced = populate(
        &job,
        &Labels::new(),
        labels(&[("__address__", "h:1")]),
        V3,
        true,
    );
    assert_eq!(traced.trace.len(), 1);
    assert!(populate_one(&job, &[("__address__", "h:1")], V3)
        .trace
        .is_empty());
}
