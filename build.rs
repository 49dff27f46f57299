//! Embeds every built-in check spec (`checks/<area>/<name>.yaml`) into the binary, so the list of
//! checks is the directory itself and never a hand-kept list.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let checks = root.join("checks");
    println!("cargo:rerun-if-changed={}", checks.display());
    let mut specs = Vec::new();
    collect(&checks, &checks, &mut specs);
    specs.sort();
    let mut out = String::from("/// Built-in check specs: (id from the path, file path, YAML text).\npub const BUILTIN_SPECS: &[(&str, &str, &str)] = &[\n");
    for (id, path) in &specs {
        println!("cargo:rerun-if-changed={}", path.display());
        let relative = path
            .strip_prefix(&root)
            .expect("spec lies under the crate")
            .display()
            .to_string();
        writeln!(
            out,
            "    ({id:?}, {relative:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("writing to a String");
    }
    out.push_str("];\n");
    let target = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("builtin_checks.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}

fn collect(base: &Path, dir: &Path, specs: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        println!("cargo:rerun-if-changed={}", path.display());
        if path.is_dir() {
            collect(base, &path, specs);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            let id = path
                .strip_prefix(base)
                .expect("under base")
                .with_extension("")
                .to_string_lossy()
                .replace('\\', "/");
            specs.push((id, path));
        }
    }
}
