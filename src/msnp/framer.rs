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

/// What the framer produces.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FramerEvent {
    Frame(Frame),
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
    /// Bytes skipped while resynchronising (not counting bytes lost in gaps).
    pub skipped_bytes: u64,
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
    ready: VecDeque<FramerEvent>,
    last_dialect: Option<Dialect>,
    stats: FramerStats,
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
            ready: VecDeque::new(),
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
        let span_end = self.cut("a gap");
        self.pos = gap_end;
        self.mode = match span_end {
            Some(until) if gap_end < until => Mode::Skip { until },
            Some(until) if gap_end == until => Mode::Line,
            _ => Mode::Resync {
                at_start: true,
                skipped: 0,
                first: gap_end,
            },
        };
    }

    /// The next frame or anomaly, or `None` when more bytes are needed. `dialect` is the
    /// connection's dialect as known now; it applies to the next line framed.
    pub fn next_event(&mut self, dialect: Option<Dialect>) -> Option<FramerEvent> {
        self.last_dialect = dialect;
        loop {
            if let Some(event) = self.ready.pop_front() {
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
        self.ready.drain(..).collect()
    }

    /// Bytes held: unframed input plus the line and payload of a frame in progress.
    pub fn buffered(&self) -> usize {
        let pending = match &self.mode {
            Mode::Payload { frame, payload } => frame.line.len() + payload.bytes.len(),
            _ => 0,
        };
        self.buf.len() - self.head + pending
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
        self.ready.push_back(FramerEvent::Anomaly {
            name,
            offset,
            detail,
        });
    }

    fn frame(&mut self, frame: Frame) {
        self.stats.frames += 1;
        self.ready.push_back(FramerEvent::Frame(frame));
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
        }
    }

    fn step_line(&mut self, dialect: Option<Dialect>) -> bool {
        let live = self.live();
        if live.is_empty() {
            return false;
        }
        let limit = live.len().min(MAX_LINE + 1);
        let from = self.scan_from.min(limit);
        match live[from..limit].iter().position(|&b| b == b'\n') {
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
        let (command, body) = match command::parse_line(&line, self.dir, dialect) {
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
                (command, body)
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
    /// buffer. Returns the end of a payload span that is still running.
    fn cut(&mut self, by: &str) -> Option<u64> {
        let span_end = match std::mem::replace(&mut self.mode, Mode::Line) {
            Mode::Line => {
                if !self.live().is_empty() {
                    self.cut_line(by);
                }
                None
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
                Some(until)
            }
            Mode::Skip { until } => Some(until),
            Mode::Resync {
                mut skipped,
                mut first,
                ..
            } => {
                let n = self.live().len();
                self.skip(n, &mut skipped, &mut first);
                self.resynced(skipped, first, &format!("before {by}"));
                None
            }
        };
        self.buf.clear();
        self.head = 0;
        self.scan_from = 0;
        span_end
    }

    fn cut_line(&mut self, by: &str) {
        let mut line = self.live().to_vec();
        let offset = self.pos;
        let n = line.len();
        self.consume(n);
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        match command::parse_line(&line, self.dir, self.last_dialect) {
            Ok(parsed) => {
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
            }
            Err(e) => self.anomaly(
                anomaly::CUT_LINE,
                offset,
                format!("line cut by {by} after {n} bytes ({e}): {}", preview(&line)),
            ),
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
