//! Tests of the session layer: roles, dialects, pairing, challenges, announcements, channels.

use super::*;
use crate::capture::Timestamp;
use crate::event::Channel;
use crate::event::{Collect, CommandEvent, DialectSource, EveryField};
use crate::flow::{Closing, FlowSummary};
use crate::msnp::{Dialect, Verb, challenge};
use std::collections::BTreeMap;
use std::collections::HashMap;

const C2S: Direction = Direction::ClientToServer;
const S2C: Direction = Direction::ServerToClient;

/// Feeds flow events to a decoder, keeping stream offsets and frame numbers.
struct Feed {
    frame: u64,
    offsets: HashMap<(u64, Direction), u64>,
    expectations: Vec<Expectation>,
}

impl Feed {
    fn new() -> Feed {
        Feed {
            frame: 0,
            offsets: HashMap::new(),
            expectations: Vec::new(),
        }
    }

    fn at(&mut self) -> At {
        self.frame += 1;
        At {
            frame: self.frame,
            ts: Timestamp::new(1_000 + self.frame as i64, 0),
        }
    }

    fn open(&mut self, d: &mut Decoder<'_>, flow: u64, server: &str, detection: Detection) {
        let at = self.at();
        d.event(&FlowEvent::Opened {
            flow: FlowId(flow),
            at,
            client: "10.0.0.1:5000".parse().unwrap(),
            server: server.parse().unwrap(),
            detection: &detection,
            opening: Opening::Syn,
        })
        .unwrap();
    }

    fn data(&mut self, d: &mut Decoder<'_>, flow: u64, dir: Direction, bytes: &[u8]) {
        let at = self.at();
        let off = self.offsets.entry((flow, dir)).or_default();
        let offset = *off;
        *off += bytes.len() as u64;
        d.event(&FlowEvent::Data {
            flow: FlowId(flow),
            at,
            dir,
            offset,
            bytes,
        })
        .unwrap();
        self.expectations.extend(d.take_expectations());
    }

    fn gap(&mut self, d: &mut Decoder<'_>, flow: u64, dir: Direction, len: u64) {
        let at = self.at();
        let off = self.offsets.entry((flow, dir)).or_default();
        let offset = *off;
        *off += len;
        d.event(&FlowEvent::Gap {
            flow: FlowId(flow),
            at,
            dir,
            offset,
            len,
            reason: crate::reassembly::GapReason::Acked,
        })
        .unwrap();
    }

    fn close(&mut self, d: &mut Decoder<'_>, flow: u64) {
        let at = self.at();
        let summary = FlowSummary {
            id: FlowId(flow),
            client: "10.0.0.1:5000".parse().unwrap(),
            server: "10.0.0.2:1863".parse().unwrap(),
            first_ts: at.ts,
            last_ts: at.ts,
            first_frame: 1,
            detection: Detection::Content,
            opening: Opening::Syn,
            closing: Closing::Fin,
            reset_by: None,
            client_packets: 0,
            server_packets: 0,
            client_bytes: 0,
            server_bytes: 0,
            gap_count: 0,
            gap_bytes: 0,
            gaps: Vec::new(),
            anomalies: BTreeMap::new(),
        };
        d.event(&FlowEvent::Closed {
            at,
            summary: &summary,
        })
        .unwrap();
    }
}

fn port() -> Detection {
    Detection::Port { port: 1863 }
}

fn commands(evs: &[Event]) -> Vec<&CommandEvent> {
    evs.iter()
        .filter_map(|e| match e {
            Event::Command(c) => Some(c.as_ref()),
            _ => None,
        })
        .collect()
}

fn last_info(evs: &[Event], flow: u64) -> &ConnectionInfo {
    evs.iter()
        .rev()
        .find_map(|e| match e {
            Event::ConnectionOpened(c) | Event::ConnectionUpdate(c) if c.flow == FlowId(flow) => {
                Some(c)
            }
            _ => None,
        })
        .expect("connection reported")
}

#[test]
fn a_login_makes_a_notification_server_and_the_ver_reply_sets_the_dialect() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    f.open(&mut d, 1, "10.0.0.2:1863", port());
    f.data(&mut d, 1, C2S, b"VER 1 MSNP8 CVR0\r\n");
    f.data(&mut d, 1, S2C, b"VER 1 MSNP8 CVR0\r\n");
    f.data(&mut d, 1, C2S, b"USR 2 TWN I alice@example.com\r\n");
    f.data(&mut d, 1, S2C, b"USR 2 OK alice@example.com Alice 1 0\r\n");
    drop(d);
    let evs = sink.0;
    assert!(matches!(&evs[0], Event::ConnectionOpened(c) if c.role == Role::Notification));
    let info = last_info(&evs, 1);
    assert_eq!(info.dialect, Some(Dialect(8)));
    assert_eq!(info.dialect_source, Some(DialectSource::Ver));
    assert_eq!(info.principal.as_deref(), Some("alice@example.com"));
    let cmds = commands(&evs);
    assert_eq!(cmds.len(), 4);
    assert_eq!(
        cmds[0].dialect, None,
        "the dialect is not known before the reply"
    );
    assert_eq!(cmds[1].dialect, Some(Dialect(8)));
    assert_eq!(cmds[1].trid, Some(1));
    assert_eq!(cmds[1].reply_to.unwrap().frame, 2);
    assert_eq!(cmds[3].reply_to.unwrap().frame, 4);
    assert!(cmds.iter().all(|c| c.channel == Channel::Ns));
}

#[test]
fn xfr_ns_before_login_makes_a_dispatch_server_and_announces_the_ns() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    f.open(&mut d, 1, "10.0.0.2:1863", port());
    f.data(&mut d, 1, C2S, b"VER 1 MSNP8 CVR0\r\nCVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.0 MSMSGS a@b.c\r\nUSR 3 TWN I a@b.c\r\n");
    f.data(
        &mut d,
        1,
        S2C,
        b"VER 1 MSNP8 CVR0\r\nXFR 3 NS 10.0.0.9:1863 0 10.0.0.2:1863\r\n",
    );
    drop(d);
    assert_eq!(last_info(&sink.0, 1).role, Role::Dispatch);
    assert_eq!(f.expectations.len(), 1);
    assert_eq!(f.expectations[0].kind, ExpectedKind::Notification);
    assert_eq!(f.expectations[0].server.to_string(), "10.0.0.9:1863");
}

#[test]
fn a_switchboard_offer_is_announced_and_its_connection_linked_and_given_the_dialect() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    f.open(&mut d, 1, "10.0.0.2:1863", port());
    f.data(&mut d, 1, C2S, b"VER 1 MSNP11 CVR0\r\n");
    f.data(&mut d, 1, S2C, b"VER 1 MSNP11\r\n");
    f.data(&mut d, 1, C2S, b"XFR 9 SB\r\n");
    f.data(
        &mut d,
        1,
        S2C,
        b"XFR 9 SB 10.0.0.7:1864 CKI 123.456.789\r\n",
    );
    assert_eq!(f.expectations.len(), 1);
    assert_eq!(f.expectations[0].server.to_string(), "10.0.0.7:1864");
    assert_eq!(f.expectations[0].cookie.as_deref(), Some("123.456.789"));
    assert_eq!(f.expectations[0].announced_by, FlowId(1));

    f.open(
        &mut d,
        2,
        "10.0.0.7:1864",
        Detection::Announced {
            kind: ExpectedKind::Switchboard,
            announced_by: FlowId(1),
        },
    );
    f.data(&mut d, 2, C2S, b"USR 1 alice@example.com 123.456.789\r\n");
    f.data(&mut d, 2, S2C, b"USR 1 OK alice@example.com Alice\r\n");
    f.data(&mut d, 2, C2S, b"CAL 2 bob@example.com\r\n");
    f.data(
        &mut d,
        2,
        S2C,
        b"CAL 2 RINGING 11752013\r\nJOI bob@example.com Bob\r\n",
    );
    f.data(&mut d, 2, C2S, b"MSG 3 N 4\r\nhi!!");
    f.close(&mut d, 2);
    drop(d);
    let evs = sink.0;
    let info = last_info(&evs, 2);
    assert_eq!(info.role, Role::Switchboard);
    assert_eq!(info.announced_by, Some(FlowId(1)));
    assert_eq!(info.dialect, Some(Dialect(11)));
    assert_eq!(info.dialect_source, Some(DialectSource::Inherited));
    assert_eq!(info.principal.as_deref(), Some("alice@example.com"));
    let sb: Vec<_> = commands(&evs)
        .into_iter()
        .filter(|c| c.flow == FlowId(2))
        .collect();
    let joi = sb.iter().find(|c| c.verb == "JOI").unwrap();
    assert_eq!(joi.trid, None);
    assert_eq!(joi.channel, Channel::Sb);
    let msg = sb.iter().find(|c| c.verb == "MSG").unwrap();
    assert_eq!(msg.channel, Channel::Msnc);
    assert_eq!(msg.payload_len, Some(4));
    assert_eq!(msg.payload_text(), Some("hi!!"));
    assert!(matches!(
        evs.last(),
        Some(Event::ConnectionClosed {
            flow: FlowId(2),
            role: Role::Switchboard,
            ..
        })
    ));
}

#[test]
fn rng_announces_a_switchboard_and_ans_links_to_it() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    f.open(&mut d, 1, "10.0.0.2:1863", port());
    f.data(
        &mut d,
        1,
        S2C,
        b"RNG 11752013 10.0.0.8:1863 CKI 849102291.520491113 bob@example.com Bob\r\n",
    );
    assert_eq!(f.expectations[0].server.to_string(), "10.0.0.8:1863");
    f.open(&mut d, 2, "10.0.0.8:1863", port());
    f.data(
        &mut d,
        2,
        C2S,
        b"ANS 1 alice@example.com 849102291.520491113 11752013\r\n",
    );
    drop(d);
    let info = last_info(&sink.0, 2);
    assert_eq!(info.role, Role::Switchboard);
    assert_eq!(info.announced_by, Some(FlowId(1)));
}

#[test]
fn a_correct_challenge_answer_is_shown_as_valid_and_a_wrong_one_as_invalid() {
    for (answer_ok, word) in [(true, "valid"), (false, "invalid")] {
        let mut sink = Collect::default();
        let mut d = Decoder::new(&mut sink);
        let mut f = Feed::new();
        f.open(&mut d, 1, "10.0.0.2:1863", port());
        f.data(&mut d, 1, C2S, b"VER 1 MSNP8 CVR0\r\n");
        f.data(&mut d, 1, S2C, b"VER 1 MSNP8\r\n");
        f.data(&mut d, 1, S2C, b"CHL 0 15570131571988941333\r\n");
        let mut answer = challenge::answer_md5("15570131571988941333", "Q1P7W2E4J9R8U3S5");
        if !answer_ok {
            answer = "0".repeat(32);
        }
        let line = format!("QRY 10 msmsgs@msnmsgr.com 32\r\n{answer}");
        f.data(&mut d, 1, C2S, line.as_bytes());
        drop(d);
        let qry = commands(&sink.0)
            .into_iter()
            .find(|c| c.verb == "QRY")
            .unwrap()
            .clone();
        assert_eq!(
            qry.fields.text(crate::msnp::named::Name::ChallengeVerdict),
            Some(word),
            "{:?}",
            qry.note
        );
        assert!(qry.note.is_some());
    }
}

#[test]
fn unprompted_presence_has_no_trid_and_a_note() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    f.open(&mut d, 1, "10.0.0.2:1863", port());
    f.data(&mut d, 1, C2S, b"VER 1 MSNP8 CVR0\r\n");
    f.data(
        &mut d,
        1,
        S2C,
        b"VER 1 MSNP8\r\nNLN BSY bob@example.com Bob%20(busy) 1073791084\r\n",
    );
    drop(d);
    let nln = commands(&sink.0)
        .into_iter()
        .find(|c| c.verb == "NLN")
        .unwrap()
        .clone();
    assert_eq!(nln.trid, None);
    assert_eq!(
        nln.fields.text(crate::msnp::named::Name::Status),
        Some("BSY")
    );
    assert_eq!(
        nln.fields.text(crate::msnp::named::Name::FriendlyName),
        Some("Bob (busy)")
    );
    assert!(
        nln.note.as_deref().unwrap_or("").contains("Busy"),
        "{:?}",
        nln.note
    );
}

#[test]
fn a_switchboard_seen_without_its_announcement_is_found_by_its_commands_and_dialect_inferred() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    f.open(&mut d, 1, "10.0.0.2:1863", port());
    f.data(&mut d, 1, C2S, b"USR 1 alice@example.com 1234.5678\r\n");
    // A WLM 8.1 client id: MSNC7, usually MSNP14.
    f.data(
        &mut d,
        1,
        S2C,
        b"USR 1 OK alice@example.com Alice\r\nJOI bob@example.com Bob 1342177312\r\n",
    );
    drop(d);
    let info = last_info(&sink.0, 1);
    assert_eq!(info.role, Role::Switchboard);
    assert_eq!(info.dialect_source, Some(DialectSource::Inferred));
    assert!(info.dialect.is_some());
}

#[test]
fn a_gap_is_reported_and_the_framer_resynchronises() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    f.open(&mut d, 1, "10.0.0.2:1863", port());
    f.data(&mut d, 1, S2C, b"VER 1 MSNP8\r\nNLN NLN bob@exa");
    f.gap(&mut d, 1, S2C, 10);
    f.data(&mut d, 1, S2C, b"xample.com Bob\r\nFLN bob@example.com\r\n");
    drop(d);
    let evs = sink.0;
    assert!(evs.iter().any(|e| matches!(e, Event::Gap { len: 10, .. })));
    let verbs: Vec<_> = commands(&evs).iter().map(|c| c.verb).collect();
    assert_eq!(verbs.first().map(Verb::as_str), Some("VER"));
    assert_eq!(verbs.last().map(Verb::as_str), Some("FLN"));
}

#[test]
fn quirk_25_interleaved_challenges_and_pings_do_not_confuse_pairing() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    f.open(&mut d, 1, "10.0.0.2:1863", port());
    f.data(&mut d, 1, C2S, b"VER 1 MSNP8 CVR0\r\n");
    f.data(&mut d, 1, S2C, b"VER 1 MSNP8\r\n");
    f.data(&mut d, 1, C2S, b"SYN 2 0\r\nCHG 3 NLN 0\r\nPNG\r\n");
    f.data(
        &mut d,
        1,
        S2C,
        b"CHL 0 29409134351025259292\r\nQNG 50\r\nCHG 3 NLN 0\r\nSYN 2 0\r\n",
    );
    drop(d);
    let cmds = commands(&sink.0);
    let find = |verb: &str, dir| {
        cmds.iter()
            .find(|c| c.verb == verb && c.dir == dir)
            .unwrap()
    };
    assert_eq!(find("CHG", S2C).reply_to.unwrap().frame, 4);
    assert_eq!(find("SYN", S2C).reply_to.unwrap().frame, 4);
    assert!(find("CHL", S2C).reply_to.is_none(), "TrID 0 is not a reply");
    assert_eq!(find("QNG", S2C).trid, None);
    assert_eq!(find("PNG", C2S).trid, None);
}

/// Quirk 18: `MSG Hotmail Hotmail len` from the NS has no TrID and is NS traffic, not a chat.
#[test]
fn quirk_18_hotmail_messages_are_ns_channel() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    f.open(&mut d, 1, "10.0.0.2:1863", port());
    f.data(&mut d, 1, S2C, b"MSG Hotmail Hotmail 5\r\nhello");
    drop(d);
    let msg = commands(&sink.0)[0].clone();
    assert_eq!(msg.trid, None);
    assert_eq!(msg.channel, Channel::Ns);
    assert_eq!(last_info(&sink.0, 1).role, Role::Notification);
}

/// Quirk 10: handles come as `handle;{guid}` (MSNP16 endpoints) and in any case; the
/// principal is the bare handle, lower case.
#[test]
fn quirk_10_endpoint_handles_give_the_bare_principal() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    f.open(&mut d, 1, "10.0.0.2:1863", port());
    f.data(
        &mut d,
        1,
        C2S,
        b"USR 1 Alice@Example.com;{f52973b6-c926-4bad-9ba8-7c1e840e4ab0} 1234.5678\r\n",
    );
    drop(d);
    assert_eq!(
        last_info(&sink.0, 1).principal.as_deref(),
        Some("alice@example.com")
    );
}

/// Quirk 6: an error takes the place of the reply and pairs with the request's TrID.
#[test]
fn quirk_6_errors_pair_with_their_request_and_are_explained() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    f.open(&mut d, 1, "10.0.0.2:1863", port());
    f.data(&mut d, 1, C2S, b"CAL 7 nobody@example.com\r\n");
    f.data(&mut d, 1, S2C, b"217 7\r\n");
    drop(d);
    let err = commands(&sink.0)[1].clone();
    assert_eq!(err.verb, "217");
    assert_eq!(err.reply_to.unwrap().frame, 2);
    assert!(err.note.unwrap().contains("217"));
}

#[test]
fn past_max_cookies_the_oldest_switchboard_offer_is_forgotten() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    f.open(&mut d, 1, "10.0.0.2:1863", port());
    f.data(&mut d, 1, C2S, b"VER 1 MSNP8 CVR0\r\n");
    f.data(&mut d, 1, S2C, b"VER 1 MSNP8\r\n");
    for i in 0..=MAX_COOKIES {
        let line = format!("XFR {i} SB 10.0.0.7:1864 CKI cookie.{i}\r\n");
        f.data(&mut d, 1, S2C, line.as_bytes());
    }
    // Two switchboards found by their first bytes, presenting the oldest and the newest cookie.
    f.open(&mut d, 2, "10.0.0.8:1864", Detection::Content);
    f.data(&mut d, 2, C2S, b"USR 1 alice@example.com cookie.0\r\n");
    f.open(&mut d, 3, "10.0.0.8:1864", Detection::Content);
    let newest = format!("USR 1 alice@example.com cookie.{MAX_COOKIES}\r\n");
    f.data(&mut d, 3, C2S, newest.as_bytes());
    drop(d);
    let evs = sink.0;
    assert_eq!(last_info(&evs, 2).announced_by, None);
    assert_eq!(last_info(&evs, 3).announced_by, Some(FlowId(1)));
    assert_eq!(last_info(&evs, 3).dialect, Some(Dialect(8)));
}

// ---- MSNFTP ----------------------------------------------------------------------------------

/// A `text/x-msmsgsinvite` message from the server (another participant's) or the client.
fn invitation_msg(dir: Direction, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut body = String::from(
        "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\n",
    );
    for (k, v) in fields {
        body.push_str(&format!("{k}: {v}\r\n"));
    }
    body.push_str("\r\n");
    let head = match dir {
        Direction::ServerToClient => "MSG bob@example.com Bob",
        Direction::ClientToServer => "MSG 7 N",
    };
    let mut m = format!("{head} {}\r\n", body.len()).into_bytes();
    m.extend_from_slice(body.as_bytes());
    m
}

/// A switchboard (flow 1) where bob offers `report.txt` (5 bytes) and, once alice accepts,
/// listens at `address` with AuthCookie `auth`.
fn file_offer(d: &mut Decoder<'_>, f: &mut Feed, invitation: &str, address: &str, auth: &str) {
    if !f.offsets.contains_key(&(1, C2S)) {
        f.open(d, 1, "10.0.0.2:1863", port());
        f.data(d, 1, C2S, b"USR 1 alice@example.com 1.2\r\n");
        f.data(d, 1, S2C, b"USR 1 OK alice@example.com Alice\r\n");
    }
    let offer = invitation_msg(
        S2C,
        &[
            ("Application-Name", "File Transfer"),
            ("Invitation-Command", "INVITE"),
            ("Invitation-Cookie", invitation),
            ("Application-File", "report.txt"),
            ("Application-FileSize", "5"),
        ],
    );
    f.data(d, 1, S2C, &offer);
    let ask = invitation_msg(
        C2S,
        &[
            ("Invitation-Command", "ACCEPT"),
            ("Invitation-Cookie", invitation),
            ("Request-Data", "IP-Address:"),
        ],
    );
    f.data(d, 1, C2S, &ask);
    let (ip, port) = address.rsplit_once(':').unwrap();
    let accept = invitation_msg(
        S2C,
        &[
            ("Invitation-Command", "ACCEPT"),
            ("Invitation-Cookie", invitation),
            ("IP-Address", ip),
            ("Port", port),
            ("AuthCookie", auth),
        ],
    );
    f.data(d, 1, S2C, &accept);
}

fn ftp_detection() -> Detection {
    Detection::Announced {
        kind: ExpectedKind::FileTransfer,
        announced_by: FlowId(1),
    }
}

fn blocks(evs: &[Event], flow: u64) -> Vec<&crate::event::BlockEvent> {
    evs.iter()
        .filter_map(|e| match e {
            Event::MsnftpBlock(b) if b.flow == FlowId(flow) => Some(b),
            _ => None,
        })
        .collect()
}

fn transfer(evs: &[Event], flow: u64) -> &crate::event::TransferSummary {
    evs.iter()
        .find_map(|e| match e {
            Event::MsnftpTransfer(t) if t.flow == FlowId(flow) => Some(t.as_ref()),
            _ => None,
        })
        .expect("a transfer summary")
}

fn anomaly_names(evs: &[Event]) -> Vec<&'static str> {
    evs.iter()
        .filter_map(|e| match e {
            Event::Anomaly { name, .. } => Some(*name),
            _ => None,
        })
        .collect()
}

#[test]
fn an_accepted_invitation_announces_an_msnftp_connection_that_knows_its_file() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    file_offer(&mut d, &mut f, "57496", "10.0.0.9:6892", "41728291");
    assert_eq!(f.expectations.len(), 1);
    assert_eq!(f.expectations[0].server.to_string(), "10.0.0.9:6892");
    assert_eq!(f.expectations[0].kind, ExpectedKind::FileTransfer);
    assert_eq!(f.expectations[0].cookie.as_deref(), Some("41728291"));
    f.open(&mut d, 2, "10.0.0.9:6892", ftp_detection());
    f.data(&mut d, 2, C2S, b"VER MSNFTP\r\n");
    f.data(&mut d, 2, S2C, b"VER MSNFTP\r\n");
    f.data(&mut d, 2, C2S, b"USR alice@example.com 41728291\r\n");
    f.data(&mut d, 2, S2C, b"FIL 5\r\n");
    f.data(&mut d, 2, C2S, b"TFR\r\n");
    f.data(&mut d, 2, S2C, b"\x00\x05\x00BYE 1");
    f.data(&mut d, 2, C2S, b"BYE 16777989\r\n");
    f.close(&mut d, 2);
    drop(d);
    let evs = sink.0;
    assert_eq!(anomaly_names(&evs), Vec::<&str>::new());
    let opened = evs
        .iter()
        .find_map(|e| match e {
            Event::ConnectionOpened(c) if c.flow == FlowId(2) => Some(c),
            _ => None,
        })
        .unwrap();
    assert_eq!(opened.dialect, Some(Dialect::MSNFTP));
    assert_eq!(
        opened.role_reason,
        "file transfer address announced on connection 1, for report.txt (5 bytes) from bob@example.com"
    );
    let info = last_info(&evs, 2);
    assert_eq!(info.role, Role::FileTransfer);
    assert_eq!(info.dialect_source, Some(DialectSource::Ver));
    assert_eq!(info.announced_by, Some(FlowId(1)));
    let ft: Vec<_> = commands(&evs)
        .into_iter()
        .filter(|c| c.flow == FlowId(2))
        .collect();
    let verbs: Vec<_> = ft.iter().map(|c| c.verb.as_str()).collect();
    assert_eq!(verbs, ["VER", "VER", "USR", "FIL", "TFR", "BYE"]);
    assert!(
        ft.iter()
            .all(|c| c.trid.is_none() && c.channel == Channel::Msnc)
    );
    let note = |verb: &str| {
        ft.iter()
            .find(|c| c.verb == verb)
            .and_then(|c| c.note.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        note("USR"),
        "receiver alice@example.com presents AuthCookie 41728291; it matches the invitation \
         on connection 1: report.txt (5 bytes) from bob@example.com"
    );
    assert_eq!(note("FIL"), "the file is 5 bytes");
    assert_eq!(note("BYE"), "the receiver got the whole file");
    let b = blocks(&evs, 2);
    assert_eq!(b.len(), 1);
    assert_eq!(
        (b[0].index, b[0].len, b[0].offset, b[0].dir),
        (1, 5, 19, S2C)
    );
    let t = transfer(&evs, 2);
    assert_eq!(t.file_name.as_deref(), Some("report.txt"));
    assert_eq!(
        (t.file_size, t.blocks, t.bytes, t.missing),
        (Some(5), 1, 5, 0)
    );
    assert!(t.complete && t.cancelled_by.is_none() && !t.structure_lost);
    // The summary comes right before the close.
    let i = evs
        .iter()
        .position(|e| matches!(e, Event::MsnftpTransfer(_)))
        .unwrap();
    assert!(matches!(evs[i + 1], Event::ConnectionClosed { .. }));
}

#[test]
fn an_msnftp_connection_found_by_its_content_is_linked_by_its_authcookie() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    // The invitation names a public address; the capture sees another one.
    file_offer(&mut d, &mut f, "57496", "192.0.2.7:6891", "41728291");
    f.open(&mut d, 2, "10.0.0.9:7000", Detection::Content);
    f.data(&mut d, 2, C2S, b"VER MSNFTP\r\n");
    f.data(&mut d, 2, C2S, b"USR alice@example.com 41728291\r\n");
    // Another one presents a cookie nobody gave.
    f.open(&mut d, 3, "10.0.0.9:7001", Detection::Content);
    f.data(&mut d, 3, C2S, b"VER MSNFTP\r\n");
    f.data(&mut d, 3, C2S, b"USR alice@example.com 999\r\n");
    drop(d);
    let evs = sink.0;
    let info = last_info(&evs, 2);
    assert_eq!(info.role, Role::FileTransfer);
    assert_eq!(info.dialect, Some(Dialect::MSNFTP));
    assert_eq!(info.announced_by, Some(FlowId(1)));
    assert_eq!(
        info.role_reason,
        "its first bytes are an MSNP command, the client sent VER MSNFTP, presented the \
         AuthCookie of a file invitation on connection 1"
    );
    let usr = |flow: u64| {
        commands(&evs)
            .into_iter()
            .find(|c| c.flow == FlowId(flow) && c.verb == "USR")
            .and_then(|c| c.note.clone())
            .unwrap()
    };
    assert!(usr(2).ends_with(
        "it matches the invitation on connection 1: report.txt (5 bytes) from bob@example.com"
    ));
    assert!(!usr(2).contains("switchboard"));
    assert_eq!(last_info(&evs, 3).announced_by, None);
    assert!(usr(3).ends_with("no invitation with this AuthCookie was seen"));
}

#[test]
fn an_authcookie_that_is_not_the_invitations_is_said() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    file_offer(&mut d, &mut f, "57496", "10.0.0.9:6892", "41728291");
    f.open(&mut d, 2, "10.0.0.9:6892", ftp_detection());
    f.data(
        &mut d,
        2,
        C2S,
        b"VER MSNFTP\r\nUSR alice@example.com 1234\r\n",
    );
    f.data(&mut d, 2, S2C, b"VER MSNFTP\r\nFIL 9\r\n");
    drop(d);
    let evs = sink.0;
    let notes: Vec<_> = commands(&evs)
        .into_iter()
        .filter_map(|c| c.note.clone())
        .collect();
    assert!(
        notes.iter().any(|n| n.ends_with(
            "the invitation on connection 1 gave AuthCookie 41728291: report.txt (5 bytes) \
             from bob@example.com"
        )),
        "{notes:?}"
    );
    assert!(notes.contains(&"the file is 9 bytes; the invitation offered 5 bytes".to_string()));
}

#[test]
fn cancels_and_lost_blocks_are_in_the_summary() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    // The sender cancels after one block.
    f.open(&mut d, 2, "10.0.0.9:6891", Detection::Content);
    f.data(&mut d, 2, C2S, b"VER MSNFTP\r\n");
    f.data(&mut d, 2, S2C, b"VER MSNFTP\r\nFIL 100\r\n");
    f.data(&mut d, 2, S2C, b"\x00\x03\x00abc\x01\x00\x00");
    f.close(&mut d, 2);
    // The receiver cancels with CCL.
    f.open(&mut d, 3, "10.0.0.9:6891", Detection::Content);
    f.data(&mut d, 3, C2S, b"VER MSNFTP\r\n");
    f.data(&mut d, 3, S2C, b"FIL 100\r\n\x00\x03\x00abc");
    f.data(&mut d, 3, C2S, b"CCL\r\n");
    f.close(&mut d, 3);
    // A gap between blocks loses the structure; a block beyond FIL's size is reported.
    f.open(&mut d, 4, "10.0.0.9:6891", Detection::Content);
    f.data(&mut d, 4, C2S, b"VER MSNFTP\r\n");
    f.data(&mut d, 4, S2C, b"FIL 2\r\n\x00\x03\x00abc");
    f.gap(&mut d, 4, S2C, 10);
    f.data(&mut d, 4, S2C, b"\x00\x03\x00xyz");
    f.close(&mut d, 4);
    drop(d);
    let evs = sink.0;
    let t = transfer(&evs, 2);
    assert_eq!(t.cancelled_by, Some(crate::event::Party::Sender));
    assert_eq!((t.blocks, t.bytes, t.complete), (1, 3, false));
    let b = blocks(&evs, 2);
    assert!(b[1].cancel && b[1].index == 2);
    let t = transfer(&evs, 3);
    assert_eq!(t.cancelled_by, Some(crate::event::Party::Receiver));
    let t = transfer(&evs, 4);
    assert!(t.structure_lost && !t.complete);
    assert_eq!((t.blocks, t.bytes), (1, 3));
    let names = anomaly_names(&evs);
    assert_eq!(
        names,
        [
            "msnp.msnftp.beyond_size",
            "msnp.msnftp.lost_blocks",
            "msnp.msnftp.skipped"
        ]
    );
}

#[test]
fn past_max_file_invitations_the_oldest_is_forgotten() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    for i in 0..=MAX_FILE_INVITATIONS {
        file_offer(
            &mut d,
            &mut f,
            &i.to_string(),
            "10.0.0.9:6891",
            &format!("auth{i}"),
        );
    }
    f.open(&mut d, 2, "10.0.0.50:7000", Detection::Content);
    f.data(&mut d, 2, C2S, b"VER MSNFTP\r\nUSR a@b auth0\r\n");
    f.open(&mut d, 3, "10.0.0.50:7000", Detection::Content);
    let newest = format!("VER MSNFTP\r\nUSR a@b auth{MAX_FILE_INVITATIONS}\r\n");
    f.data(&mut d, 3, C2S, newest.as_bytes());
    drop(d);
    let evs = sink.0;
    assert_eq!(last_info(&evs, 2).announced_by, None);
    assert_eq!(last_info(&evs, 3).announced_by, Some(FlowId(1)));
}

#[test]
fn a_file_name_from_the_capture_is_one_inert_line_in_notes_and_reasons() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink);
    let mut f = Feed::new();
    f.open(&mut d, 1, "10.0.0.2:1863", port());
    let offer = invitation_msg(
        S2C,
        &[
            ("Invitation-Command", "INVITE"),
            ("Invitation-Cookie", "1"),
            ("Application-File", "a\u{1b}[2Jb\u{202e}txt.exe"),
        ],
    );
    f.data(&mut d, 1, S2C, &offer);
    let accept = invitation_msg(
        S2C,
        &[
            ("Invitation-Command", "ACCEPT"),
            ("Invitation-Cookie", "1"),
            ("IP-Address", "10.0.0.9"),
            ("AuthCookie", "7"),
        ],
    );
    f.data(&mut d, 1, S2C, &accept);
    f.open(&mut d, 2, "10.0.0.9:6891", ftp_detection());
    f.data(&mut d, 2, C2S, b"VER MSNFTP\r\nUSR a@b 7\r\n");
    f.close(&mut d, 2);
    drop(d);
    let evs = sink.0;
    let shown = "a\\x1B[2Jb\\u{202E}txt.exe";
    assert!(
        last_info(&evs, 2)
            .role_reason
            .ends_with(&format!("for {shown} from bob@example.com"))
    );
    let usr = commands(&evs)
        .into_iter()
        .find(|c| c.flow == FlowId(2) && c.verb == "USR")
        .unwrap();
    assert!(
        usr.note.as_deref().unwrap().contains(shown),
        "{:?}",
        usr.note
    );
    // The summary keeps the name as data (the JSON text rule), not as a sentence.
    assert_eq!(
        transfer(&evs, 2).file_name.as_deref(),
        Some("a\u{1b}[2Jb\u{202e}txt.exe")
    );
}

#[test]
fn past_the_memcap_the_oldest_payload_in_progress_is_cut_and_framing_goes_on() {
    let mut sink = Collect::default();
    let mut d = Decoder::new(&mut sink).with_memcap(300_000);
    let mut f = Feed::new();
    for flow in 1..=3 {
        f.open(&mut d, flow, "10.0.0.2:1863", port());
        f.data(&mut d, flow, C2S, b"MSG 1 N 100000\r\n");
        f.data(&mut d, flow, C2S, &[b'p'; 40_000]);
    }
    assert!(d.held_bytes() <= 300_000, "{}", d.held_bytes());
    // Connection 3 holds more: the first holder (connection 1) is cut first.
    f.data(&mut d, 3, C2S, &[b'p'; 40_000]);
    assert!(d.held_bytes() <= 300_000, "{}", d.held_bytes());
    // The rest of connection 1's payload is skipped, and the next command is framed.
    f.data(&mut d, 1, C2S, &[b'p'; 60_000]);
    f.data(&mut d, 1, C2S, b"OUT\r\n");
    f.close(&mut d, 1);
    f.close(&mut d, 2);
    f.close(&mut d, 3);
    assert_eq!(d.held_bytes(), 0);
    drop(d);
    let memcap: Vec<Option<FlowId>> = sink
        .0
        .iter()
        .filter_map(|e| match e {
            Event::Anomaly {
                name: "stream.memcap",
                flow,
                ..
            } => Some(*flow),
            _ => None,
        })
        .collect();
    // Oldest first: connection 1, then (the room of a payload counts, not just its bytes) as
    // many more as needed, never the newest holder while an older one holds.
    assert_eq!(memcap.first(), Some(&Some(FlowId(1))), "{memcap:?}");
    assert!(!memcap.contains(&Some(FlowId(3))), "{memcap:?}");
    let cmds = commands(&sink.0);
    let of_1: Vec<(&str, Option<u64>)> = cmds
        .iter()
        .filter(|c| c.flow == FlowId(1))
        .map(|c| (c.verb.as_str(), c.payload_received))
        .collect();
    assert_eq!(of_1, [("MSG", Some(40_000)), ("OUT", None)]);
}

/// Keeps every event but says it reads no command, as the flows table does.
#[derive(Default)]
struct ConnectionsOnly(Vec<Event>);

impl Sink for ConnectionsOnly {
    fn event(&mut self, ev: &Event) -> std::io::Result<()> {
        self.0.push(ev.clone());
        Ok(())
    }

    fn wants_commands(&self) -> bool {
        false
    }
}

/// The bundled captures, sorted (for the tests of other modules too).
pub(crate) fn bundled_captures() -> Vec<std::path::PathBuf> {
    let dir = format!("{}/captures", env!("CARGO_MANIFEST_DIR"));
    let mut captures: Vec<_> = std::fs::read_dir(&dir)
        .expect("captures/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
        .collect();
    captures.sort();
    assert!(captures.len() > 10, "{captures:?}");
    captures
}

/// Decodes a capture file into `sink`.
pub(crate) fn decode_file(path: &std::path::Path, sink: &mut dyn Sink) {
    let file = path.to_string_lossy().into_owned();
    let mut source = crate::capture::FileSource::new(vec![file], None);
    let mut decoder = Decoder::new(sink);
    crate::pipeline::run(&mut source, crate::pipeline::msn_config(), &mut decoder).expect("run");
}

/// A decoder that builds no command (nor reads message text) for a sink that reads none
/// gives every other event as one that builds them all: on every bundled capture.
#[test]
fn a_sink_without_commands_gets_the_same_other_events() {
    let run = decode_file;
    for path in bundled_captures() {
        let (mut all, mut lean) = (Collect::default(), ConnectionsOnly::default());
        run(&path, &mut all);
        run(&path, &mut lean);
        let others: Vec<&Event> = all
            .0
            .iter()
            .filter(|e| !matches!(e, Event::Command(_) | Event::MsnftpBlock(_)))
            .collect();
        assert!(
            lean.0
                .iter()
                .all(|e| !matches!(e, Event::Command(_) | Event::MsnftpBlock(_))),
            "{path:?}"
        );
        assert_eq!(
            format!("{:?}", lean.0.iter().collect::<Vec<_>>()),
            format!("{others:?}"),
            "{path:?}"
        );
    }
}

/// Keeps every event, reading message text as told.
struct Keep {
    events: Vec<Event>,
    text: bool,
}

impl Sink for Keep {
    fn event(&mut self, ev: &Event) -> std::io::Result<()> {
        self.events.push(ev.clone());
        Ok(())
    }

    fn wants_text(&self) -> bool {
        self.text
    }
}

/// A sink that reads no message text gets every event one that reads the text gets, the same
/// but for the text and format of text messages, which are empty (their encoding and cut are
/// the same): on every bundled capture, which hold text messages in every dialect and
/// encoding the decoder reads.
#[test]
fn a_sink_without_text_gets_the_same_events_but_the_text() {
    let mut texts = 0;
    for path in bundled_captures() {
        let mut all = Keep {
            events: Vec::new(),
            text: true,
        };
        let mut lean = Keep {
            events: Vec::new(),
            text: false,
        };
        decode_file(&path, &mut all);
        decode_file(&path, &mut lean);
        for ev in &mut all.events {
            if let Event::Command(c) = ev
                && let Some(m) = &mut c.msnc
                && let crate::msnc::Kind::Text(t) = &mut m.kind
            {
                texts += usize::from(!t.text.is_empty());
                t.text.clear();
                t.format = None;
            }
        }
        assert_eq!(
            format!("{:?}", lean.events),
            format!("{:?}", all.events),
            "{path:?}"
        );
    }
    // The captures hold text to leave out.
    assert!(texts > 50, "{texts}");
}

/// `stats` and the dialogue read no message text, and say so through the layers around them
/// (selection, redaction, the tee of `read`'s outputs); JSON and transcripts read it, and a
/// tee with one of them asks for it.
#[test]
fn outputs_ask_for_text_as_they_read_it_through_the_layers_around_them() {
    use crate::output::dialogue::{Dialogue, Notes};
    let mut stats = crate::output::stats::Stats::new();
    assert!(!stats.wants_text());
    assert!(!crate::redact::Redact::new(&mut stats, None).wants_text());
    let mut dialogue = Dialogue::new(Vec::new(), Notes::Brief, false, false);
    assert!(!dialogue.wants_text());
    assert!(dialogue.wants_notes());
    let mut json = crate::output::json::JsonLines::new(Vec::new());
    assert!(json.wants_text());
    {
        let tee = crate::event::Tee(vec![&mut dialogue, &mut stats]);
        assert!(!tee.wants_text());
    }
    {
        let mut tee = crate::event::Tee(vec![&mut dialogue]);
        let mut redact = crate::redact::Redact::new(&mut tee, None);
        let select = crate::output::select::Select::new(&mut redact, Default::default());
        assert!(!select.wants_text());
        assert!(select.wants_notes());
    }
    let tee = crate::event::Tee(vec![&mut dialogue, &mut json]);
    assert!(tee.wants_text());
    let quiet = Dialogue::new(Vec::new(), Notes::None, false, false);
    assert!(!quiet.wants_notes());
}

/// `stats` asks for the named fields of a few verbs only ([`Sink::wants_fields`]); its
/// report is the one it makes from every command's fields, on every bundled capture, which
/// hold sign-ins, presence, contact lists and conversations in every dialect.
#[test]
fn stats_reports_the_same_from_the_fields_it_asks_for_as_from_all() {
    use crate::output::stats::Stats;
    let wanted = Stats::new().wants_fields();
    let mut left_unnamed = 0;
    for path in bundled_captures() {
        let mut lean = Stats::new();
        let mut every = EveryField(Stats::new());
        let mut all = Collect::default();
        decode_file(&path, &mut lean);
        decode_file(&path, &mut every);
        decode_file(&path, &mut all);
        assert_eq!(lean.report(), every.0.report(), "{path:?}");
        left_unnamed += commands(&all.0)
            .iter()
            .filter(|c| !wanted.of(c.verb) && !c.fields.is_empty())
            .count();
    }
    // Fields `stats` did without.
    assert!(left_unnamed > 500, "{left_unnamed}");
}

/// The verbs whose fields `stats` asks for only because its correlator reads them, in a
/// conversation the bundled captures do not hold: one switchboard session seen on two
/// connections, named by `CAL`'s reply on the inviting side and by `ANS` on the answering
/// side, and someone who never joined speaks (`MSG` with a name) or leaves (`BYE`), as in
/// a capture that starts mid-conversation. The report is the one made from every field.
#[test]
fn stats_merges_and_counts_people_from_the_verbs_its_correlator_reads() {
    use crate::output::stats::Stats;
    let run = |sink: &mut dyn Sink| {
        let mut d = Decoder::new(sink);
        let mut f = Feed::new();
        let body = b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhi";
        let msg = [
            format!("MSG dave@example.com Dave {}\r\n", body.len()).as_bytes(),
            &body[..],
        ]
        .concat();
        // Alice invites Bob (only `CAL`'s reply names the session on her side)...
        f.open(&mut d, 1, "10.0.0.2:1863", port());
        f.data(&mut d, 1, C2S, b"USR 1 alice@example.com 1234.5678\r\n");
        f.data(&mut d, 1, S2C, b"USR 1 OK alice@example.com Alice\r\n");
        f.data(&mut d, 1, C2S, b"CAL 2 bob@example.com\r\n");
        f.data(&mut d, 1, S2C, b"CAL 2 RINGING 11752013\r\n");
        // ...and Bob answers, on a connection of his own, where Carol is already.
        f.open(&mut d, 2, "10.0.0.3:1863", port());
        f.data(
            &mut d,
            2,
            C2S,
            b"ANS 1 bob@example.com 1234.5678 11752013\r\n",
        );
        f.data(&mut d, 2, S2C, b"IRO 1 1 1 carol@example.com Carol\r\n");
        f.data(&mut d, 2, S2C, b"ANS 1 OK\r\n");
        f.data(&mut d, 1, S2C, &msg);
        f.data(&mut d, 1, S2C, b"BYE erin@example.com\r\n");
        f.close(&mut d, 1);
        f.close(&mut d, 2);
    };
    let mut every = EveryField(Stats::new());
    run(&mut every);
    let every = every.0.report();
    assert_eq!(every.conversations.len(), 1, "{every:?}");
    let row = &every.conversations[0];
    assert_eq!(row.flows.len(), 2, "{row:?}");
    for who in ["carol@example.com", "dave@example.com", "erin@example.com"] {
        assert!(row.participants.iter().any(|p| p == who), "{who}: {row:?}");
    }
    let mut lean = Stats::new();
    run(&mut lean);
    assert_eq!(lean.report(), every);
}
