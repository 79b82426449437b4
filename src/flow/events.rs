//! What the flow layer reports: the events of a connection, in capture order, and what is
//! known about a connection when it closes.
//!
//! Why a module of its own: these types are the flow layer's whole interface to the stages
//! after it (the decoder, the `flows` report, `--dump`), so they are kept apart from the
//! machinery that produces them. Guarantees: every type here is plain data; `deliver` is
//! the one place where a direction's reassembly events become [`FlowEvent`]s and are counted
//! into the connection's [`FlowSummary`], so the summary always agrees with the events.

use crate::Direction;
use crate::capture::Timestamp;
use crate::reassembly::{GapReason, HalfEvent};
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// The id of an MSN connection: 1, 2, 3... in the order connections are first seen to be MSN.
/// Shown as the bare number (and written so in JSON by the wire layer).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowId(pub u64);

impl std::fmt::Display for FlowId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Gaps listed per connection in its summary (all are counted; only these are itemised).
pub const MAX_LISTED_GAPS: usize = 256;

/// What kind of connection an announcement promises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedKind {
    /// A switchboard, from `XFR ... SB` or `RNG`.
    Switchboard,
    /// An MSNFTP file transfer, from an invitation's `IP-Address`/`Port`.
    FileTransfer,
    /// A notification server, from `XFR ... NS`.
    Notification,
}

/// Why a connection was taken to be MSN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detection {
    /// The server is on a configured port.
    Port { port: u16 },
    /// The server address was announced on another connection.
    Announced {
        kind: ExpectedKind,
        announced_by: FlowId,
    },
    /// The first bytes were an MSNP command.
    Content,
}

/// How a connection was first seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    /// The client's SYN was captured.
    Syn,
    /// Only the server's SYN/ACK was captured.
    SynAck,
    /// No SYN: the capture started in the middle of the connection.
    Midstream,
}

/// How a connection ended (or did not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    /// Both sides sent FIN.
    Fin,
    /// Only one side sent FIN before the input ended.
    HalfClosed,
    /// A RST.
    Rst,
    /// Still open at end of input.
    Open,
    /// Dropped from the table to make room.
    Evicted,
    /// Silent for longer than [`FlowConfig::idle_close`](super::FlowConfig::idle_close).
    Idle,
}

/// A gap in one direction of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GapRecord {
    pub dir: Direction,
    pub offset: u64,
    pub len: u64,
    pub reason: GapReason,
}

/// What is known about a connection when it closes.
#[derive(Clone, Debug)]
pub struct FlowSummary {
    pub id: FlowId,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub first_ts: Timestamp,
    pub last_ts: Timestamp,
    /// Frame number of the connection's first packet.
    pub first_frame: u64,
    pub detection: Detection,
    pub opening: Opening,
    pub closing: Closing,
    /// Which side sent the RST, for [`Closing::Rst`].
    pub reset_by: Option<Direction>,
    pub client_packets: u64,
    pub server_packets: u64,
    /// Reassembled bytes delivered client to server (gaps excluded).
    pub client_bytes: u64,
    /// Reassembled bytes delivered server to client (gaps excluded).
    pub server_bytes: u64,
    pub gap_count: u64,
    pub gap_bytes: u64,
    /// The first [`MAX_LISTED_GAPS`] gaps.
    pub gaps: Vec<GapRecord>,
    /// Anomalies raised on this connection, by name, in name order.
    pub anomalies: BTreeMap<&'static str, u64>,
}

/// Where an event happened in the capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    /// 1-based frame number.
    pub frame: u64,
    pub ts: Timestamp,
}

/// What the flow table reports, in capture order.
#[derive(Debug)]
pub enum FlowEvent<'a> {
    /// A new MSN connection. Always precedes its other events.
    Opened {
        flow: FlowId,
        at: At,
        client: SocketAddr,
        server: SocketAddr,
        detection: &'a Detection,
        opening: Opening,
    },
    /// Contiguous bytes of one direction.
    Data {
        flow: FlowId,
        at: At,
        dir: Direction,
        offset: u64,
        bytes: &'a [u8],
    },
    /// Bytes of one direction that will never be delivered.
    Gap {
        flow: FlowId,
        at: At,
        dir: Direction,
        offset: u64,
        len: u64,
        reason: GapReason,
    },
    /// One direction's FIN, after all its bytes.
    Fin {
        flow: FlowId,
        at: At,
        dir: Direction,
        offset: u64,
    },
    /// Something odd but survivable. `flow` is `None` for packets that belong to no connection.
    Anomaly {
        flow: Option<FlowId>,
        at: At,
        dir: Option<Direction>,
        name: &'static str,
        detail: String,
    },
    /// The connection is over (or the input is); nothing more will come for this id.
    Closed { at: At, summary: &'a FlowSummary },
}

/// Updates a connection's summary with one event and passes it on.
pub(super) fn deliver(
    s: &mut FlowSummary,
    fin: &mut [bool; 2],
    at: At,
    dir: Direction,
    ev: HalfEvent<'_>,
    emit: &mut dyn FnMut(FlowEvent<'_>),
) {
    let flow = s.id;
    match ev {
        HalfEvent::Data { offset, bytes } => {
            match dir {
                Direction::ClientToServer => s.client_bytes += bytes.len() as u64,
                Direction::ServerToClient => s.server_bytes += bytes.len() as u64,
            }
            emit(FlowEvent::Data {
                flow,
                at,
                dir,
                offset,
                bytes,
            });
        }
        HalfEvent::Gap {
            offset,
            len,
            reason,
        } => {
            s.gap_count += 1;
            s.gap_bytes += len;
            if s.gaps.len() < MAX_LISTED_GAPS {
                s.gaps.push(GapRecord {
                    dir,
                    offset,
                    len,
                    reason,
                });
            }
            emit(FlowEvent::Gap {
                flow,
                at,
                dir,
                offset,
                len,
                reason,
            });
        }
        HalfEvent::Fin { offset } => {
            fin[dir.index()] = true;
            emit(FlowEvent::Fin {
                flow,
                at,
                dir,
                offset,
            });
        }
        HalfEvent::Anomaly { name, .. } => {
            *s.anomalies.entry(name).or_default() += 1;
            emit(FlowEvent::Anomaly {
                flow: Some(flow),
                at,
                dir: Some(dir),
                name,
                detail: String::new(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_id_shows_as_the_bare_number() {
        assert_eq!(FlowId(42).to_string(), "42");
        assert!(FlowId(2) > FlowId(1));
    }
}
