//! Offline capture files (classic pcap at micro- or nanosecond precision, and pcapng), read
//! through libpcap by way of the `pcap` crate.
//!
//! Several files are read one after the other as a single capture: frame numbers keep
//! counting across them. `-` names standard input. Timestamps are always requested at
//! nanosecond precision, so nothing a nanosecond file holds is lost.

use super::{CaptureError, LinkType, PacketSource, RawPacket, Timestamp};
use pcap::{Capture, Offline, Precision};

/// Reads a list of capture files in order, as one capture.
pub struct FileSource {
    paths: Vec<String>,
    next_path: usize,
    current: Option<(Capture<Offline>, LinkType)>,
    current_name: String,
    filter: Option<String>,
    index: u64,
    buf: Vec<u8>,
}

impl FileSource {
    /// Prepares to read `paths` in order. Nothing is opened until the first packet is asked for,
    /// so an unreadable second file is reported only after the first has been processed.
    pub fn new(paths: Vec<String>, filter: Option<String>) -> FileSource {
        FileSource {
            paths,
            next_path: 0,
            current: None,
            current_name: String::new(),
            filter,
            index: 0,
            buf: Vec::new(),
        }
    }

    fn error(&self, name: &str, err: impl std::fmt::Display) -> CaptureError {
        let message = err.to_string();
        let message = message.strip_prefix("libpcap error: ").unwrap_or(&message);
        // libpcap often names the file itself; say it once.
        let message = message
            .strip_prefix(name)
            .and_then(|m| m.strip_prefix(": "))
            .unwrap_or(message)
            .to_string();
        CaptureError {
            source: if name == "-" {
                "<stdin>".into()
            } else {
                name.into()
            },
            message,
        }
    }

    fn open(&mut self, name: &str) -> Result<(Capture<Offline>, LinkType), CaptureError> {
        let cap = if name == "-" {
            // SAFETY: descriptor 0 is handed to libpcap, which becomes its only reader; this
            // process reads standard input nowhere else.
            unsafe { Capture::from_raw_fd_with_precision(0, Precision::Nano) }
        } else {
            Capture::from_file_with_precision(name, Precision::Nano)
        };
        let mut cap = cap.map_err(|e| self.error(name, e))?;
        if let Some(expr) = &self.filter {
            cap.filter(expr, true)
                .map_err(|e| self.error(name, format!("bad filter expression: {e}")))?;
        }
        let linktype = LinkType::from_dlt(cap.get_datalink().0);
        Ok((cap, linktype))
    }
}

impl PacketSource for FileSource {
    fn next_packet(&mut self) -> Result<Option<RawPacket<'_>>, CaptureError> {
        loop {
            if self.current.is_none() {
                let Some(name) = self.paths.get(self.next_path).cloned() else {
                    return Ok(None);
                };
                self.next_path += 1;
                let opened = self.open(&name)?;
                self.current = Some(opened);
                self.current_name = name;
            }
            let Some((cap, linktype)) = self.current.as_mut() else {
                continue;
            };
            let linktype = *linktype;
            // The packet is copied out of libpcap's buffer: returning the borrowed slice from
            // inside this loop is beyond today's borrow checker, and one copy of a frame is
            // cheap next to decoding it.
            let read = match cap.next_packet() {
                Ok(p) => {
                    self.buf.clear();
                    self.buf.extend_from_slice(p.data);
                    Ok((p.header.ts, p.header.len))
                }
                Err(e) => Err(e),
            };
            match read {
                Ok((ts, origlen)) => {
                    self.index += 1;
                    // At nanosecond precision libpcap puts nanoseconds in the `tv_usec` field.
                    let (secs, nanos) = timeval_parts(ts.tv_sec, ts.tv_usec);
                    return Ok(Some(RawPacket {
                        index: self.index,
                        ts: Timestamp::new(secs, nanos),
                        linktype,
                        data: &self.buf,
                        origlen,
                    }));
                }
                Err(pcap::Error::NoMorePackets) => self.current = None,
                Err(e) => {
                    let err = self.error(&self.current_name, e);
                    self.current = None;
                    self.next_path = self.paths.len();
                    return Err(err);
                }
            }
        }
    }
}

/// Seconds and nanoseconds of a libpcap timestamp read at nanosecond precision (libpcap then
/// puts nanoseconds in `tv_usec`). Generic because the field widths differ between platforms.
fn timeval_parts(sec: impl Into<i64>, usec: impl Into<i64>) -> (i64, u32) {
    let nanos = usec.into().clamp(0, 999_999_999) as u32;
    (sec.into(), nanos)
}
