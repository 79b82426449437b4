//! Tests of [`NetDecoder::decode`] as a whole: every link type, trailers, snaplen cuts,
//! fragment reassembly through the decoder, and property tests that nothing panics.

use super::*;
use crate::capture::LinkType;
use etherparse::PacketBuilder;
use proptest::prelude::*;

const MSG: &[u8] = b"MSG 4 N 5\r\nhello";

fn tcp_ip4(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(50000, 1863, 1000, 65535)
        .psh()
        .ack(2000)
        .write(&mut out, payload)
        .unwrap();
    out
}

fn tcp_ip6(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut a = [0u8; 16];
    a[0] = 0x20;
    a[15] = 1;
    let mut b = a;
    b[15] = 2;
    PacketBuilder::ipv6(a, b, 64)
        .tcp(50000, 1863, 1000, 65535)
        .ack(2000)
        .write(&mut out, payload)
        .unwrap();
    out
}

fn ethernet(tags: &[u16], ethertype: u16, ip: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    for &tpid in tags {
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&[0x00, 0x0a]);
    }
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(ip);
    f
}

fn pkt(linktype: LinkType, data: &[u8]) -> RawPacket<'_> {
    RawPacket {
        index: 7,
        ts: Timestamp::new(1_136_000_000, 5),
        linktype,
        data,
        origlen: data.len() as u32,
    }
}

fn expect_tcp<'a>(d: Decoded<'a>) -> TcpSegment<'a> {
    match d {
        Decoded::Tcp(s) => s,
        other => panic!("expected a TCP segment, got {other:?}"),
    }
}

fn decode_one(linktype: LinkType, data: &[u8]) -> Decoded<'_> {
    // A fresh decoder per frame, leaked so the result can outlive this function in tests.
    let dec = Box::leak(Box::new(NetDecoder::new()));
    dec.decode(&pkt(linktype, data))
}

/// Every supported way of framing the same IPv4 and IPv6 packets.
fn framings(ip4: &[u8], ip6: &[u8]) -> Vec<(&'static str, LinkType, Vec<u8>)> {
    let mut v = Vec::new();
    for (name, ip, et, af) in [("v4", ip4, 0x0800u16, 2u32), ("v6", ip6, 0x86dd, 30)] {
        let mut sll = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0];
        sll.extend_from_slice(&et.to_be_bytes());
        sll.extend_from_slice(ip);
        let mut sll2 = et.to_be_bytes().to_vec();
        sll2.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0]);
        sll2.extend_from_slice(ip);
        let mut null_le = af.to_le_bytes().to_vec();
        null_le.extend_from_slice(ip);
        let mut null_be = af.to_be_bytes().to_vec();
        null_be.extend_from_slice(ip);
        let loop_af: u32 = if af == 2 { 2 } else { 24 };
        let mut lo = loop_af.to_be_bytes().to_vec();
        lo.extend_from_slice(ip);
        let bare = if name == "v4" {
            LinkType::Ipv4
        } else {
            LinkType::Ipv6
        };
        v.extend([
            ("ethernet", LinkType::Ethernet, ethernet(&[], et, ip)),
            ("vlan", LinkType::Ethernet, ethernet(&[0x8100], et, ip)),
            (
                "qinq",
                LinkType::Ethernet,
                ethernet(&[0x88a8, 0x8100], et, ip),
            ),
            (
                "qinq9100",
                LinkType::Ethernet,
                ethernet(&[0x9100, 0x8100], et, ip),
            ),
            ("sll", LinkType::LinuxSll, sll),
            ("sll2", LinkType::LinuxSll2, sll2),
            ("null_le", LinkType::Null, null_le),
            ("null_be", LinkType::Null, null_be),
            ("loop", LinkType::Loop, lo),
            ("raw", LinkType::Raw, ip.to_vec()),
            ("bare", bare, ip.to_vec()),
        ]);
    }
    v
}

#[test]
fn every_link_type_decodes() {
    let (ip4, ip6) = (tcp_ip4(MSG), tcp_ip6(MSG));
    for (name, lt, frame) in framings(&ip4, &ip6) {
        let s = expect_tcp(decode_one(lt, &frame));
        assert_eq!(s.payload, MSG, "{name}");
        assert_eq!((s.seq, s.ack, s.missing), (1000, 2000, 0), "{name}");
        assert_eq!(s.src.port(), 50000, "{name}");
        assert_eq!(s.dst.port(), 1863, "{name}");
        assert!(s.flags.ack(), "{name}");
        assert_eq!(s.index, 7);
        assert_eq!(s.ts, Timestamp::new(1_136_000_000, 5));
    }
    let s = expect_tcp(decode_one(LinkType::Raw, &ip4));
    assert_eq!(s.src, "10.0.0.1:50000".parse().unwrap());
    assert_eq!(s.dst, "10.0.0.2:1863".parse().unwrap());
    let s = expect_tcp(decode_one(LinkType::Raw, &ip6));
    assert_eq!(s.src, "[2000::1]:50000".parse().unwrap());
}

#[test]
fn ethernet_trailer_is_not_payload() {
    let mut frame = ethernet(&[], 0x0800, &tcp_ip4(b"OUT 1\r\n"));
    frame.extend_from_slice(b"MSG 1 U 3\r\n");
    let s = expect_tcp(decode_one(LinkType::Ethernet, &frame));
    assert_eq!(s.payload, b"OUT 1\r\n");
    assert_eq!(s.missing, 0);
    // A bare ACK padded to the Ethernet minimum has an empty payload.
    let mut frame = ethernet(&[], 0x0800, &tcp_ip4(b""));
    frame.extend_from_slice(&[0x20; 6]);
    assert_eq!(
        expect_tcp(decode_one(LinkType::Ethernet, &frame)).payload,
        b""
    );
    // Same for IPv6.
    let mut frame = ethernet(&[], 0x86dd, &tcp_ip6(b"CHL 0 1\r\n"));
    frame.extend_from_slice(b"garbage");
    assert_eq!(
        expect_tcp(decode_one(LinkType::Ethernet, &frame)).payload,
        b"CHL 0 1\r\n"
    );
}

#[test]
fn snaplen_cut_reports_missing() {
    let frame = ethernet(&[], 0x0800, &tcp_ip4(MSG));
    let cut = &frame[..frame.len() - 5];
    let dec = &mut NetDecoder::new();
    let p = RawPacket {
        origlen: frame.len() as u32,
        ..pkt(LinkType::Ethernet, cut)
    };
    let s = expect_tcp(dec.decode(&p));
    assert_eq!(s.payload, &MSG[..MSG.len() - 5]);
    assert_eq!(s.missing, 5);
    // Cut inside the TCP header.
    let cut = &frame[..14 + 20 + 10];
    assert!(matches!(
        decode_one(LinkType::Ethernet, cut),
        Decoded::Anomaly {
            name: anomaly::TRUNCATED_HEADER
        }
    ));
}

#[test]
fn ipv6_extension_headers_through_decode() {
    // Rebuild the IPv6 packet with hop-by-hop (8 bytes) and destination options (16 bytes).
    let plain = tcp_ip6(MSG);
    let mut ip = plain[..40].to_vec();
    ip[6] = 0; // hop-by-hop first
    let tcp = &plain[40..];
    let exts = [
        &[60u8, 0, 1, 4, 0, 0, 0, 0][..],
        &[6, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0][..],
    ]
    .concat();
    let len = (exts.len() + tcp.len()) as u16;
    ip[4..6].copy_from_slice(&len.to_be_bytes());
    ip.extend_from_slice(&exts);
    ip.extend_from_slice(tcp);
    let frame = ethernet(&[0x8100], 0x86dd, &ip);
    let s = expect_tcp(decode_one(LinkType::Ethernet, &frame));
    assert_eq!(s.payload, MSG);
    assert_eq!(s.seq, 1000);
}

#[test]
fn non_tcp_and_non_ip_are_ignored() {
    let mut udp = Vec::new();
    PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(1, 2)
        .write(&mut udp, b"x")
        .unwrap();
    assert!(matches!(decode_one(LinkType::Raw, &udp), Decoded::Ignored));
    let arp = ethernet(&[], 0x0806, &[0; 28]);
    assert!(matches!(
        decode_one(LinkType::Ethernet, &arp),
        Decoded::Ignored
    ));
    assert!(matches!(
        decode_one(LinkType::Other(147), &arp),
        Decoded::Ignored
    ));
}

#[test]
fn malformed_headers_have_names() {
    let mut ip = tcp_ip4(MSG);
    ip[2..4].copy_from_slice(&10u16.to_be_bytes());
    assert!(matches!(
        decode_one(LinkType::Raw, &ip),
        Decoded::Anomaly {
            name: "net.ipv4_bad_total_length"
        }
    ));
    let mut ip = tcp_ip4(MSG);
    ip[20 + 12] = 0x30; // data offset 3
    assert!(matches!(
        decode_one(LinkType::Raw, &ip),
        Decoded::Anomaly {
            name: "net.tcp_bad_data_offset"
        }
    ));
    // Ethernet says IPv4, the packet says 6.
    let frame = ethernet(&[], 0x0800, &tcp_ip6(MSG));
    assert!(matches!(
        decode_one(LinkType::Ethernet, &frame),
        Decoded::Anomaly {
            name: "net.bad_ip_version"
        }
    ));
}

/// The same IPv4 packet as captured on a host that leaves segmentation to its network card:
/// total length 0.
fn zero_total(ip: &[u8]) -> Vec<u8> {
    let mut ip = ip.to_vec();
    ip[2..4].copy_from_slice(&0u16.to_be_bytes());
    ip
}

/// Decodes one frame and returns (payload, missing) of its TCP segment.
fn segment_of(dec: &mut NetDecoder, p: &RawPacket<'_>) -> (Vec<u8>, u32) {
    let s = expect_tcp(dec.decode(p));
    (s.payload.to_vec(), s.missing)
}

#[test]
fn zero_ipv4_total_length_is_decoded_and_noted_once() {
    let frame = ethernet(&[0x8100], 0x0800, &zero_total(&tcp_ip4(MSG)));
    let other = ethernet(&[], 0x0800, &zero_total(&tcp_ip4(b"OUT\r\n")));
    let dec = &mut NetDecoder::new();
    assert_eq!(
        segment_of(dec, &pkt(LinkType::Ethernet, &frame)),
        (MSG.to_vec(), 0)
    );
    assert_eq!(dec.take_anomaly(), Some(anomaly::IPV4_ZERO_TOTAL_LENGTH));
    assert_eq!(dec.take_anomaly(), None);
    for f in [&frame, &other] {
        segment_of(dec, &pkt(LinkType::Ethernet, f));
        assert_eq!(dec.take_anomaly(), None, "reported once per decoder");
    }
    assert_eq!(
        segment_of(dec, &pkt(LinkType::Raw, &zero_total(&tcp_ip4(b"OUT\r\n")))),
        (b"OUT\r\n".to_vec(), 0)
    );
    // Another run (another decoder) reports it again.
    let dec = &mut NetDecoder::new();
    segment_of(dec, &pkt(LinkType::Ethernet, &other));
    assert_eq!(dec.take_anomaly(), Some(anomaly::IPV4_ZERO_TOTAL_LENGTH));
    // An ordinary packet says nothing.
    let dec = &mut NetDecoder::new();
    segment_of(dec, &pkt(LinkType::Raw, &tcp_ip4(MSG)));
    assert_eq!(dec.take_anomaly(), None);
}

#[test]
fn zero_ipv4_total_length_cut_by_snaplen_reports_missing() {
    let frame = ethernet(&[], 0x0800, &zero_total(&tcp_ip4(MSG)));
    let p = RawPacket {
        origlen: frame.len() as u32,
        ..pkt(LinkType::Ethernet, &frame[..frame.len() - 5])
    };
    let dec = &mut NetDecoder::new();
    assert_eq!(segment_of(dec, &p), (MSG[..MSG.len() - 5].to_vec(), 5));
}

#[test]
fn zero_ipv4_total_length_cannot_tell_trailer_bytes() {
    // Without a total length nothing says where the IP packet ends: trailer bytes (which a
    // sending host does not add) would be read as payload. This pins that limit.
    let mut frame = ethernet(&[], 0x0800, &zero_total(&tcp_ip4(b"OUT\r\n")));
    frame.extend_from_slice(b"\0\0");
    let dec = &mut NetDecoder::new();
    assert_eq!(
        segment_of(dec, &pkt(LinkType::Ethernet, &frame)),
        (b"OUT\r\n\0\0".to_vec(), 0)
    );
}

#[test]
fn zero_total_length_elsewhere_is_not_offload() {
    // Not TCP: ignored, and nothing to report about it.
    let mut udp = Vec::new();
    PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(1, 2)
        .write(&mut udp, b"x")
        .unwrap();
    let dec = &mut NetDecoder::new();
    assert!(matches!(
        dec.decode(&pkt(LinkType::Raw, &zero_total(&udp))),
        Decoded::Ignored
    ));
    assert_eq!(dec.take_anomaly(), None);
    // A fragment with total length 0 is malformed, not offloaded.
    let frag = zero_total(&fragments(&tcp_ip4(BIG), 42, 24)[1]);
    assert!(matches!(
        dec.decode(&pkt(LinkType::Raw, &frag)),
        Decoded::Anomaly {
            name: "net.ipv4_bad_total_length"
        }
    ));
    assert_eq!(dec.take_anomaly(), None);
    // IPv6 payload length 0 keeps its old meaning: no TCP segment fits.
    let mut ip6 = tcp_ip6(MSG);
    ip6[4..6].copy_from_slice(&0u16.to_be_bytes());
    assert!(matches!(
        dec.decode(&pkt(LinkType::Raw, &ip6)),
        Decoded::Anomaly {
            name: "net.tcp_bad_length"
        }
    ));
    assert_eq!(dec.take_anomaly(), None);
}

#[test]
fn linux_cooked_loopback_through_decode() {
    // `tcpdump -i any` on a host talking to itself: ARPHRD_LOOPBACK, which etherparse's
    // cooked-header slicer refuses.
    let mut f = vec![0, 0, 0x03, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00];
    f.extend_from_slice(&tcp_ip4(MSG));
    let dec = &mut NetDecoder::new();
    assert_eq!(
        segment_of(dec, &pkt(LinkType::LinuxSll, &f)),
        (MSG.to_vec(), 0)
    );
}

/// Splits a bare IPv4 packet into fragments of `chunk` data bytes (a multiple of 8).
fn fragments(ip: &[u8], id: u16, chunk: usize) -> Vec<Vec<u8>> {
    let data = &ip[20..];
    let mut out = Vec::new();
    for (i, part) in data.chunks(chunk).enumerate() {
        let off = i * chunk;
        let more = off + part.len() < data.len();
        let mut h = ip[..20].to_vec();
        h[2..4].copy_from_slice(&((20 + part.len()) as u16).to_be_bytes());
        h[4..6].copy_from_slice(&id.to_be_bytes());
        let fo = (off / 8) as u16 | if more { 0x2000 } else { 0 };
        h[6..8].copy_from_slice(&fo.to_be_bytes());
        h.extend_from_slice(part);
        out.push(h);
    }
    out
}

fn feed<'a>(dec: &'a mut NetDecoder, index: u64, secs: i64, frame: &'a [u8]) -> Decoded<'a> {
    dec.decode(&RawPacket {
        index,
        ts: Timestamp::new(1_136_000_000 + secs, 0),
        linktype: LinkType::Raw,
        data: frame,
        origlen: frame.len() as u32,
    })
}

const BIG: &[u8] = b"MSG 12 A 60\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhi there";

#[test]
fn fragments_in_order_complete_on_the_last_frame() {
    let frags = fragments(&tcp_ip4(BIG), 42, 24);
    assert!(frags.len() > 2);
    let dec = &mut NetDecoder::new();
    let last = frags.len() - 1;
    for (i, f) in frags[..last].iter().enumerate() {
        assert!(matches!(feed(dec, i as u64 + 1, 0, f), Decoded::Ignored));
    }
    let s = expect_tcp(feed(dec, 99, 0, &frags[last]));
    assert_eq!(s.index, 99);
    assert_eq!(s.payload, BIG);
    assert_eq!((s.seq, s.missing), (1000, 0));
    assert_eq!(s.dst, "10.0.0.2:1863".parse().unwrap());
    assert_eq!(dec.fragments_in_progress(), 0);
}

#[test]
fn fragments_out_of_order_with_duplicates() {
    let frags = fragments(&tcp_ip4(BIG), 42, 24);
    let dec = &mut NetDecoder::new();
    let mut order: Vec<usize> = (0..frags.len()).rev().collect();
    order.insert(1, frags.len() - 1); // a duplicate of the last fragment
    let (head, tail) = order.split_at(order.len() - 1);
    for &i in head {
        assert!(matches!(feed(dec, 1, 0, &frags[i]), Decoded::Ignored));
    }
    let s = expect_tcp(feed(dec, 2, 0, &frags[tail[0]]));
    assert_eq!(s.payload, BIG);
    assert_eq!(dec.take_anomaly(), None);
}

#[test]
fn fragments_overlapping_with_different_bytes() {
    let frags = fragments(&tcp_ip4(BIG), 42, 24);
    let dec = &mut NetDecoder::new();
    assert!(matches!(feed(dec, 1, 0, &frags[1]), Decoded::Ignored));
    let mut evil = frags[1].clone();
    let n = evil.len();
    evil[n - 1] ^= 0xff;
    assert!(matches!(
        feed(dec, 2, 0, &evil),
        Decoded::Anomaly {
            name: "net.fragment_overlap"
        }
    ));
    for f in &frags {
        assert!(matches!(feed(dec, 3, 0, f), Decoded::Ignored));
    }
}

#[test]
fn fragments_never_completed() {
    let frags = fragments(&tcp_ip4(BIG), 42, 24);
    let other = fragments(&tcp_ip4(BIG), 43, 24);
    let dec = &mut NetDecoder::new();
    assert!(matches!(feed(dec, 1, 0, &frags[0]), Decoded::Ignored));
    // 31 s later, a fragment of another datagram reports the timeout.
    assert!(matches!(
        feed(dec, 2, 31, &other[0]),
        Decoded::Anomaly {
            name: "net.fragment_timeout"
        }
    ));
    dec.finish();
    assert_eq!(dec.take_anomaly(), Some("net.fragment_incomplete"));
    assert_eq!(dec.take_anomaly(), None);
}

#[test]
fn fragment_cut_by_snaplen() {
    let frags = fragments(&tcp_ip4(BIG), 42, 24);
    let f = &frags[1];
    assert!(matches!(
        decode_one(LinkType::Raw, &f[..f.len() - 1]),
        Decoded::Anomaly {
            name: "net.fragment_truncated"
        }
    ));
}

#[test]
fn non_tcp_fragments_are_not_held() {
    let mut udp = Vec::new();
    PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .udp(1, 2)
        .write(&mut udp, &[0; 64])
        .unwrap();
    let dec = &mut NetDecoder::new();
    for f in fragments(&udp, 5, 16).iter().take(2) {
        assert!(matches!(feed(dec, 1, 0, f), Decoded::Ignored));
    }
    assert_eq!(dec.fragments_in_progress(), 0);
}

fn all_link_types() -> Vec<LinkType> {
    vec![
        LinkType::Null,
        LinkType::Ethernet,
        LinkType::Raw,
        LinkType::Loop,
        LinkType::LinuxSll,
        LinkType::Ipv4,
        LinkType::Ipv6,
        LinkType::LinuxSll2,
        LinkType::Other(1000),
    ]
}

#[test]
fn every_truncation_of_every_valid_frame_is_handled() {
    let (ip4, ip6) = (tcp_ip4(MSG), tcp_ip6(MSG));
    let mut frames = framings(&ip4, &ip6);
    for f in fragments(&tcp_ip4(BIG), 1, 24) {
        frames.push(("fragment", LinkType::Raw, f));
    }
    for (name, lt, frame) in frames {
        let dec = &mut NetDecoder::new();
        for cut in 0..=frame.len() {
            let p = RawPacket {
                origlen: frame.len() as u32,
                ..pkt(lt, &frame[..cut])
            };
            match dec.decode(&p) {
                Decoded::Tcp(s) => {
                    // Whatever is delivered is the real payload, cut, with the rest missing.
                    if name != "fragment" {
                        assert!(MSG.starts_with(s.payload), "{name} cut {cut}");
                        assert_eq!(s.payload.len() + s.missing as usize, MSG.len());
                    }
                }
                Decoded::Ignored | Decoded::Anomaly { .. } => {}
            }
        }
    }
}

proptest! {
    #[test]
    fn decode_never_panics(data in proptest::collection::vec(any::<u8>(), 0..200)) {
        for lt in all_link_types() {
            let dec = &mut NetDecoder::new();
            let _ = dec.decode(&pkt(lt, &data));
        }
    }

    #[test]
    fn decode_never_panics_on_mutated_frames(
        which in 0usize..22,
        pos in any::<prop::sample::Index>(),
        value in any::<u8>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let (ip4, ip6) = (tcp_ip4(MSG), tcp_ip6(MSG));
        let frames = framings(&ip4, &ip6);
        let (_, lt, frame) = &frames[which % frames.len()];
        let mut frame = frame.clone();
        let i = pos.index(frame.len());
        frame[i] = value;
        let n = cut.index(frame.len() + 1);
        let dec = &mut NetDecoder::new();
        if let Decoded::Tcp(s) = dec.decode(&pkt(*lt, &frame[..n])) {
            prop_assert!(s.payload.len() <= frame.len());
        }
    }

    #[test]
    fn random_fragments_never_panic(
        frags in proptest::collection::vec(
            (0u16..4, 0u16..64, any::<bool>(), proptest::collection::vec(any::<u8>(), 0..40)),
            0..30,
        )
    ) {
        let dec = &mut NetDecoder::new();
        for (i, (id, off, more, data)) in frags.into_iter().enumerate() {
            let mut h = tcp_ip4(b"")[..20].to_vec();
            h[2..4].copy_from_slice(&((20 + data.len()) as u16).to_be_bytes());
            h[4..6].copy_from_slice(&id.to_be_bytes());
            h[6..8].copy_from_slice(&(off | if more { 0x2000 } else { 0 }).to_be_bytes());
            h.extend_from_slice(&data);
            let _ = feed(dec, i as u64, i as i64, &h);
        }
        dec.finish();
        while dec.take_anomaly().is_some() {}
    }
}
