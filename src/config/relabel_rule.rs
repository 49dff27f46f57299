//! Reading and validating `relabel_configs` entries the way Prometheus does when it loads them
//! (defaults, per-action rules, regex compilation), so a rule that Prometheus would refuse is a
//! located finding and never reaches the engine. Pure.

use crate::config::decode::{self, Ctx, Fields};
use crate::config::diagnostic::{Code, Diagnostic};
use crate::config::model::{RelabelAction, RelabelRule};
use crate::config::regex::PromRegex;
use crate::config::yaml::Node;

const DEFAULT_SEPARATOR: &str = ";";
const DEFAULT_REGEX: &str = "(.*)";
const DEFAULT_REPLACEMENT: &str = "$1";

/// Reads a list of relabel rules; invalid rules are reported and left out.
pub fn read_rules(ctx: &mut Ctx, node: &Node, what: &str) -> Vec<RelabelRule> {
    let mut rules = Vec::new();
    for item in decode::sequence(ctx, node) {
        if item.is_null() {
            let message = format!("empty or null {what} rule in scrape config");
            ctx.report(Diagnostic::new(
                Code::InvalidRelabelRule,
                Some(item.location.clone()),
                message,
            ));
            continue;
        }
        if let Some(rule) = read_rule(ctx, item) {
            rules.push(rule);
        }
    }
    rules
}

/// The raw fields of a rule before validation; `None` means "not written".
struct Written {
    source_labels: Option<Vec<String>>,
    separator: Option<String>,
    regex: Option<Option<String>>,
    modulus: Option<u64>,
    target_label: Option<String>,
    replacement: Option<String>,
    action: Option<String>,
}

fn read_rule(ctx: &mut Ctx, node: &Node) -> Option<RelabelRule> {
    let mut f = Fields::of(ctx, node, "relabel.plain")?;
    // go-yaml sets a field written as null to its zero value, which differs from the default.
    let nullable_string = |ctx: &mut Ctx, n: &Node| {
        if n.is_null() {
            Some(String::new())
        } else {
            decode::string(ctx, n)
        }
    };
    let written = Written {
        source_labels: f
            .get(ctx, "source_labels")
            .map(|n| decode::string_list(ctx, n)),
        separator: f
            .get_nullable(ctx, "separator")
            .and_then(|n| nullable_string(ctx, n)),
        regex: f.get_nullable(ctx, "regex").map(|n| {
            if n.is_null() {
                None
            } else {
                decode::string(ctx, n)
            }
        }),
        modulus: f.get(ctx, "modulus").and_then(|n| decode::unsigned(ctx, n)),
        target_label: f
            .get_nullable(ctx, "target_label")
            .and_then(|n| nullable_string(ctx, n)),
        replacement: f
            .get_nullable(ctx, "replacement")
            .and_then(|n| nullable_string(ctx, n)),
        action: f
            .get_nullable(ctx, "action")
            .and_then(|n| nullable_string(ctx, n)),
    };
    f.finish(ctx);
    match build(ctx, written, node) {
        Ok(rule) => Some(rule),
        Err(message) => {
            ctx.report(Diagnostic::new(
                Code::InvalidRelabelRule,
                Some(node.location.clone()),
                message,
            ));
            None
        }
    }
}

fn build(ctx: &mut Ctx, w: Written, node: &Node) -> Result<RelabelRule, String> {
    let action_text = w.action.clone().unwrap_or_else(|| "replace".to_string());
    if action_text.is_empty() {
        return Err("relabel action cannot be empty".to_string());
    }
    let action = RelabelAction::parse(&action_text)
        .ok_or_else(|| format!("unknown relabel action {action_text:?}"))?;
    let regex_text = match &w.regex {
        None => DEFAULT_REGEX.to_string(),
        Some(None) => String::new(),
        Some(Some(text)) => text.clone(),
    };
    let regex = PromRegex::new(&regex_text, ctx.version).map_err(|e| e.to_string())?;
    for name in w.source_labels.iter().flatten() {
        if !decode::is_valid_label_name(name, ctx.version) {
            return Err(format!("{name:?} is not a valid label name"));
        }
    }
    let rule = RelabelRule {
        source_labels: w.source_labels.clone().unwrap_or_default(),
        separator: w
            .separator
            .clone()
            .unwrap_or_else(|| DEFAULT_SEPARATOR.to_string()),
        regex,
        modulus: w.modulus.unwrap_or(0),
        target_label: w.target_label.clone().unwrap_or_default(),
        replacement: w
            .replacement
            .clone()
            .unwrap_or_else(|| DEFAULT_REPLACEMENT.to_string()),
        action,
        location: node.location.clone(),
    };
    validate(&rule, &w, ctx)?;
    Ok(rule)
}

/// Prometheus's per-action rules, in its order.
fn validate(rule: &RelabelRule, w: &Written, ctx: &Ctx) -> Result<(), String> {
    use RelabelAction::*;
    let action = rule.action;
    let name = action.as_str();
    if action == HashMod && rule.modulus == 0 {
        return Err("relabel configuration for hashmod requires non-zero modulus".to_string());
    }
    let needs_target = matches!(
        action,
        Replace | HashMod | Lowercase | Uppercase | KeepEqual | DropEqual
    );
    if needs_target && rule.target_label.is_empty() {
        return Err(format!(
            "relabel configuration for {name} action requires 'target_label' value"
        ));
    }
    let templated_target = matches!(
        action,
        Replace | Lowercase | Uppercase | KeepEqual | DropEqual
    );
    if templated_target && !is_valid_relabel_target(&rule.target_label, ctx) {
        return Err(format!(
            "{:?} is invalid 'target_label' for {name} action",
            rule.target_label
        ));
    }
    let replacement_forbidden = matches!(action, Lowercase | Uppercase | KeepEqual | DropEqual);
    if replacement_forbidden && rule.replacement != DEFAULT_REPLACEMENT {
        return Err(format!("'replacement' can not be set for {name} action"));
    }
    if action == LabelMap && !is_valid_relabel_target(&rule.replacement, ctx) {
        return Err(format!(
            "{:?} is invalid 'replacement' for {name} action",
            rule.replacement
        ));
    }
    if action == HashMod && !decode::is_valid_label_name(&rule.target_label, ctx.version) {
        return Err(format!(
            "{:?} is invalid 'target_label' for {name} action",
            rule.target_label
        ));
    }
    let others_default = rule.modulus == 0
        && rule.separator == DEFAULT_SEPARATOR
        && rule.replacement == DEFAULT_REPLACEMENT;
    if matches!(action, KeepEqual | DropEqual)
        && !(others_default && rule.regex.as_str() == DEFAULT_REGEX)
    {
        return Err(format!(
            "{name} action requires only 'source_labels' and `target_label`, and no other fields"
        ));
    }
    if matches!(action, LabelDrop | LabelKeep)
        && (w.source_labels.is_some() || !rule.target_label.is_empty() || !others_default)
    {
        return Err(format!(
            "{name} action requires only 'regex', and no other fields"
        ));
    }
    Ok(())
}

/// 2.x: `^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$`; 3.x in UTF-8 mode: any non-empty string.
fn is_valid_relabel_target(text: &str, ctx: &Ctx) -> bool {
    if ctx.version.utf8_label_names() {
        return !text.is_empty();
    }
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    PATTERN
        .get_or_init(|| {
            regex::Regex::new(
                r"^(?:(?:[a-zA-Z_]|\$(?:\{[0-9A-Za-z_]+\}|[0-9A-Za-z_]+))+[0-9A-Za-z_]*)+$",
            )
            .expect("the relabel target pattern is a valid regex")
        })
        .is_match(text)
}
