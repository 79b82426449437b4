//! End-to-end tests of the net layer: a capture file per link type, written with
//! `tests/support/` and read back through libpcap (`FileSource`) into `NetDecoder`.

mod support;

use msnsniff::capture::{FileSource, PacketSource, Timestamp};
use msnsniff::net::{Decoded, NetDecoder};
use std::net::SocketAddr;
use std::path::Path;
use support::*;

/// One decoded frame, owned so it outlives the source's buffer.
#[derive(Debug, Clone, PartialEq)]
enum Out {
    Tcp {
        index: u64,
        ts: Timestamp,
        src: SocketAddr,
        dst: SocketAddr,
        seq: u32,
        ack: u32,
        flags: u8,
        payload: Vec<u8>,
        missing: u32,
    },
    Ignored,
    Anomaly(&'static str),
}

fn decode_file(path: &Path) -> Vec<Out> {
    let mut src = FileSource::new(vec![path.to_string_lossy().into_owned()], None);
    let mut dec = NetDecoder::new();
    let mut out = Vec::new();
    while let Some(pkt) = src.next_packet().expect("capture reads") {
        out.push(match dec.decode(&pkt) {
            Decoded::Tcp(s) => Out::Tcp {
                index: s.index,
                ts: s.ts,
                src: s.src,
                dst: s.dst,
                seq: s.seq,
                ack: s.ack,
                flags: s.flags.0,
                payload: s.payload.to_vec(),
                missing: s.missing,
            },
            Decoded::Ignored => Out::Ignored,
            Decoded::Anomaly { name } => Out::Anomaly(name),
        });
    }
    out
}

fn decode_pcap(p: &Pcap) -> Vec<Out> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.pcap");
    p.write(&path);
    decode_file(&path)
}

fn payloads(out: &[Out]) -> Vec<(SocketAddr, u32, Vec<u8>)> {
    out.iter()
        .filter_map(|o| match o {
            Out::Tcp {
                src, seq, payload, ..
            } if !payload.is_empty() => Some((*src, *seq, payload.clone())),
            _ => None,
        })
        .collect()
}

const VER: &[u8] = b"VER 1 MSNP8 CVR0\r\n";
const VER_REPLY: &[u8] = b"VER 1 MSNP8\r\n";

/// A short NS conversation: handshake, one exchange, both FINs.
fn conversation(linktype: u32, client: &str, server: &str) -> Pcap {
    let mut p = Pcap::new(linktype);
    let mut c = Conv::new(linktype, client, server, 0xffff_fff0, 5000);
    c.handshake(&mut p);
    c.client(&mut p, VER);
    c.server(&mut p, VER_REPLY);
    c.close(&mut p);
    p
}

fn check_conversation(linktype: u32, client: &str, server: &str) {
    let out = decode_pcap(&conversation(linktype, client, server));
    let (c, s) = (addr(client), addr(server));
    assert_eq!(out.len(), 7, "link type {linktype}");
    assert!(
        out.iter().all(|o| matches!(o, Out::Tcp { .. })),
        "link type {linktype}: {out:?}"
    );
    let Out::Tcp {
        index,
        ts,
        src,
        dst,
        seq,
        flags,
        ..
    } = &out[0]
    else {
        unreachable!()
    };
    assert_eq!(
        (*index, *src, *dst, *seq, *flags),
        (1, c, s, 0xffff_fff0, 0x02)
    );
    assert_eq!(*ts, Timestamp::new(1_136_000_000, 0));
    assert_eq!(
        payloads(&out),
        vec![
            (c, 0xffff_fff1, VER.to_vec()),
            (s, 5001, VER_REPLY.to_vec())
        ],
        "link type {linktype}"
    );
    let Out::Tcp { ack, .. } = &out[5] else {
        unreachable!()
    };
    assert_eq!(*ack, 5001 + VER_REPLY.len() as u32);
}

#[test]
fn ethernet() {
    check_conversation(LINKTYPE_ETHERNET, "10.0.0.1:50000", "10.0.0.2:1863");
    check_conversation(
        LINKTYPE_ETHERNET,
        "[2001:db8::1]:50000",
        "[2001:db8::2]:1863",
    );
}

#[test]
fn linux_cooked_v1_and_v2() {
    for lt in [LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2] {
        check_conversation(lt, "10.0.0.1:50000", "10.0.0.2:1863");
        check_conversation(lt, "[2001:db8::1]:50000", "[2001:db8::2]:1863");
    }
}

#[test]
fn bsd_loopback_null_and_loop() {
    for lt in [LINKTYPE_NULL, LINKTYPE_LOOP] {
        check_conversation(lt, "127.0.0.1:50000", "127.0.0.1:1863");
        check_conversation(lt, "[::1]:50000", "[::1]:1863");
    }
}

#[test]
fn null_written_by_a_big_endian_host() {
    let mut p = Pcap::new(LINKTYPE_NULL);
    let ip = ip_packet("127.0.0.1:50000", "127.0.0.1:1863", 7, 8, "PA", VER);
    p.push(&null_be(&ip));
    let ip6 = ip_packet("[::1]:50000", "[::1]:1863", 7, 8, "PA", VER);
    p.push(&null_be(&ip6));
    let out = decode_pcap(&p);
    assert_eq!(payloads(&out).len(), 2, "{out:?}");
}

#[test]
fn raw_ip_link_types() {
    check_conversation(LINKTYPE_RAW, "10.0.0.1:50000", "10.0.0.2:1863");
    check_conversation(LINKTYPE_RAW, "[2001:db8::1]:50000", "[2001:db8::2]:1863");
    check_conversation(LINKTYPE_IPV4, "10.0.0.1:50000", "10.0.0.2:1863");
    check_conversation(LINKTYPE_IPV6, "[2001:db8::1]:50000", "[2001:db8::2]:1863");
}

#[test]
fn vlan_and_qinq() {
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let ip = ip_packet("10.0.0.1:50000", "10.0.0.2:1863", 1, 2, "PA", VER);
    p.push(&ethernet_vlan(&[(0x8100, 10)], &ip));
    p.push(&ethernet_vlan(&[(0x88a8, 100), (0x8100, 10)], &ip));
    p.push(&ethernet_vlan(&[(0x9100, 100), (0x8100, 10)], &ip));
    let ip6 = ip_packet("[2001:db8::1]:50000", "[2001:db8::2]:1863", 1, 2, "PA", VER);
    p.push(&ethernet_vlan(&[(0x88a8, 100), (0x8100, 10)], &ip6));
    let out = decode_pcap(&p);
    let got = payloads(&out);
    assert_eq!(got.len(), 4, "{out:?}");
    assert!(got.iter().all(|(_, seq, pl)| *seq == 1 && pl == VER));
}

#[test]
fn ethernet_trailer_bytes_are_ignored() {
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let mut f = tcp_frame(
        LINKTYPE_ETHERNET,
        "10.0.0.1:50000",
        "10.0.0.2:1863",
        1,
        2,
        "A",
        b"",
    );
    f.extend_from_slice(b"MSG 1\r\n");
    p.push(&f);
    let mut f = tcp_frame(
        LINKTYPE_ETHERNET,
        "10.0.0.1:50000",
        "10.0.0.2:1863",
        1,
        2,
        "PA",
        b"OUT\r\n",
    );
    f.extend_from_slice(b"\0\0\0\0");
    p.push(&f);
    let out = decode_pcap(&p);
    assert_eq!(
        payloads(&out),
        vec![(addr("10.0.0.1:50000"), 1, b"OUT\r\n".to_vec())]
    );
}

#[test]
fn snaplen_cut_frame_reports_missing_bytes() {
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let f = tcp_frame(
        LINKTYPE_ETHERNET,
        "10.0.0.1:50000",
        "10.0.0.2:1863",
        1,
        2,
        "PA",
        VER,
    );
    p.push_cut(&f[..f.len() - 6], f.len() as u32);
    p.push_cut(&f[..40], f.len() as u32); // inside the TCP header
    let out = decode_pcap(&p);
    let Out::Tcp {
        payload, missing, ..
    } = &out[0]
    else {
        panic!("{out:?}")
    };
    assert_eq!((payload.as_slice(), *missing), (&VER[..VER.len() - 6], 6));
    assert_eq!(out[1], Out::Anomaly("net.truncated_header"));
}

#[test]
fn nanosecond_timestamps_reach_the_segment() {
    let mut p = Pcap::nanosecond(LINKTYPE_RAW);
    let ip = ip_packet("10.0.0.1:50000", "10.0.0.2:1863", 1, 2, "PA", VER);
    p.frame_ns(1_136_000_000_123_456_789, &ip);
    let out = decode_pcap(&p);
    let Out::Tcp { ts, .. } = &out[0] else {
        panic!("{out:?}")
    };
    assert_eq!(*ts, Timestamp::new(1_136_000_000, 123_456_789));
}

/// A message body split over IPv4 fragments, sent out of order, with a fragment of an
/// unrelated datagram in between.
#[test]
fn ipv4_fragments_are_reassembled() {
    let body: Vec<u8> = [
        &b"MSG 5 N 120\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"[..],
        &[b'z'; 49][..],
    ]
    .concat();
    let ip = ip_packet("10.0.0.1:50000", "10.0.0.2:1863", 77, 88, "PA", &body);
    let frags = ipv4_fragments(&ip, 0x1234, 40);
    assert_eq!(frags.len(), 4);
    let stray = ipv4_fragments(&ip, 0x9999, 40);
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    for f in [&frags[2], &frags[0], &stray[1], &frags[3], &frags[1]] {
        p.push(&link_wrap(LINKTYPE_ETHERNET, f));
    }
    let mut out = decode_pcap(&p);
    let last = out.pop();
    assert_eq!(out, vec![Out::Ignored; 4]);
    let Some(Out::Tcp {
        index,
        seq,
        payload,
        missing,
        ..
    }) = last
    else {
        panic!("{last:?}")
    };
    assert_eq!((index, seq, missing), (5, 77, 0));
    assert_eq!(payload, body);
}

/// The real capture has Ethernet frames padded with trailer bytes after the IP packet: no
/// segment payload may reach into them.
#[test]
fn real_capture_trailers_are_not_payload() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/ppa_suspectemployeechat.pcap");
    let mut src = FileSource::new(vec![path.to_string_lossy().into_owned()], None);
    let mut dec = NetDecoder::new();
    let (mut with_trailer, mut segments) = (0, 0);
    while let Some(pkt) = src.next_packet().expect("capture reads") {
        let data = pkt.data;
        // Where the IPv4 packet ends, by its own total length (Ethernet, no tags, here).
        let ip_end = match data.get(12..18) {
            Some([0x08, 0x00, v, _, hi, lo]) if v >> 4 == 4 => {
                14 + usize::from(u16::from_be_bytes([*hi, *lo]))
            }
            _ => continue,
        };
        if data.len() > ip_end {
            with_trailer += 1;
        }
        let base = data.as_ptr() as usize;
        if let Decoded::Tcp(s) = dec.decode(&pkt) {
            segments += 1;
            let end = s.payload.as_ptr() as usize - base + s.payload.len();
            assert!(
                s.payload.is_empty() || end <= ip_end,
                "frame {}: payload ends at {end}, IP packet at {ip_end}",
                s.index
            );
        }
    }
    assert!(segments > 0);
    assert_eq!(with_trailer, 12, "frames carrying Ethernet trailer bytes");
}
