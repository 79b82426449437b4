//! Link layer: strips the link header of a frame and says which network protocol follows.
//!
//! Why it exists: captures come from Ethernet (with 802.1Q / QinQ tags), Linux cooked
//! captures (v1 and v2), BSD loopback (NULL and LOOP) and bare IP link types, and everything
//! above only wants "an IPv4 or IPv6 packet starting here".
//!
//! Who parses what: the Ethernet II header, its VLAN tags and the Linux cooked v1 header are
//! sliced by etherparse (`Ethernet2HeaderSlice`, `SingleVlanHeaderSlice`,
//! `LinuxSllHeaderSlice`). The tag loop is ours, so that [`MAX_VLAN_TAGS`] and its anomaly
//! hold (etherparse's whole-packet slicer stops silently after three tags). Linux cooked v2,
//! BSD NULL/LOOP and the raw IP link types have no etherparse type and are read by hand here.
//!
//! Guarantees: never panics and never reads past the captured bytes. A link header cut short
//! gives [`anomaly::TRUNCATED_HEADER`]; a frame that is not IP (ARP, 802.3 LLC, an unknown
//! address family, an unsupported link type) gives `Ok(None)`. The IP version nibble is not
//! checked here except for the raw link type, which has nothing else to go by.

use super::anomaly;
use crate::capture::LinkType;
use etherparse::{
    EtherType, Ethernet2HeaderSlice, LinuxSllHeader, LinuxSllHeaderSlice, SingleVlanHeaderSlice,
    err::linux_sll::HeaderSliceError as SllError,
};

/// The network protocol a link header announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Network {
    Ipv4,
    Ipv6,
}

/// EtherTypes of the VLAN tags we step over: 802.1Q, 802.1ad (QinQ outer) and the older
/// pre-standard QinQ value.
const VLAN_TPIDS: [EtherType; 3] = [
    EtherType::VLAN_TAGGED_FRAME,
    EtherType::PROVIDER_BRIDGING,
    EtherType::VLAN_DOUBLE_TAGGED_FRAME,
];

/// Most VLAN tags stepped over in one frame. QinQ uses two; a few more are tolerated for
/// odd provider setups, but a frame made only of tags is garbage, not a reason to loop.
const MAX_VLAN_TAGS: usize = 4;

/// Length of a Linux cooked v2 header: protocol, reserved, interface index, ARPHRD type,
/// packet type, address length, 8 address bytes.
const SLL2_LEN: usize = 20;

/// BSD address family values: AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD),
/// 28 (FreeBSD, DragonFly) or 30 (macOS).
const AF_INET: u32 = 2;
const AF_INET6: [u32; 3] = [24, 28, 30];

pub(crate) type LinkResult<'a> = Result<Option<(Network, &'a [u8])>, &'static str>;

/// Splits a frame into the network protocol it carries and the network-layer bytes.
pub(crate) fn strip(linktype: LinkType, data: &[u8]) -> LinkResult<'_> {
    match linktype {
        LinkType::Ethernet => ethernet(data),
        LinkType::LinuxSll => linux_sll(data),
        LinkType::LinuxSll2 => {
            // Protocol first, then the rest of the 20-byte header.
            let Some((header, rest)) = data.split_at_checked(SLL2_LEN) else {
                return Err(anomaly::TRUNCATED_HEADER);
            };
            let protocol = EtherType(u16::from_be_bytes([header[0], header[1]]));
            Ok(ethertype(protocol).map(|n| (n, rest)))
        }
        LinkType::Raw => match data.first().map(|b| b >> 4) {
            None => Err(anomaly::TRUNCATED_HEADER),
            Some(4) => Ok(Some((Network::Ipv4, data))),
            Some(6) => Ok(Some((Network::Ipv6, data))),
            Some(_) => Err(anomaly::BAD_IP_VERSION),
        },
        LinkType::Ipv4 => Ok(Some((Network::Ipv4, data))),
        LinkType::Ipv6 => Ok(Some((Network::Ipv6, data))),
        LinkType::Null => {
            let Some((header, rest)) = data.split_at_checked(4) else {
                return Err(anomaly::TRUNCATED_HEADER);
            };
            let bytes = [header[0], header[1], header[2], header[3]];
            // Host byte order of the capturing machine, which the file does not record:
            // accept whichever order gives a known family.
            let family = address_family(u32::from_le_bytes(bytes))
                .or_else(|| address_family(u32::from_be_bytes(bytes)));
            Ok(family.map(|n| (n, rest)))
        }
        LinkType::Loop => {
            let Some((header, rest)) = data.split_at_checked(4) else {
                return Err(anomaly::TRUNCATED_HEADER);
            };
            let af = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
            Ok(address_family(af).map(|n| (n, rest)))
        }
        LinkType::Other(_) => Ok(None),
    }
}

fn ethernet(data: &[u8]) -> LinkResult<'_> {
    let header = Ethernet2HeaderSlice::from_slice(data).map_err(|_| anomaly::TRUNCATED_HEADER)?;
    let mut ether_type = header.ether_type();
    let mut rest = data.get(header.slice().len()..).unwrap_or_default();
    let mut tags = 0;
    while VLAN_TPIDS.contains(&ether_type) {
        if tags == MAX_VLAN_TAGS {
            return Err(anomaly::TOO_MANY_VLAN_TAGS);
        }
        // A tag: 2 bytes of priority/VLAN id, then the next EtherType.
        let tag = SingleVlanHeaderSlice::from_slice(rest).map_err(|_| anomaly::TRUNCATED_HEADER)?;
        ether_type = tag.ether_type();
        rest = rest.get(tag.slice().len()..).unwrap_or_default();
        tags += 1;
    }
    Ok(ethertype(ether_type).map(|n| (n, rest)))
}

/// Linux cooked v1: 16 bytes, the protocol (an EtherType for IP) in the last two.
///
/// etherparse refuses headers whose ARPHRD type or packet type it does not know, but
/// `tcpdump -i any` records loopback (ARPHRD_LOOPBACK), tunnel (ARPHRD_NONE) and PPP
/// interfaces that way, with an ordinary EtherType in the protocol field. For those the
/// protocol field is read by hand, as before etherparse was used here: an IP packet is an IP
/// packet whatever interface it was seen on.
fn linux_sll(data: &[u8]) -> LinkResult<'_> {
    let protocol = match LinuxSllHeaderSlice::from_slice(data) {
        Ok(header) => u16::from(header.protocol_type()),
        Err(SllError::Len(_)) => return Err(anomaly::TRUNCATED_HEADER),
        Err(SllError::Content(_)) => match data.get(14..LinuxSllHeader::LEN) {
            Some(&[hi, lo]) => u16::from_be_bytes([hi, lo]),
            _ => return Err(anomaly::TRUNCATED_HEADER),
        },
    };
    let rest = data.get(LinuxSllHeader::LEN..).unwrap_or_default();
    Ok(ethertype(EtherType(protocol)).map(|n| (n, rest)))
}

fn ethertype(value: EtherType) -> Option<Network> {
    match value {
        EtherType::IPV4 => Some(Network::Ipv4),
        EtherType::IPV6 => Some(Network::Ipv6),
        _ => None,
    }
}

fn address_family(af: u32) -> Option<Network> {
    if af == AF_INET {
        Some(Network::Ipv4)
    } else if AF_INET6.contains(&af) {
        Some(Network::Ipv6)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP4: [u8; 2] = [0x45, 0x00];
    const IP6: [u8; 2] = [0x60, 0x00];

    fn eth(tags: &[(u16, u16)], ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        for &(tpid, vid) in tags {
            f.extend_from_slice(&tpid.to_be_bytes());
            f.extend_from_slice(&vid.to_be_bytes());
        }
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn ethernet_ipv4_and_ipv6() {
        let f = eth(&[], 0x0800, &IP4);
        assert_eq!(
            strip(LinkType::Ethernet, &f),
            Ok(Some((Network::Ipv4, &IP4[..])))
        );
        let f = eth(&[], 0x86dd, &IP6);
        assert_eq!(
            strip(LinkType::Ethernet, &f),
            Ok(Some((Network::Ipv6, &IP6[..])))
        );
    }

    #[test]
    fn ethernet_non_ip_is_ignored() {
        assert_eq!(
            strip(LinkType::Ethernet, &eth(&[], 0x0806, &[0; 28])),
            Ok(None)
        );
        // 802.3 length field instead of an EtherType.
        assert_eq!(strip(LinkType::Ethernet, &eth(&[], 46, &[0; 46])), Ok(None));
    }

    #[test]
    fn vlan_and_qinq_tags_are_stepped_over() {
        for tags in [
            vec![(0x8100, 10)],
            vec![(0x88a8, 100), (0x8100, 10)],
            vec![(0x9100, 100), (0x8100, 10)],
        ] {
            let f = eth(&tags, 0x0800, &IP4);
            assert_eq!(
                strip(LinkType::Ethernet, &f),
                Ok(Some((Network::Ipv4, &IP4[..]))),
                "{tags:?}"
            );
        }
    }

    #[test]
    fn four_vlan_tags_are_still_stepped_over() {
        // etherparse's whole-packet slicer stops after three; our cap is MAX_VLAN_TAGS.
        let f = eth(
            &[(0x88a8, 1), (0x8100, 2), (0x8100, 3), (0x8100, 4)],
            0x86dd,
            &IP6,
        );
        assert_eq!(
            strip(LinkType::Ethernet, &f),
            Ok(Some((Network::Ipv6, &IP6[..])))
        );
    }

    #[test]
    fn endless_vlan_tags_are_an_anomaly() {
        let f = eth(&[(0x8100, 1); 5], 0x0800, &IP4);
        assert_eq!(
            strip(LinkType::Ethernet, &f),
            Err(anomaly::TOO_MANY_VLAN_TAGS)
        );
    }

    #[test]
    fn cut_link_headers_are_truncated() {
        let f = eth(&[(0x8100, 1)], 0x0800, &IP4);
        for cut in [0, 13, 15, 17] {
            assert_eq!(
                strip(LinkType::Ethernet, &f[..cut]),
                Err(anomaly::TRUNCATED_HEADER),
                "cut at {cut}"
            );
        }
        for lt in [
            LinkType::LinuxSll,
            LinkType::LinuxSll2,
            LinkType::Null,
            LinkType::Loop,
            LinkType::Raw,
        ] {
            assert_eq!(strip(lt, &[]), Err(anomaly::TRUNCATED_HEADER), "{lt:?}");
        }
    }

    #[test]
    fn linux_cooked_v1_and_v2() {
        let mut v1 = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x86, 0xdd];
        v1.extend_from_slice(&IP6);
        assert_eq!(
            strip(LinkType::LinuxSll, &v1),
            Ok(Some((Network::Ipv6, &IP6[..])))
        );
        let mut v2 = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
        ];
        v2.extend_from_slice(&IP4);
        assert_eq!(
            strip(LinkType::LinuxSll2, &v2),
            Ok(Some((Network::Ipv4, &IP4[..])))
        );
    }

    #[test]
    fn linux_cooked_v1_from_interfaces_etherparse_does_not_know() {
        // `tcpdump -i any`: loopback (ARPHRD_LOOPBACK 772), a tunnel (ARPHRD_NONE 65534), and
        // a packet type beyond PACKET_KERNEL. etherparse refuses these headers; they are
        // still IP.
        for (packet_type, arphrd) in [(0u16, 772u16), (4, 65534), (9, 1)] {
            let mut f = packet_type.to_be_bytes().to_vec();
            f.extend_from_slice(&arphrd.to_be_bytes());
            f.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00]);
            f.extend_from_slice(&IP4);
            assert_eq!(
                strip(LinkType::LinuxSll, &f),
                Ok(Some((Network::Ipv4, &IP4[..]))),
                "{packet_type} {arphrd}"
            );
            assert_eq!(
                strip(LinkType::LinuxSll, &f[..15]),
                Err(anomaly::TRUNCATED_HEADER)
            );
        }
        // Netlink traffic (ARPHRD_NETLINK 824) carries a netlink protocol number: not IP.
        let mut f = vec![0, 4, 0x03, 0x38, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        f.extend_from_slice(&IP4);
        assert_eq!(strip(LinkType::LinuxSll, &f), Ok(None));
    }

    #[test]
    fn raw_picks_version_from_the_first_nibble() {
        assert_eq!(
            strip(LinkType::Raw, &IP4),
            Ok(Some((Network::Ipv4, &IP4[..])))
        );
        assert_eq!(
            strip(LinkType::Raw, &IP6),
            Ok(Some((Network::Ipv6, &IP6[..])))
        );
        assert_eq!(strip(LinkType::Raw, &[0x50]), Err(anomaly::BAD_IP_VERSION));
        assert_eq!(
            strip(LinkType::Ipv4, &IP4),
            Ok(Some((Network::Ipv4, &IP4[..])))
        );
        assert_eq!(
            strip(LinkType::Ipv6, &IP6),
            Ok(Some((Network::Ipv6, &IP6[..])))
        );
    }

    #[test]
    fn null_accepts_both_byte_orders_and_every_bsd_inet6() {
        for af in [2u32, 24, 28, 30] {
            let want = if af == 2 {
                Network::Ipv4
            } else {
                Network::Ipv6
            };
            for header in [af.to_le_bytes(), af.to_be_bytes()] {
                let mut f = header.to_vec();
                f.extend_from_slice(&IP4);
                assert_eq!(
                    strip(LinkType::Null, &f),
                    Ok(Some((want, &IP4[..]))),
                    "{af}"
                );
            }
        }
        assert_eq!(strip(LinkType::Null, &[7, 0, 0, 0, 0x45]), Ok(None));
    }

    #[test]
    fn loop_is_network_order() {
        let mut f = 24u32.to_be_bytes().to_vec();
        f.extend_from_slice(&IP6);
        assert_eq!(
            strip(LinkType::Loop, &f),
            Ok(Some((Network::Ipv6, &IP6[..])))
        );
        let mut f = 2u32.to_be_bytes().to_vec();
        f.extend_from_slice(&IP4);
        assert_eq!(
            strip(LinkType::Loop, &f),
            Ok(Some((Network::Ipv4, &IP4[..])))
        );
    }

    #[test]
    fn other_link_types_are_ignored() {
        assert_eq!(strip(LinkType::Other(105), &IP4), Ok(None));
    }
}
