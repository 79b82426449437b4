//! Network layer: IPv4 and IPv6 headers, down to the transport protocol and its bytes.
//!
//! Why it exists: the only trustworthy length of a TCP segment is the one the IP header
//! announces. Frames carry Ethernet trailer padding after the IP packet (bytes that can look
//! like MSNP text), and the snaplen can cut a frame before the IP packet ends.
//!
//! Guarantees: [`IpPacket::data`] is the captured part of the IP payload and never extends
//! past what the header announces; [`IpPacket::declared`] is the announced payload length
//! (so `declared - data.len()` bytes were cut by the snaplen). IPv6 extension headers are
//! skipped with etherparse. Malformed headers give a `net.*` anomaly name; nothing panics.

use super::anomaly;
use etherparse::{IpNumber, Ipv6ExtensionsSlice};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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
    /// Payload length announced by the header.
    pub declared: usize,
    /// Set for an IPv4 fragment (offset non-zero or more-fragments set).
    pub fragment: Option<Fragment>,
    /// Set for an IPv6 packet whose fragment header really fragments it (not reassembled).
    pub ipv6_fragment: bool,
}

pub(crate) const PROTO_TCP: u8 = 6;

/// Parses an IPv4 header.
pub(crate) fn ipv4(data: &[u8]) -> Result<IpPacket<'_>, &'static str> {
    let Some(&first) = data.first() else {
        return Err(anomaly::TRUNCATED_HEADER);
    };
    if first >> 4 != 4 {
        return Err(anomaly::BAD_IP_VERSION);
    }
    let Some(h) = data.get(..20) else {
        return Err(anomaly::TRUNCATED_HEADER);
    };
    let header_len = usize::from(first & 0x0f) * 4;
    if header_len < 20 {
        return Err(anomaly::IPV4_BAD_HEADER_LENGTH);
    }
    if data.len() < header_len {
        return Err(anomaly::TRUNCATED_HEADER);
    }
    let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
    if total < header_len {
        return Err(anomaly::IPV4_BAD_TOTAL_LENGTH);
    }
    let id = u16::from_be_bytes([h[4], h[5]]);
    let flags_offset = u16::from_be_bytes([h[6], h[7]]);
    let more = flags_offset & 0x2000 != 0;
    let offset = usize::from(flags_offset & 0x1fff) * 8;
    let end = total.min(data.len());
    Ok(IpPacket {
        src: IpAddr::V4(Ipv4Addr::new(h[12], h[13], h[14], h[15])),
        dst: IpAddr::V4(Ipv4Addr::new(h[16], h[17], h[18], h[19])),
        proto: h[9],
        data: data.get(header_len..end).unwrap_or_default(),
        declared: total - header_len,
        fragment: (more || offset != 0).then_some(Fragment { id, offset, more }),
        ipv6_fragment: false,
    })
}

/// Parses an IPv6 header and steps over its extension headers.
pub(crate) fn ipv6(data: &[u8]) -> Result<IpPacket<'_>, &'static str> {
    let Some(&first) = data.first() else {
        return Err(anomaly::TRUNCATED_HEADER);
    };
    if first >> 4 != 6 {
        return Err(anomaly::BAD_IP_VERSION);
    }
    let Some((h, after)) = data.split_at_checked(40) else {
        return Err(anomaly::TRUNCATED_HEADER);
    };
    let payload_len = usize::from(u16::from_be_bytes([h[4], h[5]]));
    let next_header = h[6];
    let mut src = [0u8; 16];
    src.copy_from_slice(&h[8..24]);
    let mut dst = [0u8; 16];
    dst.copy_from_slice(&h[24..40]);
    let captured = after.get(..payload_len).unwrap_or(after);
    let (exts, proto, rest) = match Ipv6ExtensionsSlice::from_slice(IpNumber(next_header), captured)
    {
        Ok(parsed) => parsed,
        Err(etherparse::err::ipv6_exts::HeaderSliceError::Len(_))
            if captured.len() < payload_len =>
        {
            return Err(anomaly::TRUNCATED_HEADER);
        }
        Err(_) => return Err(anomaly::IPV6_BAD_EXTENSION),
    };
    let ext_len = captured.len() - rest.len();
    Ok(IpPacket {
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        proto: proto.0,
        data: rest,
        // `rest` lies within `captured`, itself at most `payload_len` long.
        declared: payload_len.saturating_sub(ext_len),
        fragment: None,
        ipv6_fragment: exts.is_fragmenting_payload(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{Ipv4Header, Ipv6Header};

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
        let p = ipv4(&f).unwrap();
        assert_eq!(p.data, &[7u8; 8]);
        assert_eq!(p.declared, 8);
        assert_eq!(p.proto, PROTO_TCP);
        assert_eq!(p.src, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(p.fragment, None);
    }

    #[test]
    fn ipv4_cut_payload_is_short_of_declared() {
        let f = v4(0);
        let p = ipv4(&f[..24]).unwrap();
        assert_eq!(p.data.len(), 4);
        assert_eq!(p.declared, 8);
    }

    #[test]
    fn ipv4_malformed_lengths() {
        let mut f = v4(0);
        f[0] = 0x44;
        assert_eq!(ipv4(&f).unwrap_err(), anomaly::IPV4_BAD_HEADER_LENGTH);
        let mut f = v4(0);
        f[2..4].copy_from_slice(&19u16.to_be_bytes());
        assert_eq!(ipv4(&f).unwrap_err(), anomaly::IPV4_BAD_TOTAL_LENGTH);
        let mut f = v4(0);
        f[0] = 0x46; // 24-byte header, but only 20 + 8 captured... still fits
        assert!(ipv4(&f[..22]).is_err());
        assert_eq!(ipv4(&f[..19]).unwrap_err(), anomaly::TRUNCATED_HEADER);
        assert_eq!(ipv4(&[0x65]).unwrap_err(), anomaly::BAD_IP_VERSION);
    }

    #[test]
    fn ipv4_fragment_fields() {
        let mut f = v4(0);
        f[6..8].copy_from_slice(&(0x2000u16 | 3).to_be_bytes());
        let p = ipv4(&f).unwrap();
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
