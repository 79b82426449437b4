//! Objects: the files, display pictures, emoticons and voice clips a capture carries whole,
//! told to the sinks as [`Event::ObjectStarted`], [`Event::ObjectData`] and
//! [`Event::ObjectEnded`], and the MSNFTP producer of them.
//!
//! Why it exists: the pure core decides *what* an object is (its kind, declared name and
//! size, who sent it to whom) and *where each byte sits* in it; an output (`--extract`)
//! decides where the bytes go. Producers (MSNFTP blocks and P2P session data, both here) use
//! three methods of the [`Decoder`]: [`Decoder::start_object`] hands out an id unique in the
//! run and emits `ObjectStarted`, [`Decoder::object_data`] gives bytes at their offset, and
//! [`Decoder::end_object`] ends it.
//!
//! Guarantees: bytes are given as they arrive, never gathered (an MSNFTP block at most);
//! bytes the capture lacks are never given, so a hole stays a hole; every object started is
//! ended exactly once: by its producer, or when its connection closes (at most
//! [`MAX_OPEN_OBJECTS`] open per connection; past it the oldest is ended first).

use super::Decoder;
use super::step::P2pData;
use crate::Direction;
use crate::event::{Event, ObjectId, ObjectInfo, ObjectKind, Party, Transport};
use crate::flow::{At, FlowId};
use crate::msnp::framer::Block;
use std::io;

/// Objects open at once on one connection; starting one more ends the oldest (as it stands:
/// partial if bytes are missing).
pub const MAX_OPEN_OBJECTS: usize = 64;

/// A P2P session's object on a connection: its id, the bytes given so far, and whether it
/// has ended (a late chunk of an ended session starts nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct P2pObject {
    pub object: ObjectId,
    pub received: u64,
    pub done: bool,
}

/// What a producer knows of an object when its bytes start: everything of
/// [`ObjectInfo`] but the id, frame and time, which the decoder adds. Text in the data form
/// of [`crate::escape`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewObject {
    pub flow: FlowId,
    pub kind: ObjectKind,
    pub transport: Transport,
    pub name: Option<String>,
    pub size: Option<u64>,
    pub sender: Option<String>,
    pub receiver: Option<String>,
    pub sha1d: Option<String>,
}

impl Decoder<'_> {
    /// Starts an object on `start.flow` at `at`: emits [`Event::ObjectStarted`] and returns
    /// its id, for [`Decoder::object_data`] and [`Decoder::end_object`]. On a connection the
    /// decoder does not know (closed already), the object is started and ended at once.
    pub fn start_object(&mut self, at: At, start: NewObject) -> io::Result<ObjectId> {
        self.next_object += 1;
        let object = ObjectId(self.next_object);
        let flow = start.flow;
        self.report(flow)?;
        self.sink
            .event_owned(Event::ObjectStarted(Box::new(ObjectInfo {
                flow,
                frame: at.frame,
                ts: at.ts,
                object,
                kind: start.kind,
                transport: start.transport,
                name: start.name,
                size: start.size,
                sender: start.sender,
                receiver: start.receiver,
                sha1d: start.sha1d,
            })))?;
        let oldest = match self.conns.get_mut(&flow) {
            Some(c) => {
                c.objects.push(object);
                (c.objects.len() > MAX_OPEN_OBJECTS).then(|| c.objects[0])
            }
            None => Some(object),
        };
        if let Some(o) = oldest {
            self.end_object(flow, at, o, None)?;
        }
        Ok(object)
    }

    /// Bytes of an open object at `offset` in it (an object already ended takes none).
    pub fn object_data(
        &mut self,
        flow: FlowId,
        object: ObjectId,
        offset: u64,
        bytes: Vec<u8>,
    ) -> io::Result<()> {
        let open = self
            .conns
            .get(&flow)
            .is_some_and(|c| c.objects.contains(&object));
        if !open || bytes.is_empty() {
            return Ok(());
        }
        self.sink.event_owned(Event::ObjectData {
            flow,
            object,
            offset,
            bytes,
        })
    }

    /// Ends an open object: emits [`Event::ObjectEnded`] (once; ending it again does nothing).
    pub fn end_object(
        &mut self,
        flow: FlowId,
        at: At,
        object: ObjectId,
        cancelled_by: Option<Party>,
    ) -> io::Result<()> {
        if let Some(c) = self.conns.get_mut(&flow) {
            let before = c.objects.len();
            c.objects.retain(|o| *o != object);
            if c.objects.len() == before {
                return Ok(());
            }
            if c.msnftp_object.is_some_and(|(o, _)| o == object) {
                c.msnftp_object = None;
            }
        }
        self.sink.event_owned(Event::ObjectEnded {
            flow,
            frame: at.frame,
            ts: at.ts,
            object,
            cancelled_by,
        })
    }

    /// Ends every object still open on a connection that closes: the MSNFTP file with how
    /// its transfer went, the others as they stand.
    pub(super) fn end_objects_of(&mut self, flow: FlowId, at: At) -> io::Result<()> {
        let Some(c) = self.conns.get(&flow) else {
            return Ok(());
        };
        let open = c.objects.clone();
        let ftp = c.msnftp_object.map(|(o, _)| o);
        let cancelled = c.state.transfer.cancelled_by;
        for o in open {
            let by = if Some(o) == ftp { cancelled } else { None };
            self.end_object(flow, at, o, by)?;
        }
        Ok(())
    }

    /// P2P, after a command: a chunk of a session's data goes to the session's object, started
    /// at its first chunk with what the session's SLP INVITE said (or, when the INVITE was not
    /// captured, as an object of unknown kind from the chunk's sender), and ended when all
    /// its bytes have come; `end` (an SLP `BYE`, a refusal) ends a session's object as it
    /// stands.
    pub(super) fn p2p_objects(
        &mut self,
        flow: FlowId,
        at: At,
        data: Option<(P2pData, Vec<u8>)>,
        end: Option<u32>,
    ) -> io::Result<()> {
        if let Some((d, bytes)) = data {
            let Some(conn) = self.conns.get_mut(&flow) else {
                return Ok(());
            };
            let known = conn.p2p_objects.get(&d.session).copied();
            let (object, received) = match known {
                Some(P2pObject { done: true, .. }) => return Ok(()),
                Some(o) => (o.object, o.received),
                None => {
                    let s = conn.state.p2p_sessions.get(&d.session).cloned();
                    let start = NewObject {
                        flow,
                        kind: s.as_ref().map_or(ObjectKind::Other, |s| s.kind),
                        transport: Transport::P2p,
                        name: s.as_ref().and_then(|s| s.name.clone()),
                        size: s.as_ref().and_then(|s| s.size).or(Some(d.total)),
                        sender: s
                            .as_ref()
                            .and_then(|s| s.sender.clone())
                            .or(d.sender.clone()),
                        receiver: s.as_ref().and_then(|s| s.receiver.clone()),
                        sha1d: s.and_then(|s| s.sha1d),
                    };
                    (self.start_object(at, start)?, 0)
                }
            };
            let len = bytes.len() as u64;
            self.object_data(flow, object, d.offset, bytes)?;
            let received = received + len;
            let done = received >= d.total;
            if let Some(conn) = self.conns.get_mut(&flow) {
                conn.p2p_objects.insert(
                    d.session,
                    P2pObject {
                        object,
                        received,
                        done,
                    },
                );
            }
            if done {
                self.end_object(flow, at, object, None)?;
            }
        }
        if let Some(session) = end
            && let Some(conn) = self.conns.get_mut(&flow)
            && let Some(o) = conn.p2p_objects.get(&session).copied()
            && !o.done
        {
            conn.p2p_objects
                .insert(session, P2pObject { done: true, ..o });
            self.end_object(flow, at, o.object, None)?;
        }
        Ok(())
    }

    /// MSNFTP, after a command: `USR` names the receiver; `FIL` starts the file, named and
    /// sent as its invitation said, of the size `FIL` gives, in the direction `FIL` came from.
    pub(super) fn msnftp_command(
        &mut self,
        flow: FlowId,
        dir: Direction,
        at: At,
        verb: &str,
        first_param: Option<&str>,
    ) -> io::Result<()> {
        let Some(c) = self.conns.get_mut(&flow) else {
            return Ok(());
        };
        if !c.state.is_msnftp() {
            return Ok(());
        }
        match verb {
            "USR" => {
                if let Some(h) = first_param {
                    c.msnftp_receiver = Some(h.to_string());
                }
                Ok(())
            }
            "FIL" => {
                let previous = c.msnftp_object.map(|(o, _)| o);
                let offer = c
                    .state
                    .transfer
                    .invitation
                    .as_ref()
                    .map(|i| i.offer.clone())
                    .unwrap_or_default();
                let start = NewObject {
                    flow,
                    kind: ObjectKind::File,
                    transport: Transport::Msnftp,
                    name: offer.file,
                    size: c.state.transfer.file_size,
                    sender: offer.from,
                    receiver: c.msnftp_receiver.clone(),
                    sha1d: None,
                };
                if let Some(o) = previous {
                    self.end_object(flow, at, o, None)?;
                }
                let object = self.start_object(at, start)?;
                if let Some(c) = self.conns.get_mut(&flow) {
                    c.msnftp_object = Some((object, dir));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// MSNFTP, a block from the sender: its data at its file offset; the cancel marker ends
    /// the file (nothing may follow it).
    pub(super) fn msnftp_block(
        &mut self,
        flow: FlowId,
        dir: Direction,
        at: At,
        block: Block,
    ) -> io::Result<()> {
        let Some((object, from)) = self.conns.get(&flow).and_then(|c| c.msnftp_object) else {
            return Ok(());
        };
        if from != dir {
            return Ok(());
        }
        if block.cancel {
            return self.end_object(flow, at, object, Some(Party::Sender));
        }
        for (at_in_block, bytes) in block.data {
            let offset = block.file_offset.saturating_add(at_in_block);
            self.object_data(flow, object, offset, bytes)?;
        }
        Ok(())
    }
}
