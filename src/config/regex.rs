//! Relabel regexes with Go RE2 semantics, anchored the way the selected Prometheus release anchors
//! them. Part of config loading; pure.
//!
//! Prometheus compiles `^(?:RE)$` (2.x) or `^(?s:RE)$` (3.x) with Go's `regexp`. We translate that
//! whole anchored string from Go syntax to the `regex` crate's (see [`go_syntax`]), so a pattern
//! that escapes its group, such as `a)|(b`, means what it means to Prometheus, and Go's error
//! messages quote the same text. Capture names are kept on our side because Go's naming rules and
//! `$name` lookup differ from the `regex` crate's.

mod expand;
mod go_class;
mod go_syntax;

use std::sync::Arc;

use crate::version::PrometheusVersion;

/// Go nests up to 1000 levels; the `regex` crate's default (250) would refuse valid patterns.
const NEST_LIMIT: u32 = 1000;

/// A compiled relabel regex. Keeps the pattern as written for messages and traces.
#[derive(Debug, Clone)]
pub struct PromRegex {
    written: String,
    compiled: regex::Regex,
    /// Go's capture names by group index; index 0 is the whole match.
    group_names: Arc<[Option<String>]>,
}

/// A regex Go's RE2 would reject (or that we cannot reproduce), with Go's wording where known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("error parsing regexp: {0}")]
pub struct RegexError(pub String);

impl RegexError {
    fn from_go(error: go_syntax::GoError) -> RegexError {
        RegexError(format!("{}: `{}`", error.code, error.expr))
    }

    /// The few refusals only the `regex` crate makes (size limits, odd flag placement).
    fn from_engine(error: &regex::Error, anchored: &str) -> RegexError {
        let reason = match error {
            regex::Error::CompiledTooBig(_) => "expression too large".to_string(),
            other => other
                .to_string()
                .lines()
                .rev()
                .find_map(|line| line.strip_prefix("error: "))
                .unwrap_or("unsupported expression")
                .to_string(),
        };
        RegexError(format!("{reason}: `{anchored}`"))
    }
}

impl PromRegex {
    /// Compiles `pattern` as Prometheus `version` would: `^(?:RE)$` in 2.x, `^(?s:RE)$` in 3.x.
    /// An empty pattern therefore matches only the empty string.
    pub fn new(pattern: &str, version: PrometheusVersion) -> Result<PromRegex, RegexError> {
        let flags = if version.dot_matches_newline() {
            "s"
        } else {
            ""
        };
        let anchored = format!("^(?{flags}:{pattern})$");
        let translation = go_syntax::translate(&anchored).map_err(RegexError::from_go)?;
        let compiled = regex::RegexBuilder::new(&translation.rust)
            .nest_limit(NEST_LIMIT)
            .build()
            .map_err(|e| RegexError::from_engine(&e, &anchored))?;
        Ok(PromRegex {
            written: pattern.to_string(),
            compiled,
            group_names: translation.group_names.into(),
        })
    }

    /// The pattern as the user wrote it (unanchored).
    pub fn as_str(&self) -> &str {
        &self.written
    }

    /// The anchored, compiled regex, in `regex` crate syntax. Its groups are numbered as Go
    /// numbers them, but names Go allows and the `regex` crate does not (`(?P<1>…)`, a repeated
    /// name) are missing from it; use [`PromRegex::has_group_named`] and
    /// [`PromRegex::captures`] for Go's view.
    pub fn compiled(&self) -> &regex::Regex {
        &self.compiled
    }

    /// The number of groups, counting the whole match as group 0, as Go's `NumSubexp() + 1`.
    pub fn group_count(&self) -> usize {
        self.group_names.len()
    }

    /// Whether some group is called `name` (so `$name` can expand to something).
    pub fn has_group_named(&self, name: &str) -> bool {
        self.group_names
            .iter()
            .any(|group| group.as_deref() == Some(name))
    }

    /// Go's `MatchString`.
    pub fn is_match(&self, text: &str) -> bool {
        self.compiled.is_match(text)
    }

    /// Go's `FindStringSubmatchIndex`: the leftmost match and its groups, if any.
    pub fn captures<'r, 't>(&'r self, text: &'t str) -> Option<Submatches<'r, 't>> {
        let mut locations = self.compiled.capture_locations();
        self.compiled.captures_read(&mut locations, text)?;
        Some(Submatches {
            regex: self,
            locations,
            text,
        })
    }

    /// Go's `ReplaceAllString`: every non-overlapping match replaced by the expanded `template`.
    /// An empty match right after a previous match is not replaced, as in Go.
    pub fn replace_all(&self, text: &str, template: &str) -> String {
        let mut out = String::with_capacity(text.len() + template.len());
        let mut groups = Submatches {
            regex: self,
            locations: self.compiled.capture_locations(),
            text,
        };
        let mut last_match_end = 0;
        let mut search = 0;
        while search <= text.len() {
            let found = self
                .compiled
                .captures_read_at(&mut groups.locations, text, search);
            let Some((start, end)) = found.map(|m| (m.start(), m.end())) else {
                break;
            };
            out.push_str(text.get(last_match_end..start).unwrap_or(""));
            if end > last_match_end || start == 0 {
                groups.expand(template, &mut out);
            }
            last_match_end = end;
            // Any later match would be empty and right after this one, so Go would skip it.
            if end == text.len() {
                break;
            }
            let width = text
                .get(search..)
                .and_then(|t| t.chars().next())
                .map_or(0, char::len_utf8);
            search = if search + width > end {
                search + width
            } else {
                end.max(search + 1)
            };
        }
        out.push_str(text.get(last_match_end..).unwrap_or(""));
        out
    }
}

/// The groups of one match, for Go-style `$1` / `${name}` expansion.
#[derive(Debug)]
pub struct Submatches<'r, 't> {
    regex: &'r PromRegex,
    locations: regex::CaptureLocations,
    text: &'t str,
}

impl<'t> Submatches<'_, 't> {
    /// Group `index` (0 is the whole match), if it took part in the match.
    pub fn get(&self, index: usize) -> Option<&'t str> {
        let (start, end) = self.locations.get(index)?;
        self.text.get(start..end)
    }

    /// The first group called `name` that took part in the match, as Go's `Expand` looks it up.
    pub fn named(&self, name: &str) -> Option<&'t str> {
        self.regex
            .group_names
            .iter()
            .enumerate()
            .filter(|(_, group)| group.as_deref() == Some(name))
            .find_map(|(index, _)| self.get(index))
    }

    /// Appends `template` to `out` with Go's `Regexp.ExpandString` rules.
    pub fn expand(&self, template: &str, out: &mut String) {
        expand::expand(template, self, out);
    }
}

#[cfg(test)]
mod tests;
