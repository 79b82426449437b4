//! Resource attacks (issue 13): captures made to exhaust memory. Each is generated here; for
//! each, the run completes, the anomaly is reported by its name, and the peak memory of the
//! process (GNU time's `%M`, measured on the msnsniff process alone) stays under
//! [`BOUND_KB`], however large the attack.

mod support;

use std::process::Output;
use support::*;

/// The bound every run must stay under: 64 MB, the bound of issue 12. The caps, not the
/// size of the attack, must set the size.
const BOUND_KB: u64 = 64 * 1024;

const C: &str = "10.0.0.1:50000";
const S: &str = "10.0.0.2:1863";

fn handshake(p: &mut Pcap, c: &str, s: &str) {
    p.push(&eth_ipv4(ip_packet(c, s, 1000, 0, "S", b"")));
    p.push(&eth_ipv4(ip_packet(s, c, 5000, 1001, "SA", b"")));
    p.push(&eth_ipv4(ip_packet(c, s, 1001, 5001, "A", b"")));
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
    p.push(&eth_ipv4(ip_packet(
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
        p.push(&eth_ipv4(ip_packet(C, S, seq, 5001, "PA", &chunk)));
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
        p.push(&eth_ipv4(ip_packet(C, sb, seq, 5001, "PA", line)));
        seq = seq.wrapping_add(line.len() as u32);
    }
    let chunk = vec![b'x'; 1400];
    for _ in 0..(20 << 20) / 1400 {
        p.push(&eth_ipv4(ip_packet(C, sb, seq, 5001, "PA", &chunk)));
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
fn two_hundred_thousand_connections_never_closed() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    for i in 0..200_000u32 {
        let c = format!(
            "10.{}.{}.{}:{}",
            (i >> 16) & 0xFF,
            (i >> 8) & 0xFF,
            i & 0xFF,
            1024 + i % 60000
        );
        p.push(&eth_ipv4(ip_packet(&c, S, 1, 0, "S", b"")));
        p.push(&eth_ipv4(ip_packet(
            &c,
            S,
            2,
            0,
            "PA",
            b"VER 1 MSNP8 CVR0\r\n",
        )));
    }
    let file = write(&p, &dir, "conns.pcap");
    drop(p);
    let (out, kb) = run_measured(&["flows", "--format", "jsonl", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = jsonl(&out);
    assert_eq!(rows.len(), 200_000, "every connection is reported");
    let evicted = rows.iter().filter(|r| r["closing"] == "evicted").count();
    assert!(
        evicted >= 200_000 - msnsniff::flow::MAX_CONNECTIONS,
        "{evicted}"
    );
    assert!(kb < BOUND_KB, "{kb} KiB");
}

#[test]
fn tiny_out_of_order_segments_behind_a_hole() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    handshake(&mut p, C, S);
    // The first byte never comes; a million one-byte segments follow it, each out of order.
    for i in 0..1_000_000u32 {
        let at = 1002 + (i ^ 1);
        p.push(&eth_ipv4(ip_packet(C, S, at, 5001, "PA", b"x")));
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
    p.push(&eth_ipv4(ip_packet(
        C,
        S,
        1001,
        5001,
        "PA",
        b"VER 1 MSNP8 CVR0\r\n",
    )));
    // The same bytes again, different: the first copy stands.
    p.push(&eth_ipv4(ip_packet(
        C,
        S,
        1001,
        5001,
        "PA",
        b"VER 9 EVIL!! CVR0\r\n",
    )));
    p.push(&eth_ipv4(ip_packet(
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
    p.push(&eth_ipv4(ip_packet(C, S, 1001, 5001, "PA", ver)));
    let cseq = 1001 + ver.len() as u32;
    let mut sseq = 5001u32;
    // Replies of the server, each announcing a switchboard on another port.
    let mut batch = Vec::new();
    let (mut in_batch, mut sent) = (0u64, 0u64);
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
        in_batch += 1;
        if batch.len() > 1300 {
            p.push(&eth_ipv4(ip_packet(S, C, sseq, cseq, "PA", &batch)));
            sseq = sseq.wrapping_add(batch.len() as u32);
            batch.clear();
            sent += in_batch;
            in_batch = 0;
        }
    }
    let file = write(&p, &dir, "xfr.pcap");
    drop(p);
    let (out, kb) = run_measured(&["stats", "--format", "json", &file]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(kb < BOUND_KB, "{kb} KiB");
    // Each announcement pushed out of the table unused is said.
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let forgotten = report["anomalies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "flow.expectation_evicted")
        .map(|a| a["count"].as_u64().unwrap());
    assert_eq!(
        forgotten,
        Some(sent - msnsniff::flow::MAX_EXPECTED as u64),
        "{}",
        report["anomalies"]
    );
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
        p.push(&eth_ipv4(ip));
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

/// A P2Pv1 packet in a switchboard message to `bob@x.com`.
fn p2p_msg(
    trid: u32,
    session: u32,
    id: u32,
    offset: u64,
    total: u64,
    flags: u32,
    data: &[u8],
) -> Vec<u8> {
    let packet = p2p_packet(session, id, offset, total, flags, data, 2);
    let mut body = b"MIME-Version: 1.0\r\nContent-Type: application/x-msnmsgrp2p\r\nP2P-Dest: bob@x.com\r\n\r\n".to_vec();
    body.extend_from_slice(&packet);
    let mut m = format!("MSG {trid} D {}\r\n", body.len()).into_bytes();
    m.extend_from_slice(&body);
    m
}

#[test]
fn a_flood_of_p2p_chunks_claiming_huge_sizes_in_thousands_of_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    handshake(&mut p, C, S);
    let mut seq = 1001u32;
    let mut send = |p: &mut Pcap, bytes: &[u8]| {
        p.push(&eth_ipv4(ip_packet(C, S, seq, 5001, "PA", bytes)));
        seq = seq.wrapping_add(bytes.len() as u32);
    };
    send(&mut p, b"USR 1 alice@x.com 1.2.3\r\n");
    let chunk = [b'z'; 1000];
    let mut trid = 2;
    for i in 0..20_000u32 {
        // SLP messages (session 0) of 4 GB that never complete, each a new message id.
        send(
            &mut p,
            &p2p_msg(trid, 0, 1_000_000 + i, 0, 4 << 30, 0, &chunk),
        );
        trid += 1;
        // File data of 20,000 sessions, each claiming nearly 16 EB (the largest total size),
        // in three chunks: at its start, a little further, and 3 GB in (a hole of zeros to
        // write and hash).
        for offset in [0u64, 5000, 3 << 30] {
            let flags = 0x0100_0030;
            send(
                &mut p,
                &p2p_msg(
                    trid,
                    1 + i,
                    2_000_000 + i,
                    offset,
                    u64::MAX - 1,
                    flags,
                    &chunk,
                ),
            );
            trid += 1;
        }
    }
    let file = write(&p, &dir, "p2p.pcap");
    drop(p);
    let objects = dir.path().join("objects");
    let (out, kb) = run_measured(&[
        "read",
        "--format",
        "jsonl",
        "--extract",
        objects.to_str().unwrap(),
        &file,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let names = anomalies(&out);
    assert!(
        names.contains_key("slp.too_large") || names.contains_key("slp.evicted"),
        "{names:?}"
    );
    let events = jsonl(&out);
    let extracted = events.iter().filter(|e| e["type"] == "extracted").count();
    assert_eq!(extracted, 20_000, "every object is written");
    assert!(kb < BOUND_KB, "{kb} KiB");
    // The files hold what was sent, and zeros for holes within the run's budget (1 GiB):
    // not 20,000 holes of 3 GB.
    let on_disk: u64 = std::fs::read_dir(&objects)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(on_disk < (1 << 30) + 20_000 * 10_000, "{on_disk} bytes");
    let partial = events
        .iter()
        .filter(|e| e["type"] == "extracted" && e["partial"] == true)
        .count();
    assert_eq!(partial, 20_000);
}

/// Connection `i` of the many-connection attacks: its own client address.
fn client_of(i: u32) -> String {
    format!("10.9.{}.{}:{}", i >> 8, i & 0xFF, 20_000 + i)
}

/// `n` connections, each sending `head` from sequence number `seq` and then 900 KB in 1,400-byte
/// segments, the connections' segments interleaved; written to `name` in `dir`.
fn stalled_connections(
    dir: &tempfile::TempDir,
    name: &str,
    n: u32,
    seq: u32,
    head: &[u8],
) -> String {
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    for i in 0..n {
        handshake(&mut p, &client_of(i), S);
    }
    let mut next = vec![seq; n as usize];
    let chunk = [b'p'; 1400];
    for round in 0..=(900_000 / chunk.len()) {
        for i in 0..n {
            let bytes: &[u8] = if round == 0 { head } else { &chunk };
            if !bytes.is_empty() {
                let at = &mut next[i as usize];
                p.push(&eth_ipv4(ip_packet(
                    &client_of(i),
                    S,
                    *at,
                    5001,
                    "PA",
                    bytes,
                )));
                *at += bytes.len() as u32;
            }
        }
    }
    write(&p, dir, name)
}

#[test]
fn many_connections_each_holding_a_payload_stay_under_the_memcap() {
    // 400 connections each declare a 1 MB MSG and send 900 KB of it, then stop: each framer
    // may hold up to 1 MB, so together they would hold 360 MB without the global cap.
    let dir = tempfile::tempdir().unwrap();
    let file = stalled_connections(&dir, "payloads.pcap", 400, 1001, b"MSG 1 N 1000000\r\n");
    let (out, kb) = run_measured(&["read", "--format", "jsonl", &file]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let names = anomalies(&out);
    assert!(names.contains_key("stream.memcap"), "{names:?}");
    assert!(kb < BOUND_KB, "{kb} KiB");
}

#[test]
fn many_connections_each_buffering_behind_a_hole_stay_under_the_memcap() {
    // 400 connections each lose their first byte and send 900 KB after it: each reassembly
    // buffer may hold up to 1 MB, so together they would hold 360 MB without the global cap.
    let dir = tempfile::tempdir().unwrap();
    let file = stalled_connections(&dir, "holes-many.pcap", 400, 1002, b"");
    let (out, kb) = run_measured(&["read", "--format", "jsonl", &file]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let gaps: Vec<_> = jsonl(&out)
        .into_iter()
        .filter(|e| e["type"] == "gap" && e["reason"] == "capacity")
        .collect();
    assert!(!gaps.is_empty(), "holes given up for the global cap");
    assert!(anomalies(&out).contains_key("stream.memcap"));
    assert!(kb < BOUND_KB, "{kb} KiB");
}
