//! Issue 7, hole 1: one frame with a timestamp years away from the rest of the capture must
//! not jump the flow table's time. Before the fix, a stray frame stamped in the future made the
//! idle sweep give up every open hole (the retransmission that filled it later was lost, and
//! its bytes reported missing), and the sweep never ran again.
//!
//! Each capture is built here with tests/support: an MSNP connection with an out-of-order
//! segment, a stray frame, then the retransmission that fills the hole.

mod support;

use serde_json::Value;
use std::path::Path;
use support::*;

const LT: u32 = LINKTYPE_ETHERNET;
const CLIENT: &str = "10.0.0.1:50000";
const SERVER: &str = "10.0.0.2:1863";
/// 2036-01-01 and 1990-01-01, in a capture from 2006.
const FUTURE: u32 = 2_082_758_400;
const PAST: u32 = 631_152_000;

const VER: &[u8] = b"VER 1 MSNP8 CVR0\r\n";
const VER_REPLY: &[u8] = b"VER 1 MSNP8 CVR0\r\n";
const CVR: &[u8] = b"CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.0.0602 MSMSGS alice@example.com\r\n";
const USR: &[u8] = b"USR 3 TWN I alice@example.com\r\n";

/// One pcap record at `secs` (whole seconds), written by hand: the support clock would move
/// every later frame after it.
fn record(secs: u32, frame: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(&secs.to_le_bytes());
    r.extend_from_slice(&0u32.to_le_bytes());
    r.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    r.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    r.extend_from_slice(frame);
    r
}

/// A capture: `before`'s frames, the stray record, then `after`'s frames.
fn splice(before: &Pcap, stray: &[u8], after: &Pcap) -> Vec<u8> {
    let mut bytes = before.to_bytes();
    bytes.extend_from_slice(stray);
    bytes.extend_from_slice(&after.to_bytes()[24..]);
    bytes
}

/// A pcap whose clock carries on from `before`'s.
fn continuing(before: &Pcap) -> Pcap {
    let mut p = Pcap::new(LT);
    p.advance_us(before.clock_us() - START_US);
    p
}

/// Handshake, `VER` both ways, then `USR` sent before `CVR` (a hole the size of `CVR`), with
/// the server's duplicate ACK at the hole. Returns the conversation and the sequence number
/// of the hole.
fn start(p: &mut Pcap) -> (Conv, u32) {
    let mut c = Conv::new(LT, CLIENT, SERVER, 1000, 5000);
    c.handshake(p);
    c.client(p, VER);
    c.server(p, VER_REPLY);
    let hole = c.client_seq();
    let usr_seq = hole.wrapping_add(CVR.len() as u32);
    c.raw(p, true, usr_seq, c.server_seq(), "PA", USR);
    c.raw(p, false, c.server_seq(), hole, "A", b"");
    (c, hole)
}

/// Runs `read` and `flows --dump` on the capture; returns the events, the flow rows and the
/// client's reassembled bytes.
fn run(dir: &Path, capture: &[u8]) -> (Vec<Value>, Vec<Value>, Vec<u8>) {
    let path = dir.join("c.pcap");
    std::fs::write(&path, capture).unwrap();
    let f = path.to_str().unwrap();
    let read = msnsniff(&["read", "--format", "jsonl", f]);
    assert_eq!(read.status.code(), Some(0), "{read:?}");
    let dump = dir.join("dump");
    let flows = msnsniff(&[
        "flows",
        "--format",
        "jsonl",
        "--dump",
        dump.to_str().unwrap(),
        f,
    ]);
    assert_eq!(flows.status.code(), Some(0), "{flows:?}");
    let client = std::fs::read(dump.join("1.client")).unwrap();
    (jsonl(&read), jsonl(&flows), client)
}

fn gaps(events: &[Value]) -> Vec<&Value> {
    events.iter().filter(|e| e["type"] == "gap").collect()
}

#[test]
fn a_stray_frame_years_away_does_not_lose_a_hole_that_a_retransmission_fills() {
    let stray_unrelated = tcp_frame(LT, "10.9.9.9:4000", "10.9.9.8:80", 1, 0, "S", b"");
    let cases: [(&str, u32, bool); 4] = [
        ("future, unrelated connection", FUTURE, false),
        ("future, same connection", FUTURE, true),
        ("past, unrelated connection", PAST, false),
        ("past, same connection", PAST, true),
    ];
    for (case, stamp, same) in cases {
        let dir = tempfile::tempdir().unwrap();
        let mut p1 = Pcap::new(LT);
        let (mut c, hole) = start(&mut p1);
        // The stray: a duplicate ACK of the server on the same connection, or a SYN elsewhere.
        let frame = if same {
            c.frame(false, c.server_seq(), hole, "A", b"")
        } else {
            stray_unrelated.clone()
        };
        let stray = record(stamp, &frame);
        // Two seconds later, the retransmission fills the hole; the session goes on.
        let mut p2 = continuing(&p1);
        p2.advance_us(2_000_000);
        c.raw(&mut p2, true, hole, c.server_seq(), "PA", CVR);
        c.raw(
            &mut p2,
            false,
            c.server_seq(),
            hole.wrapping_add((CVR.len() + USR.len()) as u32),
            "A",
            b"",
        );
        c.server(
            &mut p2,
            b"CVR 2 6.0.0602 6.0.0602 1.0.0000 http://x http://y\r\n",
        );
        // (The conversation's own client sequence number never moved past the hole: the
        // segments above were written raw.)
        let mut next = hole.wrapping_add((CVR.len() + USR.len()) as u32);
        for _ in 0..5 {
            p2.advance_us(1_000_000);
            c.raw(&mut p2, true, next, c.server_seq(), "PA", b"PNG\r\n");
            next = next.wrapping_add(5);
            c.server(&mut p2, b"QNG 50\r\n");
        }
        let (events, rows, client) = run(dir.path(), &splice(&p1, &stray, &p2));

        assert!(gaps(&events).is_empty(), "{case}: {:?}", gaps(&events));
        let mut want = [VER, CVR, USR].concat();
        for _ in 0..5 {
            want.extend_from_slice(b"PNG\r\n");
        }
        assert_eq!(
            String::from_utf8_lossy(&client),
            String::from_utf8_lossy(&want),
            "{case}"
        );
        assert_eq!(rows.len(), 1, "{case}");
        assert_eq!(rows[0]["gap_count"], 0, "{case}");
        assert_eq!(rows[0]["client_bytes"], want.len(), "{case}");
        let verbs: Vec<&str> = events
            .iter()
            .filter(|e| e["type"] == "command" && e["dir"] == "c2s")
            .map(|e| e["verb"].as_str().unwrap())
            .collect();
        assert_eq!(verbs[..3], ["VER", "CVR", "USR"], "{case}");
    }
}

#[test]
fn the_idle_sweep_still_runs_after_a_stray_frame() {
    for stamp in [FUTURE, PAST] {
        let dir = tempfile::tempdir().unwrap();
        let mut p1 = Pcap::new(LT);
        let mut c = Conv::new(LT, CLIENT, SERVER, 1000, 5000);
        c.handshake(&mut p1);
        c.client(&mut p1, VER);
        c.server(&mut p1, VER_REPLY);
        let stray = record(
            stamp,
            &tcp_frame(LT, "10.9.9.9:4000", "10.9.9.8:80", 1, 0, "S", b""),
        );
        // After the stray: a hole that never fills, then ten minutes of silence on this
        // connection while another one talks.
        let mut p2 = continuing(&p1);
        p2.advance_us(2_000_000);
        let hole = c.client_seq();
        c.raw(
            &mut p2,
            true,
            hole.wrapping_add(CVR.len() as u32),
            c.server_seq(),
            "PA",
            USR,
        );
        let mut other = Conv::new(LT, "10.0.0.5:50001", SERVER, 1, 2);
        other.handshake(&mut p2);
        for _ in 0..20 {
            p2.advance_us(30_000_000);
            other.client(&mut p2, b"PNG\r\n");
            other.server(&mut p2, b"QNG 50\r\n");
        }
        let (events, _, client) = run(dir.path(), &splice(&p1, &stray, &p2));
        let gaps = gaps(&events);
        assert_eq!(gaps.len(), 1, "stray at {stamp}: {gaps:?}");
        assert_eq!(
            gaps[0]["reason"], "idle",
            "stray at {stamp}: the sweep must still run"
        );
        assert_eq!(gaps[0]["offset"], VER.len());
        assert_eq!(gaps[0]["len"], CVR.len());
        assert_eq!(client, [VER, USR].concat());
    }
}
