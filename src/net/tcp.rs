//! Transport layer: the TCP header, and the payload it bounds.
//!
//! Why it exists: the payload of a segment is what remains of the IP-announced length after
//! the TCP data offset, and nothing else; this is the one place that computes it.
//!
//! Who parses what: etherparse's `TcpHeaderSlice` reads the header (data offset, options
//! length, fields), given only the bytes the IP header announces; the length policy and the
//! anomaly names are ours.
//!
//! Guarantees: `payload` is a sub-slice of the captured bytes handed in, and
//! `payload.len() + missing` is exactly the payload length the headers announce. A header cut
//! by the snaplen gives [`anomaly::TRUNCATED_HEADER`]; an impossible data offset or a segment
//! shorter than a TCP header gives a `net.tcp_*` anomaly. Never panics.

use super::anomaly;
use etherparse::err::tcp::HeaderSliceError;
use etherparse::{TcpHeader, TcpHeaderSlice};

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

/// Parses a TCP segment from its captured bytes `data` and its announced length `declared`
/// (from the IP header; `data` never holds more than that).
pub(crate) fn parse(data: &[u8], declared: usize) -> Result<Tcp<'_>, &'static str> {
    if declared < TcpHeader::MIN_LEN {
        return Err(anomaly::TCP_BAD_LENGTH);
    }
    let segment = data.get(..declared).unwrap_or(data);
    let header = TcpHeaderSlice::from_slice(segment).map_err(|e| match e {
        // A data offset below 5 words.
        HeaderSliceError::Content(_) => anomaly::TCP_BAD_DATA_OFFSET,
        // A header longer than the announced segment is impossible, not cut.
        HeaderSliceError::Len(l) if l.required_len > declared => anomaly::TCP_BAD_DATA_OFFSET,
        HeaderSliceError::Len(_) => anomaly::TRUNCATED_HEADER,
    })?;
    let payload = segment.get(header.slice().len()..).unwrap_or_default();
    let flags = [
        header.fin(),
        header.syn(),
        header.rst(),
        header.psh(),
        header.ack(),
        header.urg(),
        header.ece(),
        header.cwr(),
    ]
    .iter()
    .enumerate()
    .fold(0u8, |acc, (bit, &set)| acc | (u8::from(set) << bit));
    Ok(Tcp {
        src_port: header.source_port(),
        dst_port: header.destination_port(),
        seq: header.sequence_number(),
        ack: header.acknowledgment_number(),
        flags,
        payload,
        // `declared` can exceed 65535 only for a zero IPv4 total length, where it comes from
        // the frame's original length (a u32).
        missing: u32::try_from(declared.saturating_sub(segment.len())).unwrap_or(u32::MAX),
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
    fn every_flag_bit_is_kept() {
        for flags in [0x00u8, 0x01, 0x02, 0x12, 0x18, 0x40, 0x80, 0xff] {
            let mut s = seg(5, b"");
            s[13] = flags;
            assert_eq!(parse(&s, s.len()).unwrap().flags, flags);
        }
    }

    #[test]
    fn offset_past_the_segment_is_bad_even_when_cut() {
        // A 60-byte header in a 40-byte segment: impossible, whether or not the capture has
        // the bytes.
        let s = seg(15, b"");
        assert_eq!(parse(&s[..30], 40), Err(anomaly::TCP_BAD_DATA_OFFSET));
        assert_eq!(parse(&s[..30], 60), Err(anomaly::TRUNCATED_HEADER));
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
