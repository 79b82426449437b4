//! The consumer side of the flow layer: whatever takes its events (the MSNP decoder, `--dump`).
//!
//! Why it lives here: the trait is the flow layer's output interface, stated in the flow
//! layer's own types ([`FlowEvent`], [`Expectation`]), so the layers after it depend on the flow
//! layer and not the other way round. Guarantee of the callers ([`crate::pipeline::run`]):
//! events arrive in capture order, and the expectations a consumer hands back are given to the
//! flow table before the next packet.

use super::events::FlowEvent;
use super::expect::Expectation;
use std::io;

/// Whatever takes the flow table's events: the MSNP decoder, the `--dump` writer.
pub trait FlowConsumer {
    /// One event, in capture order. An error here (an output failure) stops the run.
    fn event(&mut self, ev: &FlowEvent<'_>) -> io::Result<()>;

    /// Connections the protocol announced since the last call.
    fn take_expectations(&mut self) -> Vec<Expectation> {
        Vec::new()
    }
}
