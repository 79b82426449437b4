//! Expectations: connections the protocol announced before they were opened (`XFR ... SB`,
//! `RNG`, file-transfer invitations, `XFR ... NS`).
//!
//! Why a module of its own: the decoder learns these addresses, the flow table needs them to
//! recognise a connection on any port and to know which end is the server. Guarantees: at
//! most [`MAX_EXPECTED`] addresses are remembered; past that the oldest announced address is
//! forgotten first; if no connection had come to it since it was announced, it is given back
//! so that the table reports it (`flow.expectation_evicted`): a connection to it would now be
//! told apart by its content only. Announcing an address again replaces what is known about it but does not
//! make it younger (several switchboard sessions often share one address). An address
//! announced to one client (its IP address) is expected only from that client.

use super::events::{ExpectedKind, FlowId};
use crate::bounded::FifoMap;
use std::net::{IpAddr, SocketAddr};

/// Announced addresses remembered at once; the oldest is forgotten past that.
pub const MAX_EXPECTED: usize = 4096;

/// A connection the protocol said would come.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// The address the client will connect to.
    pub server: SocketAddr,
    /// The address the connection will come from, when the announcement says (a switchboard
    /// or notification server is announced to one client, who connects from where it is);
    /// `None` when anyone may come (a file-transfer peer).
    pub client: Option<IpAddr>,
    pub kind: ExpectedKind,
    /// The connection that announced it.
    pub announced_by: FlowId,
    /// The cookie the client will present, when the announcement carried one.
    pub cookie: Option<String>,
}

/// The announced addresses, oldest first, bounded by [`MAX_EXPECTED`], keyed by who may
/// connect and where to: one busy notification server is announced to many clients, and
/// each client's connection belongs to the announcement it received.
pub(super) struct Expected {
    by_address: FifoMap<(Option<IpAddr>, SocketAddr), Slot>,
}

/// An announcement, and whether a connection has come to it since.
struct Slot {
    e: Expectation,
    used: bool,
}

impl Default for Expected {
    fn default() -> Self {
        Expected {
            by_address: FifoMap::new(MAX_EXPECTED),
        }
    }
}

impl Expected {
    /// Remembers `e` (an address announced again keeps its place, with what is now known
    /// about it, waiting for a connection again), forgetting the oldest address past the cap:
    /// that one is returned if no connection came to it.
    pub(super) fn insert(&mut self, e: Expectation) -> Option<Expectation> {
        let (_, forgotten) = self
            .by_address
            .insert((e.client, e.server), Slot { e, used: false })?;
        (!forgotten.used).then_some(forgotten.e)
    }

    /// What was announced for a connection from `client` to `server`, if it is still
    /// remembered: an announcement to that client first, then one to anybody.
    pub(super) fn get(&self, client: &SocketAddr, server: &SocketAddr) -> Option<&Expectation> {
        self.by_address
            .get(&(Some(client.ip()), *server))
            .or_else(|| self.by_address.get(&(None, *server)))
            .map(|slot| &slot.e)
    }

    /// Notes that a connection from `client` came to `server` as announced.
    pub(super) fn used(&mut self, client: &SocketAddr, server: &SocketAddr) {
        let mine = (Some(client.ip()), *server);
        let key = if self.by_address.contains_key(&mine) {
            mine
        } else {
            (None, *server)
        };
        if let Some(slot) = self.by_address.get_mut(&key) {
            slot.used = true;
        }
    }

    /// How many addresses are remembered.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.by_address.len()
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
            client: None,
            kind: ExpectedKind::Switchboard,
            announced_by: FlowId(1),
            cookie: Some(format!("cookie{n}")),
        }
    }

    fn anyone() -> SocketAddr {
        "192.0.2.99:40000".parse().unwrap()
    }

    #[test]
    fn an_announcement_to_one_client_is_not_another_clients() {
        let mut x = Expected::default();
        let server: SocketAddr = "10.0.0.5:1863".parse().unwrap();
        let alice: SocketAddr = "192.0.2.1:3000".parse().unwrap();
        let bob: SocketAddr = "192.0.2.2:3000".parse().unwrap();
        x.insert(Expectation {
            server,
            client: Some(alice.ip()),
            kind: ExpectedKind::Notification,
            announced_by: FlowId(4),
            cookie: None,
        });
        assert_eq!(
            x.get(&alice, &server).map(|e| e.announced_by),
            Some(FlowId(4))
        );
        assert_eq!(x.get(&bob, &server), None);
        // An announcement to anyone (a file-transfer peer) matches every client.
        x.insert(Expectation {
            server,
            client: None,
            kind: ExpectedKind::FileTransfer,
            announced_by: FlowId(9),
            cookie: None,
        });
        assert_eq!(
            x.get(&bob, &server).map(|e| e.announced_by),
            Some(FlowId(9))
        );
        assert_eq!(
            x.get(&alice, &server).map(|e| e.announced_by),
            Some(FlowId(4))
        );
    }

    #[test]
    fn past_the_cap_the_oldest_address_is_forgotten_and_the_newest_kept() {
        let mut x = Expected::default();
        for n in 0..MAX_EXPECTED {
            x.insert(announce(n));
        }
        assert_eq!(x.len(), MAX_EXPECTED);
        assert!(x.get(&anyone(), &announce(0).server).is_some());
        x.insert(announce(MAX_EXPECTED));
        assert_eq!(x.len(), MAX_EXPECTED);
        assert!(
            x.get(&anyone(), &announce(0).server).is_none(),
            "the oldest goes"
        );
        assert!(x.get(&anyone(), &announce(1).server).is_some());
        assert_eq!(
            x.get(&anyone(), &announce(MAX_EXPECTED).server),
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
        assert_eq!(x.get(&anyone(), &again.server), Some(&again));
        // Fill up to the cap: address 0 is still the oldest and goes first.
        for n in 2..=MAX_EXPECTED {
            x.insert(announce(n));
        }
        assert!(x.get(&anyone(), &again.server).is_none());
        assert!(x.get(&anyone(), &announce(1).server).is_some());
    }
}
