//! `--format jsonl` and `--format json`: the decoder's events, and the rows of
//! `msnsniff flows`, as JSON.
//!
//! JSON Lines writes one event per line; when lines leave the process is the writer's
//! business (the caller hands a line-buffered writer for a terminal, `--line-buffered` and
//! `live`, a block-buffered one otherwise, as grep does). `json` writes one array, for tools that want a single
//! document. Everything is written through the types of [`wire`], which are the interface
//! (documented in `docs/events.md`, described by `docs/events.schema.json`): names are stable
//! whatever happens to the decoder's own types.

pub mod stats;
pub mod wire;

use crate::capture::FileMap;
use crate::event::{Event, Sink};
use crate::output::flows::FlowRow;
use std::io::{self, Write};

/// `flows --format json`: the rows as one indented array (serde_json's pretty form of them
/// all), written a row at a time without holding them.
#[derive(Default)]
pub struct FlowRowsJson {
    rows: u64,
    scratch: Vec<u8>,
}

impl FlowRowsJson {
    /// The next row.
    pub fn row<W: Write>(&mut self, out: &mut W, row: &FlowRow) -> io::Result<()> {
        out.write_all(if self.rows == 0 { b"[\n  " } else { b",\n  " })?;
        self.scratch.clear();
        serde_json::to_writer_pretty(&mut self.scratch, &row.wire())?;
        // One level deeper than alone: each line after the first two more spaces in. A JSON
        // string holds no raw line break, so every one is between tokens.
        for (i, line) in self.scratch.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                out.write_all(b"\n  ")?;
            }
            out.write_all(line)?;
        }
        self.rows += 1;
        Ok(())
    }

    /// The end of the array (all of it when there was no row).
    pub fn finish<W: Write>(self, mut out: W) -> io::Result<()> {
        out.write_all(if self.rows == 0 { b"[]\n" } else { b"\n]\n" })
    }
}

/// Capacity the scratch buffer of one event keeps between events; an event larger than this
/// (a long payload in base64) grows it for itself, and it shrinks back after.
pub const SCRATCH_KEEP: usize = 64 * 1024;

/// Serializes one event into `scratch` (emptied first), so that serde_json writes its many
/// small pieces into a `Vec` rather than through the output's writer: a `BufWriter`'s
/// `write_all` per piece cost about a quarter of `read --format jsonl`.
fn serialize_into(scratch: &mut Vec<u8>, ev: &Event, files: Option<&FileMap>) -> io::Result<()> {
    if scratch.capacity() > SCRATCH_KEEP {
        *scratch = Vec::with_capacity(SCRATCH_KEEP);
    }
    scratch.clear();
    wire::write_event(scratch, ev, files)?;
    Ok(())
}

/// One JSON object per line.
pub struct JsonLines<W: Write> {
    out: W,
    files: Option<FileMap>,
    scratch: Vec<u8>,
}

impl<W: Write> JsonLines<W> {
    pub fn new(out: W) -> Self {
        JsonLines {
            out,
            files: None,
            scratch: Vec::new(),
        }
    }

    /// Events of several files: each carries `capture_file` and `file_frame` too.
    pub fn with_files(mut self, files: Option<FileMap>) -> Self {
        self.files = files;
        self
    }
}

impl<W: Write> Sink for JsonLines<W> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        if !wire::is_written(ev) {
            return Ok(());
        }
        serialize_into(&mut self.scratch, ev, self.files.as_ref())?;
        self.scratch.push(b'\n');
        self.out.write_all(&self.scratch)
    }
}

/// One JSON array holding every event, written as events arrive (no buffering of the run).
pub struct JsonArray<W: Write> {
    out: W,
    first: bool,
    files: Option<FileMap>,
    scratch: Vec<u8>,
}

impl<W: Write> JsonArray<W> {
    pub fn new(out: W) -> Self {
        JsonArray {
            out,
            first: true,
            files: None,
            scratch: Vec::new(),
        }
    }

    /// Events of several files: each carries `capture_file` and `file_frame` too.
    pub fn with_files(mut self, files: Option<FileMap>) -> Self {
        self.files = files;
        self
    }
}

impl<W: Write> Sink for JsonArray<W> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        if !wire::is_written(ev) {
            return Ok(());
        }
        self.out
            .write_all(if self.first { b"[\n" } else { b",\n" })?;
        self.first = false;
        serialize_into(&mut self.scratch, ev, self.files.as_ref())?;
        self.out.write_all(&self.scratch)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"[]\n" } else { b"\n]\n" })?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::flows::FlowsReport;

    /// The JSON array written a row at a time is the one written whole: for the rows of every
    /// bundled capture (gaps, anomalies, every detection), and for no row.
    #[test]
    fn flow_rows_stream_as_the_whole_array_is_written() {
        let mut all: Vec<FlowRow> = Vec::new();
        for path in crate::session::tests::bundled_captures() {
            let rows = std::cell::RefCell::new(Vec::new());
            let mut report = FlowsReport::new(Box::new(|r| {
                rows.borrow_mut().push(r.clone());
                Ok(())
            }));
            crate::session::tests::decode_file(&path, &mut report);
            report.finish_rows().expect("rows");
            all.extend(rows.into_inner());
        }
        assert!(all.len() > 50, "{}", all.len());
        for rows in [&all[..], &all[..1], &[]] {
            // serde_json's pretty form of the whole array.
            let wires: Vec<_> = rows.iter().map(FlowRow::wire).collect();
            let mut whole = serde_json::to_vec_pretty(&wires).expect("whole");
            whole.push(b'\n');
            let mut streamed = Vec::new();
            let mut json = FlowRowsJson::default();
            for r in rows {
                json.row(&mut streamed, r).expect("row");
            }
            json.finish(&mut streamed).expect("finish");
            assert_eq!(
                String::from_utf8(streamed).expect("text"),
                String::from_utf8(whole).expect("text")
            );
        }
    }
}
