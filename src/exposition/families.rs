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

/// Series identities seen so far, up to a cap, kept as (hash, family) pairs in the order they
/// came and counted once at the end by sorting.
///
/// Nothing during the scan needs to know whether a sample repeats a series, only the totals do.
/// A hash table answering that per line misses the cache on almost every probe once a payload
/// has a few hundred thousand series (a fifth of the analysis time on a 100 MB cadvisor payload,
/// an eighth of a fleet run's CPU); appending is sequential, and one sort at the end costs less.
pub(crate) struct SeriesSet {
    seen: Vec<(u64, u32)>,
    cap: usize,
    pub overflowed: bool,
}

/// What the sort found: distinct series per family (by family id) and repeated samples.
pub(crate) struct SeriesCounts {
    pub per_family: Vec<u64>,
    pub duplicates: u64,
}

impl SeriesSet {
    pub(crate) fn new(cap: usize) -> SeriesSet {
        SeriesSet {
            seen: Vec::new(),
            cap,
            overflowed: false,
        }
    }

    /// Remembers a sample's series; false when the cap is reached and it is not remembered (the
    /// caller then counts it as a series of its own, and the counts are no longer exact).
    #[inline]
    pub(crate) fn record(&mut self, hash: u64, family: u32) -> bool {
        if self.seen.len() >= self.cap {
            self.overflowed = true;
            return false;
        }
        self.seen.push((hash, family));
        true
    }

    /// Counts the remembered samples: equal hashes are one series (of the family that has it).
    ///
    /// The pairs are first grouped in place by the hash's top byte (hashes are uniform, so the
    /// groups are even), then each group, small enough to stay in cache, is counted with a
    /// table of its own. Several times faster than sorting the whole vector for a few hundred
    /// thousand series.
    pub(crate) fn count(mut self, families: usize) -> SeriesCounts {
        let mut counts = SeriesCounts {
            per_family: vec![0; families],
            duplicates: 0,
        };
        let mut table: Vec<u64> = Vec::new();
        for group in group_by_top_byte(&mut self.seen) {
            let group = &self.seen[group];
            let size = (group.len() * 2).next_power_of_two().max(16);
            table.clear();
            table.resize(size, 0);
            let mask = size - 1;
            // 0 marks a free slot, so a hash of 0 is remembered apart.
            let mut zero = false;
            for &(hash, family) in group {
                let new = if hash == 0 {
                    !std::mem::replace(&mut zero, true)
                } else {
                    let mut slot = hash as usize & mask;
                    loop {
                        match table[slot] {
                            0 => {
                                table[slot] = hash;
                                break true;
                            }
                            seen if seen == hash => break false,
                            _ => slot = (slot + 1) & mask,
                        }
                    }
                };
                if !new {
                    counts.duplicates += 1;
                } else if let Some(count) = counts.per_family.get_mut(family as usize) {
                    *count += 1;
                }
            }
        }
        counts
    }
}

/// Reorders `seen` in place so that pairs with the same top byte of their hash are together;
/// returns the groups. A short vector is one group.
fn group_by_top_byte(seen: &mut [(u64, u32)]) -> Vec<std::ops::Range<usize>> {
    const SMALL: usize = 1 << 12;
    if seen.len() <= SMALL {
        return std::iter::once(0..seen.len()).collect();
    }
    let group = |hash: u64| (hash >> 56) as usize;
    let mut ends = [0usize; 256];
    for &(hash, _) in seen.iter() {
        ends[group(hash)] += 1;
    }
    let mut sum = 0;
    for end in ends.iter_mut() {
        sum += *end;
        *end = sum;
    }
    let mut next = [0usize; 256];
    next[1..].copy_from_slice(&ends[..255]);
    let starts = next;
    // Every pair is swapped straight into the next free place of its group.
    for g in 0..256 {
        while next[g] < ends[g] {
            let to = group(seen[next[g]].0);
            if to == g {
                next[g] += 1;
            } else {
                seen.swap(next[g], next[to]);
                next[to] += 1;
            }
        }
    }
    starts.iter().zip(&ends).map(|(s, e)| *s..*e).collect()
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
        let mut set = SeriesSet::new(2);
        assert!(set.record(1, 0));
        assert!(set.record(1, 0));
        assert!(!set.record(2, 1));
        assert!(set.overflowed);
        let counts = set.count(2);
        assert_eq!((counts.per_family, counts.duplicates), (vec![1, 0], 1));
    }

    #[test]
    fn series_set_counts_distinct_series_per_family() {
        let mut set = SeriesSet::new(200_000);
        for _ in 0..2 {
            for i in 0..50_000u64 {
                assert!(set.record(i.wrapping_mul(0x9e37_79b9), (i % 3) as u32));
            }
        }
        assert!(!set.overflowed);
        let counts = set.count(3);
        assert_eq!(counts.per_family, vec![16_667, 16_667, 16_666]);
        assert_eq!(counts.duplicates, 50_000);
    }

    #[test]
    fn groups_hold_one_top_byte_and_counts_match_a_sort() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut set = SeriesSet::new(1 << 20);
        let mut pairs = Vec::new();
        for i in 0..20_000u32 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            // Repeated hashes, 0, and a skewed top byte.
            let hash = match i % 7 {
                0 => 42,
                1 => 0,
                2 => rng >> 9,
                _ => rng,
            };
            let family = (hash % 5) as u32;
            pairs.push((hash, family));
            assert!(set.record(hash, family));
        }
        let mut grouped = pairs.clone();
        let groups = group_by_top_byte(&mut grouped);
        assert_eq!(groups.len(), 256);
        for group in groups {
            let top: Vec<u64> = grouped[group].iter().map(|p| p.0 >> 56).collect();
            assert!(top.windows(2).all(|w| w[0] == w[1]));
        }
        grouped.sort_unstable();
        pairs.sort_unstable();
        assert_eq!(grouped, pairs);

        // A series' family follows from its hash here, so the counts are exact.
        let mut expected = vec![0u64; 5];
        let mut duplicates = 0;
        pairs.sort_unstable_by_key(|p| p.0);
        for (i, pair) in pairs.iter().enumerate() {
            if i > 0 && pairs[i - 1].0 == pair.0 {
                duplicates += 1;
            } else {
                expected[pair.1 as usize] += 1;
            }
        }
        let counts = set.count(5);
        assert_eq!(
            (counts.per_family, counts.duplicates),
            (expected, duplicates)
        );
    }
}
