//! Translation of Go RE2 syntax (as `regexp.Compile` parses it, Go 1.19) into the `regex` crate's
//! syntax. Part of config loading; pure.
//!
//! The scanner follows Go's `regexp/syntax` parser token by token, so it rejects what Go rejects
//! with Go's wording, and it rewrites the constructs whose meaning differs between the two
//! engines: Go's `\d \s \w \b` are ASCII-only, `{` that is not a valid repeat is a literal,
//! `\Q…\E` quotes, `\<` is a literal `<`, `[` inside a class is a literal, and group names follow
//! Go's rules. Capture names are kept here rather than in the compiled regex, because Go accepts
//! names the `regex` crate refuses (`(?P<1>…)`) and duplicate names.

use super::go_class::{self, ClassItem};

/// Why Go would refuse a pattern: Go's error code text plus the offending part of the pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct GoError {
    pub code: &'static str,
    pub expr: String,
}

impl GoError {
    pub(super) fn new(code: &'static str, expr: &str) -> GoError {
        GoError {
            code,
            expr: expr.to_string(),
        }
    }
}

pub(super) const INVALID_CHAR_RANGE: &str = "invalid character class range";
pub(super) const INVALID_ESCAPE: &str = "invalid escape sequence";
pub(super) const MISSING_BRACKET: &str = "missing closing ]";
pub(super) const TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";
const INVALID_NAMED_CAPTURE: &str = "invalid named capture";
const INVALID_PERL_OP: &str = "invalid or unsupported Perl syntax";
const INVALID_REPEAT_OP: &str = "invalid nested repetition operator";
const INVALID_REPEAT_SIZE: &str = "invalid repeat count";
const MISSING_PAREN: &str = "missing closing )";
const MISSING_REPEAT_ARGUMENT: &str = "missing argument to repetition operator";
const UNEXPECTED_PAREN: &str = "unexpected )";

/// Go refuses counted repetitions above this, alone or multiplied through nesting.
const MAX_REPEAT: u64 = 1000;

/// A pattern rewritten for the `regex` crate, with Go's view of its capture groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Translation {
    pub rust: String,
    /// Index 0 is the whole match; `None` for unnamed groups.
    pub group_names: Vec<Option<String>>,
}

/// Rewrites a Go pattern into an equivalent `regex` crate pattern, or reports Go's parse error.
pub(super) fn translate(go: &str) -> Result<Translation, GoError> {
    let mut scanner = Scanner {
        whole: go,
        pos: 0,
        out: String::with_capacity(go.len() + 16),
        group_names: vec![None],
        current: Frame::default(),
        enclosing: Vec::new(),
        previous_repeat: None,
        pending_flags: String::new(),
        pending_flips_greed: false,
    };
    while scanner.pos < go.len() {
        let repeat_start = scanner.token()?;
        scanner.previous_repeat = repeat_start;
    }
    scanner.flush_flags();
    if !scanner.enclosing.is_empty() {
        return Err(GoError::new(MISSING_PAREN, go));
    }
    Ok(Translation {
        rust: scanner.out,
        group_names: scanner.group_names,
    })
}

/// What the parser knows about one open group, enough to reproduce Go's repeat checks.
#[derive(Debug, Default)]
struct Frame {
    /// Go refuses a repeat operator right after `(`, `|` or at the start.
    has_operand: bool,
    /// Smallest budget under which Go's `repeatIsValid` accepts the last operand.
    last_budget: u64,
    /// The same over everything in the group so far.
    max_budget: u64,
    /// Go's `U` flag as it stands at this point of the group.
    ungreedy: bool,
}

struct Scanner<'a> {
    whole: &'a str,
    pos: usize,
    out: String,
    group_names: Vec<Option<String>>,
    /// The innermost open group (the whole pattern at top level).
    current: Frame,
    /// The groups around it, outermost first.
    enclosing: Vec<Frame>,
    /// Where the previous token started, if it was a repetition operator.
    previous_repeat: Option<usize>,
    /// A flag group like `(?i)` not yet written. Go lets a repetition operator after it apply to
    /// the operand before it (`a(?i)*`), which the `regex` crate refuses; so flag groups are
    /// written just before the next token that is not a repetition.
    pending_flags: String,
    /// Whether the pending flags flip `U`, so a repetition written before them must flip too.
    pending_flips_greed: bool,
}

/// A repetition as Go parses it; `max` is `None` for "unbounded".
#[derive(Debug, Clone, Copy)]
struct Repeat {
    min: u64,
    max: Option<u64>,
    counted: bool,
}

impl<'a> Scanner<'a> {
    fn rest(&self) -> &'a str {
        self.whole.get(self.pos..).unwrap_or("")
    }

    /// Opens a group; it starts with the enclosing group's `U` flag, or `ungreedy` if given.
    fn open_frame(&mut self, ungreedy: Option<bool>) {
        let inner = Frame {
            ungreedy: ungreedy.unwrap_or(self.current.ungreedy),
            ..Frame::default()
        };
        let outer = std::mem::replace(&mut self.current, inner);
        self.enclosing.push(outer);
    }

    fn flush_flags(&mut self) {
        self.out.push_str(&self.pending_flags);
        self.pending_flags.clear();
        self.pending_flips_greed = false;
    }

    /// Records an operand whose nested counted repeats need `budget`.
    fn operand(&mut self, budget: u64) {
        let frame = &mut self.current;
        frame.has_operand = true;
        frame.last_budget = budget;
        frame.max_budget = frame.max_budget.max(budget);
    }

    /// Consumes one token; returns its start when it was a repetition operator.
    fn token(&mut self) -> Result<Option<usize>, GoError> {
        let rest = self.rest();
        let Some(c) = rest.chars().next() else {
            return Ok(None);
        };
        let counted = if c == '{' { parse_counted(rest) } else { None };
        if !matches!(c, '*' | '+' | '?') && counted.is_none() {
            self.flush_flags();
        }
        match c {
            '(' => self.open_group()?,
            ')' => self.close_group()?,
            '|' => {
                self.out.push('|');
                self.current.has_operand = false;
                self.pos += 1;
            }
            '^' | '$' | '.' => {
                self.out.push(c);
                self.operand(0);
                self.pos += 1;
            }
            '[' => self.class()?,
            '*' | '+' | '?' => {
                let max = if c == '?' { Some(1) } else { None };
                let min = u64::from(c == '+');
                let op = Repeat {
                    min,
                    max,
                    counted: false,
                };
                return self.repeat(op, self.pos + 1).map(Some);
            }
            '{' => match counted {
                Some((op, len)) => return self.counted_repeat(op, len).map(Some),
                None => self.literal_char('{'),
            },
            '\\' => self.escape()?,
            _ => self.literal_char(c),
        }
        Ok(None)
    }

    fn literal_char(&mut self, c: char) {
        go_class::push_literal(&mut self.out, u32::from(c));
        self.operand(0);
        self.pos += c.len_utf8();
    }

    fn counted_repeat(&mut self, op: Repeat, len: usize) -> Result<usize, GoError> {
        let text = self.rest().get(..len).unwrap_or("");
        let too_big = |n: u64| n > MAX_REPEAT;
        let inverted = op.max.is_some_and(|max| op.min > max);
        if too_big(op.min) || op.max.is_some_and(too_big) || inverted {
            return Err(GoError::new(INVALID_REPEAT_SIZE, text));
        }
        self.repeat(op, self.pos + len)
    }

    /// Go's `parser.repeat`: greediness suffix, nesting and argument checks, then the size budget.
    fn repeat(&mut self, op: Repeat, op_end: usize) -> Result<usize, GoError> {
        let start = self.pos;
        let lazy = self.whole.get(op_end..).is_some_and(|t| t.starts_with('?'));
        let end = op_end + usize::from(lazy);
        let text = |from: usize| self.whole.get(from..end).unwrap_or("").to_string();
        if let Some(previous) = self.previous_repeat {
            return Err(GoError {
                code: INVALID_REPEAT_OP,
                expr: text(previous),
            });
        }
        if !self.current.has_operand {
            return Err(GoError {
                code: MISSING_REPEAT_ARGUMENT,
                expr: text(start),
            });
        }
        let budget = repeat_budget(op, self.current.last_budget);
        let checked = op.counted && (op.min >= 2 || op.max.is_some_and(|m| m >= 2));
        if checked && budget > MAX_REPEAT {
            return Err(GoError {
                code: INVALID_REPEAT_SIZE,
                expr: text(start),
            });
        }
        self.operand(budget);
        self.write_repeat(op, lazy);
        self.pos = end;
        Ok(start)
    }

    fn write_repeat(&mut self, op: Repeat, lazy: bool) {
        use std::fmt::Write;
        match (op.counted, op.min, op.max) {
            (false, 0, None) => self.out.push('*'),
            (false, 1, None) => self.out.push('+'),
            (false, _, _) => self.out.push('?'),
            (true, min, None) => {
                let _ = write!(self.out, "{{{min},}}");
            }
            (true, min, Some(max)) if max == min => {
                let _ = write!(self.out, "{{{min}}}");
            }
            (true, min, Some(max)) => {
                let _ = write!(self.out, "{{{min},{max}}}");
            }
        }
        // Go decides greediness with the flags in force at the operator, which may include
        // pending flags that are written after it.
        if lazy != self.pending_flips_greed {
            self.out.push('?');
        }
    }

    fn open_group(&mut self) -> Result<(), GoError> {
        if self.rest().starts_with("(?") {
            return self.perl_group();
        }
        self.start_capture(None, 1);
        Ok(())
    }

    fn start_capture(&mut self, name: Option<String>, len: usize) {
        // The compiled regex keeps a name where the `regex` crate allows it (a first use, not
        // starting with a digit), so its `capture_names` stay informative; lookups use ours.
        let keep_name = name.as_deref().filter(|n| {
            !n.starts_with(|c: char| c.is_ascii_digit())
                && !self.group_names.iter().any(|g| g.as_deref() == Some(*n))
        });
        match keep_name {
            Some(n) => {
                self.out.push_str("(?P<");
                self.out.push_str(n);
                self.out.push('>');
            }
            None => self.out.push('('),
        }
        self.group_names.push(name);
        self.open_frame(None);
        self.pos += len;
    }

    fn close_group(&mut self) -> Result<(), GoError> {
        let Some(outer) = self.enclosing.pop() else {
            return Err(GoError::new(UNEXPECTED_PAREN, self.whole));
        };
        let closed = std::mem::replace(&mut self.current, outer);
        self.out.push(')');
        self.pos += 1;
        self.operand(closed.max_budget);
        Ok(())
    }

    /// Go's `parsePerlFlags`: `(?P<name>`, `(?flags)` and `(?flags:`.
    fn perl_group(&mut self) -> Result<(), GoError> {
        let rest = self.rest();
        if rest.len() > 4 && rest.starts_with("(?P<") {
            let Some(end) = rest.find('>') else {
                return Err(GoError::new(INVALID_NAMED_CAPTURE, rest));
            };
            let name = rest.get(4..end).unwrap_or("");
            if name.is_empty() || !name.bytes().all(|b| b == b'_' || b.is_ascii_alphanumeric()) {
                return Err(GoError::new(
                    INVALID_NAMED_CAPTURE,
                    rest.get(..=end).unwrap_or(rest),
                ));
            }
            self.start_capture(Some(name.to_string()), end + 1);
            return Ok(());
        }
        let flags = parse_flags(rest)?;
        self.pos += flags.len;
        let ungreedy = flags.ungreedy.unwrap_or(self.current.ungreedy);
        if flags.opens_group {
            self.out.push_str(&flags.rust);
            self.open_frame(Some(ungreedy));
        } else {
            self.pending_flags.push_str(&flags.rust);
            self.pending_flips_greed ^= ungreedy != self.current.ungreedy;
            self.current.ungreedy = ungreedy;
        }
        Ok(())
    }

    fn class(&mut self) -> Result<(), GoError> {
        let class = go_class::parse_class(self.rest())?;
        self.out.push('[');
        if class.negated {
            self.out.push('^');
        }
        for item in &class.items {
            item.write(&mut self.out);
        }
        if class.items.iter().all(ClassItem::is_empty) {
            self.out.push_str(go_class::NEVER_MATCHES);
        }
        self.out.push(']');
        self.pos += class.len;
        self.operand(0);
        Ok(())
    }

    /// A backslash outside a class: assertions, `\Q…\E`, classes, then single-character escapes.
    fn escape(&mut self) -> Result<(), GoError> {
        let rest = self.rest();
        let assertion = match rest.get(1..2) {
            Some("A") => Some(r"\A"),
            Some("z") => Some(r"\z"),
            Some("b") => Some(r"(?-u:\b)"),
            Some("B") => Some(r"(?-u:\B)"),
            Some("C") => return Err(GoError::new(INVALID_ESCAPE, r"\C")),
            Some("Q") => {
                self.quoted(rest);
                return Ok(());
            }
            _ => None,
        };
        if let Some(text) = assertion {
            self.out.push_str(text);
            self.operand(0);
            self.pos += 2;
            return Ok(());
        }
        if let Some((rendered, len)) = go_class::escape_class(rest)? {
            self.out.push_str(&rendered);
            self.pos += len;
            self.operand(0);
            return Ok(());
        }
        let (code, len) = go_class::parse_escape(rest)?;
        go_class::push_literal(&mut self.out, code);
        self.pos += len;
        self.operand(0);
        Ok(())
    }

    /// `\Q…\E`: everything up to `\E` (or the end) is literal.
    fn quoted(&mut self, rest: &str) {
        let body = rest.get(2..).unwrap_or("");
        let (literal, consumed) = match body.find(r"\E") {
            Some(end) => (body.get(..end).unwrap_or(""), 2 + end + 2),
            None => (body, rest.len()),
        };
        for c in literal.chars() {
            go_class::push_literal(&mut self.out, u32::from(c));
        }
        if !literal.is_empty() {
            self.operand(0);
        }
        self.pos += consumed;
    }
}

/// Go's `repeatIsValid` as a number: the smallest budget under which the repeat passes.
fn repeat_budget(op: Repeat, operand: u64) -> u64 {
    if !op.counted {
        return operand;
    }
    let multiplier = match op.max {
        Some(0) => return 0,
        Some(max) => max,
        None => op.min,
    };
    if multiplier == 0 {
        return operand;
    }
    multiplier.max(multiplier.saturating_mul(operand))
}

/// Go's `parseRepeat`: `{n}`, `{n,}` or `{n,m}` with no leading zeros; anything else is literal.
fn parse_counted(text: &str) -> Option<(Repeat, usize)> {
    let body = text.strip_prefix('{')?;
    let (min, after_min) = parse_go_int(body)?;
    let (max, after_max) = match after_min.strip_prefix(',') {
        None => (Some(min), after_min),
        Some(tail) if tail.starts_with('}') => (None, tail),
        Some(tail) => {
            let (max, rest) = parse_go_int(tail)?;
            (Some(max), rest)
        }
    };
    after_max.strip_prefix('}')?;
    let len = text.len() - after_max.len() + 1;
    Some((
        Repeat {
            min,
            max,
            counted: true,
        },
        len,
    ))
}

/// Go's `parseInt`: digits without a leading zero; large values saturate (and are refused later).
fn parse_go_int(text: &str) -> Option<(u64, &str)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || (digits >= 2 && text.starts_with('0')) {
        return None;
    }
    let (number, rest) = text.split_at(digits);
    let value = number.parse::<u64>().unwrap_or(u64::MAX);
    Some((value, rest))
}

struct Flags {
    rust: String,
    len: usize,
    opens_group: bool,
    /// `Some(true)` when the group sets `U`, `Some(false)` when it clears it.
    ungreedy: Option<bool>,
}

/// Go's flag grammar: letters `imsU`, at most one `-` which must be followed by a flag, then `)`
/// or `:`. Emitted in canonical form, since the `regex` crate refuses repeated flags.
fn parse_flags(rest: &str) -> Result<Flags, GoError> {
    let mut set = String::new();
    let mut cleared = String::new();
    let mut negated = false;
    let mut saw_flag = false;
    let body = rest.get(2..).unwrap_or("");
    for (offset, c) in body.char_indices() {
        let consumed = 2 + offset + c.len_utf8();
        let invalid = || GoError::new(INVALID_PERL_OP, rest.get(..consumed).unwrap_or(rest));
        match c {
            'i' | 'm' | 's' | 'U' => {
                let list = if negated { &mut cleared } else { &mut set };
                if !list.contains(c) {
                    list.push(c);
                }
                saw_flag = true;
            }
            '-' if !negated => {
                negated = true;
                saw_flag = false;
            }
            ':' | ')' if !negated || saw_flag => {
                set.retain(|f| !cleared.contains(f));
                let opens_group = c == ':';
                let rust = render_flags(&set, &cleared, opens_group);
                let ungreedy = if cleared.contains('U') {
                    Some(false)
                } else {
                    set.contains('U').then_some(true)
                };
                return Ok(Flags {
                    rust,
                    len: consumed,
                    opens_group,
                    ungreedy,
                });
            }
            _ => return Err(invalid()),
        }
    }
    Err(GoError::new(INVALID_PERL_OP, rest))
}

fn render_flags(set: &str, cleared: &str, opens_group: bool) -> String {
    if set.is_empty() && cleared.is_empty() {
        return if opens_group {
            "(?:".to_string()
        } else {
            String::new()
        };
    }
    let mut rust = format!("(?{set}");
    if !cleared.is_empty() {
        rust.push('-');
        rust.push_str(cleared);
    }
    rust.push(if opens_group { ':' } else { ')' });
    rust
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rust(go: &str) -> String {
        translate(go)
            .map(|t| t.rust)
            .unwrap_or_else(|e| panic!("{go}: {e:?}"))
    }

    fn error(go: &str) -> String {
        match translate(go) {
            Ok(t) => panic!("{go} translated to {}", t.rust),
            Err(e) => format!("{}: `{}`", e.code, e.expr),
        }
    }

    #[test]
    fn perl_classes_become_ascii_classes() {
        assert_eq!(rust(r"\d\W"), "[0-9][^0-9A-Za-z_]");
        assert_eq!(rust(r"[\d\s]"), r"[[0-9][\t\n\f\r ]]");
        assert_eq!(rust(r"\b"), r"(?-u:\b)");
    }

    #[test]
    fn brace_that_is_not_a_repeat_is_literal() {
        assert_eq!(rust("a{"), r"a\{");
        assert_eq!(rust("a{,5}"), r"a\{,5\}");
        assert_eq!(rust("a{01}"), r"a\{01\}");
        assert_eq!(rust("a{2,}?"), "a{2,}?");
    }

    #[test]
    fn go_only_literals_are_rewritten() {
        assert_eq!(rust(r"\<\>"), "<>");
        assert_eq!(rust(r"\Qa.b\E+"), r"a\.b+");
        assert_eq!(rust(r"[[a]"), r"[\[a]");
        assert_eq!(rust(r"[a&&b]"), r"[a\&\&b]");
        assert_eq!(rust(r"\101\0"), "A\\x{0}");
    }

    #[test]
    fn named_groups_are_remembered_and_kept_where_rust_allows() {
        let t =
            translate("(?P<first>a)(b)(?P<1x>c)(?P<first>d)").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(t.rust, "(?P<first>a)(b)(c)(d)");
        let names: Vec<_> = t.group_names.iter().map(|n| n.as_deref()).collect();
        assert_eq!(
            names,
            [None, Some("first"), None, Some("1x"), Some("first")]
        );
    }

    #[test]
    fn flags_are_canonical() {
        assert_eq!(rust("(?ii)a"), "(?i)a");
        assert_eq!(rust("(?i-i:a)"), "(?-i:a)");
        assert_eq!(rust("(?)a"), "a");
    }

    #[test]
    fn repeat_after_a_flag_group_applies_to_the_operand_before_it() {
        assert_eq!(rust("p(?i)?x"), "p?(?i)x");
        assert_eq!(rust("a(?U)*b"), "a*?(?U)b");
        assert_eq!(rust("a(?U)*?b"), "a*(?U)b");
        assert_eq!(rust("(?U)a(?-U)+"), "(?U)a+?(?-U)");
        assert_eq!(rust("(?U:a)*"), "(?U:a)*");
        assert_eq!(
            error("(?i)*"),
            "missing argument to repetition operator: `*`"
        );
    }

    #[test]
    fn errors_use_go_wording() {
        assert_eq!(
            error("(?<n>x)"),
            "invalid or unsupported Perl syntax: `(?<`"
        );
        assert_eq!(
            error("(?i-)"),
            "invalid or unsupported Perl syntax: `(?i-)`"
        );
        assert_eq!(error("(?P<a.b>x)"), "invalid named capture: `(?P<a.b>`");
        assert_eq!(error("a**"), "invalid nested repetition operator: `**`");
        assert_eq!(error("a*?+"), "invalid nested repetition operator: `*?+`");
        assert_eq!(
            error("x{2}{3}"),
            "invalid nested repetition operator: `{2}{3}`"
        );
        assert_eq!(error("x{1001}"), "invalid repeat count: `{1001}`");
        assert_eq!(error("(a{100}){20}"), "invalid repeat count: `{20}`");
        assert_eq!(error("*a"), "missing argument to repetition operator: `*`");
        assert_eq!(
            error("(|+)"),
            "missing argument to repetition operator: `+`"
        );
        assert_eq!(error(r"\8"), r"invalid escape sequence: `\8`");
        assert_eq!(error(r"\1"), r"invalid escape sequence: `\1`");
        assert_eq!(error(r"\C"), r"invalid escape sequence: `\C`");
        assert_eq!(error("a)b"), "unexpected ): `a)b`");
        assert_eq!(error("(a"), "missing closing ): `(a`");
    }

    #[test]
    fn nested_repeat_budget_matches_go() {
        assert!(translate("(a{100}){10}").is_ok());
        assert!(translate("((a{10}){10}){10}").is_ok());
        assert!(translate("((a{10}){10}){11}").is_err());
        assert!(translate("(a{0}){1000}").is_ok());
        assert!(translate("(a*){1000}").is_ok());
    }
}
