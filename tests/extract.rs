//! `read --extract DIR` end to end: the MSNFTP files of `captures/synthetic_msnftp.pcap`
//! (built by `tests/fixtures.rs`, whose file contents are rebuilt here byte for byte), a
//! transfer with a gap inside, and a hostile file name, written under a temporary directory.

mod support;

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;
use support::{Conv, LINKTYPE_ETHERNET as E, Pcap, filler, jsonl, msnsniff, stderr, stdout};

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/captures/synthetic_msnftp.pcap"
);

/// report.txt as `tests/fixtures.rs` builds it.
fn report() -> Vec<u8> {
    let mut report = filler("report", 2045 - 26);
    report.extend_from_slice(b"end of part one\r\nVER 8\r\n\r\n");
    report.extend_from_slice(b"BYE 1\r\nMSG 1 N 50\r\n");
    report.extend_from_slice(&filler("summary", 2045 - 19 - 12));
    report.extend_from_slice(b"VER MSNFTP\r\n");
    report.extend_from_slice(b"FIL 12\r\nthe end\r\n");
    report
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn sidecar(dir: &Path, file: &str) -> Value {
    let text = std::fs::read(dir.join(format!("{file}.json"))).expect("sidecar");
    serde_json::from_slice(&text).expect("sidecar is JSON")
}

fn extracted(events: &[Value]) -> Vec<&Value> {
    events.iter().filter(|e| e["type"] == "extracted").collect()
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/events.schema.json"
    ))
    .unwrap();
    let mut s: Value = serde_json::from_str(&text).unwrap();
    s["$ref"] = serde_json::json!("#/$defs/event");
    jsonschema::draft202012::new(&s).expect("the schema compiles")
}

#[test]
fn the_fixture_files_are_extracted_whole_or_marked_partial_with_their_missing_ranges() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let d = dir.to_str().unwrap();
    let out = msnsniff(&["read", "--format", "jsonl", "--extract", d, CAPTURE]);
    assert!(out.status.success(), "{}", stderr(&out));
    let events = jsonl(&out);
    // No internal object event reaches the JSON, and `extracted` validates.
    let v = validator();
    for e in &events {
        assert!(!e["type"].as_str().unwrap().starts_with("object"), "{e}");
        if e["type"] == "extracted" {
            let errors: Vec<String> = v.iter_errors(e).map(|x| x.to_string()).collect();
            assert!(errors.is_empty(), "{e}: {errors:?}");
        }
    }
    let x = extracted(&events);
    assert_eq!(x.len(), 3);

    // report.txt: whole, byte for byte.
    let report = report();
    assert_eq!(std::fs::read(dir.join("report.txt")).unwrap(), report);
    let r = sidecar(&dir, "report.txt");
    assert_eq!(&r, x[0]);
    assert_eq!(r["flow"], 3);
    assert_eq!(r["name"], "report.txt");
    assert_eq!(r["size"], 4107);
    assert_eq!(r["bytes_written"], 4107);
    assert_eq!(r["sha256"], sha256(&report));
    assert_eq!(r["sender"], "bob@hotmail.com");
    assert_eq!(r["receiver"], "alice@hotmail.com");
    assert_eq!(r["transport"], "msnftp");
    assert_eq!(r["object_kind"], "file");
    assert_eq!(r["partial"], false);
    assert_eq!(r["missing"], serde_json::json!([]));
    assert_eq!(r["cancelled_by"], Value::Null);
    assert_eq!(r["sha1d_matches"], Value::Null);
    assert!(r["first_ts"].as_f64() <= r["ts"].as_f64());

    // photo.jpg: the sender cancelled after one block.
    let photo: Vec<u8> = (0..6000u32).map(|i| (i * 7 % 251) as u8).collect();
    assert_eq!(
        std::fs::read(dir.join("photo.jpg")).unwrap(),
        &photo[..2045]
    );
    let p = sidecar(&dir, "photo.jpg");
    assert_eq!(p["partial"], true);
    assert_eq!(p["missing"], serde_json::json!([[2045, 6000]]));
    assert_eq!(p["cancelled_by"], "sender");
    assert_eq!(p["sha256"], sha256(&photo[..2045]));

    // notes.txt: the receiver cancelled; Sender-Connect, so the sender is the TCP client.
    let notes = filler("notes", 3000);
    assert_eq!(
        std::fs::read(dir.join("notes.txt")).unwrap(),
        &notes[..2045]
    );
    let n = sidecar(&dir, "notes.txt");
    assert_eq!(n["partial"], true);
    assert_eq!(n["missing"], serde_json::json!([[2045, 3000]]));
    assert_eq!(n["cancelled_by"], "receiver");
    assert_eq!(n["sender"], "bob@hotmail.com");
    assert_eq!(n["receiver"], "alice@hotmail.com");

    // A second run numbers its files and overwrites nothing.
    let out = msnsniff(&["read", "--extract", d, CAPTURE]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(dir.join("report (2).txt")).unwrap(), report);
    assert_eq!(std::fs::read(dir.join("report.txt")).unwrap(), report);
    let text = stdout(&out);
    let notes: Vec<&str> = text.lines().filter(|l| l.contains(" extracted ")).collect();
    let short = &sha256(&report)[..16];
    assert_eq!(
        notes[0],
        format!("<o> extracted report.txt (4107 bytes, sha256 {short}…) to {d}/report (2).txt")
    );
    assert!(
        notes[1].ends_with("; partial: 2045 of 6000 bytes, missing 2045-5999"),
        "{}",
        notes[1]
    );
    assert!(
        notes[2].ends_with("; partial: 2045 of 3000 bytes, missing 2045-2999"),
        "{}",
        notes[2]
    );
}

#[test]
fn a_directory_that_cannot_be_made_is_one_line_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plain");
    std::fs::write(&file, b"x").unwrap();
    let bad = file.join("sub");
    let out = msnsniff(&["read", "--extract", bad.to_str().unwrap(), CAPTURE]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(bad.to_str().unwrap()), "{err}");
    assert!(stdout(&out).is_empty());
}

/// A payload command: `head len\r\n` then the body.
fn payload(head: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!("{head} {}\r\n", body.len()).into_bytes();
    v.extend_from_slice(body);
    v
}

fn invite(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut body =
        "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\n".to_string();
    for (k, v) in fields {
        body.push_str(&format!("{k}: {v}\r\n"));
    }
    body.push_str("\r\n");
    body.into_bytes()
}

/// `data` as MSNFTP blocks of 2045 bytes at most.
fn ftp_blocks(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in data.chunks(2045) {
        out.push(0);
        out.extend_from_slice(&(chunk.len() as u16).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// A switchboard where bob offers `name` (`file.len()` bytes) to alice, and its MSNFTP
/// transfer; the server's bytes in `lost` (offsets in the blocks) are never captured.
fn transfer(name: &str, file: &[u8], lost: Option<std::ops::Range<usize>>) -> Pcap {
    let mut p = Pcap::new(E);
    let mut sw = Conv::new(E, "10.0.0.1:1031", "207.46.108.40:1863", 0x300, 0x400);
    sw.handshake(&mut p);
    sw.client(&mut p, b"USR 1 alice@x.com 1136000222.4455\r\n");
    sw.server(&mut p, b"USR 1 OK alice@x.com Alice\r\n");
    let size = file.len().to_string();
    sw.server(
        &mut p,
        &payload(
            "MSG bob@x.com Bob",
            &invite(&[
                ("Application-Name", "File Transfer"),
                ("Invitation-Command", "INVITE"),
                ("Invitation-Cookie", "77"),
                ("Application-File", name),
                ("Application-FileSize", &size),
            ]),
        ),
    );
    sw.server(
        &mut p,
        &payload(
            "MSG bob@x.com Bob",
            &invite(&[
                ("Invitation-Command", "ACCEPT"),
                ("Invitation-Cookie", "77"),
                ("IP-Address", "10.0.0.9"),
                ("Port", "6891"),
                ("AuthCookie", "4242"),
            ]),
        ),
    );
    let mut ft = Conv::new(E, "10.0.0.1:1032", "10.0.0.9:6891", 0x500, 0x600);
    ft.handshake(&mut p);
    ft.client(&mut p, b"VER MSNFTP\r\n");
    ft.server(&mut p, b"VER MSNFTP\r\n");
    ft.client(&mut p, b"USR alice@x.com 4242\r\n");
    ft.server(&mut p, format!("FIL {size}\r\n").as_bytes());
    ft.client(&mut p, b"TFR\r\n");
    let blocks = ftp_blocks(file);
    match lost {
        Some(r) => {
            ft.server(&mut p, &blocks[..r.start]);
            // Sent, never captured.
            ft.server(&mut Pcap::new(E), &blocks[r.clone()]);
            ft.server(&mut p, &blocks[r.end..]);
        }
        None => ft.server(&mut p, &blocks),
    }
    ft.client(&mut p, b"BYE 16777989\r\n");
    ft.server_fin(&mut p);
    ft.client_fin(&mut p);
    p
}

#[test]
fn a_gap_inside_a_block_leaves_the_right_range_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let file: Vec<u8> = (0..5000u32).map(|i| (i % 253) as u8).collect();
    // Block bytes 103..603 are lost: file bytes 100..600 (after the first 3-byte header).
    let cap = tmp.path().join("gap.pcap");
    transfer("data.bin", &file, Some(103..603)).write(&cap);
    let dir = tmp.path().join("out");
    let out = msnsniff(&[
        "read",
        "--format",
        "jsonl",
        "--extract",
        dir.to_str().unwrap(),
        cap.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let events = jsonl(&out);
    let x = extracted(&events);
    assert_eq!(x.len(), 1, "{events:?}");
    assert_eq!(x[0]["partial"], true);
    assert_eq!(x[0]["missing"], serde_json::json!([[100, 600]]));
    assert_eq!(x[0]["bytes_written"], 4500);
    let written = std::fs::read(dir.join("data.bin")).unwrap();
    assert_eq!(written.len(), 5000);
    assert_eq!(&written[..100], &file[..100]);
    assert!(
        written[100..600].iter().all(|&b| b == 0),
        "a hole, not invented bytes"
    );
    assert_eq!(&written[600..], &file[600..]);
    // Whole, the same transfer is not partial.
    let cap = tmp.path().join("whole.pcap");
    transfer("data.bin", &file, None).write(&cap);
    let out = msnsniff(&[
        "read",
        "--format",
        "jsonl",
        "--extract",
        dir.to_str().unwrap(),
        cap.to_str().unwrap(),
    ]);
    let events = jsonl(&out);
    let x = extracted(&events);
    assert_eq!(x[0]["partial"], false);
    assert_eq!(x[0]["file"], "data (2).bin");
    assert_eq!(x[0]["sha256"], sha256(&file));
}

#[test]
fn a_hostile_name_never_escapes_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a").join("out");
    for (i, name) in [
        "../../escaped.txt",
        "..\\..\\evil\u{202E}gnp.exe",
        "/tmp/abs.txt",
        "CON",
        "..",
        "a\u{1b}[2Jb.txt",
    ]
    .iter()
    .enumerate()
    {
        let cap = tmp.path().join(format!("{i}.pcap"));
        transfer(name, b"payload", None).write(&cap);
        let out = msnsniff(&[
            "read",
            "--format",
            "jsonl",
            "--extract",
            dir.to_str().unwrap(),
            cap.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let events = jsonl(&out);
        let x = extracted(&events);
        assert_eq!(x.len(), 1, "{name}");
        let file = x[0]["file"].as_str().unwrap();
        assert!(
            !file.contains(['/', '\\']) && !file.starts_with('.') && !file.contains('\u{202E}'),
            "{name}: {file}"
        );
        assert_eq!(std::fs::read(dir.join(file)).unwrap(), b"payload");
    }
    // Everything is inside DIR; nothing was written beside it or above it.
    let mut beside: Vec<String> = std::fs::read_dir(tmp.path().join("a"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    beside.sort();
    assert_eq!(beside, ["out"]);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".json"))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "_CON",
            "a_[2Jb.txt",
            "abs.txt",
            "escaped.txt",
            "evil_gnp.exe",
            "flow2-object1.bin"
        ]
    );
    assert!(!tmp.path().join("escaped.txt").exists());
}
