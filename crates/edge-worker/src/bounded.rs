//! A cache bounded by entries and by bytes, least recently used out first: what an
//! isolate keeps of the models it compiled. An isolate lives for many requests and has
//! 128 MB on Workers; without a bound, every version anyone asked for by number would
//! stay compiled until the isolate died.

use std::collections::HashMap;
use std::hash::Hash;

/// Entries by key, each with its size; at most `max_entries` of them and `max_bytes` in
/// all (one entry larger than that is kept alone: the request that loaded it needs it).
pub struct Bounded<K, V> {
    entries: HashMap<K, (u64, u64, V)>,
    max_entries: usize,
    max_bytes: u64,
    bytes: u64,
    clock: u64,
}

impl<K: Clone + Eq + Hash, V: Clone> Bounded<K, V> {
    /// An empty cache with these bounds.
    pub fn new(max_entries: usize, max_bytes: u64) -> Self {
        Bounded {
            entries: HashMap::new(),
            max_entries: max_entries.max(1),
            max_bytes,
            bytes: 0,
            clock: 0,
        }
    }

    /// The value of `key`, marked as just used.
    pub fn get(&mut self, key: &K) -> Option<V> {
        self.clock += 1;
        let now = self.clock;
        self.entries.get_mut(key).map(|(used, _, v)| {
            *used = now;
            v.clone()
        })
    }

    /// Keeps `value` under `key` (`size` bytes), then drops the least recently used
    /// others until the bounds hold.
    pub fn insert(&mut self, key: K, size: u64, value: V) {
        self.clock += 1;
        if let Some((_, old, _)) = self.entries.insert(key.clone(), (self.clock, size, value)) {
            self.bytes -= old;
        }
        self.bytes += size;
        while self.entries.len() > 1
            && (self.entries.len() > self.max_entries || self.bytes > self.max_bytes)
        {
            let oldest = self
                .entries
                .iter()
                .filter(|(k, _)| **k != key)
                .min_by_key(|(_, (used, _, _))| *used)
                .map(|(k, _)| k.clone());
            let Some(oldest) = oldest else { break };
            if let Some((_, size, _)) = self.entries.remove(&oldest) {
                self.bytes -= size;
            }
        }
    }

    /// Entries kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes kept, as their sizes were given.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::Bounded;

    #[test]
    fn the_least_recently_used_go_first_by_count_and_by_bytes() {
        let mut c = Bounded::new(3, 100);
        for k in 0..3 {
            c.insert(k, 10, k * 10);
        }
        assert_eq!(c.get(&0), Some(0)); // 0 is now the most recent
        c.insert(3, 10, 30);
        assert_eq!(
            (c.len(), c.get(&1)),
            (3, None),
            "1 was the least recently used"
        );
        assert!(c.get(&0).is_some() && c.get(&2).is_some() && c.get(&3).is_some());
        // Bytes: a 75-byte entry leaves room for two 10-byte ones; 0, used least
        // recently, goes.
        c.insert(4, 75, 40);
        assert_eq!((c.len(), c.bytes()), (3, 95));
        assert_eq!(c.get(&0), None);
        assert_eq!(c.get(&4), Some(40));
        c.insert(6, 10, 60);
        assert_eq!((c.len(), c.bytes()), (3, 95), "2 went for 6");
        assert_eq!(c.get(&2), None);
        // Larger than the bound alone: kept (its request needs it), the rest dropped.
        c.insert(5, 500, 50);
        assert_eq!((c.len(), c.bytes(), c.get(&5)), (1, 500, Some(50)));
        // Replacing a key counts its bytes once.
        c.insert(5, 20, 51);
        assert_eq!((c.len(), c.bytes(), c.get(&5)), (1, 20, Some(51)));
    }
}
