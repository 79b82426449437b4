//! Expectations: connections the protocol announced before they were opened (`XFR ... SB`,
//! `RNG`, file-transfer invitations, `XFR ... NS`).
//!
//! Why a module of its own: the decoder learns these addresses, the flow table needs them to
//! recognise a connection on any port and to know which end is the server. Guarantees: at
//! most [`MAX_EXPECTED`] addresses are remembered; past that the oldest announced address is
//! forgotten first. Announcing an address again replaces what is known about it but does not
//! make it younger (several switchboard sessions often share one address).

use super::events::ExpectedKind;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

/// Announced addresses remembered at once; the oldest is forgotten past that.
pub const MAX_EXPECTED: usize = 4096;

/// A connection the protocol said would come.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// The address the client will connect to.
    pub server: SocketAddr,
    pub kind: ExpectedKind,
    /// The connection that announced it.
    pub announced_by: u64,
    /// The cookie the client will present, when the announcement carried one.
    pub cookie: Option<String>,
}

/// The announced addresses, oldest first, bounded by [`MAX_EXPECTED`].
#[derive(Default)]
pub(super) struct Expected {
    by_server: HashMap<SocketAddr, Expectation>,
    order: VecDeque<SocketAddr>,
}

impl Expected {
    /// Remembers `e`, forgetting the oldest address past the cap.
    pub(super) fn insert(&mut self, e: Expectation) {
        if self.by_server.insert(e.server, e.clone()).is_none() {
            self.order.push_back(e.server);
            if self.order.len() > MAX_EXPECTED
                && let Some(old) = self.order.pop_front()
            {
                self.by_server.remove(&old);
            }
        }
    }

    /// What was announced for `server`, if it is still remembered.
    pub(super) fn get(&self, server: &SocketAddr) -> Option<&Expectation> {
        self.by_server.get(server)
    }
}
