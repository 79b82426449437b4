//! `msnsniff flows`: one row per MSN connection (a comfy-table table, or JSON), and the
//! `--dump` files holding each direction's reassembled bytes.
//!
//! Rows come out in connection-id order whatever order the connections closed in. Memory is one
//! [`FlowSummary`] per MSN connection (its gap list is capped), not the capture's bytes: the
//! dump writes bytes as they arrive.

use crate::Direction;
use crate::flow::{Closing, Detection, FlowEvent, FlowSummary, Opening};
use crate::output::text::utc;
use crate::pipeline::FlowConsumer;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

/// Files kept open at once by `--dump`; past it they are closed and reopened for appending.
const MAX_OPEN_DUMP_FILES: usize = 256;

/// Collects connection summaries and, with a dump directory, writes each direction's bytes.
pub struct FlowsReport {
    summaries: Vec<FlowSummary>,
    dump: Option<Dump>,
}

struct Dump {
    dir: PathBuf,
    open: HashMap<(u64, Direction), BufWriter<File>>,
}

impl Dump {
    fn path(&self, flow: u64, dir: Direction) -> PathBuf {
        let side = match dir {
            Direction::ClientToServer => "client",
            Direction::ServerToClient => "server",
        };
        self.dir.join(format!("{flow}.{side}"))
    }

    fn writer(&mut self, flow: u64, dir: Direction) -> io::Result<&mut BufWriter<File>> {
        if !self.open.contains_key(&(flow, dir)) {
            if self.open.len() >= MAX_OPEN_DUMP_FILES {
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
}

fn with_path(e: io::Error, path: &std::path::Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

impl FlowsReport {
    /// With `dump`, the directory is created if needed, and `N.client` / `N.server` files are
    /// created (empty) for every MSN connection.
    pub fn new(dump: Option<PathBuf>) -> io::Result<FlowsReport> {
        let dump = match dump {
            Some(dir) => {
                std::fs::create_dir_all(&dir).map_err(|e| with_path(e, &dir))?;
                Some(Dump {
                    dir,
                    open: HashMap::new(),
                })
            }
            None => None,
        };
        Ok(FlowsReport {
            summaries: Vec::new(),
            dump,
        })
    }

    /// The summaries of every connection, in id order.
    pub fn finish(mut self) -> io::Result<Vec<FlowSummary>> {
        if let Some(d) = &mut self.dump {
            for (_, mut w) in d.open.drain() {
                w.flush()?;
            }
        }
        self.summaries.sort_by_key(|s| s.id);
        Ok(self.summaries)
    }
}

impl FlowConsumer for FlowsReport {
    fn event(&mut self, ev: &FlowEvent<'_>) -> io::Result<()> {
        match ev {
            FlowEvent::Opened { flow, .. } => {
                if let Some(d) = &mut self.dump {
                    for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                        let path = d.path(*flow, dir);
                        File::create(&path).map_err(|e| with_path(e, &path))?;
                    }
                }
            }
            FlowEvent::Data {
                flow, dir, bytes, ..
            } => {
                if let Some(d) = &mut self.dump {
                    d.writer(*flow, *dir)?.write_all(bytes)?;
                }
            }
            FlowEvent::Closed { summary, .. } => {
                if let Some(d) = &mut self.dump {
                    for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                        if let Some(mut w) = d.open.remove(&(summary.id, dir)) {
                            w.flush()?;
                        }
                    }
                }
                self.summaries.push((*summary).clone());
            }
            _ => {}
        }
        Ok(())
    }
}

/// The summaries as a table for a terminal.
pub fn table(summaries: &[FlowSummary]) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header([
        "id",
        "first (UTC)",
        "last",
        "client",
        "server",
        "c→s pkt/B",
        "s→c pkt/B",
        "gaps",
        "open / close",
        "found by",
        "anomalies",
    ]);
    for s in summaries {
        let gaps = if s.gap_count == 0 {
            "-".to_string()
        } else {
            format!("{} ({} B)", s.gap_count, s.gap_bytes)
        };
        let anomalies = if s.anomalies.is_empty() {
            "-".to_string()
        } else {
            s.anomalies
                .iter()
                .map(|(k, v)| format!("{k}×{v}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let (first, last) = (utc(s.first_ts), utc(s.last_ts));
        // The last time without its date when both are on the same day.
        let last = match (first.split_once(' '), last.split_once(' ')) {
            (Some((d1, _)), Some((d2, time))) if d1 == d2 => time.to_string(),
            _ => last,
        };
        t.add_row([
            s.id.to_string(),
            first,
            last,
            s.client.to_string(),
            s.server.to_string(),
            format!("{} / {}", s.client_packets, s.client_bytes),
            format!("{} / {}", s.server_packets, s.server_bytes),
            gaps,
            format!("{} / {}", opening_word(s.opening), closing_word(s)),
            detection_word(&s.detection),
            anomalies,
        ]);
    }
    // One line per row, whatever the terminal's width: wrapped cells would break addresses
    // and times apart.
    t.to_string()
}

fn opening_word(o: Opening) -> &'static str {
    match o {
        Opening::Syn => "SYN",
        Opening::SynAck => "SYN/ACK",
        Opening::Midstream => "mid-stream",
    }
}

fn closing_word(s: &FlowSummary) -> String {
    match (s.closing, s.reset_by) {
        (Closing::Fin, _) => "FIN".into(),
        (Closing::HalfClosed, _) => "half FIN".into(),
        (Closing::Rst, Some(Direction::ClientToServer)) => "RST (client)".into(),
        (Closing::Rst, Some(Direction::ServerToClient)) => "RST (server)".into(),
        (Closing::Rst, None) => "RST".into(),
        (Closing::Open, _) => "open".into(),
        (Closing::Evicted, _) => "evicted".into(),
    }
}

fn detection_word(d: &Detection) -> String {
    match d {
        Detection::Port { port } => format!("port {port}"),
        Detection::Announced {
            kind, announced_by, ..
        } => {
            let what = match kind {
                crate::flow::ExpectedKind::Switchboard => "SB",
                crate::flow::ExpectedKind::FileTransfer => "MSNFTP",
                crate::flow::ExpectedKind::Notification => "NS",
            };
            format!("{what} announced on #{announced_by}")
        }
        Detection::Content => "content".into(),
    }
}
