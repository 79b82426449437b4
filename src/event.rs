//! The events the decoder produces and every output format consumes.
//!
//! These are internal types, free to change: the public JSON (`--format jsonl` / `json`,
//! documented in `docs/events.md`) is written from the wire types of
//! [`crate::output::json::wire`], which name every field and value themselves, so renaming a
//! variant here cannot change the interface. Every event carries its connection (`flow`, the
//! id of `msnsniff flows`), the 1-based frame number of the packet that completed it and the
//! capture time of that packet.

use crate::Direction;
use crate::capture::Timestamp;
use crate::flow::{Closing, Detection, FlowId, FlowSummary, Opening};
use crate::msnp::Dialect;
use crate::msnp::named::Fields;
use crate::reassembly::GapReason;
use std::net::SocketAddr;

/// What a connection is, as far as the decoder can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Dispatch server: negotiates, then redirects the client with `XFR ... NS`.
    Dispatch,
    /// Notification server: login, presence, lists.
    Notification,
    /// Switchboard: one conversation.
    Switchboard,
    /// MSNFTP file transfer between two clients.
    FileTransfer,
    Unknown,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Dispatch => "DS",
            Role::Notification => "NS",
            Role::Switchboard => "SB",
            Role::FileTransfer => "MSNFTP",
            Role::Unknown => "unknown",
        }
    }
}

/// Which protocol a line belongs to: the notification server's, the switchboard's, or the
/// client-to-client protocol carried inside switchboard messages (and MSNFTP).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    Ns,
    Sb,
    Msnc,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Ns => "NS",
            Channel::Sb => "SB",
            Channel::Msnc => "MSNC",
        }
    }
}

/// How the line ended on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineEnd {
    /// `\r\n`
    Crlf,
    /// A bare `\n`.
    Lf,
    /// No end: the stream was cut (gap or end of capture) in the middle of the line.
    None,
}

/// A reply's link to its request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReplyTo {
    /// Frame of the request.
    pub frame: u64,
    /// Time from request to reply, in milliseconds.
    pub delay_ms: f64,
}

/// Where a connection's dialect came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialectSource {
    /// The server's `VER` reply (on MSNFTP, either side's `VER MSNFTP`).
    Ver,
    /// The notification server connection that announced this switchboard.
    Inherited,
    /// The connection was announced as a file transfer (an accepted invitation), which is
    /// MSNFTP.
    Announced,
    /// Later evidence (login method, client id, commands only some dialects have): a lower
    /// bound, with its basis in [`ConnectionInfo::dialect_basis`].
    Inferred,
}

/// One decoded command (a line and its payload, if any).
#[derive(Clone, Debug)]
pub struct CommandEvent {
    pub flow: FlowId,
    pub frame: u64,
    pub ts: Timestamp,
    pub dir: Direction,
    pub role: Role,
    pub channel: Channel,
    pub dialect: Option<Dialect>,
    pub verb: crate::msnp::Verb,
    pub trid: Option<u32>,
    /// Raw parameters after the verb and TrID (bytes that are not UTF-8 as `\xNN`).
    pub params: Vec<String>,
    /// Named parameters for this verb, direction and dialect (URL-decoded where the protocol
    /// encodes them; JSON adds the raw value under `<name>_raw` when it differs). For a sink
    /// that does not read them ([`Sink::wants_fields`]), only those the note is made from.
    pub fields: Fields,
    /// The declared payload length, or null for commands without a payload.
    pub payload_len: Option<u64>,
    /// Payload bytes actually received, when fewer than declared (a gap or the end cut it).
    pub payload_received: Option<u64>,
    pub line_end: LineEnd,
    /// Stream offset of the line's first byte in its direction.
    pub offset: u64,
    /// For a reply: the request it answers.
    pub reply_to: Option<ReplyTo>,
    /// A short plain-English explanation, when the command's meaning is not obvious.
    pub note: Option<String>,
    /// The raw command line as sent (without its line end; escaped like `params`).
    pub line: Vec<u8>,
    /// The raw payload bytes ([`CommandEvent::payload_text`] reads them as text).
    pub payload_bytes: Option<Vec<u8>>,
    /// For `MSG`, `UUM` and `UBM`: the message the payload holds, decoded by
    /// [`crate::msnc`], with its sender.
    pub msnc: Option<Box<crate::msnc::Message>>,
}

impl CommandEvent {
    /// The payload as text, when it is valid UTF-8 (JSON writes any other payload in base64).
    /// Read from the bytes when asked, so that outputs that never look pay nothing.
    pub fn payload_text(&self) -> Option<&str> {
        self.payload_bytes
            .as_deref()
            .and_then(|b| std::str::from_utf8(b).ok())
    }
}

/// One MSNFTP block (ref §7): its header and how much of it arrived. The file's bytes are not
/// kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockEvent {
    pub flow: FlowId,
    pub frame: u64,
    pub ts: Timestamp,
    /// The sender's direction.
    pub dir: Direction,
    /// 1 for the first block of the transfer; the cancel marker takes the next number.
    pub index: u64,
    /// Stream offset of the block's 3-byte header.
    pub offset: u64,
    /// Bytes of the file before this block.
    pub file_offset: u64,
    /// The data length its header declared (0 for the cancel marker).
    pub len: u64,
    /// Bytes of its data the capture holds, when fewer than `len`.
    pub received: Option<u64>,
    /// The sender's cancel marker (`01 00 00`).
    pub cancel: bool,
}

/// Which end of a file transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    Sender,
    Receiver,
}

/// How an MSNFTP transfer went, as far as the capture shows: given once, just before its
/// connection's `ConnectionClosed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferSummary {
    pub flow: FlowId,
    pub frame: u64,
    pub ts: Timestamp,
    /// The file's name, from the invitation that announced the connection.
    pub file_name: Option<String>,
    /// The size the sender's `FIL` announced.
    pub file_size: Option<u64>,
    /// Data blocks (the cancel marker is not one).
    pub blocks: u64,
    /// File bytes the blocks' headers declared.
    pub bytes: u64,
    /// Of those, bytes the capture lacks (gaps, or the end of the capture).
    pub missing: u64,
    /// `bytes` equals `file_size` and the block structure held to the end.
    pub complete: bool,
    /// Who cancelled: the sender's cancel marker or `BYE 2164261683`; the receiver's `CCL`
    /// or `BYE 2164261682`.
    pub cancelled_by: Option<Party>,
    /// A gap or a bad header lost the block structure: the counts stop there.
    pub structure_lost: bool,
}

/// An object's id: unique in the run, handed out in order by the decoder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(pub u64);

impl std::fmt::Display for ObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What a transferred object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    File,
    DisplayPicture,
    Emoticon,
    AnimatedEmoticon,
    VoiceClip,
    Wink,
    Other,
}

/// How an object travelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// MSNFTP blocks on a connection of its own.
    Msnftp,
    /// P2P packets inside switchboard messages (or on a direct connection).
    P2p,
}

/// An object (a file, a display picture...) whose bytes the capture is about to carry: what
/// the protocol said about it. The bytes follow as [`Event::ObjectData`], the end as
/// [`Event::ObjectEnded`]. Text in the data form of [`crate::escape`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    pub flow: FlowId,
    pub frame: u64,
    pub ts: Timestamp,
    pub object: ObjectId,
    pub kind: ObjectKind,
    pub transport: Transport,
    /// The name the sender gave it (a file invitation's `Application-File`, an MSNObject's
    /// `Location` or `Friendly`): untrusted text, never a path to use as it is.
    pub name: Option<String>,
    /// The size the protocol declared (`FIL`, the P2P total size).
    pub size: Option<u64>,
    pub sender: Option<String>,
    pub receiver: Option<String>,
    /// For an MSNObject: its `SHA1D` attribute (base64, as sent).
    pub sha1d: Option<String>,
}

/// An object written to disk by `--extract`: where, what was written, and how it checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extracted {
    /// The connection, frame and time of the object's end.
    pub flow: FlowId,
    pub frame: u64,
    pub ts: Timestamp,
    pub object: ObjectId,
    pub kind: ObjectKind,
    pub transport: Transport,
    /// Time of the object's start (its first event).
    pub first_ts: Timestamp,
    pub name: Option<String>,
    pub size: Option<u64>,
    pub sender: Option<String>,
    pub receiver: Option<String>,
    /// The file name used in the directory (safe: never a path from the capture).
    pub file: String,
    /// The path written, as text (the directory the user gave, then `file`).
    pub path: String,
    /// Bytes of the object the capture held and that were written.
    pub bytes_written: u64,
    /// SHA-256 of the file as written (missing ranges read as zeros), lower-case hex.
    pub sha256: String,
    pub sha1d: Option<String>,
    /// Whether the SHA-1 of the written bytes, in base64, is the MSNObject's `SHA1D`.
    pub sha1d_matches: Option<bool>,
    /// Bytes are missing (a gap, a cancelled transfer), or the size was never declared and
    /// the transfer did not end normally.
    pub partial: bool,
    /// The missing ranges, `[start, end)` in the object.
    pub missing: Vec<(u64, u64)>,
    /// More ranges were written than are tracked: `missing` is incomplete.
    pub missing_truncated: bool,
    pub cancelled_by: Option<Party>,
}

/// What the decoder knows about a connection.
#[derive(Clone, Debug)]
pub struct ConnectionInfo {
    pub flow: FlowId,
    pub frame: u64,
    pub ts: Timestamp,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub role: Role,
    /// Why the role was chosen.
    pub role_reason: String,
    pub dialect: Option<Dialect>,
    pub dialect_source: Option<DialectSource>,
    /// For an inferred dialect: what it was inferred from (`ADL`, `USR SSO`, `a participant's
    /// client capabilities in JOI`). The dialect is then a lower bound.
    pub dialect_basis: Option<String>,
    pub detection: Detection,
    pub opening: Opening,
    /// The notification-server connection that announced this one (switchboards, transfers).
    pub announced_by: Option<FlowId>,
    /// The signed-in user's handle, once known.
    pub principal: Option<String>,
    /// The MSNC levels of the clients on this connection, as far as they showed them.
    pub clients: Clients,
}

/// Which version of the client-to-client protocol (MSNC0, MSNC1...) each client on a
/// connection speaks, from the capability bits of its client id and from what it uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Clients {
    /// The signed-in user's own client.
    pub own: Option<ClientLevel>,
    /// The other participants of a switchboard conversation, in the order they showed up (at
    /// most [`MAX_PARTICIPANTS`]).
    pub participants: Vec<Participant>,
}

/// Participants remembered per switchboard connection; conversations have a handful.
pub const MAX_PARTICIPANTS: usize = 32;

/// A client's MSNC level and what told it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientLevel {
    /// 0 for MSNC0, 1 for MSNC1...
    pub level: u8,
    /// `the client id in CHG`, `sends P2P messages`, ... (a lower bound when from use).
    pub basis: String,
}

/// Another client in the conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant {
    pub handle: String,
    pub msnc: Option<ClientLevel>,
}

/// Everything the decoder reports, in capture order.
#[derive(Clone, Debug)]
pub enum Event {
    /// A connection is first reported (at its first decoded line, gap or close, so that its
    /// role can already be told); later changes come as `connection_update`.
    ConnectionOpened(ConnectionInfo),
    /// The role, dialect, link or principal of a connection changed.
    ConnectionUpdate(ConnectionInfo),
    Command(Box<CommandEvent>),
    /// An MSNFTP block: file data, never a command.
    MsnftpBlock(BlockEvent),
    /// The end of an MSNFTP transfer, just before its connection closes.
    MsnftpTransfer(Box<TransferSummary>),
    /// Bytes of one direction that were never captured.
    Gap {
        flow: FlowId,
        frame: u64,
        ts: Timestamp,
        dir: Direction,
        offset: u64,
        len: u64,
        reason: GapReason,
    },
    /// Something odd but survivable, with a stable dotted name.
    Anomaly {
        flow: Option<FlowId>,
        frame: u64,
        ts: Timestamp,
        dir: Option<Direction>,
        name: &'static str,
        detail: String,
    },
    /// An object's bytes are about to be transferred (see [`ObjectInfo`]).
    ObjectStarted(Box<ObjectInfo>),
    /// Bytes of an object at their offset in it. Internal: no output format writes it; the
    /// `--extract` sink writes the bytes to disk. Bytes the capture lacks are never given.
    ObjectData {
        flow: FlowId,
        object: ObjectId,
        offset: u64,
        bytes: Vec<u8>,
    },
    /// The transfer of an object is over (or the connection, or the capture, is).
    ObjectEnded {
        flow: FlowId,
        frame: u64,
        ts: Timestamp,
        object: ObjectId,
        cancelled_by: Option<Party>,
    },
    /// An object written to disk by `--extract`.
    Extracted(Box<Extracted>),
    /// The connection is over (or the capture is).
    ConnectionClosed {
        flow: FlowId,
        frame: u64,
        ts: Timestamp,
        role: Role,
        closing: Closing,
        summary: FlowSummary,
        /// The connection's dialect and signed-in user, as they stood at the end.
        dialect: Option<Dialect>,
        principal: Option<String>,
    },
}

impl Event {
    /// Where in the capture the event happened (frame and time), when it says: every event
    /// but an object's bytes.
    pub fn at(&self) -> Option<(u64, Timestamp)> {
        Some(match self {
            Event::ConnectionOpened(c) | Event::ConnectionUpdate(c) => (c.frame, c.ts),
            Event::Command(c) => (c.frame, c.ts),
            Event::MsnftpBlock(b) => (b.frame, b.ts),
            Event::MsnftpTransfer(t) => (t.frame, t.ts),
            Event::Extracted(x) => (x.frame, x.ts),
            Event::ObjectStarted(o) => (o.frame, o.ts),
            Event::Gap { frame, ts, .. }
            | Event::Anomaly { frame, ts, .. }
            | Event::ConnectionClosed { frame, ts, .. }
            | Event::ObjectEnded { frame, ts, .. } => (*frame, *ts),
            Event::ObjectData { .. } => return None,
        })
    }

    /// The connection the event belongs to, if any.
    pub fn flow(&self) -> Option<FlowId> {
        match self {
            Event::ConnectionOpened(c) | Event::ConnectionUpdate(c) => Some(c.flow),
            Event::Command(c) => Some(c.flow),
            Event::MsnftpBlock(b) => Some(b.flow),
            Event::MsnftpTransfer(t) => Some(t.flow),
            Event::ObjectStarted(o) => Some(o.flow),
            Event::ObjectData { flow, .. } | Event::ObjectEnded { flow, .. } => Some(*flow),
            Event::Extracted(x) => Some(x.flow),
            Event::Gap { flow, .. } | Event::ConnectionClosed { flow, .. } => Some(*flow),
            Event::Anomaly { flow, .. } => *flow,
        }
    }
}

/// Whatever takes the decoder's events: the dialogue printer, the JSON writer.
pub trait Sink {
    fn event(&mut self, ev: &Event) -> std::io::Result<()>;
    /// The same, for an event the caller gives away: the decoder's way of handing events
    /// on, so that a sink that keeps them (the hand-over to the output thread) takes them
    /// without a copy. Every other sink reads it as [`Sink::event`].
    fn event_owned(&mut self, ev: Event) -> std::io::Result<()> {
        self.event(&ev)
    }
    /// The same, for an event the caller lets the sink change where it is: the redaction
    /// rewrites it rather than a copy of it. Every other sink reads it as [`Sink::event`].
    fn event_mut(&mut self, ev: &mut Event) -> std::io::Result<()> {
        self.event(ev)
    }
    /// Whether this sink reads `command` and `msnftp_block` events. A sink that only wants
    /// connections (the flows table) says no, and the decoder then never builds them: the
    /// protocol is still followed (roles, announcements, transfers), but no field is named,
    /// no text escaped and no note written. Asked once, when the decoder is made.
    fn wants_commands(&self) -> bool {
        true
    }
    /// Whether the sink reads the `note` of command events. Summaries (`stats`, the
    /// transcripts) say no, and the decoder then never writes one (`note` is `None`). Asked
    /// once, when the decoder is made.
    fn wants_notes(&self) -> bool {
        true
    }
    /// Whether the sink reads the text of `text/plain` messages (a command's
    /// `msnc.kind.text`: the text and its format). `stats` and the dialogue (which shows the
    /// payload's own bytes) say no, and the decoder then leaves both empty: the message is
    /// still a text message, with its encoding, cut, headers, sender and raw payload, the
    /// notes are the same, and no connection or other event changes (a text body carries
    /// nothing the session follows). Asked once, when the decoder is made.
    fn wants_text(&self) -> bool {
        true
    }
    /// Which commands' named `fields` the sink reads. The dialogue reads none (it shows the
    /// line as sent), `stats` those of the few verbs it sums up. For the others the decoder
    /// names fields only where the verb's note is made from them and leaves them empty
    /// otherwise: the line, its parameters, the note and every other event are the same.
    /// Asked once, when the decoder is made, unless [`Sink::fields_vary`].
    fn wants_fields(&self) -> FieldsWanted {
        FieldsWanted::All
    }
    /// Whether the answer of [`Sink::wants_fields`] changes during the run, so that the
    /// decoder asks it again just before it builds each command: the hand-over to the output
    /// thread (`pipeline::decode_split`) says yes. Asked once, when the decoder is made.
    fn fields_vary(&self) -> bool {
        false
    }
    /// Whether the command about to be built leaves its note, and its fields, to be
    /// finished where it is written (`session::build::complete_note`): the decoder then
    /// writes only the parts of the note it alone knows. Asked for every command, just after
    /// [`Sink::wants_fields`], when the sink reads notes and [`Sink::fields_vary`]: the
    /// hand-over to the output thread says yes while that thread keeps up.
    fn notes_later(&self) -> bool {
        false
    }
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Which commands' named fields a sink reads ([`Sink::wants_fields`]).
#[derive(Clone, Copy, Debug)]
pub enum FieldsWanted {
    /// Every command's.
    All,
    /// None.
    None,
    /// Those of the verbs the function says yes to.
    Verbs(fn(crate::msnp::Verb) -> bool),
}

impl FieldsWanted {
    /// Whether the fields of a command with this verb are read.
    pub fn of(self, verb: crate::msnp::Verb) -> bool {
        match self {
            FieldsWanted::All => true,
            FieldsWanted::None => false,
            FieldsWanted::Verbs(reads) => reads(verb),
        }
    }

    /// Whether any command's are.
    pub fn any(self) -> bool {
        !matches!(self, FieldsWanted::None)
    }

    /// What either of two sinks reads. Two verb lists make every command's: a function
    /// cannot be joined to another, and naming more fields than read changes no output.
    pub fn or(self, other: FieldsWanted) -> FieldsWanted {
        match (self, other) {
            (FieldsWanted::None, x) | (x, FieldsWanted::None) => x,
            _ => FieldsWanted::All,
        }
    }
}

/// A sink that drops every event: for runs that want the decoder's side effects (the
/// connections it announces) but not its output.
pub struct Discard;

impl Sink for Discard {
    fn event(&mut self, _ev: &Event) -> std::io::Result<()> {
        Ok(())
    }
}

/// A sink that hands every event to several sinks, in order (the printed output, and the
/// `stats` and transcripts of a live run). The first failure stops the event there.
pub struct Tee<'a>(pub Vec<&'a mut dyn Sink>);

impl Sink for Tee<'_> {
    fn event(&mut self, ev: &Event) -> std::io::Result<()> {
        for s in &mut self.0 {
            s.event(ev)?;
        }
        Ok(())
    }

    // What one of the sinks reads is built.
    fn wants_commands(&self) -> bool {
        self.0.iter().any(|s| s.wants_commands())
    }

    fn wants_notes(&self) -> bool {
        self.0.iter().any(|s| s.wants_notes())
    }

    fn wants_text(&self) -> bool {
        self.0.iter().any(|s| s.wants_text())
    }

    fn wants_fields(&self) -> FieldsWanted {
        self.0
            .iter()
            .fold(FieldsWanted::None, |all, s| all.or(s.wants_fields()))
    }

    fn finish(&mut self) -> std::io::Result<()> {
        for s in &mut self.0 {
            s.finish()?;
        }
        Ok(())
    }
}

/// Another sink, given every command's named fields whatever it asks for: for the tests that
/// check that what a sink leaves unnamed ([`Sink::wants_fields`]) changes nothing it makes.
pub struct EveryField<S>(pub S);

impl<S: Sink> Sink for EveryField<S> {
    fn event(&mut self, ev: &Event) -> std::io::Result<()> {
        self.0.event(ev)
    }

    fn wants_commands(&self) -> bool {
        self.0.wants_commands()
    }

    fn wants_notes(&self) -> bool {
        self.0.wants_notes()
    }

    fn wants_text(&self) -> bool {
        self.0.wants_text()
    }

    fn wants_fields(&self) -> FieldsWanted {
        FieldsWanted::All
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.0.finish()
    }
}

/// A sink that keeps every event in memory: for tests, and for small captures a program wants
/// to look at as a whole.
#[derive(Debug, Default)]
pub struct Collect(pub Vec<Event>);

impl Sink for Collect {
    fn event(&mut self, ev: &Event) -> std::io::Result<()> {
        self.0.push(ev.clone());
        Ok(())
    }

    fn event_owned(&mut self, ev: Event) -> std::io::Result<()> {
        self.0.push(ev);
        Ok(())
    }
}

#[cfg(test)]
impl ConnectionInfo {
    /// A port-1863 connection from 10.0.0.1:5000 to 10.0.0.2:1863 with nothing known yet, for
    /// tests to adjust with struct-update syntax.
    pub(crate) fn example(flow: u64) -> ConnectionInfo {
        ConnectionInfo {
            flow: FlowId(flow),
            frame: 1,
            ts: Timestamp::new(1000, 0),
            client: "10.0.0.1:5000".parse().expect("address"),
            server: "10.0.0.2:1863".parse().expect("address"),
            role: Role::Unknown,
            role_reason: String::new(),
            dialect: None,
            dialect_source: None,
            dialect_basis: None,
            detection: Detection::Port { port: 1863 },
            opening: Opening::Syn,
            announced_by: None,
            principal: None,
            clients: Clients::default(),
        }
    }
}
