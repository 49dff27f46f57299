//! The relabel test vectors of the reference (section 3), in both 2.42 and 3.x behaviour where
//! they differ, plus tracing.

use super::*;
use crate::config::model::RelabelAction::{self, *};
use crate::relabel::test_rules::{labels, rule, RuleBuilder};

const V2: PrometheusVersion = PrometheusVersion::V2_42;
const V2_50: PrometheusVersion = PrometheusVersion::new(2, 50);
const V3: PrometheusVersion = PrometheusVersion::DEFAULT;

fn run(
    version: PrometheusVersion,
    rules: Vec<RuleBuilder>,
    input: &[(&str, &str)],
) -> RelabelOutcome {
    let rules: Vec<RelabelRule> = rules.into_iter().map(|r| r.build(version)).collect();
    apply(&rules, labels(input), version, false)
}

fn kept(version: PrometheusVersion, rules: Vec<RuleBuilder>, input: &[(&str, &str)]) -> Labels {
    let outcome = run(version, rules, input);
    assert_eq!(
        outcome.dropped_by, None,
        "expected the label set to be kept"
    );
    outcome.labels
}

fn replace(sources: &[&str], regex: &str, target: &str, replacement: &str) -> RuleBuilder {
    rule(Replace)
        .sources(sources)
        .regex(regex)
        .target(target)
        .replacement(replacement)
}

fn filter(action: RelabelAction, sources: &[&str], regex: &str) -> RuleBuilder {
    rule(action).sources(sources).regex(regex)
}

fn hashmod(value: &str, modulus: u64) -> String {
    let rules = vec![rule(HashMod).sources(&["a"]).target("h").modulus(modulus)];
    let out = kept(V3, rules, &[("a", value)]);
    out.get("h").cloned().unwrap_or_default()
}

#[test]
fn vector_1_replacement_expands_groups_repeatedly() {
    let out = kept(
        V2,
        vec![replace(&["a"], "f(.*)", "d", "ch${1}-ch${1}")],
        &[("a", "foo")],
    );
    assert_eq!(out, labels(&[("a", "foo"), ("d", "choo-choo")]));
}

#[test]
fn vector_2_rules_see_earlier_results() {
    let rules = vec![
        replace(&["a", "b"], "f(.*);(.*)r", "a", "b${1}${2}m"),
        replace(&["c", "a"], "(b).*b(.*)ba(.*)", "d", "$1$2$2$3"),
    ];
    let out = kept(V3, rules, &[("a", "foo"), ("b", "bar"), ("c", "baz")]);
    assert_eq!(out.get("a").map(String::as_str), Some("boobam"));
    assert_eq!(out.get("d").map(String::as_str), Some("boooom"));
}

#[test]
fn vector_3_regexes_are_anchored() {
    let foo = &[("a", "foo")];
    assert_eq!(
        run(V2, vec![filter(Drop, &["a"], ".*o.*")], foo).dropped_by,
        Some(0)
    );
    assert_eq!(
        run(V2, vec![filter(Drop, &["a"], "f|o")], foo).dropped_by,
        None
    );
    assert_eq!(
        run(V2, vec![filter(Keep, &["a"], "no-match")], foo).dropped_by,
        Some(0)
    );
    let boo = &[("a", "boo")];
    assert_eq!(
        kept(V2, vec![replace(&["a"], "f", "b", "bar")], boo),
        labels(boo)
    );
}

#[test]
fn vector_4_hashmod_matches_prometheus() {
    assert_eq!(hashmod("baz", 1000), "976");
    assert_eq!(hashmod("foo\nbar", 1000), "734");
    assert_eq!(hashmod("foo", 1000), "696");
    assert_eq!(hashmod("Baz", 1000), "940");
}

#[test]
fn hashmod_with_zero_modulus_changes_nothing() {
    assert_eq!(hashmod("baz", 0), "");
}

#[test]
fn vector_5_labelmap_copies_matching_names() {
    let input = [("a", "foo"), ("b1", "bar"), ("b2", "baz")];
    let out = kept(
        V2,
        vec![rule(LabelMap).regex("(b.*)").replacement("bar_${1}")],
        &input,
    );
    let expected = [
        ("a", "foo"),
        ("b1", "bar"),
        ("b2", "baz"),
        ("bar_b1", "bar"),
        ("bar_b2", "baz"),
    ];
    assert_eq!(out, labels(&expected));

    let input = [
        ("__meta_my_bar", "aaa"),
        ("__meta_my_baz", "bbb"),
        ("__meta_other", "ccc"),
    ];
    let out = kept(
        V2,
        vec![rule(LabelMap).regex("__meta_(my.*)").replacement("${1}")],
        &input,
    );
    assert_eq!(out.get("my_bar").map(String::as_str), Some("aaa"));
    assert_eq!(out.get("my_baz").map(String::as_str), Some("bbb"));
    assert_eq!(out.len(), 5);
}

#[test]
fn labelmap_later_names_win_when_they_collide() {
    let input = [("x_a", "first"), ("y_a", "second")];
    let out = kept(
        V3,
        vec![rule(LabelMap).regex("[xy]_(.*)").replacement("$1")],
        &input,
    );
    assert_eq!(out.get("a").map(String::as_str), Some("second"));
}

#[test]
fn vector_6_templated_target_label() {
    let input = &[("a", "some-name-value")];
    let regex = "some-([^-]+)-([^,]+)";
    for version in [V2, V3] {
        let out = kept(version, vec![replace(&["a"], regex, "${1}", "${2}")], input);
        assert_eq!(out.get("name").map(String::as_str), Some("value"));
        assert_eq!(
            kept(version, vec![replace(&["a"], regex, "${1}", "${3}")], input),
            labels(input)
        );
        assert_eq!(
            kept(version, vec![replace(&["a"], regex, "${3}", "${1}")], input),
            labels(input)
        );
    }
}

#[test]
fn vector_7_labeldrop_then_replace_then_keep() {
    let rules = vec![
        rule(LabelDrop).regex("x"),
        rule(Replace).target("x").replacement("metrics"),
        filter(Keep, &["x"], "^metrics$"),
    ];
    for version in [V2, V3] {
        let out = kept(version, rules.clone(), &[("x", "old"), ("y", "1")]);
        assert_eq!(out, labels(&[("x", "metrics"), ("y", "1")]));
    }
}

#[test]
fn vector_8_labelkeep_labeldrop_and_case() {
    let input = [("a", "foo"), ("b1", "bar"), ("b2", "baz")];
    let out = kept(V2, vec![rule(LabelKeep).regex("(b.*)")], &input);
    assert_eq!(out, labels(&[("b1", "bar"), ("b2", "baz")]));
    let out = kept(V2, vec![rule(LabelDrop).regex("(b.*)")], &input);
    assert_eq!(out, labels(&[("a", "foo")]));

    let input = [("foo", "bAr123Foo")];
    let rules = vec![
        rule(Uppercase).sources(&["foo"]).target("foo_uppercase"),
        rule(Lowercase).sources(&["foo"]).target("foo_lowercase"),
    ];
    let out = kept(V3, rules, &input);
    assert_eq!(
        out.get("foo_uppercase").map(String::as_str),
        Some("BAR123FOO")
    );
    assert_eq!(
        out.get("foo_lowercase").map(String::as_str),
        Some("bar123foo")
    );
}

#[test]
fn vector_9_keepequal_and_dropequal() {
    let input = [
        ("__tmp_port", "1234"),
        ("__port1", "1234"),
        ("__port2", "5678"),
    ];
    let equal = |action, target| {
        run(
            V3,
            vec![rule(action).sources(&["__tmp_port"]).target(target)],
            &input,
        )
    };
    assert_eq!(equal(KeepEqual, "__port1").dropped_by, None);
    assert_eq!(equal(DropEqual, "__port1").dropped_by, Some(0));
    assert_eq!(equal(KeepEqual, "__port2").dropped_by, Some(0));
    assert_eq!(equal(DropEqual, "__port2").dropped_by, None);
}

#[test]
fn vector_10_empty_result_deletes_expanded_target_from_2_50() {
    let input = [("a", "foo"), ("f", "baz")];
    let rules = || vec![replace(&["a"], "(f).*", "$1", "$2")];
    assert_eq!(kept(V2, rules(), &input), labels(&input));
    assert_eq!(kept(V2_50, rules(), &input), labels(&[("a", "foo")]));
    assert_eq!(kept(V3, rules(), &input), labels(&[("a", "foo")]));
}

#[test]
fn empty_result_before_2_50_deletes_the_literal_target() {
    let input = [("a", "foo"), ("t", "old")];
    let rules = || vec![replace(&["a"], "(f).*", "t", "$2")];
    assert_eq!(kept(V2, rules(), &input), labels(&[("a", "foo")]));
    assert_eq!(kept(V3, rules(), &input), labels(&[("a", "foo")]));
}

#[test]
fn invalid_target_names_follow_the_version() {
    let input = [("a", "b-c")];
    let rules = || vec![replace(&["a"], "(.*)", "${1}", "x")];
    assert_eq!(kept(V2, rules(), &input), labels(&input));
    assert_eq!(
        kept(V3, rules(), &input),
        labels(&[("a", "b-c"), ("b-c", "x")])
    );
}

#[test]
fn vector_11_replace_details_seen_on_2_42() {
    let out = kept(
        V2,
        vec![replace(&["missing"], "(.*)", "t", "$1")],
        &[("t", "old")],
    );
    assert_eq!(
        out,
        Labels::new(),
        "a missing source reads as empty, which deletes the target"
    );

    let named = replace(&["a"], "(?P<first>f)(o+)", "t", "$first-$2-$0");
    assert_eq!(
        kept(V2, vec![named], &[("a", "foo")])
            .get("t")
            .map(String::as_str),
        Some("f-oo-foo")
    );

    let bar = replace(&["a"], "(f)(o+)", "t", "$1bar");
    assert_eq!(kept(V2, vec![bar], &[("a", "foo")]).get("t"), None);

    let joined = replace(&["a", "b"], "(.*)", "t", "$1").separator("");
    let out = kept(V2, vec![joined], &[("a", "foo"), ("b", "bar")]);
    assert_eq!(out.get("t").map(String::as_str), Some("foobar"));
}

#[test]
fn dot_matches_newline_in_3x_rules_only() {
    let input = [("a", "line1\nline2")];
    let rules = || vec![filter(Keep, &["a"], "line1.*line2")];
    assert_eq!(run(V2, rules(), &input).dropped_by, Some(0));
    assert_eq!(run(V3, rules(), &input).dropped_by, None);
}

#[test]
fn dropping_stops_at_the_dropping_rule() {
    let rules = vec![
        rule(Replace).target("x").replacement("1"),
        filter(Drop, &["x"], "1"),
        rule(Replace).target("y").replacement("2"),
    ];
    let outcome = run(V3, rules, &[("a", "b")]);
    assert_eq!(outcome.dropped_by, Some(1));
    assert_eq!(outcome.labels, labels(&[("a", "b"), ("x", "1")]));
}

#[test]
fn trace_records_each_rule_and_its_changes() {
    let rules: Vec<RelabelRule> = vec![
        replace(&["a"], "f(.*)", "b", "$1").build(V3),
        rule(LabelDrop).regex("a").build(V3),
        filter(Keep, &["b"], "nope").build(V3),
    ];
    let outcome = apply(&rules, labels(&[("a", "foo"), ("b", "x")]), V3, true);
    let set_b = LabelChange::Set {
        name: "b".into(),
        old: Some("x".into()),
        new: "oo".into(),
    };
    let drop_a = LabelChange::Deleted {
        name: "a".into(),
        old: "foo".into(),
    };
    let expected = vec![
        RuleStep {
            rule: 0,
            matched: true,
            changes: vec![set_b],
            dropped: false,
        },
        RuleStep {
            rule: 1,
            matched: true,
            changes: vec![drop_a],
            dropped: false,
        },
        RuleStep {
            rule: 2,
            matched: false,
            changes: vec![],
            dropped: true,
        },
    ];
    assert_eq!(outcome.trace, expected);
    assert!(apply(&rules, labels(&[("a", "foo")]), V3, false)
        .trace
        .is_empty());
}

#[test]
fn unchanged_values_are_not_traced() {
    let rules = vec![rule(Replace).target("a").replacement("same").build(V3)];
    let outcome = apply(&rules, labels(&[("a", "same")]), V3, true);
    assert_eq!(
        outcome.trace.first().map(|step| step.changes.len()),
        Some(0)
    );
}

#[test]
fn label_name_validity_depends_on_version() {
    assert!(is_valid_label_name("_a1", V2));
    assert!(!is_valid_label_name("1a", V2));
    assert!(!is_valid_label_name("a.b", V2));
    assert!(!is_valid_label_name("", V2));
    assert!(is_valid_label_name("a.b ü", V3));
    assert!(!is_valid_label_name("", V3));
}
