//! `msnsniff read` as a user runs it: exit codes, closed pipes, colour, selections, JSON, and
//! hostile chat text shown inert.

mod support;

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::*;

fn text(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn capture(name: &str) -> String {
    format!("{}/captures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// An NS login for `user` and a switchboard chat whose texts are `texts`.
fn chat(dir: &Path, user: &str, texts: &[&[u8]]) -> PathBuf {
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    // Each user on a host of their own, so that two captures can be read as one.
    let host = 1 + user.bytes().map(u32::from).sum::<u32>() % 200;
    let client = |port: u16| format!("10.0.0.{host}:{port}");
    let mut ns = Conv::new(
        LINKTYPE_ETHERNET,
        &client(50000),
        "10.0.0.2:1863",
        1000,
        2000,
    );
    ns.handshake(&mut p);
    ns.client(&mut p, b"VER 1 MSNP8 CVR0\r\n");
    ns.server(&mut p, b"VER 1 MSNP8 CVR0\r\n");
    ns.client(&mut p, format!("USR 2 TWN I {user}\r\n").as_bytes());
    ns.server(&mut p, format!("USR 2 OK {user} Me 1 0\r\n").as_bytes());
    ns.client(&mut p, b"XFR 3 SB\r\n");
    ns.server(
        &mut p,
        b"XFR 3 SB 10.0.0.7:1864 CKI 17262740.1050826919.32308\r\n",
    );
    let mut sb = Conv::new(
        LINKTYPE_ETHERNET,
        &client(50001),
        "10.0.0.7:1864",
        5000,
        6000,
    );
    sb.handshake(&mut p);
    sb.client(
        &mut p,
        format!("USR 1 {user} 17262740.1050826919.32308\r\n").as_bytes(),
    );
    sb.server(&mut p, format!("USR 1 OK {user} Me\r\n").as_bytes());
    sb.client(&mut p, b"CAL 2 bob@example.com\r\n");
    sb.server(
        &mut p,
        b"CAL 2 RINGING 11752013\r\nJOI bob@example.com Bob\r\n",
    );
    for (i, t) in texts.iter().enumerate() {
        let mut body =
            b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n".to_vec();
        body.extend_from_slice(t);
        let mut msg = format!("MSG {} N {}\r\n", i + 3, body.len()).into_bytes();
        msg.extend_from_slice(&body);
        sb.client(&mut p, &msg);
    }
    sb.server(&mut p, b"217 9\r\n");
    sb.close(&mut p);
    let path = dir.join(format!("{}.pcap", user.split('@').next().unwrap()));
    p.write(&path);
    path
}

#[test]
fn the_dialogue_uses_the_classic_notation_with_literal_line_ends() {
    let o = msnsniff(&["read", &capture("etherdump_msn.pcap")]);
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o);
    assert!(out.contains(">>> VER 1 MSNP8 CVR0\\r\\n\n"), "{out}");
    assert!(out.contains("<<< VER 1 MSNP8\\r\\n\n"));
    assert!(
        out.lines()
            .all(|l| l.starts_with(">>> ") || l.starts_with("<<< ") || l.starts_with("<o> "))
    );
    assert!(
        !out.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn no_msn_traffic_exits_1_and_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let mut c = Conv::new(LINKTYPE_ETHERNET, "10.0.0.1:40000", "10.0.0.9:80", 1, 2);
    c.handshake(&mut p);
    c.client(&mut p, b"GET / HTTP/1.1\r\n\r\n");
    let path = dir.path().join("web.pcap");
    p.write(&path);
    let o = msnsniff(&["read", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let o = msnsniff(&["read", "/no/such.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("msnsniff: /no/such.pcap: "));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_msnsniff"))
        .args(["read", &capture("escargot_msnp11_full.pcap")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one line, then hang up, as `| head -1` does.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let cap = capture("ppa_suspectemployeechat.pcap");
    let always = text(&msnsniff(&["read", "--color", "always", &cap]));
    assert!(always.contains("\x1b[34m>>> "), "client lines are blue");
    assert!(always.contains("\x1b[32m<<< "), "server lines are green");
    assert!(always.contains("\x1b[36m<o> "), "notes are bluish green");
    assert!(
        always.contains("\x1b[37m\\r\\n"),
        "line ends are light grey"
    );
    let never = text(&msnsniff(&["read", "--color", "never", &cap]));
    assert!(!never.contains('\x1b'));
    // `auto` never colours a pipe, NO_COLOR or not.
    let auto = Command::new(env!("CARGO_BIN_EXE_msnsniff"))
        .args(["read", &cap])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!text(&auto).contains('\x1b'));
}

#[test]
fn hostile_chat_text_is_shown_inert() {
    let dir = tempfile::tempdir().unwrap();
    let path = chat(
        dir.path(),
        "alice@example.com",
        &[
            b"\x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x1b[2J",
            b"<script>alert(1)</script> &amp; \x00 \xff\xfe",
        ],
    );
    let p = path.to_str().unwrap();
    for color in ["never", "always"] {
        let o = msnsniff(&["read", "--color", color, p]);
        assert_eq!(o.status.code(), Some(0));
        let out = text(&o);
        // Only our own colour codes may appear: strip them and no ESC or BEL may be left.
        let stripped = ["\x1b[34m", "\x1b[32m", "\x1b[36m", "\x1b[37m", "\x1b[0m"]
            .iter()
            .fold(out.clone(), |s, code| s.replace(code, ""));
        assert!(
            !stripped.contains('\x1b') && !stripped.contains('\x07') && !stripped.contains('\0')
        );
        assert!(
            stripped.contains(">>> \\x1B[31mred\\x1B[0m \\x1B]0;pwned\\x07 \\x1B[2J"),
            "{stripped}"
        );
        assert!(
            stripped.contains("<script>alert(1)</script> &amp; \\x00 \\xFF\\xFE"),
            "{stripped}"
        );
    }
    // JSON keeps the bytes, escaped as JSON.
    let o = msnsniff(&["read", "--format", "jsonl", p]);
    assert!(!text(&o).contains('\x1b'));
}

#[test]
fn notes_explain_errors_and_levels_change_what_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let path = chat(dir.path(), "alice@example.com", &[b"hi"]);
    let p = path.to_str().unwrap();
    let brief = text(&msnsniff(&["read", p]));
    assert!(brief.contains("<o> error 217"), "{brief}");
    assert!(brief.contains("bob@example.com joined"), "{brief}");
    let none = text(&msnsniff(&["read", "--notes", "none", p]));
    assert!(!none.contains("<o>"));
    assert!(none.contains(">>> CAL 2 bob@example.com\\r\\n"));
    let full = text(&msnsniff(&["read", "--notes", "full", p]));
    assert!(full.contains("<o> reply to trid 2"), "{full}");
}

#[test]
fn group_prints_one_connection_after_another() {
    let dir = tempfile::tempdir().unwrap();
    let path = chat(dir.path(), "alice@example.com", &[b"hi"]);
    let out = text(&msnsniff(&["read", "--group", path.to_str().unwrap()]));
    let first_sb = out.find(">>> USR 1 alice").unwrap();
    let last_ns = out.rfind(">>> XFR 3 SB").unwrap();
    assert!(last_ns < first_sb);
    assert!(
        !out.contains("-- connection"),
        "no switch headers when grouped"
    );
}

#[test]
fn selections_narrow_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let alice = chat(dir.path(), "alice@example.com", &[b"from alice"]);
    let carol = chat(dir.path(), "carol@example.com", &[b"from carol"]);
    let (a, c) = (alice.to_str().unwrap(), carol.to_str().unwrap());

    let only = text(&msnsniff(&["read", "--only", "msnc", a]));
    assert!(only.contains(">>> MSG 3 N"));
    assert!(!only.contains("VER 1 MSNP8"), "NS lines are not MSNC");
    assert!(!only.contains("CAL 2"), "SB commands are not MSNC");

    let flow2 = text(&msnsniff(&["read", "--flow", "2", a]));
    assert!(flow2.contains("USR 1 alice") && !flow2.contains("VER 1"));

    let verbs = text(&msnsniff(&[
        "read", "--verb", "cal,217", "--notes", "none", a,
    ]));
    assert_eq!(
        verbs.lines().filter(|l| !l.is_empty()).count(),
        3,
        "{verbs}"
    );

    // Two captures read as one; only carol's connections, including the lines before her login.
    let who = text(&msnsniff(&[
        "read",
        "--principal",
        "Carol@Example.com",
        a,
        c,
    ]));
    assert!(
        who.contains("from carol") && !who.contains("from alice"),
        "{who}"
    );
    assert!(
        who.contains(">>> VER 1 MSNP8 CVR0"),
        "held lines are released: {who}"
    );
}

#[test]
fn a_bpf_filter_selects_packets() {
    let cap = capture("etherdump_msn.pcap");
    let o = msnsniff(&[
        "read",
        "--notes",
        "none",
        &cap,
        "--",
        "host",
        "207.46.124.76",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o);
    assert!(out.starts_with(">>> ANS 1 fengzejin@hotmail.com"), "{out}");
}

#[test]
fn jsonl_streams_one_event_a_line_and_json_is_one_document() {
    let cap = capture("ppa_suspectemployeechat.pcap");
    let lines = text(&msnsniff(&["read", "--format", "jsonl", &cap]));
    let events: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["type"], "connection_opened");
    let cmd = events.iter().find(|e| e["type"] == "command").unwrap();
    for field in [
        "flow",
        "frame",
        "ts",
        "dir",
        "role",
        "channel",
        "dialect",
        "verb",
        "trid",
        "params",
        "fields",
        "payload_len",
    ] {
        assert!(cmd.get(field).is_some(), "missing {field}: {cmd}");
    }
    let doc: Value =
        serde_json::from_slice(&msnsniff(&["read", "--format", "json", &cap]).stdout).unwrap();
    assert_eq!(doc.as_array().unwrap().len(), events.len());
}

#[test]
fn help_completions_and_man_page_come_from_the_cli_definitions() {
    let help = text(&msnsniff(&["read", "--help"]));
    assert!(help.contains("--principal") && help.contains("Examples:"));
    let bash = msnsniff(&["completions", "bash"]);
    assert_eq!(bash.status.code(), Some(0));
    assert!(text(&bash).contains("msnsniff"));
    let man = text(&msnsniff(&["man"]));
    assert!(man.contains(".TH msnsniff"));
}

/// An accepted MSNC0 file-transfer invitation names an address; the MSNFTP connection that
/// follows, on port 6891 (not a known port), is found, linked, and decoded as MSNFTP.
#[test]
fn an_accepted_file_invitation_announces_the_msnftp_connection() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_ETHERNET);
    let mut sb = Conv::new(LINKTYPE_ETHERNET, "10.0.0.1:50001", "10.0.0.7:1863", 1, 2);
    sb.handshake(&mut p);
    sb.client(&mut p, b"USR 1 alice@example.com 1.2\r\n");
    sb.server(&mut p, b"USR 1 OK alice@example.com Alice\r\n");
    let accept = b"MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\nInvitation-Command: ACCEPT\r\nInvitation-Cookie: 57496\r\nIP-Address: 10.0.0.9\r\nPort: 6891\r\nAuthCookie: 41728291\r\nLaunch-Application: FALSE\r\nRequest-Data: IP-Address:\r\n\r\n";
    let mut msg = format!("MSG bob@example.com Bob {}\r\n", accept.len()).into_bytes();
    msg.extend_from_slice(accept);
    sb.server(&mut p, &msg);
    // The receiver (alice) connects to the sender's listening port and talks first.
    let mut ft = Conv::new(LINKTYPE_ETHERNET, "10.0.0.1:50002", "10.0.0.9:6891", 10, 20);
    ft.handshake(&mut p);
    ft.client(&mut p, b"VER MSNFTP\r\n");
    ft.server(&mut p, b"VER MSNFTP\r\n");
    ft.client(&mut p, b"USR alice@example.com 41728291\r\n");
    ft.server(&mut p, b"FIL 5\r\n");
    ft.client(&mut p, b"TFR\r\n");
    ft.server(&mut p, b"\x00\x05\x00hello");
    ft.client(&mut p, b"BYE 16777989\r\n");
    ft.server_fin(&mut p);
    ft.client_fin(&mut p);
    let path = dir.path().join("ft.pcap");
    p.write(&path);
    let f = path.to_str().unwrap();

    let flows: Vec<Value> = text(&msnsniff(&["flows", "--format", "jsonl", f]))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(flows.len(), 2);
    assert_eq!(flows[1]["server"], "10.0.0.9:6891");
    assert_eq!(flows[1]["detection"]["by"], "announced");
    assert_eq!(flows[1]["detection"]["kind"], "file_transfer");
    assert_eq!(flows[1]["detection"]["announced_by"], 1);

    let events: Vec<Value> = text(&msnsniff(&["read", "--format", "jsonl", f]))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let closed = events
        .iter()
        .find(|e| e["type"] == "connection_closed" && e["flow"] == 2)
        .unwrap();
    assert_eq!(closed["role"], "MSNFTP");
    let ver = events
        .iter()
        .find(|e| e["type"] == "command" && e["flow"] == 2)
        .unwrap();
    assert_eq!(ver["verb"], "VER");
    assert_eq!(ver["channel"], "MSNC");
    assert_eq!(ver["dir"], "c2s");
}
