//! Golden files in `tests/golden/`, one per format. `UPDATE_GOLDEN=1 cargo test --test reports`
//! rewrites them; read the diff before committing it.

use std::path::Path;

use prom_preflight::report::{github, human, json, junit, sarif};

use crate::fixture;

/// Compares `actual` with the golden file `name`, the tool's version replaced by `[VERSION]`.
pub(crate) fn check_golden(name: &str, actual: &str) {
    let actual = actual.replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).expect("golden files are writable");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing; run with UPDATE_GOLDEN=1", path.display()));
    if expected != actual {
        panic!(
            "{} differs from the output; rerun with UPDATE_GOLDEN=1 and review the diff.\n--- actual ---\n{actual}",
            path.display()
        );
    }
}

/// Absolute paths in the fixture are relative to the crate; SARIF and GitHub make paths under the
/// working directory relative, so this one has nothing to strip.
fn cwd() -> Option<&'static Path> {
    Some(Path::new(env!("CARGO_MANIFEST_DIR")))
}

#[test]
fn human() {
    colored::control::set_override(false);
    let text = human::render(&fixture::report(), &mut human::SourceLines::default());
    check_golden("report.txt", &text);
}

#[test]
fn json() {
    check_golden("report.json", &json::render(&fixture::report()));
}

#[test]
fn junit() {
    check_golden("report.junit.xml", &junit::render(&fixture::report()));
}

#[test]
fn sarif() {
    check_golden("report.sarif", &sarif::render(&fixture::report(), cwd()));
}

#[test]
fn sarif_without_findings() {
    check_golden(
        "clean.sarif",
        &sarif::render(&fixture::clean_report(), cwd()),
    );
}

#[test]
fn github() {
    check_golden(
        "report.github.txt",
        &github::render(&fixture::report(), cwd()),
    );
}
