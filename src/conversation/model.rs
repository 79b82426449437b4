//! What the conversation layer reports: login sessions, conversations (one switchboard
//! session, whichever of its participants' connections the capture holds), contact lists and
//! presence. These types are the contract between the correlator (`super`) and the exports
//! (`msnsniff transcripts`, `msnsniff stats`).
//!
//! Guarantees: every text from the capture is in the data form of [`crate::escape`] (a
//! backslash as `\\`, an invalid byte as `\xNN`): writers escape it for their format (the
//! terminal rule, HTML escaping, JSON strings) and never interpret it. Lists are bounded by
//! the correlator's caps; what did not fit is counted, never silently dropped.

use crate::capture::Timestamp;
use crate::flow::FlowId;
use crate::msnc::text::Format;
use std::net::SocketAddr;

/// One sign-in of a user: the dispatch connection(s) that referred the client, then the
/// notification-server connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginSession {
    /// 1, 2, ... in order of first appearance.
    pub id: u64,
    /// The signed-in user's handle, lower case.
    pub principal: String,
    /// Dispatch connections, then the notification-server connection.
    pub flows: Vec<FlowId>,
    /// The client's address.
    pub client: SocketAddr,
    /// When the login was accepted (`USR ... OK`), if it was seen.
    pub login: Option<Timestamp>,
    /// When the last connection of the session ended (or the capture did).
    pub end: Timestamp,
    /// From the client's `CVR`: client name and version.
    pub client_version: Option<String>,
    /// From its client id (`CHG`): capability names and MSNC level.
    pub client_caps: Vec<String>,
    pub msnc: Option<u8>,
    /// The principal's friendly names over time (`USR OK`, `PRP MFN`, `REA`, `CHG`...).
    pub friendly_names: Vec<(Timestamp, String)>,
}

/// A participant of a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant {
    /// The handle, lower case, without network prefix or endpoint.
    pub handle: String,
    /// The friendly names the switchboard showed for this participant, in order (it keeps old
    /// names after an NS rename: these are what it said).
    pub names: Vec<String>,
    /// Whether one of the captured connections is this participant's own (the local side).
    pub local: bool,
    pub joined: Option<Timestamp>,
    pub left: Option<Timestamp>,
}

/// Something that happened in a conversation, at a time.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub ts: Timestamp,
    /// The frame and connection of the copy kept (the first seen).
    pub frame: u64,
    pub flow: FlowId,
    pub kind: EntryKind,
}

/// What happened.
#[derive(Clone, Debug, PartialEq)]
pub enum EntryKind {
    /// A text message: its writer, the friendly name the switchboard showed with it (for a
    /// relayed copy) and the text (line breaks as sent).
    Message {
        sender: String,
        name: Option<String>,
        text: String,
        format: Option<Format>,
    },
    Joined {
        handle: String,
        name: Option<String>,
    },
    /// `idle`: the switchboard timed the participant out (`BYE handle 1`).
    Left {
        handle: String,
        idle: bool,
    },
    Typing {
        handle: String,
    },
    Nudge {
        handle: String,
    },
    /// Any other message kind, said in one line (a wink, emoticons, an invitation, a file
    /// transfer, a P2P object...): the writer and the message layer's note.
    Note {
        sender: Option<String>,
        text: String,
    },
}

/// A piece the capture does not have, said where it belongs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    pub ts: Timestamp,
    pub flow: FlowId,
    /// `picked up mid-session`, `the server's side was not captured`, `1460 bytes missing`...
    pub what: String,
}

/// One switchboard session.
#[derive(Clone, Debug, PartialEq)]
pub struct Conversation {
    /// 1, 2, ... in order of start.
    pub id: u64,
    /// The captured connections to this session (one per captured participant).
    pub flows: Vec<FlowId>,
    /// The switchboard's address, and the session id when the capture shows it (`RNG`, `ANS`,
    /// `CAL ... RINGING`).
    pub server: SocketAddr,
    pub session_id: Option<String>,
    /// The login session(s) that opened the captured connections.
    pub login_sessions: Vec<u64>,
    pub start: Timestamp,
    pub end: Timestamp,
    pub participants: Vec<Participant>,
    /// In time order; each message once, however many captured connections carried it.
    pub entries: Vec<Entry>,
    /// Entries past the cap, counted.
    pub dropped_entries: u64,
    pub missing: Vec<Missing>,
}

impl Conversation {
    /// Text messages.
    pub fn message_count(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| matches!(e.kind, EntryKind::Message { .. }))
            .count()
    }
}

/// A contact on a principal's lists, as the lists stood at the end of the capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    pub handle: String,
    pub friendly_name: Option<String>,
    /// List names: `FL`, `AL`, `BL`, `RL`, `PL`.
    pub lists: Vec<String>,
    /// Group ids (numbers up to MSNP9, GUIDs after).
    pub groups: Vec<String>,
}

/// A principal's lists and groups at the end of the capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactList {
    pub principal: String,
    pub contacts: Vec<Contact>,
    /// (group id, name).
    pub groups: Vec<(String, String)>,
}

/// A contact's presence changing, as a principal's notification server told it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresenceChange {
    pub ts: Timestamp,
    pub flow: FlowId,
    /// Whose notification server said it.
    pub principal: Option<String>,
    pub handle: String,
    /// `NLN`, `BSY`, ..., `FLN` for offline.
    pub status: String,
    pub friendly_name: Option<String>,
    /// A personal message or current media (`UBX`), when that is what changed.
    pub personal_message: Option<String>,
    /// What the contact is listening to (`UBX` `CurrentMedia`), as `Music: Title - Artist`;
    /// empty when it was cleared.
    pub current_media: Option<String>,
}
