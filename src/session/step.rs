//! The decoder step: one connection's state, one framed command and its direction in; what
//! changed out (role, dialect, signed-in user, login, announcements, request/reply pairing,
//! challenges, and the message a payload holds, decoded once with its sender). Pure: no
//! events are written here ([`super::build`] turns the result into events) and nothing
//! outside the one connection is read or written (the cookie table that links switchboards
//! across connections is the decoder's, see [`link`]).
//!
//! What the state says is only what has been seen: a role taken from a command that a dispatch
//! server and a notification server both speak stays open to correction (`XFR ... NS` before
//! any login makes it a dispatch server); the reason shown for a role lists what was seen
//! (`port 1863, the client sent VER`), never what was expected to follow; an inferred dialect
//! carries what it was inferred from.

use super::classify;
use crate::Direction;
use crate::bounded::FifoMap;
use crate::capture::Timestamp;
use crate::event::{
    ClientLevel, Clients, ConnectionInfo, DialectSource, MAX_PARTICIPANTS, ObjectKind, Participant,
    Party, ReplyTo, Role,
};
use crate::flow::{At, Detection, ExpectedKind, FlowId};
use crate::msnc::control::{P2p, SlpInfo};
use crate::msnc::p2p::{self, SlpReassembler};
use crate::msnc::slp;
use crate::msnc::{self, invite::Command as InviteCommand, invite::Invitation};
use crate::msnp::challenge::{self, ChallengeCheck};
use crate::msnp::framer::Block;
use crate::msnp::verbs::msnc_level;
use crate::msnp::{Command, Dialect};

/// Requests remembered per connection while waiting for their replies; the oldest is
/// forgotten past it (a client sends a few per second at most, and replies come within
/// seconds).
pub const MAX_PENDING_REQUESTS: usize = 1024;

/// What one connection's decoder knows between commands.
pub struct ConnState {
    /// What is reported about the connection (role, dialect, user, links).
    pub info: ConnectionInfo,
    /// Whether the role is proven, or only the likeliest reading of a command both dispatch
    /// and notification servers speak.
    pub role_settled: bool,
    /// Whether the login finished (`USR ... OK` on a notification server): an `XFR ... NS`
    /// after it moves an NS, before it marks a dispatch server.
    pub logged_in: bool,
    /// Requests waiting for their replies: TrID → (frame, time).
    pub pending: FifoMap<u32, (u64, Timestamp)>,
    /// The last challenge the server sent, waiting for the client's `QRY`.
    pub challenge: Option<String>,
    /// On MSNFTP: the transfer, as its invitation, lines and blocks show it.
    pub transfer: Transfer,
    /// MSNSLP messages being put together from their P2P chunks, by sender (bounded: see
    /// [`crate::msnc::p2p::MAX_SLP_IN_PROGRESS`]).
    pub slp: SlpReassembler<String>,
    /// P2P sessions an SLP INVITE set up: what they carry, by session id (at most
    /// [`MAX_P2P_SESSIONS`]).
    pub p2p_sessions: FifoMap<u32, P2pSession>,
}

/// P2P sessions remembered per connection: a conversation sets up a few (a display picture,
/// some emoticons, a file); the oldest is forgotten past this.
pub const MAX_P2P_SESSIONS: usize = 64;

/// What an MSNSLP INVITE said a P2P session will carry. Text in the data form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct P2pSession {
    pub kind: ObjectKind,
    /// The file's name (a file transfer), or the MSNObject's `Friendly` name or `Location`.
    pub name: Option<String>,
    pub size: Option<u64>,
    /// The MSNObject's `SHA1D`, to check the bytes against.
    pub sha1d: Option<String>,
    /// Who sends the data: the inviter of a file transfer, the invitee (the object's owner)
    /// of an MSNObject.
    pub sender: Option<String>,
    pub receiver: Option<String>,
}

/// A chunk of a P2P session's data in this line's payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct P2pData {
    pub session: u32,
    /// Where the chunk sits in the object, and the object's size.
    pub offset: u64,
    pub total: u64,
    /// Where the chunk's bytes are in the `MSG` payload.
    pub data_at: usize,
    pub data_len: usize,
    /// Who sent the chunk.
    pub sender: Option<String>,
}

/// What a file invitation offered (ref §5.3), as far as it was seen. Text in the data form of
/// [`crate::escape`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileOffer {
    /// `Application-File`.
    pub file: Option<String>,
    /// `Application-FileSize`.
    pub size: Option<u64>,
    /// Who offered it: the sender.
    pub from: Option<String>,
}

impl FileOffer {
    /// `report.txt (4107 bytes) from bob@x`, as far as known; empty when nothing is.
    pub fn words(&self) -> String {
        let mut w = self.file.clone().unwrap_or_default();
        if let Some(size) = self.size {
            w = if w.is_empty() {
                format!("{size} bytes")
            } else {
                format!("{w} ({size} bytes)")
            };
        }
        if let Some(from) = &self.from {
            w = if w.is_empty() {
                format!("a file from {from}")
            } else {
                format!("{w} from {from}")
            };
        }
        w
    }
}

/// An accepted file invitation: where it was made, what it offered, and the AuthCookie the
/// MSNFTP connection it announces will present.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileInvitation {
    /// The switchboard connection that carried it.
    pub announced_by: FlowId,
    pub offer: FileOffer,
    pub auth_cookie: Option<String>,
}

/// An MSNFTP connection's transfer. Counters only: the file's bytes are never kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transfer {
    /// The invitation that announced this connection, once known (by its address when it
    /// opened, or by the AuthCookie its `USR` presents).
    pub invitation: Option<FileInvitation>,
    /// The size the sender's `FIL` announced.
    pub file_size: Option<u64>,
    /// Data blocks, their declared bytes, and the bytes of them the capture lacks.
    pub blocks: u64,
    pub bytes: u64,
    pub missing: u64,
    pub cancelled_by: Option<Party>,
    /// A gap or a bad header lost the block structure.
    pub structure_lost: bool,
    /// `msnp.msnftp.beyond_size` was raised (once per connection).
    pub beyond_size_reported: bool,
}

impl Transfer {
    /// Counts a block. True the first time the blocks carry more bytes than `FIL` said.
    pub fn block(&mut self, b: &Block) -> bool {
        if b.cancel {
            self.cancelled_by.get_or_insert(Party::Sender);
            return false;
        }
        self.blocks += 1;
        self.bytes += b.len;
        self.missing += b.len - b.received.min(b.len);
        let beyond = self.file_size.is_some_and(|size| self.bytes > size);
        let first = beyond && !self.beyond_size_reported;
        self.beyond_size_reported |= beyond;
        first
    }

    /// The sender sent every byte `FIL` announced, as far as the capture shows.
    pub fn complete(&self) -> bool {
        self.file_size == Some(self.bytes) && !self.structure_lost
    }
}

impl ConnState {
    /// The state of a connection the flow table just opened. An announced connection starts
    /// with the announced role (and the announcer's dialect, `inherited`).
    pub fn new(info: ConnectionInfo) -> ConnState {
        let role_settled = info.role != Role::Unknown;
        ConnState {
            info,
            role_settled,
            logged_in: false,
            pending: FifoMap::new(MAX_PENDING_REQUESTS),
            challenge: None,
            transfer: Transfer::default(),
            slp: SlpReassembler::new(),
            p2p_sessions: FifoMap::new(MAX_P2P_SESSIONS),
        }
    }

    /// Whether the connection speaks MSNFTP.
    pub fn is_msnftp(&self) -> bool {
        self.info.dialect.is_some_and(Dialect::is_msnftp)
    }
}

/// How a connection was found, in words, for the start of a role reason.
pub fn detection_words(d: &Detection) -> String {
    match d {
        Detection::Port { port } => format!("port {port}"),
        Detection::Announced { kind, announced_by } => {
            let what = match kind {
                ExpectedKind::Switchboard => "switchboard",
                ExpectedKind::FileTransfer => "file transfer",
                ExpectedKind::Notification => "notification server",
            };
            format!("{what} address announced on connection {announced_by}")
        }
        Detection::Content => "its first bytes are an MSNP command".to_string(),
    }
}

/// A connection this command announces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    /// `ip:port`, `[ip]:port`, or `host:port` as sent.
    pub address: String,
    /// The cookie the client will present (empty when none was given): a switchboard's, or
    /// a file transfer's AuthCookie.
    pub cookie: String,
    pub kind: ExpectedKind,
    /// For a file transfer: the `Invitation-Cookie` of the accepted invitation, which names
    /// the offer it answers.
    pub invitation: Option<String>,
}

/// A checked challenge answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeResult {
    /// `valid`, `invalid` or `unknown_key` (the JSON field `challenge_verdict`).
    pub word: &'static str,
    pub note: String,
}

/// What one command changed or revealed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes {
    /// The role, its reason, the dialect or the signed-in user changed (`connection_update`).
    pub updated: bool,
    /// The role itself changed (not only its reason) after the connection was first reported.
    pub role_changed: bool,
    pub announcement: Option<Announcement>,
    /// The cookie a client presented to join a switchboard, to look up in the cookie table.
    pub presented_cookie: Option<String>,
    /// A file offered by an invitation (`INVITE` with `Application-File`): its
    /// `Invitation-Cookie` and what it offered, for the decoder to remember.
    pub file_offer: Option<(String, FileOffer)>,
    /// The AuthCookie an MSNFTP `USR` presented, to look up among the accepted invitations.
    pub auth_cookie: Option<String>,
    /// Notes about the transfer this line tells (a `FIL` size the invitation disagrees with).
    pub transfer_note: Option<String>,
    /// For a reply: the request it answers.
    pub reply_to: Option<ReplyTo>,
    /// For a `QRY`: the checked answer to the last `CHL`.
    pub challenge: Option<ChallengeResult>,
    /// The message a `MSG`, `UUM` or `UBM` payload holds, decoded once, with its sender.
    pub message: Option<Box<msnc::Message>>,
    /// Odd things this line showed (a P2P packet that cannot be read, an SLP message given up
    /// to make room), as (stable dotted name, detail).
    pub anomalies: Vec<(&'static str, String)>,
    /// A chunk of P2P session data this line carries, for the object it belongs to.
    pub p2p_data: Option<P2pData>,
    /// A P2P session an SLP `BYE` or a refusal ended.
    pub p2p_end: Option<u32>,
}

/// Applies one command to its connection's state.
pub fn step(
    state: &mut ConnState,
    cmd: &Command,
    payload: Option<&[u8]>,
    dir: Direction,
    at: At,
) -> Changes {
    step_with(state, cmd, payload, dir, at, msnc::TextBody::Read)
}

/// [`step`], reading as much of a `text/plain` message as `text` says
/// ([`msnc::decode_with`]): the decoder reads less when no output reads commands or message
/// text.
pub fn step_with(
    state: &mut ConnState,
    cmd: &Command,
    payload: Option<&[u8]>,
    dir: Direction,
    at: At,
    text: msnc::TextBody,
) -> Changes {
    let mut ch = Changes::default();
    role(state, cmd, dir, &mut ch);
    dialect(state, cmd, dir, &mut ch);
    if let Some(handle) = classify::principal(cmd, dir, state.info.role)
        && state.info.principal.as_deref() != Some(handle.as_str())
    {
        state.info.principal = Some(handle);
        ch.updated = true;
    }
    if dir == Direction::ServerToClient
        && cmd.verb.as_str() == "USR"
        && cmd.params.first().is_some_and(|p| p == "OK")
        && state.info.role != Role::Switchboard
    {
        state.logged_in = true;
    }
    ch.announcement =
        classify::announcement(cmd, dir).map(|(address, cookie, kind)| Announcement {
            address,
            cookie,
            kind,
            invitation: None,
        });
    if let Some(p) = payload
        && matches!(cmd.verb.as_str(), "MSG" | "UUM" | "UBM")
    {
        let sender = classify::message_sender(cmd, dir, state.info.principal.as_deref());
        let mut message = Box::new(msnc::decode_with(p, sender, text));
        if let msnc::Kind::P2p(p2p) = &mut message.kind {
            slp_chunk(state, p2p, p, message.sender.as_deref(), &mut ch);
        }
        if cmd.verb.as_str() == "MSG"
            && let msnc::Kind::Invitation(inv) = &message.kind
        {
            invitation(state, cmd, dir, inv, &mut ch);
        }
        ch.message = Some(message);
    }
    let message = ch.message.take();
    clients(state, cmd, dir, message.as_deref(), &mut ch);
    ch.message = message;
    if state.is_msnftp() {
        msnftp(state, cmd, &mut ch);
    } else if matches!(state.info.role, Role::Switchboard | Role::Unknown) {
        ch.presented_cookie = classify::presented_cookie(cmd, dir);
    }
    ch.reply_to = pair(state, cmd, dir, at);
    ch.challenge = check_challenge(state, cmd, payload, dir);
    ch
}

/// A P2P packet: its anomaly when it cannot be read; its chunk of an MSNSLP message (session 0)
/// to the reassembler, which gives the whole message back with its last chunk.
fn slp_chunk(
    state: &mut ConnState,
    p2p: &mut P2p,
    payload: &[u8],
    sender: Option<&str>,
    ch: &mut Changes,
) {
    let info = match &p2p.packet {
        Ok(info) => info,
        Err(name) => {
            ch.anomalies.push((
                name,
                format!("a P2P packet of {} bytes that cannot be read", p2p.body_len),
            ));
            return;
        }
    };
    if let Some(h) = info.v1
        && h.session_id != 0
        && info.data_len > 0
        && (h.flags.contains(p2p::Flags::MSNOBJECT) || h.flags.contains(p2p::Flags::FILE))
    {
        ch.p2p_data = Some(P2pData {
            session: h.session_id,
            offset: h.offset,
            total: h.total_size,
            data_at: info.data_at,
            data_len: info.data_len,
            sender: sender.map(str::to_string),
        });
        return;
    }
    let Some(header) = info.v1.filter(|_| info.is_slp()) else {
        return;
    };
    let Some(data) = payload.get(info.data_at..info.data_at + info.data_len) else {
        return;
    };
    let chunk = p2p::Chunk {
        message_id: header.message_id,
        offset: header.offset,
        total: header.total_size,
        data,
    };
    let from = sender.unwrap_or_default().to_string();
    match state.slp.push(from, chunk) {
        Ok(pushed) => {
            if pushed.mismatched {
                ch.anomalies.push((
                    "slp.overlap_mismatch",
                    format!(
                        "a chunk of SLP message {} differs from bytes already received",
                        header.message_id
                    ),
                ));
            }
            if let Some(gone) = pushed.evicted {
                ch.anomalies.push((
                    "slp.evicted",
                    format!(
                        "SLP message {} given up with {} of {} bytes, to make room",
                        gone.message_id, gone.held, gone.total
                    ),
                ));
            }
            if let Some(text) = pushed.complete {
                match slp::parse(&text) {
                    Ok(message) => {
                        let context = message.context();
                        let info = SlpInfo { message, context };
                        p2p_session(state, &info, ch);
                        p2p.slp = Some(Box::new(info));
                    }
                    Err(e) => ch.anomalies.push((e.anomaly_name(), e.to_string())),
                }
            }
        }
        Err(refused) => ch
            .anomalies
            .push((refused.anomaly_name(), refused.to_string())),
    }
}

/// The object an MSNObject `Type` names (reference section 5.5).
fn msnobject_kind(object_type: Option<u32>) -> ObjectKind {
    match object_type {
        Some(2) => ObjectKind::Emoticon,
        Some(3) => ObjectKind::DisplayPicture,
        Some(8) => ObjectKind::Wink,
        Some(11) => ObjectKind::VoiceClip,
        _ => ObjectKind::Other,
    }
}

/// What a finished SLP message says of a P2P session: an INVITE for a file or an MSNObject
/// sets one up; a BYE, or an error or refusal to an INVITE, ends it.
fn p2p_session(state: &mut ConnState, slp: &SlpInfo, ch: &mut Changes) {
    let m = &slp.message;
    let Some(session) = m.session_id() else {
        return;
    };
    let handle = |v: Option<&str>| v.map(|a| classify::bare_handle(slp::address_handle(a)));
    let (from, to) = (handle(m.from()), handle(m.to()));
    match &m.start {
        slp::StartLine::Request {
            method: slp::Method::Invite,
            ..
        } => {
            let offer = match (m.application(), &slp.context) {
                (Some(slp::EufGuid::FileTransfer), Some(Ok(slp::Context::File(f)))) => P2pSession {
                    kind: ObjectKind::File,
                    name: Some(f.name()),
                    size: Some(f.file_size),
                    sha1d: None,
                    sender: from,
                    receiver: to,
                },
                (_, Some(Ok(slp::Context::MsnObject(o)))) => P2pSession {
                    kind: msnobject_kind(o.kind().map(|t| t.0)),
                    name: o
                        .friendly()
                        .and_then(Result::ok)
                        .filter(|f| !f.is_empty())
                        .or_else(|| o.location().map(str::to_string)),
                    size: o.size(),
                    sha1d: o.sha1d().map(str::to_string),
                    // The owner of the object sends it: the one invited.
                    sender: to,
                    receiver: from,
                },
                _ => return,
            };
            state.p2p_sessions.insert(session, offer);
        }
        slp::StartLine::Request {
            method: slp::Method::Bye,
            ..
        } => ch.p2p_end = Some(session),
        slp::StartLine::Response { status, .. } if status.0 >= 300 => {
            ch.p2p_end = Some(session);
        }
        _ => {}
    }
}

/// What a file invitation on a switchboard says: a file offered (remembered by the decoder
/// under its `Invitation-Cookie`), or the address of the MSNFTP connection to come.
fn invitation(
    state: &ConnState,
    cmd: &Command,
    dir: Direction,
    inv: &Invitation,
    ch: &mut Changes,
) {
    match inv.command {
        Some(InviteCommand::Invite) if inv.file.is_some() => {
            let Some(cookie) = inv.cookie.clone() else {
                return;
            };
            // The sender: the other participant who relayed it, or this client.
            let from = match dir {
                Direction::ServerToClient => cmd.params.first().cloned(),
                Direction::ClientToServer => state.info.principal.clone(),
            };
            ch.file_offer = Some((
                cookie,
                FileOffer {
                    file: inv.file.clone(),
                    size: inv.file_size,
                    from,
                },
            ));
        }
        Some(InviteCommand::Accept) => {
            if let Some(address) = classify::invitation_address(inv) {
                ch.announcement = Some(Announcement {
                    address,
                    cookie: inv.auth_cookie.clone().unwrap_or_default(),
                    kind: ExpectedKind::FileTransfer,
                    invitation: inv.cookie.clone(),
                });
            }
        }
        _ => {}
    }
}

/// An MSNFTP line: the AuthCookie a `USR` presents, the size `FIL` announces, who cancels.
fn msnftp(state: &mut ConnState, cmd: &Command, ch: &mut Changes) {
    let t = &mut state.transfer;
    let p0 = cmd.params.first().map(String::as_str);
    match cmd.verb.as_str() {
        "USR" => ch.auth_cookie = cmd.params.get(1).cloned(),
        "FIL" => {
            t.file_size = p0.and_then(|s| s.parse().ok());
            let offered = t.invitation.as_ref().and_then(|i| i.offer.size);
            if let (Some(offered), Some(size)) = (offered, t.file_size)
                && offered != size
            {
                ch.transfer_note = Some(format!("the invitation offered {offered} bytes"));
            }
        }
        "CCL" => {
            t.cancelled_by.get_or_insert(Party::Receiver);
        }
        "BYE" => match p0 {
            Some("2164261682") => {
                t.cancelled_by.get_or_insert(Party::Receiver);
            }
            Some("2164261683") => {
                t.cancelled_by.get_or_insert(Party::Sender);
            }
            _ => {}
        },
        _ => {}
    }
}

/// Links an MSNFTP connection to the accepted invitation whose AuthCookie its `USR`
/// presented (`found`, when the decoder knows one), unless it is linked already; then says
/// what the cookie matches. Returns the note, and whether the connection's link changed.
pub fn present_auth_cookie(
    state: &mut ConnState,
    cookie: &str,
    found: Option<&FileInvitation>,
) -> (String, bool) {
    let mut changed = false;
    if state.transfer.invitation.is_none()
        && let Some(inv) = found
    {
        let info = &mut state.info;
        if info.announced_by.is_none() {
            info.announced_by = Some(inv.announced_by);
            info.role_reason = format!(
                "{}, presented the AuthCookie of a file invitation on connection {}",
                info.role_reason, inv.announced_by
            );
            changed = true;
        }
        state.transfer.invitation = Some(inv.clone());
    }
    let Some(inv) = &state.transfer.invitation else {
        return (
            "no invitation with this AuthCookie was seen".to_string(),
            false,
        );
    };
    let what = inv.offer.words();
    let what = if what.is_empty() {
        String::new()
    } else {
        format!(": {what}")
    };
    let n = inv.announced_by;
    let note = match inv.auth_cookie.as_deref() {
        Some(c) if c == cookie => format!("it matches the invitation on connection {n}{what}"),
        Some(c) => format!("the invitation on connection {n} gave AuthCookie {c}{what}"),
        None => format!("the invitation on connection {n} gave no AuthCookie{what}"),
    };
    (note, changed)
}

/// Takes the role evidence of one command.
fn role(state: &mut ConnState, cmd: &Command, dir: Direction, ch: &mut Changes) {
    let Some(ev) = classify::role_evidence(cmd, dir, state.logged_in) else {
        return;
    };
    // On MSNFTP, `USR handle cookie` is the receiver's, not a switchboard login.
    if state.is_msnftp() && ev.role != Role::FileTransfer {
        return;
    }
    let info = &mut state.info;
    let take = match (info.role, ev.role) {
        (Role::Unknown, _) => true,
        // A connection taken to be NS from commands a dispatch server speaks too.
        (Role::Notification, Role::Dispatch) => !state.logged_in,
        (Role::Notification, Role::Notification) => !state.role_settled && ev.settled,
        _ => false,
    };
    if !take {
        return;
    }
    // An accepted login settles a connection already taken to be NS; it is no evidence on an
    // unknown one (switchboards answer `USR trid OK` too).
    if info.role == Role::Unknown && cmd.verb.as_str() == "USR" && dir == Direction::ServerToClient
    {
        return;
    }
    if info.role != ev.role {
        ch.role_changed = info.role != Role::Unknown;
        info.role = ev.role;
    }
    info.role_reason = format!("{}, {}", detection_words(&info.detection), ev.seen);
    state.role_settled = ev.settled;
    ch.updated = true;
}

/// Takes the dialect from the server's `VER`, or infers one when none is known.
fn dialect(state: &mut ConnState, cmd: &Command, dir: Direction, ch: &mut Changes) {
    let info = &mut state.info;
    if let Some(d) = classify::dialect_from_ver(cmd, dir) {
        if info.dialect != Some(d) || info.dialect_source != Some(DialectSource::Ver) {
            info.dialect = Some(d);
            info.dialect_source = Some(DialectSource::Ver);
            info.dialect_basis = None;
            ch.updated = true;
        }
    } else if info.dialect.is_none()
        && let Some((d, basis)) = classify::dialect_evidence(cmd, dir)
    {
        info.dialect = Some(d);
        info.dialect_source = Some(DialectSource::Inferred);
        info.dialect_basis = Some(basis);
        ch.updated = true;
    }
}

/// Remembers a request, or finds the request a reply answers.
fn pair(state: &mut ConnState, cmd: &Command, dir: Direction, at: At) -> Option<ReplyTo> {
    let trid = cmd.trid?;
    match dir {
        Direction::ClientToServer => {
            if !state.pending.contains_key(&trid) {
                state.pending.insert(trid, (at.frame, at.ts));
            }
            None
        }
        Direction::ServerToClient => {
            let (frame, ts) = *state.pending.get(&trid)?;
            // A reply stamped before its request (clocks of merged captures) shows a negative
            // delay rather than none.
            let delay_ms = match at.ts.checked_duration_since(ts) {
                Some(d) => d.as_nanos() as f64 / 1e6,
                None => -(ts.saturating_duration_since(at.ts).as_nanos() as f64) / 1e6,
            };
            Some(ReplyTo { frame, delay_ms })
        }
    }
}

/// Keeps the server's challenge; checks the client's answer against it.
fn check_challenge(
    state: &mut ConnState,
    cmd: &Command,
    payload: Option<&[u8]>,
    dir: Direction,
) -> Option<ChallengeResult> {
    let verb = cmd.verb.as_str();
    if dir == Direction::ServerToClient && verb == "CHL" {
        state.challenge = cmd.params.first().cloned();
        return None;
    }
    if dir != Direction::ClientToServer || verb != "QRY" {
        return None;
    }
    let nonce = state.challenge.take()?;
    let pid = cmd.params.first()?;
    let answer = String::from_utf8_lossy(payload?).to_string();
    Some(
        match challenge::check_challenge(state.info.dialect, &nonce, pid, &answer) {
            ChallengeCheck::Valid { product_id } => ChallengeResult {
                word: "valid",
                note: format!("challenge answered correctly (product id {product_id})"),
            },
            ChallengeCheck::Invalid => ChallengeResult {
                word: "invalid",
                note: "challenge answer is wrong".to_string(),
            },
            ChallengeCheck::UnknownKey => ChallengeResult {
                word: "unknown_key",
                note: format!(
                    "challenge answer cannot be checked: no known key for product id {pid}"
                ),
            },
        },
    )
}

/// A client level seen on the notification server connection `from`, for the switchboard the
/// same client opens.
pub fn inherited_level(own: &ClientLevel, from: FlowId) -> ClientLevel {
    ClientLevel {
        level: own.level,
        basis: format!("{} on connection {from}", own.basis),
    }
}

/// The MSNC level of a client id (`268435492`, or MSNP16+ `2789003324:48`).
fn level_of(client_id: &str) -> Option<u8> {
    let caps = client_id.split(':').next()?.parse::<u32>().ok()?;
    Some(msnc_level(caps))
}

/// What a line says of the MSNC level of a client: its own client's client id in `CHG`; a
/// participant's in `JOI` and `IRO`; and from what a client uses, a lower bound (P2P messages
/// need MSNC1). A level from a client id replaces one from use.
fn clients(
    state: &mut ConnState,
    cmd: &Command,
    dir: Direction,
    message: Option<&msnc::Message>,
    ch: &mut Changes,
) {
    // Only these can change what is known of the clients: the rest is not worth a copy of
    // the list to compare with.
    let p2p = message.is_some_and(|m| matches!(m.kind, msnc::Kind::P2p(_)));
    let listed = matches!(
        (dir, cmd.verb.as_str()),
        (Direction::ClientToServer, "CHG")
            | (Direction::ServerToClient, "JOI")
            | (Direction::ServerToClient, "IRO")
    );
    if !p2p && !listed {
        return;
    }
    let c = &mut state.info.clients;
    let before = c.clone();
    let p = &cmd.params;
    match (dir, cmd.verb.as_str()) {
        (Direction::ClientToServer, "CHG") => {
            if let Some(level) = p.get(1).and_then(|id| level_of(id)) {
                c.own = Some(ClientLevel {
                    level,
                    basis: "the client id in CHG".to_string(),
                });
            }
        }
        (Direction::ServerToClient, "JOI") => {
            if let Some(handle) = p.first() {
                let level = p.get(2).and_then(|id| level_of(id));
                participant(c, handle, level, "JOI");
            }
        }
        (Direction::ServerToClient, "IRO") => {
            if let Some(handle) = p.get(2) {
                let level = p.get(4).and_then(|id| level_of(id));
                participant(c, handle, level, "IRO");
            }
        }
        _ => {}
    }
    if let Some(m) = message
        && matches!(m.kind, msnc::Kind::P2p(_))
    {
        let used = ClientLevel {
            level: 1,
            basis: "sends P2P messages (at least MSNC1)".to_string(),
        };
        match dir {
            Direction::ClientToServer if c.own.is_none() => c.own = Some(used),
            Direction::ServerToClient => {
                if let Some(sender) = &m.sender
                    && !c
                        .participants
                        .iter()
                        .any(|x| &x.handle == sender && x.msnc.is_some())
                {
                    participant(c, sender, None, "");
                    if let Some(x) = c.participants.iter_mut().find(|x| &x.handle == sender) {
                        x.msnc = Some(used);
                    }
                }
            }
            _ => {}
        }
    }
    if *c != before {
        ch.updated = true;
    }
}

/// Adds or updates a participant (at most [`MAX_PARTICIPANTS`]; past it, new ones are not
/// listed). `verb` says where the client id was seen.
fn participant(c: &mut Clients, handle: &str, level: Option<u8>, verb: &str) {
    let handle = classify::bare_handle(handle);
    let msnc = level.map(|level| ClientLevel {
        level,
        basis: format!("its client id in {verb}"),
    });
    if let Some(x) = c.participants.iter_mut().find(|x| x.handle == handle) {
        if msnc.is_some() {
            x.msnc = msnc;
        }
    } else if c.participants.len() < MAX_PARTICIPANTS {
        c.participants.push(Participant { handle, msnc });
    }
}

/// What a cookie tells about the switchboard that presents it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieInfo {
    /// The connection that offered the switchboard.
    pub ns_flow: FlowId,
    /// Its dialect then.
    pub dialect: Option<Dialect>,
    /// Its client's MSNC level then (the same client joins the switchboard).
    pub client: Option<ClientLevel>,
}

/// Links a switchboard to the connection that offered the cookie it presented: the link, a
/// role for a connection that had none, and the offering connection's dialect unless `VER`
/// gave one. Returns the note to show when the link is new.
pub fn link(state: &mut ConnState, cookie: &CookieInfo) -> Option<String> {
    let info = &mut state.info;
    if info.role == Role::Unknown {
        info.role = Role::Switchboard;
        info.role_reason = format!(
            "{}, presented a switchboard cookie from connection {}",
            detection_words(&info.detection),
            cookie.ns_flow
        );
        state.role_settled = true;
    }
    if info.dialect_source != Some(DialectSource::Ver)
        && cookie.dialect.is_some()
        && info.dialect != cookie.dialect
    {
        info.dialect = cookie.dialect;
        info.dialect_source = Some(DialectSource::Inherited);
        info.dialect_basis = None;
    }
    if info.clients.own.is_none()
        && let Some(own) = &cookie.client
    {
        info.clients.own = Some(inherited_level(own, cookie.ns_flow));
    }
    if info.announced_by == Some(cookie.ns_flow) {
        return None;
    }
    info.announced_by = Some(cookie.ns_flow);
    Some(format!(
        "cookie matches the switchboard offered on connection {}",
        cookie.ns_flow
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msnp::{Verb, parse_command_line};

    const C2S: Direction = Direction::ClientToServer;
    const S2C: Direction = Direction::ServerToClient;

    fn state(detection: Detection) -> ConnState {
        let role = match detection {
            Detection::Announced {
                kind: ExpectedKind::Switchboard,
                ..
            } => Role::Switchboard,
            _ => Role::Unknown,
        };
        ConnState::new(ConnectionInfo {
            role,
            role_reason: detection_words(&detection),
            detection,
            ..ConnectionInfo::example(1)
        })
    }

    fn port() -> ConnState {
        state(Detection::Port { port: 1863 })
    }

    fn at(frame: u64) -> At {
        At {
            frame,
            ts: Timestamp::new(1000 + frame as i64, 0),
        }
    }

    /// Parses one line as the framer would (no payload) and steps it.
    fn run(s: &mut ConnState, dir: Direction, line: &str, frame: u64) -> Changes {
        let cmd = parse_command_line(line.as_bytes(), dir, s.info.dialect).expect(line);
        step(s, &cmd, None, dir, at(frame))
    }

    #[test]
    fn a_dispatch_server_is_ns_from_ver_and_ds_once_it_redirects() {
        let mut s = port();
        let ch = run(&mut s, C2S, "VER 1 MSNP8 CVR0", 1);
        assert!(ch.updated && !ch.role_changed);
        assert_eq!(s.info.role, Role::Notification);
        assert!(!s.role_settled);
        // What was seen, not what a login would have shown.
        assert_eq!(s.info.role_reason, "port 1863, the client sent VER");
        run(&mut s, S2C, "VER 1 MSNP8", 2);
        assert_eq!(s.info.dialect, Some(Dialect(8)));
        assert_eq!(s.info.dialect_source, Some(DialectSource::Ver));
        run(&mut s, C2S, "USR 3 TWN I bob@x.com", 3);
        let ch = run(
            &mut s,
            S2C,
            "XFR 3 NS 207.46.106.118:1863 0 207.46.104.20:1863",
            4,
        );
        assert!(ch.role_changed);
        assert_eq!(s.info.role, Role::Dispatch);
        assert_eq!(
            s.info.role_reason,
            "port 1863, the server redirected the client with XFR NS before any login"
        );
        assert_eq!(
            ch.announcement.map(|a| (a.address, a.kind)),
            Some((
                "207.46.106.118:1863".to_string(),
                ExpectedKind::Notification
            ))
        );
    }

    #[test]
    fn an_accepted_login_settles_ns_and_a_later_xfr_ns_does_not_make_it_ds() {
        let mut s = port();
        run(&mut s, C2S, "USR 3 TWN I bob@x.com", 1);
        assert_eq!(s.info.principal.as_deref(), Some("bob@x.com"));
        let ch = run(&mut s, S2C, "USR 3 OK bob@x.com Bob 1 0", 2);
        assert!(ch.updated);
        assert!(s.role_settled && s.logged_in);
        assert_eq!(
            s.info.role_reason,
            "port 1863, the server accepted the login (USR OK)"
        );
        let ch = run(&mut s, S2C, "XFR 9 NS 10.0.0.9:1863 0 10.0.0.2:1863", 3);
        assert!(!ch.role_changed);
        assert_eq!(s.info.role, Role::Notification);
    }

    #[test]
    fn a_switchboard_ok_is_no_evidence_on_an_unknown_connection() {
        let mut s = port();
        run(&mut s, S2C, "USR 1 OK bob@x.com Bob", 1);
        assert_eq!(s.info.role, Role::Unknown);
    }

    #[test]
    fn hole_4_a_client_msg_is_switchboard_traffic_even_mid_stream() {
        // See: issue 7, correctness hole 4.
        let mut s = port();
        let cmd = parse_command_line(b"MSG 12 N 130", C2S, None).unwrap();
        let ch = step(&mut s, &cmd, Some(b"..."), C2S, at(1));
        assert!(ch.updated);
        assert_eq!(s.info.role, Role::Switchboard);
        assert_eq!(s.info.role_reason, "port 1863, the client sent MSG");
        // Other verbs only one kind of server speaks.
        for (dir, line, role) in [
            (S2C, "JOI bob@x.com Bob", Role::Switchboard),
            (S2C, "ACK 4", Role::Switchboard),
            (C2S, "CAL 5 bob@x.com", Role::Switchboard),
            (S2C, "ILN 7 NLN bob@x.com Bob", Role::Notification),
            (C2S, "PNG", Role::Notification),
            (S2C, "FIL 1234", Role::FileTransfer),
            (C2S, "TFR", Role::FileTransfer),
        ] {
            let mut s = port();
            run(&mut s, dir, line, 1);
            assert_eq!(s.info.role, role, "{line}");
            assert!(s.role_settled, "{line}");
        }
        // Verbs every server speaks say nothing.
        let mut s = port();
        run(&mut s, C2S, "OUT", 1);
        assert_eq!(s.info.role, Role::Unknown);
    }

    #[test]
    fn hole_5_an_inferred_dialect_says_what_it_came_from() {
        // See: issue 7, correctness hole 5.
        let mut s = state(Detection::Announced {
            kind: ExpectedKind::Switchboard,
            announced_by: FlowId(3),
        });
        run(&mut s, S2C, "JOI bob@x.com Bob 1342177280", 1);
        assert_eq!(s.info.dialect_source, Some(DialectSource::Inferred));
        assert_eq!(
            s.info.dialect_basis.as_deref(),
            Some("a participant's client capabilities in JOI")
        );
        let mut s = port();
        run(&mut s, C2S, "ADL 4 120", 1);
        assert_eq!(s.info.dialect, Some(Dialect(13)));
        assert_eq!(s.info.dialect_basis.as_deref(), Some("ADL"));
        // VER replaces an inference, and its basis.
        run(&mut s, S2C, "VER 1 MSNP15", 2);
        assert_eq!(s.info.dialect, Some(Dialect(15)));
        assert_eq!(s.info.dialect_basis, None);
    }

    #[test]
    fn ver_msnftp_from_either_side_makes_an_msnftp_connection_whose_usr_is_no_login() {
        for (first, second) in [(C2S, S2C), (S2C, C2S)] {
            let mut s = state(Detection::Content);
            let ch = run(&mut s, first, "VER MSNFTP", 1);
            assert!(ch.updated);
            assert_eq!(s.info.role, Role::FileTransfer);
            assert_eq!(s.info.dialect, Some(Dialect::MSNFTP));
            assert_eq!(s.info.dialect_source, Some(DialectSource::Ver));
            let ch = run(&mut s, first, "USR alice@x.com 41728291", 2);
            assert_eq!(s.info.role, Role::FileTransfer);
            assert_eq!(ch.presented_cookie, None);
            assert_eq!(ch.auth_cookie.as_deref(), Some("41728291"));
            run(&mut s, second, "FIL 30210", 3);
            assert_eq!(s.transfer.file_size, Some(30210));
            run(&mut s, first, "CCL", 4);
            assert_eq!(s.transfer.cancelled_by, Some(Party::Receiver));
        }
        // Without VER, FIL tells both role and dialect.
        let mut s = port();
        run(&mut s, S2C, "FIL 5", 1);
        assert_eq!(s.info.role, Role::FileTransfer);
        assert_eq!(s.info.dialect, Some(Dialect::MSNFTP));
        assert_eq!(s.info.dialect_basis.as_deref(), Some("FIL"));
    }

    #[test]
    fn invitations_offer_files_and_accepts_announce_transfers() {
        let mut s = state(Detection::Content);
        run(&mut s, C2S, "USR 1 alice@x.com 1.2", 1);
        let body = b"MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\nInvitation-Command: INVITE\r\nInvitation-Cookie: 7\r\nApplication-File: a b.txt\r\nApplication-FileSize: 12\r\n\r\n";
        let cmd = parse_command_line(b"MSG 2 N 150", C2S, None).unwrap();
        let ch = step(&mut s, &cmd, Some(body), C2S, at(2));
        assert_eq!(
            ch.file_offer,
            Some((
                "7".to_string(),
                FileOffer {
                    file: Some("a b.txt".to_string()),
                    size: Some(12),
                    from: Some("alice@x.com".to_string()),
                }
            ))
        );
        let body = b"MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\nInvitation-Command: ACCEPT\r\nInvitation-Cookie: 7\r\nIP-Address: 2001:db8::5\r\nAuthCookie: 99\r\n\r\n";
        let cmd = parse_command_line(b"MSG bob@x.com Bob 150", S2C, None).unwrap();
        let ch = step(&mut s, &cmd, Some(body), S2C, at(3));
        assert_eq!(
            ch.announcement,
            Some(Announcement {
                address: "[2001:db8::5]:6891".to_string(),
                cookie: "99".to_string(),
                kind: ExpectedKind::FileTransfer,
                invitation: Some("7".to_string()),
            })
        );
    }

    #[test]
    fn replies_pair_with_requests_and_the_oldest_request_is_forgotten_past_the_cap() {
        let mut s = port();
        run(&mut s, C2S, "CHG 5 NLN 0", 10);
        let ch = run(&mut s, S2C, "CHG 5 NLN 0", 12);
        assert_eq!(
            ch.reply_to,
            Some(ReplyTo {
                frame: 10,
                delay_ms: 2000.0
            })
        );
        // A retransmitted request keeps the first frame.
        run(&mut s, C2S, "PNG", 13);
        let mut s = port();
        for trid in 0..(MAX_PENDING_REQUESTS as u32 + 1) {
            run(
                &mut s,
                C2S,
                &format!("CHG {trid} NLN 0"),
                u64::from(trid) + 1,
            );
        }
        assert_eq!(s.pending.len(), MAX_PENDING_REQUESTS);
        assert_eq!(run(&mut s, S2C, "CHG 0 NLN 0", 5000).reply_to, None);
        let last = MAX_PENDING_REQUESTS as u32;
        assert!(
            run(&mut s, S2C, &format!("CHG {last} NLN 0"), 5001)
                .reply_to
                .is_some()
        );
    }

    #[test]
    fn a_challenge_is_checked_once() {
        let mut s = port();
        run(&mut s, S2C, "VER 1 MSNP8", 1);
        run(&mut s, S2C, "CHL 0 15570131571988941333", 2);
        let cmd =
            parse_command_line(b"QRY 10 msmsgs@msnmsgr.com 32", C2S, Some(Dialect(8))).unwrap();
        let ch = step(
            &mut s,
            &cmd,
            Some(b"8f2f5a91b72102cd28355e9fc9000d6e"),
            C2S,
            at(3),
        );
        assert_eq!(ch.challenge.map(|c| c.word), Some("valid"));
        let ch = step(
            &mut s,
            &cmd,
            Some(b"8f2f5a91b72102cd28355e9fc9000d6e"),
            C2S,
            at(4),
        );
        assert_eq!(ch.challenge, None);
    }

    #[test]
    fn a_cookie_links_once_and_gives_role_and_dialect() {
        let mut s = state(Detection::Content);
        let ch = run(&mut s, C2S, "USR 1 bob@x.com 1234.5678", 1);
        assert_eq!(ch.presented_cookie.as_deref(), Some("1234.5678"));
        let info = CookieInfo {
            ns_flow: FlowId(4),
            dialect: Some(Dialect(11)),
            client: Some(ClientLevel {
                level: 6,
                basis: "the client id in CHG".into(),
            }),
        };
        assert_eq!(
            link(&mut s, &info).as_deref(),
            Some("cookie matches the switchboard offered on connection 4")
        );
        assert_eq!(s.info.announced_by, Some(FlowId(4)));
        assert_eq!(s.info.dialect, Some(Dialect(11)));
        assert_eq!(s.info.dialect_source, Some(DialectSource::Inherited));
        // The same client: its level, said to come from the offering connection.
        assert_eq!(
            s.info
                .clients
                .own
                .as_ref()
                .map(|l| (l.level, l.basis.as_str())),
            Some((6, "the client id in CHG on connection 4"))
        );
        assert_eq!(link(&mut s, &info), None);
        assert_eq!(Verb::new(b"USR").as_str(), "USR");
    }

    #[test]
    fn client_levels_come_from_client_ids_and_from_what_a_client_uses() {
        // The own client's id in CHG.
        let mut s = port();
        let ch = run(&mut s, C2S, "CHG 9 NLN 1342177280", 1);
        assert!(ch.updated);
        assert_eq!(
            s.info.clients.own,
            Some(ClientLevel {
                level: 5,
                basis: "the client id in CHG".into()
            })
        );
        // Participants of a switchboard, by JOI and IRO, without their endpoint.
        let mut s = state(Detection::Announced {
            kind: ExpectedKind::Switchboard,
            announced_by: FlowId(3),
        });
        run(
            &mut s,
            S2C,
            "IRO 1 1 2 1:bob@x.com;{0d0e} Bob 2789003324:48",
            1,
        );
        run(&mut s, S2C, "JOI carol@x.com Carol", 2);
        let p = &s.info.clients.participants;
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].handle, "bob@x.com");
        assert_eq!(p[0].msnc.as_ref().map(|l| l.level), Some(10));
        assert_eq!(
            p[0].msnc.as_ref().map(|l| l.basis.as_str()),
            Some("its client id in IRO")
        );
        assert_eq!(p[1].handle, "carol@x.com");
        assert_eq!(p[1].msnc, None);
        // Carol sends P2P: at least MSNC1, from what she uses.
        let p2p = b"MIME-Version: 1.0\r\nContent-Type: application/x-msnmsgrp2p\r\nP2P-Dest: alice@x.com\r\n\r\n";
        let mut body = p2p.to_vec();
        body.extend_from_slice(&[0u8; 52]);
        let line = format!("MSG carol@x.com Carol {}", body.len());
        let cmd = parse_command_line(line.as_bytes(), S2C, None).unwrap();
        let ch = step(&mut s, &cmd, Some(&body), S2C, at(3));
        assert!(ch.updated);
        let carol = &s.info.clients.participants[1];
        assert_eq!(carol.msnc.as_ref().map(|l| l.level), Some(1));
        // A client id seen later replaces a level from use; no new participant past the cap.
        run(&mut s, S2C, "JOI carol@x.com Carol 1342177280", 4);
        assert_eq!(
            s.info.clients.participants[1]
                .msnc
                .as_ref()
                .map(|l| l.level),
            Some(5)
        );
        for n in 0..(MAX_PARTICIPANTS + 5) {
            run(&mut s, S2C, &format!("JOI u{n}@x.com U"), 5);
        }
        assert_eq!(s.info.clients.participants.len(), MAX_PARTICIPANTS);
    }

    #[test]
    fn an_slp_invite_for_an_msnobject_sets_up_a_session_sent_by_its_owner() {
        for (object_type, kind) in [
            (2, ObjectKind::Emoticon),
            (3, ObjectKind::DisplayPicture),
            (8, ObjectKind::Wink),
            (11, ObjectKind::VoiceClip),
            (5, ObjectKind::Other),
        ] {
            assert_eq!(msnobject_kind(Some(object_type)), kind);
        }
        use base64::Engine as _;
        let obj = "<msnobj Creator=\"bob@x.com\" Size=\"1201\" Type=\"2\" Location=\"TFR1.dat\" Friendly=\"AAA=\" SHA1D=\"Y2F0\"/>\0";
        let context = base64::engine::general_purpose::STANDARD.encode(obj);
        let text = format!(
            "INVITE MSNMSGR:bob@x.com MSNSLP/1.0\r\nTo: <msnmsgr:bob@x.com>\r\nFrom: <msnmsgr:alice@x.com>\r\nCall-ID: {{1}}\r\nContent-Type: application/x-msnmsgr-sessionreqbody\r\n\r\nEUF-GUID: {{A4268EEC-FEC5-49E5-95C3-F126696BDBF6}}\r\nSessionID: 42\r\nAppID: 1\r\nContext: {context}\r\n\r\n\0"
        );
        let message = slp::parse(text.as_bytes()).unwrap();
        let context = message.context();
        let mut s = port();
        let mut ch = Changes::default();
        p2p_session(&mut s, &SlpInfo { message, context }, &mut ch);
        let session = s.p2p_sessions.get(&42).expect("a session");
        assert_eq!(session.kind, ObjectKind::Emoticon);
        assert_eq!(session.size, Some(1201));
        assert_eq!(session.sha1d.as_deref(), Some("Y2F0"));
        // The owner (the one invited) sends it to the one who asked.
        assert_eq!(session.sender.as_deref(), Some("bob@x.com"));
        assert_eq!(session.receiver.as_deref(), Some("alice@x.com"));
        // An empty Friendly name leaves the Location.
        assert_eq!(session.name.as_deref(), Some("TFR1.dat"));
    }
}
