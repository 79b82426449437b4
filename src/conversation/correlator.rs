//! The correlator: events in, in capture order; login sessions, conversations, contact lists
//! and presence out ([`super::model`]).
//!
//! Why it exists: the decoder reports each connection on its own; a reader wants to know who
//! signed in, and what was said in each switchboard session once, whichever of its
//! participants' connections the capture holds.
//!
//! Guarantees: pure (no I/O) and deterministic (every table is insertion-ordered; nothing is
//! output in hash order). Never panics on capture-derived data. Memory does not grow with the
//! capture: every table has a named cap (`MAX_*` below), a conversation is handed out by
//! [`Correlator::take_finished`] as soon as all its connections have closed, and what does not
//! fit is counted ([`Conversation::dropped_entries`], [`Dropped`]).
//!
//! Usage: [`Correlator::new`], then [`Correlator::event`] for each event (or use it as a
//! [`crate::event::Sink`]), [`Correlator::take_finished`] after each event if conversations
//! are wanted early, and [`Correlator::finish`] at the end for the rest.

use super::model::{
    Contact, ContactList, Conversation, Entry, EntryKind, LoginSession, Missing, Participant,
    PresenceChange,
};
use crate::Direction;
use crate::bounded::FifoMap;
use crate::capture::Timestamp;
use crate::event::{CommandEvent, ConnectionInfo, Event, Role, Sink};
use crate::flow::{FlowId, Opening};
use crate::msnc::msnobject::unescape_xml;
use crate::msnc::{Kind, Message};
use crate::msnp::named::{Name, Value};
use crate::msnp::verbs::list_names;
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};

/// Connections tracked at once: past it the oldest is forgotten (its conversation, if still
/// open, is handed out as it stands).
pub const MAX_FLOWS: usize = 4096;
/// Conversations open at once: past it the oldest is handed out as it stands.
pub const MAX_OPEN_CONVERSATIONS: usize = 1024;
/// Entries kept per conversation; the rest are counted in `dropped_entries`.
pub const MAX_ENTRIES: usize = 10_000;
/// Copies remembered per conversation for merging (see [`merge rule`](Correlator)): a copy
/// arriving more than this many messages after its twin is taken as a new message.
pub const MAX_PENDING_COPIES: usize = 512;
/// How far apart in time two copies of one message may be.
pub const MERGE_WINDOW_SECS: u64 = 60;
/// Participants per conversation, names per participant, connections per conversation,
/// `Missing` notes per conversation.
pub const MAX_PARTICIPANTS: usize = 64;
pub const MAX_NAMES: usize = 16;
pub const MAX_CONVERSATION_FLOWS: usize = 32;
pub const MAX_MISSING: usize = 64;
/// Session ids remembered to join connections of one switchboard session.
pub const MAX_SESSION_IDS: usize = 4096;
/// Login sessions kept until `finish`; friendly names kept per login session.
pub const MAX_LOGIN_SESSIONS: usize = 1024;
pub const MAX_FRIENDLY_NAMES: usize = 64;
/// Principals whose lists are kept; contacts and groups per principal.
pub const MAX_PRINCIPALS: usize = 256;
pub const MAX_CONTACTS: usize = 4096;
pub const MAX_GROUPS: usize = 256;
/// `ADL`/`RML` requests waiting for the server's `OK` (MSNP13+), all connections together.
pub const MAX_PENDING_LIST_OPS: usize = 64;
/// Presence changes kept until `finish`.
pub const MAX_PRESENCE: usize = 10_000;

/// What did not fit in the caps, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    pub login_sessions: u64,
    pub contact_lists: u64,
    pub contacts: u64,
    pub groups: u64,
    pub presence: u64,
    /// Conversations handed out before all their connections closed, to make room.
    pub conversations_evicted: u64,
}

/// Everything `finish` hands out.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Finished {
    /// The conversations not yet handed out by `take_finished`, in order of id.
    pub conversations: Vec<Conversation>,
    pub login_sessions: Vec<LoginSession>,
    pub contact_lists: Vec<ContactList>,
    pub presence: Vec<PresenceChange>,
    pub dropped: Dropped,
}

struct FlowState {
    role: Role,
    principal: Option<String>,
    announced_by: Option<FlowId>,
    first_ts: Timestamp,
    login: Option<u64>,
    conv: Option<u64>,
}

impl FlowState {
    fn closed() -> FlowState {
        FlowState {
            role: Role::Unknown,
            principal: None,
            announced_by: None,
            first_ts: Timestamp::default(),
            login: None,
            conv: None,
        }
    }
}

/// One message seen on some connections, waiting for its copies on the others.
struct Pending {
    key: u64,
    ts: Timestamp,
    /// Index in `entries`, or `None` when the entry was past the cap.
    entry: Option<usize>,
    seen: Vec<FlowId>,
}

struct ConvState {
    conv: Conversation,
    open: Vec<FlowId>,
    pending: VecDeque<Pending>,
}

/// A client's `ADL` (true) or `RML` (false): (handle, list bits) of each contact.
type ListOp = (bool, Vec<(String, u32)>);

#[derive(Default)]
struct Lists {
    contacts: Option<FifoMap<String, Contact>>,
    groups: Vec<(String, String)>,
    /// contact GUID -> handle (MSNP10+ `ADC`/`REM` name contacts by GUID).
    guids: Option<FifoMap<String, String>>,
}

/// Builds the conversation model from the decoder's events.
///
/// **The merge rule.** Several captured connections of one switchboard session (same session
/// id, from `ANS`, `CAL ... RINGING` or `RNG`; or, when one never showed it, the same
/// switchboard address, both open, each one's own user among the other's participants: see
/// `link_by_joins`) form one conversation. Each message the
/// switchboard carries then shows up once per captured connection: as the sender's client
/// `MSG` and as the relayed server `MSG handle name len` on the others. A copy is identified
/// by its key, (sender handle, body bytes) (hashed); a copy arriving on connection F is the
/// same message as the **earliest** remembered message with the same key that (1) has not
/// yet been seen on F, (2) is no older than F itself (a connection that joined later cannot
/// carry what was said before it) and (3) is at most [`MERGE_WINDOW_SECS`] older than the
/// copy. Otherwise it is a new message. Matching per connection by multiplicity means a text
/// sent twice gives two messages on every connection, so two after the merge; the order of
/// arrival of the copies does not matter. Joins and leaves are merged the same way, keyed by
/// what happened and to whom. The entry kept is the first copy seen; a relayed copy adds the
/// friendly name the switchboard showed when the kept one had none.
pub struct Correlator {
    flows: FifoMap<FlowId, FlowState>,
    convs: FifoMap<u64, ConvState>,
    sessions: FifoMap<String, u64>,
    next_conv: u64,
    finished: Vec<Conversation>,
    logins: Vec<LoginSession>,
    lists: FifoMap<String, Lists>,
    presence: Vec<PresenceChange>,
    /// (connection, transaction id) -> (add?, contacts and list bits) of a client's `ADL` or
    /// `RML`, applied when the server answers `OK` (an error answer drops it).
    list_ops: FifoMap<(FlowId, u32), ListOp>,
    /// Whether contact lists and presence are kept (not for [`Correlator::conversations_only`]).
    keep_people: bool,
    /// Whether a message entry keeps its text and format (not for
    /// [`Correlator::conversations_only`]).
    keep_text: bool,
    dropped: Dropped,
}

impl Default for Correlator {
    fn default() -> Self {
        Correlator::new()
    }
}

fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// A handle without network prefix (`1:`) or endpoint (`;{guid}`), lower case.
fn bare_handle(s: &str) -> String {
    // Cut at the ASCII `;` and `:` by byte: character boundaries, and cheaper than a char
    // searcher on every handle of every message.
    let s = match s.bytes().position(|b| b == b';') {
        Some(at) => &s[..at],
        None => s,
    };
    let s = match s.bytes().position(|b| b == b':') {
        Some(at) if s.as_bytes()[..at].iter().all(u8::is_ascii_digit) => &s[at + 1..],
        _ => s,
    };
    lower(s)
}

/// The contacts of an `ADL`/`RML`/`FQY` payload, `<ml><d n="domain"><c n="user" l="3"
/// t="1"/></d></ml>`, as (handle, list bits), in order, at most [`MAX_CONTACTS`]. An element
/// without a name or list bits is skipped; so is anything that is not a `d` or `c` tag.
fn ml_entries(payload: &[u8]) -> Vec<(String, u32)> {
    let text = String::from_utf8_lossy(payload);
    let mut out = Vec::new();
    let mut domain = String::new();
    for tag in text.split('<').skip(1) {
        let Some(end) = tag.find('>') else { break };
        let tag = &tag[..end];
        let (name, attrs) = tag.split_once(char::is_whitespace).unwrap_or((tag, ""));
        let attr = |want: &str| xml_attribute(attrs, want);
        match name {
            "d" => domain = attr("n").unwrap_or_default(),
            "c" | "c/" => {
                let (Some(user), Some(bits)) = (attr("n"), attr("l")) else {
                    continue;
                };
                let Ok(bits) = bits.parse::<u32>() else {
                    continue;
                };
                if user.is_empty() || domain.is_empty() || out.len() >= MAX_CONTACTS {
                    continue;
                }
                out.push((lower(&format!("{user}@{domain}")), bits));
            }
            _ => {}
        }
    }
    out
}

/// The value of attribute `want` in a tag's attribute text (`n="bob" l='3'`), quoted with
/// `"` or `'` (spaces inside kept), or bare up to whitespace or `/`.
fn xml_attribute(attrs: &str, want: &str) -> Option<String> {
    let mut rest = attrs;
    loop {
        rest = rest.trim_start();
        let eq = rest.find('=')?;
        let key = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        let (value, next) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = &after[1..];
                let close = body.find(q)?;
                (&body[..close], &body[close + 1..])
            }
            _ => {
                let end = after
                    .find(|c: char| c.is_whitespace() || c == '/')
                    .unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        if key == want {
            return Some(value.to_string());
        }
        rest = next;
    }
}

/// A `UBX` `CurrentMedia` value (as sent) for reading:
/// `\0Music\01\0{0} - {1}\0Title\0Artist\0...` (fields separated by a backslash and a zero, as
/// text, not NUL bytes) becomes `Music: Title - Artist`: the format with `{N}` replaced by the
/// Nth argument. Empty or switched off (`0` in the third field) is the empty string.
fn media_text(value: &str) -> String {
    let fields: Vec<&str> = value.split("\\0").collect();
    let (Some(kind), Some(on), Some(format)) = (fields.get(1), fields.get(2), fields.get(3)) else {
        return String::new();
    };
    if *on != "1" {
        return String::new();
    }
    let mut text = (*format).to_string();
    for (i, arg) in fields.iter().skip(4).enumerate().take(10).rev() {
        text = text.replace(&format!("{{{i}}}"), arg);
    }
    if kind.is_empty() {
        text
    } else {
        format!("{kind}: {text}")
    }
}

/// The principal's lists, created on first use (pushing out the oldest principal's past
/// [`MAX_PRINCIPALS`], counted).
fn lists_of<'a>(
    lists: &'a mut FifoMap<String, Lists>,
    dropped: &mut Dropped,
    principal: &str,
) -> Option<&'a mut Lists> {
    let key = principal.to_string();
    if lists.get(&key).is_none() && lists.insert(key.clone(), Lists::default()).is_some() {
        dropped.contact_lists += 1;
    }
    lists.get_mut(&key)
}

fn texts(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::List(items)) => items.iter().map(|i| i.to_string()).collect(),
        Some(v) => vec![v.to_string()],
        None => Vec::new(),
    }
}

fn key_of(parts: &[&[u8]]) -> u64 {
    // A fixed seed, so that runs are deterministic. Text from the capture is hashed: someone
    // who crafts two messages of one conversation to the same key, within the window of
    // pending copies, makes the second look like a copy of the first (so does SipHash with
    // fixed keys, which this used to be, at three times the cost).
    use std::hash::BuildHasher;
    let mut h = foldhash::fast::FixedState::with_seed(0x6d73_6e73_6e69_6666).build_hasher();
    for p in parts {
        p.hash(&mut h);
    }
    h.finish()
}

fn push_name(names: &mut Vec<String>, name: &str) {
    if names.last().map(String::as_str) != Some(name) && names.len() < MAX_NAMES {
        names.push(name.to_string());
    }
}

impl ConvState {
    fn participant(&mut self, handle: &str) -> Option<&mut Participant> {
        let ps = &mut self.conv.participants;
        let i = match ps.iter().position(|p| p.handle == handle) {
            Some(i) => i,
            None if ps.len() < MAX_PARTICIPANTS => {
                ps.push(Participant {
                    handle: handle.to_string(),
                    names: Vec::new(),
                    local: false,
                    joined: None,
                    left: None,
                });
                ps.len() - 1
            }
            None => return None,
        };
        ps.get_mut(i)
    }

    fn missing(&mut self, ts: Timestamp, flow: FlowId, what: String) {
        if self.conv.missing.len() < MAX_MISSING {
            self.conv.missing.push(Missing { ts, flow, what });
        }
    }

    /// The remembered message a copy on `flow` is a copy of, by the merge rule.
    fn find_match(
        &self,
        key: u64,
        flow: FlowId,
        flow_start: Timestamp,
        ts: Timestamp,
    ) -> Option<usize> {
        let window = std::time::Duration::from_secs(MERGE_WINDOW_SECS);
        self.pending.iter().position(|p| {
            p.key == key
                && !p.seen.contains(&flow)
                && p.ts >= flow_start
                && ts.saturating_duration_since(p.ts) <= window
                && p.ts.saturating_duration_since(ts) <= window
        })
    }

    /// Marks a remembered message as seen on `flow`, taking the switchboard's name for its
    /// sender when the kept copy had none.
    fn matched(&mut self, i: usize, flow: FlowId, kind: &EntryKind) {
        let Some(p) = self.pending.get_mut(i) else {
            return;
        };
        if p.seen.len() < MAX_CONVERSATION_FLOWS {
            p.seen.push(flow);
        }
        if let (Some(i), EntryKind::Message { name: Some(n), .. }) = (p.entry, kind)
            && let Some(Entry {
                kind: EntryKind::Message { name, .. },
                ..
            }) = self.conv.entries.get_mut(i)
            && name.is_none()
        {
            *name = Some(n.clone());
        }
    }

    /// Adds one copy of something: a new entry, or nothing when it is a copy of one already
    /// kept. Returns whether it was new.
    fn copy(&mut self, key: u64, flow: FlowId, flow_start: Timestamp, entry: Entry) -> bool {
        if let Some(i) = self.find_match(key, flow, flow_start, entry.ts) {
            self.matched(i, flow, &entry.kind);
            return false;
        }
        let ts = entry.ts;
        let index = if self.conv.entries.len() < MAX_ENTRIES {
            self.conv.entries.push(entry);
            Some(self.conv.entries.len() - 1)
        } else {
            self.conv.dropped_entries += 1;
            None
        };
        if self.pending.len() >= MAX_PENDING_COPIES {
            self.pending.pop_front();
        }
        self.pending.push_back(Pending {
            key,
            ts,
            entry: index,
            seen: vec![flow],
        });
        true
    }
}

impl Correlator {
    pub fn new() -> Correlator {
        Correlator {
            flows: FifoMap::new(MAX_FLOWS),
            convs: FifoMap::new(MAX_OPEN_CONVERSATIONS),
            sessions: FifoMap::new(MAX_SESSION_IDS),
            next_conv: 1,
            finished: Vec::new(),
            logins: Vec::new(),
            lists: FifoMap::new(MAX_PRINCIPALS),
            presence: Vec::new(),
            list_ops: FifoMap::new(MAX_PENDING_LIST_OPS),
            keep_people: true,
            keep_text: true,
            dropped: Dropped::default(),
        }
    }

    /// A correlator that builds login sessions and conversations only: contact lists and
    /// presence are not kept (their `Finished` lists stay empty), and message entries keep
    /// neither their text nor its format (empty text, no format). For `stats`, which counts
    /// people itself and messages from the entries, and should not hold or copy the rest.
    /// Which messages are one (a copy carried by two connections) is decided by the same
    /// keys either way, so the entries are the same but for those two parts.
    pub fn conversations_only() -> Correlator {
        Correlator {
            keep_people: false,
            keep_text: false,
            ..Correlator::new()
        }
    }

    /// Whether a [`Correlator::conversations_only`] reads the named fields of commands with
    /// this verb: on the notification server the sign-in's (`CVR`, `USR`, `CHG`) and the
    /// friendly name's (`PRP`, `REA`); on the switchboard the session id (`ANS`, `CAL`), who
    /// joins and leaves (`USR`, `IRO`, `JOI`, `BYE`) and a message's sender name (`MSG`).
    /// Contact lists and presence are read only by a full correlator. `stats` has the
    /// others left unnamed; a test compares its report with one from every field.
    pub fn conversations_read_fields(verb: crate::msnp::Verb) -> bool {
        matches!(
            &verb.0,
            b"CVR"
                | b"USR"
                | b"CHG"
                | b"PRP"
                | b"REA"
                | b"ANS"
                | b"CAL"
                | b"IRO"
                | b"JOI"
                | b"BYE"
                | b"MSG"
        )
    }

    /// Conversations whose connections have all closed since the last call, in order of end.
    pub fn take_finished(&mut self) -> Vec<Conversation> {
        std::mem::take(&mut self.finished)
    }

    /// Takes one event, in capture order.
    pub fn event(&mut self, ev: &Event) {
        match ev {
            Event::ConnectionOpened(c) | Event::ConnectionUpdate(c) => self.connection(c),
            Event::Command(c) => self.command(c),
            Event::Gap {
                flow, ts, dir, len, ..
            } => {
                if let Some(cs) = self.conv_of(*flow) {
                    let side = match dir {
                        Direction::ClientToServer => "from the client",
                        Direction::ServerToClient => "from the server",
                    };
                    cs.missing(*ts, *flow, format!("{len} bytes missing {side}"));
                }
            }
            Event::ConnectionClosed {
                flow, ts, summary, ..
            } => self.closed(*flow, *ts, summary.client_bytes, summary.server_bytes),
            _ => {}
        }
    }

    fn conv_of(&mut self, flow: FlowId) -> Option<&mut ConvState> {
        let id = self.flows.get(&flow)?.conv?;
        self.convs.get_mut(&id)
    }

    fn connection(&mut self, c: &ConnectionInfo) {
        if self.flows.get(&c.flow).is_none() {
            let st = FlowState {
                role: Role::Unknown,
                principal: None,
                announced_by: None,
                first_ts: c.ts,
                login: None,
                conv: None,
            };
            // A forgotten connection can no longer close its conversation: that conversation
            // is handed out when evicted itself, or at `finish`.
            self.flows.insert(c.flow, st);
        }
        // A dispatch connection is first taken for a notification server (same port): the
        // notification server it refers the client to continues its login session.
        let referrer_login = c
            .announced_by
            .and_then(|a| self.flows.get(&a))
            .filter(|a| matches!(a.role, Role::Dispatch | Role::Notification))
            .and_then(|a| a.login);
        let Some(st) = self.flows.get_mut(&c.flow) else {
            return;
        };
        st.announced_by = c.announced_by.or(st.announced_by);
        if let Some(p) = &c.principal {
            st.principal = Some(bare_handle(p));
        }
        let new_role = st.role != c.role;
        st.role = c.role;
        let principal = st.principal.clone();
        let announced_by = st.announced_by;
        match c.role {
            Role::Notification if new_role && st.login.is_none() && referrer_login.is_some() => {
                st.login = referrer_login;
                if let Some(l) =
                    referrer_login.and_then(|id| self.logins.get_mut((id - 1) as usize))
                    && !l.flows.contains(&c.flow)
                {
                    l.flows.push(c.flow);
                    l.end = l.end.max(c.ts);
                }
            }
            Role::Notification if new_role && st.login.is_none() => {
                if self.logins.len() >= MAX_LOGIN_SESSIONS {
                    self.dropped.login_sessions += 1;
                    return;
                }
                let id = self.logins.len() as u64 + 1;
                st.login = Some(id);
                let mut flows = Vec::new();
                if let Some(ds) = announced_by
                    && self
                        .flows
                        .get(&ds)
                        .is_some_and(|d| d.role == Role::Dispatch)
                {
                    flows.push(ds);
                }
                flows.push(c.flow);
                self.logins.push(LoginSession {
                    id,
                    principal: principal.unwrap_or_default(),
                    flows,
                    client: c.client,
                    login: None,
                    end: c.ts,
                    client_version: None,
                    client_caps: Vec::new(),
                    msnc: None,
                    friendly_names: Vec::new(),
                });
            }
            Role::Switchboard if st.conv.is_none() => {
                let id = self.next_conv;
                self.next_conv += 1;
                st.conv = Some(id);
                let login = announced_by
                    .and_then(|a| self.flows.get(&a))
                    .and_then(|a| a.login);
                let mut cs = ConvState {
                    conv: Conversation {
                        id,
                        flows: vec![c.flow],
                        server: c.server,
                        session_id: None,
                        login_sessions: login.into_iter().collect(),
                        start: c.ts,
                        end: c.ts,
                        participants: Vec::new(),
                        entries: Vec::new(),
                        dropped_entries: 0,
                        missing: Vec::new(),
                    },
                    open: vec![c.flow],
                    pending: VecDeque::new(),
                };
                if c.opening == Opening::Midstream {
                    cs.missing(c.ts, c.flow, "picked up mid-session".to_string());
                }
                if let Some(p) = &principal
                    && let Some(me) = cs.participant(p)
                {
                    me.local = true;
                }
                if let Some((_, old)) = self.convs.insert(id, cs) {
                    self.dropped.conversations_evicted += 1;
                    self.finished.push(old.conv);
                }
            }
            Role::Switchboard => {
                // The principal may become known later.
                if let Some(p) = principal
                    && let Some(cs) = self.conv_of(c.flow)
                    && let Some(me) = cs.participant(&p)
                {
                    me.local = true;
                }
            }
            _ => {}
        }
        if let Some(id) = self.flows.get(&c.flow).and_then(|s| s.login)
            && let Some(l) = self.logins.get_mut((id - 1) as usize)
            && l.principal.is_empty()
            && let Some(p) = &c.principal
        {
            l.principal = bare_handle(p);
        }
    }

    fn closed(&mut self, flow: FlowId, ts: Timestamp, client_bytes: u64, server_bytes: u64) {
        // A closed dispatch or notification connection is remembered (until the table's cap
        // pushes it out): the connection it referred the client to may open after it closed.
        let Some(st) = self.flows.get(&flow) else {
            return;
        };
        let (login, conv) = (st.login, st.conv);
        if conv.is_some() {
            self.flows.remove(&flow);
        }
        let st = FlowState {
            login,
            conv,
            ..FlowState::closed()
        };
        if let Some(id) = st.login
            && let Some(l) = self.logins.get_mut((id - 1) as usize)
        {
            l.end = l.end.max(ts);
        }
        let Some(id) = st.conv else {
            return;
        };
        let Some(cs) = self.convs.get_mut(&id) else {
            return;
        };
        if client_bytes == 0 {
            cs.missing(ts, flow, "the client's side was not captured".to_string());
        }
        if server_bytes == 0 {
            cs.missing(ts, flow, "the server's side was not captured".to_string());
        }
        cs.conv.end = cs.conv.end.max(ts);
        cs.open.retain(|f| *f != flow);
        if cs.open.is_empty()
            && let Some(cs) = self.convs.remove(&id)
        {
            self.finished.push(cs.conv);
        }
    }

    /// Everything left: open conversations (as they stand, in order of id), login sessions,
    /// contact lists, presence changes and the counts of what did not fit.
    pub fn finish(mut self) -> Finished {
        let mut conversations = self.take_finished();
        let ids: Vec<u64> = self.convs.iter().map(|(k, _)| *k).collect();
        let mut rest: Vec<Conversation> = ids
            .iter()
            .filter_map(|id| self.convs.remove(id).map(|c| c.conv))
            .collect();
        rest.sort_by_key(|c| c.id);
        conversations.extend(rest);
        let contact_lists = self
            .lists
            .iter()
            .map(|(principal, l)| ContactList {
                principal: principal.clone(),
                contacts: l
                    .contacts
                    .as_ref()
                    .map(|c| c.iter().map(|(_, c)| c.clone()).collect())
                    .unwrap_or_default(),
                groups: l.groups.clone(),
            })
            .collect();
        Finished {
            conversations,
            login_sessions: self.logins,
            contact_lists,
            presence: self.presence,
            dropped: self.dropped,
        }
    }

    fn command(&mut self, c: &CommandEvent) {
        let Some(st) = self.flows.get(&c.flow) else {
            return;
        };
        match st.role {
            Role::Notification => self.ns_command(c),
            Role::Switchboard => self.sb_command(c),
            _ => {}
        }
    }

    fn ns_command(&mut self, c: &CommandEvent) {
        let Some(st) = self.flows.get(&c.flow) else {
            return;
        };
        let principal = st.principal.clone();
        let login = st
            .login
            .and_then(|id| self.logins.get_mut((id - 1) as usize));
        let f = &c.fields;
        let s2c = c.dir == Direction::ServerToClient;
        if let Some(l) = login {
            l.end = l.end.max(c.ts);
            if l.principal.is_empty()
                && let Some(p) = &principal
            {
                l.principal = p.clone();
            }
            let mut name: Option<&str> = None;
            match &c.verb.0 {
                b"CVR" if !s2c => {
                    if let (Some(n), Some(v)) =
                        (f.text(Name::ClientName), f.text(Name::ClientVersion))
                    {
                        l.client_version = Some(format!("{n} {v}"));
                    }
                }
                b"USR" if s2c && f.text(Name::Result) == Some("OK") => {
                    l.login.get_or_insert(c.ts);
                    name = f.text(Name::FriendlyName);
                }
                b"CHG" if !s2c => {
                    if f.has(Name::ClientCaps) {
                        l.client_caps = texts(f.get(Name::ClientCaps));
                    }
                    if let Some(m) = f.num(Name::Msnc) {
                        l.msnc = u8::try_from(m).ok();
                    }
                }
                b"PRP" if s2c && f.text(Name::Property) == Some("MFN") => {
                    name = f.text(Name::Value);
                }
                b"REA"
                    if s2c
                        && f.text(Name::Handle).map(bare_handle).as_deref()
                            == Some(&l.principal) =>
                {
                    name = f.text(Name::FriendlyName);
                }
                _ => {}
            }
            if let Some(n) = name
                && l.friendly_names.last().map(|(_, x)| x.as_str()) != Some(n)
                && l.friendly_names.len() < MAX_FRIENDLY_NAMES
            {
                l.friendly_names.push((c.ts, n.to_string()));
            }
        }
        if !self.keep_people {
            return;
        }
        if matches!(&c.verb.0, b"ADL" | b"RML") {
            if let Some(p) = principal.clone() {
                self.ml_command(&p, c);
            }
            return;
        }
        if !s2c {
            return;
        }
        match &c.verb.0 {
            b"LST" | b"LSG" | b"ADD" | b"ADC" | b"REM" => {
                if let Some(p) = principal.clone() {
                    self.list_command(&p, c);
                }
            }
            b"ILN" | b"NLN" | b"FLN" | b"UBX" | b"CHG" => self.presence_command(principal, c),
            _ => {}
        }
    }

    /// MSNP13+ `ADL`/`RML`: the contacts and lists are in the XML payload. The client's request
    /// waits for the server's `OK` on the same transaction id; a server-initiated `ADL`/`RML`
    /// (transaction id 0, with a payload: someone added or removed the principal) applies at
    /// once.
    fn ml_command(&mut self, principal: &str, c: &CommandEvent) {
        let add = c.verb == "ADL";
        let s2c = c.dir == Direction::ServerToClient;
        let entries = c.payload_bytes.as_deref().map(ml_entries);
        let op = match (s2c, c.trid, entries) {
            (false, Some(trid), Some(entries)) => {
                self.list_ops.insert((c.flow, trid), (add, entries));
                return;
            }
            (true, Some(trid), None) if c.fields.text(Name::Result) == Some("OK") => {
                match self.list_ops.remove(&(c.flow, trid)) {
                    Some(op) if op.0 == add => op,
                    _ => return,
                }
            }
            (true, _, Some(entries)) => (add, entries),
            _ => return,
        };
        let (add, entries) = op;
        let Some(l) = lists_of(&mut self.lists, &mut self.dropped, principal) else {
            return;
        };
        let contacts = l.contacts.get_or_insert_with(|| FifoMap::new(MAX_CONTACTS));
        for (handle, bits) in entries {
            let names = list_names(bits);
            if contacts.get(&handle).is_none() {
                if !add {
                    continue;
                }
                let new = Contact {
                    handle: handle.clone(),
                    friendly_name: None,
                    lists: Vec::new(),
                    groups: Vec::new(),
                };
                if contacts.insert(handle.clone(), new).is_some() {
                    self.dropped.contacts += 1;
                }
            }
            let Some(ct) = contacts.get_mut(&handle) else {
                continue;
            };
            for name in names {
                let has = ct.lists.contains(&name);
                if add && !has {
                    ct.lists.push(name);
                } else if !add && has {
                    ct.lists.retain(|x| *x != name);
                }
            }
        }
    }

    fn list_command(&mut self, principal: &str, c: &CommandEvent) {
        let Some(l) = lists_of(&mut self.lists, &mut self.dropped, principal) else {
            return;
        };
        let f = &c.fields;
        let contacts = l.contacts.get_or_insert_with(|| FifoMap::new(MAX_CONTACTS));
        let guids = l.guids.get_or_insert_with(|| FifoMap::new(MAX_CONTACTS));
        let guid = f.text(Name::ContactGuid).map(str::to_string);
        let handle = match (f.text(Name::Handle), &guid) {
            (Some(h), _) => Some(bare_handle(h)),
            (None, Some(g)) => guids.get(g).cloned(),
            (None, None) => None,
        };
        if let (Some(h), Some(g)) = (&handle, &guid) {
            guids.insert(g.clone(), h.clone());
        }
        let group = f.get(Name::GroupId).map(|v| v.to_string());
        match &c.verb.0 {
            b"LSG" => {
                if let (Some(id), Some(name)) = (group, f.text(Name::GroupName)) {
                    let full = l.groups.len() >= MAX_GROUPS;
                    match l.groups.iter_mut().find(|(g, _)| *g == id) {
                        Some(slot) => slot.1 = name.to_string(),
                        None if !full => l.groups.push((id, name.to_string())),
                        None => self.dropped.groups += 1,
                    }
                }
            }
            b"LST" => {
                let Some(h) = handle else { return };
                let groups = texts(f.get(Name::GroupIds));
                // Up to MSNP7 a list is sent whole, one `LST` line per list a contact is on
                // (`LST 7 FL 12 1 2 bob@x Bob 0`): the lines add up. From MSNP8 on, one
                // line gives all of a contact's lists as bits.
                if let Some(list) = f.text(Name::List)
                    && let Some(ct) = contacts.get_mut(&h)
                {
                    if !ct.lists.iter().any(|l| l == list) {
                        ct.lists.push(list.to_string());
                    }
                    for g in groups {
                        if !ct.groups.contains(&g) && ct.groups.len() < MAX_GROUPS {
                            ct.groups.push(g);
                        }
                    }
                    if let Some(n) = f.text(Name::FriendlyName) {
                        ct.friendly_name = Some(n.to_string());
                    }
                    return;
                }
                let lists = match f.text(Name::List) {
                    Some(list) => vec![list.to_string()],
                    None => texts(f.get(Name::Lists)),
                };
                let contact = Contact {
                    handle: h.clone(),
                    friendly_name: f.text(Name::FriendlyName).map(str::to_string),
                    lists,
                    groups,
                };
                if contacts.insert(h, contact).is_some() {
                    self.dropped.contacts += 1;
                }
            }
            b"ADD" | b"ADC" | b"REM" => {
                let (Some(h), Some(list)) = (handle, f.text(Name::List)) else {
                    return;
                };
                if contacts.get(&h).is_none() {
                    if c.verb == "REM" {
                        return;
                    }
                    let new = Contact {
                        handle: h.clone(),
                        friendly_name: None,
                        lists: Vec::new(),
                        groups: Vec::new(),
                    };
                    if contacts.insert(h.clone(), new).is_some() {
                        self.dropped.contacts += 1;
                    }
                }
                let Some(ct) = contacts.get_mut(&h) else {
                    return;
                };
                if let Some(n) = f.text(Name::FriendlyName) {
                    ct.friendly_name = Some(n.to_string());
                }
                let add = c.verb != "REM";
                match (group, add) {
                    (Some(g), true) => {
                        if !ct.lists.iter().any(|l| l == list) {
                            ct.lists.push(list.to_string());
                        }
                        if !ct.groups.contains(&g) && ct.groups.len() < MAX_GROUPS {
                            ct.groups.push(g);
                        }
                    }
                    (Some(g), false) => ct.groups.retain(|x| *x != g),
                    (None, true) => {
                        if !ct.lists.iter().any(|l| l == list) {
                            ct.lists.push(list.to_string());
                        }
                    }
                    (None, false) => ct.lists.retain(|l| l != list),
                }
            }
            _ => {}
        }
    }

    fn presence_command(&mut self, principal: Option<String>, c: &CommandEvent) {
        let f = &c.fields;
        let handle = match (&c.verb.0, f.text(Name::Handle)) {
            (_, Some(h)) => bare_handle(h),
            (b"CHG", None) => match &principal {
                Some(p) => p.clone(),
                None => return,
            },
            _ => return,
        };
        let mut current_media = None;
        let (status, personal_message) = match &c.verb.0 {
            b"FLN" => ("FLN".to_string(), None),
            b"UBX" => {
                let element = |name: &str| {
                    let p = c.payload_text()?;
                    let open = format!("<{name}>");
                    let start = p.find(&open)? + open.len();
                    let end = p[start..].find(&format!("</{name}>"))? + start;
                    Some(unescape_xml(&p[start..end]))
                };
                // The payload is the text as sent; the model holds the data form.
                let data = |text: String| crate::escape::escape_field(text.as_bytes());
                let psm = element("PSM").map(data);
                current_media = element("CurrentMedia").map(|m| data(media_text(&m)));
                // The status stands as it was; only the personal message changed.
                let last = self
                    .presence
                    .iter()
                    .rev()
                    .find(|p| p.handle == handle && p.principal == principal)
                    .map(|p| p.status.clone())
                    .unwrap_or_default();
                (last, Some(psm.unwrap_or_default()))
            }
            _ => match f.text(Name::Status) {
                Some(s) => (s.to_string(), None),
                None => return,
            },
        };
        if self.presence.len() >= MAX_PRESENCE {
            self.dropped.presence += 1;
            return;
        }
        self.presence.push(PresenceChange {
            ts: c.ts,
            flow: c.flow,
            principal,
            handle,
            status,
            friendly_name: f.text(Name::FriendlyName).map(str::to_string),
            personal_message,
            current_media,
        });
    }

    /// Joins `flow`'s conversation to the one that already has `session`, if any.
    fn session_id(&mut self, flow: FlowId, session: &str) {
        let Some(mine) = self.flows.get(&flow).and_then(|s| s.conv) else {
            return;
        };
        let other = self.sessions.get(&session.to_string()).copied();
        match other {
            Some(o) if o != mine && self.convs.contains_key(&o) => {
                if let Some(id) = self.merge_convs(o, mine) {
                    self.sessions.insert(session.to_string(), id);
                }
            }
            _ => {
                self.sessions.insert(session.to_string(), mine);
                if let Some(cs) = self.convs.get_mut(&mine) {
                    cs.conv
                        .session_id
                        .get_or_insert_with(|| session.to_string());
                }
            }
        }
    }

    /// Merges two open conversations into the older one; gives its id.
    fn merge_convs(&mut self, a: u64, b: u64) -> Option<u64> {
        let (Some(a), Some(b)) = (self.convs.remove(&a), self.convs.remove(&b)) else {
            return None;
        };
        let (keep, gone) = if a.conv.id < b.conv.id {
            (a, b)
        } else {
            (b, a)
        };
        let id = keep.conv.id;
        let starts: Vec<(FlowId, Timestamp)> =
            self.flows.iter().map(|(f, s)| (*f, s.first_ts)).collect();
        let merged = merge(keep, gone, &starts);
        for f in &merged.conv.flows {
            if let Some(s) = self.flows.get_mut(f) {
                s.conv = Some(id);
            }
        }
        if let Some(sid) = merged.conv.session_id.clone() {
            self.sessions.insert(sid, id);
        }
        self.convs.insert(id, merged);
        Some(id)
    }

    /// Links `flow`'s conversation to another open one on the same switchboard address when
    /// the session id cannot tell (not captured on one side): each one's local participant
    /// is among the other's participants (`JOI`/`IRO` on one, `USR`/`ANS` on the other).
    /// Two conversations with different session ids are never linked.
    fn link_by_joins(&mut self, flow: FlowId) {
        let Some(mine) = self.flows.get(&flow).and_then(|s| s.conv) else {
            return;
        };
        let Some(m) = self.convs.get(&mine) else {
            return;
        };
        let split = |c: &Conversation| -> (Vec<String>, Vec<String>) {
            let (l, o): (Vec<_>, Vec<_>) = c.participants.iter().partition(|p| p.local);
            (
                l.into_iter().map(|p| p.handle.clone()).collect(),
                o.into_iter().map(|p| p.handle.clone()).collect(),
            )
        };
        let (my_local, my_others) = split(&m.conv);
        if my_local.is_empty() || my_others.is_empty() {
            return;
        }
        let found = self.convs.iter().find_map(|(id, o)| {
            // The cheap tests first: this runs over every open conversation.
            if *id == mine || o.open.is_empty() || o.conv.server != m.conv.server {
                return None;
            }
            let compatible = match (&m.conv.session_id, &o.conv.session_id) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            if !compatible {
                return None;
            }
            let (local, others) = split(&o.conv);
            let mutual = local.iter().any(|h| my_others.contains(h))
                && my_local.iter().any(|h| others.contains(h));
            mutual.then_some(*id)
        });
        if let Some(other) = found {
            self.merge_convs(other, mine);
        }
    }

    fn sb_command(&mut self, c: &CommandEvent) {
        self.sb_command_inner(c);
        let s2c = c.dir == Direction::ServerToClient;
        if s2c && matches!(&c.verb.0, b"JOI" | b"IRO" | b"USR" | b"ANS") {
            self.link_by_joins(c.flow);
        }
    }

    fn sb_command_inner(&mut self, c: &CommandEvent) {
        let f = &c.fields;
        let s2c = c.dir == Direction::ServerToClient;
        if let Some(sid) = f.text(Name::SessionId)
            && matches!(&c.verb.0, b"ANS" | b"CAL")
        {
            self.session_id(c.flow, sid);
        }
        let Some(st) = self.flows.get(&c.flow) else {
            return;
        };
        let principal = st.principal.clone();
        let flow_start = st.first_ts;
        let keep_text = self.keep_text;
        let Some(cs) = self.conv_of(c.flow) else {
            return;
        };
        cs.conv.end = cs.conv.end.max(c.ts);
        let entry = |kind: EntryKind| Entry {
            ts: c.ts,
            frame: c.frame,
            flow: c.flow,
            kind,
        };
        match &c.verb.0 {
            b"USR" | b"ANS" if s2c && f.text(Name::Result) == Some("OK") => {
                let h = f.text(Name::Handle).map(bare_handle).or(principal);
                let name = f.text(Name::FriendlyName);
                if let Some(h) = h
                    && let Some(p) = cs.participant(&h)
                {
                    p.local = true;
                    p.joined.get_or_insert(c.ts);
                    if let Some(n) = name {
                        push_name(&mut p.names, n);
                    }
                }
            }
            b"IRO" if s2c => {
                if let Some(h) = f.text(Name::Handle).map(bare_handle)
                    && let Some(p) = cs.participant(&h)
                    && let Some(n) = f.text(Name::FriendlyName)
                {
                    push_name(&mut p.names, n);
                }
            }
            b"JOI" if s2c => {
                let Some(h) = f.text(Name::Handle).map(bare_handle) else {
                    return;
                };
                let name = f.text(Name::FriendlyName).map(str::to_string);
                if let Some(p) = cs.participant(&h) {
                    p.joined.get_or_insert(c.ts);
                    p.left = None;
                    if let Some(n) = &name {
                        push_name(&mut p.names, n);
                    }
                }
                let key = key_of(&[b"JOI", h.as_bytes()]);
                cs.copy(
                    key,
                    c.flow,
                    flow_start,
                    entry(EntryKind::Joined { handle: h, name }),
                );
            }
            b"BYE" | b"OUT" => {
                let h = if c.verb == "OUT" {
                    if s2c {
                        return;
                    }
                    principal
                } else if s2c {
                    f.text(Name::Handle).map(bare_handle)
                } else {
                    None
                };
                let Some(h) = h else { return };
                let idle = c.params.get(1).map(String::as_str) == Some("1");
                if let Some(p) = cs.participant(&h) {
                    p.left = Some(c.ts);
                }
                let key = key_of(&[b"BYE", h.as_bytes()]);
                cs.copy(
                    key,
                    c.flow,
                    flow_start,
                    entry(EntryKind::Left { handle: h, idle }),
                );
            }
            b"CAL" if !s2c => {
                if let (Some(h), Some(me)) = (f.text(Name::Handle), principal) {
                    let text = format!("invites {}", bare_handle(h));
                    let key = key_of(&[b"CAL", me.as_bytes(), h.as_bytes()]);
                    cs.copy(
                        key,
                        c.flow,
                        flow_start,
                        entry(EntryKind::Note {
                            sender: Some(me),
                            text,
                        }),
                    );
                }
            }
            b"MSG" => {
                let Some(m) = &c.msnc else { return };
                if let (Some(len), Some(got)) = (c.payload_len, c.payload_received) {
                    cs.missing(
                        c.ts,
                        c.flow,
                        format!("{} bytes of a message missing", len.saturating_sub(got)),
                    );
                }
                let sender = m
                    .sender
                    .as_deref()
                    .map(bare_handle)
                    .or_else(|| if s2c { None } else { principal.clone() });
                let name = if s2c {
                    f.text(Name::FriendlyName).map(str::to_string)
                } else {
                    None
                };
                if let (Some(h), Some(n)) = (&sender, &name)
                    && let Some(p) = cs.participant(h)
                {
                    push_name(&mut p.names, n);
                }
                let Some(kind) = message_kind(m, sender.clone(), name, keep_text) else {
                    return;
                };
                let body = c.payload_bytes.as_deref().unwrap_or_default();
                let key = key_of(&[
                    b"MSG",
                    sender.as_deref().unwrap_or_default().as_bytes(),
                    body,
                ]);
                cs.copy(key, c.flow, flow_start, entry(kind));
            }
            _ => {}
        }
    }
}

/// What a message becomes in a conversation, if anything (keep-alives, client capabilities
/// and P2P data packets are left out; P2P packets that carry an MSNSLP message are noted).
fn message_kind(
    m: &Message,
    sender: Option<String>,
    name: Option<String>,
    keep_text: bool,
) -> Option<EntryKind> {
    let note = |text: String| EntryKind::Note {
        sender: sender.clone(),
        text,
    };
    Some(match &m.kind {
        Kind::Text(t) => EntryKind::Message {
            sender: sender.clone().unwrap_or_default(),
            name,
            text: if keep_text {
                t.text.clone()
            } else {
                String::new()
            },
            format: if keep_text { t.format.clone() } else { None },
        },
        Kind::Typing { user } => EntryKind::Typing {
            handle: user
                .as_deref()
                .map(bare_handle)
                .or(sender.clone())
                .unwrap_or_default(),
        },
        Kind::Datacast(d) if d.id == Some(1) => EntryKind::Nudge {
            handle: sender.clone().unwrap_or_default(),
        },
        Kind::Keepalive | Kind::ClientCaps(_) | Kind::ChunkPart => return None,
        Kind::P2p(_) => {
            let slp: Vec<String> = m
                .notes()
                .into_iter()
                .filter(|n| n.contains("SLP "))
                .collect();
            if slp.is_empty() {
                return None;
            }
            note(slp.join("; "))
        }
        _ => note(m.notes().join("; ")),
    })
}

/// Two conversations of one switchboard session as one: the copies of `gone` are matched
/// against those of `keep` by the merge rule (a match is dropped), then both entry lists,
/// each in time order, are merged in time order and the remembered copies follow their
/// entries. `starts` gives each connection's first time.
fn merge(mut keep: ConvState, gone: ConvState, starts: &[(FlowId, Timestamp)]) -> ConvState {
    for f in gone.conv.flows {
        if !keep.conv.flows.contains(&f) && keep.conv.flows.len() < MAX_CONVERSATION_FLOWS {
            keep.conv.flows.push(f);
        }
    }
    keep.conv.flows.sort();
    keep.open.extend(gone.open);
    keep.open.sort();
    keep.open.dedup();
    for l in gone.conv.login_sessions {
        if !keep.conv.login_sessions.contains(&l) {
            keep.conv.login_sessions.push(l);
        }
    }
    keep.conv.login_sessions.sort();
    keep.conv.start = keep.conv.start.min(gone.conv.start);
    keep.conv.end = keep.conv.end.max(gone.conv.end);
    if keep.conv.session_id.is_none() {
        keep.conv.session_id = gone.conv.session_id;
    }
    for p in gone.conv.participants {
        let h = p.handle.clone();
        if let Some(k) = keep.participant(&h) {
            k.local |= p.local;
            k.joined = match (k.joined, p.joined) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            k.left = k.left.max(p.left);
            for n in &p.names {
                push_name(&mut k.names, n);
            }
        }
    }
    for m in gone.conv.missing {
        keep.missing(m.ts, m.flow, m.what);
    }
    keep.conv.dropped_entries += gone.conv.dropped_entries;
    let start_of = |f: FlowId| {
        starts
            .iter()
            .find(|(x, _)| *x == f)
            .map(|(_, t)| *t)
            .unwrap_or_default()
    };
    // 1. Match the other side's remembered copies, oldest first.
    let mut other: Vec<Option<Entry>> = gone.conv.entries.into_iter().map(Some).collect();
    let mut unmatched = Vec::new();
    for p in gone.pending {
        let Some(e) = p.entry.and_then(|i| other.get(i)).and_then(Option::as_ref) else {
            unmatched.push(p);
            continue;
        };
        let flow = e.flow;
        let kind = e.kind.clone();
        match keep.find_match(p.key, flow, start_of(flow), p.ts) {
            Some(i) => {
                keep.matched(i, flow, &kind);
                if let Some(slot) = p.entry.and_then(|i| other.get_mut(i)) {
                    *slot = None;
                }
            }
            None => unmatched.push(p),
        }
    }
    // 2. Merge the two time-ordered lists, noting where each entry went.
    let mine = std::mem::take(&mut keep.conv.entries);
    let mut new_mine = vec![0usize; mine.len()];
    let mut new_other = vec![None; other.len()];
    let mut out: Vec<Entry> = Vec::with_capacity(mine.len() + other.len());
    let mut a = mine.into_iter().enumerate().peekable();
    let mut b = other
        .into_iter()
        .enumerate()
        .filter_map(|(i, e)| e.map(|e| (i, e)))
        .peekable();
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some((_, x)), Some((_, y))) => (x.ts, x.frame) <= (y.ts, y.frame),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        if take_a {
            if let Some((i, e)) = a.next() {
                new_mine[i] = out.len();
                out.push(e);
            }
        } else if let Some((i, e)) = b.next() {
            if out.len() < MAX_ENTRIES {
                new_other[i] = Some(out.len());
                out.push(e);
            } else {
                keep.conv.dropped_entries += 1;
            }
        }
    }
    keep.conv.entries = out;
    // 3. The remembered copies follow their entries.
    for p in keep.pending.iter_mut() {
        p.entry = p.entry.and_then(|i| new_mine.get(i).copied());
    }
    for mut p in unmatched {
        p.entry = p.entry.and_then(|i| new_other.get(i).copied().flatten());
        keep.pending.push_back(p);
    }
    keep.pending.make_contiguous().sort_by_key(|p| p.ts);
    while keep.pending.len() > MAX_PENDING_COPIES {
        keep.pending.pop_front();
    }
    keep
}

impl Sink for Correlator {
    fn event(&mut self, ev: &Event) -> std::io::Result<()> {
        Correlator::event(self, ev);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
