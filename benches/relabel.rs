//! Relabel + finalization throughput (targets/s) through `targets::populate`: the seed's jobs
//! (`fixtures/seed/prometheus.yml`: the node-role cadvisor job and the endpoints-role
//! node-exporter job) and a 20-rule job, each on 1,000 synthetic discovered targets.

#[path = "support/generate.rs"]
mod generate;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use prom_preflight::config::{self, ScrapeConfig};
use prom_preflight::targets::{populate, TargetState};
use prom_preflight::version::PrometheusVersion;

const TARGETS: usize = 1000;

fn job(text: &str, name: &str, version: PrometheusVersion) -> ScrapeConfig {
    let loaded = config::load_str(text, Path::new("prometheus.yml"), version);
    let found = loaded
        .config
        .scrape_configs
        .into_iter()
        .filter(|job| job.job_name == name)
        .last();
    match found {
        Some(job) => job,
        None => panic!("the benchmark config has no job {name}"),
    }
}

fn relabel(c: &mut Criterion) {
    let version = PrometheusVersion::DEFAULT;
    let seed = include_str!("../fixtures/seed/prometheus.yml");
    let cases = [
        (
            "seed-cadvisor (node role, 4 rules)",
            job(seed, "stage-cadvisor", version),
            (0..TARGETS).map(generate::node_target).collect::<Vec<_>>(),
        ),
        (
            "seed-node-exporter (endpoints role, 9 rules)",
            job(seed, "stage-node-exporter", version),
            (0..TARGETS).map(generate::endpoints_target).collect(),
        ),
        (
            "20-rule job (endpoints role)",
            job(generate::TWENTY_RULE_JOB, "twenty-rules", version),
            (0..TARGETS).map(generate::endpoints_target).collect(),
        ),
    ];
    let group_labels = BTreeMap::new();
    // Each job must keep its synthetic targets: a rule that dropped them all would measure the
    // short path of a drop, not relabeling and finalization.
    for (name, job, targets) in &cases {
        for target in targets {
            let state = populate(job, &group_labels, target.clone(), version, false).state;
            assert!(
                matches!(state, TargetState::Active { .. }),
                "{name}: a synthetic target is not scraped: {state:?}"
            );
        }
    }
    let mut group = c.benchmark_group("relabel");
    group.throughput(Throughput::Elements(TARGETS as u64));
    for (name, job, targets) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| {
                for target in targets {
                    black_box(populate(job, &group_labels, target.clone(), version, false));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, relabel);
criterion_main!(benches);
