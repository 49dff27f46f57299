//! Invariants that hold for every built-in check: its id is its path, its template exists and is
//! used, its remediation is a sentence, and it has both a firing and a clean test case.

use std::collections::BTreeSet;
use std::path::Path;

use prom_preflight::check::registry;
use prom_preflight::check::settings::Settings;
use prom_preflight::templates::TEMPLATES;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_spec_loads_and_its_id_is_its_path() {
    let checks = registry::builtin().expect("every built-in spec is valid");
    assert!(checks.len() >= 20, "the built-in checks are embedded");
    for check in &checks {
        assert_eq!(check.spec.source, format!("checks/{}.yaml", check.spec.id));
        let (area, name) = check.spec.id.split_once('/').expect("ids are area/name");
        let kebab = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        assert!(
            kebab(area) && kebab(name),
            "{} is kebab-case",
            check.spec.id
        );
    }
}

/// A template is exercised by a built-in check or by the example settings file users copy.
#[test]
fn every_template_is_used_by_a_check_or_the_example_settings() {
    let example = root().join("docs/examples/prom-preflight.yml");
    let settings = Settings::load(&example).expect("the example settings file is valid");
    let checks = registry::with_settings(&settings).expect("its custom checks bind to templates");
    let used: BTreeSet<&str> = checks.iter().map(|c| c.spec.template.as_str()).collect();
    for template in TEMPLATES {
        assert!(
            used.contains(template.name()),
            "template {} is used by no check",
            template.name()
        );
    }
}

#[test]
fn remediations_and_summaries_are_sentences() {
    for check in registry::builtin().unwrap() {
        assert!(
            check.spec.remediation.ends_with('.'),
            "{}: remediation ends with a period",
            check.spec.id
        );
        assert!(
            check.spec.summary.ends_with('.'),
            "{}: summary ends with a period",
            check.spec.id
        );
        assert!(
            !check.spec.description.is_empty(),
            "{}: has a description",
            check.spec.id
        );
    }
}

#[test]
fn every_check_has_a_firing_and_a_clean_case() {
    for check in registry::builtin().unwrap() {
        let path = root()
            .join("tests/checks")
            .join(format!("{}.yaml", check.spec.id));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} has no case file {}", check.spec.id, path.display()));
        assert!(
            text.contains("expect: fire"),
            "{} has no firing case",
            check.spec.id
        );
        assert!(
            text.contains("expect: clean"),
            "{} has no clean case",
            check.spec.id
        );
    }
}

#[test]
fn the_list_of_check_ids_is_stable() {
    let ids: Vec<String> = registry::builtin()
        .unwrap()
        .into_iter()
        .map(|c| c.spec.id)
        .collect();
    let expected = std::fs::read_to_string(root().join("tests/check-ids.txt"))
        .expect("tests/check-ids.txt lists the ids");
    let expected: Vec<&str> = expected.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(ids, expected, "an id was added or removed: ids are never renamed; update tests/check-ids.txt when adding one");
}
