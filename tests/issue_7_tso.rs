//! Issue 7, hole 3: a capture taken on the sending host of a connection whose network card
//! does the TCP segmentation shows IPv4 total length 0 on the outgoing packets. Those
//! segments must be decoded from the frame's length (as Wireshark does), with one
//! `net.ipv4_zero_total_length` anomaly for the whole run, not one per packet.

mod support;

use serde_json::Value;
use std::process::Command;
use support::*;

/// Offset of the IPv4 header in an untagged Ethernet frame.
const IP: usize = 14;

/// The frame with its IPv4 total length set to 0, header checksum recomputed to match.
fn offloaded(mut frame: Vec<u8>) -> Vec<u8> {
    frame[IP + 2..IP + 4].copy_from_slice(&0u16.to_be_bytes());
    let ihl = usize::from(frame[IP] & 0x0f) * 4;
    set_ipv4_checksum(&mut frame[IP..IP + ihl]);
    frame
}

/// An NS login where every client data segment has IPv4 total length 0.
fn capture() -> Pcap {
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let mut c = Conv::new(
        LINKTYPE_ETHERNET,
        "10.0.0.1:50000",
        "10.0.0.2:1863",
        1000,
        2000,
    );
    c.handshake(&mut p);
    let lines: [(&[u8], &[u8]); 3] = [
        (b"VER 1 MSNP8 CVR0\r\n", b"VER 1 MSNP8 CVR0\r\n"),
        (
            b"CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.2.0137 MSMSGS alice@example.com\r\n",
            b"CVR 2 6.2.0208 6.2.0208 6.2.0208 http://download.example.com/ http://www.example.com/\r\n",
        ),
        (
            b"USR 3 TWN I alice@example.com\r\n",
            b"USR 3 TWN S lc=1033,id=507,tw=40\r\n",
        ),
    ];
    for (client, server) in lines {
        p.push(&offloaded(c.client_frame(client)));
        c.server(&mut p, server);
    }
    p
}

fn events(p: &Pcap) -> Vec<Value> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tso.pcap");
    p.write(&path);
    let out = Command::new(env!("CARGO_BIN_EXE_msnsniff"))
        .args(["read", "--format", "jsonl"])
        .arg(&path)
        .output()
        .expect("run msnsniff");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn zero_total_length_segments_are_decoded_and_noted_once() {
    let events = events(&capture());
    let commands: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["type"] == "command")
        .map(|e| {
            (
                e["dir"].as_str().unwrap_or(""),
                e["verb"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        commands,
        [
            ("c2s", "VER"),
            ("s2c", "VER"),
            ("c2s", "CVR"),
            ("s2c", "CVR"),
            ("c2s", "USR"),
            ("s2c", "USR"),
        ],
        "{events:#?}"
    );
    let client_usr = events
        .iter()
        .find(|e| e["type"] == "command" && e["verb"] == "USR" && e["dir"] == "c2s");
    assert_eq!(
        client_usr.map(|e| e["params"].clone()),
        Some(serde_json::json!(["TWN", "I", "alice@example.com"]))
    );
    let anomalies: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "anomaly")
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert_eq!(anomalies, ["net.ipv4_zero_total_length"], "{events:#?}");
}

#[test]
fn without_offload_there_is_no_such_anomaly() {
    // The same conversation with ordinary total lengths: the anomaly is about the capture,
    // not about MSNP.
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let mut c = Conv::new(
        LINKTYPE_ETHERNET,
        "10.0.0.1:50000",
        "10.0.0.2:1863",
        1000,
        2000,
    );
    c.handshake(&mut p);
    c.client(&mut p, b"VER 1 MSNP8 CVR0\r\n");
    c.server(&mut p, b"VER 1 MSNP8 CVR0\r\n");
    let events = events(&p);
    assert_eq!(
        events.iter().filter(|e| e["type"] == "command").count(),
        2,
        "{events:#?}"
    );
    assert!(events.iter().all(|e| e["type"] != "anomaly"), "{events:#?}");
}
