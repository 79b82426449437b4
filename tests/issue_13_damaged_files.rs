//! Damaged capture files (issue 13): cut at every record boundary and inside records,
//! garbage appended, a record length past any sane size, empty records, pcapng blocks of
//! unknown types. Whatever the damage: no panic, a clear one-line message and exit 2 for what
//! cannot be read, and everything before the damage decoded, output and closed (open
//! connections as `open`), exactly as if the file had ended there.

mod support;

use std::process::Output;
use support::*;

const CAP: &str = "captures/etherdump_msn.pcap";

fn read_jsonl(bytes: &[u8], dir: &std::path::Path, name: &str) -> Output {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    msnsniff(&["read", "--format", "jsonl", path.to_str().expect("path")])
}

/// The start of every record of a classic little-endian pcap, and the end of the file.
fn record_starts(pcap: &[u8]) -> Vec<usize> {
    let mut at = 24;
    let mut starts = Vec::new();
    while at + 16 <= pcap.len() {
        starts.push(at);
        let caplen = u32::from_le_bytes(pcap[at + 8..at + 12].try_into().expect("4 bytes"));
        at += 16 + caplen as usize;
    }
    starts.push(pcap.len());
    starts
}

fn assert_all_json(out: &Output, what: &str) {
    for line in stdout(out).lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {line}"));
    }
}

#[test]
fn cut_anywhere_gives_what_came_before_and_a_clear_error_inside_a_record() {
    let pcap = std::fs::read(CAP).expect("capture");
    let starts = record_starts(&pcap);
    let dir = tempfile::tempdir().expect("tempdir");
    // Every tenth boundary (and the first few), and for each a cut inside the record header
    // and one inside its data.
    let picks: Vec<usize> = (1..starts.len() - 1)
        .filter(|i| *i < 4 || i % 10 == 0)
        .collect();
    for i in picks {
        let boundary = starts[i];
        let clean = read_jsonl(&pcap[..boundary], dir.path(), "clean.pcap");
        assert!(
            matches!(clean.status.code(), Some(0 | 1)),
            "cut at record {i}: {:?} {}",
            clean.status,
            stderr(&clean)
        );
        assert!(stderr(&clean).is_empty(), "{}", stderr(&clean));
        assert_all_json(&clean, "clean cut");
        for inside in [boundary + 7, boundary + 16 + 3] {
            if inside >= starts[i + 1] {
                continue;
            }
            let cut = read_jsonl(&pcap[..inside], dir.path(), "cut.pcap");
            assert_eq!(cut.status.code(), Some(2), "cut at byte {inside}");
            let err = stderr(&cut);
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.starts_with("msnsniff: "), "{err}");
            // The same events as the file that ends cleanly before that record.
            assert_eq!(stdout(&cut), stdout(&clean), "cut at byte {inside}");
        }
    }
}

#[test]
fn connections_cut_short_are_closed_as_open() {
    let pcap = std::fs::read(CAP).expect("capture");
    let starts = record_starts(&pcap);
    let dir = tempfile::tempdir().expect("tempdir");
    // Half-way: some connections are open when the file ends inside a record.
    let mid = starts[starts.len() / 2] + 5;
    let out = read_jsonl(&pcap[..mid], dir.path(), "half.pcap");
    assert_eq!(out.status.code(), Some(2));
    let evs = jsonl(&out);
    let opened = evs
        .iter()
        .filter(|e| e["type"] == "connection_opened")
        .count();
    let closed: Vec<&serde_json::Value> = evs
        .iter()
        .filter(|e| e["type"] == "connection_closed")
        .collect();
    assert_eq!(opened, closed.len(), "every connection is closed");
    assert!(closed.iter().any(|e| e["closing"] == "open"), "{closed:?}");
}

#[test]
fn garbage_after_the_last_record_is_an_error_after_everything_else() {
    let pcap = std::fs::read(CAP).expect("capture");
    let dir = tempfile::tempdir().expect("tempdir");
    let whole = read_jsonl(&pcap, dir.path(), "whole.pcap");
    for garbage in [
        vec![0xFFu8; 40],
        b"this is not a record header, just text\n".to_vec(),
        vec![0u8; 3],
    ] {
        let mut bad = pcap.clone();
        bad.extend_from_slice(&garbage);
        let out = read_jsonl(&bad, dir.path(), "garbage.pcap");
        assert_eq!(out.status.code(), Some(2), "{garbage:?}");
        assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
        assert_eq!(stdout(&out), stdout(&whole));
    }
}

#[test]
fn a_record_length_past_any_snaplen_stops_there_cleanly() {
    let pcap = std::fs::read(CAP).expect("capture");
    let starts = record_starts(&pcap);
    let dir = tempfile::tempdir().expect("tempdir");
    let k = starts.len() / 3;
    let before = read_jsonl(&pcap[..starts[k]], dir.path(), "before.pcap");
    for caplen in [0x7FFF_FFFFu32, 300 << 20, 262_145] {
        let mut bad = pcap.clone();
        bad[starts[k] + 8..starts[k] + 12].copy_from_slice(&caplen.to_le_bytes());
        let out = read_jsonl(&bad, dir.path(), "huge.pcap");
        assert_eq!(out.status.code(), Some(2), "caplen {caplen}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_eq!(stdout(&out), stdout(&before), "caplen {caplen}");
    }
}

#[test]
fn empty_and_snaplen_cut_records_are_data_not_damage() {
    let pcap = std::fs::read(CAP).expect("capture");
    let starts = record_starts(&pcap);
    let dir = tempfile::tempdir().expect("tempdir");
    // A zero-length record (origlen 60) after every twentieth record.
    let mut with_empty = pcap[..24].to_vec();
    for (n, w) in starts.windows(2).enumerate() {
        with_empty.extend_from_slice(&pcap[w[0]..w[1]]);
        if n % 20 == 0 {
            let ts = &pcap[w[0]..w[0] + 8];
            with_empty.extend_from_slice(ts);
            with_empty.extend_from_slice(&0u32.to_le_bytes());
            with_empty.extend_from_slice(&60u32.to_le_bytes());
        }
    }
    let out = read_jsonl(&with_empty, dir.path(), "empty.pcap");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plain = read_jsonl(&pcap, dir.path(), "plain.pcap");
    let verbs = |o: &Output| -> Vec<String> {
        jsonl(o)
            .iter()
            .filter(|e| e["type"] == "command")
            .map(|e| format!("{} {}", e["verb"], e["params"]))
            .collect()
    };
    assert_eq!(
        verbs(&out),
        verbs(&plain),
        "empty records change no command"
    );
}

#[test]
fn pcapng_blocks_of_unknown_types_are_skipped() {
    let ng = std::fs::read("captures/synthetic_msnp11_twn_pcapng.pcapng").expect("pcapng");
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = read_jsonl(&ng, dir.path(), "plain.pcapng");
    assert_eq!(plain.status.code(), Some(0));
    // Section header (108 bytes) and interface description (20), then an unknown block of
    // a local type: 12 bytes of body.
    let shb_idb = 108 + 20;
    let mut body = Vec::new();
    body.extend_from_slice(&0x0BAD_0001u32.to_le_bytes());
    body.extend_from_slice(&24u32.to_le_bytes());
    body.extend_from_slice(b"unknown blk!");
    body.extend_from_slice(&24u32.to_le_bytes());
    let mut odd = ng[..shb_idb].to_vec();
    odd.extend_from_slice(&body);
    odd.extend_from_slice(&ng[shb_idb..]);
    let out = read_jsonl(&odd, dir.path(), "odd.pcapng");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Frame numbers count packets, not blocks: the output is the same.
    assert_eq!(stdout(&out), stdout(&plain));
}

#[test]
fn a_wrong_magic_number_is_refused_before_anything_is_read() {
    let mut pcap = std::fs::read(CAP).expect("capture");
    pcap[..4].copy_from_slice(&[0x12, 0x34, 0x56, 0x78]);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = read_jsonl(&pcap, dir.path(), "magic.pcap");
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("not a capture"), "{}", stderr(&out));
}

/// The pcapng fixture's blocks: (offset, type, length).
fn blocks(ng: &[u8]) -> Vec<(usize, u32, usize)> {
    let mut at = 0;
    let mut out = Vec::new();
    while at + 8 <= ng.len() {
        let t = u32::from_le_bytes(ng[at..at + 4].try_into().unwrap());
        let l = u32::from_le_bytes(ng[at + 4..at + 8].try_into().unwrap()) as usize;
        out.push((at, t, l));
        at += l.max(12);
    }
    out
}

#[test]
fn a_packet_on_an_interface_never_described_stops_there_in_one_line() {
    let ng = std::fs::read("captures/synthetic_msnp11_twn_pcapng.pcapng").expect("pcapng");
    let dir = tempfile::tempdir().expect("tempdir");
    let bl = blocks(&ng);
    // The tenth enhanced packet block names interface 7; only interface 0 was described.
    let epbs: Vec<&(usize, u32, usize)> = bl.iter().filter(|b| b.1 == 6).collect();
    let (at, _, _) = *epbs[10];
    let mut bad = ng.clone();
    bad[at + 8..at + 12].copy_from_slice(&7u32.to_le_bytes());
    let before = read_jsonl(&ng[..at], dir.path(), "before.pcapng");
    let out = read_jsonl(&bad, dir.path(), "noidb.pcapng");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(stdout(&out), stdout(&before));
}

/// A pcapng block of `kind` around `body`.
fn ng_block(kind: u32, body: &[u8]) -> Vec<u8> {
    let total = (12 + body.len()).next_multiple_of(4) as u32;
    let mut b = Vec::new();
    b.extend_from_slice(&kind.to_le_bytes());
    b.extend_from_slice(&total.to_le_bytes());
    b.extend_from_slice(body);
    b.resize(total as usize - 4, 0);
    b.extend_from_slice(&total.to_le_bytes());
    b
}

#[test]
fn interfaces_of_different_link_types_in_one_pcapng_file_are_all_read() {
    // The fixture's packets spread over three interfaces, as a capture on several at once
    // gives: Ethernet, raw IP (the Ethernet header taken off) and Linux cooked (the Ethernet
    // header replaced by a cooked one). libpcap stops at the second interface; msnsniff
    // reads every packet with its own interface's link type, so the traffic is the same.
    let ng = std::fs::read("captures/synthetic_msnp11_twn_pcapng.pcapng").expect("pcapng");
    let dir = tempfile::tempdir().expect("tempdir");
    let bl = blocks(&ng);
    let first_epb = bl.iter().position(|b| b.1 == 6).expect("a packet");
    let (at, _, _) = bl[first_epb];
    let mut mixed = ng[..at].to_vec();
    for (linktype, snaplen) in [(101u16, 65_535u32), (113, 0)] {
        let mut idb = linktype.to_le_bytes().to_vec();
        idb.extend_from_slice(&[0, 0]);
        idb.extend_from_slice(&snaplen.to_le_bytes());
        mixed.extend(ng_block(1, &idb));
    }
    let mut moved = [0usize; 3];
    for (k, &(at, kind, len)) in bl[first_epb..].iter().enumerate() {
        assert_eq!(kind, 6, "only packets after the first");
        let word = |o: usize| u32::from_le_bytes(ng[at + o..at + o + 4].try_into().expect("4"));
        let (caplen, origlen) = (word(20) as usize, word(24));
        let frame = &ng[at + 28..at + 28 + caplen];
        assert!(len >= 32 + caplen);
        let iface = k % 3;
        moved[iface] += 1;
        let data: Vec<u8> = match iface {
            0 => frame.to_vec(),
            1 => frame[14..].to_vec(),
            // Sent by us (4), ARPHRD_ETHER, a 6-byte address, IPv4.
            _ => [
                &[0, 4, 0, 1, 0, 6][..],
                &frame[6..12],
                &[0, 0],
                &frame[12..14],
                &frame[14..],
            ]
            .concat(),
        };
        let mut epb = (iface as u32).to_le_bytes().to_vec();
        epb.extend_from_slice(&ng[at + 12..at + 20]);
        epb.extend_from_slice(&(data.len() as u32).to_le_bytes());
        let origlen = origlen as usize + data.len() - caplen;
        epb.extend_from_slice(&(origlen as u32).to_le_bytes());
        epb.extend_from_slice(&data);
        mixed.extend(ng_block(6, &epb));
    }
    assert!(moved.iter().all(|n| *n > 10), "{moved:?}");
    let plain = read_jsonl(&ng, dir.path(), "plain.pcapng");
    let out = read_jsonl(&mixed, dir.path(), "mixed.pcapng");
    assert_eq!(out.status.code(), plain.status.code(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    assert!(stdout(&plain).lines().count() > 50);
    assert_eq!(stdout(&out), stdout(&plain));
    // The same from standard input and compressed, where the reader is chosen from the
    // first blocks.
    let path = dir.path().join("mixed.pcapng");
    let piped = msnsniff_stdin(&["read", "--format", "jsonl", "-"], &mixed);
    assert_eq!(stdout(&piped), stdout(&plain), "{}", stderr(&piped));
    assert_eq!(piped.status.code(), plain.status.code());
    let gz = dir.path().join("mixed.pcapng.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &mixed).expect("gzip");
    std::fs::write(&gz, enc.finish().expect("gzip")).expect("write");
    let zipped = msnsniff(&["read", "--format", "jsonl", gz.to_str().expect("path")]);
    assert_eq!(stdout(&zipped), stdout(&plain), "{}", stderr(&zipped));
    // A filter is compiled for each link type: `tcp` keeps every packet of all three.
    let filtered = msnsniff(&[
        "read",
        "--format",
        "jsonl",
        path.to_str().expect("path"),
        "--",
        "tcp",
    ]);
    assert_eq!(stdout(&filtered), stdout(&plain), "{}", stderr(&filtered));
}
