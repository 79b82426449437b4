//! Checks that the test pcap writer in `tests/support/` produces files libpcap reads back
//! byte for byte, with the timestamps and lengths we asked for.

mod support;

use msnsniff::capture::LinkType;
use pcap::{Capture, Precision};
use support::*;

struct Read {
    linktype: i32,
    frames: Vec<(i64, i64, u32, u32, Vec<u8>)>, // secs, frac, caplen, len, data
}

// `tv_sec`/`tv_usec` are `i64` on this platform but not everywhere.
#[allow(clippy::unnecessary_cast)]
fn read_back(p: &Pcap, precision: Precision) -> Read {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("t.pcap");
    p.write(&path);
    let mut cap = Capture::from_file_with_precision(&path, precision).expect("libpcap opens it");
    let linktype = cap.get_datalink().0;
    let mut frames = Vec::new();
    loop {
        match cap.next_packet() {
            Ok(pkt) => frames.push((
                pkt.header.ts.tv_sec as i64,
                pkt.header.ts.tv_usec as i64,
                pkt.header.caplen,
                pkt.header.len,
                pkt.data.to_vec(),
            )),
            Err(pcap::Error::NoMorePackets) => break,
            Err(e) => panic!("libpcap read error: {e}"),
        }
    }
    Read { linktype, frames }
}

#[test]
fn frames_come_back_byte_identical() {
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let a = tcp_frame(
        LINKTYPE_ETHERNET,
        "10.0.0.1:50000",
        "10.0.0.2:1863",
        1,
        2,
        "PA",
        b"VER 1 MSNP8 CVR0\r\n",
    );
    let b = tcp_frame(
        LINKTYPE_ETHERNET,
        "[2001:db8::1]:50000",
        "[2001:db8::2]:1863",
        7,
        0,
        "S",
        b"",
    );
    p.frame(1_136_000_000_123_456, &a);
    p.frame(1_136_000_001_000_000, &b);
    p.frame_cut(1_136_000_002_000_000, &a[..40], a.len() as u32);
    let r = read_back(&p, Precision::Micro);
    assert_eq!(r.linktype, 1);
    assert_eq!(r.frames.len(), 3);
    assert_eq!(
        r.frames[0],
        (
            1_136_000_000,
            123_456,
            a.len() as u32,
            a.len() as u32,
            a.clone()
        )
    );
    assert_eq!(
        r.frames[1],
        (1_136_000_001, 0, b.len() as u32, b.len() as u32, b.clone())
    );
    assert_eq!(
        r.frames[2],
        (1_136_000_002, 0, 40, a.len() as u32, a[..40].to_vec())
    );
}

#[test]
fn nanosecond_files_keep_nanoseconds() {
    let mut p = Pcap::nanosecond(LINKTYPE_RAW);
    let f = tcp_frame(LINKTYPE_RAW, "10.0.0.1:1", "10.0.0.2:2", 0, 0, "S", b"");
    p.frame_ns(1_136_000_000_123_456_789, &f);
    p.frame(1_136_000_001_000_001, &f);
    let r = read_back(&p, Precision::Nano);
    // libpcap reports LINKTYPE_RAW (101) as its DLT_RAW value (12 or 14).
    assert_eq!(LinkType::from_dlt(r.linktype), LinkType::Raw);
    assert_eq!(r.frames[0].0, 1_136_000_000);
    assert_eq!(r.frames[0].1, 123_456_789);
    assert_eq!(r.frames[1].1, 1_000);
    assert_eq!(r.frames[0].4, f);
}

#[test]
fn every_link_type_is_accepted_by_libpcap() {
    for lt in [
        LINKTYPE_NULL,
        LINKTYPE_ETHERNET,
        LINKTYPE_RAW,
        LINKTYPE_LOOP,
        LINKTYPE_LINUX_SLL,
        LINKTYPE_IPV4,
        LINKTYPE_IPV6,
        LINKTYPE_LINUX_SLL2,
    ] {
        let (c, s) = if lt == LINKTYPE_IPV6 {
            ("[2001:db8::1]:50000", "[2001:db8::2]:1863")
        } else {
            ("10.0.0.1:50000", "10.0.0.2:1863")
        };
        let mut p = Pcap::new(lt);
        let mut conv = Conv::new(lt, c, s, 100, 200);
        conv.handshake(&mut p);
        conv.client(&mut p, b"VER 1 MSNP8 CVR0\r\n");
        let r = read_back(&p, Precision::Micro);
        assert_eq!(
            LinkType::from_dlt(r.linktype),
            LinkType::from_dlt(lt as i32),
            "link type {lt}"
        );
        assert_eq!(r.frames.len(), 4, "link type {lt}");
    }
}

#[test]
fn conv_keeps_sequence_numbers_and_clock() {
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let mut conv = Conv::new(
        LINKTYPE_ETHERNET,
        "10.0.0.1:50000",
        "10.0.0.2:1863",
        u32::MAX - 1,
        1000,
    );
    assert_eq!(conv.client_seq(), u32::MAX);
    conv.handshake(&mut p);
    conv.client(&mut p, b"abc");
    assert_eq!(conv.client_seq(), 2); // wrapped
    conv.server(&mut p, b"hello");
    assert_eq!(conv.server_seq(), 1006);
    conv.close(&mut p);
    assert_eq!((conv.client_seq(), conv.server_seq()), (3, 1007));
    let r = read_back(&p, Precision::Micro);
    assert_eq!(r.frames.len(), 7);
    for (i, f) in r.frames.iter().enumerate() {
        let us = START_US + i as u64 * STEP_US;
        assert_eq!(
            (f.0, f.1),
            ((us / 1_000_000) as i64, (us % 1_000_000) as i64)
        );
    }
    // Server frames come from the server's MAC.
    assert_eq!(&r.frames[1].4[6..12], &SERVER_MAC);
    assert_eq!(&r.frames[0].4[6..12], &CLIENT_MAC);
}

#[test]
fn fragments_split_on_eight_byte_boundaries() {
    let ip = ip_packet("10.0.0.1:1", "10.0.0.2:2", 0, 0, "PA", &[b'x'; 50]);
    let frags = ipv4_fragments(&ip, 7, 24);
    // 20 TCP + 50 payload = 70 bytes of IP data: 24 + 24 + 22.
    assert_eq!(frags.len(), 3);
    assert_eq!(frags.iter().map(|f| f.len() - 20).sum::<usize>(), 70);
    assert_eq!(u16::from_be_bytes([frags[1][6], frags[1][7]]), 0x2000 | 3);
    assert_eq!(u16::from_be_bytes([frags[2][6], frags[2][7]]), 6);
}
