//! `prom-preflight payload FILE|-`: streams a metrics payload from a file or stdin through the
//! exposition analyzer and prints the summary. The only I/O here is reading the input and
//! writing the output; the analysis is `exposition`'s.

use std::fs::File;
use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread;

use crate::cli::{PayloadArgs, PayloadFormat};
use crate::commands::{write_stdout, Error};
use crate::exit;
use crate::exposition::{self, Analyzer, Flow, GzipAnalyzer, Limits, Options};

/// Small enough that a buffer stays in the CPU's caches between the kernel's copy into it and the
/// analyzer's pass over it: with 256 KiB the `read` copy alone took a quarter of the run.
const CHUNK: usize = 64 * 1024;

/// Buffers in flight between the reading thread and the analyzer: one being filled, one being
/// analyzed, and one waiting, so neither side waits on the other while both keep up.
const BUFFERS: usize = 3;

fn options(args: &PayloadArgs) -> Options {
    Options {
        limits: Limits {
            body_size_limit: args.body_size_limit.unwrap_or(0),
            sample_limit: args.sample_limit.unwrap_or(0),
            label_limit: args.label_limit.unwrap_or(0),
            label_name_length_limit: args.label_name_length_limit.unwrap_or(0),
            label_value_length_limit: args.label_value_length_limit.unwrap_or(0),
        },
        target_labels: vec![
            ("job".to_string(), args.job.clone()),
            ("instance".to_string(), args.instance.clone()),
        ],
        honor_labels: args.honor_labels,
        content_type: args.content_type.clone(),
        fallback_scrape_protocol: args.fallback_scrape_protocol.clone(),
        version: args.prometheus_version,
        keep_going: args.keep_going,
        top_families: args.top,
        ..Options::default()
    }
}

enum Sink {
    Plain(Box<Analyzer>),
    Gzip(Box<GzipAnalyzer>),
}

impl Sink {
    fn feed(&mut self, chunk: &[u8]) -> Flow {
        match self {
            Sink::Plain(analyzer) => analyzer.feed(chunk),
            Sink::Gzip(analyzer) => analyzer.feed(chunk),
        }
    }

    fn finish(self) -> exposition::Summary {
        match self {
            Sink::Plain(analyzer) => analyzer.finish(),
            Sink::Gzip(analyzer) => analyzer.finish(),
        }
    }
}

/// Runs the command; exits 1 when Prometheus would fail the scrape.
pub(crate) fn run(args: PayloadArgs) -> Result<u8, Error> {
    let stdin = args.file.as_os_str() == "-";
    let source = if stdin {
        "stdin".to_string()
    } else {
        args.file.display().to_string()
    };
    let read_error = |source_error: io::Error| Error::Read {
        path: source.clone(),
        source: source_error,
    };
    let input: Box<dyn Read + Send> = if stdin {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(&args.file).map_err(read_error)?)
    };
    let gzip = args.gzip || (!stdin && args.file.extension().is_some_and(|e| e == "gz"));
    let analyzer = Analyzer::new(options(&args));
    let mut sink = if gzip {
        Sink::Gzip(Box::new(GzipAnalyzer::new(analyzer, 0)))
    } else {
        Sink::Plain(Box::new(analyzer))
    };
    let read_ahead = ReadAhead::start(input).map_err(read_error)?;
    for chunk in &read_ahead.filled {
        let chunk = chunk.map_err(read_error)?;
        if sink.feed(&chunk) == Flow::Stop {
            break;
        }
        // The reader has gone only when the input is used up or failed, which the loop sees next.
        let _ = read_ahead.spent.send(chunk);
    }
    let summary = sink.finish();
    let text = match args.format {
        PayloadFormat::Json => {
            let mut text = serde_json::to_string_pretty(&summary).unwrap_or_default();
            text.push('\n');
            text
        }
        PayloadFormat::Human => exposition::render::human(&summary, &source),
    };
    write_stdout(&text)?;
    Ok(if summary.verdict.health == "down" {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

/// Reads `input` on a thread of its own: the kernel's copy into one buffer overlaps the analysis
/// of the one before (on one thread that copy was a quarter of the run). Full buffers arrive on
/// `filled`, in order, ending at the end of input or after an error; spent ones go back on
/// `spent`, so at most [`BUFFERS`] exist. The thread ends at the end of input, or at its
/// next buffer once the analyzer has dropped its side; the process never waits for it, so a run
/// that stops early is not held up by a stdin that stays open.
struct ReadAhead {
    /// Full buffers, in order.
    filled: Receiver<io::Result<Vec<u8>>>,
    /// Spent buffers, to be filled again.
    spent: SyncSender<Vec<u8>>,
}

impl ReadAhead {
    fn start(input: Box<dyn Read + Send>) -> io::Result<ReadAhead> {
        let (fill, filled) = sync_channel(BUFFERS);
        let (spent, returned) = sync_channel(BUFFERS);
        thread::Builder::new()
            .name("payload-read".to_string())
            .spawn(move || read_into(input, fill, returned))?;
        Ok(ReadAhead { filled, spent })
    }
}

/// The reading thread's loop.
fn read_into(
    mut input: Box<dyn Read + Send>,
    fill: SyncSender<io::Result<Vec<u8>>>,
    returned: Receiver<Vec<u8>>,
) {
    let mut spare = (0..BUFFERS).map(|_| vec![0u8; CHUNK]).collect::<Vec<_>>();
    loop {
        let mut buffer = match spare.pop() {
            Some(buffer) => buffer,
            None => match returned.recv() {
                Ok(buffer) => buffer,
                Err(_) => return,
            },
        };
        buffer.resize(CHUNK, 0);
        let read = loop {
            match input.read(&mut buffer) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        let sent = match read {
            Ok(0) => return,
            Ok(n) => {
                buffer.truncate(n);
                fill.send(Ok(buffer))
            }
            Err(e) => {
                let _ = fill.send(Err(e));
                return;
            }
        };
        if sent.is_err() {
            return;
        }
    }
}
