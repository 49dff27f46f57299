//! Printing resolved targets: JSON in the shape of `promtool check service-discovery` (so the two
//! can be diffed), an optional relabel trace, and a table for people.

use std::collections::HashSet;
use std::fmt::Write as _;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{json, Map, Value};

use crate::config::model::{Config, RelabelRule};
use crate::discover::SdOutcome;
use crate::labels::Labels;
use crate::relabel::{LabelChange, RuleStep};
use crate::targets::alertmanager::{display_name, AlertmanagerState, AlertmanagerTargets};
use crate::targets::job::{JobTargets, ResolvedTarget};
use crate::targets::TargetState;

/// With `single`, one array (one job); otherwise an object keyed by job name.
///
/// Written by a serializer straight into the output buffer: no JSON value tree is built (at
/// 10,000 targets the trees cost more than resolving the targets).
pub fn json(config: &Config, jobs: &[&JobTargets], single: bool, explain: bool) -> String {
    let mut out = Vec::with_capacity(4096);
    let mut serializer = serde_json::Serializer::pretty(&mut out);
    let written = if single {
        let entries = jobs.first().map(|job| JobEntries {
            config,
            job,
            explain,
        });
        match entries {
            Some(entries) => entries.serialize(&mut serializer),
            None => serializer.collect_seq(std::iter::empty::<()>()),
        }
    } else {
        serializer.collect_map(jobs.iter().map(|job| {
            (
                job_name(config, job),
                JobEntries {
                    config,
                    job,
                    explain,
                },
            )
        }))
    };
    // Writing to a Vec cannot fail, and every key is a string.
    debug_assert!(written.is_ok());
    let mut text = String::from_utf8(out).unwrap_or_default();
    text.push('\n');
    text
}

fn job_name<'a>(config: &'a Config, job: &JobTargets) -> &'a str {
    &config.scrape_configs[job.job_index].job_name
}

/// The entries of one job. promtool prints each distinct result once per target group; the
/// same target in two groups is printed twice.
struct JobEntries<'a> {
    config: &'a Config,
    job: &'a JobTargets,
    explain: bool,
}

static NO_LABELS: Labels = Labels::new();

/// What an entry prints (without its trace): two entries print the same iff these are equal.
type EntryKey<'a> = (usize, &'a str, &'a Labels, &'a Labels, Option<&'a str>);

fn entry_key(resolved: &ResolvedTarget) -> EntryKey<'_> {
    let target = &resolved.target;
    let (labels, error) = match &target.state {
        TargetState::Active { labels, .. } => (labels, None),
        TargetState::Dropped { .. } => (&NO_LABELS, None),
        TargetState::Failed { error } => (&NO_LABELS, Some(error.as_str())),
    };
    (
        resolved.sd_index,
        resolved.group_source.as_str(),
        &target.discovered,
        labels,
        error,
    )
}

impl Serialize for JobEntries<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let scrape = &self.config.scrape_configs[self.job.job_index];
        let mut seen = HashSet::with_capacity(self.job.targets.len());
        let mut seq = serializer.serialize_seq(None)?;
        for resolved in &self.job.targets {
            let key = entry_key(resolved);
            if !seen.insert(key) {
                continue;
            }
            let (_, _, discovered, labels, error) = key;
            let trace = self
                .explain
                .then(|| trace(&scrape.relabel_configs, &resolved.target.trace));
            seq.serialize_element(&Entry {
                discovered,
                labels,
                error,
                trace,
            })?;
        }
        seq.end()
    }
}

struct Entry<'a> {
    discovered: &'a Labels,
    labels: &'a Labels,
    error: Option<&'a str>,
    trace: Option<Value>,
}

impl Serialize for Entry<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("discoveredLabels", self.discovered)?;
        map.serialize_entry("labels", self.labels)?;
        if let Some(error) = self.error {
            map.serialize_entry("error", error)?;
        }
        if let Some(trace) = &self.trace {
            map.serialize_entry("relabelTrace", trace)?;
        }
        map.end()
    }
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
