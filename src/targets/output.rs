//! Printing resolved targets: JSON in the shape of `promtool check service-discovery` (so the two
//! can be diffed), an optional relabel trace, and a table for people.

use std::collections::HashSet;
use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use crate::config::model::{Config, RelabelRule};
use crate::discover::SdOutcome;
use crate::labels::Labels;
use crate::relabel::{LabelChange, RuleStep};
use crate::targets::alertmanager::{display_name, AlertmanagerState, AlertmanagerTargets};
use crate::targets::job::JobTargets;
use crate::targets::{Target, TargetState};

/// With `single`, one array (one job); otherwise an object keyed by job name.
pub fn json(config: &Config, jobs: &[&JobTargets], single: bool, explain: bool) -> String {
    let arrays: Vec<(String, Value)> = jobs
        .iter()
        .map(|job| {
            (
                job_name(config, job),
                Value::Array(job_entries(config, job, explain)),
            )
        })
        .collect();
    let value = if single {
        arrays
            .into_iter()
            .next()
            .map(|(_, array)| array)
            .unwrap_or(Value::Array(Vec::new()))
    } else {
        Value::Object(arrays.into_iter().collect::<Map<String, Value>>())
    };
    let mut text = serde_json::to_string_pretty(&value).expect("JSON values always serialize");
    text.push('\n');
    text
}

fn job_name(config: &Config, job: &JobTargets) -> String {
    config.scrape_configs[job.job_index].job_name.clone()
}

/// promtool prints each distinct result once per target group; the same target in two groups is
/// printed twice.
fn job_entries(config: &Config, job: &JobTargets, explain: bool) -> Vec<Value> {
    let scrape = &config.scrape_configs[job.job_index];
    let mut seen = HashSet::new();
    let mut entries = Vec::new();
    for resolved in &job.targets {
        let mut entry = entry(&resolved.target);
        let group = (resolved.sd_index, resolved.group_source.as_str());
        if !seen.insert((group, Value::Object(entry.clone()).to_string())) {
            continue;
        }
        if explain {
            entry.insert(
                "relabelTrace".to_string(),
                trace(&scrape.relabel_configs, &resolved.target.trace),
            );
        }
        entries.push(Value::Object(entry));
    }
    entries
}

fn entry(target: &Target) -> Map<String, Value> {
    let mut entry = Map::new();
    entry.insert("discoveredLabels".to_string(), labels(&target.discovered));
    match &target.state {
        TargetState::Active {
            labels: final_labels,
            ..
        } => {
            entry.insert("labels".to_string(), labels(final_labels));
        }
        TargetState::Dropped { .. } => {
            entry.insert("labels".to_string(), json!({}));
        }
        TargetState::Failed { error } => {
            entry.insert("labels".to_string(), json!({}));
            entry.insert("error".to_string(), Value::String(error.clone()));
        }
    }
    entry
}

fn labels(set: &Labels) -> Value {
    Value::Object(
        set.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

fn trace(rules: &[RelabelRule], steps: &[RuleStep]) -> Value {
    let steps = steps
        .iter()
        .map(|step| {
            let rule = rules.get(step.rule);
            let changes: Vec<Value> = step
                .changes
                .iter()
                .map(|change| match change {
                    LabelChange::Set { name, old, new } => {
                        json!({"set": name, "from": old, "to": new})
                    }
                    LabelChange::Deleted { name, old } => json!({"deleted": name, "was": old}),
                })
                .collect();
            json!({
                "rule": step.rule + 1,
                "action": rule.map(|r| r.action.as_str()),
                "location": rule.map(|r| r.location.to_string()),
                "matched": step.matched,
                "dropped": step.dropped,
                "changes": changes,
            })
        })
        .collect();
    Value::Array(steps)
}

/// One line per target: cluster, job, scrape URL (or address), and its state. Rows are grouped
/// by cluster, then job; a target with no known cluster shows `-`.
pub fn table(config: &Config, jobs: &[&JobTargets]) -> String {
    let mut rows = Vec::new();
    for job in jobs {
        let scrape = &config.scrape_configs[job.job_index];
        for resolved in &job.targets {
            let target = &resolved.target;
            let address = target
                .discovered
                .get("__address__")
                .cloned()
                .unwrap_or_default();
            let (shown, state) = match &target.state {
                TargetState::Active { scrape_url, .. } => {
                    (scrape_url.clone(), "active".to_string())
                }
                TargetState::Dropped { rule } => {
                    let at = scrape
                        .relabel_configs
                        .get(*rule)
                        .map(|r| format!(" at {}", r.location))
                        .unwrap_or_default();
                    (address, format!("dropped by rule {}{at}", rule + 1))
                }
                TargetState::Failed { error } => (address, format!("failed: {error}")),
            };
            let cluster = resolved.cluster.clone().unwrap_or_else(|| "-".to_string());
            rows.push([cluster, scrape.job_name.clone(), shown, state]);
        }
    }
    // Stable: within a cluster and job, targets keep their discovery order.
    rows.sort_by(|a, b| (&a[0], &a[1]).cmp(&(&b[0], &b[1])));
    rows.insert(0, ["CLUSTER", "JOB", "TARGET", "STATE"].map(String::from));
    let width = |column: usize| {
        rows.iter()
            .map(|r| r[column].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (cluster_width, job_width, target_width) = (width(0), width(1), width(2));
    let mut out = String::new();
    for [cluster, job, target, state] in &rows {
        let _ = writeln!(
            out,
            "{cluster:<cluster_width$}  {job:<job_width$}  {target:<target_width$}  {state}"
        );
    }
    out
}

/// The alertmanagers in the shape of Prometheus's `/api/v1/alertmanagers` data: every entry has
/// its `url` (what Prometheus lists), plus which `alerting.alertmanagers` entry it belongs to and
/// its labels. Targets Prometheus discards (an invalid address takes its whole group with it) are
/// under `invalidAlertmanagers`, and SD entries not resolved in this run under `notResolved`;
/// both keys appear only when non-empty.
pub fn alertmanagers_json(config: &Config, sets: &[AlertmanagerTargets], explain: bool) -> String {
    let (mut active, mut dropped, mut invalid, mut not_resolved) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for set in sets {
        let rules = config
            .alertmanagers
            .get(set.index)
            .map_or(&[][..], |am| am.relabel_configs.as_slice());
        for target in &set.targets {
            let mut entry = Map::new();
            let name = Value::String(display_name(set.index));
            match &target.state {
                AlertmanagerState::Active {
                    url,
                    labels: final_labels,
                    duplicate: false,
                } => {
                    entry.insert("url".into(), Value::String(url.clone()));
                    entry.insert("alertmanager".into(), name);
                    entry.insert("labels".into(), labels(final_labels));
                }
                AlertmanagerState::Active { .. } => continue,
                AlertmanagerState::Dropped { rule, url } => {
                    entry.insert("url".into(), Value::String(url.clone()));
                    entry.insert("alertmanager".into(), name);
                    entry.insert(
                        "droppedBy".into(),
                        json!(rules.get(*rule).map(|r| r.location.to_string())),
                    );
                }
                AlertmanagerState::Invalid { error }
                | AlertmanagerState::GroupDiscarded { error } => {
                    entry.insert("alertmanager".into(), name);
                    entry.insert("error".into(), Value::String(error.clone()));
                }
            }
            entry.insert("discoveredLabels".into(), labels(&target.discovered));
            if explain {
                entry.insert("relabelTrace".into(), trace(rules, &target.trace));
            }
            match &target.state {
                AlertmanagerState::Active { .. } => active.push(Value::Object(entry)),
                AlertmanagerState::Dropped { .. } => dropped.push(Value::Object(entry)),
                _ => invalid.push(Value::Object(entry)),
            }
        }
        for sd in &set.discovery {
            if let SdOutcome::NotResolved { mechanism, reason } = &sd.outcome {
                not_resolved.push(json!({
                    "alertmanager": display_name(set.index),
                    "location": sd.location.to_string(),
                    "mechanism": mechanism,
                    "reason": reason,
                }));
            }
        }
    }
    let mut out = Map::new();
    out.insert("activeAlertmanagers".into(), Value::Array(active));
    out.insert("droppedAlertmanagers".into(), Value::Array(dropped));
    if !invalid.is_empty() {
        out.insert("invalidAlertmanagers".into(), Value::Array(invalid));
    }
    if !not_resolved.is_empty() {
        out.insert("notResolved".into(), Value::Array(not_resolved));
    }
    let mut text =
        serde_json::to_string_pretty(&Value::Object(out)).expect("JSON values always serialize");
    text.push('\n');
    text
}

/// One line per discovered alertmanager: cluster, entry, URL (or address) and state.
pub fn alertmanagers_table(config: &Config, sets: &[AlertmanagerTargets]) -> String {
    let mut rows = Vec::new();
    for set in sets {
        let am = config.alertmanagers.get(set.index);
        for target in &set.targets {
            let address = target
                .discovered
                .get("__address__")
                .cloned()
                .unwrap_or_default();
            let (shown, state) = match &target.state {
                AlertmanagerState::Active { url, duplicate, .. } => (
                    url.clone(),
                    if *duplicate { "duplicate" } else { "active" }.to_string(),
                ),
                AlertmanagerState::Dropped { rule, url } => {
                    let at = am
                        .and_then(|am| am.relabel_configs.get(*rule))
                        .map(|r| format!(" at {}", r.location))
                        .unwrap_or_default();
                    (url.clone(), format!("dropped by rule {}{at}", rule + 1))
                }
                AlertmanagerState::Invalid { error } => (address, format!("failed: {error}")),
                AlertmanagerState::GroupDiscarded { error } => {
                    (address, format!("discarded with its group: {error}"))
                }
            };
            let cluster = target.cluster.clone().unwrap_or_else(|| "-".to_string());
            rows.push([cluster, display_name(set.index), shown, state]);
        }
    }
    rows.sort_by(|a, b| a[0].cmp(&b[0]));
    rows.insert(
        0,
        ["CLUSTER", "ALERTMANAGER", "URL", "STATE"].map(String::from),
    );
    let width = |column: usize| {
        rows.iter()
            .map(|r| r[column].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    let mut out = String::new();
    for [cluster, name, url, state] in &rows {
        let _ = writeln!(out, "{cluster:<w0$}  {name:<w1$}  {url:<w2$}  {state}");
    }
    out
}
