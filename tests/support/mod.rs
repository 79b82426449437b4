//! A small classic-pcap writer and TCP frame builder for integration tests.
//!
//! Why it exists: synthetic edge cases (reordering, retransmits, missed SYN, cut snaplen,
//! fragments, odd link types) are easiest to read as a few lines of Rust that build a capture,
//! rather than as opaque binary fixtures. Include it from a test file with `mod support;`.
//!
//! What it guarantees: the files it writes are classic little-endian pcap (magic `a1b2c3d4`, or
//! `a1b23c4d` for nanosecond timestamps) that libpcap reads back byte for byte
//! (`tests/support_selftest.rs` checks this). IP and TCP headers come from etherparse's
//! `PacketBuilder`, with correct lengths and checksums; link headers etherparse cannot build
//! (Linux cooked v1/v2, BSD NULL/LOOP, 802.1Q/QinQ tags) are written by hand here.
//!
//! Timestamps: a [`Pcap`] keeps a clock that starts at 1_136_000_000 s; [`Pcap::push`] (and so
//! every [`Conv`] method) writes at the clock and advances it by 1 ms. An explicit
//! [`Pcap::frame`] moves the clock to that time, so later pushes come after it.
//!
//! [`msngen`] builds large MSNP8 captures with exact ground truth on top of this writer.
//!
//! Test helpers panic on bad *test* input (an unparsable address string): that is a bug in the
//! test, not in capture data.
#![allow(dead_code)]

pub mod floors;
pub mod msngen;

use etherparse::{PacketBuilder, TcpHeader};
use std::net::{IpAddr, SocketAddr};

pub const LINKTYPE_NULL: u32 = 0;
pub const LINKTYPE_ETHERNET: u32 = 1;
pub const LINKTYPE_RAW: u32 = 101;
pub const LINKTYPE_LOOP: u32 = 108;
pub const LINKTYPE_LINUX_SLL: u32 = 113;
pub const LINKTYPE_IPV4: u32 = 228;
pub const LINKTYPE_IPV6: u32 = 229;
pub const LINKTYPE_LINUX_SLL2: u32 = 276;

/// First timestamp of every capture's clock, in microseconds (1_136_000_000 s, early 2006).
pub const START_US: u64 = 1_136_000_000 * 1_000_000;
/// Clock step between frames written by [`Pcap::push`], in microseconds.
pub const STEP_US: u64 = 1_000;

/// Snap length written in the file header.
const SNAPLEN: u32 = 262_144;

/// MAC addresses used for the client and server side of Ethernet frames.
pub const CLIENT_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
pub const SERVER_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];

/// A classic pcap file being built in memory.
pub struct Pcap {
    linktype: u32,
    nanosecond: bool,
    /// Records written so far (headers and data), without the file header.
    records: Vec<u8>,
    /// Next timestamp for [`Pcap::push`], in nanoseconds.
    clock_ns: u64,
    frames: usize,
}

impl Pcap {
    /// A microsecond-precision capture of the given link type.
    pub fn new(linktype: u32) -> Pcap {
        Pcap {
            linktype,
            nanosecond: false,
            records: Vec::new(),
            clock_ns: START_US * 1000,
            frames: 0,
        }
    }

    /// A nanosecond-precision capture (magic `a1b23c4d`).
    pub fn nanosecond(linktype: u32) -> Pcap {
        Pcap {
            nanosecond: true,
            ..Pcap::new(linktype)
        }
    }

    pub fn linktype(&self) -> u32 {
        self.linktype
    }

    /// Number of frames written so far.
    pub fn len(&self) -> usize {
        self.frames
    }

    pub fn is_empty(&self) -> bool {
        self.frames == 0
    }

    /// A whole frame at `ts_us` microseconds since the epoch.
    pub fn frame(&mut self, ts_us: u64, data: &[u8]) {
        self.frame_ns(ts_us * 1000, data);
    }

    /// A whole frame at `ts_ns` nanoseconds since the epoch (truncated to microseconds in a
    /// microsecond file).
    pub fn frame_ns(&mut self, ts_ns: u64, data: &[u8]) {
        self.record(ts_ns, data, data.len() as u32);
    }

    /// A frame cut by the snaplen: `data` was captured, `origlen` bytes were on the wire.
    pub fn frame_cut(&mut self, ts_us: u64, data: &[u8], origlen: u32) {
        self.record(ts_us * 1000, data, origlen);
    }

    /// A whole frame at the clock; the clock then advances by 1 ms.
    pub fn push(&mut self, data: &[u8]) {
        self.record(self.clock_ns, data, data.len() as u32);
    }

    /// A snaplen-cut frame at the clock; the clock then advances by 1 ms.
    pub fn push_cut(&mut self, data: &[u8], origlen: u32) {
        self.record(self.clock_ns, data, origlen);
    }

    /// Moves the clock forward by `us` microseconds (on top of the usual 1 ms per frame).
    pub fn advance_us(&mut self, us: u64) {
        self.clock_ns += us * 1000;
    }

    /// The timestamp the next [`Pcap::push`] will use, in microseconds.
    pub fn clock_us(&self) -> u64 {
        self.clock_ns / 1000
    }

    fn record(&mut self, ts_ns: u64, data: &[u8], origlen: u32) {
        let secs = ts_ns / 1_000_000_000;
        let sub = ts_ns % 1_000_000_000;
        let frac = if self.nanosecond { sub } else { sub / 1000 };
        self.records.extend_from_slice(&(secs as u32).to_le_bytes());
        self.records.extend_from_slice(&(frac as u32).to_le_bytes());
        self.records
            .extend_from_slice(&(data.len() as u32).to_le_bytes());
        self.records.extend_from_slice(&origlen.to_le_bytes());
        self.records.extend_from_slice(data);
        self.frames += 1;
        self.clock_ns = self.clock_ns.max(ts_ns) + STEP_US * 1000;
    }

    /// The whole file: header and records.
    pub fn to_bytes(&self) -> Vec<u8> {
        let magic: u32 = if self.nanosecond {
            0xa1b2_3c4d
        } else {
            0xa1b2_c3d4
        };
        let mut out = Vec::with_capacity(24 + self.records.len());
        out.extend_from_slice(&magic.to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&4u16.to_le_bytes());
        out.extend_from_slice(&0i32.to_le_bytes()); // thiszone
        out.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        out.extend_from_slice(&SNAPLEN.to_le_bytes());
        out.extend_from_slice(&self.linktype.to_le_bytes());
        out.extend_from_slice(&self.records);
        out
    }

    pub fn write(&self, path: &std::path::Path) {
        std::fs::write(path, self.to_bytes())
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}

/// Parses `"10.0.0.1:50000"` or `"[2001:db8::1]:1863"`.
pub fn addr(s: &str) -> SocketAddr {
    s.parse()
        .unwrap_or_else(|e| panic!("bad socket address {s:?}: {e}"))
}

/// A TCP header with the given flags (letters S A F R P U, any order).
pub fn tcp_header(src: u16, dst: u16, seq: u32, ack: u32, flags: &str) -> TcpHeader {
    let mut h = TcpHeader::new(src, dst, seq, 65_535);
    h.acknowledgment_number = ack;
    for c in flags.chars() {
        match c {
            'S' => h.syn = true,
            'A' => h.ack = true,
            'F' => h.fin = true,
            'R' => h.rst = true,
            'P' => h.psh = true,
            'U' => h.urg = true,
            other => panic!("unknown TCP flag letter {other:?} in {flags:?}"),
        }
    }
    h
}

/// A bare IP packet (IPv4 or IPv6 by the address family) carrying one TCP segment.
pub fn ip_packet(src: &str, dst: &str, seq: u32, ack: u32, flags: &str, payload: &[u8]) -> Vec<u8> {
    let (s, d) = (addr(src), addr(dst));
    let tcp = tcp_header(s.port(), d.port(), seq, ack, flags);
    let mut out = Vec::new();
    match (s.ip(), d.ip()) {
        (IpAddr::V4(a), IpAddr::V4(b)) => PacketBuilder::ipv4(a.octets(), b.octets(), 64)
            .tcp_header(tcp)
            .write(&mut out, payload),
        (IpAddr::V6(a), IpAddr::V6(b)) => PacketBuilder::ipv6(a.octets(), b.octets(), 64)
            .tcp_header(tcp)
            .write(&mut out, payload),
        _ => panic!("mixed address families: {src} -> {dst}"),
    }
    .unwrap_or_else(|e| panic!("building IP packet: {e}"));
    out
}

/// EtherType of a bare IP packet, by its version nibble (0x0800 or 0x86dd).
pub fn ethertype_of(ip: &[u8]) -> u16 {
    match ip.first().map(|b| b >> 4) {
        Some(6) => 0x86dd,
        _ => 0x0800,
    }
}

/// An Ethernet II header (no tags) in front of `payload`.
pub fn ethernet(src: [u8; 6], dst: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(14 + payload.len());
    out.extend_from_slice(&dst);
    out.extend_from_slice(&src);
    out.extend_from_slice(&ethertype.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// An Ethernet II frame with VLAN tags, outermost first: each `(tpid, vlan_id)` pair becomes a
/// 4-byte tag (TPID 0x8100 for 802.1Q, 0x88a8 or 0x9100 for the outer tag of QinQ).
pub fn ethernet_vlan(tags: &[(u16, u16)], ip: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&SERVER_MAC);
    out.extend_from_slice(&CLIENT_MAC);
    for &(tpid, vid) in tags {
        out.extend_from_slice(&tpid.to_be_bytes());
        out.extend_from_slice(&(vid & 0x0fff).to_be_bytes());
    }
    out.extend_from_slice(&ethertype_of(ip).to_be_bytes());
    out.extend_from_slice(ip);
    out
}

/// Linux cooked v1 header (16 bytes, protocol at 14..16) in front of `ip`.
pub fn linux_sll(ip: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + ip.len());
    out.extend_from_slice(&0u16.to_be_bytes()); // packet type: to us
    out.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
    out.extend_from_slice(&6u16.to_be_bytes()); // address length
    out.extend_from_slice(&CLIENT_MAC);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&ethertype_of(ip).to_be_bytes());
    out.extend_from_slice(ip);
    out
}

/// Linux cooked v2 header (20 bytes, protocol at 0..2) in front of `ip`.
pub fn linux_sll2(ip: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(20 + ip.len());
    out.extend_from_slice(&ethertype_of(ip).to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes()); // reserved
    out.extend_from_slice(&2u32.to_be_bytes()); // interface index
    out.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
    out.push(0); // packet type
    out.push(6); // address length
    out.extend_from_slice(&CLIENT_MAC);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(ip);
    out
}

/// BSD address family of a bare IP packet: 2 for IPv4, `v6` for IPv6 (24, 28 or 30 depending
/// on the BSD).
fn af_of(ip: &[u8], v6: u32) -> u32 {
    if ethertype_of(ip) == 0x86dd { v6 } else { 2 }
}

/// DLT_NULL: 4-byte address family in the capturing host's byte order. Written little-endian
/// (as on x86), with AF_INET6 = 30 (macOS).
pub fn null_le(ip: &[u8]) -> Vec<u8> {
    let mut out = af_of(ip, 30).to_le_bytes().to_vec();
    out.extend_from_slice(ip);
    out
}

/// DLT_NULL written by a big-endian host, with AF_INET6 = 28 (FreeBSD).
pub fn null_be(ip: &[u8]) -> Vec<u8> {
    let mut out = af_of(ip, 28).to_be_bytes().to_vec();
    out.extend_from_slice(ip);
    out
}

/// DLT_LOOP: 4-byte address family in network byte order, AF_INET6 = 24 (OpenBSD).
pub fn loop_hdr(ip: &[u8]) -> Vec<u8> {
    let mut out = af_of(ip, 24).to_be_bytes().to_vec();
    out.extend_from_slice(ip);
    out
}

/// Puts the link header of `linktype` in front of a bare IP packet. Ethernet frames go from
/// [`CLIENT_MAC`] to [`SERVER_MAC`].
pub fn link_wrap(linktype: u32, ip: &[u8]) -> Vec<u8> {
    match linktype {
        LINKTYPE_NULL => null_le(ip),
        LINKTYPE_ETHERNET => ethernet(CLIENT_MAC, SERVER_MAC, ethertype_of(ip), ip),
        LINKTYPE_LOOP => loop_hdr(ip),
        LINKTYPE_LINUX_SLL => linux_sll(ip),
        LINKTYPE_LINUX_SLL2 => linux_sll2(ip),
        LINKTYPE_RAW | LINKTYPE_IPV4 | LINKTYPE_IPV6 => ip.to_vec(),
        other => panic!("support::link_wrap: link type {other} not supported"),
    }
}

/// Builds one frame of the given link type carrying a TCP segment (IPv4 or IPv6 chosen by the
/// address family). `flags`: a string of letters S A F R P (e.g. "SA", "PA", "FA", "R").
pub fn tcp_frame(
    linktype: u32,
    src: &str,
    dst: &str,
    seq: u32,
    ack: u32,
    flags: &str,
    payload: &[u8],
) -> Vec<u8> {
    if linktype == LINKTYPE_ETHERNET {
        // Ethernet goes through etherparse's builder end to end.
        let (s, d) = (addr(src), addr(dst));
        let tcp = tcp_header(s.port(), d.port(), seq, ack, flags);
        let eth = PacketBuilder::ethernet2(CLIENT_MAC, SERVER_MAC);
        let mut out = Vec::new();
        match (s.ip(), d.ip()) {
            (IpAddr::V4(a), IpAddr::V4(b)) => eth
                .ipv4(a.octets(), b.octets(), 64)
                .tcp_header(tcp)
                .write(&mut out, payload),
            (IpAddr::V6(a), IpAddr::V6(b)) => eth
                .ipv6(a.octets(), b.octets(), 64)
                .tcp_header(tcp)
                .write(&mut out, payload),
            _ => panic!("mixed address families: {src} -> {dst}"),
        }
        .unwrap_or_else(|e| panic!("building Ethernet frame: {e}"));
        return out;
    }
    link_wrap(linktype, &ip_packet(src, dst, seq, ack, flags, payload))
}

/// Splits a bare IPv4 packet into fragments whose data parts hold at most `chunk` bytes
/// (rounded down to a multiple of 8), setting the identification to `id`. Header checksums
/// are recomputed. Returns bare IPv4 packets, first fragment first.
pub fn ipv4_fragments(ip: &[u8], id: u16, chunk: usize) -> Vec<Vec<u8>> {
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
    let header = &ip[..ihl];
    let data = &ip[ihl..total];
    let chunk = (chunk / 8).max(1) * 8;
    let mut out = Vec::new();
    let mut off = 0;
    while off < data.len() {
        let end = (off + chunk).min(data.len());
        let more = end < data.len();
        let mut h = header.to_vec();
        h[2..4].copy_from_slice(&((ihl + end - off) as u16).to_be_bytes());
        h[4..6].copy_from_slice(&id.to_be_bytes());
        let flags_off = (off / 8) as u16 | if more { 0x2000 } else { 0 };
        h[6..8].copy_from_slice(&flags_off.to_be_bytes());
        set_ipv4_checksum(&mut h);
        h.extend_from_slice(&data[off..end]);
        out.push(h);
        off = end;
    }
    out
}

/// Recomputes the header checksum of an IPv4 header (the whole slice is the header).
pub fn set_ipv4_checksum(h: &mut [u8]) {
    h[10] = 0;
    h[11] = 0;
    let mut sum: u32 = 0;
    for pair in h.chunks(2) {
        let word = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let c = !(sum as u16);
    h[10..12].copy_from_slice(&c.to_be_bytes());
}

/// A TCP conversation that keeps sequence numbers for you and writes frames to a [`Pcap`] with
/// increasing timestamps (the pcap's clock).
pub struct Conv {
    linktype: u32,
    client: String,
    server: String,
    client_isn: u32,
    server_isn: u32,
    /// Next sequence number each side will send.
    client_next: u32,
    server_next: u32,
}

impl Conv {
    /// `client`/`server` like `"10.0.0.1:50000"` or `"[2001:db8::1]:1863"`. Sequence numbers
    /// start right after the ISNs, whether or not [`Conv::handshake`] is written (so a capture
    /// that misses the handshake still has consistent numbers).
    pub fn new(
        linktype: u32,
        client: &str,
        server: &str,
        client_isn: u32,
        server_isn: u32,
    ) -> Conv {
        // Fail early on bad addresses.
        addr(client);
        addr(server);
        Conv {
            linktype,
            client: client.to_string(),
            server: server.to_string(),
            client_isn,
            server_isn,
            client_next: client_isn.wrapping_add(1),
            server_next: server_isn.wrapping_add(1),
        }
    }

    /// SYN, SYN/ACK, ACK.
    pub fn handshake(&mut self, p: &mut Pcap) {
        let (c, s) = (self.client_isn, self.server_isn);
        self.raw(p, true, c, 0, "S", b"");
        self.raw(p, false, s, c.wrapping_add(1), "SA", b"");
        self.raw(p, true, c.wrapping_add(1), s.wrapping_add(1), "A", b"");
    }

    /// A PA segment client to server; advances the client's sequence number.
    pub fn client(&mut self, p: &mut Pcap, payload: &[u8]) {
        self.raw(p, true, self.client_next, self.server_next, "PA", payload);
        self.client_next = self.client_next.wrapping_add(payload.len() as u32);
    }

    /// The PA segment [`Conv::client`] would write, returned instead of written (for a test
    /// to alter before pushing it); advances the client's sequence number all the same.
    pub fn client_frame(&mut self, payload: &[u8]) -> Vec<u8> {
        let f = self.frame(true, self.client_next, self.server_next, "PA", payload);
        self.client_next = self.client_next.wrapping_add(payload.len() as u32);
        f
    }

    /// A PA segment server to client; advances the server's sequence number.
    pub fn server(&mut self, p: &mut Pcap, payload: &[u8]) {
        self.raw(p, false, self.server_next, self.client_next, "PA", payload);
        self.server_next = self.server_next.wrapping_add(payload.len() as u32);
    }

    /// FIN/ACK from the client (consumes one sequence number).
    pub fn client_fin(&mut self, p: &mut Pcap) {
        self.raw(p, true, self.client_next, self.server_next, "FA", b"");
        self.client_next = self.client_next.wrapping_add(1);
    }

    /// FIN/ACK from the server (consumes one sequence number).
    pub fn server_fin(&mut self, p: &mut Pcap) {
        self.raw(p, false, self.server_next, self.client_next, "FA", b"");
        self.server_next = self.server_next.wrapping_add(1);
    }

    /// The usual close: the client's FIN, then the server's.
    pub fn close(&mut self, p: &mut Pcap) {
        self.client_fin(p);
        self.server_fin(p);
    }

    /// RST/ACK from the client at its next sequence number.
    pub fn client_rst(&mut self, p: &mut Pcap) {
        self.raw(p, true, self.client_next, self.server_next, "RA", b"");
    }

    /// Next sequence number the client will send.
    pub fn client_seq(&self) -> u32 {
        self.client_next
    }

    /// Next sequence number the server will send.
    pub fn server_seq(&self) -> u32 {
        self.server_next
    }

    /// The frame [`Conv::raw`] would write, without writing it.
    pub fn frame(
        &self,
        from_client: bool,
        seq: u32,
        ack: u32,
        flags: &str,
        payload: &[u8],
    ) -> Vec<u8> {
        let (src, dst) = if from_client {
            (&self.client, &self.server)
        } else {
            (&self.server, &self.client)
        };
        let mut f = tcp_frame(self.linktype, src, dst, seq, ack, flags, payload);
        if !from_client && self.linktype == LINKTYPE_ETHERNET {
            // Swap MAC addresses so server frames come from the server's MAC.
            let (d, s) = f.split_at_mut(6);
            d.swap_with_slice(&mut s[..6]);
        }
        f
    }

    /// An arbitrary segment; does not advance any state.
    pub fn raw(
        &mut self,
        p: &mut Pcap,
        from_client: bool,
        seq: u32,
        ack: u32,
        flags: &str,
        payload: &[u8],
    ) {
        let f = self.frame(from_client, seq, ack, flags, payload);
        p.push(&f);
    }
}

/// The built binary with `args`, and `NO_COLOR`, `CLICOLOR_FORCE` and `COLUMNS` unset, so
/// that colour and width tests see the defaults.
fn command(args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_msnsniff"));
    c.args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS");
    c
}

/// Runs the built binary with `args` (see [`command`]).
pub fn msnsniff(args: &[&str]) -> std::process::Output {
    command(args).output().expect("run msnsniff")
}

/// [`msnsniff`] with `input` on its standard input.
pub fn msnsniff_stdin(args: &[&str], input: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = command(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run msnsniff");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    // Written from a thread of its own, so that a full output pipe cannot stall both sides.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait for msnsniff");
    let _ = writer.join();
    out
}

/// A run's standard output as text.
pub fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A run's standard error as text.
pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs msnsniff with `args` under GNU time: its output and its peak resident memory in
/// KiB (`%M`, measured on the msnsniff process alone).
pub fn run_measured(args: &[&str]) -> (std::process::Output, u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("rss");
    let out = std::process::Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(env!("CARGO_BIN_EXE_msnsniff"))
        .args(args)
        .output()
        .expect("GNU time (/usr/bin/time) runs the test's commands; `make test` installs it");
    let kb = std::fs::read_to_string(&report)
        .expect("time's report")
        .trim()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("a number of KiB");
    (out, kb)
}

/// An Ethernet frame from the client's MAC to the server's, carrying the IPv4 packet `ip`.
pub fn eth_ipv4(ip: Vec<u8>) -> Vec<u8> {
    ethernet(CLIENT_MAC, SERVER_MAC, 0x0800, &ip)
}

/// The JSON values of a run's standard output, one a line (`--format jsonl`).
pub fn jsonl(o: &std::process::Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// A transferred file's content for fixtures: text lines `TAG line N: figures as agreed`, cut
/// to exactly `n` bytes. Deterministic, so a test can rebuild the original a fixture sent.
pub fn filler(tag: &str, n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    let mut i = 0;
    while v.len() < n {
        v.extend_from_slice(format!("{tag} line {i:03}: figures as agreed\r\n").as_bytes());
        i += 1;
    }
    v.truncate(n);
    v
}

/// A P2Pv1 packet: the 48-byte little-endian header (`session`, `id`, `offset`, `total`,
/// `flags`; the length is `data`'s; no ack fields), `data`, the big-endian `footer`.
pub fn p2p_packet(
    session: u32,
    id: u32,
    offset: u64,
    total: u64,
    flags: u32,
    data: &[u8],
    footer: u32,
) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&session.to_le_bytes());
    v.extend_from_slice(&id.to_le_bytes());
    v.extend_from_slice(&offset.to_le_bytes());
    v.extend_from_slice(&total.to_le_bytes());
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(&flags.to_le_bytes());
    v.extend_from_slice(&[0u8; 16]);
    v.extend_from_slice(data);
    v.extend_from_slice(&footer.to_be_bytes());
    v
}
