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
        crate::output::output_dir(&dir)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use crate::flow::{At, FlowConfig, FlowTable};
    use crate::net::{TcpFlags, TcpSegment};

    /// More connections than open files allowed, their segments interleaved, so files are
    /// closed and reopened again and again: every file still gets every byte, in order.
    #[test]
    fn past_the_cap_on_open_files_every_byte_of_every_file_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("dump");
        let mut dump = Dump::with_max_open(out.clone(), 3).unwrap();
        let mut table = FlowTable::new(FlowConfig::default());
        let conns = 10u16;
        let rounds = 6u32;
        let mut frame = 0;
        let mut failure = None;
        let mut feed = |table: &mut FlowTable, dump: &mut Dump, seg: TcpSegment<'_>| {
            table.segment(&seg, &mut |ev| {
                if let Err(e) = dump.event(&ev) {
                    failure.get_or_insert(e);
                }
            });
        };
        let client = |i: u16| format!("10.0.0.1:{}", 40000 + i).parse().unwrap();
        let server = "10.0.0.2:1863".parse().unwrap();
        for round in 0..rounds {
            for i in 0..conns {
                for (src, dst, text) in [
                    (client(i), server, format!("c{i}r{round};")),
                    (server, client(i), format!("s{i}r{round}|")),
                ] {
                    frame += 1;
                    // Every segment of a round has the same length, so offsets are simple.
                    let seq = 1000 + round * text.len() as u32;
                    let seg = TcpSegment {
                        index: frame,
                        ts: Timestamp::new(1_000_000, frame as u32),
                        src,
                        dst,
                        seq,
                        ack: 0,
                        flags: TcpFlags(TcpFlags::PSH),
                        payload: text.as_bytes(),
                        missing: 0,
                    };
                    feed(&mut table, &mut dump, seg);
                    assert!(dump.open.len() <= 3, "{} files open", dump.open.len());
                }
            }
        }
        let end = At {
            frame,
            ts: Timestamp::new(1_000_001, 0),
        };
        table.finish(end, &mut |ev| {
            if let Err(e) = dump.event(&ev) {
                failure.get_or_insert(e);
            }
        });
        assert!(failure.is_none(), "{failure:?}");
        dump.finish().unwrap();
        let mut files = std::fs::read_dir(&out).unwrap().count();
        for i in 0..conns {
            let id = i + 1;
            let want_c: String = (0..rounds).map(|r| format!("c{i}r{r};")).collect();
            let want_s: String = (0..rounds).map(|r| format!("s{i}r{r}|")).collect();
            let got_c = std::fs::read_to_string(out.join(format!("{id}.client"))).unwrap();
            let got_s = std::fs::read_to_string(out.join(format!("{id}.server"))).unwrap();
            assert_eq!(got_c, want_c, "connection {id}");
            assert_eq!(got_s, want_s, "connection {id}");
            files -= 2;
        }
        assert_eq!(files, 0, "no other files");
    }
}
