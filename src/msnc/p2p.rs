//! The P2P transport of MSNC1 and later (reference §6.1, §6.2, §6.5, §6.6): the binary packet
//! in the body of an `application/x-msnmsgrp2p` message, and the reassembly of the SLP text
//! messages that travel in it, split over several packets.
//!
//! Why it exists: display pictures, custom emoticons, file transfers and webcam sessions of
//! MSN Messenger 6 and later are negotiated and carried in these packets. The switchboard
//! passes them on unread, so what a peer asked for, and which bytes went where, is only
//! visible here. The parsers are pure functions of the body's bytes, so the session layer
//! can call them wherever a P2P body turns up, and tests can build bodies byte by byte.
//!
//! What the body holds:
//!
//! * **P2Pv1** ([`parse_v1`]): a 48-byte little-endian header ([`V1Header`]), `length` bytes
//!   of data, then in a switchboard message a 4-byte **big-endian** footer, the application
//!   id ([`AppId`]). On a direct connection ([`parse_v1_direct`]) there is no footer.
//! * **P2Pv2** ([`parse_v2`], MSNP16 and later when both clients support it): a big-endian
//!   header of variable length with TLVs ([`V2Header`]), and when the message length is not
//!   zero a data header ([`V2DataHeader`], with its own TLVs) and the payload, then the same
//!   footer. The two cannot be told apart reliably from the bytes alone: the caller asks
//!   [`is_v2_endpoint`] about the MSG's `P2P-Src` (or `P2P-Dest`) header, whose
//!   `handle;{guid}` form only v2 peers send, and calls [`parse`].
//!
//! [`SlpReassembler`] puts the SLP messages of session 0 back together from their chunks.
//!
//! Guarantees: every parser is total: on any bytes it returns a packet or a [`P2pError`] that
//! says which part did not fit, and never panics (a property test feeds arbitrary bytes to
//! each). Every length from the wire is checked against the bytes present before it is used.
//! Numbers the reference does not name (flag bits, application ids, op codes, TLV types) are
//! kept as they are. The parsers borrow the body and allocate nothing; the reassembler holds
//! at most [`MAX_SLP_IN_PROGRESS`] messages of at most [`MAX_SLP_MESSAGE`] bytes each.

use crate::bounded::FifoMap;
use std::fmt;
use std::hash::Hash;

/// Bytes in a P2Pv1 header.
pub const V1_HEADER_LEN: usize = 48;

/// Bytes in the application-id footer after a packet carried in a switchboard MSG.
pub const FOOTER_LEN: usize = 4;

/// Bytes in the fixed part of a P2Pv2 header (before its TLVs), and the least value of its
/// header-length byte.
pub const V2_HEADER_MIN: usize = 8;

/// Bytes in the fixed part of a P2Pv2 data header (before its TLVs).
pub const V2_DATA_HEADER_MIN: usize = 8;

// ---------------------------------------------------------------------------------------------
// Reading numbers

/// Splits `N` bytes off the front of `bytes`, if there are that many.
fn take<const N: usize>(bytes: &[u8]) -> Option<([u8; N], &[u8])> {
    let (head, rest) = bytes.split_first_chunk::<N>()?;
    Some((*head, rest))
}

// ---------------------------------------------------------------------------------------------
// Flags, application ids

/// The flags word of a P2Pv1 header. Values are kept as sent; the reference's table names
/// whole values ([`Flags::meaning`]) and they are also read as bits ([`Flags::names`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(pub u32);

/// The bits of [`Flags`] the reference names, with their stable names.
const FLAG_BITS: [(u32, &str); 10] = [
    (0x01, "nak"),
    (0x02, "ack"),
    (0x04, "waiting"),
    (0x08, "error"),
    (0x10, "file"),
    (0x20, "msnobject"),
    (0x40, "close"),
    (0x80, "tlp_error"),
    (0x100, "dc_handshake"),
    (0x0100_0000, "wlm"),
];

impl Flags {
    /// Plain data or an SLP message.
    pub const DATA: Flags = Flags(0);
    /// Out of order, or a negative acknowledgement.
    pub const NAK: Flags = Flags(0x01);
    /// An acknowledgement: the ack fields name the message acknowledged.
    pub const ACK: Flags = Flags(0x02);
    /// An invitation waiting for its reply.
    pub const WAITING: Flags = Flags(0x04);
    /// An error at the binary level.
    pub const ERROR: Flags = Flags(0x08);
    /// File data.
    pub const FILE: Flags = Flags(0x10);
    /// MSNObject data (display picture, emoticon).
    pub const MSNOBJECT: Flags = Flags(0x20);
    /// The acknowledgement of a session's BYE.
    pub const CLOSE: Flags = Flags(0x40);
    /// An error of the transport layer.
    pub const TLP_ERROR: Flags = Flags(0x80);
    /// The nonce packet that opens a direct connection.
    pub const DC_HANDSHAKE: Flags = Flags(0x100);
    /// Set on SLP messages by WLM 2009 and later, for compatibility.
    pub const WLM: Flags = Flags(0x0100_0000);

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// What the whole value means, for the values the reference lists (`0x20` → MSNObject
    /// data, `0x1000030` → file data in the WLM form). `None` for any other combination.
    pub fn meaning(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "data",
            0x01 => "nak",
            0x02 => "ack",
            0x04 => "waiting for a reply",
            0x08 => "error",
            0x10 => "file",
            0x20 => "msnobject data",
            0x40 => "close session",
            0x80 => "transport error",
            0x100 => "direct-connection handshake",
            0x0100_0000 => "wlm data",
            0x0100_0020 => "msnobject data, wlm",
            0x0100_0030 => "file data, wlm",
            _ => return None,
        })
    }

    /// The names of the set bits, lowest first; a bit the reference does not name comes out
    /// as hex (`0x400`). Empty for plain data.
    pub fn names(self) -> Vec<String> {
        (0..32)
            .map(|bit| 1u32 << bit)
            .filter(|mask| self.0 & mask != 0)
            .map(|mask| match FLAG_BITS.iter().find(|(m, _)| *m == mask) {
                Some((_, name)) => (*name).to_owned(),
                None => format!("{mask:#x}"),
            })
            .collect()
    }
}

impl fmt::Display for Flags {
    /// The meaning of a listed value (`msnobject data`), else the hex value and the bit
    /// names (`flags 0x410: file, 0x400`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.meaning() {
            Some(m) => f.write_str(m),
            None => write!(f, "flags {:#x}: {}", self.0, self.names().join(", ")),
        }
    }
}

/// The application id in the footer (and in an SLP INVITE's `AppID`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AppId(pub u32);

impl AppId {
    /// SLP and control traffic.
    pub const SLP: AppId = AppId(0);
    /// MSNObject transfer (display picture, custom emoticon) before WLM.
    pub const MSNOBJECT: AppId = AppId(1);
    /// File transfer.
    pub const FILE: AppId = AppId(2);
    /// Custom emoticon, WLM.
    pub const CUSTOM_EMOTICON: AppId = AppId(11);
    /// Display picture, WLM.
    pub const DISPLAY_PICTURE: AppId = AppId(12);

    /// What the reference says the id means. `None` for the others (webcam and activities
    /// use ids the reference does not list).
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "SLP",
            1 => "display picture/emoticon",
            2 => "file transfer",
            11 => "custom emoticon",
            12 => "display picture",
            _ => return None,
        })
    }
}

impl fmt::Display for AppId {
    /// `1 (display picture/emoticon)`, or the number alone.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} ({name})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// The part of a packet an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The P2Pv1 header, or the P2Pv2 header with its TLVs.
    Header,
    /// The P2Pv2 data header with its TLVs.
    DataHeader,
    /// The data (payload) the header declares.
    Data,
    /// The 4-byte application-id footer.
    Footer,
}

impl Part {
    fn as_str(self) -> &'static str {
        match self {
            Part::Header => "header",
            Part::DataHeader => "data header",
            Part::Data => "data",
            Part::Footer => "footer",
        }
    }
}

/// Why a body is not a whole P2P packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum P2pError {
    /// The body ends before `part` does: the part ends `need` bytes from the start of the
    /// body (as the header's length fields declare), and the body has `have`.
    Short { part: Part, need: u64, have: usize },
    /// A P2Pv2 length byte smaller than the fixed part it counts.
    LengthBelowMinimum {
        part: Part,
        declared: u8,
        minimum: u8,
    },
    /// A P2Pv2 data header longer than the message length that must hold it.
    DataHeaderPastMessage { declared: u8, message_length: u16 },
    /// A P2Pv2 TLV (at this offset from the start of the body) whose value runs past the end
    /// of its header.
    TlvPastHeader { at: usize },
}

impl P2pError {
    /// A stable dotted name, for anomaly events.
    pub fn anomaly_name(&self) -> &'static str {
        match self {
            P2pError::Short { .. } => "p2p.truncated",
            P2pError::LengthBelowMinimum { .. } => "p2p.bad_header_length",
            P2pError::DataHeaderPastMessage { .. } => "p2p.bad_header_length",
            P2pError::TlvPastHeader { .. } => "p2p.bad_tlv",
        }
    }
}

impl fmt::Display for P2pError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            P2pError::Short { part, need, have } => write!(
                f,
                "the P2P {} ends at byte {need} of the body, which has {have}",
                part.as_str()
            ),
            P2pError::LengthBelowMinimum {
                part,
                declared,
                minimum,
            } => write!(
                f,
                "the P2Pv2 {} length is {declared}, below its fixed {minimum} bytes",
                part.as_str()
            ),
            P2pError::DataHeaderPastMessage {
                declared,
                message_length,
            } => write!(
                f,
                "the P2Pv2 data header ({declared} bytes) is longer than the message ({message_length})"
            ),
            P2pError::TlvPastHeader { at } => {
                write!(f, "the P2Pv2 TLV at byte {at} runs past its header")
            }
        }
    }
}

impl std::error::Error for P2pError {}

// ---------------------------------------------------------------------------------------------
// P2Pv1

/// The 48-byte header of a P2Pv1 packet (all fields little-endian on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct V1Header {
    /// 0 for SLP; otherwise the session negotiated by an SLP INVITE.
    pub session_id: u32,
    /// The message id (identifier, base id): the chunks of one message share it.
    pub message_id: u32,
    /// Where this chunk's data starts in the whole message (0-based).
    pub offset: u64,
    /// The size of the whole message.
    pub total_size: u64,
    /// Bytes of data in this chunk.
    pub length: u32,
    pub flags: Flags,
    /// On data: a random id. In an ack: the message id acknowledged.
    pub ack_id: u32,
    /// In an ack: the `ack_id` of the packet acknowledged.
    pub ack_unique_id: u32,
    /// In an ack: the total size acknowledged.
    pub ack_size: u64,
}

impl V1Header {
    /// Reads the header from the first 48 bytes of `bytes`.
    pub fn parse(bytes: &[u8]) -> Result<V1Header, P2pError> {
        let short = P2pError::Short {
            part: Part::Header,
            need: V1_HEADER_LEN as u64,
            have: bytes.len(),
        };
        Self::read(bytes).ok_or(short)
    }

    fn read(b: &[u8]) -> Option<V1Header> {
        let (session_id, b) = take::<4>(b)?;
        let (message_id, b) = take::<4>(b)?;
        let (offset, b) = take::<8>(b)?;
        let (total_size, b) = take::<8>(b)?;
        let (length, b) = take::<4>(b)?;
        let (flags, b) = take::<4>(b)?;
        let (ack_id, b) = take::<4>(b)?;
        let (ack_unique_id, b) = take::<4>(b)?;
        let (ack_size, _) = take::<8>(b)?;
        Some(V1Header {
            session_id: u32::from_le_bytes(session_id),
            message_id: u32::from_le_bytes(message_id),
            offset: u64::from_le_bytes(offset),
            total_size: u64::from_le_bytes(total_size),
            length: u32::from_le_bytes(length),
            flags: Flags(u32::from_le_bytes(flags)),
            ack_id: u32::from_le_bytes(ack_id),
            ack_unique_id: u32::from_le_bytes(ack_unique_id),
            ack_size: u64::from_le_bytes(ack_size),
        })
    }

    /// The header as it is sent (for tests and fixtures).
    pub fn to_bytes(&self) -> [u8; V1_HEADER_LEN] {
        let mut out = [0u8; V1_HEADER_LEN];
        let fields: [&[u8]; 9] = [
            &self.session_id.to_le_bytes(),
            &self.message_id.to_le_bytes(),
            &self.offset.to_le_bytes(),
            &self.total_size.to_le_bytes(),
            &self.length.to_le_bytes(),
            &self.flags.0.to_le_bytes(),
            &self.ack_id.to_le_bytes(),
            &self.ack_unique_id.to_le_bytes(),
            &self.ack_size.to_le_bytes(),
        ];
        let mut at = 0;
        for field in fields {
            for (slot, byte) in out[at..].iter_mut().zip(field) {
                *slot = *byte;
            }
            at += field.len();
        }
        out
    }

    /// Whether this packet acknowledges another (the ack bit is set).
    pub fn is_ack(&self) -> bool {
        self.flags.contains(Flags::ACK)
    }

    /// The last 16 bytes (ack id, ack unique id, ack size) as a GUID, `{XXXXXXXX-...}` in upper
    /// case: where a direct-connection handshake ([`Flags::DC_HANDSHAKE`]) carries its nonce.
    pub fn nonce(&self) -> String {
        let d4 = self.ack_size.to_le_bytes();
        format!(
            "{{{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}}}",
            self.ack_id,
            self.ack_unique_id & 0xFFFF,
            self.ack_unique_id >> 16,
            d4[0],
            d4[1],
            d4[2],
            d4[3],
            d4[4],
            d4[5],
            d4[6],
            d4[7],
        )
    }
}

/// A P2Pv1 packet, borrowing the body it was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V1Packet<'a> {
    pub header: V1Header,
    /// The `length` bytes after the header.
    pub data: &'a [u8],
    /// The application id; `None` on a direct connection, where there is no footer.
    pub footer: Option<AppId>,
    /// Bytes after the footer (after the data on a direct connection). A well-formed body
    /// has none; the caller decides whether that is worth an anomaly.
    pub trailing: &'a [u8],
}

/// Parses the body of a switchboard P2P message as P2Pv1: header, data, footer.
pub fn parse_v1(body: &[u8]) -> Result<V1Packet<'_>, P2pError> {
    v1(body, true)
}

/// Parses a P2Pv1 packet from a direct connection (the bytes after its 4-byte length
/// prefix): header and data, no footer.
pub fn parse_v1_direct(packet: &[u8]) -> Result<V1Packet<'_>, P2pError> {
    v1(packet, false)
}

fn v1(body: &[u8], with_footer: bool) -> Result<V1Packet<'_>, P2pError> {
    let header = V1Header::parse(body)?;
    let rest = body.get(V1_HEADER_LEN..).unwrap_or_default();
    let data_end = V1_HEADER_LEN as u64 + u64::from(header.length);
    let short = |part, need| P2pError::Short {
        part,
        need,
        have: body.len(),
    };
    // `length` is a u32: it fits a usize on every target this builds for, and `get` checks it.
    let data_len = usize::try_from(header.length).map_err(|_| short(Part::Data, data_end))?;
    let data = rest.get(..data_len).ok_or(short(Part::Data, data_end))?;
    let rest = rest.get(data_len..).unwrap_or_default();
    let (footer, trailing) = if with_footer {
        let (app, trailing) =
            take::<4>(rest).ok_or(short(Part::Footer, data_end + FOOTER_LEN as u64))?;
        (Some(AppId(u32::from_be_bytes(app))), trailing)
    } else {
        (None, rest)
    };
    Ok(V1Packet {
        header,
        data,
        footer,
        trailing,
    })
}

impl V1Packet<'_> {
    /// One line for the dialogue:
    ///
    /// * data: `P2P session 4 message 7: bytes 1202-2403 of 5718`. The range is 0-based and
    ///   inclusive: the first and the last byte of the chunk within the whole message (so
    ///   `bytes 0-1201` is the first 1202 bytes). A chunk without data reads
    ///   `no data (total 0)`. Flags other than plain data follow in parentheses:
    ///   `(msnobject data)`, `(wlm data)`, `(flags 0x410: file, 0x400)` for unlisted values.
    /// * acks: `P2P session 0: ack of message 7`; a nak reads `nak of message 7`.
    /// * a direct-connection handshake: `P2P handshake, nonce {...}`.
    ///
    /// Made of numbers only, so it needs no escaping.
    pub fn summary(&self) -> String {
        let h = &self.header;
        if h.flags.contains(Flags::ACK) || h.flags.contains(Flags::NAK) {
            let what = if h.flags.contains(Flags::ACK) {
                "ack"
            } else {
                "nak"
            };
            return format!(
                "P2P session {}: {what} of message {}",
                h.session_id, h.ack_id
            );
        }
        if h.flags == Flags::DC_HANDSHAKE {
            return format!("P2P handshake, nonce {}", h.nonce());
        }
        let range = match u64::from(h.length) {
            0 => format!("no data (total {})", h.total_size),
            n => {
                let last = u128::from(h.offset) + u128::from(n) - 1;
                format!("bytes {}-{last} of {}", h.offset, h.total_size)
            }
        };
        let flags = if h.flags == Flags::DATA {
            String::new()
        } else {
            format!(" ({})", h.flags)
        };
        format!(
            "P2P session {} message {}: {range}{flags}",
            h.session_id, h.message_id
        )
    }
}

// ---------------------------------------------------------------------------------------------
// P2Pv2

/// The op code of a P2Pv2 header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpCode(pub u8);

impl OpCode {
    pub const NONE: OpCode = OpCode(0);
    /// Opens the transport.
    pub const SYN: OpCode = OpCode(1);
    /// Asks for an acknowledgement.
    pub const RAK: OpCode = OpCode(2);

    /// `SYN`, `RAK`, `SYN+RAK`, `none`; `None` for values the reference does not list.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "none",
            1 => "SYN",
            2 => "RAK",
            3 => "SYN+RAK",
            _ => return None,
        })
    }
}

/// The TF combination of a P2Pv2 data header: bit 1 marks the first packet of a message,
/// the rest says what the payload is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TfCombination(pub u8);

impl TfCombination {
    /// The first packet of a message.
    pub const FIRST: u8 = 0x01;

    pub fn is_first(self) -> bool {
        self.0 & Self::FIRST != 0
    }

    /// What the payload is, from the value without the first-packet bit: 4 is MSNObject
    /// data, 6 file data. `None` for other values (0, SLP and control, has no name in the
    /// reference).
    pub fn payload_kind(self) -> Option<&'static str> {
        Some(match self.0 & !Self::FIRST {
            4 => "msnobject data",
            6 => "file data",
            _ => return None,
        })
    }
}

/// One type-length-value entry of a P2Pv2 header or data header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub kind: u8,
    pub value: &'a [u8],
}

/// Header TLV: the peer's protocol information (12 bytes).
pub const TLV_PEER_INFO: u8 = 1;
/// Header TLV: an acknowledgement, up to the given sequence number (u32).
pub const TLV_ACK: u8 = 2;
/// Header TLV: a negative acknowledgement (u32).
pub const TLV_NAK: u8 = 3;
/// Data-header TLV: the bytes of the message left after this packet (u64, or u32).
pub const TLV_BYTES_REMAINING: u8 = 1;

/// Checks that every TLV of `area` fits in it. A type byte of 0 starts the padding that
/// aligns the area to 4 bytes, and ends the list. `base` is the area's offset in the body,
/// for errors.
fn check_tlvs(area: &[u8], base: usize) -> Result<(), P2pError> {
    let mut at = 0;
    while let Some(&kind) = area.get(at) {
        if kind == 0 {
            return Ok(());
        }
        let len = *area
            .get(at + 1)
            .ok_or(P2pError::TlvPastHeader { at: base + at })?;
        let end = at + 2 + usize::from(len);
        if end > area.len() {
            return Err(P2pError::TlvPastHeader { at: base + at });
        }
        at = end;
    }
    Ok(())
}

/// An iterator over the TLVs of an area the parser checked (it stops early on anything else).
#[derive(Clone, Debug)]
pub struct Tlvs<'a> {
    area: &'a [u8],
}

impl<'a> Iterator for Tlvs<'a> {
    type Item = Tlv<'a>;

    fn next(&mut self) -> Option<Tlv<'a>> {
        let (&kind, rest) = self.area.split_first()?;
        if kind == 0 {
            self.area = &[];
            return None;
        }
        let Some((&len, rest)) = rest.split_first() else {
            self.area = &[];
            return None;
        };
        let Some(value) = rest.get(..usize::from(len)) else {
            self.area = &[];
            return None;
        };
        self.area = rest.get(usize::from(len)..).unwrap_or_default();
        Some(Tlv { kind, value })
    }
}

/// A big-endian number from a TLV value of 1 to 8 bytes.
fn be_number(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 8 {
        return None;
    }
    Some(value.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b)))
}

/// The peer-information TLV of a P2Pv2 header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// 0x0200 in the samples the reference cites.
    pub protocol_version: u16,
    pub implementation_id: u16,
    /// 0x0e00 in those samples.
    pub version: u16,
    pub reserved: u16,
    /// 0x010f in those samples.
    pub capabilities: u32,
}

impl PeerInfo {
    fn read(v: &[u8]) -> Option<PeerInfo> {
        let (protocol_version, v) = take::<2>(v)?;
        let (implementation_id, v) = take::<2>(v)?;
        let (version, v) = take::<2>(v)?;
        let (reserved, v) = take::<2>(v)?;
        let (capabilities, _) = take::<4>(v)?;
        Some(PeerInfo {
            protocol_version: u16::from_be_bytes(protocol_version),
            implementation_id: u16::from_be_bytes(implementation_id),
            version: u16::from_be_bytes(version),
            reserved: u16::from_be_bytes(reserved),
            capabilities: u32::from_be_bytes(capabilities),
        })
    }
}

/// The header of a P2Pv2 packet (big-endian).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V2Header<'a> {
    /// 8 plus the bytes of the TLVs (padding included).
    pub header_length: u8,
    pub op_code: OpCode,
    /// Bytes of the data header and payload.
    pub message_length: u16,
    /// The sequence number: an ack names the base id plus the message length of what it
    /// acknowledges.
    pub base_id: u32,
    /// The TLV bytes, padding included; read them with [`V2Header::tlvs`].
    pub tlv_area: &'a [u8],
}

impl<'a> V2Header<'a> {
    pub fn tlvs(&self) -> Tlvs<'a> {
        Tlvs {
            area: self.tlv_area,
        }
    }

    fn tlv_number(&self, kind: u8) -> Option<u64> {
        self.tlvs()
            .find(|t| t.kind == kind)
            .and_then(|t| be_number(t.value))
    }

    /// The ack TLV's value.
    pub fn ack(&self) -> Option<u64> {
        self.tlv_number(TLV_ACK)
    }

    /// The nak TLV's value.
    pub fn nak(&self) -> Option<u64> {
        self.tlv_number(TLV_NAK)
    }

    /// The peer-information TLV, when it has its 12 bytes.
    pub fn peer_info(&self) -> Option<PeerInfo> {
        self.tlvs()
            .find(|t| t.kind == TLV_PEER_INFO)
            .and_then(|t| PeerInfo::read(t.value))
    }
}

/// The data header of a P2Pv2 packet whose message length is not zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V2DataHeader<'a> {
    /// 8 plus the bytes of its TLVs.
    pub header_length: u8,
    pub tf: TfCombination,
    /// Ties the packets of one message together.
    pub package_number: u16,
    pub session_id: u32,
    pub tlv_area: &'a [u8],
}

impl<'a> V2DataHeader<'a> {
    pub fn tlvs(&self) -> Tlvs<'a> {
        Tlvs {
            area: self.tlv_area,
        }
    }

    /// The bytes of the message left after this packet.
    pub fn bytes_remaining(&self) -> Option<u64> {
        self.tlvs()
            .find(|t| t.kind == TLV_BYTES_REMAINING)
            .and_then(|t| be_number(t.value))
    }
}

/// A P2Pv2 packet, borrowing the body it was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct V2Packet<'a> {
    pub header: V2Header<'a>,
    /// Present when the message length is not zero.
    pub data_header: Option<V2DataHeader<'a>>,
    /// The payload after the data header.
    pub data: &'a [u8],
    /// The application id; `None` on a direct connection.
    pub footer: Option<AppId>,
    /// Bytes after the footer (after the payload on a direct connection).
    pub trailing: &'a [u8],
}

/// Parses the body of a switchboard P2P message as P2Pv2: header, data header and payload,
/// footer.
pub fn parse_v2(body: &[u8]) -> Result<V2Packet<'_>, P2pError> {
    v2(body, true)
}

/// Parses a P2Pv2 packet from a direct connection: no footer.
pub fn parse_v2_direct(packet: &[u8]) -> Result<V2Packet<'_>, P2pError> {
    v2(packet, false)
}

fn v2(body: &[u8], with_footer: bool) -> Result<V2Packet<'_>, P2pError> {
    let have = body.len();
    let short = |part, need: usize| P2pError::Short {
        part,
        need: need as u64,
        have,
    };
    let (fixed, _) = take::<V2_HEADER_MIN>(body).ok_or(short(Part::Header, V2_HEADER_MIN))?;
    let [header_length, op_code, ml0, ml1, b0, b1, b2, b3] = fixed;
    if usize::from(header_length) < V2_HEADER_MIN {
        return Err(P2pError::LengthBelowMinimum {
            part: Part::Header,
            declared: header_length,
            minimum: V2_HEADER_MIN as u8,
        });
    }
    let hl = usize::from(header_length);
    let tlv_area = body.get(V2_HEADER_MIN..hl).ok_or(short(Part::Header, hl))?;
    check_tlvs(tlv_area, V2_HEADER_MIN)?;
    let message_length = u16::from_be_bytes([ml0, ml1]);
    let header = V2Header {
        header_length,
        op_code: OpCode(op_code),
        message_length,
        base_id: u32::from_be_bytes([b0, b1, b2, b3]),
        tlv_area,
    };
    let rest = body.get(hl..).unwrap_or_default();
    let ml = usize::from(message_length);
    let (data_header, data) = if ml == 0 {
        (None, &[][..])
    } else {
        let (fixed, _) = take::<V2_DATA_HEADER_MIN>(rest)
            .ok_or(short(Part::DataHeader, hl + V2_DATA_HEADER_MIN))?;
        let [dhl, tf, p0, p1, s0, s1, s2, s3] = fixed;
        if usize::from(dhl) < V2_DATA_HEADER_MIN {
            return Err(P2pError::LengthBelowMinimum {
                part: Part::DataHeader,
                declared: dhl,
                minimum: V2_DATA_HEADER_MIN as u8,
            });
        }
        if usize::from(dhl) > ml {
            return Err(P2pError::DataHeaderPastMessage {
                declared: dhl,
                message_length,
            });
        }
        let dl = usize::from(dhl);
        let tlv_area = rest
            .get(V2_DATA_HEADER_MIN..dl)
            .ok_or(short(Part::DataHeader, hl + dl))?;
        check_tlvs(tlv_area, hl + V2_DATA_HEADER_MIN)?;
        let data = rest.get(dl..ml).ok_or(short(Part::Data, hl + ml))?;
        let dh = V2DataHeader {
            header_length: dhl,
            tf: TfCombination(tf),
            package_number: u16::from_be_bytes([p0, p1]),
            session_id: u32::from_be_bytes([s0, s1, s2, s3]),
            tlv_area,
        };
        (Some(dh), data)
    };
    let rest = rest.get(ml..).unwrap_or_default();
    let (footer, trailing) = if with_footer {
        let (app, trailing) = take::<4>(rest).ok_or(short(Part::Footer, hl + ml + FOOTER_LEN))?;
        (Some(AppId(u32::from_be_bytes(app))), trailing)
    } else {
        (None, rest)
    };
    Ok(V2Packet {
        header,
        data_header,
        data,
        footer,
        trailing,
    })
}

impl V2Packet<'_> {
    /// The session id of the data header (0, SLP, when there is none).
    pub fn session_id(&self) -> u32 {
        self.data_header.map_or(0, |d| d.session_id)
    }

    /// One line for the dialogue: `P2Pv2 seq 1000: session 4 package 3, 1202 bytes (first),
    /// 2403 left`; the op code when it is not `none` (`P2Pv2 SYN+RAK seq 1000: ...`); an
    /// ack TLV as `ack up to 2202`; a packet with neither data nor ack as `no data`.
    pub fn summary(&self) -> String {
        let h = &self.header;
        let mut out = String::from("P2Pv2");
        if h.op_code != OpCode::NONE {
            match h.op_code.name() {
                Some(name) => out.push_str(&format!(" {name}")),
                None => out.push_str(&format!(" op {}", h.op_code.0)),
            }
        }
        out.push_str(&format!(" seq {}:", h.base_id));
        let mut parts = Vec::new();
        if let Some(ack) = h.ack() {
            parts.push(format!("ack up to {ack}"));
        }
        if let Some(nak) = h.nak() {
            parts.push(format!("nak {nak}"));
        }
        if let Some(d) = &self.data_header {
            let mut s = format!(
                "session {} package {}, {} bytes",
                d.session_id,
                d.package_number,
                self.data.len()
            );
            match (d.tf.is_first(), d.tf.payload_kind()) {
                (true, Some(kind)) => s.push_str(&format!(" (first, {kind})")),
                (true, None) => s.push_str(" (first)"),
                (false, Some(kind)) => s.push_str(&format!(" ({kind})")),
                (false, None) => {}
            }
            if let Some(left) = d.bytes_remaining() {
                s.push_str(&format!(", {left} left"));
            }
            parts.push(s);
        }
        if parts.is_empty() {
            parts.push("no data".to_owned());
        }
        out.push(' ');
        out.push_str(&parts.join(", "));
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Either version

/// Whether a `P2P-Src` or `P2P-Dest` value names an endpoint (`handle;{guid}`): only P2Pv2
/// peers write that form, so the body is P2Pv2. A bare handle means P2Pv1.
pub fn is_v2_endpoint(value: &str) -> bool {
    value
        .split_once(';')
        .is_some_and(|(_, guid)| guid.trim_start().starts_with('{'))
}

/// A P2P packet of either version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    V1(V1Packet<'a>),
    V2(V2Packet<'a>),
}

/// Parses a switchboard P2P body as v2 when `is_v2` (see [`is_v2_endpoint`]), as v1 otherwise.
pub fn parse(body: &[u8], is_v2: bool) -> Result<Packet<'_>, P2pError> {
    if is_v2 {
        parse_v2(body).map(Packet::V2)
    } else {
        parse_v1(body).map(Packet::V1)
    }
}

impl<'a> Packet<'a> {
    pub fn session_id(&self) -> u32 {
        match self {
            Packet::V1(p) => p.header.session_id,
            Packet::V2(p) => p.session_id(),
        }
    }

    pub fn data(&self) -> &'a [u8] {
        match self {
            Packet::V1(p) => p.data,
            Packet::V2(p) => p.data,
        }
    }

    pub fn footer(&self) -> Option<AppId> {
        match self {
            Packet::V1(p) => p.footer,
            Packet::V2(p) => p.footer,
        }
    }

    pub fn trailing(&self) -> &'a [u8] {
        match self {
            Packet::V1(p) => p.trailing,
            Packet::V2(p) => p.trailing,
        }
    }

    /// [`V1Packet::summary`] or [`V2Packet::summary`].
    pub fn summary(&self) -> String {
        match self {
            Packet::V1(p) => p.summary(),
            Packet::V2(p) => p.summary(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SLP reassembly

/// The largest SLP message put back together. SLP messages are text of a few hundred bytes;
/// the largest are INVITEs whose `Context:` holds a base64 file-transfer context with its
/// preview image, a few kilobytes. A P2P header may declare any total size up to 2^64, so
/// the cap stops a declared size from reserving memory; 64 KiB is well above real messages.
pub const MAX_SLP_MESSAGE: usize = 64 * 1024;

/// SLP messages in progress per reassembler (one reassembler per connection). A peer sends
/// one SLP message at a time per session being set up, and most fit one chunk; a burst of
/// custom-emoticon requests starts several at once. With [`MAX_SLP_MESSAGE`] this bounds one
/// connection's reassembly buffers to 1 MiB.
pub const MAX_SLP_IN_PROGRESS: usize = 16;

/// One chunk of a message, as the reassembler takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub message_id: u32,
    /// Where `data` starts in the message.
    pub offset: u64,
    /// The size of the whole message.
    pub total: u64,
    pub data: &'a [u8],
}

impl<'a> Chunk<'a> {
    /// The chunk a P2Pv1 packet carries.
    pub fn from_v1(packet: &V1Packet<'a>) -> Chunk<'a> {
        Chunk {
            message_id: packet.header.message_id,
            offset: packet.header.offset,
            total: packet.header.total_size,
            data: packet.data,
        }
    }
}

/// Why the reassembler did not take a chunk. Nothing it held changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not session 0: application data, not SLP.
    NotSlp { session_id: u32 },
    /// A chunk without data (acks and other control packets carry none).
    NoData,
    /// The declared total size is over [`MAX_SLP_MESSAGE`].
    TooLarge { total: u64 },
    /// The chunk does not lie within the declared total size.
    PastEnd {
        offset: u64,
        length: u64,
        total: u64,
    },
    /// Earlier chunks of the same message declared another total size (the first one is
    /// kept).
    TotalChanged { was: u64, now: u64 },
}

impl Refused {
    /// A stable dotted name, for anomaly events.
    pub fn anomaly_name(&self) -> &'static str {
        match self {
            Refused::NotSlp { .. } => "slp.not_slp",
            Refused::NoData => "slp.no_data",
            Refused::TooLarge { .. } => "slp.too_large",
            Refused::PastEnd { .. } => "slp.chunk_past_end",
            Refused::TotalChanged { .. } => "slp.total_changed",
        }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Refused::NotSlp { session_id } => {
                write!(f, "session {session_id} carries data, not SLP")
            }
            Refused::NoData => f.write_str("the chunk carries no data"),
            Refused::TooLarge { total } => write!(
                f,
                "an SLP message of {total} bytes is over the cap of {MAX_SLP_MESSAGE}"
            ),
            Refused::PastEnd {
                offset,
                length,
                total,
            } => write!(
                f,
                "{length} bytes at offset {offset} do not fit a message of {total}"
            ),
            Refused::TotalChanged { was, now } => {
                write!(
                    f,
                    "the message's total size was {was}, this chunk says {now}"
                )
            }
        }
    }
}

impl std::error::Error for Refused {}

/// A message given up before it was whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incomplete<K> {
    pub from: K,
    pub message_id: u32,
    /// Bytes received.
    pub held: u64,
    pub total: u64,
}

/// What one accepted chunk did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pushed<K> {
    /// The whole message, when this chunk brought its last missing byte.
    pub complete: Option<Vec<u8>>,
    /// Some bytes of the chunk overlapped bytes already held and differed from them; the
    /// bytes held first were kept.
    pub mismatched: bool,
    /// The message dropped to make room for this one, when [`MAX_SLP_IN_PROGRESS`] were in
    /// progress.
    pub evicted: Option<Incomplete<K>>,
}

/// One message in progress.
#[derive(Debug)]
struct Partial {
    /// Exactly the total size long; the bytes not yet held are 0.
    bytes: Vec<u8>,
    /// One bit per byte of `bytes`: set when held.
    held_map: Vec<u64>,
    /// The number of set bits of `held_map`.
    held: usize,
}

impl Partial {
    fn new(total: usize) -> Partial {
        Partial {
            bytes: vec![0; total],
            held_map: vec![0; total.div_ceil(64)],
            held: 0,
        }
    }

    /// Writes `data` at `offset` (the caller checked it fits); returns whether a byte
    /// already held differed.
    fn write(&mut self, offset: usize, data: &[u8]) -> bool {
        let mut mismatched = false;
        let slots = self.bytes.iter_mut().enumerate().skip(offset);
        for ((pos, slot), &byte) in slots.zip(data) {
            let (word, bit) = (pos / 64, 1u64 << (pos % 64));
            let Some(w) = self.held_map.get_mut(word) else {
                break;
            };
            if *w & bit != 0 {
                mismatched |= *slot != byte;
            } else {
                *slot = byte;
                *w |= bit;
                self.held += 1;
            }
        }
        mismatched
    }

    fn is_complete(&self) -> bool {
        self.held == self.bytes.len()
    }
}

/// Puts SLP messages back together from the P2P chunks that carry them, for one connection.
///
/// `K` says who sent a chunk (the caller's choice: the direction, or the sender's handle on a
/// switchboard with several participants); message ids are the sender's own, so two senders
/// may use the same one. A message is keyed by (`K`, message id).
///
/// Invariant: every message in progress has a total size from 1 to [`MAX_SLP_MESSAGE`], a
/// buffer of exactly that size and a bitmap of the bytes held; `held` counts the bitmap's set
/// bits and is below the total (a message whose last byte arrives is handed out and forgotten
/// in the same call); a byte once held never changes (the first copy wins, later differing
/// copies only set `mismatched`); every chunk accepted lies within its message's first
/// declared total size; and at most [`MAX_SLP_IN_PROGRESS`] messages are in progress: a new
/// one past that drops the message that has gone longest without a chunk.
pub struct SlpReassembler<K> {
    in_progress: FifoMap<(K, u32), Partial>,
}

impl<K: Hash + Eq + Clone> Default for SlpReassembler<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Hash + Eq + Clone> SlpReassembler<K> {
    pub fn new() -> SlpReassembler<K> {
        SlpReassembler {
            in_progress: FifoMap::new(MAX_SLP_IN_PROGRESS),
        }
    }

    /// Takes one chunk of an SLP message sent by `from`.
    pub fn push(&mut self, from: K, chunk: Chunk<'_>) -> Result<Pushed<K>, Refused> {
        if chunk.data.is_empty() {
            return Err(Refused::NoData);
        }
        if chunk.total > MAX_SLP_MESSAGE as u64 {
            return Err(Refused::TooLarge { total: chunk.total });
        }
        let length = chunk.data.len() as u64;
        let past_end = Refused::PastEnd {
            offset: chunk.offset,
            length,
            total: chunk.total,
        };
        match chunk.offset.checked_add(length) {
            Some(end) if end <= chunk.total => {}
            _ => return Err(past_end),
        }
        // Both are at most MAX_SLP_MESSAGE now, so they fit a usize.
        let (offset, total) = (chunk.offset as usize, chunk.total as usize);
        let key = (from, chunk.message_id);
        if let Some(p) = self.in_progress.get(&key)
            && p.bytes.len() != total
        {
            return Err(Refused::TotalChanged {
                was: p.bytes.len() as u64,
                now: chunk.total,
            });
        }
        let mut partial = self
            .in_progress
            .remove(&key)
            .unwrap_or_else(|| Partial::new(total));
        let mismatched = partial.write(offset, chunk.data);
        if partial.is_complete() {
            return Ok(Pushed {
                complete: Some(partial.bytes),
                mismatched,
                evicted: None,
            });
        }
        // Re-inserted after the remove above: a message that just got a chunk is the newest.
        let evicted = self
            .in_progress
            .insert(key, partial)
            .map(|((from, message_id), p)| Incomplete {
                from,
                message_id,
                held: p.held as u64,
                total: p.bytes.len() as u64,
            });
        Ok(Pushed {
            complete: None,
            mismatched,
            evicted,
        })
    }

    /// Takes a P2Pv1 packet: its chunk when it is session 0 with data.
    pub fn push_v1(&mut self, from: K, packet: &V1Packet<'_>) -> Result<Pushed<K>, Refused> {
        if packet.header.session_id != 0 {
            return Err(Refused::NotSlp {
                session_id: packet.header.session_id,
            });
        }
        self.push(from, Chunk::from_v1(packet))
    }

    /// Messages in progress.
    pub fn in_progress(&self) -> usize {
        self.in_progress.len()
    }

    /// Bytes reserved for the messages in progress.
    pub fn reserved_bytes(&self) -> usize {
        self.in_progress.iter().map(|(_, p)| p.bytes.len()).sum()
    }

    /// Ends reassembly (the connection closed): the messages still incomplete, oldest first.
    pub fn finish(self) -> Vec<Incomplete<K>> {
        self.in_progress
            .iter()
            .map(|((from, message_id), p)| Incomplete {
                from: from.clone(),
                message_id: *message_id,
                held: p.held as u64,
                total: p.bytes.len() as u64,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
