//! The table of tracked connections: one entry per TCP 4-tuple, each with its two
//! reassembled directions, least recently active first, swept for idle holes.
//!
//! Why a module of its own: this is the flow layer's bookkeeping (entries, ids, LRU, sweeps,
//! candidates' replay, closing), apart from the policy that decides sides and MSN-ness
//! (`policy`), the candidates' sniffing (`candidate`) and the announced addresses
//! (`expect`). Guarantees are those of the flow module (see its documentation): ids in order
//! of first being MSN, at most `max_connections` entries, every byte delivered or reported as
//! a gap, everything flushed and closed in id order at the end. A finished entry keeps only a
//! small tombstone ([`Tomb`]), so memory does not grow with the connections that have ended.

use super::candidate::{self, Held, Verdict};
use super::clock::CaptureClock;
use super::config::{ACK_GRACE_TIME, FlowConfig, SWEEP_INTERVAL};
use super::events::{
    At, Closing, Detection, ExpectedKind, FlowEvent, FlowId, FlowSummary, Opening, deliver,
};
use super::expect::{Expectation, Expected};
use super::policy;
use crate::Direction;
use crate::bounded::Holdings;
use crate::capture::Membership;
use crate::net::TcpSegment;
use crate::reassembly::{GapReason, HalfEvent, HalfStream};
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::time::Duration;

/// Entries looked at, oldest first, for a dead one to evict before a live MSN connection.
/// Bounded so that eviction costs the same however full the table is.
pub const EVICTION_SCAN: usize = 256;

/// Normalised 4-tuple: the smaller endpoint first, so both directions find the same entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key(SocketAddr, SocketAddr);

/// Hashed as two writes (both addresses folded into 128 bits, both ports into 32) instead of
/// the eight of the tuple's derived hash: the table is looked up several times a packet.
/// Equality stays exact, so keys that fold alike only share a bucket.
impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        fn bits(a: &SocketAddr) -> u128 {
            match a.ip() {
                std::net::IpAddr::V4(ip) => u128::from(u32::from(ip)),
                std::net::IpAddr::V6(ip) => u128::from(ip),
            }
        }
        h.write_u128(bits(&self.0) ^ bits(&self.1).rotate_left(64));
        h.write_u32(u32::from(self.0.port()) << 16 | u32::from(self.1.port()));
    }
}

fn key_of(a: SocketAddr, b: SocketAddr) -> Key {
    if a <= b { Key(a, b) } else { Key(b, a) }
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    /// Not yet known to be MSN: waiting for the first bytes.
    Candidate,
    /// An MSN connection with this id.
    Msn,
}

/// What the table keeps of a finished entry (a closed MSN connection, or one found not to be
/// MSN): enough to absorb its stray packets (a last ACK, a retransmitted FIN) until a new SYN
/// reuses the tuple, to keep its place in the LRU and to expire it. A [`Conn`] is about 700
/// bytes with its two streams; a tombstone is a small fraction of that, so a table full of
/// finished connections (the usual state past the first few hundred megabytes of a busy
/// capture) holds no more memory than one that has just started filling.
#[derive(Debug)]
struct Tomb {
    tick: u64,
    slot: u32,
    /// Whether it was an MSN connection (its late packets still count as MSN).
    msn: bool,
    /// When (capture clock) it last had a packet.
    active_at: Duration,
}

struct Conn {
    state: State,
    client: SocketAddr,
    server: SocketAddr,
    /// Whether `client`/`server` were settled by a port, an announcement or a SYN (rather than
    /// by who happened to send first).
    sides_known: bool,
    halves: [HalfStream; 2],
    /// Since when (capture clock) each direction has had a hole its peer acknowledged past.
    acked_hole_since: [Option<Duration>; 2],
    fin: [bool; 2],
    client_isn: Option<u32>,
    /// Candidate only: the packets waited so far.
    sniff_packets: u32,
    /// Candidate only: what must be replayed once the connection is known to be MSN.
    held: Vec<Held>,
    tick: u64,
    /// Its number in [`FlowTable::slots`].
    slot: u32,
    /// When (capture clock) the connection last had a packet. Unlike `summary.last_ts`, which
    /// is the packet's own stamp, this never runs backwards along the LRU order.
    active_at: Duration,
    idle_flushed: bool,
    summary: FlowSummary,
    /// Bytes each direction's stream held when last counted for the memcap.
    counted: [usize; 2],
}

/// The connections in order of last activity, least recent first: a queue of `(tick, key)`
/// pairs (the key a connection's [`Slots`] number), a pair added at the back each time a
/// connection becomes the most recent. A pair is current while its tick is still its
/// connection's ([`Conn::tick`]); the others (the
/// connection was active again later, or is gone) are skipped where they are met and all
/// dropped once they outnumber the table, so the queue holds at most about twice the
/// connections and costs O(1) amortized per packet. (A `BTreeMap` from tick to key cost a
/// removal and an insertion per packet, about 3 % of all the instructions of `stats`.)
/// Ticks only grow, so the queue is in tick order and can be searched by tick.
struct Lru<K> {
    queue: VecDeque<(u64, K)>,
}

impl<K> Default for Lru<K> {
    fn default() -> Self {
        Lru {
            queue: VecDeque::new(),
        }
    }
}

/// Stale pairs tolerated beyond the table's size before the queue is compacted.
const LRU_SLACK: usize = 1024;

/// Entries from which the tables are made big enough for a full table
/// ([`FlowTable::presize`]): a small capture (and each run of the fuzzers) never pays for a
/// big one.
const PRESIZE_FROM: usize = 256;

type Conns = foldhash::HashMap<Key, Box<Conn>>;
type Tombs = foldhash::HashMap<Key, Tomb>;

/// Each connection's LRU tick and key under a small number of its own (its slot): what the
/// [`Lru`]'s pairs name, so that telling a current pair from a stale one reads an array
/// instead of hashing the key (those lookups were about 2 % of the instructions of `stats`).
///
/// Guarantees: a connection of the table holds one slot, from its insertion to its removal;
/// a free slot's tick is 0, which no pair has (ticks start at 1), and a slot used again gets
/// new ticks, so a pair left from its previous connection is never current. There are never
/// more slots than connections the table held at once.
#[derive(Default)]
struct Slots {
    /// `(tick, key)` by slot.
    entries: Vec<(u64, Key)>,
    free: Vec<u32>,
}

impl Slots {
    /// A slot for `key`, with no tick yet.
    fn take(&mut self, key: Key) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                self.entries[slot as usize] = (0, key);
                slot
            }
            None => {
                self.entries.push((0, key));
                // The table's size is a `usize` far below 2^32 connections.
                u32::try_from(self.entries.len() - 1).unwrap_or(u32::MAX)
            }
        }
    }

    fn release(&mut self, slot: u32) {
        if let Some(e) = self.entries.get_mut(slot as usize) {
            e.0 = 0;
            self.free.push(slot);
        }
    }

    fn set_tick(&mut self, slot: u32, tick: u64) {
        if let Some(e) = self.entries.get_mut(slot as usize) {
            e.0 = tick;
        }
    }

    /// The tick of the connection in `slot`, if one is there: what [`Lru`] checks pairs
    /// against.
    fn tick_of(&self) -> impl Fn(&u32) -> Option<u64> + '_ {
        |slot| {
            self.entries
                .get(*slot as usize)
                .map(|e| e.0)
                .filter(|t| *t != 0)
        }
    }

    /// The key of the connection in `slot`.
    fn key(&self, slot: u32) -> Option<Key> {
        self.entries.get(slot as usize).map(|e| e.1)
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.free.clear();
    }
}

impl<K: Copy> Lru<K> {
    /// `key` became the most recent at `tick` (greater than every tick given before).
    fn push(&mut self, tick: u64, key: K) {
        debug_assert!(self.queue.back().is_none_or(|(t, _)| *t < tick));
        self.queue.push_back((tick, key));
    }

    /// Drops the stale pairs when they outnumber the current ones by [`LRU_SLACK`]: called
    /// after each [`Lru::push`], with the number of connections and each one's tick.
    fn compact(&mut self, table: usize, tick_of: impl Fn(&K) -> Option<u64>) {
        if self.queue.len() > 2 * table + LRU_SLACK {
            self.queue.retain(|(t, k)| tick_of(k) == Some(*t));
        }
    }

    /// The least recently active connection, the stale pairs before it dropped.
    fn front(&mut self, tick_of: impl Fn(&K) -> Option<u64>) -> Option<(u64, K)> {
        while let Some(&(tick, key)) = self.queue.front() {
            if tick_of(&key) == Some(tick) {
                return Some((tick, key));
            }
            self.queue.pop_front();
        }
        None
    }

    /// The current pairs with a tick of at least `from`, least recent first.
    fn current<'a>(
        &'a self,
        from: u64,
        tick_of: impl Fn(&K) -> Option<u64> + 'a,
    ) -> impl Iterator<Item = (u64, K)> + 'a {
        let start = self.queue.partition_point(|(t, _)| *t < from);
        self.queue
            .range(start..)
            .filter(move |(t, k)| tick_of(k) == Some(*t))
            .copied()
    }

    fn clear(&mut self) {
        self.queue.clear();
    }
}

/// The table of tracked connections.
pub struct FlowTable {
    config: FlowConfig,
    /// Keyed by addresses a sender chooses: foldhash's per-process random seed keeps
    /// collisions unpredictable, at a fraction of SipHash's cost.
    conns: Conns,
    /// Finished entries, apart from the live ones: a key is in one map or the other, and the
    /// two together hold at most `max_connections`.
    tombs: Tombs,
    /// Least recently active first.
    lru: Lru<u32>,
    /// The connections' slots, which the LRU's pairs name.
    slots: Slots,
    tick: u64,
    next_id: u64,
    expected: Expected,
    clock: CaptureClock,
    /// When (capture clock) the idle sweep last ran.
    last_sweep: Duration,
    /// The LRU tick up to which the idle sweep has handled every entry.
    swept_until: u64,
    /// Entries the idle sweep has handled in all (its cost, for tests).
    pub(crate) sweep_work: u64,
    /// What each direction's stream holds (out-of-order bytes, the history retransmissions
    /// are compared against), oldest holder first: the memcap takes the oldest first.
    holdings: Holdings<(Key, usize)>,
}

impl FlowTable {
    pub fn new(config: FlowConfig) -> FlowTable {
        FlowTable {
            conns: foldhash::HashMap::default(),
            tombs: foldhash::HashMap::default(),
            lru: Lru::default(),
            slots: Slots::default(),
            config,
            tick: 0,
            next_id: 1,
            expected: Expected::default(),
            clock: CaptureClock::new(),
            last_sweep: Duration::ZERO,
            swept_until: 0,
            sweep_work: 0,
            holdings: Holdings::default(),
        }
    }

    /// Bytes held by all connections' streams, out-of-order bytes and retransmission history
    /// (what `memcap` bounds).
    pub fn buffered_bytes(&self) -> usize {
        self.holdings.total()
    }

    /// Counts a connection's buffers again after they changed.
    fn count(&mut self, key: Key) {
        let Some(conn) = self.conns.get_mut(&key) else {
            return;
        };
        for d in 0..2 {
            let now = conn.halves[d].held_bytes();
            let before = std::mem::replace(&mut conn.counted[d], now);
            self.holdings.change((key, d), before, now);
        }
    }

    /// Counts a connection's buffers from scratch (its directions were swapped or its
    /// streams replaced).
    fn recount(&mut self, key: Key) {
        let Some(conn) = self.conns.get_mut(&key) else {
            return;
        };
        for d in 0..2 {
            let before = std::mem::take(&mut conn.counted[d]);
            self.holdings.change((key, d), before, 0);
        }
        self.count(key);
    }

    /// Forgets a connection's buffers (it is being removed).
    fn uncount(&mut self, conn: &Conn, key: Key) {
        for d in 0..2 {
            self.holdings.change((key, d), conn.counted[d], 0);
        }
    }

    /// While all connections hold more than the memcap, the oldest buffer is given up.
    fn enforce_memcap(&mut self, at: At, emit: &mut dyn FnMut(FlowEvent<'_>)) {
        while self.holdings.total() > self.config.memcap {
            let Some((key, d)) = self.holdings.pop_oldest() else {
                return;
            };
            let dir = if d == 0 {
                Direction::ClientToServer
            } else {
                Direction::ServerToClient
            };
            let Some(conn) = self.conns.get_mut(&key) else {
                continue;
            };
            // Out of the list: `count` below sees it as new if anything is left.
            self.holdings.released(std::mem::take(&mut conn.counted[d]));
            // The bytes waiting behind a hole are given up (delivered after a gap), then the
            // room kept for comparing retransmissions is let go, silently.
            let waiting = conn.halves[d].buffered_bytes();
            if waiting > 0 && conn.state == State::Candidate {
                self.decide(key, true, emit);
            }
            if waiting > 0
                && let Some(conn) = self.conns.get_mut(&key)
                && conn.state == State::Msn
            {
                emit(FlowEvent::Anomaly {
                    flow: Some(conn.summary.id),
                    at,
                    dir: Some(dir),
                    name: "stream.memcap",
                    detail: format!(
                        "{waiting} bytes waiting behind a hole given up: all connections \
                         together held more than the memcap ({} bytes)",
                        self.config.memcap
                    ),
                });
                *conn.summary.anomalies.entry("stream.memcap").or_default() += 1;
                let Conn {
                    halves,
                    summary,
                    fin,
                    ..
                } = &mut **conn;
                halves[d].give_up_holes(GapReason::Capacity, &mut |ev| {
                    deliver(summary, fin, at, dir, ev, emit)
                });
            }
            if let Some(conn) = self.conns.get_mut(&key) {
                conn.halves[d].forget_history();
            }
            self.count(key);
        }
    }

    /// Number of MSN connections seen so far.
    pub fn msn_connections(&self) -> u64 {
        self.next_id - 1
    }

    /// Remembers that the protocol announced a connection to `e.server`. A later connection to
    /// that address is MSN, and that endpoint is its server. Addresses stay expected (several
    /// switchboard sessions often share one address) until [`MAX_EXPECTED`](super::MAX_EXPECTED)
    /// newer ones push them out; one pushed out before any connection came to it is reported
    /// as `flow.expectation_evicted` (a connection to it can now only be recognised by its
    /// content).
    pub fn expect(&mut self, e: Expectation, at: At, emit: &mut dyn FnMut(FlowEvent<'_>)) {
        if let Some(old) = self.expected.insert(e) {
            let kind = match old.kind {
                ExpectedKind::Switchboard => "switchboard",
                ExpectedKind::FileTransfer => "file transfer",
                ExpectedKind::Notification => "notification server",
            };
            let detail = format!(
                "forgot {} (a {kind} announced by connection {}) to make room for newer \
                 announcements; a connection to it is now recognised by its content only",
                old.server, old.announced_by
            );
            self.anomaly(at, "flow.expectation_evicted", detail, emit);
        }
    }

    /// Reports a frame that could not be decoded into a TCP segment.
    pub fn net_anomaly(&mut self, at: At, name: &'static str, emit: &mut dyn FnMut(FlowEvent<'_>)) {
        self.anomaly(at, name, String::new(), emit);
    }

    /// Reports something odd that belongs to no connection (a capture source's notice).
    pub fn anomaly(
        &mut self,
        at: At,
        name: &'static str,
        detail: String,
        emit: &mut dyn FnMut(FlowEvent<'_>),
    ) {
        emit(FlowEvent::Anomaly {
            flow: None,
            at,
            dir: None,
            name,
            detail,
        });
    }

    /// What the table made of the connection between `a` and `b` so far: MSN, still
    /// undecided, or neither (not MSN, or not tracked). A closed MSN connection still counts as
    /// MSN while its tombstone lasts, so its last ACKs go with it.
    pub fn membership(&self, a: SocketAddr, b: SocketAddr) -> Membership {
        let key = key_of(a, b);
        match (self.conns.get(&key), self.tombs.get(&key)) {
            (Some(c), _) if c.state == State::Msn => Membership::Msn((key.0, key.1)),
            (Some(_), _) => Membership::Undecided((key.0, key.1)),
            (None, Some(t)) if t.msn => Membership::Msn((key.0, key.1)),
            _ => Membership::Other(Some((key.0, key.1))),
        }
    }

    /// Feeds one TCP segment.
    pub fn segment(&mut self, seg: &TcpSegment<'_>, emit: &mut dyn FnMut(FlowEvent<'_>)) {
        let at = At {
            frame: seg.index,
            ts: seg.ts,
        };
        let now = self.clock.observe(seg.ts);
        self.sweep_idle(at, now, emit);
        let key = key_of(seg.src, seg.dst);
        let bare_syn = seg.flags.syn() && !seg.flags.ack();

        // Port reuse: a new SYN on a finished tuple, or a SYN with another ISN on a live one.
        if bare_syn {
            let reused = match self.conns.get(&key) {
                Some(conn) => {
                    conn.client_isn.is_some_and(|isn| isn != seg.seq) || conn.client != seg.src
                }
                None => self.tombs.contains_key(&key),
            };
            if reused {
                self.remove(key, at, Closing::Open, emit);
            }
        }
        if !self.conns.contains_key(&key) {
            // A finished entry absorbs the packet: to the back of the LRU, and nothing else.
            // (Looked for only when no live entry has the key: a key is in one map or the
            // other, and most packets are a live connection's.)
            if let Some(tomb) = self.tombs.get_mut(&key) {
                tomb.active_at = now;
                if tomb.tick != self.tick || tomb.tick <= self.swept_until {
                    self.tick += 1;
                    tomb.tick = self.tick;
                    self.slots.set_tick(tomb.slot, self.tick);
                    self.lru.push(self.tick, tomb.slot);
                }
                self.lru.compact(self.entries(), self.slots.tick_of());
                return;
            }
            if self.entries() >= self.config.max_connections {
                self.evict_oldest(at, emit);
            } else if self.entries() == PRESIZE_FROM {
                self.presize();
            }
            let mut conn = self.new_conn(seg, at, now);
            conn.slot = self.slots.take(key);
            self.conns.insert(key, Box::new(conn));
            if self.conns[&key].state == State::Msn {
                self.open(key, at, emit);
            }
        }

        let Some(conn) = self.conns.get_mut(&key) else {
            return;
        };
        // To the back of the LRU, unless it is there already (the previous packet was this
        // connection's too) and no sweep has handled it since.
        if conn.tick != self.tick || conn.tick <= self.swept_until {
            self.tick += 1;
            conn.tick = self.tick;
            self.slots.set_tick(conn.slot, self.tick);
            self.lru.push(self.tick, conn.slot);
        }
        conn.idle_flushed = false;
        let dir = if seg.src == conn.client {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        conn.active_at = now;
        let s = &mut conn.summary;
        s.last_ts = seg.ts;
        match dir {
            Direction::ClientToServer => s.client_packets += 1,
            Direction::ServerToClient => s.server_packets += 1,
        }
        if seg.missing > 0 {
            *s.anomalies.entry("capture.truncated").or_default() += 1;
        }

        if bare_syn && dir == Direction::ClientToServer {
            // The client's SYN, even when it shows up after the SYN/ACK.
            conn.summary.opening = Opening::Syn;
        }
        let is_msn = conn.state == State::Msn;
        let Conn {
            halves,
            summary,
            fin,
            held,
            client_isn,
            acked_hole_since,
            ..
        } = &mut **conn;
        // MSN connections pass bytes straight from the packet; candidates hold a copy until
        // they are decided.
        let mut sink = |ev: HalfEvent<'_>, d: Direction| {
            if is_msn {
                deliver(summary, fin, at, d, ev, emit);
            } else {
                held.push(Held::from_half(ev, at, d));
            }
        };
        if seg.flags.syn() {
            halves[dir.index()].syn(seg.seq);
            if dir == Direction::ClientToServer && !seg.flags.ack() {
                *client_isn = Some(seg.seq);
            }
        }
        if seg.flags.ack() {
            let peer = dir.reverse();
            halves[peer.index()].acked(seg.ack, &mut |ev| sink(ev, peer));
        }
        if !seg.payload.is_empty() || seg.missing > 0 || seg.flags.fin() {
            // Data on a SYN starts right after the SYN's own sequence number.
            let seq = if seg.flags.syn() {
                seg.seq.wrapping_add(1)
            } else {
                seg.seq
            };
            halves[dir.index()].segment(
                seq,
                seg.payload,
                seg.missing,
                seg.flags.fin(),
                &mut |ev| sink(ev, dir),
            );
        }
        // Holes acknowledged past for longer than the grace are not coming.
        for d in [Direction::ClientToServer, Direction::ServerToClient] {
            let since = &mut acked_hole_since[d.index()];
            if !halves[d.index()].has_acked_hole() {
                *since = None;
            } else if let Some(t) = *since {
                if now.saturating_sub(t) >= ACK_GRACE_TIME {
                    halves[d.index()].give_up_acked_holes(&mut |ev| sink(ev, d));
                    *since = None;
                }
            } else {
                *since = Some(now);
            }
        }
        if seg.flags.rst() {
            for d in [Direction::ClientToServer, Direction::ServerToClient] {
                halves[d.index()].finish(GapReason::Reset, &mut |ev| sink(ev, d));
            }
            summary.reset_by = Some(dir);
        }
        if is_msn {
            // As `count`, without looking the connection up again.
            for d in 0..2 {
                let now = conn.halves[d].held_bytes();
                let before = std::mem::replace(&mut conn.counted[d], now);
                self.holdings.change((key, d), before, now);
            }
        } else {
            conn.sniff_packets += 1;
            self.decide(key, false, emit);
            self.count(key);
        }
        self.lru.compact(self.entries(), self.slots.tick_of());
        if self.holdings.total() > self.config.memcap {
            self.enforce_memcap(at, emit);
        }
        let Some(conn) = self.conns.get(&key) else {
            return;
        };
        if seg.flags.rst() {
            self.close_or_drop(key, at, Closing::Rst, emit);
        } else if conn.state == State::Msn && conn.fin[0] && conn.fin[1] {
            self.close_or_drop(key, at, Closing::Fin, emit);
        }
    }

    /// End of input: every connection is flushed and closed, in id order (candidates that turn
    /// out to be MSN first get their ids, in the order they were first seen).
    pub fn finish(&mut self, at: At, emit: &mut dyn FnMut(FlowEvent<'_>)) {
        // Decide candidates in order of first appearance, so ids stay reproducible.
        let mut candidates: Vec<(u64, Key)> = self
            .conns
            .iter()
            .filter(|(_, c)| c.state == State::Candidate)
            .map(|(k, c)| (c.summary.first_frame, *k))
            .collect();
        candidates.sort();
        for (_, key) in candidates {
            self.decide(key, true, emit);
        }
        let mut open: Vec<(FlowId, Key)> = self
            .conns
            .iter()
            .filter(|(_, c)| c.state == State::Msn)
            .map(|(k, c)| (c.summary.id, *k))
            .collect();
        open.sort();
        for (_, key) in open {
            let closing = match self.conns.get(&key).map(|c| c.fin) {
                Some([true, true]) => Closing::Fin,
                Some([false, false]) => Closing::Open,
                _ => Closing::HalfClosed,
            };
            self.flush(key, at, GapReason::Eof, true, emit);
            self.close_or_drop(key, at, closing, emit);
        }
        self.conns.clear();
        self.tombs.clear();
        self.lru.clear();
        self.slots.clear();
    }

    fn new_conn(&mut self, seg: &TcpSegment<'_>, at: At, now: Duration) -> Conn {
        let policy::Placement {
            client,
            server,
            sides_known,
            detection,
            opening,
        } = policy::place(seg, &self.config.ports, &self.expected);
        if matches!(detection, Some(Detection::Announced { .. })) {
            self.expected.used(&client, &server);
        }
        let state = if detection.is_some() {
            State::Msn
        } else {
            State::Candidate
        };
        Conn {
            state,
            client,
            server,
            sides_known,
            halves: [
                HalfStream::new(self.config.limits),
                HalfStream::new(self.config.limits),
            ],
            acked_hole_since: [None; 2],
            fin: [false; 2],
            client_isn: None,
            sniff_packets: 0,
            held: Vec::new(),
            tick: 0,
            slot: 0,
            active_at: now,
            idle_flushed: false,
            counted: [0; 2],
            summary: FlowSummary {
                id: FlowId(0),
                client,
                server,
                first_ts: at.ts,
                last_ts: at.ts,
                first_frame: at.frame,
                detection: detection.unwrap_or(Detection::Content),
                opening,
                closing: Closing::Open,
                reset_by: None,
                client_packets: 0,
                server_packets: 0,
                client_bytes: 0,
                server_bytes: 0,
                gap_count: 0,
                gap_bytes: 0,
                gaps: Vec::new(),
                anomalies: BTreeMap::new(),
            },
        }
    }

    /// Gives the connection its id and announces it.
    fn open(&mut self, key: Key, at: At, emit: &mut dyn FnMut(FlowEvent<'_>)) {
        let id = self.next_id;
        let Some(conn) = self.conns.get_mut(&key) else {
            return;
        };
        self.next_id += 1;
        conn.state = State::Msn;
        conn.summary.id = FlowId(id);
        conn.summary.client = conn.client;
        conn.summary.server = conn.server;
        emit(FlowEvent::Opened {
            flow: FlowId(id),
            at,
            client: conn.client,
            server: conn.server,
            detection: &conn.summary.detection,
            opening: conn.summary.opening,
        });
    }

    /// Decides whether a candidate is MSN from its first bytes. With `last`, no more bytes
    /// will come, so an undecided candidate is dropped.
    fn decide(&mut self, key: Key, last: bool, emit: &mut dyn FnMut(FlowEvent<'_>)) {
        self.decide_inner(key, last, emit);
        self.recount(key);
    }

    fn decide_inner(&mut self, key: Key, last: bool, emit: &mut dyn FnMut(FlowEvent<'_>)) {
        let Some(conn) = self.conns.get_mut(&key) else {
            return;
        };
        let verdict = candidate::verdict(&conn.held, conn.sniff_packets, last, self.config.sniff);
        match verdict {
            Verdict::Wait => {}
            Verdict::NotMsn => self.bury(key),
            Verdict::Msn(dir) => {
                // The sender of the MSNP command is the client, unless a SYN said otherwise.
                let swap = policy::content_swaps_sides(dir, conn.sides_known);
                if swap {
                    std::mem::swap(&mut conn.client, &mut conn.server);
                    conn.halves.swap(0, 1);
                    conn.fin.swap(0, 1);
                    let s = &mut conn.summary;
                    std::mem::swap(&mut s.client_packets, &mut s.server_packets);
                    for h in &mut conn.held {
                        h.reverse();
                    }
                }
                let held = std::mem::take(&mut conn.held);
                let first = At {
                    frame: conn.summary.first_frame,
                    ts: conn.summary.first_ts,
                };
                self.open(key, first, emit);
                if let Some(conn) = self.conns.get_mut(&key) {
                    for h in &held {
                        let (at, dir, ev) = h.as_half();
                        deliver(&mut conn.summary, &mut conn.fin, at, dir, ev, emit);
                    }
                }
            }
        }
    }

    /// Gives up every hole of both directions of an MSN connection.
    /// With `close`, the streams end; without, only their holes are given up.
    fn flush(
        &mut self,
        key: Key,
        at: At,
        reason: GapReason,
        close: bool,
        emit: &mut dyn FnMut(FlowEvent<'_>),
    ) {
        if let Some(conn) = self.conns.get_mut(&key)
            && conn.state == State::Msn
        {
            let Conn {
                halves,
                summary,
                fin,
                ..
            } = &mut **conn;
            for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                let mut sink = |ev: HalfEvent<'_>| deliver(summary, fin, at, dir, ev, emit);
                if close {
                    halves[dir.index()].finish(reason, &mut sink);
                } else {
                    halves[dir.index()].give_up_holes(reason, &mut sink);
                }
            }
        }
        self.count(key);
    }

    /// Closes an MSN connection (keeping a tombstone that absorbs stray packets until a new
    /// SYN reuses the tuple), or just marks a candidate done.
    fn close_or_drop(
        &mut self,
        key: Key,
        at: At,
        closing: Closing,
        emit: &mut dyn FnMut(FlowEvent<'_>),
    ) {
        let Some(conn) = self.conns.get_mut(&key) else {
            return;
        };
        if conn.state == State::Msn {
            conn.summary.closing = closing;
            emit(FlowEvent::Closed {
                at,
                summary: &conn.summary,
            });
        }
        self.bury(key);
    }

    /// Replaces a live entry by its tombstone: its streams, held packets and summary go, and
    /// their bytes leave the memcap's count; its slot and LRU place stay.
    fn bury(&mut self, key: Key) {
        let Some(conn) = self.conns.remove(&key) else {
            return;
        };
        self.uncount(&conn, key);
        let tomb = Tomb {
            tick: conn.tick,
            slot: conn.slot,
            msn: conn.summary.id != FlowId(0),
            active_at: conn.active_at,
        };
        self.tombs.insert(key, tomb);
    }

    /// Makes the tables that grow with the entries as big as a full table needs, once the
    /// table holds [`PRESIZE_FROM`] entries: memory is taken from the system only as it is
    /// touched, and a full table then neither doubles on the way (the old and the new copy
    /// both held at once) nor, for the tombstones, which come and go all the time, doubles
    /// again to clear the markers their removals leave (a hash map rehashes in place only
    /// while at most half full).
    fn presize(&mut self) {
        let max = self.config.max_connections;
        let tombs = max.saturating_mul(2);
        self.tombs.reserve(tombs.saturating_sub(self.tombs.len()));
        let lru = tombs.saturating_add(LRU_SLACK);
        self.lru
            .queue
            .reserve(lru.saturating_sub(self.lru.queue.len()));
        self.slots
            .entries
            .reserve(max.saturating_sub(self.slots.entries.len()));
    }

    /// Entries of both kinds, live and finished.
    fn entries(&self) -> usize {
        self.conns.len() + self.tombs.len()
    }

    /// When (capture clock) the entry for `key`, live or finished, last had a packet.
    fn active_at(&self, key: &Key) -> Option<Duration> {
        match self.conns.get(key) {
            Some(c) => Some(c.active_at),
            None => self.tombs.get(key).map(|t| t.active_at),
        }
    }

    /// Flushes and forgets a connection.
    fn remove(&mut self, key: Key, at: At, closing: Closing, emit: &mut dyn FnMut(FlowEvent<'_>)) {
        if self
            .conns
            .get(&key)
            .is_some_and(|c| c.state == State::Candidate)
        {
            self.decide(key, true, emit);
        }
        if self.conns.get(&key).is_some_and(|c| c.state == State::Msn) {
            self.flush(key, at, GapReason::Evicted, true, emit);
            self.close_or_drop(key, at, closing, emit);
        }
        self.forget(key);
    }

    /// Takes an entry out of the table: its slot and its buffers' count go with it.
    fn forget(&mut self, key: Key) {
        if let Some(conn) = self.conns.remove(&key) {
            self.slots.release(conn.slot);
            self.uncount(&conn, key);
        } else if let Some(tomb) = self.tombs.remove(&key) {
            self.slots.release(tomb.slot);
        }
    }

    /// Checks that every connection holds its own slot, with its tick, and that no other slot
    /// is in use; gives the number of slots (used and free).
    #[cfg(test)]
    pub(crate) fn checked_slots(&self) -> usize {
        let mut used = std::collections::HashSet::new();
        for (key, c) in &self.conns {
            assert_eq!(self.slots.entries[c.slot as usize], (c.tick, *key));
            assert!(used.insert(c.slot), "slot {} held twice", c.slot);
            assert!(
                !self.tombs.contains_key(key),
                "{key:?} both live and finished"
            );
        }
        for (key, t) in &self.tombs {
            assert_eq!(self.slots.entries[t.slot as usize], (t.tick, *key));
            assert!(used.insert(t.slot), "slot {} held twice", t.slot);
        }
        for &slot in &self.slots.free {
            assert!(!used.contains(&slot), "slot {slot} both free and held");
            assert_eq!(self.slots.entries[slot as usize].0, 0);
        }
        assert_eq!(used.len() + self.slots.free.len(), self.slots.entries.len());
        self.slots.entries.len()
    }

    /// Live entries (MSN connections and candidates) and finished ones (tombstones).
    #[cfg(test)]
    pub(crate) fn live_and_finished(&self) -> (usize, usize) {
        (self.conns.len(), self.tombs.len())
    }

    /// The least recently active connection's key.
    fn least_recent(&mut self) -> Option<Key> {
        let (_, slot) = self.lru.front(self.slots.tick_of())?;
        self.slots.key(slot)
    }

    /// Makes room for one entry. Dead entries go first: the least recently active of the
    /// oldest [`EVICTION_SCAN`] entries that is a tombstone (a closed connection, or one found
    /// not to be MSN) or a candidate; only when none of those is dead does the least recently
    /// active live MSN connection go. So a flood of other traffic (65,000 HTTP tombstones)
    /// pushes out its own kind, not a quiet notification-server connection.
    fn evict_oldest(&mut self, at: At, emit: &mut dyn FnMut(FlowEvent<'_>)) {
        let dead = self
            .lru
            .current(0, self.slots.tick_of())
            .take(EVICTION_SCAN)
            .filter_map(|(_, slot)| self.slots.key(slot))
            .find(|k| {
                self.tombs.contains_key(k)
                    || self
                        .conns
                        .get(k)
                        .is_some_and(|c| c.state == State::Candidate)
            });
        if let Some(key) = dead {
            self.remove(key, at, Closing::Evicted, emit);
            return;
        }
        if let Some(key) = self.least_recent() {
            if let Some(c) = self.conns.get_mut(&key)
                && c.state == State::Msn
            {
                *c.summary.anomalies.entry("flow.evicted").or_default() += 1;
            }
            self.remove(key, at, Closing::Evicted, emit);
        }
    }

    /// Gives up the holes of connections quiet for longer than the idle timeout; forgets
    /// finished ones. Runs at most once per [`SWEEP_INTERVAL`] of capture time, by the capture
    /// clock ([`CaptureClock`]), so stray timestamps can neither trigger nor stop it.
    fn sweep_idle(&mut self, at: At, now: Duration, emit: &mut dyn FnMut(FlowEvent<'_>)) {
        if now.saturating_sub(self.last_sweep) < SWEEP_INTERVAL {
            return;
        }
        self.last_sweep = now;
        let silent = |active_at: Duration| now.saturating_sub(active_at);
        // Live runs close what has been silent past `idle_close`: the least recently active
        // entries, from the front of the LRU, as long as they are that old.
        if let Some(limit) = self.config.idle_close {
            while let Some(key) = self.least_recent() {
                let Some(active_at) = self.active_at(&key) else {
                    break;
                };
                if silent(active_at) <= limit {
                    break;
                }
                if self
                    .conns
                    .get(&key)
                    .is_some_and(|c| c.state == State::Candidate)
                {
                    self.decide(key, true, emit);
                }
                if self.conns.get(&key).is_some_and(|c| c.state == State::Msn) {
                    if let Some(c) = self.conns.get_mut(&key) {
                        *c.summary.anomalies.entry("flow.idle_closed").or_default() += 1;
                    }
                    self.flush(key, at, GapReason::Idle, true, emit);
                    self.close_or_drop(key, at, Closing::Idle, emit);
                }
                self.forget(key);
            }
        }
        // Entries past the idle timeout are handled once: MSN connections give up their
        // holes, candidates are decided, tombstones are forgotten. An entry handled stays
        // behind `swept_until` until a packet moves it to the back of the LRU, so each sweep
        // costs what newly expired, not what exists.
        let timeout = self.config.idle_timeout;
        let expired: Vec<(u64, Key)> = self
            .lru
            .current(self.swept_until.saturating_add(1), self.slots.tick_of())
            .filter_map(|(tick, slot)| Some((tick, self.slots.key(slot)?)))
            .take_while(|(_, k)| self.active_at(k).is_none_or(|a| silent(a) > timeout))
            .collect();
        for (tick, key) in expired {
            self.swept_until = tick;
            self.sweep_work += 1;
            if self
                .conns
                .get(&key)
                .is_some_and(|c| c.state == State::Candidate)
            {
                self.decide(key, true, emit);
            }
            match self.conns.get(&key).map(|c| &c.state) {
                Some(State::Msn) => {
                    self.flush(key, at, GapReason::Idle, false, emit);
                    if let Some(c) = self.conns.get_mut(&key) {
                        c.idle_flushed = true;
                    }
                }
                // Decided at last: a candidate is never left waiting.
                Some(State::Candidate) => {}
                // Finished: forgotten. (A connection another entry's handling removed has
                // nothing left to handle.)
                None => self.forget(key),
            }
        }
    }
}

#[cfg(test)]
mod slot_tests {
    use super::{Key, Slots};

    fn key(port: u16) -> Key {
        Key(
            "10.0.0.1:1863".parse().expect("address"),
            std::net::SocketAddr::from(([10, 0, 0, 2], port)),
        )
    }

    #[test]
    fn a_slot_used_again_leaves_no_pair_of_its_last_connection_current() {
        let mut slots = Slots::default();
        let (a, b) = (slots.take(key(1)), slots.take(key(2)));
        assert_ne!(a, b);
        // No tick yet: no pair is current.
        assert_eq!(slots.tick_of()(&a), None);
        slots.set_tick(a, 7);
        assert_eq!(slots.tick_of()(&a), Some(7));
        assert_eq!(slots.key(a), Some(key(1)));
        // Released and taken by another connection: the old pair (7, a) is stale.
        slots.release(a);
        assert_eq!(slots.tick_of()(&a), None);
        let c = slots.take(key(3));
        assert_eq!(c, a, "the free slot is used again");
        slots.set_tick(c, 9);
        assert_ne!(slots.tick_of()(&a), Some(7));
        assert_eq!(slots.key(c), Some(key(3)));
        // Out of range: nothing, never a panic.
        assert_eq!(slots.tick_of()(&99), None);
        assert_eq!(slots.key(99), None);
        slots.release(99);
        assert_eq!(slots.entries.len(), 2);
    }
}

#[cfg(test)]
mod lru_tests {
    use super::{LRU_SLACK, Lru};
    use proptest::prelude::*;
    use std::collections::{BTreeMap, HashMap};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Against a model (a map from tick to key, an entry removed and added on every
        /// touch): the same least recent connection, the same order from any tick, and a
        /// queue that never holds more than twice the largest table and the slack.
        #[test]
        fn the_queue_orders_as_a_map_of_ticks(
            ops in proptest::collection::vec((0u8..12, 0u8..4, 0u64..4000), 1..4000)
        ) {
            let mut lru = Lru::<u8>::default();
            let mut ticks: HashMap<u8, u64> = HashMap::new();
            let mut model: BTreeMap<u64, u8> = BTreeMap::new();
            let (mut tick, mut largest) = (0, 0);
            let len = ops.len();
            for (n, (key, action, from)) in ops.into_iter().enumerate() {
                // Three touches for one removal, so that stale pairs pile up.
                if action > 0 {
                    tick += 1;
                    if let Some(old) = ticks.insert(key, tick) {
                        model.remove(&old);
                    }
                    model.insert(tick, key);
                    largest = largest.max(ticks.len());
                    lru.push(tick, key);
                    lru.compact(ticks.len(), |k| ticks.get(k).copied());
                } else if let Some(old) = ticks.remove(&key) {
                    model.remove(&old);
                }
                let tick_of = |k: &u8| ticks.get(k).copied();
                // From a tick near the back (most of the time) or anywhere.
                let from = if n % 16 == 0 { from } else { tick.saturating_sub(from % 64) };
                let got: Vec<(u64, u8)> = lru.current(from, tick_of).collect();
                let want: Vec<(u64, u8)> = model.range(from..).map(|(t, k)| (*t, *k)).collect();
                prop_assert_eq!(got, want);
                // At the end only, because it also drops the stale pairs at the front.
                if n + 1 == len {
                    let want = model.first_key_value().map(|(t, k)| (*t, *k));
                    prop_assert_eq!(lru.front(tick_of), want);
                }
                prop_assert!(lru.queue.len() <= 2 * largest + LRU_SLACK + 1);
            }
        }
    }
}
