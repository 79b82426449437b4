//! Wires the stages together: packets from a [`PacketSource`], through [`NetDecoder`] and the
//! [`FlowTable`], into a [`FlowConsumer`], in one loop; and, for offline runs, the same loop on
//! a thread of its own with the outputs on another ([`decode_split`]).
//!
//! The loop is the only place that knows the order of the stages. It guarantees that events
//! reach the consumer in capture order, that announcements the consumer makes (a switchboard
//! address seen in `XFR`) reach the flow table before the next packet, and that everything is
//! flushed at the end, even when the source fails part way (a truncated last record): the
//! source's error is returned with the summary, after the flush. Split over two threads, the
//! events cross in order through one bounded channel, so the output is the same byte for byte
//! and what waits between the threads has a cap ([`HANDOFF_BYTES`]); commands' named fields
//! and notes are written by whichever thread is ahead, the same fields in the same order and
//! the same notes either way.

use crate::capture::{CaptureError, Membership, PacketSource, PacketTap, Timestamp};
use crate::event::{Event, FieldsWanted, Sink};
use crate::flow::{At, FlowConfig, FlowEvent, FlowTable};
use crate::msnp;
use crate::net::{Decoded, NetDecoder};
use crate::session::Decoder;
use std::io;
use std::sync::mpsc;

/// The consumer trait lives with the flow layer; re-exported here, where it is used.
pub use crate::flow::FlowConsumer;

/// The flow table's settings for finding MSN traffic: the defaults (server port 1863, the
/// default bounds) plus the MSNP sniffer, so that an MSNP connection on any other port is
/// found by its first bytes. This is the configuration for real runs; change `ports` for
/// `--port`:
///
/// ```
/// let config = msnsniff::flow::FlowConfig {
///     ports: vec![1863, 1864],
///     ..msnsniff::pipeline::msn_config()
/// };
/// assert_eq!((config.sniff)(b"VER 1 MSNP8 CVR0\r\n"), Some(true));
/// ```
///
/// (`FlowConfig::default()` knows no protocol and finds connections by port and announcement
/// only.)
pub fn msn_config() -> FlowConfig {
    FlowConfig {
        sniff: msnp::sniff::looks_like_msnp,
        ..FlowConfig::default()
    }
}

/// How a run went.
#[derive(Debug, Default)]
pub struct RunSummary {
    /// Frames read.
    pub frames: u64,
    /// MSN connections found.
    pub msn_connections: u64,
    /// The source's failure, if it stopped early. Everything before it was processed.
    pub capture_error: Option<CaptureError>,
}

/// Reads every packet of `source` and feeds the consumer. Returns early only when the consumer
/// fails (an output error); a failing source ends the run normally, with the error in the summary.
pub fn run(
    source: &mut dyn PacketSource,
    config: FlowConfig,
    consumer: &mut dyn FlowConsumer,
) -> io::Result<RunSummary> {
    run_tapped(source, config, consumer, None)
}

/// [`run`], with every packet also shown to `tap` (a writer of the packets, `live -w`) after
/// the flow table has seen it, with what the table made of it. A source's notices (dropped
/// packets) are reported as anomalies that belong to no connection, as they come.
pub fn run_tapped(
    source: &mut dyn PacketSource,
    config: FlowConfig,
    consumer: &mut dyn FlowConsumer,
    mut tap: Option<&mut dyn PacketTap>,
) -> io::Result<RunSummary> {
    let mut net = NetDecoder::new();
    let mut table = FlowTable::new(config);
    let mut summary = RunSummary::default();
    let mut last = At {
        frame: 0,
        ts: Timestamp::default(),
    };
    let mut failure: Option<io::Error> = None;
    loop {
        let packet = match source.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(e) => {
                summary.capture_error = Some(e);
                break;
            }
        };
        summary.frames += 1;
        last = At {
            frame: packet.index,
            ts: packet.ts,
        };
        let membership = match net.decode(&packet) {
            Decoded::Tcp(seg) => {
                table.segment(&seg, &mut |ev| forward(consumer, &mut failure, ev));
                // Only the tap reads it: offline runs skip the lookup.
                match tap {
                    Some(_) => table.membership(seg.src, seg.dst),
                    None => Membership::Other(None),
                }
            }
            Decoded::Ignored => Membership::Other(None),
            Decoded::Anomaly { name } => {
                table.net_anomaly(last, name, &mut |ev| forward(consumer, &mut failure, ev));
                Membership::Other(None)
            }
        };
        if let Some(t) = tap.as_deref_mut() {
            t.packet(&packet, membership)?;
        }
        // Fragment timeouts and evictions found while handling this frame.
        while let Some(name) = net.take_anomaly() {
            table.net_anomaly(last, name, &mut |ev| forward(consumer, &mut failure, ev));
        }
        while let Some(n) = source.take_notice() {
            table.anomaly(last, n.name, n.detail, &mut |ev| {
                forward(consumer, &mut failure, ev)
            });
        }
        if let Some(e) = failure.take() {
            return Err(e);
        }
        for e in consumer.take_expectations() {
            table.expect(e, last, &mut |ev| forward(consumer, &mut failure, ev));
        }
        if let Some(e) = failure.take() {
            return Err(e);
        }
    }
    net.finish();
    while let Some(n) = source.take_notice() {
        table.anomaly(last, n.name, n.detail, &mut |ev| {
            forward(consumer, &mut failure, ev)
        });
    }
    while let Some(name) = net.take_anomaly() {
        table.net_anomaly(last, name, &mut |ev| forward(consumer, &mut failure, ev));
    }
    table.finish(last, &mut |ev| forward(consumer, &mut failure, ev));
    if let Some(e) = failure.take() {
        return Err(e);
    }
    if let Some(t) = tap {
        t.finish()?;
    }
    summary.msn_connections = table.msn_connections();
    Ok(summary)
}

/// Passes one event on, remembering the consumer's first failure.
fn forward(consumer: &mut dyn FlowConsumer, failure: &mut Option<io::Error>, ev: FlowEvent<'_>) {
    if failure.is_none()
        && let Err(e) = consumer.event(&ev)
    {
        *failure = Some(e);
    }
}

/// Runs the decoder over `source` into `sink`, all on this thread: the run's summary and the
/// number of commands decoded.
pub fn decode(
    source: &mut dyn PacketSource,
    config: FlowConfig,
    sink: &mut dyn Sink,
) -> io::Result<(RunSummary, u64)> {
    let mut decoder = Decoder::new(sink).with_memcap(config.memcap);
    let summary = run(source, config, &mut decoder)?;
    Ok((summary, decoder.commands))
}

/// Batches in a row that must find room in the channel (the output thread keeping up)
/// before the decoding thread leaves commands' fields to the output thread.
const ROOM_TO_LEAVE_FIELDS: u32 = 8;

/// Events handed to the output thread at once, at most.
pub const HANDOFF_EVENTS: usize = 512;
/// Batches waiting for the output thread, at most; the decoding thread waits when they are
/// all full. With [`HANDOFF_EVENTS`] this bounds what is between the threads.
pub const HANDOFF_BATCHES: usize = 2;
/// Bytes (of lines, payloads and object data) a batch may carry before it is handed over
/// whatever its length. What is between the threads is at most `2 * HANDOFF_BATCHES + 2`
/// batches (those waiting to be written, the one being filled, the one being written, and
/// those written and waiting to be freed), each of at most this plus one event (itself
/// bounded by the framer's caps).
pub const HANDOFF_BYTES: usize = 1 << 18;
/// The decoding thread's stack: 8 MiB, as the main thread's on Linux.
const DECODE_STACK: usize = 8 << 20;

/// [`decode`], with the reading and decoding on a second thread and `sink` (the outputs) on
/// this one, for the offline runs whose outputs cost as much as the decoding. The events
/// reach `sink` in the same order as with [`decode`], so the output is the same; they cross
/// in batches, so this is for output that is written in blocks (a line-buffered run would see
/// its lines late). An output failure stops the decoding thread at its next hand-over and is
/// returned; a panic on either side is passed on.
pub fn decode_split(
    source: &mut (dyn PacketSource + Send),
    config: FlowConfig,
    sink: &mut dyn Sink,
) -> io::Result<(RunSummary, u64)> {
    decode_split_with(source, config, sink, Some(ROOM_TO_LEAVE_FIELDS))
}

/// [`decode_split`], with the decoding thread leaving commands' fields to the output thread
/// after `room_to_leave_fields` batches in a row found room in the channel (0: from the first
/// batch that finds room), or, with `None`, every other batch. For tests, which make the
/// fields named on either thread, or on both in turn, whatever the machine's speed.
#[doc(hidden)]
pub fn decode_split_with(
    source: &mut (dyn PacketSource + Send),
    config: FlowConfig,
    sink: &mut dyn Sink,
    room_to_leave_fields: Option<u32>,
) -> io::Result<(RunSummary, u64)> {
    let (wants_commands, wants_notes, wants_text) =
        (sink.wants_commands(), sink.wants_notes(), sink.wants_text());
    // Naming the fields of commands and writing their notes is the one piece of work either
    // thread can do (from the event itself: `session::build::complete_fields` and
    // `complete_note` give the same fields in the same order and the same note, the decoder
    // leaving in the note what it alone knows). Which one does it follows which one is
    // behind, batch by batch: while the output thread keeps up (the dialogue, `read --format
    // jsonl`, where the decoding thread sets the pace), the decoding thread leaves the notes
    // and the fields to it; when the output thread falls behind (a full channel:
    // transcripts, `--redact-handles`), the decoding thread does them itself. The output is
    // the same either way.
    let complete_fields = sink.wants_fields();
    let (tx, rx) = mpsc::sync_channel::<(Vec<Event>, Vec<bool>)>(HANDOFF_BATCHES);
    // Written batches go back to the decoding thread, which frees their events and fills
    // them again: mimalloc frees a block faster on the thread that made it (the output
    // thread of `read --format jsonl` took 18 % less processor time), and a run makes a few
    // batches rather than one for every 512 events (a batch, about 150 KiB, is mapped from
    // the system, and a new mapping is paid in page faults). A full return channel means the
    // decoding thread has enough; the output thread then frees the batch itself.
    let (back_tx, back_rx) = mpsc::sync_channel::<Vec<Event>>(HANDOFF_BATCHES);
    std::thread::scope(|scope| {
        // The main thread's stack size, so that no input the one-thread run decodes can
        // exhaust the decoding thread's.
        let worker = std::thread::Builder::new()
            .name("decode".into())
            .stack_size(DECODE_STACK)
            .spawn_scoped(scope, move || {
                let mut handoff = Handoff {
                    tx,
                    back: back_rx,
                    batch: Vec::with_capacity(HANDOFF_EVENTS),
                    bytes: 0,
                    wants_commands,
                    wants_notes,
                    wants_text,
                    late: Vec::with_capacity(HANDOFF_EVENTS),
                    built_late: std::cell::Cell::new(false),
                    complete_fields,
                    fields_late: (complete_fields.any() || wants_notes)
                        && room_to_leave_fields.is_none_or(|n| n == 0),
                    room: 0,
                    room_to_leave_fields,
                };
                let mut decoder = Decoder::new(&mut handoff).with_memcap(config.memcap);
                let run = run(source, config, &mut decoder);
                let commands = decoder.commands;
                drop(decoder);
                let run = run.and_then(|summary| handoff.send().map(|()| summary));
                run.map(|summary| (summary, commands))
            })?;
        let mut failure = None;
        'batches: for (mut batch, late) in rx.iter() {
            // Lent to be changed: the batch goes back only to be freed, so the redaction
            // may rewrite its events where they are.
            for (ev, late) in batch.iter_mut().zip(late) {
                if late && let Event::Command(c) = ev {
                    // Built as `Detail::Later` when notes are read, else without fields.
                    if wants_notes {
                        crate::session::build::complete_note(c, complete_fields.of(c.verb));
                    } else if complete_fields.of(c.verb) {
                        crate::session::build::complete_fields(c, false);
                    }
                }
                if let Err(e) = sink.event_mut(ev) {
                    failure = Some(e);
                    break 'batches;
                }
            }
            // No room, or no decoding thread any more: freed here.
            let _ = back_tx.try_send(batch);
        }
        // After an output failure the receiver goes, so that the decoding thread's next
        // hand-over fails and it stops (rather than wait for room that never comes).
        drop(rx);
        let decoded = match worker.join() {
            Ok(decoded) => decoded,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        match failure {
            Some(e) => Err(e),
            None => decoded,
        }
    })
}

/// The decoding thread's end of the hand-over: events are gathered into batches, sent when
/// full and at the end.
struct Handoff {
    /// Batches, each with whether its commands' fields were left to the output thread.
    tx: mpsc::SyncSender<(Vec<Event>, Vec<bool>)>,
    /// Written batches from the output thread, to free and fill again.
    back: mpsc::Receiver<Vec<Event>>,
    batch: Vec<Event>,
    /// Bytes the batch carries, about.
    bytes: usize,
    wants_commands: bool,
    wants_notes: bool,
    wants_text: bool,
    /// For each event of the batch, whether it is a command whose fields (and note, when
    /// the outputs read notes) were left to the output thread. Per event, not per batch: a
    /// command is built before the events that go ahead of it (its connection's opening)
    /// are handed over, and one of those may close the batch.
    late: Vec<bool>,
    /// Whether the command being built leaves its fields (and note) to the output thread:
    /// the last answer of `wants_fields`, which the decoder asks once per command, just
    /// before it builds it.
    built_late: std::cell::Cell<bool>,
    /// Which commands' fields the outputs read.
    complete_fields: FieldsWanted,
    /// Whether the batch being filled leaves them, and the notes, to the output thread (see
    /// `decode_split`).
    fields_late: bool,
    /// Batches in a row that found room in the channel.
    room: u32,
    /// How many it takes to leave the fields to the output thread (`None`: every other
    /// batch does, a test's setting).
    room_to_leave_fields: Option<u32>,
}

impl Handoff {
    fn send(&mut self) -> io::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let next = match self.back.try_recv() {
            Ok(mut written) => {
                // The written events are freed here, on the thread that made them.
                written.clear();
                written
            }
            Err(_) => Vec::with_capacity(HANDOFF_EVENTS),
        };
        let batch = std::mem::replace(&mut self.batch, next);
        self.bytes = 0;
        let stopped = || io::Error::new(io::ErrorKind::BrokenPipe, "the output thread stopped");
        // Room in the channel several times running: the output thread keeps up, and may
        // name the next batch's fields. No room: it is behind, and this thread names them.
        let late = std::mem::replace(&mut self.late, Vec::with_capacity(HANDOFF_EVENTS));
        match self.tx.try_send((batch, late)) {
            Ok(()) => {
                self.room = self.room.saturating_add(1);
                self.fields_late = (self.complete_fields.any() || self.wants_notes)
                    && match self.room_to_leave_fields {
                        Some(n) => self.room >= n,
                        None => !self.fields_late,
                    };
                Ok(())
            }
            Err(mpsc::TrySendError::Full(batch)) => {
                self.room = 0;
                self.fields_late = (self.complete_fields.any() || self.wants_notes)
                    && self.room_to_leave_fields.is_none()
                    && !self.fields_late;
                self.tx.send(batch).map_err(|_| stopped())
            }
            Err(mpsc::TrySendError::Disconnected(_)) => Err(stopped()),
        }
    }
}

impl Sink for Handoff {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        self.event_owned(ev.clone())
    }

    fn event_owned(&mut self, ev: Event) -> io::Result<()> {
        self.bytes += match &ev {
            Event::Command(c) => c.line.len() + c.payload_bytes.as_ref().map_or(0, Vec::len),
            Event::ObjectData { bytes, .. } => bytes.len(),
            _ => 0,
        };
        self.late
            .push(matches!(ev, Event::Command(_)) && self.built_late.get());
        self.batch.push(ev);
        if self.batch.len() >= HANDOFF_EVENTS || self.bytes >= HANDOFF_BYTES {
            self.send()?;
        }
        Ok(())
    }

    fn wants_commands(&self) -> bool {
        self.wants_commands
    }

    fn wants_notes(&self) -> bool {
        self.wants_notes
    }

    fn wants_text(&self) -> bool {
        self.wants_text
    }

    fn fields_vary(&self) -> bool {
        true
    }

    /// Asked for every command: no while the output thread names them (see
    /// `decode_split`).
    fn wants_fields(&self) -> FieldsWanted {
        // Never late when the outputs read neither fields nor notes: `fields_late` is set
        // only then.
        let late = self.fields_late;
        self.built_late.set(late);
        if late {
            FieldsWanted::None
        } else {
            self.complete_fields
        }
    }

    /// Follows the last answer of `wants_fields`: a command built late leaves its note too.
    fn notes_later(&self) -> bool {
        self.built_late.get() && self.wants_notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::FileSource;
    use crate::event::Collect;

    /// A command built while the fields are left to the output thread stays marked so when
    /// the event handed over ahead of it (its connection's opening) closes the batch and the
    /// next batch's commands are named on the decoding thread: what is marked is how each
    /// command was built, not the batch it travels in.
    #[test]
    fn a_command_keeps_the_way_it_was_built_across_a_hand_over() {
        let capture = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/etherdump_msn.pcap");
        let mut events = Collect::default();
        decode(
            &mut FileSource::new(vec![capture.to_string()], None),
            msn_config(),
            &mut events,
        )
        .expect("decode");
        let opened = events
            .0
            .iter()
            .find(|e| matches!(e, Event::ConnectionOpened(_)))
            .expect("an opening")
            .clone();
        let command = events
            .0
            .iter()
            .find(|e| matches!(e, Event::Command(_)))
            .expect("a command")
            .clone();
        let (tx, rx) = mpsc::sync_channel(HANDOFF_BATCHES);
        let (_back_tx, back) = mpsc::sync_channel(HANDOFF_BATCHES);
        let mut handoff = Handoff {
            tx,
            back,
            batch: Vec::new(),
            late: Vec::new(),
            built_late: std::cell::Cell::new(false),
            bytes: 0,
            wants_commands: true,
            wants_notes: true,
            wants_text: true,
            complete_fields: FieldsWanted::All,
            fields_late: true,
            room: 0,
            // Every other batch: the one after this leaves no field to the output thread.
            room_to_leave_fields: None,
        };
        for _ in 0..HANDOFF_EVENTS - 1 {
            handoff.event_owned(opened.clone()).expect("hand over");
        }
        // The decoder asks, and builds the command without its fields...
        assert!(!handoff.wants_fields().any());
        // ...then hands over the connection's opening, which closes the batch...
        handoff.event_owned(opened.clone()).expect("hand over");
        assert!(!handoff.fields_late, "the next batch names its own fields");
        // ...and the command, which opens the next one.
        handoff.event_owned(command).expect("hand over");
        // The next command is built with its fields.
        assert!(handoff.wants_fields().any());
        handoff.event_owned(opened).expect("hand over");
        handoff.send().expect("send");
        let (first, first_late) = rx.recv().expect("first batch");
        assert_eq!(first.len(), HANDOFF_EVENTS);
        assert!(
            first_late.iter().all(|&late| !late),
            "openings are never late"
        );
        let (second, second_late) = rx.recv().expect("second batch");
        assert!(matches!(second[0], Event::Command(_)));
        assert_eq!(second_late, [true, false]);
    }
}
