//! msnsniff: a protocol-aware analyzer for the MSN Messenger protocol (MSNP2 to MSNP18).
//!
//! The pipeline, one stage a module; only `capture` and `output` do I/O:
//!
//! ```text
//! capture (PacketSource) → net (frames → TCP segments) → flow (connections, sides,
//!   MSN detection) → reassembly (per-direction byte streams) → msnp (framing, grammar,
//!   meaning) → session (roles, TrID pairing) → event → output (table, dialogue, JSON)
//! ```

pub mod capture;
pub mod flow;
pub mod msnp;
pub mod net;
pub mod reassembly;
