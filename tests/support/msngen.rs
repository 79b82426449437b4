//! A generator of large MSN Messenger (MSNP8) captures with exact ground truth.
//!
//! What it produces: [`generate`] builds, from [`Options`], a classic pcap (Ethernet, IPv4,
//! microsecond or nanosecond timestamps) of roughly [`Options::target_bytes`] bytes, made of
//! many overlapping MSNP8 sessions as the protocol reference describes them, with background
//! traffic that is not MSN in between. One session is:
//!
//! - a dispatch connection (`VER`, `CVR`, `USR TWN I`, answered by `XFR NS`; skipped by some
//!   sessions, whose client goes straight to its notification server);
//! - a notification-server connection: `VER`/`CVR`, the TWN login (`USR TWN I`/`S`, `USR OK`
//!   or, rarely, error 911), the `Hotmail` profile and mail `MSG`s, `SYN` and its stream of
//!   `GTC`, `BLP`, `PRP`, `LSG`, `LST`, `BPR` without TrIDs, `CHG` with `ILN`, then a while of
//!   `NLN`/`FLN` presence, `PNG`/`QNG`, `CHL`/`QRY` (answered right), `REA`, `XFR SB` (some
//!   refused with error 800) and `RNG`, and finally `OUT` (from either side) or a reset;
//! - switchboard connections, on port 1863 or on another port the `XFR`/`RNG` announced: as
//!   caller (`USR` with the cookie, `CAL`, `JOI`, some calls refused with 217) or as callee
//!   (`ANS`, `IRO`), then a chat of `MSG`s both ways (text on one or several lines, UTF-8,
//!   lines that look like commands, typing notifications), `ACK`/`NAK` by acknowledgement
//!   mode, `BYE` (also the idle form `BYE handle 1`) and `OUT`.
//!
//! Every connection has a three-way handshake and ends with FINs (either side first) or a
//! reset. Options add: retransmitted segments (some repacketised with the start of the next
//! segment), segments captured out of order, commands cut across several segments, several
//! commands in one segment, pure ACKs, switchboards on announced ports, nanosecond timestamps.
//!
//! What it guarantees:
//!
//! - Determinism: the same [`Options`] give the same file, byte for byte (one splitmix64
//!   generator seeded from [`Options::seed`]; no clock, no hash-map order).
//! - Nothing is lost: every byte of every stream is in the capture at least once, frames are
//!   never cut by a snap length, a segment is only ever held back within its own burst (so no
//!   peer acknowledges bytes the capture has not shown yet), and retransmissions come before
//!   the connection closes. A correct decoder therefore sees every command.
//! - Exact truth, from the generator itself: [`Truth`] is filled in as the generator writes
//!   the streams (each command is recorded when its bytes are appended, each byte counted
//!   once, however often it is retransmitted); nothing in it comes from the decoder.
//! - Connections have unique address pairs; an announced switchboard or notification server
//!   is connected to only after the announcement was captured.
//!
//! It is test code: written from the protocol reference, not from the decoder, and it panics
//! only on its own bugs.

use super::{CLIENT_MAC, Pcap, SERVER_MAC, tcp_header};
use etherparse::PacketBuilder;
use std::collections::{BTreeMap, BTreeSet};

/// splitmix64: small, fast, and the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below(0)");
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(lo <= hi, "Rng::range({lo}, {hi})");
        lo + self.below(hi - lo + 1)
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

/// What to generate. [`Options::new`] gives a moderate mix of every impairment.
#[derive(Clone, Debug)]
pub struct Options {
    pub seed: u64,
    /// Approximate size of the file: sessions are added until the frames reach it.
    pub target_bytes: usize,
    /// Mean time between the starts of two sessions, in milliseconds (sessions last from
    /// seconds to minutes, so this sets how many overlap).
    pub session_gap_ms: u64,
    /// Probability that a data segment is sent again (one to three packets of its connection
    /// later); a third of these carry the start of the next segment too.
    pub retransmit: f64,
    /// Probability that a data segment swaps places with the next segment of its burst.
    pub reorder: f64,
    /// Probability that a burst is also cut at one to three random places (inside command
    /// lines and payloads), on top of the cuts at the maximum segment size.
    pub split: f64,
    /// Probability that commands one side writes in a row (a typing notification and the
    /// text after it, a reply and the unprompted commands after it) leave in one burst
    /// rather than one burst each.
    pub coalesce: f64,
    /// Probability that the receiver of a burst sends a pure ACK for it.
    pub pure_acks: f64,
    /// Share of switchboards on a port other than 1863 (found only through the announcement).
    pub other_port: f64,
    /// Mean number of connections that are not MSN (HTTP, TLS-like) per session.
    pub background: f64,
    /// Write a nanosecond pcap (magic `a1b23c4d`) with timestamps that use the nanoseconds.
    pub nanosecond: bool,
}

impl Options {
    pub fn new(seed: u64, target_bytes: usize) -> Options {
        Options {
            seed,
            target_bytes,
            session_gap_ms: 1500,
            retransmit: 0.02,
            reorder: 0.02,
            split: 0.1,
            coalesce: 0.5,
            pure_acks: 0.3,
            other_port: 0.3,
            background: 1.0,
            nanosecond: false,
        }
    }
}

/// The role a connection was generated for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Ds,
    Ns,
    Sb,
}

impl Role {
    /// As the decoder's JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Ds => "DS",
            Role::Ns => "NS",
            Role::Sb => "SB",
        }
    }
}

/// How a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Close {
    /// Both sides sent a FIN.
    Fin,
    /// One side sent a RST.
    Rst,
}

impl Close {
    /// As the decoder's JSON spells it (`closing`).
    pub fn as_str(self) -> &'static str {
        match self {
            Close::Fin => "fin",
            Close::Rst => "rst",
        }
    }
}

/// The truth about one MSN connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnTruth {
    /// `"ip:port"`.
    pub client: String,
    pub server: String,
    pub role: Role,
    /// The connection whose `XFR`/`RNG` announced this one, as `(client, server)`.
    pub announced_by: Option<(String, String)>,
    pub close: Close,
    /// Timestamp of the first packet (the SYN), in nanoseconds since the epoch, as written in
    /// the file (whole microseconds in a microsecond file).
    pub first_ns: u64,
    /// Timestamp of the packet that ended the connection (the second FIN, or the RST); the
    /// last ACK after two FINs is not counted.
    pub last_ns: u64,
    /// Stream bytes client to server and server to client (each byte once).
    pub c2s_bytes: u64,
    pub s2c_bytes: u64,
    /// Every command, in stream order, by its verb (a three-digit code for errors).
    pub c2s_verbs: Vec<String>,
    pub s2c_verbs: Vec<String>,
}

/// The truth about a whole capture.
#[derive(Clone, Debug, Default)]
pub struct Truth {
    /// MSN connections, in order of their first packet.
    pub connections: Vec<ConnTruth>,
    /// Sessions (users) in the capture.
    pub sessions: usize,
    /// Connections that are not MSN.
    pub background_connections: usize,
    /// UDP datagrams (DNS-like), not MSN either.
    pub udp_packets: usize,
    /// Frames in the file.
    pub frames: usize,
    /// Size of the file.
    pub file_bytes: usize,
    /// Data segments written a second time.
    pub retransmitted: usize,
    /// Data segments captured after the segment that follows them in the stream.
    pub reordered: usize,
    /// Commands whose bytes span more than one segment.
    pub split_commands: usize,
    /// Segments that hold two or more whole commands.
    pub packed_segments: usize,
    /// Client `QRY` answers to `CHL` challenges (all answered right).
    pub challenges: usize,
}

impl Truth {
    /// Commands per `(direction, verb)`, direction `"c2s"` or `"s2c"`.
    pub fn commands(&self) -> BTreeMap<(String, String), u64> {
        let mut out = BTreeMap::new();
        for c in &self.connections {
            for (dir, verbs) in [("c2s", &c.c2s_verbs), ("s2c", &c.s2c_verbs)] {
                for v in verbs {
                    *out.entry((dir.to_string(), v.clone())).or_default() += 1;
                }
            }
        }
        out
    }

    /// Connections per role (`"DS"`, `"NS"`, `"SB"`).
    pub fn roles(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for c in &self.connections {
            *out.entry(c.role.as_str().to_string()).or_default() += 1;
        }
        out
    }

    /// Total stream bytes `(c2s, s2c)` over the MSN connections.
    pub fn stream_bytes(&self) -> (u64, u64) {
        self.connections
            .iter()
            .fold((0, 0), |(a, b), c| (a + c.c2s_bytes, b + c.s2c_bytes))
    }
}

/// A generated capture: the file and its truth.
pub struct Generated {
    pub pcap: Vec<u8>,
    pub truth: Truth,
}

/// Builds a capture; see the module documentation.
pub fn generate(opts: &Options) -> Generated {
    let mut w = World {
        opts: opts.clone(),
        rng: Rng::new(opts.seed),
        frames: Vec::new(),
        size: 24,
        truth: Truth::default(),
        clients: 0,
    };
    let mut start = START_NS + w.rng.below(1_000_000_000);
    while w.size < opts.target_bytes {
        session(&mut w, start);
        w.truth.sessions += 1;
        let mean = opts.session_gap_ms as f64 * 1e6;
        start += (-(1.0 - w.rng.unit()).ln() * mean) as u64 + 1000;
    }
    w.frames.sort_by_key(|f| (f.0, f.1));
    let mut pcap = if opts.nanosecond {
        Pcap::nanosecond(super::LINKTYPE_ETHERNET)
    } else {
        Pcap::new(super::LINKTYPE_ETHERNET)
    };
    for (ts, _, frame) in &w.frames {
        pcap.frame_ns(*ts, frame);
    }
    let bytes = pcap.to_bytes();
    let mut truth = w.truth;
    truth.frames = w.frames.len();
    truth.file_bytes = bytes.len();
    truth.connections.sort_by_key(|c| c.first_ns);
    Generated { pcap: bytes, truth }
}

/// First session start: 2006-01-01 or so, like the rest of the test captures.
const START_NS: u64 = 1_136_100_000 * 1_000_000_000;
const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

type Addr = ([u8; 4], u16);

fn addr_str(a: Addr) -> String {
    let [x, y, z, t] = a.0;
    format!("{x}.{y}.{z}.{t}:{}", a.1)
}

/// One command: its verb (for the truth) and its bytes.
struct Cmd {
    verb: String,
    bytes: Vec<u8>,
}

/// `VERB params\r\n`.
fn cmd(verb: &str, params: &str) -> Cmd {
    let line = if params.is_empty() {
        format!("{verb}\r\n")
    } else {
        format!("{verb} {params}\r\n")
    };
    Cmd {
        verb: verb.to_string(),
        bytes: line.into_bytes(),
    }
}

/// `VERB params len\r\n` and `len` bytes of payload.
fn cmd_payload(verb: &str, params: &str, payload: &[u8]) -> Cmd {
    let mut bytes = format!("{verb} {params} {}\r\n", payload.len()).into_bytes();
    bytes.extend_from_slice(payload);
    Cmd {
        verb: verb.to_string(),
        bytes,
    }
}

#[derive(Clone)]
struct Seg {
    ts: u64,
    from_client: bool,
    seq: u32,
    ack: u32,
    flags: &'static str,
    payload: Vec<u8>,
    /// A data segment (may be retransmitted).
    data: bool,
    /// A FIN or RST: nothing is retransmitted after the first of these.
    close: bool,
}

/// One TCP connection being written, with its own clock.
struct Conn {
    client: Addr,
    server: Addr,
    /// Next sequence number of the client `[0]` and of the server `[1]`.
    next: [u32; 2],
    clock: u64,
    mss: usize,
    segs: Vec<Seg>,
    role: Option<Role>,
    announced_by: Option<(String, String)>,
    bytes: [u64; 2],
    verbs: [Vec<String>; 2],
    close: Option<(Close, u64)>,
    /// Client TrID counter.
    trid: u32,
}

impl Conn {
    fn new(rng: &mut Rng, client: Addr, server: Addr, start: u64, role: Option<Role>) -> Conn {
        // Some initial sequence numbers sit just below 2^32, so the stream wraps.
        let mut isn = || {
            if rng.chance(0.1) {
                u32::MAX - rng.below(3000) as u32
            } else {
                rng.next_u64() as u32
            }
        };
        let (c, s) = (isn(), isn());
        Conn {
            client,
            server,
            next: [c, s],
            clock: start,
            mss: *rng.pick(&[1460, 1460, 1460, 1380, 536]),
            segs: Vec::new(),
            role,
            announced_by: None,
            bytes: [0, 0],
            verbs: [Vec::new(), Vec::new()],
            close: None,
            trid: 0,
        }
    }

    fn side(from_client: bool) -> usize {
        if from_client { 0 } else { 1 }
    }

    /// Moves the clock on by `ns` (at least 1 µs between any two packets).
    fn pause(&mut self, ns: u64) {
        self.clock += ns.max(1000);
    }

    fn push(&mut self, from_client: bool, seq: u32, flags: &'static str, payload: Vec<u8>) {
        let ack = self.next[Self::side(!from_client)];
        let data = !payload.is_empty();
        let close = flags.contains('F') || flags.contains('R');
        self.segs.push(Seg {
            ts: self.clock,
            from_client,
            seq,
            ack,
            flags,
            payload,
            data,
            close,
        });
    }

    fn handshake(&mut self, rng: &mut Rng, rtt: u64) {
        let (c, s) = (self.next[0], self.next[1]);
        self.segs.push(Seg {
            ts: self.clock,
            from_client: true,
            seq: c,
            ack: 0,
            flags: "S",
            payload: Vec::new(),
            data: false,
            close: false,
        });
        self.pause(rtt / 2 + rng.below(rtt / 4 + 1));
        self.segs.push(Seg {
            ts: self.clock,
            from_client: false,
            seq: s,
            ack: c.wrapping_add(1),
            flags: "SA",
            payload: Vec::new(),
            data: false,
            close: false,
        });
        self.next = [c.wrapping_add(1), s.wrapping_add(1)];
        self.pause(rtt / 2 + rng.below(rtt / 4 + 1));
        self.push(true, self.next[0], "A", Vec::new());
    }

    /// One burst from one side: the commands' bytes, cut into segments, perhaps captured out
    /// of order, perhaps followed by the peer's pure ACK.
    fn send(&mut self, w: &mut World, from_client: bool, cmds: Vec<Cmd>) {
        let side = Self::side(from_client);
        let mut bytes = Vec::new();
        let mut spans = Vec::new();
        for c in cmds {
            let a = bytes.len();
            bytes.extend_from_slice(&c.bytes);
            spans.push((a, bytes.len()));
            self.verbs[side].push(c.verb);
        }
        let len = bytes.len();
        if len == 0 {
            return;
        }
        self.bytes[side] += len as u64;
        let mut cuts = BTreeSet::new();
        let mut p = self.mss;
        while p < len {
            cuts.insert(p);
            p += self.mss;
        }
        if len > 1 && w.rng.chance(w.opts.split) {
            for _ in 0..w.rng.range(1, 3) {
                cuts.insert(w.rng.range(1, len as u64 - 1) as usize);
            }
        }
        let mut bounds = vec![0];
        bounds.extend(cuts);
        bounds.push(len);
        let pieces: Vec<(usize, usize)> = bounds.windows(2).map(|b| (b[0], b[1])).collect();
        for &(a, b) in spans.iter().filter(|_| self.role.is_some()) {
            if pieces.iter().filter(|&&(s, e)| s < b && a < e).count() > 1 {
                w.truth.split_commands += 1;
            }
        }
        for &(s, e) in pieces.iter().filter(|_| self.role.is_some()) {
            if spans.iter().filter(|&&(a, b)| s <= a && b <= e).count() >= 2 {
                w.truth.packed_segments += 1;
            }
        }
        let mut order: Vec<usize> = (0..pieces.len()).collect();
        let mut i = 0;
        while i + 1 < order.len() {
            if w.rng.chance(w.opts.reorder) {
                order.swap(i, i + 1);
                w.truth.reordered += 1;
                i += 2;
            } else {
                i += 1;
            }
        }
        let base = self.next[side];
        for (n, &k) in order.iter().enumerate() {
            if n > 0 {
                self.pause(w.rng.range(1_000, 200_000));
            }
            let (s, e) = pieces[k];
            let flags = if e == len { "PA" } else { "A" };
            self.push(
                from_client,
                base.wrapping_add(s as u32),
                flags,
                bytes[s..e].to_vec(),
            );
        }
        self.next[side] = base.wrapping_add(len as u32);
        if w.rng.chance(w.opts.pure_acks) {
            self.pause(w.rng.range(100_000, 40 * MS));
            self.push(!from_client, self.next[1 - side], "A", Vec::new());
        }
        self.pause(w.rng.range(1_000, 500_000));
    }

    /// Both sides send a FIN, `first_client` first; the other side's FIN ends it.
    fn close_fin(&mut self, rng: &mut Rng, first_client: bool, rtt: u64) {
        let a = Self::side(first_client);
        self.push(first_client, self.next[a], "FA", Vec::new());
        self.next[a] = self.next[a].wrapping_add(1);
        self.pause(rtt / 2 + rng.below(rtt + 1));
        let b = 1 - a;
        self.push(!first_client, self.next[b], "FA", Vec::new());
        self.next[b] = self.next[b].wrapping_add(1);
        self.close = Some((Close::Fin, self.clock));
        self.pause(rtt / 2);
        self.push(first_client, self.next[a], "A", Vec::new());
    }

    fn close_rst(&mut self, by_client: bool) {
        let a = Self::side(by_client);
        self.push(by_client, self.next[a], "RA", Vec::new());
        self.close = Some((Close::Rst, self.clock));
    }

    fn next_trid(&mut self) -> u32 {
        self.trid += 1;
        self.trid
    }
}

struct World {
    opts: Options,
    rng: Rng,
    /// `(timestamp, order written, frame)`.
    frames: Vec<(u64, u64, Vec<u8>)>,
    /// File size so far.
    size: usize,
    truth: Truth,
    /// Client addresses handed out.
    clients: u32,
}

impl World {
    /// A new client address: `10.a.b.c`, one per session.
    fn client_ip(&mut self) -> [u8; 4] {
        let n = self.clients;
        self.clients += 1;
        [
            10,
            (1 + n / (254 * 256)) as u8,
            ((n / 254) % 256) as u8,
            (1 + n % 254) as u8,
        ]
    }

    fn ts(&self, ns: u64) -> u64 {
        if self.opts.nanosecond {
            ns
        } else {
            ns / 1000 * 1000
        }
    }

    fn frame(&mut self, ts: u64, frame: Vec<u8>) {
        self.size += 16 + frame.len();
        let n = self.frames.len() as u64;
        let ts = self.ts(ts);
        self.frames.push((ts, n, frame));
    }

    /// Adds retransmissions, writes the frames and records the truth.
    fn finish(&mut self, mut c: Conn) {
        let close_at = c.segs.iter().position(|s| s.close).unwrap_or(c.segs.len());
        let mut extras: Vec<(usize, Seg)> = Vec::new();
        for i in 0..close_at {
            if !c.segs[i].data || !self.rng.chance(self.opts.retransmit) {
                continue;
            }
            let k = (i + 1 + self.rng.below(3) as usize).min(close_at);
            let mut dup = c.segs[i].clone();
            if self.rng.below(3) == 0 {
                let end = dup.seq.wrapping_add(dup.payload.len() as u32);
                if let Some(n) = c.segs[..close_at]
                    .iter()
                    .find(|s| s.data && s.from_client == dup.from_client && s.seq == end)
                {
                    let take = self.rng.range(1, n.payload.len() as u64) as usize;
                    if dup.payload.len() + take <= c.mss {
                        dup.payload.extend_from_slice(&n.payload[..take]);
                    }
                }
            }
            extras.push((k, dup));
        }
        self.truth.retransmitted += extras.len();
        extras.sort_by_key(|e| e.0);
        let mut segs = Vec::with_capacity(c.segs.len() + extras.len());
        let mut extras = extras.into_iter().peekable();
        for (i, s) in c.segs.iter().enumerate() {
            let mut here = Vec::new();
            while let Some((k, _)) = extras.peek()
                && *k == i
            {
                here.push(extras.next().unwrap().1);
            }
            if !here.is_empty() {
                // Spread them between the previous packet and this one.
                let (lo, hi) = (c.segs[i - 1].ts, s.ts);
                let m = here.len() as u64 + 1;
                for (j, mut d) in here.into_iter().enumerate() {
                    d.ts = lo + (hi - lo) * (j as u64 + 1) / m;
                    segs.push(d);
                }
            }
            segs.push(s.clone());
        }
        assert!(extras.next().is_none(), "a retransmission after the close");
        c.segs = segs;

        for s in &c.segs {
            let (src, dst) = if s.from_client {
                (c.client, c.server)
            } else {
                (c.server, c.client)
            };
            let frame = tcp_frame(src, dst, s.seq, s.ack, s.flags, &s.payload, s.from_client);
            self.frame(s.ts, frame);
        }
        match c.role {
            None => self.truth.background_connections += 1,
            Some(role) => {
                let (close, end) = c.close.expect("every MSN connection is closed");
                let first = c.segs[0].ts;
                self.truth.connections.push(ConnTruth {
                    client: addr_str(c.client),
                    server: addr_str(c.server),
                    role,
                    announced_by: c.announced_by,
                    close,
                    first_ns: self.ts(first),
                    last_ns: self.ts(end),
                    c2s_bytes: c.bytes[0],
                    s2c_bytes: c.bytes[1],
                    c2s_verbs: c.verbs[0].clone(),
                    s2c_verbs: c.verbs[1].clone(),
                });
            }
        }
    }
}

fn tcp_frame(
    src: Addr,
    dst: Addr,
    seq: u32,
    ack: u32,
    flags: &str,
    payload: &[u8],
    from_client: bool,
) -> Vec<u8> {
    let (smac, dmac) = if from_client {
        (CLIENT_MAC, SERVER_MAC)
    } else {
        (SERVER_MAC, CLIENT_MAC)
    };
    let mut out = Vec::with_capacity(54 + payload.len());
    PacketBuilder::ethernet2(smac, dmac)
        .ipv4(src.0, dst.0, 64)
        .tcp_header(tcp_header(src.1, dst.1, seq, ack, flags))
        .write(&mut out, payload)
        .expect("building a TCP frame");
    out
}

fn udp_frame(src: Addr, dst: Addr, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(42 + payload.len());
    PacketBuilder::ethernet2(CLIENT_MAC, SERVER_MAC)
        .ipv4(src.0, dst.0, 64)
        .udp(src.1, dst.1)
        .write(&mut out, payload)
        .expect("building a UDP frame");
    out
}

// ---------------------------------------------------------------------------------------------
// People and words.

const NAMES: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "oscar", "peggy", "trent", "victor", "walter", "mei", "li.wei", "yuki", "zoltan", "ana",
    "jose", "fatima", "olga", "sven", "priya",
];
const DOMAINS: &[&str] = &["hotmail.com", "msn.com", "passport.com", "hotmail.co.uk"];
const FRIENDLY: &[&str] = &[
    "{n}",
    "{n} (away from keyboard)",
    "~*~ {n} ~*~",
    "{n} | listening to music",
    "Zoë {n}",
    "{n} 地方",
    "Привет {n}",
    "{n} 100% & more",
    "{n} :-)",
];
const TEXTS: &[&str] = &[
    "hi",
    "hey, how are you?",
    "fine thanks, and you?",
    "héllo, ça va ?",
    "你好，最近怎么样？",
    "Привет! Как дела?",
    "see you at 5 😀",
    "line one\r\nline two\r\nline three",
    "first paragraph\r\n\r\nsecond paragraph",
    "MSG 12 N 40\r\nthis text only looks like a command",
    "BYE someone@hotmail.com\r\nOUT",
    "brb",
    "lol",
    "did you get my mail?",
    "tab\there",
    "100% sure",
    "",
];
const STATUSES: &[&str] = &["NLN", "BSY", "IDL", "BRB", "AWY", "PHN", "LUN"];
const CLIENT_IDS: &[&str] = &["268435492", "268435500", "805306404", "0"];

#[derive(Clone)]
struct User {
    handle: String,
    /// URL-encoded friendly name.
    friendly: String,
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn user(rng: &mut Rng) -> User {
    let name = rng.pick(NAMES);
    let handle = format!("{name}{}@{}", rng.range(1, 9999), rng.pick(DOMAINS));
    let mut display = name.to_string();
    display[..1].make_ascii_uppercase();
    let friendly = urlencode(&rng.pick(FRIENDLY).replace("{n}", &display));
    User { handle, friendly }
}

fn digits(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|i| {
            let lo = if i == 0 { 1 } else { 0 };
            char::from(b'0' + rng.range(lo, 9) as u8)
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn cookie(rng: &mut Rng) -> String {
    format!("{}.{}.{}", digits(rng, 8), digits(rng, 10), digits(rng, 5))
}

fn text_msg(rng: &mut Rng) -> Vec<u8> {
    let body = if rng.chance(0.05) {
        // A long one, a kilobyte or so: it crosses segment boundaries.
        let mut s = String::new();
        while s.len() < 900 {
            s.push_str(rng.pick::<&str>(TEXTS));
            s.push(' ');
        }
        s
    } else {
        rng.pick(TEXTS).to_string()
    };
    let font = rng.pick(&["Arial", "MS%20Sans%20Serif", "Comic%20Sans%20MS", "SimSun"]);
    format!(
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\
         X-MMS-IM-Format: FN={font}; EF={}; CO={:x}; CS=0; PF=22\r\n\r\n{body}",
        rng.pick(&["", "B", "I", "BI", "U"]),
        rng.below(0x1000000)
    )
    .into_bytes()
}

fn typing_msg(handle: &str) -> Vec<u8> {
    format!(
        "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: {handle}\r\n\r\n\r\n"
    )
    .into_bytes()
}

fn profile_msg(rng: &mut Rng, me: &User, client: Addr) -> Vec<u8> {
    let [a, b, c, d] = client.0;
    format!(
        "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\n\
         LoginTime: {}\r\nEmailEnabled: 1\r\nMemberIdHigh: {}\r\nMemberIdLow: -{}\r\n\
         lang_preference: 1033\r\npreferredEmail: {}\r\ncountry: US\r\nPostalCode: \r\n\
         Gender: \r\nKid: 0\r\nAge: \r\nBDayPre: \r\nBirthday: \r\nWallet: \r\nFlags: 1027\r\n\
         sid: 507\r\nkv: 5\r\nMSPAuth: {}$$\r\nClientIP: {a}.{b}.{c}.{d}\r\nClientPort: {}\r\n\r\n",
        1_136_000_000 + rng.below(10_000_000),
        rng.range(1000, 99999),
        rng.range(100_000_000, 999_999_999),
        me.handle,
        hex(&rng.next_u64().to_le_bytes()),
        client.1.swap_bytes()
    )
    .into_bytes()
}

fn mail_msg(rng: &mut Rng, initial: bool) -> Vec<u8> {
    if initial {
        format!(
            "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinitialemailnotification; charset=UTF-8\r\n\r\n\
             Inbox-Unread: {}\r\nFolders-Unread: {}\r\nInbox-URL: /cgi-bin/HoTMaiL\r\n\
             Folders-URL: /cgi-bin/folders\r\nPost-URL: http://www.hotmail.com\r\n\r\n",
            rng.below(40),
            rng.below(5)
        )
        .into_bytes()
    } else {
        let from = user(rng);
        format!(
            "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsemailnotification; charset=UTF-8\r\n\r\n\
             From: {}\r\nMessage-URL: /cgi-bin/getmsg?msg=MSG{}\r\n\
             Post-URL: https://loginnet.passport.com/ppsecure/md5auth.srf?lc=1033\r\n\
             Subject: {}\r\nDest-Folder: ACTIVE\r\nFrom-Addr: {}\r\nid: 2\r\n\r\n",
            from.friendly,
            digits(rng, 10),
            rng.pick(&["hello", "re: lunch", "photos", "=?utf-8?B?w6l0w6k=?="]),
            from.handle
        )
        .into_bytes()
    }
}

/// MSNP6-10 challenge answer: MD5 of the challenge and the product key, in lower-case hex.
fn qry_answer(challenge: &str) -> String {
    use md5::{Digest, Md5};
    hex(&Md5::digest(
        format!("{challenge}Q1P7W2E4J9R8U3S5").as_bytes(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Sessions.

const DS_IPS: &[[u8; 4]] = &[[64, 4, 13, 58], [64, 4, 12, 193], [207, 46, 104, 20]];
const OTHER_SB_PORTS: &[u16] = &[1864, 1865, 7001, 31863];

/// Think time: `lo..=hi` milliseconds.
fn think(rng: &mut Rng, lo: u64, hi: u64) -> u64 {
    rng.range(lo, hi) * MS + rng.below(MS)
}

struct Session {
    me: User,
    contacts: Vec<User>,
    client_ip: [u8; 4],
    port: u16,
    rtt: u64,
}

impl Session {
    fn client(&mut self) -> Addr {
        self.port = if self.port >= 65000 {
            1100
        } else {
            self.port + 1
        };
        (self.client_ip, self.port)
    }
}

fn session(w: &mut World, start: u64) {
    let me = user(&mut w.rng);
    let n = w.rng.range(2, 14) as usize;
    let contacts: Vec<User> = (0..n).map(|_| user(&mut w.rng)).collect();
    let rtt = think(&mut w.rng, 15, 250);
    let mut s = Session {
        me,
        contacts,
        client_ip: w.client_ip(),
        port: w.rng.range(1100, 60000) as u16,
        rtt,
    };
    let ns_addr: Addr = ([207, 46, 106, w.rng.range(1, 254) as u8], 1863);
    let mut clock = start;
    let mut trid = 0;
    let mut announced_by = None;

    // Background connections spread over the session's first minutes.
    let bg = (w.opts.background * 2.0 * w.rng.unit()).round() as usize;
    for _ in 0..bg {
        let at = start + w.rng.below(120 * SEC);
        background(w, at);
    }

    if w.rng.chance(0.9) {
        let ds: Addr = (*w.rng.pick(DS_IPS), 1863);
        let mut c = Conn::new(&mut w.rng, s.client(), ds, clock, Some(Role::Ds));
        c.handshake(&mut w.rng, rtt);
        let ver = c.next_trid();
        c.send(w, true, vec![cmd("VER", &format!("{ver} MSNP8 CVR0"))]);
        c.pause(rtt);
        let reply = if w.rng.chance(0.5) {
            "MSNP8 CVR0"
        } else {
            "MSNP8"
        };
        c.send(w, false, vec![cmd("VER", &format!("{ver} {reply}"))]);
        cvr(w, &mut c, &s);
        let t = c.next_trid();
        c.send(
            w,
            true,
            vec![cmd("USR", &format!("{t} TWN I {}", s.me.handle))],
        );
        c.pause(rtt);
        let xfr = format!("{t} NS {} 0 {}", addr_str(ns_addr), addr_str(ds));
        c.send(w, false, vec![cmd("XFR", &xfr)]);
        c.pause(think(&mut w.rng, 1, 50));
        if w.rng.chance(0.1) {
            c.close_rst(true);
        } else {
            let first_client = w.rng.chance(0.5);
            c.close_fin(&mut w.rng, first_client, rtt);
        }
        clock = c.clock + think(&mut w.rng, 5, 200);
        trid = c.trid;
        announced_by = Some((addr_str(c.client), addr_str(c.server)));
        w.finish(c);
    }

    let mut ns = Conn::new(&mut w.rng, s.client(), ns_addr, clock, Some(Role::Ns));
    ns.announced_by = announced_by;
    ns.trid = trid;
    notification(w, &mut s, &mut ns);
    w.finish(ns);
}

fn cvr(w: &mut World, c: &mut Conn, s: &Session) {
    let t = c.next_trid();
    c.send(
        w,
        true,
        vec![cmd(
            "CVR",
            &format!(
                "{t} 0x0409 winnt 5.1 i386 MSNMSGR 5.0.0540 MSMSGS {}",
                s.me.handle
            ),
        )],
    );
    c.pause(s.rtt);
    c.send(
        w,
        false,
        vec![cmd(
            "CVR",
            &format!(
                "{t} 5.0.0540 5.0.0540 1.0.0863 \
                 http://download.microsoft.com/download/msnmessenger/install/5.0/setupdl.exe \
                 http://messenger.msn.com"
            ),
        )],
    );
}

fn notification(w: &mut World, s: &mut Session, ns: &mut Conn) {
    let rtt = s.rtt;
    ns.handshake(&mut w.rng, rtt);
    let ver = ns.next_trid();
    ns.send(w, true, vec![cmd("VER", &format!("{ver} MSNP8 CVR0"))]);
    ns.pause(rtt);
    ns.send(w, false, vec![cmd("VER", &format!("{ver} MSNP8 CVR0"))]);
    cvr(w, ns, s);
    let t = ns.next_trid();
    ns.send(
        w,
        true,
        vec![cmd("USR", &format!("{t} TWN I {}", s.me.handle))],
    );
    ns.pause(rtt);
    let challenge = format!(
        "{t} TWN S lc=1033,id=507,tw=40,fs=1,ru=http%3A%2F%2Fmessenger%2Emsn%2Ecom,ct={},kpp=1,kv=5,ver=2.1.0173.1,tpf={}",
        1_136_000_000 + w.rng.below(10_000_000),
        hex(&w.rng.next_u64().to_le_bytes()) + &hex(&w.rng.next_u64().to_le_bytes())
    );
    ns.send(w, false, vec![cmd("USR", &challenge)]);
    ns.pause(think(&mut w.rng, 300, 3000)); // Passport, over HTTPS, elsewhere
    let t = ns.next_trid();
    let ticket = format!(
        "{t} TWN S t=53*1hAu8ADuD3TEwdXoOMi08sD*2!{}$$&p=5*{}$",
        hex(&w.rng.next_u64().to_le_bytes()),
        hex(&w.rng.next_u64().to_le_bytes())
    );
    ns.send(w, true, vec![cmd("USR", &ticket)]);
    ns.pause(rtt);
    if w.rng.chance(0.03) {
        // Bad ticket: error 911, and the server hangs up.
        ns.send(w, false, vec![cmd("911", &t.to_string())]);
        ns.pause(think(&mut w.rng, 1, 20));
        ns.close_fin(&mut w.rng, false, rtt);
        return;
    }
    let mut login = vec![cmd(
        "USR",
        &format!("{t} OK {} {} 1 0", s.me.handle, s.me.friendly),
    )];
    let profile = cmd_payload(
        "MSG",
        "Hotmail Hotmail",
        &profile_msg(&mut w.rng, &s.me, ns.client),
    );
    if w.rng.chance(w.opts.coalesce) {
        login.push(profile);
        ns.send(w, false, login);
    } else {
        ns.send(w, false, login);
        ns.send(w, false, vec![profile]);
    }

    // The contact list.
    ns.pause(think(&mut w.rng, 10, 300));
    let t = ns.next_trid();
    let have = if w.rng.chance(0.2) {
        w.rng.range(1, 40)
    } else {
        0
    };
    ns.send(w, true, vec![cmd("SYN", &format!("{t} {have}"))]);
    ns.pause(rtt);
    let version = have + w.rng.range(1, 30);
    let groups = [
        "Other%20Contacts",
        "Friends",
        "Co-Workers",
        "Family",
        "%E5%AE%B6%E4%BA%BA",
    ];
    let ngroups = w.rng.range(1, groups.len() as u64) as usize;
    let mut list = vec![
        cmd(
            "SYN",
            &format!("{t} {version} {} {ngroups}", s.contacts.len()),
        ),
        cmd("GTC", w.rng.pick::<&str>(&["A", "N"])),
        cmd("BLP", w.rng.pick::<&str>(&["AL", "BL"])),
    ];
    for p in ["PHH", "PHW", "PHM", "MOB", "MBE"] {
        if w.rng.chance(0.4) {
            let value = if p.starts_with('P') {
                "1%20(555)%20123"
            } else {
                "Y"
            };
            list.push(cmd("PRP", &format!("{p} {value}")));
        }
    }
    for (i, g) in groups.iter().take(ngroups).enumerate() {
        list.push(cmd("LSG", &format!("{i} {g} 0")));
    }
    for c in &s.contacts {
        let lists = *w.rng.pick(&[11u64, 11, 13, 9, 3, 8]);
        let params = if lists & 1 == 1 {
            format!(
                "{} {} {lists} {}",
                c.handle,
                c.friendly,
                w.rng.below(ngroups as u64)
            )
        } else {
            format!("{} {} {lists}", c.handle, c.friendly)
        };
        list.push(cmd("LST", &params));
        if w.rng.chance(0.2) {
            list.push(cmd("BPR", "PHM 1%20(555)%20987"));
        }
    }
    ns.send(w, false, list);

    // Online, and who else is.
    ns.pause(think(&mut w.rng, 50, 1000));
    let id = *w.rng.pick(CLIENT_IDS);
    let t = ns.next_trid();
    ns.send(w, true, vec![cmd("CHG", &format!("{t} NLN {id}"))]);
    ns.pause(rtt);
    let mut online: Vec<User> = Vec::new();
    let mut reply = vec![cmd("CHG", &format!("{t} NLN {id}"))];
    for c in &s.contacts {
        if w.rng.chance(0.5) {
            reply.push(cmd(
                "ILN",
                &format!(
                    "{t} {} {} {} {}",
                    w.rng.pick(STATUSES),
                    c.handle,
                    c.friendly,
                    w.rng.pick(CLIENT_IDS)
                ),
            ));
            online.push(c.clone());
        }
    }
    reply.push(cmd_payload(
        "MSG",
        "Hotmail Hotmail",
        &mail_msg(&mut w.rng, true),
    ));
    coalesced(w, ns, false, reply);

    // A while of activity; switchboards run alongside on their own clocks.
    let mut sb_end = ns.clock;
    for _ in 0..w.rng.range(2, 14) {
        ns.pause(think(&mut w.rng, 500, 40_000));
        match w.rng.below(12) {
            0 | 1 => {
                ns.send(w, true, vec![cmd("PNG", "")]);
                ns.pause(rtt);
                ns.send(w, false, vec![cmd("QNG", "")]);
            }
            2 => {
                let c = w.rng.pick(&s.contacts).clone();
                if online.iter().any(|o| o.handle == c.handle) && w.rng.chance(0.5) {
                    ns.send(w, false, vec![cmd("FLN", &c.handle)]);
                    online.retain(|o| o.handle != c.handle);
                } else {
                    let line = format!(
                        "{} {} {} {}",
                        w.rng.pick(STATUSES),
                        c.handle,
                        c.friendly,
                        w.rng.pick(CLIENT_IDS)
                    );
                    ns.send(w, false, vec![cmd("NLN", &line)]);
                    if !online.iter().any(|o| o.handle == c.handle) {
                        online.push(c);
                    }
                }
            }
            3 => {
                let t = ns.next_trid();
                let st = format!("{t} {} {id}", w.rng.pick(STATUSES));
                ns.send(w, true, vec![cmd("CHG", &st)]);
                ns.pause(rtt);
                ns.send(w, false, vec![cmd("CHG", &st)]);
            }
            4 => {
                let challenge = digits(&mut w.rng, 20);
                ns.send(w, false, vec![cmd("CHL", &format!("0 {challenge}"))]);
                ns.pause(think(&mut w.rng, 5, 100));
                let t = ns.next_trid();
                ns.send(
                    w,
                    true,
                    vec![cmd_payload(
                        "QRY",
                        &format!("{t} msmsgs@msnmsgr.com"),
                        qry_answer(&challenge).as_bytes(),
                    )],
                );
                w.truth.challenges += 1;
                ns.pause(rtt);
                ns.send(w, false, vec![cmd("QRY", &t.to_string())]);
            }
            5 => {
                let t = ns.next_trid();
                let name = urlencode(&w.rng.pick(FRIENDLY).replace("{n}", "Me"));
                ns.send(
                    w,
                    true,
                    vec![cmd("REA", &format!("{t} {} {name}", s.me.handle))],
                );
                ns.pause(rtt);
                let v = w.rng.range(40, 400);
                ns.send(
                    w,
                    false,
                    vec![cmd("REA", &format!("{t} {v} {} {name}", s.me.handle))],
                );
            }
            6 => {
                let mail = cmd_payload("MSG", "Hotmail Hotmail", &mail_msg(&mut w.rng, false));
                ns.send(w, false, vec![mail]);
            }
            7..=9 => {
                // Start a conversation: ask for a switchboard.
                let t = ns.next_trid();
                ns.send(w, true, vec![cmd("XFR", &format!("{t} SB"))]);
                ns.pause(rtt);
                if w.rng.chance(0.05) {
                    ns.send(w, false, vec![cmd("800", &t.to_string())]);
                    continue;
                }
                let sb = sb_addr(w);
                let ck = cookie(&mut w.rng);
                ns.send(
                    w,
                    false,
                    vec![cmd("XFR", &format!("{t} SB {} CKI {ck}", addr_str(sb)))],
                );
                let at = ns.clock + think(&mut w.rng, 1, 100);
                let peers = pick_peers(w, &online, &s.contacts);
                let by = (addr_str(ns.client), addr_str(ns.server));
                let end = switchboard(w, s, sb, at, by, Invite::Caller { cookie: ck, peers });
                sb_end = sb_end.max(end);
            }
            _ => {
                // Someone else starts one.
                // (An offline contact ringing is odd, but the server does not care.)
                let from = if online.is_empty() {
                    w.rng.pick(&s.contacts).clone()
                } else {
                    w.rng.pick(&online).clone()
                };
                let sb = sb_addr(w);
                let ck = cookie(&mut w.rng);
                let session_id = digits(&mut w.rng, 8);
                ns.send(
                    w,
                    false,
                    vec![cmd(
                        "RNG",
                        &format!(
                            "{session_id} {} CKI {ck} {} {}",
                            addr_str(sb),
                            from.handle,
                            from.friendly
                        ),
                    )],
                );
                let at = ns.clock + think(&mut w.rng, 5, 300);
                let mut others = vec![from];
                if w.rng.chance(0.2) {
                    others.push(w.rng.pick(&s.contacts).clone());
                }
                let by = (addr_str(ns.client), addr_str(ns.server));
                let invite = Invite::Callee {
                    cookie: ck,
                    session_id,
                    others,
                };
                let end = switchboard(w, s, sb, at, by, invite);
                sb_end = sb_end.max(end);
            }
        }
    }

    // Sign out after the last conversation.
    ns.clock = ns.clock.max(sb_end) + think(&mut w.rng, 100, 5000);
    match w.rng.below(20) {
        0..=13 => {
            ns.send(w, true, vec![cmd("OUT", "")]);
            ns.pause(think(&mut w.rng, 1, 50));
            let first = w.rng.chance(0.6);
            ns.close_fin(&mut w.rng, first, rtt);
        }
        14 | 15 => {
            let reason = if w.rng.chance(0.5) { "OTH" } else { "SSD" };
            ns.send(w, false, vec![cmd("OUT", reason)]);
            ns.pause(think(&mut w.rng, 1, 50));
            ns.close_fin(&mut w.rng, false, rtt);
        }
        16 | 17 => {
            ns.send(w, true, vec![cmd("OUT", "")]);
            ns.pause(think(&mut w.rng, 1, 50));
            ns.close_rst(true);
        }
        _ => {
            let by = w.rng.chance(0.5);
            ns.close_rst(by)
        }
    }
}

/// Sends `cmds` in one burst, or (without coalescing) one burst each.
fn coalesced(w: &mut World, c: &mut Conn, from_client: bool, cmds: Vec<Cmd>) {
    if w.rng.chance(w.opts.coalesce) {
        c.send(w, from_client, cmds);
    } else {
        for one in cmds {
            c.send(w, from_client, vec![one]);
            c.pause(w.rng.range(1_000, 2 * MS));
        }
    }
}

fn sb_addr(w: &mut World) -> Addr {
    let port = if w.rng.chance(w.opts.other_port) {
        *w.rng.pick(OTHER_SB_PORTS)
    } else {
        1863
    };
    ([207, 46, 108, w.rng.range(1, 254) as u8], port)
}

fn pick_peers(w: &mut World, online: &[User], contacts: &[User]) -> Vec<(User, bool)> {
    let n = if w.rng.chance(0.2) { 2 } else { 1 };
    (0..n)
        .map(|_| {
            if !online.is_empty() && w.rng.chance(0.9) {
                (w.rng.pick(online).clone(), true)
            } else {
                // Offline: the call fails with 217.
                (w.rng.pick(contacts).clone(), false)
            }
        })
        .collect()
}

enum Invite {
    /// We asked for the switchboard: `USR` with the cookie, then `CAL` each peer
    /// (`true` when the peer is online and will join).
    Caller {
        cookie: String,
        peers: Vec<(User, bool)>,
    },
    /// We were rung: `ANS`; `others` are already there.
    Callee {
        cookie: String,
        session_id: String,
        others: Vec<User>,
    },
}

/// A switchboard connection starting at `at`; returns when it ended.
fn switchboard(
    w: &mut World,
    s: &mut Session,
    server: Addr,
    at: u64,
    announced_by: (String, String),
    invite: Invite,
) -> u64 {
    let rtt = s.rtt;
    let client = s.client();
    let mut c = Conn::new(&mut w.rng, client, server, at, Some(Role::Sb));
    c.announced_by = Some(announced_by);
    c.handshake(&mut w.rng, rtt);
    let me = s.me.clone();
    let mut present: Vec<User> = Vec::new();
    match invite {
        Invite::Caller { cookie, peers } => {
            let t = c.next_trid();
            c.send(
                w,
                true,
                vec![cmd("USR", &format!("{t} {} {cookie}", me.handle))],
            );
            c.pause(rtt);
            c.send(
                w,
                false,
                vec![cmd("USR", &format!("{t} OK {} {}", me.handle, me.friendly))],
            );
            for (peer, online) in peers {
                c.pause(think(&mut w.rng, 10, 500));
                let t = c.next_trid();
                c.send(w, true, vec![cmd("CAL", &format!("{t} {}", peer.handle))]);
                c.pause(rtt);
                if !online {
                    c.send(w, false, vec![cmd("217", &t.to_string())]);
                    continue;
                }
                let ringing = format!("{t} RINGING {}", digits(&mut w.rng, 8));
                c.send(w, false, vec![cmd("CAL", &ringing)]);
                c.pause(think(&mut w.rng, 200, 8000));
                c.send(
                    w,
                    false,
                    vec![cmd("JOI", &format!("{} {}", peer.handle, peer.friendly))],
                );
                present.push(peer);
            }
        }
        Invite::Callee {
            cookie,
            session_id,
            others,
        } => {
            let t = c.next_trid();
            c.send(
                w,
                true,
                vec![cmd(
                    "ANS",
                    &format!("{t} {} {cookie} {session_id}", me.handle),
                )],
            );
            c.pause(rtt);
            let n = others.len();
            let mut reply: Vec<Cmd> = others
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    cmd(
                        "IRO",
                        &format!("{t} {} {n} {} {}", i + 1, o.handle, o.friendly),
                    )
                })
                .collect();
            reply.push(cmd("ANS", &format!("{t} OK")));
            coalesced(w, &mut c, false, reply);
            present = others;
        }
    }

    if present.is_empty() {
        // Nobody came: leave.
        c.pause(think(&mut w.rng, 100, 2000));
        c.send(w, true, vec![cmd("OUT", "")]);
        c.pause(think(&mut w.rng, 1, 50));
        let first = w.rng.chance(0.5);
        c.close_fin(&mut w.rng, first, rtt);
        let end = c.clock;
        w.finish(c);
        return end;
    }

    // The chat.
    for _ in 0..w.rng.range(1, 24) {
        c.pause(think(&mut w.rng, 300, 15_000));
        if w.rng.chance(0.5) {
            // We write.
            let mut burst = Vec::new();
            if w.rng.chance(0.5) {
                let t = c.next_trid();
                burst.push(cmd_payload(
                    "MSG",
                    &format!("{t} U"),
                    &typing_msg(&me.handle),
                ));
                if !w.rng.chance(w.opts.coalesce) {
                    c.send(w, true, std::mem::take(&mut burst));
                    c.pause(think(&mut w.rng, 200, 4000));
                }
            }
            let t = c.next_trid();
            let mode = *w.rng.pick(&["A", "A", "N", "N", "U"]);
            burst.push(cmd_payload(
                "MSG",
                &format!("{t} {mode}"),
                &text_msg(&mut w.rng),
            ));
            c.send(w, true, burst);
            let reply = match mode {
                "A" if w.rng.chance(0.9) => Some("ACK"),
                "A" => Some("NAK"),
                "N" if w.rng.chance(0.05) => Some("NAK"),
                _ => None,
            };
            if let Some(verb) = reply {
                c.pause(rtt);
                c.send(w, false, vec![cmd(verb, &t.to_string())]);
            }
        } else {
            // Someone else does.
            let from = w.rng.pick(&present).clone();
            let head = format!("{} {}", from.handle, from.friendly);
            let mut burst = Vec::new();
            if w.rng.chance(0.5) {
                burst.push(cmd_payload("MSG", &head, &typing_msg(&from.handle)));
                if !w.rng.chance(w.opts.coalesce) {
                    c.send(w, false, std::mem::take(&mut burst));
                    c.pause(think(&mut w.rng, 200, 4000));
                }
            }
            burst.push(cmd_payload("MSG", &head, &text_msg(&mut w.rng)));
            c.send(w, false, burst);
        }
        if w.rng.chance(0.03) {
            // Someone else joins.
            c.pause(think(&mut w.rng, 100, 3000));
            let u = user(&mut w.rng);
            c.send(
                w,
                false,
                vec![cmd("JOI", &format!("{} {}", u.handle, u.friendly))],
            );
            present.push(u);
        }
    }

    // The end.
    c.pause(think(&mut w.rng, 500, 20_000));
    match w.rng.below(10) {
        0..=3 => {
            // Everyone else leaves, then so do we.
            for (i, u) in present.iter().enumerate() {
                let idle = i == 0 && w.rng.chance(0.2);
                let line = if idle {
                    format!("{} 1", u.handle)
                } else {
                    u.handle.clone()
                };
                c.send(w, false, vec![cmd("BYE", &line)]);
                c.pause(think(&mut w.rng, 10, 500));
            }
            if w.rng.chance(0.5) {
                c.send(w, true, vec![cmd("OUT", "")]);
                c.pause(think(&mut w.rng, 1, 50));
            }
            c.close_fin(&mut w.rng, true, rtt);
        }
        4..=7 => {
            c.send(w, true, vec![cmd("OUT", "")]);
            c.pause(think(&mut w.rng, 1, 50));
            let first = w.rng.chance(0.5);
            c.close_fin(&mut w.rng, first, rtt);
        }
        8 => {
            c.send(w, true, vec![cmd("OUT", "")]);
            c.pause(think(&mut w.rng, 1, 50));
            c.close_rst(true);
        }
        _ => {
            let by = w.rng.chance(0.5);
            c.close_rst(by)
        }
    }
    let end = c.clock;
    w.finish(c);
    end
}

/// A connection that is not MSN: HTTP on port 80, or TLS-looking bytes on 443; sometimes a
/// DNS-like UDP exchange first.
fn background(w: &mut World, at: u64) {
    let n = w.truth.background_connections as u32;
    let client: Addr = (
        [192, 168, (n / 250 % 250) as u8, (1 + n % 250) as u8],
        w.rng.range(1100, 65000) as u16,
    );
    let rtt = think(&mut w.rng, 5, 100);
    if w.rng.chance(0.3) {
        let dns: Addr = ([192, 168, 0, 1], 53);
        let q: Vec<u8> = (0..w.rng.range(20, 60))
            .map(|_| w.rng.next_u64() as u8)
            .collect();
        let frame = udp_frame(client, dns, &q);
        w.frame(at, frame);
        let frame = udp_frame(dns, client, &q);
        w.frame(at + rtt, frame);
        w.truth.udp_packets += 2;
    }
    let at = at + 2 * rtt;
    let https = w.rng.chance(0.4);
    let server: Addr = (
        [198, 51, 100, w.rng.range(1, 254) as u8],
        if https { 443 } else { 80 },
    );
    let mut c = Conn::new(&mut w.rng, client, server, at, None);
    c.handshake(&mut w.rng, rtt);
    for _ in 0..w.rng.range(1, 4) {
        let (req, resp) = if https {
            let mut req = vec![0x17, 0x03, 0x01];
            req.extend((0..w.rng.range(50, 600)).map(|_| w.rng.next_u64() as u8));
            let mut resp = vec![0x17, 0x03, 0x01];
            resp.extend((0..w.rng.range(100, 3000)).map(|_| w.rng.next_u64() as u8));
            (req, resp)
        } else {
            let path = format!("/{}/{}.html", w.rng.pick(NAMES), w.rng.below(1000));
            let req = format!(
                "GET {path} HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: Mozilla/4.0\r\n\r\n"
            );
            let body: String = (0..w.rng.range(5, 150))
                .map(|_| *w.rng.pick(TEXTS))
                .collect::<Vec<_>>()
                .join("<br>\r\n");
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            (req.into_bytes(), resp.into_bytes())
        };
        c.send(
            w,
            true,
            vec![Cmd {
                verb: String::new(),
                bytes: req,
            }],
        );
        c.pause(rtt);
        c.send(
            w,
            false,
            vec![Cmd {
                verb: String::new(),
                bytes: resp,
            }],
        );
        c.pause(think(&mut w.rng, 10, 3000));
    }
    let first = w.rng.chance(0.5);
    c.close_fin(&mut w.rng, first, rtt);
    w.finish(c);
}
