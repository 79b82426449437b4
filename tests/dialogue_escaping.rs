//! The dialogue as a user sees it when chat text is hostile: a switchboard message holding a
//! right-to-left override, other invisible characters, a tab, ESC and bytes that are not UTF-8
//! must reach the terminal spelt out (`\u{202E}`, `\t`, `\x1B`, `\xFF`), never raw; and text a
//! user typed that merely looks like an escape must not pass for one.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::*;

/// The hostile message text: a file name reversed by U+202E, a tab, an ESC sequence, an
/// invalid byte, and `\x1B` typed as four characters.
const TEXT: &[u8] = b"see photo gnp\xe2\x80\xae.exe\there \x1b[2J and \xff, typed \\x1B";

/// A switchboard on port 1863: the client joins, sends `TEXT`, and the other participant
/// answers with invisible characters in the message and in its friendly name.
fn capture(dir: &Path) -> PathBuf {
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let mut sb = Conv::new(
        LINKTYPE_ETHERNET,
        "10.0.0.1:50001",
        "10.0.0.7:1863",
        5000,
        6000,
    );
    sb.handshake(&mut p);
    sb.client(
        &mut p,
        b"USR 1 alice@example.com 17262740.1050826919.32308\r\n",
    );
    sb.server(&mut p, b"USR 1 OK alice@example.com Alice\r\n");
    sb.client(&mut p, b"CAL 2 bob@example.com\r\n");
    sb.server(&mut p, b"CAL 2 RINGING 11752013\r\n");
    sb.server(&mut p, b"JOI bob@example.com Bob\r\n");
    let msg = |head: &[u8], text: &[u8]| {
        let mut body =
            b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n".to_vec();
        body.extend_from_slice(text);
        let mut v = head.to_vec();
        v.extend_from_slice(format!(" {}\r\n", body.len()).as_bytes());
        v.extend_from_slice(&body);
        v
    };
    sb.client(&mut p, &msg(b"MSG 3 N", TEXT));
    sb.server(
        &mut p,
        &msg(
            &[
                "MSG bob@example.com B\u{200b}ob\u{2028}\u{9b}\\xFF\u{feff}".as_bytes(),
                b"\xff",
            ]
            .concat(),
            "zero\u{200b}width, isolate \u{2066}x\u{2069}, tag \u{e0041}".as_bytes(),
        ),
    );
    sb.client(&mut p, b"OUT\r\n");
    sb.close(&mut p);
    let path = dir.join("hostile.pcap");
    p.write(&path);
    path
}

fn run(args: &[&str], path: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_msnsniff"))
        .args(args)
        .arg(path)
        .env_remove("NO_COLOR")
        .output()
        .expect("run msnsniff");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("the dialogue is UTF-8, whatever the capture held")
}

/// Characters that must never reach the terminal from the capture.
const RAW: [char; 13] = [
    '\u{202e}',
    '\u{2066}',
    '\u{2069}',
    '\u{200b}',
    '\u{feff}',
    '\u{2028}',
    '\u{9b}',
    '\u{e0041}',
    '\t',
    '\x1b',
    '\0',
    '\r',
    '\x07',
];

#[test]
fn hostile_text_is_spelt_out_in_the_dialogue() {
    let dir = tempfile::tempdir().unwrap();
    let path = capture(dir.path());
    for notes in ["brief", "full"] {
        let out = run(&["read", "--color", "never", "--notes", notes], &path);
        for c in RAW {
            assert!(
                !out.contains(c),
                "U+{:04X} reached the terminal:\n{out}",
                u32::from(c)
            );
        }
        for shown in [
            ">>> see photo gnp\\u{202E}.exe\\there \\x1B[2J and \\xFF, typed \\\\x1B",
            "<<< MSG bob@example.com B\\u{200B}ob\\u{2028}\\u{9B}\\\\xFF\\u{FEFF}\\xFF ",
            "<<< zero\\u{200B}width, isolate \\u{2066}x\\u{2069}, tag \\u{E0041}",
        ] {
            assert!(out.contains(shown), "missing `{shown}` in:\n{out}");
        }
    }
}

#[test]
fn our_colours_are_the_only_escape_sequences() {
    let dir = tempfile::tempdir().unwrap();
    let path = capture(dir.path());
    let out = run(&["read", "--color", "always", "--notes", "full"], &path);
    let stripped = ["\x1b[34m", "\x1b[32m", "\x1b[36m", "\x1b[37m", "\x1b[0m"]
        .iter()
        .fold(out, |s, code| s.replace(code, ""));
    for c in RAW {
        assert!(
            !stripped.contains(c),
            "U+{:04X} reached the terminal",
            u32::from(c)
        );
    }
    assert!(stripped.contains("gnp\\u{202E}.exe"), "{stripped}");
}

#[test]
fn json_tells_a_typed_escape_from_an_invalid_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = capture(dir.path());
    let out = run(&["read", "--format", "jsonl"], &path);
    let msgs: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["verb"] == "MSG")
        .collect();
    assert_eq!(msgs.len(), 2);
    // The friendly name: U+200B, U+2028, U+009B kept as characters (JSON is data); the typed
    // `\xFF` with its backslash doubled, the byte 0xFF alone as `\xFF`.
    assert_eq!(
        msgs[1]["params"][1],
        "B\u{200b}ob\u{2028}\u{9b}\\\\xFF\u{feff}\\xFF"
    );
    // The client's text is not UTF-8, so it travels as base64, byte for byte.
    let payload = msgs[0]["payload_base64"].as_str().expect("binary payload");
    assert!(!payload.is_empty());
    assert!(msgs[0]["payload"].is_null());
}
