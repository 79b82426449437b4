//! Offline capture files (classic pcap at micro- or nanosecond precision, and pcapng). Their
//! packets are read by our own readers, which give what libpcap would, faster:
//! [`super::classic::ClassicReader`] for classic pcap, [`super::pcapng::PcapngReader`] for
//! pcapng (which also reads the interfaces of other link types that libpcap refuses). A file
//! on disk is first opened by libpcap, by way of the `pcap` crate, which checks its header
//! and compiles the filter; a stream (standard input, a pipe, a compressed file's
//! decompressed bytes) is looked at first by [`probe`], which gives it to our reader when its
//! first bytes are a file that reader reads exactly, and to libpcap otherwise, the bytes
//! already read given again through a pipe, so that libpcap's words describe what it refuses.
//! Older pcap versions and link types msnsniff does not decode are read by libpcap.
//!
//! Several files are read one after the other as a single capture: frame numbers keep
//! counting across them. `-` names standard input. Timestamps are always requested at
//! nanosecond precision, so nothing a nanosecond file holds is lost.
//!
//! Files compressed with gzip, zstd or xz (told by their first bytes, not their names) are
//! read as tshark reads them: a thread decompresses into a pipe that libpcap reads, so
//! nothing is held whole and memory stays flat. [`check_inputs`] looks at every file before
//! anything is decoded, so that a typo in the last name does not come after pages of output.

use super::classic::{ClassicReader, read_up_to, u16_in, u32_in};
use super::pcapng::PcapngReader;
use super::{CaptureError, FileMap, LinkType, PacketSource, RawPacket, SourceNotice, Timestamp};
use pcap::{Capture, Offline, Precision};
use std::io::{self, BufRead, Read, Write};
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};
use std::sync::{Arc, Mutex};

/// What the first bytes of a file say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Classic pcap (either byte order, micro- or nanoseconds).
    Pcap,
    Pcapng,
    Gzip,
    Zstd,
    Xz,
}

impl FileKind {
    /// The kind the magic number at the start of a file names, if any.
    pub fn sniff(head: &[u8]) -> Option<FileKind> {
        const PCAP: [[u8; 4]; 4] = [
            [0xA1, 0xB2, 0xC3, 0xD4],
            [0xD4, 0xC3, 0xB2, 0xA1],
            [0xA1, 0xB2, 0x3C, 0x4D],
            [0x4D, 0x3C, 0xB2, 0xA1],
        ];
        if head.len() >= 4 && PCAP.iter().any(|m| head[..4] == *m) {
            Some(FileKind::Pcap)
        } else if head.starts_with(&[0x0A, 0x0D, 0x0D, 0x0A]) {
            Some(FileKind::Pcapng)
        } else if head.starts_with(&[0x1F, 0x8B]) {
            Some(FileKind::Gzip)
        } else if head.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
            Some(FileKind::Zstd)
        } else if head.starts_with(&[0xFD, b'7', b'z', b'X', b'Z', 0x00]) {
            Some(FileKind::Xz)
        } else {
            None
        }
    }
}

/// Words that start or continue a BPF expression: an argument that is no file but one of
/// these was most likely meant as a filter.
const BPF_WORDS: [&str; 24] = [
    "port",
    "portrange",
    "host",
    "net",
    "src",
    "dst",
    "tcp",
    "udp",
    "icmp",
    "ip",
    "ip6",
    "arp",
    "ether",
    "vlan",
    "and",
    "or",
    "not",
    "less",
    "greater",
    "proto",
    "broadcast",
    "multicast",
    "gateway",
    "mask",
];

/// Looks at every input before anything is read: each must exist, be a regular file (or a
/// pipe), not be empty, and start like a capture (or a compressed one). `-` may appear once.
/// The first failure is returned, in one line; when the culprit and the names after it read
/// like a filter typed without `--`, the line says so.
pub fn check_inputs(paths: &[String]) -> Result<(), CaptureError> {
    if paths.iter().filter(|p| *p == "-").count() > 1 {
        return Err(CaptureError {
            source: "-".into(),
            message: "standard input named more than once".into(),
        });
    }
    for (i, name) in paths.iter().enumerate() {
        if name == "-" {
            continue;
        }
        let fail = |message: String| CaptureError {
            source: name.clone(),
            message,
        };
        let meta = match std::fs::metadata(name) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let rest = &paths[i..];
                let looks_like_bpf = BPF_WORDS.contains(&name.to_ascii_lowercase().as_str())
                    && rest.iter().all(|w| !std::path::Path::new(w).exists());
                return Err(fail(if looks_like_bpf {
                    format!(
                        "no such file; did you mean `-- {}`? (a filter goes after --)",
                        rest.join(" ")
                    )
                } else {
                    "no such file".into()
                }));
            }
            Err(e) => return Err(fail(e.to_string())),
        };
        if meta.is_dir() {
            return Err(fail("is a directory, not a capture".into()));
        }
        if meta.is_file() && meta.len() == 0 {
            return Err(fail("empty file, not a capture".into()));
        }
        if !meta.is_file() {
            // A pipe or a device: reading ahead would eat what libpcap needs.
            continue;
        }
        let mut head = [0u8; 8];
        let n = std::fs::File::open(name)
            .and_then(|mut f| read_up_to(&mut f, &mut head))
            .map_err(|e| fail(e.to_string()))?;
        if FileKind::sniff(&head[..n]).is_none() {
            let text = head[..n]
                .iter()
                .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
            return Err(fail(if text {
                "a text file, not a capture (pcap, pcapng, or one of them compressed)".into()
            } else {
                "not a capture: unknown format (pcap, pcapng, or one of them compressed)".into()
            }));
        }
    }
    Ok(())
}

/// Starts a thread that decompresses `file` into a pipe; returns the pipe's reading end and
/// where the thread leaves its error, if decompression fails.
fn decompress(
    file: std::fs::File,
    kind: FileKind,
) -> io::Result<(OwnedFd, Arc<Mutex<Option<String>>>)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` is room for the two descriptors pipe(2) writes.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just made by pipe(2) and are owned by nobody else.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let failure = Arc::new(Mutex::new(None));
    let report = Arc::clone(&failure);
    std::thread::spawn(move || {
        let mut out = io::BufWriter::with_capacity(1 << 16, std::fs::File::from(write_end));
        let mut input = io::BufReader::with_capacity(1 << 16, file);
        let result: Result<(), String> = match kind {
            FileKind::Gzip => io::copy(&mut flate2::read::MultiGzDecoder::new(input), &mut out)
                .map(|_| ())
                .map_err(|e| format!("corrupt gzip data: {e}")),
            FileKind::Zstd => zstd_frames(&mut input, &mut out),
            FileKind::Xz => lzma_rs::xz_decompress(&mut input, &mut out)
                .map_err(|e| format!("corrupt xz data: {e}")),
            FileKind::Pcap | FileKind::Pcapng => Ok(()),
        };
        let result = result.and_then(|()| out.flush().map_err(|e| e.to_string()));
        if let Err(e) = result {
            // libpcap stopping early closes the pipe: that is no failure of ours.
            if !e.contains("Broken pipe")
                && let Ok(mut slot) = report.lock()
            {
                *slot = Some(e);
            }
        }
    });
    Ok((read_end, failure))
}

/// Every zstd frame of `input`, one after the other, into `out`.
fn zstd_frames(
    input: &mut io::BufReader<std::fs::File>,
    out: &mut impl Write,
) -> Result<(), String> {
    loop {
        match input.fill_buf() {
            Ok([]) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
        let mut frame = ruzstd::decoding::StreamingDecoder::new(&mut *input)
            .map_err(|e| format!("corrupt zstd data: {e}"))?;
        io::copy(&mut frame, out).map_err(|e| format!("corrupt zstd data: {e}"))?;
    }
}

/// Reads a list of capture files in order, as one capture.
pub struct FileSource {
    paths: Vec<String>,
    next_path: usize,
    /// The open file, its link type, and the user's filter compiled for that link type.
    current: Option<Opened>,
    /// Whether files on disk are read by our own readers, [`ClassicReader`] and
    /// [`PcapngReader`] (else by libpcap, as every other input is).
    own_readers: bool,
    current_name: String,
    filter: Option<String>,
    index: u64,
    buf: Vec<u8>,
    /// While a compressed file is read: where its decompressing thread leaves an error.
    decompressing: Option<Arc<Mutex<Option<String>>>>,
    /// The stamp of the last frame read, and of the previous file's last frame until the
    /// next file's first frame has been compared with it.
    last_ts: Option<Timestamp>,
    previous_file_end: Option<Timestamp>,
    notices: std::collections::VecDeque<SourceNotice>,
    /// Where each file starts in the run's frame numbering, for the outputs.
    file_map: Option<FileMap>,
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
            own_readers: true,
            index: 0,
            buf: Vec::new(),
            decompressing: None,
            last_ts: None,
            previous_file_end: None,
            notices: std::collections::VecDeque::new(),
            file_map: None,
        }
    }

    /// Records in `map` where each file starts, so that outputs can give a frame's file and
    /// its number there.
    pub fn with_file_map(mut self, map: FileMap) -> FileSource {
        self.file_map = Some(map);
        self
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

    /// Reads every file through libpcap, including those our own readers take: for the tests
    /// that hold those readers (`capture::classic`, `capture::pcapng`) to libpcap's answers.
    pub fn libpcap_only(mut self) -> FileSource {
        self.own_readers = false;
        self
    }

    fn open(&mut self, name: &str) -> Result<Opened, CaptureError> {
        self.decompressing = None;
        // Only a regular file is looked at ahead (a pipe's head, once read, is gone); a pipe
        // is looked at by `probe`, which hands on what it read.
        let regular = name != "-" && std::fs::metadata(name).is_ok_and(|m| m.is_file());
        let kind = if !regular {
            None
        } else {
            let mut head = [0u8; 8];
            std::fs::File::open(name)
                .and_then(|mut f| read_up_to(&mut f, &mut head))
                .ok()
                .and_then(|n| FileKind::sniff(&head[..n]))
        };
        if self.own_readers && !matches!(kind, Some(FileKind::Pcap | FileKind::Pcapng)) {
            return self.open_stream(name, kind);
        }
        let cap = match kind {
            Some(kind @ (FileKind::Gzip | FileKind::Zstd | FileKind::Xz)) => {
                let file = std::fs::File::open(name).map_err(|e| self.error(name, e))?;
                let (fd, failure) = decompress(file, kind).map_err(|e| self.error(name, e))?;
                self.decompressing = Some(failure);
                // SAFETY: the pipe's reading end is handed to libpcap, which becomes its only
                // owner (it closes it with the capture).
                unsafe { Capture::from_raw_fd_with_precision(fd.into_raw_fd(), Precision::Nano) }
            }
            _ if name == "-" => {
                // SAFETY: descriptor 0 is handed to libpcap, which becomes its only reader;
                // this process reads standard input nowhere else.
                unsafe { Capture::from_raw_fd_with_precision(0, Precision::Nano) }
            }
            _ => Capture::from_file_with_precision(name, Precision::Nano),
        };
        let cap = cap.map_err(|e| self.error(name, e))?;
        // The filter runs here, packet by packet, rather than inside libpcap: libpcap would
        // skip the packets it rejects without a trace, and frame numbers would no longer be
        // the file's (Wireshark's `frame.number`).
        let program = self.compile(name, &cap)?;
        let dlt = cap.get_datalink().0;
        let linktype = LinkType::from_dlt(dlt);
        // libpcap has checked the header and compiled the filter; a file on disk is then read
        // by our own reader, which gives the same packets faster.
        let own = match kind {
            Some(FileKind::Pcap) if self.own_readers => ClassicReader::open(name)
                .map_err(|e| self.error(name, e))?
                .map(|r| Own::Classic(r.map_input(Input::File))),
            Some(FileKind::Pcapng) if self.own_readers => PcapngReader::open(name, dlt)
                .map_err(|e| self.error(name, e))?
                .map(|r| Own::Pcapng(r.map_input(Input::File), Vec::new())),
            _ => None,
        };
        Ok(Opened {
            reader: match own {
                Some(own) => Reader::Own(own),
                None => Reader::Libpcap(cap),
            },
            linktype,
            dlt,
            program,
        })
    }

    /// Opens an input that is read as a stream (standard input, a pipe, a compressed file, or
    /// a regular file that starts like no capture): our own reader when its first bytes say
    /// it reads it exactly, else libpcap, given those bytes again through a pipe.
    fn open_stream(&mut self, name: &str, kind: Option<FileKind>) -> Result<Opened, CaptureError> {
        let stream: Stream = match kind {
            Some(kind @ (FileKind::Gzip | FileKind::Zstd | FileKind::Xz)) => {
                let file = std::fs::File::open(name).map_err(|e| self.error(name, e))?;
                let (fd, failure) = decompress(file, kind).map_err(|e| self.error(name, e))?;
                self.decompressing = Some(failure);
                Box::new(std::fs::File::from(fd))
            }
            _ if name == "-" => Box::new(io::stdin()),
            _ => Box::new(std::fs::File::open(name).map_err(|e| self.error(name, e))?),
        };
        let (own, dlt) = match probe(stream).map_err(|e| self.error(name, e))? {
            Probe::Own(own, dlt) => (own, dlt),
            Probe::Libpcap(head, rest) => {
                let fd = replay(head, rest).map_err(|e| self.error(name, e))?;
                // SAFETY: the pipe's reading end is handed to libpcap, which becomes its only
                // owner (it closes it with the capture).
                let cap = unsafe {
                    Capture::from_raw_fd_with_precision(fd.into_raw_fd(), Precision::Nano)
                }
                .map_err(|e| self.error(name, e))?;
                let program = self.compile(name, &cap)?;
                let dlt = cap.get_datalink().0;
                return Ok(Opened {
                    reader: Reader::Libpcap(cap),
                    linktype: LinkType::from_dlt(dlt),
                    dlt,
                    program,
                });
            }
        };
        let program =
            match &self.filter {
                Some(expr) => Some(compile_for(expr, dlt).map_err(|e| {
                    self.error(name, format!("bad filter expression `{expr}`: {e}"))
                })?),
                None => None,
            };
        Ok(Opened {
            reader: Reader::Own(own),
            linktype: LinkType::from_dlt(dlt),
            dlt,
            program,
        })
    }

    /// The user's filter compiled for `cap`'s link type.
    fn compile(
        &self,
        name: &str,
        cap: &Capture<Offline>,
    ) -> Result<Option<pcap::BpfProgram>, CaptureError> {
        match &self.filter {
            Some(expr) => cap
                .compile(expr, true)
                .map(Some)
                .map_err(|e| self.error(name, format!("bad filter expression `{expr}`: {e}"))),
            None => Ok(None),
        }
    }

    /// Whether the user's filter keeps `data`, a packet of link type `dlt` from a pcapng
    /// file: the filter compiled for the file's first link type, or for another one (compiled
    /// once, kept in `others`).
    fn pcapng_filter(
        filter: Option<&str>,
        program: Option<&pcap::BpfProgram>,
        first_dlt: i32,
        others: &mut Vec<(i32, pcap::BpfProgram)>,
        dlt: i32,
        data: &[u8],
    ) -> Result<bool, String> {
        let (Some(expr), Some(program)) = (filter, program) else {
            return Ok(true);
        };
        if dlt == first_dlt {
            return Ok(program.filter(data));
        }
        if let Some((_, p)) = others.iter().find(|(d, _)| *d == dlt) {
            return Ok(p.filter(data));
        }
        let compiled = compile_for(expr, dlt)
            .map_err(|e| format!("bad filter expression `{expr}` for link type {dlt}: {e}"))?;
        let keep = compiled.filter(data);
        others.push((dlt, compiled));
        Ok(keep)
    }
}

impl FileSource {
    /// Counts a frame read at `ts` (kept by the filter or not, so that numbers stay the
    /// file's own) and notes a file that starts before the previous one ended: the frame's
    /// number when it is kept.
    fn frame_read(&mut self, ts: Timestamp, kept: bool) -> Option<u64> {
        self.index += 1;
        if let Some(end) = self.previous_file_end.take()
            && ts < end
        {
            self.notices.push_back(SourceNotice {
                name: "capture.file_time_backwards",
                detail: format!(
                    "{} starts at {ts}, before the previous file ended ({end}): \
                     times and idle timeouts across the two may mislead",
                    self.current_name
                ),
            });
        }
        self.last_ts = Some(ts);
        kept.then_some(self.index)
    }
}

/// An open input: what reads its packets, its link type (as libpcap's `DLT_` number too; a
/// pcapng file's first interface's) and the user's filter compiled for it.
struct Opened {
    reader: Reader,
    linktype: LinkType,
    dlt: i32,
    program: Option<pcap::BpfProgram>,
}

/// What reads an open input's packets.
enum Reader {
    /// libpcap, through its handle.
    Libpcap(Capture<Offline>),
    /// Our own reader (a stream's filter is then compiled on a handle of the link type
    /// alone: [`compile_for`]).
    Own(Own),
}

/// The user's filter `expr` compiled for link type `dlt` (libpcap's number), without an
/// open capture.
fn compile_for(expr: &str, dlt: i32) -> Result<pcap::BpfProgram, pcap::Error> {
    Capture::dead_with_precision(pcap::Linktype(dlt), Precision::Nano)
        .and_then(|dead| dead.compile(expr, true))
}

/// Our own reader of an open input.
enum Own {
    Classic(ClassicReader<Input>),
    /// With the filter compiled for each link type after the file's first (a pcapng file's
    /// interfaces may differ).
    Pcapng(PcapngReader<Input>, Vec<(i32, pcap::BpfProgram)>),
}

/// Bytes a stream may show before its reader is chosen: a pcapng file's first section and
/// the blocks up to its first interface description must fit (a few hundred bytes in
/// practice).
const PROBE_MAX: usize = 1 << 20;

/// Bytes read from an input at a time.
const READ_BUFFER: usize = 1 << 20;

/// A stream (standard input, a pipe, a compressed file's decompressed bytes).
type Stream = Box<dyn Read + Send>;

/// What our own readers read: a file on disk, or a stream whose first bytes were read to
/// choose the reader (they are not read again: the reader goes on after them).
enum Input {
    File(io::BufReader<std::fs::File>),
    Stream(io::BufReader<Stream>),
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::File(f) => f.read(buf),
            Input::Stream(s) => s.read(buf),
        }
    }
}

impl BufRead for Input {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            Input::File(f) => f.fill_buf(),
            Input::Stream(s) => s.fill_buf(),
        }
    }

    fn consume(&mut self, n: usize) {
        match self {
            Input::File(f) => f.consume(n),
            Input::Stream(s) => s.consume(n),
        }
    }
}

/// What the first bytes of a stream chose.
enum Probe {
    /// Our own reader, and the link type (libpcap's number) of the file or of its first
    /// interface.
    Own(Own, i32),
    /// libpcap, which must see the bytes read so far, then the rest.
    Libpcap(Vec<u8>, io::BufReader<Stream>),
}

/// Reads the first bytes of `stream` and chooses its reader: ours when they start a file
/// ours reads exactly as libpcap would (classic pcap 2.4, or pcapng whose first section is
/// version 1.0 or 1.2 and whose first interface, described before any packet, has a link
/// type msnsniff decodes and sound options), libpcap for anything else, damage included, so
/// that its words describe it.
fn probe(stream: Stream) -> io::Result<Probe> {
    let mut rest = io::BufReader::with_capacity(READ_BUFFER, stream);
    let mut head = vec![0u8; 24];
    let n = read_up_to(&mut rest, &mut head)?;
    head.truncate(n);
    if let Ok(h) = <[u8; 24]>::try_from(head.as_slice())
        && let Some(reader) = ClassicReader::after_header(&h, io::empty())
    {
        let dlt = reader.dlt();
        let reader = reader.map_input(|_| Input::Stream(rest));
        return Ok(Probe::Own(Own::Classic(reader), dlt));
    }
    if head.len() < 12 || head[..4] != [0x0A, 0x0D, 0x0D, 0x0A] {
        return Ok(Probe::Libpcap(head, rest));
    }
    // pcapng: the first section, then whole blocks up to the first interface description.
    let big = match u32::from_le_bytes([head[8], head[9], head[10], head[11]]) {
        0x1A2B_3C4D => false,
        0x4D3C_2B1A => true,
        _ => return Ok(Probe::Libpcap(head, rest)),
    };
    let word = |b: &[u8], at: usize| u32_in(b, at, big);
    let half = |b: &[u8], at: usize| u16_in(b, at, big);
    let section = word(&head, 4) as usize;
    if !(28..=PROBE_MAX).contains(&section)
        || !section.is_multiple_of(4)
        || !read_to(&mut head, &mut rest, section)?
        || half(&head, 12) != 1
        || !matches!(half(&head, 14), 0 | 2)
    {
        return Ok(Probe::Libpcap(head, rest));
    }
    loop {
        let start = head.len();
        if !read_to(&mut head, &mut rest, start + 8)? {
            return Ok(Probe::Libpcap(head, rest));
        }
        let (kind, len) = (word(&head, start), word(&head, start + 4) as usize);
        // A packet before any interface, an odd length or too much before the interface:
        // libpcap's to read (and to describe).
        if len < 12
            || !len.is_multiple_of(4)
            || start + len > PROBE_MAX
            || matches!(kind, 2 | 3 | 6)
            || !read_to(&mut head, &mut rest, start + len)?
        {
            return Ok(Probe::Libpcap(head, rest));
        }
        if kind == 1 {
            break;
        }
    }
    // Our reader goes through what was read; it must end with one interface it decodes.
    let first: [u8; 12] = match head[..12].try_into() {
        Ok(h) => h,
        Err(_) => return Ok(Probe::Libpcap(head, rest)),
    };
    let Some(mut reader) = PcapngReader::after_head(&first, io::Cursor::new(&head[12..]))? else {
        return Ok(Probe::Libpcap(head, rest));
    };
    let mut scratch = Vec::new();
    let dlt = match (reader.next(&mut scratch), reader.first_dlt()) {
        (Ok(None), Some(dlt)) if !matches!(LinkType::from_dlt(dlt), LinkType::Other(_)) => dlt,
        _ => return Ok(Probe::Libpcap(head, rest)),
    };
    let reader = reader.map_input(|_| Input::Stream(rest));
    Ok(Probe::Own(Own::Pcapng(reader, Vec::new()), dlt))
}

/// Reads from `rest` onto the end of `head` until it is `to` bytes long; false (and `head`
/// with what came) when the stream ends first.
fn read_to(head: &mut Vec<u8>, rest: &mut impl Read, to: usize) -> io::Result<bool> {
    let at = head.len();
    if to <= at {
        return Ok(true);
    }
    head.resize(to, 0);
    let got = read_up_to(rest, &mut head[at..])?;
    head.truncate(at + got);
    Ok(at + got == to)
}

/// Starts a thread that writes `head`, then the rest of `rest`, into a pipe; returns the
/// pipe's reading end, for libpcap.
fn replay(head: Vec<u8>, mut rest: io::BufReader<Stream>) -> io::Result<OwnedFd> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` is room for the two descriptors pipe(2) writes.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just made by pipe(2) and are owned by nobody else.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    std::thread::spawn(move || {
        let mut out = std::fs::File::from(write_end);
        // libpcap stopping early closes the pipe: that is no failure of ours, and a failing
        // stream shows as its end, which libpcap reports.
        let _ = out
            .write_all(&head)
            .and_then(|()| io::copy(&mut rest, &mut out).map(|_| ()));
    });
    Ok(read_end)
}

impl PacketSource for FileSource {
    fn take_notice(&mut self) -> Option<SourceNotice> {
        self.notices.pop_front()
    }

    fn next_packet(&mut self) -> Result<Option<RawPacket<'_>>, CaptureError> {
        loop {
            if self.current.is_none() {
                let Some(name) = self.paths.get(self.next_path).cloned() else {
                    return Ok(None);
                };
                self.next_path += 1;
                let opened = self.open(&name)?;
                self.previous_file_end = self.last_ts.take();
                if let Some(map) = &self.file_map {
                    map.start_file(self.index + 1);
                }
                self.current = Some(opened);
                self.current_name = name;
            }
            let Some(Opened {
                reader,
                linktype,
                dlt,
                program,
            }) = self.current.as_mut()
            else {
                continue;
            };
            let linktype = *linktype;
            let cap = match reader {
                Reader::Libpcap(cap) => cap,
                Reader::Own(own) => {
                    let read = match own {
                        Own::Classic(reader) => reader.next(&mut self.buf).map(|r| {
                            r.map(|r| {
                                let kept = program.as_ref().is_none_or(|f| f.filter(&self.buf));
                                (r.secs, r.frac_nanos, r.origlen, linktype, kept)
                            })
                        }),
                        Own::Pcapng(reader, others) => match reader.next(&mut self.buf) {
                            Ok(Some(r)) => Self::pcapng_filter(
                                self.filter.as_deref(),
                                program.as_ref(),
                                *dlt,
                                others,
                                r.dlt,
                                &self.buf,
                            )
                            .map(|kept| Some((r.secs, r.frac_nanos, r.origlen, r.linktype, kept))),
                            Ok(None) => Ok(None),
                            Err(e) => Err(e),
                        },
                    };
                    match read {
                        Ok(Some((secs, frac, origlen, linktype, kept))) => {
                            let (secs, nanos) = timeval_parts(secs, frac);
                            match self.frame_read(Timestamp::new(secs, nanos), kept) {
                                Some(index) => {
                                    return Ok(Some(RawPacket {
                                        index,
                                        ts: Timestamp::new(secs, nanos),
                                        linktype,
                                        data: &self.buf,
                                        origlen,
                                    }));
                                }
                                None => continue,
                            }
                        }
                        Ok(None) => {
                            // A compressed stream that broke at a record boundary ends cleanly
                            // for the reader; the decompressor knows better.
                            self.current = None;
                            if let Some(c) = self.decompression_failure() {
                                self.next_path = self.paths.len();
                                return Err(self.error(&self.current_name, c));
                            }
                            continue;
                        }
                        Err(message) => {
                            // A compressed file's own damage explains the reader's complaint best.
                            let message = self.decompression_failure().unwrap_or(message);
                            let err = self.error(&self.current_name, message);
                            self.current = None;
                            self.next_path = self.paths.len();
                            return Err(err);
                        }
                    }
                }
            };
            // The packet is copied out of libpcap's buffer: returning the borrowed slice from
            // inside this loop is beyond today's borrow checker, and one copy of a frame is
            // cheap next to decoding it.
            let read = match cap.next_packet() {
                Ok(p) => {
                    self.buf.clear();
                    self.buf.extend_from_slice(p.data);
                    let kept = program.as_ref().is_none_or(|f| f.filter(p.data));
                    Ok((p.header.ts, p.header.len, kept))
                }
                Err(e) => Err(e),
            };
            match read {
                Ok((ts, origlen, kept)) => {
                    // At nanosecond precision libpcap puts nanoseconds in the `tv_usec` field.
                    let (secs, nanos) = timeval_parts(ts.tv_sec, ts.tv_usec);
                    let ts = Timestamp::new(secs, nanos);
                    let Some(index) = self.frame_read(ts, kept) else {
                        continue;
                    };
                    return Ok(Some(RawPacket {
                        index,
                        ts,
                        linktype,
                        data: &self.buf,
                        origlen,
                    }));
                }
                Err(pcap::Error::NoMorePackets) => {
                    // A compressed stream that broke at a record boundary ends cleanly for
                    // libpcap; the decompressor knows better.
                    let cause = self
                        .decompressing
                        .take()
                        .and_then(|f| f.lock().ok().and_then(|mut s| s.take()));
                    self.current = None;
                    if let Some(c) = cause {
                        self.next_path = self.paths.len();
                        return Err(self.error(&self.current_name, c));
                    }
                }
                Err(e) => {
                    // A compressed file's own damage explains libpcap's complaint best.
                    let cause = self
                        .decompressing
                        .as_ref()
                        .and_then(|f| f.lock().ok().and_then(|mut s| s.take()));
                    let err = match cause {
                        Some(c) => self.error(&self.current_name, c),
                        None => self.error(&self.current_name, e),
                    };
                    self.current = None;
                    self.next_path = self.paths.len();
                    return Err(err);
                }
            }
        }
    }
}

impl FileSource {
    /// What the decompressing thread of the current file reported, if it failed.
    fn decompression_failure(&mut self) -> Option<String> {
        self.decompressing
            .take()
            .and_then(|f| f.lock().ok().and_then(|mut s| s.take()))
    }
}

/// Seconds and nanoseconds of a libpcap timestamp read at nanosecond precision (libpcap then
/// puts nanoseconds in `tv_usec`). Generic because the field widths differ between platforms.
fn timeval_parts(sec: impl Into<i64>, usec: impl Into<i64>) -> (i64, u32) {
    let nanos = usec.into().clamp(0, 999_999_999) as u32;
    (sec.into(), nanos)
}
