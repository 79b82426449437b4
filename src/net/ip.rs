//! Network layer: IPv4 and IPv6 headers, down to the transport protocol and its bytes.
//!
//! Why it exists: the only trustworthy length of a TCP segment is the one the IP header
//! announces. Frames carry Ethernet trailer padding after the IP packet (bytes that can look
//! like MSNP text), and the snaplen can cut a frame before the IP packet ends.
//!
//! Who parses what: etherparse's lax slicers (`LaxIpv4Slice`, `LaxIpv6Slice`) read the headers,
//! bound the payload by the announced length and say when the capture cut it short
//! (`incomplete`); IPv6 extension headers are stepped over by them too. What stays ours is
//! the policy on top: which malformed packet gets which `net.*` anomaly, the version check
//! before the length check (a wrong version is named even in a one-byte frame), and the two
//! places where etherparse's lax reading would take the frame's length instead of the
//! header's:
//! - an IPv4 total length below the header length: only the value 0 (segmentation offload on
//!   the capturing host) is accepted and flagged in [`IpPacket::zero_total_length`]; any other
//!   value stays [`anomaly::IPV4_BAD_TOTAL_LENGTH`];
//! - an IPv6 payload length of 0 (jumbogram or offload): the payload stays empty, as before,
//!   so trailer bytes cannot become a TCP segment.
//!
//! IPv4 authentication headers (AH) are not stepped over: the protocol is the one in the IPv4
//! header, so such packets are not TCP here (a fragment's offsets count the AH bytes, which
//! etherparse's per-packet view would hide).
//!
//! Guarantees: [`IpPacket::data`] is the captured part of the IP payload and never extends
//! past what the header announces; [`IpPacket::declared`] is the announced payload length
//! (so `declared - data.len()` bytes were cut by the snaplen). The one exception is an IPv4
//! total length of 0, where the frame is all there is to go by (see [`ipv4()`]). Malformed
//! headers give a `net.*` anomaly name; nothing panics.

use super::anomaly;
use etherparse::err::{ipv4, ipv6, ipv6_exts};
use etherparse::{Ipv6Header, Ipv6HeaderSlice, LaxIpv4Slice, LaxIpv6Slice};
use std::net::IpAddr;

/// Where an IPv4 fragment sits in its datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fragment {
    pub id: u16,
    /// Offset of this fragment's data in the datagram's payload, in bytes.
    pub offset: usize,
    /// The "more fragments" flag.
    pub more: bool,
}

/// One IP packet with its header parsed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IpPacket<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Transport protocol number (after IPv6 extension headers).
    pub proto: u8,
    /// Captured payload bytes, at most `declared` of them.
    pub data: &'a [u8],
    /// Payload length announced by the header (for a zero IPv4 total length: by the frame).
    pub declared: usize,
    /// Set for an IPv4 fragment (offset non-zero or more-fragments set).
    pub fragment: Option<Fragment>,
    /// Set for an IPv6 packet whose fragment header really fragments it (not reassembled).
    pub ipv6_fragment: bool,
    /// An IPv4 header with total length 0, whose length was taken from the frame instead.
    pub zero_total_length: bool,
}

pub(crate) const PROTO_TCP: u8 = 6;

/// Checks the version nibble before etherparse does: etherparse checks the length first, and
/// a frame too short for any header but announcing the wrong version has always been
/// [`anomaly::BAD_IP_VERSION`] here.
fn check_version(data: &[u8], version: u8) -> Result<(), &'static str> {
    match data.first() {
        None => Err(anomaly::TRUNCATED_HEADER),
        Some(b) if b >> 4 != version => Err(anomaly::BAD_IP_VERSION),
        Some(_) => Ok(()),
    }
}

/// Parses an IPv4 header.
///
/// `frame_cut` is how many bytes of the frame the snaplen cut off (original length minus
/// captured length). It matters only for a total length of 0, which a capture taken on the
/// sending host shows for segments the network card will split (TCP segmentation offload).
/// As Wireshark does, the IP packet is then the rest of the frame: its captured bytes, plus
/// `frame_cut` bytes reported as missing. Whether the frame also carries Ethernet trailer
/// bytes cannot be known without a total length; a sending host hands its frames to the
/// card before any padding is added, so in practice there are none.
pub(crate) fn ipv4(data: &[u8], frame_cut: usize) -> Result<IpPacket<'_>, &'static str> {
    check_version(data, 4)?;
    // The second value is etherparse's error reading an IPsec AH header; AH is not stepped
    // over here (see the module docs), so it does not matter.
    let (slice, _) = LaxIpv4Slice::from_slice(data).map_err(|e| match e {
        ipv4::HeaderSliceError::Len(_) => anomaly::TRUNCATED_HEADER,
        ipv4::HeaderSliceError::Content(ipv4::HeaderError::HeaderLengthSmallerThanHeader {
            ..
        }) => anomaly::IPV4_BAD_HEADER_LENGTH,
        ipv4::HeaderSliceError::Content(ipv4::HeaderError::UnexpectedVersion { .. }) => {
            anomaly::BAD_IP_VERSION
        }
    })?;
    let header = slice.header();
    let header_len = header.slice().len();
    // The whole IP payload: etherparse's payload starts after an AH header it stepped over.
    let ah_len = slice.extensions().auth.map_or(0, |ah| ah.slice().len());
    let payload_len = ah_len + slice.payload().payload.len();
    let payload = data
        .get(header_len..header_len + payload_len)
        .unwrap_or_default();
    let total = usize::from(header.total_len());
    let fragment = header.is_fragmenting_payload().then(|| Fragment {
        id: header.identification(),
        offset: usize::from(header.fragments_offset().byte_offset()),
        more: header.more_fragments(),
    });
    // etherparse takes the captured length whenever the total length is below the header
    // length; only 0 on a whole datagram (never a fragment) is offload, the rest is garbage.
    let zero_total_length = total == 0 && fragment.is_none();
    let declared = if zero_total_length {
        payload.len().saturating_add(frame_cut)
    } else if total < header_len {
        return Err(anomaly::IPV4_BAD_TOTAL_LENGTH);
    } else {
        // `payload` is bounded by the total length (trailer left out) or, when etherparse
        // says `incomplete`, cut short by the snaplen.
        total - header_len
    };
    Ok(IpPacket {
        src: IpAddr::V4(header.source_addr()),
        dst: IpAddr::V4(header.destination_addr()),
        proto: header.protocol().0,
        data: payload,
        declared,
        fragment,
        ipv6_fragment: false,
        zero_total_length,
    })
}

/// Parses an IPv6 header and steps over its extension headers.
pub(crate) fn ipv6(data: &[u8]) -> Result<IpPacket<'_>, &'static str> {
    check_version(data, 6)?;
    let header = Ipv6HeaderSlice::from_slice(data).map_err(|e| match e {
        ipv6::HeaderSliceError::Len(_) => anomaly::TRUNCATED_HEADER,
        ipv6::HeaderSliceError::Content(_) => anomaly::BAD_IP_VERSION,
    })?;
    let payload_len = usize::from(header.payload_length());
    // Only the bytes the header announces: etherparse would read a payload length of 0 as
    // "the rest of the frame", trailer included.
    let end = (Ipv6Header::LEN + payload_len).min(data.len());
    let (slice, stop) =
        LaxIpv6Slice::from_slice(data.get(..end).unwrap_or(data)).map_err(|e| match e {
            ipv6::HeaderSliceError::Len(_) => anomaly::TRUNCATED_HEADER,
            ipv6::HeaderSliceError::Content(_) => anomaly::BAD_IP_VERSION,
        })?;
    let payload = slice.payload();
    if let Some((err, _layer)) = stop {
        return Err(match err {
            // The extension headers run into bytes the snaplen cut off.
            ipv6_exts::HeaderSliceError::Len(_) if payload.incomplete => anomaly::TRUNCATED_HEADER,
            // They run past the payload length, or are out of order.
            _ => anomaly::IPV6_BAD_EXTENSION,
        });
    }
    let ext_len = slice.extensions().slice().len();
    Ok(IpPacket {
        src: IpAddr::V6(header.source_addr()),
        dst: IpAddr::V6(header.destination_addr()),
        proto: payload.ip_number.0,
        data: payload.payload,
        // The extension headers lie within the payload length (or `stop` was set).
        declared: payload_len.saturating_sub(ext_len),
        fragment: None,
        ipv6_fragment: payload.fragmented,
        zero_total_length: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{IpNumber, Ipv4Header, Ipv6Header};

    fn v4(total_extra: usize) -> Vec<u8> {
        let mut h = Ipv4Header::new(8, 64, IpNumber::TCP, [10, 0, 0, 1], [10, 0, 0, 2]).unwrap();
        h.total_len = 28;
        h.identification = 8;
        let mut out = h.to_bytes().to_vec();
        out.extend_from_slice(&[7u8; 8]);
        out.extend(std::iter::repeat_n(b'M', total_extra));
        out
    }

    #[test]
    fn ipv4_payload_stops_at_total_length() {
        let f = v4(6); // 6 trailer bytes
        let p = ipv4(&f, 0).unwrap();
        assert_eq!(p.data, &[7u8; 8]);
        assert_eq!(p.declared, 8);
        assert_eq!(p.proto, PROTO_TCP);
        assert_eq!(p.src, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(p.fragment, None);
    }

    #[test]
    fn ipv4_cut_payload_is_short_of_declared() {
        let f = v4(0);
        let p = ipv4(&f[..24], 0).unwrap();
        assert_eq!(p.data.len(), 4);
        assert_eq!(p.declared, 8);
    }

    #[test]
    fn ipv4_malformed_lengths() {
        let mut f = v4(0);
        f[0] = 0x44;
        assert_eq!(ipv4(&f, 0).unwrap_err(), anomaly::IPV4_BAD_HEADER_LENGTH);
        let mut f = v4(0);
        f[2..4].copy_from_slice(&19u16.to_be_bytes());
        assert_eq!(ipv4(&f, 0).unwrap_err(), anomaly::IPV4_BAD_TOTAL_LENGTH);
        let mut f = v4(0);
        f[0] = 0x46; // 24-byte header, but only 20 + 8 captured... still fits
        assert!(ipv4(&f[..22], 0).is_err());
        assert_eq!(ipv4(&f[..19], 0).unwrap_err(), anomaly::TRUNCATED_HEADER);
        assert_eq!(ipv4(&[0x65], 0).unwrap_err(), anomaly::BAD_IP_VERSION);
    }

    #[test]
    fn ipv4_zero_total_length_takes_the_frame() {
        let mut f = v4(3); // 3 more bytes that the header cannot tell from trailer
        f[2..4].copy_from_slice(&0u16.to_be_bytes());
        let p = ipv4(&f, 0).unwrap();
        assert!(p.zero_total_length);
        assert_eq!(p.data, &[7, 7, 7, 7, 7, 7, 7, 7, b'M', b'M', b'M']);
        assert_eq!(p.declared, 11);
        // Cut by the snaplen: the cut bytes are announced by the frame's original length.
        let p = ipv4(&f[..24], 7).unwrap();
        assert_eq!((p.data.len(), p.declared), (4, 11));
        // A non-zero total length below the header is still garbage, as is 0 on a fragment.
        for total in [1u16, 19] {
            let mut g = f.clone();
            g[2..4].copy_from_slice(&total.to_be_bytes());
            assert_eq!(ipv4(&g, 0).unwrap_err(), anomaly::IPV4_BAD_TOTAL_LENGTH);
        }
        for flags_offset in [0x2000u16, 0x0001] {
            let mut g = f.clone();
            g[6..8].copy_from_slice(&flags_offset.to_be_bytes());
            assert_eq!(ipv4(&g, 0).unwrap_err(), anomaly::IPV4_BAD_TOTAL_LENGTH);
        }
        // An ordinary packet is not flagged, and the frame's cut does not change its length.
        let whole = v4(0);
        let p = ipv4(&whole[..24], 9).unwrap();
        assert!(!p.zero_total_length);
        assert_eq!(p.declared, 8);
    }

    #[test]
    fn ipv4_authentication_header_is_not_stepped_over() {
        // AH (protocol 51, 12 bytes) before a TCP header: etherparse would hand out the TCP
        // bytes; here the packet stays protocol 51, so it is not mistaken for TCP data.
        let mut h = Ipv4Header::new(
            12 + 4,
            64,
            IpNumber::AUTHENTICATION_HEADER,
            [10, 0, 0, 1],
            [10, 0, 0, 2],
        )
        .unwrap();
        h.total_len = 20 + 12 + 4;
        let mut f = h.to_bytes().to_vec();
        f.extend_from_slice(&[6, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
        f.extend_from_slice(b"tcp!");
        let p = ipv4(&f, 0).unwrap();
        assert_eq!(p.proto, 51);
        assert_eq!(p.data.len(), 16);
        assert_eq!(p.declared, 16);
    }

    #[test]
    fn ipv4_fragment_fields() {
        let mut f = v4(0);
        f[6..8].copy_from_slice(&(0x2000u16 | 3).to_be_bytes());
        let p = ipv4(&f, 0).unwrap();
        assert_eq!(
            p.fragment,
            Some(Fragment {
                id: 8,
                offset: 24,
                more: true
            })
        );
    }

    fn v6(next: u8, exts: &[u8], payload: &[u8]) -> Vec<u8> {
        let h = Ipv6Header {
            traffic_class: 0,
            flow_label: Default::default(),
            payload_length: (exts.len() + payload.len()) as u16,
            next_header: IpNumber(next),
            hop_limit: 64,
            source: [1; 16],
            destination: [2; 16],
        };
        let mut out = h.to_bytes().to_vec();
        out.extend_from_slice(exts);
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn ipv6_extension_headers_are_skipped() {
        // hop-by-hop (8 bytes) -> destination options (16 bytes) -> TCP.
        let mut exts = vec![60, 0, 1, 4, 0, 0, 0, 0];
        exts.extend_from_slice(&[6, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let f = v6(0, &exts, b"tcp bytes");
        let p = ipv6(&f).unwrap();
        assert_eq!(p.proto, PROTO_TCP);
        assert_eq!(p.data, b"tcp bytes");
        assert_eq!(p.declared, 9);
        assert!(!p.ipv6_fragment);
    }

    #[test]
    fn ipv6_trailer_and_cut() {
        let mut f = v6(6, &[], b"0123456789");
        f.extend_from_slice(b"TRAILER");
        let p = ipv6(&f).unwrap();
        assert_eq!(p.data, b"0123456789");
        let p = ipv6(&f[..45]).unwrap();
        assert_eq!((p.data.len(), p.declared), (5, 10));
    }

    #[test]
    fn ipv6_zero_payload_length_stays_empty() {
        // etherparse reads payload length 0 as "the rest of the slice" (jumbograms); here the
        // bytes after the header are not payload, as before.
        let mut f = v6(6, &[], b"0123456789");
        f[4..6].copy_from_slice(&0u16.to_be_bytes());
        let p = ipv6(&f).unwrap();
        assert_eq!((p.data, p.declared), (&b""[..], 0));
        // With a hop-by-hop header announced but no room for it: malformed, as before.
        f[6] = 0;
        assert_eq!(ipv6(&f).unwrap_err(), anomaly::IPV6_BAD_EXTENSION);
    }

    #[test]
    fn ipv6_cut_extension_header_is_truncated() {
        let exts = [6, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let f = v6(60, &exts, b"x");
        assert_eq!(ipv6(&f[..50]).unwrap_err(), anomaly::TRUNCATED_HEADER);
        // An extension header longer than the payload length says: malformed.
        let mut f = v6(60, &exts, b"");
        f[4..6].copy_from_slice(&8u16.to_be_bytes());
        assert_eq!(ipv6(&f).unwrap_err(), anomaly::IPV6_BAD_EXTENSION);
    }

    #[test]
    fn ipv6_fragment_is_flagged() {
        // Fragment header: next TCP, offset 0, more fragments set.
        let f = v6(44, &[6, 0, 0, 1, 0, 0, 0, 9], b"abc");
        assert!(ipv6(&f).unwrap().ipv6_fragment);
    }
}
