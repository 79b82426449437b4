//! Expectations: connections the protocol announced before they were opened (`XFR ... SB`,
//! `RNG`, file-transfer invitations, `XFR ... NS`).
//!
//! Why a module of its own: the decoder learns these addresses, the flow table needs them to
//! recognise a connection on any port and to know which end is the server. Guarantees: at
//! most [`MAX_EXPECTED`] addresses are remembered; past that the oldest announced address is
//! forgotten first. Announcing an address again replaces what is known about it but does not
//! make it younger (several switchboard sessions often share one address).

use super::events::{ExpectedKind, FlowId};
use indexmap::IndexMap;
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
    pub announced_by: FlowId,
    /// The cookie the client will present, when the announcement carried one.
    pub cookie: Option<String>,
}

/// The announced addresses, oldest first, bounded by [`MAX_EXPECTED`]: one map that keeps
/// insertion order, so the order cannot drift from the entries.
#[derive(Default)]
pub(super) struct Expected {
    by_server: IndexMap<SocketAddr, Expectation>,
}

impl Expected {
    /// Remembers `e` (an address announced again keeps its place, with what is now known
    /// about it), forgetting the oldest address past the cap. Forgetting shifts the others
    /// (linear in [`MAX_EXPECTED`]), which is nothing at the rate announcements come.
    pub(super) fn insert(&mut self, e: Expectation) {
        self.by_server.insert(e.server, e);
        if self.by_server.len() > MAX_EXPECTED {
            self.by_server.shift_remove_index(0);
        }
    }

    /// What was announced for `server`, if it is still remembered.
    pub(super) fn get(&self, server: &SocketAddr) -> Option<&Expectation> {
        self.by_server.get(server)
    }

    /// How many addresses are remembered.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.by_server.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, SocketAddrV4};

    fn announce(n: usize) -> Expectation {
        Expectation {
            server: SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(0x0a00_0000 + n as u32),
                1864,
            )),
            kind: ExpectedKind::Switchboard,
            announced_by: FlowId(1),
            cookie: Some(format!("cookie{n}")),
        }
    }

    #[test]
    fn past_the_cap_the_oldest_address_is_forgotten_and_the_newest_kept() {
        let mut x = Expected::default();
        for n in 0..MAX_EXPECTED {
            x.insert(announce(n));
        }
        assert_eq!(x.len(), MAX_EXPECTED);
        assert!(x.get(&announce(0).server).is_some());
        x.insert(announce(MAX_EXPECTED));
        assert_eq!(x.len(), MAX_EXPECTED);
        assert!(x.get(&announce(0).server).is_none(), "the oldest goes");
        assert!(x.get(&announce(1).server).is_some());
        assert_eq!(
            x.get(&announce(MAX_EXPECTED).server),
            Some(&announce(MAX_EXPECTED))
        );
    }

    #[test]
    fn announcing_an_address_again_updates_it_but_keeps_its_age() {
        let mut x = Expected::default();
        x.insert(announce(0));
        x.insert(announce(1));
        let mut again = announce(0);
        again.cookie = Some("new".into());
        again.announced_by = FlowId(7);
        x.insert(again.clone());
        assert_eq!(x.get(&again.server), Some(&again));
        // Fill up to the cap: address 0 is still the oldest and goes first.
        for n in 2..=MAX_EXPECTED {
            x.insert(announce(n));
        }
        assert!(x.get(&again.server).is_none());
        assert!(x.get(&announce(1).server).is_some());
    }
}
