//! `msnsniff flows --dump DIR`: each direction of each MSN connection, reassembled, in its own
//! file (`DIR/N.client`, `DIR/N.server`, `N` the connection id).
//!
//! Why it exists apart from the `flows` table: it is the one output that needs the raw
//! reassembled bytes, so it is the one output that takes the flow layer's events
//! ([`FlowEvent`]) rather than the decoder's. Guarantees: both files of every MSN connection
//! exist (empty when nothing was sent that way); each holds exactly the delivered bytes of its
//! direction, in stream order, without the gaps; bytes are written as they arrive, so memory
//! does not grow with the capture; at most [`MAX_OPEN_DUMP_FILES`] files are open at once
//! (past it they are flushed, closed and later reopened for appending).

use crate::Direction;
use crate::flow::{FlowConsumer, FlowEvent, FlowId};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Files kept open at once by `--dump`; past it they are closed and reopened for appending.
pub const MAX_OPEN_DUMP_FILES: usize = 256;

/// Writes each direction's bytes to its own file.
pub struct Dump {
    dir: PathBuf,
    open: HashMap<(FlowId, Direction), BufWriter<File>>,
    max_open: usize,
}

impl Dump {
    /// Creates the directory if needed. Files are created as connections open.
    pub fn new(dir: PathBuf) -> io::Result<Dump> {
        Dump::with_max_open(dir, MAX_OPEN_DUMP_FILES)
    }

    /// Like [`Dump::new`] with another cap on open files (at least 1); tests use a small one.
    fn with_max_open(dir: PathBuf, max_open: usize) -> io::Result<Dump> {
        std::fs::create_dir_all(&dir).map_err(|e| with_path(e, &dir))?;
        Ok(Dump {
            dir,
            open: HashMap::new(),
            max_open: max_open.max(1),
        })
    }

    fn path(&self, flow: FlowId, dir: Direction) -> PathBuf {
        let side = match dir {
            Direction::ClientToServer => "client",
            Direction::ServerToClient => "server",
        };
        self.dir.join(format!("{flow}.{side}"))
    }

    fn writer(&mut self, flow: FlowId, dir: Direction) -> io::Result<&mut BufWriter<File>> {
        if !self.open.contains_key(&(flow, dir)) {
            if self.open.len() >= self.max_open {
                for (_, mut w) in self.open.drain() {
                    w.flush()?;
                }
            }
            let path = self.path(flow, dir);
            let file = OpenOptions::new()
                .append(true)
                .create(true)
                .open(&path)
                .map_err(|e| with_path(e, &path))?;
            self.open.insert((flow, dir), BufWriter::new(file));
        }
        Ok(self.open.get_mut(&(flow, dir)).expect("inserted above"))
    }

    /// Flushes and closes every file still open.
    pub fn finish(mut self) -> io::Result<()> {
        for (_, mut w) in self.open.drain() {
            w.flush()?;
        }
        Ok(())
    }
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

impl FlowConsumer for Dump {
    fn event(&mut self, ev: &FlowEvent<'_>) -> io::Result<()> {
        match ev {
            FlowEvent::Opened { flow, .. } => {
                for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                    let path = self.path(*flow, dir);
                    File::create(&path).map_err(|e| with_path(e, &path))?;
                }
            }
            FlowEvent::Data {
                flow, dir, bytes, ..
            } => {
                self.writer(*flow, *dir)?.write_all(bytes)?;
            }
            FlowEvent::Closed { summary, .. } => {
                for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                    if let Some(mut w) = self.open.remove(&(summary.id, dir)) {
                        w.flush()?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}
