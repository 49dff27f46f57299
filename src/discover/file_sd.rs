//! `file_sd_configs`: JSON or YAML files of target groups, matched by glob. Each target gets
//! `__meta_filepath`, the matched path as Prometheus sees it.

use std::path::Path;
use std::sync::Arc;

use crate::config::model::FileSd;
use crate::config::yaml::{self, Node, Value};
use crate::discover::{SdOutcome, SdProblem, SdProblemKind, TargetGroup};
use crate::labels::{reserved, Labels};
use crate::source::Location;

/// Target files larger than this are refused instead of read into memory.
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

pub fn discover(config: &FileSd) -> SdOutcome {
    let mut groups = Vec::new();
    let mut problems = Vec::new();
    for pattern in &config.files {
        let mut matches: Vec<_> = glob::glob(&pattern.resolved.to_string_lossy())
            .map(|paths| paths.flatten().collect())
            .unwrap_or_default();
        matches.sort();
        if matches.is_empty() {
            let message = format!(
                "file {:?} does not exist (Prometheus discovers no targets from it until it does)",
                pattern.written
            );
            problems.push(SdProblem {
                kind: SdProblemKind::FileMissing,
                location: pattern.location.clone(),
                message,
            });
        }
        for path in matches {
            match read_groups(&path) {
                Ok(found) => groups.extend(found),
                Err(problem) => problems.push(problem),
            }
        }
    }
    SdOutcome::Resolved { groups, problems }
}

fn read_groups(path: &Path) -> Result<Vec<TargetGroup>, SdProblem> {
    let file: Arc<Path> = Arc::from(path);
    let invalid = |location: Location, message: String| SdProblem {
        kind: SdProblemKind::FileInvalid,
        location,
        message,
    };
    let whole_file = Location::file_start(file.clone());
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    if !matches!(extension, "json" | "yml" | "yaml") {
        return Err(invalid(
            whole_file,
            format!("invalid file extension: {extension:?} (use .json, .yml or .yaml)"),
        ));
    }
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE_BYTES {
        return Err(invalid(
            whole_file,
            format!("file is {size} bytes, more than {MAX_FILE_BYTES}"),
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid(whole_file.clone(), format!("failed to read: {e}")))?;
    let display = path.to_string_lossy().to_string();
    if extension == "json" {
        if let Some(groups) = fast_json::groups(&text, &display) {
            return Ok(groups);
        }
    }
    // JSON is a subset of YAML, so one located reader serves both formats.
    let root = yaml::parse(&text, &file).map_err(|e| invalid(e.location, e.message))?;
    let Some(root) = root else {
        return Ok(Vec::new());
    };
    let Value::Sequence(items) = &root.value else {
        return Err(invalid(
            root.location,
            "expected a list of target groups".to_string(),
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            group(item, index, &display).map_err(|message| invalid(item.location.clone(), message))
        })
        .collect()
}

fn group(node: &Node, index: usize, path: &str) -> Result<TargetGroup, String> {
    let Value::Mapping(entries) = &node.value else {
        return Err(format!("nil target group item found (index {index})"));
    };
    let mut targets = Vec::new();
    let mut labels = Labels::new();
    for (key, value) in entries {
        match key.as_scalar() {
            Some("targets") => {
                targets = strings(value).ok_or("targets must be a list of strings")?
            }
            Some("labels") => labels = label_set(value)?,
            Some(other) => {
                return Err(format!("field {other} not found in type targetgroup.Group"))
            }
            None => return Err("target group keys must be strings".to_string()),
        }
    }
    Ok(finish_group(targets, labels, index, path))
}

fn finish_group(targets: Vec<String>, mut labels: Labels, index: usize, path: &str) -> TargetGroup {
    labels.insert(
        format!("{}filepath", reserved::META_PREFIX),
        path.to_string(),
    );
    let targets = targets
        .into_iter()
        .map(|t| Labels::from([(reserved::ADDRESS.to_string(), t)]))
        .collect();
    TargetGroup {
        source: format!("{path}:{index}"),
        targets,
        labels,
    }
}

fn valid_label_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn strings(node: &Node) -> Option<Vec<String>> {
    match &node.value {
        Value::Sequence(items) => items
            .iter()
            .map(|i| i.as_scalar().map(str::to_string))
            .collect(),
        _ if node.is_null() => Some(Vec::new()),
        _ => None,
    }
}

fn label_set(node: &Node) -> Result<Labels, String> {
    let mut labels = Labels::new();
    let Value::Mapping(entries) = &node.value else {
        return if node.is_null() {
            Ok(labels)
        } else {
            Err("labels must be a map".to_string())
        };
    };
    for (key, value) in entries {
        let name = key.as_scalar().ok_or("label names must be strings")?;
        if !valid_label_name(name) {
            return Err(format!("{name:?} is not a valid label name"));
        }
        let value = value.as_scalar().ok_or("label values must be strings")?;
        labels.insert(name.to_string(), value.to_string());
    }
    Ok(labels)
}

/// The common case of a `.json` targets file read without a located YAML tree: a list of
/// objects with string `targets` and string `labels`. Anything else (other value types,
/// duplicate keys, unknown fields, invalid label names, syntax errors) returns `None`, and the
/// located reader runs instead, so every problem is still reported where it is and as before.
mod fast_json {
    use std::fmt;

    use serde::de::{self, Deserializer, MapAccess, Visitor};
    use serde::Deserialize;

    use super::{finish_group, valid_label_name};
    use crate::discover::TargetGroup;
    use crate::labels::Labels;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Group {
        #[serde(default)]
        targets: Option<Vec<String>>,
        #[serde(default)]
        labels: Option<StrictLabels>,
    }

    /// A label set that refuses duplicate and invalid names.
    struct StrictLabels(Labels);

    impl<'de> Deserialize<'de> for StrictLabels {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct LabelsVisitor;
            impl<'de> Visitor<'de> for LabelsVisitor {
                type Value = StrictLabels;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a map of label names to string values")
                }
                fn visit_map<A: MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<StrictLabels, A::Error> {
                    let mut labels = Labels::new();
                    while let Some((name, value)) = map.next_entry::<String, String>()? {
                        if !valid_label_name(&name) {
                            return Err(de::Error::custom("invalid label name"));
                        }
                        if labels.insert(name, value).is_some() {
                            return Err(de::Error::custom("duplicate label name"));
                        }
                    }
                    Ok(StrictLabels(labels))
                }
            }
            deserializer.deserialize_map(LabelsVisitor)
        }
    }

    pub(super) fn groups(text: &str, path: &str) -> Option<Vec<TargetGroup>> {
        let parsed: Vec<Group> = serde_json::from_str(text).ok()?;
        Some(
            parsed
                .into_iter()
                .enumerate()
                .map(|(index, group)| {
                    finish_group(
                        group.targets.unwrap_or_default(),
                        group.labels.map(|l| l.0).unwrap_or_default(),
                        index,
                        path,
                    )
                })
                .collect(),
        )
    }
}
