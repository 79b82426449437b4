//! `msnsniff read --extract DIR`: every object the capture carries (see
//! [`crate::session::objects`]) written to a file of its own under `DIR`, with a JSON sidecar
//! `NAME.json` beside it, and an [`Event::Extracted`] passed on to the inner sink.
//!
//! Why it exists: the pure core says what an object is and where each byte sits; this sink
//! decides where the bytes go, and is the only place a name from the capture comes near the
//! file system. Guarantees:
//!
//! - a file name is never a path from the capture: [`safe_name`] keeps the declared name's
//!   last component with separators, `..`, leading dots, control, bidi and other format
//!   characters, reserved characters and Windows device names neutralised, and its length
//!   capped ([`MAX_NAME_BYTES`]); a name with nothing usable left becomes
//!   `flowN-objectM.bin`; files are created with `create_new` (nothing is ever overwritten),
//!   a taken name numbered `name (2).ext`;
//! - bytes are written at their offset as they arrive, never held: memory does not grow with
//!   an object's size; at most [`MAX_OPEN_FILES`] files are open at once (past it the least
//!   recently used is closed, and reopened when its next bytes come); at most
//!   [`MAX_OBJECTS`] objects are in progress (past it the oldest is ended as it stands);
//! - the zeros files hold where the capture had no bytes are bounded for the run
//!   ([`MAX_HOLE_BYTES`]), since every file is read back to be hashed;
//! - the ranges written are tracked, at most [`MAX_RANGES`] per object (past it the list is
//!   marked truncated), so a partial object says which bytes it lacks;
//! - every I/O failure aborts the run with one line naming the path.

use crate::event::{Event, Extracted, ObjectId, ObjectInfo, Party, Sink};
use crate::output::json::wire;
use base64::Engine;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Files kept open at once; past it the least recently written is closed.
pub const MAX_OPEN_FILES: usize = 32;

/// Objects in progress at once; past it the oldest is ended as it stands.
pub const MAX_OBJECTS: usize = 4096;

/// Written ranges tracked per object; past it the object's missing ranges are marked
/// truncated (its bytes are still written).
pub const MAX_RANGES: usize = 1024;

/// Longest file name made from a declared name, in bytes (room is left for ` (N)` and
/// `.json` under the 255 bytes most file systems allow).
pub const MAX_NAME_BYTES: usize = 200;

/// Longest extension kept, in characters.
pub const MAX_EXTENSION: usize = 10;

/// Numbers tried for a taken name (`name (2).ext` ...) before the run gives up.
pub const MAX_COLLISIONS: u32 = 10_000;

/// Bytes past this offset in an object are not written (an offset from the capture could
/// otherwise make a file of any apparent size); they count as dropped.
pub const MAX_OBJECT_SIZE: u64 = 4 << 30;

/// Zeros a run's extracted files may hold where the capture had no bytes (the holes before
/// bytes written further on), all objects together: 1 GiB. Each file is hashed when its
/// object ends, so an offset from the capture could otherwise make the run hash terabytes of
/// zeros; bytes that would leave a larger hole count as dropped.
pub const MAX_HOLE_BYTES: u64 = 1 << 30;

/// Windows device names: a file called so (with any extension) is the device.
const DEVICE_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM0", "COM1", "COM2", "COM3", "COM4",
    "COM5", "COM6", "COM7", "COM8", "COM9", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6",
    "LPT7", "LPT8", "LPT9",
];

/// A file name for `declared` (text in the data form of [`crate::escape`]), or `None` when
/// nothing usable is left. See the module docs for what is neutralised.
pub fn safe_name(declared: &str) -> Option<String> {
    let bytes = crate::escape::unescape_field(declared);
    let text = String::from_utf8_lossy(&bytes);
    // The last component, whichever separator the sender's system used.
    let last = text
        .split(['/', '\\'])
        .rev()
        .find(|c| !c.trim().is_empty())?;
    let mapped: String = last
        .chars()
        .map(|c| {
            if c.is_control()
                || crate::escape::is_hidden(c)
                || c == char::REPLACEMENT_CHARACTER
                || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*' | '%')
            {
                '_'
            } else {
                c
            }
        })
        .collect();
    // No leading dot (hidden files, `..`), no trailing dot or space (Windows drops them).
    let trimmed = mapped
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' ']);
    if trimmed.chars().all(|c| c == '_' || c == '.' || c == ' ') {
        return None;
    }
    let (stem, ext) = match trimmed.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty()
                && !ext.is_empty()
                && ext.chars().count() <= MAX_EXTENSION
                && ext.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            (stem, Some(ext))
        }
        _ => (trimmed, None),
    };
    let mut stem = stem.to_string();
    let device = stem.split('.').next().unwrap_or("").trim_end();
    if DEVICE_NAMES.iter().any(|d| d.eq_ignore_ascii_case(device)) {
        stem.insert(0, '_');
    }
    let room = MAX_NAME_BYTES - ext.map_or(0, |e| e.len() + 1);
    if stem.len() > room {
        let mut cut = room;
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        stem.truncate(cut);
        let kept = stem.trim_end_matches(['.', ' ']).len();
        stem.truncate(kept);
    }
    Some(match ext {
        Some(e) => format!("{stem}.{e}"),
        None => stem,
    })
}

/// `name` numbered for its `n`th use: `report (2).txt`.
fn numbered(name: &str, n: u32) -> String {
    if n <= 1 {
        return name.to_string();
    }
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
        _ => format!("{name} ({n})"),
    }
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// The ranges of an object written so far: sorted, merged, `[start, end)`.
#[derive(Debug, Default)]
struct Ranges {
    ranges: Vec<(u64, u64)>,
    /// A range was not tracked (past [`MAX_RANGES`]).
    truncated: bool,
    /// Bytes written but not tracked.
    untracked: u64,
}

impl Ranges {
    fn add(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        // Ranges that touch or overlap [start, end) merge with it.
        let first = self.ranges.partition_point(|r| r.1 < start);
        let last = self.ranges.partition_point(|r| r.0 <= end);
        if first == last {
            if self.ranges.len() >= MAX_RANGES {
                self.truncated = true;
                self.untracked += end - start;
                return;
            }
            self.ranges.insert(first, (start, end));
            return;
        }
        let merged = (
            start.min(self.ranges[first].0),
            end.max(self.ranges[last - 1].1),
        );
        self.ranges.splice(first..last, [merged]);
    }

    fn covered(&self) -> u64 {
        self.ranges.iter().map(|r| r.1 - r.0).sum::<u64>() + self.untracked
    }

    fn end(&self) -> u64 {
        self.ranges.last().map_or(0, |r| r.1)
    }

    /// What `[0, total)` lacks.
    fn missing(&self, total: u64) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut at = 0;
        for &(s, e) in &self.ranges {
            if s >= total {
                break;
            }
            if s > at {
                out.push((at, s));
            }
            at = at.max(e);
        }
        if at < total {
            out.push((at, total));
        }
        out
    }
}

/// An object being written.
struct Obj {
    info: ObjectInfo,
    file_name: String,
    path: PathBuf,
    file: Option<File>,
    /// When its file was last written (a counter), for closing the least recent.
    used: u64,
    ranges: Ranges,
    dropped: u64,
    /// The end of the furthest bytes written: the file's size.
    extent: u64,
}

/// Writes objects under a directory and passes every event on to `inner`, with an
/// [`Event::Extracted`] after each object's end.
pub struct Extract<'a> {
    inner: &'a mut dyn Sink,
    dir: PathBuf,
    objects: HashMap<ObjectId, Obj>,
    open: usize,
    clock: u64,
    /// What is left of [`MAX_HOLE_BYTES`].
    holes_left: u64,
}

impl<'a> Extract<'a> {
    /// Creates `dir` if needed and checks that files can be created in it.
    pub fn new(inner: &'a mut dyn Sink, dir: PathBuf) -> io::Result<Extract<'a>> {
        crate::output::output_dir(&dir)?;
        let probe = dir.join(format!(".msnsniff-probe-{}", std::process::id()));
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .map_err(|e| with_path(e, &dir))?;
        std::fs::remove_file(&probe).map_err(|e| with_path(e, &probe))?;
        Ok(Extract {
            inner,
            dir,
            objects: HashMap::new(),
            open: 0,
            clock: 0,
            holes_left: MAX_HOLE_BYTES,
        })
    }

    /// Creates the object's file and reserves its sidecar's name, both with `create_new`.
    fn start(&mut self, info: &ObjectInfo) -> io::Result<()> {
        if self.objects.contains_key(&info.object) {
            return Ok(());
        }
        if self.objects.len() >= MAX_OBJECTS
            && let Some((&oldest, o)) = self.objects.iter().min_by_key(|(id, _)| **id)
        {
            let flow = o.info.flow;
            self.end(oldest, flow, info.frame, info.ts, None)?;
        }
        let base = info
            .name
            .as_deref()
            .and_then(safe_name)
            .unwrap_or_else(|| format!("flow{}-object{}.bin", info.flow, info.object));
        for n in 1..=MAX_COLLISIONS {
            let name = numbered(&base, n);
            let path = self.dir.join(&name);
            let sidecar = self.dir.join(format!("{name}.json"));
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&sidecar)
            {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(with_path(e, &sidecar)),
            }
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(_) => {
                    self.objects.insert(
                        info.object,
                        Obj {
                            info: info.clone(),
                            file_name: name,
                            path,
                            file: None,
                            used: 0,
                            ranges: Ranges::default(),
                            dropped: 0,
                            extent: 0,
                        },
                    );
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    std::fs::remove_file(&sidecar).map_err(|e| with_path(e, &sidecar))?;
                }
                Err(e) => return Err(with_path(e, &path)),
            }
        }
        let path = self.dir.join(&base);
        Err(with_path(
            io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{MAX_COLLISIONS} numbered names are taken"),
            ),
            &path,
        ))
    }

    fn data(&mut self, object: ObjectId, offset: u64, bytes: &[u8]) -> io::Result<()> {
        if !self.objects.contains_key(&object) {
            return Ok(());
        }
        let end = offset.saturating_add(bytes.len() as u64);
        // Bytes past the end so far leave a hole that reads as zeros and is hashed as such:
        // the holes of a run share one budget.
        let hole = self
            .objects
            .get(&object)
            .map_or(0, |o| offset.saturating_sub(o.extent));
        if end > MAX_OBJECT_SIZE || hole > self.holes_left {
            if let Some(o) = self.objects.get_mut(&object) {
                o.dropped += bytes.len() as u64;
            }
            return Ok(());
        }
        self.holes_left -= hole;
        let needs_open = self.objects.get(&object).is_some_and(|o| o.file.is_none());
        if needs_open && self.open >= MAX_OPEN_FILES {
            let lru = self
                .objects
                .iter()
                .filter(|(_, o)| o.file.is_some())
                .min_by_key(|(_, o)| o.used)
                .map(|(id, _)| *id);
            if let Some(o) = lru.and_then(|id| self.objects.get_mut(&id)) {
                o.file = None;
                self.open -= 1;
            }
        }
        self.clock += 1;
        let clock = self.clock;
        let Some(o) = self.objects.get_mut(&object) else {
            return Ok(());
        };
        if o.file.is_none() {
            let f = OpenOptions::new()
                .write(true)
                .open(&o.path)
                .map_err(|e| with_path(e, &o.path))?;
            o.file = Some(f);
            self.open += 1;
        }
        o.used = clock;
        let f = o.file.as_mut().expect("opened above");
        f.seek(SeekFrom::Start(offset))
            .and_then(|_| f.write_all(bytes))
            .map_err(|e| with_path(e, &o.path))?;
        o.ranges.add(offset, end);
        o.extent = o.extent.max(end);
        Ok(())
    }

    /// Closes the object's file, hashes it, writes its sidecar and passes on `extracted`.
    fn end(
        &mut self,
        object: ObjectId,
        flow: crate::flow::FlowId,
        frame: u64,
        ts: crate::capture::Timestamp,
        cancelled_by: Option<Party>,
    ) -> io::Result<()> {
        let Some(mut o) = self.objects.remove(&object) else {
            return Ok(());
        };
        if o.file.take().is_some() {
            self.open -= 1;
        }
        let (sha256, sha1) = hash(&o.path)?;
        let info = &o.info;
        let total = info.size.unwrap_or(0).max(o.ranges.end());
        let missing = o.ranges.missing(total);
        let sha1d_matches = info.sha1d.as_deref().map(|d| {
            base64::engine::general_purpose::STANDARD
                .decode(d.trim())
                .is_ok_and(|want| want == sha1)
        });
        let partial = !missing.is_empty()
            || o.ranges.truncated
            || o.dropped > 0
            || (info.size.is_none() && cancelled_by.is_some());
        let x = Extracted {
            flow,
            frame,
            ts,
            object,
            kind: info.kind,
            transport: info.transport,
            first_ts: info.ts,
            name: info.name.clone(),
            size: info.size,
            sender: info.sender.clone(),
            receiver: info.receiver.clone(),
            file: std::mem::take(&mut o.file_name),
            path: o.path.display().to_string(),
            bytes_written: o.ranges.covered(),
            sha256: hex(&sha256),
            sha1d: info.sha1d.clone(),
            sha1d_matches,
            partial,
            missing,
            missing_truncated: o.ranges.truncated,
            cancelled_by,
        };
        let sidecar = PathBuf::from(format!("{}.json", o.path.display()));
        let mut text = serde_json::to_vec_pretty(&wire::extracted(&x))?;
        text.push(b'\n');
        std::fs::write(&sidecar, text).map_err(|e| with_path(e, &sidecar))?;
        self.inner.event(&Event::Extracted(Box::new(x)))
    }
}

/// SHA-256 and SHA-1 of a file, read back in pieces.
fn hash(path: &Path) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let mut f = File::open(path).map_err(|e| with_path(e, path))?;
    let mut sha256 = Sha256::new();
    let mut sha1 = Sha1::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(|e| with_path(e, path))?;
        if n == 0 {
            break;
        }
        sha256.update(&buf[..n]);
        sha1.update(&buf[..n]);
    }
    Ok((sha256.finalize().to_vec(), sha1.finalize().to_vec()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sink for Extract<'_> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        match ev {
            Event::ObjectStarted(info) => self.start(info)?,
            Event::ObjectData {
                object,
                offset,
                bytes,
                ..
            } => return self.data(*object, *offset, bytes),
            Event::ObjectEnded {
                flow,
                frame,
                ts,
                object,
                cancelled_by,
            } => {
                // The end is passed on first, then what was written.
                self.inner.event(ev)?;
                return self.end(*object, *flow, *frame, *ts, *cancelled_by);
            }
            _ => {}
        }
        self.inner.event(ev)
    }

    // Commands stay wanted (MSNFTP blocks are the bytes of files); notes and message text
    // are the inner sink's business alone.
    fn wants_notes(&self) -> bool {
        self.inner.wants_notes()
    }

    fn wants_text(&self) -> bool {
        self.inner.wants_text()
    }

    fn wants_fields(&self) -> crate::event::FieldsWanted {
        self.inner.wants_fields()
    }

    /// Objects still open at the end of the run are ended as they stand.
    fn finish(&mut self) -> io::Result<()> {
        let mut left: Vec<(
            ObjectId,
            crate::flow::FlowId,
            u64,
            crate::capture::Timestamp,
        )> = self
            .objects
            .iter()
            .map(|(id, o)| (*id, o.info.flow, o.info.frame, o.info.ts))
            .collect();
        left.sort();
        for (id, flow, frame, ts) in left {
            self.end(id, flow, frame, ts, None)?;
        }
        self.inner.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Option<String> {
        safe_name(&crate::escape::escape_field(s.as_bytes()))
    }

    #[test]
    fn a_declared_name_keeps_only_its_last_component_and_nothing_that_acts() {
        assert_eq!(name("report.txt").as_deref(), Some("report.txt"));
        assert_eq!(name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(name("/etc/shadow").as_deref(), Some("shadow"));
        assert_eq!(name("C:\\Windows\\x.exe").as_deref(), Some("x.exe"));
        assert_eq!(name("C:x.exe").as_deref(), Some("C_x.exe"));
        // The bidi override that would show `evil\u{202E}gnp.exe` as `evilexe.png`.
        assert_eq!(
            name("..\\..\\evil\u{202E}gnp.exe").as_deref(),
            Some("evil_gnp.exe")
        );
        assert_eq!(name("a\x1b[31mb\r\n.txt").as_deref(), Some("a_[31mb__.txt"));
        assert_eq!(name("tab\there\u{0}.txt").as_deref(), Some("tab_here_.txt"));
        assert_eq!(name(".bashrc").as_deref(), Some("bashrc"));
        assert_eq!(name("dir/").as_deref(), Some("dir"));
        assert_eq!(name("what?.txt").as_deref(), Some("what_.txt"));
    }

    #[test]
    fn device_names_are_neutralised_whatever_their_case_and_extension() {
        assert_eq!(name("CON").as_deref(), Some("_CON"));
        assert_eq!(name("nul.txt").as_deref(), Some("_nul.txt"));
        assert_eq!(name("Com1.tar.gz").as_deref(), Some("_Com1.tar.gz"));
        assert_eq!(name("lpt9").as_deref(), Some("_lpt9"));
        assert_eq!(name("console.txt").as_deref(), Some("console.txt"));
    }

    #[test]
    fn nothing_usable_is_none() {
        for s in [
            "", ".", "..", "...", "../..", "/", "\\\\", "  ", "\u{202E}", "\x01\x02",
        ] {
            assert_eq!(name(s), None, "{s:?}");
        }
    }

    #[test]
    fn a_long_name_is_capped_and_keeps_a_sane_extension() {
        let long = format!("{}.jpg", "é".repeat(300));
        let n = name(&long).unwrap();
        assert!(n.len() <= MAX_NAME_BYTES, "{}", n.len());
        assert!(n.ends_with("é.jpg"));
        let n = name(&"x".repeat(300)).unwrap();
        assert_eq!(n.len(), MAX_NAME_BYTES);
        // Not an extension: too long, or not alphanumeric.
        let n = name(&format!("a.{}", "b".repeat(300))).unwrap();
        assert_eq!(n.len(), MAX_NAME_BYTES);
        assert_eq!(name("a.b c").as_deref(), Some("a.b c"));
    }

    #[test]
    fn collisions_are_numbered_before_the_extension() {
        assert_eq!(numbered("report.txt", 1), "report.txt");
        assert_eq!(numbered("report.txt", 2), "report (2).txt");
        assert_eq!(numbered("README", 3), "README (3)");
    }

    #[test]
    fn ranges_merge_and_say_what_is_missing() {
        let mut r = Ranges::default();
        r.add(0, 10);
        r.add(20, 30);
        r.add(10, 15);
        assert_eq!(r.ranges, [(0, 15), (20, 30)]);
        assert_eq!(r.missing(40), [(15, 20), (30, 40)]);
        r.add(5, 25);
        assert_eq!(r.ranges, [(0, 30)]);
        assert_eq!(r.covered(), 30);
        let mut r = Ranges::default();
        for i in 0..(MAX_RANGES as u64 + 5) {
            r.add(i * 10, i * 10 + 5);
        }
        assert!(r.truncated);
        assert_eq!(r.ranges.len(), MAX_RANGES);
        assert_eq!(r.covered(), (MAX_RANGES as u64 + 5) * 5);
    }

    mod sink {
        use super::super::*;
        use crate::capture::Timestamp;
        use crate::event::{Collect, ObjectKind, Transport};
        use crate::flow::FlowId;

        fn info(object: u64, name: &str, size: Option<u64>) -> Event {
            Event::ObjectStarted(Box::new(ObjectInfo {
                flow: FlowId(1),
                frame: 1,
                ts: Timestamp::new(1000, 0),
                object: ObjectId(object),
                kind: ObjectKind::File,
                transport: Transport::Msnftp,
                name: Some(name.to_string()),
                size,
                sender: None,
                receiver: None,
                sha1d: None,
            }))
        }

        fn data(object: u64, offset: u64, bytes: &[u8]) -> Event {
            Event::ObjectData {
                flow: FlowId(1),
                object: ObjectId(object),
                offset,
                bytes: bytes.to_vec(),
            }
        }

        fn end(object: u64) -> Event {
            Event::ObjectEnded {
                flow: FlowId(1),
                frame: 9,
                ts: Timestamp::new(1001, 0),
                object: ObjectId(object),
                cancelled_by: None,
            }
        }

        #[test]
        fn same_names_are_numbered_nothing_is_overwritten_and_holes_are_missing() {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("a.txt"), b"mine").unwrap();
            let mut out = Collect::default();
            let mut x = Extract::new(&mut out, dir.path().to_path_buf()).unwrap();
            // More objects than files may be open: every one still gets its bytes.
            let n = MAX_OPEN_FILES as u64 + 3;
            for i in 1..=n {
                x.event(&info(i, "../a.txt", Some(6))).unwrap();
            }
            for i in 1..=n {
                x.event(&data(i, 4, b"ef")).unwrap();
                x.event(&data(i, 0, b"ab")).unwrap();
            }
            for i in 1..=n {
                x.event(&end(i)).unwrap();
            }
            x.finish().unwrap();
            assert_eq!(std::fs::read(dir.path().join("a.txt")).unwrap(), b"mine");
            assert_eq!(
                std::fs::read(dir.path().join("a (2).txt")).unwrap(),
                b"ab\0\0ef"
            );
            let extracted: Vec<&Extracted> = out
                .0
                .iter()
                .filter_map(|e| match e {
                    Event::Extracted(x) => Some(&**x),
                    _ => None,
                })
                .collect();
            assert_eq!(extracted.len(), n as usize);
            assert_eq!(extracted[0].file, "a (2).txt");
            assert_eq!(extracted.last().unwrap().file, format!("a ({}).txt", n + 1));
            for x in &extracted {
                assert!(x.partial);
                assert_eq!(x.missing, [(2, 4)]);
                assert_eq!(x.bytes_written, 4);
            }
            let side: serde_json::Value =
                serde_json::from_slice(&std::fs::read(dir.path().join("a (2).txt.json")).unwrap())
                    .unwrap();
            assert_eq!(side["file"], "a (2).txt");
            assert_eq!(side["missing"], serde_json::json!([[2, 4]]));
        }

        #[test]
        fn holes_share_one_budget_for_the_run() {
            let dir = tempfile::tempdir().unwrap();
            let mut out = Collect::default();
            let mut x = Extract::new(&mut out, dir.path().to_path_buf()).unwrap();
            for i in 1..=3 {
                x.event(&info(i, "", None)).unwrap();
            }
            // Writing within and right after what is written costs nothing.
            x.event(&data(1, 0, b"ab")).unwrap();
            x.event(&data(1, 2, b"cd")).unwrap();
            x.event(&data(1, 1, b"x")).unwrap();
            assert_eq!(x.holes_left, MAX_HOLE_BYTES);
            // A hole of 3/4 of the budget is taken; the next one past what is left is not.
            let big = MAX_HOLE_BYTES / 4 * 3;
            x.event(&data(2, big, b"z")).unwrap();
            assert_eq!(x.holes_left, MAX_HOLE_BYTES - big);
            x.event(&data(3, MAX_HOLE_BYTES / 2, b"z")).unwrap();
            assert_eq!(x.holes_left, MAX_HOLE_BYTES - big);
            assert_eq!(x.objects[&ObjectId(3)].dropped, 1);
            assert_eq!(x.objects[&ObjectId(2)].extent, big + 1);
            let sizes: Vec<u64> = (1..=3)
                .map(|i| {
                    let p = dir.path().join(format!("flow1-object{i}.bin"));
                    std::fs::metadata(p).map_or(0, |m| m.len())
                })
                .collect();
            assert_eq!(sizes, [4, big + 1, 0]);
        }

        #[test]
        fn an_object_still_open_at_the_end_is_ended_as_it_stands_and_shas_are_checked() {
            let dir = tempfile::tempdir().unwrap();
            let mut out = Collect::default();
            let mut x = Extract::new(&mut out, dir.path().to_path_buf()).unwrap();
            let mut start = info(1, "", None);
            if let Event::ObjectStarted(i) = &mut start {
                // SHA-1 of "abc", in base64.
                i.sha1d = Some("qZk+NkcGgWq6PiVxeFDCbJzQ2J0=".to_string());
            }
            x.event(&start).unwrap();
            x.event(&data(1, 0, b"abc")).unwrap();
            x.finish().unwrap();
            let Some(Event::Extracted(e)) = out.0.last() else {
                panic!("{:?}", out.0);
            };
            assert_eq!(e.file, "flow1-object1.bin");
            assert_eq!(e.sha1d_matches, Some(true));
            assert!(!e.partial);
            assert_eq!(
                e.sha256,
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            );
        }
    }
}
