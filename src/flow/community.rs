//! The Community ID of a connection (version 1 of the Corelight specification), the flow
//! hash Zeek, Suricata and others write, so that msnsniff's connections join with their logs
//! by a plain string comparison.
//!
//! Why a module of its own: it is a pure function of a connection's two endpoints with a
//! published definition, tested against the specification's own vectors. Guarantees: the
//! same value whichever endpoint is given first; the default seed 0, as those tools use.

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
    let bytes = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        // As the packet carried it: an IPv4-mapped IPv6 address stays sixteen bytes.
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

    #[test]
    fn ipv6_endpoints_hash_their_sixteen_bytes() {
        let (a, b) = (addr("[fe80::1]:1863"), addr("[fe80::2]:50000"));
        assert_eq!(community_id(a, b), community_id(b, a));
        assert_ne!(community_id(a, b), community_id(addr("[fe80::1]:1864"), b));
        assert!(community_id(a, b).starts_with("1:") && community_id(a, b).len() == 30);
    }
}
