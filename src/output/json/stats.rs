//! `msnsniff stats --format json`: the summary as one JSON document, from wire types of its
//! own (documented in `docs/stats.md`, described by `docs/stats.schema.json`).
//!
//! Why it exists: [`crate::output::stats`] keeps its counters in whatever shape suits it; the
//! JSON is an interface, so every key is spelt out here and every value is a string or number
//! chosen here (roles, directions, kinds and reasons by the same names as the event JSON of
//! [`super::wire`]). Guarantees: key order is the order below; arrays come in the report's
//! sorted order; times are exact decimals ([`super::wire::Ts`]); text from the capture is the
//! data form of [`crate::escape`], as in the event JSON.

use super::wire::Ts;
use crate::capture::Timestamp;
use crate::output::stats::{
    AnomalyRow, CommandRow, ConnectionRow, ConversationRow, ErrorRow, GapRow, ObjectRow,
    PresenceRow, PrincipalRow, StatsReport,
};
use serde::Serialize;
use std::io::{self, Write};

/// Writes `report` as one indented JSON document and a newline.
pub fn write<W: Write>(mut out: W, report: &StatsReport) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut out, &WireStats::new(report))?;
    out.write_all(b"\n")
}

#[derive(Serialize)]
struct WireStats<'a> {
    connections: Vec<WireConnection<'a>>,
    principals: Vec<WirePrincipal<'a>>,
    conversations: Vec<WireConversation<'a>>,
    commands: Vec<WireCommand<'a>>,
    errors: Vec<WireError<'a>>,
    presence: Vec<WirePresence<'a>>,
    contacts: WireContacts,
    objects: Vec<WireObject>,
    anomalies: Vec<WireAnomaly>,
    gaps: Vec<WireGap>,
    others: WireOthers,
}

#[derive(Serialize)]
struct WireConnection<'a> {
    role: &'static str,
    dialect: Option<&'a str>,
    count: u64,
}

#[derive(Serialize)]
struct WirePrincipal<'a> {
    handle: &'a str,
    client_name: Option<&'a str>,
    client_version: Option<&'a str>,
    client_caps: Option<&'a [String]>,
    msnc: Option<u64>,
    login_ts: Option<Ts>,
    ip: Option<String>,
    connections: u64,
    conversations: u64,
}

#[derive(Serialize)]
struct WireConversation<'a> {
    id: u64,
    flows: Vec<u64>,
    principals: &'a [String],
    participants: &'a [String],
    first_ts: Ts,
    last_ts: Ts,
    duration: Ts,
    messages: u64,
}

#[derive(Serialize)]
struct WireCommand<'a> {
    verb: &'a str,
    dir: &'static str,
    count: u64,
}

#[derive(Serialize)]
struct WireError<'a> {
    code: u16,
    meaning: Option<&'static str>,
    request: Option<&'a str>,
    count: u64,
}

#[derive(Serialize)]
struct WirePresence<'a> {
    verb: &'a str,
    status: Option<&'a str>,
    status_name: Option<&'a str>,
    count: u64,
}

#[derive(Serialize)]
struct WireContacts {
    distinct: u64,
    capped: bool,
}

#[derive(Serialize)]
struct WireObject {
    kind: &'static str,
    transport: &'static str,
    started: u64,
    declared_bytes: u64,
    extracted: u64,
    bytes_written: u64,
    partial: u64,
}

#[derive(Serialize)]
struct WireAnomaly {
    name: &'static str,
    count: u64,
}

#[derive(Serialize)]
struct WireGap {
    reason: &'static str,
    count: u64,
    bytes: u64,
}

#[derive(Serialize)]
struct WireOthers {
    principal_connections: u64,
    conversations: u64,
    commands: u64,
    errors: u64,
    presence: u64,
    anomalies: u64,
}

impl<'a> WireStats<'a> {
    fn new(r: &'a StatsReport) -> Self {
        WireStats {
            connections: r.connections.iter().map(connection).collect(),
            principals: r.principals.iter().map(principal).collect(),
            conversations: r.conversations.iter().map(conversation).collect(),
            commands: r.commands.iter().map(command).collect(),
            errors: r.errors.iter().map(error).collect(),
            presence: r.presence.iter().map(presence).collect(),
            contacts: WireContacts {
                distinct: r.contacts,
                capped: r.contacts_capped,
            },
            objects: r.objects.iter().map(object).collect(),
            anomalies: r.anomalies.iter().map(anomaly).collect(),
            gaps: r.gaps.iter().map(gap).collect(),
            others: WireOthers {
                principal_connections: r.others.principal_connections,
                conversations: r.others.conversations,
                commands: r.others.commands,
                errors: r.others.errors,
                presence: r.others.presence,
                anomalies: r.others.anomalies,
            },
        }
    }
}

fn connection(c: &ConnectionRow) -> WireConnection<'_> {
    WireConnection {
        role: c.role,
        dialect: c.dialect.as_deref(),
        count: c.count,
    }
}

fn principal(p: &PrincipalRow) -> WirePrincipal<'_> {
    WirePrincipal {
        handle: &p.handle,
        client_name: p.client_name.as_deref(),
        client_version: p.client_version.as_deref(),
        client_caps: p.client_caps.as_deref(),
        msnc: p.msnc,
        login_ts: p.login.map(Ts),
        ip: p.ip.map(|ip| ip.to_string()),
        connections: p.connections,
        conversations: p.conversations,
    }
}

fn conversation(c: &ConversationRow) -> WireConversation<'_> {
    let d = c.last.saturating_duration_since(c.first);
    WireConversation {
        id: c.id,
        flows: c.flows.iter().map(|f| f.0).collect(),
        principals: &c.principals,
        participants: &c.participants,
        first_ts: Ts(c.first),
        last_ts: Ts(c.last),
        duration: Ts(Timestamp::new(
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_nanos(),
        )),
        messages: c.messages,
    }
}

fn command(c: &CommandRow) -> WireCommand<'_> {
    WireCommand {
        verb: &c.verb,
        dir: c.dir,
        count: c.count,
    }
}

fn error(e: &ErrorRow) -> WireError<'_> {
    WireError {
        code: e.code,
        meaning: e.meaning,
        request: e.request.as_deref(),
        count: e.count,
    }
}

fn presence(p: &PresenceRow) -> WirePresence<'_> {
    WirePresence {
        verb: &p.verb,
        status: p.status.as_deref(),
        status_name: p.status_name.as_deref(),
        count: p.count,
    }
}

fn object(o: &ObjectRow) -> WireObject {
    WireObject {
        kind: o.kind,
        transport: o.transport,
        started: o.started,
        declared_bytes: o.declared_bytes,
        extracted: o.extracted,
        bytes_written: o.bytes_written,
        partial: o.partial,
    }
}

fn anomaly(a: &AnomalyRow) -> WireAnomaly {
    WireAnomaly {
        name: a.name,
        count: a.count,
    }
}

fn gap(g: &GapRow) -> WireGap {
    WireGap {
        reason: g.reason,
        count: g.count,
        bytes: g.bytes,
    }
}
