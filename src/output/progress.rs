//! A progress line on stderr for long capture files: a [`PacketSource`] adapter that counts
//! the bytes read and, when stderr is a terminal, redraws `read 42% (120/286 MB)` a few times
//! a second. It writes nothing to stdout and nothing at all when stderr is not a terminal.

use crate::capture::{CaptureError, PacketSource, RawPacket};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Files smaller than this finish too quickly for a progress line to help.
pub const MIN_BYTES: u64 = 32 << 20;

/// How often the line is redrawn.
const EVERY: Duration = Duration::from_millis(250);

/// Per-record overhead of the classic pcap format, added to each frame's length.
const RECORD_HEADER: u64 = 16;

pub struct Progress<S> {
    inner: S,
    total: u64,
    done: u64,
    shown: bool,
    last: Instant,
}

impl<S: PacketSource> Progress<S> {
    /// Shows progress for `files` unless `quiet`, stderr is not a terminal, or the files are
    /// small or not regular files (standard input has no known size).
    pub fn new(inner: S, files: &[String], quiet: bool) -> Progress<S> {
        let sizes: Option<u64> = files
            .iter()
            .map(|f| {
                std::fs::metadata(f)
                    .ok()
                    .filter(|m| f != "-" && m.is_file())
                    .map(|m| m.len())
            })
            .sum();
        let total = match sizes {
            Some(t) if !quiet && t >= MIN_BYTES && std::io::stderr().is_terminal() => t,
            _ => 0,
        };
        Progress {
            inner,
            total,
            done: 0,
            shown: false,
            last: Instant::now(),
        }
    }
}

impl<S: PacketSource> PacketSource for Progress<S> {
    fn next_packet(&mut self) -> Result<Option<RawPacket<'_>>, CaptureError> {
        if self.total > 0 && self.last.elapsed() >= EVERY {
            self.last = Instant::now();
            let pct = (self.done * 100 / self.total).min(100);
            eprint!(
                "\rread {pct}% ({}/{} MB)",
                self.done >> 20,
                self.total >> 20
            );
            let _ = std::io::stderr().flush();
            self.shown = true;
        }
        let total = self.total;
        match self.inner.next_packet() {
            Ok(Some(p)) => {
                if total > 0 {
                    self.done += p.data.len() as u64 + RECORD_HEADER;
                }
                Ok(Some(p))
            }
            other => {
                if self.shown {
                    eprint!("\r\x1b[K");
                    self.shown = false;
                }
                other
            }
        }
    }

    fn take_notice(&mut self) -> Option<crate::capture::SourceNotice> {
        self.inner.take_notice()
    }
}

impl<S> Drop for Progress<S> {
    fn drop(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
        }
    }
}
