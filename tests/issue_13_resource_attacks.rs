//! Resource attacks (issue 13): captures made to exhaust memory. Each is generated here; for
//! each, the run completes, the anomaly is reported by its name, and the peak memory of the
//! process (GNU time's `%M`, measured on the msnsniff process alone) stays under
//! [`BOUND_KB`], however large the attack.

mod support;

use std::process::{Command, Output};
use support::*;

/// The bound every run must stay under: 64 MB, the bound of issue 12. The caps, not the
/// size of the attack, must set the size.
const BOUND_KB: u64 = 64 * 1024;

const C: &str = "10.0.0.1:50000";
const S: &str = "10.0.0.2:1863";

/// Runs msnsniff under GNU time; its output and its peak RSS in KiB.
fn run_measured(args: &[&str]) -> (Output, u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("rss");
    let out = Command::new("/usr/bin/time")
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

fn eth(ip: Vec<u8>) -> Vec<u8> {
    ethernet(CLIENT_MAC, SERVER_MAC, 0x0800, &ip)
}

fn handshake(p: &mut Pcap, c: &str, s: &str) {
    p.push(&eth(ip_packet(c, s, 1000, 0, "S", b"")));
    p.push(&eth(ip_packet(s, c, 5000, 1001, "SA", b"")));
    p.push(&eth(ip_packet(c, s, 1001, 5001, "A", b"")));
}

fn anomalies(out: &Output) -> std::collections::BTreeMap<String, u64> {
    let mut names = std::collections::BTreeMap::new();
    for e in jsonl(out) {
        if e["type"] == "anomaly" {
            *names
                .entry(e["name"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        if e["type"] == "connection_closed" {
            for (k, v) in e["summary"]["anomalies"].as_object().unwrap() {
                *names.entry(k.clone()).or_default() += v.as_u64().unwrap();
            }
        }
    }
    names
}

fn write(p: &Pcap, dir: &tempfile::TempDir, name: &str) -> String {
    let path = dir.path().join(name);
    p.write(&path);
    path.to_string_lossy().into_owned()
}

#[test]
fn an_endless_line_without_a_newline() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    handshake(&mut p, C, S);
    let chunk = vec![b'A'; 1400];
    let mut seq = 1001u32;
    p.push(&eth(ip_packet(
        C,
        S,
        seq,
        5001,
        "PA",
        b"VER 1 MSNP8 CVR0\r\n",
    )));
    seq += 18;
    // 30 MB of one line.
    for _ in 0..(30 << 20) / 1400 {
        p.push(&eth(ip_packet(C, S, seq, 5001, "PA", &chunk)));
        seq = seq.wrapping_add(1400);
    }
    let file = write(&p, &dir, "line.pcap");
    drop(p);
    let (out, kb) = run_measured(&["read", "--format", "jsonl", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        anomalies(&out).contains_key("msnp.line_too_long"),
        "{:?}",
        anomalies(&out)
    );
    assert!(kb < BOUND_KB, "{kb} KiB");
}

#[test]
fn a_msg_whose_length_says_two_gigabytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let sb = "10.0.0.2:1863";
    handshake(&mut p, C, sb);
    let mut seq = 1001u32;
    for line in [
        &b"ANS 1 alice@x.com 123.456 789\r\n"[..],
        b"MSG 2 N 2147483647\r\n",
    ] {
        p.push(&eth(ip_packet(C, sb, seq, 5001, "PA", line)));
        seq = seq.wrapping_add(line.len() as u32);
    }
    let chunk = vec![b'x'; 1400];
    for _ in 0..(20 << 20) / 1400 {
        p.push(&eth(ip_packet(C, sb, seq, 5001, "PA", &chunk)));
        seq = seq.wrapping_add(1400);
    }
    let file = write(&p, &dir, "msg.pcap");
    drop(p);
    let (out, kb) = run_measured(&["read", "--format", "jsonl", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let names = anomalies(&out);
    assert!(
        names.contains_key("msnp.payload_too_large") || names.contains_key("msnp.cut_payload"),
        "{names:?}"
    );
    assert!(kb < BOUND_KB, "{kb} KiB");
}

#[test]
fn a_hundred_thousand_connections_never_closed() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    for i in 0..100_000u32 {
        let c = format!(
            "10.{}.{}.{}:{}",
            (i >> 16) & 0xFF,
            (i >> 8) & 0xFF,
            i & 0xFF,
            1024 + i % 60000
        );
        p.push(&eth(ip_packet(&c, S, 1, 0, "S", b"")));
        p.push(&eth(ip_packet(&c, S, 2, 0, "PA", b"VER 1 MSNP8 CVR0\r\n")));
    }
    let file = write(&p, &dir, "conns.pcap");
    drop(p);
    let (out, kb) = run_measured(&["flows", "--format", "jsonl", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = jsonl(&out);
    assert_eq!(rows.len(), 100_000, "every connection is reported");
    let evicted = rows.iter().filter(|r| r["closing"] == "evicted").count();
    assert!(evicted >= 100_000 - 16_384, "{evicted}");
    assert!(kb < BOUND_KB, "{kb} KiB");
}

#[test]
fn tiny_out_of_order_segments_behind_a_hole() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    handshake(&mut p, C, S);
    // The first byte never comes; 300,000 one-byte segments follow it, each out of order.
    for i in 0..300_000u32 {
        let at = 1002 + (i ^ 1);
        p.push(&eth(ip_packet(C, S, at, 5001, "PA", b"x")));
    }
    let file = write(&p, &dir, "holes.pcap");
    drop(p);
    let (out, kb) = run_measured(&["read", "--format", "jsonl", &file]);
    // No command can be read from these bytes: exit 1, and no error.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(out.stderr.is_empty());
    let names = anomalies(&out);
    assert!(names.contains_key("tcp.buffer_full"), "{names:?}");
    let gaps = jsonl(&out).iter().filter(|e| e["type"] == "gap").count();
    assert!(gaps >= 1);
    assert!(kb < BOUND_KB, "{kb} KiB");
}

#[test]
fn overlapping_retransmissions_that_disagree_keep_the_first_copy() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    handshake(&mut p, C, S);
    p.push(&eth(ip_packet(
        C,
        S,
        1001,
        5001,
        "PA",
        b"VER 1 MSNP8 CVR0\r\n",
    )));
    // The same bytes again, different: the first copy stands.
    p.push(&eth(ip_packet(
        C,
        S,
        1001,
        5001,
        "PA",
        b"VER 9 EVIL!! CVR0\r\n",
    )));
    p.push(&eth(ip_packet(
        S,
        C,
        5001,
        1019,
        "PA",
        b"VER 1 MSNP8 CVR0\r\n",
    )));
    let file = write(&p, &dir, "overlap.pcap");
    let (out, _) = run_measured(&["read", "--format", "jsonl", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(anomalies(&out).contains_key("tcp.overlap_mismatch"));
    let first = jsonl(&out)
        .into_iter()
        .find(|e| e["type"] == "command")
        .unwrap();
    assert_eq!(first["params"], serde_json::json!(["MSNP8", "CVR0"]));
    assert_eq!(first["trid"], 1);
}

#[test]
fn a_hundred_thousand_announced_switchboards_never_connected_to() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    handshake(&mut p, C, S);
    let ver = b"VER 1 MSNP8 CVR0\r\n";
    p.push(&eth(ip_packet(C, S, 1001, 5001, "PA", ver)));
    let cseq = 1001 + ver.len() as u32;
    let mut sseq = 5001u32;
    // Replies of the server, each announcing a switchboard on another port.
    let mut batch = Vec::new();
    for i in 0..100_000u32 {
        let line = format!(
            "XFR {} SB 10.{}.{}.{}:{} CKI 1.2.{i}\r\n",
            i + 2,
            (i >> 16) & 0xFF,
            (i >> 8) & 0xFF,
            i & 0xFF,
            1024 + i % 60000
        );
        batch.extend_from_slice(line.as_bytes());
        if batch.len() > 1300 {
            p.push(&eth(ip_packet(S, C, sseq, cseq, "PA", &batch)));
            sseq = sseq.wrapping_add(batch.len() as u32);
            batch.clear();
        }
    }
    let file = write(&p, &dir, "xfr.pcap");
    drop(p);
    let (out, kb) = run_measured(&["stats", "--format", "json", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(kb < BOUND_KB, "{kb} KiB");
}

#[test]
fn ipv4_fragments_that_never_complete() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    // 100,000 first fragments (more-fragments set), each of its own datagram, never followed.
    for i in 0..100_000u32 {
        let mut ip = ip_packet(C, S, i, 0, "PA", &[b'y'; 400]);
        ip[4..6].copy_from_slice(&((i & 0xFFFF) as u16).to_be_bytes()); // identification
        ip[12..16].copy_from_slice(&[10, 1, (i >> 8) as u8, i as u8]); // source address
        ip[6] |= 0x20; // more fragments
        // The header checksum is not checked by msnsniff; leave it.
        p.push(&eth(ip));
    }
    let file = write(&p, &dir, "frags.pcap");
    drop(p);
    let (out, kb) = run_measured(&["read", "--format", "jsonl", &file]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let names = anomalies(&out);
    assert!(
        names.contains_key("net.fragment_evicted") || names.contains_key("net.fragment_incomplete"),
        "{names:?}"
    );
    assert!(kb < BOUND_KB, "{kb} KiB");
}
