//! Issue 7, hole 2: bytes the peer acknowledged but the capture never saw, at the end of a
//! stream, must be reported as a gap (reason `acked`), not vanish. An ACK exactly one past
//! everything seen is the ACK of a FIN the capture missed, and is not a gap.
//!
//! Each capture is built here with tests/support.

mod support;

use serde_json::Value;
use support::*;

const LT: u32 = LINKTYPE_ETHERNET;

const VER: &[u8] = b"VER 1 MSNP8 CVR0\r\n";
const VER_REPLY: &[u8] = b"VER 1 MSNP8 CVR0\r\n";
const CVR: &[u8] = b"CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.0.0602 MSMSGS alice@example.com\r\n";
/// The server's reply that the capture misses.
const LOST: &[u8] = b"CVR 2 6.0.0602 6.0.0602 1.0.0000 http://x http://y\r\n";

/// How the capture ends after the client acknowledged the server's unseen bytes.
#[derive(Debug, Clone, Copy)]
enum End {
    /// Nothing more: the input ends.
    Eof,
    /// The client resets the connection at once.
    Reset,
}

/// An NS session whose last server segment (`lost` bytes, plus a FIN when `fin`) is missing
/// from the capture, but acknowledged by the client. Returns the `read` events and the
/// `flows` rows.
fn run(lost: &[u8], fin: bool, end: End) -> (Vec<Value>, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LT);
    let mut c = Conv::new(LT, "10.0.0.1:50000", "10.0.0.2:1863", 1000, 5000);
    c.handshake(&mut p);
    c.client(&mut p, VER);
    c.server(&mut p, VER_REPLY);
    c.client(&mut p, CVR);
    // The server's reply (and maybe its FIN) never reach the capture; the client's ACK does.
    let acked = c
        .server_seq()
        .wrapping_add(lost.len() as u32 + u32::from(fin));
    c.raw(&mut p, true, c.client_seq(), acked, "A", b"");
    if let End::Reset = end {
        c.raw(&mut p, true, c.client_seq(), acked, "RA", b"");
    }
    let path = dir.path().join("tail.pcap");
    p.write(&path);
    let f = path.to_str().unwrap();
    let read = msnsniff(&["read", "--format", "jsonl", f]);
    assert_eq!(read.status.code(), Some(0), "{read:?}");
    let flows = msnsniff(&["flows", "--format", "jsonl", f]);
    assert_eq!(flows.status.code(), Some(0), "{flows:?}");
    (jsonl(&read), jsonl(&flows))
}

fn gaps(events: &[Value]) -> Vec<&Value> {
    events.iter().filter(|e| e["type"] == "gap").collect()
}

#[test]
fn an_acknowledged_tail_never_captured_is_an_acked_gap() {
    for end in [End::Eof, End::Reset] {
        let case = format!("end: {end:?}");
        let (events, rows) = run(LOST, false, end);
        let gaps = gaps(&events);
        assert_eq!(gaps.len(), 1, "{case}: {gaps:?}");
        let g = gaps[0];
        assert_eq!(g["reason"], "acked", "{case}");
        assert_eq!(g["dir"], "s2c", "{case}");
        assert_eq!(g["offset"], VER_REPLY.len(), "{case}");
        assert_eq!(g["len"], LOST.len(), "{case}");
        let row = &rows[0];
        assert_eq!(row["gap_count"], 1, "{case}");
        assert_eq!(row["gap_bytes"], LOST.len(), "{case}");
        assert_eq!(row["server_bytes"], VER_REPLY.len(), "{case}");
        assert_eq!(row["gaps"][0]["reason"], "acked", "{case}");
    }
}

#[test]
fn the_ack_of_a_missed_fin_alone_is_not_a_gap() {
    for end in [End::Eof, End::Reset] {
        let (events, rows) = run(b"", true, end);
        assert!(gaps(&events).is_empty(), "{end:?}: {:?}", gaps(&events));
        assert_eq!(rows[0]["gap_count"], 0, "{end:?}");
        assert_eq!(rows[0]["server_bytes"], VER_REPLY.len(), "{end:?}");
    }
}
