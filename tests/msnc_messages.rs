//! Issue 8, the message layer, through the binary on `captures/synthetic_msnc_messages.pcap`
//! (built by `tests/fixtures.rs`): every `MSG` names its sender and content type, and each
//! kind of message carries its named fields in `msnc` and its note; a hostile file name in an
//! invitation stays data in JSON and is inert in notes and in the dialogue.

mod support;

use serde_json::{Value, json};
use support::*;

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/captures/synthetic_msnc_messages.pcap"
);

fn messages() -> Vec<Value> {
    let out = msnsniff(&["read", "--format", "jsonl", CAPTURE]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    jsonl(&out)
        .into_iter()
        .filter(|e| e["verb"] == "MSG")
        .collect()
}

/// The messages of one kind.
fn of_kind(all: &[Value], kind: &str) -> Vec<Value> {
    all.iter()
        .filter(|m| m["msnc"]["kind"] == kind)
        .cloned()
        .collect()
}

fn one(all: &[Value], kind: &str) -> Value {
    let v = of_kind(all, kind);
    assert_eq!(v.len(), 1, "one {kind} message");
    v.into_iter().next().unwrap()
}

#[test]
fn every_message_names_its_sender_and_content_type() {
    let all = messages();
    // Seven from the notification server, twenty-two on the switchboard.
    assert_eq!(all.len(), 29);
    for m in &all {
        let sender = m["sender"].as_str().expect("a sender");
        let expected = match (m["role"].as_str(), m["dir"].as_str()) {
            (Some("NS"), _) => "Hotmail",
            (_, Some("c2s")) => "alice@hotmail.com",
            _ => "bob@hotmail.com",
        };
        assert_eq!(sender, expected, "{m}");
        assert!(m.get("content_type").is_some(), "{m}");
    }
    // Only a later chunk has no type of its own.
    let untyped: Vec<&Value> = all.iter().filter(|m| m["content_type"].is_null()).collect();
    assert_eq!(untyped.len(), 1);
    assert_eq!(untyped[0]["msnc"]["kind"], "chunk");
}

#[test]
fn text_in_utf8_and_in_latin1_with_its_format() {
    let all = messages();
    let texts = of_kind(&all, "text");
    // Two texts in UTF-8, one in Latin-1, and the first part of the chunked one.
    assert_eq!(texts.len(), 4);
    let first = &texts[0];
    assert_eq!(first["text"], "bonjour Bob, ça va ? ☕");
    assert_eq!(first["charset"], "UTF-8");
    assert_eq!(
        first["format"],
        json!({"font": "Comic Sans MS", "effects": ["bold", "italic"], "color": "#0000ff",
            "charset_code": 0, "charset_name": "ANSI", "pitch_family": "22"})
    );
    assert_eq!(first["msnc"], json!({"kind": "text", "encoding": "utf-8"}));
    assert!(first.get("note").is_none());

    let latin1 = all
        .iter()
        .find(|m| m["charset"] == "ISO-8859-1")
        .expect("the Latin-1 text");
    assert_eq!(latin1["text"], "très bien, merci. Un café ?");
    assert_eq!(latin1["format"]["color"], "#ff0000");
    assert_eq!(
        latin1["msnc"],
        json!({"kind": "text", "encoding": "latin-1", "latin1_bytes": 2})
    );
    assert_eq!(
        latin1["note"],
        "2 bytes of the text are not UTF-8: read as Latin-1"
    );
    // The payload is not UTF-8: it is in base64, and the dialogue shows the bytes escaped.
    assert!(latin1.get("payload_base64").is_some());
    let dialogue = stdout(&msnsniff(&["read", "--color", "never", CAPTURE]));
    assert!(dialogue.contains("<<< tr\\xE8s bien, merci. Un caf\\xE9 ?\n"));
}

#[test]
fn typing_datacasts_emoticons_caps_keepalive_ink() {
    let all = messages();
    let typing = one(&all, "typing");
    assert_eq!(typing["msnc"]["user"], "bob@hotmail.com");
    assert_eq!(typing["note"], "bob@hotmail.com is typing");

    let casts = of_kind(&all, "datacast");
    let names: Vec<&str> = casts
        .iter()
        .map(|m| m["msnc"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["nudge", "wink", "voice_clip", "action_message"]);
    let notes: Vec<&str> = casts.iter().map(|m| m["note"].as_str().unwrap()).collect();
    assert_eq!(
        notes,
        [
            "nudge from bob@hotmail.com",
            "wink from bob@hotmail.com: \"Wave\"",
            "voice clip from alice@hotmail.com",
            "action message from alice@hotmail.com: offers a coffee",
        ]
    );
    let wink = &casts[1]["msnc"]["msnobject"];
    assert_eq!(wink["creator"], "bob@hotmail.com");
    assert_eq!(
        (wink["object_type"].as_u64(), &wink["object_type_name"]),
        (Some(8), &json!("wink"))
    );
    assert_eq!(wink["friendly"], "Wave");
    assert_eq!(
        casts[2]["msnc"]["msnobject"]["object_type_name"],
        "voice_clip"
    );
    assert_eq!(casts[3]["msnc"]["data"], "offers a coffee");

    let emo = one(&all, "emoticons");
    let shortcuts: Vec<&str> = emo["msnc"]["emoticons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["shortcut"].as_str().unwrap())
        .collect();
    assert_eq!(shortcuts, [":cat:", "(pizza)"]);
    assert_eq!(emo["note"], "custom emoticons: :cat: (pizza)");
    let anim = one(&all, "animated_emoticons");
    assert_eq!(
        anim["msnc"]["emoticons"][0]["msnobject"]["creator"],
        "bob@hotmail.com"
    );
    assert_eq!(anim["note"], "animated emoticons: (dance)");

    let caps = one(&all, "client_caps");
    assert_eq!(caps["msnc"]["client_name"], "Gaim/0.79");
    assert_eq!(caps["msnc"]["chat_logging"], "Y");
    assert_eq!(
        caps["note"],
        "client capabilities: Gaim/0.79, logs conversations"
    );
    assert_eq!(one(&all, "keepalive")["note"], "keep-alive");
    let ink = one(&all, "ink");
    assert_eq!(ink["msnc"]["ink_format"], "gif");
    assert_eq!(ink["note"], "handwriting (ink) as a GIF");
}

#[test]
fn a_netmeeting_invitation_declined() {
    let all = messages();
    let inv: Vec<Value> = of_kind(&all, "invitation")
        .into_iter()
        .filter(|m| m["msnc"]["cookie"] == "31337")
        .collect();
    assert_eq!(inv.len(), 2);
    assert_eq!(inv[0]["msnc"]["application"], "netmeeting");
    assert_eq!(inv[0]["msnc"]["session_protocol"], "SM1");
    assert_eq!(inv[0]["note"], "NetMeeting invitation 31337");
    assert_eq!(inv[1]["msnc"]["cancel_meaning"], "declined");
    assert_eq!(
        inv[1]["note"],
        "invitation 31337 cancelled: REJECT (declined)"
    );
}

#[test]
fn a_file_invitation_offered_accepted_and_cancelled() {
    let all = messages();
    let inv: Vec<Value> = of_kind(&all, "invitation")
        .into_iter()
        .filter(|m| m["msnc"]["cookie"] == "57496")
        .collect();
    let commands: Vec<&str> = inv
        .iter()
        .map(|m| m["msnc"]["command"].as_str().unwrap())
        .collect();
    assert_eq!(commands, ["INVITE", "ACCEPT", "ACCEPT", "CANCEL"]);
    let offer = &inv[0]["msnc"];
    assert_eq!(offer["application"], "file_transfer");
    assert_eq!(
        offer["application_guid"],
        "{5D3E02AB-6190-11D3-BBBB-00C04F795683}"
    );
    assert_eq!(offer["file_size"], 30210);
    // Data: the backslashes doubled by the JSON text rule, the bidi override kept as a
    // character.
    assert_eq!(offer["file"], "..\\\\..\\\\evil\u{202e}gnp.exe");
    // The note: one inert line.
    assert_eq!(
        inv[0]["note"],
        "file transfer invitation 57496: file \"..\\\\..\\\\evil\\u{202E}gnp.exe\" (30210 bytes)"
    );
    let accept = &inv[2]["msnc"];
    assert_eq!(accept["ip_address"], "198.51.100.7");
    assert_eq!(
        (accept["port"].as_u64(), accept["port_x"].as_u64()),
        (Some(6891), Some(11178))
    );
    assert_eq!(accept["auth_cookie"], "1618033988");
    assert_eq!(
        inv[2]["note"],
        "invitation 57496 accepted, connect to 198.51.100.7:6891"
    );
    assert_eq!(inv[3]["msnc"]["cancel_code"], "FTTIMEOUT");
    assert_eq!(
        inv[3]["note"],
        "invitation 57496 cancelled: FTTIMEOUT (the file transfer timed out)"
    );
    // The dialogue never prints the override itself.
    let dialogue = stdout(&msnsniff(&["read", "--color", "never", CAPTURE]));
    assert!(!dialogue.contains('\u{202e}'));
    assert!(dialogue.contains(">>> Application-File: ..\\\\..\\\\evil\\u{202E}gnp.exe\\r\\n\n"));
}

#[test]
fn chunks_and_an_unknown_type() {
    let all = messages();
    let id = "{8A5D7E2C-3B1F-4C6D-9E0A-1B2C3D4E5F60}";
    let first = all
        .iter()
        .find(|m| m["msnc"]["chunk"]["part"] == 1)
        .expect("the first part");
    assert_eq!(first["msnc"]["kind"], "text");
    assert_eq!(
        first["msnc"]["chunk"],
        json!({"message_id": id, "part": 1, "parts": 2})
    );
    assert_eq!(
        first["note"],
        format!("part 1 of 2 of chunked message {id}")
    );
    let second = one(&all, "chunk");
    assert_eq!(
        second["msnc"]["chunk"],
        json!({"message_id": id, "part": 2})
    );
    assert_eq!(second["note"], format!("part 2 of chunked message {id}"));
    assert!(second.get("text").is_none());

    let unknown = one(&all, "unknown");
    assert_eq!(
        unknown["content_type"],
        "application/x-msnmsgr-sharedcanvas"
    );
    assert_eq!(
        unknown["msnc"]["headers"],
        json!([
            ["MIME-Version", "1.0"],
            [
                "Content-Type",
                "application/x-msnmsgr-sharedcanvas; version=2"
            ],
            ["X-Canvas-Id", "7"]
        ])
    );
    assert_eq!(
        unknown["note"],
        "message of type application/x-msnmsgr-sharedcanvas, not decoded"
    );
}

#[test]
fn the_notification_server_kinds() {
    let all = messages();
    let profile = one(&all, "profile");
    assert_eq!(profile["charset"], "UTF-8");
    let p = &profile["msnc"];
    assert_eq!(
        (p["login_time"].as_u64(), p["sid"].as_u64()),
        (Some(1136000000), Some(507))
    );
    assert_eq!(
        (&p["client_ip"], p["client_port"].as_u64()),
        (&json!("203.0.113.9"), Some(52225))
    );
    assert_eq!(p["email_enabled"], true);
    assert_eq!(p["country"], "FR");
    // `MemberIdLow: -1` is no number: left to the payload.
    assert!(p.get("member_id_low").is_none());
    assert_eq!(
        profile["note"],
        "login profile: the server sees the client at 203.0.113.9:52225"
    );

    let initial = one(&all, "initial_email");
    assert_eq!(initial["msnc"]["inbox_unread"], 4);
    assert_eq!(
        initial["note"],
        "unread e-mail: 4 in the inbox, 2 in other folders"
    );
    let mail = one(&all, "new_email");
    assert_eq!(mail["msnc"]["from"], "René Dupont");
    assert_eq!(mail["msnc"]["from_raw"], "=?iso-8859-1?Q?Ren=E9_Dupont?=");
    assert_eq!(mail["msnc"]["subject"], "Re: dîner");
    assert_eq!(
        mail["note"],
        "new e-mail from René Dupont <rene@example.fr>: \"Re: dîner\""
    );
    assert_eq!(
        one(&all, "email_activity")["note"],
        "mailbox activity: 1 message moved from ACTIVE to trAsH"
    );
    let md = one(&all, "initial_mail_data");
    assert_eq!(md["msnc"]["offline_messages"], 1);
    assert_eq!(md["msnc"]["other_unread"], 2);
    assert_eq!(
        one(&all, "oim_notification")["note"],
        "offline message notice: 1 offline message"
    );
    let sys = one(&all, "system_message");
    assert_eq!(sys["msnc"]["minutes"], 5);
    assert_eq!(
        sys["note"],
        "the server goes down for maintenance in 5 minutes"
    );
}

#[test]
fn other_commands_get_no_message_fields() {
    let out = msnsniff(&["read", "--format", "jsonl", CAPTURE]);
    for e in jsonl(&out) {
        if e["type"] == "command" && e["verb"] != "MSG" {
            for key in [
                "sender",
                "content_type",
                "charset",
                "text",
                "format",
                "msnc",
            ] {
                assert!(e.get(key).is_none(), "{key} on {e}");
            }
        }
    }
}
