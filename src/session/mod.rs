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
//!   linked to the connection that announced them;
//! - **MSNFTP transfers**: the file an invitation offered (name, size, sender) and the
//!   AuthCookie it gave, matched to the MSNFTP connection by its address or by the cookie its
//!   `USR` presents; the blocks counted and summed up when the connection closes, and
//!   their bytes given as an object's (see [`objects`]), never gathered.
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
pub mod objects;
pub mod step;

use crate::Direction;
use crate::bounded::FifoMap;
use crate::event::{
    BlockEvent, Clients, ConnectionInfo, DialectSource, Event, FieldsWanted, ObjectId, Role, Sink,
    TransferSummary,
};
use crate::flow::FlowConsumer;
use crate::flow::{At, Detection, Expectation, ExpectedKind, FlowEvent, FlowId, Opening};
use crate::msnp::Dialect;
use crate::msnp::framer::{self, Block, Frame, Framer, FramerEvent};
use std::io;
use std::net::SocketAddr;
use step::{ConnState, FileInvitation, FileOffer, detection_words};
pub use step::{CookieInfo, MAX_PENDING_REQUESTS};

/// Switchboard cookies remembered (from `XFR ... SB` and `RNG`) to link a switchboard to the
/// notification server that announced it.
pub const MAX_COOKIES: usize = 4096;

/// File invitations remembered: offers (`INVITE`) waiting for their `ACCEPT`, and accepted
/// ones waiting for their MSNFTP connection, each table this many at most (the oldest
/// forgotten first).
pub const MAX_FILE_INVITATIONS: usize = 1024;

struct Conn {
    state: ConnState,
    /// Whether `ConnectionOpened` has been emitted.
    reported: bool,
    framers: [Framer; 2],
    finished: [bool; 2],
    /// Objects started on this connection and not ended yet (at most
    /// [`objects::MAX_OPEN_OBJECTS`]).
    objects: Vec<ObjectId>,
    /// On MSNFTP: the file `FIL` started, and the direction its blocks come from.
    msnftp_object: Option<(ObjectId, Direction)>,
    /// On MSNFTP: the handle the receiver's `USR` presented.
    msnftp_receiver: Option<String>,
    /// P2P sessions' objects, by session id (at most [`step::MAX_P2P_SESSIONS`]).
    p2p_objects: FifoMap<u32, objects::P2pObject>,
    /// Bytes each framer held when last counted for the memcap.
    counted: [usize; 2],
}

/// Decodes every MSN connection and pushes [`Event`]s into a [`Sink`].
pub struct Decoder<'s> {
    sink: &'s mut dyn Sink,
    /// Boxed: a connection's state is over a kilobyte, and a table of inline values costs
    /// that for every empty slot too, twice over while it grows.
    conns: foldhash::HashMap<FlowId, Box<Conn>>,
    cookies: FifoMap<String, CookieInfo>,
    /// Offered files by (switchboard, `Invitation-Cookie`).
    offers: FifoMap<(FlowId, String), FileOffer>,
    /// Accepted file invitations by the address they announced, and by AuthCookie.
    transfers_by_address: FifoMap<SocketAddr, FileInvitation>,
    transfers_by_cookie: FifoMap<String, FileInvitation>,
    expectations: Vec<Expectation>,
    /// Objects started so far: the last id handed out.
    next_object: u64,
    /// Commands decoded so far.
    pub commands: u64,
    /// What each framer holds, oldest holder first: the memcap gives up the oldest.
    holdings: crate::bounded::Holdings<(FlowId, usize)>,
    /// What all framers may hold at once.
    memcap: usize,
    /// Whether the sink reads command and MSNFTP block events (see
    /// [`Sink::wants_commands`]); when not, they are never built.
    build_commands: bool,
    /// Whether the sink reads commands' notes ([`Sink::wants_notes`]); when not, none is
    /// written.
    build_notes: bool,
    /// Which commands' named fields the sink reads ([`Sink::wants_fields`]): for the others
    /// they are named only where a note is made from them. `None`: asked again for every
    /// command ([`Sink::fields_vary`]).
    build_fields: Option<FieldsWanted>,
    /// How much of `text/plain` messages is read: the text when commands are built and the
    /// sink reads it ([`Sink::wants_text`]), what their notes tell when commands are built
    /// without it, nothing when no command is built.
    text: crate::msnc::TextBody,
}

impl<'s> Decoder<'s> {
    pub fn new(sink: &'s mut dyn Sink) -> Decoder<'s> {
        let (build_commands, build_notes) = (sink.wants_commands(), sink.wants_notes());
        let text = match (build_commands, sink.wants_text()) {
            (false, _) => crate::msnc::TextBody::Skip,
            (true, false) => crate::msnc::TextBody::Measure,
            (true, true) => crate::msnc::TextBody::Read,
        };
        Decoder {
            build_commands,
            build_notes,
            build_fields: (!sink.fields_vary()).then(|| sink.wants_fields()),
            text,
            sink,
            conns: foldhash::HashMap::default(),
            cookies: FifoMap::new(MAX_COOKIES),
            offers: FifoMap::new(MAX_FILE_INVITATIONS),
            transfers_by_address: FifoMap::new(MAX_FILE_INVITATIONS),
            transfers_by_cookie: FifoMap::new(MAX_FILE_INVITATIONS),
            expectations: Vec::new(),
            next_object: 0,
            commands: 0,
            holdings: crate::bounded::Holdings::default(),
            memcap: crate::flow::DEFAULT_MEMCAP / 2,
        }
    }

    /// Sets what all framers may hold at once (half of `--memcap`; the default is half of
    /// [`crate::flow::DEFAULT_MEMCAP`]). Past it the framer that started holding first gives
    /// up what it holds ([`Framer::give_up`]), with the anomaly `stream.memcap`.
    pub fn with_memcap(mut self, bytes: usize) -> Self {
        self.memcap = bytes;
        self
    }

    /// Bytes held by all framers now.
    pub fn held_bytes(&self) -> usize {
        self.holdings.total()
    }

    /// Counts what a connection's framers hold after they changed.
    fn count(&mut self, flow: FlowId) {
        let Some(conn) = self.conns.get_mut(&flow) else {
            return;
        };
        for d in 0..2 {
            let now = conn.framers[d].held_memory();
            let before = std::mem::replace(&mut conn.counted[d], now);
            self.holdings.change((flow, d), before, now);
        }
    }

    /// While all framers hold more than the memcap, the oldest holder gives up.
    fn enforce_memcap(&mut self, at: At) -> io::Result<()> {
        while self.holdings.total() > self.memcap {
            let Some((flow, d)) = self.holdings.pop_oldest() else {
                return Ok(());
            };
            let dir = if d == 0 {
                Direction::ClientToServer
            } else {
                Direction::ServerToClient
            };
            let Some(conn) = self.conns.get_mut(&flow) else {
                continue;
            };
            let had = std::mem::take(&mut conn.counted[d]);
            self.holdings.released(had);
            let waiting = conn.framers[d].buffered();
            if conn.framers[d].give_up("the memory cap") {
                self.anomaly(
                    flow,
                    Some(dir),
                    at,
                    "stream.memcap",
                    format!(
                        "{waiting} bytes of a line or payload in progress given up (of {had} \
                         held): all connections together held more than the memcap ({} bytes)",
                        self.memcap
                    ),
                )?;
            }
            self.drain(flow, dir, at)?;
            self.count(flow);
        }
        Ok(())
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
        // A file transfer's invitation, found by the address it announced.
        let invitation = match role {
            Role::FileTransfer => self.transfers_by_address.get(&server).cloned(),
            _ => None,
        };
        let role_reason = match (role, &invitation) {
            (Role::Unknown, _) => format!("{}, no command seen yet", detection_words(detection)),
            (_, Some(inv)) if !inv.offer.words().is_empty() => format!(
                "{}, for {}",
                detection_words(detection),
                crate::escape::one_line(&inv.offer.words())
            ),
            _ => detection_words(detection),
        };
        // A switchboard speaks its notification server's dialect; a file transfer, MSNFTP.
        let (dialect, dialect_source) = match role {
            Role::FileTransfer => (Some(Dialect::MSNFTP), Some(DialectSource::Announced)),
            _ => {
                let d = announced_by
                    .and_then(|f| self.conns.get(&f))
                    .and_then(|c| c.state.info.dialect);
                (d, d.map(|_| DialectSource::Inherited))
            }
        };
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
            dialect_source,
            dialect_basis: None,
            detection: detection.clone(),
            opening,
            announced_by,
            principal: None,
            clients: Clients {
                // The client a switchboard was announced to joins it with its own client.
                own: match role {
                    Role::Switchboard => announced_by.and_then(|f| {
                        let own = self.conns.get(&f)?.state.info.clients.own.as_ref()?;
                        Some(step::inherited_level(own, f))
                    }),
                    _ => None,
                },
                participants: Vec::new(),
            },
        };
        let mut state = ConnState::new(info);
        state.transfer.invitation = invitation;
        self.conns.insert(
            flow,
            Box::new(Conn {
                state,
                reported: false,
                framers,
                finished: [false; 2],
                objects: Vec::new(),
                msnftp_object: None,
                msnftp_receiver: None,
                p2p_objects: FifoMap::new(step::MAX_P2P_SESSIONS),
                counted: [0; 2],
            }),
        );
    }

    /// An anomaly on a connection, with a stable dotted name.
    fn anomaly(
        &mut self,
        flow: FlowId,
        dir: Option<Direction>,
        at: At,
        name: &'static str,
        detail: String,
    ) -> io::Result<()> {
        self.sink.event_owned(Event::Anomaly {
            flow: Some(flow),
            frame: at.frame,
            ts: at.ts,
            dir,
            name,
            detail,
        })
    }

    /// Emits `ConnectionOpened` for a connection the first time it has something to say.
    fn report(&mut self, flow: FlowId) -> io::Result<()> {
        if let Some(c) = self.conns.get_mut(&flow)
            && !c.reported
        {
            c.reported = true;
            let ev = Event::ConnectionOpened(c.state.info.clone());
            self.sink.event_owned(ev)?;
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
            FramerEvent::Block(block) => self.block(flow, dir, at, block),
            FramerEvent::Anomaly {
                name,
                offset,
                detail,
            } => {
                if matches!(
                    name,
                    framer::anomaly::LOST_BLOCKS | framer::anomaly::BAD_BLOCK
                ) && let Some(c) = self.conns.get_mut(&flow)
                {
                    c.state.transfer.structure_lost = true;
                }
                self.report(flow)?;
                let detail = if detail.is_empty() {
                    format!("at offset {offset}")
                } else {
                    detail
                };
                self.anomaly(flow, Some(dir), at, name, detail)
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
        let mut changes =
            step::step_with(&mut conn.state, &frame.command, payload, dir, at, self.text);
        if let Some(a) = changes.announcement.take() {
            self.announce(flow, dir, at, a)?;
        }
        if let Some((cookie, offer)) = changes.file_offer.take() {
            self.offers.insert((flow, cookie), offer);
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
        if let Some(cookie) = &changes.auth_cookie
            && let Some(conn) = self.conns.get_mut(&flow)
        {
            let found = self.transfers_by_cookie.get(cookie);
            let (note, changed) = step::present_auth_cookie(&mut conn.state, cookie, found);
            // The note quotes capture text (a file name, handles): one line, like every note.
            link_note = Some(crate::escape::one_line(&note));
            changes.updated |= changed;
        }
        if let Some(note) = changes.transfer_note.take() {
            link_note = Some(match link_note {
                Some(n) => format!("{n}; {note}"),
                None => note,
            });
        }
        let Some(conn) = self.conns.get_mut(&flow) else {
            return Ok(());
        };
        let was_reported = conn.reported;
        // What an MSNFTP connection's commands need after the event took the frame.
        let verb = frame.command.verb;
        let first_param = conn
            .state
            .is_msnftp()
            .then(|| frame.command.params.first().cloned())
            .flatten();
        let p2p_data = changes.p2p_data.take().and_then(|d| {
            let bytes = frame
                .payload
                .as_ref()?
                .bytes
                .get(d.data_at..d.data_at + d.data_len)?;
            Some((d, bytes.to_vec()))
        });
        let p2p_end = changes.p2p_end.take();
        // The event is built (fields named, text escaped, notes written) only for a sink
        // that reads it.
        let fields = match self.build_fields {
            Some(fields) => fields,
            // Asked just before the command is built: the two-thread hand-over changes its
            // answer from batch to batch.
            None => self.sink.wants_fields(),
        }
        .of(verb);
        // Asked after `wants_fields`, whose answer it follows.
        let later = self.build_notes && self.build_fields.is_none() && self.sink.notes_later();
        let detail = match (self.build_notes, fields) {
            _ if later => build::Detail::Later { link_note },
            (true, true) => build::Detail::FieldsAndNote { link_note },
            (true, false) => build::Detail::Note { link_note },
            (false, true) => build::Detail::Fields,
            (false, false) => build::Detail::Bare,
        };
        let ev = self
            .build_commands
            .then(|| build::command_event(flow, at, dir, &conn.state, frame, &mut changes, detail));
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
        if let Some(ev) = ev {
            self.sink.event_owned(Event::Command(Box::new(ev)))?;
        }
        for (name, detail) in std::mem::take(&mut changes.anomalies) {
            self.anomaly(flow, Some(dir), at, name, detail)?;
        }
        if let Some(info) = update {
            self.sink.event_owned(Event::ConnectionUpdate(info))?;
        }
        self.p2p_objects(flow, at, p2p_data, p2p_end)?;
        self.msnftp_command(flow, dir, at, verb.as_str(), first_param.as_deref())
    }

    /// One MSNFTP block: counted on its connection, then given as an event (with
    /// `msnp.msnftp.beyond_size` the first time the blocks pass the size `FIL` announced).
    fn block(&mut self, flow: FlowId, dir: Direction, at: At, b: Block) -> io::Result<()> {
        let Some(conn) = self.conns.get_mut(&flow) else {
            return Ok(());
        };
        let beyond = conn.state.transfer.block(&b);
        let (bytes, size) = (
            conn.state.transfer.bytes,
            conn.state.transfer.file_size.unwrap_or(0),
        );
        self.report(flow)?;
        // Only for a sink that reads it (as command events); the block is counted anyway.
        if self.build_commands {
            self.sink.event_owned(Event::MsnftpBlock(BlockEvent {
                flow,
                frame: at.frame,
                ts: at.ts,
                dir,
                index: b.index,
                offset: b.offset,
                file_offset: b.file_offset,
                len: b.len,
                received: (b.received < b.len).then_some(b.received),
                cancel: b.cancel,
            }))?;
        }
        let index = b.index;
        self.msnftp_block(flow, dir, at, b)?;
        if beyond {
            self.anomaly(
                flow,
                Some(dir),
                at,
                "msnp.msnftp.beyond_size",
                format!(
                    "block {} brings the file to {bytes} bytes, more than the {size} FIL \
                     announced",
                    index
                ),
            )?;
        }
        Ok(())
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
        let announcer = self.conns.get(&flow).map(|c| &c.state.info);
        let dialect = announcer.and_then(|i| i.dialect);
        let client = announcer.and_then(|i| i.clients.own.clone());
        if a.kind == ExpectedKind::Switchboard && !a.cookie.is_empty() {
            self.cookies.insert(
                a.cookie.clone(),
                CookieInfo {
                    ns_flow: flow,
                    dialect,
                    client,
                },
            );
        }
        if a.kind == ExpectedKind::FileTransfer {
            let offer = a
                .invitation
                .as_ref()
                .and_then(|c| self.offers.get(&(flow, c.clone())))
                .cloned()
                .unwrap_or_default();
            let inv = FileInvitation {
                announced_by: flow,
                offer,
                auth_cookie: (!a.cookie.is_empty()).then(|| a.cookie.clone()),
            };
            if let Ok(server) = a.address.parse::<SocketAddr>() {
                self.transfers_by_address.insert(server, inv.clone());
            }
            if !a.cookie.is_empty() {
                self.transfers_by_cookie.insert(a.cookie.clone(), inv);
            }
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
            self.anomaly(
                flow,
                Some(dir),
                at,
                "msnp.bad_address",
                format!("announced address {:?} is not host:port", a.address),
            )?;
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
                self.drain(*flow, *dir, *at)?;
                self.count(*flow);
                if self.holdings.total() > self.memcap {
                    self.enforce_memcap(*at)?;
                }
                Ok(())
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
                self.sink.event_owned(Event::Gap {
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
                self.drain(*flow, *dir, *at)?;
                self.count(*flow);
                Ok(())
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
                self.sink.event_owned(Event::Anomaly {
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
                self.end_objects_of(flow, *at)?;
                let mut conn = self.conns.remove(&flow);
                if let Some(c) = &conn {
                    for d in 0..2 {
                        self.holdings.change((flow, d), c.counted[d], 0);
                    }
                }
                // SLP messages never completed.
                if let Some(c) = &mut conn {
                    let slp = std::mem::take(&mut c.state.slp);
                    for gone in slp.finish() {
                        self.anomaly(
                            flow,
                            None,
                            *at,
                            "slp.incomplete",
                            format!(
                                "SLP message {} from {} ended with {} of {} bytes",
                                gone.message_id,
                                if gone.from.is_empty() {
                                    "an unknown sender"
                                } else {
                                    &gone.from
                                },
                                gone.held,
                                gone.total
                            ),
                        )?;
                    }
                }
                if let Some(c) = &conn
                    && (c.state.info.role == Role::FileTransfer || c.state.is_msnftp())
                {
                    let t = &c.state.transfer;
                    self.sink
                        .event(&Event::MsnftpTransfer(Box::new(TransferSummary {
                            flow,
                            frame: at.frame,
                            ts: at.ts,
                            file_name: t.invitation.as_ref().and_then(|i| i.offer.file.clone()),
                            file_size: t.file_size,
                            blocks: t.blocks,
                            bytes: t.bytes,
                            missing: t.missing,
                            complete: t.complete(),
                            cancelled_by: t.cancelled_by,
                            structure_lost: t.structure_lost,
                        })))?;
                }
                let info = conn.map(|c| c.state.info);
                self.sink.event_owned(Event::ConnectionClosed {
                    flow,
                    frame: at.frame,
                    ts: at.ts,
                    role: info.as_ref().map_or(Role::Unknown, |i| i.role),
                    closing: summary.closing,
                    summary: (*summary).clone(),
                    dialect: info.as_ref().and_then(|i| i.dialect),
                    principal: info.and_then(|i| i.principal),
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
pub(crate) mod tests;
