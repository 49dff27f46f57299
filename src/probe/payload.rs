//! The payload of a probe: the exposition analyzer fed as the body streams in, with the job's
//! limits, so reading stops as soon as Prometheus would fail the scrape. Nothing of the body is
//! kept beyond the analyzer's bounded counts.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::config::model::ScrapeConfig;
use crate::exposition::{self, Analyzer, Options, Summary};
use crate::labels::Labels;
use crate::transport::{BodyConsumer, BodyEnd, Flow, Response};
use crate::version::PrometheusVersion;

/// Series identities remembered per probe: exact counts up to about 260,000 series (4 MiB of
/// table at most), an upper bound beyond.
const MAX_TRACKED_SERIES: usize = 1 << 18;

/// Families listed in the report for each target, largest first.
pub const TOP_FAMILIES: usize = 10;

/// What the payload of one probe showed.
#[derive(Debug, Clone, Serialize)]
pub struct PayloadFacts {
    #[serde(flatten)]
    pub summary: Summary,
    /// Every family name seen (up to the analyzer's family cap); checks look families up here,
    /// the report lists only the top ones.
    #[serde(skip)]
    pub family_names: BTreeSet<String>,
}

impl PayloadFacts {
    /// True when `family` was exposed; `None` when that cannot be told (the payload was not
    /// read to its end, or families were pooled).
    pub fn has_family(&self, family: &str) -> Option<bool> {
        if self.family_names.contains(family) {
            return Some(true);
        }
        let s = &self.summary;
        (s.analysis.complete && s.families_exact).then_some(false)
    }

    /// The uncompressed bytes of the body as received.
    pub fn bytes(&self) -> u64 {
        self.summary.bytes
    }
}

/// Analyzer options for one target of `job`.
pub(crate) fn options(job: &ScrapeConfig, labels: &Labels, version: PrometheusVersion) -> Options {
    Options {
        limits: exposition::Limits::from(&job.limits),
        target_labels: labels
            .iter()
            .filter(|(name, _)| !name.starts_with("__"))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
        honor_labels: job.honor_labels,
        content_type: None,
        fallback_scrape_protocol: job.fallback_scrape_protocol.clone(),
        version,
        keep_going: false,
        max_tracked_series: MAX_TRACKED_SERIES,
        top_families: usize::MAX,
        ..Options::default()
    }
}

/// Feeds a 2xx body to the analyzer; created before the request, started with the response's
/// `Content-Type`.
pub(crate) struct PayloadConsumer {
    options: Option<Options>,
    analyzer: Option<Analyzer>,
}

impl PayloadConsumer {
    /// Without options the body is only counted (by the transport).
    pub(crate) fn new(options: Option<Options>) -> PayloadConsumer {
        PayloadConsumer {
            options,
            analyzer: None,
        }
    }

    /// The analysis, once the body has ended as `response` says; `None` when no 2xx body came.
    pub(crate) fn facts(self, response: &Response) -> Option<PayloadFacts> {
        let mut analyzer = self.analyzer?;
        match &response.body.end {
            BodyEnd::CapReached { cap } => analyzer.interrupt(format!(
                "the probe's safety cap of {cap} uncompressed bytes was reached"
            )),
            BodyEnd::Failed { message, .. } => {
                analyzer.interrupt(format!("the body could not be read to its end: {message}"))
            }
            BodyEnd::Complete
            | BodyEnd::LimitReached { .. }
            | BodyEnd::ConsumerStopped
            | BodyEnd::PrefixOnly => {}
        }
        let mut summary = analyzer.finish();
        if response.body.gzip {
            summary.compressed_bytes = Some(response.body.compressed_bytes);
        }
        let family_names = summary
            .top_families
            .iter()
            .filter(|f| f.name != exposition::families::OTHER_FAMILIES)
            .map(|f| f.name.clone())
            .collect();
        summary.top_families.truncate(TOP_FAMILIES);
        Some(PayloadFacts {
            summary,
            family_names,
        })
    }
}

impl BodyConsumer for PayloadConsumer {
    fn start(&mut self, content_type: Option<&str>) {
        if let Some(mut options) = self.options.take() {
            // Go reads an absent header as "", which 3.x refuses like a blank one.
            options.content_type = Some(content_type.unwrap_or("").to_string());
            self.analyzer = Some(Analyzer::new(options));
        }
    }

    fn feed(&mut self, chunk: &[u8]) -> Flow {
        match self.analyzer.as_mut().map(|a| a.feed(chunk)) {
            Some(exposition::Flow::Stop) => Flow::Stop,
            _ => Flow::Continue,
        }
    }
}
