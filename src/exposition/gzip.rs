//! A gzip-compressed payload (`Content-Encoding: gzip`), decompressed as it streams in and
//! analyzed without holding it. The body size limit applies to the uncompressed bytes, as in
//! Prometheus, and decompression stops the moment it is reached, so a gzip bomb costs no more
//! than the limit; without a limit, `max_uncompressed` caps the work. Pure (no I/O of its own).

use std::io::{self, Write};

use flate2::write::MultiGzDecoder;

use super::analyzer::{Analyzer, Flow};
use super::limits::Failure;
use super::summary::Summary;

struct Sink {
    /// Taken out before the decoder is finished, so a failing finish cannot lose it.
    analyzer: Option<Analyzer>,
    cap: u64,
    capped: bool,
    flow: Flow,
}

/// The error the sink returns to make the decoder stop; never shown.
fn stop_signal() -> io::Error {
    io::Error::other("analysis stopped")
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.flow == Flow::Stop {
            return Err(stop_signal());
        }
        let Some(analyzer) = self.analyzer.as_mut() else {
            return Ok(buf.len());
        };
        let mut piece = buf;
        if self.cap > 0 {
            let room = self.cap.saturating_sub(analyzer.bytes());
            if piece.len() as u64 >= room {
                piece = &piece[..room as usize];
                self.capped = true;
            }
        }
        self.flow = analyzer.feed(piece);
        if self.capped {
            self.flow = Flow::Stop;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Streams a gzip body into an [`Analyzer`].
pub struct GzipAnalyzer {
    decoder: MultiGzDecoder<Sink>,
    compressed: u64,
    failure: Option<String>,
}

impl GzipAnalyzer {
    /// `max_uncompressed` (0: none) stops decompression after that many bytes even without a
    /// body size limit; the summary then says the analysis is incomplete.
    pub fn new(analyzer: Analyzer, max_uncompressed: u64) -> GzipAnalyzer {
        GzipAnalyzer {
            decoder: MultiGzDecoder::new(Sink {
                analyzer: Some(analyzer),
                cap: max_uncompressed,
                capped: false,
                flow: Flow::Continue,
            }),
            compressed: 0,
            failure: None,
        }
    }

    fn stopped(&self) -> bool {
        self.failure.is_some() || self.decoder.get_ref().flow == Flow::Stop
    }

    /// Decompresses and analyzes the next chunk of the compressed body.
    pub fn feed(&mut self, chunk: &[u8]) -> Flow {
        if self.stopped() {
            return Flow::Stop;
        }
        self.compressed += chunk.len() as u64;
        if let Err(error) = self.decoder.write_all(chunk) {
            if self.decoder.get_ref().flow != Flow::Stop {
                self.failure = Some(go_gzip_error(&error));
            }
            return Flow::Stop;
        }
        self.decoder.get_ref().flow
    }

    /// Ends the body and returns what was found.
    pub fn finish(mut self) -> Summary {
        if !self.stopped() {
            if self.compressed == 0 {
                // Go's gzip.NewReader on an empty body.
                self.failure = Some("EOF".to_string());
            } else if self.decoder.try_finish().is_err() && !self.stopped() {
                // The stream ended before its trailer: Go reports a truncated body this way.
                self.failure = Some("unexpected EOF".to_string());
            }
        }
        let sink = self.decoder.get_mut();
        let capped = sink.capped;
        let Some(mut analyzer) = sink.analyzer.take() else {
            unreachable_analyzer()
        };
        if capped {
            analyzer.interrupt("the uncompressed size cap was reached (a gzip bomb?)".to_string());
        }
        if let Some(message) = self.failure.take() {
            analyzer.read_failed(Failure::Gzip { message });
        }
        let mut summary = analyzer.finish();
        summary.compressed_bytes = Some(self.compressed);
        summary
    }
}

/// The analyzer is only taken in `finish`, which consumes the wrapper.
fn unreachable_analyzer() -> ! {
    unreachable!("the gzip analyzer is finished once")
}

/// Go's wording for the gzip failures a scrape reports.
fn go_gzip_error(error: &io::Error) -> String {
    let text = error.to_string();
    if text.contains("header") {
        "gzip: invalid header".to_string()
    } else if text.contains("checksum") {
        "gzip: invalid checksum".to_string()
    } else {
        format!("flate: corrupt input ({text})")
    }
}
