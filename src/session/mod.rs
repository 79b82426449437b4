//! From reassembled byte streams to decoded, annotated events: one MSNP framer per direction
//! of each connection, plus what only a view of the whole connection (and of the other
//! connections) can tell:
//!
//! - the **role** of each connection (dispatch server, notification server, switchboard,
//!   MSNFTP) and what was seen to decide it, from the commands and from announcements;
//! - the **dialect**, from the server's `VER` reply, inherited by a switchboard from the
//!   notification server whose cookie it presents, or inferred (with its basis);
//! - the **channel** of each line (NS, SB, or MSNC for client-to-client messages);
//! - **replies paired with requests** by transaction ID, with the delay;
//! - **challenges** (`CHL`) checked against their answers (`QRY`);
//! - **announcements** (`XFR ... SB`, `RNG`, file-transfer invitations) handed back to the flow
//!   table, so that the connections they promise are recognised whatever their port, and
//!   linked to the connection that announced them.
//!
//! Layout: [`step`] is the pure decoder step (a connection's state and one command in, what
//! changed out), [`build`] turns a command and its changes into a [`crate::event::CommandEvent`],
//! `classify` reads single commands for evidence, and the [`Decoder`] here runs the framers,
//! keeps the tables that span connections (switchboard cookies) and writes events to a
//! [`Sink`] in capture order.
//!
//! Pure and deterministic: flow events in, [`Event`]s out. Every table here is bounded.

pub mod build;
mod classify;
pub mod step;

use crate::Direction;
use crate::bounded::FifoMap;
use crate::event::{ConnectionInfo, DialectSource, Event, Role, Sink};
use crate::flow::FlowConsumer;
use crate::flow::{At, Detection, Expectation, ExpectedKind, FlowEvent, FlowId, Opening};
use crate::msnp::framer::{Frame, Framer, FramerEvent};
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use step::{ConnState, detection_words};
pub use step::{CookieInfo, MAX_PENDING_REQUESTS};

/// Switchboard cookies remembered (from `XFR ... SB` and `RNG`) to link a switchboard to the
/// notification server that announced it.
pub const MAX_COOKIES: usize = 4096;

struct Conn {
    state: ConnState,
    /// Whether `ConnectionOpened` has been emitted.
    reported: bool,
    framers: [Framer; 2],
    finished: [bool; 2],
}

/// Decodes every MSN connection and pushes [`Event`]s into a [`Sink`].
pub struct Decoder<'s> {
    sink: &'s mut dyn Sink,
    conns: HashMap<FlowId, Conn>,
    cookies: FifoMap<String, CookieInfo>,
    expectations: Vec<Expectation>,
    /// Commands decoded so far.
    pub commands: u64,
}

impl<'s> Decoder<'s> {
    pub fn new(sink: &'s mut dyn Sink) -> Decoder<'s> {
        Decoder {
            sink,
            conns: HashMap::new(),
            cookies: FifoMap::new(MAX_COOKIES),
            expectations: Vec::new(),
            commands: 0,
        }
    }

    fn opened(
        &mut self,
        flow: FlowId,
        at: At,
        client: SocketAddr,
        server: SocketAddr,
        detection: &Detection,
        opening: Opening,
    ) {
        let (role, announced_by) = match detection {
            Detection::Announced { kind, announced_by } => (
                match kind {
                    ExpectedKind::Switchboard => Role::Switchboard,
                    ExpectedKind::FileTransfer => Role::FileTransfer,
                    ExpectedKind::Notification => Role::Notification,
                },
                Some(*announced_by),
            ),
            _ => (Role::Unknown, None),
        };
        let role_reason = match role {
            Role::Unknown => format!("{}, no command seen yet", detection_words(detection)),
            _ => detection_words(detection),
        };
        let dialect = announced_by
            .and_then(|f| self.conns.get(&f))
            .and_then(|c| c.state.info.dialect);
        let mut framers = [
            Framer::new(Direction::ClientToServer),
            Framer::new(Direction::ServerToClient),
        ];
        if opening != Opening::Syn {
            for f in &mut framers {
                f.set_midstream();
            }
        }
        let info = ConnectionInfo {
            flow,
            frame: at.frame,
            ts: at.ts,
            client,
            server,
            role,
            role_reason,
            dialect,
            dialect_source: dialect.map(|_| DialectSource::Inherited),
            dialect_basis: None,
            detection: detection.clone(),
            opening,
            announced_by,
            principal: None,
        };
        self.conns.insert(
            flow,
            Conn {
                state: ConnState::new(info),
                reported: false,
                framers,
                finished: [false; 2],
            },
        );
    }

    /// Emits `ConnectionOpened` for a connection the first time it has something to say.
    fn report(&mut self, flow: FlowId) -> io::Result<()> {
        if let Some(c) = self.conns.get_mut(&flow)
            && !c.reported
        {
            c.reported = true;
            let ev = Event::ConnectionOpened(c.state.info.clone());
            self.sink.event(&ev)?;
        }
        Ok(())
    }

    /// Runs a direction's framer until it needs more bytes.
    fn drain(&mut self, flow: FlowId, dir: Direction, at: At) -> io::Result<()> {
        loop {
            let Some(conn) = self.conns.get_mut(&flow) else {
                return Ok(());
            };
            let dialect = conn.state.info.dialect;
            let Some(ev) = conn.framers[dir.index()].next_event(dialect) else {
                return Ok(());
            };
            self.framer_event(flow, dir, at, ev)?;
        }
    }

    fn framer_event(
        &mut self,
        flow: FlowId,
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

    /// One framed command: the pure step on its connection, the cross-connection tables
    /// (announcements, cookies), then the events.
    fn frame(&mut self, flow: FlowId, dir: Direction, at: At, frame: Frame) -> io::Result<()> {
        self.commands += 1;
        let Some(conn) = self.conns.get_mut(&flow) else {
            return Ok(());
        };
        let payload = frame.payload.as_ref().map(|p| p.bytes.as_slice());
        let mut changes = step::step(&mut conn.state, &frame.command, payload, dir, at);
        if let Some(a) = changes.announcement.take() {
            self.announce(flow, dir, at, a)?;
        }
        let mut link_note = None;
        if let Some(cookie) = &changes.presented_cookie
            && let Some(info) = self.cookies.get(cookie)
            && let Some(conn) = self.conns.get_mut(&flow)
        {
            let before = (conn.state.info.role, conn.state.info.announced_by);
            link_note = step::link(&mut conn.state, info);
            changes.updated |= before != (conn.state.info.role, conn.state.info.announced_by);
        }
        let Some(conn) = self.conns.get_mut(&flow) else {
            return Ok(());
        };
        let was_reported = conn.reported;
        let ev = build::command_event(flow, at, dir, &conn.state, frame, &changes, link_note);
        // A connection is reported before its first line; a change a line brings is reported
        // after that line, so that no note runs ahead of what the capture has shown.
        let update = (was_reported && changes.updated).then(|| {
            let mut info = conn.state.info.clone();
            info.frame = at.frame;
            info.ts = at.ts;
            info
        });
        if !was_reported {
            self.report(flow)?;
        }
        self.sink.event(&Event::Command(Box::new(ev)))?;
        match update {
            Some(info) => self.sink.event(&Event::ConnectionUpdate(info)),
            None => Ok(()),
        }
    }

    /// Remembers what a command announced: the cookie for the switchboard to present, and the
    /// address for the flow table to expect.
    fn announce(
        &mut self,
        flow: FlowId,
        dir: Direction,
        at: At,
        a: step::Announcement,
    ) -> io::Result<()> {
        let dialect = self.conns.get(&flow).and_then(|c| c.state.info.dialect);
        if a.kind == ExpectedKind::Switchboard && !a.cookie.is_empty() {
            self.cookies.insert(
                a.cookie.clone(),
                CookieInfo {
                    ns_flow: flow,
                    dialect,
                },
            );
        }
        // A host name (Escargot announces `host:port`) cannot be matched to a capture's
        // addresses; the switchboard is then found by its first bytes and linked by cookie.
        if let Ok(server) = a.address.parse::<SocketAddr>() {
            // A switchboard or notification server is announced to this connection's client;
            // a file-transfer peer may connect from anywhere.
            let client = match a.kind {
                ExpectedKind::FileTransfer => None,
                _ => self.conns.get(&flow).map(|c| c.state.info.client.ip()),
            };
            self.expectations.push(Expectation {
                server,
                client,
                kind: a.kind,
                announced_by: flow,
                cookie: (!a.cookie.is_empty()).then_some(a.cookie),
            });
        } else if !looks_like_host_port(&a.address) {
            self.report(flow)?;
            self.sink.event(&Event::Anomaly {
                flow: Some(flow),
                frame: at.frame,
                ts: at.ts,
                dir: Some(dir),
                name: "msnp.bad_address",
                detail: format!("announced address {:?} is not host:port", a.address),
            })?;
        }
        Ok(())
    }

    /// Flushes a direction's framer at its end (FIN, close).
    fn finish_dir(&mut self, flow: FlowId, dir: Direction, at: At) -> io::Result<()> {
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
                self.opened(*flow, *at, *client, *server, detection, *opening);
                Ok(())
            }
            FlowEvent::Data {
                flow,
                at,
                dir,
                offset,
                bytes,
            } => {
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
            FlowEvent::Fin { flow, at, dir, .. } => self.finish_dir(*flow, *dir, *at),
            FlowEvent::Anomaly {
                flow,
                at,
                dir,
                name,
                detail,
            } => {
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
                let flow = summary.id;
                self.finish_dir(flow, Direction::ClientToServer, *at)?;
                self.finish_dir(flow, Direction::ServerToClient, *at)?;
                self.report(flow)?;
                let role = self
                    .conns
                    .remove(&flow)
                    .map_or(Role::Unknown, |c| c.state.info.role);
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

#[cfg(test)]
mod tests;
