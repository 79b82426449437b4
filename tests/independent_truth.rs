//! The decoder against ground truth it did not write: `captures/independent_*.pcap` and their
//! `captures/gen/*.truth.json` come from `captures/gen/fixtures.py`, a Python generator written
//! from the protocol reference alone. Per connection: MSN or not, role, dialect, the exact
//! sequence of verbs each way, and the uncaptured byte ranges.

use msnsniff::Direction;
use msnsniff::capture::FileSource;
use msnsniff::event::{Collect, DialectSource, Event, LineEnd, Role};
use msnsniff::session::Decoder;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures")
}

fn check(name: &str) {
    let truth: Value = serde_json::from_slice(
        &std::fs::read(root().join(format!("gen/{name}.truth.json"))).unwrap(),
    )
    .unwrap();
    let pcap = root()
        .join(format!("{name}.pcap"))
        .to_string_lossy()
        .into_owned();
    let mut source = FileSource::new(vec![pcap], None);
    let mut sink = Collect::default();
    let mut decoder = Decoder::new(&mut sink);
    msnsniff::pipeline::run(&mut source, msnsniff::pipeline::msn_config(), &mut decoder).unwrap();
    drop(decoder);
    let events = sink.0;

    // What we found, per connection.
    let mut flows: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut roles: BTreeMap<u64, Role> = BTreeMap::new();
    let mut dialects: BTreeMap<u64, (Option<String>, Option<DialectSource>)> = BTreeMap::new();
    let mut verbs: BTreeMap<(u64, Direction), Vec<String>> = BTreeMap::new();
    let mut cut: BTreeMap<(u64, Direction), Vec<String>> = BTreeMap::new();
    let mut gaps: BTreeMap<(u64, Direction), Vec<(u64, u64)>> = BTreeMap::new();
    for e in &events {
        match e {
            Event::ConnectionOpened(c) | Event::ConnectionUpdate(c) => {
                flows.insert((c.client.to_string(), c.server.to_string()), c.flow.0);
                dialects.insert(
                    c.flow.0,
                    (c.dialect.map(|d| d.to_string()), c.dialect_source),
                );
            }
            Event::Command(c) if c.line_end == LineEnd::None => cut
                .entry((c.flow.0, c.dir))
                .or_default()
                .push(c.verb.to_string()),
            Event::Command(c) => verbs
                .entry((c.flow.0, c.dir))
                .or_default()
                .push(c.verb.to_string()),
            Event::Gap {
                flow,
                dir,
                offset,
                len,
                ..
            } => gaps
                .entry((flow.0, *dir))
                .or_default()
                .push((*offset, offset + len)),
            Event::ConnectionClosed { flow, role, .. } => {
                roles.insert(flow.0, *role);
            }
            _ => {}
        }
    }

    for conn in truth["connections"].as_array().unwrap() {
        let key = (
            conn["client"].as_str().unwrap().to_string(),
            conn["server"].as_str().unwrap().to_string(),
        );
        let role = conn["role"].as_str().unwrap();
        let flow = flows.get(&key).copied();
        if role == "none" {
            assert!(flow.is_none(), "{name}: {key:?} is not MSN");
            continue;
        }
        let flow = flow.unwrap_or_else(|| panic!("{name}: {key:?} not found"));
        assert_eq!(roles[&flow].as_str(), role, "{name}: role of {key:?}");
        // A dialect from VER or inherited from the NS must be exact; one inferred without VER
        // is a labelled guess (a client id gives the version it usually spoke).
        if let Some(d) = conn["dialect"].as_str() {
            let (got, source) = &dialects[&flow];
            if *source == Some(DialectSource::Inferred) {
                assert!(got.is_some(), "{name}: no dialect inferred for {key:?}");
            } else {
                assert_eq!(got.as_deref(), Some(d), "{name}: dialect of {key:?}");
            }
        }
        let midstream = conn["starts_mid_stream"].as_bool().unwrap_or(false);
        for (dir, side) in [
            (Direction::ClientToServer, "c2s"),
            (Direction::ServerToClient, "s2c"),
        ] {
            let want: Vec<String> = conn[side]["verbs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            let got = verbs.get(&(flow, dir)).cloned().unwrap_or_default();
            assert_eq!(got, want, "{name}: verbs of {key:?} {side}");
            // A line cut by a gap is reported as cut, and only a line the truth says was partly
            // captured.
            let partly: Vec<String> = conn[side]["lost_verbs"]
                .as_array()
                .map(|l| {
                    l.iter()
                        .filter(|v| v["captured"] == "partly")
                        .map(|v| v["verb"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default();
            for v in cut.get(&(flow, dir)).into_iter().flatten() {
                assert!(
                    partly.contains(v),
                    "{name}: {key:?} {side}: unexpected cut {v}"
                );
            }
            // Offsets count from the first byte sent, which a mid-stream capture never saw.
            if !midstream {
                let want_gaps: Vec<(u64, u64)> = conn[side]["uncaptured_ranges"]
                    .as_array()
                    .map(|r| {
                        r.iter()
                            .map(|p| (p[0].as_u64().unwrap(), p[1].as_u64().unwrap()))
                            .collect()
                    })
                    .unwrap_or_default();
                let got_gaps = gaps.get(&(flow, dir)).cloned().unwrap_or_default();
                assert_eq!(got_gaps, want_gaps, "{name}: gaps of {key:?} {side}");
            }
        }
    }
}

#[test]
fn independent_fixtures_match_their_truth() {
    for name in [
        "independent_msnp2_md5",
        "independent_msnp8_twn",
        "independent_msnp13_adl",
        "independent_msnp15_sso",
        "independent_edge_segmentation",
        "independent_hostile_text",
        "independent_other_ports",
    ] {
        check(name);
    }
}
