//! `prom-preflight payload FILE|-`: streams a metrics payload from a file or stdin through the
//! exposition analyzer and prints the summary. The only I/O here is reading the input and
//! writing the output; the analysis is `exposition`'s.

use std::fs::File;
use std::io::{self, Read};

use crate::cli::{PayloadArgs, PayloadFormat};
use crate::commands::{write_stdout, Error};
use crate::exit;
use crate::exposition::{self, Analyzer, Flow, GzipAnalyzer, Limits, Options};

/// Small enough that the buffer stays in the CPU's L2 cache between the kernel's copy into it and
/// the analyzer's pass over it: with 256 KiB the `read` copy alone took a quarter of the run.
const CHUNK: usize = 64 * 1024;

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
    let mut input: Box<dyn Read> = if stdin {
        Box::new(io::stdin().lock())
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
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let n = match input.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(e)),
        };
        if sink.feed(&buffer[..n]) == Flow::Stop {
            break;
        }
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
