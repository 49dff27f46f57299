//! Writes to a label set on behalf of one relabel rule, recording them when tracing. Part of the
//! relabel stage; pure.

use std::borrow::Cow;

use crate::config::model::RelabelRule;
use crate::labels::Labels;

use super::LabelChange;

/// A label set being changed by one rule. Setting a label to "" deletes it, as in Prometheus.
pub(super) struct Editor<'a> {
    labels: &'a mut Labels,
    changes: Option<&'a mut Vec<LabelChange>>,
}

impl<'a> Editor<'a> {
    pub(super) fn new(labels: &'a mut Labels, changes: Option<&'a mut Vec<LabelChange>>) -> Self {
        Editor { labels, changes }
    }

    pub(super) fn labels(&self) -> &Labels {
        self.labels
    }

    /// A missing label reads as "".
    pub(super) fn get(&self, name: &str) -> &str {
        self.labels.get(name).map_or("", String::as_str)
    }

    pub(super) fn set(&mut self, name: &str, value: &str) {
        if value.is_empty() {
            return self.delete(name);
        }
        let old = match self.labels.get_mut(name) {
            Some(current) if current == value => return,
            Some(current) => Some(std::mem::replace(current, value.to_string())),
            None => {
                self.labels.insert(name.to_string(), value.to_string());
                None
            }
        };
        if let Some(changes) = self.changes.as_mut() {
            changes.push(LabelChange::Set {
                name: name.to_string(),
                old,
                new: value.to_string(),
            });
        }
    }

    pub(super) fn delete(&mut self, name: &str) {
        let Some(old) = self.labels.remove(name) else {
            return;
        };
        if let Some(changes) = self.changes.as_mut() {
            changes.push(LabelChange::Deleted {
                name: name.to_string(),
                old,
            });
        }
    }

    /// Deletes every label whose name `keep` refuses.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        let changes = &mut self.changes;
        self.labels.retain(|name, value| {
            let kept = keep(name);
            if let (false, Some(changes)) = (kept, changes.as_mut()) {
                changes.push(LabelChange::Deleted {
                    name: name.clone(),
                    old: value.clone(),
                });
            }
            kept
        });
    }
}

/// The rule's input: its `source_labels` values joined by `separator`, missing labels as "".
/// Borrowed when there is at most one source label, which is the common case.
pub(super) fn source_value<'l>(rule: &RelabelRule, labels: &'l Labels) -> Cow<'l, str> {
    let value_of = |name: &String| labels.get(name).map_or("", String::as_str);
    match rule.source_labels.as_slice() {
        [] => Cow::Borrowed(""),
        [only] => Cow::Borrowed(value_of(only)),
        names => {
            let values: Vec<&str> = names.iter().map(value_of).collect();
            Cow::Owned(values.join(&rule.separator))
        }
    }
}
