//! One test per content type through [`decode`], hostile bodies, and a property test that no
//! body makes the decoder panic or write a note that is not one inert line.

use super::*;
use crate::escape::is_hidden;
use proptest::prelude::*;

/// A body with the usual two header lines, `extra` header lines, and `body`.
fn mime(content_type: &str, extra: &str, body: &[u8]) -> Vec<u8> {
    let mut v =
        format!("MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n{extra}\r\n").into_bytes();
    v.extend_from_slice(body);
    v
}

/// The variant's name, for comparisons (the JSON names are the wire layer's).
fn name(k: &Kind) -> String {
    let debug = format!("{k:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_string()
}

fn notes(m: &Message) -> String {
    m.notes().join("; ")
}

#[test]
fn text_in_utf8_with_its_format() {
    let m = decode(
        &mime(
            "text/plain; charset=UTF-8",
            "X-MMS-IM-Format: FN=Segoe%20UI; EF=BI; CO=ff0000; CS=0; PF=22\r\n",
            "ça va?\r\n\r\nsecond paragraph".as_bytes(),
        ),
        Some("bob@x.com".into()),
    );
    assert_eq!(m.content_type.as_deref(), Some("text/plain"));
    assert_eq!(m.charset.as_deref(), Some("UTF-8"));
    assert_eq!(name(&m.kind), "Text");
    let t = m.text().expect("text");
    // Everything after the first blank line, later blank lines included.
    assert_eq!(t.text, "ça va?\r\n\r\nsecond paragraph");
    assert_eq!(t.encoding, text::Encoding::Utf8);
    let f = t.format.as_ref().expect("format");
    assert_eq!(f.font.as_deref(), Some("Segoe UI"));
    assert_eq!(f.effects, [text::Effect::Bold, text::Effect::Italic]);
    // BGR ff0000 is blue.
    assert_eq!(f.color.map(text::color_hex).as_deref(), Some("#0000ff"));
    assert_eq!(f.charset, Some(0));
    assert!(m.notes().is_empty());
}

#[test]
fn text_in_latin1_is_read_so_and_noted() {
    let m = decode(
        &mime("text/plain; charset=ISO-8859-1", "", b"na\xefve caf\xe9"),
        None,
    );
    assert_eq!(m.charset.as_deref(), Some("ISO-8859-1"));
    let t = m.text().unwrap();
    assert_eq!(t.text, "naïve café");
    assert_eq!(t.encoding, text::Encoding::Latin1 { bytes: 2 });
    assert_eq!(t.format, None);
    assert_eq!(
        notes(&m),
        "2 bytes of the text are not UTF-8: read as Latin-1"
    );
}

#[test]
fn typing() {
    let m = decode(
        &mime("text/x-msmsgscontrol", "TypingUser: bob@x.com\r\n", b"\r\n"),
        Some("bob@x.com".into()),
    );
    assert_eq!(
        m.kind,
        Kind::Typing {
            user: Some("bob@x.com".into())
        }
    );
    assert_eq!(notes(&m), "bob@x.com is typing");
}

#[test]
fn invitation() {
    let m = decode(
        &mime(
            "text/x-msmsgsinvite; charset=UTF-8",
            "",
            b"Application-Name: File Transfer\r\nApplication-GUID: {5D3E02AB-6190-11D3-BBBB-00C04F795683}\r\nInvitation-Command: INVITE\r\nInvitation-Cookie: 57496\r\nApplication-File: photo.jpg\r\nApplication-FileSize: 30210\r\n\r\n",
        ),
        None,
    );
    let Kind::Invitation(i) = &m.kind else {
        panic!("{:?}", m.kind)
    };
    assert_eq!(i.application, Some(invite::App::FileTransfer));
    assert_eq!(i.cookie.as_deref(), Some("57496"));
    assert_eq!(
        notes(&m),
        "file transfer invitation 57496: file \"photo.jpg\" (30210 bytes)"
    );
}

#[test]
fn datacasts() {
    for (body, id, note) in [
        (&b"ID: 1\r\n\r\n"[..], 1, "nudge from bob@x.com"),
        (
            b"ID: 2\r\nData: <msnobj Creator=\"bob@x.com\" Type=\"8\" Friendly=\"VwBpAG4AawA=\"/>\r\n\r\n",
            2,
            "wink from bob@x.com: \"Wink\"",
        ),
        (
            b"ID: 3\r\nData: <msnobj Creator=\"bob@x.com\" Type=\"11\"/>\r\n\r\n",
            3,
            "voice clip from bob@x.com",
        ),
        (
            b"ID: 4\r\nData: waves\r\n\r\n",
            4,
            "action message from bob@x.com: waves",
        ),
    ] {
        let m = decode(
            &mime("text/x-msnmsgr-datacast", "", body),
            Some("bob@x.com".into()),
        );
        let Kind::Datacast(d) = &m.kind else {
            panic!("{:?}", m.kind)
        };
        assert_eq!(d.id, Some(id));
        assert_eq!(notes(&m), note);
    }
}

#[test]
fn emoticons_and_animated_emoticons() {
    let body = b":cat:\t<msnobj Creator=\"a@b\" Type=\"2\"/>\t";
    let m = decode(&mime("text/x-mms-emoticon", "", body), None);
    assert_eq!(name(&m.kind), "Emoticons");
    assert_eq!(notes(&m), "custom emoticons: :cat:");
    let m = decode(&mime("text/x-mms-animemoticon", "", body), None);
    assert_eq!(name(&m.kind), "AnimatedEmoticons");
    assert_eq!(notes(&m), "animated emoticons: :cat:");
}

#[test]
fn client_caps_keepalive_ink() {
    let m = decode(
        &mime(
            "text/x-clientcaps",
            "",
            b"Client-Name: Gaim/0.79\r\nChat-Logging: N\r\n",
        ),
        None,
    );
    assert_eq!(
        notes(&m),
        "client capabilities: Gaim/0.79, does not log conversations"
    );
    let m = decode(
        &mime("text/x-clientinfo", "", b"Client-Name: Trillian\r\n"),
        None,
    );
    assert_eq!(name(&m.kind), "ClientCaps");
    let m = decode(&mime("text/x-keepalive", "", b""), None);
    assert_eq!(
        (name(&m.kind), notes(&m)),
        ("Keepalive".into(), "keep-alive".into())
    );
    let m = decode(&mime("image/gif", "", b"base64:R0lGOD"), None);
    assert_eq!(m.kind, Kind::Ink(control::Ink::Gif));
    let m = decode(&mime("application/x-ms-ink", "", b"base64:AAA"), None);
    assert_eq!(m.kind, Kind::Ink(control::Ink::Isf));
}

#[test]
fn p2p_envelope_only() {
    let mut body = mime(
        "application/x-msnmsgrp2p",
        "P2P-Dest: bob@x.com\r\n",
        &[0; 48],
    );
    body.extend_from_slice(&[0, 0, 0, 1]);
    let m = decode(&body, None);
    let Kind::P2p(p) = &m.kind else {
        panic!("{:?}", m.kind)
    };
    assert_eq!(p.dest.as_deref(), Some("bob@x.com"));
    assert_eq!(p.src, None);
    assert_eq!(p.body_len, 52);
}

#[test]
fn chunked_messages_are_recognised() {
    let first = decode(
        &mime(
            "text/plain; charset=UTF-8",
            "Message-ID: {AB12}\r\nChunks: 3\r\n",
            b"part one, ",
        ),
        None,
    );
    assert_eq!(
        first.chunk,
        Some(Chunk {
            message_id: "{AB12}".into(),
            part: 1,
            parts: Some(3)
        })
    );
    assert_eq!(name(&first.kind), "Text");
    assert_eq!(notes(&first), "part 1 of 3 of chunked message {AB12}");
    let later = decode(b"Message-ID: {AB12}\r\nChunk: 2\r\n\r\npart three", None);
    assert_eq!(later.kind, Kind::ChunkPart);
    assert_eq!(later.content_type, None);
    assert_eq!(notes(&later), "part 3 of chunked message {AB12}");
    // A Message-ID alone is no chunk.
    let m = decode(&mime("image/gif", "Message-ID: {1}\r\n", b""), None);
    assert_eq!(m.chunk, None);
}

#[test]
fn notification_server_kinds() {
    let cases: [(&str, &str, &[u8], &str, &str); 7] = [
        (
            "text/x-msmsgsprofile; charset=UTF-8",
            "LoginTime: 1136000000\r\nClientIP: 10.1.1.5\r\nClientPort: 3001\r\n",
            b"",
            "Profile",
            "login profile: the server sees the client at 10.1.1.5:3001",
        ),
        (
            "text/x-msmsgsinitialemailnotification; charset=UTF-8",
            "",
            b"Inbox-Unread: 3\r\nFolders-Unread: 1\r\n\r\n",
            "InitialEmail",
            "unread e-mail: 3 in the inbox, 1 in other folders",
        ),
        (
            "text/x-msmsgsemailnotification; charset=UTF-8",
            "",
            b"From: Bob\r\nFrom-Addr: bob@x.com\r\nSubject: hi\r\n",
            "NewEmail",
            "new e-mail from Bob <bob@x.com>: \"hi\"",
        ),
        (
            "text/x-msmsgsactivemailnotification; charset=UTF-8",
            "",
            b"Src-Folder: ACTIVE\r\nDest-Folder: trAsH\r\nMessage-Delta: 2\r\n",
            "EmailActivity",
            "mailbox activity: 2 messages moved from ACTIVE to trAsH",
        ),
        (
            "text/x-msmsgsinitialmdatanotification; charset=UTF-8",
            "",
            b"Mail-Data: <MD><E><IU>0</IU></E><M><T>11</T></M></MD>\r\n",
            "InitialMailData",
            "mail data at login: 1 offline message, 0 unread e-mails in the inbox",
        ),
        (
            "text/x-msmsgsoimnotification; charset=UTF-8",
            "",
            b"Mail-Data: <MD><M><T>11</T></M></MD>\r\n",
            "OimNotification",
            "offline message notice: 1 offline message",
        ),
        (
            "application/x-msmsgssystemmessage",
            "",
            b"Type: 1\r\nArg1: 10\r\n",
            "SystemMessage",
            "the server goes down for maintenance in 10 minutes",
        ),
    ];
    for (ctype, extra, body, kind, note) in cases {
        let m = decode(&mime(ctype, extra, body), Some("Hotmail".into()));
        assert_eq!(name(&m.kind), kind, "{ctype}");
        assert_eq!(notes(&m), note, "{ctype}");
    }
}

#[test]
fn unknown_types_keep_their_headers() {
    let m = decode(
        &mime("application/x-frobnicate; v=2", "X-Thing: 1\r\n", b"data"),
        None,
    );
    assert_eq!(m.kind, Kind::Unknown);
    assert_eq!(m.content_type.as_deref(), Some("application/x-frobnicate"));
    assert_eq!(m.charset, None);
    let names: Vec<&str> = m.headers.iter().map(|h| h.name.as_ref()).collect();
    assert_eq!(names, ["MIME-Version", "Content-Type", "X-Thing"]);
    assert_eq!(
        notes(&m),
        "message of type application/x-frobnicate, not decoded"
    );
    let m = decode(b"just some bytes", None);
    assert_eq!(m.content_type, None);
    assert_eq!(
        notes(&m),
        "message without a Content-Type; no empty line ends the headers"
    );
}

#[test]
fn hostile_a_huge_header_block() {
    let mut p = b"Content-Type: text/plain\r\n".to_vec();
    for i in 0..10_000 {
        p.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
    }
    p.extend_from_slice(b"\r\nhello");
    let m = decode(&p, None);
    assert_eq!(m.headers.len(), mime::MAX_HEADERS);
    assert_eq!(m.headers_end, HeadersEnd::TooLong);
    // Still text/plain, and what follows the cap is read as its body.
    assert_eq!(name(&m.kind), "Text");
    let n = notes(&m);
    assert!(n.contains("headers longer than 16384 bytes"), "{n}");
    assert!(n.contains("header lines past the first 64 ignored"), "{n}");
}

#[test]
fn hostile_no_blank_line() {
    let m = decode(
        b"MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: bob@x.com",
        None,
    );
    assert_eq!(m.headers_end, HeadersEnd::Missing);
    assert_eq!(
        notes(&m),
        "bob@x.com is typing; no empty line ends the headers"
    );
}

#[test]
fn hostile_invalid_utf8_everywhere() {
    let m = decode(
        b"Content-\xffType: text/plain\r\nContent-Type: text/pl\xe9in; charset=\xfe\r\nX-MMS-IM-Format: FN=\xff%FF\r\nTypingUser\xc3: x\r\n\r\n\xc3\x28 body",
        Some("s\\xFF".into()),
    );
    // The header with a broken name is not `Content-Type`; the other one is, broken value and
    // all, in the data form.
    assert_eq!(m.content_type.as_deref(), Some("text/pl\\xE9in"));
    assert_eq!(m.charset.as_deref(), Some("\\xFE"));
    assert_eq!(m.headers[0].name, "Content-\\xFFType");
    assert_eq!(m.kind, Kind::Unknown);
    assert_eq!(notes(&m), "message of type text/pl\\xE9in, not decoded");
    // The same bytes in a text/plain body are read as Latin-1.
    let m = decode(
        b"Content-Type: text/plain\r\nX-MMS-IM-Format: FN=\xff%FF\r\n\r\n\xc3\x28",
        None,
    );
    let t = m.text().unwrap();
    assert_eq!(t.text, "Ã(");
    assert_eq!(
        t.format.as_ref().and_then(|f| f.font.as_deref()),
        Some("\\xFF\\xFF")
    );
}

#[test]
fn hostile_control_and_bidi_characters_are_data_in_fields_and_spelt_out_in_notes() {
    let m = decode(
        &mime(
            "text/x-msmsgscontrol",
            "TypingUser: evil\u{202e}moc.x@bob\x1b[2J\r\n",
            b"\r\n",
        ),
        None,
    );
    let Kind::Typing { user } = &m.kind else {
        panic!()
    };
    // Data: kept as it is (JSON escapes the control character itself).
    assert_eq!(user.as_deref(), Some("evil\u{202e}moc.x@bob\x1b[2J"));
    // Notes: one inert line.
    assert_eq!(notes(&m), "evil\\u{202E}moc.x@bob\\x1B[2J is typing");
    let m = decode(
        &mime(
            "text/x-msmsgsinvite",
            "",
            "Invitation-Command: INVITE\r\nApplication-File: ..\\..\\evil\u{202e}gnp.exe\r\nApplication-Name: a\tb\u{2028}c\r\n"
                .as_bytes(),
        ),
        None,
    );
    assert_eq!(
        notes(&m),
        "\"a\\tb\\u{2028}c\" invitation: file \"..\\\\..\\\\evil\\u{202E}gnp.exe\""
    );
}

#[test]
fn hostile_control_and_bidi_characters_in_header_names_and_the_type() {
    let m = decode(
        "Content-Type: application/x-\u{202e}fdp.exe\x07\r\nX-\u{2066}Na\x1bme\t: v\r\n\r\n"
            .as_bytes(),
        None,
    );
    assert_eq!(m.kind, Kind::Unknown);
    // Data: the names as sent (a trailing tab trimmed like a space).
    assert_eq!(m.headers[1].name, "X-\u{2066}Na\x1bme");
    assert_eq!(
        m.content_type.as_deref(),
        Some("application/x-\u{202e}fdp.exe\x07")
    );
    // The note: one inert line.
    assert_eq!(
        notes(&m),
        "message of type application/x-\\u{202E}fdp.exe\\x07, not decoded"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes never panic, and every note is one inert line.
    #[test]
    fn arbitrary_bodies_decode(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let m = decode(&bytes, None);
        for n in m.notes() {
            prop_assert!(!n.chars().any(is_hidden), "{:?}", n);
        }
    }

    /// Bodies made of the pieces the decoder looks for, in any order.
    #[test]
    fn structured_bodies_decode(
        parts in proptest::collection::vec(prop_oneof![
            proptest::sample::select(vec![
                "Content-Type: text/plain; charset=UTF-8\r\n",
                "Content-Type: text/x-msmsgsinvite\r\n",
                "Content-Type: text/x-msnmsgr-datacast\r\n",
                "Content-Type: text/x-mms-emoticon\r\n",
                "Content-Type: text/x-msmsgsprofile\r\n",
                "Content-Type: application/x-msnmsgrp2p\r\n",
                "Content-Type: text/x-msmsgsemailnotification\r\n",
                "Content-Type: text/x-msmsgsinitialmdatanotification\r\n",
                "X-MMS-IM-Format: FN=%; EF=BIUS; CO=fffffff; CS=ff\r\n",
                "Message-ID: {x}\r\nChunks: 99999999999999999999\r\n",
                "Chunk: 18446744073709551615\r\n",
                "ID: 2\r\nData: <msnobj Friendly=\"=?\" Type='8'\r\n",
                "Subject: =?utf-8?Q?=?= =?utf-8?B?@@?=\r\n",
                "Mail-Data: <MD><IU><M><M>\r\n",
                "\r\n", "\n", "\r", ":", "\t", "=?", "\u{202e}", "\\",
            ]).prop_map(|s| s.as_bytes().to_vec()),
            proptest::collection::vec(any::<u8>(), 0..8),
        ], 0..24)
    ) {
        let m = decode(&parts.concat(), Some("a@b".into()));
        for n in m.notes() {
            prop_assert!(!n.chars().any(is_hidden), "{:?}", n);
        }
    }

    /// The dialogue's quick look at a payload (`content_type_of`) sees what the full parse
    /// sees: the end of the header block, where the body starts, the content type.
    #[test]
    fn the_quick_content_type_agrees_with_the_parse(
        parts in proptest::collection::vec(prop_oneof![
            proptest::sample::select(vec![
                "Content-Type: text/plain; charset=UTF-8\r\n",
                "content-TYPE:Application/X-MsnMsgrP2P \r\n",
                "Content-Type: te\\xt/\u{202e}x; a=b\r\n",
                "  Content-Type\t:  \r\n",
                "Content-Typ: text/x\r\n",
                "X: y\r\n", "\r\n", "\n", "\r", ":", "\t", ";", "\\",
            ]).prop_map(|s| s.as_bytes().to_vec()),
            proptest::collection::vec(any::<u8>(), 0..8),
            // Enough headers to pass the cap, so that a content type after it is not seen.
            Just(b"A: b\r\n".repeat(crate::msnc::mime::MAX_HEADERS)),
        ], 0..12)
    ) {
        let payload = parts.concat();
        let full = crate::msnc::mime::Mime::parse(&payload);
        let quick = crate::msnc::mime::Mime::content_type_of(&payload);
        prop_assert_eq!(
            quick,
            (full.end, payload.len() - full.body.len(), full.content_type())
        );
    }
}
