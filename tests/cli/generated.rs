//! What is generated from the CLI definition and the check specs: shell completions, the man
//! page, and the check documentation committed under `docs/checks/` (stale docs fail here).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::support::run;

#[test]
fn completions_generate_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = run(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(script.contains("prom-preflight"), "{shell}");
        assert!(
            script.contains("path-map"),
            "{shell} completes check's flags"
        );
    }
}

#[test]
fn the_man_page_generates() {
    let output = run(&["man"]);
    assert_eq!(output.status.code(), Some(0));
    let roff = String::from_utf8(output.stdout).unwrap();
    assert!(
        roff.starts_with(".ie \\n(.g .ds Aq") || roff.contains(".TH"),
        "{roff}"
    );
    assert!(roff.contains("prom\\-preflight"), "{roff}");
    assert!(roff.contains("check"), "{roff}");
}

/// Every file under `dir`, by path relative to it.
fn tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let text = std::fs::read_to_string(&path).unwrap();
                out.insert(path.strip_prefix(base).unwrap().to_path_buf(), text);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn committed_check_docs_are_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(&["checks", "docs", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    let generated = tree(dir.path());
    let committed = tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/checks"));
    let stale: Vec<&PathBuf> = generated
        .keys()
        .chain(committed.keys())
        .filter(|path| generated.get(*path) != committed.get(*path))
        .collect();
    assert!(
        stale.is_empty(),
        "docs/checks is stale; regenerate it with `cargo run -- checks docs docs/checks` \
         (and delete pages of removed checks): {stale:?}"
    );
    assert!(generated.contains_key(Path::new("README.md")));
    assert!(generated.contains_key(Path::new("config/file-missing.md")));
}
