//! The scanner: a resumable state machine over the exposition's bytes that never holds a whole
//! line. Each state consumes a run of bytes with a table loop or `memchr`, so a chunk is crossed
//! in a few passes; a line may span any number of chunks (a single 100 MB line costs no memory).
//! The facts of the line just ended are left in [`LineFacts`] for the analyzer. Pure.

use memchr::{memchr, memchr3};
use xxhash_rust::xxh3::{xxh3_64, Xxh3};

use super::content_type::Format;
use super::lexical::{
    check_float, check_timestamp, go_quote_bytes, label_char, label_start, metric_char,
    metric_start, Utf8Stream, NUMBER_CAP,
};
use super::limits::{CheckedLabel, VALUE_PREFIX};
use super::runs::{digits_end, name_end, value_end, NameKind};

/// Bytes of a metric or label name kept; longer names are counted, not stored.
pub(crate) const NAME_CAP: usize = 1024;
const TYPE_CAP: usize = 32;
const SPILL_CAP: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineKind {
    Blank,
    Comment,
    Help,
    Type,
    Unit,
    Eof,
    Sample,
}

/// What the scanner learned about the line that just ended.
#[derive(Debug)]
pub(crate) struct LineFacts {
    pub kind: LineKind,
    pub error: Option<String>,
    /// The metric name (first [`NAME_CAP`] bytes) and its full length.
    pub name: Vec<u8>,
    pub name_len: u64,
    pub labels: u64,
    /// Which of the target's label names the line carries (bit i = target label i).
    pub target_names_present: u32,
    pub series_hash: u64,
    /// Longest label name of the line when longer than the analyzer's record so far.
    pub longest_name: Option<(Vec<u8>, u64)>,
    /// Label whose value is the longest of the line, when longer than the record so far.
    pub longest_value: Option<(Vec<u8>, u64)>,
    /// The label whose value is not UTF-8.
    pub invalid_utf8_label: Option<Vec<u8>>,
    /// Every label with its lengths, collected only when length limits are checked.
    pub checked: Vec<CheckedLabel>,
    pub checked_len: usize,
    /// `# TYPE` text.
    pub type_text: Vec<u8>,
}

/// What the fast path did with a line.
enum Fast {
    /// The whole line was read; the position after its newline.
    Done(usize),
    /// Name and labels were read; the value starts here, in [`State::Value`].
    Value(usize),
    /// Nothing was kept: the states read the line.
    No,
}

impl LineFacts {
    /// Records a label for the length limits, reusing the slots of earlier lines.
    fn check_label(&mut self, name: &[u8], name_len: u64, value_prefix: &[u8], value_len: u64) {
        if self.checked.len() <= self.checked_len {
            self.checked.push(CheckedLabel::default());
        }
        let slot = &mut self.checked[self.checked_len];
        self.checked_len += 1;
        slot.name.clear();
        slot.name.extend_from_slice(name);
        slot.name_len = name_len;
        slot.value_prefix.clear();
        slot.value_prefix.extend_from_slice(value_prefix);
        slot.value_len = value_len;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    LineStart,
    Name,
    AfterName { blank: bool },
    LabelsBegin,
    LabelName,
    QuotedName,
    QuotedNameEscape,
    AfterLabelName { quoted: bool },
    BeforeValue,
    LabelValue,
    LabelValueEscape,
    AfterLabelValue,
    AfterLabels,
    Value,
    AfterValue,
    Timestamp,
    AfterTimestamp,
    Hash,
    HashBlank,
    Keyword,
    MetaBeforeName,
    MetaName,
    MetaQuotedName,
    MetaQuotedNameEscape,
    MetaAfterName,
    MetaText,
    SkipLine,
}

/// Settings the scanner needs from the analyzer.
pub(crate) struct ScanSettings {
    pub format: Format,
    /// 3.x: quoted (UTF-8) metric and label names.
    pub quoted_names: bool,
    /// Collect every label for the length limits.
    pub collect_labels: bool,
    pub target_names: Vec<Vec<u8>>,
}

pub(crate) struct Scanner {
    settings: ScanSettings,
    state: State,
    pub line: LineFacts,
    /// Records the analyzer has so far; the scanner copies a name only when it beats them.
    pub record_name_len: u64,
    pub record_value_len: u64,
    // The label being read.
    label: Vec<u8>,
    label_len: u64,
    value_raw: u64,
    value_escapes: u64,
    value_start: Option<usize>,
    /// The start of a value that crossed a chunk boundary (opening quote included, at most
    /// [`SPILL_CAP`] bytes), kept for an invalid-UTF-8 message.
    spill: Vec<u8>,
    spilled: bool,
    value_prefix: Vec<u8>,
    utf8: Utf8Stream,
    // Value, timestamp and keyword tokens.
    token: Vec<u8>,
    token_len: usize,
    // The series text (name and labels) is hashed as it passes.
    hashing: bool,
    hash_from: usize,
    hasher: Xxh3,
    hasher_fed: bool,
    /// The chunk being scanned is all ASCII (checked once per chunk).
    ascii: bool,
    ascii_checked_for: (usize, usize),
}

impl Scanner {
    pub(crate) fn new(settings: ScanSettings) -> Scanner {
        Scanner {
            settings,
            state: State::LineStart,
            line: LineFacts {
                kind: LineKind::Blank,
                error: None,
                name: Vec::with_capacity(128),
                name_len: 0,
                labels: 0,
                target_names_present: 0,
                series_hash: 0,
                longest_name: None,
                longest_value: None,
                invalid_utf8_label: None,
                checked: Vec::new(),
                checked_len: 0,
                type_text: Vec::new(),
            },
            record_name_len: 0,
            record_value_len: 0,
            label: Vec::with_capacity(64),
            label_len: 0,
            value_raw: 0,
            value_escapes: 0,
            value_start: None,
            spill: Vec::new(),
            spilled: false,
            value_prefix: Vec::new(),
            utf8: Utf8Stream::default(),
            token: Vec::with_capacity(NUMBER_CAP),
            token_len: 0,
            hashing: false,
            hash_from: 0,
            hasher: Xxh3::new(),
            hasher_fed: false,
            ascii: false,
            ascii_checked_for: (0, 0),
        }
    }

    /// Clears the facts of the line the analyzer has consumed.
    pub(crate) fn reset_line(&mut self) {
        let line = &mut self.line;
        line.kind = LineKind::Blank;
        line.error = None;
        line.name.clear();
        line.name_len = 0;
        line.labels = 0;
        line.target_names_present = 0;
        line.series_hash = 0;
        line.longest_name = None;
        line.longest_value = None;
        line.invalid_utf8_label = None;
        line.checked_len = 0;
        line.type_text.clear();
        self.state = State::LineStart;
        self.hashing = false;
        self.hasher_fed = false;
    }

    /// True when no line is in progress.
    pub(crate) fn at_line_start(&self) -> bool {
        self.state == State::LineStart
    }

    /// Called once after the last `scan` of a chunk: a series text still in progress is absorbed
    /// into the hasher, so the next chunk continues it.
    pub(crate) fn end_chunk(&mut self, buf: &[u8]) {
        if self.hashing {
            self.hasher.update(&buf[self.hash_from.min(buf.len())..]);
            self.hasher_fed = true;
            self.hash_from = 0;
        }
        if matches!(self.state, State::LabelValue | State::LabelValueEscape) {
            let from = match self.value_start {
                Some(start) => start.saturating_sub(1),
                None => 0,
            };
            let room = SPILL_CAP.saturating_sub(self.spill.len());
            let piece = &buf[from.min(buf.len())..];
            self.spill
                .extend_from_slice(&piece[..piece.len().min(room)]);
            self.spilled = true;
        }
        self.value_start = None;
    }

    fn begin_series(&mut self, at: usize) {
        self.line.kind = LineKind::Sample;
        self.hashing = true;
        self.hash_from = at;
        self.hasher_fed = false;
        self.hasher.reset();
    }

    fn end_series(&mut self, buf: &[u8], at: usize) {
        if !self.hashing {
            return;
        }
        self.hashing = false;
        let piece = &buf[self.hash_from.min(at)..at];
        self.line.series_hash = if self.hasher_fed {
            self.hasher.update(piece);
            self.hasher.digest()
        } else {
            xxh3_64(piece)
        };
    }

    fn fail(&mut self, message: String) {
        if self.line.error.is_none() {
            self.line.error = Some(message);
        }
        self.hashing = false;
        self.state = State::SkipLine;
    }

    fn got(buf: &[u8], i: usize) -> String {
        go_quote_bytes(&buf[i..(i + 1).min(buf.len())])
    }

    fn push_name(&mut self, piece: &[u8]) {
        let room = NAME_CAP.saturating_sub(self.line.name.len());
        self.line
            .name
            .extend_from_slice(&piece[..piece.len().min(room)]);
        self.line.name_len += piece.len() as u64;
    }

    fn push_label(&mut self, piece: &[u8]) {
        let room = NAME_CAP.saturating_sub(self.label.len());
        self.label
            .extend_from_slice(&piece[..piece.len().min(room)]);
        self.label_len += piece.len() as u64;
    }

    fn push_token(&mut self, piece: &[u8]) {
        let room = NUMBER_CAP.saturating_sub(self.token.len());
        self.token
            .extend_from_slice(&piece[..piece.len().min(room)]);
        self.token_len += piece.len();
    }

    fn start_label(&mut self) {
        self.label.clear();
        self.label_len = 0;
    }

    fn start_value(&mut self, at: usize) {
        self.value_raw = 0;
        self.value_escapes = 0;
        self.value_start = Some(at);
        self.spill.clear();
        self.spilled = false;
        self.utf8.reset();
        if self.settings.collect_labels {
            self.value_prefix.clear();
        }
    }

    #[inline]
    fn value_piece(&mut self, piece: &[u8]) {
        self.value_raw += piece.len() as u64;
        self.utf8.feed(piece, self.ascii);
        if self.settings.collect_labels && self.value_prefix.len() < VALUE_PREFIX {
            let room = VALUE_PREFIX - self.value_prefix.len();
            self.value_prefix
                .extend_from_slice(&piece[..piece.len().min(room)]);
        }
    }

    /// A label name and value are complete (`end` is the index of the closing quote).
    fn end_label(&mut self, buf: &[u8], end: usize) {
        let value_len = self.value_raw - self.value_escapes;
        let line = &mut self.line;
        line.labels += 1;
        if beats(self.label_len, self.record_name_len, &line.longest_name) {
            line.longest_name = Some((self.label.clone(), self.label_len));
        }
        if beats(value_len, self.record_value_len, &line.longest_value) {
            line.longest_value = Some((self.label.clone(), value_len));
        }
        for (i, target) in self.settings.target_names.iter().enumerate() {
            if *target == self.label {
                line.target_names_present |= 1 << i.min(31);
            }
        }
        if !self.utf8.valid() {
            if line.invalid_utf8_label.is_none() {
                line.invalid_utf8_label = Some(self.label.clone());
            }
            let close = (end + 1).min(buf.len());
            let mut raw = std::mem::take(&mut self.spill);
            if self.spilled {
                raw.extend_from_slice(&buf[..close]);
            } else if let Some(start) = self.value_start {
                raw.extend_from_slice(&buf[start.saturating_sub(1)..close]);
            }
            raw.truncate(SPILL_CAP);
            let message = format!("invalid UTF-8 label value: {}", go_quote_bytes(&raw));
            self.spill = raw;
            self.fail(message);
            return;
        }
        if self.settings.collect_labels {
            line.check_label(&self.label, self.label_len, &self.value_prefix, value_len);
        }
    }

    /// The quoted string just read stands for the metric name (`{"name", …}`).
    fn quoted_metric_name(&mut self) {
        if self.line.name_len > 0 {
            self.fail("metric name already set".to_string());
            return;
        }
        let name = std::mem::take(&mut self.label);
        self.push_name(&name);
        self.line.name_len = self.label_len;
        self.label = name;
    }

    /// Ends the line at `buf[i] == '\n'`; returns the position after it.
    fn end_line(&mut self, buf: &[u8], i: usize) -> usize {
        match self.state {
            State::Value => {
                self.check_value();
            }
            State::Timestamp => {
                self.check_timestamp();
            }
            State::Name | State::AfterName { .. } | State::AfterLabels => {
                self.end_series(buf, i);
                self.fail(format!(
                    "expected value after metric, got \"\\n\" while parsing: {}",
                    go_quote_bytes(&self.line.name.clone())
                ));
            }
            State::LabelsBegin
            | State::LabelName
            | State::AfterLabelName { .. }
            | State::AfterLabelValue => self.fail("unexpected end of line in label set".into()),
            State::BeforeValue => self.fail("expected label value, got \"\\n\"".to_string()),
            State::LabelValue
            | State::LabelValueEscape
            | State::QuotedName
            | State::QuotedNameEscape
            | State::MetaQuotedName
            | State::MetaQuotedNameEscape => {
                self.fail("unterminated quoted string at end of line".to_string())
            }
            State::Keyword => self.end_keyword(true),
            State::MetaBeforeName => {
                let what = if self.line.kind == LineKind::Type {
                    "TYPE"
                } else {
                    "HELP"
                };
                self.fail(format!("expected metric name after {what}"))
            }
            State::MetaAfterName | State::MetaName | State::MetaText => self.end_meta(),
            State::LineStart
            | State::AfterValue
            | State::AfterTimestamp
            | State::Hash
            | State::HashBlank
            | State::SkipLine => {}
        }
        if self.line.kind == LineKind::Help && self.line.error.is_none() && !self.utf8.valid() {
            self.line.error = Some("help text is not a valid utf8 string".to_string());
        }
        i + 1
    }

    fn check_value(&mut self) {
        if let Err(message) = check_float(&self.token, self.token_len > NUMBER_CAP) {
            self.fail(message);
        }
    }

    fn check_timestamp(&mut self) {
        let float = self.settings.format == Format::OpenMetrics
            || (self.settings.format == Format::Auto && self.token.contains(&b'.'));
        if let Err(message) = check_timestamp(&self.token, self.token_len > NUMBER_CAP, float) {
            self.fail(message);
        }
    }

    fn end_keyword(&mut self, at_newline: bool) {
        let openmetrics = self.settings.format != Format::PrometheusText;
        match (&self.token[..], at_newline) {
            (b"EOF", true) if openmetrics => self.line.kind = LineKind::Eof,
            (b"HELP", true) | (b"TYPE", true) => {
                let what = String::from_utf8_lossy(&self.token).into_owned();
                self.fail(format!("expected metric name after {what}"));
            }
            (b"HELP", false) => {
                self.line.kind = LineKind::Help;
                self.utf8.reset();
                self.state = State::MetaBeforeName;
            }
            (b"TYPE", false) => {
                self.line.kind = LineKind::Type;
                self.state = State::MetaBeforeName;
            }
            (b"UNIT", false) if openmetrics => {
                self.line.kind = LineKind::Unit;
                self.state = State::MetaBeforeName;
            }
            _ => self.state = State::SkipLine,
        }
    }

    fn end_meta(&mut self) {
        if self.line.kind != LineKind::Type {
            return;
        }
        let openmetrics = self.settings.format == Format::OpenMetrics;
        let prometheus = self.settings.format == Format::PrometheusText;
        let valid = match &self.line.type_text[..] {
            b"counter" | b"gauge" | b"histogram" | b"summary" => true,
            b"untyped" => !openmetrics,
            b"gaugehistogram" | b"info" | b"stateset" | b"unknown" => !prometheus,
            _ => false,
        };
        if !valid {
            let text = go_quote_bytes(&self.line.type_text);
            self.fail(format!("invalid metric type {text}"));
        }
    }

    /// Scans `buf` from `*pos`; returns true when a line ended (its facts are in `self.line`,
    /// `*pos` is past its newline), false when the chunk is used up.
    pub(crate) fn scan(&mut self, buf: &[u8], pos: &mut usize) -> bool {
        let len = buf.len();
        let mut i = *pos;
        let identity = (buf.as_ptr() as usize, len);
        if self.ascii_checked_for != identity || i == 0 {
            self.ascii = buf.is_ascii();
            self.ascii_checked_for = identity;
        }
        while i < len {
            let b = buf[i];
            match self.state {
                State::LineStart => match b {
                    b' ' | b'\t' => i += 1,
                    b'\n' => {
                        *pos = self.end_line(buf, i);
                        return true;
                    }
                    b'#' => {
                        self.line.kind = LineKind::Comment;
                        self.state = State::Hash;
                        i += 1;
                    }
                    b'{' => {
                        self.begin_series(i);
                        self.state = State::LabelsBegin;
                        i += 1;
                    }
                    _ if metric_start(b) => match self.fast_line(buf, i) {
                        Fast::Done(next) => {
                            *pos = next;
                            return true;
                        }
                        Fast::Value(at) => i = at,
                        Fast::No => {
                            self.begin_series(i);
                            self.state = State::Name;
                        }
                    },
                    _ => {
                        self.line.kind = LineKind::Sample;
                        let got = Self::got(buf, i);
                        self.fail(format!("expected a valid start token, got {got}"));
                    }
                },
                State::Name => {
                    let start = i;
                    while i < len && metric_char(buf[i]) {
                        i += 1;
                    }
                    self.push_name(&buf[start..i]);
                    if i < len {
                        if buf[i] == b'{' {
                            self.state = State::LabelsBegin;
                            i += 1;
                        } else {
                            self.state = State::AfterName { blank: false };
                        }
                    }
                }
                State::AfterName { blank: seen } => match b {
                    b'{' => {
                        self.state = State::LabelsBegin;
                        i += 1;
                    }
                    b' ' | b'\t' => {
                        self.state = State::AfterName { blank: true };
                        i += 1;
                    }
                    b'\n' => {
                        *pos = self.end_line(buf, i);
                        return true;
                    }
                    _ if seen => {
                        self.end_series(buf, i);
                        if let Some(next) = self.simple_tail(buf, i) {
                            *pos = next;
                            return true;
                        }
                        self.start_token();
                        self.state = State::Value;
                    }
                    _ => {
                        let got = Self::got(buf, i);
                        self.fail(format!("expected value after metric, got {got}"));
                    }
                },
                State::LabelsBegin => match b {
                    b' ' | b'\t' => i += 1,
                    b'}' => {
                        self.state = State::AfterLabels;
                        i += 1;
                    }
                    b'"' if self.settings.quoted_names => {
                        self.start_label();
                        self.state = State::QuotedName;
                        i += 1;
                    }
                    b'\n' => {
                        *pos = self.end_line(buf, i);
                        return true;
                    }
                    _ if label_start(b) => {
                        self.start_label();
                        let start = i;
                        while i < len && label_char(buf[i]) {
                            i += 1;
                        }
                        self.push_label(&buf[start..i]);
                        if i + 1 < len && buf[i] == b'=' && buf[i + 1] == b'"' {
                            // The common `name="` form, without a pass through each state.
                            self.start_value(i + 2);
                            self.state = State::LabelValue;
                            i += 2;
                        } else if i < len {
                            self.state = State::AfterLabelName { quoted: false };
                        } else {
                            self.state = State::LabelName;
                        }
                    }
                    _ => {
                        let got = Self::got(buf, i);
                        self.fail(format!("expected label name, got {got}"));
                    }
                },
                State::LabelName => {
                    let start = i;
                    while i < len && label_char(buf[i]) {
                        i += 1;
                    }
                    self.push_label(&buf[start..i]);
                    if i < len {
                        self.state = State::AfterLabelName { quoted: false };
                    }
                }
                State::QuotedName | State::MetaQuotedName => {
                    let start = i;
                    match memchr3(b'"', b'\\', b'\n', &buf[i..]) {
                        None => {
                            self.quoted_piece(&buf[start..]);
                            i = len;
                        }
                        Some(at) => {
                            let j = i + at;
                            self.quoted_piece(&buf[start..j]);
                            match buf[j] {
                                b'"' => {
                                    self.state = if self.state == State::QuotedName {
                                        State::AfterLabelName { quoted: true }
                                    } else {
                                        State::MetaAfterName
                                    };
                                    i = j + 1;
                                }
                                b'\\' => {
                                    self.state = if self.state == State::QuotedName {
                                        State::QuotedNameEscape
                                    } else {
                                        State::MetaQuotedNameEscape
                                    };
                                    i = j + 1;
                                }
                                _ => {
                                    *pos = self.end_line(buf, j);
                                    return true;
                                }
                            }
                        }
                    }
                }
                State::QuotedNameEscape | State::MetaQuotedNameEscape => {
                    if b == b'\n' {
                        *pos = self.end_line(buf, i);
                        return true;
                    }
                    self.quoted_piece(&buf[i..i + 1]);
                    self.state = if self.state == State::QuotedNameEscape {
                        State::QuotedName
                    } else {
                        State::MetaQuotedName
                    };
                    i += 1;
                }
                State::AfterLabelName { quoted } => match b {
                    b' ' | b'\t' => i += 1,
                    b'=' => {
                        self.state = State::BeforeValue;
                        i += 1;
                    }
                    b',' | b'}' if quoted => {
                        self.quoted_metric_name();
                        if self.state != State::SkipLine {
                            self.state = if b == b',' {
                                State::LabelsBegin
                            } else {
                                State::AfterLabels
                            };
                        }
                        i += 1;
                    }
                    b'\n' => {
                        *pos = self.end_line(buf, i);
                        return true;
                    }
                    _ => {
                        let got = Self::got(buf, i);
                        self.fail(format!("expected equal, got {got}"));
                    }
                },
                State::BeforeValue => match b {
                    b' ' | b'\t' => i += 1,
                    b'"' => {
                        self.start_value(i + 1);
                        self.state = State::LabelValue;
                        i += 1;
                    }
                    b'\n' => {
                        *pos = self.end_line(buf, i);
                        return true;
                    }
                    _ => {
                        let got = Self::got(buf, i);
                        self.fail(format!("expected label value, got {got}"));
                    }
                },
                State::LabelValue => loop {
                    // One pass over a run of `name="value",` labels: the common shape costs no
                    // trip through the state dispatch.
                    let start = i;
                    let Some(at) = memchr3(b'"', b'\\', b'\n', &buf[i..]) else {
                        self.value_piece(&buf[start..]);
                        i = len;
                        break;
                    };
                    let j = i + at;
                    self.value_piece(&buf[start..j]);
                    match buf[j] {
                        b'"' => {
                            self.end_label(buf, j);
                            i = j + 1;
                            if self.state == State::SkipLine {
                                break;
                            }
                            match buf.get(i) {
                                Some(b',') => i += 1,
                                Some(b'}') => {
                                    self.state = State::AfterLabels;
                                    i += 1;
                                    break;
                                }
                                _ => {
                                    self.state = State::AfterLabelValue;
                                    break;
                                }
                            }
                            if i >= len || !label_start(buf[i]) {
                                self.state = State::LabelsBegin;
                                break;
                            }
                            self.start_label();
                            let name = i;
                            while i < len && label_char(buf[i]) {
                                i += 1;
                            }
                            self.push_label(&buf[name..i]);
                            if i + 1 < len && buf[i] == b'=' && buf[i + 1] == b'"' {
                                self.start_value(i + 2);
                                i += 2;
                                continue;
                            }
                            self.state = if i < len {
                                State::AfterLabelName { quoted: false }
                            } else {
                                State::LabelName
                            };
                            break;
                        }
                        b'\\' => {
                            self.value_raw += 1;
                            self.state = State::LabelValueEscape;
                            i = j + 1;
                            break;
                        }
                        _ => {
                            *pos = self.end_line(buf, j);
                            return true;
                        }
                    }
                },
                State::LabelValueEscape => {
                    if b == b'\n' {
                        *pos = self.end_line(buf, i);
                        return true;
                    }
                    if matches!(b, b'"' | b'\\' | b'n') {
                        self.value_escapes += 1;
                    }
                    if self.settings.collect_labels && self.value_prefix.len() < VALUE_PREFIX {
                        self.value_prefix.push(b'\\');
                    }
                    self.value_piece(&buf[i..i + 1]);
                    self.state = State::LabelValue;
                    i += 1;
                }
                State::AfterLabelValue => match b {
                    b' ' | b'\t' => i += 1,
                    b',' => {
                        self.state = State::LabelsBegin;
                        i += 1;
                    }
                    b'}' => {
                        self.state = State::AfterLabels;
                        i += 1;
                    }
                    b'\n' => {
                        *pos = self.end_line(buf, i);
                        return true;
                    }
                    // The Prometheus text parser accepts labels separated by blanks only.
                    _ if label_start(b) && self.settings.format != Format::OpenMetrics => {
                        self.start_label();
                        self.state = State::LabelName;
                    }
                    _ => {
                        let got = Self::got(buf, i);
                        self.fail(format!("expected comma or closing brace, got {got}"));
                    }
                },
                State::AfterLabels => match b {
                    b' ' | b'\t' => i += 1,
                    b'\n' => {
                        *pos = self.end_line(buf, i);
                        return true;
                    }
                    _ => {
                        if self.line.name_len == 0 {
                            self.fail("metric name not set".to_string());
                            continue;
                        }
                        self.end_series(buf, i);
                        if let Some(next) = self.simple_tail(buf, i) {
                            *pos = next;
                            return true;
                        }
                        self.start_token();
                        self.state = State::Value;
                    }
                },
                State::Value | State::Timestamp => {
                    let start = i;
                    while i < len && !matches!(buf[i], b' ' | b'\t' | b'\n') {
                        i += 1;
                    }
                    self.push_token(&buf[start..i]);
                    if i < len {
                        if buf[i] == b'\n' {
                            *pos = self.end_line(buf, i);
                            return true;
                        }
                        if self.state == State::Value {
                            self.check_value();
                            if self.state != State::SkipLine {
                                self.state = State::AfterValue;
                            }
                        } else {
                            self.check_timestamp();
                            if self.state != State::SkipLine {
                                self.state = State::AfterTimestamp;
                            }
                        }
                    }
                }
                State::AfterValue | State::AfterTimestamp => match b {
                    b' ' | b'\t' => i += 1,
                    b'\n' => {
                        *pos = self.end_line(buf, i);
                        return true;
                    }
                    // An OpenMetrics exemplar: not analyzed.
                    b'#' if self.settings.format != Format::PrometheusText => {
                        self.state = State::SkipLine
                    }
                    _ if self.state == State::AfterValue => {
                        self.start_token();
                        self.state = State::Timestamp;
                    }
                    _ => {
                        let got = Self::got(buf, i);
                        self.fail(format!("expected next entry after timestamp, got {got}"));
                    }
                },
                State::Hash => match b {
                    b' ' | b'\t' => {
                        self.state = State::HashBlank;
                        i += 1;
                    }
                    b'\n' => {
                        *pos = self.end_line(buf, i);
                        return true;
                    }
                    _ => self.state = State::SkipLine,
                },
                State::HashBlank => match b {
                    b' ' | b'\t' => i += 1,
                    b'A'..=b'Z' => {
                        self.start_token();
                        self.state = State::Keyword;
                    }
                    _ => self.state = State::SkipLine,
                },
                State::Keyword => match b {
                    b'A'..=b'Z' if self.token_len < 4 => {
                        self.push_token(&buf[i..i + 1]);
                        i += 1;
                    }
                    b'\n' => {
                        *pos = self.end_line(buf, i);
                        return true;
                    }
                    b' ' | b'\t' => self.end_keyword(false),
                    _ => self.state = State::SkipLine,
                },
                State::MetaBeforeName => match b {
                    b' ' | b'\t' => i += 1,
                    b'"' if self.settings.quoted_names => {
                        self.start_label();
                        self.state = State::MetaQuotedName;
                        i += 1;
                    }
                    b'\n' => {
                        *pos = self.end_line(buf, i);
                        return true;
                    }
                    _ if metric_start(b) => self.state = State::MetaName,
                    _ => {
                        let got = Self::got(buf, i);
                        let what = if self.line.kind == LineKind::Type {
                            "TYPE"
                        } else {
                            "HELP"
                        };
                        self.fail(format!("expected metric name after {what}, got {got}"));
                    }
                },
                State::MetaName => {
                    let start = i;
                    while i < len && metric_char(buf[i]) {
                        i += 1;
                    }
                    self.push_name(&buf[start..i]);
                    if i < len {
                        self.state = State::MetaAfterName;
                    }
                }
                State::MetaAfterName => match b {
                    b' ' | b'\t' => {
                        self.state = State::MetaText;
                        i += 1;
                    }
                    b'\n' => {
                        *pos = self.end_line(buf, i);
                        return true;
                    }
                    _ => {
                        let got = Self::got(buf, i);
                        self.fail(format!("expected text after metric name, got {got}"));
                    }
                },
                State::MetaText => {
                    let found = memchr(b'\n', &buf[i..]);
                    let end = found.map_or(len, |at| i + at);
                    let text = &buf[i..end];
                    if self.line.kind == LineKind::Type {
                        let room = TYPE_CAP.saturating_sub(self.line.type_text.len());
                        self.line
                            .type_text
                            .extend_from_slice(&text[..text.len().min(room)]);
                    } else if self.line.kind == LineKind::Help {
                        self.utf8.feed(text, self.ascii);
                    }
                    if found.is_some() {
                        *pos = self.end_line(buf, end);
                        return true;
                    }
                    i = len;
                }
                State::SkipLine => match memchr(b'\n', &buf[i..]) {
                    Some(at) => {
                        *pos = self.end_line(buf, i + at);
                        return true;
                    }
                    None => i = len,
                },
            }
        }
        *pos = len;
        false
    }

    /// A sample line of the common shape, `name[{label="value",…}] value[ timestamp]`, read in
    /// one straight pass when it lies wholly in this chunk: no escapes, no blanks inside the
    /// braces, valid UTF-8. Anything else is left to the states ([`Fast::No`]: nothing was
    /// kept, the line starts over there) so every error keeps its exact message; a tail that
    /// is not plain ([`Fast::Value`]) continues in [`State::Value`] as the states would.
    #[inline]
    fn fast_line(&mut self, buf: &[u8], start: usize) -> Fast {
        let len = buf.len();
        let mut i = name_end(buf, start, NameKind::Metric);
        if i >= len {
            return Fast::No;
        }
        self.push_name(&buf[start..i]);
        let braces = buf[i] == b'{';
        if braces {
            i += 1;
            loop {
                match buf.get(i) {
                    Some(b'}') => {
                        i += 1;
                        break;
                    }
                    Some(&b) if label_start(b) => {}
                    _ => return self.fast_abandon(),
                }
                let name_start = i;
                i = name_end(buf, i, NameKind::Label);
                let name_stop = i;
                if buf.get(i..i + 2) != Some(b"=\"") {
                    return self.fast_abandon();
                }
                let value_start = i + 2;
                let Some(at) = value_end(&buf[value_start..]) else {
                    return self.fast_abandon();
                };
                let close = value_start + at;
                if buf[close] != b'"' {
                    return self.fast_abandon();
                }
                let value = &buf[value_start..close];
                if !self.ascii && std::str::from_utf8(value).is_err() {
                    return self.fast_abandon();
                }
                self.fast_label(&buf[name_start..name_stop], value);
                i = close + 1;
                match buf.get(i) {
                    Some(b',') => i += 1,
                    Some(b'}') => {
                        i += 1;
                        break;
                    }
                    _ => return self.fast_abandon(),
                }
            }
        } else if buf[i] != b' ' && buf[i] != b'\t' {
            return self.fast_abandon();
        }
        while i < len && matches!(buf[i], b' ' | b'\t') {
            i += 1;
        }
        match buf.get(i) {
            None | Some(b'\n') => return self.fast_abandon(),
            Some(b'{') if !braces => return self.fast_abandon(),
            Some(_) => {}
        }
        // As `begin_series` and `end_series` would: the series text runs up to the value.
        self.line.kind = LineKind::Sample;
        self.line.series_hash = xxh3_64(&buf[start..i]);
        if let Some(next) = self.simple_tail(buf, i) {
            return Fast::Done(next);
        }
        self.start_token();
        self.state = State::Value;
        Fast::Value(i)
    }

    /// The line is not of the fast path's shape: forget what it kept.
    #[cold]
    fn fast_abandon(&mut self) -> Fast {
        self.reset_line();
        Fast::No
    }

    /// `end_label` for a label read in place: `name` and `value` are whole, without escapes,
    /// and `value` is valid UTF-8.
    #[inline]
    fn fast_label(&mut self, name: &[u8], value: &[u8]) {
        let line = &mut self.line;
        let kept = &name[..name.len().min(NAME_CAP)];
        let name_len = name.len() as u64;
        let value_len = value.len() as u64;
        line.labels += 1;
        if beats(name_len, self.record_name_len, &line.longest_name) {
            line.longest_name = Some((kept.to_vec(), name_len));
        }
        if beats(value_len, self.record_value_len, &line.longest_value) {
            line.longest_value = Some((kept.to_vec(), value_len));
        }
        for (i, target) in self.settings.target_names.iter().enumerate() {
            // Lengths and first bytes rule out nearly every label before a whole comparison.
            if target.len() == kept.len() && target.first() == kept.first() && target == kept {
                line.target_names_present |= 1 << i.min(31);
            }
        }
        if self.settings.collect_labels {
            line.check_label(
                kept,
                name_len,
                &value[..value.len().min(VALUE_PREFIX)],
                value_len,
            );
        }
    }

    /// The common end of a sample line, `value[ timestamp]\n`, read in place when it lies
    /// wholly in this chunk; returns the position after the newline, or `None` (nothing
    /// consumed) to let the states handle anything else.
    #[inline]
    fn simple_tail(&mut self, buf: &[u8], i: usize) -> Option<usize> {
        if let Some(next) = plain_tail(buf, i) {
            return Some(next);
        }
        let token_end = |from: usize| {
            buf[from..]
                .iter()
                .position(|b| matches!(b, b' ' | b'\t' | b'\n'))
                .map(|at| from + at)
        };
        let value_end = token_end(i)?;
        if value_end - i > NUMBER_CAP {
            return None;
        }
        let mut k = value_end;
        let mut timestamp = None;
        if buf[k] == b' ' {
            k += 1;
            if buf.get(k).is_some_and(|b| b.is_ascii_digit() || *b == b'-') {
                let end = token_end(k)?;
                if end - k > NUMBER_CAP {
                    return None;
                }
                timestamp = Some(k..end);
                k = end;
            }
        }
        if buf.get(k) != Some(&b'\n') {
            return None;
        }
        if let Err(message) = check_float(&buf[i..value_end], false) {
            self.fail(message);
        } else if let Some(range) = timestamp {
            let float = self.settings.format == Format::OpenMetrics
                || (self.settings.format == Format::Auto && buf[range.clone()].contains(&b'.'));
            if let Err(message) = check_timestamp(&buf[range], false, float) {
                self.fail(message);
            }
        }
        Some(k + 1)
    }

    fn start_token(&mut self) {
        self.token.clear();
        self.token_len = 0;
    }

    /// A piece of a quoted name: a label name (or metric name in braces), or the metric name of
    /// a `# HELP`/`# TYPE` line.
    fn quoted_piece(&mut self, piece: &[u8]) {
        if matches!(
            self.state,
            State::MetaQuotedName | State::MetaQuotedNameEscape
        ) {
            self.push_name(piece);
        } else {
            self.push_label(piece);
        }
    }
}

/// The most common tail, `digits[.digits][ digits]\n`, wholly in `buf` from `i`: a value of at
/// most 30 bytes and a timestamp of at most 18 digits, which every format accepts (a decimal
/// float; an int64 or a float timestamp), so nothing needs checking. Returns the position after
/// the newline, or `None` for anything else.
#[inline]
fn plain_tail(buf: &[u8], i: usize) -> Option<usize> {
    // `buf.get(k)?` below: a tail that runs to the chunk's end is left to the states.
    let mut k = digits_end(buf, i);
    if k == i {
        return None;
    }
    if *buf.get(k)? == b'.' {
        k = digits_end(buf, k + 1);
    }
    if k - i > 30 {
        return None;
    }
    match buf.get(k)? {
        b'\n' => return Some(k + 1),
        b' ' => k += 1,
        _ => return None,
    }
    let timestamp = k;
    k = digits_end(buf, k);
    (k - timestamp <= 18 && *buf.get(k)? == b'\n').then_some(k + 1)
}

/// Whether a length beats both the analyzer's record and the line's own longest so far.
#[inline]
fn beats(len: u64, record: u64, line_longest: &Option<(Vec<u8>, u64)>) -> bool {
    len > record && line_longest.as_ref().is_none_or(|(_, l)| len > *l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_tails_are_read_in_place_and_others_left_alone() {
        for (tail, end) in [
            ("1\n", Some(2)),
            ("1 \n", Some(3)),
            ("12.5 1700000000000\n", Some(19)),
            ("5. 123456789012345678\n", Some(22)),
            ("5 1234567890123456789\n", None),
            ("123456789012345678901234567890\n", Some(31)),
            ("1234567890123456789012345678901\n", None),
            (".5\n", None),
            ("1e3\n", None),
            ("1 -5\n", None),
            ("1  2\n", None),
            ("1\t2\n", None),
            ("1 2 \n", None),
            ("1 2", None),
            ("1", None),
            ("+1\n", None),
        ] {
            assert_eq!(plain_tail(tail.as_bytes(), 0), end, "{tail:?}");
        }
    }
}
