//! Tests of the P2P parsers and the SLP reassembler. Packets are written out byte by byte
//! where the layout is the point, and built with [`V1Header::to_bytes`] elsewhere.

use super::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// A switchboard P2Pv1 body: header, data, big-endian footer.
fn v1_body(h: &V1Header, data: &[u8], app: u32) -> Vec<u8> {
    let mut b = h.to_bytes().to_vec();
    b.extend_from_slice(data);
    b.extend_from_slice(&app.to_be_bytes());
    b
}

fn data_header(session: u32, message: u32, offset: u64, total: u64, len: u32) -> V1Header {
    V1Header {
        session_id: session,
        message_id: message,
        offset,
        total_size: total,
        length: len,
        ack_id: 0x1234_5678,
        ..V1Header::default()
    }
}

/// A P2Pv1 packet with every field distinct, written out byte by byte.
const LITERAL_V1: [u8; 48 + 3 + 4] = [
    0x04, 0x00, 0x00, 0x00, // session id 4
    0x07, 0x00, 0x00, 0x00, // message id 7
    0xB2, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // offset 1202
    0x56, 0x16, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // total size 5718
    0x03, 0x00, 0x00, 0x00, // length 3
    0x20, 0x00, 0x00, 0x01, // flags 0x01000020
    0x11, 0x22, 0x33, 0x44, // ack id 0x44332211
    0x55, 0x66, 0x77, 0x88, // ack unique id 0x88776655
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // ack size 0x0807060504030201
    b'a', b'b', b'c', // data
    0x00, 0x00, 0x00, 0x0C, // footer 12, big-endian
];

#[test]
fn each_v1_header_field_comes_from_its_offset_little_endian() {
    let p = parse_v1(&LITERAL_V1).expect("a whole packet");
    let h = p.header;
    assert_eq!(h.session_id, 4);
    assert_eq!(h.message_id, 7);
    assert_eq!(h.offset, 1202);
    assert_eq!(h.total_size, 5718);
    assert_eq!(h.length, 3);
    assert_eq!(h.flags, Flags(0x0100_0020));
    assert_eq!(h.ack_id, 0x4433_2211);
    assert_eq!(h.ack_unique_id, 0x8877_6655);
    assert_eq!(h.ack_size, 0x0807_0605_0403_0201);
    assert_eq!(p.data, b"abc");
    assert_eq!(p.footer, Some(AppId::DISPLAY_PICTURE));
    assert!(p.trailing.is_empty());
    // And back: the writer puts each field where the reader takes it.
    assert_eq!(h.to_bytes()[..], LITERAL_V1[..48]);
}

#[test]
fn a_high_byte_in_each_field_lands_in_that_field_only() {
    // Field boundaries: a 0xFF in the last byte of each field changes that field alone.
    let ends = [3usize, 7, 15, 23, 27, 31, 35, 39, 47];
    for (i, &end) in ends.iter().enumerate() {
        let mut b = vec![0u8; 48];
        b[end] = 0xFF;
        b.extend_from_slice(&[0, 0, 0, 0]);
        if i == 4 {
            // The length field: 0xFF000000 bytes of data are not there.
            assert_eq!(
                parse_v1(&b),
                Err(P2pError::Short {
                    part: Part::Data,
                    need: 48 + 0xFF00_0000,
                    have: 52
                })
            );
            continue;
        }
        let h = parse_v1(&b).unwrap_or_else(|e| panic!("{e}")).header;
        let values: [u64; 9] = [
            h.session_id.into(),
            h.message_id.into(),
            h.offset,
            h.total_size,
            h.length.into(),
            h.flags.0.into(),
            h.ack_id.into(),
            h.ack_unique_id.into(),
            h.ack_size,
        ];
        for (j, v) in values.iter().enumerate() {
            assert_eq!(*v != 0, i == j, "byte {end} set field {j}: {values:?}");
        }
    }
}

#[test]
fn every_proper_prefix_of_a_v1_packet_is_a_length_error() {
    for n in 0..LITERAL_V1.len() {
        let err = parse_v1(&LITERAL_V1[..n]).expect_err("a prefix is not a packet");
        let expected = match n {
            0..48 => P2pError::Short {
                part: Part::Header,
                need: 48,
                have: n,
            },
            48..51 => P2pError::Short {
                part: Part::Data,
                need: 51,
                have: n,
            },
            _ => P2pError::Short {
                part: Part::Footer,
                need: 55,
                have: n,
            },
        };
        assert_eq!(err, expected, "prefix of {n} bytes");
        assert_eq!(err.anomaly_name(), "p2p.truncated");
    }
}

#[test]
fn a_declared_length_past_the_body_says_how_far_it_reaches() {
    let mut h = data_header(0, 1, 0, 10, u32::MAX);
    let body = v1_body(&h, b"0123456789", 0);
    assert_eq!(
        parse_v1(&body),
        Err(P2pError::Short {
            part: Part::Data,
            need: 48 + u64::from(u32::MAX),
            have: 62
        })
    );
    h.length = 10;
    assert!(parse_v1(&v1_body(&h, b"0123456789", 0)).is_ok());
    assert_eq!(
        P2pError::Short {
            part: Part::Data,
            need: 1250,
            have: 600
        }
        .to_string(),
        "the P2P data ends at byte 1250 of the body, which has 600"
    );
}

#[test]
fn bytes_after_the_footer_are_kept_apart() {
    let mut body = v1_body(&data_header(0, 1, 0, 2, 2), b"hi", 0);
    body.extend_from_slice(b"\r\n");
    let p = parse_v1(&body).expect("packet");
    assert_eq!(p.data, b"hi");
    assert_eq!(p.footer, Some(AppId::SLP));
    assert_eq!(p.trailing, b"\r\n");
}

#[test]
fn a_direct_connection_packet_has_no_footer() {
    let h = data_header(9, 2, 0, 3, 3);
    let mut b = h.to_bytes().to_vec();
    b.extend_from_slice(b"xyz");
    let p = parse_v1_direct(&b).expect("packet");
    assert_eq!(
        (p.data, p.footer, p.trailing),
        (&b"xyz"[..], None, &b""[..])
    );
    // The same bytes in a switchboard body lack their footer.
    assert_eq!(
        parse_v1(&b),
        Err(P2pError::Short {
            part: Part::Footer,
            need: 55,
            have: 51
        })
    );
}

#[test]
fn footer_ids_are_named_as_the_reference_lists_them() {
    let named = [
        (0, Some("SLP")),
        (1, Some("display picture/emoticon")),
        (2, Some("file transfer")),
        (11, Some("custom emoticon")),
        (12, Some("display picture")),
        (3, None),
        (4, None),
        (0xFFFF_FFFF, None),
    ];
    for (id, name) in named {
        let body = v1_body(&data_header(0, 1, 0, 0, 0), b"", id);
        let app = parse_v1(&body).expect("packet").footer.expect("footer");
        assert_eq!(app, AppId(id), "kept as sent");
        assert_eq!(app.name(), name, "{id}");
    }
    assert_eq!(AppId(1).to_string(), "1 (display picture/emoticon)");
    assert_eq!(AppId(4).to_string(), "4");
    // Big-endian: the footer 00 00 00 01 is 1, not 16777216.
    let mut b = v1_body(&data_header(0, 1, 0, 0, 0), b"", 0);
    b[48..].copy_from_slice(&[0, 0, 0, 1]);
    assert_eq!(parse_v1(&b).expect("packet").footer, Some(AppId(1)));
}

#[test]
fn flags_are_named_by_value_and_by_bit() {
    let values = [
        (0x00, "data"),
        (0x01, "nak"),
        (0x02, "ack"),
        (0x04, "waiting for a reply"),
        (0x08, "error"),
        (0x10, "file"),
        (0x20, "msnobject data"),
        (0x40, "close session"),
        (0x80, "transport error"),
        (0x100, "direct-connection handshake"),
        (0x0100_0000, "wlm data"),
        (0x0100_0020, "msnobject data, wlm"),
        (0x0100_0030, "file data, wlm"),
    ];
    for (v, meaning) in values {
        assert_eq!(Flags(v).meaning(), Some(meaning), "{v:#x}");
        assert_eq!(Flags(v).to_string(), meaning);
    }
    assert_eq!(Flags(0).names(), Vec::<String>::new());
    assert_eq!(Flags(0x0100_0030).names(), ["file", "msnobject", "wlm"]);
    assert_eq!(Flags(0x1C0).names(), ["close", "tlp_error", "dc_handshake"]);
    // Unknown bits are kept and shown in hex.
    assert_eq!(Flags(0x410).meaning(), None);
    assert_eq!(Flags(0x410).names(), ["file", "0x400"]);
    assert_eq!(Flags(0x410).to_string(), "flags 0x410: file, 0x400");
    assert_eq!(Flags(0x8000_0000).names(), ["0x80000000"]);
    assert!(Flags(0x0100_0002).contains(Flags::ACK));
    assert!(!Flags(0x01).contains(Flags::ACK));
    // The named bits are distinct single bits, in order.
    for w in FLAG_BITS.windows(2) {
        assert!(w[0].0.is_power_of_two() && w[0].0 < w[1].0, "{w:?}");
    }
}

#[test]
fn summaries_of_data_chunks_give_an_inclusive_zero_based_range() {
    let p = |h: V1Header, data: &[u8]| {
        let body = v1_body(&h, data, 1);
        parse_v1(&body).expect("packet").summary()
    };
    let chunk = vec![0u8; 1202];
    assert_eq!(
        p(data_header(4, 7, 1202, 5718, 1202), &chunk),
        "P2P session 4 message 7: bytes 1202-2403 of 5718"
    );
    assert_eq!(
        p(data_header(4, 7, 0, 5718, 1202), &chunk),
        "P2P session 4 message 7: bytes 0-1201 of 5718"
    );
    assert_eq!(
        p(data_header(4, 7, 5717, 5718, 1), b"x"),
        "P2P session 4 message 7: bytes 5717-5717 of 5718"
    );
    let mut h = data_header(4, 8, 0, 4, 4);
    h.flags = Flags::MSNOBJECT;
    assert_eq!(
        p(h, b"\0\0\0\0"),
        "P2P session 4 message 8: bytes 0-3 of 4 (msnobject data)"
    );
    h.flags = Flags(0x410);
    assert_eq!(
        p(h, b"\0\0\0\0"),
        "P2P session 4 message 8: bytes 0-3 of 4 (flags 0x410: file, 0x400)"
    );
    assert_eq!(
        p(data_header(0, 9, 0, 0, 0), b""),
        "P2P session 0 message 9: no data (total 0)"
    );
    // No overflow at the top of the range.
    assert_eq!(
        p(data_header(1, 1, u64::MAX, u64::MAX, 1), b"x"),
        format!("P2P session 1 message 1: bytes {0}-{0} of {0}", u64::MAX)
    );
}

#[test]
fn summaries_of_acks_naks_and_handshakes() {
    let mut h = V1Header {
        session_id: 0,
        message_id: 100,
        total_size: 5718,
        flags: Flags::ACK,
        ack_id: 7,
        ack_unique_id: 0xABCD,
        ack_size: 5718,
        ..V1Header::default()
    };
    let s = |h: &V1Header| parse_v1(&v1_body(h, b"", 0)).expect("packet").summary();
    assert_eq!(s(&h), "P2P session 0: ack of message 7");
    h.flags = Flags(0x0100_0002);
    assert_eq!(s(&h), "P2P session 0: ack of message 7");
    h.flags = Flags::NAK;
    assert_eq!(s(&h), "P2P session 0: nak of message 7");
    // The nonce GUID in the last 16 bytes: {ack id}-{low, high half of ack uid}-{ack size}.
    let h = V1Header {
        flags: Flags::DC_HANDSHAKE,
        ack_id: 0x0102_0304,
        ack_unique_id: 0x0708_0506,
        ack_size: u64::from_le_bytes([0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10]),
        ..V1Header::default()
    };
    assert_eq!(h.nonce(), "{01020304-0506-0708-090A-0B0C0D0E0F10}");
    let mut b = h.to_bytes().to_vec();
    assert_eq!(
        b[32..48],
        [4, 3, 2, 1, 6, 5, 8, 7, 9, 10, 11, 12, 13, 14, 15, 16]
    );
    b.truncate(48);
    assert_eq!(
        parse_v1_direct(&b).expect("packet").summary(),
        "P2P handshake, nonce {01020304-0506-0708-090A-0B0C0D0E0F10}"
    );
}

/// A P2Pv2 packet written out byte by byte: SYN+RAK, an ack TLV and padding, a first
/// MSNObject data packet with a bytes-remaining TLV.
fn literal_v2() -> Vec<u8> {
    let mut b = vec![
        16,   // header length: 8 + 8 bytes of TLVs
        0x03, // op code SYN+RAK
        0x00, 21, // message length: data header 16 + 5 bytes of payload
        0x00, 0x01, 0x02, 0x03, // base id 0x00010203
        0x02, 0x04, 0x00, 0x00, 0x10, 0x00, // TLV ack 4096
        0x00, 0x00, // padding
        16,   // data header length: 8 + 8
        0x05, // TF: first | msnobject
        0x00, 0x03, // package number 3
        0x00, 0x00, 0x00, 0x04, // session 4
        0x01, 0x06, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, // TLV bytes remaining 4096 (6 bytes)
    ];
    b.extend_from_slice(b"hello");
    b.extend_from_slice(&[0, 0, 0, 1]); // footer 1
    b
}

#[test]
fn each_v2_field_comes_from_its_offset_big_endian() {
    let body = literal_v2();
    let p = parse_v2(&body).expect("a whole packet");
    assert_eq!(p.header.header_length, 16);
    assert_eq!(p.header.op_code, OpCode(3));
    assert_eq!(p.header.op_code.name(), Some("SYN+RAK"));
    assert_eq!(p.header.message_length, 21);
    assert_eq!(p.header.base_id, 0x0001_0203);
    let tlvs: Vec<_> = p.header.tlvs().collect();
    assert_eq!(
        tlvs,
        [Tlv {
            kind: TLV_ACK,
            value: &[0, 0, 0x10, 0]
        }]
    );
    assert_eq!(p.header.ack(), Some(4096));
    assert_eq!(p.header.nak(), None);
    let d = p.data_header.expect("data header");
    assert_eq!(d.header_length, 16);
    assert!(d.tf.is_first());
    assert_eq!(d.tf.payload_kind(), Some("msnobject data"));
    assert_eq!(d.package_number, 3);
    assert_eq!(d.session_id, 4);
    assert_eq!(d.bytes_remaining(), Some(4096));
    assert_eq!(p.data, b"hello");
    assert_eq!(p.footer, Some(AppId(1)));
    assert_eq!(p.session_id(), 4);
    assert_eq!(
        p.summary(),
        "P2Pv2 SYN+RAK seq 66051: ack up to 4096, session 4 package 3, 5 bytes (first, msnobject data), 4096 left"
    );
}

#[test]
fn every_proper_prefix_of_a_v2_packet_is_a_length_error() {
    let body = literal_v2();
    assert_eq!(body.len(), 16 + 21 + 4);
    for n in 0..body.len() {
        let (part, need) = match n {
            0..16 => (Part::Header, if n < 8 { 8 } else { 16 }),
            16..32 => (Part::DataHeader, if n < 24 { 24 } else { 32 }),
            32..37 => (Part::Data, 37),
            _ => (Part::Footer, 41),
        };
        assert_eq!(
            parse_v2(&body[..n]),
            Err(P2pError::Short {
                part,
                need,
                have: n
            }),
            "prefix of {n} bytes"
        );
    }
}

#[test]
fn v2_without_a_message_has_no_data_header() {
    // An ack: header with an ack TLV (8 + 8 bytes), message length 0, footer 0.
    let b = [16, 0, 0, 0, 0, 0, 0, 9, 2, 4, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0];
    let p = parse_v2(&b).expect("packet");
    assert_eq!(p.data_header, None);
    assert!(p.data.is_empty());
    assert_eq!(p.header.ack(), Some(42));
    assert_eq!(p.session_id(), 0);
    assert_eq!(p.summary(), "P2Pv2 seq 9: ack up to 42");
    let bare = [8, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0];
    assert_eq!(
        parse_v2(&bare).expect("packet").summary(),
        "P2Pv2 seq 1: no data"
    );
    assert_eq!(
        parse_v2_direct(&bare[..8]).expect("packet").footer,
        None,
        "no footer on a direct connection"
    );
}

#[test]
fn v2_peer_info_is_read_from_its_twelve_bytes() {
    let mut b = vec![8 + 16, 1, 0, 0, 0, 0, 0, 0];
    b.extend_from_slice(&[
        1, 12, 0x02, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0f,
    ]);
    b.extend_from_slice(&[0, 0]); // padding to 4 bytes
    b.extend_from_slice(&[0, 0, 0, 0]);
    let p = parse_v2(&b).expect("packet");
    assert_eq!(
        p.header.peer_info(),
        Some(PeerInfo {
            protocol_version: 0x0200,
            implementation_id: 0,
            version: 0x0e00,
            reserved: 0,
            capabilities: 0x010f,
        })
    );
    assert_eq!(p.summary(), "P2Pv2 SYN seq 0: no data");
}

#[test]
fn bad_v2_lengths_are_typed() {
    assert_eq!(
        parse_v2(&[7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        Err(P2pError::LengthBelowMinimum {
            part: Part::Header,
            declared: 7,
            minimum: 8
        })
    );
    // A TLV whose value runs past the header, at byte 8.
    assert_eq!(
        parse_v2(&[12, 0, 0, 0, 0, 0, 0, 0, 2, 9, 0, 0, 0, 0, 0, 0]),
        Err(P2pError::TlvPastHeader { at: 8 })
    );
    // A TLV type without its length byte, at byte 11.
    assert_eq!(
        parse_v2(&[12, 0, 0, 0, 0, 0, 0, 0, 2, 1, 5, 3, 0, 0, 0, 0]),
        Err(P2pError::TlvPastHeader { at: 11 })
    );
    // A data header of 4 bytes, and one longer than the message.
    let mut b = vec![8, 0, 0, 10, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    b.extend_from_slice(&[0; 4]);
    assert_eq!(
        parse_v2(&b),
        Err(P2pError::LengthBelowMinimum {
            part: Part::DataHeader,
            declared: 4,
            minimum: 8
        })
    );
    b[8] = 12;
    assert_eq!(
        parse_v2(&b),
        Err(P2pError::DataHeaderPastMessage {
            declared: 12,
            message_length: 10
        })
    );
    // A data TLV running past its data header, at byte 16 of the body.
    let b = [
        8, 0, 0, 12, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0, 0,
    ];
    assert_eq!(parse_v2(&b), Err(P2pError::TlvPastHeader { at: 16 }));
}

#[test]
fn the_endpoint_form_tells_v2_from_v1() {
    assert!(is_v2_endpoint(
        "bob@hotmail.com;{f6ae8a52-1e33-4b52-a4d8-8cf5a9d1d8a4}"
    ));
    assert!(is_v2_endpoint("bob@hotmail.com; {GUID}"));
    assert!(!is_v2_endpoint("bob@hotmail.com"));
    assert!(!is_v2_endpoint("bob@hotmail.com;epid"));
    assert!(!is_v2_endpoint(""));
    let v1 = LITERAL_V1;
    assert!(matches!(parse(&v1, false), Ok(Packet::V1(_))));
    let v2 = literal_v2();
    let p = parse(&v2, true).expect("v2");
    assert!(matches!(p, Packet::V2(_)));
    assert_eq!(
        (p.session_id(), p.data(), p.footer()),
        (4, &b"hello"[..], Some(AppId(1)))
    );
    // The wrong version is an error, not a panic.
    assert!(parse(&v2, false).is_err());
}

// ---------------------------------------------------------------------------------------------
// The reassembler

fn chunk(message_id: u32, offset: u64, total: u64, data: &[u8]) -> Chunk<'_> {
    Chunk {
        message_id,
        offset,
        total,
        data,
    }
}

#[test]
fn a_message_in_one_chunk_is_whole_at_once() {
    let mut r = SlpReassembler::new();
    let got = r.push("a", chunk(1, 0, 3, b"BYE")).expect("taken");
    assert_eq!(got.complete.as_deref(), Some(&b"BYE"[..]));
    assert!(!got.mismatched && got.evicted.is_none());
    assert_eq!(r.in_progress(), 0);
}

#[test]
fn chunks_in_any_order_give_the_message_once_the_last_byte_arrives() {
    let mut r = SlpReassembler::new();
    assert_eq!(
        r.push(0, chunk(5, 6, 9, b"ghi")).expect("taken").complete,
        None
    );
    assert_eq!(r.in_progress(), 1);
    assert_eq!(r.reserved_bytes(), 9);
    assert_eq!(
        r.push(0, chunk(5, 0, 9, b"abc")).expect("taken").complete,
        None
    );
    let last = r.push(0, chunk(5, 3, 9, b"def")).expect("taken");
    assert_eq!(last.complete.as_deref(), Some(&b"abcdefghi"[..]));
    assert_eq!(r.in_progress(), 0);
}

#[test]
fn overlaps_keep_the_first_copy_and_say_when_they_differ() {
    let mut r = SlpReassembler::new();
    assert!(
        !r.push(0, chunk(1, 0, 6, b"abcd"))
            .expect("taken")
            .mismatched
    );
    // A duplicate that agrees is silent.
    assert!(!r.push(0, chunk(1, 1, 6, b"bc")).expect("taken").mismatched);
    // One that disagrees on a held byte is noted; its new byte is still taken.
    let p = r.push(0, chunk(1, 3, 6, b"XY")).expect("taken");
    assert!(p.mismatched);
    assert_eq!(p.complete, None);
    let p = r.push(0, chunk(1, 5, 6, b"f")).expect("taken");
    assert_eq!(p.complete.as_deref(), Some(&b"abcdYf"[..]));
}

#[test]
fn refusals_are_typed_and_change_nothing() {
    let mut r: SlpReassembler<u8> = SlpReassembler::new();
    let cap = MAX_SLP_MESSAGE as u64;
    assert_eq!(
        r.push(0, chunk(1, 0, cap + 1, b"x")).map(|_| ()),
        Err(Refused::TooLarge { total: cap + 1 })
    );
    assert_eq!(
        r.push(0, chunk(1, 0, u64::MAX, b"x")).map(|_| ()),
        Err(Refused::TooLarge { total: u64::MAX })
    );
    assert_eq!(
        r.push(0, chunk(1, 9, 10, b"xy")).map(|_| ()),
        Err(Refused::PastEnd {
            offset: 9,
            length: 2,
            total: 10
        })
    );
    assert_eq!(
        r.push(0, chunk(1, u64::MAX, 10, b"x")).map(|_| ()),
        Err(Refused::PastEnd {
            offset: u64::MAX,
            length: 1,
            total: 10
        })
    );
    assert_eq!(
        r.push(0, chunk(1, 0, 0, b"")).map(|_| ()),
        Err(Refused::NoData)
    );
    assert_eq!(
        r.push(0, chunk(1, 0, 10, b"")).map(|_| ()),
        Err(Refused::NoData)
    );
    assert_eq!(r.in_progress(), 0);
    // A message at the cap is taken.
    let big = vec![b'x'; MAX_SLP_MESSAGE];
    assert!(
        r.push(0, chunk(2, 0, cap, &big))
            .expect("taken")
            .complete
            .is_some()
    );
    // Another total for a message in progress is refused; the first stays.
    r.push(0, chunk(3, 0, 10, b"abc")).expect("taken");
    assert_eq!(
        r.push(0, chunk(3, 3, 11, b"d")).map(|_| ()),
        Err(Refused::TotalChanged { was: 10, now: 11 })
    );
    assert_eq!(r.reserved_bytes(), 10);
    assert_eq!(
        Refused::TooLarge { total: 70000 }.to_string(),
        "an SLP message of 70000 bytes is over the cap of 65536"
    );
}

#[test]
fn push_v1_takes_session_zero_only() {
    let mut r = SlpReassembler::new();
    let body = v1_body(&data_header(4, 7, 0, 3, 3), b"abc", 1);
    let p = parse_v1(&body).expect("packet");
    assert_eq!(
        r.push_v1("bob", &p).map(|_| ()),
        Err(Refused::NotSlp { session_id: 4 })
    );
    let body = v1_body(&data_header(0, 7, 0, 3, 3), b"BYE", 0);
    let p = parse_v1(&body).expect("packet");
    assert_eq!(
        r.push_v1("bob", &p).expect("taken").complete.as_deref(),
        Some(&b"BYE"[..])
    );
    // An ack has no data.
    let ack = V1Header {
        flags: Flags::ACK,
        ack_id: 7,
        total_size: 3,
        ..V1Header::default()
    };
    let body = v1_body(&ack, b"", 0);
    let p = parse_v1(&body).expect("packet");
    assert_eq!(r.push_v1("bob", &p).map(|_| ()), Err(Refused::NoData));
}

#[test]
fn senders_with_the_same_message_id_are_kept_apart() {
    let mut r = SlpReassembler::new();
    r.push("alice", chunk(7, 0, 4, b"ab")).expect("taken");
    r.push("bob", chunk(7, 0, 4, b"AB")).expect("taken");
    let a = r.push("alice", chunk(7, 2, 4, b"cd")).expect("taken");
    assert_eq!(a.complete.as_deref(), Some(&b"abcd"[..]));
    let b = r.push("bob", chunk(7, 2, 4, b"CD")).expect("taken");
    assert_eq!(b.complete.as_deref(), Some(&b"ABCD"[..]));
}

#[test]
fn past_the_cap_the_message_idle_longest_is_dropped() {
    let mut r = SlpReassembler::new();
    for id in 0..MAX_SLP_IN_PROGRESS as u32 {
        let p = r.push(0, chunk(id, 0, 100, b"x")).expect("taken");
        assert_eq!(p.evicted, None);
    }
    // Message 0 gets another chunk: message 1 is now the one idle longest.
    r.push(0, chunk(0, 1, 100, b"y")).expect("taken");
    let p = r.push(0, chunk(99, 0, 100, b"z")).expect("taken");
    assert_eq!(
        p.evicted,
        Some(Incomplete {
            from: 0,
            message_id: 1,
            held: 1,
            total: 100
        })
    );
    assert_eq!(r.in_progress(), MAX_SLP_IN_PROGRESS);
    assert!(r.reserved_bytes() <= MAX_SLP_IN_PROGRESS * MAX_SLP_MESSAGE);
    let left = r.finish();
    assert_eq!(left.len(), MAX_SLP_IN_PROGRESS);
    assert_eq!(left[0].message_id, 2, "oldest first");
    assert_eq!(
        left.iter().find(|i| i.message_id == 0).map(|i| i.held),
        Some(2)
    );
}

#[test]
fn a_flood_of_new_messages_keeps_memory_bounded() {
    let mut r = SlpReassembler::new();
    let evicted = (0..1000u32)
        .filter_map(|id| {
            r.push(0u8, chunk(id, 0, MAX_SLP_MESSAGE as u64, b"x"))
                .expect("taken")
                .evicted
        })
        .count();
    assert_eq!(evicted, 1000 - MAX_SLP_IN_PROGRESS);
    assert_eq!(r.reserved_bytes(), MAX_SLP_IN_PROGRESS * MAX_SLP_MESSAGE);
}

/// The naive model: per message, a map from position to byte and the declared total; the
/// order of last activity in a list.
#[derive(Default)]
struct Model {
    messages: HashMap<(u8, u32), (u64, BTreeMap<u64, u8>)>,
    order: Vec<(u8, u32)>,
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Refused(Refused),
    Taken {
        complete: Option<Vec<u8>>,
        mismatched: bool,
        evicted: Option<(u8, u32, u64, u64)>,
    },
}

impl Model {
    fn push(&mut self, from: u8, id: u32, offset: u64, total: u64, data: &[u8]) -> Outcome {
        if data.is_empty() {
            return Outcome::Refused(Refused::NoData);
        }
        if total > MAX_SLP_MESSAGE as u64 {
            return Outcome::Refused(Refused::TooLarge { total });
        }
        let length = data.len() as u64;
        if offset.checked_add(length).is_none_or(|end| end > total) {
            return Outcome::Refused(Refused::PastEnd {
                offset,
                length,
                total,
            });
        }
        let key = (from, id);
        if let Some((was, _)) = self.messages.get(&key)
            && *was != total
        {
            return Outcome::Refused(Refused::TotalChanged {
                was: *was,
                now: total,
            });
        }
        let (_, bytes) = self.messages.entry(key).or_insert((total, BTreeMap::new()));
        let mut mismatched = false;
        for (i, &b) in data.iter().enumerate() {
            let held = bytes.entry(offset + i as u64).or_insert(b);
            mismatched |= *held != b;
        }
        self.order.retain(|k| *k != key);
        if bytes.len() as u64 == total {
            let whole = bytes.values().copied().collect();
            self.messages.remove(&key);
            return Outcome::Taken {
                complete: Some(whole),
                mismatched,
                evicted: None,
            };
        }
        self.order.push(key);
        let mut evicted = None;
        if self.order.len() > MAX_SLP_IN_PROGRESS {
            let old = self.order.remove(0);
            let (t, b) = self.messages.remove(&old).expect("in the model");
            evicted = Some((old.0, old.1, b.len() as u64, t));
        }
        Outcome::Taken {
            complete: None,
            mismatched,
            evicted,
        }
    }
}

/// A message of `len` bytes whose content depends on its id.
fn message(id: u32, len: usize) -> Vec<u8> {
    (0..len).map(|i| (i as u32 * 7 + id * 13) as u8).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Random chunks of random messages from two senders (mostly consistent, sometimes with
    /// a wrong total, a chunk past the end or bytes that differ): the reassembler and the
    /// model agree on every push.
    #[test]
    fn matches_a_naive_model(
        ops in prop::collection::vec(
            (0u8..2, 0u32..24, 0u64..80, 1usize..40, 0u8..20, any::<u8>()),
            1..300,
        ),
    ) {
        let mut r = SlpReassembler::new();
        let mut m = Model::default();
        for (from, id, offset, len, twist, salt) in ops {
            let total = 64 + u64::from(id % 3) * 8;
            let (total, offset) = match twist {
                0 => (total + 1, offset),           // a total that changed
                1 => (total, total - 1),            // a chunk past the end
                2 => (MAX_SLP_MESSAGE as u64 + 1, offset),
                _ => (total, offset),
            };
            let body = message(id + u32::from(from) * 100, 200);
            let start = offset.min(199) as usize;
            let mut data = body[start..(start + len).min(200)].to_vec();
            if twist == 3 {
                data[0] ^= salt | 1; // differs from any earlier copy
            }
            let want = m.push(from, id, offset, total, &data);
            let got = match r.push(from, chunk(id, offset, total, &data)) {
                Err(e) => Outcome::Refused(e),
                Ok(p) => Outcome::Taken {
                    complete: p.complete,
                    mismatched: p.mismatched,
                    evicted: p.evicted.map(|e| (e.from, e.message_id, e.held, e.total)),
                },
            };
            prop_assert_eq!(got, want);
            prop_assert_eq!(r.in_progress(), m.order.len());
            prop_assert!(r.in_progress() <= MAX_SLP_IN_PROGRESS);
        }
    }

    /// Any split of a message, in any order, with duplicates and overlapping copies, gives
    /// the same text, as soon as the last byte arrives, and nothing before.
    #[test]
    fn any_split_and_order_gives_the_same_text(
        len in 1usize..3000,
        cuts in prop::collection::vec(0usize..3000, 0..20),
        extra in prop::collection::vec((0usize..3000, 1usize..1300), 0..8),
        seed in any::<u64>(),
    ) {
        let text = message(3, len);
        let mut points: Vec<usize> = cuts.iter().map(|c| c % len).chain([0, len]).collect();
        points.sort_unstable();
        points.dedup();
        let mut pieces: Vec<(usize, usize)> = points.windows(2).map(|w| (w[0], w[1])).collect();
        pieces.extend(extra.iter().map(|&(s, l)| (s % len, (s % len + l).min(len))));
        let mut x = seed | 1;
        for i in (1..pieces.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            pieces.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let mut r = SlpReassembler::new();
        let mut covered = vec![false; len];
        let mut done = false;
        for (s, e) in pieces {
            let p = r.push((), chunk(9, s as u64, len as u64, &text[s..e])).expect("taken");
            prop_assert!(!p.mismatched);
            if done {
                // Chunks after completion start the message anew; whatever comes out is
                // the same text.
                if let Some(again) = p.complete {
                    prop_assert_eq!(again, text.clone());
                }
                continue;
            }
            covered[s..e].iter_mut().for_each(|c| *c = true);
            let all = covered.iter().all(|&c| c);
            prop_assert_eq!(p.complete.is_some(), all);
            if let Some(whole) = p.complete {
                prop_assert_eq!(&whole, &text);
                done = true;
            }
        }
        prop_assert!(done);
    }

    /// No input makes a parser panic; whatever parses re-parses the same.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(p) = parse_v1(&bytes) {
            let _ = p.summary();
            prop_assert_eq!(p.data.len(), p.header.length as usize);
        }
        let _ = parse_v1_direct(&bytes).map(|p| p.summary());
        if let Ok(p) = parse_v2(&bytes) {
            let _ = p.summary();
            let _ = (p.header.tlvs().count(), p.header.peer_info());
            if let Some(d) = p.data_header {
                let _ = (d.tlvs().count(), d.bytes_remaining());
            }
        }
        let _ = parse_v2_direct(&bytes).map(|p| p.summary());
        let _ = parse(&bytes, true).map(|p| p.summary());
        let _ = parse(&bytes, false).map(|p| p.summary());
        let mut r = SlpReassembler::new();
        for c in bytes.chunks(7) {
            if let [id, off, total, data @ ..] = c {
                let _ = r.push((), chunk(u32::from(*id % 3), u64::from(*off), u64::from(*total), data));
            }
        }
    }

    /// Header values written by `to_bytes` read back the same, with any data.
    #[test]
    fn v1_round_trips(
        f in (any::<u32>(), any::<u32>(), any::<u64>(), any::<u64>(), any::<u32>(), any::<u32>(), any::<u64>()),
        data in prop::collection::vec(any::<u8>(), 0..64),
        app in any::<u32>(),
    ) {
        let h = V1Header {
            session_id: f.0,
            message_id: f.1,
            offset: f.2,
            total_size: f.3,
            length: data.len() as u32,
            flags: Flags(f.4),
            ack_id: f.5,
            ack_unique_id: f.4 ^ f.5,
            ack_size: f.6,
        };
        let body = v1_body(&h, &data, app);
        let p = parse_v1(&body).expect("packet");
        prop_assert_eq!(p.header, h);
        prop_assert_eq!(p.data, &data[..]);
        prop_assert_eq!(p.footer, Some(AppId(app)));
        for n in 0..body.len() {
            let short = matches!(parse_v1(&body[..n]), Err(P2pError::Short { .. }));
            prop_assert!(short, "prefix {}", n);
        }
    }
}
