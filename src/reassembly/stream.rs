//! One direction of a TCP connection: segments in, contiguous bytes, gaps and the FIN out.
//!
//! Rules (each has a test below):
//!
//! - Stream offset 0 is the byte after the SYN, or the first byte seen when the capture
//!   starts mid-stream. Sequence numbers are resolved to 64-bit offsets near the next
//!   expected byte, so the 2^32 wrap is invisible above this module.
//! - In-order bytes are delivered at once, straight from the caller's slice. Out-of-order
//!   bytes wait in a bounded buffer until the hole before them fills.
//! - Retransmissions: the first copy wins. Overlapping bytes that differ from what was
//!   received raise `tcp.overlap_mismatch` (compared against the buffer, and against the last
//!   [`HISTORY`] delivered bytes).
//! - Keep-alive probes (zero or one byte at the byte before the next expected) are dropped
//!   without a word.
//! - An ACK one past everything seen (and no FIN seen) acknowledges a FIN the capture missed,
//!   not a lost byte: it acknowledges what was seen, holes included, and nothing more. (An
//!   ACK further ahead counts every byte it covers as data: a missed FIN among them cannot be
//!   told apart, and makes the gap one byte longer.)
//! - A hole the peer acknowledged past can never fill: it becomes a `Gap` (`Acked`) once
//!   the sender has sent [`ACK_GRACE`] more segments without filling it (mirror ports reorder
//!   an ACK well ahead of its data), or when the caller gives up on it by time
//!   ([`HalfStream::give_up_acked_holes`]).
//! - Other gaps: the holes left at [`HalfStream::finish`] (end of input, eviction, reset) or
//!   given up at the idle timeout ([`HalfStream::give_up_holes`]); at `finish`, the bytes the
//!   peer acknowledged past everything captured too (`Acked`: they were sent, the capture
//!   missed them); bytes cut by the snaplen (`Truncated`); and the first hole when the buffer
//!   is over its cap (`Capacity`, with `tcp.buffer_full`).
//! - The FIN is reported once every byte before it is delivered or given up.

use super::seq::SeqNum;
use super::{GapReason, HalfEvent, Limits};
use std::collections::{BTreeMap, VecDeque};

/// Delivered bytes kept to check retransmissions against: a retransmission arrives within a
/// few round trips, i.e. well within one TCP window of the delivered edge.
pub const HISTORY: usize = 64 * 1024;

/// A segment further than this ahead of the next expected byte is not part of this stream
/// (a sequence number from another connection, or garbage).
pub const MAX_JUMP: u64 = 1 << 30;

/// Data segments the sender may send after the peer acknowledged past a hole before the hole
/// is declared lost. Captures from a switch's mirror port often show an ACK well before the
/// data it acknowledges; a sender that has moved on by this many segments is not going to
/// fill the hole. (A hole at the end of what the sender sent is declared at the end of input
/// or at the idle timeout.)
pub const ACK_GRACE: u32 = 8;

/// A piece of the out-of-order buffer.
#[derive(Debug)]
enum Chunk {
    Data(Vec<u8>),
    /// Bytes known to exist but never captured (cut by the snaplen).
    Lost(u64),
}

impl Chunk {
    fn len(&self) -> u64 {
        match self {
            Chunk::Data(d) => d.len() as u64,
            Chunk::Lost(n) => *n,
        }
    }
}

/// Reassembles one direction of a connection.
///
/// Invariant: every key of `buffer` is greater than `next`; the chunks do not overlap;
/// `buffered` is the total length of the `Data` chunks; every byte before `next` has been
/// delivered or reported as a gap, in order.
pub struct HalfStream {
    limits: Limits,
    /// Sequence number of stream offset 0, once known.
    base: Option<SeqNum>,
    midstream: bool,
    next: u64,
    buffer: BTreeMap<u64, Chunk>,
    buffered: usize,
    /// Offset of the FIN, once seen.
    fin: Option<u64>,
    fin_reported: bool,
    finished: bool,
    /// The last delivered bytes, oldest first, ending at `next` (bytes given up as gaps are
    /// not in it: a gap clears it).
    history: VecDeque<u8>,
    /// Highest offset seen in any segment, to tell an ACK of a lost FIN from missing data.
    highest: u64,
    /// Everything before this offset was acknowledged by the peer.
    acked_upto: u64,
    /// Packets left before the holes below `acked_upto` are given up (0: no countdown).
    ack_grace: u32,
}

impl HalfStream {
    pub fn new(limits: Limits) -> HalfStream {
        HalfStream {
            limits,
            base: None,
            midstream: false,
            next: 0,
            buffer: BTreeMap::new(),
            buffered: 0,
            fin: None,
            fin_reported: false,
            finished: false,
            history: VecDeque::new(),
            highest: 0,
            acked_upto: 0,
            ack_grace: 0,
        }
    }

    /// Bytes delivered or given up so far: the offset of the next byte expected.
    pub fn next_offset(&self) -> u64 {
        self.next
    }

    /// Out-of-order bytes held.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered
    }

    /// Memory held for the stream's bytes: the out-of-order buffer and the room kept for the
    /// last delivered bytes (at most `HISTORY`, which retransmissions are compared against).
    pub fn held_bytes(&self) -> usize {
        self.buffered + self.history.capacity()
    }

    /// Forgets the last delivered bytes and frees their room: retransmissions of them are
    /// then dropped as duplicates without being compared.
    pub fn forget_history(&mut self) {
        self.history = VecDeque::new();
    }

    /// Whether the stream started without a SYN.
    pub fn is_midstream(&self) -> bool {
        self.midstream
    }

    /// A SYN from this direction: stream offset 0 is `isn + 1`. Ignored once the stream has a
    /// start (a retransmitted SYN).
    pub fn syn(&mut self, isn: u32) {
        if self.base.is_none() {
            self.base = Some(SeqNum(isn).plus(1));
        }
    }

    fn offset_of(&self, seq: u32) -> Option<u64> {
        let base = self.base?;
        SeqNum(seq).offset_near(base.plus(self.next), self.next)
    }

    /// A segment from this direction (payload and/or FIN). `missing` bytes follow `payload`
    /// but were not captured.
    pub fn segment(
        &mut self,
        seq: u32,
        payload: &[u8],
        missing: u32,
        fin: bool,
        emit: &mut dyn FnMut(HalfEvent<'_>),
    ) {
        if self.finished {
            if !payload.is_empty() {
                emit(HalfEvent::Anomaly {
                    name: "tcp.segment_after_close",
                    offset: self.next,
                });
            }
            return;
        }
        if self.base.is_none() {
            self.base = Some(SeqNum(seq));
            self.midstream = true;
        }
        let len = payload.len() as u64;
        let Some(mut off) = self.offset_of(seq) else {
            // Before offset 0: keep only the part from offset 0 on, if any.
            let Some(base) = self.base else { return };
            let before = base.diff(SeqNum(seq)) as u64;
            if before == 1 && len <= 1 && !fin {
                return; // keep-alive probe at ISN
            }
            if before < len {
                self.segment(base.0, &payload[before as usize..], missing, fin, emit);
            } else if self.midstream && len > 0 {
                emit(HalfEvent::Anomaly {
                    name: "tcp.before_stream_start",
                    offset: 0,
                });
            }
            return;
        };
        // Keep-alive: zero or one byte at the byte before the next expected.
        if len <= 1 && missing == 0 && !fin && off + 1 == self.next {
            return;
        }
        if off > self.next + MAX_JUMP {
            emit(HalfEvent::Anomaly {
                name: "tcp.seq_far_ahead",
                offset: self.next,
            });
            return;
        }
        let mut data = payload;
        let mut lost = missing as u64;
        let end = off + len + lost;
        self.highest = self.highest.max(end);
        if fin && self.fin.is_none() {
            self.fin = Some(end);
        }
        if let Some(f) = self.fin
            && end > f
        {
            emit(HalfEvent::Anomaly {
                name: "tcp.data_after_fin",
                offset: f,
            });
            // Keep what lies before the FIN.
            let keep = f.saturating_sub(off);
            if keep < len {
                data = &data[..keep as usize];
                lost = 0;
            } else {
                lost = keep - len;
            }
        }
        // Bytes already delivered: compare what history still holds, then drop them.
        if off < self.next {
            let dup = (self.next - off).min(data.len() as u64) as usize;
            if self.differs_from_history(off, &data[..dup]) {
                emit(HalfEvent::Anomaly {
                    name: "tcp.overlap_mismatch",
                    offset: off,
                });
            }
            data = &data[dup..];
            off += dup as u64;
            if data.is_empty() && off < self.next {
                let skip = (self.next - off).min(lost);
                lost -= skip;
                off += skip;
            }
        }
        if !data.is_empty() {
            let clear_ahead = self
                .buffer
                .first_key_value()
                .is_none_or(|(k, _)| *k >= off + data.len() as u64);
            if off == self.next && clear_ahead {
                // The common case: in order, nothing buffered. No copy.
                self.deliver_slice(data, emit);
            } else if self.insert(off, data) {
                emit(HalfEvent::Anomaly {
                    name: "tcp.overlap_mismatch",
                    offset: off,
                });
            }
        }
        if lost > 0 {
            let at = off + data.len() as u64;
            if at >= self.next {
                self.insert_lost(at, lost);
            }
        }
        self.drain(emit);
        self.enforce_limits(emit);
        self.tick(emit);
    }

    /// The peer acknowledged every byte before `ack`: holes below it will never fill.
    pub fn acked(&mut self, ack: u32, emit: &mut dyn FnMut(HalfEvent<'_>)) {
        if self.finished {
            return;
        }
        let Some(mut upto) = self.offset_of(ack) else {
            return;
        };
        if upto <= self.next {
            return;
        }
        if upto > self.next + MAX_JUMP {
            emit(HalfEvent::Anomaly {
                name: "tcp.ack_far_ahead",
                offset: self.next,
            });
            return;
        }
        if let Some(f) = self.fin {
            upto = upto.min(f);
        } else if upto == self.highest + 1 {
            // One past everything seen: the ACK of a FIN the capture missed, not a lost byte.
            // It still acknowledges everything seen (holes included).
            upto = self.highest;
        }
        if upto <= self.next {
            return;
        }
        if upto > self.acked_upto {
            self.acked_upto = upto;
            if self.ack_grace == 0 && self.next < upto {
                self.ack_grace = ACK_GRACE;
            }
        }
    }

    /// Counts one of the sender's segments against the grace given to holes that were
    /// acknowledged past, and gives them up when it runs out.
    fn tick(&mut self, emit: &mut dyn FnMut(HalfEvent<'_>)) {
        if self.next >= self.acked_upto {
            self.ack_grace = 0;
            return;
        }
        if self.ack_grace > 0 {
            self.ack_grace -= 1;
            if self.ack_grace == 0 {
                self.give_up_until(self.acked_upto, GapReason::Acked, emit);
                self.drain(emit);
            }
        }
    }

    /// No more segments will come: every hole becomes a gap, everything buffered is
    /// delivered, and a pending FIN is reported. Bytes the peer acknowledged past everything
    /// captured are a gap too (`Acked`): they were sent, the capture missed them.
    pub fn finish(&mut self, reason: GapReason, emit: &mut dyn FnMut(HalfEvent<'_>)) {
        if self.finished {
            return;
        }
        let end = self
            .buffered_end()
            .max(self.fin.unwrap_or(0))
            .max(self.acked_upto);
        self.give_up_holes_until(end, reason, emit);
        self.finished = true;
        self.buffer.clear();
        self.buffered = 0;
        self.history = VecDeque::new();
    }

    /// Whether a hole lies before a point the peer acknowledged (and is waiting out its grace).
    pub fn has_acked_hole(&self) -> bool {
        !self.finished && self.next < self.acked_upto
    }

    /// Gives up the holes the peer acknowledged past, now (the caller decided the grace is
    /// over, e.g. by capture time), and delivers what was buffered behind them.
    pub fn give_up_acked_holes(&mut self, emit: &mut dyn FnMut(HalfEvent<'_>)) {
        if self.has_acked_hole() {
            self.ack_grace = 0;
            self.give_up_until(self.acked_upto, GapReason::Acked, emit);
            self.drain(emit);
        }
    }

    /// Gives up every hole (the connection went quiet: what is missing is not coming) and
    /// delivers what was buffered behind them. Unlike [`HalfStream::finish`], the stream stays
    /// open: later segments carry on at their offsets.
    pub fn give_up_holes(&mut self, reason: GapReason, emit: &mut dyn FnMut(HalfEvent<'_>)) {
        if !self.finished {
            self.give_up_holes_until(self.buffered_end(), reason, emit);
        }
    }

    /// The offset just past the last buffered byte (or `next` when nothing is buffered).
    fn buffered_end(&self) -> u64 {
        self.buffer
            .last_key_value()
            .map(|(k, c)| k + c.len())
            .unwrap_or(self.next)
    }

    /// Gives up the holes before `end`: those the peer acknowledged past as `Acked`, the rest
    /// with `reason`; delivers what lies between them, and the FIN if reached.
    fn give_up_holes_until(
        &mut self,
        end: u64,
        reason: GapReason,
        emit: &mut dyn FnMut(HalfEvent<'_>),
    ) {
        self.give_up_until(self.acked_upto.min(end), GapReason::Acked, emit);
        self.give_up_until(end, reason, emit);
        self.drain(emit);
    }

    /// Reports the holes before `upto` as gaps and delivers the chunks between them.
    fn give_up_until(&mut self, upto: u64, reason: GapReason, emit: &mut dyn FnMut(HalfEvent<'_>)) {
        while self.next < upto {
            match self.buffer.first_key_value().map(|(k, _)| *k) {
                Some(k) if k == self.next => self.drain(emit),
                Some(k) => self.gap(k.min(upto) - self.next, reason, emit),
                None => self.gap(upto - self.next, reason, emit),
            }
        }
    }

    fn gap(&mut self, len: u64, reason: GapReason, emit: &mut dyn FnMut(HalfEvent<'_>)) {
        if len == 0 {
            return;
        }
        emit(HalfEvent::Gap {
            offset: self.next,
            len,
            reason,
        });
        self.next += len;
        self.history.clear();
    }

    fn deliver_slice(&mut self, data: &[u8], emit: &mut dyn FnMut(HalfEvent<'_>)) {
        emit(HalfEvent::Data {
            offset: self.next,
            bytes: data,
        });
        self.next += data.len() as u64;
        let keep = data.len().min(HISTORY);
        let overflow = (self.history.len() + keep).saturating_sub(HISTORY);
        self.history.drain(..overflow);
        self.history.extend(&data[data.len() - keep..]);
    }

    /// Delivers the chunks that start at `next`, then the FIN if it is reached.
    fn drain(&mut self, emit: &mut dyn FnMut(HalfEvent<'_>)) {
        while let Some(entry) = self.buffer.first_entry() {
            if *entry.key() != self.next {
                break;
            }
            match entry.remove() {
                Chunk::Data(d) => {
                    self.buffered -= d.len();
                    self.deliver_slice(&d, emit);
                }
                Chunk::Lost(n) => self.gap(n, GapReason::Truncated, emit),
            }
        }
        if let Some(f) = self.fin
            && !self.fin_reported
            && self.next >= f
        {
            self.fin_reported = true;
            emit(HalfEvent::Fin { offset: f });
        }
    }

    /// Whether `bytes` at `off` (all before `next`) differ from the delivered bytes still held.
    fn differs_from_history(&self, off: u64, bytes: &[u8]) -> bool {
        let start = self.next - self.history.len() as u64;
        bytes.iter().enumerate().any(|(i, b)| {
            let at = off + i as u64;
            at >= start
                && self
                    .history
                    .get((at - start) as usize)
                    .is_some_and(|h| h != b)
        })
    }

    /// Buffers `data` at `off` (> next) where nothing is buffered yet; what overlaps buffered
    /// bytes is compared and dropped (first copy wins). Returns whether any byte differed.
    fn insert(&mut self, off: u64, data: &[u8]) -> bool {
        let end = off + data.len() as u64;
        let mut mismatch = false;
        let mut cursor = off;
        let mut pieces: Vec<(u64, u64)> = Vec::new();
        let first = self
            .buffer
            .range(..=off)
            .next_back()
            .map(|(k, _)| *k)
            .unwrap_or(off);
        for (&k, chunk) in self.buffer.range(first..end) {
            let ck_end = k + chunk.len();
            if ck_end <= cursor {
                continue;
            }
            if k > cursor {
                pieces.push((cursor, k));
            }
            if let Chunk::Data(d) = chunk {
                let lo = k.max(off);
                let hi = ck_end.min(end);
                if lo < hi
                    && d[(lo - k) as usize..(hi - k) as usize]
                        != data[(lo - off) as usize..(hi - off) as usize]
                {
                    mismatch = true;
                }
            }
            cursor = cursor.max(ck_end);
        }
        if cursor < end {
            pieces.push((cursor, end));
        }
        for (s, e) in pieces {
            let bytes = data[(s - off) as usize..(e - off) as usize].to_vec();
            self.buffered += bytes.len();
            self.buffer.insert(s, Chunk::Data(bytes));
        }
        mismatch
    }

    /// Records `n` uncaptured bytes at `off`, where nothing else is known.
    fn insert_lost(&mut self, off: u64, n: u64) {
        let end = off + n;
        let overlaps = self
            .buffer
            .range(..end)
            .next_back()
            .is_some_and(|(k, c)| k + c.len() > off);
        if !overlaps {
            self.buffer.insert(off, Chunk::Lost(n));
        }
    }

    /// Past a cap, gives up the first hole (and delivers what follows it) until under it.
    fn enforce_limits(&mut self, emit: &mut dyn FnMut(HalfEvent<'_>)) {
        let mut warned = false;
        while self.buffered > self.limits.max_buffered
            || self.buffer.len() > self.limits.max_segments
        {
            let Some(&k) = self.buffer.keys().next() else {
                break;
            };
            if !warned {
                emit(HalfEvent::Anomaly {
                    name: "tcp.buffer_full",
                    offset: self.next,
                });
                warned = true;
            }
            self.gap(k - self.next, GapReason::Capacity, emit);
            self.drain(emit);
        }
    }
}

#[cfg(test)]
mod tests;
