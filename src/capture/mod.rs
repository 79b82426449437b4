//! Where packets come from. This is one of the two layers that do I/O (the other is
//! [`crate::output`]).
//!
//! Everything above this module sees packets only through the [`PacketSource`] trait, so a
//! live interface or a faster offline reader can be added without touching reassembly,
//! decoding or output. A source hands out [`RawPacket`]s in capture order, each with its
//! 1-based frame number, and reports environment failures (unreadable file, truncated last
//! record) as [`CaptureError`]s: those are the only failures that abort a run.

mod ahead;
mod classic;
mod file;
mod live;
mod pcapng;
mod write;

pub use ahead::{BLOCK_BYTES, BLOCK_PACKETS, BLOCKS_AHEAD, ReadAhead};
pub use file::{FileKind, FileSource, check_inputs};
pub use live::{
    DEFAULT_BUFFER_MIB, DEFAULT_SNAPLEN, Interface, KERNEL_FILTER, LiveOptions, LiveSource,
    LiveStats, POLL_INTERVAL, STATS_INTERVAL, interfaces, kernel_filter,
};
pub use write::{MAX_HELD_CONNECTIONS, MAX_HELD_PACKETS, PcapWriter};

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// A capture timestamp, kept at the precision the file provides (micro- or nanoseconds).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    pub secs: i64,
    /// Nanoseconds within the second (always below 1e9).
    pub nanos: u32,
}

impl Timestamp {
    pub const fn new(secs: i64, nanos: u32) -> Self {
        Timestamp { secs, nanos }
    }

    /// Time from `earlier` to `self`, or `None` when `self` is in fact before `earlier` (capture
    /// timestamps can go backwards). This is the signed comparison: `Some` means "not before".
    pub fn checked_duration_since(&self, earlier: Timestamp) -> Option<Duration> {
        if *self < earlier {
            return None;
        }
        let (mut secs, mut nanos) = (self.secs as i128 - earlier.secs as i128, self.nanos);
        if nanos < earlier.nanos {
            secs -= 1;
            nanos += 1_000_000_000;
        }
        // `secs` is at most i64::MAX - i64::MIN, which fits a u64.
        Some(Duration::new(secs as u64, nanos - earlier.nanos))
    }

    /// Time from `earlier` to `self`, zero when `self` is before `earlier`.
    pub fn saturating_duration_since(&self, earlier: Timestamp) -> Duration {
        self.checked_duration_since(earlier).unwrap_or_default()
    }
}

impl fmt::Display for Timestamp {
    /// Seconds with nine decimals: `1136064496.123456000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:09}", self.secs, self.nanos)
    }
}

/// The link-layer header type of a capture (a DLT / LINKTYPE value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// DLT_NULL (0): BSD loopback, 4-byte address family in host byte order.
    Null,
    /// DLT_EN10MB (1): Ethernet II, possibly with 802.1Q / QinQ tags.
    Ethernet,
    /// DLT_RAW (12 or 14 on some systems, LINKTYPE_RAW 101): a bare IPv4 or IPv6 packet.
    Raw,
    /// DLT_LOOP (108): OpenBSD loopback, 4-byte address family in network byte order.
    Loop,
    /// DLT_LINUX_SLL (113): Linux cooked capture v1.
    LinuxSll,
    /// LINKTYPE_IPV4 (228): a bare IPv4 packet.
    Ipv4,
    /// LINKTYPE_IPV6 (229): a bare IPv6 packet.
    Ipv6,
    /// DLT_LINUX_SLL2 (276): Linux cooked capture v2.
    LinuxSll2,
    /// Anything else; packets of such a link type are skipped.
    Other(i32),
}

impl LinkType {
    pub fn from_dlt(dlt: i32) -> LinkType {
        match dlt {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            12 | 14 | 101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            276 => LinkType::LinuxSll2,
            other => LinkType::Other(other),
        }
    }
}

/// One captured frame, borrowed from the source until the next call.
#[derive(Clone, Copy, Debug)]
pub struct RawPacket<'a> {
    /// 1-based frame number, counted across every file of the run.
    pub index: u64,
    pub ts: Timestamp,
    pub linktype: LinkType,
    /// The captured bytes (`caplen` of them).
    pub data: &'a [u8],
    /// Length of the frame on the wire; larger than `data.len()` when the snaplen cut it.
    pub origlen: u32,
}

/// An environment failure while reading packets. Only these abort a run.
#[derive(Debug)]
pub struct CaptureError {
    /// What was being read (a file name, `-` for standard input, an interface).
    pub source: String,
    /// What went wrong, in one line.
    pub message: String,
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.message)
    }
}

impl std::error::Error for CaptureError {}

/// A stream of packets in capture order.
///
/// `next_packet` returns `Ok(None)` at the end of input. After an `Err`, the source is
/// finished: callers stop reading and report the error once everything decoded so far
/// has been output.
pub trait PacketSource {
    fn next_packet(&mut self) -> Result<Option<RawPacket<'_>>, CaptureError>;

    /// Something the source has to report between packets (a live capture's kernel dropped
    /// packets). The pipeline asks after every packet and at the end of the run, and reports
    /// each notice as an anomaly that belongs to no connection.
    fn take_notice(&mut self) -> Option<SourceNotice> {
        None
    }
}

/// A source's report, with a stable dotted name (`capture.dropped`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceNotice {
    pub name: &'static str,
    pub detail: String,
}

/// Where each input file starts in the run's frame numbering, when several files are read
/// as one capture: filled by the file source as it opens each file, read by the outputs to
/// tell a frame's file and its number there (Wireshark's, in that file). Shared, because the
/// source and the outputs are built apart and run in one loop.
#[derive(Clone, Debug, Default)]
pub struct FileMap(std::sync::Arc<std::sync::Mutex<Vec<u64>>>);

impl FileMap {
    pub fn new() -> FileMap {
        FileMap::default()
    }

    /// The next file's first frame will have the run's number `first`.
    pub fn start_file(&self, first: u64) {
        if let Ok(mut starts) = self.0.lock() {
            starts.push(first);
        }
    }

    /// The file (1-based, in command-line order) and the number within it of the run's frame
    /// `frame`; `None` before any file has started.
    pub fn locate(&self, frame: u64) -> Option<(u32, u64)> {
        let starts = self.0.lock().ok()?;
        let i = starts.partition_point(|&s| s <= frame).checked_sub(1)?;
        Some((u32::try_from(i + 1).ok()?, frame - starts[i] + 1))
    }
}

/// A connection, as its two endpoints (the smaller first, so both directions name it alike).
pub type ConnKey = (SocketAddr, SocketAddr);

/// What the flow table made of a packet, for a [`PacketTap`] that keeps only MSN traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Membership {
    /// The packet belongs to an MSN connection.
    Msn(ConnKey),
    /// The packet's connection may still turn out to be MSN (its first bytes are awaited).
    Undecided(ConnKey),
    /// Not MSN traffic (or not a TCP segment at all, when there is no key).
    Other(Option<ConnKey>),
}

/// Sees every packet after the flow table has: a writer of the packets captured (`-w`).
pub trait PacketTap {
    fn packet(&mut self, packet: &RawPacket<'_>, membership: Membership) -> io::Result<()>;
    /// The end of the run: write out what is buffered.
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_between_timestamps() {
        let a = Timestamp::new(100, 900_000_000);
        let b = Timestamp::new(102, 100_000_000);
        assert_eq!(
            b.checked_duration_since(a),
            Some(Duration::from_millis(1200))
        );
        assert_eq!(a.checked_duration_since(b), None);
        assert_eq!(a.checked_duration_since(a), Some(Duration::ZERO));
        assert_eq!(b.saturating_duration_since(a), Duration::from_millis(1200));
        assert_eq!(a.saturating_duration_since(b), Duration::ZERO);
        // The extremes do not overflow.
        let (lo, hi) = (
            Timestamp::new(i64::MIN, 0),
            Timestamp::new(i64::MAX, 999_999_999),
        );
        assert_eq!(
            hi.checked_duration_since(lo),
            Some(Duration::new(u64::MAX, 999_999_999))
        );
    }
}
