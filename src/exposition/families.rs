//! Metric families and series, counted in bounded memory: at most `max_families` families are
//! kept by name (later ones are pooled), and series identities are remembered up to
//! `max_tracked_series` (later samples count as new series, and the count says it is an upper
//! bound). Pure.

use std::collections::HashMap;

use serde::Serialize;

/// A family's declared type (`# TYPE`), or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    GaugeHistogram,
    Summary,
    Info,
    StateSet,
    Untyped,
}

impl MetricType {
    pub(crate) fn parse(text: &[u8]) -> Option<MetricType> {
        Some(match text {
            b"counter" => MetricType::Counter,
            b"gauge" => MetricType::Gauge,
            b"histogram" => MetricType::Histogram,
            b"gaugehistogram" => MetricType::GaugeHistogram,
            b"summary" => MetricType::Summary,
            b"info" => MetricType::Info,
            b"stateset" => MetricType::StateSet,
            b"untyped" | b"unknown" => MetricType::Untyped,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
            MetricType::Untyped => "untyped",
        }
    }

    /// The sample-name suffixes that belong to a family of this type.
    fn suffixes(self) -> &'static [&'static [u8]] {
        match self {
            MetricType::Histogram => &[b"_bucket", b"_sum", b"_count", b"_created"],
            MetricType::GaugeHistogram => &[b"_bucket", b"_gsum", b"_gcount"],
            MetricType::Summary => &[b"_sum", b"_count", b"_created"],
            MetricType::Counter => &[b"_total", b"_created"],
            MetricType::Info => &[b"_info"],
            _ => &[],
        }
    }

    /// True when a sample called `sample` belongs to the family `family` of this type.
    pub(crate) fn owns(self, family: &[u8], sample: &[u8]) -> bool {
        match sample.strip_prefix(family) {
            Some(b"") => true,
            Some(rest) => self.suffixes().contains(&rest),
            None => false,
        }
    }
}

/// One metric family's counts.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyStats {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<MetricType>,
    pub help: bool,
    pub samples: u64,
    pub series: u64,
}

pub(crate) const OTHER_FAMILIES: &str = "(other families)";

pub(crate) struct FamilyTable {
    pub families: Vec<FamilyStats>,
    index: HashMap<Box<[u8]>, u32>,
    max: usize,
    other: Option<u32>,
    /// The last family a sample was attributed to, to skip the map for runs of one family.
    last: Option<(Vec<u8>, u32)>,
}

impl FamilyTable {
    pub(crate) fn new(max: usize) -> FamilyTable {
        FamilyTable {
            families: Vec::new(),
            index: HashMap::new(),
            max: max.max(1),
            other: None,
            last: None,
        }
    }

    /// True when some families were pooled into [`OTHER_FAMILIES`].
    pub(crate) fn pooled(&self) -> bool {
        self.other.is_some()
    }

    /// The family called `name`, created if new (or the pool once the table is full).
    pub(crate) fn get(&mut self, name: &[u8]) -> u32 {
        if let Some((last, id)) = &self.last {
            if last.as_slice() == name {
                return *id;
            }
        }
        let id = match self.index.get(name) {
            Some(id) => *id,
            None if self.index.len() < self.max => {
                let id = self.families.len() as u32;
                self.families.push(FamilyStats {
                    name: String::from_utf8_lossy(name).into_owned(),
                    kind: None,
                    help: false,
                    samples: 0,
                    series: 0,
                });
                self.index.insert(name.into(), id);
                id
            }
            None => match self.other {
                Some(id) => id,
                None => {
                    let id = self.families.len() as u32;
                    self.families.push(FamilyStats {
                        name: OTHER_FAMILIES.to_string(),
                        kind: None,
                        help: false,
                        samples: 0,
                        series: 0,
                    });
                    self.other = Some(id);
                    id
                }
            },
        };
        match &mut self.last {
            Some((last, last_id)) => {
                last.clear();
                last.extend_from_slice(name);
                *last_id = id;
            }
            None => self.last = Some((name.to_vec(), id)),
        }
        id
    }

    pub(crate) fn len(&self) -> usize {
        self.families.len()
    }
}

/// Series identities seen so far, up to a cap: an open-addressing table of 64-bit hashes with
/// linear probing, at most half full, so an insert costs about one cache line.
pub(crate) struct SeriesSet {
    slots: Vec<u64>,
    len: usize,
    cap: usize,
    pub overflowed: bool,
}

pub(crate) enum Seen {
    New,
    Duplicate,
    Untracked,
}

/// Zero marks an empty slot; a hash of zero is stored as this instead.
const ZERO_HASH: u64 = 0x9e37_79b9_7f4a_7c15;

impl SeriesSet {
    pub(crate) fn new(cap: usize) -> SeriesSet {
        SeriesSet {
            slots: Vec::new(),
            len: 0,
            cap,
            overflowed: false,
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(1 << 12);
        let old = std::mem::replace(&mut self.slots, vec![0; size]);
        let mask = size - 1;
        for hash in old.into_iter().filter(|h| *h != 0) {
            let mut i = hash as usize & mask;
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = hash;
        }
    }

    #[inline]
    pub(crate) fn insert(&mut self, hash: u64) -> Seen {
        if self.cap == 0 {
            self.overflowed = true;
            return Seen::Untracked;
        }
        if self.slots.is_empty() {
            self.grow();
        }
        let hash = if hash == 0 { ZERO_HASH } else { hash };
        let mask = self.slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            match self.slots[i] {
                0 => break,
                h if h == hash => return Seen::Duplicate,
                _ => i = (i + 1) & mask,
            }
        }
        if self.len >= self.cap {
            self.overflowed = true;
            return Seen::Untracked;
        }
        self.slots[i] = hash;
        self.len += 1;
        if self.len * 2 > self.slots.len() {
            self.grow();
        }
        Seen::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_map_samples_to_their_family() {
        assert!(MetricType::Histogram.owns(b"req", b"req_bucket"));
        assert!(MetricType::Histogram.owns(b"req", b"req_count"));
        assert!(!MetricType::Histogram.owns(b"req", b"req_total"));
        assert!(MetricType::Summary.owns(b"rpc", b"rpc"));
        assert!(MetricType::Counter.owns(b"x_total", b"x_total"));
        assert!(MetricType::Counter.owns(b"x", b"x_total"));
        assert!(!MetricType::Gauge.owns(b"x", b"x_sum"));
    }

    #[test]
    fn family_table_pools_beyond_its_cap() {
        let mut table = FamilyTable::new(2);
        assert_eq!(table.get(b"a"), 0);
        assert_eq!(table.get(b"b"), 1);
        assert_eq!(table.get(b"c"), 2);
        assert_eq!(table.get(b"d"), 2);
        assert_eq!(table.get(b"a"), 0);
        assert!(table.pooled());
        assert_eq!(table.families[2].name, OTHER_FAMILIES);
    }

    #[test]
    fn series_set_stops_remembering_at_its_cap() {
        let mut set = SeriesSet::new(1);
        assert!(matches!(set.insert(1), Seen::New));
        assert!(matches!(set.insert(1), Seen::Duplicate));
        assert!(matches!(set.insert(2), Seen::Untracked));
        assert!(set.overflowed);
        let mut set = SeriesSet::new(100_000);
        for i in 0..50_000u64 {
            assert!(matches!(set.insert(i.wrapping_mul(0x9e37_79b9)), Seen::New));
        }
        for i in 0..50_000u64 {
            assert!(matches!(
                set.insert(i.wrapping_mul(0x9e37_79b9)),
                Seen::Duplicate
            ));
        }
        assert!(!set.overflowed);
    }
}
