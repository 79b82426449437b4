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
use crate::capture::Timestamp;
use crate::event::{
    BlockEvent, Channel, CommandEvent, ConnectionInfo, DialectSource, Event, LineEnd, Party,
    ReplyTo, Role, TransferSummary,
};
use crate::flow::{Closing, Detection, ExpectedKind, FlowSummary, GapRecord, Opening};
use crate::msnp::Dialect;
use crate::msnp::named::{Entry, Value};
use crate::reassembly::GapReason;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt::Display;
use std::net::SocketAddr;

/// An event as the interface writes it: `{"type": ..., ...}`.
pub fn event(ev: &Event) -> WireEvent<'_> {
    WireEvent(ev)
}

/// A row of `msnsniff flows --format jsonl|json`, also the `summary` of `connection_closed`.
pub fn flow_row(s: &FlowSummary) -> FlowRow<'_> {
    FlowRow {
        id: s.id.0,
        client: Text(s.client),
        server: Text(s.server),
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
        let total = i128::from(self.0.secs) * 1_000_000_000 + i128::from(self.0.nanos);
        let sign = if total < 0 { "-" } else { "" };
        let abs = total.unsigned_abs();
        format!("{sign}{}.{:09}", abs / 1_000_000_000, abs % 1_000_000_000)
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

/// A value written as its `Display` text: addresses (`"10.0.0.1:1863"`, `"[::1]:1863"`) and
/// dialects (`"MSNP8"`).
#[derive(Clone, Copy, Debug)]
pub struct Text<T>(pub T);

impl<T: Display> Serialize for Text<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

fn dialect(d: Option<Dialect>) -> Option<Text<Dialect>> {
    d.map(Text)
}

// ---- events ----

/// Any event; serializes as the object of its type.
#[derive(Clone, Copy, Debug)]
pub struct WireEvent<'a>(pub &'a Event);

impl Serialize for WireEvent<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Event::ConnectionOpened(c) => Connection::new("connection_opened", c).serialize(s),
            Event::ConnectionUpdate(c) => Connection::new("connection_update", c).serialize(s),
            Event::Command(c) => Command::new(c).serialize(s),
            Event::MsnftpBlock(b) => WireBlock::new(b).serialize(s),
            Event::MsnftpTransfer(t) => WireTransfer::new(t).serialize(s),
            Event::Gap {
                flow,
                frame,
                ts,
                dir: d,
                offset,
                len,
                reason,
            } => Gap {
                kind: "gap",
                flow: flow.0,
                frame: *frame,
                ts: Ts(*ts),
                dir: dir(*d),
                offset: *offset,
                len: *len,
                reason: gap_reason(*reason),
            }
            .serialize(s),
            Event::Anomaly {
                flow,
                frame,
                ts,
                dir: d,
                name,
                detail,
            } => Anomaly {
                kind: "anomaly",
                flow: flow.map(|f| f.0),
                frame: *frame,
                ts: Ts(*ts),
                dir: d.map(dir),
                name,
                detail,
            }
            .serialize(s),
            Event::ConnectionClosed {
                flow,
                frame,
                ts,
                role: r,
                closing: c,
                summary,
            } => Closed {
                kind: "connection_closed",
                flow: flow.0,
                frame: *frame,
                ts: Ts(*ts),
                role: role(*r),
                closing: closing(*c),
                summary: flow_row(summary),
            }
            .serialize(s),
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
    ts: Ts,
    client: Text<SocketAddr>,
    server: Text<SocketAddr>,
    role: &'static str,
    role_reason: &'a str,
    dialect: Option<Text<Dialect>>,
    dialect_source: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dialect_basis: Option<&'a str>,
    detection: WireDetection,
    opening: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    announced_by: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<&'a str>,
}

impl<'a> Connection<'a> {
    fn new(kind: &'static str, c: &'a ConnectionInfo) -> Self {
        Connection {
            kind,
            flow: c.flow.0,
            frame: c.frame,
            ts: Ts(c.ts),
            client: Text(c.client),
            server: Text(c.server),
            role: role(c.role),
            role_reason: &c.role_reason,
            dialect: dialect(c.dialect),
            dialect_source: c.dialect_source.map(dialect_source),
            dialect_basis: c.dialect_basis.as_deref(),
            detection: detection(&c.detection),
            opening: opening(c.opening),
            announced_by: c.announced_by.map(|f| f.0),
            principal: c.principal.as_deref(),
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
    ts: Ts,
    dir: &'static str,
    role: &'static str,
    channel: &'static str,
    dialect: Option<Text<Dialect>>,
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
    payload_base64: Option<&'a str>,
    line_end: &'static str,
    offset: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to: Option<WireReplyTo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

impl<'a> Command<'a> {
    fn new(c: &'a CommandEvent) -> Self {
        Command {
            kind: "command",
            flow: c.flow.0,
            frame: c.frame,
            ts: Ts(c.ts),
            dir: dir(c.dir),
            role: role(c.role),
            channel: channel(c.channel),
            dialect: dialect(c.dialect),
            verb: &c.verb,
            trid: c.trid,
            params: &c.params,
            fields: Fields(c),
            payload_len: c.payload_len,
            payload_received: c.payload_received,
            payload: c.payload.as_deref(),
            payload_base64: c.payload_base64.as_deref(),
            line_end: line_end(c.line_end),
            offset: c.offset,
            reply_to: c
                .reply_to
                .map(|ReplyTo { frame, delay_ms }| WireReplyTo { frame, delay_ms }),
            note: c.note.as_deref(),
        }
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
                Entry::Value(v) => map.serialize_entry(key.as_ref(), &FieldValue(v))?,
                Entry::Raw(raw) => map.serialize_entry(key.as_ref(), raw)?,
            }
        }
        map.end()
    }
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
    ts: Ts,
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
    fn new(b: &BlockEvent) -> Self {
        WireBlock {
            kind: "msnftp_block",
            flow: b.flow.0,
            frame: b.frame,
            ts: Ts(b.ts),
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
    ts: Ts,
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
    fn new(t: &'a TransferSummary) -> Self {
        WireTransfer {
            kind: "msnftp_transfer",
            flow: t.flow.0,
            frame: t.frame,
            ts: Ts(t.ts),
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

/// `gap`.
#[derive(Serialize)]
struct Gap {
    #[serde(rename = "type")]
    kind: &'static str,
    flow: u64,
    frame: u64,
    ts: Ts,
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
    ts: Ts,
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
    ts: Ts,
    role: &'static str,
    closing: &'static str,
    summary: FlowRow<'a>,
}

// ---- flows ----

/// One connection's summary.
#[derive(Serialize)]
pub struct FlowRow<'a> {
    id: u64,
    client: Text<SocketAddr>,
    server: Text<SocketAddr>,
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
    fn addresses_and_dialects_are_their_text() {
        let v6: SocketAddr = "[2001:db8::1]:1863".parse().unwrap();
        assert_eq!(json(Text(v6)), r#""[2001:db8::1]:1863""#);
        assert_eq!(json(Text(Dialect(18))), r#""MSNP18""#);
        assert_eq!(json(Text(Dialect::MSNFTP)), r#""MSNFTP""#);
    }
}
