//! TCP stream reassembly, one direction at a time: segments in, contiguous bytes out.
//!
//! Pure and deterministic. Bytes are delivered as soon as they are contiguous (nothing waits
//! for ACKs, nothing is lost at end of input); holes that can no longer be filled become
//! explicit [`HalfEvent::Gap`]s; memory is bounded by [`Limits`].

pub mod seq;
mod stream;

pub use seq::SeqNum;
pub use stream::HalfStream;

/// Why a run of bytes was given up on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GapReason {
    /// The peer acknowledged bytes that the capture never saw.
    Acked,
    /// The input ended with the hole still open.
    Eof,
    /// The connection was idle past the timeout with the hole still open.
    Idle,
    /// Out-of-order data past the hole exceeded the buffer cap.
    Capacity,
    /// The connection was evicted from the flow table.
    Evicted,
    /// The snaplen cut the segment short.
    Truncated,
    /// The connection was reset with the hole still open.
    Reset,
}

/// What a [`HalfStream`] reports, in stream order.
#[derive(Debug, PartialEq, Eq)]
pub enum HalfEvent<'a> {
    /// Contiguous bytes starting at stream offset `offset` (0 = the first byte after the SYN,
    /// or the first byte seen when the capture starts mid-stream).
    Data { offset: u64, bytes: &'a [u8] },
    /// `len` bytes at `offset` will never be delivered.
    Gap {
        offset: u64,
        len: u64,
        reason: GapReason,
    },
    /// The sender's FIN, reached once every byte before it was delivered or given up.
    Fin { offset: u64 },
    /// Something odd but survivable (`tcp.*` names), at stream offset `offset`.
    Anomaly { name: &'static str, offset: u64 },
}

/// Memory bounds for one direction.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Out-of-order bytes held waiting for a hole to fill. Past it, the first hole becomes a gap.
    pub max_buffered: usize,
    /// Separate out-of-order ranges held at once.
    pub max_segments: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_buffered: 1 << 20,
            max_segments: 1024,
        }
    }
}
