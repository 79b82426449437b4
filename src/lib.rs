//! msnsniff: a protocol-aware analyzer for the MSN Messenger protocol (MSNP2 to MSNP18).
//!
//! The pipeline, one stage a module; only `capture` and `output` do I/O:
//!
//! ```text
//! capture (PacketSource) → net (frames → TCP segments) → flow (connections, sides,
//!   MSN detection) → reassembly (per-direction byte streams) → msnp (framing, grammar,
//!   meaning) → session (roles, TrID pairing) → event → output (table, dialogue, JSON)
//! ```

pub mod app;
pub mod capture;
pub mod cli;
pub mod event;
pub mod flow;
pub mod fuzzing;
pub mod msnp;
pub mod net;
pub mod output;
pub mod pipeline;
pub mod reassembly;
pub mod session;

use serde::Serialize;

/// Which way bytes travel on a connection. The point of view is always the client's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Direction {
    /// Client to server (`>>>` in dialogues).
    #[serde(rename = "c2s")]
    ClientToServer,
    /// Server to client (`<<<` in dialogues).
    #[serde(rename = "s2c")]
    ServerToClient,
}

impl Direction {
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ClientToServer => Direction::ServerToClient,
            Direction::ServerToClient => Direction::ClientToServer,
        }
    }

    /// 0 for client to server, 1 for server to client: an index into per-direction arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// `"c2s"` or `"s2c"`, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::ClientToServer => "c2s",
            Direction::ServerToClient => "s2c",
        }
    }
}
