//! TCP sequence numbers: 32-bit, wrapping, compared by signed distance.

/// A TCP sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SeqNum(pub u32);
