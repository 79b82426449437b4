//! Candidates: connections not yet known to be MSN (no known port, no announced address),
//! waiting for their first bytes to tell. What the bytes must look like is not known here: the
//! configured sniffer ([`FlowConfig::sniff`](super::FlowConfig::sniff)) says.
//!
//! Why a module of its own: until a candidate is decided, nothing may reach the consumer (an
//! id is handed out only to MSN connections), yet nothing may be lost if it turns out to be
//! MSN. Guarantees: a candidate's events are held, owned, in the order they happened, and
//! replayed unchanged once it is found to be MSN; only the first [`SNIFF_BYTES`] of each
//! direction are looked at; a candidate is decided within [`SNIFF_PACKETS`] packets (or at the
//! end of input, or when it goes idle), and one that is not MSN by then never will be.

use super::config::Sniffer;
use super::events::At;
use crate::Direction;
use crate::reassembly::{GapReason, HalfEvent};

/// Bytes of each direction of a candidate handed to the sniffer, at most. An MSNP opening
/// line (`VER 1 MSNP18 MSNP17 ... CVR0`) fits easily.
pub const SNIFF_BYTES: usize = 256;

/// Candidate connections give up after this many packets without a decision.
pub const SNIFF_PACKETS: u32 = 16;

/// A candidate's event, owned, kept until the candidate is decided.
pub(super) enum Held {
    Data {
        at: At,
        dir: Direction,
        offset: u64,
        bytes: Vec<u8>,
    },
    Gap {
        at: At,
        dir: Direction,
        offset: u64,
        len: u64,
        reason: GapReason,
    },
    Fin {
        at: At,
        dir: Direction,
        offset: u64,
    },
    Anomaly {
        at: At,
        dir: Direction,
        name: &'static str,
        offset: u64,
    },
}

impl Held {
    pub(super) fn from_half(ev: HalfEvent<'_>, at: At, dir: Direction) -> Held {
        match ev {
            HalfEvent::Data { offset, bytes } => Held::Data {
                at,
                dir,
                offset,
                bytes: bytes.to_vec(),
            },
            HalfEvent::Gap {
                offset,
                len,
                reason,
            } => Held::Gap {
                at,
                dir,
                offset,
                len,
                reason,
            },
            HalfEvent::Fin { offset } => Held::Fin { at, dir, offset },
            HalfEvent::Anomaly { name, offset } => Held::Anomaly {
                at,
                dir,
                name,
                offset,
            },
        }
    }

    pub(super) fn as_half(&self) -> (At, Direction, HalfEvent<'_>) {
        match self {
            Held::Data {
                at,
                dir,
                offset,
                bytes,
            } => (
                *at,
                *dir,
                HalfEvent::Data {
                    offset: *offset,
                    bytes,
                },
            ),
            Held::Gap {
                at,
                dir,
                offset,
                len,
                reason,
            } => (
                *at,
                *dir,
                HalfEvent::Gap {
                    offset: *offset,
                    len: *len,
                    reason: *reason,
                },
            ),
            Held::Fin { at, dir, offset } => (*at, *dir, HalfEvent::Fin { offset: *offset }),
            Held::Anomaly {
                at,
                dir,
                name,
                offset,
            } => (
                *at,
                *dir,
                HalfEvent::Anomaly {
                    name,
                    offset: *offset,
                },
            ),
        }
    }

    pub(super) fn reverse(&mut self) {
        match self {
            Held::Data { dir, .. }
            | Held::Gap { dir, .. }
            | Held::Fin { dir, .. }
            | Held::Anomaly { dir, .. } => *dir = dir.reverse(),
        }
    }
}

/// What the first bytes of a candidate say.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Not enough yet.
    Wait,
    /// Not MSN, and never will be.
    NotMsn,
    /// MSN: the given direction's first bytes are an MSNP command.
    Msn(Direction),
}

/// Decides a candidate from what it holds, after `packets` packets, by asking `sniff` about
/// the first [`SNIFF_BYTES`] of each direction. With `last`, no more bytes will come, so a
/// candidate that cannot be decided is not MSN.
pub(super) fn verdict(held: &[Held], packets: u32, last: bool, sniff: Sniffer) -> Verdict {
    // The first bytes of each direction, from what is held.
    let mut first: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    for h in held {
        if let Held::Data { dir, bytes, .. } = h {
            let buf = &mut first[dir.index()];
            let room = SNIFF_BYTES.saturating_sub(buf.len());
            buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
    }
    let mut verdict = Verdict::Wait;
    for dir in [Direction::ClientToServer, Direction::ServerToClient] {
        let buf = &first[dir.index()];
        if buf.is_empty() {
            continue;
        }
        match sniff(buf) {
            Some(true) => return Verdict::Msn(dir),
            Some(false) => verdict = Verdict::NotMsn,
            None => {}
        }
    }
    if verdict == Verdict::Wait && (last || packets >= SNIFF_PACKETS) {
        verdict = Verdict::NotMsn;
    }
    verdict
}
