//! Stage 3a: Prometheus's relabel engine (`model/relabel`), applied rule by rule to a label set.
//! Pure: no IO, no clock, no randomness.
//!
//! Behaviour follows the selected Prometheus release where releases differ (what an empty or
//! invalid `replace` result deletes, which label names are valid, how regexes are anchored). With
//! tracing off, a rule that changes nothing allocates nothing; with tracing on, every rule leaves
//! a [`RuleStep`] saying whether it matched and what it changed.

mod action;
mod case;
mod edit;
mod reads;
#[cfg(test)]
pub(crate) mod test_rules;
#[cfg(test)]
mod tests;

use crate::config::model::RelabelRule;
use crate::labels::Labels;
use crate::version::PrometheusVersion;

pub use reads::{labels_read, LabelsRead};

/// The result of running a list of relabel rules over one label set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelabelOutcome {
    /// The labels after the last rule ran; when dropped, the labels the dropping rule saw.
    pub labels: Labels,
    /// The index of the `keep`/`drop`/`keepequal`/`dropequal` rule that dropped the set.
    pub dropped_by: Option<usize>,
    /// One step per rule that ran, in order; empty unless tracing was asked for.
    pub trace: Vec<RuleStep>,
}

/// What one rule did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleStep {
    /// The rule's index in the list.
    pub rule: usize,
    /// Whether the rule's condition held: the regex matched the value (`replace`, `keep`,
    /// `drop`), the values were equal (`keepequal`, `dropequal`), some label name matched
    /// (`labelmap`, `labeldrop`, `labelkeep`). `hashmod`, `lowercase` and `uppercase` always apply.
    pub matched: bool,
    /// Label writes in the order they happened; writes that left a value unchanged are omitted.
    pub changes: Vec<LabelChange>,
    /// True when this rule dropped the label set.
    pub dropped: bool,
}

/// One label write made by a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelChange {
    Set {
        name: String,
        old: Option<String>,
        new: String,
    },
    Deleted {
        name: String,
        old: String,
    },
}

/// Runs `rules` over `labels` in order, as Prometheus `version` would, stopping at the first rule
/// that drops the set.
pub fn apply(
    rules: &[RelabelRule],
    mut labels: Labels,
    version: PrometheusVersion,
    trace: bool,
) -> RelabelOutcome {
    let mut steps = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let mut changes = Vec::new();
        let verdict = {
            let mut editor = edit::Editor::new(&mut labels, trace.then_some(&mut changes));
            action::run(rule, &mut editor, version)
        };
        if trace {
            let dropped = !verdict.keep;
            steps.push(RuleStep {
                rule: index,
                matched: verdict.matched,
                changes,
                dropped,
            });
        }
        if !verdict.keep {
            return RelabelOutcome {
                labels,
                dropped_by: Some(index),
                trace: steps,
            };
        }
    }
    RelabelOutcome {
        labels,
        dropped_by: None,
        trace: steps,
    }
}

/// Whether `name` may be written by a `replace` rule: legacy names in 2.x, any non-empty UTF-8
/// in 3.x.
pub(crate) fn is_valid_label_name(name: &str, version: PrometheusVersion) -> bool {
    if version.utf8_label_names() {
        return !name.is_empty();
    }
    let mut bytes = name.bytes();
    let valid_first = bytes
        .next()
        .is_some_and(|b| b == b'_' || b.is_ascii_alphabetic());
    valid_first && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}
