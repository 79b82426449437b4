//! From reassembled byte streams to decoded, annotated events: one MSNP framer per direction
//! of each connection, plus what only a view of the whole connection (and of the other
//! connections) can tell:
//!
//! - the **role** of each connection (dispatch server, notification server, switchboard,
//!   MSNFTP) and why, from the commands seen and from announcements;
//! - the **dialect**, from the server's `VER` reply, inherited by a switchboard from the
//!   notification server whose cookie it presents, or inferred from later evidence;
//! - the **channel** of each line (NS, SB, or MSNC for client-to-client messages);
//! - **replies paired with requests** by transaction ID, with the delay;
//! - **challenges** (`CHL`) checked against their answers (`QRY`);
//! - **announcements** (`XFR ... SB`, `RNG`, file-transfer invitations) handed back to the flow
//!   table, so that the connections they promise are recognised whatever their port, and
//!   linked to the connection that announced them.
//!
//! Pure and deterministic: flow events in, [`Event`]s out to a [`Sink`], in capture order.
//! Every table here is bounded.

mod classify;

use crate::Direction;
use crate::capture::Timestamp;
use crate::event::{
    CommandEvent, ConnectionInfo, DialectSource, Event, LineEnd, ReplyTo, Role, Sink,
};
use crate::flow::{At, Detection, Expectation, ExpectedKind, FlowEvent, FlowId, Opening};
use crate::msnp::framer::{Eol, Frame, Framer, FramerEvent};
use crate::msnp::{Dialect, catalog, challenge};
use crate::pipeline::FlowConsumer;
use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;

/// Requests remembered per connection while waiting for their replies; the oldest is
/// forgotten past it (a client sends a few per second at most, and replies come within
/// seconds).
pub const MAX_PENDING_REQUESTS: usize = 1024;

/// Switchboard cookies remembered (from `XFR ... SB` and `RNG`) to link a switchboard to the
/// notification server that announced it.
pub const MAX_COOKIES: usize = 4096;

struct Conn {
    info: ConnectionInfo,
    /// Whether `ConnectionOpened` has been emitted.
    reported: bool,
    framers: [Framer; 2],
    finished: [bool; 2],
    pending: HashMap<u32, (u64, Timestamp)>,
    pending_order: VecDeque<u32>,
    /// The last challenge the server sent, waiting for the client's `QRY`.
    challenge: Option<String>,
    /// Whether the login finished (`USR ... OK`): an `XFR ... NS` after it moves an NS, before
    /// it marks a dispatch server.
    logged_in: bool,
}

/// What a cookie tells about the switchboard that presents it.
#[derive(Clone)]
struct CookieInfo {
    ns_flow: u64,
    dialect: Option<Dialect>,
}

/// Decodes every MSN connection and pushes [`Event`]s into a [`Sink`].
pub struct Decoder<'s> {
    sink: &'s mut dyn Sink,
    conns: HashMap<u64, Conn>,
    cookies: HashMap<String, CookieInfo>,
    cookie_order: VecDeque<String>,
    expectations: Vec<Expectation>,
    /// Commands decoded so far.
    pub commands: u64,
}

impl<'s> Decoder<'s> {
    pub fn new(sink: &'s mut dyn Sink) -> Decoder<'s> {
        Decoder {
            sink,
            conns: HashMap::new(),
            cookies: HashMap::new(),
            cookie_order: VecDeque::new(),
            expectations: Vec::new(),
            commands: 0,
        }
    }

    fn opened(
        &mut self,
        flow: u64,
        at: At,
        client: SocketAddr,
        server: SocketAddr,
        detection: &Detection,
        opening: Opening,
    ) {
        let (role, reason, announced_by) = match detection {
            Detection::Announced { kind, announced_by } => {
                let (role, what) = match kind {
                    ExpectedKind::Switchboard => (Role::Switchboard, "switchboard"),
                    ExpectedKind::FileTransfer => (Role::FileTransfer, "file transfer"),
                    ExpectedKind::Notification => (Role::Notification, "notification server"),
                };
                (
                    role,
                    format!("{what} address announced on connection {announced_by}"),
                    Some(announced_by.0),
                )
            }
            _ => (Role::Unknown, "no command seen yet".to_string(), None),
        };
        let dialect = announced_by
            .and_then(|f| self.conns.get(&f))
            .and_then(|c| c.info.dialect);
        let mut framers = [
            Framer::new(Direction::ClientToServer),
            Framer::new(Direction::ServerToClient),
        ];
        if opening != Opening::Syn {
            for f in &mut framers {
                f.set_midstream();
            }
        }
        self.conns.insert(
            flow,
            Conn {
                info: ConnectionInfo {
                    flow,
                    frame: at.frame,
                    ts: at.ts,
                    client,
                    server,
                    role,
                    role_reason: reason,
                    dialect,
                    dialect_source: dialect.map(|_| DialectSource::Inherited),
                    detection: detection.clone(),
                    opening,
                    announced_by,
                    principal: None,
                },
                reported: false,
                framers,
                finished: [false; 2],
                pending: HashMap::new(),
                pending_order: VecDeque::new(),
                challenge: None,
                logged_in: false,
            },
        );
    }

    /// Emits `ConnectionOpened` for a connection the first time it has something to say.
    fn report(&mut self, flow: u64) -> io::Result<()> {
        if let Some(c) = self.conns.get_mut(&flow)
            && !c.reported
        {
            c.reported = true;
            let ev = Event::ConnectionOpened(c.info.clone());
            self.sink.event(&ev)?;
        }
        Ok(())
    }

    /// Runs a direction's framer until it needs more bytes.
    fn drain(&mut self, flow: u64, dir: Direction, at: At) -> io::Result<()> {
        loop {
            let Some(conn) = self.conns.get_mut(&flow) else {
                return Ok(());
            };
            let dialect = conn.info.dialect;
            let Some(ev) = conn.framers[dir.index()].next_event(dialect) else {
                return Ok(());
            };
            self.framer_event(flow, dir, at, ev)?;
        }
    }

    fn framer_event(
        &mut self,
        flow: u64,
        dir: Direction,
        at: At,
        ev: FramerEvent,
    ) -> io::Result<()> {
        match ev {
            FramerEvent::Frame(frame) => self.frame(flow, dir, at, frame),
            FramerEvent::Anomaly {
                name,
                offset,
                detail,
            } => {
                self.report(flow)?;
                let detail = if detail.is_empty() {
                    format!("at offset {offset}")
                } else {
                    detail
                };
                self.sink.event(&Event::Anomaly {
                    flow: Some(flow),
                    frame: at.frame,
                    ts: at.ts,
                    dir: Some(dir),
                    name,
                    detail,
                })
            }
        }
    }

    fn frame(&mut self, flow: u64, dir: Direction, at: At, frame: Frame) -> io::Result<()> {
        self.commands += 1;
        let cmd = &frame.command;
        let mut notes: Vec<String> = Vec::new();
        let mut updated = false;
        let announce;
        let mut link_cookie: Option<String> = None;
        {
            let Some(conn) = self.conns.get_mut(&flow) else {
                return Ok(());
            };
            // Role.
            if let Some((role, reason)) = classify::role_evidence(cmd, dir, conn.logged_in) {
                let upgrade = matches!(
                    (conn.info.role, role),
                    (Role::Unknown, _) | (Role::Notification, Role::Dispatch)
                );
                if upgrade && conn.info.role != role {
                    conn.info.role = role;
                    conn.info.role_reason = reason.to_string();
                    updated = true;
                }
            }
            // Dialect.
            if let Some(d) = classify::dialect_from_ver(cmd, dir) {
                if conn.info.dialect != Some(d)
                    || conn.info.dialect_source != Some(DialectSource::Ver)
                {
                    conn.info.dialect = Some(d);
                    conn.info.dialect_source = Some(DialectSource::Ver);
                    updated = true;
                }
            } else if conn.info.dialect.is_none()
                && let Some(d) = classify::dialect_evidence(cmd, dir)
            {
                conn.info.dialect = Some(d);
                conn.info.dialect_source = Some(DialectSource::Inferred);
                updated = true;
            }
            // Who is signed in.
            if let Some(handle) = classify::principal(cmd, dir, conn.info.role)
                && conn.info.principal.as_deref() != Some(handle.as_str())
            {
                conn.info.principal = Some(handle);
                updated = true;
            }
            if dir == Direction::ServerToClient
                && cmd.verb.as_str() == "USR"
                && cmd.params.first().is_some_and(|p| p == "OK")
            {
                conn.logged_in = true;
            }
            // Switchboard and file-transfer announcements; the switchboard's own cookie.
            announce = classify::announcement(
                cmd,
                dir,
                frame.payload.as_ref().map(|p| p.bytes.as_slice()),
            );
            if conn.info.role == Role::Switchboard || conn.info.role == Role::Unknown {
                link_cookie = classify::presented_cookie(cmd, dir);
            }
        }
        if let Some((addr, cookie, kind)) = &announce {
            let dialect = self.conns.get(&flow).and_then(|c| c.info.dialect);
            if kind == &ExpectedKind::Switchboard && !cookie.is_empty() {
                self.remember_cookie(
                    cookie.clone(),
                    CookieInfo {
                        ns_flow: flow,
                        dialect,
                    },
                );
            }
            // A host name (Escargot announces `host:port`) cannot be matched to a capture's
            // addresses; the switchboard is then found by its first bytes and linked by cookie.
            if let Ok(server) = addr.parse::<SocketAddr>() {
                self.expectations.push(Expectation {
                    server,
                    kind: *kind,
                    announced_by: FlowId(flow),
                    cookie: (!cookie.is_empty()).then(|| cookie.clone()),
                });
            } else if !looks_like_host_port(addr) {
                self.report(flow)?;
                self.sink.event(&Event::Anomaly {
                    flow: Some(flow),
                    frame: at.frame,
                    ts: at.ts,
                    dir: Some(dir),
                    name: "msnp.bad_address",
                    detail: format!("announced address {addr:?} is not host:port"),
                })?;
            }
        }
        if let Some(cookie) = link_cookie
            && let Some(info) = self.cookies.get(&cookie).cloned()
            && let Some(conn) = self.conns.get_mut(&flow)
        {
            if conn.info.announced_by != Some(info.ns_flow) {
                conn.info.announced_by = Some(info.ns_flow);
                updated = true;
                notes.push(format!(
                    "cookie matches the switchboard offered on connection {}",
                    info.ns_flow
                ));
            }
            if conn.info.role == Role::Unknown {
                conn.info.role = Role::Switchboard;
                conn.info.role_reason = format!(
                    "presented a switchboard cookie from connection {}",
                    info.ns_flow
                );
            }
            if conn.info.dialect_source != Some(DialectSource::Ver)
                && info.dialect.is_some()
                && conn.info.dialect != info.dialect
            {
                conn.info.dialect = info.dialect;
                conn.info.dialect_source = Some(DialectSource::Inherited);
            }
        }

        let Some(conn) = self.conns.get_mut(&flow) else {
            return Ok(());
        };
        let was_reported = conn.reported;
        let dialect = conn.info.dialect;
        let role = conn.info.role;

        // Requests and replies.
        let mut reply_to = None;
        if let Some(trid) = cmd.trid {
            match dir {
                Direction::ClientToServer => {
                    if conn.pending.insert(trid, (at.frame, at.ts)).is_none() {
                        conn.pending_order.push_back(trid);
                        if conn.pending_order.len() > MAX_PENDING_REQUESTS
                            && let Some(old) = conn.pending_order.pop_front()
                        {
                            conn.pending.remove(&old);
                        }
                    }
                }
                Direction::ServerToClient => {
                    if let Some((req_frame, req_ts)) = conn.pending.get(&trid) {
                        reply_to = Some(ReplyTo {
                            frame: *req_frame,
                            delay_ms: at.ts.nanos_since(*req_ts) as f64 / 1e6,
                        });
                    }
                }
            }
        }

        // Challenges.
        let verb = cmd.verb.as_str();
        let mut fields =
            catalog::named_fields(cmd.verb, dir, dialect, &cmd.params, cmd.trid.is_some());
        if dir == Direction::ServerToClient && verb == "CHL" {
            conn.challenge = cmd.params.first().cloned();
        }
        let qry = (dir == Direction::ClientToServer && verb == "QRY")
            .then(|| conn.challenge.take())
            .flatten();
        if let Some(nonce) = qry
            && let Some(pid) = cmd.params.first()
            && let Some(p) = &frame.payload
        {
            let answer = String::from_utf8_lossy(&p.bytes).to_string();
            let (word, note) = match challenge::check_challenge(dialect, &nonce, pid, &answer) {
                challenge::ChallengeCheck::Valid { product_id } => (
                    "valid",
                    format!("challenge answered correctly (product id {product_id})"),
                ),
                challenge::ChallengeCheck::Invalid => {
                    ("invalid", "challenge answer is wrong".to_string())
                }
                challenge::ChallengeCheck::UnknownKey => (
                    "unknown_key",
                    format!(
                        "challenge answer cannot be checked: no known key for product id {pid}"
                    ),
                ),
            };
            fields.insert("challenge".into(), word.into());
            notes.push(note);
        }
        if let Some(n) = catalog::note(cmd.verb, dir, dialect, &cmd.params) {
            notes.insert(0, n);
        }

        let channel = classify::channel(role, cmd, dir);
        let (payload_len, payload_received, payload, payload_base64, payload_bytes) = match frame
            .payload
        {
            None => (None, None, None, None, None),
            Some(p) => {
                let received = (p.bytes.len() as u64 != p.declared).then_some(p.bytes.len() as u64);
                let (text, b64) = match std::str::from_utf8(&p.bytes) {
                    Ok(t) => (Some(t.to_string()), None),
                    Err(_) => (None, Some(base64(&p.bytes))),
                };
                (Some(p.declared), received, text, b64, Some(p.bytes))
            }
        };
        let ev = CommandEvent {
            flow,
            frame: at.frame,
            ts: at.ts,
            dir,
            role,
            channel,
            dialect,
            verb: verb.to_string(),
            trid: cmd.trid,
            params: frame.command.params,
            fields,
            payload_len,
            payload_received,
            payload,
            payload_base64,
            line_end: match frame.eol {
                Eol::CrLf => LineEnd::Crlf,
                Eol::Lf => LineEnd::Lf,
                Eol::None => LineEnd::None,
            },
            offset: frame.offset,
            reply_to,
            note: (!notes.is_empty()).then(|| notes.join("; ")),
            line: frame.line,
            payload_bytes,
        };
        let mut info = conn.info.clone();
        info.frame = at.frame;
        info.ts = at.ts;
        if !was_reported {
            self.report(flow)?;
        } else if updated {
            self.sink.event(&Event::ConnectionUpdate(info))?;
        }
        self.sink.event(&Event::Command(Box::new(ev)))
    }

    fn remember_cookie(&mut self, cookie: String, info: CookieInfo) {
        if self.cookies.insert(cookie.clone(), info).is_none() {
            self.cookie_order.push_back(cookie);
            if self.cookie_order.len() > MAX_COOKIES
                && let Some(old) = self.cookie_order.pop_front()
            {
                self.cookies.remove(&old);
            }
        }
    }

    /// Flushes a direction's framer at its end (FIN, close).
    fn finish_dir(&mut self, flow: u64, dir: Direction, at: At) -> io::Result<()> {
        let Some(conn) = self.conns.get_mut(&flow) else {
            return Ok(());
        };
        if conn.finished[dir.index()] {
            return Ok(());
        }
        self.drain(flow, dir, at)?;
        let Some(conn) = self.conns.get_mut(&flow) else {
            return Ok(());
        };
        conn.finished[dir.index()] = true;
        let rest = conn.framers[dir.index()].finish();
        for ev in rest {
            self.framer_event(flow, dir, at, ev)?;
        }
        Ok(())
    }
}

impl FlowConsumer for Decoder<'_> {
    fn event(&mut self, ev: &FlowEvent<'_>) -> io::Result<()> {
        match ev {
            FlowEvent::Opened {
                flow,
                at,
                client,
                server,
                detection,
                opening,
            } => {
                self.opened(flow.0, *at, *client, *server, detection, *opening);
                Ok(())
            }
            FlowEvent::Data {
                flow,
                at,
                dir,
                offset,
                bytes,
            } => {
                let flow = &flow.0;
                if let Some(c) = self.conns.get_mut(flow) {
                    c.framers[dir.index()].push(*offset, bytes);
                }
                self.drain(*flow, *dir, *at)
            }
            FlowEvent::Gap {
                flow,
                at,
                dir,
                offset,
                len,
                reason,
            } => {
                let flow = &flow.0;
                self.drain(*flow, *dir, *at)?;
                self.report(*flow)?;
                self.sink.event(&Event::Gap {
                    flow: *flow,
                    frame: at.frame,
                    ts: at.ts,
                    dir: *dir,
                    offset: *offset,
                    len: *len,
                    reason: *reason,
                })?;
                if let Some(c) = self.conns.get_mut(flow) {
                    c.framers[dir.index()].gap(*offset, *len);
                }
                self.drain(*flow, *dir, *at)
            }
            FlowEvent::Fin { flow, at, dir, .. } => self.finish_dir(flow.0, *dir, *at),
            FlowEvent::Anomaly {
                flow,
                at,
                dir,
                name,
                detail,
            } => {
                let flow = &flow.map(|f| f.0);
                if let Some(f) = flow {
                    self.report(*f)?;
                }
                self.sink.event(&Event::Anomaly {
                    flow: *flow,
                    frame: at.frame,
                    ts: at.ts,
                    dir: *dir,
                    name,
                    detail: detail.clone(),
                })
            }
            FlowEvent::Closed { at, summary } => {
                let flow = summary.id.0;
                self.finish_dir(flow, Direction::ClientToServer, *at)?;
                self.finish_dir(flow, Direction::ServerToClient, *at)?;
                self.report(flow)?;
                let role = self
                    .conns
                    .remove(&flow)
                    .map_or(Role::Unknown, |c| c.info.role);
                self.sink.event(&Event::ConnectionClosed {
                    flow,
                    frame: at.frame,
                    ts: at.ts,
                    role,
                    closing: summary.closing,
                    summary: (*summary).clone(),
                })
            }
        }
    }

    fn take_expectations(&mut self) -> Vec<Expectation> {
        std::mem::take(&mut self.expectations)
    }
}

/// Whether `s` is `hostname:port`.
fn looks_like_host_port(s: &str) -> bool {
    match s.rsplit_once(':') {
        Some((host, port)) => {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
                && port.parse::<u16>().is_ok()
        }
        None => false,
    }
}

/// Standard base64 with padding, for binary payloads in JSON.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
