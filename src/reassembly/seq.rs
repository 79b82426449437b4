//! TCP sequence numbers: 32-bit, wrapping, compared by signed distance (RFC 1982 serial
//! arithmetic), and their conversion to 64-bit stream offsets.
//!
//! A sequence number alone cannot say where in a long stream it lies: it wraps every 4 GiB.
//! [`SeqNum::offset_near`] resolves it against a known offset (the next byte expected), which
//! is unambiguous for any segment within 2 GiB of it, far beyond any TCP window.

use std::cmp::Ordering;

/// A TCP sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SeqNum(pub u32);

impl SeqNum {
    /// The sequence number `n` bytes after this one.
    pub fn plus(self, n: u64) -> SeqNum {
        SeqNum(self.0.wrapping_add(n as u32))
    }

    /// Signed distance from `other` to `self`: positive when `self` is after `other`.
    pub fn diff(self, other: SeqNum) -> i64 {
        self.0.wrapping_sub(other.0) as i32 as i64
    }

    /// The stream offset of this sequence number, given that offset `known` has sequence
    /// number `known_seq`. `None` when the result would be before the start of the stream.
    pub fn offset_near(self, known_seq: SeqNum, known: u64) -> Option<u64> {
        let off = known as i128 + self.diff(known_seq) as i128;
        u64::try_from(off).ok()
    }
}

impl PartialOrd for SeqNum {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SeqNum {
    /// Serial-number order: valid for numbers less than 2^31 apart.
    fn cmp(&self, other: &Self) -> Ordering {
        self.diff(*other).cmp(&0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_holds_across_the_wrap() {
        let a = SeqNum(u32::MAX - 2);
        let b = a.plus(5);
        assert_eq!(b, SeqNum(2));
        assert!(a < b);
        assert_eq!(b.diff(a), 5);
        assert_eq!(a.diff(b), -5);
    }

    #[test]
    fn offsets_keep_growing_past_four_gib() {
        let base = SeqNum(u32::MAX - 9);
        // Offset 2^32 + 100 has the same sequence number as offset 100.
        let known = (1u64 << 32) + 50;
        let known_seq = base.plus(known);
        assert_eq!(
            base.plus(100).offset_near(known_seq, known),
            Some((1u64 << 32) + 100)
        );
        assert_eq!(
            base.plus(10).offset_near(known_seq, known),
            Some((1u64 << 32) + 10)
        );
        // Just before the start.
        assert_eq!(SeqNum(base.0.wrapping_sub(1)).offset_near(base, 0), None);
        assert_eq!(base.offset_near(base, 0), Some(0));
    }
}
