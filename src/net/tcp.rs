//! Transport layer: the TCP header, and the payload it bounds.
//!
//! Why it exists: the payload of a segment is what remains of the IP-announced length after
//! the TCP data offset, and nothing else; this is the one place that computes it.
//!
//! Guarantees: `payload` is a sub-slice of the captured bytes handed in, and
//! `payload.len() + missing` is exactly the payload length the headers announce. A header cut
//! by the snaplen gives [`anomaly::TRUNCATED_HEADER`]; an impossible data offset or a segment
//! shorter than a TCP header gives a `net.tcp_*` anomaly. Never panics.

use super::anomaly;

/// The fields of one TCP segment that the rest of the pipeline uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tcp<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub payload: &'a [u8],
    pub missing: u32,
}

const MIN_HEADER: usize = 20;

/// Parses a TCP segment from its captured bytes `data` and its announced length `declared`
/// (from the IP header; `data` never holds more than that).
pub(crate) fn parse(data: &[u8], declared: usize) -> Result<Tcp<'_>, &'static str> {
    if declared < MIN_HEADER {
        return Err(anomaly::TCP_BAD_LENGTH);
    }
    let Some(h) = data.get(..MIN_HEADER) else {
        return Err(anomaly::TRUNCATED_HEADER);
    };
    let header_len = usize::from(h[12] >> 4) * 4;
    if header_len < MIN_HEADER || header_len > declared {
        return Err(anomaly::TCP_BAD_DATA_OFFSET);
    }
    let Some(payload) = data.get(header_len..declared.min(data.len())) else {
        return Err(anomaly::TRUNCATED_HEADER);
    };
    let missing = declared.saturating_sub(data.len().max(header_len));
    Ok(Tcp {
        src_port: u16::from_be_bytes([h[0], h[1]]),
        dst_port: u16::from_be_bytes([h[2], h[3]]),
        seq: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
        ack: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
        flags: h[13],
        payload,
        // At most 65535 - 20: an IPv4 total length or IPv6 payload length is a u16.
        missing: u32::try_from(missing).unwrap_or(u32::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(doff: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![
            0x07,
            0x47,
            0xc3,
            0x50,
            0,
            0,
            0,
            1,
            0,
            0,
            0,
            2,
            doff << 4,
            0x18,
        ];
        s.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
        s.extend(std::iter::repeat_n(
            0x01,
            (usize::from(doff) * 4).saturating_sub(20),
        ));
        s.extend_from_slice(payload);
        s
    }

    #[test]
    fn fields_and_payload() {
        let s = seg(5, b"USR 1\r\n");
        let t = parse(&s, s.len()).unwrap();
        assert_eq!((t.src_port, t.dst_port, t.seq, t.ack), (1863, 50000, 1, 2));
        assert_eq!(t.flags, 0x18);
        assert_eq!(t.payload, b"USR 1\r\n");
        assert_eq!(t.missing, 0);
    }

    #[test]
    fn options_are_skipped() {
        let s = seg(8, b"x");
        assert_eq!(parse(&s, s.len()).unwrap().payload, b"x");
    }

    #[test]
    fn cut_payload_reports_missing() {
        let s = seg(5, b"0123456789");
        let t = parse(&s[..25], s.len()).unwrap();
        assert_eq!((t.payload, t.missing), (&b"01234"[..], 5));
        // Cut exactly at the end of the header.
        let t = parse(&s[..20], s.len()).unwrap();
        assert_eq!((t.payload.len(), t.missing), (0, 10));
    }

    #[test]
    fn cut_header_is_truncated() {
        let s = seg(8, b"x");
        for cut in [0, 10, 19, 20, 31] {
            assert_eq!(
                parse(&s[..cut], s.len()),
                Err(anomaly::TRUNCATED_HEADER),
                "{cut}"
            );
        }
    }

    #[test]
    fn bad_offsets_and_lengths() {
        let s = seg(4, b"");
        assert_eq!(parse(&s, s.len()), Err(anomaly::TCP_BAD_DATA_OFFSET));
        let s = seg(15, b"");
        assert_eq!(parse(&s, 40), Err(anomaly::TCP_BAD_DATA_OFFSET));
        assert_eq!(parse(&s, 19), Err(anomaly::TCP_BAD_LENGTH));
    }
}
