//! The MSNP framer: the reassembled byte stream of one direction → command lines and payloads.
//!
//! Why it exists: TCP boundaries mean nothing in MSNP (ref §0, §10 quirk 3). A segment may hold
//! a hundred commands, or a third of a P2P payload. The framer works like Zeek's ContentLine: in
//! *line* mode it cuts at `\n`; after a payload command it switches to *payload* mode for exactly
//! N bytes (N from the length field that [`super::rules`] points at), then back to line mode on
//! the very next byte.
//!
//! # Use
//!
//! ```
//! use msnsniff::Direction;
//! use msnsniff::msnp::{Framer, FramerEvent};
//!
//! let mut framer = Framer::new(Direction::ClientToServer);
//! framer.push(0, b"MSG 4 N 5\r\nhelloOUT\r\n");
//! let mut frames = vec![];
//! while let Some(event) = framer.next_event(None) {
//!     if let FramerEvent::Frame(f) = event {
//!         frames.push(f);
//!     }
//! }
//! assert_eq!(frames.len(), 2);
//! assert_eq!(frames[0].payload.as_ref().unwrap().bytes, b"hello");
//! ```
//!
//! The caller loops `push` then `while let Some(ev) = next_event(dialect)`. Lines are framed
//! lazily, in `next_event`, so a dialect learnt from one frame (a `VER` reply) applies to the
//! very next line. (Only when the caller pushes more than [`MAX_HELD`] bytes without draining, or
//! calls [`Framer::gap`] / [`Framer::finish`] with undrained bytes, are those bytes framed early
//! with the dialect of the last `next_event` call.)
//!
//! # Rules
//!
//! * Line mode: a line ends at `\n`; a `\r` right before it is part of the terminator
//!   ([`Eol::CrLf`]), otherwise [`Eol::Lf`]. A bare `\r` ends nothing (ref §10 quirk 4).
//! * Payload mode: exactly `declared` bytes, binary, no terminator. A frame with a payload is
//!   delivered once the payload is complete (or cut).
//! * A line the grammar rejects raises `msnp.bad_line`; the line is dropped (no frame: it has no
//!   verb to put in a [`Command`]) and the framer resynchronises from the next byte, so a run of
//!   garbage gives one `msnp.bad_line` and one `msnp.resync`, not one anomaly per line.
//! * An unknown letter verb is framed with the fallback rules of [`super::rules`] (TrID if field
//!   0 is numeric, payload if the last of two or more fields is numeric) and flagged with
//!   `msnp.unknown_verb` by the framer, since that guess decides the framing.
//!
//! # Resynchronisation
//!
//! Used after a gap, after `msnp.bad_line` / `msnp.line_too_long` / `msnp.payload_too_large`, and
//! at the start when [`Framer::set_midstream`] was called. Bytes are skipped up to the next
//! *plausible command start*: a position right after a `\n` (or the resync point itself, when it
//! is a possible line start: the first byte after a gap, a bad line, or at a mid-stream start —
//! TCP segments often begin with a command) followed by `[A-Z]{3}` and then a space, `\n` or
//! `\r\n`, or by `[0-9]{3}` and a space (ref §10 quirk 22). When bytes were skipped, one
//! `msnp.resync` anomaly says how many (offset = first skipped byte); [`Framer::stats`] adds them up.
//!
//! # Gaps
//!
//! [`Framer::gap`] (or a [`Framer::push`] at an offset past the end) says bytes were lost. What
//! was in progress is cut:
//! * a partial line: `msnp.cut_line`, then a frame with [`Eol::None`] if it still parses
//!   (its payload, if any, is not waited for: the line may have lost its end);
//! * a payload: `msnp.cut_payload`, then the frame with the bytes received before the gap
//!   (`bytes.len() < declared`; bytes after the gap are not added, a `Vec` cannot hold a hole).
//!   If the gap ends inside the payload's declared span, the rest of the span is skipped and line
//!   mode resumes right after it, without resync. If the gap reaches beyond the span, resync.
//! * otherwise (between lines, or while resyncing): resync after the gap.
//!
//! [`Framer::finish`] cuts in the same way at the end of the stream (ref §10 quirk 7).
//!
//! # MSNFTP blocks
//!
//! After a `FIL` line ([`super::rules::Shape::blocks`]: under MSNFTP or an unknown dialect),
//! the rest of that direction is *block* mode (ref §7): a 3-byte header, `0x00` and a
//! little-endian `u16` length then that many bytes of the file, or `0x01 0x00 0x00`, the
//! sender's cancel marker. Blocks are never lines, whatever the file holds (`BYE 1\r\n` in a
//! text file is file data). Each block is one [`FramerEvent::Block`], given when its last
//! byte has been read, with the data bytes the capture holds ([`Block::data`], at their
//! offsets in the block): the framer holds one block at most (a `u16` length, so at most
//! [`MAX_BLOCK_DATA`] bytes), never the file, so a file of any size costs one block.
//!
//! * A length above [`MAX_BLOCK`] raises `msnp.msnftp.block_too_long`; the block is read as
//!   declared.
//! * A header that starts with another byte raises `msnp.msnftp.bad_block`, and so does any
//!   byte after the cancel marker: the block structure is lost.
//! * A gap inside a block's data, ending within that block, only shortens it (`received` <
//!   `len`, `msnp.msnftp.cut_block`): the next header is where the length said.
//! * Any other gap (in a header, between blocks, past the end of the current block) loses the
//!   block structure: `msnp.msnftp.lost_blocks`. A block header cannot be told from file data
//!   (a text file has no `0x00`, a binary file has any byte), and the sender sends nothing but
//!   blocks after `FIL`, so there is no line to resynchronise on: the rest of the direction
//!   is skipped, and at its end `msnp.msnftp.skipped` says how many bytes were (when any
//!   were; [`FramerStats::skipped_bytes`] counts them too).
//! * The end of the stream inside a header raises `msnp.msnftp.cut_header`; inside a block's
//!   data, the block is given with the bytes received (`msnp.msnftp.cut_block`).
//! * A gap that cuts the `FIL` line itself loses the blocks that follow in the same way.
//!
//! A direction picked up mid-stream has no `FIL` to switch on: if it is a sender's, its
//! blocks are resynchronised as lines, and a text file's lines can then pass for commands.
//!
//! # Limits
//!
//! [`MAX_LINE`] and [`MAX_PAYLOAD`] bound what one command can make the framer hold; the bytes
//! it holds ([`Framer::buffered`]) never exceed [`MAX_HELD`] = `MAX_LINE + MAX_PAYLOAD` after a
//! `push`. Events not yet taken with `next_event` are not counted: they are output.
//!
//! Guarantees: never panics on any bytes; "need more bytes" is `None`, never an anomaly.

use std::collections::VecDeque;

use super::Dialect;
use super::command::{self, Command, ParsedLine};
use super::rules;
use crate::Direction;

/// Longest line, counting a `\r` before its `\n`. The draft caps a handle at 129 bytes and an
/// encoded friendly name at 387; the longest real lines (USR tickets, MSNP15+ SSO blobs, ILN with
/// an MSNObject) stay under 4 KiB. 16 KiB leaves room and still stops a binary blob mistaken for
/// a line from growing the buffer without end.
pub const MAX_LINE: usize = 16 * 1024;

/// Largest payload accepted. SB messages are capped at 1664 bytes by Escargot and libpurple; NS
/// payloads (ADL lists, GCF Shields.xml, NOT/UBX XML) reach tens of kB. A length above 1 MiB is far
/// more likely a mis-parse than data (ref §10 quirk 23): report it and resync instead of buffering.
pub const MAX_PAYLOAD: u64 = 1024 * 1024;

/// Most bytes the framer holds after a `push`: a whole line plus a whole payload.
pub const MAX_HELD: usize = MAX_LINE + MAX_PAYLOAD as usize;

/// Largest MSNFTP data block (ref §7). A longer one is reported and read as declared.
pub const MAX_BLOCK: u64 = 2045;

/// Most data bytes one MSNFTP block can hold, whatever its header says: the length is a
/// `u16`. This is all the framer ever holds of a file.
pub const MAX_BLOCK_DATA: usize = u16::MAX as usize;

/// Anomaly names raised by the framer (stable: they appear in the JSON output).
pub mod anomaly {
    /// A line the grammar rejects (empty, no verb, junk after the verb). Dropped, then resync.
    pub const BAD_LINE: &str = "msnp.bad_line";
    /// A letter verb missing from the rules table; framed with the fallback heuristic.
    pub const UNKNOWN_VERB: &str = "msnp.unknown_verb";
    /// The rules give the line a TrID but field 0 is missing or not a `u32`.
    pub const BAD_TRID: &str = "msnp.bad_trid";
    /// A payload command whose length field is missing or not a number: no payload taken.
    pub const BAD_LENGTH: &str = "msnp.bad_length";
    /// A declared length above [`super::MAX_PAYLOAD`]: no payload taken, then resync.
    pub const PAYLOAD_TOO_LARGE: &str = "msnp.payload_too_large";
    /// No `\n` within [`super::MAX_LINE`] bytes: the line is dropped, then resync.
    pub const LINE_TOO_LONG: &str = "msnp.line_too_long";
    /// Bytes skipped to find the next command line (the detail says how many).
    pub const RESYNC: &str = "msnp.resync";
    /// A line cut by a gap or the end of the stream.
    pub const CUT_LINE: &str = "msnp.cut_line";
    /// A payload cut by a gap or the end of the stream.
    pub const CUT_PAYLOAD: &str = "msnp.cut_payload";
    /// An MSNFTP block longer than [`super::MAX_BLOCK`]; read as declared.
    pub const BLOCK_TOO_LONG: &str = "msnp.msnftp.block_too_long";
    /// An MSNFTP block header that is neither data (`0x00`) nor cancel (`0x01`), or bytes
    /// after the cancel marker: the block structure is lost.
    pub const BAD_BLOCK: &str = "msnp.msnftp.bad_block";
    /// A gap where the next block header would be: the block structure is lost.
    pub const LOST_BLOCKS: &str = "msnp.msnftp.lost_blocks";
    /// Bytes skipped after the block structure was lost (the detail says how many).
    pub const SKIPPED: &str = "msnp.msnftp.skipped";
    /// An MSNFTP block whose data was not all captured (a gap, or the end of the stream).
    pub const CUT_BLOCK: &str = "msnp.msnftp.cut_block";
    /// The end of the stream inside an MSNFTP block header.
    pub const CUT_HEADER: &str = "msnp.msnftp.cut_header";
}

/// How a line ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Eol {
    CrLf,
    Lf,
    /// The line was cut by a gap or the end of the stream.
    None,
}

/// The bytes that followed a payload command.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Payload {
    /// The length the command declared.
    pub declared: u64,
    /// The payload; shorter than `declared` when a gap or the end of the stream cut it.
    pub bytes: Vec<u8>,
}

impl Payload {
    pub fn is_cut(&self) -> bool {
        (self.bytes.len() as u64) < self.declared
    }
}

/// One command line and its payload.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Frame {
    /// Stream offset of the line's first byte.
    pub offset: u64,
    /// The raw line, without its terminator.
    pub line: Vec<u8>,
    pub eol: Eol,
    pub command: Command,
    pub payload: Option<Payload>,
}

/// One MSNFTP block: its header, how much of its data arrived, and those bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Block {
    /// Stream offset of the block's 3-byte header.
    pub offset: u64,
    /// 1 for the first block of the direction; the cancel marker has the next number.
    pub index: u64,
    /// Bytes of file data before this block: the lengths of the blocks before it.
    pub file_offset: u64,
    /// The length its header declared (0 for the cancel marker).
    pub len: u64,
    /// Bytes of its data the capture holds: `len` unless a gap or the end cut it.
    pub received: u64,
    /// The sender's cancel marker (`01 00 00`), not a data block.
    pub cancel: bool,
    /// The data bytes the capture holds, as runs `(offset in the block, bytes)` in order: one
    /// run unless a gap cut the block (the bytes a gap took are missing, not invented). At
    /// most [`MAX_BLOCK_DATA`] bytes in all.
    pub data: Vec<(u64, Vec<u8>)>,
}

impl Block {
    /// The block's header and counters, without its data.
    pub fn counters(&self) -> Block {
        Block {
            data: Vec::new(),
            ..*self
        }
    }
}

/// What the framer produces.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FramerEvent {
    Frame(Frame),
    /// An MSNFTP block (after `FIL`); never a command.
    Block(Block),
    Anomaly {
        name: &'static str,
        /// Stream offset the anomaly is about.
        offset: u64,
        detail: String,
    },
}

/// Running totals, for the caller's report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FramerStats {
    pub frames: u64,
    pub anomalies: u64,
    /// `msnp.resync` anomalies raised.
    pub resyncs: u64,
    /// Bytes skipped while resynchronising, or after MSNFTP blocks lost their structure (not
    /// counting bytes lost in gaps).
    pub skipped_bytes: u64,
    /// MSNFTP blocks given (data blocks and the cancel marker).
    pub blocks: u64,
}

enum Mode {
    Line,
    /// Collecting the payload of `frame`.
    Payload {
        frame: Box<Frame>,
        payload: Payload,
    },
    /// Skipping the rest of a payload cut by a gap, up to stream offset `until`.
    Skip {
        until: u64,
    },
    /// Looking for the next command start. `at_start`: the first buffered byte is a possible
    /// line start. `first`: offset of the first skipped byte (valid when `skipped > 0`).
    Resync {
        at_start: bool,
        skipped: u64,
        first: u64,
    },
    /// MSNFTP blocks, after `FIL`.
    Blocks(Blocks),
    /// The MSNFTP block structure was lost: everything up to the end is skipped. `first`:
    /// offset of the first skipped byte (valid when `skipped > 0`).
    Lost {
        skipped: u64,
        first: u64,
    },
}

/// Where block mode stands.
#[derive(Clone, Debug)]
struct Blocks {
    /// Header bytes read so far of the next block, and the offset of its first byte.
    head: [u8; 3],
    have: usize,
    head_at: u64,
    /// The block whose data is being read, and how many of its bytes are still to come.
    current: Option<(Block, u64)>,
    /// Blocks started so far (the cancel marker included).
    index: u64,
    /// File bytes declared by the blocks so far.
    file_offset: u64,
    /// The cancel marker was read: nothing may follow.
    cancelled: bool,
}

impl Blocks {
    fn new() -> Blocks {
        Blocks {
            head: [0; 3],
            have: 0,
            head_at: 0,
            current: None,
            index: 0,
            file_offset: 0,
            cancelled: false,
        }
    }
}

/// What a cut (gap or end of stream) leaves running.
enum AfterCut {
    Nothing,
    /// A payload span that ends at this offset.
    Span(u64),
    /// A `FIL` line was cut: blocks were to follow.
    Blocks,
}

/// Frames one direction of one connection. See the module docs.
pub struct Framer {
    dir: Direction,
    mode: Mode,
    /// Bytes not framed yet are `buf[head..]`.
    buf: Vec<u8>,
    head: usize,
    /// Stream offset of `buf[head]`.
    pos: u64,
    /// Whether `pos` has been set by a first push or gap.
    started: bool,
    /// Line mode: no `\n` in `buf[head..head + scan_from]`.
    scan_from: usize,
    ready: Ready,
    last_dialect: Option<Dialect>,
    stats: FramerStats,
}

/// Events framed and not taken yet, in order. They are usually taken one at a time, so the
/// first waits in a slot of its own and the queue is allocated only when events pile up: a
/// connection of a few commands (thousands of them at once on a busy link) holds no heap
/// for it.
#[derive(Default)]
struct Ready {
    first: Option<FramerEvent>,
    rest: VecDeque<FramerEvent>,
}

impl Ready {
    fn push(&mut self, event: FramerEvent) {
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(event);
        } else {
            self.rest.push_back(event);
        }
    }

    fn pop(&mut self) -> Option<FramerEvent> {
        self.first.take().or_else(|| self.rest.pop_front())
    }

    fn drain(&mut self) -> Vec<FramerEvent> {
        self.first
            .take()
            .into_iter()
            .chain(self.rest.drain(..))
            .collect()
    }
}

impl Framer {
    pub fn new(dir: Direction) -> Framer {
        Framer {
            dir,
            mode: Mode::Line,
            buf: Vec::new(),
            head: 0,
            pos: 0,
            started: false,
            scan_from: 0,
            ready: Ready::default(),
            last_dialect: None,
            stats: FramerStats::default(),
        }
    }

    /// The stream was picked up mid-way: skip to the first plausible command line. Call it before
    /// the first `push`; later it only applies if the framer is between lines.
    pub fn set_midstream(&mut self) {
        if matches!(self.mode, Mode::Line) {
            self.mode = Mode::Resync {
                at_start: true,
                skipped: 0,
                first: self.pos,
            };
        }
    }

    /// Contiguous stream bytes; `offset` is the stream offset of `bytes[0]`. An offset past the
    /// end of what was pushed counts as a gap; bytes already pushed are ignored.
    pub fn push(&mut self, offset: u64, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if !self.started {
            self.started = true;
            self.pos = offset;
            if let Mode::Resync { first, .. } = &mut self.mode {
                *first = offset;
            }
        }
        let end = self.end();
        let mut bytes = bytes;
        if offset > end {
            self.gap(end, offset - end);
        } else if offset < end {
            let seen = end - offset;
            if seen >= bytes.len() as u64 {
                return;
            }
            bytes = &bytes[seen as usize..];
        }
        for chunk in bytes.chunks(MAX_LINE) {
            self.compact();
            self.buf.extend_from_slice(chunk);
            while self.buffered() > MAX_HELD && self.step(self.last_dialect) {}
        }
    }

    /// `len` bytes at stream offset `offset` were lost: what was in progress is cut (see the
    /// module docs), then framing resumes after the gap.
    pub fn gap(&mut self, offset: u64, len: u64) {
        let gap_end = offset.saturating_add(len);
        if !self.started {
            self.started = true;
            self.pos = gap_end;
            self.mode = Mode::Resync {
                at_start: true,
                skipped: 0,
                first: gap_end,
            };
            return;
        }
        if gap_end <= self.end() {
            return;
        }
        while self.step(self.last_dialect) {}
        if matches!(self.mode, Mode::Blocks(_) | Mode::Lost { .. }) {
            self.gap_in_blocks(gap_end);
            return;
        }
        self.cut_and_resume(offset, gap_end, "a gap");
    }

    /// Gives up what the framer holds, for the global memory cap: a partial line or a payload
    /// in progress is cut as a gap would cut it (the frame comes out with what arrived, marked
    /// cut) and framing resumes with the bytes that come next (after the rest of a cut
    /// payload, or at the next plausible command line). The buffer's memory is released.
    /// MSNFTP block data is left alone: a block holds at most [`MAX_BLOCK_DATA`] bytes.
    ///
    /// Returns whether anything was given up; when nothing is held, only the room of the
    /// empty input buffer is released.
    pub fn give_up(&mut self, by: &str) -> bool {
        if !self.started {
            return false;
        }
        while self.step(self.last_dialect) {}
        let cut = self.buffered() > 0 && !matches!(self.mode, Mode::Blocks(_) | Mode::Lost { .. });
        if cut {
            let end = self.end();
            self.cut_and_resume(self.pos, end, by);
        }
        if self.head == self.buf.len() {
            self.buf = Vec::new();
            self.head = 0;
            self.scan_from = 0;
        }
        cut
    }

    /// Cuts what is in progress and resumes framing at `gap_end` (see [`Framer::gap`]).
    fn cut_and_resume(&mut self, offset: u64, gap_end: u64, by: &str) {
        let after = self.cut(by);
        self.pos = gap_end;
        self.mode = match after {
            AfterCut::Span(until) if gap_end < until => Mode::Skip { until },
            AfterCut::Span(until) if gap_end == until => Mode::Line,
            AfterCut::Blocks => {
                self.anomaly(
                    anomaly::LOST_BLOCKS,
                    offset,
                    "a gap cut the FIL line: where its blocks start is not known; the rest of \
                     this direction is skipped"
                        .to_string(),
                );
                Mode::Lost {
                    skipped: 0,
                    first: gap_end,
                }
            }
            _ => Mode::Resync {
                at_start: true,
                skipped: 0,
                first: gap_end,
            },
        };
    }

    /// A gap up to `gap_end` in block mode. The buffer is empty (block mode consumes every
    /// byte it is given), so the bytes lost are those from the current position. Inside the
    /// current block's data the gap only shortens that block; anywhere else the block
    /// structure is lost.
    fn gap_in_blocks(&mut self, gap_end: u64) {
        let offset = self.pos;
        self.buf.clear();
        self.head = 0;
        self.scan_from = 0;
        self.pos = gap_end;
        let mut b = match std::mem::replace(&mut self.mode, Mode::Line) {
            Mode::Blocks(b) => b,
            lost => {
                self.mode = lost;
                return;
            }
        };
        let len = gap_end - offset;
        let why = match b.current.take() {
            Some((block, left)) if len <= left => {
                b.current = Some((block, left - len));
                if len == left {
                    self.block_done(&mut b, "a gap");
                }
                self.mode = Mode::Blocks(b);
                return;
            }
            Some((block, left)) => {
                let i = block.index;
                b.current = Some((block, left));
                self.block_done(&mut b, "a gap");
                format!("a gap of {len} bytes runs past the end of block {i}")
            }
            None if b.have > 0 => format!("a gap of {len} bytes cut a block header"),
            None if b.cancelled => format!("a gap of {len} bytes after the cancel marker"),
            None => format!("a gap of {len} bytes between blocks"),
        };
        self.anomaly(
            anomaly::LOST_BLOCKS,
            offset,
            format!("{why}: the block structure is lost; the rest of this direction is skipped"),
        );
        self.mode = Mode::Lost {
            skipped: 0,
            first: gap_end,
        };
    }

    /// The next frame or anomaly, or `None` when more bytes are needed. `dialect` is the
    /// connection's dialect as known now; it applies to the next line framed.
    pub fn next_event(&mut self, dialect: Option<Dialect>) -> Option<FramerEvent> {
        self.last_dialect = dialect;
        loop {
            if let Some(event) = self.ready.pop() {
                return Some(event);
            }
            if !self.step(dialect) {
                return None;
            }
        }
    }

    /// End of the stream: frames what is complete, then flushes a partial line or payload as
    /// cut. Returns every event not taken yet. The framer can then be reused from scratch.
    pub fn finish(&mut self) -> Vec<FramerEvent> {
        while self.step(self.last_dialect) {}
        self.cut("the end of the stream");
        self.mode = Mode::Line;
        self.started = false;
        self.ready.drain()
    }

    /// Bytes held: unframed input plus the line and payload of a frame in progress (or the data
    /// of an MSNFTP block in progress).
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.head + self.pending(Vec::len)
    }

    /// What a frame or block in progress holds, measured by `size` (length or room).
    fn pending(&self, size: fn(&Vec<u8>) -> usize) -> usize {
        match &self.mode {
            Mode::Payload { frame, payload } => size(&frame.line) + size(&payload.bytes),
            Mode::Blocks(Blocks {
                current: Some((block, _)),
                ..
            }) => block.data.iter().map(|(_, run)| size(run)).sum(),
            _ => 0,
        }
    }

    /// Memory held for bytes: the room of the input buffer and of a payload or block in
    /// progress (at least [`Framer::buffered`]); what the global memory cap counts.
    pub fn held_memory(&self) -> usize {
        self.buf.capacity() + self.pending(Vec::capacity)
    }

    pub fn stats(&self) -> FramerStats {
        self.stats
    }

    pub fn direction(&self) -> Direction {
        self.dir
    }

    fn live(&self) -> &[u8] {
        &self.buf[self.head..]
    }

    /// Stream offset just past the last byte pushed.
    fn end(&self) -> u64 {
        self.pos.saturating_add((self.buf.len() - self.head) as u64)
    }

    fn consume(&mut self, n: usize) {
        self.head += n;
        // Saturating: offsets come from the caller; a stream never reaches 2^64 bytes.
        self.pos = self.pos.saturating_add(n as u64);
        self.scan_from = 0;
    }

    fn compact(&mut self) {
        if self.head == self.buf.len() {
            self.buf.clear();
            self.head = 0;
        } else if self.head > 0 && self.head * 2 >= self.buf.len() {
            self.buf.drain(..self.head);
            self.head = 0;
        }
    }

    fn anomaly(&mut self, name: &'static str, offset: u64, detail: String) {
        self.stats.anomalies += 1;
        self.ready.push(FramerEvent::Anomaly {
            name,
            offset,
            detail,
        });
    }

    fn frame(&mut self, frame: Frame) {
        self.stats.frames += 1;
        self.ready.push(FramerEvent::Frame(frame));
    }

    /// Counts `n` skipped bytes (while resyncing) and drops them.
    fn skip(&mut self, n: usize, skipped: &mut u64, first: &mut u64) {
        if n > 0 && *skipped == 0 {
            *first = self.pos;
        }
        *skipped += n as u64;
        self.consume(n);
    }

    fn resynced(&mut self, skipped: u64, first: u64, how: &str) {
        if skipped > 0 {
            self.stats.resyncs += 1;
            self.stats.skipped_bytes += skipped;
            self.anomaly(
                anomaly::RESYNC,
                first,
                format!("skipped {skipped} bytes {how}"),
            );
        }
    }

    /// One unit of work. False when nothing can be done without more bytes.
    fn step(&mut self, dialect: Option<Dialect>) -> bool {
        match std::mem::replace(&mut self.mode, Mode::Line) {
            Mode::Line => self.step_line(dialect),
            Mode::Payload { frame, payload } => self.step_payload(frame, payload),
            Mode::Skip { until } => {
                let take = (until.saturating_sub(self.pos)).min(self.live().len() as u64) as usize;
                self.consume(take);
                if self.pos < until {
                    self.mode = Mode::Skip { until };
                    take > 0
                } else {
                    true
                }
            }
            Mode::Resync {
                at_start,
                skipped,
                first,
            } => self.step_resync(at_start, skipped, first),
            Mode::Blocks(b) => self.step_blocks(b),
            Mode::Lost {
                mut skipped,
                mut first,
            } => {
                let n = self.live().len();
                self.skip(n, &mut skipped, &mut first);
                self.mode = Mode::Lost { skipped, first };
                n > 0
            }
        }
    }

    /// Block mode: a header, or data of the current block.
    fn step_blocks(&mut self, mut b: Blocks) -> bool {
        let live_len = self.live().len();
        if live_len == 0 {
            self.mode = Mode::Blocks(b);
            return false;
        }
        if let Some((mut block, left)) = b.current.take() {
            let take = left.min(live_len as u64);
            // Where these bytes sit in the block: after what arrived and what gaps took.
            let at = block.len - left;
            let bytes = &self.live()[..take as usize];
            match block.data.last_mut() {
                Some((start, run)) if *start + run.len() as u64 == at => {
                    run.extend_from_slice(bytes)
                }
                _ if !bytes.is_empty() => block.data.push((at, bytes.to_vec())),
                _ => {}
            }
            self.consume(take as usize);
            block.received += take;
            b.current = Some((block, left - take));
            if take == left {
                self.block_done(&mut b, "a gap");
            }
            self.mode = Mode::Blocks(b);
            return true;
        }
        if b.cancelled {
            self.anomaly(
                anomaly::BAD_BLOCK,
                self.pos,
                "bytes after the sender's cancel marker: the block structure is lost; the rest \
                 of this direction is skipped"
                    .to_string(),
            );
            self.mode = Mode::Lost {
                skipped: 0,
                first: self.pos,
            };
            return true;
        }
        if b.have == 0 {
            b.head_at = self.pos;
        }
        let take = (3 - b.have).min(live_len);
        b.head[b.have..b.have + take].copy_from_slice(&self.live()[..take]);
        b.have += take;
        self.consume(take);
        if b.have < 3 {
            self.mode = Mode::Blocks(b);
            return true;
        }
        b.have = 0;
        b.index += 1;
        let mut block = Block {
            offset: b.head_at,
            index: b.index,
            file_offset: b.file_offset,
            len: 0,
            received: 0,
            cancel: false,
            data: Vec::new(),
        };
        match b.head[0] {
            0 => {
                block.len = u64::from(u16::from_le_bytes([b.head[1], b.head[2]]));
                if block.len > MAX_BLOCK {
                    self.anomaly(
                        anomaly::BLOCK_TOO_LONG,
                        block.offset,
                        format!(
                            "block {} declares {} bytes, more than the {MAX_BLOCK} of MSNFTP; \
                             read as declared",
                            block.index, block.len
                        ),
                    );
                }
                b.file_offset += block.len;
                let len = block.len;
                b.current = Some((block, len));
                if len == 0 {
                    self.block_done(&mut b, "a gap");
                }
            }
            1 => {
                block.cancel = true;
                b.cancelled = true;
                self.stats.blocks += 1;
                self.ready.push(FramerEvent::Block(block));
            }
            other => {
                self.anomaly(
                    anomaly::BAD_BLOCK,
                    block.offset,
                    format!(
                        "block header starts with 0x{other:02x}, neither data (0x00) nor cancel \
                         (0x01): the block structure is lost; the rest of this direction is \
                         skipped"
                    ),
                );
                // The three header bytes are the first skipped.
                self.mode = Mode::Lost {
                    skipped: 3,
                    first: block.offset,
                };
                return true;
            }
        }
        self.mode = Mode::Blocks(b);
        true
    }

    /// Gives the current block (its data is all read or lost), with `msnp.msnftp.cut_block`
    /// when some of it was not captured (`by` names what took it).
    fn block_done(&mut self, b: &mut Blocks, by: &str) {
        let Some((block, _)) = b.current.take() else {
            return;
        };
        let block = Block {
            received: block.received.min(block.len),
            ..block
        };
        let missing = block.len - block.received;
        if missing > 0 {
            self.anomaly(
                anomaly::CUT_BLOCK,
                block.offset,
                format!(
                    "block {}: {missing} of its {} bytes were not captured ({by})",
                    block.index, block.len
                ),
            );
        }
        self.stats.blocks += 1;
        self.ready.push(FramerEvent::Block(block));
    }

    fn step_line(&mut self, dialect: Option<Dialect>) -> bool {
        let live = self.live();
        if live.is_empty() {
            return false;
        }
        let limit = live.len().min(MAX_LINE + 1);
        let from = self.scan_from.min(limit);
        match memchr::memchr(b'\n', &live[from..limit]) {
            Some(i) => {
                let nl = from + i;
                let (len, eol) = if nl > 0 && live[nl - 1] == b'\r' {
                    (nl - 1, Eol::CrLf)
                } else {
                    (nl, Eol::Lf)
                };
                let line = live[..len].to_vec();
                let offset = self.pos;
                self.consume(nl + 1);
                self.on_line(line, eol, offset, dialect);
                true
            }
            None if live.len() > MAX_LINE => {
                self.anomaly(
                    anomaly::LINE_TOO_LONG,
                    self.pos,
                    format!("no end of line within {MAX_LINE} bytes; dropping the line"),
                );
                self.mode = Mode::Resync {
                    at_start: false,
                    skipped: 0,
                    first: self.pos,
                };
                true
            }
            None => {
                self.scan_from = limit;
                false
            }
        }
    }

    fn on_line(&mut self, line: Vec<u8>, eol: Eol, offset: u64, dialect: Option<Dialect>) {
        enum Body {
            None,
            Bytes(u64),
            TooLarge(u64),
        }
        let (command, body, blocks) = match command::parse_line(&line, self.dir, dialect) {
            Err(e) => {
                self.anomaly(
                    anomaly::BAD_LINE,
                    offset,
                    format!("{e}: {}", preview(&line)),
                );
                self.mode = Mode::Resync {
                    at_start: true,
                    skipped: 0,
                    first: self.pos,
                };
                return;
            }
            Ok(ParsedLine {
                command,
                shape,
                fields,
            }) => {
                let verb = command.verb;
                if !shape.known {
                    self.anomaly(
                        anomaly::UNKNOWN_VERB,
                        offset,
                        format!(
                            "unknown command {verb}: TrID and payload guessed from the line's shape"
                        ),
                    );
                }
                if shape.trid && command.trid.is_none() {
                    let detail = match fields.first() {
                        Some(f) => format!("{verb}: `{}` where a TrID belongs", preview(f)),
                        None => format!("{verb}: no TrID"),
                    };
                    self.anomaly(anomaly::BAD_TRID, offset, detail);
                }
                let body = match shape.length {
                    None => Body::None,
                    Some(i) => match fields.get(i) {
                        Some(f) if rules::all_digits(f) => {
                            // 20+ digits overflow a u64: certainly too large.
                            let n = std::str::from_utf8(f)
                                .ok()
                                .and_then(|s| s.parse::<u64>().ok())
                                .unwrap_or(u64::MAX);
                            if n > MAX_PAYLOAD {
                                Body::TooLarge(n)
                            } else {
                                Body::Bytes(n)
                            }
                        }
                        other => {
                            let what = match other {
                                Some(f) => format!("`{}`", preview(f)),
                                None => "missing".to_string(),
                            };
                            self.anomaly(
                                anomaly::BAD_LENGTH,
                                offset,
                                format!("{verb}: length (field {i}) is {what}; no payload taken"),
                            );
                            Body::None
                        }
                    },
                };
                (command, body, shape.blocks)
            }
        };
        let verb = command.verb;
        let mut frame = Frame {
            offset,
            line,
            eol,
            command,
            payload: None,
        };
        match body {
            Body::None if blocks => {
                self.frame(frame);
                self.mode = Mode::Blocks(Blocks::new());
            }
            Body::None => self.frame(frame),
            Body::TooLarge(n) => {
                self.anomaly(
                    anomaly::PAYLOAD_TOO_LARGE,
                    offset,
                    format!("{verb} declares {n} bytes, above {MAX_PAYLOAD}; no payload taken"),
                );
                self.frame(frame);
                self.mode = Mode::Resync {
                    at_start: true,
                    skipped: 0,
                    first: self.pos,
                };
            }
            Body::Bytes(0) => {
                frame.payload = Some(Payload {
                    declared: 0,
                    bytes: Vec::new(),
                });
                self.frame(frame);
            }
            Body::Bytes(n) => {
                self.mode = Mode::Payload {
                    frame: Box::new(frame),
                    payload: Payload {
                        declared: n,
                        bytes: Vec::with_capacity(n.min(64 * 1024) as usize),
                    },
                };
            }
        }
    }

    fn step_payload(&mut self, mut frame: Box<Frame>, mut payload: Payload) -> bool {
        let need = payload.declared.saturating_sub(payload.bytes.len() as u64);
        let take = need.min(self.live().len() as u64) as usize;
        payload
            .bytes
            .extend_from_slice(&self.buf[self.head..self.head + take]);
        self.consume(take);
        if take as u64 == need {
            frame.payload = Some(payload);
            self.frame(*frame);
            true
        } else {
            self.mode = Mode::Payload { frame, payload };
            take > 0
        }
    }

    fn step_resync(&mut self, mut at_start: bool, mut skipped: u64, mut first: u64) -> bool {
        enum Found {
            /// A command starts at this index.
            At(usize),
            /// Undecided from this index (a possible start, too few bytes to tell).
            Wait(usize),
            /// Nothing here; `at_start` for what follows.
            Nothing(bool),
        }
        let live = self.live();
        let live_len = live.len();
        if live.is_empty() {
            self.mode = Mode::Resync {
                at_start,
                skipped,
                first,
            };
            return false;
        }
        let next_line = |from: usize| {
            live[from..]
                .iter()
                .position(|&b| b == b'\n')
                .map(|i| from + i + 1)
        };
        let mut candidate = if at_start { Some(0) } else { next_line(0) };
        let found = loop {
            let Some(p) = candidate else {
                break Found::Nothing(false);
            };
            if p == live.len() {
                break Found::Nothing(true);
            }
            match looks_like_command(&live[p..]) {
                Some(true) => break Found::At(p),
                None => break Found::Wait(p),
                Some(false) => candidate = next_line(p),
            }
        };
        let progress = match found {
            Found::At(p) => {
                self.skip(p, &mut skipped, &mut first);
                let at = self.pos;
                self.resynced(
                    skipped,
                    first,
                    &format!("to the next command line, at offset {at}"),
                );
                return true;
            }
            Found::Wait(p) => {
                self.skip(p, &mut skipped, &mut first);
                at_start = true;
                p > 0
            }
            Found::Nothing(start) => {
                self.skip(live_len, &mut skipped, &mut first);
                at_start = start;
                true
            }
        };
        self.mode = Mode::Resync {
            at_start,
            skipped,
            first,
        };
        progress
    }

    /// Cuts what is in progress (a gap or the end of the stream, named by `by`) and empties the
    /// buffer. Says what was still running: a payload span, or the blocks a cut `FIL` line
    /// announced.
    fn cut(&mut self, by: &str) -> AfterCut {
        let after = match std::mem::replace(&mut self.mode, Mode::Line) {
            Mode::Line => {
                if !self.live().is_empty() && self.cut_line(by) {
                    AfterCut::Blocks
                } else {
                    AfterCut::Nothing
                }
            }
            Mode::Payload { frame, payload } => {
                let need = payload.declared - payload.bytes.len() as u64;
                let until = self.pos.saturating_add(need);
                self.anomaly(
                    anomaly::CUT_PAYLOAD,
                    frame.offset,
                    format!(
                        "{} payload cut by {by} after {} of {} bytes",
                        frame.command.verb,
                        payload.bytes.len(),
                        payload.declared
                    ),
                );
                let mut frame = *frame;
                frame.payload = Some(payload);
                self.frame(frame);
                AfterCut::Span(until)
            }
            Mode::Skip { until } => AfterCut::Span(until),
            Mode::Resync {
                mut skipped,
                mut first,
                ..
            } => {
                let n = self.live().len();
                self.skip(n, &mut skipped, &mut first);
                self.resynced(skipped, first, &format!("before {by}"));
                AfterCut::Nothing
            }
            Mode::Blocks(mut b) => {
                if b.current.is_some() {
                    self.block_done(&mut b, by);
                } else if b.have > 0 {
                    self.anomaly(
                        anomaly::CUT_HEADER,
                        b.head_at,
                        format!("block header cut by {by} after {} of its 3 bytes", b.have),
                    );
                }
                AfterCut::Nothing
            }
            Mode::Lost { skipped, first } => {
                if skipped > 0 {
                    self.stats.skipped_bytes += skipped;
                    self.anomaly(
                        anomaly::SKIPPED,
                        first,
                        format!(
                            "skipped {skipped} bytes after the block structure was lost, up to \
                             {by}"
                        ),
                    );
                }
                AfterCut::Nothing
            }
        };
        self.buf.clear();
        self.head = 0;
        self.scan_from = 0;
        after
    }

    /// Frames what is left of a line cut by a gap or the end. True when it was a `FIL`:
    /// blocks were to follow it.
    fn cut_line(&mut self, by: &str) -> bool {
        let mut line = self.live().to_vec();
        let offset = self.pos;
        let n = line.len();
        self.consume(n);
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        match command::parse_line(&line, self.dir, self.last_dialect) {
            Ok(parsed) => {
                let blocks = parsed.shape.blocks;
                let command = parsed.command;
                self.anomaly(
                    anomaly::CUT_LINE,
                    offset,
                    format!("{} line cut by {by} after {n} bytes", command.verb),
                );
                self.frame(Frame {
                    offset,
                    line,
                    eol: Eol::None,
                    command,
                    payload: None,
                });
                blocks
            }
            Err(e) => {
                self.anomaly(
                    anomaly::CUT_LINE,
                    offset,
                    format!("line cut by {by} after {n} bytes ({e}): {}", preview(&line)),
                );
                false
            }
        }
    }
}

/// Whether `b` starts like a command line: `[A-Z]{3}` then ` `, `\n` or `\r\n`, or `[0-9]{3} `.
/// `None` when `b` is too short to tell.
fn looks_like_command(b: &[u8]) -> Option<bool> {
    #[derive(Clone, Copy)]
    enum C {
        Upper,
        Digit,
        Is(u8),
    }
    use C::{Digit, Is, Upper};
    const PATTERNS: [&[C]; 4] = [
        &[Upper, Upper, Upper, Is(b' ')],
        &[Upper, Upper, Upper, Is(b'\n')],
        &[Upper, Upper, Upper, Is(b'\r'), Is(b'\n')],
        &[Digit, Digit, Digit, Is(b' ')],
    ];
    let fits = |c: C, b: u8| match c {
        Upper => b.is_ascii_uppercase(),
        Digit => b.is_ascii_digit(),
        Is(x) => b == x,
    };
    let mut undecided = false;
    for pattern in PATTERNS {
        let n = pattern.len().min(b.len());
        if pattern[..n].iter().zip(&b[..n]).all(|(&c, &x)| fits(c, x)) {
            if n == pattern.len() {
                return Some(true);
            }
            undecided = true;
        }
    }
    if undecided { None } else { Some(false) }
}

/// A short view of some bytes for an anomaly detail: their first bytes in the display form of
/// [`crate::escape`] (the JSON rule, with controls and invisible characters spelt out, so the
/// detail is one inert line in JSON and on a terminal alike).
fn preview(bytes: &[u8]) -> String {
    const MAX: usize = 48;
    let shown = crate::escape::escape_line(&bytes[..bytes.len().min(MAX)]);
    if bytes.len() > MAX {
        format!("{shown}… ({} bytes)", bytes.len())
    } else {
        shown
    }
}

#[cfg(test)]
#[path = "framer_test.rs"]
mod tests;
