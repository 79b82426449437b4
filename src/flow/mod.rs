//! Connection tracking: which TCP connections carry MSN traffic, which side is the client,
//! and the two reassembled byte streams of each.
//!
//! Pure and deterministic: TCP segments in (in capture order), [`FlowEvent`]s out, in the same
//! order. Guarantees:
//!
//! - **Ids** are handed out 1, 2, 3... to MSN connections in the order they are first seen to
//!   be MSN (for connections on a known port or an announced address, that is their first
//!   packet). Nothing depends on hash order.
//! - **Which connections.** A connection is MSN when its server is on a configured port
//!   (default 1863), when its server address was announced by the protocol at run time
//!   ([`FlowTable::expect`], fed by the decoder from `XFR ... SB`, `RNG` and file-transfer
//!   invitations), or when the configured sniffer ([`FlowConfig::sniff`]) recognises the
//!   first bytes it carries whatever the port. The flow layer knows no protocol: the MSNP
//!   sniffer lives with the decoder (`msnp::sniff`) and is handed over by
//!   [`crate::pipeline::msn_config`].
//! - **Sides.** The endpoint on a known port or announced address is the server; otherwise
//!   the sender of a bare SYN is the client; otherwise the first sender (for connections found
//!   by their content, the sender of that first command).
//! - **Bounded memory.** At most [`FlowConfig::max_connections`] connections are tracked; the
//!   least recently active one is evicted past that (its holes become gaps, it is closed).
//!   Holes still open after [`FlowConfig::idle_timeout`] of capture time become gaps; with
//!   [`FlowConfig::idle_close`] (live runs), a connection silent that long is closed. Each
//!   direction's out-of-order buffer is capped by [`Limits`](crate::reassembly::Limits).
//!   Memory does not grow with the size of the capture.
//! - **Time is the capture's, and stray stamps cannot jump it.** Idle timeouts and the grace
//!   of acknowledged holes are measured on the [`CaptureClock`], which ignores a frame stamped
//!   far from its neighbours (years ahead or behind) unless the frames after it agree.
//! - **Every byte accounted for.** Each direction delivers [`FlowEvent::Data`] as soon as
//!   bytes are contiguous and [`FlowEvent::Gap`] for what will never come; at end of input
//!   ([`FlowTable::finish`]) every connection is flushed and closed in id order.
//!
//! Layout, one concern a file; everything public is re-exported here, so `crate::flow::X`
//! is the one path to use:
//!
//! - `events`: what the layer reports ([`FlowEvent`], [`FlowSummary`], [`Detection`], ...).
//! - `config`: [`FlowConfig`] and the named defaults.
//! - `policy`: which endpoint is the client, which the server, and why a connection is MSN.
//! - `clock`: the [`CaptureClock`], capture time that stray timestamps cannot jump.
//! - `candidate`: connections waiting for their first bytes (held events, sniff window).
//! - `consumer`: [`FlowConsumer`], the trait of whatever takes the events.
//! - `expect`: addresses announced by the protocol ([`Expectation`]), bounded.
//! - `table`: the [`FlowTable`] itself: entries, ids, LRU eviction, idle sweep, closing.

mod candidate;
mod clock;
mod community;
mod config;
mod consumer;
mod events;
mod expect;
mod policy;
mod table;

pub use candidate::{SNIFF_BYTES, SNIFF_PACKETS};
pub use clock::{CaptureClock, JUMP_CONFIRM_FRAMES, MAX_CLOCK_STEP};
pub use community::{community_id, community_id_seeded};
pub use config::{
    ACK_GRACE_TIME, DEFAULT_MEMCAP, FlowConfig, IDLE_TIMEOUT, LIVE_IDLE_CLOSE, MAX_CONNECTIONS,
    SWEEP_INTERVAL, Sniffer, sniff_nothing,
};
pub use consumer::FlowConsumer;
pub use events::{
    At, Closing, Detection, ExpectedKind, FlowEvent, FlowId, FlowSummary, GapRecord,
    MAX_LISTED_GAPS, Opening,
};
pub use expect::{Expectation, MAX_EXPECTED};
pub use table::FlowTable;

#[cfg(test)]
mod tests;
