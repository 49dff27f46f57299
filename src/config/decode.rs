//! Typed reading of the located YAML tree with go-yaml v2's rules: strict fields (every unknown
//! key reported, with a did-you-mean), repeated keys refused, YAML 1.1 booleans, any scalar
//! accepted where a string is expected. Problems are collected, never thrown. Pure.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::config::diagnostic::{Code, Diagnostic};
use crate::config::duration::parse_duration;
use crate::config::size::parse_base2_bytes;
use crate::config::yaml::{resolve_bool, Node, Value};
use crate::source::Location;
use crate::version::PrometheusVersion;

/// Where decoding happens and where its problems go.
pub struct Ctx<'a> {
    pub file: Arc<Path>,
    pub version: PrometheusVersion,
    pub diagnostics: &'a mut Vec<Diagnostic>,
    /// The job being decoded, attached to every diagnostic raised inside it.
    pub job: Option<String>,
    /// `global.scrape_timeout`, which jobs without their own timeout inherit.
    pub global_timeout: Duration,
}

impl Ctx<'_> {
    pub fn report(&mut self, mut diagnostic: Diagnostic) {
        if diagnostic.job.is_none() {
            diagnostic.job = self.job.clone();
        }
        self.diagnostics.push(diagnostic);
    }

    pub fn invalid(&mut self, node: &Node, message: impl Into<String>) {
        self.report(Diagnostic::new(
            Code::InvalidValue,
            Some(node.location.clone()),
            message,
        ));
    }

    fn type_error(&mut self, node: &Node, into: &str) {
        let shown = match node.as_scalar() {
            Some(text) => format!(" `{text}`"),
            None => String::new(),
        };
        let message = format!("cannot unmarshal {}{shown} into {into}", node.tag_name());
        self.invalid(node, message);
    }
}

/// The fields of one YAML mapping, read by name. Keys never asked for are unknown fields.
pub struct Fields<'n> {
    type_name: &'static str,
    entries: &'n [(Node, Node)],
    used: Vec<bool>,
    asked: Vec<&'static str>,
    pub location: Location,
}

impl<'n> Fields<'n> {
    /// Starts reading `node` as a mapping of Go type `type_name`. A null node reads as empty;
    /// anything else that is not a mapping is reported and yields `None`.
    pub fn of(ctx: &mut Ctx, node: &'n Node, type_name: &'static str) -> Option<Fields<'n>> {
        let entries: &[(Node, Node)] = match &node.value {
            Value::Mapping(entries) => entries,
            _ if node.is_null() => &[],
            _ => {
                ctx.type_error(node, type_name);
                return None;
            }
        };
        Some(Fields {
            type_name,
            entries,
            used: vec![false; entries.len()],
            asked: Vec::new(),
            location: node.location.clone(),
        })
    }

    /// The value of field `name`, if written (and not null).
    pub fn get(&mut self, ctx: &mut Ctx, name: &'static str) -> Option<&'n Node> {
        self.get_nullable(ctx, name)
            .filter(|value| !value.is_null())
    }

    /// The value of field `name` if written, null included: go-yaml sets a field written as null
    /// to its zero value, which matters where the zero value differs from the default.
    pub fn get_nullable(&mut self, ctx: &mut Ctx, name: &'static str) -> Option<&'n Node> {
        self.asked.push(name);
        let mut found: Option<&'n Node> = None;
        for (index, (key, value)) in self.entries.iter().enumerate() {
            if key.as_scalar() != Some(name) {
                continue;
            }
            self.used[index] = true;
            if found.is_some() {
                let message = format!("field {name} already set in type {}", self.type_name);
                ctx.report(Diagnostic::new(
                    Code::DuplicateKey,
                    Some(key.location.clone()),
                    message,
                ));
                continue;
            }
            found = Some(value);
        }
        found
    }

    /// Like [`Fields::get`], for a field that exists only from Prometheus `major.minor` on.
    pub fn get_since(
        &mut self,
        ctx: &mut Ctx,
        name: &'static str,
        major: u16,
        minor: u16,
    ) -> Option<&'n Node> {
        let value = self.get(ctx, name)?;
        if !ctx.version.at_least(major, minor) {
            let key = self
                .key_location(name)
                .unwrap_or_else(|| value.location.clone());
            let message = format!(
                "field {name} not found in type {}: it exists only from Prometheus {major}.{minor} (checking for {})",
                self.type_name, ctx.version
            );
            let help = format!(
                "remove `{name}`, or check with --prometheus-version {major}.{minor} or later"
            );
            ctx.report(Diagnostic::new(Code::UnsupportedField, Some(key), message).with_help(help));
            return None;
        }
        Some(value)
    }

    /// Marks a field as known without reading it (its content is not checked offline).
    pub fn skip(&mut self, ctx: &mut Ctx, name: &'static str) -> Option<&'n Node> {
        self.get(ctx, name)
    }

    pub fn key_location(&self, name: &str) -> Option<Location> {
        self.entries
            .iter()
            .find(|(key, _)| key.as_scalar() == Some(name))
            .map(|(key, _)| key.location.clone())
    }

    /// Reports every key that no `get` asked for, as go-yaml's `UnmarshalStrict` does.
    pub fn finish(self, ctx: &mut Ctx) {
        for ((key, _), used) in self.entries.iter().zip(&self.used) {
            if *used {
                continue;
            }
            let name = key.as_scalar().unwrap_or("<non-scalar key>");
            let message = format!("field {name} not found in type {}", self.type_name);
            let mut diagnostic =
                Diagnostic::new(Code::UnknownField, Some(key.location.clone()), message);
            if let Some(suggestion) = closest(name, &self.asked) {
                diagnostic = diagnostic.with_help(format!("did you mean `{suggestion}`?"));
            }
            ctx.report(diagnostic);
        }
    }
}

/// The known name closest to `name`, when close enough to be a plausible typo.
fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .filter(|(distance, candidate)| {
            *distance
                <= (candidate.len().max(3) / 3).max(1) + usize::from(candidate.starts_with(name))
        })
        .min()
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// A string field: go-yaml accepts any scalar here (`8080` reads as "8080").
pub fn string(ctx: &mut Ctx, node: &Node) -> Option<String> {
    match node.as_scalar() {
        Some(_) if node.is_null() => None,
        Some(text) => Some(text.to_string()),
        None => {
            ctx.type_error(node, "string");
            None
        }
    }
}

/// A boolean with YAML 1.1 spellings (`yes`, `on`), which go-yaml v2 accepts; `yes`-style
/// spellings are also flagged, because a YAML 1.2 tool reading the same file sees a string.
pub fn boolean(ctx: &mut Ctx, node: &Node) -> Option<bool> {
    let value = match &node.value {
        Value::Scalar { text, plain: true } => resolve_bool(text),
        _ => None,
    };
    match (value, node.as_scalar()) {
        (Some(value), Some(text)) => {
            if !matches!(text.to_ascii_lowercase().as_str(), "true" | "false") {
                let message = format!("`{text}` is read as the boolean {value} by Prometheus (YAML 1.1), but as a string by YAML 1.2 tools");
                let help = format!("write `{value}`");
                ctx.report(
                    Diagnostic::new(Code::Yaml11Boolean, Some(node.location.clone()), message)
                        .with_help(help)
                        .tolerated(),
                );
            }
            Some(value)
        }
        _ => {
            ctx.type_error(node, "bool");
            None
        }
    }
}

/// A non-negative integer (limits, modulus), in decimal, `0x` hex or `0o`/leading-zero octal.
pub fn unsigned(ctx: &mut Ctx, node: &Node) -> Option<u64> {
    let parsed = match &node.value {
        Value::Scalar { text, plain: true } => parse_yaml_int(text),
        _ => None,
    };
    if parsed.is_none() {
        ctx.type_error(node, "uint64");
    }
    parsed
}

fn parse_yaml_int(text: &str) -> Option<u64> {
    let cleaned = text.replace('_', "");
    let text = cleaned.strip_prefix('+').unwrap_or(&cleaned);
    if let Some(hex) = text.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok();
    }
    if let Some(octal) = text.strip_prefix("0o") {
        return u64::from_str_radix(octal, 8).ok();
    }
    if text.len() > 1 && text.starts_with('0') {
        return u64::from_str_radix(&text[1..], 8).ok();
    }
    text.parse().ok()
}

/// A Prometheus duration. Like `model.Duration`, the scalar is read as a string first, so `5`
/// fails with `not a valid duration string: "5"`.
pub fn duration(ctx: &mut Ctx, node: &Node) -> Option<Duration> {
    let text = string(ctx, node)?;
    match parse_duration(&text, ctx.version) {
        Ok(value) => Some(value),
        Err(message) => {
            ctx.invalid(node, message);
            None
        }
    }
}

/// A base-2 size such as `10MB`.
pub fn size(ctx: &mut Ctx, node: &Node) -> Option<u64> {
    let text = string(ctx, node)?;
    match parse_base2_bytes(&text) {
        Ok(value) => Some(value),
        Err(message) => {
            ctx.invalid(node, message);
            None
        }
    }
}

/// The items of a sequence (null reads as empty).
pub fn sequence<'n>(ctx: &mut Ctx, node: &'n Node) -> &'n [Node] {
    match &node.value {
        Value::Sequence(items) => items,
        _ if node.is_null() => &[],
        _ => {
            ctx.type_error(node, "[]");
            &[]
        }
    }
}

pub fn string_list(ctx: &mut Ctx, node: &Node) -> Vec<String> {
    sequence(ctx, node)
        .iter()
        .filter_map(|item| string(ctx, item))
        .collect()
}

/// A label set (`labels:`, `external_labels:`), with Prometheus's label-name rule.
pub fn label_map(ctx: &mut Ctx, node: &Node) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let Some(entries) = mapping(ctx, node, "model.LabelSet") else {
        return labels;
    };
    for (key, value) in entries {
        let Some(name) = string(ctx, key) else {
            continue;
        };
        if !is_valid_label_name(&name, ctx.version) {
            ctx.invalid(key, format!("{name:?} is not a valid label name"));
            continue;
        }
        if let Some(value) = string(ctx, value) {
            labels.insert(name, value);
        }
    }
    labels
}

/// The entries of a mapping whose keys are data, not field names (labels, params).
pub fn mapping<'n>(ctx: &mut Ctx, node: &'n Node, into: &str) -> Option<&'n [(Node, Node)]> {
    match &node.value {
        Value::Mapping(entries) => Some(entries),
        _ if node.is_null() => Some(&[]),
        _ => {
            ctx.type_error(node, into);
            None
        }
    }
}

/// Label names: legacy `[a-zA-Z_][a-zA-Z0-9_]*` in 2.x, any non-empty UTF-8 in 3.x.
pub fn is_valid_label_name(name: &str, version: PrometheusVersion) -> bool {
    if version.utf8_label_names() {
        return !name.is_empty();
    }
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_field_names() {
        let known = ["targets", "labels"];
        assert_eq!(closest("target", &known), Some("targets"));
        assert_eq!(closest("lables", &known), Some("labels"));
        assert_eq!(closest("scheme", &known), None);
    }

    #[test]
    fn yaml_integers_follow_yaml_1_1() {
        assert_eq!(parse_yaml_int("10"), Some(10));
        assert_eq!(parse_yaml_int("0x10"), Some(16));
        assert_eq!(parse_yaml_int("010"), Some(8));
        assert_eq!(parse_yaml_int("1_000"), Some(1000));
        assert_eq!(parse_yaml_int("ten"), None);
    }

    #[test]
    fn legacy_label_names() {
        let v2 = PrometheusVersion::V2_42;
        assert!(is_valid_label_name("cluster", v2));
        assert!(!is_valid_label_name("1abc", v2));
        assert!(!is_valid_label_name("a-b", v2));
        assert!(is_valid_label_name("a-b", PrometheusVersion::DEFAULT));
    }
}
