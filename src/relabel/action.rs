//! One function per relabel action, each reproducing Prometheus's `relabel` switch arm. Part of
//! the relabel stage; pure.

use std::borrow::Cow;

use md5::{Digest, Md5};

use crate::config::model::{RelabelAction, RelabelRule};
use crate::config::regex::Submatches;
use crate::version::PrometheusVersion;

use super::case::{go_to_lower, go_to_upper};
use super::edit::{source_value, Editor};
use super::is_valid_label_name;

/// Whether the rule's condition held, and whether the label set survives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Verdict {
    pub matched: bool,
    pub keep: bool,
}

impl Verdict {
    fn applied(matched: bool) -> Verdict {
        Verdict {
            matched,
            keep: true,
        }
    }

    fn filter(matched: bool, keep: bool) -> Verdict {
        Verdict { matched, keep }
    }
}

pub(super) fn run(
    rule: &RelabelRule,
    editor: &mut Editor<'_>,
    version: PrometheusVersion,
) -> Verdict {
    match rule.action {
        RelabelAction::Replace => Verdict::applied(replace(rule, editor, version)),
        RelabelAction::Keep => {
            let matched = rule.regex.is_match(&source_value(rule, editor.labels()));
            Verdict::filter(matched, matched)
        }
        RelabelAction::Drop => {
            let matched = rule.regex.is_match(&source_value(rule, editor.labels()));
            Verdict::filter(matched, !matched)
        }
        RelabelAction::KeepEqual => {
            let equal = equals_target(rule, editor);
            Verdict::filter(equal, equal)
        }
        RelabelAction::DropEqual => {
            let equal = equals_target(rule, editor);
            Verdict::filter(equal, !equal)
        }
        RelabelAction::HashMod => Verdict::applied(hashmod(rule, editor)),
        RelabelAction::LabelMap => Verdict::applied(labelmap(rule, editor)),
        RelabelAction::LabelDrop => Verdict::applied(drop_names(rule, editor, true)),
        RelabelAction::LabelKeep => Verdict::applied(drop_names(rule, editor, false)),
        RelabelAction::Lowercase => Verdict::applied(change_case(rule, editor, go_to_lower)),
        RelabelAction::Uppercase => Verdict::applied(change_case(rule, editor, go_to_upper)),
    }
}

/// What a `replace` rule decided, computed before any label is written.
enum Replacement<'r> {
    NoMatch,
    InvalidTarget,
    Write {
        target: Cow<'r, str>,
        value: Cow<'r, str>,
    },
}

/// Returns whether the regex matched.
fn replace(rule: &RelabelRule, editor: &mut Editor<'_>, version: PrometheusVersion) -> bool {
    let deletes_expanded = version.replace_deletes_expanded_target();
    match evaluate_replace(rule, editor, version) {
        Replacement::NoMatch => return false,
        // Before 2.50 Prometheus deleted the label named like the unexpanded template.
        Replacement::InvalidTarget if !deletes_expanded => editor.delete(&rule.target_label),
        Replacement::InvalidTarget => {}
        Replacement::Write { target, value } if value.is_empty() => {
            editor.delete(if deletes_expanded {
                &target
            } else {
                &rule.target_label
            });
        }
        Replacement::Write { target, value } => editor.set(&target, &value),
    }
    true
}

fn evaluate_replace<'r>(
    rule: &'r RelabelRule,
    editor: &Editor<'_>,
    version: PrometheusVersion,
) -> Replacement<'r> {
    let input = source_value(rule, editor.labels());
    let templated = |text: &str| text.contains('$');
    // Without `$` in either template no submatch is needed, which saves an allocation per rule.
    let (target, value) = if !templated(&rule.target_label) && !templated(&rule.replacement) {
        if !rule.regex.is_match(&input) {
            return Replacement::NoMatch;
        }
        (
            Cow::Borrowed(rule.target_label.as_str()),
            Cow::Borrowed(rule.replacement.as_str()),
        )
    } else {
        let Some(groups) = rule.regex.captures(&input) else {
            return Replacement::NoMatch;
        };
        (
            expand(&groups, &rule.target_label),
            expand(&groups, &rule.replacement),
        )
    };
    if !is_valid_label_name(&target, version) {
        return Replacement::InvalidTarget;
    }
    Replacement::Write { target, value }
}

fn expand<'r>(groups: &Submatches<'_, '_>, template: &'r str) -> Cow<'r, str> {
    if !template.contains('$') {
        return Cow::Borrowed(template);
    }
    let mut out = String::new();
    groups.expand(template, &mut out);
    Cow::Owned(out)
}

fn equals_target(rule: &RelabelRule, editor: &Editor<'_>) -> bool {
    source_value(rule, editor.labels()) == editor.get(&rule.target_label)
}

/// `hashmod`: the big-endian u64 of md5 bytes 8..16, modulo `modulus`. A zero modulus is refused
/// at load; here it leaves the labels alone rather than divide by zero.
fn hashmod(rule: &RelabelRule, editor: &mut Editor<'_>) -> bool {
    let bucket = {
        let input = source_value(rule, editor.labels());
        let digest: [u8; 16] = Md5::digest(input.as_bytes()).into();
        let [_, _, _, _, _, _, _, _, low @ ..] = digest;
        u64::from_be_bytes(low).checked_rem(rule.modulus)
    };
    let Some(bucket) = bucket else {
        return false;
    };
    editor.set(&rule.target_label, &bucket.to_string());
    true
}

/// `labelmap`: every label whose name matches is copied to the name `ReplaceAllString` gives.
/// Names are read before any write, in sorted order, so a later copy wins over an earlier one.
fn labelmap(rule: &RelabelRule, editor: &mut Editor<'_>) -> bool {
    let copies: Vec<(String, String)> = editor
        .labels()
        .iter()
        .filter(|(name, _)| rule.regex.is_match(name))
        .map(|(name, value)| {
            (
                rule.regex.replace_all(name, &rule.replacement),
                value.clone(),
            )
        })
        .collect();
    for (name, value) in &copies {
        editor.set(name, value);
    }
    !copies.is_empty()
}

/// `labeldrop` (`drop_matching`) and `labelkeep`; returns whether any name matched.
fn drop_names(rule: &RelabelRule, editor: &mut Editor<'_>, drop_matching: bool) -> bool {
    let mut any_matched = false;
    editor.retain(|name| {
        let matched = rule.regex.is_match(name);
        any_matched |= matched;
        matched != drop_matching
    });
    any_matched
}

/// `lowercase` / `uppercase` ignore the regex and always write the target label.
fn change_case(rule: &RelabelRule, editor: &mut Editor<'_>, convert: fn(&str) -> String) -> bool {
    let converted = convert(&source_value(rule, editor.labels()));
    editor.set(&rule.target_label, &converted);
    true
}
