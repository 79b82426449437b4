//! `msnsniff flows`, run as a user runs it: exit codes, errors, stdin, several files, `--dump`,
//! `--port`, JSON fields, and reassembly edge cases end to end.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use support::*;

const VER: &[u8] = b"VER 1 MSNP8 CVR0\r\n";
const VER_REPLY: &[u8] = b"VER 1 MSNP8\r\n";
const CVR: &[u8] = b"CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.0.0602 MSMSGS alice@example.com\r\n";

/// A small NS session: handshake, a few commands each way, FIN both ways.
fn ns_session(p: &mut Pcap, client: &str, server: &str) {
    let mut c = Conv::new(
        LINKTYPE_ETHERNET,
        client,
        server,
        u32::MAX - 10,
        0xffff_fff0,
    );
    c.handshake(p);
    c.client(p, VER);
    c.server(p, VER_REPLY);
    c.client(p, CVR);
    c.close(p);
}

fn write(dir: &Path, name: &str, p: &Pcap) -> String {
    let path = dir.join(name);
    p.write(&path);
    path.to_string_lossy().into_owned()
}

#[test]
fn a_capture_with_msn_traffic_exits_0_with_one_row_per_connection() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    ns_session(&mut p, "10.0.0.1:50000", "10.0.0.2:1863");
    ns_session(&mut p, "[2001:db8::1]:50001", "[2001:db8::2]:1863");
    let f = write(dir.path(), "two.pcap", &p);
    let o = msnsniff(&["flows", "--format", "jsonl", &f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = jsonl(&o);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], 1);
    assert_eq!(rows[0]["client"], "10.0.0.1:50000");
    assert_eq!(rows[0]["server"], "10.0.0.2:1863");
    assert_eq!(rows[1]["client"], "[2001:db8::1]:50001");
    assert_eq!(rows[1]["server"], "[2001:db8::2]:1863");
    assert_eq!(rows[0]["client_bytes"], VER.len() + CVR.len());
    assert_eq!(rows[0]["server_bytes"], VER_REPLY.len());
    assert_eq!(rows[0]["closing"], "fin");
    assert_eq!(rows[0]["opening"], "syn");
    assert!(rows[0]["gaps"].as_array().unwrap().is_empty());
    assert!(rows[0]["first_ts"].is_number() && rows[0]["last_ts"].is_number());
    // The table has the same connections.
    let t = msnsniff(&["flows", &f]);
    assert_eq!(t.status.code(), Some(0));
    let table = stdout(&t);
    assert!(
        table.contains("10.0.0.1:50000") && table.contains("[2001:db8::2]:1863"),
        "{table}"
    );
}

#[test]
fn a_capture_without_msn_traffic_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let mut c = Conv::new(LINKTYPE_ETHERNET, "10.0.0.1:1863", "10.0.0.9:80", 1, 2);
    c.handshake(&mut p);
    c.client(&mut p, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let f = write(dir.path(), "http.pcap", &p);
    let o = msnsniff(&["flows", "--format", "jsonl", &f]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
}

#[test]
fn a_missing_file_is_one_line_on_stderr_and_exit_2() {
    let o = msnsniff(&["flows", "/no/such/file.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("msnsniff: /no/such/file.pcap: "), "{err}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn a_file_that_is_not_a_capture_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "VER 1 MSNP8 CVR0\r\n").unwrap();
    let o = msnsniff(&["flows", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("notes.txt"), "{}", stderr(&o));
}

#[test]
fn a_truncated_last_record_still_outputs_what_came_before() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    ns_session(&mut p, "10.0.0.1:50000", "10.0.0.2:1863");
    let mut bytes = p.to_bytes();
    bytes.truncate(bytes.len() - 10);
    let path = dir.path().join("cut.pcap");
    std::fs::write(&path, bytes).unwrap();
    let o = msnsniff(&["flows", "--format", "jsonl", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("cut.pcap"));
    let rows = jsonl(&o);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["client_bytes"], VER.len() + CVR.len());
}

#[test]
fn standard_input_and_several_files_read_as_one_capture() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Pcap::new(LINKTYPE_ETHERNET);
    ns_session(&mut a, "10.0.0.1:50000", "10.0.0.2:1863");
    let mut b = Pcap::new(LINKTYPE_LINUX_SLL);
    let mut c = Conv::new(LINKTYPE_LINUX_SLL, "10.0.0.3:50000", "10.0.0.2:1863", 7, 9);
    c.handshake(&mut b);
    c.client(&mut b, b"PNG\r\n");
    let fa = write(dir.path(), "a.pcap", &a);
    let fb = write(dir.path(), "b.pcap", &b);
    let o = msnsniff(&["flows", "--format", "jsonl", &fa, &fb]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = jsonl(&o);
    assert_eq!(rows.len(), 2);
    // Frame numbers keep counting across files.
    assert_eq!(rows[1]["first_frame"], a.len() as u64 + 1);

    let mut child = Command::new(env!("CARGO_BIN_EXE_msnsniff"))
        .args(["flows", "--format", "jsonl", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&a.to_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(jsonl(&o).len(), 1);
}

#[test]
fn dump_writes_each_direction_in_order_without_the_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let mut c = Conv::new(
        LINKTYPE_ETHERNET,
        "10.0.0.1:50000",
        "10.0.0.2:1863",
        u32::MAX - 2,
        100,
    );
    c.handshake(&mut p);
    let s0 = c.client_seq();
    // Out of order, with a retransmission and an overlap.
    c.raw(&mut p, true, s0.wrapping_add(4), 0, "PA", b"EFGH");
    c.raw(&mut p, true, s0, 0, "PA", b"ABCD");
    c.raw(&mut p, true, s0.wrapping_add(2), 0, "PA", b"CDEF");
    c.raw(&mut p, true, s0.wrapping_add(4), 0, "PA", b"EFGH");
    // A hole of 3 bytes the server acknowledges past.
    c.raw(&mut p, true, s0.wrapping_add(11), 0, "PA", b"LMN");
    c.raw(&mut p, false, c.server_seq(), s0.wrapping_add(14), "A", b"");
    c.server(&mut p, b"hello");
    let f = write(dir.path(), "d.pcap", &p);
    let out = dir.path().join("dump");
    let o = msnsniff(&[
        "flows",
        "--format",
        "jsonl",
        "--dump",
        out.to_str().unwrap(),
        &f,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read(out.join("1.client")).unwrap(), b"ABCDEFGHLMN");
    assert_eq!(std::fs::read(out.join("1.server")).unwrap(), b"hello");
    let rows = jsonl(&o);
    assert_eq!(rows[0]["client_bytes"], 11);
    assert_eq!(rows[0]["gap_count"], 1);
    let gap = &rows[0]["gaps"][0];
    assert_eq!(gap["dir"], "c2s");
    assert_eq!(gap["offset"], 8);
    assert_eq!(gap["len"], 3);
}

#[test]
fn port_option_replaces_the_default_port() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let mut c = Conv::new(LINKTYPE_ETHERNET, "10.0.0.1:50000", "10.0.0.2:7001", 1, 2);
    c.handshake(&mut p);
    c.client(&mut p, b"PNG\r\n");
    let f = write(dir.path(), "p.pcap", &p);
    assert_eq!(msnsniff(&["flows", &f]).status.code(), Some(1));
    let o = msnsniff(&["flows", "--format", "jsonl", "--port", "7001", &f]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(jsonl(&o)[0]["server"], "10.0.0.2:7001");
}

#[test]
fn a_bpf_filter_after_double_dash_selects_packets() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    ns_session(&mut p, "10.0.0.1:50000", "10.0.0.2:1863");
    ns_session(&mut p, "10.0.0.5:50000", "10.0.0.2:1863");
    let f = write(dir.path(), "f.pcap", &p);
    let o = msnsniff(&["flows", "--format", "jsonl", &f, "--", "host", "10.0.0.5"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = jsonl(&o);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["client"], "10.0.0.5:50000");
    let bad = msnsniff(&["flows", &f, "--", "nonsense((("]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn every_link_type_gives_the_same_streams() {
    for lt in [
        LINKTYPE_NULL,
        LINKTYPE_ETHERNET,
        LINKTYPE_RAW,
        LINKTYPE_LOOP,
        LINKTYPE_LINUX_SLL,
        LINKTYPE_IPV4,
        LINKTYPE_LINUX_SLL2,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Pcap::new(lt);
        let mut c = Conv::new(lt, "10.0.0.1:50000", "10.0.0.2:1863", 5, 6);
        c.handshake(&mut p);
        c.client(&mut p, b"VER 1 MSNP8 CVR0\r\n");
        c.server(&mut p, b"VER 1 MSNP8\r\n");
        let f = write(dir.path(), "l.pcap", &p);
        let o = msnsniff(&["flows", "--format", "jsonl", &f]);
        assert_eq!(o.status.code(), Some(0), "link type {lt}: {}", stderr(&o));
        let rows = jsonl(&o);
        assert_eq!(rows[0]["client_bytes"], 18, "link type {lt}");
        assert_eq!(rows[0]["server_bytes"], 13, "link type {lt}");
    }
}

#[test]
fn nanosecond_timestamps_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::nanosecond(LINKTYPE_ETHERNET);
    p.frame_ns(
        1_136_000_000_123_456_789,
        &tcp_frame(
            LINKTYPE_ETHERNET,
            "10.0.0.1:50000",
            "10.0.0.2:1863",
            1,
            0,
            "S",
            b"",
        ),
    );
    let f = write(dir.path(), "ns.pcap", &p);
    let o = msnsniff(&["flows", "--format", "jsonl", &f]);
    assert!(
        stdout(&o).contains("\"first_ts\":1136000000.123456789"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn bytes_cut_by_the_snaplen_are_a_gap_not_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let mut c = Conv::new(LINKTYPE_ETHERNET, "10.0.0.1:50000", "10.0.0.2:1863", 1, 2);
    c.handshake(&mut p);
    let seq = c.client_seq();
    let line = b"MSG 1 N 20\r\n01234567890123456789";
    let frame = c.frame(true, seq, c.server_seq(), "PA", line);
    // Keep only the first 10 bytes of the payload.
    let keep = frame.len() - line.len() + 10;
    p.push_cut(&frame[..keep], frame.len() as u32);
    c.raw(
        &mut p,
        true,
        seq.wrapping_add(line.len() as u32),
        c.server_seq(),
        "PA",
        b"PNG\r\n",
    );
    let f = write(dir.path(), "cut.pcap", &p);
    let out = dir.path().join("dump");
    let o = msnsniff(&[
        "flows",
        "--format",
        "jsonl",
        "--dump",
        out.to_str().unwrap(),
        &f,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let row = &jsonl(&o)[0];
    assert_eq!(row["gaps"][0]["reason"], "truncated");
    assert_eq!(row["gaps"][0]["offset"], 10);
    assert_eq!(row["gaps"][0]["len"], line.len() - 10);
    assert_eq!(
        std::fs::read(out.join("1.client")).unwrap(),
        b"MSG 1 N 20PNG\r\n"
    );
}

/// Issue 9: each row says what the decoder found the connection to be, its dialect and its
/// signed-in user, in JSON and in the table.
#[test]
fn rows_carry_role_dialect_and_user() {
    let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/etherdump_msn.pcap");
    let out = msnsniff(&["flows", "--format", "jsonl", capture]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = jsonl(&out);
    let roles: Vec<&str> = rows.iter().map(|r| r["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["DS", "NS", "DS", "NS", "SB"]);
    for r in &rows {
        assert_eq!(r["dialect"], "MSNP8");
        assert_eq!(r["principal"], "fengzejin@hotmail.com");
    }
    // The same in connection_closed.summary.
    let events = jsonl(&msnsniff(&["read", "--format", "jsonl", capture]));
    let closed: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["type"] == "connection_closed")
        .collect();
    assert_eq!(closed.len(), 5);
    assert!(closed.iter().all(|e| e["summary"]["role"] == e["role"]));
    let table = stdout(&msnsniff(&["flows", capture]));
    assert!(
        table.contains("│ 5  ┆ SB MSNP8 ┆ fengzejin@hotmail.com ┆"),
        "{table}"
    );
}
