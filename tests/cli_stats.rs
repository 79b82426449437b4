//! `msnsniff stats`, run as a user runs it: its JSON counts equal counts computed here, apart
//! from the stats code, from `read --format jsonl` of the same capture; the principals of a
//! real capture; the schema; the table's sections; exit codes.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use support::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn capture(name: &str) -> String {
    root()
        .join("captures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn stats_json(file: &str) -> Value {
    let o = msnsniff(&["stats", "--format", "json", file]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("one JSON document")
}

fn events(file: &str) -> Vec<Value> {
    let o = msnsniff(&["read", "--format", "jsonl", file]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    jsonl(&o)
}

/// `rows` (an array of objects) as a map from the values of `keys` to the value of `count`.
fn table(rows: &Value, keys: &[&str], count: &str) -> BTreeMap<Vec<String>, u64> {
    let mut m = BTreeMap::new();
    for r in rows.as_array().expect("an array") {
        let key: Vec<String> = keys.iter().map(|k| r[*k].to_string()).collect();
        assert!(
            m.insert(key, r[count].as_u64().expect("a count")).is_none(),
            "one row per key: {r}"
        );
    }
    m
}

fn add(m: &mut BTreeMap<Vec<String>, u64>, key: Vec<Value>, n: u64) {
    let key = key.iter().map(Value::to_string).collect();
    *m.entry(key).or_default() += n;
}

/// The counts of every table, from the events, in the shapes of `table`.
struct Expected {
    commands: BTreeMap<Vec<String>, u64>,
    roles: BTreeMap<Vec<String>, u64>,
    errors: BTreeMap<Vec<String>, u64>,
    anomalies: BTreeMap<Vec<String>, u64>,
    gaps: BTreeMap<Vec<String>, u64>,
    gap_bytes: BTreeMap<Vec<String>, u64>,
}

fn expected(events: &[Value]) -> Expected {
    let mut e = Expected {
        commands: BTreeMap::new(),
        roles: BTreeMap::new(),
        errors: BTreeMap::new(),
        anomalies: BTreeMap::new(),
        gaps: BTreeMap::new(),
        gap_bytes: BTreeMap::new(),
    };
    // The last dialect each connection reported.
    let mut dialect: BTreeMap<u64, Value> = BTreeMap::new();
    // Client requests by (connection, TrID): the latest verb.
    let mut requests: BTreeMap<(u64, u64), Value> = BTreeMap::new();
    for ev in events {
        let flow = ev["flow"].as_u64().unwrap_or(0);
        match ev["type"].as_str().unwrap() {
            "connection_opened" | "connection_update" => {
                dialect.insert(flow, ev["dialect"].clone());
            }
            "connection_closed" => add(
                &mut e.roles,
                vec![ev["role"].clone(), dialect[&flow].clone()],
                1,
            ),
            "command" => {
                let verb = ev["verb"].as_str().unwrap();
                add(
                    &mut e.commands,
                    vec![ev["verb"].clone(), ev["dir"].clone()],
                    1,
                );
                if verb.len() == 3 && verb.bytes().all(|b| b.is_ascii_digit()) {
                    let request = ev["trid"]
                        .as_u64()
                        .and_then(|t| requests.get(&(flow, t)).cloned())
                        .unwrap_or(Value::Null);
                    let code: u64 = verb.parse().unwrap();
                    add(&mut e.errors, vec![json!(code), request], 1);
                } else if ev["dir"] == "c2s"
                    && let Some(t) = ev["trid"].as_u64()
                {
                    requests.insert((flow, t), ev["verb"].clone());
                }
            }
            "anomaly" => add(&mut e.anomalies, vec![ev["name"].clone()], 1),
            "gap" => {
                add(&mut e.gaps, vec![ev["reason"].clone()], 1);
                add(
                    &mut e.gap_bytes,
                    vec![ev["reason"].clone()],
                    ev["len"].as_u64().unwrap(),
                );
            }
            _ => {}
        }
    }
    e
}

fn check_counts(name: &str) -> Value {
    let file = capture(name);
    let s = stats_json(&file);
    let e = expected(&events(&file));
    assert_eq!(
        table(&s["commands"], &["verb", "dir"], "count"),
        e.commands,
        "{name}: commands"
    );
    assert_eq!(
        table(&s["connections"], &["role", "dialect"], "count"),
        e.roles,
        "{name}: connections"
    );
    assert_eq!(
        table(&s["errors"], &["code", "request"], "count"),
        e.errors,
        "{name}: errors"
    );
    assert_eq!(
        table(&s["anomalies"], &["name"], "count"),
        e.anomalies,
        "{name}: anomalies"
    );
    assert_eq!(
        table(&s["gaps"], &["reason"], "count"),
        e.gaps,
        "{name}: gaps"
    );
    assert_eq!(
        table(&s["gaps"], &["reason"], "bytes"),
        e.gap_bytes,
        "{name}: gap bytes"
    );
    assert_eq!(s["others"]["commands"], 0);
    s
}

#[test]
fn etherdump_counts_match_the_events() {
    let s = check_counts("etherdump_msn.pcap");
    assert!(!s["commands"].as_array().unwrap().is_empty());
}

#[test]
fn escargot_counts_match_the_events() {
    let file = capture("escargot_msnp11_full.pcap");
    let s = check_counts("escargot_msnp11_full.pcap");
    // Three users, each with a notification server and a switchboard connection to the same
    // session: one conversation, its three connections merged.
    assert_eq!(s["principals"].as_array().unwrap().len(), 3);
    let convs = s["conversations"].as_array().unwrap();
    assert_eq!(convs.len(), 1, "{s}");
    let mut sb: Vec<u64> = events(&file)
        .iter()
        .filter(|e| e["type"] == "connection_closed" && e["role"] == "SB")
        .map(|e| e["flow"].as_u64().unwrap())
        .collect();
    sb.sort_unstable();
    assert_eq!(convs[0]["flows"], json!(sb));
    // Every participant's connection is captured, so each text message is the client `MSG`
    // of exactly one of them: counted once, not once per connection that relayed it.
    let sent = events(&file)
        .iter()
        .filter(|e| e["verb"] == "MSG" && e["dir"] == "c2s" && e["msnc"]["kind"] == "text")
        .count();
    let relayed = events(&file)
        .iter()
        .filter(|e| e["verb"] == "MSG" && e["dir"] == "s2c" && e["msnc"]["kind"] == "text")
        .count();
    assert!(relayed > sent, "the relayed copies outnumber the messages");
    assert_eq!(convs[0]["messages"], sent);
    assert_eq!(
        convs[0]["principals"].as_array().unwrap().len(),
        3,
        "three local sides: {s}"
    );
}

#[test]
fn errors_anomalies_and_gaps_match_the_events() {
    let s = check_counts("synthetic_msnp7_md5.pcap");
    let errors = s["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{s}");
    assert_eq!(errors[0]["code"], 217);
    assert_eq!(errors[0]["meaning"], "principal not online");
    assert!(errors[0]["request"].is_string(), "{s}");
    let s = check_counts("independent_edge_segmentation.pcap");
    assert!(!s["anomalies"].as_array().unwrap().is_empty());
    assert!(!s["gaps"].as_array().unwrap().is_empty());
}

#[test]
fn etherdump_has_one_principal_with_its_client_and_address() {
    let s = stats_json(&capture("etherdump_msn.pcap"));
    let p = s["principals"].as_array().unwrap();
    assert_eq!(p.len(), 1, "{s}");
    assert_eq!(p[0]["handle"], "fengzejin@hotmail.com");
    assert_eq!(p[0]["client_name"], "MSMSGS");
    assert_eq!(p[0]["client_version"], "4.7.3001");
    assert_eq!(p[0]["ip"], "192.168.8.77");
    assert_eq!(p[0]["msnc"], 0);
    assert_eq!(p[0]["client_caps"], json!(["packet"]));
    assert_eq!(p[0]["conversations"], 1);
    assert!(p[0]["login_ts"].is_number());
    // The one switchboard session (connection 5), with the contact it met; two texts (frames
    // 136 and 140).
    let c = &s["conversations"][0];
    assert_eq!(c["flows"], json!([5]));
    assert_eq!(c["principals"], json!(["fengzejin@hotmail.com"]));
    assert_eq!(c["participants"], json!(["zhangmeiqing_2009@126.com"]));
    assert_eq!(c["messages"], 2);
}

#[test]
fn every_capture_validates_against_the_schema() {
    let text = std::fs::read_to_string(root().join("docs/stats.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let v = jsonschema::draft202012::new(&schema).expect("the schema compiles");
    let mut names: Vec<_> = std::fs::read_dir(root().join("captures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    names.sort();
    assert!(names.len() > 10);
    for path in names {
        let o = msnsniff(&["stats", "--format", "json", path.to_str().unwrap()]);
        let doc: Value = serde_json::from_slice(&o.stdout).expect("JSON");
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
    // Strict enough to catch a misspelt key.
    let mut doc = stats_json(&capture("etherdump_msn.pcap"));
    doc["commands"][0]["verbs"] = json!("X");
    assert!(!v.is_valid(&doc));
}

#[test]
fn the_table_has_every_section() {
    let o = msnsniff(&["stats", &capture("etherdump_msn.pcap")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    for title in [
        "Connections by role and dialect",
        "Principals",
        "Conversations (switchboard sessions, captured connections merged",
        "Commands by verb and direction",
        "Errors",
        "Presence changes",
        "Objects",
        "Anomalies",
        "Gaps",
    ] {
        assert!(t.contains(title), "no {title:?} in\n{t}");
    }
    for header in [
        "role",
        "dialect",
        "principal",
        "client id caps",
        "login (UTC)",
        "c→s",
    ] {
        assert!(t.contains(header), "no {header:?} in\n{t}");
    }
    assert!(
        t.contains("MSMSGS 4.7.3001") && t.contains("192.168.8.77"),
        "{t}"
    );
}

#[test]
fn a_capture_without_msn_traffic_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let mut c = Conv::new(LINKTYPE_ETHERNET, "10.0.0.1:1863", "10.0.0.9:80", 1, 2);
    c.handshake(&mut p);
    c.client(&mut p, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let path = dir.path().join("http.pcap");
    p.write(&path);
    let o = msnsniff(&["stats", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
}

#[test]
fn a_missing_file_exits_2() {
    let o = msnsniff(&["stats", "/nonexistent/capture.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!stderr(&o).is_empty());
}

#[test]
fn extract_counts_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("objects");
    let o = msnsniff(&[
        "stats",
        "--format",
        "json",
        "--extract",
        out.to_str().unwrap(),
        &capture("synthetic_msnftp.pcap"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    let written: u64 = s["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["extracted"].as_u64().unwrap())
        .sum();
    let files = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none_or(|x| x != "json"))
        .count();
    assert!(written > 0, "{s}");
    assert_eq!(written as usize, files, "{s}");
}
