//! Connection tracking: which TCP connections carry MSN traffic, which side is the client,
//! and the two reassembled byte streams of each.
//!
//! Pure and deterministic: TCP segments in (in capture order), [`FlowEvent`]s out, in the same
//! order. Guarantees:
//!
//! - **Ids** are handed out 1, 2, 3... to MSN connections in the order they are first seen to
//!   be MSN (for connections on a known port or an announced address, that is their first
//!   packet). Nothing depends on hash order.
//! - **Which connections.** A connection is MSN when its server is on a configured port
//!   (default 1863), when its server address was announced by the protocol at run time
//!   ([`FlowTable::expect`], fed by the decoder from `XFR ... SB`, `RNG` and file-transfer
//!   invitations), or when the first bytes it carries are plainly an MSNP command
//!   (`VER n MSNPx`, `VER MSNFTP`, `USR n ...`, `ANS n ...`) whatever the port.
//! - **Sides.** The endpoint on a known port or announced address is the server; otherwise
//!   the sender of a bare SYN is the client; otherwise the first sender (for connections found
//!   by their content, the sender of that first command).
//! - **Bounded memory.** At most [`FlowConfig::max_connections`] connections are tracked; the
//!   least recently active one is evicted past that (its holes become gaps, it is closed).
//!   Holes still open after [`FlowConfig::idle_timeout`] of capture time become gaps. Each
//!   direction's out-of-order buffer is capped by [`Limits`]. Memory does not grow with the
//!   size of the capture.
//! - **Every byte accounted for.** Each direction delivers [`FlowEvent::Data`] as soon as
//!   bytes are contiguous and [`FlowEvent::Gap`] for what will never come; at end of input
//!   ([`FlowTable::finish`]) every connection is flushed and closed in id order.

use crate::Direction;
use crate::capture::Timestamp;
use crate::net::TcpSegment;
use crate::reassembly::{GapReason, HalfEvent, HalfStream, Limits};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;

/// Settings of the flow table.
#[derive(Clone, Debug)]
pub struct FlowConfig {
    /// Server ports that mark a connection as MSN.
    pub ports: Vec<u16>,
    /// Per-direction reassembly bounds.
    pub limits: Limits,
    /// Connections tracked at once (MSN, candidates and recently closed ones).
    pub max_connections: usize,
    /// Capture time after which a quiet connection's open holes are given up, in nanoseconds.
    pub idle_timeout: i64,
}

/// Default number of tracked connections: far above any real MSN capture's concurrency, and
/// small enough (a few hundred bytes each without buffered data) to stay in tens of megabytes.
pub const MAX_CONNECTIONS: usize = 65_536;

/// Default idle timeout: MSN clients ping the NS about once a minute, so five minutes of silence
/// means the missing bytes are not coming.
pub const IDLE_TIMEOUT_SECS: i64 = 300;

/// Capture time after which a hole the peer acknowledged past is given up, whatever the
/// sender does. Mirror ports show an ACK ahead of its data by microseconds to milliseconds;
/// a segment the capture really lost leaves the bytes after it waiting, and with them, say,
/// the `XFR ... SB` reply that announces the next connection.
pub const ACK_GRACE_NANOS: i128 = 500_000_000;

/// Announced addresses remembered at once; the oldest is forgotten past that.
pub const MAX_EXPECTED: usize = 4096;

/// Gaps listed per connection in its summary (all are counted; only these are itemised).
pub const MAX_LISTED_GAPS: usize = 256;

/// Bytes of a candidate connection's first data kept to recognise an MSNP command. The
/// longest opening we look for (`VER 1 MSNP18 MSNP17 ... CVR0`) fits easily.
const SNIFF_BYTES: usize = 256;

/// Candidate connections give up after this many packets without a decision.
const SNIFF_PACKETS: u32 = 16;

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            ports: vec![1863],
            limits: Limits::default(),
            max_connections: MAX_CONNECTIONS,
            idle_timeout: IDLE_TIMEOUT_SECS * 1_000_000_000,
        }
    }
}

/// What kind of connection an announcement promises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedKind {
    /// A switchboard, from `XFR ... SB` or `RNG`.
    Switchboard,
    /// An MSNFTP file transfer, from an invitation's `IP-Address`/`Port`.
    FileTransfer,
    /// A notification server, from `XFR ... NS`.
    Notification,
}

/// A connection the protocol said would come.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// The address the client will connect to.
    pub server: SocketAddr,
    pub kind: ExpectedKind,
    /// The connection that announced it.
    pub announced_by: u64,
    /// The cookie the client will present, when the announcement carried one.
    pub cookie: Option<String>,
}

/// Why a connection was taken to be MSN.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Detection {
    /// The server is on a configured port.
    Port { port: u16 },
    /// The server address was announced on another connection.
    Announced {
        kind: ExpectedKind,
        announced_by: u64,
    },
    /// The first bytes were an MSNP command.
    Content,
}

/// How a connection was first seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Opening {
    /// The client's SYN was captured.
    Syn,
    /// Only the server's SYN/ACK was captured.
    SynAck,
    /// No SYN: the capture started in the middle of the connection.
    Midstream,
}

/// How a connection ended (or did not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Closing {
    /// Both sides sent FIN.
    Fin,
    /// Only one side sent FIN before the input ended.
    HalfClosed,
    /// A RST.
    Rst,
    /// Still open at end of input.
    Open,
    /// Dropped from the table to make room.
    Evicted,
}

/// A gap in one direction of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct GapRecord {
    pub dir: Direction,
    pub offset: u64,
    pub len: u64,
    pub reason: GapReason,
}

/// What is known about a connection when it closes.
#[derive(Clone, Debug, Serialize)]
pub struct FlowSummary {
    pub id: u64,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    /// Frame number of the connection's first packet.
    pub first_frame: u64,
    pub detection: Detection,
    pub opening: Opening,
    pub closing: Closing,
    /// Which side sent the RST, for [`Closing::Rst`].
    pub reset_by: Option<Direction>,
    pub client_packets: u64,
    pub server_packets: u64,
    /// Reassembled bytes delivered client to server (gaps excluded).
    pub client_bytes: u64,
    /// Reassembled bytes delivered server to client (gaps excluded).
    pub server_bytes: u64,
    pub gap_count: u64,
    pub gap_bytes: u64,
    /// The first [`MAX_LISTED_GAPS`] gaps.
    pub gaps: Vec<GapRecord>,
    /// Anomalies raised on this connection, by name, in name order.
    pub anomalies: BTreeMap<&'static str, u64>,
}

/// Where an event happened in the capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct At {
    /// 1-based frame number.
    pub frame: u64,
    pub ts: Timestamp,
}

/// What the flow table reports, in capture order.
#[derive(Debug)]
pub enum FlowEvent<'a> {
    /// A new MSN connection. Always precedes its other events.
    Opened {
        flow: u64,
        at: At,
        client: SocketAddr,
        server: SocketAddr,
        detection: &'a Detection,
        opening: Opening,
    },
    /// Contiguous bytes of one direction.
    Data {
        flow: u64,
        at: At,
        dir: Direction,
        offset: u64,
        bytes: &'a [u8],
    },
    /// Bytes of one direction that will never be delivered.
    Gap {
        flow: u64,
        at: At,
        dir: Direction,
        offset: u64,
        len: u64,
        reason: GapReason,
    },
    /// One direction's FIN, after all its bytes.
    Fin {
        flow: u64,
        at: At,
        dir: Direction,
        offset: u64,
    },
    /// Something odd but survivable. `flow` is `None` for packets that belong to no connection.
    Anomaly {
        flow: Option<u64>,
        at: At,
        dir: Option<Direction>,
        name: &'static str,
        detail: String,
    },
    /// The connection is over (or the input is); nothing more will come for this id.
    Closed { at: At, summary: &'a FlowSummary },
}

/// Normalised 4-tuple: the smaller endpoint first, so both directions find the same entry.
type Key = (SocketAddr, SocketAddr);

fn key_of(a: SocketAddr, b: SocketAddr) -> Key {
    if a <= b { (a, b) } else { (b, a) }
}

#[derive(Debug, PartialEq, Eq)]
enum State {
    /// Not yet known to be MSN: waiting for the first bytes.
    Candidate,
    /// An MSN connection with this id.
    Msn,
    /// Known not to be MSN, or closed: packets are absorbed until a new SYN reuses the tuple.
    Done,
}

struct Conn {
    state: State,
    client: SocketAddr,
    server: SocketAddr,
    /// Whether `client`/`server` were settled by a port, an announcement or a SYN (rather than
    /// by who happened to send first).
    sides_known: bool,
    halves: [HalfStream; 2],
    /// Since when each direction has had a hole its peer acknowledged past.
    acked_hole_since: [Option<Timestamp>; 2],
    fin: [bool; 2],
    client_isn: Option<u32>,
    /// Candidate only: the packets waited so far.
    sniff_packets: u32,
    /// Candidate only: what must be replayed once the connection is known to be MSN.
    held: Vec<Held>,
    tick: u64,
    idle_flushed: bool,
    summary: FlowSummary,
}

/// A candidate's event, owned, kept until the candidate is decided.
enum Held {
    Data {
        at: At,
        dir: Direction,
        offset: u64,
        bytes: Vec<u8>,
    },
    Gap {
        at: At,
        dir: Direction,
        offset: u64,
        len: u64,
        reason: GapReason,
    },
    Fin {
        at: At,
        dir: Direction,
        offset: u64,
    },
    Anomaly {
        at: At,
        dir: Direction,
        name: &'static str,
        offset: u64,
    },
}

/// The table of tracked connections.
pub struct FlowTable {
    config: FlowConfig,
    conns: HashMap<Key, Conn>,
    /// Least recently active first: tick → key.
    lru: BTreeMap<u64, Key>,
    tick: u64,
    next_id: u64,
    expected: HashMap<SocketAddr, Expectation>,
    expected_order: VecDeque<SocketAddr>,
    last_sweep: Timestamp,
}

impl FlowTable {
    pub fn new(config: FlowConfig) -> FlowTable {
        FlowTable {
            config,
            conns: HashMap::new(),
            lru: BTreeMap::new(),
            tick: 0,
            next_id: 1,
            expected: HashMap::new(),
            expected_order: VecDeque::new(),
            last_sweep: Timestamp::default(),
        }
    }

    /// Number of MSN connections seen so far.
    pub fn msn_connections(&self) -> u64 {
        self.next_id - 1
    }

    /// Remembers that the protocol announced a connection to `e.server`. A later connection to
    /// that address is MSN, and that endpoint is its server. Addresses stay expected (several
    /// switchboard sessions often share one address) until [`MAX_EXPECTED`] newer ones push
    /// them out.
    pub fn expect(&mut self, e: Expectation) {
        if self.expected.insert(e.server, e.clone()).is_none() {
            self.expected_order.push_back(e.server);
            if self.expected_order.len() > MAX_EXPECTED
                && let Some(old) = self.expected_order.pop_front()
            {
                self.expected.remove(&old);
            }
        }
    }

    /// Reports a frame that could not be decoded into a TCP segment.
    pub fn net_anomaly(&mut self, at: At, name: &'static str, emit: &mut dyn FnMut(FlowEvent<'_>)) {
        emit(FlowEvent::Anomaly {
            flow: None,
            at,
            dir: None,
            name,
            detail: String::new(),
        });
    }

    /// Feeds one TCP segment.
    pub fn segment(&mut self, seg: &TcpSegment<'_>, emit: &mut dyn FnMut(FlowEvent<'_>)) {
        let at = At {
            frame: seg.index,
            ts: seg.ts,
        };
        self.sweep_idle(at, emit);
        let key = key_of(seg.src, seg.dst);
        let bare_syn = seg.flags.syn() && !seg.flags.ack();

        // Port reuse: a new SYN on a finished tuple, or a SYN with another ISN on a live one.
        if bare_syn && let Some(conn) = self.conns.get(&key) {
            let reused = match conn.state {
                State::Done => true,
                _ => conn.client_isn.is_some_and(|isn| isn != seg.seq) || conn.client != seg.src,
            };
            if reused {
                self.remove(key, at, Closing::Open, emit);
            }
        }
        if !self.conns.contains_key(&key) {
            if self.conns.len() >= self.config.max_connections {
                self.evict_oldest(at, emit);
            }
            let conn = self.new_conn(seg, at);
            self.conns.insert(key, conn);
            if self.conns[&key].state == State::Msn {
                self.open(key, at, emit);
            }
        }

        self.tick += 1;
        let tick = self.tick;
        let Some(conn) = self.conns.get_mut(&key) else {
            return;
        };
        self.lru.remove(&conn.tick);
        conn.tick = tick;
        self.lru.insert(tick, key);
        if conn.state == State::Done {
            return;
        }
        conn.idle_flushed = false;
        let dir = if seg.src == conn.client {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
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
        } = conn;
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
                if seg.ts.nanos_since(t) >= ACK_GRACE_NANOS {
                    halves[d.index()].give_up_acked_holes(&mut |ev| sink(ev, d));
                    *since = None;
                }
            } else {
                *since = Some(seg.ts);
            }
        }
        if seg.flags.rst() {
            for d in [Direction::ClientToServer, Direction::ServerToClient] {
                halves[d.index()].finish(GapReason::Reset, &mut |ev| sink(ev, d));
            }
            summary.reset_by = Some(dir);
        }
        if !is_msn {
            conn.sniff_packets += 1;
            self.decide(key, false, emit);
        }
        let Some(conn) = self.conns.get(&key) else {
            return;
        };
        if seg.flags.rst() && conn.state != State::Done {
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
        let mut open: Vec<(u64, Key)> = self
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
        self.lru.clear();
    }

    fn new_conn(&mut self, seg: &TcpSegment<'_>, at: At) -> Conn {
        let bare_syn = seg.flags.syn() && !seg.flags.ack();
        let syn_ack = seg.flags.syn() && seg.flags.ack();
        let on_port = |a: &SocketAddr| self.config.ports.contains(&a.port());
        let expected = |a: &SocketAddr| self.expected.get(a);

        // Who is the server, and how sure we are.
        let (client, server, sides_known) = if expected(&seg.dst).is_some() {
            (seg.src, seg.dst, true)
        } else if expected(&seg.src).is_some() {
            (seg.dst, seg.src, true)
        } else if bare_syn {
            (seg.src, seg.dst, true)
        } else if syn_ack {
            (seg.dst, seg.src, true)
        } else if on_port(&seg.dst) && !on_port(&seg.src) {
            (seg.src, seg.dst, true)
        } else if on_port(&seg.src) && !on_port(&seg.dst) {
            (seg.dst, seg.src, true)
        } else {
            (seg.src, seg.dst, false)
        };
        // A connection between a known port and a well-known service port (HTTP on 80 from an
        // ephemeral port that happens to be 1863) is judged by content, not by port.
        let detection = if let Some(e) = expected(&server) {
            Some(Detection::Announced {
                kind: e.kind,
                announced_by: e.announced_by,
            })
        } else if on_port(&server) && !(client.port() < 1024 && !bare_syn && !syn_ack) {
            Some(Detection::Port {
                port: server.port(),
            })
        } else {
            None
        };
        let opening = if bare_syn {
            Opening::Syn
        } else if syn_ack {
            Opening::SynAck
        } else {
            Opening::Midstream
        };
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
            idle_flushed: false,
            summary: FlowSummary {
                id: 0,
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
        conn.summary.id = id;
        conn.summary.client = conn.client;
        conn.summary.server = conn.server;
        emit(FlowEvent::Opened {
            flow: id,
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
        let Some(conn) = self.conns.get_mut(&key) else {
            return;
        };
        // The first bytes of each direction, from what is held.
        let mut sniff: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
        for h in &conn.held {
            if let Held::Data { dir, bytes, .. } = h {
                let buf = &mut sniff[dir.index()];
                let room = SNIFF_BYTES.saturating_sub(buf.len());
                buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
            }
        }
        let mut verdict = None;
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let buf = &sniff[dir.index()];
            if buf.is_empty() {
                continue;
            }
            match looks_like_msnp(buf) {
                Some(true) => {
                    verdict = Some(Some(dir));
                    break;
                }
                Some(false) => verdict = Some(None),
                None => {}
            }
        }
        if verdict.is_none() && (last || conn.sniff_packets >= SNIFF_PACKETS) {
            verdict = Some(None);
        }
        match verdict {
            None => {}
            Some(None) => {
                conn.state = State::Done;
                conn.held = Vec::new();
                conn.halves = [
                    HalfStream::new(Limits::default()),
                    HalfStream::new(Limits::default()),
                ];
            }
            Some(Some(dir)) => {
                // The sender of the MSNP command is the client, unless a SYN said otherwise.
                let swap = dir == Direction::ServerToClient && !conn.sides_known;
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
            } = conn;
            for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                let mut sink = |ev: HalfEvent<'_>| deliver(summary, fin, at, dir, ev, emit);
                if close {
                    halves[dir.index()].finish(reason, &mut sink);
                } else {
                    halves[dir.index()].give_up_holes(reason, &mut sink);
                }
            }
        }
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
        conn.state = State::Done;
        conn.held = Vec::new();
        conn.halves = [
            HalfStream::new(Limits::default()),
            HalfStream::new(Limits::default()),
        ];
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
        if let Some(conn) = self.conns.remove(&key) {
            self.lru.remove(&conn.tick);
        }
    }

    fn evict_oldest(&mut self, at: At, emit: &mut dyn FnMut(FlowEvent<'_>)) {
        if let Some((_, key)) = self.lru.iter().next().map(|(t, k)| (*t, *k)) {
            if let Some(c) = self.conns.get_mut(&key)
                && c.state == State::Msn
            {
                *c.summary.anomalies.entry("flow.evicted").or_default() += 1;
            }
            self.remove(key, at, Closing::Evicted, emit);
        }
    }

    /// Gives up the holes of connections quiet for longer than the idle timeout; forgets
    /// finished ones. Runs at most once per second of capture time.
    fn sweep_idle(&mut self, at: At, emit: &mut dyn FnMut(FlowEvent<'_>)) {
        if at.ts.nanos_since(self.last_sweep) < 1_000_000_000 {
            return;
        }
        self.last_sweep = at.ts;
        let timeout = self.config.idle_timeout as i128;
        let mut quiet = Vec::new();
        for key in self.lru.values() {
            let Some(c) = self.conns.get(key) else {
                continue;
            };
            if at.ts.nanos_since(c.summary.last_ts) <= timeout {
                break;
            }
            if !c.idle_flushed {
                quiet.push(*key);
            }
        }
        for key in quiet {
            match self.conns.get(&key).map(|c| &c.state) {
                Some(State::Msn) => {
                    self.flush(key, at, GapReason::Idle, false, emit);
                    if let Some(c) = self.conns.get_mut(&key) {
                        c.idle_flushed = true;
                    }
                }
                Some(State::Candidate) => self.decide(key, true, emit),
                Some(State::Done) => {
                    if let Some(c) = self.conns.remove(&key) {
                        self.lru.remove(&c.tick);
                    }
                }
                None => {}
            }
        }
    }
}

/// Updates a connection's summary with one event and passes it on.
fn deliver(
    s: &mut FlowSummary,
    fin: &mut [bool; 2],
    at: At,
    dir: Direction,
    ev: HalfEvent<'_>,
    emit: &mut dyn FnMut(FlowEvent<'_>),
) {
    let flow = s.id;
    match ev {
        HalfEvent::Data { offset, bytes } => {
            match dir {
                Direction::ClientToServer => s.client_bytes += bytes.len() as u64,
                Direction::ServerToClient => s.server_bytes += bytes.len() as u64,
            }
            emit(FlowEvent::Data {
                flow,
                at,
                dir,
                offset,
                bytes,
            });
        }
        HalfEvent::Gap {
            offset,
            len,
            reason,
        } => {
            s.gap_count += 1;
            s.gap_bytes += len;
            if s.gaps.len() < MAX_LISTED_GAPS {
                s.gaps.push(GapRecord {
                    dir,
                    offset,
                    len,
                    reason,
                });
            }
            emit(FlowEvent::Gap {
                flow,
                at,
                dir,
                offset,
                len,
                reason,
            });
        }
        HalfEvent::Fin { offset } => {
            fin[dir.index()] = true;
            emit(FlowEvent::Fin {
                flow,
                at,
                dir,
                offset,
            });
        }
        HalfEvent::Anomaly { name, .. } => {
            *s.anomalies.entry(name).or_default() += 1;
            emit(FlowEvent::Anomaly {
                flow: Some(flow),
                at,
                dir: Some(dir),
                name,
                detail: String::new(),
            });
        }
    }
}

impl Held {
    fn from_half(ev: HalfEvent<'_>, at: At, dir: Direction) -> Held {
        match ev {
            HalfEvent::Data { offset, bytes } => Held::Data {
                at,
                dir,
                offset,
                bytes: bytes.to_vec(),
            },
            HalfEvent::Gap {
                offset,
                len,
                reason,
            } => Held::Gap {
                at,
                dir,
                offset,
                len,
                reason,
            },
            HalfEvent::Fin { offset } => Held::Fin { at, dir, offset },
            HalfEvent::Anomaly { name, offset } => Held::Anomaly {
                at,
                dir,
                name,
                offset,
            },
        }
    }

    fn as_half(&self) -> (At, Direction, HalfEvent<'_>) {
        match self {
            Held::Data {
                at,
                dir,
                offset,
                bytes,
            } => (
                *at,
                *dir,
                HalfEvent::Data {
                    offset: *offset,
                    bytes,
                },
            ),
            Held::Gap {
                at,
                dir,
                offset,
                len,
                reason,
            } => (
                *at,
                *dir,
                HalfEvent::Gap {
                    offset: *offset,
                    len: *len,
                    reason: *reason,
                },
            ),
            Held::Fin { at, dir, offset } => (*at, *dir, HalfEvent::Fin { offset: *offset }),
            Held::Anomaly {
                at,
                dir,
                name,
                offset,
            } => (
                *at,
                *dir,
                HalfEvent::Anomaly {
                    name,
                    offset: *offset,
                },
            ),
        }
    }

    fn reverse(&mut self) {
        match self {
            Held::Data { dir, .. }
            | Held::Gap { dir, .. }
            | Held::Fin { dir, .. }
            | Held::Anomaly { dir, .. } => *dir = dir.reverse(),
        }
    }
}

/// Whether the first bytes of a direction are plainly an MSNP command: `Some(true)` yes,
/// `Some(false)` no, `None` not enough bytes yet to tell.
pub fn looks_like_msnp(buf: &[u8]) -> Option<bool> {
    let line_end = buf.iter().position(|&b| b == b'\n');
    let line = match line_end {
        Some(n) => &buf[..n],
        None if buf.len() >= SNIFF_BYTES => buf,
        None => {
            // A prefix that already cannot match is a no; otherwise wait for the line.
            return if could_start_msnp(buf) {
                None
            } else {
                Some(false)
            };
        }
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Ok(text) = std::str::from_utf8(line) else {
        return Some(false);
    };
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    let numeric = |w: &str| !w.is_empty() && w.len() <= 10 && w.bytes().all(|b| b.is_ascii_digit());
    let ok = match words.as_slice() {
        ["VER", "MSNFTP", ..] => true,
        ["VER", trid, rest @ ..] => {
            numeric(trid)
                && !rest.is_empty()
                && rest
                    .iter()
                    .any(|w| crate::msnp::Dialect::parse(w).is_some())
        }
        ["USR", trid, _, ..] | ["ANS", trid, _, ..] => numeric(trid),
        _ => false,
    };
    Some(ok)
}

fn could_start_msnp(prefix: &[u8]) -> bool {
    const OPENINGS: [&[u8]; 3] = [b"VER ", b"USR ", b"ANS "];
    OPENINGS.iter().any(|o| {
        let n = prefix.len().min(o.len());
        prefix[..n] == o[..n]
    })
}

#[cfg(test)]
mod tests;
