//! A located YAML tree: every node knows its line and column.
//!
//! We build our own small tree from `saphyr-parser` events instead of deserializing with serde,
//! because Prometheus's verdict depends on details serde hides: go-yaml v2 resolves YAML 1.1
//! scalars (`yes`, `on`), reports *every* unknown key, and rejects repeated keys. Keeping the raw
//! scalar text and its style lets the decoder reproduce that exactly. Pure.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::source::Location;

/// How many nodes one document may expand to (aliases included), so that an alias bomb ends in
/// an error instead of exhausting memory.
const MAX_NODES: usize = 1_000_000;

/// How deeply collections may nest; deeper input is hostile, not a Prometheus config.
const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar with its text as written (after YAML unescaping) and whether it was quoted or a
    /// block scalar, which decides whether YAML 1.1 resolution (null, booleans) applies.
    Scalar {
        text: String,
        plain: bool,
    },
    Sequence(Vec<Node>),
    /// Entries in document order; repeated keys are kept so the decoder can report them.
    Mapping(Vec<(Node, Node)>),
}

impl Node {
    /// True for an empty plain scalar or `~`/`null`, which go-yaml decodes as "no value".
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true } if is_null_text(text))
    }

    pub fn as_scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The YAML tag name go-yaml would print in a type error (`!!seq`, `!!map`, `!!str`, ...).
    pub fn tag_name(&self) -> &'static str {
        match &self.value {
            Value::Sequence(_) => "!!seq",
            Value::Mapping(_) => "!!map",
            Value::Scalar { text, plain } => {
                if !plain {
                    "!!str"
                } else if is_null_text(text) {
                    "!!null"
                } else if resolve_bool(text).is_some() {
                    "!!bool"
                } else if text.parse::<i64>().is_ok() {
                    "!!int"
                } else if text.parse::<f64>().is_ok() {
                    "!!float"
                } else {
                    "!!str"
                }
            }
        }
    }
}

fn is_null_text(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// go-yaml v2's boolean table, which is YAML 1.1's: `yes`, `on`, `y` are true.
pub fn resolve_bool(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// A YAML document that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub location: Location,
    pub message: String,
}

/// Parses the first document of `text`. `Ok(None)` means the file holds no document at all.
pub fn parse(text: &str, file: &Arc<Path>) -> Result<Option<Node>, SyntaxError> {
    let mut builder = TreeBuilder {
        file,
        anchors: HashMap::new(),
        nodes: 0,
        stack: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| SyntaxError {
            location: builder.location_of_marker(e.marker().line(), e.marker().col()),
            message: e.info().to_string(),
        })?;
        if let Some(done) = builder.push(event, span)? {
            return Ok(Some(done));
        }
    }
    Ok(None)
}

/// A collection being built, with the anchor it will be registered under.
enum Open {
    Sequence {
        items: Vec<Node>,
        location: Location,
        anchor: usize,
    },
    Mapping {
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
        location: Location,
        anchor: usize,
    },
}

struct TreeBuilder<'f> {
    file: &'f Arc<Path>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    stack: Vec<Open>,
}

impl TreeBuilder<'_> {
    fn location_of_marker(&self, line: usize, col: usize) -> Location {
        Location::new(self.file.clone(), line as u32, col as u32 + 1)
    }

    fn location(&self, span: &Span) -> Location {
        self.location_of_marker(span.start.line(), span.start.col())
    }

    fn error(&self, span: &Span, message: &str) -> SyntaxError {
        SyntaxError {
            location: self.location(span),
            message: message.to_string(),
        }
    }

    /// Feeds one event; returns the root node once the first document's root is complete.
    fn push(&mut self, event: Event<'_>, span: Span) -> Result<Option<Node>, SyntaxError> {
        let location = self.location(&span);
        let node = match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let plain = matches!(style, ScalarStyle::Plain);
                let node = Node {
                    value: Value::Scalar {
                        text: text.into_owned(),
                        plain,
                    },
                    location,
                };
                self.register(anchor, &node);
                node
            }
            Event::Alias(anchor) => {
                let node = self
                    .anchors
                    .get(&anchor)
                    .cloned()
                    .ok_or_else(|| self.error(&span, "unknown anchor"))?;
                self.count(node_size(&node), &span)?;
                node
            }
            Event::SequenceStart(anchor, _) => {
                self.open(
                    Open::Sequence {
                        items: Vec::new(),
                        location,
                        anchor,
                    },
                    &span,
                )?;
                return Ok(None);
            }
            Event::MappingStart(anchor, _) => {
                let open = Open::Mapping {
                    entries: Vec::new(),
                    pending_key: None,
                    location,
                    anchor,
                };
                self.open(open, &span)?;
                return Ok(None);
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Open::Sequence {
                    items,
                    location,
                    anchor,
                }) => {
                    let node = Node {
                        value: Value::Sequence(items),
                        location,
                    };
                    self.register(anchor, &node);
                    node
                }
                Some(Open::Mapping {
                    entries,
                    location,
                    anchor,
                    ..
                }) => {
                    let node = Node {
                        value: Value::Mapping(entries),
                        location,
                    };
                    self.register(anchor, &node);
                    node
                }
                None => return Err(self.error(&span, "unbalanced collection end")),
            },
            _ => return Ok(None),
        };
        self.count(1, &span)?;
        Ok(self.attach(node))
    }

    fn open(&mut self, open: Open, span: &Span) -> Result<(), SyntaxError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error(span, "document nests too deeply"));
        }
        self.stack.push(open);
        Ok(())
    }

    fn count(&mut self, added: usize, span: &Span) -> Result<(), SyntaxError> {
        self.nodes = self.nodes.saturating_add(added);
        if self.nodes > MAX_NODES {
            return Err(self.error(span, "document expands to too many nodes (alias bomb?)"));
        }
        Ok(())
    }

    fn register(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }

    /// Puts a finished node into its parent, or returns it when it is the document root.
    fn attach(&mut self, node: Node) -> Option<Node> {
        match self.stack.last_mut() {
            None => Some(node),
            Some(Open::Sequence { items, .. }) => {
                items.push(node);
                None
            }
            Some(Open::Mapping {
                entries,
                pending_key,
                ..
            }) => {
                match pending_key.take() {
                    None => *pending_key = Some(node),
                    Some(key) => entries.push((key, node)),
                }
                None
            }
        }
    }
}

fn node_size(node: &Node) -> usize {
    match &node.value {
        Value::Scalar { .. } => 1,
        Value::Sequence(items) => 1 + items.iter().map(node_size).sum::<usize>(),
        Value::Mapping(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| node_size(k) + node_size(v))
                .sum::<usize>()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> Arc<Path> {
        Arc::from(Path::new("p.yml"))
    }

    #[test]
    fn nodes_carry_one_based_lines_and_columns() {
        let root = parse("a:\n  - b: 1\n", &file()).unwrap().unwrap();
        let Value::Mapping(entries) = &root.value else {
            panic!("mapping expected")
        };
        let Value::Sequence(items) = &entries[0].1.value else {
            panic!("sequence expected")
        };
        assert_eq!((items[0].location.line, items[0].location.column), (2, 5));
        assert_eq!(
            (entries[0].0.location.line, entries[0].0.location.column),
            (1, 1)
        );
    }

    #[test]
    fn syntax_error_points_at_the_offending_line() {
        let text = "scrape_configs:\n- job_name: 'kubelet'\n    scheme: https\n";
        let err = parse(text, &file()).unwrap_err();
        assert_eq!(err.location.line, 3);
        assert!(!err.message.is_empty());
    }

    #[test]
    fn quoted_scalars_are_not_resolved() {
        let root = parse("a: 'yes'\nb: yes\nc: ~\n", &file()).unwrap().unwrap();
        let Value::Mapping(entries) = &root.value else {
            panic!()
        };
        assert_eq!(entries[0].1.tag_name(), "!!str");
        assert_eq!(entries[1].1.tag_name(), "!!bool");
        assert!(entries[2].1.is_null());
    }

    #[test]
    fn aliases_resolve_and_bombs_are_refused() {
        let root = parse("a: &x [1, 2]\nb: *x\n", &file()).unwrap().unwrap();
        let Value::Mapping(entries) = &root.value else {
            panic!()
        };
        assert_eq!(entries[0].1.value, entries[1].1.value);

        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 0..8 {
            let prev = if level == 0 {
                "a".to_string()
            } else {
                format!("l{}", level - 1)
            };
            bomb.push_str(&format!("l{level}: &l{level} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let err = parse(&bomb, &file()).unwrap_err();
        assert!(err.message.contains("too many nodes"));
    }

    #[test]
    fn empty_input_has_no_document() {
        assert_eq!(parse("", &file()).unwrap(), None);
        assert_eq!(parse("# only a comment\n", &file()).unwrap(), None);
    }
}
