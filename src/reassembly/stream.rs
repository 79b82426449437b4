//! One direction of a TCP connection.

use super::{GapReason, HalfEvent, Limits};

/// Reassembles one direction of a connection.
pub struct HalfStream {
    #[allow(dead_code)]
    limits: Limits,
}

impl HalfStream {
    pub fn new(limits: Limits) -> HalfStream {
        HalfStream { limits }
    }

    /// A SYN from this direction: stream offset 0 is `isn + 1`.
    pub fn syn(&mut self, _isn: u32) {}

    /// A segment from this direction (payload and/or FIN).
    pub fn segment(
        &mut self,
        _seq: u32,
        _payload: &[u8],
        _missing: u32,
        _fin: bool,
        _emit: &mut dyn FnMut(HalfEvent<'_>),
    ) {
    }

    /// The peer acknowledged every byte before `ack`.
    pub fn acked(&mut self, _ack: u32, _emit: &mut dyn FnMut(HalfEvent<'_>)) {}

    /// No more segments will come: give up on holes and deliver what is buffered.
    pub fn finish(&mut self, _reason: GapReason, _emit: &mut dyn FnMut(HalfEvent<'_>)) {}
}
