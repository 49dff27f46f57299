//! Streaming a response body to a consumer: counted in compressed and uncompressed bytes,
//! gunzipped on the fly when the server says `Content-Encoding: gzip`, and stopped as soon as a
//! byte limit is reached, so neither a huge payload nor a gzip bomb is ever held in memory.

use std::io::Write;

use serde::Serialize;

/// What a consumer wants after a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Stop reading; the consumer has seen enough (for example a limit of its own was exceeded).
    Stop,
}

/// Receives the uncompressed body in chunks, in order. The exposition analyzer implements this;
/// [`CountOnly`] just lets the bytes be counted.
pub trait BodyConsumer: Send {
    /// Called once before the first chunk of a 2xx body, with the response's `Content-Type`
    /// (`None` when the header is absent).
    fn start(&mut self, _content_type: Option<&str>) {}
    fn feed(&mut self, chunk: &[u8]) -> Flow;
    /// Called once when the body ended normally (not on limits, failures or [`Flow::Stop`]).
    fn finish(&mut self) {}
}

/// A consumer that keeps nothing; the transport still counts bytes.
#[derive(Debug, Default)]
pub struct CountOnly;

impl BodyConsumer for CountOnly {
    fn feed(&mut self, _chunk: &[u8]) -> Flow {
        Flow::Continue
    }
}

/// How a body ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum BodyEnd {
    /// Read to the end.
    Complete,
    /// The uncompressed size reached the request's limit (Prometheus: a body of exactly
    /// `body_size_limit` bytes already fails).
    LimitReached { limit: u64 },
    /// The transport's own safety cap was reached (no limit configured).
    CapReached { cap: u64 },
    /// The consumer asked to stop.
    ConsumerStopped,
    /// Only the first bytes of an error response were read, on purpose.
    PrefixOnly,
    /// Reading or decoding failed part way; `message` is in Go's wording.
    Failed { message: String, timeout: bool },
}

/// Byte counts of one body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BodyStats {
    /// Bytes on the wire (after chunked decoding, before gunzip).
    pub compressed_bytes: u64,
    /// Bytes after gunzip (equal to `compressed_bytes` without gzip).
    pub uncompressed_bytes: u64,
    pub gzip: bool,
    pub end: BodyEnd,
}

/// Where decoded bytes go: the prefix buffer, the counters, the limit, then the consumer.
pub(crate) struct Sink<'a> {
    pub prefix: Vec<u8>,
    prefix_cap: usize,
    pub uncompressed: u64,
    limit: Option<u64>,
    cap: u64,
    pub end: Option<BodyEnd>,
    consumer: Option<&'a mut dyn BodyConsumer>,
}

impl<'a> Sink<'a> {
    pub fn new(
        prefix_cap: usize,
        limit: Option<u64>,
        cap: u64,
        consumer: Option<&'a mut dyn BodyConsumer>,
    ) -> Sink<'a> {
        Sink {
            prefix: Vec::new(),
            prefix_cap,
            uncompressed: 0,
            limit: limit.filter(|l| *l > 0),
            cap,
            end: None,
            consumer,
        }
    }

    fn stop_error() -> std::io::Error {
        std::io::Error::other("body stopped")
    }
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.end.is_some() {
            return Err(Self::stop_error());
        }
        let (bound, at_bound) = match self.limit {
            Some(l) if l <= self.cap => (l, BodyEnd::LimitReached { limit: l }),
            _ => (self.cap, BodyEnd::CapReached { cap: self.cap }),
        };
        let room = bound.saturating_sub(self.uncompressed);
        let take = (buf.len() as u64).min(room) as usize;
        let chunk = &buf[..take];
        if self.prefix.len() < self.prefix_cap {
            let n = (self.prefix_cap - self.prefix.len()).min(chunk.len());
            self.prefix.extend_from_slice(&chunk[..n]);
        }
        self.uncompressed += take as u64;
        let stopped = match &mut self.consumer {
            Some(c) => !chunk.is_empty() && c.feed(chunk) == Flow::Stop,
            None => {
                if self.prefix.len() >= self.prefix_cap {
                    self.end = Some(BodyEnd::PrefixOnly);
                    return Err(Self::stop_error());
                }
                false
            }
        };
        // A limit reached by this chunk wins over the consumer's stop: it is how the scrape ends.
        if self.uncompressed >= bound {
            self.end = Some(at_bound);
            return Err(Self::stop_error());
        }
        if stopped {
            self.end = Some(BodyEnd::ConsumerStopped);
            return Err(Self::stop_error());
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Plain or gzip decoding in front of a [`Sink`].
pub(crate) enum Decoder<'a> {
    Plain(Sink<'a>),
    Gzip(Box<flate2::write::MultiGzDecoder<Sink<'a>>>),
}

impl<'a> Decoder<'a> {
    pub fn new(gzip: bool, sink: Sink<'a>) -> Decoder<'a> {
        if gzip {
            Decoder::Gzip(Box::new(flate2::write::MultiGzDecoder::new(sink)))
        } else {
            Decoder::Plain(sink)
        }
    }

    fn sink(&self) -> &Sink<'a> {
        match self {
            Decoder::Plain(s) => s,
            Decoder::Gzip(d) => d.get_ref(),
        }
    }

    /// Feeds wire bytes; `Err` carries how the body ended early.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), BodyEnd> {
        let result = match self {
            Decoder::Plain(s) => s.write_all(bytes),
            Decoder::Gzip(d) => d.write_all(bytes),
        };
        result.map_err(|e| self.end_after(e))
    }

    /// The body's end on the wire; flushes the decoder.
    pub fn finish(&mut self) -> Result<(), BodyEnd> {
        let result = match self {
            Decoder::Plain(_) => Ok(()),
            Decoder::Gzip(d) => d.try_finish(),
        };
        result.map_err(|e| self.end_after(e))
    }

    fn end_after(&self, e: std::io::Error) -> BodyEnd {
        self.sink().end.clone().unwrap_or_else(|| BodyEnd::Failed {
            message: gzip_message(&e),
            timeout: false,
        })
    }

    /// The first bytes of the uncompressed body.
    pub fn prefix(&self) -> &[u8] {
        &self.sink().prefix
    }

    pub fn uncompressed(&self) -> u64 {
        self.sink().uncompressed
    }
}

/// Go's wording for a broken gzip stream.
fn gzip_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => {
            let text = e.to_string();
            if text.contains("header") {
                "gzip: invalid header".into()
            } else {
                "flate: corrupt input".into()
            }
        }
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::WriteZero => {
            "unexpected EOF".into()
        }
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Collect(Vec<u8>);
    impl BodyConsumer for Collect {
        fn feed(&mut self, chunk: &[u8]) -> Flow {
            self.0.extend_from_slice(chunk);
            Flow::Continue
        }
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn exact_limit_fails_like_prometheus() {
        let mut c = Collect(Vec::new());
        let mut d = Decoder::new(false, Sink::new(4, Some(10), u64::MAX, Some(&mut c)));
        assert_eq!(d.push(b"12345"), Ok(()));
        assert_eq!(d.push(b"67890"), Err(BodyEnd::LimitReached { limit: 10 }));
        assert_eq!(d.uncompressed(), 10);
        assert_eq!(d.prefix(), b"1234");
    }

    /// Stops once it has seen `n` bytes, like an analyzer whose own limit is reached.
    struct StopAfter(usize, usize);
    impl BodyConsumer for StopAfter {
        fn feed(&mut self, chunk: &[u8]) -> Flow {
            self.1 += chunk.len();
            if self.1 >= self.0 {
                Flow::Stop
            } else {
                Flow::Continue
            }
        }
    }

    #[test]
    fn the_limit_wins_over_a_consumer_stopping_on_the_same_chunk() {
        let mut c = StopAfter(10, 0);
        let mut d = Decoder::new(false, Sink::new(0, Some(10), u64::MAX, Some(&mut c)));
        assert_eq!(
            d.push(b"1234567890abc"),
            Err(BodyEnd::LimitReached { limit: 10 })
        );
        let mut c = StopAfter(5, 0);
        let mut d = Decoder::new(false, Sink::new(0, Some(10), u64::MAX, Some(&mut c)));
        assert_eq!(d.push(b"123456"), Err(BodyEnd::ConsumerStopped));
    }

    #[test]
    fn under_limit_completes() {
        let mut c = Collect(Vec::new());
        let mut d = Decoder::new(false, Sink::new(4, Some(11), u64::MAX, Some(&mut c)));
        d.push(b"1234567890").unwrap();
        d.finish().unwrap();
        drop(d);
        assert_eq!(c.0, b"1234567890");
    }

    #[test]
    fn gzip_bomb_stops_at_limit() {
        let zeros = vec![0u8; 8 << 20];
        let bomb = gz(&zeros);
        assert!(bomb.len() < 100_000);
        let mut c = CountOnly;
        let mut d = Decoder::new(true, Sink::new(16, Some(1 << 20), u64::MAX, Some(&mut c)));
        let mut end = None;
        for chunk in bomb.chunks(1024) {
            if let Err(e) = d.push(chunk) {
                end = Some(e);
                break;
            }
        }
        assert_eq!(end, Some(BodyEnd::LimitReached { limit: 1 << 20 }));
        assert_eq!(d.uncompressed(), 1 << 20);
    }

    #[test]
    fn gzip_roundtrip_and_corrupt_input() {
        let mut c = Collect(Vec::new());
        let mut d = Decoder::new(true, Sink::new(0, None, u64::MAX, Some(&mut c)));
        d.push(&gz(b"up 1\n")).unwrap();
        d.finish().unwrap();
        drop(d);
        assert_eq!(c.0, b"up 1\n");
        let mut c = CountOnly;
        let mut d = Decoder::new(true, Sink::new(0, None, u64::MAX, Some(&mut c)));
        let r = d.push(b"not gzip at all").and_then(|_| d.finish());
        assert!(matches!(r, Err(BodyEnd::Failed { .. })), "{r:?}");
    }

    #[test]
    fn error_bodies_keep_only_a_prefix() {
        let mut d = Decoder::new(false, Sink::new(8, None, u64::MAX, None));
        assert_eq!(d.push(b"Forbidden (user=x)"), Err(BodyEnd::PrefixOnly));
        assert_eq!(d.prefix(), b"Forbidde");
    }
}
