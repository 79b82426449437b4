//! Side and detection policy: from a connection's first packet, which endpoint is the client
//! and which the server, how sure that is, and whether the connection is MSN already (by port
//! or by announcement) or must be judged by its content.
//!
//! Why a module of its own: these are judgement calls (the rules below), kept in one place and
//! apart from the table's bookkeeping so they can be read and changed as a whole. Guarantees:
//! the answer depends only on the packet, the configured ports and the announced addresses,
//! never on hash order or on other connections.
//!
//! Rules, first match wins:
//!
//! - **Sides.** An announced address is the server; otherwise the sender of a bare SYN is the
//!   client; otherwise the sender of a SYN/ACK is the server; otherwise the endpoint on a
//!   configured port (when only one is) is the server; otherwise the first sender is taken as
//!   the client, provisionally (`sides_known` false): a connection found by its content then
//!   makes the sender of the MSNP command the client ([`content_swaps_sides`]).
//! - **Detection.** An announced server address makes the connection MSN
//!   ([`Detection::Announced`]); a server on a configured port does too ([`Detection::Port`]),
//!   except mid-stream between that port and a well-known service port below 1024 (HTTP on 80
//!   from an ephemeral port that happens to be 1863), which is judged by content.

use super::events::{Detection, Opening};
use super::expect::Expected;
use crate::Direction;
use crate::net::TcpSegment;
use std::net::SocketAddr;

/// Where a new connection stands after its first packet.
pub(super) struct Placement {
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// Whether `client`/`server` were settled by a port, an announcement or a SYN (rather than
    /// by who happened to send first).
    pub sides_known: bool,
    /// `None`: not known to be MSN yet; its first bytes will tell.
    pub detection: Option<Detection>,
    pub opening: Opening,
}

/// Applies the rules of this module to a connection's first packet.
pub(super) fn place(seg: &TcpSegment<'_>, ports: &[u16], expected: &Expected) -> Placement {
    let bare_syn = seg.flags.syn() && !seg.flags.ack();
    let syn_ack = seg.flags.syn() && seg.flags.ack();
    let on_port = |a: &SocketAddr| ports.contains(&a.port());

    // Who is the server, and how sure we are.
    let (client, server, sides_known) = if expected.get(&seg.src, &seg.dst).is_some() {
        (seg.src, seg.dst, true)
    } else if expected.get(&seg.dst, &seg.src).is_some() {
        (seg.dst, seg.src, true)
    } else if bare_syn {
        (seg.src, seg.dst, true)
    } else if syn_ack {
        (seg.dst, seg.src, true)
    } else if on_port(&seg.dst) && !on_port(&seg.src) {
        (seg.src, seg.dst, true)
    } else if on_port(&seg.src) && !on_port(&seg.dst) {
        (seg.dst, seg.src, true)
    } else {
        (seg.src, seg.dst, false)
    };
    // A connection between a known port and a well-known service port (HTTP on 80 from an
    // ephemeral port that happens to be 1863) is judged by content, not by port.
    let detection = if let Some(e) = expected.get(&client, &server) {
        Some(Detection::Announced {
            kind: e.kind,
            announced_by: e.announced_by,
        })
    } else if on_port(&server) && !(client.port() < 1024 && !bare_syn && !syn_ack) {
        Some(Detection::Port {
            port: server.port(),
        })
    } else {
        None
    };
    let opening = if bare_syn {
        Opening::Syn
    } else if syn_ack {
        Opening::SynAck
    } else {
        Opening::Midstream
    };
    Placement {
        client,
        server,
        sides_known,
        detection,
        opening,
    }
}

/// Whether a connection found by its content must swap sides: the sender of the MSNP command
/// is the client, unless the sides were already settled (by a SYN, say).
pub(super) fn content_swaps_sides(command_from: Direction, sides_known: bool) -> bool {
    command_from == Direction::ServerToClient && !sides_known
}
