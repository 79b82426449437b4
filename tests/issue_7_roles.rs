//! Issue 7, holes 4 and 5, on captures built here.
//!
//! Hole 4: a client `MSG trid U|N|A|D len` can only be switchboard traffic (and other verbs
//! only one server speaks tell their server too), so a connection picked up mid-stream that
//! shows only that is a switchboard, not `role unknown`.
//!
//! Hole 5: notes say what is known when it is known. A connection's opening note must not say
//! a login happened before it did (here it never does: the server refuses it), and a dialect
//! inferred from another user's client capabilities is marked as inferred, with its basis.

mod support;

use serde_json::Value;
use support::*;

const LT: u32 = LINKTYPE_ETHERNET;

/// Writes the capture and runs `read` with `args`, giving stdout.
fn read(p: &Pcap, args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.pcap");
    p.write(&path);
    let mut all = vec!["read"];
    all.extend_from_slice(args);
    let path = path.to_str().expect("utf-8 path");
    all.push(path);
    let out = msnsniff(&all);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    out
}

fn connection_events(evs: &[Value]) -> Vec<&Value> {
    evs.iter()
        .filter(|e| {
            matches!(
                e["type"].as_str(),
                Some("connection_opened" | "connection_update")
            )
        })
        .collect()
}

/// A switchboard connection on port 1863 whose handshake and first lines were not captured:
/// the client only sends messages.
fn client_messages_mid_stream() -> Pcap {
    let mut p = Pcap::new(LT);
    let mut c = Conv::new(LT, "10.0.0.1:50001", "10.0.0.2:1863", 5000, 9000);
    for (trid, text) in [(7, "hello"), (8, "still there?")] {
        let body =
            format!("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{text}");
        let msg = format!("MSG {trid} N {}\r\n{body}", body.len());
        c.client(&mut p, msg.as_bytes());
    }
    p
}

#[test]
fn hole_4_a_client_msg_makes_a_mid_stream_connection_a_switchboard() {
    let out = read(&client_messages_mid_stream(), &["--format", "jsonl"]);
    let evs = jsonl(&out);
    let conns = connection_events(&evs);
    assert!(!conns.is_empty());
    let last = conns.last().unwrap();
    assert_eq!(last["role"], "SB", "{last}");
    assert_eq!(last["opening"], "midstream");
    assert_eq!(last["role_reason"], "port 1863, the client sent MSG");
    let msgs: Vec<&Value> = evs.iter().filter(|e| e["verb"] == "MSG").collect();
    assert_eq!(msgs.len(), 2);
    for m in msgs {
        assert_eq!(m["role"], "SB");
        assert_eq!(m["channel"], "MSNC");
    }
    // And in the dialogue.
    let text = stdout(&read(&client_messages_mid_stream(), &["--color", "never"]));
    let opened = text.lines().next().unwrap();
    assert!(
        opened.ends_with("picked up mid-stream; SB (port 1863, the client sent MSG)"),
        "{opened}"
    );
}

/// A notification server login the server refuses (911: authentication failed).
fn refused_login() -> Pcap {
    let mut p = Pcap::new(LT);
    let mut c = Conv::new(LT, "10.0.0.1:50002", "10.0.0.2:1863", 100, 200);
    c.handshake(&mut p);
    c.client(&mut p, b"VER 1 MSNP8 CVR0\r\n");
    c.server(&mut p, b"VER 1 MSNP8\r\n");
    c.client(
        &mut p,
        b"CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.2.0137 MSMSGS alice@example.com\r\n",
    );
    c.server(
        &mut p,
        b"CVR 2 6.2.0208 6.2.0208 6.2.0208 http://x http://y\r\n",
    );
    c.client(&mut p, b"USR 3 TWN I alice@example.com\r\n");
    c.server(&mut p, b"USR 3 TWN S lc=1033,id=507,tw=40\r\n");
    c.client(&mut p, b"USR 4 TWN S t=bad-ticket\r\n");
    c.server(&mut p, b"911 4\r\n");
    c.server_fin(&mut p);
    c.client_fin(&mut p);
    p
}

#[test]
fn hole_5_the_role_reason_says_what_was_seen_not_a_login_that_never_happened() {
    let text = stdout(&read(&refused_login(), &["--color", "never"]));
    let opened = text.lines().next().unwrap();
    assert!(
        opened.ends_with("dialect unknown; NS (port 1863, the client sent VER)"),
        "{opened}"
    );
    assert!(!text.contains("logged in"), "{text}");
    assert!(
        text.contains("<o> error 911: authentication failed"),
        "{text}"
    );
    let evs = jsonl(&read(&refused_login(), &["--format", "jsonl"]));
    for c in connection_events(&evs) {
        let reason = c["role_reason"].as_str().unwrap();
        assert!(!reason.contains("login"), "{reason}");
        assert_eq!(c["role"], "NS");
    }
    // A login the server accepts does change the reason, as soon as it happens.
    let mut p = Pcap::new(LT);
    let mut c = Conv::new(LT, "10.0.0.1:50003", "10.0.0.2:1863", 100, 200);
    c.handshake(&mut p);
    c.client(&mut p, b"VER 1 MSNP8 CVR0\r\n");
    c.server(&mut p, b"VER 1 MSNP8\r\n");
    c.client(&mut p, b"USR 3 TWN I alice@example.com\r\n");
    c.server(&mut p, b"USR 3 OK alice@example.com Alice 1 0\r\n");
    let evs = jsonl(&read(&p, &["--format", "jsonl"]));
    let last = *connection_events(&evs).last().unwrap();
    assert_eq!(
        last["role_reason"],
        "port 1863, the server accepted the login (USR OK)"
    );
}

/// A switchboard announced by `XFR ... SB` on a notification server whose `VER` was not
/// captured, so the switchboard has no dialect until another user's `JOI` shows their client
/// capabilities.
fn switchboard_with_a_participants_client_id() -> Pcap {
    let mut p = Pcap::new(LT);
    let mut ns = Conv::new(LT, "10.0.0.1:50010", "10.0.0.2:1863", 100, 200);
    ns.client(&mut p, b"XFR 9 SB\r\n");
    ns.server(
        &mut p,
        b"XFR 9 SB 10.0.0.3:1864 CKI 17262740.1050826919.32308\r\n",
    );
    let mut sb = Conv::new(LT, "10.0.0.1:50011", "10.0.0.3:1864", 300, 400);
    sb.handshake(&mut p);
    sb.client(
        &mut p,
        b"USR 1 alice@example.com 17262740.1050826919.32308\r\n",
    );
    sb.server(&mut p, b"USR 1 OK alice@example.com Alice\r\n");
    sb.client(&mut p, b"CAL 2 bob@example.com\r\n");
    sb.server(&mut p, b"CAL 2 RINGING 11752013\r\n");
    // Client id 0x50000020: MSNC5.
    sb.server(&mut p, b"JOI bob@example.com Bob 1342177312\r\n");
    p
}

#[test]
fn hole_5_a_dialect_inferred_from_another_users_capabilities_is_marked_inferred() {
    let p = switchboard_with_a_participants_client_id();
    let evs = jsonl(&read(&p, &["--format", "jsonl"]));
    let sb: Vec<&Value> = connection_events(&evs)
        .into_iter()
        .filter(|e| e["server"] == "10.0.0.3:1864")
        .collect();
    let last = sb.last().expect("switchboard events");
    assert_eq!(last["role"], "SB");
    assert_eq!(last["dialect_source"], "inferred");
    assert_eq!(
        last["dialect_basis"],
        "a participant's client capabilities in JOI"
    );
    let dialect = last["dialect"].as_str().unwrap().to_string();
    // The dialogue never prints it as the connection's negotiated dialect.
    let text = stdout(&read(&p, &["--color", "never", "--notes", "full"]));
    let expected = format!(
        "dialect at least {dialect}, inferred from a participant's client capabilities in JOI"
    );
    assert!(text.contains(&expected), "{text}");
    assert!(
        !text.contains(&format!("dialect {dialect},")),
        "a bare dialect was printed:\n{text}"
    );
}
