//! `msnsniff transcripts` end to end: the real Escargot capture, whose three captured
//! connections to one switchboard session make one conversation with each message once;
//! JSON that matches its schema; hostile text inert; exit codes.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use support::*;

fn capture(name: &str) -> String {
    format!("{}/captures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs `transcripts` into a fresh directory: the exit code, the paths printed, the directory.
fn transcripts(capture: &str, extra: &[&str]) -> (Option<i32>, Vec<PathBuf>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().to_str().unwrap().to_string();
    let mut args = vec!["transcripts", "-o", &out_dir];
    args.extend_from_slice(extra);
    args.push(capture);
    let out = msnsniff(&args);
    let paths = stdout(&out).lines().map(PathBuf::from).collect();
    (out.status.code(), paths, dir)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("a transcript")
}

#[test]
fn three_captured_connections_to_one_switchboard_give_one_conversation_each_message_once() {
    let (code, paths, _dir) = transcripts(&capture("escargot_msnp11_full.pcap"), &[]);
    assert_eq!(code, Some(0));
    // One conversation in three formats, and an index and the contact lists in each.
    assert_eq!(paths.len(), 9, "{paths:?}");
    assert!(paths.iter().all(|p| p.exists()));
    let txt = paths
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "txt") && !p.ends_with("index.txt"))
        .unwrap();
    let text = read(txt);
    // The texts sent, as they are on the wire (frames 188, 197, 293, 306, 436).
    for line in [
        "Hello Bob! This is a real MSNP11 client.",
        "Welcome Carol, this is a 3-way chat.",
        "hey both",
        "gotta go, bye!",
    ] {
        assert_eq!(text.matches(line).count(), 1, "{line:?} in\n{text}");
    }
    assert_eq!(text.matches("Hi Alice éè 你好 -- multi").count(), 1);
    // The JSON document holds the same five messages, once each, from three connections.
    let json = paths
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "json") && !p.ends_with("index.json"))
        .unwrap();
    let doc: Value = serde_json::from_str(&read(json)).unwrap();
    assert_eq!(doc["flows"], serde_json::json!([4, 5, 6]));
    let senders: Vec<&str> = doc["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["sender"].as_str().unwrap())
        .collect();
    assert_eq!(
        senders,
        [
            "alice@example.com",
            "bob@example.com",
            "alice@example.com",
            "carol@hotmail.com",
            "alice@example.com"
        ],
        "{doc}"
    );
}

#[test]
fn json_transcripts_of_real_captures_match_their_schema() {
    let text = std::fs::read_to_string(format!(
        "{}/docs/transcript.schema.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    for name in [
        "escargot_msnp11_full.pcap",
        "etherdump_msn.pcap",
        "synthetic_hostile_text.pcap",
        "independent_msnp13_adl.pcap",
    ] {
        let (code, paths, _dir) = transcripts(&capture(name), &["--format", "json"]);
        assert_eq!(code, Some(0), "{name}");
        for p in &paths {
            let doc: Value = serde_json::from_str(&read(p)).unwrap();
            let def = if p.ends_with("index.json") {
                "index"
            } else if p.ends_with("contacts.json") {
                "contacts"
            } else {
                "conversation"
            };
            let mut s = schema.clone();
            s["$ref"] = serde_json::json!(format!("#/$defs/{def}"));
            let v = jsonschema::draft202012::new(&s).expect("the schema compiles");
            let errors: Vec<String> = v.iter_errors(&doc).take(5).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", p.display());
        }
    }
}

#[test]
fn contact_lists_are_exported_as_on_the_wire() {
    // `read captures/etherdump_msn.pcap`: `LSG 0 个人`, `LSG 1 常用联系人`, `LSG 2 student`,
    // twelve `LST` lines; `LST N=tommy_qfeng@hotmail.com F=tommy ... 11 0` is on FL, AL, RL
    // (1 + 2 + 8) in group 0.
    let (code, paths, _dir) = transcripts(&capture("etherdump_msn.pcap"), &[]);
    assert_eq!(code, Some(0));
    let json = paths
        .iter()
        .find(|p| p.ends_with("contacts.json"))
        .expect("contacts.json");
    let doc: Value = serde_json::from_str(&read(json)).unwrap();
    let list = &doc["contact_lists"][0];
    assert_eq!(list["principal"], "fengzejin@hotmail.com");
    let groups: Vec<&str> = list["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["个人", "常用联系人", "student"]);
    let contacts = list["contacts"].as_array().unwrap();
    assert_eq!(contacts.len(), 12);
    let tommy = contacts
        .iter()
        .find(|c| c["handle"] == "tommy_qfeng@hotmail.com")
        .expect("tommy");
    assert_eq!(tommy["lists"], serde_json::json!(["FL", "AL", "RL"]));
    assert_eq!(tommy["groups"], serde_json::json!(["0"]));
    assert_eq!(tommy["friendly_name"], "tommy");
    let txt = read(paths.iter().find(|p| p.ends_with("contacts.txt")).unwrap());
    assert!(
        txt.contains("  tommy_qfeng@hotmail.com [FL AL RL] groups 0 (tommy)\n"),
        "{txt}"
    );
    let html = read(paths.iter().find(|p| p.ends_with("contacts.html")).unwrap());
    assert!(html.contains(
        "<td class=\"remote\">tommy_qfeng@hotmail.com</td><td>tommy</td><td>FL AL RL</td>"
    ));
    // Presence: `ILN 0 NLN zhangmeiqing_2009@126.com qing` on each of the two NS connections.
    let qing: Vec<(&Value, &Value)> = doc["presence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["handle"] == "zhangmeiqing_2009@126.com")
        .map(|p| (&p["status"], &p["friendly_name"]))
        .collect();
    assert_eq!(qing.len(), 2, "{doc}");
    assert!(qing.iter().all(|(s, n)| *s == "NLN" && *n == "qing"));
    assert!(
        txt.contains(
            " UTC zhangmeiqing_2009@126.com: NLN (Online) as qing (to fengzejin@hotmail.com)\n"
        ),
        "{txt}"
    );
    // A capture without a contact list or presence change writes no contacts file.
    let (_, paths, _dir) = transcripts(&capture("synthetic_hostile_text.pcap"), &[]);
    assert!(
        !paths
            .iter()
            .any(|p| p.to_string_lossy().contains("contacts."))
    );
}

#[test]
fn hostile_text_stays_inert_in_every_format() {
    let (code, paths, _dir) = transcripts(&capture("synthetic_hostile_text.pcap"), &[]);
    assert_eq!(code, Some(0));
    for p in &paths {
        let text = read(p);
        assert!(!text.contains('\u{1b}'), "raw ESC in {}", p.display());
        assert!(!text.contains('\u{7}'), "raw BEL in {}", p.display());
        if p.extension().is_some_and(|e| e == "html") {
            assert!(
                !text.to_ascii_lowercase().contains("<script"),
                "{}",
                p.display()
            );
        }
    }
}

#[test]
fn no_msn_traffic_exits_1_and_an_unusable_directory_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let mut c = Conv::new(LINKTYPE_ETHERNET, "10.0.0.1:5000", "10.0.0.2:80", 1, 2);
    c.handshake(&mut p);
    c.client(&mut p, b"GET / HTTP/1.0\r\n\r\n");
    let http = dir.path().join("http.pcap");
    p.write(&http);
    let (code, _, _out) = transcripts(http.to_str().unwrap(), &[]);
    assert_eq!(code, Some(1));
    // The output is a file, not a directory.
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let out = msnsniff(&[
        "transcripts",
        "-o",
        file.to_str().unwrap(),
        &capture("etherdump_msn.pcap"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("a-file"), "{err}");
}
