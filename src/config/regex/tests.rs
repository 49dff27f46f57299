use super::*;

const V2: PrometheusVersion = PrometheusVersion::V2_42;
const V3: PrometheusVersion = PrometheusVersion::DEFAULT;

fn regex(pattern: &str, version: PrometheusVersion) -> PromRegex {
    PromRegex::new(pattern, version).unwrap_or_else(|e| panic!("{pattern}: {e}"))
}

fn error(pattern: &str) -> String {
    match PromRegex::new(pattern, V2) {
        Ok(_) => panic!("{pattern} should be refused"),
        Err(e) => e.to_string(),
    }
}

fn expand(pattern: &str, text: &str, template: &str) -> String {
    let re = regex(pattern, V2);
    let mut out = String::new();
    if let Some(groups) = re.captures(text) {
        groups.expand(template, &mut out);
    }
    out
}

#[test]
fn patterns_are_fully_anchored() {
    let re = regex("f|o", V2);
    assert!(re.is_match("f"));
    assert!(!re.is_match("foo"));
    assert!(regex(".*o.*", V2).is_match("foo"));
    assert!(!regex("f", V2).is_match("boo"));
}

#[test]
fn empty_pattern_matches_only_empty_text() {
    let re = regex("", V3);
    assert!(re.is_match(""));
    assert!(!re.is_match("a"));
}

#[test]
fn dot_matches_newline_only_in_3x() {
    assert!(!regex("line1.*line2", V2).is_match("line1\nline2"));
    assert!(regex("(?s)line1.*line2", V2).is_match("line1\nline2"));
    assert!(regex("line1.*line2", V3).is_match("line1\nline2"));
}

#[test]
fn perl_classes_are_ascii_like_go() {
    assert!(!regex(r"\d", V3).is_match("٣"));
    assert!(regex(r"\d", V3).is_match("3"));
    assert!(!regex(r"[\d]", V3).is_match("٣"));
    assert!(regex(r"\D", V3).is_match("٣"));
    assert!(!regex(r"\w+", V3).is_match("é"));
    assert!(!regex(r"\s", V3).is_match("\u{a0}"));
    assert!(
        !regex(r"\s", V3).is_match("\u{b}"),
        "Go's \\s has no vertical tab"
    );
    assert!(
        regex(r"a\bé", V3).is_match("aé"),
        "é is not a word character to Go"
    );
    assert!(regex(r"é\ba", V3).is_match("éa"));
    assert!(regex(r"é\Bé", V3).is_match("éé"));
}

#[test]
fn unicode_classes_keep_their_meaning() {
    assert!(regex(r"\pL+", V3).is_match("éa"));
    assert!(regex(r"\p{Greek}", V3).is_match("λ"));
    assert!(regex(r"\p{^Greek}", V3).is_match("a"));
    assert!(!regex(r"\P{Greek}", V3).is_match("λ"));
}

#[test]
fn go_literal_forms_match_literally() {
    assert!(regex("a{,2}", V2).is_match("a{,2}"));
    assert!(regex(r"\Q.*\E", V2).is_match(".*"));
    assert!(!regex(r"\Q.*\E", V2).is_match("ab"));
    assert!(regex(r"\<x\>", V2).is_match("<x>"));
    assert!(regex("[[]", V2).is_match("["));
}

#[test]
fn a_pattern_can_escape_its_anchoring_group_as_in_go() {
    let re = regex("a)|(b", V2);
    assert!(re.is_match("axxx"));
    assert!(re.is_match("xxxb"));
    assert!(!re.is_match("xxx"));
}

#[test]
fn errors_quote_the_anchored_pattern_like_prometheus() {
    assert_eq!(
        error("("),
        "error parsing regexp: missing closing ): `^(?:()$`"
    );
    assert_eq!(
        error("(?i"),
        "error parsing regexp: missing closing ): `^(?:(?i)$`"
    );
    assert_eq!(
        error("a)b"),
        "error parsing regexp: unexpected ): `^(?:a)b)$`"
    );
    assert_eq!(
        error("[a"),
        "error parsing regexp: missing closing ]: `[a)$`"
    );
    assert_eq!(
        error(r"\Qa"),
        "error parsing regexp: missing closing ): `^(?:\\Qa)$`"
    );
    assert_eq!(
        error("(?<n>x)"),
        "error parsing regexp: invalid or unsupported Perl syntax: `(?<`"
    );
    assert_eq!(
        error("(?x)a"),
        "error parsing regexp: invalid or unsupported Perl syntax: `(?x`"
    );
    assert_eq!(
        error(r"\z\Z"),
        "error parsing regexp: invalid escape sequence: `\\Z`"
    );
    let refused = [
        r"\p{greek}",
        r"\p{Alphabetic}",
        r"\pX",
        "x{2}{3}",
        "[z-a]",
        r"\u0041",
    ];
    for pattern in refused {
        assert!(
            PromRegex::new(pattern, V3).is_err(),
            "{pattern} should be refused"
        );
    }
}

#[test]
fn patterns_go_accepts_compile() {
    let accepted = [
        r"(?P<1>x)",
        r"\b{start}",
        r"a{,5}",
        r"\p{^Greek}",
        "(a{100}){10}",
        r"(?U)a*?",
    ];
    for pattern in accepted {
        assert!(
            PromRegex::new(pattern, V2).is_ok(),
            "{pattern} should compile"
        );
    }
}

#[test]
fn expansion_follows_go_expand_string() {
    assert_eq!(expand("f(.*)", "foo", "ch${1}-ch${1}"), "choo-choo");
    assert_eq!(expand("(f)(o+)", "foo", "$1bar"), "");
    assert_eq!(expand("(f)(o+)", "foo", "${1}bar"), "fbar");
    assert_eq!(
        expand("(?P<first>f)(o+)", "foo", "$first-$2-$0"),
        "f-oo-foo"
    );
    assert_eq!(expand("(f)", "f", "$$1 $ ${1 $-"), "$1 $ ${1 $-");
    assert_eq!(expand("(f)", "f", "[$9][$nope]"), "[][]");
}

#[test]
fn duplicate_names_expand_the_first_group_that_matched() {
    assert_eq!(expand("(?P<x>a)|(?P<x>b)", "b", "$x"), "b");
    assert_eq!(expand("(?P<x>a)(?P<x>b)", "ab", "$x"), "a");
}

#[test]
fn numeric_group_names_are_reachable_by_name() {
    assert_eq!(expand("(?P<01>a)", "a", "$01|$1"), "a|a");
}

#[test]
fn replace_all_rewrites_the_whole_name() {
    let re = regex("__meta_(my.*)", V2);
    assert_eq!(re.replace_all("__meta_my_bar", "${1}"), "my_bar");
    assert_eq!(regex("(b.*)", V2).replace_all("b1", "bar_${1}"), "bar_b1");
}

#[test]
fn replace_all_skips_an_empty_match_after_a_match_like_go() {
    // Anchored this becomes `^(?:a)|x*|(b)$`, whose middle branch can match anywhere.
    let re = regex("a)|x*|(b", V2);
    assert_eq!(re.replace_all("zxz", "-"), "-z-z-");
}

#[test]
fn group_names_are_go_s() {
    let re = regex("(?P<1x>a)(?P<n>b)(?P<n>c)(d)", V2);
    assert_eq!(re.group_count(), 5);
    assert_eq!(re.compiled().captures_len(), 5);
    assert!(re.has_group_named("1x") && re.has_group_named("n"));
    assert!(!re.has_group_named("d"));
    assert!(re
        .compiled()
        .capture_names()
        .flatten()
        .any(|name| name == "n"));
}
