//! Acceptance on the captures bundled in `captures/`: every TCP connection gets the right
//! role, every command the right direction, and no command is lost or invented: the lines and
//! payloads decoded in each direction tile its reassembled stream exactly, byte for byte.

use msnsniff::Direction;
use msnsniff::capture::FileSource;
use msnsniff::event::{Collect, Event, LineEnd, Role};
use msnsniff::session::Decoder;
use std::collections::BTreeMap;

fn decode(name: &str) -> Vec<Event> {
    let path = format!("{}/captures/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut source = FileSource::new(vec![path], None);
    let mut sink = Collect::default();
    let mut decoder = Decoder::new(&mut sink);
    let summary =
        msnsniff::pipeline::run(&mut source, msnsniff::pipeline::msn_config(), &mut decoder)
            .unwrap();
    assert!(summary.capture_error.is_none());
    drop(decoder);
    sink.0
}

/// Roles in connection-id order, and a check that commands tile each direction's stream.
fn roles_and_tiling(events: &[Event]) -> Vec<Role> {
    let mut next: BTreeMap<(u64, Direction), u64> = BTreeMap::new();
    let mut roles = BTreeMap::new();
    for e in events {
        match e {
            Event::Command(c) => {
                let at = next.entry((c.flow.0, c.dir)).or_default();
                assert_eq!(
                    c.offset, *at,
                    "flow {} {:?}: a command was lost or invented before {:?}",
                    c.flow, c.dir, c.verb
                );
                let eol = match c.line_end {
                    LineEnd::Crlf => 2,
                    LineEnd::Lf => 1,
                    LineEnd::None => 0,
                };
                *at += c.line.len() as u64
                    + eol
                    + c.payload_bytes.as_ref().map_or(0, |p| p.len() as u64);
            }
            Event::Anomaly { name, flow, .. } => panic!("anomaly {name} on flow {flow:?}"),
            Event::Gap { .. } => panic!("gap in a complete capture"),
            Event::ConnectionClosed {
                flow,
                role,
                summary,
                ..
            } => {
                let c2s = next
                    .get(&(flow.0, Direction::ClientToServer))
                    .copied()
                    .unwrap_or(0);
                let s2c = next
                    .get(&(flow.0, Direction::ServerToClient))
                    .copied()
                    .unwrap_or(0);
                assert_eq!(
                    c2s, summary.client_bytes,
                    "flow {flow}: client bytes not all framed"
                );
                assert_eq!(
                    s2c, summary.server_bytes,
                    "flow {flow}: server bytes not all framed"
                );
                roles.insert(summary.id.0, *role);
            }
            _ => {}
        }
    }
    assert!(
        roles.keys().copied().eq(1..=roles.len() as u64),
        "ids are 1..n"
    );
    roles.into_values().collect()
}

fn verbs(events: &[Event], flow: u64, dir: Direction) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Command(c) if c.flow.0 == flow && c.dir == dir => Some(c.verb.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn etherdump_msnp8_dispatch_ns_and_switchboard() {
    let ev = decode("etherdump_msn.pcap");
    use Role::*;
    assert_eq!(
        roles_and_tiling(&ev),
        vec![Dispatch, Notification, Dispatch, Notification, Switchboard]
    );
    assert_eq!(
        verbs(&ev, 1, Direction::ClientToServer),
        ["VER", "CVR", "USR"]
    );
    assert_eq!(
        verbs(&ev, 1, Direction::ServerToClient),
        ["VER", "CVR", "XFR"]
    );
    let sb_in = verbs(&ev, 5, Direction::ServerToClient);
    assert_eq!(&sb_in[..3], ["IRO", "ANS", "MSG"]);
}

#[test]
fn practical_packet_analysis_switchboard_without_ver() {
    let ev = decode("ppa_suspectemployeechat.pcap");
    assert_eq!(roles_and_tiling(&ev), vec![Role::Switchboard]);
    let c2s = verbs(&ev, 1, Direction::ClientToServer);
    assert_eq!(&c2s[..2], ["USR", "CAL"]);
    // Seven texts and thirteen typing notifications, all MSG.
    let msgs = ev
        .iter()
        .filter(|e| matches!(e, Event::Command(c) if c.verb == "MSG"))
        .count();
    assert_eq!(msgs, 20);
}

#[test]
fn escargot_msnp11_notification_servers_and_switchboards_on_1864() {
    let ev = decode("escargot_msnp11_full.pcap");
    use Role::*;
    assert_eq!(
        roles_and_tiling(&ev),
        vec![
            Notification,
            Notification,
            Notification,
            Switchboard,
            Switchboard,
            Switchboard
        ]
    );
    // Every switchboard is linked to the notification server that offered it: the one whose
    // `XFR ... SB` or `RNG` carried the cookie the switchboard's first client command presents.
    // The addresses announced are host names, so the switchboards are found by their first
    // bytes and linked by that cookie alone.
    let mut offered: BTreeMap<String, u64> = BTreeMap::new();
    let mut presented: BTreeMap<u64, String> = BTreeMap::new();
    let mut linked: BTreeMap<u64, Option<u64>> = BTreeMap::new();
    for e in &ev {
        match e {
            Event::Command(c)
                if c.dir == Direction::ServerToClient
                    && ((c.verb == "XFR" && c.params[0] == "SB") || c.verb == "RNG") =>
            {
                offered.insert(c.params[3].clone(), c.flow.0);
            }
            Event::Command(c)
                if c.dir == Direction::ClientToServer
                    && c.role == Switchboard
                    && (c.verb == "USR" || c.verb == "ANS") =>
            {
                presented
                    .entry(c.flow.0)
                    .or_insert_with(|| c.params[1].clone());
            }
            Event::ConnectionOpened(c) | Event::ConnectionUpdate(c) if c.role == Switchboard => {
                linked.insert(c.flow.0, c.announced_by.map(|f| f.0));
            }
            _ => {}
        }
    }
    assert_eq!(offered.len(), 3, "{offered:?}");
    assert_eq!(presented.len(), 3, "{presented:?}");
    for (sb, cookie) in &presented {
        assert_eq!(linked.get(sb), Some(&offered.get(cookie).copied()), "{sb}");
    }
    // As read from the capture: alice (connection 3) called, bob (1) and carol (2) answered.
    assert_eq!(
        linked,
        BTreeMap::from([(4, Some(3)), (5, Some(1)), (6, Some(2))])
    );
}

/// The synthetic dialect-family fixtures: right roles, dialects from VER (or inherited by the
/// switchboard), and commands that tile every stream.
#[test]
fn synthetic_dialect_families() {
    use Role::*;
    for (name, roles, dialect) in [
        (
            "synthetic_msnp7_md5.pcap",
            vec![Dispatch, Notification, Switchboard],
            7,
        ),
        (
            "synthetic_msnp11_twn.pcap",
            vec![Notification, Switchboard],
            11,
        ),
        (
            "synthetic_msnp14_adl.pcap",
            vec![Notification, Switchboard],
            14,
        ),
        (
            "synthetic_msnp18_sso.pcap",
            vec![Notification, Switchboard],
            18,
        ),
        ("synthetic_hostile_text.pcap", vec![Switchboard], 0),
    ] {
        let ev = decode(name);
        assert_eq!(roles_and_tiling(&ev), roles, "{name}");
        if dialect > 0 {
            for e in &ev {
                if let Event::Command(c) = e
                    && !(c.verb == "VER" && c.dir == Direction::ClientToServer)
                {
                    assert_eq!(
                        c.dialect.map(|d| d.0),
                        Some(dialect),
                        "{name}: {} {:?}",
                        c.verb,
                        c.params
                    );
                }
            }
        }
    }
}

/// Challenges in the fixtures were answered with the right keys; the decoder must say so.
#[test]
fn synthetic_challenges_are_checked() {
    for name in ["synthetic_msnp7_md5.pcap", "synthetic_msnp11_twn.pcap"] {
        let ev = decode(name);
        let qry = ev
            .iter()
            .find_map(|e| match e {
                Event::Command(c) if c.verb == "QRY" && c.dir == Direction::ClientToServer => {
                    Some(c)
                }
                _ => None,
            })
            .unwrap();
        assert_eq!(
            qry.fields
                .text(msnsniff::msnp::named::Name::ChallengeVerdict),
            Some("valid"),
            "{name}"
        );
    }
}
