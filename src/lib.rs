//! msnsniff: a protocol-aware analyzer for the MSN Messenger protocol (MSNP2 to MSNP18).
//!
//! The pipeline, one stage a module; only `capture` and `output` do I/O:
//!
//! ```text
//! capture (PacketSource) → net (frames → TCP segments) → flow (connections, sides,
//!   MSN detection) → reassembly (per-direction byte streams) → msnp (framing, grammar,
//!   meaning) → session (roles, TrID pairing; message bodies read by msnc) → event → output
//!   (table, dialogue, JSON)
//! ```
//!
//! Only [`capture`] and [`output`] do I/O; everything between is pure and deterministic. The
//! public event types are in [`event`], and [`pipeline::run`] drives the stages.
//!
//! # Example: a capture file to events
//!
//! ```
//! use msnsniff::capture::FileSource;
//! use msnsniff::event::{Event, Sink};
//! use msnsniff::session::Decoder;
//!
//! /// Counts the commands of each verb.
//! #[derive(Default)]
//! struct Count(std::collections::BTreeMap<String, usize>);
//!
//! impl Sink for Count {
//!     fn event(&mut self, ev: &Event) -> std::io::Result<()> {
//!         if let Event::Command(c) = ev {
//!             *self.0.entry(c.verb.to_string()).or_default() += 1;
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let path = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/ppa_suspectemployeechat.pcap");
//! let mut source = FileSource::new(vec![path.to_string()], None);
//! let mut count = Count::default();
//! let mut decoder = Decoder::new(&mut count);
//! let run = msnsniff::pipeline::run(&mut source, msnsniff::pipeline::msn_config(), &mut decoder)?;
//! drop(decoder);
//! assert_eq!(run.msn_connections, 1);
//! assert_eq!(count.0["MSG"], 20);
//! # Ok::<(), std::io::Error>(())
//! ```

pub mod allocator;
pub mod app;
pub mod bounded;
pub mod capture;
pub mod cli;
pub mod conversation;
pub mod escape;
pub mod event;
pub mod flow;
pub mod fuzzing;
pub mod msnc;
pub mod msnp;
pub mod net;
pub mod output;
pub mod pipeline;
pub mod reassembly;
pub mod redact;
pub mod session;

/// Which way bytes travel on a connection. The point of view is always the client's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    /// Client to server (`>>>` in dialogues).
    ClientToServer,
    /// Server to client (`<<<` in dialogues).
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
