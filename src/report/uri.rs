//! Paths as CI tools want them: relative to the working directory (the repository checkout in
//! CI) when possible, and as URI references for SARIF. Pure, given the working directory.

use std::path::{Component, Path, PathBuf};

/// `path` relative to `cwd` when it lies under it; otherwise `path` as given. Relative paths are
/// kept as they are (they are already relative to the working directory), minus a leading `./`.
pub fn relative_to(path: &Path, cwd: Option<&Path>) -> PathBuf {
    if path.is_absolute() {
        if let Some(relative) = cwd.and_then(|cwd| path.strip_prefix(cwd).ok()) {
            if !relative.as_os_str().is_empty() {
                return relative.to_path_buf();
            }
        }
        return path.to_path_buf();
    }
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// The working directory, when it can be known.
pub fn current_dir() -> Option<PathBuf> {
    std::env::current_dir().ok()
}

/// A SARIF `artifactLocation.uri`: a relative reference with `/` separators for a relative path,
/// a `file://` URI for an absolute one; characters outside RFC 3986's unreserved set and `/` are
/// percent-encoded.
pub fn uri_reference(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let encoded = percent_encode(&text);
    if path.is_absolute() {
        format!(
            "file://{}",
            if encoded.starts_with('/') {
                encoded
            } else {
                format!("/{encoded}")
            }
        )
    } else {
        encoded
    }
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/');
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_the_working_directory_become_relative() {
        let cwd = Path::new("/srv/repo");
        assert_eq!(
            relative_to(Path::new("/srv/repo/deploy/prometheus.yml"), Some(cwd)),
            PathBuf::from("deploy/prometheus.yml")
        );
        assert_eq!(
            relative_to(Path::new("/etc/prometheus.yml"), Some(cwd)),
            PathBuf::from("/etc/prometheus.yml")
        );
        assert_eq!(
            relative_to(Path::new("./deploy/prometheus.yml"), Some(cwd)),
            PathBuf::from("deploy/prometheus.yml")
        );
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri_reference(Path::new("a b/c%.yml")), "a%20b/c%25.yml");
        assert_eq!(
            uri_reference(Path::new("/etc/p rom.yml")),
            "file:///etc/p%20rom.yml"
        );
    }
}
