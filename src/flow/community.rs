//! The Community ID of a connection (version 1 of the Corelight specification), the flow
//! hash Zeek, Suricata and others write, so that msnsniff's connections join with their logs
//! by a plain string comparison.
//!
//! Why a module of its own: it is a pure function of a connection's two endpoints with a
//! published definition, tested against the specification's own vectors. Guarantees: the
//! same value whichever endpoint is given first; the default seed 0, as those tools use; the
//! small per-thread table of recently made ids changes no answer, only how often SHA-1 runs.

use base64::Engine;
use sha1::{Digest, Sha1};
use std::net::{IpAddr, SocketAddr};

/// IANA protocol number of TCP, the only transport msnsniff follows.
const TCP: u8 = 6;

/// `1:` and the base64 of the SHA-1 of seed, addresses, protocol and ports, the smaller
/// endpoint (address, then port) first.
pub fn community_id(a: SocketAddr, b: SocketAddr) -> String {
    community_id_seeded(a, b, 0)
}

/// [`community_id`] with another seed (the tools' `--seed`).
pub fn community_id_seeded(a: SocketAddr, b: SocketAddr, seed: u16) -> String {
    // Every event about a connection carries its id (two or more per connection), and SHA-1
    // is most of the cost: the ids made last are kept, by endpoints, in a small table of
    // this thread's. The answer is the same with or without it; it only saves the hashing.
    let key = (a, b, seed);
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        let slot = {
            use std::hash::BuildHasher;
            foldhash::fast::FixedState::with_seed(0).hash_one(key) as usize % RECENT_SLOTS
        };
        if let Some((k, id)) = &recent[slot]
            && *k == key
        {
            return id.clone();
        }
        let id = compute(a, b, seed);
        recent[slot] = Some((key, id.clone()));
        id
    })
}

/// Slots of the table of recent ids: more than the connections whose events interleave at
/// one time in most captures, and a few kilobytes.
const RECENT_SLOTS: usize = 64;

type Recent = Vec<Option<((SocketAddr, SocketAddr, u16), String)>>;

thread_local! {
    static RECENT: std::cell::RefCell<Recent> =
        std::cell::RefCell::new(vec![None; RECENT_SLOTS]);
}

fn compute(a: SocketAddr, b: SocketAddr, seed: u16) -> String {
    // The hashed bytes are laid out on the stack and hashed at once, and the text made with
    // one allocation.
    let (a_ip, b_ip) = (ip_bytes(a.ip()), ip_bytes(b.ip()));
    let ka = (&a_ip.0[..a_ip.1], a.port());
    let kb = (&b_ip.0[..b_ip.1], b.port());
    let (x, y) = if ka > kb { (kb, ka) } else { (ka, kb) };
    let mut input = [0u8; 2 + 16 + 16 + 2 + 4];
    let mut n = 0;
    for part in [&seed.to_be_bytes()[..], x.0, y.0, &[TCP, 0]] {
        input[n..n + part.len()].copy_from_slice(part);
        n += part.len();
    }
    for port in [x.1, y.1] {
        input[n..n + 2].copy_from_slice(&port.to_be_bytes());
        n += 2;
    }
    let digest = Sha1::digest(&input[..n]);
    let mut text = [0u8; 2 + 28];
    text[..2].copy_from_slice(b"1:");
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(digest, &mut text[2..])
        .unwrap_or(0);
    // Base64 is ASCII: nothing is replaced.
    String::from_utf8_lossy(&text[..2 + written]).into_owned()
}

/// An address's bytes as the packet carried them (an IPv4-mapped IPv6 address stays sixteen
/// bytes) and how many there are. Endpoints are ordered by these bytes, then by port.
fn ip_bytes(ip: IpAddr) -> ([u8; 16], usize) {
    let mut out = [0u8; 16];
    match ip {
        IpAddr::V4(v4) => {
            out[..4].copy_from_slice(&v4.octets());
            (out, 4)
        }
        IpAddr::V6(v6) => (v6.octets(), 16),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("address")
    }

    #[test]
    fn published_vectors_either_way_round() {
        // From the specification's examples (TCP, seed 0).
        let (a, b) = (addr("1.2.3.4:4584"), addr("43.3.132.3:3483"));
        assert_eq!(community_id(a, b), "1:koNcqhFRD5kb254ZrLsdv630jCM=");
        assert_eq!(community_id(b, a), "1:koNcqhFRD5kb254ZrLsdv630jCM=");
        let (c, d) = (addr("128.232.110.120:34855"), addr("66.35.250.204:80"));
        assert_eq!(community_id(c, d), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
        assert_eq!(
            community_id_seeded(c, d, 1),
            "1:3V71V58M3Ksw/yuFALMcW0LAHvc="
        );
    }

    /// The definition written plainly: the endpoints' bytes in growable vectors, ordered,
    /// hashed piece by piece.
    fn reference(a: SocketAddr, b: SocketAddr, seed: u16) -> String {
        let bytes = |ip: IpAddr| match ip {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        let (mut x, mut y) = ((bytes(a.ip()), a.port()), (bytes(b.ip()), b.port()));
        if x > y {
            std::mem::swap(&mut x, &mut y);
        }
        let mut h = Sha1::new();
        h.update(seed.to_be_bytes());
        h.update(&x.0);
        h.update(&y.0);
        h.update([TCP, 0]);
        h.update(x.1.to_be_bytes());
        h.update(y.1.to_be_bytes());
        format!(
            "1:{}",
            base64::engine::general_purpose::STANDARD.encode(h.finalize())
        )
    }

    fn any_addr() -> impl proptest::strategy::Strategy<Value = SocketAddr> {
        use proptest::prelude::*;
        prop_oneof![
            (any::<[u8; 4]>(), any::<u16>()).prop_map(|(ip, p)| SocketAddr::from((ip, p))),
            (any::<[u8; 16]>(), any::<u16>()).prop_map(|(ip, p)| SocketAddr::from((ip, p))),
            // Near neighbours: the same address, or the same port, or a mapped address.
            (any::<[u8; 4]>(), 0u16..3).prop_map(|(ip, p)| SocketAddr::from((ip, p))),
            (any::<[u8; 4]>(), 0u16..3).prop_map(|(ip, p)| SocketAddr::from((
                std::net::Ipv4Addr::from(ip).to_ipv6_mapped(),
                p
            ))),
        ]
    }

    proptest::proptest! {
        #[test]
        fn equals_the_plain_definition(a in any_addr(), b in any_addr(), seed: u16) {
            proptest::prop_assert_eq!(community_id_seeded(a, b, seed), reference(a, b, seed));
            proptest::prop_assert_eq!(community_id_seeded(a, a, seed), reference(a, a, seed));
        }

        /// Many connections, each asked for again and again, out of order: the table of recent
        /// ids (64 slots, so slots are shared and overwritten) never gives another's id.
        #[test]
        fn the_table_of_recent_ids_changes_no_answer(
            pairs in proptest::collection::vec((any_addr(), any_addr()), 1..120),
            order in proptest::collection::vec(0usize..1000, 0..240),
        ) {
            for i in (0..pairs.len()).chain(order.iter().map(|i| i % pairs.len())) {
                let (a, b) = pairs[i];
                proptest::prop_assert_eq!(community_id_seeded(a, b, 0), reference(a, b, 0));
                proptest::prop_assert_eq!(community_id_seeded(b, a, 0), reference(a, b, 0));
            }
        }
    }

    #[test]
    fn ipv6_endpoints_hash_their_sixteen_bytes() {
        let (a, b) = (addr("[fe80::1]:1863"), addr("[fe80::2]:50000"));
        assert_eq!(community_id(a, b), community_id(b, a));
        assert_ne!(community_id(a, b), community_id(addr("[fe80::1]:1864"), b));
        assert!(community_id(a, b).starts_with("1:") && community_id(a, b).len() == 30);
    }
}
