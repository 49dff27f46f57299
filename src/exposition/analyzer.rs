//! The analyzer: feeds chunks to the scanner, and turns each line's facts into counts, family
//! statistics and limit verdicts in Prometheus's order. Pure; memory is bounded by the options,
//! never by the payload.

use super::content_type::{self, Format};
use super::families::{FamilyTable, MetricType, SeriesSet};
use super::limits::{self, CheckedLabel, Failure, Limits};
use super::scan::{LineKind, ScanSettings, Scanner};
use super::summary::{Analysis, LabelAt, LabelCount, LongestLabel, ParseError, Summary, Verdict};
use super::Options;

/// Whether the caller should keep reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Nothing more can change the verdict (a limit was exceeded): stop reading.
    Stop,
}

/// A streaming analyzer of one Prometheus or OpenMetrics text payload.
pub struct Analyzer {
    options: Options,
    format: Format,
    scanner: Scanner,
    families: FamilyTable,
    series: SeriesSet,
    /// The family of the last `# TYPE` line: its name, type and id.
    typed: Option<(Vec<u8>, MetricType, u32)>,
    bytes: u64,
    lines: u64,
    samples: u64,
    /// Samples counted as series without being remembered (past `max_tracked_series`).
    untracked_series: u64,
    parse_errors: u64,
    first_parse_errors: Vec<ParseError>,
    invalid_utf8: u64,
    first_invalid_utf8: Option<LabelAt>,
    most_labels: Option<LabelCount>,
    longest_name: Option<LongestLabel>,
    longest_value: Option<LongestLabel>,
    eof_line: Option<u64>,
    body_failure: Option<Failure>,
    content_failure: Option<Failure>,
    breaking: Option<Failure>,
    sample_failure: Option<Failure>,
    analyzing: bool,
    stopped: Option<(String, u64)>,
    checked: Vec<CheckedLabel>,
    /// The verdict can no longer change and reading should stop.
    settled: bool,
}

impl Analyzer {
    pub fn new(options: Options) -> Analyzer {
        let (format, content_failure) = match content_type::select(
            options.content_type.as_deref(),
            options.fallback_scrape_protocol.as_deref(),
            options.version,
        ) {
            Ok(format) => (format, None),
            Err(message) => (Format::Auto, Some(Failure::ContentType { message })),
        };
        let settings = ScanSettings {
            format,
            quoted_names: options.version.major >= 3,
            collect_labels: options.limits.checks_lengths(),
            target_names: options
                .target_labels
                .iter()
                .map(|(name, _)| name.as_bytes().to_vec())
                .collect(),
        };
        Analyzer {
            format,
            scanner: Scanner::new(settings),
            families: FamilyTable::new(options.max_families),
            series: SeriesSet::new(options.max_tracked_series),
            typed: None,
            bytes: 0,
            lines: 0,
            samples: 0,
            untracked_series: 0,
            parse_errors: 0,
            first_parse_errors: Vec::new(),
            invalid_utf8: 0,
            first_invalid_utf8: None,
            most_labels: None,
            longest_name: None,
            longest_value: None,
            eof_line: None,
            body_failure: None,
            content_failure,
            breaking: None,
            sample_failure: None,
            analyzing: format != Format::Protobuf,
            stopped: (format == Format::Protobuf)
                .then(|| ("protobuf payloads are not analyzed".to_string(), 0)),
            checked: Vec::new(),
            settled: false,
            options,
        }
    }

    /// Uncompressed bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Analyzes the next chunk of the payload.
    /// Once it has returned [`Flow::Stop`], later chunks are ignored (not even counted).
    pub fn feed(&mut self, chunk: &[u8]) -> Flow {
        if self.body_failure.is_some() || self.settled {
            return Flow::Stop;
        }
        let mut chunk = chunk;
        let limit = self.options.limits.body_size_limit;
        let mut exceeded = false;
        if limit > 0 && chunk.len() as u64 >= limit - self.bytes {
            // Prometheus reads `limit` bytes and fails if it got that many.
            chunk = &chunk[..(limit - self.bytes) as usize];
            exceeded = true;
        }
        self.bytes += chunk.len() as u64;
        if self.analyzing {
            self.scan(chunk);
        }
        if exceeded {
            self.body_failure = Some(Failure::BodySizeLimit { limit });
            self.stop("body size limit reached".to_string());
            return Flow::Stop;
        }
        if !self.analyzing && limit == 0 {
            self.settled = true;
            return Flow::Stop;
        }
        Flow::Continue
    }

    /// The body could not be read to its end (a gzip error): the scrape fails with `failure`,
    /// unless the body size limit was reached first.
    pub(crate) fn read_failed(&mut self, failure: Failure) {
        if self.body_failure.is_none() {
            self.body_failure = Some(failure);
            self.stop("the body could not be read further".to_string());
        }
    }

    /// Reading stopped for a reason of the caller's (an uncompressed-size cap).
    pub(crate) fn interrupt(&mut self, reason: String) {
        self.stop(reason);
    }

    fn scan(&mut self, chunk: &[u8]) {
        let mut pos = 0;
        while pos < chunk.len() {
            if self.scanner.scan(chunk, &mut pos) {
                self.on_line();
                self.scanner.reset_line();
                if !self.analyzing {
                    return;
                }
            }
        }
        self.scanner.end_chunk(chunk);
    }

    fn stop(&mut self, reason: String) {
        if self.analyzing {
            self.analyzing = false;
            self.stopped = Some((reason, self.lines));
        }
    }

    fn record(&mut self, failure: Failure) {
        let breaking = failure.breaks_parsing();
        let slot = if breaking {
            &mut self.breaking
        } else {
            &mut self.sample_failure
        };
        if slot.is_none() {
            *slot = Some(failure);
        }
        if !self.options.keep_going {
            let reason = if breaking {
                "the scrape fails at this line"
            } else {
                "sample limit exceeded"
            };
            self.stop(reason.to_string());
        }
    }

    fn on_line(&mut self) {
        self.lines += 1;
        let line_no = self.lines;
        let kind = self.scanner.line.kind;
        if let Some(eof) = self.eof_line {
            if self.format == Format::OpenMetrics && kind != LineKind::Blank {
                let _ = eof;
                self.parse_error(line_no, "unexpected data after # EOF".to_string());
                return;
            }
        }
        if let Some(message) = self.scanner.line.error.take() {
            if let Some(label) = self.scanner.line.invalid_utf8_label.take() {
                self.invalid_utf8 += 1;
                if self.first_invalid_utf8.is_none() {
                    self.first_invalid_utf8 = Some(LabelAt {
                        metric: String::from_utf8_lossy(&self.scanner.line.name).into_owned(),
                        label: String::from_utf8_lossy(&label).into_owned(),
                        line: line_no,
                    });
                }
            }
            self.parse_error(line_no, message);
            return;
        }
        match kind {
            LineKind::Blank | LineKind::Comment | LineKind::Unit => {}
            LineKind::Eof => self.eof_line = Some(line_no),
            LineKind::Help | LineKind::Type => self.on_metadata(kind),
            LineKind::Sample => self.on_sample(line_no),
        }
    }

    fn parse_error(&mut self, line: u64, message: String) {
        self.parse_errors += 1;
        if self.first_parse_errors.len() < self.options.max_parse_errors {
            self.first_parse_errors.push(ParseError {
                line,
                message: message.clone(),
            });
        }
        self.record(Failure::Parse { line, message });
    }

    fn on_metadata(&mut self, kind: LineKind) {
        let name = &self.scanner.line.name;
        let id = self.families.get(name);
        let family = &mut self.families.families[id as usize];
        if kind == LineKind::Help {
            family.help = true;
        } else {
            let kind = MetricType::parse(&self.scanner.line.type_text);
            family.kind = kind;
            self.typed = kind.map(|kind| (name.clone(), kind, id));
        }
    }

    fn on_sample(&mut self, line_no: u64) {
        self.samples += 1;
        let line = &self.scanner.line;
        let name = line.name.as_slice();
        let id = match &self.typed {
            Some((family, kind, id)) if kind.owns(family, name) => *id,
            _ => self.families.get(name),
        };
        let family = &mut self.families.families[id as usize];
        family.samples += 1;
        if !self.series.record(line.series_hash, id) {
            // Past the cap: counted as a new series, so the totals are an upper bound.
            family.series += 1;
            self.untracked_series += 1;
        }

        let targets = self.options.target_labels.len() as u64;
        let added = if self.options.honor_labels {
            targets - u64::from(line.target_names_present.count_ones()).min(targets)
        } else {
            targets
        };
        let count = line.labels + 1 + added;
        let metric = || String::from_utf8_lossy(name).into_owned();
        if self.most_labels.as_ref().is_none_or(|m| count > m.labels) {
            self.most_labels = Some(LabelCount {
                metric: metric(),
                labels: count,
                line: line_no,
            });
        }
        if let Some((label, length)) = &line.longest_name {
            if self
                .longest_name
                .as_ref()
                .is_none_or(|l| *length > l.length)
            {
                self.longest_name = Some(LongestLabel {
                    metric: metric(),
                    label: String::from_utf8_lossy(label).into_owned(),
                    length: *length,
                    line: line_no,
                });
                self.scanner.record_name_len = *length;
            }
        }
        if let Some((label, length)) = &line.longest_value {
            if self
                .longest_value
                .as_ref()
                .is_none_or(|l| *length > l.length)
            {
                self.longest_value = Some(LongestLabel {
                    metric: metric(),
                    label: String::from_utf8_lossy(label).into_owned(),
                    length: *length,
                    line: line_no,
                });
                self.scanner.record_value_len = *length;
            }
        }

        let limits = self.options.limits;
        if limits.label_limit > 0 && count > limits.label_limit {
            let message = limits::label_limit_message(name, count, limits.label_limit);
            self.record(Failure::LabelLimit {
                line: line_no,
                message,
            });
            return;
        }
        if limits.checks_lengths() {
            if let Some(failure) = self.length_failure(&limits, line_no) {
                self.record(failure);
                return;
            }
        }
        if limits.sample_limit > 0 && self.samples > limits.sample_limit {
            self.record(Failure::SampleLimit {
                line: line_no,
                limit: limits.sample_limit,
            });
        }
    }

    /// The label set Prometheus checks: the exposed labels (renamed `exported_*` where a target
    /// label takes their name, unless `honor_labels`), `__name__` and the target's labels.
    fn length_failure(&mut self, limits: &Limits, line_no: u64) -> Option<Failure> {
        let line = &self.scanner.line;
        let honor = self.options.honor_labels;
        self.checked.clear();
        for label in &line.checked[..line.checked_len] {
            let mut label = label.clone();
            let conflicts = self
                .options
                .target_labels
                .iter()
                .any(|(name, _)| name.as_bytes() == label.name.as_slice());
            if conflicts && !honor {
                label.name.splice(0..0, b"exported_".iter().copied());
                label.name_len += 9;
            }
            self.checked.push(label);
        }
        self.checked.push(CheckedLabel {
            name: b"__name__".to_vec(),
            name_len: 8,
            value_prefix: line
                .name
                .iter()
                .copied()
                .take(limits::VALUE_PREFIX)
                .collect(),
            value_len: line.name_len,
        });
        for (i, (name, value)) in self.options.target_labels.iter().enumerate() {
            let present = line.target_names_present & (1 << i.min(31)) != 0;
            if honor && present {
                continue;
            }
            self.checked.push(CheckedLabel {
                name: name.as_bytes().to_vec(),
                name_len: name.len() as u64,
                value_prefix: value.as_bytes().to_vec(),
                value_len: value.len() as u64,
            });
        }
        limits::length_limit_failure(&line.name, &mut self.checked, limits, line_no)
    }

    /// Ends the payload and returns what was found.
    pub fn finish(mut self) -> Summary {
        if self.analyzing && self.body_failure.is_none() && !self.scanner.at_line_start() {
            // Like Prometheus's lexer, a last line without a newline is read as if it had one.
            self.scan(b"\n");
        }
        let complete = self.analyzing || self.stopped.is_none();
        if self.analyzing
            && self.format == Format::OpenMetrics
            && self.eof_line.is_none()
            && self.breaking.is_none()
        {
            self.parse_error(self.lines, "data does not end with # EOF".to_string());
        }
        if self.bytes == 0 && matches!(self.content_failure, Some(Failure::ContentType { .. })) {
            // An empty scrape never reaches the parser.
            self.content_failure = None;
        }
        let failure = self
            .body_failure
            .take()
            .or(self.content_failure.take())
            .or(self.breaking.take())
            .or(self.sample_failure.take());
        let health = match (&failure, self.format) {
            (Some(_), _) => "down",
            (None, Format::Protobuf) => "unknown",
            (None, _) => "up",
        };
        let overflowed = self.series.overflowed;
        let families_len = self.families.len() as u64;
        let families_exact = !self.families.pooled();
        let mut families = self.families.families;
        let counted = self.series.count(families.len());
        for (family, distinct) in families.iter_mut().zip(&counted.per_family) {
            family.series += distinct;
        }
        let series = self.untracked_series + counted.per_family.iter().sum::<u64>();
        let mut top = families;
        top.sort_by(|a, b| b.series.cmp(&a.series).then_with(|| a.name.cmp(&b.name)));
        top.truncate(self.options.top_families);
        let (stopped, stopped_at_line) = match self.stopped {
            Some((reason, line)) => (Some(reason), Some(line)),
            None => (None, None),
        };
        Summary {
            format: self.format,
            content_type: self.options.content_type.clone(),
            bytes: self.bytes,
            compressed_bytes: None,
            lines: self.lines,
            samples: self.samples,
            series,
            series_exact: !overflowed,
            duplicate_samples: counted.duplicates,
            families: families_len,
            families_exact,
            top_families: top,
            most_labels: self.most_labels,
            longest_label_name: self.longest_name,
            longest_label_value: self.longest_value,
            invalid_utf8_label_values: self.invalid_utf8,
            first_invalid_utf8: self.first_invalid_utf8,
            parse_errors: self.parse_errors,
            first_parse_errors: self.first_parse_errors,
            limits: self.options.limits,
            verdict: Verdict {
                health,
                error: failure.as_ref().map(Failure::last_error),
                failure,
            },
            analysis: Analysis {
                complete,
                stopped,
                stopped_at_line,
            },
        }
    }
}
