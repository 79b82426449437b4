//! Tests of the correlator: real captures (each message once, lists as on the wire) and the
//! merge rule on made-up events (orders of arrival, repeats, late connections).

use super::*;
use crate::capture::FileSource;
use crate::event::{Channel, Clients, LineEnd};
use crate::flow::{Closing, Detection, FlowSummary};
use crate::msnp::named::Fields;
use crate::session::Decoder;

fn run(capture: &str) -> (Vec<Conversation>, Finished) {
    let path = format!("{}/captures/{capture}", env!("CARGO_MANIFEST_DIR"));
    let mut source = FileSource::new(vec![path], None);
    let mut sink = Collect::default();
    let mut decoder = Decoder::new(&mut sink);
    crate::pipeline::run(&mut source, crate::pipeline::msn_config(), &mut decoder).expect("run");
    drop(decoder);
    let mut c = Correlator::new();
    let mut early = Vec::new();
    for ev in &sink.0 {
        c.event(ev);
        early.extend(c.take_finished());
    }
    (early, c.finish())
}

use crate::event::Collect;

fn messages(c: &Conversation) -> Vec<(String, String)> {
    c.entries
        .iter()
        .filter_map(|e| match &e.kind {
            EntryKind::Message { sender, text, .. } => Some((sender.clone(), text.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn escargot_both_sides_of_one_switchboard_give_each_message_once() {
    let (early, rest) = run("escargot_msnp11_full.pcap");
    // Connections 4 (alice), 5 (bob) and 6 (carol) are one switchboard session
    // (f7484558-...: alice's CAL ... RINGING, bob's and carol's ANS); all three close before
    // the end, so the conversation is handed out early.
    assert!(rest.conversations.is_empty(), "{:?}", rest.conversations);
    assert_eq!(early.len(), 1);
    let c = &early[0];
    assert_eq!(c.flows, [FlowId(4), FlowId(5), FlowId(6)]);
    assert_eq!(
        c.session_id.as_deref(),
        Some("f7484558-bde3-4a4f-9da8-820dfb2d3395")
    );
    // The texts as on the wire (`read --format jsonl`, MSG bodies of kind text, frames
    // 188, 197, 293, 306, 436), each once though the capture holds two or three copies.
    let s = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        messages(c),
        [
            s(
                "alice@example.com",
                "Hello Bob! This is a real MSNP11 client."
            ),
            s(
                "bob@example.com",
                "Hi Alice éè 你好 -- multi\r\nline\r\nmessage"
            ),
            s("alice@example.com", "Welcome Carol, this is a 3-way chat."),
            s("carol@hotmail.com", "hey both"),
            s("alice@example.com", "gotta go, bye!"),
        ]
    );
    // The relayed copy's friendly name is kept for alice's message (sent by her as `MSG 4 A`).
    let names: Vec<Option<String>> = c
        .entries
        .iter()
        .filter_map(|e| match &e.kind {
            EntryKind::Message { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(names[0].as_deref(), Some("Alice ☺ (msnp11-sdk)"));
    assert_eq!(names[1].as_deref(), Some("Bob"));
    let count = |f: &dyn Fn(&EntryKind) -> bool| c.entries.iter().filter(|e| f(&e.kind)).count();
    assert_eq!(count(&|k| matches!(k, EntryKind::Nudge { .. })), 1);
    assert_eq!(count(&|k| matches!(k, EntryKind::Typing { .. })), 3);
    // JOI bob (on 4 and 5), JOI carol (on 4, 5, 6): once each.
    assert_eq!(count(&|k| matches!(k, EntryKind::Joined { .. })), 2);
    let handles: Vec<&str> = c.participants.iter().map(|p| p.handle.as_str()).collect();
    assert_eq!(
        handles,
        ["alice@example.com", "bob@example.com", "carol@hotmail.com"]
    );
    assert!(c.participants.iter().all(|p| p.local));
    // Linked to the login sessions of alice (NS 3), bob (NS 1) and carol (NS 2).
    assert_eq!(c.login_sessions, [1, 2, 3]);
    assert!(c.missing.is_empty());

    let logins: Vec<(&str, &[FlowId])> = rest
        .login_sessions
        .iter()
        .map(|l| (l.principal.as_str(), l.flows.as_slice()))
        .collect();
    assert_eq!(
        logins,
        [
            ("bob@example.com", &[FlowId(1)][..]),
            ("carol@hotmail.com", &[FlowId(2)][..]),
            ("alice@example.com", &[FlowId(3)][..]),
        ]
    );
    let alice = &rest.login_sessions[2];
    assert_eq!(alice.client_version.as_deref(), Some("msnp11-sdk 0.13.0"));
    assert_eq!(alice.msnc, Some(4));
    assert!(alice.login.is_some());
    let names: Vec<&str> = alice
        .friendly_names
        .iter()
        .map(|(_, n)| n.as_str())
        .collect();
    assert_eq!(names, ["Alice", "Alice ☺ (msnp11-sdk)"]);
    // alice's list after ADC dave FL/AL, ADC carol to group 1, REM it, REM dave AL, carol
    // to BL and back to AL.
    let list = rest
        .contact_lists
        .iter()
        .find(|l| l.principal == "alice@example.com")
        .expect("alice's list");
    let dave = list
        .contacts
        .iter()
        .find(|c| c.handle == "dave@example.com")
        .expect("dave");
    assert_eq!(dave.lists, ["FL"]);
    let carol = list
        .contacts
        .iter()
        .find(|c| c.handle == "carol@hotmail.com")
        .expect("carol");
    assert_eq!(carol.lists, ["FL", "RL", "AL"]);
    assert!(carol.groups.is_empty());
    assert_eq!(list.groups, [("1".to_string(), "Friends".to_string())]);
}

#[test]
fn etherdump_login_contact_list_and_groups_are_as_on_the_wire() {
    let (early, rest) = run("etherdump_msn.pcap");
    // Two logins: dispatch 1 then NS 2, dispatch 3 then NS 4 (`XFR 3 NS`, `XFR 12 NS`).
    let logins: Vec<(&str, &[FlowId])> = rest
        .login_sessions
        .iter()
        .map(|l| (l.principal.as_str(), l.flows.as_slice()))
        .collect();
    assert_eq!(
        logins,
        [
            ("fengzejin@hotmail.com", &[FlowId(1), FlowId(2)][..]),
            ("fengzejin@hotmail.com", &[FlowId(3), FlowId(4)][..]),
        ]
    );
    let l = &rest.login_sessions[1];
    assert_eq!(l.client_version.as_deref(), Some("MSMSGS 4.7.3001"));
    assert_eq!(l.client_caps, ["packet"]);
    assert_eq!(l.msnc, Some(0));
    // `USR 16 OK fengzejin@hotmail.com %19%DB 1 0`, then `REA 19 ... feng`.
    let names: Vec<&str> = l.friendly_names.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["\u{19}\\xDB", "feng"]);
    // The switchboard (5) was opened from the second login.
    assert_eq!(early.len(), 1);
    assert_eq!(early[0].login_sessions, [2]);
    // Texts at frames 136 (qing's `adafa`) and 140 (the client's), as `read --flow 5` shows.
    assert_eq!(early[0].message_count(), 2);

    // The LSG and LST lines of `read captures/etherdump_msn.pcap --format jsonl` (frames
    // 93-114, the same as 32-50): group id, name; handle, friendly name, lists, groups.
    assert_eq!(rest.contact_lists.len(), 1);
    let list = &rest.contact_lists[0];
    assert_eq!(list.principal, "fengzejin@hotmail.com");
    let g = |i: &str, n: &str| (i.to_string(), n.to_string());
    assert_eq!(
        list.groups,
        [g("0", "个人"), g("1", "常用联系人"), g("2", "student")]
    );
    let got: Vec<(&str, Option<&str>, String, String)> = list
        .contacts
        .iter()
        .map(|c| {
            (
                c.handle.as_str(),
                c.friendly_name.as_deref(),
                c.lists.join(","),
                c.groups.join(","),
            )
        })
        .collect();
    let want: Vec<(&str, Option<&str>, String, String)> = [
        ("rn2lxyl495@msn.cn", "晓雯", "FL,AL", "0"),
        ("tommy_qfeng@hotmail.com", "tommy", "FL,AL,RL", "0"),
        ("julyyang8210@hotmail.com", "YangJianlin", "FL,AL,RL", "0"),
        ("gigi-study@hotmail.com", "金鹏", "FL,AL,RL", "2"),
        (
            "flyingdance911@hotmail.com",
            "flyingdance911@hotmail.com",
            "FL,AL,RL",
            "0",
        ),
        (
            "xjtugzy@hotmail.com",
            "xjtugzy@hotmail.com",
            "FL,AL,RL",
            "2",
        ),
        (
            "xiaowu19860216@hotmail.com",
            "xiaowu19860216@hotmail.com",
            "FL,AL",
            "0",
        ),
        ("zhangmeiqing_2009@126.com", "qing", "FL,AL", "0"),
        ("mhwdqad@msn.cn", "mhwdqad@msn.cn", "FL,AL", "0"),
        ("shirleychen1982@hotmail.com", "Candy", "FL,AL,RL", "2"),
        ("hongchang.liu@hotmail.com", "Cam", "FL,AL", "1"),
        ("usb-i2c-spi@hotmail.com", "USBIO TECH.", "FL,AL,RL", "1"),
    ]
    .iter()
    .map(|(h, n, l, g)| (*h, Some(*n), l.to_string(), g.to_string()))
    .collect();
    assert_eq!(got, want);
    // Presence: `ILN 0 NLN zhangmeiqing_2009@126.com qing` on each NS, and the principal's
    // own `CHG ... NLN` replies.
    let qing: Vec<(&str, FlowId)> = rest
        .presence
        .iter()
        .filter(|p| p.handle == "zhangmeiqing_2009@126.com")
        .map(|p| (p.status.as_str(), p.flow))
        .collect();
    assert_eq!(qing, [("NLN", FlowId(2)), ("NLN", FlowId(4))]);
    assert!(
        rest.presence
            .iter()
            .any(|p| p.handle == "fengzejin@hotmail.com" && p.status == "NLN")
    );
}

/// (handle, lists) of a principal's contacts.
fn contacts_of(rest: &Finished, principal: &str) -> Vec<(String, String)> {
    rest.contact_lists
        .iter()
        .find(|l| l.principal == principal)
        .map(|l| {
            l.contacts
                .iter()
                .map(|c| (c.handle.clone(), c.lists.join(",")))
                .collect()
        })
        .unwrap_or_default()
}

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn msnp13_adl_lists_are_applied_when_the_server_says_ok() {
    // `read captures/independent_msnp13_adl.pcap`: `ADL 6` (bob l=3, carol l=1 and l=2, yuki
    // l=3) answered `ADL 6 OK`; `ADL 7` (`not a handle`, l=99) answered `241 7`: not applied.
    let (_, rest) = run("independent_msnp13_adl.pcap");
    assert_eq!(
        contacts_of(&rest, "alice@example.com"),
        owned(&[
            ("bob@example.net", "FL,AL"),
            ("carol@example.org", "FL,AL"),
            ("yuki@yahoo.example", "FL,AL"),
        ])
    );
    // `ADL 5` (bob l=3, carol l=1, yuki l=1) answered OK; `ADL 7` (an empty name) refused.
    let (_, rest) = run("synthetic_msnp14_adl.pcap");
    assert_eq!(
        contacts_of(&rest, "alice@live.com"),
        owned(&[
            ("bob@hotmail.com", "FL,AL"),
            ("carol@hotmail.com", "FL"),
            ("yuki@yahoo.com", "FL"),
        ])
    );
}

#[test]
fn msnp7_lst_lines_add_up_per_list() {
    // `read captures/synthetic_msnp7_md5.pcap`: `LST 7 FL ... bob@hotmail.com Bob 0`, `LST 7
    // FL ... carol@hotmail.com Carol 1`, `LST 7 AL ... bob`, `LST 7 BL 12 0 0`, `LST 7 RL ...
    // bob`: one line per list, so bob is on three lists and keeps his group.
    let (_, rest) = run("synthetic_msnp7_md5.pcap");
    assert_eq!(
        contacts_of(&rest, "alice@hotmail.com"),
        owned(&[("bob@hotmail.com", "FL,AL,RL"), ("carol@hotmail.com", "FL")])
    );
    let list = &rest.contact_lists[0];
    assert_eq!(list.contacts[0].groups, ["0"]);
    assert_eq!(list.contacts[1].groups, ["1"]);
}

#[test]
fn xml_entities_in_personal_messages_are_resolved() {
    assert_eq!(
        unescape_xml("a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;"),
        "a <b> & \"c\" 'd'"
    );
    assert_eq!(unescape_xml("&amp;lt;"), "&lt;");
    assert_eq!(
        unescape_xml("plain <MSNP> & friends"),
        "plain <MSNP> & friends"
    );
}

#[test]
fn current_media_reads_as_what_is_playing() {
    // As sent: a backslash and a zero between fields.
    let on = r"\0Music\01\0{0} - {1}\0Song Title\0Artist\0Album\0\0";
    assert_eq!(media_text(on), "Music: Song Title - Artist");
    let off = r"\0Music\00\0{0} - {1}\0Song Title\0Artist\0Album\0\0";
    assert_eq!(media_text(off), "");
    assert_eq!(media_text(""), "");
    assert_eq!(media_text(r"\0\01\0{1} by {0}\0A\0B"), "B by A");
}

#[test]
fn escargot_presence_has_personal_messages_and_media() {
    // `read captures/escargot_msnp11_full.pcap`: bob's `UUX` sets `<PSM>bob's psm</PSM>`;
    // alice's client later sets the Music line the servers relay in `UBX`.
    let (_, rest) = run("escargot_msnp11_full.pcap");
    assert!(rest.presence.iter().any(
        |p| p.handle == "bob@example.com" && p.personal_message.as_deref() == Some("bob's psm")
    ));
    let media: Vec<&str> = rest
        .presence
        .iter()
        .filter_map(|p| p.current_media.as_deref())
        .filter(|m| !m.is_empty())
        .collect();
    assert!(!media.is_empty());
    assert!(
        media.iter().all(|m| *m == "Music: Song Title - Artist"),
        "{media:?}"
    );
}

#[test]
fn ml_payloads_give_handles_and_list_bits() {
    let xml = br#"<ml l="1"><d n="Example.NET"><c n="bob" l="3" t="1"/><c n="x" t="1"/></d><d n='y.org'><c n="amy" l="9"/><c n="" l="1"/><c n="z" l="x"/></d></ml>"#;
    assert_eq!(
        ml_entries(xml),
        [
            ("bob@example.net".to_string(), 3),
            ("amy@y.org".to_string(), 9)
        ]
    );
    // A quoted name with spaces stays whole (and is kept: the server judges it).
    assert_eq!(
        ml_entries(br#"<ml><d n="x.org"><c n="not a handle" l="1" /></d></ml>"#),
        [("not a handle@x.org".to_string(), 1)]
    );
    assert_eq!(
        ml_entries(b"<ml><d n=x.org><c n=bob l=2/></d></ml>"),
        [("bob@x.org".to_string(), 2)]
    );
    assert!(ml_entries(b"").is_empty());
    assert!(ml_entries(b"<c n=\"a\" l=\"1\"/>").is_empty(), "no domain");
    assert!(ml_entries(b"<ml><d n=\"a").is_empty());
    assert!(ml_entries(&[0xff, b'<', 0xfe, b'>']).is_empty());
}

#[test]
fn rml_removes_a_refused_rml_does_not_and_a_server_adl_applies_at_once() {
    let ns =
        |ms: u64, dir: Direction, verb: &str, trid: u32, result: Option<&str>, p: Option<&[u8]>| {
            let mut ev = cmd(1, ms, dir, verb, &[], p, None);
            if let Event::Command(c) = &mut ev {
                c.role = Role::Notification;
                c.channel = Channel::Ns;
                c.trid = Some(trid);
                if let Some(r) = result {
                    c.fields.set(Name::Result, Value::Text(r.to_string()));
                }
            }
            ev
        };
    let c2s = Direction::ClientToServer;
    let s2c = Direction::ServerToClient;
    let add = br#"<ml><d n="x.com"><c n="bob" l="3" t="1"/><c n="cy" l="1" t="1"/></d></ml>"#;
    let rml = br#"<ml><d n="x.com"><c n="bob" l="2" t="1"/></d></ml>"#;
    let rml_cy = br#"<ml><d n="x.com"><c n="cy" l="1" t="1"/></d></ml>"#;
    let dan = br#"<ml><d n="x.com"><c n="dan" l="8" t="1"/></d></ml>"#;
    let mut c = Correlator::new();
    let mut open = opened(1, 0, ALICE, Opening::Syn);
    if let Event::ConnectionOpened(o) = &mut open {
        o.role = Role::Notification;
    }
    for ev in [
        open,
        ns(1, c2s, "ADL", 2, None, Some(add)),
        ns(2, s2c, "ADL", 2, Some("OK"), None),
        ns(3, c2s, "RML", 3, None, Some(rml)),
        ns(4, s2c, "RML", 3, Some("OK"), None),
        ns(5, c2s, "RML", 4, None, Some(rml_cy)),
        ns(6, s2c, "241", 4, None, None),
        // Server-initiated (someone added alice): applies at once.
        ns(7, s2c, "ADL", 0, None, Some(dan)),
    ] {
        c.event(&ev);
    }
    let rest = c.finish();
    assert_eq!(
        contacts_of(&rest, ALICE),
        owned(&[("bob@x.com", "FL"), ("cy@x.com", "FL"), ("dan@x.com", "RL")])
    );
}

#[test]
fn conversations_only_keeps_the_conversations_and_drops_lists_and_presence() {
    let path = format!("{}/captures/etherdump_msn.pcap", env!("CARGO_MANIFEST_DIR"));
    let mut source = FileSource::new(vec![path], None);
    let mut sink = Collect::default();
    let mut decoder = Decoder::new(&mut sink);
    crate::pipeline::run(&mut source, crate::pipeline::msn_config(), &mut decoder).expect("run");
    drop(decoder);
    let (mut full, mut lean) = (Correlator::new(), Correlator::conversations_only());
    for ev in &sink.0 {
        full.event(ev);
        lean.event(ev);
    }
    let (mut full, lean) = (full.finish(), lean.finish());
    // The same conversations, entries and messages, but for the messages' text and format.
    assert!(full.conversations.iter().any(|c| c.message_count() > 0));
    for c in &mut full.conversations {
        for e in &mut c.entries {
            if let EntryKind::Message { text, format, .. } = &mut e.kind {
                assert!(!text.is_empty());
                *text = String::new();
                *format = None;
            }
        }
    }
    assert_eq!(lean.conversations, full.conversations);
    assert_eq!(lean.login_sessions, full.login_sessions);
    assert!(!full.contact_lists.is_empty() && !full.presence.is_empty());
    assert!(lean.contact_lists.is_empty() && lean.presence.is_empty());
}

// ---- made-up events ----

const ALICE: &str = "alice@x.com";
const BOB: &str = "bob@x.com";

fn ts(ms: u64) -> Timestamp {
    Timestamp::new(1000 + (ms / 1000) as i64, ((ms % 1000) * 1_000_000) as u32)
}

fn opened(flow: u64, ms: u64, principal: &str, opening: Opening) -> Event {
    Event::ConnectionOpened(ConnectionInfo {
        ts: ts(ms),
        role: Role::Switchboard,
        opening,
        principal: Some(principal.to_string()),
        clients: Clients::default(),
        server: "10.0.0.9:1863".parse().expect("address"),
        ..ConnectionInfo::example(flow)
    })
}

fn cmd(
    flow: u64,
    ms: u64,
    dir: Direction,
    verb: &str,
    fields: &[(Name, &str)],
    payload: Option<&[u8]>,
    sender: Option<&str>,
) -> Event {
    let mut f = Fields::new();
    for (n, v) in fields {
        f.set(*n, Value::Text(v.to_string()));
    }
    Event::Command(Box::new(CommandEvent {
        flow: FlowId(flow),
        frame: ms,
        ts: ts(ms),
        dir,
        role: Role::Switchboard,
        channel: Channel::Sb,
        dialect: None,
        verb: crate::msnp::Verb::new(verb.as_bytes().try_into().expect("a three-byte verb")),
        trid: None,
        params: Vec::new(),
        fields: f,
        payload_len: payload.map(|p| p.len() as u64),
        payload_received: None,
        line_end: LineEnd::Crlf,
        offset: 0,
        reply_to: None,
        note: None,
        line: Vec::new(),
        payload_bytes: payload.map(<[u8]>::to_vec),
        msnc: payload.map(|p| Box::new(crate::msnc::decode(p, sender.map(str::to_string)))),
    }))
}

fn body(text: &str) -> Vec<u8> {
    format!("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{text}")
        .into_bytes()
}

/// `who` sends `text` on its own connection `flow`.
fn sent(flow: u64, ms: u64, who: &str, text: &str) -> Event {
    let b = body(text);
    cmd(
        flow,
        ms,
        Direction::ClientToServer,
        "MSG",
        &[],
        Some(&b),
        Some(who),
    )
}

/// The switchboard relays `who`'s `text` on connection `flow`.
fn relayed(flow: u64, ms: u64, who: &str, text: &str) -> Event {
    let b = body(text);
    cmd(
        flow,
        ms,
        Direction::ServerToClient,
        "MSG",
        &[(Name::Handle, who), (Name::FriendlyName, "Name")],
        Some(&b),
        Some(who),
    )
}

fn session(flow: u64, ms: u64, verb: &str) -> Event {
    let dir = if verb == "ANS" {
        Direction::ClientToServer
    } else {
        Direction::ServerToClient
    };
    cmd(flow, ms, dir, verb, &[(Name::SessionId, "S1")], None, None)
}

fn closed(flow: u64, ms: u64, client_bytes: u64, server_bytes: u64) -> Event {
    let info = ConnectionInfo::example(flow);
    Event::ConnectionClosed {
        flow: FlowId(flow),
        frame: ms,
        ts: ts(ms),
        role: Role::Switchboard,
        closing: Closing::Fin,
        summary: FlowSummary {
            id: FlowId(flow),
            client: info.client,
            server: info.server,
            first_ts: ts(0),
            last_ts: ts(ms),
            first_frame: 1,
            detection: Detection::Port { port: 1863 },
            opening: Opening::Syn,
            closing: Closing::Fin,
            reset_by: None,
            client_packets: 1,
            server_packets: 1,
            client_bytes,
            server_bytes,
            gap_count: 0,
            gap_bytes: 0,
            gaps: Vec::new(),
            anomalies: Default::default(),
        },
        dialect: None,
        principal: None,
    }
}

fn correlate(events: &[Event]) -> Vec<Conversation> {
    let mut c = Correlator::new();
    let mut out = Vec::new();
    for e in events {
        c.event(e);
        out.extend(c.take_finished());
    }
    out.extend(c.finish().conversations);
    out
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn sender_copy_first_or_relayed_copy_first_gives_one_message() {
    for relayed_first in [false, true] {
        let mut evs = vec![
            opened(1, 0, ALICE, Opening::Syn),
            opened(2, 1, BOB, Opening::Syn),
            session(2, 2, "ANS"),
            session(1, 3, "CAL"),
        ];
        let (a, b) = (sent(1, 10, ALICE, "hi"), relayed(2, 11, ALICE, "hi"));
        if relayed_first {
            evs.extend([b, a]);
        } else {
            evs.extend([a, b]);
        }
        evs.extend([sent(2, 20, BOB, "yo"), relayed(1, 21, BOB, "yo")]);
        evs.extend([closed(1, 30, 1, 1), closed(2, 31, 1, 1)]);
        let convs = correlate(&evs);
        assert_eq!(convs.len(), 1, "relayed first: {relayed_first}");
        assert_eq!(
            messages(&convs[0]),
            pairs(&[(ALICE, "hi"), (BOB, "yo")]),
            "relayed first: {relayed_first}"
        );
        // The switchboard's name for alice is kept, whichever copy came first.
        assert!(matches!(
            &convs[0].entries[0].kind,
            EntryKind::Message { name: Some(n), .. } if n == "Name"
        ));
    }
}

#[test]
fn a_text_sent_twice_stays_twice_in_any_order_of_copies() {
    let orders: [&[usize]; 3] = [&[0, 1, 2, 3], &[0, 2, 1, 3], &[2, 3, 0, 1]];
    for order in orders {
        let copies = [
            sent(1, 10, ALICE, "same"),
            sent(1, 12, ALICE, "same"),
            relayed(2, 11, ALICE, "same"),
            relayed(2, 13, ALICE, "same"),
        ];
        let mut evs = vec![
            opened(1, 0, ALICE, Opening::Syn),
            opened(2, 1, BOB, Opening::Syn),
            session(1, 2, "CAL"),
            session(2, 3, "ANS"),
        ];
        evs.extend(order.iter().map(|i| copies[*i].clone()));
        let convs = correlate(&evs);
        assert_eq!(convs.len(), 1);
        assert_eq!(
            messages(&convs[0]),
            pairs(&[(ALICE, "same"), (ALICE, "same")]),
            "{order:?}"
        );
    }
}

#[test]
fn a_receiver_that_joined_later_does_not_swallow_an_earlier_repeat() {
    // alice says "hi" alone, bob's connection opens later, alice says "hi" again: bob's copy
    // is of the second one, so there are two messages.
    let evs = [
        opened(1, 0, ALICE, Opening::Syn),
        session(1, 1, "CAL"),
        sent(1, 10, ALICE, "hi"),
        opened(2, 20, BOB, Opening::Syn),
        session(2, 21, "ANS"),
        sent(1, 30, ALICE, "hi"),
        relayed(2, 31, ALICE, "hi"),
    ];
    let convs = correlate(&evs);
    assert_eq!(convs.len(), 1);
    assert_eq!(messages(&convs[0]), pairs(&[(ALICE, "hi"), (ALICE, "hi")]));
    assert_eq!(convs[0].entries[1].frame, 30);
}

#[test]
fn copies_before_the_session_is_known_are_merged_when_it_is() {
    // Both connections carry a message before either shows the session id.
    let evs = [
        opened(1, 0, ALICE, Opening::Syn),
        opened(2, 1, BOB, Opening::Syn),
        sent(1, 10, ALICE, "early"),
        relayed(2, 11, ALICE, "early"),
        sent(2, 12, BOB, "reply"),
        session(1, 20, "CAL"),
        session(2, 21, "ANS"),
        relayed(1, 22, BOB, "reply"),
        closed(1, 30, 1, 1),
        closed(2, 31, 1, 1),
    ];
    let convs = correlate(&evs);
    assert_eq!(convs.len(), 1);
    assert_eq!(convs[0].id, 1);
    assert_eq!(convs[0].flows, [FlowId(1), FlowId(2)]);
    assert_eq!(
        messages(&convs[0]),
        pairs(&[(ALICE, "early"), (BOB, "reply")])
    );
}

/// `USR`/`ANS ... OK` (the local side), `JOI`/`IRO` (another participant) on `flow`.
fn sb_line(flow: u64, ms: u64, verb: &str, who: &str) -> Event {
    let mut f = vec![(Name::Handle, who)];
    if matches!(verb, "USR" | "ANS") {
        f.push((Name::Result, "OK"));
    }
    cmd(flow, ms, Direction::ServerToClient, verb, &f, None, None)
}

/// Alice's and Bob's connections to one switchboard, no session id on either: alice sees
/// Bob join, Bob finds Alice there. `server2` puts Bob's on another address; `sid2` gives
/// them different session ids.
fn joined_without_session_id(
    server2: Option<&str>,
    sids: Option<(&str, &str)>,
) -> Vec<Conversation> {
    let mut bob = opened(2, 1, BOB, Opening::Midstream);
    if let (Some(addr), Event::ConnectionOpened(info)) = (server2, &mut bob) {
        info.server = addr.parse().expect("address");
    }
    let mut evs = vec![
        opened(1, 0, ALICE, Opening::Midstream),
        bob,
        sb_line(1, 2, "USR", ALICE),
        sb_line(2, 3, "ANS", BOB),
    ];
    if let Some((a, b)) = sids {
        evs.push(cmd(
            1,
            4,
            Direction::ServerToClient,
            "CAL",
            &[(Name::SessionId, a)],
            None,
            None,
        ));
        evs.push(cmd(
            2,
            4,
            Direction::ClientToServer,
            "ANS",
            &[(Name::SessionId, b)],
            None,
            None,
        ));
    }
    evs.extend([
        sb_line(2, 5, "IRO", ALICE),
        sent(1, 10, ALICE, "hi"),
        relayed(2, 11, ALICE, "hi"),
        sb_line(1, 12, "JOI", BOB),
        sent(2, 13, BOB, "hello"),
        relayed(1, 14, BOB, "hello"),
        closed(1, 30, 1, 1),
        closed(2, 31, 1, 1),
    ]);
    correlate(&evs)
}

#[test]
fn connections_to_one_switchboard_are_linked_by_their_joins_without_a_session_id() {
    let convs = joined_without_session_id(None, None);
    assert_eq!(convs.len(), 1, "{convs:#?}");
    assert_eq!(convs[0].flows, [FlowId(1), FlowId(2)]);
    assert_eq!(messages(&convs[0]), pairs(&[(ALICE, "hi"), (BOB, "hello")]));
    // The same joins on another switchboard address, or under different session ids: two
    // sessions, never merged.
    let convs = joined_without_session_id(Some("10.0.0.10:1863"), None);
    assert_eq!(convs.len(), 2);
    let convs = joined_without_session_id(None, Some(("S1", "S2")));
    assert_eq!(convs.len(), 2);
    // The same session id: merged by it, as before.
    let convs = joined_without_session_id(None, Some(("S1", "S1")));
    assert_eq!(convs.len(), 1);
}

#[test]
fn separate_sessions_are_not_merged() {
    let evs = [
        opened(1, 0, ALICE, Opening::Syn),
        opened(2, 1, BOB, Opening::Syn),
        sent(1, 10, ALICE, "hi"),
        relayed(2, 11, ALICE, "hi"),
        closed(1, 30, 1, 1),
    ];
    let mut c = Correlator::new();
    let mut finished = Vec::new();
    for e in &evs {
        c.event(e);
        finished.extend(c.take_finished());
    }
    // Connection 1 closed: its conversation is handed out at once.
    assert_eq!(finished.len(), 1);
    assert_eq!(finished[0].flows, [FlowId(1)]);
    let rest = c.finish().conversations;
    assert_eq!(rest.len(), 1);
    assert_eq!(messages(&rest[0]), pairs(&[(ALICE, "hi")]));
}

#[test]
fn missing_pieces_are_said() {
    let evs = [
        opened(1, 0, ALICE, Opening::Midstream),
        relayed(1, 5, BOB, "before"),
        Event::Gap {
            flow: FlowId(1),
            frame: 6,
            ts: ts(6),
            dir: Direction::ServerToClient,
            offset: 100,
            len: 1460,
            reason: crate::reassembly::GapReason::Acked,
        },
        relayed(1, 7, BOB, "after"),
        closed(1, 10, 0, 500),
    ];
    let convs = correlate(&evs);
    assert_eq!(convs.len(), 1);
    let what: Vec<&str> = convs[0].missing.iter().map(|m| m.what.as_str()).collect();
    assert_eq!(
        what,
        [
            "picked up mid-session",
            "1460 bytes missing from the server",
            "the client's side was not captured"
        ]
    );
    assert_eq!(convs[0].message_count(), 2);
}

#[test]
fn entries_past_the_cap_are_counted() {
    let mut evs = vec![opened(1, 0, ALICE, Opening::Syn)];
    let n = MAX_ENTRIES as u64 + 5;
    for i in 0..n {
        evs.push(sent(1, 1 + i, ALICE, &format!("m{i}")));
    }
    let convs = correlate(&evs);
    assert_eq!(convs[0].entries.len(), MAX_ENTRIES);
    assert_eq!(convs[0].dropped_entries, 5);
}

#[test]
fn the_same_events_give_the_same_output() {
    let evs = [
        opened(1, 0, ALICE, Opening::Syn),
        opened(2, 1, BOB, Opening::Syn),
        session(2, 2, "ANS"),
        session(1, 3, "CAL"),
        sent(1, 10, ALICE, "a"),
        relayed(2, 11, ALICE, "a"),
    ];
    assert_eq!(correlate(&evs), correlate(&evs));
}

#[test]
fn a_bare_handle_loses_its_network_guid_and_case() {
    for (given, bare) in [
        ("1:Bob@X.com;{F00D}", "bob@x.com"),
        ("Bob@X.com", "bob@x.com"),
        ("32:é@x;a:b", "é@x"),
        ("x1:bob@x", "x1:bob@x"),
        (":bob@x", "bob@x"),
        (";1:bob@x", ""),
        ("", ""),
    ] {
        assert_eq!(super::bare_handle(given), bare, "{given}");
    }
}
