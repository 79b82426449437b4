//! `msnsniff stats`: a summary of a whole capture in a few tables (or one JSON document):
//! connections by role and dialect, the signed-in users (principals), switchboard
//! conversations, commands by verb and direction, errors with their meaning and the request
//! they answered, presence changes, objects, anomalies and gaps.
//!
//! Why it exists: `read` shows every line and `flows` every connection; on a large capture a
//! reader first wants the totals. It is also the mode that must cope with captures of any
//! size, so it **streams**: [`Stats`] is a [`Sink`] that folds each event into counters and
//! forgets it. Guarantees:
//!
//! - memory does not grow with the capture: every table the traffic fills has a named cap
//!   (the `MAX_*` constants below, each saying what happens past it); what does not fit is
//!   counted in [`Others`], so totals stay honest;
//! - no event is kept; per-connection state lives only while its connection is open (and at
//!   most [`MAX_OPEN_CONNECTIONS`] of them);
//! - output is deterministic: every table is sorted (keys in `BTreeMap`s, rows sorted by
//!   their key), never printed in hash order;
//! - text from the capture (handles, client names, statuses) is shown on the terminal through
//!   [`crate::output::text::escape_text`]; JSON is written by [`crate::output::json::stats`].
//!
//! A conversation is **one switchboard session**, as the conversation correlator
//! ([`crate::conversation`]) builds it: the captured connections of its participants merged,
//! each message counted once. A row is made as soon as all its connections have closed, so
//! memory holds only the open ones (the correlator's caps bound them).

use crate::Direction;
use crate::bounded::FifoMap;
use crate::capture::Timestamp;
use crate::conversation::Correlator;
use crate::conversation::model::Conversation;
use crate::event::{ConnectionInfo, Event, FieldsWanted, Role, Sink};
use crate::flow::FlowId;
use crate::msnp::Verb;
use crate::msnp::errors::error_meaning;
use crate::msnp::named::{Name, Value};
use crate::output::json::wire;
use crate::output::text::{escape_text, utc};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use std::collections::BTreeMap;
use std::io;
use std::net::IpAddr;

/// Principals (signed-in users) tracked by handle. A capture of one user's machine has one or
/// two; past the cap the connections of further users are counted in
/// [`Others::principal_connections`].
pub const MAX_PRINCIPALS: usize = 1024;

/// Conversation rows kept. Past the cap further conversations are counted in
/// [`Others::conversations`] (their connections still count for their principal and role).
pub const MAX_CONVERSATIONS: usize = 1024;

/// Open connections whose details (principal, client version, participants, messages) are
/// tracked at once. Past it the oldest open connection is summed up as it stands, early.
pub const MAX_OPEN_CONNECTIONS: usize = 4096;

/// Distinct (verb, direction) rows. Verbs come from the capture; past the cap further verbs
/// are counted in [`Others::commands`].
pub const MAX_COMMAND_ROWS: usize = 512;

/// Distinct (error code, request verb) rows; past it counted in [`Others::errors`].
pub const MAX_ERROR_ROWS: usize = 256;

/// Client requests remembered by (connection, TrID) so that an error reply can name the
/// request it answers. Past the cap the oldest is forgotten (its error then has no request).
pub const MAX_PENDING_REQUESTS: usize = 4096;

/// Distinct (verb, status) presence rows; past it counted in [`Others::presence`].
pub const MAX_PRESENCE_ROWS: usize = 256;

/// Distinct contacts (handles in `NLN`/`ILN`/`FLN`) counted exactly; past the cap the count
/// is a lower bound ([`StatsReport::contacts_capped`]). Each is remembered as a 64-bit
/// fingerprint (about 16 bytes at most, not the handle's string and a tree node, about 100):
/// the set is the one table of `stats` that fills further as a capture grows, so its size
/// sets how much the memory grows from 100 MB to 1 GB.
pub const MAX_CONTACTS: usize = 65_536;

/// Distinct anomaly names (they are constants of the code, so few): past it counted in
/// [`Others::anomalies`].
pub const MAX_ANOMALY_ROWS: usize = 256;

/// What a capped table could not hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Others {
    /// Connections whose principal did not fit in the principals table.
    pub principal_connections: u64,
    /// Switchboard connections past [`MAX_CONVERSATIONS`].
    pub conversations: u64,
    /// Commands whose (verb, direction) did not fit.
    pub commands: u64,
    /// Errors whose (code, request) did not fit.
    pub errors: u64,
    /// Presence changes whose (verb, status) did not fit.
    pub presence: u64,
    /// Anomalies whose name did not fit.
    pub anomalies: u64,
}

/// Connections of one role and dialect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionRow {
    /// The interface's role name (`NS`, `SB`...).
    pub role: &'static str,
    /// The dialect's name (`MSNP8`), when known.
    pub dialect: Option<String>,
    pub count: u64,
}

/// A signed-in user, from the connections whose principal is known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrincipalRow {
    pub handle: String,
    /// From the client's `CVR`: client name and version.
    pub client_name: Option<String>,
    pub client_version: Option<String>,
    /// From the client's `CHG` client id: capability names and MSNC version.
    pub client_caps: Option<Vec<String>>,
    pub msnc: Option<u64>,
    /// The earliest accepted `USR ... OK` on a notification server.
    pub login: Option<Timestamp>,
    /// The client's address of the connection it logged in on (else of its first connection).
    pub ip: Option<IpAddr>,
    /// Connections whose principal it is (every role).
    pub connections: u64,
    /// Switchboard connections whose principal it is.
    pub conversations: u64,
}

/// One conversation: a switchboard session, its captured connections merged by the
/// conversation correlator ([`crate::conversation`]), each message once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationRow {
    /// The correlator's conversation number (1, 2, ... in order of start).
    pub id: u64,
    /// The captured connections to the session (one per captured participant).
    pub flows: Vec<FlowId>,
    /// Participants whose own connection was captured (the local side), in order.
    pub principals: Vec<String>,
    /// The other participants, in order.
    pub participants: Vec<String>,
    pub first: Timestamp,
    pub last: Timestamp,
    /// Text messages, each once however many captured connections carried it.
    pub messages: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandRow {
    pub verb: String,
    /// `c2s` or `s2c`.
    pub dir: &'static str,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorRow {
    pub code: u16,
    pub meaning: Option<&'static str>,
    /// The verb of the client request it answered, when known.
    pub request: Option<String>,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresenceRow {
    /// `NLN`, `ILN`, `FLN` (from the server) or `CHG` (the client's own change).
    pub verb: String,
    /// The status code (`NLN`, `BSY`...); none for `FLN`.
    pub status: Option<String>,
    pub status_name: Option<String>,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRow {
    pub kind: &'static str,
    pub transport: &'static str,
    /// Objects whose transfer started.
    pub started: u64,
    /// Sizes they declared, summed.
    pub declared_bytes: u64,
    /// Written by `--extract` (zero without it).
    pub extracted: u64,
    pub bytes_written: u64,
    /// Extracted with bytes missing.
    pub partial: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnomalyRow {
    pub name: &'static str,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GapRow {
    pub reason: &'static str,
    pub count: u64,
    pub bytes: u64,
}

/// Everything `stats` reports, sorted: what the table and the JSON are written from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsReport {
    pub connections: Vec<ConnectionRow>,
    pub principals: Vec<PrincipalRow>,
    pub conversations: Vec<ConversationRow>,
    pub commands: Vec<CommandRow>,
    pub errors: Vec<ErrorRow>,
    pub presence: Vec<PresenceRow>,
    /// Distinct contacts seen in presence notices.
    pub contacts: u64,
    /// More than [`MAX_CONTACTS`] contacts: `contacts` is a lower bound.
    pub contacts_capped: bool,
    pub objects: Vec<ObjectRow>,
    pub anomalies: Vec<AnomalyRow>,
    pub gaps: Vec<GapRow>,
    pub others: Others,
}

/// What is known about one open connection.
#[derive(Default)]
struct Conn {
    role: Option<Role>,
    dialect: Option<String>,
    principal: Option<String>,
    ip: Option<IpAddr>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    client_name: Option<String>,
    client_version: Option<String>,
    client_caps: Option<Vec<String>>,
    msnc: Option<u64>,
    login: Option<Timestamp>,
}

#[derive(Default)]
struct ObjectCounts {
    started: u64,
    declared_bytes: u64,
    extracted: u64,
    bytes_written: u64,
    partial: u64,
}

/// The streaming sink: counters and capped tables, no events.
pub struct Stats {
    open: FifoMap<FlowId, Conn>,
    connections: BTreeMap<(&'static str, Option<String>), u64>,
    principals: BTreeMap<String, PrincipalRow>,
    conversations: Vec<ConversationRow>,
    /// Per verb, the count sent by the client and by the server (a row each when not zero);
    /// hashed, and sorted for the report, because it is touched by every command.
    commands: foldhash::HashMap<Verb, [u64; 2]>,
    /// Rows of `commands` (verb and direction pairs) counted, at most [`MAX_COMMAND_ROWS`].
    command_rows: usize,
    /// The verb of each request (every event's verb is the three bytes of a [`Verb`]), so
    /// that remembering one allocates nothing.
    requests: FifoMap<(FlowId, u32), Verb>,
    errors: BTreeMap<(u16, Option<String>), u64>,
    presence: BTreeMap<(String, Option<String>), (Option<String>, u64)>,
    /// Distinct contacts, each as its handle's 64-bit SipHash under a key drawn for the run
    /// (a `u64` a contact, whatever the handle's length). The handles are the capture's, so
    /// chosen by whoever made the traffic; without the key no one can make two of them
    /// collide, and by chance two of the at most [`MAX_CONTACTS`] do with a probability
    /// below 2⁻³³, so the count is the same from run to run. (It was SHA-256's first 64
    /// bits, which a birthday search of about 2³² handles collides, at about 15 times the
    /// cost.)
    contacts: foldhash::HashSet<u64>,
    contact_key: std::hash::RandomState,
    contacts_capped: bool,
    objects: BTreeMap<(&'static str, &'static str), ObjectCounts>,
    anomalies: BTreeMap<&'static str, u64>,
    gaps: BTreeMap<&'static str, (u64, u64)>,
    others: Others,
    /// Merges the switchboard connections of one session into a conversation row.
    correlator: Correlator,
}

impl Default for Stats {
    fn default() -> Self {
        Stats::new()
    }
}

/// Adds one to `map[key]`, unless the key is new and the map is at `cap`: then `false`.
fn bump<K: Ord>(map: &mut BTreeMap<K, u64>, key: K, cap: usize) -> bool {
    if let Some(n) = map.get_mut(&key) {
        *n += 1;
        true
    } else if map.len() < cap {
        map.insert(key, 1);
        true
    } else {
        false
    }
}

impl Stats {
    pub fn new() -> Stats {
        Stats {
            open: FifoMap::new(MAX_OPEN_CONNECTIONS),
            connections: BTreeMap::new(),
            principals: BTreeMap::new(),
            conversations: Vec::new(),
            commands: foldhash::HashMap::default(),
            command_rows: 0,
            requests: FifoMap::new(MAX_PENDING_REQUESTS),
            errors: BTreeMap::new(),
            presence: BTreeMap::new(),
            contacts: foldhash::HashSet::default(),
            contact_key: std::hash::RandomState::new(),
            contacts_capped: false,
            objects: BTreeMap::new(),
            anomalies: BTreeMap::new(),
            gaps: BTreeMap::new(),
            others: Others::default(),
            correlator: Correlator::conversations_only(),
        }
    }

    /// A finished conversation becomes a row (past the cap, a count).
    fn conversation(&mut self, c: &Conversation) {
        if self.conversations.len() >= MAX_CONVERSATIONS {
            self.others.conversations += 1;
            return;
        }
        let (local, others): (Vec<_>, Vec<_>) = c.participants.iter().partition(|p| p.local);
        self.conversations.push(ConversationRow {
            id: c.id,
            flows: c.flows.clone(),
            principals: local.into_iter().map(|p| p.handle.clone()).collect(),
            participants: others.into_iter().map(|p| p.handle.clone()).collect(),
            first: c.start,
            last: c.end,
            messages: c.message_count() as u64,
        });
    }

    /// The state of `flow`, created if new (an eviction sums up the oldest open connection).
    fn conn(&mut self, flow: FlowId) -> &mut Conn {
        if !self.open.contains_key(&flow)
            && let Some((_, c)) = self.open.insert(flow, Conn::default())
        {
            self.close(c, None);
        }
        self.open.get_mut(&flow).expect("inserted above")
    }

    fn connection(&mut self, info: &ConnectionInfo) {
        let c = self.conn(info.flow);
        c.role = Some(info.role);
        c.dialect = info.dialect.map(|d| d.to_string());
        if info.principal.is_some() {
            c.principal.clone_from(&info.principal);
        }
        c.ip.get_or_insert(info.client.ip());
        c.first.get_or_insert(info.ts);
        if c.msnc.is_none()
            && let Some(own) = &info.clients.own
        {
            c.msnc = Some(u64::from(own.level));
        }
    }

    /// Adds one to the row of `verb` in direction `dir`, unless it is a new row and there are
    /// [`MAX_COMMAND_ROWS`] already: then `false`. No allocation for a verb already seen.
    fn count_command(&mut self, verb: Verb, dir: Direction) -> bool {
        let side = usize::from(dir == Direction::ServerToClient);
        let full = self.command_rows >= MAX_COMMAND_ROWS;
        let counts = match self.commands.get_mut(&verb) {
            Some(counts) => counts,
            None if full => return false,
            None => self.commands.entry(verb).or_default(),
        };
        if counts[side] == 0 {
            if full {
                return false;
            }
            self.command_rows += 1;
        }
        counts[side] += 1;
        true
    }

    fn command(&mut self, cmd: &crate::event::CommandEvent) {
        if !self.count_command(cmd.verb, cmd.dir) {
            self.others.commands += 1;
        }
        if let Some(code) = cmd.verb.error_code() {
            let request = cmd
                .trid
                .and_then(|t| self.requests.get(&(cmd.flow, t)))
                .map(|v| v.as_str().to_string());
            if !bump(&mut self.errors, (code, request), MAX_ERROR_ROWS) {
                self.others.errors += 1;
            }
        } else if cmd.dir == Direction::ClientToServer
            && let Some(t) = cmd.trid
        {
            self.requests.insert((cmd.flow, t), cmd.verb);
        }
        let f = &cmd.fields;
        let presence = matches!(
            (cmd.verb.as_str(), cmd.dir),
            ("NLN" | "ILN" | "FLN", Direction::ServerToClient) | ("CHG", Direction::ClientToServer)
        );
        if presence {
            let key = (
                cmd.verb.to_string(),
                f.text(Name::Status).map(str::to_string),
            );
            if let Some((_, n)) = self.presence.get_mut(&key) {
                *n += 1;
            } else if self.presence.len() < MAX_PRESENCE_ROWS {
                let name = f.text(Name::StatusName).map(str::to_string);
                self.presence.insert(key, (name, 1));
            } else {
                self.others.presence += 1;
            }
            if cmd.verb != "CHG"
                && let Some(h) = f.text(Name::Handle)
            {
                let key = std::hash::BuildHasher::hash_one(&self.contact_key, h);
                if !self.contacts.contains(&key) {
                    if self.contacts.len() < MAX_CONTACTS {
                        self.contacts.insert(key);
                    } else {
                        self.contacts_capped = true;
                    }
                }
            }
        }
        let c = self.conn(cmd.flow);
        c.first.get_or_insert(cmd.ts);
        c.last = Some(cmd.ts);
        if c.role.is_none() {
            c.role = Some(cmd.role);
        }
        match (cmd.verb.as_str(), cmd.dir) {
            ("CVR", Direction::ClientToServer) => {
                if let Some(n) = f.text(Name::ClientName) {
                    c.client_name = Some(n.to_string());
                }
                if let Some(v) = f.text(Name::ClientVersion) {
                    c.client_version = Some(v.to_string());
                }
            }
            ("CHG", Direction::ClientToServer) => {
                if let Some(Value::List(caps)) = f.get(Name::ClientCaps) {
                    c.client_caps = Some(
                        caps.iter()
                            .filter_map(Value::as_text)
                            .map(str::to_string)
                            .collect(),
                    );
                }
                if let Some(m) = f.num(Name::Msnc) {
                    c.msnc = Some(m);
                }
            }
            ("USR", Direction::ServerToClient)
                if cmd.role == Role::Notification && f.text(Name::Result) == Some("OK") =>
            {
                c.login.get_or_insert(cmd.ts);
                if let Some(h) = f.text(Name::Handle)
                    && c.principal.is_none()
                {
                    c.principal = Some(h.to_string());
                }
            }
            _ => {}
        }
    }

    /// Sums up a connection: its role row, its principal, its conversation row.
    fn close(&mut self, c: Conn, end: Option<Role>) {
        let role = end.or(c.role).unwrap_or(Role::Unknown);
        // Role and dialect are few (a handful of each): no cap needed.
        *self
            .connections
            .entry((wire::role(role), c.dialect.clone()))
            .or_default() += 1;
        let switchboard = role == Role::Switchboard;
        if let Some(h) = &c.principal {
            let fits = self.principals.contains_key(h) || self.principals.len() < MAX_PRINCIPALS;
            if fits {
                let p = self
                    .principals
                    .entry(h.clone())
                    .or_insert_with(|| PrincipalRow {
                        handle: h.clone(),
                        ..PrincipalRow::default()
                    });
                p.connections += 1;
                if switchboard {
                    p.conversations += 1;
                }
                if c.client_name.is_some() {
                    p.client_name.clone_from(&c.client_name);
                    p.client_version.clone_from(&c.client_version);
                }
                if c.client_caps.is_some() {
                    p.client_caps.clone_from(&c.client_caps);
                }
                if c.msnc.is_some() && (p.msnc.is_none() || c.client_caps.is_some()) {
                    p.msnc = c.msnc;
                }
                if let Some(t) = c.login
                    && p.login.is_none_or(|l| t < l)
                {
                    p.login = Some(t);
                    p.ip = c.ip;
                }
                if p.ip.is_none() {
                    p.ip = c.ip;
                }
            } else {
                self.others.principal_connections += 1;
            }
        }
    }

    /// The tables, sorted. Connections still open (the decoder closes every connection at
    /// the end of the capture, so only when fed by hand) are summed up as they stand.
    pub fn report(mut self) -> StatsReport {
        let open: Vec<FlowId> = self.open.iter().map(|(k, _)| *k).collect();
        for flow in open {
            if let Some(c) = self.open.remove(&flow) {
                self.close(c, None);
            }
        }
        let rest = std::mem::take(&mut self.correlator).finish();
        for c in &rest.conversations {
            self.conversation(c);
        }
        self.conversations.sort_by_key(|c| c.id);
        StatsReport {
            connections: self
                .connections
                .into_iter()
                .map(|((role, dialect), count)| ConnectionRow {
                    role,
                    dialect,
                    count,
                })
                .collect(),
            principals: self.principals.into_values().collect(),
            conversations: self.conversations,
            commands: command_rows(self.commands),
            errors: self
                .errors
                .into_iter()
                .map(|((code, request), count)| ErrorRow {
                    code,
                    meaning: error_meaning(code),
                    request,
                    count,
                })
                .collect(),
            presence: self
                .presence
                .into_iter()
                .map(|((verb, status), (status_name, count))| PresenceRow {
                    verb,
                    status,
                    status_name,
                    count,
                })
                .collect(),
            contacts: self.contacts.len() as u64,
            contacts_capped: self.contacts_capped,
            objects: self
                .objects
                .into_iter()
                .map(|((kind, transport), o)| ObjectRow {
                    kind,
                    transport,
                    started: o.started,
                    declared_bytes: o.declared_bytes,
                    extracted: o.extracted,
                    bytes_written: o.bytes_written,
                    partial: o.partial,
                })
                .collect(),
            anomalies: self
                .anomalies
                .into_iter()
                .map(|(name, count)| AnomalyRow { name, count })
                .collect(),
            gaps: self
                .gaps
                .into_iter()
                .map(|(reason, (count, bytes))| GapRow {
                    reason,
                    count,
                    bytes,
                })
                .collect(),
            others: self.others,
        }
    }

    /// Sizes of the tables the traffic fills, for tests of the caps: open connections,
    /// principals, conversations, command rows, remembered requests, error rows, presence
    /// rows, contacts.
    pub fn sizes(&self) -> [usize; 8] {
        [
            self.open.len(),
            self.principals.len(),
            self.conversations.len(),
            self.command_rows,
            self.requests.len(),
            self.errors.len(),
            self.presence.len(),
            self.contacts.len(),
        ]
    }
}

impl Sink for Stats {
    fn wants_notes(&self) -> bool {
        false
    }

    /// Presence, the client's name and capabilities and the sign-in, and what the
    /// correlator reads: about half the commands of the generated captures. Contact lists
    /// (`LST`, `LSG`), pings, challenges and the rest go unnamed.
    fn wants_fields(&self) -> FieldsWanted {
        FieldsWanted::Verbs(reads_fields)
    }

    /// The summary counts text messages but never reads their text: its correlator keeps
    /// message entries without it.
    fn wants_text(&self) -> bool {
        false
    }

    fn event(&mut self, ev: &Event) -> io::Result<()> {
        match ev {
            Event::ConnectionOpened(info) | Event::ConnectionUpdate(info) => self.connection(info),
            Event::Command(cmd) => self.command(cmd),
            Event::ConnectionClosed { flow, role, .. } => {
                if let Some(c) = self.open.remove(flow) {
                    self.close(c, Some(*role));
                }
            }
            Event::Gap { len, reason, .. } => {
                // Gap reasons are the few variants of `GapReason`: no cap needed.
                let g = self.gaps.entry(wire::gap_reason(*reason)).or_default();
                g.0 += 1;
                g.1 += len;
            }
            Event::Anomaly { name, .. } => {
                if !bump(&mut self.anomalies, *name, MAX_ANOMALY_ROWS) {
                    self.others.anomalies += 1;
                }
            }
            Event::ObjectStarted(o) => {
                // Kinds and transports are the few variants of their enums: no cap needed.
                let key = (wire::object_kind(o.kind), wire::transport(o.transport));
                let row = self.objects.entry(key).or_default();
                row.started += 1;
                row.declared_bytes += o.size.unwrap_or(0);
            }
            Event::Extracted(x) => {
                let key = (wire::object_kind(x.kind), wire::transport(x.transport));
                let row = self.objects.entry(key).or_default();
                row.extracted += 1;
                row.bytes_written += x.bytes_written;
                row.partial += u64::from(x.partial);
            }
            Event::MsnftpBlock(_)
            | Event::MsnftpTransfer(_)
            | Event::ObjectData { .. }
            | Event::ObjectEnded { .. } => {}
        }
        self.correlator.event(ev);
        for c in self.correlator.take_finished() {
            self.conversation(&c);
        }
        Ok(())
    }
}

/// Whether [`Stats`] reads the named fields of commands with this verb: presence (`NLN`,
/// `ILN`, `FLN`, `CHG`), the client (`CVR`, `CHG`) and the sign-in (`USR`), and what its
/// correlator reads ([`Correlator::conversations_read_fields`]).
fn reads_fields(verb: Verb) -> bool {
    matches!(&verb.0, b"NLN" | b"ILN" | b"FLN" | b"CHG" | b"CVR" | b"USR")
        || Correlator::conversations_read_fields(verb)
}

/// The rows of the command counts, sorted by verb and then direction (`c2s` before `s2c`).
fn command_rows(counts: foldhash::HashMap<Verb, [u64; 2]>) -> Vec<CommandRow> {
    let mut verbs: Vec<(Verb, [u64; 2])> = counts.into_iter().collect();
    verbs.sort_unstable_by_key(|v| v.0);
    let sides = [Direction::ClientToServer, Direction::ServerToClient];
    let mut rows = Vec::new();
    for (verb, counts) in verbs {
        for (side, count) in sides.into_iter().zip(counts) {
            if count > 0 {
                rows.push(CommandRow {
                    verb: verb.to_string(),
                    dir: wire::dir(side),
                    count,
                });
            }
        }
    }
    rows
}

/// Capture text for the terminal, `-` when absent.
fn shown(text: Option<&str>) -> String {
    text.map_or_else(|| "-".to_string(), escape_text)
}

fn new_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(header.to_vec());
    t
}

fn duration(first: Timestamp, last: Timestamp) -> String {
    let d = last.saturating_duration_since(first);
    format!("{}.{:03} s", d.as_secs(), d.subsec_millis())
}

/// The report as titled tables for a terminal; a section with nothing to show says so in one
/// line.
pub fn tables(r: &StatsReport) -> String {
    let mut out = String::new();
    let mut section = |title: String, table: Option<Table>| {
        out.push_str(&title);
        match table {
            Some(t) => {
                out.push('\n');
                out.push_str(&t.to_string());
                out.push_str("\n\n");
            }
            None => out.push_str(": none\n\n"),
        }
    };

    let mut t = new_table(&["role", "dialect", "connections"]);
    for c in &r.connections {
        t.add_row(vec![
            c.role.to_string(),
            shown(c.dialect.as_deref()),
            c.count.to_string(),
        ]);
    }
    section(
        "Connections by role and dialect".into(),
        (!r.connections.is_empty()).then_some(t),
    );

    let mut t = new_table(&[
        "principal",
        "client",
        "client id caps",
        "MSNC",
        "login (UTC)",
        "IP",
        "connections",
        "conversations",
    ]);
    for p in &r.principals {
        let client = match (&p.client_name, &p.client_version) {
            (Some(n), Some(v)) => format!("{} {}", escape_text(n), escape_text(v)),
            (Some(n), None) => escape_text(n),
            (None, Some(v)) => escape_text(v),
            (None, None) => "-".into(),
        };
        let caps = match &p.client_caps {
            Some(c) if c.is_empty() => "none".to_string(),
            Some(c) => c
                .iter()
                .map(|s| escape_text(s))
                .collect::<Vec<_>>()
                .join(","),
            None => "-".into(),
        };
        t.add_row(vec![
            escape_text(&p.handle),
            client,
            caps,
            p.msnc.map_or_else(|| "-".into(), |m| format!("MSNC{m}")),
            p.login.map_or_else(|| "-".into(), utc),
            p.ip.map_or_else(|| "-".into(), |ip| ip.to_string()),
            p.connections.to_string(),
            p.conversations.to_string(),
        ]);
    }
    if r.others.principal_connections > 0 {
        t.add_row(vec![
            "(others)".to_string(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            r.others.principal_connections.to_string(),
            String::new(),
        ]);
    }
    section(
        "Principals (signed-in users)".into(),
        (!r.principals.is_empty()).then_some(t),
    );

    let mut t = new_table(&[
        "id",
        "connections",
        "local side",
        "others",
        "start (UTC)",
        "duration",
        "messages",
    ]);
    let handles = |list: &[String]| {
        if list.is_empty() {
            "-".to_string()
        } else {
            list.iter()
                .map(|p| escape_text(p))
                .collect::<Vec<_>>()
                .join("\n")
        }
    };
    for c in &r.conversations {
        let flows: Vec<String> = c.flows.iter().map(|f| f.to_string()).collect();
        t.add_row(vec![
            c.id.to_string(),
            flows.join(" "),
            handles(&c.principals),
            handles(&c.participants),
            utc(c.first),
            duration(c.first, c.last),
            c.messages.to_string(),
        ]);
    }
    let mut title =
        "Conversations (switchboard sessions, captured connections merged, each message once)"
            .to_string();
    if r.others.conversations > 0 {
        title.push_str(&format!(", {} more not listed", r.others.conversations));
    }
    section(title, (!r.conversations.is_empty()).then_some(t));

    let mut t = new_table(&["verb", "c→s", "s→c"]);
    let mut by_verb: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for c in &r.commands {
        let e = by_verb.entry(c.verb.as_str()).or_default();
        if c.dir == "c2s" {
            e.0 += c.count;
        } else {
            e.1 += c.count;
        }
    }
    for (verb, (c2s, s2c)) in &by_verb {
        t.add_row(vec![escape_text(verb), c2s.to_string(), s2c.to_string()]);
    }
    if r.others.commands > 0 {
        t.add_row(vec![
            "(others)".to_string(),
            r.others.commands.to_string(),
            String::new(),
        ]);
    }
    section(
        "Commands by verb and direction".into(),
        (!r.commands.is_empty()).then_some(t),
    );

    let mut t = new_table(&["error", "meaning", "request", "count"]);
    for e in &r.errors {
        t.add_row(vec![
            e.code.to_string(),
            e.meaning.unwrap_or("(undocumented)").to_string(),
            shown(e.request.as_deref()),
            e.count.to_string(),
        ]);
    }
    section("Errors".into(), (!r.errors.is_empty()).then_some(t));

    let mut t = new_table(&["verb", "status", "count"]);
    for p in &r.presence {
        let status = match (&p.status, &p.status_name) {
            (Some(s), Some(n)) => format!("{} ({})", escape_text(s), escape_text(n)),
            (Some(s), None) => escape_text(s),
            (None, _) => "offline".into(),
        };
        t.add_row(vec![escape_text(&p.verb), status, p.count.to_string()]);
    }
    let contacts = if r.contacts_capped {
        format!("at least {}", r.contacts)
    } else {
        r.contacts.to_string()
    };
    section(
        format!("Presence changes ({contacts} distinct contacts)"),
        (!r.presence.is_empty()).then_some(t),
    );

    let mut t = new_table(&[
        "kind",
        "transport",
        "started",
        "declared B",
        "extracted",
        "written B",
        "partial",
    ]);
    for o in &r.objects {
        t.add_row(vec![
            o.kind.to_string(),
            o.transport.to_string(),
            o.started.to_string(),
            o.declared_bytes.to_string(),
            o.extracted.to_string(),
            o.bytes_written.to_string(),
            o.partial.to_string(),
        ]);
    }
    section("Objects".into(), (!r.objects.is_empty()).then_some(t));

    let mut t = new_table(&["anomaly", "count"]);
    for a in &r.anomalies {
        t.add_row(vec![a.name.to_string(), a.count.to_string()]);
    }
    if r.others.anomalies > 0 {
        t.add_row(vec!["(others)".to_string(), r.others.anomalies.to_string()]);
    }
    section("Anomalies".into(), (!r.anomalies.is_empty()).then_some(t));

    let mut t = new_table(&["gap reason", "count", "bytes"]);
    for g in &r.gaps {
        t.add_row(vec![
            g.reason.to_string(),
            g.count.to_string(),
            g.bytes.to_string(),
        ]);
    }
    section("Gaps".into(), (!r.gaps.is_empty()).then_some(t));
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Channel, CommandEvent, LineEnd};
    use crate::msnp::named::Fields;

    fn command(flow: u64, verb: &str, dir: Direction, trid: Option<u32>, f: Fields) -> Event {
        Event::Command(Box::new(CommandEvent {
            flow: FlowId(flow),
            frame: 1,
            ts: Timestamp::new(1000, 0),
            dir,
            role: Role::Notification,
            channel: Channel::Ns,
            dialect: None,
            verb: Verb::new(verb.as_bytes().try_into().expect("a three-byte verb")),
            trid,
            params: Vec::new(),
            fields: f,
            payload_len: None,
            payload_received: None,
            line_end: LineEnd::Crlf,
            offset: 0,
            reply_to: None,
            note: None,
            line: Vec::new(),
            payload_bytes: None,
            msnc: None,
        }))
    }

    fn handle(h: String) -> Fields {
        let mut f = Fields::new();
        f.set(Name::Handle, Value::Text(h));
        f
    }

    /// Contacts are counted once each, by their exact handle (case included), from the
    /// server's presence notices only.
    #[test]
    fn distinct_contacts_are_counted_exactly() {
        let mut s = Stats::new();
        let notices = [
            ("NLN", "a@x"),
            ("ILN", "a@x"),
            ("FLN", "a@x"),
            ("NLN", "A@x"),
            ("NLN", "b@x"),
        ];
        for (verb, h) in notices {
            s.event(&command(
                1,
                verb,
                Direction::ServerToClient,
                None,
                handle(h.into()),
            ))
            .unwrap();
        }
        // The client's own change names no contact.
        s.event(&command(
            1,
            "CHG",
            Direction::ClientToServer,
            Some(9),
            handle("c@x".into()),
        ))
        .unwrap();
        let r = s.report();
        assert_eq!((r.contacts, r.contacts_capped), (3, false));
    }

    /// 100k commands with distinct verbs, TrIDs, handles, statuses, error codes, connections
    /// and principals: every table stays at its cap, and what did not fit is counted.
    #[test]
    fn state_stays_within_its_caps_whatever_the_traffic() {
        let mut s = Stats::new();
        const N: u64 = 100_000;
        for i in 0..N {
            let flow = i;
            let trid = Some(i as u32);
            let mut info = ConnectionInfo::example(flow);
            info.principal = Some(format!("user{i}@example.com"));
            info.role = Role::Switchboard;
            s.event(&Event::ConnectionOpened(info)).unwrap();
            // 676 distinct three-letter verbs, more than the rows kept, none of them real
            // (no MSNP verb starts with Z), so that none counts as anything else.
            let letter = |n: u64| char::from(b'A' + (n % 26) as u8);
            let verb = format!("Z{}{}", letter(i / 26), letter(i));
            s.event(&command(
                flow,
                &verb,
                Direction::ClientToServer,
                trid,
                handle(format!("c{i}")),
            ))
            .unwrap();
            let mut nln = handle(format!("contact{i}@example.com"));
            nln.set(Name::Status, Value::Text(format!("S{i}")));
            s.event(&command(flow, "NLN", Direction::ServerToClient, None, nln))
                .unwrap();
            let code = 100 + (i % 900);
            s.event(&command(
                flow,
                &code.to_string(),
                Direction::ServerToClient,
                trid,
                Fields::new(),
            ))
            .unwrap();
            let joi = handle(format!("p{i}@example.com"));
            s.event(&command(flow, "JOI", Direction::ServerToClient, None, joi))
                .unwrap();
            let [
                open,
                principals,
                conversations,
                commands,
                requests,
                errors,
                presence,
                contacts,
            ] = s.sizes();
            assert!(open <= MAX_OPEN_CONNECTIONS);
            assert!(principals <= MAX_PRINCIPALS);
            assert!(conversations <= MAX_CONVERSATIONS);
            assert!(commands <= MAX_COMMAND_ROWS);
            assert!(requests <= MAX_PENDING_REQUESTS);
            assert!(errors <= MAX_ERROR_ROWS);
            assert!(presence <= MAX_PRESENCE_ROWS);
            assert!(contacts <= MAX_CONTACTS);
        }
        assert_eq!(
            s.sizes(),
            [
                MAX_OPEN_CONNECTIONS,
                MAX_PRINCIPALS,
                MAX_CONVERSATIONS,
                MAX_COMMAND_ROWS,
                MAX_PENDING_REQUESTS,
                MAX_ERROR_ROWS,
                MAX_PRESENCE_ROWS,
                MAX_CONTACTS
            ]
        );
        let r = s.report();
        assert!(r.contacts_capped);
        assert_eq!(r.principals.len(), MAX_PRINCIPALS);
        assert_eq!(r.conversations.len(), MAX_CONVERSATIONS);
        // Every connection is counted somewhere: by role, and by principal or as others.
        let connections: u64 = r.connections.iter().map(|c| c.count).sum();
        assert_eq!(connections, N);
        let by_principal: u64 = r.principals.iter().map(|p| p.connections).sum();
        assert_eq!(by_principal + r.others.principal_connections, N);
        assert_eq!(
            r.conversations.len() as u64 + r.others.conversations,
            N,
            "every switchboard connection is a row or counted"
        );
        // Commands: 5 per connection, each a row or counted as others.
        let commands: u64 = r.commands.iter().map(|c| c.count).sum();
        assert_eq!(commands + r.others.commands, 4 * N);
        let errors: u64 = r.errors.iter().map(|e| e.count).sum();
        assert_eq!(errors + r.others.errors, N);
        let presence: u64 = r.presence.iter().map(|p| p.count).sum();
        assert_eq!(presence + r.others.presence, N);
    }

    /// An error names the verb of the client request with its TrID on the same connection.
    #[test]
    fn an_error_names_the_request_it_answers() {
        let mut s = Stats::new();
        s.event(&command(
            1,
            "CAL",
            Direction::ClientToServer,
            Some(7),
            Fields::new(),
        ))
        .unwrap();
        s.event(&command(
            2,
            "ADD",
            Direction::ClientToServer,
            Some(7),
            Fields::new(),
        ))
        .unwrap();
        s.event(&command(
            1,
            "217",
            Direction::ServerToClient,
            Some(7),
            Fields::new(),
        ))
        .unwrap();
        s.event(&command(
            1,
            "911",
            Direction::ServerToClient,
            Some(8),
            Fields::new(),
        ))
        .unwrap();
        let r = s.report();
        assert_eq!(
            r.errors,
            vec![
                ErrorRow {
                    code: 217,
                    meaning: Some("principal not online"),
                    request: Some("CAL".into()),
                    count: 1
                },
                ErrorRow {
                    code: 911,
                    meaning: error_meaning(911),
                    request: None,
                    count: 1
                },
            ]
        );
    }

    /// Handles from the capture reach the terminal escaped.
    #[test]
    fn capture_text_in_the_tables_is_escaped() {
        let mut s = Stats::new();
        let mut info = ConnectionInfo::example(1);
        info.principal = Some("evil\u{1b}[2J\u{202e}@x".into());
        info.role = Role::Notification;
        s.event(&Event::ConnectionOpened(info)).unwrap();
        let out = tables(&s.report());
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{202e}'),
            "{out}"
        );
        assert!(out.contains("evil\\x1B[2J\\u{202E}@x"), "{out}");
    }
}
