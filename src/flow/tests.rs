//! Table tests of the flow table: detection, sides, ids, closing, bounds.

use super::*;
use crate::Direction;
use crate::capture::Timestamp;
use crate::net::{TcpFlags, TcpSegment};
use crate::reassembly::GapReason;

const C: &str = "10.0.0.1:50000";
const S: &str = "10.0.0.2:1863";
/// Initial sequence numbers near the wrap, so every test crosses it.
const CISN: u32 = u32::MAX - 3;
const SISN: u32 = u32::MAX - 1;

#[derive(Debug, Clone, PartialEq)]
enum Rec {
    Opened(u64, String, String),
    Data(u64, Direction, u64, Vec<u8>),
    Gap(u64, Direction, u64, u64, GapReason),
    Fin(u64, Direction),
    Anomaly(Option<u64>, &'static str),
    Closed(u64, Closing),
}

struct Harness {
    table: FlowTable,
    recs: Vec<Rec>,
    summaries: Vec<FlowSummary>,
    frame: u64,
    secs: i64,
}

fn flags(s: &str) -> TcpFlags {
    let mut f = 0;
    for c in s.chars() {
        f |= match c {
            'S' => TcpFlags::SYN,
            'A' => TcpFlags::ACK,
            'F' => TcpFlags::FIN,
            'R' => TcpFlags::RST,
            'P' => TcpFlags::PSH,
            _ => panic!("flag {c}"),
        };
    }
    TcpFlags(f)
}

/// The tests' own sniffer, so that the flow table is tested apart from the MSNP one: a first
/// line starting with `VER `, `USR ` or `ANS ` is MSN; a line end, or 64 bytes without one,
/// decides; before that, a prefix of those words waits.
fn test_sniff(buf: &[u8]) -> Option<bool> {
    const OPENINGS: [&[u8]; 3] = [b"VER ", b"USR ", b"ANS "];
    match buf.iter().position(|&b| b == b'\n') {
        Some(_) => Some(OPENINGS.iter().any(|o| buf.starts_with(o))),
        None if buf.len() >= 64 => Some(false),
        None => {
            let n = buf.len().min(4);
            if OPENINGS.iter().any(|o| buf[..n] == o[..n]) {
                None
            } else {
                Some(false)
            }
        }
    }
}

/// The default configuration with [`test_sniff`].
fn config() -> FlowConfig {
    FlowConfig {
        sniff: test_sniff,
        ..FlowConfig::default()
    }
}

impl Harness {
    fn new() -> Harness {
        Harness::with(config())
    }

    fn with(config: FlowConfig) -> Harness {
        Harness {
            table: FlowTable::new(config),
            recs: Vec::new(),
            summaries: Vec::new(),
            frame: 0,
            secs: 1_000_000,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn seg(&mut self, src: &str, dst: &str, seq: u32, ack: u32, fl: &str, payload: &[u8]) {
        self.frame += 1;
        let seg = TcpSegment {
            index: self.frame,
            ts: Timestamp::new(self.secs, 0),
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            seq,
            ack,
            flags: flags(fl),
            payload,
            missing: 0,
        };
        let (recs, sums) = (&mut self.recs, &mut self.summaries);
        self.table.segment(&seg, &mut |ev| record(recs, sums, ev));
    }

    fn expect(&mut self, e: Expectation) {
        let at = At {
            frame: self.frame,
            ts: Timestamp::new(self.secs, 0),
        };
        let (recs, sums) = (&mut self.recs, &mut self.summaries);
        self.table.expect(e, at, &mut |ev| record(recs, sums, ev));
    }

    fn finish(&mut self) {
        let at = At {
            frame: self.frame,
            ts: Timestamp::new(self.secs, 0),
        };
        let (recs, sums) = (&mut self.recs, &mut self.summaries);
        self.table.finish(at, &mut |ev| record(recs, sums, ev));
    }

    /// SYN, SYN/ACK, ACK between `c` and `s`.
    fn handshake(&mut self, c: &str, s: &str) {
        self.seg(c, s, CISN, 0, "S", b"");
        self.seg(s, c, SISN, CISN.wrapping_add(1), "SA", b"");
        self.seg(c, s, CISN.wrapping_add(1), SISN.wrapping_add(1), "A", b"");
    }

    fn opened(&self) -> Vec<(u64, String, String)> {
        self.recs
            .iter()
            .filter_map(|r| match r {
                Rec::Opened(id, c, s) => Some((*id, c.clone(), s.clone())),
                _ => None,
            })
            .collect()
    }

    fn bytes(&self, flow: u64, dir: Direction) -> Vec<u8> {
        let mut out = Vec::new();
        for r in &self.recs {
            if let Rec::Data(f, d, off, b) = r
                && *f == flow
                && *d == dir
            {
                assert_eq!(*off as usize, out.len(), "data out of order");
                out.extend_from_slice(b);
            }
        }
        out
    }
}

fn record(recs: &mut Vec<Rec>, sums: &mut Vec<FlowSummary>, ev: FlowEvent<'_>) {
    recs.push(match ev {
        FlowEvent::Opened {
            flow,
            client,
            server,
            ..
        } => Rec::Opened(flow.0, client.to_string(), server.to_string()),
        FlowEvent::Data {
            flow,
            dir,
            offset,
            bytes,
            ..
        } => Rec::Data(flow.0, dir, offset, bytes.to_vec()),
        FlowEvent::Gap {
            flow,
            dir,
            offset,
            len,
            reason,
            ..
        } => Rec::Gap(flow.0, dir, offset, len, reason),
        FlowEvent::Fin { flow, dir, .. } => Rec::Fin(flow.0, dir),
        FlowEvent::Anomaly { flow, name, .. } => Rec::Anomaly(flow.map(|f| f.0), name),
        FlowEvent::Closed { summary, .. } => {
            sums.push(summary.clone());
            Rec::Closed(summary.id.0, summary.closing)
        }
    });
}

use Direction::{ClientToServer as C2S, ServerToClient as S2C};

#[test]
fn syn_to_msn_port_opens_a_connection_with_the_syn_sender_as_client() {
    let mut h = Harness::new();
    h.handshake(C, S);
    h.seg(
        C,
        S,
        CISN.wrapping_add(1),
        SISN.wrapping_add(1),
        "PA",
        b"VER 1 MSNP8 CVR0\r\n",
    );
    h.seg(
        S,
        C,
        SISN.wrapping_add(1),
        CISN.wrapping_add(19),
        "PA",
        b"VER 1 MSNP8 CVR0\r\n",
    );
    h.finish();
    assert_eq!(h.opened(), vec![(1, C.into(), S.into())]);
    assert_eq!(h.bytes(1, C2S), b"VER 1 MSNP8 CVR0\r\n");
    assert_eq!(h.bytes(1, S2C), b"VER 1 MSNP8 CVR0\r\n");
    let s = &h.summaries[0];
    assert_eq!(s.detection, Detection::Port { port: 1863 });
    assert_eq!(s.opening, Opening::Syn);
    assert_eq!(s.closing, Closing::Open);
    assert_eq!((s.client_packets, s.server_packets), (3, 2));
    assert_eq!((s.client_bytes, s.server_bytes), (18, 18));
}

#[test]
fn syn_ack_seen_first_still_makes_the_port_side_the_server() {
    let mut h = Harness::new();
    h.seg(S, C, SISN, CISN.wrapping_add(1), "SA", b"");
    h.seg(
        C,
        S,
        CISN.wrapping_add(1),
        SISN.wrapping_add(1),
        "PA",
        b"USR 1 x\r\n",
    );
    h.finish();
    assert_eq!(h.opened(), vec![(1, C.into(), S.into())]);
    assert_eq!(h.summaries[0].opening, Opening::SynAck);
    assert_eq!(h.bytes(1, C2S), b"USR 1 x\r\n");
}

#[test]
fn syn_ack_captured_before_the_syn_is_one_connection() {
    let mut h = Harness::new();
    h.seg(S, C, SISN, CISN.wrapping_add(1), "SA", b"");
    h.seg(C, S, CISN, 0, "S", b"");
    h.seg(
        C,
        S,
        CISN.wrapping_add(1),
        SISN.wrapping_add(1),
        "PA",
        b"VER 1 MSNP8\r\n",
    );
    h.finish();
    assert_eq!(h.opened(), vec![(1, C.into(), S.into())]);
    assert_eq!(h.summaries[0].opening, Opening::Syn);
    assert_eq!(h.bytes(1, C2S), b"VER 1 MSNP8\r\n");
}

#[test]
fn midstream_pickup_uses_the_port_to_pick_sides() {
    let mut h = Harness::new();
    // The server speaks first in the capture.
    h.seg(S, C, 5000, 7000, "PA", b"NLN NLN bob@x Bob\r\n");
    h.seg(C, S, 7000, 5019, "PA", b"PNG\r\n");
    h.finish();
    assert_eq!(h.opened(), vec![(1, C.into(), S.into())]);
    assert_eq!(h.summaries[0].opening, Opening::Midstream);
    assert_eq!(h.bytes(1, S2C), b"NLN NLN bob@x Bob\r\n");
}

#[test]
fn ephemeral_port_1863_talking_http_is_not_msn() {
    let mut h = Harness::new();
    let c = "10.0.0.1:1863";
    let s = "10.0.0.9:80";
    h.handshake(c, s);
    h.seg(
        c,
        s,
        CISN.wrapping_add(1),
        SISN.wrapping_add(1),
        "PA",
        b"GET / HTTP/1.1\r\n\r\n",
    );
    h.finish();
    assert!(h.opened().is_empty(), "{:?}", h.recs);
    // Mid-stream too: no SYN to tell the client, but port 80 is a well-known service port.
    let mut h = Harness::new();
    h.seg(c, s, 100, 200, "PA", b"GET / HTTP/1.1\r\n\r\n");
    h.finish();
    assert!(h.opened().is_empty(), "{:?}", h.recs);
}

#[test]
fn msnp_on_another_port_is_found_by_its_first_bytes() {
    let mut h = Harness::new();
    let c = "10.0.0.1:40000";
    let s = "10.0.0.3:5000";
    h.handshake(c, s);
    // The first command arrives in two pieces.
    h.seg(
        c,
        s,
        CISN.wrapping_add(1),
        SISN.wrapping_add(1),
        "PA",
        b"VER 1 MS",
    );
    assert!(h.opened().is_empty());
    h.seg(
        c,
        s,
        CISN.wrapping_add(9),
        SISN.wrapping_add(1),
        "PA",
        b"NP8 CVR0\r\n",
    );
    h.seg(
        s,
        c,
        SISN.wrapping_add(1),
        CISN.wrapping_add(19),
        "PA",
        b"VER 1 MSNP8\r\n",
    );
    h.finish();
    assert_eq!(h.opened(), vec![(1, c.into(), s.into())]);
    assert_eq!(h.summaries[0].detection, Detection::Content);
    assert_eq!(h.bytes(1, C2S), b"VER 1 MSNP8 CVR0\r\n");
    assert_eq!(h.bytes(1, S2C), b"VER 1 MSNP8\r\n");
    // Its handshake packets count too.
    assert_eq!(h.summaries[0].client_packets, 4);
}

#[test]
fn other_traffic_on_other_ports_is_ignored() {
    let mut h = Harness::new();
    let c = "10.0.0.1:40000";
    let s = "10.0.0.3:5000";
    h.handshake(c, s);
    h.seg(
        c,
        s,
        CISN.wrapping_add(1),
        SISN.wrapping_add(1),
        "PA",
        b"HELO mail\r\n",
    );
    h.finish();
    assert!(h.opened().is_empty());
}

#[test]
fn content_found_midstream_makes_the_command_sender_the_client() {
    let mut h = Harness::new();
    let a = "10.0.0.3:6000";
    let b = "10.0.0.4:6001";
    // `b` sends first but says nothing MSNP-like yet (an empty ACK), then `a` sends VER MSNFTP.
    h.seg(b, a, 10, 20, "A", b"");
    h.seg(a, b, 20, 10, "PA", b"VER MSNFTP\r\n");
    h.finish();
    assert_eq!(h.opened(), vec![(1, a.into(), b.into())]);
    assert_eq!(h.bytes(1, C2S), b"VER MSNFTP\r\n");
}

#[test]
fn announced_address_is_msn_whatever_its_port() {
    let mut h = Harness::new();
    let sb = "10.0.0.7:1864";
    h.expect(Expectation {
        server: sb.parse().unwrap(),
        client: None,
        kind: ExpectedKind::Switchboard,
        announced_by: FlowId(1),
        cookie: Some("123.456".into()),
    });
    h.seg(sb, C, SISN, CISN.wrapping_add(1), "SA", b"");
    h.finish();
    assert_eq!(h.opened(), vec![(1, C.into(), sb.into())]);
    assert_eq!(
        h.summaries[0].detection,
        Detection::Announced {
            kind: ExpectedKind::Switchboard,
            announced_by: FlowId(1)
        }
    );
}

#[test]
fn ids_follow_first_appearance_and_finish_closes_in_id_order() {
    let mut h = Harness::new();
    let c2 = "10.0.0.1:50001";
    let c3 = "[2001:db8::1]:50002";
    let s3 = "[2001:db8::2]:1863";
    h.seg(c2, S, 10, 0, "S", b"");
    h.seg(C, S, 20, 0, "S", b"");
    h.seg(c3, s3, 30, 0, "S", b"");
    h.finish();
    assert_eq!(
        h.opened(),
        vec![
            (1, c2.into(), S.into()),
            (2, C.into(), S.into()),
            (3, c3.into(), s3.into())
        ]
    );
    let closed: Vec<u64> = h.summaries.iter().map(|s| s.id.0).collect();
    assert_eq!(closed, vec![1, 2, 3]);
    assert_eq!(h.summaries[2].server.to_string(), "[2001:db8::2]:1863");
}

#[test]
fn fin_both_ways_closes_and_a_new_syn_on_the_tuple_is_a_new_connection() {
    let mut h = Harness::new();
    h.handshake(C, S);
    let (c1, s1) = (CISN.wrapping_add(1), SISN.wrapping_add(1));
    h.seg(C, S, c1, s1, "PA", b"OUT\r\n");
    h.seg(C, S, c1.wrapping_add(5), s1, "FA", b"");
    h.seg(S, C, s1, c1.wrapping_add(6), "FA", b"");
    assert_eq!(h.recs.last(), Some(&Rec::Closed(1, Closing::Fin)));
    // A stray retransmitted ACK after the close is absorbed, not a new connection.
    h.seg(C, S, c1.wrapping_add(6), s1.wrapping_add(1), "A", b"");
    assert_eq!(h.opened().len(), 1);
    // Port reuse.
    h.seg(C, S, 12345, 0, "S", b"");
    h.seg(C, S, 12346, 0, "PA", b"VER 2\r\n");
    h.finish();
    assert_eq!(h.opened().len(), 2);
    assert_eq!(h.bytes(2, C2S), b"VER 2\r\n");
}

#[test]
fn rst_closes_and_says_who_sent_it() {
    let mut h = Harness::new();
    h.handshake(C, S);
    h.seg(S, C, SISN.wrapping_add(1), 0, "R", b"");
    h.finish();
    assert_eq!(h.summaries.len(), 1);
    assert_eq!(h.summaries[0].closing, Closing::Rst);
    assert_eq!(h.summaries[0].reset_by, Some(S2C));
}

#[test]
fn half_closed_at_end_of_input() {
    let mut h = Harness::new();
    h.handshake(C, S);
    h.seg(C, S, CISN.wrapping_add(1), SISN.wrapping_add(1), "FA", b"");
    h.finish();
    assert_eq!(h.summaries[0].closing, Closing::HalfClosed);
}

#[test]
fn acked_hole_becomes_a_gap_with_direction_offset_and_length() {
    let mut h = Harness::new();
    h.handshake(C, S);
    let (c1, s1) = (CISN.wrapping_add(1), SISN.wrapping_add(1));
    h.seg(C, S, c1, s1, "PA", b"AAAA");
    // 4 bytes never captured, then more.
    h.seg(C, S, c1.wrapping_add(8), s1, "PA", b"CCCC");
    h.seg(S, C, s1, c1.wrapping_add(12), "A", b"");
    h.finish();
    assert!(
        h.recs.contains(&Rec::Gap(1, C2S, 4, 4, GapReason::Acked)),
        "{:?}",
        h.recs
    );
    let s = &h.summaries[0];
    assert_eq!((s.gap_count, s.gap_bytes), (1, 4));
    assert_eq!(s.client_bytes, 8);
    assert_eq!(s.gaps[0].dir, C2S);
}

#[test]
fn least_recently_active_connection_is_evicted_at_the_cap() {
    let mut h = Harness::with(FlowConfig {
        max_connections: 2,
        ..config()
    });
    h.seg("10.0.0.1:1", S, 1, 0, "S", b"");
    h.seg("10.0.0.1:2", S, 1, 0, "S", b"");
    h.seg("10.0.0.1:1", S, 2, 0, "PA", b"x"); // connection 1 is now the fresher one
    h.seg("10.0.0.1:3", S, 1, 0, "S", b"");
    assert_eq!(
        h.recs
            .iter()
            .filter(|r| matches!(r, Rec::Closed(2, Closing::Evicted)))
            .count(),
        1
    );
    h.finish();
    assert_eq!(h.summaries.len(), 3);
    assert_eq!(h.summaries[0].anomalies.get("flow.evicted"), Some(&1));
}

#[test]
fn a_hole_open_past_the_idle_timeout_becomes_a_gap() {
    let mut h = Harness::new();
    h.handshake(C, S);
    let (c1, s1) = (CISN.wrapping_add(1), SISN.wrapping_add(1));
    h.seg(C, S, c1.wrapping_add(10), s1, "PA", b"late");
    h.secs += IDLE_TIMEOUT.as_secs() as i64 + 5;
    // A silence longer than the clock's step is believed once the frames after it agree.
    for port in 1..JUMP_CONFIRM_FRAMES as u16 {
        h.seg(&format!("10.0.0.5:{port}"), S, 1, 0, "S", b"");
        assert!(
            !h.recs.iter().any(|r| matches!(r, Rec::Gap(..))),
            "{:?}",
            h.recs
        );
    }
    h.seg("10.0.0.5:99", S, 1, 0, "S", b"");
    assert!(
        h.recs.contains(&Rec::Gap(1, C2S, 0, 10, GapReason::Idle)),
        "{:?}",
        h.recs
    );
    assert!(h.recs.contains(&Rec::Data(1, C2S, 10, b"late".to_vec())));
    // The connection itself lives on, and its stream carries on at the right offset.
    h.seg(C, S, c1.wrapping_add(14), s1, "PA", b"more");
    h.finish();
    assert_eq!(h.opened().len(), 1 + JUMP_CONFIRM_FRAMES as usize);
    assert_eq!(h.summaries[0].client_bytes, 8);
    assert!(
        h.recs.contains(&Rec::Data(1, C2S, 14, b"more".to_vec())),
        "{:?}",
        h.recs
    );
}

#[test]
fn the_sweep_handles_again_a_connection_that_stayed_the_most_recent() {
    // One connection only, so that it is always the back of the LRU: after the sweep has
    // handled it once, its next packet must still move it past what the sweep has done, or
    // its next hole would never be given up.
    let mut h = Harness::new();
    h.handshake(C, S);
    let (c1, s1) = (CISN.wrapping_add(1), SISN.wrapping_add(1));
    let silence = |h: &mut Harness| {
        h.secs += IDLE_TIMEOUT.as_secs() as i64 + 5;
        for _ in 0..JUMP_CONFIRM_FRAMES {
            h.seg(S, C, s1, c1, "A", b"");
        }
    };
    h.seg(C, S, c1.wrapping_add(10), s1, "PA", b"late");
    silence(&mut h);
    assert!(
        h.recs.contains(&Rec::Gap(1, C2S, 0, 10, GapReason::Idle)),
        "{:?}",
        h.recs
    );
    h.seg(C, S, c1.wrapping_add(20), s1, "PA", b"again");
    silence(&mut h);
    assert!(
        h.recs.contains(&Rec::Gap(1, C2S, 14, 6, GapReason::Idle)),
        "{:?}",
        h.recs
    );
}

#[test]
fn an_acknowledged_hole_is_given_up_after_the_grace_time() {
    let mut h = Harness::new();
    h.handshake(C, S);
    let (c1, s1) = (CISN.wrapping_add(1), SISN.wrapping_add(1));
    h.seg(S, C, s1, c1, "PA", b"VER 1 MSNP8\r\n");
    // 10 bytes lost; the client acknowledges past them; the server sends a little more.
    h.seg(S, C, s1.wrapping_add(23), c1, "PA", b"QNG 50\r\n");
    h.seg(C, S, c1, s1.wrapping_add(31), "A", b"");
    assert!(
        !h.recs.iter().any(|r| matches!(r, Rec::Gap(..))),
        "not at once: it may be reordering"
    );
    // A second later the server sends its next line: the hole is not coming.
    h.secs += 1;
    h.seg(
        S,
        C,
        s1.wrapping_add(31),
        c1,
        "PA",
        b"XFR 9 SB 10.0.0.7:1864 CKI 1.2\r\n",
    );
    assert!(
        h.recs.contains(&Rec::Gap(1, S2C, 13, 10, GapReason::Acked)),
        "{:?}",
        h.recs
    );
    assert!(h.recs.contains(&Rec::Data(
        1,
        S2C,
        31,
        b"XFR 9 SB 10.0.0.7:1864 CKI 1.2\r\n".to_vec()
    )));
}

#[test]
fn the_default_config_finds_nothing_by_content() {
    let mut h = Harness::with(FlowConfig::default());
    let c = "10.0.0.1:40000";
    let s = "10.0.0.3:5000";
    h.handshake(c, s);
    h.seg(
        c,
        s,
        CISN.wrapping_add(1),
        SISN.wrapping_add(1),
        "PA",
        b"VER 1 MSNP8 CVR0\r\n",
    );
    // On the known port it is still found.
    h.handshake(C, S);
    h.finish();
    assert_eq!(h.opened(), vec![(1, C.into(), S.into())]);
}

/// Issue 7: a stray frame stamped years away must not give up open holes, and must not stop
/// the idle sweep. Checked with the stray on another connection and on the same one, years
/// ahead and years behind.
#[test]
fn a_stray_timestamp_neither_gives_up_holes_nor_stops_the_sweep() {
    const YEARS: i64 = 25 * 365 * 86_400;
    for (stray_secs, same_conn) in [
        (YEARS, false),
        (YEARS, true),
        (-YEARS, false),
        (-YEARS, true),
    ] {
        let case = format!("stray at {stray_secs:+} s, same connection: {same_conn}");
        let mut h = Harness::new();
        h.handshake(C, S);
        let (c1, s1) = (CISN.wrapping_add(1), SISN.wrapping_add(1));
        h.seg(C, S, c1, s1, "PA", b"VER 1 MSNP8\r\n");
        // Out of order: the next 5 bytes are late.
        h.seg(C, S, c1.wrapping_add(18), s1, "PA", b"USR 3\r\n");
        h.secs += 2;
        let now = h.secs;
        h.secs += stray_secs;
        if same_conn {
            h.seg(S, C, s1, c1.wrapping_add(13), "A", b"");
        } else {
            h.seg("10.0.0.8:4000", "10.0.0.9:80", 7, 0, "S", b"");
        }
        h.secs = now + 2;
        // The retransmission fills the hole.
        h.seg(C, S, c1.wrapping_add(13), s1, "PA", b"CVR 2");
        assert!(
            !h.recs.iter().any(|r| matches!(r, Rec::Gap(..))),
            "{case}: {:?}",
            h.recs
        );
        assert_eq!(h.bytes(1, C2S), b"VER 1 MSNP8\r\nCVR 2USR 3\r\n", "{case}");

        // The sweep still runs: a new hole, then a silence past the idle timeout.
        h.seg(C, S, c1.wrapping_add(30), s1, "PA", b"late");
        h.secs += IDLE_TIMEOUT.as_secs() as i64 + 5;
        for port in 1..=JUMP_CONFIRM_FRAMES as u16 {
            h.seg(&format!("10.0.0.5:{port}"), S, 1, 0, "S", b"");
        }
        assert!(
            h.recs.contains(&Rec::Gap(1, C2S, 25, 5, GapReason::Idle)),
            "{case}: {:?}",
            h.recs
        );
    }
}

#[test]
fn a_stray_timestamp_does_not_hurry_the_grace_of_an_acknowledged_hole() {
    let mut h = Harness::new();
    h.handshake(C, S);
    let (c1, s1) = (CISN.wrapping_add(1), SISN.wrapping_add(1));
    h.seg(S, C, s1, c1, "PA", b"VER 1 MSNP8\r\n");
    // 10 bytes not there yet, acknowledged by the client: on a mirror port the data can
    // follow its ACK.
    h.seg(S, C, s1.wrapping_add(23), c1, "PA", b"QNG 50\r\n");
    h.seg(C, S, c1, s1.wrapping_add(31), "A", b"");
    let now = h.secs;
    h.secs += 10 * 365 * 86_400;
    h.seg("10.0.0.8:4000", "10.0.0.9:80", 7, 0, "S", b"");
    h.secs = now;
    h.seg(S, C, s1.wrapping_add(13), c1, "PA", b"CHL 0 1234");
    assert!(
        !h.recs.iter().any(|r| matches!(r, Rec::Gap(..))),
        "{:?}",
        h.recs
    );
    assert_eq!(h.bytes(1, S2C), b"VER 1 MSNP8\r\nCHL 0 1234QNG 50\r\n");
}

#[test]
fn a_new_syn_with_another_isn_on_a_live_tuple_closes_the_old_connection_and_opens_a_new_id() {
    let mut h = Harness::new();
    h.handshake(C, S);
    let (c1, s1) = (CISN.wrapping_add(1), SISN.wrapping_add(1));
    h.seg(C, S, c1, s1, "PA", b"VER 1 MSNP8\r\n");
    // The same SYN again is a retransmission, not a new connection.
    h.seg(C, S, CISN, 0, "S", b"");
    assert_eq!(h.opened().len(), 1);
    // Another ISN: the client reused its port for a new connection.
    let isn2 = 0x1234_5678u32;
    h.seg(C, S, isn2, 0, "S", b"");
    let n = h.recs.len();
    assert_eq!(
        h.recs[n - 2..],
        [
            Rec::Closed(1, Closing::Open),
            Rec::Opened(2, C.into(), S.into())
        ]
    );
    h.seg(S, C, 99, isn2.wrapping_add(1), "SA", b"");
    h.seg(C, S, isn2.wrapping_add(1), 100, "PA", b"VER 2 MSNP9\r\n");
    h.finish();
    assert_eq!(h.bytes(1, C2S), b"VER 1 MSNP8\r\n");
    assert_eq!(h.bytes(2, C2S), b"VER 2 MSNP9\r\n");
    assert_eq!(h.summaries.len(), 2);
    assert_eq!(h.summaries[1].opening, Opening::Syn);
}

#[test]
fn gaps_are_all_counted_but_only_the_first_ones_listed() {
    let mut h = Harness::new();
    h.handshake(C, S);
    let (c1, s1) = (CISN.wrapping_add(1), SISN.wrapping_add(1));
    // One byte of every two: each missing byte is a gap at the end of input.
    let n = MAX_LISTED_GAPS as u32 + 10;
    for i in 0..n {
        h.seg(C, S, c1.wrapping_add(2 * i + 1), s1, "PA", b"x");
    }
    h.finish();
    let gaps = h.recs.iter().filter(|r| matches!(r, Rec::Gap(..))).count();
    assert_eq!(gaps, n as usize);
    let s = &h.summaries[0];
    assert_eq!((s.gap_count, s.gap_bytes), (n as u64, n as u64));
    assert_eq!(s.gaps.len(), MAX_LISTED_GAPS);
    assert_eq!(s.gaps[0].offset, 0);
    assert_eq!(
        s.gaps[MAX_LISTED_GAPS - 1].offset,
        2 * (MAX_LISTED_GAPS as u64 - 1)
    );
    assert_eq!(s.client_bytes, n as u64);
}

/// Address `n` of the announcement tests.
fn announced(n: usize) -> String {
    format!("10.7.{}.{}:1864", n / 256, n % 256)
}

/// Announces a switchboard at address `n`, to anyone, by connection `by`.
fn announce(h: &mut Harness, n: usize, by: u64) {
    h.expect(Expectation {
        server: announced(n).parse().unwrap(),
        client: None,
        kind: ExpectedKind::Switchboard,
        announced_by: FlowId(by),
        cookie: None,
    });
}

#[test]
fn the_table_forgets_the_oldest_announced_address_past_the_cap() {
    let mut h = Harness::new();
    let addr = announced;
    for n in 0..=MAX_EXPECTED {
        announce(&mut h, n, 1);
    }
    // The newest is still expected, the oldest was pushed out: only a SYN/ACK from each (no
    // content to judge them by).
    h.seg(
        &addr(MAX_EXPECTED),
        C,
        SISN,
        CISN.wrapping_add(1),
        "SA",
        b"",
    );
    h.seg(
        &addr(0),
        "10.0.0.1:50001",
        SISN,
        CISN.wrapping_add(1),
        "SA",
        b"",
    );
    h.finish();
    assert_eq!(h.opened(), vec![(1, C.into(), addr(MAX_EXPECTED))]);
    // Forgetting it before any connection came was said, once.
    let forgotten: Vec<&Rec> = h
        .recs
        .iter()
        .filter(|r| matches!(r, Rec::Anomaly(None, "flow.expectation_evicted")))
        .collect();
    assert_eq!(forgotten.len(), 1, "{forgotten:?}");
}

#[test]
fn forgetting_an_announcement_a_connection_used_is_not_an_anomaly() {
    let mut h = Harness::new();
    announce(&mut h, 0, 1);
    // The announced connection comes (its SYN/ACK is enough to place it).
    h.seg(&announced(0), C, SISN, CISN.wrapping_add(1), "SA", b"");
    for n in 1..=MAX_EXPECTED {
        announce(&mut h, n, 1);
    }
    assert!(
        !h.recs
            .iter()
            .any(|r| matches!(r, Rec::Anomaly(_, "flow.expectation_evicted"))),
        "{:?}",
        h.recs
    );
    // The next one pushes out address 1, which nobody connected to.
    announce(&mut h, MAX_EXPECTED + 1, 1);
    let forgotten = h
        .recs
        .iter()
        .filter(|r| matches!(r, Rec::Anomaly(None, "flow.expectation_evicted")))
        .count();
    assert_eq!(forgotten, 1);
}

#[test]
fn announcing_an_address_again_forgets_nothing() {
    let mut h = Harness::new();
    let mut events = Vec::new();
    for round in 0..3 {
        for n in 0..MAX_EXPECTED {
            announce(&mut h, n, round + 1);
        }
        events.push(h.recs.len());
    }
    assert_eq!(
        events,
        [0, 0, 0],
        "a full table announced again evicts nothing"
    );
}

/// A candidate is judged within SNIFF_PACKETS packets. Packets with nothing to judge (the
/// handshake, empty ACKs) count too; once the window is over without a decision the
/// connection is not MSN, and MSNP content arriving afterwards is not picked up (the tuple is
/// remembered as not MSN until a new SYN reuses it).
#[test]
fn a_candidate_gives_up_after_its_sniff_window() {
    let c = "10.0.0.1:40000";
    let s = "10.0.0.3:5000";
    let (c1, s1) = (CISN.wrapping_add(1), SISN.wrapping_add(1));
    for content_at in [SNIFF_PACKETS, SNIFF_PACKETS + 1] {
        let mut h = Harness::new();
        h.handshake(c, s); // packets 1 to 3
        for _ in 4..content_at {
            h.seg(c, s, c1, s1, "A", b"");
        }
        h.seg(c, s, c1, s1, "PA", b"VER 1 MSNP8 CVR0\r\n");
        h.seg(s, c, s1, c1.wrapping_add(18), "PA", b"VER 1 MSNP8\r\n");
        h.finish();
        if content_at <= SNIFF_PACKETS {
            assert_eq!(h.opened(), vec![(1, c.into(), s.into())], "{content_at}");
            assert_eq!(h.bytes(1, C2S), b"VER 1 MSNP8 CVR0\r\n");
        } else {
            assert!(h.opened().is_empty(), "{content_at}: {:?}", h.recs);
        }
    }
    // Content the sniffer says no to decides at once, whatever follows.
    let mut h = Harness::new();
    h.handshake(c, s);
    h.seg(c, s, c1, s1, "PA", b"HELO x\r\n");
    h.seg(c, s, c1.wrapping_add(8), s1, "PA", b"VER 1 MSNP8 CVR0\r\n");
    h.finish();
    assert!(h.opened().is_empty());
}

#[test]
fn with_idle_close_a_silent_connection_is_closed_and_a_busy_one_is_not() {
    let mut h = Harness::with(FlowConfig {
        idle_close: Some(std::time::Duration::from_secs(60)),
        ..config()
    });
    h.handshake(C, S);
    let (c1, s1) = (CISN.wrapping_add(1), SISN.wrapping_add(1));
    h.seg(C, S, c1, s1, "PA", b"VER 1 MSNP8\r\n");
    assert_eq!(
        h.table.membership(C.parse().unwrap(), S.parse().unwrap()),
        crate::capture::Membership::Msn(key(C, S))
    );
    // Another connection stays busy, ten seconds a packet, for two minutes.
    let busy = "10.0.0.9:40000";
    h.handshake(busy, S);
    let mut seq = CISN.wrapping_add(1);
    for _ in 0..12 {
        h.secs += 10;
        h.seg(busy, S, seq, s1, "PA", b"PNG\r\n");
        seq = seq.wrapping_add(5);
    }
    assert!(
        h.recs.contains(&Rec::Closed(1, Closing::Idle)),
        "{:?}",
        h.recs
    );
    assert!(
        !h.recs.contains(&Rec::Closed(2, Closing::Idle)),
        "{:?}",
        h.recs
    );
    assert_eq!(h.summaries[0].anomalies.get("flow.idle_closed"), Some(&1));
    // The closed connection left the table and gave its LRU slot back.
    assert_eq!(h.table.checked_slots(), 2);
    assert_eq!(
        h.table.membership(C.parse().unwrap(), S.parse().unwrap()),
        crate::capture::Membership::Other(Some(key(C, S)))
    );
    // If it speaks again, it is picked up anew, in the middle.
    h.seg(C, S, c1.wrapping_add(13), s1, "PA", b"PNG\r\n");
    h.finish();
    assert_eq!(h.opened().len(), 3, "{:?}", h.recs);
}

fn key(a: &str, b: &str) -> crate::capture::ConnKey {
    let (a, b): (std::net::SocketAddr, std::net::SocketAddr) =
        (a.parse().unwrap(), b.parse().unwrap());
    if a <= b { (a, b) } else { (b, a) }
}

#[test]
fn membership_follows_a_candidate_until_it_is_decided() {
    let mut h = Harness::new();
    let (c, s) = ("10.0.0.1:50001", "10.0.0.2:4000");
    let (ca, sa) = (c.parse().unwrap(), s.parse().unwrap());
    h.seg(c, s, CISN, 0, "S", b"");
    assert_eq!(
        h.table.membership(ca, sa),
        crate::capture::Membership::Undecided(key(c, s))
    );
    h.seg(c, s, CISN.wrapping_add(1), 0, "PA", b"VER 1 MSNP8 CVR0\r\n");
    assert_eq!(
        h.table.membership(ca, sa),
        crate::capture::Membership::Msn(key(c, s))
    );
    let (o, p) = ("10.0.0.1:50002", "10.0.0.2:80");
    h.seg(o, p, CISN, 0, "S", b"");
    h.seg(o, p, CISN.wrapping_add(1), 0, "PA", b"GET / HTTP/1.1\r\n");
    assert_eq!(
        h.table.membership(o.parse().unwrap(), p.parse().unwrap()),
        crate::capture::Membership::Other(Some(key(o, p)))
    );
}

#[test]
fn eviction_takes_tombstones_and_candidates_before_a_quiet_msn_connection() {
    let mut h = Harness::with(FlowConfig {
        max_connections: 8,
        ..config()
    });
    // A notification-server connection, quiet after its first command.
    h.handshake(C, S);
    let (c1, s1) = (CISN.wrapping_add(1), SISN.wrapping_add(1));
    h.seg(C, S, c1, s1, "PA", b"VER 1 MSNP8\r\n");
    // A flood of web connections: each is found not to be MSN and leaves a tombstone.
    for port in 0..100u16 {
        let c = format!("10.0.0.9:{}", 20000 + port);
        let web = "10.0.0.80:80";
        h.seg(&c, web, 1, 0, "S", b"");
        h.seg(&c, web, 2, 0, "PA", b"GET / HTTP/1.1\r\n");
        // Evicted connections give their LRU slots back to the ones that replace them.
        assert!(h.table.checked_slots() <= 8);
    }
    // The quiet connection speaks again: still connection 1, never evicted.
    h.seg(C, S, c1.wrapping_add(13), s1, "PA", b"PNG\r\n");
    assert!(
        !h.recs.iter().any(|r| matches!(r, Rec::Closed(1, _))),
        "{:?}",
        h.recs
            .iter()
            .filter(|r| matches!(r, Rec::Closed(..)))
            .collect::<Vec<_>>()
    );
    h.finish();
    assert_eq!(h.opened().len(), 1);
    assert_eq!(h.bytes(1, C2S), b"VER 1 MSNP8\r\nPNG\r\n");
    assert_eq!(h.summaries[0].anomalies.get("flow.evicted"), None);
}

#[test]
fn a_finished_connection_keeps_only_a_tombstone_that_absorbs_its_stray_packets() {
    let mut h = Harness::new();
    // 100 MSN connections, each closed by both FINs after one command.
    for port in 0..100u16 {
        let c = format!("10.0.3.1:{}", 30000 + port);
        h.seg(&c, S, 1, 0, "S", b"");
        h.seg(&c, S, 2, 0, "PA", b"VER 1 MSNP8\r\n");
        h.seg(&c, S, 15, 0, "FA", b"");
        h.seg(S, &c, 1, 16, "FA", b"");
    }
    // Each is closed and kept only as a tombstone: no streams, no live entry.
    assert_eq!(h.table.live_and_finished(), (0, 100));
    assert_eq!(h.table.checked_slots(), 100);
    let closed = |h: &Harness| {
        h.recs
            .iter()
            .filter(|r| matches!(r, Rec::Closed(..)))
            .count()
    };
    assert_eq!(closed(&h), 100);
    // A late ACK and a retransmitted FIN of the first one: absorbed, still MSN, and no new
    // connection.
    let first = "10.0.3.1:30000";
    h.seg(S, first, 2, 16, "A", b"");
    h.seg(first, S, 15, 2, "FA", b"");
    assert_eq!(h.table.live_and_finished(), (0, 100));
    assert_eq!(
        h.table
            .membership(first.parse().unwrap(), S.parse().unwrap()),
        crate::capture::Membership::Msn(key(first, S))
    );
    // A new SYN reuses the tuple: a new connection in place of the tombstone.
    h.seg(first, S, 7000, 0, "S", b"");
    h.seg(first, S, 7001, 0, "PA", b"VER 2 MSNP8\r\n");
    assert_eq!(h.table.live_and_finished(), (1, 99));
    assert_eq!(h.table.checked_slots(), 100);
    h.finish();
    assert_eq!(h.opened().len(), 101);
    assert_eq!(h.bytes(101, C2S), b"VER 2 MSNP8\r\n");
}

#[test]
fn the_idle_sweep_costs_what_expires_not_what_exists() {
    let mut h = Harness::new();
    // 500 MSN connections, each with one command, then silence.
    for port in 0..500u16 {
        let c = format!("10.0.1.1:{}", 30000 + port);
        h.seg(&c, S, 1, 0, "S", b"");
        h.seg(&c, S, 2, 0, "PA", b"VER 1 MSNP8\r\n");
    }
    // One busy connection goes on for ten minutes of capture time, a packet a second.
    let busy = "10.0.2.2:40000";
    h.seg(busy, S, 1, 0, "S", b"");
    let mut seq = 2u32;
    for _ in 0..600 {
        h.secs += 1;
        h.seg(busy, S, seq, 0, "PA", b"PNG\r\n");
        seq = seq.wrapping_add(5);
    }
    // Each quiet connection was handled once when it went idle; later sweeps did not walk
    // them again (600 sweeps over 500 idle entries would be 300,000).
    assert!(h.table.sweep_work <= 501, "{}", h.table.sweep_work);
    assert_eq!(h.table.checked_slots(), 501);
    h.finish();
    assert_eq!(h.opened().len(), 501);
}

#[test]
fn past_the_memcap_the_oldest_hole_is_given_up_and_its_bytes_delivered() {
    let mut h = Harness::with(FlowConfig {
        memcap: 3000,
        ..config()
    });
    let clients = ["10.0.0.1:50001", "10.0.0.1:50002", "10.0.0.1:50003"];
    for c in clients {
        h.handshake(c, S);
    }
    let c1 = CISN.wrapping_add(1);
    // Each connection loses its first byte and buffers 1,000 bytes behind it.
    for c in clients {
        h.seg(c, S, c1.wrapping_add(1), 0, "PA", &[b'x'; 1000]);
    }
    assert!(
        h.table.buffered_bytes() <= 3000,
        "{}",
        h.table.buffered_bytes()
    );
    assert!(
        !h.recs
            .iter()
            .any(|r| matches!(r, Rec::Anomaly(_, "stream.memcap")))
    );
    // One more byte buffered anywhere is over the cap: the oldest holder (connection 1) lets
    // go, its hole a gap and its bytes delivered; the others keep waiting.
    h.seg(clients[2], S, c1.wrapping_add(2000), 0, "PA", b"y");
    assert!(
        h.recs.contains(&Rec::Anomaly(Some(1), "stream.memcap")),
        "{:?}",
        h.recs
    );
    assert!(
        h.recs
            .contains(&Rec::Gap(1, C2S, 0, 1, GapReason::Capacity))
    );
    assert!(h.recs.contains(&Rec::Data(1, C2S, 1, vec![b'x'; 1000])));
    let data_of = |flow| {
        h.recs
            .iter()
            .any(|r| matches!(r, Rec::Data(f, C2S, _, _) if *f == flow))
    };
    assert!(!data_of(2) && !data_of(3));
    assert!(h.table.buffered_bytes() <= 3000);
    // The count follows closes: at the end nothing is held.
    h.finish();
    assert_eq!(h.table.buffered_bytes(), 0);
}
