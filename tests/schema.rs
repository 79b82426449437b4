//! `docs/events.schema.json` describes the JSON that msnsniff really writes.
//!
//! Why it exists: the schema is the machine-readable half of the interface documented in
//! `docs/events.md`. These tests check every line of every golden `*.events.jsonl` and
//! `*.flows.jsonl`, and every event and flow row the binary prints (`--format jsonl` and
//! `json`) for every capture in `captures/`, against it; that it sees every event type; and
//! that it is strict enough to reject a misspelt field name, an unknown value or a wrong type.

use jsonschema::Validator;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn schema() -> Value {
    let text = std::fs::read_to_string(root().join("docs/events.schema.json"))
        .expect("docs/events.schema.json exists");
    serde_json::from_str(&text).expect("the schema is JSON")
}

/// The validator for one of the schema's definitions (`event`, `flow_row`).
fn validator(def: &str) -> Validator {
    let mut s = schema();
    s["$ref"] = json!(format!("#/$defs/{def}"));
    jsonschema::draft202012::new(&s).expect("the schema compiles")
}

/// Checks `values` (named for messages) and returns what failed.
fn check<'a>(v: &Validator, values: impl IntoIterator<Item = (String, &'a Value)>) -> Vec<String> {
    let mut failures = Vec::new();
    for (name, value) in values {
        let errors: Vec<String> = v
            .iter_errors(value)
            .take(3)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if !errors.is_empty() {
            failures.push(format!("{name}: {}", errors.join("; ")));
        }
    }
    failures
}

/// Lines of a JSON Lines text (golden files start with a `#` header line).
fn json_lines(text: &str, origin: &str) -> Vec<(String, Value)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.is_empty())
        .map(|(i, l)| {
            let v = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{origin}:{}: not JSON: {e}", i + 1));
            (format!("{origin}:{}", i + 1), v)
        })
        .collect()
}

fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    v.sort();
    v
}

fn captures() -> Vec<PathBuf> {
    let dir = root().join("captures");
    let mut v = files(&dir, ".pcap");
    v.extend(files(&dir, ".pcapng"));
    v.sort();
    v
}

fn msnsniff(args: &[&str], capture: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_msnsniff"))
        .args(args)
        .arg(capture)
        .output()
        .expect("msnsniff runs");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "msnsniff {args:?} {}: {}",
        capture.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("JSON output is UTF-8")
}

fn assert_none(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} failed validation:\n{}",
        failures.len(),
        failures.into_iter().take(20).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_schema_is_a_valid_draft_2020_12_schema() {
    let s = schema();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    if let Err(e) = jsonschema::meta::validate(&s) {
        panic!("not a valid schema: {e} at {}", e.instance_path());
    }
}

#[test]
fn golden_events_and_flow_rows_match_the_schema() {
    let dir = root().join("tests/golden");
    let (events, rows) = (validator("event"), validator("flow_row"));
    let mut failures = Vec::new();
    let mut types = BTreeSet::new();
    let mut checked = 0;
    for path in files(&dir, ".events.jsonl") {
        let lines = json_lines(
            &std::fs::read_to_string(&path).unwrap(),
            &path.display().to_string(),
        );
        checked += lines.len();
        types.extend(
            lines
                .iter()
                .filter_map(|(_, v)| v["type"].as_str().map(String::from)),
        );
        failures.extend(check(&events, lines.iter().map(|(n, v)| (n.clone(), v))));
    }
    for path in files(&dir, ".flows.jsonl") {
        let lines = json_lines(
            &std::fs::read_to_string(&path).unwrap(),
            &path.display().to_string(),
        );
        checked += lines.len();
        failures.extend(check(&rows, lines.iter().map(|(n, v)| (n.clone(), v))));
    }
    assert_none(failures);
    assert!(checked > 1000, "only {checked} lines checked");
    let all = [
        "anomaly",
        "command",
        "connection_closed",
        "connection_opened",
        "connection_update",
        "gap",
        "msnftp_block",
        "msnftp_transfer",
    ];
    assert_eq!(types, all.iter().map(|s| s.to_string()).collect());
}

#[test]
fn everything_the_binary_prints_matches_the_schema() {
    let (events, rows) = (validator("event"), validator("flow_row"));
    let mut failures = Vec::new();
    for cap in captures() {
        let name = cap.file_name().unwrap().to_string_lossy().to_string();
        let lines = json_lines(&msnsniff(&["read", "--format", "jsonl"], &cap), &name);
        assert!(!lines.is_empty(), "{name}: no events");
        failures.extend(check(
            &events,
            lines.iter().map(|(n, v)| (format!("read jsonl {n}"), v)),
        ));

        let array: Value = serde_json::from_str(&msnsniff(&["read", "--format", "json"], &cap))
            .expect("read --format json is one JSON document");
        let items = array.as_array().expect("an array of events");
        assert_eq!(items.len(), lines.len(), "{name}: json and jsonl disagree");
        failures.extend(check(
            &events,
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("read json {name}[{i}]"), v)),
        ));

        // Redaction changes values, never the shape of an event.
        let redacted = &[
            "read",
            "--format",
            "jsonl",
            "--redact-handles",
            "--redact-text",
        ];
        let lines = json_lines(&msnsniff(redacted, &cap), &name);
        failures.extend(check(
            &events,
            lines
                .iter()
                .map(|(n, v)| (format!("read jsonl redacted {n}"), v)),
        ));

        let lines = json_lines(&msnsniff(&["flows", "--format", "jsonl"], &cap), &name);
        failures.extend(check(
            &rows,
            lines.iter().map(|(n, v)| (format!("flows jsonl {n}"), v)),
        ));
        let array: Value = serde_json::from_str(&msnsniff(&["flows", "--format", "json"], &cap))
            .expect("flows --format json is one JSON document");
        let items = array.as_array().expect("an array of rows");
        failures.extend(check(
            &rows,
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("flows json {name}[{i}]"), v)),
        ));
    }
    assert_none(failures);
}

/// A real event of each kind from the goldens, to break on purpose.
fn sample(kind: &str) -> Value {
    let path = root().join("tests/golden/etherdump_msn.events.jsonl");
    json_lines(&std::fs::read_to_string(path).unwrap(), "etherdump")
        .into_iter()
        .map(|(_, v)| v)
        .find(|v| v["type"] == kind && (kind != "command" || v.get("reply_to").is_some()))
        .unwrap_or_else(|| panic!("a {kind} event in etherdump_msn"))
}

#[test]
fn wrong_events_fail_validation() {
    let events = validator("event");
    let opened = sample("connection_opened");
    let command = sample("command");
    let closed = sample("connection_closed");
    for ok in [&opened, &command, &closed] {
        assert!(events.is_valid(ok), "the unbroken sample is valid: {ok}");
    }

    type Break = fn(&mut Value);
    let breaks: Vec<(&str, &Value, Break)> = vec![
        ("misspelt field name", &command, |v| {
            let len = v.as_object_mut().unwrap().remove("payload_len").unwrap();
            v["payload_lenght"] = len;
        }),
        ("unknown extra field", &command, |v| {
            v["colour"] = json!("blue")
        }),
        ("missing field", &command, |v| {
            v.as_object_mut().unwrap().remove("offset");
        }),
        ("unknown direction", &command, |v| v["dir"] = json!("c2c")),
        ("role in lower case", &command, |v| v["role"] = json!("ns")),
        ("unknown channel", &command, |v| v["channel"] = json!("P2P")),
        ("bad line end", &command, |v| v["line_end"] = json!("CRLF")),
        ("verb too long", &command, |v| v["verb"] = json!("MSGX")),
        ("trid as a string", &command, |v| v["trid"] = json!("1")),
        ("params not strings", &command, |v| {
            v["params"] = json!([1, 2])
        }),
        ("field value an object", &command, |v| {
            v["fields"]["handle"] = json!({"name": "bob"})
        }),
        ("field name not snake_case", &command, |v| {
            v["fields"]["Handle"] = json!("bob")
        }),
        ("misspelt reply_to field", &command, |v| {
            v["reply_to"] = json!({"frame": 4, "delay": 1.5})
        }),
        ("payload and payload_base64 together", &command, |v| {
            v["payload_len"] = json!(2);
            v["payload"] = json!("hi");
            v["payload_base64"] = json!("aGk=");
        }),
        ("unknown event type", &command, |v| {
            v["type"] = json!("commands")
        }),
        ("unknown detection", &opened, |v| {
            v["detection"] = json!({"by": "guess"})
        }),
        ("port detection without its port", &opened, |v| {
            v["detection"] = json!({"by": "port"})
        }),
        ("unknown opening", &opened, |v| v["opening"] = json!("SYN")),
        ("unknown dialect source", &opened, |v| {
            v["dialect_source"] = json!("guessed")
        }),
        ("dialect not MSNPn", &opened, |v| v["dialect"] = json!("8")),
        ("address without a port", &opened, |v| {
            v["client"] = json!("192.168.8.77")
        }),
        ("unknown closing", &closed, |v| {
            v["closing"] = json!("closed")
        }),
        ("misspelt summary field", &closed, |v| {
            let n = v["summary"]
                .as_object_mut()
                .unwrap()
                .remove("gap_count")
                .unwrap();
            v["summary"]["gaps_count"] = n;
        }),
        ("unknown gap reason in the summary", &closed, |v| {
            v["summary"]["gaps"] = json!([{"dir": "c2s", "offset": 0, "len": 1, "reason": "lost"}])
        }),
        ("negative byte count", &closed, |v| {
            v["summary"]["client_bytes"] = json!(-1)
        }),
        ("flow id zero", &closed, |v| v["flow"] = json!(0)),
        ("no ts_ns", &closed, |v| {
            v.as_object_mut().map(|o| o.remove("ts_ns"));
        }),
        ("ts_ns a string", &closed, |v| v["ts_ns"] = json!("1")),
    ];
    let mut accepted = Vec::new();
    for (what, original, break_it) in breaks {
        let mut v = original.clone();
        break_it(&mut v);
        if events.is_valid(&v) {
            accepted.push(what);
        }
    }
    assert!(accepted.is_empty(), "the schema accepted: {accepted:?}");

    let gap = json!({"type": "gap", "flow": 2, "frame": 9, "ts": 1.5, "ts_ns": 1500000000, "dir": "s2c",
        "offset": 0, "len": 10, "reason": "acked"});
    assert!(events.is_valid(&gap));
    let mut bad = gap.clone();
    bad["reason"] = json!("dropped");
    assert!(!events.is_valid(&bad), "unknown gap reason");
    let anomaly = json!({"type": "anomaly", "flow": null, "frame": 1, "ts": 1.0, "ts_ns": 1000000000, "dir": null,
        "name": "net.truncated_header", "detail": ""});
    assert!(events.is_valid(&anomaly));
    let mut bad = anomaly.clone();
    bad["name"] = json!("Truncated header");
    assert!(!events.is_valid(&bad), "anomaly name not dotted");

    let block = json!({"type": "msnftp_block", "flow": 3, "frame": 34, "ts": 1.5, "ts_ns": 1500000000, "dir": "s2c",
        "index": 1, "offset": 22, "file_offset": 0, "len": 2045, "cancel": false});
    assert!(events.is_valid(&block));
    let mut bad = block.clone();
    bad["index"] = json!(0);
    assert!(!events.is_valid(&bad), "block indexes start at 1");
    let mut bad = block.clone();
    bad.as_object_mut().unwrap().remove("cancel");
    assert!(!events.is_valid(&bad), "cancel is required");
    let mut bad = block;
    bad["data"] = json!("aGk=");
    assert!(!events.is_valid(&bad), "blocks carry no data");
    let transfer = json!({"type": "msnftp_transfer", "flow": 3, "frame": 39, "ts": 1.5, "ts_ns": 1500000000,
        "file_name": "report.txt", "file_size": 4107, "blocks": 3, "bytes": 4107, "missing": 0,
        "complete": true, "cancelled_by": null, "structure_lost": false});
    assert!(events.is_valid(&transfer));
    let mut bad = transfer;
    bad["cancelled_by"] = json!("server");
    assert!(!events.is_valid(&bad), "cancelled_by is sender or receiver");
    let mut opened = sample("connection_opened");
    opened["dialect"] = json!("MSNFTP");
    opened["dialect_source"] = json!("announced");
    assert!(events.is_valid(&opened));
}

/// A text message from the goldens, with its text, format and `msnc`.
fn text_message() -> Value {
    let path = root().join("tests/golden/synthetic_msnp11_twn.events.jsonl");
    json_lines(&std::fs::read_to_string(path).unwrap(), "msnp11")
        .into_iter()
        .map(|(_, v)| v)
        .find(|v| v["msnc"]["kind"] == "text" && v.get("format").is_some())
        .expect("a text message in synthetic_msnp11_twn")
}

#[test]
fn wrong_messages_fail_validation() {
    let events = validator("event");
    let text = text_message();
    assert!(
        events.is_valid(&text),
        "the unbroken sample is valid: {text}"
    );
    type Break = fn(&mut Value);
    let breaks: Vec<(&str, Break)> = vec![
        ("unknown kind", |v| v["msnc"]["kind"] = json!("chat")),
        ("a field of another kind", |v| {
            v["msnc"]["file"] = json!("a.txt")
        }),
        ("text without its encoding", |v| {
            v["msnc"].as_object_mut().unwrap().remove("encoding");
        }),
        ("unknown encoding", |v| {
            v["msnc"]["encoding"] = json!("cp1252")
        }),
        ("msnc without sender", |v| {
            v.as_object_mut().unwrap().remove("sender");
        }),
        ("text without msnc", |v| {
            v.as_object_mut().unwrap().remove("msnc");
        }),
        ("colour not #rrggbb", |v| {
            v["format"]["color"] = json!("red")
        }),
        ("unknown effect", |v| {
            v["format"]["effects"] = json!(["blink"])
        }),
        ("misspelt format field", |v| {
            v["format"]["fnt"] = json!("Arial")
        }),
        ("sender a number", |v| v["sender"] = json!(5)),
        ("chunk part zero", |v| {
            v["msnc"]["chunk"] = json!({"message_id": "{1}", "part": 0})
        }),
        ("unknown without headers", |v| {
            v["msnc"] = json!({"kind": "unknown"})
        }),
        ("datacast with an unknown name", |v| {
            v["msnc"] = json!({"kind": "datacast", "id": 1, "name": "poke"})
        }),
    ];
    let mut accepted = Vec::new();
    for (what, break_it) in breaks {
        let mut v = text.clone();
        break_it(&mut v);
        if events.is_valid(&v) {
            accepted.push(what);
        }
    }
    assert!(accepted.is_empty(), "the schema accepted: {accepted:?}");
    // The new fields belong to messages only.
    let mut other = sample("command");
    other["sender"] = json!("bob@x.com");
    assert!(!events.is_valid(&other), "sender without msnc");
}

#[test]
fn a_wrong_flow_row_fails_validation() {
    let rows = validator("flow_row");
    let row = sample("connection_closed")["summary"].clone();
    assert!(rows.is_valid(&row));
    let mut bad = row.clone();
    bad["first_frames"] = bad["first_frame"].take();
    bad.as_object_mut().unwrap().remove("first_frame");
    assert!(!rows.is_valid(&bad), "misspelt first_frame");
    let mut bad = row.clone();
    bad["reset_by"] = json!("client");
    assert!(!rows.is_valid(&bad), "reset_by is a direction");
    let mut bad = row;
    bad["anomalies"] = json!({"msnp.resync": "3"});
    assert!(!rows.is_valid(&bad), "anomaly counts are numbers");
}
