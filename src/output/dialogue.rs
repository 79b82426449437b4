//! The annotated dialogue: the notation of the classic MSN protocol documentation.
//!
//! ```text
//! >>> VER 1 MSNP8 CVR0\r\n          what the client sent (blue)
//! <<< VER 1 MSNP8 CVR0\r\n          what the server sent (green)
//! <o> a note about what happened    (bluish green)
//! ```
//!
//! Guarantees: the end of every line is shown literally (`\r\n`, or `\n` where only a newline
//! was sent; light grey when coloured), so newlines can be counted; a payload is shown under
//! its command line, line by line with the same prefix, and a binary part as a short hex dump;
//! bytes from the capture go through the terminal rule of [`crate::output::text`] (control
//! bytes, invalid UTF-8, bidi and other invisible characters spelt out: `\x1B`, `\xFF`,
//! `\u{202E}`), and notes through its [`escape_text`] (written in place by
//! [`escape::push_one_line`]), so nothing is written raw.
//! When the output moves from one connection to another, a `<o>` line says which.
//!
//! MSNFTP blocks are file data, never shown as lines: with `--notes full` each is one note
//! (`block 12: 2045 bytes`); the sender's cancel marker is a note at `brief` too, and so is
//! the summary of the transfer just before its connection closes.

use crate::Direction;
use crate::capture::Timestamp;
use crate::escape;
use crate::event::{
    BlockEvent, Clients, CommandEvent, ConnectionInfo, DialectSource, Event, Extracted,
    FieldsWanted, LineEnd, Party, Role, Sink, TransferSummary,
};
use crate::flow::{Closing, FlowId, Opening};
use crate::msnc::Kind;
use crate::msnc::control::P2p;
use crate::msnc::mime::{HeadersEnd, Mime};
#[cfg(doc)]
use crate::output::text::escape_text;
use crate::output::text::{iso_time, push_socket_addr};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

/// How many `<o>` notes to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Notes {
    /// None at all: only what crossed the wire.
    None,
    /// Connections opening and closing, gaps, anomalies, and what commands mean.
    Brief,
    /// Also reply delays and every change of role, dialect or principal.
    Full,
}

/// Bytes of a binary payload shown in the hex dump (a P2P header is 48).
pub const HEXDUMP_BYTES: usize = 64;

const BLUE: &str = "\x1b[34m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const GREY: &str = "\x1b[37m";
const RESET: &str = "\x1b[0m";

/// What to print before each line: a time and the frame number (`--time`, `--frames`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stamps {
    pub time: TimeFormat,
    pub frames: bool,
    /// Times (in stamps and notes) in this machine's zone instead of UTC.
    pub local: bool,
}

/// How `--time` shows when a line was captured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TimeFormat {
    /// No time: the classic notation.
    #[default]
    None,
    /// `2011-08-10T03:17:29.750284Z` (or the local time with its offset).
    Iso,
    /// Seconds since the epoch, six decimals.
    Epoch,
    /// Seconds since the first line printed.
    Relative,
    /// Seconds since the previous line printed.
    Delta,
}

/// Writes the dialogue of every event it is given.
pub struct Dialogue<W: Write> {
    out: W,
    notes: Notes,
    color: bool,
    stamps: Stamps,
    /// With several input files: where each starts, for `--frames` (`file:frame`).
    files: Option<crate::capture::FileMap>,
    /// The time of the first and of the last event printed (for relative and delta times).
    first_ts: Option<Timestamp>,
    last_ts: Option<Timestamp>,
    /// The connection of the last line printed.
    current: Option<FlowId>,
    /// Roles of open connections, for the header printed when the output switches connection.
    roles: BTreeMap<FlowId, Role>,
    /// With `--group`: each connection's text waiting to be printed.
    groups: Option<Groups>,
    /// With `--group`: bytes that went through the temporary file, once finished.
    pub spilled: u64,
    /// The text of the event being written, kept from one event to the next so that an
    /// event costs no allocation of its own (up to [`TEXT_KEPT`] bytes).
    text: String,
}

/// The most room the text of one event keeps for the next: an event's text is a few hundred
/// bytes, and the lines of a large text payload, megabytes, are not held after it (a binary
/// payload is shown by a short summary).
const TEXT_KEPT: usize = 64 << 10;

/// Output of `--group`, waiting: a connection is printed once it and every connection with a
/// smaller id that has anything to show have closed. What waits is kept in memory up to a
/// cap ([`DEFAULT_GROUP_MEMORY`], or half of `--memcap`); past it every connection's waiting
/// text is appended to a temporary file (unlinked at once, so it goes away with the process)
/// and read back when the connection is printed. Memory then holds only the places of those
/// pieces.
///
/// The cap counts the memory the texts hold, not their length: a text that grows by
/// doubling holds up to twice its length (the waiting texts of a 1 GB capture held 1.45 times
/// what their lengths added up to), and a closed connection's text, which will not grow
/// again, is shrunk to its length while it waits.
struct Groups {
    waiting: BTreeMap<FlowId, Group>,
    /// The bytes the waiting texts hold (their capacities).
    in_memory: usize,
    cap: usize,
    spill: Option<std::fs::File>,
    spill_len: u64,
}

#[derive(Default)]
struct Group {
    /// Pieces already in the spill file, in order: (offset, length).
    spilled: Vec<(u64, u64)>,
    text: String,
    closed: bool,
}

/// What `--group` keeps in memory before it spills to a temporary file: 16 MiB, half the
/// default `--memcap` (the other half of the memory a run may hold is for the connections'
/// buffers).
pub const DEFAULT_GROUP_MEMORY: usize = 16 << 20;

impl Groups {
    fn new(cap: usize) -> Groups {
        Groups {
            waiting: BTreeMap::new(),
            in_memory: 0,
            cap,
            spill: None,
            spill_len: 0,
        }
    }

    /// Moves every connection's waiting text to the spill file.
    fn spill(&mut self) -> io::Result<()> {
        use std::io::{Seek, SeekFrom};
        if self.spill.is_none() {
            self.spill = Some(super::spill_file("--group")?);
        }
        let file = self.spill.as_mut().expect("made above");
        file.seek(SeekFrom::End(0))?;
        let mut out = io::BufWriter::with_capacity(1 << 16, &mut *file);
        for g in self.waiting.values_mut().filter(|g| !g.text.is_empty()) {
            out.write_all(g.text.as_bytes())?;
            g.spilled.push((self.spill_len, g.text.len() as u64));
            self.spill_len += g.text.len() as u64;
            g.text = String::new();
        }
        out.flush()?;
        self.in_memory = 0;
        Ok(())
    }

    /// What the waiting texts hold, counted afresh (what `in_memory` keeps up to date).
    #[cfg(test)]
    fn held(&self) -> usize {
        self.waiting.values().map(|g| g.text.capacity()).sum()
    }

    /// Writes a connection's text: its spilled pieces, then what is in memory.
    fn write(&mut self, g: Group, out: &mut dyn Write) -> io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        if let Some(file) = &mut self.spill {
            let mut buf = vec![0u8; 1 << 16];
            for (at, len) in g.spilled {
                file.seek(SeekFrom::Start(at))?;
                let mut left = len;
                while left > 0 {
                    let n = (left as usize).min(buf.len());
                    file.read_exact(&mut buf[..n])?;
                    out.write_all(&buf[..n])?;
                    left -= n as u64;
                }
            }
        }
        self.in_memory -= g.text.capacity();
        out.write_all(g.text.as_bytes())?;
        out.write_all(b"\n")
    }
}

impl<W: Write> Dialogue<W> {
    pub fn new(out: W, notes: Notes, color: bool, group: bool) -> Self {
        Dialogue {
            out,
            notes,
            color,
            stamps: Stamps::default(),
            files: None,
            first_ts: None,
            last_ts: None,
            current: None,
            roles: BTreeMap::new(),
            groups: group.then(|| Groups::new(DEFAULT_GROUP_MEMORY)),
            spilled: 0,
            text: String::with_capacity(256),
        }
    }

    /// With `--group`, what may wait in memory before it spills to a temporary file.
    pub fn with_group_memory(mut self, bytes: usize) -> Self {
        if let Some(g) = &mut self.groups {
            g.cap = bytes;
        }
        self
    }

    /// The same dialogue with a time and/or the frame number before each line.
    pub fn with_stamps(mut self, stamps: Stamps) -> Self {
        self.stamps = stamps;
        self
    }

    /// Frames of several files: `--frames` shows `file:frame`, the frame's number in its file.
    pub fn with_files(mut self, files: Option<crate::capture::FileMap>) -> Self {
        self.files = files;
        self
    }

    /// The stamp for an event captured at `frame` and `ts`, and the bookkeeping of relative
    /// and delta times.
    fn stamp(&mut self, frame: u64, ts: Timestamp) -> String {
        let first = *self.first_ts.get_or_insert(ts);
        let previous = self.last_ts.replace(ts).unwrap_or(ts);
        let seconds = |from: Timestamp| {
            let d = i128::from(ts.secs) * 1_000_000_000 + i128::from(ts.nanos)
                - (i128::from(from.secs) * 1_000_000_000 + i128::from(from.nanos));
            let sign = if d < 0 { "-" } else { "" };
            let us = d.unsigned_abs() / 1000;
            format!("{sign}{}.{:06}", us / 1_000_000, us % 1_000_000)
        };
        let mut out = String::new();
        if self.stamps.frames {
            match self.files.as_ref().and_then(|m| m.locate(frame)) {
                Some((file, n)) => out.push_str(&format!("{:>8} ", format!("{file}:{n}"))),
                None => out.push_str(&format!("{frame:>6} ")),
            }
        }
        let time = match self.stamps.time {
            TimeFormat::None => None,
            TimeFormat::Iso => Some(iso_time(ts, self.stamps.local)),
            TimeFormat::Epoch => Some(format!("{}.{:06}", ts.secs, ts.nanos / 1000)),
            TimeFormat::Relative => Some(format!("{:>12}", seconds(first))),
            TimeFormat::Delta => Some(format!("{:>12}", seconds(previous))),
        };
        if let Some(t) = time {
            out.push_str(&t);
            out.push(' ');
        }
        out
    }

    /// A time in a note: ISO 8601 with its zone (`Z`, or the local offset with `--local`).
    fn when(&self, ts: Timestamp) -> String {
        iso_time(ts, self.stamps.local)
    }

    fn paint(&self, s: &mut String, color: &str, text: &str) {
        self.paint_parts(s, color, &[text]);
    }

    /// Pieces of text in one colour, written straight into `s` (no string of their own).
    fn paint_parts(&self, s: &mut String, color: &str, parts: &[&str]) {
        if self.color {
            s.push_str(color);
        }
        for p in parts {
            s.push_str(p);
        }
        if self.color {
            s.push_str(RESET);
        }
    }

    fn note(&self, s: &mut String, text: &str) {
        // `paint_parts` of `<o> ` and `escape_text(text)`, the text made safe straight into `s`.
        if self.color {
            s.push_str(CYAN);
        }
        s.push_str("<o> ");
        escape::push_one_line(s, text);
        if self.color {
            s.push_str(RESET);
        }
        s.push('\n');
    }

    /// One line from the wire with its prefix and its line-end marker.
    fn wire_line(&self, s: &mut String, dir: Direction, text: &[u8], end: LineEnd) {
        let (prefix, color) = match dir {
            Direction::ClientToServer => (">>> ", BLUE),
            Direction::ServerToClient => ("<<< ", GREEN),
        };
        if self.color {
            s.push_str(color);
        }
        s.push_str(prefix);
        escape::push_line(s, text);
        if self.color {
            s.push_str(RESET);
        }
        let marker = match end {
            LineEnd::Crlf => "\\r\\n",
            LineEnd::Lf => "\\n",
            LineEnd::None => "",
        };
        if !marker.is_empty() {
            self.paint(s, GREY, marker);
        }
        s.push('\n');
    }

    fn header(&mut self, s: &mut String, flow: FlowId) {
        if self.groups.is_some() || self.current == Some(flow) {
            return;
        }
        if self.current.is_some() && self.notes > Notes::None {
            let role = self.roles.get(&flow).copied().unwrap_or(Role::Unknown);
            // Our own printable text, so written as `note` would write it without the
            // `format!` and the escaping pass: interleaved connections print this often.
            let mut digits = itoa::Buffer::new();
            let parts = [
                "<o> -- connection ",
                digits.format(flow.0),
                " (",
                role.as_str(),
                ") --",
            ];
            self.paint_parts(s, CYAN, &parts);
            s.push('\n');
        }
        self.current = Some(flow);
    }

    fn opened(&mut self, s: &mut String, c: &ConnectionInfo) {
        self.roles.insert(c.flow, c.role);
        self.current = Some(c.flow);
        if self.notes == Notes::None {
            return;
        }
        let how = match c.opening {
            Opening::Syn => "",
            Opening::SynAck => ", handshake partly captured",
            Opening::Midstream => ", picked up mid-stream",
        };
        // Pieces pushed one after the other rather than through `format!`: this note and the
        // closing one are written for every connection. `note` makes the whole safe.
        let mut text = self.when(c.ts);
        let mut digits = itoa::Buffer::new();
        text.push_str(" connection ");
        text.push_str(digits.format(c.flow.0));
        text.push_str(" opened: ");
        push_socket_addr(&mut text, &c.client);
        text.push_str(" -> ");
        push_socket_addr(&mut text, &c.server);
        text.push_str(", ");
        text.push_str(&dialect_words(c));
        text.push_str(how);
        text.push_str("; ");
        if c.role == Role::Unknown {
            text.push_str("role unknown");
        } else {
            text.push_str(c.role.as_str());
        }
        text.push_str(" (");
        text.push_str(&c.role_reason);
        text.push(')');
        self.note(s, &text);
    }

    fn command(&mut self, s: &mut String, c: &CommandEvent) {
        self.wire_line(s, c.dir, &c.line, c.line_end);
        if let Some(p) = &c.payload_bytes {
            match c.msnc.as_ref().map(|m| &m.kind) {
                Some(Kind::P2p(p2p)) => self.p2p_payload(s, c.dir, p, p2p),
                _ => match c.msnc.as_deref() {
                    // What the message layer read of these bytes says they are text: the
                    // same answer as `binary_start`'s, without reading the headers again.
                    Some(m)
                        if m.headers_end == HeadersEnd::Blank
                            && m.content_type
                                .as_deref()
                                .is_some_and(|t| t.starts_with("text/")) =>
                    {
                        self.text_lines(s, c.dir, p)
                    }
                    _ => self.payload(s, c.dir, p),
                },
            }
            if let Some(got) = c.payload_received {
                let declared = c.payload_len.unwrap_or(0);
                if self.notes > Notes::None {
                    self.note(
                        s,
                        &format!(
                            "payload cut short: {got} of the {declared} declared bytes arrived"
                        ),
                    );
                }
            }
        }
        if self.notes == Notes::None {
            return;
        }
        if let Some(n) = &c.note {
            self.note(s, n);
        }
        if self.notes == Notes::Full
            && let (Some(r), Some(trid)) = (&c.reply_to, c.trid)
        {
            self.note(
                s,
                &format!(
                    "reply to trid {trid} (frame {}) after {} ms",
                    r.frame,
                    whole_ms(r.delay_ms)
                ),
            );
        }
    }

    /// A P2P message's payload, summarised: the binary header is told by the note (`P2P
    /// session 4 message 7: bytes 1202-2403 of 5718`), never dumped. An MSNSLP chunk shows its
    /// MIME header lines and its SLP text in full; a data chunk or an ack shows its header
    /// lines only with `--notes full`, and with `--notes none` (no note to tell it) one
    /// `[N bytes of P2P data]` line. A packet that cannot be read is shown as any binary
    /// payload is.
    fn p2p_payload(&self, s: &mut String, dir: Direction, payload: &[u8], p2p: &P2p) {
        let Ok(packet) = &p2p.packet else {
            return self.payload(s, dir, payload);
        };
        let headers = payload
            .get(..payload.len().saturating_sub(p2p.body_len))
            .unwrap_or_default();
        let data = payload
            .get(packet.data_at..packet.data_at + packet.data_len)
            .unwrap_or_default();
        if packet.is_slp() {
            self.text_lines(s, dir, headers);
            self.text_lines(s, dir, data);
            return;
        }
        match self.notes {
            Notes::Full => self.text_lines(s, dir, headers),
            Notes::Brief => {}
            Notes::None => {
                let marker = format!("[{} bytes of P2P data]", p2p.body_len);
                self.wire_line(s, dir, marker.as_bytes(), LineEnd::None);
            }
        }
    }

    /// Bytes shown as lines, each with its own line-end marker, whatever they hold (escaped).
    fn text_lines(&self, s: &mut String, dir: Direction, text: &[u8]) {
        let mut rest = text;
        while !rest.is_empty() {
            match memchr::memchr(b'\n', rest) {
                Some(n) => {
                    let (line, end) = match rest[..n].strip_suffix(b"\r") {
                        Some(l) => (l, LineEnd::Crlf),
                        None => (&rest[..n], LineEnd::Lf),
                    };
                    self.wire_line(s, dir, line, end);
                    rest = &rest[n + 1..];
                }
                None => {
                    self.wire_line(s, dir, rest, LineEnd::None);
                    rest = &[];
                }
            }
        }
    }

    /// A payload: text lines with their own line-end markers; a binary part as a hex dump.
    fn payload(&self, s: &mut String, dir: Direction, p: &[u8]) {
        let split = binary_start(p);
        let (text, binary) = p.split_at(split);
        self.text_lines(s, dir, text);
        if !binary.is_empty() {
            let mut head = format!("[{} bytes of binary data", binary.len());
            if binary.len() > HEXDUMP_BYTES {
                let _ = write!(head, ", the first {HEXDUMP_BYTES} shown");
            }
            head.push(']');
            self.wire_line(s, dir, head.as_bytes(), LineEnd::None);
            for (i, chunk) in binary.chunks(16).take(HEXDUMP_BYTES / 16).enumerate() {
                let mut line = format!("{:04x}  ", i * 16);
                for b in chunk {
                    let _ = write!(line, "{b:02x} ");
                }
                for _ in chunk.len()..16 {
                    line.push_str("   ");
                }
                line.push(' ');
                line.extend(chunk.iter().map(|&b| {
                    if b.is_ascii_graphic() || b == b' ' {
                        b as char
                    } else {
                        '.'
                    }
                }));
                self.wire_line(s, dir, line.as_bytes(), LineEnd::None);
            }
        }
    }

    fn closed(
        &mut self,
        s: &mut String,
        flow: FlowId,
        role: Role,
        ts: crate::capture::Timestamp,
        closing: Closing,
        summary: &crate::flow::FlowSummary,
    ) {
        self.roles.remove(&flow);
        if self.notes == Notes::None {
            return;
        }
        let how = match (closing, summary.reset_by) {
            (Closing::Fin, _) => "closed (FIN both ways)",
            (Closing::HalfClosed, _) => "half-closed when the capture ended",
            (Closing::Rst, Some(Direction::ClientToServer)) => "reset by the client",
            (Closing::Rst, Some(Direction::ServerToClient)) => "reset by the server",
            (Closing::Rst, None) => "reset",
            (Closing::Open, _) => "still open when the capture ended",
            (Closing::Evicted, _) => "dropped to make room for newer connections",
            (Closing::Idle, _) => "closed after a long silence (its end was not seen)",
        };
        // As the opening note: pieces pushed, not `format!`.
        let mut text = self.when(ts);
        let mut digits = itoa::Buffer::new();
        text.push_str(" connection ");
        text.push_str(digits.format(flow.0));
        text.push_str(" (");
        text.push_str(role.as_str());
        text.push_str(") ");
        text.push_str(how);
        text.push_str(": ");
        text.push_str(digits.format(summary.client_bytes));
        text.push_str(" bytes from the client, ");
        text.push_str(digits.format(summary.server_bytes));
        text.push_str(" from the server");
        self.note(s, &text);
    }

    fn emit(&mut self, flow: Option<FlowId>, text: &str, closing: bool) -> io::Result<()> {
        match (&mut self.groups, flow) {
            (Some(groups), Some(f)) => {
                let g = groups.waiting.entry(f).or_default();
                let before = g.text.capacity();
                g.text.push_str(text);
                g.closed |= closing;
                groups.in_memory += g.text.capacity() - before;
                // Print finished connections in id order, as far as no open one comes first.
                while let Some(entry) = groups.waiting.first_entry() {
                    if !entry.get().closed {
                        break;
                    }
                    let g = entry.remove();
                    groups.write(g, &mut self.out)?;
                }
                // A closed connection left waiting gives back the room its text grew into.
                if closing && let Some(g) = groups.waiting.get_mut(&f) {
                    let before = g.text.capacity();
                    g.text.shrink_to_fit();
                    groups.in_memory -= before - g.text.capacity();
                }
                if groups.in_memory > groups.cap {
                    groups.spill()?;
                }
                Ok(())
            }
            _ => self.out.write_all(text.as_bytes()),
        }
    }
}

/// An object `--extract` wrote: `extracted report.txt (4107 bytes, sha256 ab12…) to
/// DIR/report.txt`, then what is missing when it is partial, and how its SHA1D checks.
fn extracted_words(x: &Extracted) -> String {
    let name = x.name.as_deref().unwrap_or(&x.file);
    let short: String = x.sha256.chars().take(16).collect();
    let mut w = format!(
        "extracted {name} ({} bytes, sha256 {short}…) to {}",
        x.bytes_written, x.path
    );
    if x.partial {
        match x.size {
            Some(size) => w.push_str(&format!("; partial: {} of {size} bytes", x.bytes_written)),
            None => w.push_str("; partial: its size was never declared"),
        }
        if !x.missing.is_empty() {
            let ranges: Vec<String> = x
                .missing
                .iter()
                .map(|(start, end)| format!("{start}-{}", end.saturating_sub(1)))
                .collect();
            w.push_str(&format!(", missing {}", ranges.join(", ")));
            if x.missing_truncated {
                w.push_str(" and more");
            }
        }
    }
    match x.sha1d_matches {
        Some(true) => w.push_str("; its SHA1D matches"),
        Some(false) => w.push_str("; its SHA1D does not match"),
        None => {}
    }
    w
}

/// One MSNFTP block, or the sender's cancel marker.
fn block_words(b: &BlockEvent) -> String {
    if b.cancel {
        return "the sender cancels the transfer (cancel marker)".to_string();
    }
    match b.received {
        Some(got) => format!("block {}: {got} of its {} bytes captured", b.index, b.len),
        None => format!("block {}: {} bytes", b.index, b.len),
    }
}

/// How a transfer went: `transfer of report.txt: 3 blocks, 4107 bytes, the size FIL
/// announced`, and what went wrong.
fn transfer_words(t: &TransferSummary) -> String {
    let mut w = match &t.file_name {
        Some(name) => format!("transfer of {name}: "),
        None => "transfer: ".to_string(),
    };
    let _ = write!(
        w,
        "{} block{}, ",
        t.blocks,
        if t.blocks == 1 { "" } else { "s" }
    );
    let bytes = t.bytes;
    let _ = match t.file_size {
        Some(size) if size == bytes => write!(w, "{bytes} bytes, the size FIL announced"),
        Some(size) if bytes > size => {
            write!(w, "{bytes} bytes, more than the {size} FIL announced")
        }
        Some(size) => write!(w, "{bytes} of the {size} bytes FIL announced"),
        None => write!(w, "{bytes} bytes (no FIL seen)"),
    };
    if t.missing > 0 {
        let _ = write!(w, "; {} of them not captured", t.missing);
    }
    match t.cancelled_by {
        Some(Party::Sender) => w.push_str("; the sender cancelled"),
        Some(Party::Receiver) => w.push_str("; the receiver cancelled"),
        None => {}
    }
    if t.structure_lost {
        w.push_str("; the block structure was lost, so the count stops there");
    }
    w
}

/// The MSNC levels a connection's clients showed: `, client MSNC6 (the client id in CHG),
/// with bob@x (MSNC5, its client id in JOI)`; empty when none is known.
fn clients_words(c: &Clients) -> String {
    let mut out = String::new();
    if let Some(own) = &c.own {
        let _ = write!(out, ", client MSNC{} ({})", own.level, own.basis);
    }
    for (i, p) in c.participants.iter().enumerate() {
        out.push_str(if i == 0 { ", with " } else { ", " });
        out.push_str(&p.handle);
        if let Some(l) = &p.msnc {
            let _ = write!(out, " (MSNC{}, {})", l.level, l.basis);
        }
    }
    out
}

/// The dialect as known: `MSNP8`, `at least MSNP13, inferred from ADL`, `dialect unknown`.
fn dialect_words(c: &ConnectionInfo) -> String {
    match (c.dialect, c.dialect_source, &c.dialect_basis) {
        (None, _, _) => "dialect unknown".to_string(),
        (Some(d), Some(DialectSource::Inferred), Some(basis)) if d.is_msnftp() => {
            format!("{d}, inferred from {basis}")
        }
        (Some(d), Some(DialectSource::Inferred), Some(basis)) => {
            format!("at least {d}, inferred from {basis}")
        }
        (Some(d), Some(DialectSource::Inferred), None) => format!("at least {d} (inferred)"),
        (Some(d), _, _) => d.to_string(),
    }
}

/// `ms` rounded to a whole number as `{:.0}` writes it (ties to even), from an integer in the
/// usual case: float formatting was a tenth of the dialogue's cost of a reply.
fn whole_ms(ms: f64) -> String {
    if ms.is_sign_positive() && ms < 1e15 {
        (ms.round_ties_even() as u64).to_string()
    } else {
        format!("{ms:.0}")
    }
}

/// Where a payload stops being text. A MIME body declared as `text/...` is text whatever it
/// holds (stray bytes are escaped when shown); a P2P body (`application/x-msnmsgrp2p`) is
/// binary after its headers; otherwise text is what is valid UTF-8 without NUL bytes. The
/// header block is read as the message layer reads it ([`crate::msnc::mime`]).
fn binary_start(p: &[u8]) -> usize {
    let is_text = |b: &[u8]| std::str::from_utf8(b).is_ok() && !b.contains(&0);
    let (end, body_at, ctype) = Mime::content_type_of(p);
    let head_end = (end == HeadersEnd::Blank).then_some(body_at);
    if let Some(end) = head_end {
        let ctype = ctype.unwrap_or_default();
        if ctype.starts_with("text/") {
            return p.len();
        }
        if ctype == "application/x-msnmsgrp2p" {
            return end;
        }
    }
    if is_text(p) {
        return p.len();
    }
    match head_end {
        Some(n) if is_text(&p[..n]) => n,
        _ => 0,
    }
}

impl<W: Write> Sink for Dialogue<W> {
    /// The notes are printed unless `--notes none`.
    fn wants_notes(&self) -> bool {
        self.notes > Notes::None
    }

    /// A payload is shown as its own bytes, never as the text the decoder reads from them.
    fn wants_text(&self) -> bool {
        false
    }

    /// The line is shown as sent; named fields reach the dialogue only through the notes
    /// made from them.
    fn wants_fields(&self) -> FieldsWanted {
        FieldsWanted::None
    }

    fn event(&mut self, ev: &Event) -> io::Result<()> {
        // Blocks are notes of `full` only (the cancel marker from `brief`); skip them before
        // a connection header could be written for nothing.
        if let Event::MsnftpBlock(b) = ev
            && self.notes < if b.cancel { Notes::Brief } else { Notes::Full }
        {
            return Ok(());
        }
        // An object's bytes are the business of `--extract`, whose note says what it wrote.
        if matches!(
            ev,
            Event::ObjectStarted(_) | Event::ObjectData { .. } | Event::ObjectEnded { .. }
        ) || (matches!(ev, Event::Extracted(_)) && self.notes == Notes::None)
        {
            return Ok(());
        }
        let mut s = std::mem::take(&mut self.text);
        s.clear();
        let result = self.write_event(ev, &mut s);
        // The text of a big payload is not kept for the events after it.
        if s.capacity() <= TEXT_KEPT {
            self.text = s;
        }
        result
    }

    fn finish(&mut self) -> io::Result<()> {
        if let Some(mut groups) = self.groups.take() {
            while let Some((_, g)) = groups.waiting.pop_first() {
                groups.write(g, &mut self.out)?;
            }
            self.spilled = groups.spill_len;
        }
        self.out.flush()
    }
}

impl<W: Write> Dialogue<W> {
    /// [`Sink::event`]'s work, its text built in `s` (empty on entry).
    fn write_event(&mut self, ev: &Event, s: &mut String) -> io::Result<()> {
        let flow = ev.flow();
        if let Some(f) = flow
            && !matches!(ev, Event::ConnectionOpened(_))
        {
            self.header(s, f);
        }
        let mut closing = false;
        match ev {
            Event::ConnectionOpened(c) => self.opened(s, c),
            Event::ConnectionUpdate(c) => {
                let before = self.roles.insert(c.flow, c.role);
                if self.notes == Notes::Full {
                    let principal = c.principal.as_deref().unwrap_or("unknown");
                    let dialect = match c.dialect {
                        None => "unknown".to_string(),
                        Some(_) => dialect_words(c),
                    };
                    let mut text = format!(
                        "connection {} is {} ({}), dialect {}, user {}",
                        c.flow,
                        c.role.as_str(),
                        c.role_reason,
                        dialect,
                        principal
                    );
                    text.push_str(&clients_words(&c.clients));
                    self.note(s, &text);
                } else if self.notes == Notes::Brief && before.is_some_and(|r| r != c.role) {
                    // A role taken from the first lines, corrected by a later one.
                    self.note(
                        s,
                        &format!(
                            "connection {} is {}: {}",
                            c.flow,
                            c.role.as_str(),
                            c.role_reason
                        ),
                    );
                }
            }
            Event::Command(c) => self.command(s, c),
            Event::MsnftpBlock(b) => self.note(s, &block_words(b)),
            Event::MsnftpTransfer(t) => {
                if self.notes > Notes::None {
                    self.note(s, &transfer_words(t));
                }
            }
            Event::ObjectStarted(_) | Event::ObjectData { .. } | Event::ObjectEnded { .. } => {}
            Event::Extracted(x) => self.note(s, &extracted_words(x)),
            Event::Gap { dir, len, .. } => {
                if self.notes > Notes::None {
                    let side = match dir {
                        Direction::ClientToServer => "client",
                        Direction::ServerToClient => "server",
                    };
                    self.note(s, &format!("{len} bytes from the {side} are missing"));
                }
            }
            Event::Anomaly { name, detail, .. } => {
                if self.notes > Notes::None {
                    let text = if detail.is_empty() {
                        format!("anomaly {name}")
                    } else {
                        format!("anomaly {name}: {detail}")
                    };
                    self.note(s, &text);
                }
            }
            Event::ConnectionClosed {
                flow,
                ts,
                role,
                closing: c,
                summary,
                ..
            } => {
                self.closed(s, *flow, *role, *ts, *c, summary);
                closing = true;
            }
        }
        if s.is_empty() {
            return Ok(());
        }
        if (self.stamps.frames || self.stamps.time != TimeFormat::None)
            && let Some((frame, ts)) = ev.at()
        {
            let stamp = self.stamp(frame, ts);
            let mut stamped = String::with_capacity(s.len() + 32);
            for line in s.split_inclusive('\n') {
                stamped.push_str(&stamp);
                stamped.push_str(line);
            }
            return self.emit(flow, &stamped, closing);
        }
        self.emit(flow, s, closing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dialogue of a capture with several connections at once, grouped, with `cap` bytes
    /// of memory for what waits.
    fn grouped(cap: usize) -> (Vec<u8>, u64) {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/captures/escargot_msnp11_full.pcap"
        );
        let mut source = crate::capture::FileSource::new(vec![path.to_string()], None);
        let mut out = Vec::new();
        let mut d = Dialogue::new(&mut out, Notes::Full, false, true).with_group_memory(cap);
        // After every event, what the waiting texts hold is what is counted, and within the
        // cap (a spill empties it whenever it goes past).
        struct Checked<'a, W: Write>(&'a mut Dialogue<W>, usize);
        impl<W: Write> Sink for Checked<'_, W> {
            fn event(&mut self, ev: &Event) -> io::Result<()> {
                self.0.event(ev)?;
                let g = self.0.groups.as_ref().expect("grouped");
                assert_eq!(g.in_memory, g.held());
                assert!(
                    g.in_memory <= self.1,
                    "{} held, cap {}",
                    g.in_memory,
                    self.1
                );
                Ok(())
            }
            // The decoder builds for the dialogue what it builds in a run.
            fn wants_commands(&self) -> bool {
                self.0.wants_commands()
            }
            fn wants_notes(&self) -> bool {
                self.0.wants_notes()
            }
            fn wants_text(&self) -> bool {
                self.0.wants_text()
            }
            fn wants_fields(&self) -> crate::event::FieldsWanted {
                self.0.wants_fields()
            }
        }
        let mut checked = Checked(&mut d, cap);
        let mut decoder = crate::session::Decoder::new(&mut checked);
        crate::pipeline::run(&mut source, crate::pipeline::msn_config(), &mut decoder).unwrap();
        drop(decoder);
        d.finish().unwrap();
        let spilled = d.spilled;
        drop(d);
        (out, spilled)
    }

    /// The text kept from one event for the next has a cap: after the lines of a 1 MB
    /// payload it is given back, and the next event starts small again.
    #[test]
    fn the_text_of_a_big_payload_is_not_kept_for_the_next_event() {
        let mut out = Vec::new();
        let mut d = Dialogue::new(&mut out, Notes::Full, false, false);
        let payload = b"a line of the payload\r\n".repeat(1 << 16);
        let event = |payload: Option<Vec<u8>>| {
            let len = payload.as_ref().map(|p| p.len() as u64);
            Event::Command(Box::new(CommandEvent {
                flow: FlowId(1),
                frame: 1,
                ts: Timestamp::new(1000, 0),
                dir: Direction::ServerToClient,
                role: Role::Switchboard,
                channel: crate::event::Channel::Sb,
                dialect: None,
                verb: crate::msnp::Verb::new(b"MSG"),
                trid: None,
                params: Vec::new(),
                fields: crate::msnp::named::Fields::new(),
                payload_len: len,
                payload_received: None,
                line_end: LineEnd::Crlf,
                offset: 0,
                reply_to: None,
                note: None,
                line: b"MSG a@b.c A 1572864".to_vec(),
                payload_bytes: payload,
                msnc: None,
            }))
        };
        d.event(&event(Some(payload))).unwrap();
        assert!(d.text.capacity() <= TEXT_KEPT, "{}", d.text.capacity());
        d.event(&event(None)).unwrap();
        assert!(d.text.capacity() <= TEXT_KEPT, "{}", d.text.capacity());
        assert!(d.text.capacity() > 0);
        drop(d);
        assert!(out.len() > 1 << 20, "{}", out.len());
    }

    #[test]
    fn group_output_spilled_to_a_file_is_the_same_as_kept_in_memory() {
        let (kept, none) = grouped(usize::MAX);
        assert!(kept.len() > 10_000);
        assert_eq!(none, 0);
        // A cap of one byte spills after every line; of 4 KiB, now and then.
        for cap in [1, 4096] {
            let (out, spilled) = grouped(cap);
            assert_eq!(out, kept);
            assert!(spilled > 0, "{cap}");
        }
    }

    fn summary() -> TransferSummary {
        TransferSummary {
            flow: FlowId(3),
            frame: 9,
            ts: crate::capture::Timestamp::new(1, 0),
            file_name: Some("report.txt".into()),
            file_size: Some(4107),
            blocks: 3,
            bytes: 4107,
            missing: 0,
            complete: true,
            cancelled_by: None,
            structure_lost: false,
        }
    }

    #[test]
    fn transfers_are_summed_up_in_one_line() {
        assert_eq!(
            transfer_words(&summary()),
            "transfer of report.txt: 3 blocks, 4107 bytes, the size FIL announced"
        );
        let t = TransferSummary {
            file_name: None,
            blocks: 1,
            bytes: 2045,
            missing: 45,
            complete: false,
            cancelled_by: Some(Party::Receiver),
            structure_lost: true,
            ..summary()
        };
        assert_eq!(
            transfer_words(&t),
            "transfer: 1 block, 2045 of the 4107 bytes FIL announced; 45 of them not \
             captured; the receiver cancelled; the block structure was lost, so the count \
             stops there"
        );
        let t = TransferSummary {
            file_size: None,
            ..summary()
        };
        assert!(transfer_words(&t).ends_with("4107 bytes (no FIL seen)"));
        let t = TransferSummary {
            file_size: Some(10),
            ..summary()
        };
        assert!(transfer_words(&t).ends_with("4107 bytes, more than the 10 FIL announced"));
    }

    #[test]
    fn blocks_are_one_short_note_and_only_in_full_but_the_cancel() {
        let block = BlockEvent {
            flow: FlowId(3),
            frame: 9,
            ts: crate::capture::Timestamp::new(1, 0),
            dir: Direction::ServerToClient,
            index: 12,
            offset: 22,
            file_offset: 0,
            len: 2045,
            received: None,
            cancel: false,
        };
        let cut = BlockEvent {
            received: Some(100),
            ..block
        };
        let cancel = BlockEvent {
            index: 13,
            len: 0,
            cancel: true,
            ..block
        };
        assert_eq!(block_words(&block), "block 12: 2045 bytes");
        assert_eq!(
            block_words(&cut),
            "block 12: 100 of its 2045 bytes captured"
        );
        let show = |notes: Notes| {
            let mut out = Vec::new();
            let mut d = Dialogue::new(&mut out, notes, false, false);
            for b in [block, cancel] {
                d.event(&Event::MsnftpBlock(b)).unwrap();
            }
            drop(d);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(show(Notes::None), "");
        assert_eq!(
            show(Notes::Brief),
            "<o> the sender cancels the transfer (cancel marker)\n"
        );
        assert_eq!(
            show(Notes::Full),
            "<o> block 12: 2045 bytes\n<o> the sender cancels the transfer (cancel marker)\n"
        );
    }

    #[test]
    fn an_msnftp_dialect_is_never_a_lower_bound() {
        let c = ConnectionInfo {
            dialect: Some(crate::msnp::Dialect::MSNFTP),
            dialect_source: Some(DialectSource::Inferred),
            dialect_basis: Some("FIL".into()),
            ..ConnectionInfo::example(1)
        };
        assert_eq!(dialect_words(&c), "MSNFTP, inferred from FIL");
        let c = ConnectionInfo {
            dialect_source: Some(DialectSource::Announced),
            dialect_basis: None,
            ..c
        };
        assert_eq!(dialect_words(&c), "MSNFTP");
    }

    #[test]
    fn binary_part_starts_after_the_mime_headers() {
        assert_eq!(binary_start(b"MIME-Version: 1.0\r\n\r\nhello"), 26);
        let mut p = b"Content-Type: application/x-msnmsgrp2p\r\nP2P-Dest: a@b\r\n\r\n".to_vec();
        let head = p.len();
        p.extend_from_slice(&[0, 1, 2, 0xff]);
        assert_eq!(binary_start(&p), head);
        assert_eq!(binary_start(&[0xff, 0xfe]), 0);
        let t = b"Content-Type: text/plain; charset=UTF-8\r\n\r\nhi \x00\xff";
        assert_eq!(binary_start(t), t.len());
        let p2p = b"Content-Type: application/x-msnmsgrp2p\r\n\r\nplain ascii";
        assert_eq!(binary_start(p2p), p2p.len() - 11);
        // Header names in any case, and bare newlines, as the message layer reads them.
        let p2p = b"content-type: Application/X-MsnMsgrP2P\n\nplain ascii";
        assert_eq!(binary_start(p2p), p2p.len() - 11);
        // A text body that is not UTF-8 stays text (shown escaped).
        let latin1 = b"Content-Type: text/plain; charset=ISO-8859-1\r\n\r\ncaf\xe9";
        assert_eq!(binary_start(latin1), latin1.len());
    }

    #[test]
    fn whole_milliseconds_are_written_as_the_float_format_writes_them() {
        for ms in [
            0.0,
            -0.0,
            0.4,
            0.5,
            1.5,
            2.5,
            2.500_000_1,
            1234.49,
            99.5,
            1e14 + 0.5,
            1e15,
            1e300,
            -3.5,
            f64::NAN,
            f64::INFINITY,
        ] {
            assert_eq!(whole_ms(ms), format!("{ms:.0}"), "{ms}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        #[test]
        fn whole_milliseconds_match_the_float_format(ms in 0.0f64..1e16) {
            proptest::prop_assert_eq!(whole_ms(ms), format!("{ms:.0}"));
        }

        /// Where the message layer read a text content type after a complete header block,
        /// `binary_start` finds the whole payload text too: the shortcut the dialogue takes
        /// gives the same lines.
        #[test]
        fn a_text_message_is_text_to_binary_start(
            head in proptest::sample::select(vec![
                "Content-Type: text/plain\r\n\r\n",
                "content-type:TEXT/x-msmsgscontrol ; x\n\n",
                "MIME-Version: 1.0\r\nContent-Type: text/\u{ff}\r\n\r\n",
                "Content-Type: application/x-msnmsgrp2p\r\n\r\n",
                "Content-Type: text/plain\r\n",
                "X: y\r\nContent-Type: text/plain\r\n\r\n",
            ]),
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
        ) {
            let mut p = head.as_bytes().to_vec();
            p.extend_from_slice(&body);
            let m = crate::msnc::decode(&p, None);
            if m.headers_end == HeadersEnd::Blank
                && m.content_type.as_deref().is_some_and(|t| t.starts_with("text/"))
            {
                proptest::prop_assert_eq!(binary_start(&p), p.len());
            }
        }
    }
}
