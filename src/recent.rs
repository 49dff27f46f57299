//! A memo of the most recently built values, for work that repeats across the targets of a job:
//! a handful of distinct inputs behind thousands of lookups. It stays bounded whatever the input,
//! forgetting the oldest value first, so a job with many distinct inputs only loses the saving.

/// Up to `capacity` (key, value) pairs, oldest first.
#[derive(Debug)]
pub(crate) struct Recent<K, V> {
    kept: Vec<(K, V)>,
    capacity: usize,
}

impl<K, V> Recent<K, V> {
    pub(crate) fn new(capacity: usize) -> Recent<K, V> {
        Recent {
            kept: Vec::new(),
            capacity: capacity.max(1),
        }
    }

    /// The value whose key `is_key` accepts, or the pair `build` makes, kept from now on.
    ///
    /// The key is tested by a predicate rather than compared with an owned key, so a lookup that
    /// finds its value allocates nothing.
    pub(crate) fn get_or_build(
        &mut self,
        is_key: impl Fn(&K) -> bool,
        build: impl FnOnce() -> (K, V),
    ) -> &V {
        let at = match self.kept.iter().position(|(key, _)| is_key(key)) {
            Some(at) => at,
            None => {
                if self.kept.len() >= self.capacity {
                    self.kept.remove(0);
                }
                self.kept.push(build());
                self.kept.len() - 1
            }
        };
        &self.kept[at].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_once_per_key_and_forgets_the_oldest_first() {
        let mut recent = Recent::new(2);
        let mut builds = 0;
        let mut get = |recent: &mut Recent<u8, String>, key: u8| {
            recent
                .get_or_build(
                    |k| *k == key,
                    || {
                        builds += 1;
                        (key, format!("v{key}"))
                    },
                )
                .clone()
        };
        assert_eq!(get(&mut recent, 1), "v1");
        assert_eq!(get(&mut recent, 1), "v1");
        assert_eq!(get(&mut recent, 2), "v2");
        assert_eq!(get(&mut recent, 3), "v3");
        assert_eq!(get(&mut recent, 2), "v2");
        assert_eq!(get(&mut recent, 1), "v1");
        // 1, 2, 3, then 1 again once 3 had pushed it out.
        assert_eq!(builds, 4);
    }
}
