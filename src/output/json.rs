//! `--format jsonl` and `--format json`: the decoder's events as JSON.
//!
//! JSON Lines writes one event per line and flushes after each, so a reader (`jq`, a live
//! pipe) sees events as they happen. `json` writes one array, for tools that want a single
//! document. The event types and their fields are documented in `docs/events.md`; names are
//! a stable interface.

use crate::event::{Event, Sink};
use std::io::{self, Write};

/// One JSON object per line, flushed per event.
pub struct JsonLines<W: Write> {
    out: W,
}

impl<W: Write> JsonLines<W> {
    pub fn new(out: W) -> Self {
        JsonLines { out }
    }
}

impl<W: Write> Sink for JsonLines<W> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, ev)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

/// One JSON array holding every event, written as events arrive (no buffering of the run).
pub struct JsonArray<W: Write> {
    out: W,
    first: bool,
}

impl<W: Write> JsonArray<W> {
    pub fn new(out: W) -> Self {
        JsonArray { out, first: true }
    }
}

impl<W: Write> Sink for JsonArray<W> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"[\n" } else { b",\n" })?;
        self.first = false;
        serde_json::to_writer(&mut self.out, ev)?;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"[]\n" } else { b"\n]\n" })?;
        self.out.flush()
    }
}
