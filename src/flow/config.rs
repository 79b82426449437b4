//! Settings of the flow table and their defaults.
//!
//! Why a module of its own: every bound of the flow layer is named here, with the reason for
//! its value, so the memory and time limits can be reviewed in one place. Every span of time
//! is a [`Duration`] of capture time (never wall-clock time).

use crate::reassembly::Limits;
use std::time::Duration;

/// Settings of the flow table.
#[derive(Clone, Debug)]
pub struct FlowConfig {
    /// Server ports that mark a connection as MSN.
    pub ports: Vec<u16>,
    /// Per-direction reassembly bounds.
    pub limits: Limits,
    /// Connections tracked at once (MSN, candidates and recently closed ones).
    pub max_connections: usize,
    /// Capture time after which a quiet connection's open holes are given up.
    pub idle_timeout: Duration,
    /// Capture time after which a quiet MSN connection is closed (as `idle`) and forgotten;
    /// `None` keeps it until its end, the input's end or eviction. Live runs set it (see
    /// [`LIVE_IDLE_CLOSE`]) so that connections whose end was never seen do not stay forever.
    pub idle_close: Option<Duration>,
    /// Tells whether a connection on no known port and no announced address is MSN, from the
    /// first bytes of one direction (at most [`SNIFF_BYTES`](super::SNIFF_BYTES)). The default
    /// never says yes: content detection is off until a protocol's sniffer is given (for MSNP,
    /// `msnp::sniff::looks_like_msnp`; [`crate::pipeline::msn_config`] sets it).
    pub sniff: Sniffer,
    /// Bytes all connections' streams may hold at once in reassembly (half of `--memcap`):
    /// out-of-order bytes and the history retransmissions are compared against. Past it the
    /// oldest holder lets go: its history is forgotten, and a hole it waits on becomes a gap
    /// (reason `capacity`, anomaly `stream.memcap`) with what waited behind it delivered.
    pub memcap: usize,
}

/// A sniffer: `Some(true)` the bytes start the protocol, `Some(false)` they do not, `None`
/// not enough bytes yet to tell. Must not panic on any bytes.
pub type Sniffer = fn(&[u8]) -> Option<bool>;

/// The default sniffer: nothing is recognised by its content.
pub fn sniff_nothing(_first_bytes: &[u8]) -> Option<bool> {
    Some(false)
}

/// Default number of tracked connections (MSN, candidates and tombstones together): far above
/// the concurrency of any real MSN capture (the 1 GB generated capture of `make bench` never
/// has more than about 500 open at once), and small enough to bound memory. A tracked MSN
/// connection costs about 3.5 KB without buffered data (its two reassembly halves here, its
/// decoder state and framers in the session layer: measured with 200,000 connections), so a
/// table kept full by a flood stays near 45 MB, and with the buffers of [`DEFAULT_MEMCAP`]
/// under 64 MB; eviction takes dead entries first. A finished connection (a tombstone) costs
/// about 200 bytes, so a table full of them, the usual state past the first few hundred
/// megabytes of a busy capture, holds little more than an empty one.
pub const MAX_CONNECTIONS: usize = 12_288;

/// Default idle timeout: MSN clients ping the NS about once a minute, so five minutes of silence
/// means the missing bytes are not coming.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// The default of `--memcap`: bytes held in reassembly and framer buffers, all connections
/// together, half for each. One connection may hold a little over 1 MiB each way in each, so
/// a few dozen stalled connections could otherwise take hundreds of MiB.
pub const DEFAULT_MEMCAP: usize = 32 << 20;

/// Default for live runs: a connection silent for half an hour is closed. MSN clients ping
/// the notification server about once a minute and a switchboard nobody types in is closed by
/// the server within minutes, so such silence means the end went uncaptured.
pub const LIVE_IDLE_CLOSE: Duration = Duration::from_secs(1800);

/// Capture time after which a hole the peer acknowledged past is given up, whatever the
/// sender does. Mirror ports show an ACK ahead of its data by microseconds to milliseconds;
/// a segment the capture really lost leaves the bytes after it waiting, and with them, say,
/// the `XFR ... SB` reply that announces the next connection.
pub const ACK_GRACE_TIME: Duration = Duration::from_millis(500);

/// How often (in capture time) the table looks for idle connections: often enough next to
/// the idle timeout, rarely enough that the sweep costs nothing per packet.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            ports: vec![1863],
            limits: Limits::default(),
            max_connections: MAX_CONNECTIONS,
            idle_timeout: IDLE_TIMEOUT,
            idle_close: None,
            sniff: sniff_nothing,
            memcap: DEFAULT_MEMCAP / 2,
        }
    }
}
