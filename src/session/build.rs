//! The event builder: turns one framed command and what [`super::step`] found into the
//! [`CommandEvent`] every output reads. Pure, and separate from the step so that each can be
//! tested alone: the step decides what a command changes, the builder only describes it.
//!
//! Guarantees: the named fields are built once per command, from the verb table; the note is
//! the verb's own note, then the challenge verdict, the decoder's note (a switchboard link, an
//! MSNFTP AuthCookie checked against its invitation) and the notes of the message a payload
//! holds, in that order, joined by `; `; a payload travels as its raw bytes (read as text,
//! or written in base64, by the outputs that show it). The message a
//! `MSG`, `UUM` or `UBM` payload holds was decoded once by the step ([`crate::msnc`], with its
//! sender); the builder adds it and its notes to the event.

use super::classify;
use super::step::{Changes, ConnState};
use crate::Direction;
use crate::event::{CommandEvent, LineEnd};
use crate::flow::{At, FlowId};
use crate::msnp::framer::{Eol, Frame};
use crate::msnp::named::{Name, Value};
use crate::msnp::verbs;

/// What a command's event carries besides its line, parameters, payload and message: what
/// the sink reads ([`crate::event::Sink::wants_fields`], [`crate::event::Sink::wants_notes`]).
/// `link_note` is what the decoder adds from the tables that span connections: a switchboard
/// link made from the cookie this command presented, or what an MSNFTP line says about the
/// invitation that announced its connection.
#[derive(Debug)]
pub enum Detail {
    /// The named fields, no note (the summaries; `stats` for the verbs it reads).
    Fields,
    /// The named fields and the note (JSON).
    FieldsAndNote { link_note: Option<String> },
    /// The note, and the fields only where the verb's note is made from them (the dialogue).
    Note { link_note: Option<String> },
    /// Neither (the dialogue with `--notes none`; `stats` for the verbs it does not read).
    Bare,
    /// Neither yet: only the parts of the note that the decoder alone knows (`link_note`
    /// and the challenge's), joined, in `note`, for [`complete_note`] to finish where the
    /// event is written (the two-thread run, while the output thread keeps up).
    Later { link_note: Option<String> },
}

/// Names the fields of a command event built without them ([`Detail::Note`] when `notes`,
/// [`Detail::Bare`] when not), as [`Detail::FieldsAndNote`] or [`Detail::Fields`] would have:
/// the same fields in the same order. Pure: the names come from the event's own verb,
/// direction, dialect and parameters. The two-thread run names them on the output thread
/// while that thread keeps up (`pipeline::decode_split`).
pub fn complete_fields(c: &mut CommandEvent, notes: bool) {
    // Built for a note, the fields of a verb whose note reads them are all there.
    if notes && verbs::has_note(c.verb) {
        return;
    }
    // What the decoder set itself (the challenge verdict) goes after the named fields, where
    // the one-thread build puts it.
    let own = std::mem::take(&mut c.fields);
    c.fields = verbs::named_fields(c.verb, c.dir, c.dialect, &c.params, c.trid.is_some());
    for (name, value) in own {
        c.fields.set(name, value);
    }
}

/// Finishes a command event built with [`Detail::Later`] as [`Detail::FieldsAndNote`]
/// (`fields`) or [`Detail::Note`] (not) would have built it: the same note and the same
/// fields in the same order. Pure, like [`complete_fields`]: the verb's note and its fields
/// come from the event's own verb, direction, dialect and parameters, the message's notes
/// from its decoded message, and the rest of the note was left in `note`.
pub fn complete_note(c: &mut CommandEvent, fields: bool) {
    let (named, verb_note) = verbs::describe(
        c.verb,
        c.dir,
        c.dialect,
        &c.params,
        c.trid.is_some(),
        fields,
    );
    let mut notes: Vec<String> = verb_note.into_iter().collect();
    notes.extend(c.note.take());
    if let Some(m) = &c.msnc {
        notes.extend(m.notes());
    }
    c.note = join_notes(notes);
    let own = std::mem::replace(&mut c.fields, named);
    for (name, value) in own {
        c.fields.set(name, value);
    }
}

/// The note of a command: its parts joined, one part as it is, none as none.
fn join_notes(mut notes: Vec<String>) -> Option<String> {
    match notes.len() {
        0 => None,
        // One note (the usual case) is the note, without a join's copy.
        1 => notes.pop(),
        _ => Some(notes.join("; ")),
    }
}

/// The event of one command, with the detail the sink reads.
pub fn command_event(
    flow: FlowId,
    at: At,
    dir: Direction,
    state: &ConnState,
    frame: Frame,
    changes: &mut Changes,
    detail: Detail,
) -> CommandEvent {
    let cmd = &frame.command;
    let dialect = state.info.dialect;
    let role = state.info.role;
    let has_trid = cmd.trid.is_some();
    let msnc = changes.message.take();
    let all_fields = !matches!(
        detail,
        Detail::Note { .. } | Detail::Bare | Detail::Later { .. }
    );
    let (mut fields, note) = match detail {
        // Without notes: the fields alone, or nothing.
        Detail::Fields => (
            verbs::named_fields(cmd.verb, dir, dialect, &cmd.params, has_trid),
            None,
        ),
        Detail::Bare => (crate::msnp::named::Fields::new(), None),
        Detail::Later { link_note } => {
            let mut notes: Vec<String> = changes
                .challenge
                .as_ref()
                .map(|c| c.note.clone())
                .into_iter()
                .collect();
            notes.extend(link_note);
            (crate::msnp::named::Fields::new(), join_notes(notes))
        }
        Detail::FieldsAndNote { link_note } | Detail::Note { link_note } => {
            let (fields, verb_note) =
                verbs::describe(cmd.verb, dir, dialect, &cmd.params, has_trid, all_fields);
            let mut notes: Vec<String> = verb_note.into_iter().collect();
            if let Some(c) = &changes.challenge {
                notes.push(c.note.clone());
            }
            notes.extend(link_note);
            if let Some(m) = &msnc {
                notes.extend(m.notes());
            }
            (fields, join_notes(notes))
        }
    };
    // The verdict is the decoder's own: set whatever else is named, so that
    // `complete_fields` can name the rest later.
    if let Some(c) = &changes.challenge {
        fields.set(Name::ChallengeVerdict, Value::Text(c.word.to_string()));
    }
    let channel = classify::channel(role, cmd, dir);
    let verb = cmd.verb;
    let trid = cmd.trid;
    let (payload_len, payload_received, payload_bytes) = match frame.payload {
        None => (None, None, None),
        Some(p) => {
            let got = p.bytes.len() as u64;
            let received = (got != p.declared).then_some(got);
            (Some(p.declared), received, Some(p.bytes))
        }
    };
    CommandEvent {
        flow,
        frame: at.frame,
        ts: at.ts,
        dir,
        role,
        channel,
        dialect,
        verb,
        trid,
        params: frame.command.params,
        fields,
        payload_len,
        payload_received,
        line_end: match frame.eol {
            Eol::CrLf => LineEnd::Crlf,
            Eol::Lf => LineEnd::Lf,
            Eol::None => LineEnd::None,
        },
        offset: frame.offset,
        reply_to: changes.reply_to,
        note,
        line: frame.line,
        payload_bytes,
        msnc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use crate::event::{Channel, ConnectionInfo, ReplyTo, Role};
    use crate::msnp::framer::Payload;
    use crate::msnp::parse_command_line;
    use crate::session::step::ChallengeResult;

    fn state(role: Role) -> ConnState {
        ConnState::new(ConnectionInfo {
            flow: FlowId(7),
            role,
            ..ConnectionInfo::example(7)
        })
    }

    fn frame(line: &str, dir: Direction, payload: Option<(&[u8], u64)>) -> Frame {
        Frame {
            offset: 40,
            line: line.as_bytes().to_vec(),
            eol: Eol::CrLf,
            command: parse_command_line(line.as_bytes(), dir, None).unwrap(),
            payload: payload.map(|(b, declared)| Payload {
                bytes: b.to_vec(),
                declared,
            }),
        }
    }

    fn at() -> At {
        At {
            frame: 9,
            ts: Timestamp::new(1001, 5),
        }
    }

    #[test]
    fn a_command_gets_its_fields_note_channel_and_pairing() {
        let s = state(Role::Notification);
        let mut changes = Changes {
            reply_to: Some(ReplyTo {
                frame: 3,
                delay_ms: 1.5,
            }),
            ..Changes::default()
        };
        let ev = command_event(
            FlowId(7),
            at(),
            Direction::ServerToClient,
            &s,
            frame(
                "NLN BSY bob@x.com Bob%20B 0",
                Direction::ServerToClient,
                None,
            ),
            &mut changes,
            Detail::FieldsAndNote { link_note: None },
        );
        assert_eq!((ev.flow, ev.frame, ev.offset), (FlowId(7), 9, 40));
        assert_eq!(ev.verb, "NLN");
        assert_eq!(ev.trid, None);
        assert_eq!(ev.channel, Channel::Ns);
        assert_eq!(ev.fields.text(Name::FriendlyName), Some("Bob B"));
        assert_eq!(ev.note.as_deref(), Some("bob@x.com is now Busy"));
        assert_eq!(ev.reply_to.map(|r| r.frame), Some(3));
        assert_eq!(ev.line_end, LineEnd::Crlf);
        assert_eq!(ev.payload_len, None);
    }

    /// A client's `QRY` whose challenge answer was judged wrong, built with `detail`.
    fn wrong_qry(detail: Detail) -> CommandEvent {
        let mut changes = Changes {
            challenge: Some(ChallengeResult {
                word: "invalid",
                note: "challenge answer is wrong".into(),
            }),
            ..Changes::default()
        };
        let f = frame(
            "QRY 10 msmsgs@msnmsgr.com 32",
            Direction::ClientToServer,
            Some((b"0123456789abcdef0123456789abcdef", 32)),
        );
        let s = state(Role::Notification);
        command_event(
            FlowId(7),
            at(),
            Direction::ClientToServer,
            &s,
            f,
            &mut changes,
            detail,
        )
    }

    #[test]
    fn notes_are_joined_in_order_and_the_challenge_verdict_is_a_field() {
        let ev = wrong_qry(Detail::FieldsAndNote {
            link_note: Some("linked".into()),
        });
        assert_eq!(ev.fields.text(Name::ChallengeVerdict), Some("invalid"));
        assert_eq!(
            ev.note.as_deref(),
            Some("challenge answer is wrong; linked")
        );
        assert_eq!(ev.payload_len, Some(32));
        assert_eq!(ev.payload_received, None);
        assert!(ev.payload_text().is_some());
    }

    #[test]
    fn without_notes_the_event_is_the_same_but_for_its_note() {
        let with = wrong_qry(Detail::FieldsAndNote {
            link_note: Some("linked".into()),
        });
        let without = wrong_qry(Detail::Fields);
        assert!(with.note.is_some());
        assert_eq!(without.note, None);
        let with = CommandEvent { note: None, ..with };
        assert_eq!(format!("{with:?}"), format!("{without:?}"));
    }

    /// The event of one line without a payload, built with `detail`.
    fn line_event(s: &ConnState, line: &str, dir: Direction, detail: Detail) -> CommandEvent {
        command_event(
            FlowId(7),
            at(),
            dir,
            s,
            frame(line, dir, None),
            &mut Changes::default(),
            detail,
        )
    }

    /// For an output that prints notes but not fields (the dialogue): the same event but for
    /// its fields, which are named exactly where the verb's note is made from them; without
    /// notes either, no field at all.
    #[test]
    fn without_fields_only_the_notes_own_fields_are_named() {
        let cases = [
            // A note made from the fields: named.
            (
                "NLN BSY bob@x.com Bob%20B 0",
                Direction::ServerToClient,
                true,
            ),
            ("JOI bob@x.com Bob", Direction::ServerToClient, true),
            // No note: nothing named.
            ("LST bob@x.com Bob 11 0", Direction::ServerToClient, false),
            ("LSG 1 Friends 0", Direction::ServerToClient, false),
            ("BPR PHH 555%201234", Direction::ServerToClient, false),
            // An error reply's note is its code's meaning.
            ("911 3", Direction::ServerToClient, false),
        ];
        let s = state(Role::Notification);
        let build = |line: &str, dir: Direction, detail: Detail| line_event(&s, line, dir, detail);
        for (line, dir, named) in cases {
            let full = build(line, dir, Detail::FieldsAndNote { link_note: None });
            let notes = build(line, dir, Detail::Note { link_note: None });
            let bare = build(line, dir, Detail::Bare);
            assert!(!full.fields.is_empty(), "{line}");
            assert_eq!(notes.fields.is_empty(), !named, "{line}");
            assert!(bare.fields.is_empty() && bare.note.is_none(), "{line}");
            assert_eq!(notes.note, full.note, "{line}");
            let fields = |ev: CommandEvent| CommandEvent {
                fields: Default::default(),
                note: None,
                ..ev
            };
            let full = format!("{:?}", fields(full));
            assert_eq!(format!("{:?}", fields(notes)), full, "{line}");
            assert_eq!(format!("{:?}", fields(bare)), full, "{line}");
        }
        // The challenge verdict is the decoder's own field: set in every mode.
        let qry = wrong_qry(Detail::Bare);
        assert_eq!(qry.fields.text(Name::ChallengeVerdict), Some("invalid"));
    }

    /// Fields left out for the notes (or with them) and named afterwards are the fields the
    /// full build names, in the same order: what the two-thread run relies on.
    #[test]
    fn fields_named_afterwards_are_the_full_builds() {
        let s = state(Role::Notification);
        let lines = [
            ("NLN BSY bob@x.com Bob%20B 0", Direction::ServerToClient),
            ("LST bob@x.com Bob 11 0", Direction::ServerToClient),
            ("LSG 1 Friends 0", Direction::ServerToClient),
            ("ACK 5", Direction::ServerToClient),
            ("911 3", Direction::ServerToClient),
            ("USR 3 TWN I alice@x.com", Direction::ClientToServer),
            ("ZZZ 1 unknown verb", Direction::ClientToServer),
        ];
        let build = |line: &str, dir: Direction, detail: Detail| line_event(&s, line, dir, detail);
        let debug = |ev: &CommandEvent| format!("{ev:?}");
        for (line, dir) in lines {
            let mut with_notes = build(line, dir, Detail::Note { link_note: None });
            complete_fields(&mut with_notes, true);
            let full = build(line, dir, Detail::FieldsAndNote { link_note: None });
            assert_eq!(debug(&with_notes), debug(&full), "{line}");
            let mut bare = build(line, dir, Detail::Bare);
            complete_fields(&mut bare, false);
            assert_eq!(
                debug(&bare),
                debug(&build(line, dir, Detail::Fields)),
                "{line}"
            );
            // Naming twice changes nothing.
            complete_fields(&mut bare, false);
            assert_eq!(
                debug(&bare),
                debug(&build(line, dir, Detail::Fields)),
                "{line}"
            );
        }
        // The verdict stays last, after the named fields, as in the full build.
        for (detail, notes, full) in [
            (
                Detail::Note { link_note: None },
                true,
                Detail::FieldsAndNote { link_note: None },
            ),
            (Detail::Bare, false, Detail::Fields),
        ] {
            let mut qry = wrong_qry(detail);
            complete_fields(&mut qry, notes);
            assert_eq!(debug(&qry), debug(&wrong_qry(full)));
        }
    }

    const TYPING: &[u8] =
        b"MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: bob@x.com\r\n\r\n\r\n";

    /// One message through the step (which decodes it) and the builder.
    fn msg(s: &mut ConnState, line: &str, dir: Direction, body: &[u8]) -> CommandEvent {
        msg_with(
            s,
            line,
            dir,
            body,
            Detail::FieldsAndNote { link_note: None },
        )
    }

    fn msg_with(
        s: &mut ConnState,
        line: &str,
        dir: Direction,
        body: &[u8],
        detail: Detail,
    ) -> CommandEvent {
        let f = frame(line, dir, Some((body, body.len() as u64)));
        let mut changes = crate::session::step::step(s, &f.command, Some(body), dir, at());
        command_event(FlowId(7), at(), dir, s, f, &mut changes, detail)
    }

    /// A note (and fields) left for later and finished afterwards is the note (and fields)
    /// the full build writes, for an output that reads every field (JSON) and for one that
    /// reads none (the dialogue): the verb's note, the decoder's own parts (a challenge's
    /// verdict, a link) and the message's notes, joined in the same order.
    #[test]
    fn notes_written_afterwards_are_the_full_builds() {
        let s = state(Role::Notification);
        let debug = |ev: &CommandEvent| format!("{ev:?}");
        let later = || Detail::Later { link_note: None };
        for (line, dir) in [
            ("NLN BSY bob@x.com Bob%20B 0", Direction::ServerToClient),
            ("JOI bob@x.com Bob", Direction::ServerToClient),
            ("LST bob@x.com Bob 11 0", Direction::ServerToClient),
            ("911 3", Direction::ServerToClient),
            ("USR 3 TWN I alice@x.com", Direction::ClientToServer),
            ("ZZZ 1 unknown verb", Direction::ClientToServer),
        ] {
            let mut json = line_event(&s, line, dir, later());
            complete_note(&mut json, true);
            let full = line_event(&s, line, dir, Detail::FieldsAndNote { link_note: None });
            assert_eq!(debug(&json), debug(&full), "{line}");
            let mut dialogue = line_event(&s, line, dir, later());
            complete_note(&mut dialogue, false);
            let notes = line_event(&s, line, dir, Detail::Note { link_note: None });
            assert_eq!(debug(&dialogue), debug(&notes), "{line}");
        }
        // The decoder's parts: the challenge's note and a link, after the verb's.
        let linked = || Some("linked".to_string());
        // For JSON (every field) and for the dialogue (none), with the full build to match.
        let outputs = || {
            [
                (
                    true,
                    Detail::FieldsAndNote {
                        link_note: linked(),
                    },
                ),
                (
                    false,
                    Detail::Note {
                        link_note: linked(),
                    },
                ),
            ]
        };
        for (fields, full) in outputs() {
            let mut qry = wrong_qry(Detail::Later {
                link_note: linked(),
            });
            assert!(qry.note.is_some(), "the decoder's parts travel in the note");
            complete_note(&mut qry, fields);
            assert_eq!(debug(&qry), debug(&wrong_qry(full)));
        }
        // A message's notes, after the rest.
        let sb = || {
            let mut sb = state(Role::Switchboard);
            sb.info.principal = Some("alice@x.com".into());
            sb
        };
        let line = "MSG 4 U 91";
        for (fields, full) in outputs() {
            let dir = Direction::ClientToServer;
            let later = Detail::Later {
                link_note: linked(),
            };
            let mut ev = msg_with(&mut sb(), line, dir, TYPING, later);
            complete_note(&mut ev, fields);
            let full = msg_with(&mut sb(), line, dir, TYPING, full);
            assert_eq!(full.note.as_deref(), Some("linked; bob@x.com is typing"));
            assert_eq!(debug(&ev), debug(&full));
        }
    }

    #[test]
    fn a_message_names_its_sender_and_adds_its_notes() {
        // A client's MSG: the connection's signed-in user.
        let mut s = state(Role::Switchboard);
        s.info.principal = Some("alice@x.com".into());
        let ev = msg(&mut s, "MSG 4 U 91", Direction::ClientToServer, TYPING);
        let m = ev.msnc.expect("decoded");
        assert_eq!(m.sender.as_deref(), Some("alice@x.com"));
        assert_eq!(m.content_type.as_deref(), Some("text/x-msmsgscontrol"));
        assert_eq!(ev.note.as_deref(), Some("bob@x.com is typing"));
        // A server's MSG: the handle it names, without network prefix or endpoint.
        let ev = msg(
            &mut s,
            "MSG 1:bob@x.com;{0d0e} Bob 91",
            Direction::ServerToClient,
            TYPING,
        );
        assert_eq!(ev.msnc.unwrap().sender.as_deref(), Some("bob@x.com"));
        // Nobody known.
        let mut s = state(Role::Switchboard);
        let ev = msg(&mut s, "MSG 4 U 91", Direction::ClientToServer, TYPING);
        assert_eq!(ev.msnc.unwrap().sender, None);
    }

    #[test]
    fn federated_messages_are_decoded_and_other_verbs_are_not() {
        let mut s = state(Role::Notification);
        s.info.principal = Some("alice@live.com".into());
        let ev = msg(
            &mut s,
            "UUM 10 yuki@yahoo.com 32 2 91",
            Direction::ClientToServer,
            TYPING,
        );
        assert_eq!(ev.msnc.unwrap().sender.as_deref(), Some("alice@live.com"));
        let ev = msg(
            &mut s,
            "UBM yuki@yahoo.com 32 alice@live.com 1 2 91",
            Direction::ServerToClient,
            TYPING,
        );
        assert_eq!(ev.msnc.unwrap().sender.as_deref(), Some("yuki@yahoo.com"));
        let ev = msg(&mut s, "UUX 7 91", Direction::ClientToServer, TYPING);
        assert!(ev.msnc.is_none());
        assert_eq!(ev.note, None);
    }

    #[test]
    fn a_binary_or_short_payload_is_base64_with_what_arrived() {
        let s = state(Role::Switchboard);
        let ev = command_event(
            FlowId(7),
            at(),
            Direction::ClientToServer,
            &s,
            frame(
                "MSG 4 D 10",
                Direction::ClientToServer,
                Some((&[0xff, 0xfe, 0x00], 10)),
            ),
            &mut Changes::default(),
            Detail::Fields,
        );
        assert_eq!(ev.channel, Channel::Msnc);
        assert_eq!(ev.payload_received, Some(3));
        assert_eq!(ev.payload_text(), None);
        assert_eq!(ev.payload_bytes.as_deref(), Some(&[0xff, 0xfe, 0x00][..]));
    }
}
