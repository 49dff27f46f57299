//! Which labels a relabel rule reads, for checks that reason about rules without running them.
//! Part of the relabel stage; pure.

use crate::config::model::{RelabelAction, RelabelRule};
use crate::config::regex::PromRegex;

/// The labels a rule's outcome depends on.
#[derive(Debug, Clone, Copy)]
pub enum LabelsRead<'r> {
    /// Named labels: `source_labels`, plus `target_label` for `keepequal`/`dropequal`.
    Named {
        sources: &'r [String],
        compared: Option<&'r str>,
    },
    /// Every label whose name the regex matches (`labelmap`, `labeldrop`, `labelkeep`).
    NamesMatching(&'r PromRegex),
}

impl LabelsRead<'_> {
    /// Whether the rule reads the label called `name`.
    pub fn includes(&self, name: &str) -> bool {
        match self {
            LabelsRead::Named { sources, compared } => {
                sources.iter().any(|source| source == name) || *compared == Some(name)
            }
            LabelsRead::NamesMatching(regex) => regex.is_match(name),
        }
    }
}

/// The labels `rule` reads.
pub fn labels_read(rule: &RelabelRule) -> LabelsRead<'_> {
    match rule.action {
        RelabelAction::LabelMap | RelabelAction::LabelDrop | RelabelAction::LabelKeep => {
            LabelsRead::NamesMatching(&rule.regex)
        }
        RelabelAction::KeepEqual | RelabelAction::DropEqual => LabelsRead::Named {
            sources: &rule.source_labels,
            compared: Some(&rule.target_label),
        },
        _ => LabelsRead::Named {
            sources: &rule.source_labels,
            compared: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relabel::test_rules::rule;
    use crate::version::PrometheusVersion;

    const V3: PrometheusVersion = PrometheusVersion::DEFAULT;

    #[test]
    fn replace_reads_its_sources_only() {
        let replace = rule(RelabelAction::Replace)
            .sources(&["a", "b"])
            .target("c")
            .build(V3);
        let read = labels_read(&replace);
        assert!(read.includes("a") && read.includes("b"));
        assert!(!read.includes("c"));
    }

    #[test]
    fn equality_actions_read_the_target_too() {
        let keepequal = rule(RelabelAction::KeepEqual)
            .sources(&["a"])
            .target("b")
            .build(V3);
        assert!(labels_read(&keepequal).includes("b"));
    }

    #[test]
    fn label_set_actions_read_matching_names() {
        let labeldrop = rule(RelabelAction::LabelDrop).regex("__meta_.*").build(V3);
        let read = labels_read(&labeldrop);
        assert!(read.includes("__meta_x"));
        assert!(!read.includes("job"));
    }
}
