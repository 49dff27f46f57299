//! Positions in the user's files.
//!
//! Every job, service-discovery entry and relabel rule remembers where it was written, so that every
//! finding about it can point at `file:line:column`. This module is shared by all stages; it is pure.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

/// A place in a file, 1-based line and column (columns count characters, like editors do).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// The file as the user named it (or as it was resolved relative to the including file).
    #[serde(serialize_with = "serialize_path")]
    pub file: Arc<Path>,
    pub line: u32,
    pub column: u32,
}

impl Location {
    pub fn new(file: Arc<Path>, line: u32, column: u32) -> Location {
        Location { file, line, column }
    }

    /// The location of a whole file, for problems that concern the file itself.
    pub fn file_start(file: Arc<Path>) -> Location {
        Location {
            file,
            line: 1,
            column: 1,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

fn serialize_path<S: serde::Serializer>(path: &Arc<Path>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

/// The text of one line of a file, for showing the offending line under a message.
pub fn line_of(text: &str, line: u32) -> Option<&str> {
    text.lines().nth(line.checked_sub(1)? as usize)
}

/// Resolves `path` the way Prometheus does: relative paths are joined to the directory of the file
/// that declares them; empty and absolute paths are kept as they are.
pub fn resolve_relative(declaring_file: &Path, path: &str) -> PathBuf {
    let candidate = Path::new(path);
    if path.is_empty() || candidate.is_absolute() {
        return candidate.to_path_buf();
    }
    match declaring_file.parent() {
        Some(dir) => dir.join(candidate),
        None => candidate.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_join_the_declaring_directory() {
        let declaring = Path::new("/etc/prometheus/prometheus.yml");
        assert_eq!(
            resolve_relative(declaring, "sa/token"),
            PathBuf::from("/etc/prometheus/sa/token")
        );
        assert_eq!(
            resolve_relative(declaring, "/abs/token"),
            PathBuf::from("/abs/token")
        );
        assert_eq!(resolve_relative(declaring, ""), PathBuf::from(""));
    }

    #[test]
    fn line_of_is_one_based() {
        assert_eq!(line_of("a\nb\nc", 2), Some("b"));
        assert_eq!(line_of("a", 0), None);
        assert_eq!(line_of("a", 5), None);
    }
}
