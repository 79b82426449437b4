//! A map with a fixed capacity that forgets its oldest entry first, and the count of who
//! holds how much memory behind the global memory cap.
//!
//! Why it exists: several tables keep what the protocol announced until it is used (the
//! switchboard cookies of `XFR`/`RNG`, the requests waiting for their replies, the addresses
//! the flow table expects). Traffic decides how many entries arrive, so each table has a named
//! cap, and past it the entry inserted longest ago goes. One structure (an insertion-ordered
//! hash map, `hashlink`) does both jobs, where a map and a separate queue of keys could drift
//! apart.
//!
//! Guarantees: never holds more than its capacity; insertion and eviction are O(1);
//! re-inserting a present key replaces its value and keeps its age (so a key refreshed by a
//! flood of duplicates cannot push every other entry out); iteration is in insertion order.

use hashlink::LinkedHashMap;

/// The maps' hasher: their keys come from the capture (handles, addresses, ids), so the hash
/// is keyed with foldhash's per-process random seed (as the flow table's), which is several
/// times faster than std's SipHash. Order never depends on it: the maps keep insertion
/// order.
type Hasher = foldhash::fast::RandomState;
use std::hash::Hash;

/// An insertion-ordered map that evicts its oldest entry past `capacity`.
pub struct FifoMap<K, V> {
    map: LinkedHashMap<K, V, Hasher>,
    capacity: usize,
}

impl<K: Hash + Eq, V> FifoMap<K, V> {
    /// A map that holds at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> FifoMap<K, V> {
        FifoMap {
            map: LinkedHashMap::with_hasher(Hasher::default()),
            capacity: capacity.max(1),
        }
    }

    /// Inserts or replaces; returns the entry evicted to make room, if any.
    pub fn insert(&mut self, key: K, value: V) -> Option<(K, V)> {
        if let Some(slot) = self.map.get_mut(&key) {
            *slot = value;
            return None;
        }
        self.map.insert(key, value);
        if self.map.len() > self.capacity {
            self.map.pop_front()
        } else {
            None
        }
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.map.get(key)
    }

    /// The value of a present key, to change in place (its age is kept).
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.map.get_mut(key)
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.map.remove(key)
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Entries, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_entry_goes_first_past_the_cap() {
        let mut m = FifoMap::new(3);
        for k in 1..=3 {
            assert_eq!(m.insert(k, k * 10), None);
        }
        assert_eq!(m.insert(4, 40), Some((1, 10)));
        assert_eq!(m.len(), 3);
        assert!(!m.contains_key(&1));
        assert_eq!(m.get(&4), Some(&40));
        assert_eq!(m.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [2, 3, 4]);
    }

    #[test]
    fn a_replaced_key_keeps_its_age() {
        let mut m = FifoMap::new(2);
        m.insert("a", 1);
        m.insert("b", 2);
        assert_eq!(m.insert("a", 3), None);
        assert_eq!(m.get(&"a"), Some(&3));
        // "a" is still the oldest.
        assert_eq!(m.insert("c", 4), Some(("a", 3)));
    }

    #[test]
    fn a_flood_never_grows_past_the_cap() {
        let mut m = FifoMap::new(100);
        for k in 0..10_000u32 {
            m.insert(k, ());
            assert!(m.len() <= 100);
        }
        assert_eq!(m.iter().next().map(|(k, _)| *k), Some(9_900));
        assert_eq!(m.remove(&9_999), Some(()));
        assert_eq!(m.len(), 99);
    }
}

/// Who holds how many bytes, oldest holder first: the count behind a global memory cap
/// (`--memcap`). A holder's place is the moment it went from holding nothing to holding
/// something; the caller keeps what each holder held when last counted, so that an unchanged
/// holder costs no lookup.
///
/// Guarantees: `total` is the sum of what the holders hold; a holder that holds nothing is not
/// listed; every operation is O(1).
pub struct Holdings<K> {
    order: LinkedHashMap<K, (), Hasher>,
    total: usize,
}

impl<K: Hash + Eq> Default for Holdings<K> {
    fn default() -> Self {
        Holdings {
            order: LinkedHashMap::with_hasher(Hasher::default()),
            total: 0,
        }
    }
}

impl<K: Hash + Eq> Holdings<K> {
    /// `key` held `before` bytes when last counted and holds `now`.
    pub fn change(&mut self, key: K, before: usize, now: usize) {
        if now == before {
            return;
        }
        // Saturating: a caller that miscounted must not stop the run.
        self.total = self.total.saturating_sub(before) + now;
        if now == 0 {
            self.order.remove(&key);
        } else if before == 0 {
            self.order.insert(key, ());
        }
    }

    /// Takes the oldest holder out of the list; the caller says what it held with
    /// [`Holdings::released`] (and counts it again if it still holds anything).
    pub fn pop_oldest(&mut self) -> Option<K> {
        self.order.pop_front().map(|(k, ())| k)
    }

    /// `bytes` of a holder taken out by [`Holdings::pop_oldest`] no longer count.
    pub fn released(&mut self, bytes: usize) {
        self.total = self.total.saturating_sub(bytes);
    }

    /// Bytes held by all holders.
    pub fn total(&self) -> usize {
        self.total
    }
}

#[cfg(test)]
mod holdings_tests {
    use super::Holdings;

    #[test]
    fn the_oldest_holder_comes_first_and_the_total_follows_changes() {
        let mut h = Holdings::default();
        h.change("a", 0, 10);
        h.change("b", 0, 5);
        h.change("a", 10, 30);
        assert_eq!(h.total(), 35);
        // A change keeps the place; holding nothing leaves the list.
        h.change("c", 0, 1);
        h.change("b", 5, 0);
        assert_eq!(h.total(), 31);
        assert_eq!(h.pop_oldest(), Some("a"));
        h.released(30);
        assert_eq!(h.total(), 1);
        // Holding again after leaving: last in line.
        h.change("a", 0, 2);
        assert_eq!(h.pop_oldest(), Some("c"));
        assert_eq!(h.pop_oldest(), Some("a"));
        assert_eq!(h.pop_oldest(), None);
    }
}
