//! IPv4 fragment reassembly, bounded in memory and in capture time.
//!
//! Why it exists: a TCP segment carried in IPv4 fragments only has a TCP header in the first
//! fragment and its payload spread over all of them; without reassembly those bytes would be
//! lost to the stream. Fragmented MSNP traffic is rare, so this is kept small and strict.
//!
//! Guarantees:
//! - Pure and deterministic: time is the capture's, never the wall clock's.
//! - Bounded: at most [`MAX_DATAGRAMS`] datagrams in progress, each at most
//!   [`MAX_DATAGRAM_SIZE`] bytes, each kept at most [`TIMEOUT`] after its first fragment.
//!   Whatever is dropped to stay within a bound is reported as an anomaly, never silently.
//! - Duplicate fragments (same bytes again) are harmless. Overlapping fragments whose bytes
//!   differ make the datagram ambiguous (which copy did the receiver keep?), so the whole
//!   datagram is discarded with [`anomaly::FRAGMENT_OVERLAP`]; later fragments of it are
//!   swallowed until it times out or is evicted.
//! - A datagram is complete when its last fragment (more-fragments clear) has been seen and
//!   every byte before its end is covered; it is then handed out once, in [`Defrag::done`].

use super::anomaly;
use super::ip::Fragment;
use crate::capture::Timestamp;
use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::Duration;

/// Datagrams being reassembled at once. Legitimate fragmented traffic has a handful in
/// flight; a capture full of never-completed fragments must not grow memory without bound.
/// When full, the oldest datagram is evicted.
pub(crate) const MAX_DATAGRAMS: usize = 64;

/// Largest reassembled IPv4 payload: the total-length field is 16 bits, so no valid datagram
/// extends past offset 65535. Fragments that would are malformed.
pub(crate) const MAX_DATAGRAM_SIZE: usize = 65_535;

/// How long a datagram may wait for its missing fragments, counted in capture time from its
/// first fragment: 30 s, the default of Linux (`ipfrag_time`) and the RFC 791 suggestion's order.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(30);

/// Identifies the fragments of one datagram (RFC 791).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub id: u16,
}

struct Datagram {
    key: Key,
    first_ts: Timestamp,
    data: Vec<u8>,
    /// Byte ranges of `data` received, sorted, disjoint and non-adjacent (merged).
    ranges: Vec<(usize, usize)>,
    /// End of the datagram's payload, known once the last fragment has been seen.
    end: Option<usize>,
    /// Discarded after an error: further fragments are swallowed without another anomaly.
    poisoned: bool,
}

impl Datagram {
    fn is_complete(&self) -> bool {
        matches!((self.end, self.ranges.as_slice()), (Some(end), [(0, e)]) if *e == end)
    }

    /// Records `bytes` at `start`, merging the covered ranges.
    fn insert(&mut self, start: usize, bytes: &[u8]) {
        let end = start + bytes.len();
        if bytes.is_empty() {
            return;
        }
        if self.data.len() < end {
            self.data.resize(end, 0);
        }
        if let Some(dst) = self.data.get_mut(start..end) {
            dst.copy_from_slice(bytes);
        }
        // Ranges that touch or overlap [start, end) are merged into one.
        let first = self.ranges.partition_point(|&(_, e)| e < start);
        let last = self.ranges.partition_point(|&(s, _)| s <= end);
        let (mut s, mut e) = (start, end);
        if let Some(touched) = self.ranges.get(first..last)
            && let (Some(a), Some(b)) = (touched.first(), touched.last())
        {
            s = s.min(a.0);
            e = e.max(b.1);
        }
        self.ranges.splice(first..last.max(first), [(s, e)]);
    }

    /// Whether bytes already received differ from `bytes` placed at `start`.
    fn conflicts(&self, start: usize, bytes: &[u8]) -> bool {
        let end = start + bytes.len();
        self.ranges.iter().any(|&(s, e)| {
            let (lo, hi) = (s.max(start), e.min(end));
            lo < hi && self.data.get(lo..hi) != bytes.get(lo - start..hi - start)
        })
    }
}

/// What became of one fragment.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Kept, waiting for more fragments (or swallowed for a discarded datagram).
    Held,
    /// This fragment completed its datagram; the payload is in [`Defrag::done`].
    Complete,
    /// This fragment was malformed or made its datagram unusable.
    Dropped(&'static str),
}

/// Datagrams in progress, oldest first.
#[derive(Default)]
pub(crate) struct Defrag {
    datagrams: VecDeque<Datagram>,
    /// Anomalies found while handling a fragment that could not be reported at once
    /// (timeouts and evictions of *other* datagrams).
    pending: VecDeque<&'static str>,
    /// Payload of the datagram completed by the last [`Outcome::Complete`].
    pub done: Vec<u8>,
}

impl Defrag {
    /// Adds one fragment: its captured data must be whole (not cut by the snaplen).
    pub fn add(&mut self, key: Key, ts: Timestamp, frag: Fragment, bytes: &[u8]) -> Outcome {
        self.expire(ts);
        let start = frag.offset;
        let end = start + bytes.len();
        let idx = match self.datagrams.iter().position(|d| d.key == key) {
            Some(i) => i,
            None => {
                if self.datagrams.len() >= MAX_DATAGRAMS
                    && let Some(old) = self.datagrams.pop_front()
                    && !old.poisoned
                {
                    self.pending.push_back(anomaly::FRAGMENT_EVICTED);
                }
                self.datagrams.push_back(Datagram {
                    key,
                    first_ts: ts,
                    data: Vec::new(),
                    ranges: Vec::new(),
                    end: None,
                    poisoned: false,
                });
                self.datagrams.len() - 1
            }
        };
        let Some(d) = self.datagrams.get_mut(idx) else {
            return Outcome::Held;
        };
        if d.poisoned {
            return Outcome::Held;
        }
        let error = if end > MAX_DATAGRAM_SIZE {
            Some(anomaly::FRAGMENT_TOO_LARGE)
        } else if !frag.more && (d.end.is_some_and(|e| e != end) || d.data.len() > end) {
            // A second, different last fragment, or bytes already received past the end.
            Some(anomaly::FRAGMENT_INCONSISTENT)
        } else if frag.more && d.end.is_some_and(|e| end > e) {
            Some(anomaly::FRAGMENT_INCONSISTENT)
        } else if d.conflicts(start, bytes) {
            Some(anomaly::FRAGMENT_OVERLAP)
        } else {
            None
        };
        if let Some(name) = error {
            d.poisoned = true;
            d.data = Vec::new();
            d.ranges = Vec::new();
            return Outcome::Dropped(name);
        }
        if !frag.more {
            d.end = Some(end);
        }
        d.insert(start, bytes);
        if !d.is_complete() {
            return Outcome::Held;
        }
        if let Some(d) = self.datagrams.remove(idx) {
            self.done = d.data;
        }
        Outcome::Complete
    }

    /// Drops datagrams whose first fragment is more than [`TIMEOUT`] older than `now`.
    fn expire(&mut self, now: Timestamp) {
        let pending = &mut self.pending;
        self.datagrams.retain(|d| {
            let keep = now.saturating_duration_since(d.first_ts) <= TIMEOUT;
            if !keep && !d.poisoned {
                pending.push_back(anomaly::FRAGMENT_TIMEOUT);
            }
            keep
        });
    }

    /// Next anomaly not yet reported.
    pub fn take_anomaly(&mut self) -> Option<&'static str> {
        self.pending.pop_front()
    }

    /// End of capture: every datagram still in progress is dropped, and reported as
    /// [`anomaly::FRAGMENT_INCOMPLETE`] through [`Defrag::take_anomaly`].
    pub fn finish(&mut self) {
        for d in self.datagrams.drain(..) {
            if !d.poisoned {
                self.pending.push_back(anomaly::FRAGMENT_INCOMPLETE);
            }
        }
    }

    /// Datagrams in progress (for tests and statistics).
    pub fn in_progress(&self) -> usize {
        self.datagrams.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: u16) -> Key {
        Key {
            src: "10.0.0.1".parse().unwrap(),
            dst: "10.0.0.2".parse().unwrap(),
            proto: 6,
            id,
        }
    }

    fn frag(offset: usize, more: bool) -> Fragment {
        Fragment {
            id: 0,
            offset,
            more,
        }
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::new(1_136_000_000 + secs, 0)
    }

    const DATA: &[u8; 40] = b"0123456789abcdefghijklmnopqrstuvwxyzABCD";

    #[test]
    fn in_order() {
        let mut d = Defrag::default();
        assert_eq!(
            d.add(key(1), at(0), frag(0, true), &DATA[..16]),
            Outcome::Held
        );
        assert_eq!(
            d.add(key(1), at(0), frag(16, true), &DATA[16..32]),
            Outcome::Held
        );
        assert_eq!(
            d.add(key(1), at(0), frag(32, false), &DATA[32..]),
            Outcome::Complete
        );
        assert_eq!(d.done, DATA);
        assert_eq!(d.in_progress(), 0);
    }

    #[test]
    fn out_of_order_and_duplicates() {
        let mut d = Defrag::default();
        assert_eq!(
            d.add(key(1), at(0), frag(32, false), &DATA[32..]),
            Outcome::Held
        );
        assert_eq!(
            d.add(key(1), at(0), frag(16, true), &DATA[16..32]),
            Outcome::Held
        );
        assert_eq!(
            d.add(key(1), at(0), frag(16, true), &DATA[16..32]),
            Outcome::Held
        );
        // An overlapping fragment with the same bytes is fine too.
        assert_eq!(
            d.add(key(1), at(0), frag(8, true), &DATA[8..24]),
            Outcome::Held
        );
        assert_eq!(
            d.add(key(1), at(0), frag(0, true), &DATA[..16]),
            Outcome::Complete
        );
        assert_eq!(d.done, DATA);
        assert_eq!(d.take_anomaly(), None);
    }

    #[test]
    fn interleaved_datagrams_stay_apart() {
        let mut d = Defrag::default();
        assert_eq!(
            d.add(key(1), at(0), frag(0, true), &DATA[..8]),
            Outcome::Held
        );
        assert_eq!(
            d.add(key(2), at(0), frag(0, true), &DATA[8..16]),
            Outcome::Held
        );
        assert_eq!(
            d.add(key(2), at(0), frag(8, false), b"two"),
            Outcome::Complete
        );
        assert_eq!(d.done, b"89abcdeftwo");
        assert_eq!(
            d.add(key(1), at(0), frag(8, false), b"one"),
            Outcome::Complete
        );
        assert_eq!(d.done, b"01234567one");
    }

    #[test]
    fn overlap_with_different_bytes_discards_the_datagram() {
        let mut d = Defrag::default();
        assert_eq!(
            d.add(key(1), at(0), frag(0, true), &DATA[..16]),
            Outcome::Held
        );
        assert_eq!(
            d.add(key(1), at(0), frag(8, true), b"XXXXXXXXXXXXXXXX"),
            Outcome::Dropped(anomaly::FRAGMENT_OVERLAP)
        );
        // The rest is swallowed, and the discarded datagram never completes or reports again.
        assert_eq!(
            d.add(key(1), at(0), frag(16, false), &DATA[16..]),
            Outcome::Held
        );
        assert_eq!(
            d.add(key(9), at(60), frag(0, true), b"later..."),
            Outcome::Held
        );
        assert_eq!(d.take_anomaly(), None);
    }

    #[test]
    fn never_completed_times_out() {
        let mut d = Defrag::default();
        assert_eq!(
            d.add(key(1), at(0), frag(0, true), &DATA[..16]),
            Outcome::Held
        );
        assert_eq!(
            d.add(key(2), at(30), frag(0, true), &DATA[..16]),
            Outcome::Held
        );
        assert_eq!(d.take_anomaly(), None);
        assert_eq!(
            d.add(key(2), at(31), frag(16, true), &DATA[16..32]),
            Outcome::Held
        );
        assert_eq!(d.take_anomaly(), Some(anomaly::FRAGMENT_TIMEOUT));
        assert_eq!(d.in_progress(), 1);
        d.finish();
        assert_eq!(d.take_anomaly(), Some(anomaly::FRAGMENT_INCOMPLETE));
        assert_eq!(d.in_progress(), 0);
    }

    #[test]
    fn oldest_is_evicted_when_full() {
        let mut d = Defrag::default();
        for id in 0..MAX_DATAGRAMS as u16 {
            assert_eq!(
                d.add(key(id), at(0), frag(0, true), b"01234567"),
                Outcome::Held
            );
        }
        assert_eq!(d.take_anomaly(), None);
        assert_eq!(
            d.add(key(999), at(0), frag(0, true), b"01234567"),
            Outcome::Held
        );
        assert_eq!(d.take_anomaly(), Some(anomaly::FRAGMENT_EVICTED));
        assert_eq!(d.in_progress(), MAX_DATAGRAMS);
        assert_eq!(
            d.add(key(1), at(0), frag(8, false), b"x"),
            Outcome::Complete
        );
        // Datagram 0 was the one evicted: its last fragment now starts a new, incomplete one.
        assert_eq!(d.add(key(0), at(0), frag(8, false), b"x"), Outcome::Held);
        assert_eq!(d.take_anomaly(), None);
    }

    #[test]
    fn too_large_and_inconsistent() {
        let mut d = Defrag::default();
        assert_eq!(
            d.add(key(1), at(0), frag(65_528, false), &DATA[..16]),
            Outcome::Dropped(anomaly::FRAGMENT_TOO_LARGE)
        );
        assert_eq!(d.add(key(2), at(0), frag(8, false), b"end"), Outcome::Held);
        assert_eq!(
            d.add(key(2), at(0), frag(16, true), &DATA[..8]),
            Outcome::Dropped(anomaly::FRAGMENT_INCONSISTENT)
        );
        assert_eq!(
            d.add(key(3), at(0), frag(8, true), &DATA[..16]),
            Outcome::Held
        );
        assert_eq!(
            d.add(key(3), at(0), frag(8, false), b"short"),
            Outcome::Dropped(anomaly::FRAGMENT_INCONSISTENT)
        );
    }

    #[test]
    fn ranges_merge() {
        let mut d = Datagram {
            key: key(0),
            first_ts: at(0),
            data: Vec::new(),
            ranges: Vec::new(),
            end: None,
            poisoned: false,
        };
        d.insert(16, &[1; 8]);
        d.insert(0, &[1; 8]);
        assert_eq!(d.ranges, [(0, 8), (16, 24)]);
        d.insert(8, &[1; 8]);
        assert_eq!(d.ranges, [(0, 24)]);
        d.insert(40, &[1; 8]);
        d.insert(4, &[1; 40]);
        assert_eq!(d.ranges, [(0, 48)]);
    }
}
