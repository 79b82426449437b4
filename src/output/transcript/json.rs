//! JSON transcripts: one document per conversation and an index document, written from the
//! wire types below (never from the model's own types), described by
//! `docs/transcript.schema.json`.
//!
//! Why it exists: the machine-readable form of a transcript, a stable interface whatever the
//! conversation layer's types become. Guarantees: capture text is written in the data form
//! of [`crate::escape`] exactly as the model holds it (a JSON reader gets the very string
//! back); times are exact decimals with nine places, as in the event JSON
//! ([`crate::output::json::wire::Ts`]); messages, notes and missing pieces are each in time
//! order; typing notifications are kept (as notes of kind `typing`).

use super::Index;
use crate::conversation::model::{
    ContactList, Conversation, EntryKind, LoginSession, Participant, PresenceChange,
};
use crate::msnc::text::{Effect, Format};
use crate::output::json::wire::Ts;
use serde::Serialize;
use std::io;

/// The version of the transcript documents' shape.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct WireConversation<'a> {
    version: u32,
    id: u64,
    start: Ts,
    end: Ts,
    server: String,
    session_id: Option<&'a str>,
    flows: Vec<u64>,
    login_sessions: &'a [u64],
    participants: Vec<WireParticipant<'a>>,
    messages: Vec<WireMessage<'a>>,
    notes: Vec<WireNote<'a>>,
    missing: Vec<WireMissing<'a>>,
    dropped_entries: u64,
}

#[derive(Serialize)]
struct WireParticipant<'a> {
    handle: &'a str,
    names: &'a [String],
    local: bool,
    joined: Option<Ts>,
    left: Option<Ts>,
}

#[derive(Serialize)]
struct WireMessage<'a> {
    ts: Ts,
    frame: u64,
    flow: u64,
    sender: &'a str,
    name: Option<&'a str>,
    local: bool,
    text: &'a str,
    format: Option<WireFormat<'a>>,
}

#[derive(Serialize)]
struct WireFormat<'a> {
    font: Option<&'a str>,
    effects: Vec<&'static str>,
    /// `#rrggbb`.
    color: Option<String>,
    charset: Option<u8>,
    pitch_family: Option<&'a str>,
    right_to_left: bool,
}

#[derive(Serialize)]
struct WireNote<'a> {
    ts: Ts,
    frame: u64,
    flow: u64,
    /// `joined`, `left`, `typing`, `nudge`, `note`.
    kind: &'static str,
    /// Whom it is about (the writer, for a note).
    handle: Option<&'a str>,
    name: Option<&'a str>,
    /// For `left`: the switchboard timed the participant out.
    #[serde(skip_serializing_if = "Option::is_none")]
    idle: Option<bool>,
    /// For `note`: the message layer's sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
}

#[derive(Serialize)]
struct WireMissing<'a> {
    ts: Ts,
    flow: u64,
    what: &'a str,
}

fn effect(e: &Effect) -> &'static str {
    match e {
        Effect::Bold => "bold",
        Effect::Italic => "italic",
        Effect::Underline => "underline",
        Effect::Strikethrough => "strikethrough",
    }
}

fn format(f: &Format) -> WireFormat<'_> {
    WireFormat {
        font: f.font.as_deref(),
        effects: f.effects.iter().map(effect).collect(),
        color: f.color.map(|[r, g, b]| format!("#{r:02x}{g:02x}{b:02x}")),
        charset: f.charset,
        pitch_family: f.pitch_family.as_deref(),
        right_to_left: f.right_to_left,
    }
}

fn participant(p: &Participant) -> WireParticipant<'_> {
    WireParticipant {
        handle: &p.handle,
        names: &p.names,
        local: p.local,
        joined: p.joined.map(Ts),
        left: p.left.map(Ts),
    }
}

fn pretty<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into());
    s.push('\n');
    s
}

/// One conversation as a JSON document (indented, ending in a newline).
pub fn render_json(c: &Conversation) -> String {
    let mut messages = Vec::new();
    let mut notes = Vec::new();
    for e in &c.entries {
        let (kind, handle, name, idle, text) = match &e.kind {
            EntryKind::Message {
                sender,
                name,
                text,
                format: f,
            } => {
                messages.push(WireMessage {
                    ts: Ts(e.ts),
                    frame: e.frame,
                    flow: e.flow.0,
                    sender,
                    name: name.as_deref(),
                    local: super::is_local(&c.participants, sender),
                    text,
                    format: f.as_ref().map(format),
                });
                continue;
            }
            EntryKind::Joined { handle, name } => {
                ("joined", Some(handle.as_str()), name.as_deref(), None, None)
            }
            EntryKind::Left { handle, idle } => {
                ("left", Some(handle.as_str()), None, Some(*idle), None)
            }
            EntryKind::Typing { handle } => ("typing", Some(handle.as_str()), None, None, None),
            EntryKind::Nudge { handle } => ("nudge", Some(handle.as_str()), None, None, None),
            EntryKind::Note { sender, text } => {
                ("note", sender.as_deref(), None, None, Some(text.as_str()))
            }
        };
        notes.push(WireNote {
            ts: Ts(e.ts),
            frame: e.frame,
            flow: e.flow.0,
            kind,
            handle,
            name,
            idle,
            text,
        });
    }
    let mut missing: Vec<_> = c.missing.iter().collect();
    missing.sort_by_key(|m| super::nanos(m.ts));
    pretty(&WireConversation {
        version: VERSION,
        id: c.id,
        start: Ts(c.start),
        end: Ts(c.end),
        server: c.server.to_string(),
        session_id: c.session_id.as_deref(),
        flows: c.flows.iter().map(|f| f.0).collect(),
        login_sessions: &c.login_sessions,
        participants: c.participants.iter().map(participant).collect(),
        messages,
        notes,
        missing: missing
            .into_iter()
            .map(|m| WireMissing {
                ts: Ts(m.ts),
                flow: m.flow.0,
                what: &m.what,
            })
            .collect(),
        dropped_entries: c.dropped_entries,
    })
}

#[derive(Serialize)]
struct WireIndexConversation<'a> {
    id: u64,
    start: Ts,
    end: Ts,
    participants: Vec<WireIndexParticipant<'a>>,
    login_sessions: &'a [u64],
    messages: usize,
    files: &'a [String],
    /// The transcript files' name without extension (`.txt`, `.html`, `.json`).
    file_stem: &'a str,
}

#[derive(Serialize)]
struct WireIndexParticipant<'a> {
    handle: &'a str,
    name: Option<&'a str>,
    local: bool,
}

#[derive(Serialize)]
struct WireLoginSession<'a> {
    id: u64,
    principal: &'a str,
    client: String,
    login: Option<Ts>,
    end: Ts,
    flows: Vec<u64>,
    client_version: Option<&'a str>,
    friendly_names: Vec<WireName<'a>>,
}

#[derive(Serialize)]
struct WireName<'a> {
    ts: Ts,
    name: &'a str,
}

/// The index document: every conversation's summary and every login session.
pub fn render_index_json(index: &mut Index, sessions: &[LoginSession]) -> io::Result<String> {
    super::rendered(|out| write_index_json(out, index, sessions))
}

/// [`render_index_json`] to `out`, a row at a time: the same bytes as the whole document
/// indented at once (`{"version", "conversations": [...], "login_sessions": [...]}`).
pub fn write_index_json(
    out: &mut dyn io::Write,
    index: &mut Index,
    sessions: &[LoginSession],
) -> io::Result<()> {
    write!(out, "{{\n  \"version\": {VERSION},\n  \"conversations\": [")?;
    let mut first = true;
    index.for_each(|c| {
        let row = WireIndexConversation {
            id: c.id,
            start: Ts(c.start),
            end: Ts(c.end),
            participants: c
                .participants
                .iter()
                .map(|p| WireIndexParticipant {
                    handle: &p.handle,
                    name: p.name.as_deref(),
                    local: p.local,
                })
                .collect(),
            login_sessions: &c.login_sessions,
            messages: c.messages,
            files: &c.files,
            file_stem: &c.stem,
        };
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        first = false;
        nested(out, &row, 2)
    })?;
    out.write_all(if first { b"]" } else { b"\n  ]" })?;
    out.write_all(b",\n  \"login_sessions\": ")?;
    let sessions: Vec<WireLoginSession> = sessions
        .iter()
        .map(|l| WireLoginSession {
            id: l.id,
            principal: &l.principal,
            client: l.client.to_string(),
            login: l.login.map(Ts),
            end: Ts(l.end),
            flows: l.flows.iter().map(|f| f.0).collect(),
            client_version: l.client_version.as_deref(),
            friendly_names: l
                .friendly_names
                .iter()
                .map(|(ts, name)| WireName { ts: Ts(*ts), name })
                .collect(),
        })
        .collect();
    nested(out, &sessions, 1)?;
    out.write_all(b"\n}\n")
}

/// `value` indented as it is at `depth` inside a document written by [`pretty`]. JSON text
/// holds no raw line break inside a string, so every one is a break of the layout.
fn nested<T: Serialize>(out: &mut dyn io::Write, value: &T, depth: usize) -> io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    let indent = "  ".repeat(depth);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
            out.write_all(indent.as_bytes())?;
        }
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

#[derive(Serialize)]
struct WireContacts<'a> {
    version: u32,
    contact_lists: Vec<WireContactList<'a>>,
    presence: Vec<WirePresence<'a>>,
}

#[derive(Serialize)]
struct WirePresence<'a> {
    ts: Ts,
    flow: u64,
    principal: Option<&'a str>,
    handle: &'a str,
    status: &'a str,
    friendly_name: Option<&'a str>,
    personal_message: Option<&'a str>,
    current_media: Option<&'a str>,
}

#[derive(Serialize)]
struct WireContactList<'a> {
    principal: &'a str,
    groups: Vec<WireGroup<'a>>,
    contacts: Vec<WireContact<'a>>,
}

#[derive(Serialize)]
struct WireGroup<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct WireContact<'a> {
    handle: &'a str,
    friendly_name: Option<&'a str>,
    lists: &'a [String],
    groups: &'a [String],
}

/// `contacts.json`: each principal's groups and contacts at the end of the capture, and the
/// presence changes in capture order.
pub fn render_contacts_json(lists: &[ContactList], presence: &[PresenceChange]) -> String {
    pretty(&WireContacts {
        version: VERSION,
        contact_lists: lists
            .iter()
            .map(|l| WireContactList {
                principal: &l.principal,
                groups: l
                    .groups
                    .iter()
                    .map(|(id, name)| WireGroup { id, name })
                    .collect(),
                contacts: l
                    .contacts
                    .iter()
                    .map(|c| WireContact {
                        handle: &c.handle,
                        friendly_name: c.friendly_name.as_deref(),
                        lists: &c.lists,
                        groups: &c.groups,
                    })
                    .collect(),
            })
            .collect(),
        presence: presence
            .iter()
            .map(|p| WirePresence {
                ts: Ts(p.ts),
                flow: p.flow.0,
                principal: p.principal.as_deref(),
                handle: &p.handle,
                status: &p.status,
                friendly_name: p.friendly_name.as_deref(),
                personal_message: p.personal_message.as_deref(),
                current_media: p.current_media.as_deref(),
            })
            .collect(),
    })
}
