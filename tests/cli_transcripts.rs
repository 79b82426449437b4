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
    // One conversation in three formats, and an index in each.
    assert_eq!(paths.len(), 6, "{paths:?}");
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
    ] {
        let (code, paths, _dir) = transcripts(&capture(name), &["--format", "json"]);
        assert_eq!(code, Some(0), "{name}");
        for p in &paths {
            let doc: Value = serde_json::from_str(&read(p)).unwrap();
            let def = if p.ends_with("index.json") {
                "index"
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
