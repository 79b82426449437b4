//! The public JSON interface, as types of its own.
//!
//! Why it exists: the decoder's types ([`crate::event`], [`crate::flow`]) are free to change
//! (a variant renamed, a field moved). The JSON that `read --format jsonl|json` and
//! `flows --format jsonl|json` write is a documented interface (`docs/events.md`,
//! `docs/events.schema.json`) and must not move with them. So every name and every string
//! value that reaches the JSON is spelt out here: the structs below borrow from the events and
//! name their fields, and each internal enum is turned into its JSON string by an exhaustive
//! `match` (a new variant does not compile until it is given a name here).
//!
//! Guarantees: field order and values are those of the interface (the golden `*.events.jsonl`
//! and `*.flows.jsonl` files pin them byte for byte); `ts` is an exact decimal number with nine
//! decimals, never rounded through a float; nothing here relies on an internal type's own
//! serialization, except a command's `fields` (see `Fields` below).

use crate::Direction;
use crate::capture::{FileMap, Timestamp};
use crate::event::{
    BlockEvent, Channel, ClientLevel, CommandEvent, ConnectionInfo, DialectSource, Event,
    Extracted, LineEnd, ObjectKind, Party, ReplyTo, Role, TransferSummary, Transport,
};
use crate::flow::{Closing, Detection, ExpectedKind, FlowSummary, GapRecord, Opening};
use crate::msnc::control::{Emoticon, Ink, PacketInfo, SlpInfo};
use crate::msnc::invite::{App, Command as InviteCommand, Invitation, cancel_meaning};
use crate::msnc::msnobject::MsnObject;
use crate::msnc::notify::Profile;
use crate::msnc::slp::{self, Context};
use crate::msnc::text::{Effect, Encoding, Format, charset_name, color_hex};
use crate::msnc::{Kind, Message};
use crate::msnp::Dialect;
use crate::msnp::named::{Entry, Value};
use crate::reassembly::GapReason;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt::Display;
use std::net::SocketAddr;

/// Whether the interface writes this event: an object's start, bytes and end are internal
/// (the `--extract` sink reads them and reports `extracted`).
pub fn is_written(ev: &Event) -> bool {
    !matches!(
        ev,
        Event::ObjectStarted(_) | Event::ObjectData { .. } | Event::ObjectEnded { .. }
    )
}

/// An `extracted` event, also the sidecar `NAME.json` beside the extracted file.
pub fn extracted(x: &Extracted) -> impl Serialize + '_ {
    WireExtracted::new(x, Place::default())
}

/// An event as the interface writes it: `{"type": ..., ...}`. Only for events
/// [`is_written`] accepts (the others serialize as `null`).
pub fn event(ev: &Event) -> WireEvent<'_> {
    WireEvent(ev, None)
}

/// [`event`], read from several files: with `capture_file` (1-based) and `file_frame` (the frame's
/// number in its own file, as Wireshark numbers it there) beside the run's `frame`.
pub fn event_in<'a>(ev: &'a Event, files: &'a FileMap) -> WireEvent<'a> {
    WireEvent(ev, Some(files))
}

/// Where a frame lies when several files were read: its file and its number there.
#[derive(Clone, Copy, Debug, Default)]
pub struct Place {
    file: Option<u32>,
    file_frame: Option<u64>,
}

impl Place {
    fn of(files: Option<&FileMap>, frame: u64) -> Place {
        match files.and_then(|m| m.locate(frame)) {
            Some((file, file_frame)) => Place {
                file: Some(file),
                file_frame: Some(file_frame),
            },
            None => Place::default(),
        }
    }
}

/// A row of `msnsniff flows --format jsonl|json`, also the `summary` of `connection_closed`:
/// the flow layer's summary, with the role, dialect and signed-in user the decoder found.
pub fn flow_row<'a>(
    s: &'a FlowSummary,
    r: Role,
    d: Option<Dialect>,
    principal: Option<&'a str>,
) -> FlowRow<'a> {
    FlowRow {
        id: s.id.0,
        role: role(r),
        dialect: dialect(d),
        principal,
        client: Text(s.client),
        server: Text(s.server),
        community_id: crate::flow::community_id(s.client, s.server),
        first_ts: Ts(s.first_ts),
        last_ts: Ts(s.last_ts),
        first_frame: s.first_frame,
        detection: detection(&s.detection),
        opening: opening(s.opening),
        closing: closing(s.closing),
        reset_by: s.reset_by.map(dir),
        client_packets: s.client_packets,
        server_packets: s.server_packets,
        client_bytes: s.client_bytes,
        server_bytes: s.server_bytes,
        gap_count: s.gap_count,
        gap_bytes: s.gap_bytes,
        gaps: Gaps(&s.gaps),
        anomalies: &s.anomalies,
    }
}

// ---- the strings of the interface ----

pub fn role(r: Role) -> &'static str {
    match r {
        Role::Dispatch => "DS",
        Role::Notification => "NS",
        Role::Switchboard => "SB",
        Role::FileTransfer => "MSNFTP",
        Role::Unknown => "unknown",
    }
}

pub fn channel(c: Channel) -> &'static str {
    match c {
        Channel::Ns => "NS",
        Channel::Sb => "SB",
        Channel::Msnc => "MSNC",
    }
}

pub fn dir(d: Direction) -> &'static str {
    match d {
        Direction::ClientToServer => "c2s",
        Direction::ServerToClient => "s2c",
    }
}

pub fn line_end(e: LineEnd) -> &'static str {
    match e {
        LineEnd::Crlf => "crlf",
        LineEnd::Lf => "lf",
        LineEnd::None => "none",
    }
}

pub fn dialect_source(s: DialectSource) -> &'static str {
    match s {
        DialectSource::Ver => "ver",
        DialectSource::Inherited => "inherited",
        DialectSource::Inferred => "inferred",
        DialectSource::Announced => "announced",
    }
}

pub fn party(p: Party) -> &'static str {
    match p {
        Party::Sender => "sender",
        Party::Receiver => "receiver",
    }
}

pub fn gap_reason(r: GapReason) -> &'static str {
    match r {
        GapReason::Acked => "acked",
        GapReason::Eof => "eof",
        GapReason::Idle => "idle",
        GapReason::Capacity => "capacity",
        GapReason::Evicted => "evicted",
        GapReason::Truncated => "truncated",
        GapReason::Reset => "reset",
    }
}

pub fn opening(o: Opening) -> &'static str {
    match o {
        Opening::Syn => "syn",
        Opening::SynAck => "syn_ack",
        Opening::Midstream => "midstream",
    }
}

pub fn closing(c: Closing) -> &'static str {
    match c {
        Closing::Fin => "fin",
        Closing::HalfClosed => "half_closed",
        Closing::Rst => "rst",
        Closing::Open => "open",
        Closing::Evicted => "evicted",
        Closing::Idle => "idle",
    }
}

pub fn expected_kind(k: ExpectedKind) -> &'static str {
    match k {
        ExpectedKind::Switchboard => "switchboard",
        ExpectedKind::FileTransfer => "file_transfer",
        ExpectedKind::Notification => "notification",
    }
}

fn detection(d: &Detection) -> WireDetection {
    match d {
        Detection::Port { port } => WireDetection {
            by: "port",
            port: Some(*port),
            kind: None,
            announced_by: None,
        },
        Detection::Announced { kind, announced_by } => WireDetection {
            by: "announced",
            port: None,
            kind: Some(expected_kind(*kind)),
            announced_by: Some(announced_by.0),
        },
        Detection::Content => WireDetection {
            by: "content",
            port: None,
            kind: None,
            announced_by: None,
        },
    }
}

// ---- scalar values ----

/// A capture time: a JSON number with exactly nine decimals (`1136000000.041000000`), written
/// from the integer parts so that no precision is lost to floating point.
#[derive(Clone, Copy, Debug)]
pub struct Ts(pub Timestamp);

impl Ts {
    fn decimal(&self) -> String {
        let mut out = Vec::with_capacity(30);
        self.write_decimal(&mut out);
        // Digits, a point and perhaps a sign: ASCII.
        String::from_utf8(out).unwrap_or_default()
    }

    /// Appends the decimal to `out`: what a command's writer writes, without the copy and
    /// the check of a JSON `RawValue`.
    fn write_decimal(&self, out: &mut Vec<u8>) {
        // The usual case, a time after 1970 with nanoseconds in range, from the two integers
        // without i128 arithmetic or the formatting machinery (this runs once per event).
        if let (Ok(secs), true) = (u64::try_from(self.0.secs), self.0.nanos < 1_000_000_000) {
            let mut digits = itoa::Buffer::new();
            out.extend_from_slice(digits.format(secs).as_bytes());
            out.push(b'.');
            // The nanoseconds with their leading zeros: those of 1xxxxxxxxx, less the 1.
            let nanos = digits.format(1_000_000_000 + u64::from(self.0.nanos));
            out.extend_from_slice(&nanos.as_bytes()[1..]);
            return;
        }
        let total = i128::from(self.0.secs) * 1_000_000_000 + i128::from(self.0.nanos);
        let sign = if total < 0 { "-" } else { "" };
        let abs = total.unsigned_abs();
        let text = format!("{sign}{}.{:09}", abs / 1_000_000_000, abs % 1_000_000_000);
        out.extend_from_slice(text.as_bytes());
    }
}

impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.decimal();
        match serde_json::value::RawValue::from_string(text) {
            Ok(raw) => raw.serialize(s),
            // Unreachable: the text above is always a valid JSON number.
            Err(_) => s.serialize_f64(self.0.secs as f64 + f64::from(self.0.nanos) / 1e9),
        }
    }
}

/// A capture time as a whole number of nanoseconds since the epoch (`1136000000041000000`),
/// for readers that parse `ts` into a double and lose its last digits. Written from the
/// integer parts, exact at any size.
#[derive(Clone, Copy, Debug)]
pub struct TsNs(pub Timestamp);

impl TsNs {
    fn total(&self) -> i128 {
        i128::from(self.0.secs) * 1_000_000_000 + i128::from(self.0.nanos)
    }

    /// The time as a u64, when it fits (every time from 1970 to 2554).
    fn as_u64(&self) -> Option<u64> {
        u64::try_from(self.total()).ok()
    }
}

impl Serialize for TsNs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The same digits either way; a u64 is written without 128-bit division.
        match self.as_u64() {
            Some(total) => s.serialize_u64(total),
            None => s.serialize_i128(self.total()),
        }
    }
}

/// A value written as its `Display` text: addresses (`"10.0.0.1:1863"`, `"[::1]:1863"`) and
/// dialects (`"MSNP8"`).
#[derive(Clone, Copy, Debug)]
pub struct Text<T>(pub T);

impl<T: Display> Serialize for Text<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

fn dialect(d: Option<Dialect>) -> Option<WireDialect> {
    d.map(WireDialect)
}

/// A dialect as its name (`"MSNP8"`, `"MSNFTP"`): the usual ones from a table, since every
/// command carries one.
#[derive(Clone, Copy, Debug)]
pub struct WireDialect(pub Dialect);

impl Serialize for WireDialect {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        const NAMES: [&str; 22] = [
            "MSNFTP", "MSNP1", "MSNP2", "MSNP3", "MSNP4", "MSNP5", "MSNP6", "MSNP7", "MSNP8",
            "MSNP9", "MSNP10", "MSNP11", "MSNP12", "MSNP13", "MSNP14", "MSNP15", "MSNP16",
            "MSNP17", "MSNP18", "MSNP19", "MSNP20", "MSNP21",
        ];
        match NAMES.get(usize::from(self.0.0)) {
            Some(name) => s.serialize_str(name),
            None => s.collect_str(&self.0),
        }
    }
}

// ---- events ----

/// Any event; serializes as the object of its type.
#[derive(Clone, Copy, Debug)]
pub struct WireEvent<'a>(pub &'a Event, pub Option<&'a FileMap>);

impl Serialize for WireEvent<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let at = |frame: u64| Place::of(self.1, frame);
        match self.0 {
            Event::ConnectionOpened(c) => {
                Connection::new("connection_opened", c, at(c.frame)).serialize(s)
            }
            Event::ConnectionUpdate(c) => {
                Connection::new("connection_update", c, at(c.frame)).serialize(s)
            }
            Event::Command(c) => Command::new(c, at(c.frame)).serialize(s),
            Event::MsnftpBlock(b) => WireBlock::new(b, at(b.frame)).serialize(s),
            Event::MsnftpTransfer(t) => WireTransfer::new(t, at(t.frame)).serialize(s),
            Event::Extracted(x) => WireExtracted::new(x, at(x.frame)).serialize(s),
            Event::ObjectStarted(_) | Event::ObjectData { .. } | Event::ObjectEnded { .. } => {
                s.serialize_unit()
            }
            Event::Gap {
                flow,
                frame,
                ts,
                dir: d,
                offset,
                len,
                reason,
            } => {
                let place = at(*frame);
                Gap {
                    kind: "gap",
                    flow: flow.0,
                    frame: *frame,
                    capture_file: place.file,
                    file_frame: place.file_frame,
                    ts: Ts(*ts),
                    ts_ns: TsNs(*ts),
                    dir: dir(*d),
                    offset: *offset,
                    len: *len,
                    reason: gap_reason(*reason),
                }
                .serialize(s)
            }
            Event::Anomaly {
                flow,
                frame,
                ts,
                dir: d,
                name,
                detail,
            } => {
                let place = at(*frame);
                Anomaly {
                    kind: "anomaly",
                    flow: flow.map(|f| f.0),
                    frame: *frame,
                    capture_file: place.file,
                    file_frame: place.file_frame,
                    ts: Ts(*ts),
                    ts_ns: TsNs(*ts),
                    dir: d.map(dir),
                    name,
                    detail,
                }
                .serialize(s)
            }
            Event::ConnectionClosed {
                flow,
                frame,
                ts,
                role: r,
                closing: c,
                summary,
                dialect: d,
                principal,
            } => {
                let place = at(*frame);
                Closed {
                    kind: "connection_closed",
                    flow: flow.0,
                    frame: *frame,
                    capture_file: place.file,
                    file_frame: place.file_frame,
                    ts: Ts(*ts),
                    ts_ns: TsNs(*ts),
                    role: role(*r),
                    closing: closing(*c),
                    summary: flow_row(summary, *r, *d, principal.as_deref()),
                }
                .serialize(s)
            }
        }
    }
}

/// `connection_opened` and `connection_update`.
#[derive(Serialize)]
struct Connection<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    flow: u64,
    frame: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    capture_file: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_frame: Option<u64>,
    ts: Ts,
    ts_ns: TsNs,
    client: Text<SocketAddr>,
    server: Text<SocketAddr>,
    community_id: String,
    role: &'static str,
    role_reason: &'a str,
    dialect: Option<WireDialect>,
    dialect_source: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dialect_basis: Option<&'a str>,
    detection: WireDetection,
    opening: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    announced_by: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_msnc: Option<WireLevel<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    participants: Vec<WireParticipant<'a>>,
}

/// An MSNC level and what told it: `{"level":6,"basis":"the client id in CHG"}`.
#[derive(Serialize)]
struct WireLevel<'a> {
    level: u8,
    basis: &'a str,
}

impl<'a> WireLevel<'a> {
    fn new(l: &'a ClientLevel) -> Self {
        WireLevel {
            level: l.level,
            basis: &l.basis,
        }
    }
}

/// `{"handle":"bob@x","msnc":{...}}`.
#[derive(Serialize)]
struct WireParticipant<'a> {
    handle: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    msnc: Option<WireLevel<'a>>,
}

impl<'a> Connection<'a> {
    fn new(kind: &'static str, c: &'a ConnectionInfo, place: Place) -> Self {
        Connection {
            kind,
            flow: c.flow.0,
            frame: c.frame,
            capture_file: place.file,
            file_frame: place.file_frame,
            ts: Ts(c.ts),
            ts_ns: TsNs(c.ts),
            client: Text(c.client),
            server: Text(c.server),
            community_id: crate::flow::community_id(c.client, c.server),
            role: role(c.role),
            role_reason: &c.role_reason,
            dialect: dialect(c.dialect),
            dialect_source: c.dialect_source.map(dialect_source),
            dialect_basis: c.dialect_basis.as_deref(),
            detection: detection(&c.detection),
            opening: opening(c.opening),
            announced_by: c.announced_by.map(|f| f.0),
            principal: c.principal.as_deref(),
            client_msnc: c.clients.own.as_ref().map(WireLevel::new),
            participants: c
                .clients
                .participants
                .iter()
                .map(|p| WireParticipant {
                    handle: &p.handle,
                    msnc: p.msnc.as_ref().map(WireLevel::new),
                })
                .collect(),
        }
    }
}

/// `detection`: `{"by":"port","port":1863}`, `{"by":"announced","kind":"switchboard",
/// "announced_by":1}` or `{"by":"content"}`.
#[derive(Serialize)]
struct WireDetection {
    by: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    announced_by: Option<u64>,
}

/// `command`.
#[derive(Serialize)]
struct Command<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    flow: u64,
    frame: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    capture_file: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_frame: Option<u64>,
    ts: Ts,
    ts_ns: TsNs,
    dir: &'static str,
    role: &'static str,
    channel: &'static str,
    dialect: Option<WireDialect>,
    verb: &'a str,
    trid: Option<u32>,
    params: &'a [String],
    fields: Fields<'a>,
    payload_len: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload_received: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload_base64: Option<String>,
    line_end: &'static str,
    offset: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to: Option<WireReplyTo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    /// On `MSG`, `UUM`, `UBM`: who wrote the message (null when unknown).
    #[serde(skip_serializing_if = "Option::is_none")]
    sender: Option<Option<&'a str>>,
    /// On `MSG`, `UUM`, `UBM`: the content type (null when there is none).
    #[serde(skip_serializing_if = "Option::is_none")]
    content_type: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    charset: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<WireFormat<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    msnc: Option<Msnc<'a>>,
}

impl<'a> Command<'a> {
    fn new(c: &'a CommandEvent, place: Place) -> Self {
        Command {
            kind: "command",
            flow: c.flow.0,
            frame: c.frame,
            capture_file: place.file,
            file_frame: place.file_frame,
            ts: Ts(c.ts),
            ts_ns: TsNs(c.ts),
            dir: dir(c.dir),
            role: role(c.role),
            channel: channel(c.channel),
            dialect: dialect(c.dialect),
            verb: c.verb.as_str(),
            trid: c.trid,
            params: &c.params,
            fields: Fields(c),
            payload_len: c.payload_len,
            payload_received: c.payload_received,
            payload: c.payload_text(),
            payload_base64: match (&c.payload_bytes, c.payload_text()) {
                (Some(bytes), None) => Some(base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    bytes,
                )),
                _ => None,
            },
            line_end: line_end(c.line_end),
            offset: c.offset,
            reply_to: c
                .reply_to
                .map(|ReplyTo { frame, delay_ms }| WireReplyTo { frame, delay_ms }),
            note: c.note.as_deref(),
            sender: c.msnc.as_ref().map(|m| m.sender.as_deref()),
            content_type: c.msnc.as_ref().map(|m| m.content_type.as_deref()),
            charset: c.msnc.as_ref().and_then(|m| m.charset.as_deref()),
            text: c
                .msnc
                .as_ref()
                .and_then(|m| m.text())
                .map(|t| t.text.as_str()),
            format: c
                .msnc
                .as_ref()
                .and_then(|m| m.text())
                .and_then(|t| t.format.as_ref())
                .map(WireFormat),
            msnc: c.msnc.as_deref().map(Msnc),
        }
    }
}

impl Command<'_> {
    /// Writes the command as `serde_json::to_writer` writes its derived form, byte for byte,
    /// but with its keys as literal bytes (serde_json escapes every key it writes, and a
    /// command has some twenty), its time, strings and `format` by our own writers, and only
    /// the rarer nested values (`msnc`, `reply_to`) through serde_json. Tested against the
    /// derived form on every bundled capture, and by the `message` fuzz target.
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        fn value(
            out: &mut Vec<u8>,
            key: &[u8],
            v: &(impl Serialize + ?Sized),
        ) -> serde_json::Result<()> {
            out.extend_from_slice(key);
            serde_json::to_writer(&mut *out, v)
        }
        fn string(out: &mut Vec<u8>, key: &[u8], s: &str) {
            out.extend_from_slice(key);
            write_str(out, s);
        }
        /// A string key left out when absent, `null` when `Some(None)`.
        fn text(out: &mut Vec<u8>, key: &[u8], v: Option<Option<&str>>) {
            match v {
                None => {}
                Some(Some(t)) => string(out, key, t),
                Some(None) => {
                    out.extend_from_slice(key);
                    out.extend_from_slice(b"null");
                }
            }
        }
        fn int(out: &mut Vec<u8>, key: &[u8], n: u64) {
            out.extend_from_slice(key);
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
        }
        /// A key left out when its value is (`skip_serializing_if = "Option::is_none"`).
        fn some(
            out: &mut Vec<u8>,
            key: &[u8],
            v: Option<&(impl Serialize + ?Sized)>,
        ) -> serde_json::Result<()> {
            match v {
                Some(v) => value(out, key, v),
                None => Ok(()),
            }
        }
        string(out, b"{\"type\":", self.kind);
        int(out, b",\"flow\":", self.flow);
        int(out, b",\"frame\":", self.frame);
        if let Some(file) = self.capture_file {
            int(out, b",\"capture_file\":", u64::from(file));
        }
        if let Some(frame) = self.file_frame {
            int(out, b",\"file_frame\":", frame);
        }
        out.extend_from_slice(b",\"ts\":");
        self.ts.write_decimal(out);
        match self.ts_ns.as_u64() {
            Some(n) => int(out, b",\"ts_ns\":", n),
            None => value(out, b",\"ts_ns\":", &self.ts_ns)?,
        }
        string(out, b",\"dir\":", self.dir);
        string(out, b",\"role\":", self.role);
        string(out, b",\"channel\":", self.channel);
        value(out, b",\"dialect\":", &self.dialect)?;
        string(out, b",\"verb\":", self.verb);
        value(out, b",\"trid\":", &self.trid)?;
        out.extend_from_slice(b",\"params\":[");
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, p);
        }
        out.push(b']');
        out.extend_from_slice(b",\"fields\":");
        self.fields.write_json(out)?;
        value(out, b",\"payload_len\":", &self.payload_len)?;
        if let Some(n) = self.payload_received {
            int(out, b",\"payload_received\":", n);
        }
        text(out, b",\"payload\":", self.payload.map(Some));
        some(out, b",\"payload_base64\":", self.payload_base64.as_deref())?;
        string(out, b",\"line_end\":", self.line_end);
        int(out, b",\"offset\":", self.offset);
        some(out, b",\"reply_to\":", self.reply_to.as_ref())?;
        text(out, b",\"note\":", self.note.map(Some));
        text(out, b",\"sender\":", self.sender);
        text(out, b",\"content_type\":", self.content_type);
        text(out, b",\"charset\":", self.charset.map(Some));
        text(out, b",\"text\":", self.text.map(Some));
        if let Some(f) = &self.format {
            out.extend_from_slice(b",\"format\":");
            f.write_json(out);
        }
        some(out, b",\"msnc\":", self.msnc.as_ref())?;
        out.push(b'}');
        Ok(())
    }
}

/// Appends an event as JSON to `out`: what `serde_json::to_writer` writes for
/// [`event`]/[`event_in`], byte for byte, with `command` events (most of a capture's) written
/// by the command's own writer.
pub fn write_event(
    out: &mut Vec<u8>,
    ev: &Event,
    files: Option<&FileMap>,
) -> serde_json::Result<()> {
    match ev {
        Event::Command(c) => Command::new(c, Place::of(files, c.frame)).write_json(out),
        _ => serde_json::to_writer(&mut *out, &WireEvent(ev, files)),
    }
}

/// A command's `fields`: the typed named parameters, written as an object whose keys are the
/// names' stable JSON keys (in byte order, a decoded text followed by its `_raw` twin) and
/// whose values are strings, numbers, booleans or arrays of them; the schema pins that shape.
struct Fields<'a>(&'a CommandEvent);

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let entries = self.0.fields.entries();
        let mut map = s.serialize_map(Some(entries.len()))?;
        for (key, entry) in &entries {
            match entry {
                Entry::Value(v) => map.serialize_entry(key, &FieldValue(v))?,
                Entry::Raw(raw) => map.serialize_entry(key, raw)?,
            }
        }
        map.end()
    }
}

impl Fields<'_> {
    /// Writes the object as its `Serialize` does, the keys as literal bytes: every key is a
    /// name's fixed key or its `_raw` twin, lower-case letters, digits and `_`, which JSON
    /// writes as they are (a test checks every one).
    fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.push(b'{');
        let mut first = true;
        self.0.fields.try_for_each_entry(|key, entry| {
            if !first {
                out.push(b',');
            }
            first = false;
            out.push(b'"');
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            match entry {
                Entry::Value(v) => write_field_value(out, v),
                Entry::Raw(raw) => write_str(out, raw),
            }
            Ok::<(), serde_json::Error>(())
        })?;
        out.push(b'}');
        Ok(())
    }
}

/// [`FieldValue`] written as its `Serialize` writes it.
fn write_field_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Text(t) | Value::Decoded { text: t, .. } => write_str(out, t),
        Value::Num(n) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_field_value(out, item);
            }
            out.push(b']');
        }
    }
}

/// Appends `s` as a JSON string, byte for byte as serde_json writes it: `"` and `\\`
/// escaped with a backslash, `\b \t \n \f \r` by their letters, the other bytes below
/// 0x20 as `\u00xx` (lower-case hex), everything else as it is. Eight bytes are checked at
/// a time while none needs escaping, as in most text (serde_json looks at one byte at a
/// time: it was a third of the output thread's instructions).
fn write_str(out: &mut Vec<u8>, s: &str) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    /// The high bit of each byte that is below 0x20, `"` or `\\`, read little-endian. A
    /// byte after a marked one may be marked too, but the lowest mark is always a real
    /// one, which is all the loop below uses.
    fn marks(w: u64) -> u64 {
        let zero_in = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
        let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        below_space | zero_in(w ^ (ONES * u64::from(b'"'))) | zero_in(w ^ (ONES * u64::from(b'\\')))
    }
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let (mut start, mut i) = (0, 0);
    loop {
        // The next byte to escape: eight bytes at a time, then one at a time at the end.
        let at = match bytes.get(i..i + 8) {
            Some(chunk) => {
                let mut word = [0u8; 8];
                word.copy_from_slice(chunk);
                match marks(u64::from_le_bytes(word)) {
                    0 => {
                        i += 8;
                        continue;
                    }
                    m => i + (m.trailing_zeros() / 8) as usize,
                }
            }
            None => match bytes[i..]
                .iter()
                .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
            {
                Some(k) => i + k,
                None => break,
            },
        };
        out.extend_from_slice(&bytes[start..at]);
        let b = bytes[at];
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x0A => out.extend_from_slice(b"\\n"),
            0x0C => out.extend_from_slice(b"\\f"),
            0x0D => out.extend_from_slice(b"\\r"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xF)]);
            }
        }
        i = at + 1;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// One named value: text as a string, numbers and booleans as themselves, lists as arrays.
struct FieldValue<'a>(&'a Value);

impl Serialize for FieldValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Text(t) | Value::Decoded { text: t, .. } => s.serialize_str(t),
            Value::Num(n) => s.serialize_u64(*n),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::List(items) => s.collect_seq(items.iter().map(FieldValue)),
        }
    }
}

// ---- messages (`msnc`) ----

/// Writes `key: value` unless the value is absent.
fn entry<M: SerializeMap, T: Serialize>(
    map: &mut M,
    key: &'static str,
    value: Option<T>,
) -> Result<(), M::Error> {
    match value {
        Some(v) => map.serialize_entry(key, &v),
        None => Ok(()),
    }
}

pub fn encoding(e: Encoding) -> &'static str {
    match e {
        Encoding::Utf8 => "utf-8",
        Encoding::Latin1 { .. } => "latin-1",
    }
}

pub fn effect(e: Effect) -> &'static str {
    match e {
        Effect::Bold => "bold",
        Effect::Italic => "italic",
        Effect::Underline => "underline",
        Effect::Strikethrough => "strikethrough",
    }
}

pub fn ink(i: Ink) -> &'static str {
    match i {
        Ink::Gif => "gif",
        Ink::Isf => "isf",
    }
}

pub fn application(a: App) -> &'static str {
    match a {
        App::FileTransfer => "file_transfer",
        App::NetMeeting => "netmeeting",
        App::Voice => "voice",
        App::RemoteAssistance => "remote_assistance",
        App::Whiteboard => "whiteboard",
        App::ApplicationSharing => "application_sharing",
        App::BaldursGate2 => "baldurs_gate_2",
        App::MechWarriorMercenaries => "mechwarrior_mercenaries",
        App::Webcam => "webcam",
    }
}

/// The JSON name of a message kind (`msnc.kind`).
pub fn kind(k: &Kind) -> &'static str {
    match k {
        Kind::Text(_) => "text",
        Kind::Typing { .. } => "typing",
        Kind::Invitation(_) => "invitation",
        Kind::Datacast(_) => "datacast",
        Kind::Emoticons(_) => "emoticons",
        Kind::AnimatedEmoticons(_) => "animated_emoticons",
        Kind::ClientCaps(_) => "client_caps",
        Kind::Keepalive => "keepalive",
        Kind::Ink(_) => "ink",
        Kind::P2p(_) => "p2p",
        Kind::Profile(_) => "profile",
        Kind::InitialEmail(_) => "initial_email",
        Kind::NewEmail(_) => "new_email",
        Kind::EmailActivity(_) => "email_activity",
        Kind::InitialMailData(_) => "initial_mail_data",
        Kind::OimNotification(_) => "oim_notification",
        Kind::SystemMessage(_) => "system_message",
        Kind::ChunkPart => "chunk",
        Kind::Unknown => "unknown",
    }
}

/// `format`: the `X-MMS-IM-Format` of a text message.
struct WireFormat<'a>(&'a Format);

impl Serialize for WireFormat<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        let mut map = s.serialize_map(None)?;
        entry(&mut map, "font", f.font.as_deref())?;
        let effects: Vec<&str> = f.effects.iter().map(|e| effect(*e)).collect();
        map.serialize_entry("effects", &effects)?;
        entry(&mut map, "color", f.color.map(color_hex))?;
        entry(&mut map, "charset_code", f.charset)?;
        entry(&mut map, "charset_name", f.charset.and_then(charset_name))?;
        entry(&mut map, "pitch_family", f.pitch_family.as_deref())?;
        entry(&mut map, "right_to_left", f.right_to_left.then_some(true))?;
        map.end()
    }
}

impl WireFormat<'_> {
    /// Writes the object as its `Serialize` does (every text message has one).
    fn write_json(&self, out: &mut Vec<u8>) {
        let f = self.0;
        out.push(b'{');
        if let Some(font) = &f.font {
            out.extend_from_slice(b"\"font\":");
            write_str(out, font);
            out.push(b',');
        }
        out.extend_from_slice(b"\"effects\":[");
        for (i, e) in f.effects.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, effect(*e));
        }
        out.push(b']');
        if let Some(rgb) = f.color {
            out.extend_from_slice(b",\"color\":");
            write_str(out, &color_hex(rgb));
        }
        if let Some(code) = f.charset {
            out.extend_from_slice(b",\"charset_code\":");
            out.extend_from_slice(itoa::Buffer::new().format(code).as_bytes());
            if let Some(name) = charset_name(code) {
                out.extend_from_slice(b",\"charset_name\":");
                write_str(out, name);
            }
        }
        if let Some(p) = &f.pitch_family {
            out.extend_from_slice(b",\"pitch_family\":");
            write_str(out, p);
        }
        if f.right_to_left {
            out.extend_from_slice(b",\"right_to_left\":true");
        }
        out.push(b'}');
    }
}

/// An MSNObject: `{"raw": ..., "creator": ..., "object_type": 8, "object_type_name": "wink", ...}`.
struct WireMsnObject<'a>(&'a MsnObject);

impl Serialize for WireMsnObject<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let o = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("raw", &o.raw)?;
        entry(&mut map, "creator", o.creator.as_deref())?;
        entry(&mut map, "size", o.size)?;
        entry(&mut map, "object_type", o.object_type)?;
        entry(
            &mut map,
            "object_type_name",
            o.object_type.and_then(msnobject_type),
        )?;
        entry(&mut map, "location", o.location.as_deref())?;
        entry(&mut map, "friendly", o.friendly.as_deref())?;
        entry(&mut map, "sha1d", o.sha1d.as_deref())?;
        map.end()
    }
}

/// A P2P packet's header: `{"version":1,"session_id":"4","message_id":"7","offset":1202,...}`.
struct WirePacket<'a>(&'a PacketInfo);

impl Serialize for WirePacket<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("version", &p.version)?;
        // Identifiers are strings everywhere in the JSON, numeric or not.
        map.serialize_entry("session_id", &p.session_id.to_string())?;
        if let Some(h) = &p.v1 {
            map.serialize_entry("message_id", &h.message_id.to_string())?;
            map.serialize_entry("offset", &h.offset)?;
            map.serialize_entry("total_size", &h.total_size)?;
            map.serialize_entry("length", &h.length)?;
            map.serialize_entry("flags", &h.flags.0)?;
            map.serialize_entry("flag_names", &h.flags.names())?;
            map.serialize_entry("ack_id", &h.ack_id.to_string())?;
            map.serialize_entry("ack_unique_id", &h.ack_unique_id.to_string())?;
            map.serialize_entry("ack_size", &h.ack_size)?;
        }
        if let Some(v) = &p.v2 {
            map.serialize_entry("op_code", &v.op_code)?;
            entry(&mut map, "op_code_name", v.op_code_name)?;
            map.serialize_entry("message_length", &v.message_length)?;
            map.serialize_entry("base_id", &v.base_id.to_string())?;
            entry(&mut map, "ack", v.ack)?;
            entry(&mut map, "tf", v.tf)?;
            entry(&mut map, "tf_name", v.tf_name)?;
            entry(&mut map, "package_number", v.package_number)?;
            entry(&mut map, "bytes_remaining", v.bytes_remaining)?;
        }
        map.serialize_entry("data_len", &p.data_len)?;
        if let Some(f) = p.footer {
            map.serialize_entry("footer", &f.0)?;
            entry(&mut map, "footer_name", f.name())?;
        }
        map.serialize_entry("description", &p.summary)?;
        map.end()
    }
}

/// A finished MSNSLP message: start line, the headers that matter, the session it sets up
/// and its decoded context.
struct WireSlp<'a>(&'a SlpInfo);

impl Serialize for WireSlp<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let m = &self.0.message;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("start", &m.start.to_string())?;
        entry(&mut map, "to", m.to())?;
        entry(&mut map, "from", m.from())?;
        entry(&mut map, "call_id", m.call_id())?;
        entry(&mut map, "cseq", m.cseq())?;
        entry(&mut map, "euf_guid", m.euf_guid())?;
        entry(&mut map, "application", m.application().map(|a| a.name()))?;
        entry(
            &mut map,
            "session_id",
            m.session_id().map(|id| id.to_string()),
        )?;
        entry(&mut map, "app_id", m.app_id().map(|a| a.0.to_string()))?;
        match &self.0.context {
            Some(Ok(Context::MsnObject(o))) => {
                map.serialize_entry("context", &WireSlpMsnObject(o))?
            }
            Some(Ok(Context::File(f))) => map.serialize_entry("context", &WireFileContext(f))?,
            Some(Ok(Context::Other(bytes))) => {
                map.serialize_entry("context", &WireOtherContext(bytes.len()))?
            }
            Some(Err(e)) => map.serialize_entry("context_error", e.anomaly_name())?,
            None => {}
        }
        map.serialize_entry("description", &m.summary())?;
        map.end()
    }
}

/// An SLP context's MSNObject: `{"kind":"msnobject","creator":...,"type":3,...}`.
struct WireSlpMsnObject<'a>(&'a slp::MsnObject);

impl Serialize for WireSlpMsnObject<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let o = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("kind", "msnobject")?;
        entry(&mut map, "creator", o.creator())?;
        entry(&mut map, "size", o.size())?;
        entry(&mut map, "object_type", o.kind().map(|t| t.0))?;
        entry(
            &mut map,
            "object_type_name",
            o.kind().and_then(|t| t.name()),
        )?;
        entry(&mut map, "location", o.location())?;
        entry(&mut map, "friendly", o.friendly().and_then(Result::ok))?;
        entry(&mut map, "sha1d", o.sha1d())?;
        map.end()
    }
}

/// A file-transfer context: `{"kind":"file","file_name":...,"file_size":...}`.
struct WireFileContext<'a>(&'a slp::FileContext);

impl Serialize for WireFileContext<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("kind", "file")?;
        map.serialize_entry("file_name", &f.name())?;
        map.serialize_entry("file_size", &f.file_size)?;
        map.serialize_entry("preview_len", &f.preview.len())?;
        if f.hidden_after_nul {
            map.serialize_entry("hidden_after_nul", &true)?;
        }
        map.end()
    }
}

/// Any other context: its decoded length only.
struct WireOtherContext(usize);

impl Serialize for WireOtherContext {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("kind", "other")?;
        map.serialize_entry("len", &self.0)?;
        map.end()
    }
}

/// What a datacast `ID` is.
fn datacast_name(id: u64) -> Option<&'static str> {
    Some(match id {
        1 => "nudge",
        2 => "wink",
        3 => "voice_clip",
        4 => "action_message",
        _ => return None,
    })
}

fn msnobject_type(t: u64) -> Option<&'static str> {
    Some(match t {
        2 => "custom_emoticon",
        3 => "display_picture",
        5 => "background",
        7 => "dynamic_display_picture",
        8 => "wink",
        11 => "voice_clip",
        12 => "saved_state",
        _ => return None,
    })
}

/// `msnc`: the kind of a message and what that kind carries. Each kind writes its own keys;
/// `chunk` follows on any kind, `headers` on an unknown one.
struct Msnc<'a>(&'a Message);

impl Serialize for Msnc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let m = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("kind", kind(&m.kind))?;
        match &m.kind {
            Kind::Text(t) => {
                map.serialize_entry("encoding", encoding(t.encoding))?;
                if let Encoding::Latin1 { bytes } = t.encoding {
                    map.serialize_entry("latin1_bytes", &bytes)?;
                }
                entry(&mut map, "truncated", t.truncated.then_some(true))?;
            }
            Kind::Typing { user } => entry(&mut map, "user", user.as_deref())?,
            Kind::Invitation(i) => invitation(&mut map, i)?,
            Kind::Datacast(d) => {
                entry(&mut map, "datacast_id", d.id.map(|id| id.to_string()))?;
                entry(&mut map, "name", d.id.and_then(datacast_name))?;
                entry(&mut map, "data", d.data.as_deref())?;
                entry(
                    &mut map,
                    "msnobject",
                    d.msnobject.as_ref().map(WireMsnObject),
                )?;
            }
            Kind::Emoticons(e) | Kind::AnimatedEmoticons(e) => {
                let list: Vec<WireEmoticon<'_>> = e.list.iter().map(WireEmoticon).collect();
                map.serialize_entry("emoticons", &list)?;
                entry(&mut map, "omitted", (e.dropped > 0).then_some(e.dropped))?;
            }
            Kind::ClientCaps(c) => {
                entry(&mut map, "client_name", c.client_name.as_deref())?;
                entry(&mut map, "chat_logging", c.chat_logging.as_deref())?;
                entry(&mut map, "chat_logging_meaning", c.logging_meaning())?;
            }
            Kind::Keepalive | Kind::ChunkPart => {}
            Kind::Ink(i) => map.serialize_entry("ink_format", ink(*i))?,
            Kind::P2p(p) => {
                entry(&mut map, "dest", p.dest.as_deref())?;
                entry(&mut map, "src", p.src.as_deref())?;
                map.serialize_entry("body_len", &p.body_len)?;
                match &p.packet {
                    Ok(packet) => map.serialize_entry("packet", &WirePacket(packet))?,
                    Err(name) => map.serialize_entry("error", name)?,
                }
                if let Some(slp) = &p.slp {
                    map.serialize_entry("slp", &WireSlp(slp))?;
                }
            }
            Kind::Profile(p) => profile(&mut map, p)?,
            Kind::InitialEmail(e) => {
                entry(&mut map, "inbox_unread", e.inbox_unread)?;
                entry(&mut map, "folders_unread", e.folders_unread)?;
                entry(&mut map, "inbox_url", e.inbox_url.as_deref())?;
                entry(&mut map, "folders_url", e.folders_url.as_deref())?;
                entry(&mut map, "post_url", e.post_url.as_deref())?;
            }
            Kind::NewEmail(e) => {
                if let Some(w) = &e.from {
                    map.serialize_entry("from", &w.text)?;
                    entry(&mut map, "from_raw", w.raw.as_deref())?;
                }
                entry(&mut map, "from_addr", e.from_addr.as_deref())?;
                if let Some(w) = &e.subject {
                    map.serialize_entry("subject", &w.text)?;
                    entry(&mut map, "subject_raw", w.raw.as_deref())?;
                }
                entry(&mut map, "dest_folder", e.dest_folder.as_deref())?;
                entry(&mut map, "message_url", e.message_url.as_deref())?;
                entry(&mut map, "post_url", e.post_url.as_deref())?;
                entry(&mut map, "mail_id", e.id.as_deref())?;
            }
            Kind::EmailActivity(e) => {
                entry(&mut map, "src_folder", e.src_folder.as_deref())?;
                entry(&mut map, "dest_folder", e.dest_folder.as_deref())?;
                entry(&mut map, "message_delta", e.message_delta)?;
            }
            Kind::InitialMailData(d) | Kind::OimNotification(d) => {
                entry(&mut map, "mail_data", d.mail_data.as_deref())?;
                entry(&mut map, "inbox_unread", d.inbox_unread)?;
                entry(&mut map, "other_unread", d.other_unread)?;
                map.serialize_entry("offline_messages", &d.offline_messages)?;
                map.serialize_entry("too_large", &d.too_large)?;
            }
            Kind::SystemMessage(m) => {
                entry(&mut map, "message_type", m.message_type)?;
                entry(&mut map, "arg1", m.arg1.as_deref())?;
                entry(&mut map, "minutes", m.minutes())?;
            }
            Kind::Unknown => {
                let headers: Vec<[&str; 2]> = m
                    .headers
                    .iter()
                    .map(|h| [h.name.as_ref(), h.value.as_ref()])
                    .collect();
                map.serialize_entry("headers", &headers)?;
            }
        }
        if let Some(c) = &m.chunk {
            map.serialize_entry(
                "chunk",
                &WireChunk {
                    message_id: &c.message_id,
                    part: c.part,
                    parts: c.parts,
                },
            )?;
        }
        map.end()
    }
}

fn invitation<M: SerializeMap>(map: &mut M, i: &Invitation) -> Result<(), M::Error> {
    let command = i.command.as_ref().map(|c| match c {
        InviteCommand::Invite => "INVITE",
        InviteCommand::Accept => "ACCEPT",
        InviteCommand::Cancel => "CANCEL",
        InviteCommand::Other(other) => other.as_str(),
    });
    entry(map, "command", command)?;
    entry(map, "application", i.application.map(application))?;
    entry(map, "application_name", i.application_name.as_deref())?;
    entry(map, "application_guid", i.application_guid.as_deref())?;
    entry(map, "cookie", i.cookie.as_deref())?;
    entry(map, "file", i.file.as_deref())?;
    entry(map, "file_size", i.file_size)?;
    entry(map, "ip_address", i.ip_address.as_deref())?;
    entry(map, "ip_address_internal", i.ip_address_internal.as_deref())?;
    entry(map, "port", i.port)?;
    entry(map, "port_x", i.port_x)?;
    entry(map, "port_x_internal", i.port_x_internal)?;
    entry(map, "auth_cookie", i.auth_cookie.as_deref())?;
    entry(map, "cancel_code", i.cancel_code.as_deref())?;
    entry(
        map,
        "cancel_meaning",
        i.cancel_code.as_deref().and_then(cancel_meaning),
    )?;
    entry(map, "connectivity", i.connectivity.as_deref())?;
    entry(map, "request_data", i.request_data.as_deref())?;
    entry(map, "sender_connect", i.sender_connect)?;
    entry(map, "session_id", i.session_id.as_deref())?;
    entry(map, "session_protocol", i.session_protocol.as_deref())
}

fn profile<M: SerializeMap>(map: &mut M, p: &Profile) -> Result<(), M::Error> {
    entry(map, "login_time", p.login_time)?;
    entry(map, "email_enabled", p.email_enabled)?;
    entry(map, "member_id_high", p.member_id_high)?;
    entry(map, "member_id_low", p.member_id_low)?;
    entry(map, "lang_preference", p.lang_preference)?;
    entry(map, "preferred_email", p.preferred_email.as_deref())?;
    entry(map, "country", p.country.as_deref())?;
    entry(map, "postal_code", p.postal_code.as_deref())?;
    entry(map, "gender", p.gender.as_deref())?;
    entry(map, "kid", p.kid)?;
    entry(map, "age", p.age.as_deref())?;
    entry(map, "birthday", p.birthday.as_deref())?;
    entry(map, "flags", p.flags)?;
    entry(map, "sid", p.sid)?;
    entry(map, "client_ip", p.client_ip.as_deref())?;
    entry(map, "client_port", p.client_port)?;
    entry(map, "abch_migrated", p.abch_migrated)?;
    entry(map, "mpop_enabled", p.mpop_enabled)
}

/// One custom emoticon.
struct WireEmoticon<'a>(&'a Emoticon);

impl Serialize for WireEmoticon<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("shortcut", &self.0.shortcut)?;
        map.serialize_entry("msnobject", &WireMsnObject(&self.0.msnobject))?;
        map.end()
    }
}

/// `msnc.chunk`.
#[derive(Serialize)]
struct WireChunk<'a> {
    message_id: &'a str,
    part: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    parts: Option<u64>,
}

/// `reply_to`.
#[derive(Serialize)]
struct WireReplyTo {
    frame: u64,
    delay_ms: f64,
}

/// `msnftp_block`.
#[derive(Serialize)]
struct WireBlock {
    #[serde(rename = "type")]
    kind: &'static str,
    flow: u64,
    frame: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    capture_file: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_frame: Option<u64>,
    ts: Ts,
    ts_ns: TsNs,
    dir: &'static str,
    index: u64,
    offset: u64,
    file_offset: u64,
    len: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    received: Option<u64>,
    cancel: bool,
}

impl WireBlock {
    fn new(b: &BlockEvent, place: Place) -> Self {
        WireBlock {
            kind: "msnftp_block",
            flow: b.flow.0,
            frame: b.frame,
            capture_file: place.file,
            file_frame: place.file_frame,
            ts: Ts(b.ts),
            ts_ns: TsNs(b.ts),
            dir: dir(b.dir),
            index: b.index,
            offset: b.offset,
            file_offset: b.file_offset,
            len: b.len,
            received: b.received,
            cancel: b.cancel,
        }
    }
}

/// `msnftp_transfer`.
#[derive(Serialize)]
struct WireTransfer<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    flow: u64,
    frame: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    capture_file: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_frame: Option<u64>,
    ts: Ts,
    ts_ns: TsNs,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_name: Option<&'a str>,
    file_size: Option<u64>,
    blocks: u64,
    bytes: u64,
    missing: u64,
    complete: bool,
    cancelled_by: Option<&'static str>,
    structure_lost: bool,
}

impl<'a> WireTransfer<'a> {
    fn new(t: &'a TransferSummary, place: Place) -> Self {
        WireTransfer {
            kind: "msnftp_transfer",
            flow: t.flow.0,
            frame: t.frame,
            capture_file: place.file,
            file_frame: place.file_frame,
            ts: Ts(t.ts),
            ts_ns: TsNs(t.ts),
            file_name: t.file_name.as_deref(),
            file_size: t.file_size,
            blocks: t.blocks,
            bytes: t.bytes,
            missing: t.missing,
            complete: t.complete,
            cancelled_by: t.cancelled_by.map(party),
            structure_lost: t.structure_lost,
        }
    }
}

pub fn object_kind(k: ObjectKind) -> &'static str {
    match k {
        ObjectKind::File => "file",
        ObjectKind::DisplayPicture => "display_picture",
        ObjectKind::Emoticon => "emoticon",
        ObjectKind::AnimatedEmoticon => "animated_emoticon",
        ObjectKind::VoiceClip => "voice_clip",
        ObjectKind::Wink => "wink",
        ObjectKind::Other => "other",
    }
}

pub fn transport(t: Transport) -> &'static str {
    match t {
        Transport::Msnftp => "msnftp",
        Transport::P2p => "p2p",
    }
}

/// `extracted`, and the sidecar of an extracted file.
#[derive(Serialize)]
struct WireExtracted<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    flow: u64,
    frame: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    capture_file: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_frame: Option<u64>,
    ts: Ts,
    ts_ns: TsNs,
    object: u64,
    object_kind: &'static str,
    transport: &'static str,
    first_ts: Ts,
    name: Option<&'a str>,
    size: Option<u64>,
    sender: Option<&'a str>,
    receiver: Option<&'a str>,
    file: &'a str,
    path: &'a str,
    bytes_written: u64,
    sha256: &'a str,
    sha1d: Option<&'a str>,
    sha1d_matches: Option<bool>,
    partial: bool,
    missing: Vec<[u64; 2]>,
    missing_truncated: bool,
    cancelled_by: Option<&'static str>,
}

impl<'a> WireExtracted<'a> {
    fn new(x: &'a Extracted, place: Place) -> Self {
        WireExtracted {
            kind: "extracted",
            flow: x.flow.0,
            frame: x.frame,
            capture_file: place.file,
            file_frame: place.file_frame,
            ts: Ts(x.ts),
            ts_ns: TsNs(x.ts),
            object: x.object.0,
            object_kind: object_kind(x.kind),
            transport: transport(x.transport),
            first_ts: Ts(x.first_ts),
            name: x.name.as_deref(),
            size: x.size,
            sender: x.sender.as_deref(),
            receiver: x.receiver.as_deref(),
            file: &x.file,
            path: &x.path,
            bytes_written: x.bytes_written,
            sha256: &x.sha256,
            sha1d: x.sha1d.as_deref(),
            sha1d_matches: x.sha1d_matches,
            partial: x.partial,
            missing: x.missing.iter().map(|&(a, b)| [a, b]).collect(),
            missing_truncated: x.missing_truncated,
            cancelled_by: x.cancelled_by.map(party),
        }
    }
}

/// `gap`.
#[derive(Serialize)]
struct Gap {
    #[serde(rename = "type")]
    kind: &'static str,
    flow: u64,
    frame: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    capture_file: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_frame: Option<u64>,
    ts: Ts,
    ts_ns: TsNs,
    dir: &'static str,
    offset: u64,
    len: u64,
    reason: &'static str,
}

/// `anomaly`.
#[derive(Serialize)]
struct Anomaly<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    flow: Option<u64>,
    frame: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    capture_file: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_frame: Option<u64>,
    ts: Ts,
    ts_ns: TsNs,
    dir: Option<&'static str>,
    name: &'a str,
    detail: &'a str,
}

/// `connection_closed`.
#[derive(Serialize)]
struct Closed<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    flow: u64,
    frame: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    capture_file: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_frame: Option<u64>,
    ts: Ts,
    ts_ns: TsNs,
    role: &'static str,
    closing: &'static str,
    summary: FlowRow<'a>,
}

// ---- flows ----

/// One connection's summary.
#[derive(Serialize)]
pub struct FlowRow<'a> {
    id: u64,
    role: &'static str,
    dialect: Option<WireDialect>,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<&'a str>,
    client: Text<SocketAddr>,
    server: Text<SocketAddr>,
    community_id: String,
    first_ts: Ts,
    last_ts: Ts,
    first_frame: u64,
    detection: WireDetection,
    opening: &'static str,
    closing: &'static str,
    reset_by: Option<&'static str>,
    client_packets: u64,
    server_packets: u64,
    client_bytes: u64,
    server_bytes: u64,
    gap_count: u64,
    gap_bytes: u64,
    gaps: Gaps<'a>,
    anomalies: &'a BTreeMap<&'static str, u64>,
}

/// `gaps`: `[{dir, offset, len, reason}, ...]`.
struct Gaps<'a>(&'a [GapRecord]);

impl Serialize for Gaps<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|g| WireGap {
            dir: dir(g.dir),
            offset: g.offset,
            len: g.len,
            reason: gap_reason(g.reason),
        }))
    }
}

#[derive(Serialize)]
struct WireGap {
    dir: &'static str,
    offset: u64,
    len: u64,
    reason: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(v: impl Serialize) -> String {
        serde_json::to_string(&v).unwrap()
    }

    /// The decimal written from the two integers is the one the i128 formula gives, at the
    /// edges of both paths.
    #[test]
    fn the_quick_timestamp_is_the_exact_one() {
        let exact = |secs: i64, nanos: u32| {
            let total = i128::from(secs) * 1_000_000_000 + i128::from(nanos);
            let sign = if total < 0 { "-" } else { "" };
            let abs = total.unsigned_abs();
            format!("{sign}{}.{:09}", abs / 1_000_000_000, abs % 1_000_000_000)
        };
        for secs in [0, 1, 9, 10, 1_136_000_000, i64::MAX, -1, i64::MIN] {
            for nanos in [0, 1, 41_000_000, 999_999_999, 1_000_000_000, u32::MAX] {
                let t = Ts(Timestamp { secs, nanos });
                assert_eq!(t.decimal(), exact(secs, nanos), "{secs} {nanos}");
            }
        }
    }

    fn events_of(paths: Vec<String>, files: &FileMap) -> Vec<Event> {
        let mut source = crate::capture::FileSource::new(paths, None).with_file_map(files.clone());
        let mut all = crate::event::Collect::default();
        // A truncated last record ends a run with an error after its events: they count.
        let _ = crate::pipeline::decode(&mut source, crate::flow::FlowConfig::default(), &mut all);
        all.0
    }

    /// Every event of every bundled capture, read alone and two by two as one run (so that
    /// `capture_file` and `file_frame` appear), is written by `write_event` as serde_json
    /// writes its derived form.
    #[test]
    fn written_events_are_the_derived_form() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/captures");
        let mut captures: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "pcap" || x == "pcapng"))
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        captures.sort();
        let mut commands = 0;
        let mut runs: Vec<Vec<String>> = captures.iter().map(|c| vec![c.clone()]).collect();
        runs.extend(captures.chunks(2).map(<[String]>::to_vec));
        for run in runs {
            let files = FileMap::new();
            for ev in events_of(run.clone(), &files) {
                for map in [None, Some(&files)] {
                    let mut ours = Vec::new();
                    write_event(&mut ours, &ev, map).unwrap();
                    let derived = serde_json::to_vec(&WireEvent(&ev, map)).unwrap();
                    assert_eq!(
                        String::from_utf8_lossy(&ours),
                        String::from_utf8_lossy(&derived),
                        "{run:?}"
                    );
                }
                commands += usize::from(matches!(ev, Event::Command(_)));
            }
        }
        assert!(commands > 1000, "only {commands} commands");
    }

    /// Every key a command's fields can have is written by JSON as it is, so that
    /// `Fields::write_json` may write them as literal bytes.
    #[test]
    fn field_keys_need_no_escaping() {
        for n in crate::msnp::named::Name::ALL {
            for key in [n.as_str(), n.raw_str()] {
                assert!(
                    key.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                    "{key}"
                );
                assert_eq!(serde_json::to_string(key).unwrap(), format!("\"{key}\""));
            }
        }
    }

    /// The parts no bundled capture has, or has only in some combinations: a cut payload,
    /// a binary one, no TrID, no reply, no note, a message without sender or content type.
    #[test]
    fn written_commands_with_every_optional_part_are_the_derived_form() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/captures/synthetic_msnc_messages.pcap"
        );
        let files = FileMap::new();
        let events = events_of(vec![path.to_string()], &files);
        let msg = events
            .iter()
            .find_map(|e| match e {
                Event::Command(c) if c.msnc.is_some() => Some(c.clone()),
                _ => None,
            })
            .expect("a message");
        let mut variants = Vec::new();
        for received in [None, Some(3)] {
            for binary in [false, true] {
                for bare in [false, true] {
                    let mut c = msg.clone();
                    c.payload_received = received;
                    if binary {
                        c.payload_bytes = Some(vec![0xFF, 0x00, 0x80]);
                    }
                    if bare {
                        c.trid = None;
                        c.reply_to = None;
                        c.note = None;
                        c.dialect = None;
                        if let Some(m) = c.msnc.as_mut() {
                            m.sender = None;
                            m.content_type = None;
                            m.charset = None;
                        }
                    } else {
                        c.reply_to = Some(ReplyTo {
                            frame: 1,
                            delay_ms: 2.5,
                        });
                        c.note = Some("a \"quoted\" note\n".into());
                    }
                    variants.push(Event::Command(c));
                }
            }
        }
        // Times on both sides of the quick paths' edges: before 1970, past 2554 (no u64 of
        // nanoseconds), at the end of i64.
        let edge = (u64::MAX / 1_000_000_000) as i64;
        for secs in [0, edge, edge + 1, i64::MAX, -1, i64::MIN] {
            for nanos in [0, 709_551_616, 999_999_999] {
                let mut c = msg.clone();
                c.ts = Timestamp { secs, nanos };
                variants.push(Event::Command(c));
            }
        }
        for ev in &variants {
            let mut ours = Vec::new();
            write_event(&mut ours, ev, None).unwrap();
            let derived = serde_json::to_vec(&WireEvent(ev, None)).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&derived)
            );
        }
    }

    proptest::proptest! {
        /// Any text, and text made of the bytes that need escaping at any place around the
        /// eight-byte steps, is written as serde_json writes it.
        #[test]
        fn strings_are_written_as_serde_json_writes_them(
            any in proptest::prelude::any::<String>(),
            tricky in "[\\x00-\\x21\"\\\\a-z\\x7f\\u{e9}\\u{2028}]{0,40}",
        ) {
            for text in [&any, &tricky] {
                let mut ours = Vec::new();
                write_str(&mut ours, text);
                proptest::prop_assert_eq!(
                    String::from_utf8(ours).unwrap(),
                    serde_json::to_string(text).unwrap()
                );
            }
        }
    }

    proptest::proptest! {
        /// A text message's format, with any of its parts, is written as its `Serialize`
        /// writes it.
        #[test]
        fn formats_are_written_as_their_derived_form(
            font in proptest::option::of("[a-zA-Z \"\\\\\\x01]{0,12}"),
            effects in proptest::collection::vec(0usize..4, 0..4),
            color in proptest::option::of(proptest::prelude::any::<[u8; 3]>()),
            charset in proptest::option::of(proptest::prelude::any::<u8>()),
            pitch_family in proptest::option::of("[0-9a-z]{0,4}"),
            right_to_left in proptest::prelude::any::<bool>(),
        ) {
            let all = [Effect::Bold, Effect::Italic, Effect::Underline, Effect::Strikethrough];
            let f = Format {
                font,
                effects: effects.into_iter().map(|i| all[i]).collect(),
                color,
                charset,
                pitch_family,
                right_to_left,
            };
            let mut ours = Vec::new();
            WireFormat(&f).write_json(&mut ours);
            proptest::prop_assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(&WireFormat(&f)).unwrap()
            );
        }
    }

    /// Every control byte, each quote and backslash, alone and inside runs of eight or more.
    #[test]
    fn each_byte_that_needs_escaping_is_escaped_as_serde_json_does() {
        for b in (0u8..0x20).chain([b'"', b'\\', 0x7F, b' ']) {
            let c = char::from(b);
            for text in [
                c.to_string(),
                format!("abcdefgh{c}"),
                format!("abcdefg{c}ijklmnopq"),
                format!("{c}bcdefghijklmnop{c}"),
            ] {
                let mut ours = Vec::new();
                write_str(&mut ours, &text);
                assert_eq!(
                    String::from_utf8(ours).unwrap(),
                    serde_json::to_string(&text).unwrap(),
                    "{b:#x}"
                );
            }
        }
    }

    /// Whole nanoseconds are the exact i128, on both sides of the u64 path's edges.
    #[test]
    fn whole_nanoseconds_are_exact_on_both_paths() {
        let edge = (u64::MAX / 1_000_000_000) as i64;
        for secs in [0, 1, 1_136_000_000, edge, edge + 1, i64::MAX, -1, i64::MIN] {
            for nanos in [0, 1, 709_551_615, 709_551_616, 999_999_999, u32::MAX] {
                let exact = i128::from(secs) * 1_000_000_000 + i128::from(nanos);
                let t = TsNs(Timestamp { secs, nanos });
                assert_eq!(json(t), exact.to_string(), "{secs} {nanos}");
            }
        }
    }

    #[test]
    fn dialect_names_are_their_display() {
        for n in 0..=u8::MAX {
            let d = Dialect(n);
            assert_eq!(json(WireDialect(d)), format!("\"{d}\""));
        }
    }

    #[test]
    fn timestamps_are_exact_with_nine_decimals() {
        assert_eq!(
            json(Ts(Timestamp::new(1_136_000_000, 41_000_000))),
            "1136000000.041000000"
        );
        assert_eq!(json(Ts(Timestamp::new(0, 0))), "0.000000000");
        assert_eq!(
            json(Ts(Timestamp::new(1_062_374_400, 139_556_076))),
            "1062374400.139556076"
        );
        // Before the epoch: -1 s + 0.5 s is -0.5 s.
        assert_eq!(json(Ts(Timestamp::new(-1, 500_000_000))), "-0.500000000");
        assert_eq!(json(Ts(Timestamp::new(-2, 0))), "-2.000000000");
    }

    #[test]
    fn detections() {
        let d = |d: Detection| json(detection(&d));
        assert_eq!(
            d(Detection::Port { port: 1863 }),
            r#"{"by":"port","port":1863}"#
        );
        assert_eq!(
            d(Detection::Announced {
                kind: ExpectedKind::FileTransfer,
                announced_by: crate::flow::FlowId(3)
            }),
            r#"{"by":"announced","kind":"file_transfer","announced_by":3}"#
        );
        assert_eq!(d(Detection::Content), r#"{"by":"content"}"#);
    }

    #[test]
    fn messages_name_their_kind_and_fields() {
        let m = crate::msnc::decode(
            b"Content-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=A%20B; EF=SB; CO=ff; CS=cc; RL=1\r\nMessage-ID: {1}\r\nChunks: 2\r\n\r\nhi \\ \xff",
            None,
        );
        assert_eq!(
            json(Msnc(&m)),
            r#"{"kind":"text","encoding":"latin-1","latin1_bytes":1,"chunk":{"message_id":"{1}","part":1,"parts":2}}"#
        );
        let t = m.text().unwrap();
        // Latin-1, and the backslash doubled by the data rule.
        assert_eq!(t.text, "hi \\\\ \u{ff}");
        assert_eq!(
            json(WireFormat(t.format.as_ref().unwrap())),
            r##"{"font":"A B","effects":["bold","strikethrough"],"color":"#ff0000","charset_code":204,"charset_name":"Cyrillic","right_to_left":true}"##
        );
        let m = crate::msnc::decode(
            b"Content-Type: text/x-msnmsgr-datacast\r\n\r\nID: 2\r\nData: <msnobj Creator=\"b@x\" Type=\"8\"/>\r\n",
            None,
        );
        assert_eq!(
            json(Msnc(&m)),
            r#"{"kind":"datacast","datacast_id":"2","name":"wink","data":"<msnobj Creator=\"b@x\" Type=\"8\"/>","msnobject":{"raw":"<msnobj Creator=\"b@x\" Type=\"8\"/>","creator":"b@x","object_type":8,"object_type_name":"wink"}}"#
        );
        let m = crate::msnc::decode(b"Content-Type: x/y\r\nA\\b: \xff\r\n\r\n", None);
        assert_eq!(
            json(Msnc(&m)),
            r#"{"kind":"unknown","headers":[["Content-Type","x/y"],["A\\\\b","\\xFF"]]}"#
        );
    }

    #[test]
    fn addresses_and_dialects_are_their_text() {
        let v6: SocketAddr = "[2001:db8::1]:1863".parse().unwrap();
        assert_eq!(json(Text(v6)), r#""[2001:db8::1]:1863""#);
        assert_eq!(json(Text(Dialect(18))), r#""MSNP18""#);
        assert_eq!(json(Text(Dialect::MSNFTP)), r#""MSNFTP""#);
    }
}
