//! From captured frames to TCP segments: link layer, IP (v4 with fragment reassembly, v6 with
//! extension headers skipped) and TCP.
//!
//! Pure and deterministic: no I/O. The payload length always comes from the IP and TCP
//! headers, never from the frame length, because real captures carry Ethernet trailer bytes
//! that look like MSNP text. Bytes that the IP header announces but the snaplen cut off are
//! reported in [`TcpSegment::missing`], never invented. Bad frames give [`Decoded::Anomaly`];
//! nothing here panics on capture bytes. One exception to "lengths from the headers": an IPv4
//! total length of 0, written by captures on a host that leaves segmentation to its network
//! card; as Wireshark does, the packet is then the rest of the frame, and
//! [`anomaly::IPV4_ZERO_TOTAL_LENGTH`] is reported once per decoder (through
//! [`NetDecoder::take_anomaly`], so the segment itself is still decoded).
//!
//! Layout: `link` strips the link header, `ip` parses IPv4/IPv6 (skipping IPv6 extension
//! headers), `ipv4_defrag` reassembles IPv4 fragments (the only state kept here, bounded),
//! and `tcp` bounds the segment's payload. Headers are sliced with etherparse (Ethernet II,
//! VLAN tags, Linux cooked v1, IPv4 and IPv6 with its extension headers, TCP); Linux cooked
//! v2, BSD NULL/LOOP and the raw IP link types have no etherparse type and are read by hand,
//! and so is IPv4 reassembly (etherparse's defragmenter does not bound its memory the way
//! `ipv4_defrag` does). Which `net.*` anomaly a malformed frame gets is decided here, not by
//! etherparse's error types. Anomaly names are listed in [`anomaly`].

pub(crate) mod ip;
pub(crate) mod ipv4_defrag;
mod link;
mod tcp;

use crate::capture::{RawPacket, Timestamp};
use std::net::SocketAddr;

/// Stable names of the anomalies this layer reports (`net.*`). Tests and JSON output depend
/// on them: never rename one.
pub mod anomaly {
    /// A link, IP or TCP header is cut short by the end of the captured frame.
    pub const TRUNCATED_HEADER: &str = "net.truncated_header";
    /// The IP version nibble is neither 4 nor 6 (or not what the link header announced).
    pub const BAD_IP_VERSION: &str = "net.bad_ip_version";
    /// IPv4 header length (IHL) below 5 words.
    pub const IPV4_BAD_HEADER_LENGTH: &str = "net.ipv4_bad_header_length";
    /// IPv4 total length smaller than its own header (but not 0, see
    /// [`IPV4_ZERO_TOTAL_LENGTH`]; on a fragment, 0 is bad too).
    pub const IPV4_BAD_TOTAL_LENGTH: &str = "net.ipv4_bad_total_length";
    /// An IPv4 TCP packet with total length 0, as captured on a host that leaves TCP
    /// segmentation to its network card: decoded with the frame's length instead. Reported
    /// once per run (per [`super::NetDecoder`]), not once per packet.
    pub const IPV4_ZERO_TOTAL_LENGTH: &str = "net.ipv4_zero_total_length";
    /// An IPv6 extension header is malformed or runs past the IPv6 payload length.
    pub const IPV6_BAD_EXTENSION: &str = "net.ipv6_bad_extension";
    /// The IP-announced TCP segment is shorter than a minimal TCP header.
    pub const TCP_BAD_LENGTH: &str = "net.tcp_bad_length";
    /// TCP data offset below 5 words, or past the end of the segment.
    pub const TCP_BAD_DATA_OFFSET: &str = "net.tcp_bad_data_offset";
    /// More stacked VLAN tags than any sane network uses.
    pub const TOO_MANY_VLAN_TAGS: &str = "net.too_many_vlan_tags";
    /// An IPv4 datagram still incomplete 30 s (capture time) after its first fragment.
    pub const FRAGMENT_TIMEOUT: &str = "net.fragment_timeout";
    /// An incomplete IPv4 datagram dropped to make room for a newer one.
    pub const FRAGMENT_EVICTED: &str = "net.fragment_evicted";
    /// Two IPv4 fragments of one datagram overlap with different bytes; the datagram is dropped.
    pub const FRAGMENT_OVERLAP: &str = "net.fragment_overlap";
    /// An IPv4 fragment reaches past offset 65535.
    pub const FRAGMENT_TOO_LARGE: &str = "net.fragment_too_large";
    /// IPv4 fragments disagree on where the datagram ends; the datagram is dropped.
    pub const FRAGMENT_INCONSISTENT: &str = "net.fragment_inconsistent";
    /// An IPv4 fragment cut by the snaplen: it cannot be reassembled.
    pub const FRAGMENT_TRUNCATED: &str = "net.fragment_truncated";
    /// An IPv4 datagram still incomplete at the end of the capture (see [`super::NetDecoder::finish`]).
    pub const FRAGMENT_INCOMPLETE: &str = "net.fragment_incomplete";
}

/// TCP header flags, as the low byte of the flags field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;

    pub fn fin(self) -> bool {
        self.0 & Self::FIN != 0
    }
    pub fn syn(self) -> bool {
        self.0 & Self::SYN != 0
    }
    pub fn rst(self) -> bool {
        self.0 & Self::RST != 0
    }
    pub fn ack(self) -> bool {
        self.0 & Self::ACK != 0
    }
}

/// One TCP segment, borrowed from the frame (or from the decoder's fragment buffer).
#[derive(Clone, Copy, Debug)]
pub struct TcpSegment<'a> {
    /// 1-based frame number of the frame that completed this segment.
    pub index: u64,
    pub ts: Timestamp,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    /// Acknowledgement number; meaningful only when `flags.ack()`.
    pub ack: u32,
    pub flags: TcpFlags,
    /// The TCP payload bytes that were captured.
    pub payload: &'a [u8],
    /// Payload bytes announced by the IP header that follow `payload` but were not captured
    /// (the snaplen cut the frame short). Zero for a whole frame.
    pub missing: u32,
}

/// What one frame turned into.
#[derive(Debug)]
pub enum Decoded<'a> {
    Tcp(TcpSegment<'a>),
    /// Not TCP, not IP, an unsupported link type, or an IPv4 fragment held for reassembly.
    Ignored,
    /// A malformed frame, named by a stable dotted anomaly name (`net.*`).
    Anomaly {
        name: &'static str,
    },
}

/// Decodes frames into TCP segments. Stateful only for IPv4 fragment reassembly, which is
/// bounded, and for remembering that a zero IPv4 total length was already reported.
///
/// Fragment anomalies about *other* datagrams (timeouts, evictions) are found while handling
/// a later fragment. The first one replaces that fragment's `Ignored`; any others wait in a
/// queue that [`NetDecoder::take_anomaly`] drains. The one-time
/// [`anomaly::IPV4_ZERO_TOTAL_LENGTH`] waits there too, so that its frame still gives its
/// segment. Drain the queue after every frame; at the end of the capture, call
/// [`NetDecoder::finish`] and drain it once more.
#[derive(Default)]
pub struct NetDecoder {
    defrag: ipv4_defrag::Defrag,
    /// A zero IPv4 total length was seen, so it is not reported again.
    zero_total_seen: bool,
    /// [`anomaly::IPV4_ZERO_TOTAL_LENGTH`], once, until taken.
    zero_total_note: Option<&'static str>,
}

impl NetDecoder {
    pub fn new() -> NetDecoder {
        NetDecoder::default()
    }

    pub fn decode<'a>(&'a mut self, pkt: &RawPacket<'a>) -> Decoded<'a> {
        match self.decode_frame(pkt) {
            Ok(decoded) => decoded,
            Err(name) => Decoded::Anomaly { name },
        }
    }

    /// Next anomaly not tied to the frame just decoded (a fragmented datagram timed out or
    /// was evicted, or was left incomplete at [`NetDecoder::finish`]), or the one-time note
    /// that a zero IPv4 total length was decoded from the frame's length.
    pub fn take_anomaly(&mut self) -> Option<&'static str> {
        self.zero_total_note
            .take()
            .or_else(|| self.defrag.take_anomaly())
    }

    /// End of capture: drops IPv4 datagrams still waiting for fragments; each is then
    /// reported by [`NetDecoder::take_anomaly`] as `net.fragment_incomplete`.
    pub fn finish(&mut self) {
        self.defrag.finish();
    }

    /// IPv4 datagrams currently waiting for fragments.
    pub fn fragments_in_progress(&self) -> usize {
        self.defrag.in_progress()
    }

    fn decode_frame<'a>(&'a mut self, pkt: &RawPacket<'a>) -> Result<Decoded<'a>, &'static str> {
        let Some((network, bytes)) = link::strip(pkt.linktype, pkt.data)? else {
            return Ok(Decoded::Ignored);
        };
        // Bytes of the frame the snaplen cut off (none if the file's lengths disagree).
        let frame_cut = usize::try_from(pkt.origlen)
            .unwrap_or(usize::MAX)
            .saturating_sub(pkt.data.len());
        let packet = match network {
            link::Network::Ipv4 => ip::ipv4(bytes, frame_cut)?,
            link::Network::Ipv6 => ip::ipv6(bytes)?,
        };
        // IPv6 fragments are not reassembled: MSNP over fragmented IPv6 is not seen in practice.
        if packet.proto != ip::PROTO_TCP || packet.ipv6_fragment {
            return Ok(Decoded::Ignored);
        }
        if packet.zero_total_length && !self.zero_total_seen {
            self.zero_total_seen = true;
            self.zero_total_note = Some(anomaly::IPV4_ZERO_TOTAL_LENGTH);
        }
        let (data, declared) = match packet.fragment {
            None => (packet.data, packet.declared),
            Some(frag) => {
                if packet.data.len() < packet.declared {
                    return Err(anomaly::FRAGMENT_TRUNCATED);
                }
                let key = ipv4_defrag::Key {
                    src: packet.src,
                    dst: packet.dst,
                    proto: packet.proto,
                    id: frag.id,
                };
                match self.defrag.add(key, pkt.ts, frag, packet.data) {
                    ipv4_defrag::Outcome::Held => {
                        return Ok(match self.defrag.take_anomaly() {
                            Some(name) => Decoded::Anomaly { name },
                            None => Decoded::Ignored,
                        });
                    }
                    ipv4_defrag::Outcome::Dropped(name) => return Err(name),
                    ipv4_defrag::Outcome::Complete => {
                        (self.defrag.done.as_slice(), self.defrag.done.len())
                    }
                }
            }
        };
        let t = tcp::parse(data, declared)?;
        Ok(Decoded::Tcp(TcpSegment {
            index: pkt.index,
            ts: pkt.ts,
            src: SocketAddr::new(packet.src, t.src_port),
            dst: SocketAddr::new(packet.dst, t.dst_port),
            seq: t.seq,
            ack: t.ack,
            flags: TcpFlags(t.flags),
            payload: t.payload,
            missing: t.missing,
        }))
    }
}

#[cfg(test)]
mod tests;
