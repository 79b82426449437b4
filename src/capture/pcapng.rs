//! pcapng blocks read straight from the file, without libpcap, and with interfaces of
//! different link types in one file.
//!
//! Why it exists: Wireshark and dumpcap write pcapng by default, so many of the captures an
//! analyst is handed are pcapng. libpcap reads them block by block into a buffer of its own and
//! copies each packet once more on its way to us; on the same 8 MB of traffic a pcapng file
//! cost `stats` 6 % more instructions than the classic pcap file. And libpcap refuses a file
//! whose interfaces differ in link type or snapshot length ("an interface has a type ...
//! different from the type of the first interface"), which is what a capture on several
//! interfaces at once gives (Ethernet and loopback, or an Ethernet card and a VPN's raw-IP
//! tunnel): the run stopped at the second interface.
//!
//! What it reads ([`PcapngReader::open`] says `None` to anything else): a regular pcapng file
//! that libpcap has already opened, which means libpcap checked the first section header and
//! the first interface description, and whose first interface has a link type msnsniff
//! decodes. Later interfaces may have any link type and snapshot length; their packets come
//! with their own link type.
//!
//! Guarantees: for every file libpcap reads, it gives what libpcap gives when opened at
//! nanosecond precision, packet for packet: the same bytes and lengths (a simple packet
//! block's captured length cut to the snapshot length); the same timestamps (`if_tsresol` in
//! powers of ten or of two, `if_tsoffset`, scaled as libpcap scales them, overflow included);
//! and, for a damaged file, the same error text at the same place (a block cut by the end of
//! the file, a block length that is too small, not a multiple of four, past [`MAX_BLOCK`] or
//! different in the trailer, a block too short for what it holds, a packet on an interface
//! never described or longer than the snapshot length, a bad option in an interface
//! description, a section of the other byte order or another major version). A
//! differential test in this module holds it to libpcap on generated and damaged files.
//! Where libpcap gives up on a sound file (a second link type or snapshot length) it goes
//! on. Panic-free on any bytes. Memory: one read buffer, one packet, the current section's
//! interfaces (at most [`MAX_INTERFACES`]) and the options of one interface description;
//! blocks of other kinds are skipped without being held.

use super::LinkType;
use super::classic::{libpcap_snapshot, read_up_to, u16_in, u32_in};
use std::fs::File;
use std::io::{self, BufRead, BufReader};

/// libpcap's largest block (`INITIAL_MAX_BLOCKSIZE`, which the link types read here never
/// raise): 16 MiB.
pub const MAX_BLOCK: u32 = 16 << 20;

/// Interfaces one section may describe. libpcap's own limit is two thousand million; a file
/// made of nothing but interface descriptions would otherwise make this list grow with its
/// size. Past it the run stops with an error, as at any damage.
pub const MAX_INTERFACES: usize = 1 << 16;

/// Bytes read from the file at a time.
const READ_BUFFER: usize = 1 << 20;

/// Options of an interface description up to this size are held between blocks; a larger
/// one's buffer is given back once read.
const KEEP_SCRATCH: usize = 1 << 16;

/// Block types.
const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const PB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;

/// A section header's byte-order magic, as read in the file's own byte order.
const BYTE_ORDER: u32 = 0x1A2B_3C4D;

/// Interface-description options read here.
const OPT_ENDOFOPT: u16 = 0;
const IF_TSRESOL: u16 = 9;
const IF_TSOFFSET: u16 = 14;

/// Ticks per second of the timestamps handed out (libpcap's nanosecond precision).
const NANOS: u64 = 1_000_000_000;

/// libpcap's `DLT_RAW` and `DLT_LOOP` on this system, for `LINKTYPE_RAW` and `LINKTYPE_LOOP`.
const DLT_RAW: i32 = if cfg!(target_os = "openbsd") { 14 } else { 12 };
const DLT_LOOP: i32 = if cfg!(target_os = "openbsd") { 12 } else { 108 };

/// One packet's header, as libpcap would report it, with its interface's link type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Seconds, as libpcap computes them (wrapping, as its unsigned arithmetic does).
    pub secs: i64,
    /// The fraction in nanoseconds, before any clamping: libpcap's value, through its `int`.
    pub frac_nanos: i64,
    /// The length on the wire.
    pub origlen: u32,
    /// The packet's interface's link type.
    pub linktype: LinkType,
    /// The same as libpcap's `DLT_` number, for compiling a filter.
    pub dlt: i32,
}

/// An interface the current section described.
#[derive(Clone, Copy, Debug)]
struct Interface {
    linktype: LinkType,
    dlt: i32,
    /// The snapshot length, as libpcap adjusts it.
    snapshot: u32,
    /// Timestamp ticks per second.
    tsresol: u64,
    /// `tsresol` is a power of two (else of ten).
    binary: bool,
    /// Seconds added to every timestamp.
    tsoffset: i64,
}

impl Interface {
    /// The record of a packet on this interface, stamped `t` ticks: its time as libpcap
    /// computes it (seconds wrapping, the fraction scaled to nanoseconds and handed out
    /// through an `int`).
    fn record(&self, t: u64, origlen: u32) -> Record {
        let secs = (t / self.tsresol).wrapping_add(self.tsoffset as u64) as i64;
        let frac = t % self.tsresol;
        let frac = if self.tsresol == NANOS {
            frac
        } else if self.binary {
            frac.wrapping_mul(NANOS) / self.tsresol
        } else if self.tsresol > NANOS {
            frac / (self.tsresol / NANOS)
        } else {
            frac * (NANOS / self.tsresol)
        };
        Record {
            secs,
            frac_nanos: i64::from(frac as u32 as i32),
            origlen,
            linktype: self.linktype,
            dlt: self.dlt,
        }
    }
}

/// A pcapng file past its first section header.
pub struct PcapngReader<R> {
    input: R,
    /// The file is big-endian (the first section's byte-order magic says so).
    big_endian: bool,
    /// The current section's interfaces, by number.
    interfaces: Vec<Interface>,
    /// An interface description's body while it is read.
    scratch: Vec<u8>,
}

/// What has been read of one block past its 8-byte header, to tell a block cut by the end of
/// the file in libpcap's words.
struct Block {
    kind: u32,
    total: u32,
    /// Bytes of the body (the trailer excluded) asked for so far.
    used: u32,
    /// Bytes of the body and trailer actually read.
    got: u32,
}

impl Block {
    fn body(&self) -> u32 {
        self.total - 12
    }
}

impl PcapngReader<BufReader<File>> {
    /// Opens `path` when it is a file this reader takes (a pcapng file whose first section
    /// header libpcap has accepted and whose first interface `first_dlt`, libpcap's link type
    /// for the file, is one msnsniff decodes); `Ok(None)` when it is not (libpcap reads it).
    pub fn open(path: &str, first_dlt: i32) -> io::Result<Option<PcapngReader<BufReader<File>>>> {
        if matches!(LinkType::from_dlt(first_dlt), LinkType::Other(_)) {
            return Ok(None);
        }
        let mut file = BufReader::with_capacity(READ_BUFFER, File::open(path)?);
        let mut head = [0u8; 12];
        if read_up_to(&mut file, &mut head)? < head.len() {
            return Ok(None);
        }
        PcapngReader::after_head(&head, file)
    }
}

impl<R: BufRead> PcapngReader<R> {
    /// The reader for the blocks after the section header that starts with `head` (its type,
    /// length and byte-order magic) in `input`, which is at the header's thirteenth byte;
    /// `Ok(None)` when the header is not one libpcap accepts.
    pub fn after_head(head: &[u8; 12], mut input: R) -> io::Result<Option<PcapngReader<R>>> {
        if head[..4] != SHB.to_le_bytes() {
            return Ok(None);
        }
        let big_endian = match u32_in(head, 8, false) {
            BYTE_ORDER => false,
            m if m.swap_bytes() == BYTE_ORDER => true,
            _ => return Ok(None),
        };
        let total = u32_in(head, 4, big_endian);
        // libpcap's bounds for the first section header (28 bytes to 1 MiB).
        if !(28..=1 << 20).contains(&total) || !total.is_multiple_of(4) {
            return Ok(None);
        }
        let rest = u64::from(total - 12);
        if skip(&mut input, rest)? < rest {
            return Ok(None);
        }
        Ok(Some(PcapngReader {
            input,
            big_endian,
            interfaces: Vec::new(),
            scratch: Vec::new(),
        }))
    }

    /// The same reader on `f(input)`: what it has read (byte order, interfaces) goes on with
    /// the new input.
    pub fn map_input<S>(self, f: impl FnOnce(R) -> S) -> PcapngReader<S> {
        PcapngReader {
            input: f(self.input),
            big_endian: self.big_endian,
            interfaces: self.interfaces,
            scratch: self.scratch,
        }
    }

    /// libpcap's link type (`DLT_`) of the current section's first interface, if one was
    /// described.
    pub fn first_dlt(&self) -> Option<i32> {
        self.interfaces.first().map(|i| i.dlt)
    }

    /// The next packet, its captured bytes in `data`; `Ok(None)` at the end of the file. The
    /// error is libpcap's text for the same damage.
    pub fn next(&mut self, data: &mut Vec<u8>) -> Result<Option<Record>, String> {
        loop {
            if let Some(record) = self.whole_epb(data).map_err(read_error)? {
                return Ok(Some(record));
            }
            let mut head = [0u8; 8];
            match read_up_to(&mut self.input, &mut head).map_err(read_error)? {
                0 => return Ok(None),
                8 => {}
                got => return Err(truncated(8, got as u32)),
            }
            let kind = self.u32(&head, 0);
            let total = self.u32(&head, 4);
            if total < 12 {
                return Err(format!(
                    "block in pcapng dump file has a length of {total} < 12"
                ));
            }
            if !total.is_multiple_of(4) {
                return Err(format!(
                    "block in pcapng dump file has a length of {total} that is not a multiple of 4"
                ));
            }
            if total > MAX_BLOCK {
                return Err(format!("pcapng block size {total} > maximum {MAX_BLOCK}"));
            }
            let mut block = Block {
                kind,
                total,
                used: 0,
                got: 0,
            };
            match kind {
                EPB | PB | SPB => return self.packet(&mut block, data).map(Some),
                IDB => self.interface(&mut block)?,
                SHB => self.section(&mut block)?,
                _ => self.end(&mut block)?,
            }
        }
    }

    /// A packet block: its packet in `data`.
    fn packet(&mut self, block: &mut Block, data: &mut Vec<u8>) -> Result<Record, String> {
        let fixed_len = if block.kind == SPB { 4 } else { 20 };
        if block.body() < fixed_len {
            self.end(block)?;
            return Err(too_short(block.kind));
        }
        let mut fixed = [0u8; 20];
        self.take(block, &mut fixed[..fixed_len as usize])?;
        let ts =
            |at: usize| u64::from(self.u32(&fixed, at)) << 32 | u64::from(self.u32(&fixed, at + 4));
        let (interface, caplen, origlen, t) = match block.kind {
            EPB => (
                self.u32(&fixed, 0),
                self.u32(&fixed, 12),
                self.u32(&fixed, 16),
                ts(4),
            ),
            PB => (
                u32::from(self.u16(&fixed, 0)),
                self.u32(&fixed, 12),
                self.u32(&fixed, 16),
                ts(4),
            ),
            // A simple packet block is on the first interface, has no timestamp, and its
            // captured length is the wire length cut to the snapshot length.
            _ => {
                let len = self.u32(&fixed, 0);
                let cut = self.interfaces.first().map_or(len, |i| len.min(i.snapshot));
                (0, cut, len, 0)
            }
        };
        // What libpcap checks once the block is read, in its order.
        let verdict = match self.interfaces.get(interface as usize) {
            None => Err(format!(
                "a packet arrived on interface {interface}, but there's no Interface \
                 Description Block for that interface"
            )),
            Some(i) if caplen > i.snapshot => Err(format!(
                "invalid packet capture length {caplen}, bigger than snaplen of {}",
                i.snapshot
            )),
            Some(_) if block.body() - fixed_len < caplen => Err(too_short(block.kind)),
            Some(i) => Ok(*i),
        };
        if verdict.is_ok() {
            data.clear();
            self.take_into(block, data, caplen)?;
        }
        self.end(block)?;
        Ok(verdict?.record(t, origlen))
    }

    /// The common case, taken straight from the read buffer: an enhanced packet block that
    /// the buffer holds whole and that is sound. `Ok(None)` (nothing consumed) for anything
    /// else, which the block-by-block path reads and judges.
    fn whole_epb(&mut self, data: &mut Vec<u8>) -> io::Result<Option<Record>> {
        let buf = self.input.fill_buf()?;
        if buf.len() < 32 || u32_in(buf, 0, self.big_endian) != EPB {
            return Ok(None);
        }
        let total = u32_in(buf, 4, self.big_endian);
        let t = total as usize;
        if !total.is_multiple_of(4) || !(32..=MAX_BLOCK).contains(&total) || buf.len() < t {
            return Ok(None);
        }
        let word = |at: usize| u32_in(buf, at, self.big_endian);
        let (interface, caplen, origlen) = (word(8), word(20), word(24));
        let stamp = u64::from(word(12)) << 32 | u64::from(word(16));
        let Some(iface) = self.interfaces.get(interface as usize) else {
            return Ok(None);
        };
        if word(t - 4) != total || caplen > iface.snapshot || caplen as usize > t - 32 {
            return Ok(None);
        }
        data.clear();
        data.extend_from_slice(&buf[28..28 + caplen as usize]);
        let record = iface.record(stamp, origlen);
        self.input.consume(t);
        Ok(Some(record))
    }

    /// An interface description: the interface is added to the section's.
    fn interface(&mut self, block: &mut Block) -> Result<(), String> {
        let mut body = std::mem::take(&mut self.scratch);
        body.clear();
        let read = self
            .take_into(block, &mut body, block.body())
            .and_then(|()| self.end(block));
        let described = read.and_then(|()| self.describe(&body));
        if body.capacity() <= KEEP_SCRATCH {
            self.scratch = body;
        }
        described
    }

    /// Adds the interface an interface description's `body` describes.
    fn describe(&mut self, body: &[u8]) -> Result<(), String> {
        if body.len() < 8 {
            return Err(too_short(IDB));
        }
        let linktype = self.u16(body, 0);
        let snaplen = self.u32(body, 4);
        let (tsresol, binary, tsoffset) = self.options(&body[8..])?;
        if self.interfaces.len() >= MAX_INTERFACES {
            return Err(format!(
                "more than {MAX_INTERFACES} interfaces in one section"
            ));
        }
        let dlt = linktype_to_dlt(u32::from(linktype));
        self.interfaces.push(Interface {
            linktype: LinkType::from_dlt(dlt),
            dlt,
            // libpcap's adjustment for the link types msnsniff decodes (an interface of
            // another type after the first is one libpcap refuses outright).
            snapshot: libpcap_snapshot(snaplen),
            tsresol,
            binary,
            tsoffset,
        });
        Ok(())
    }

    /// The timestamp options of an interface description: ticks per second, whether that is
    /// a power of two, the offset in seconds.
    fn options(&self, mut opts: &[u8]) -> Result<(u64, bool, i64), String> {
        let (mut tsresol, mut binary, mut tsoffset) = (1_000_000u64, false, 0i64);
        let (mut saw_tsresol, mut saw_tsoffset) = (false, false);
        while !opts.is_empty() {
            if opts.len() < 4 {
                return Err(too_short(IDB));
            }
            let code = self.u16(opts, 0);
            let len = self.u16(opts, 2);
            let padded = usize::from(len).next_multiple_of(4);
            let Some(value) = opts.get(4..4 + padded) else {
                return Err(too_short(IDB));
            };
            opts = &opts[4 + padded..];
            match code {
                OPT_ENDOFOPT => {
                    if len != 0 {
                        return Err(format!(
                            "Interface Description Block has opt_endofopt option with length {len} != 0"
                        ));
                    }
                    break;
                }
                IF_TSRESOL => {
                    if len != 1 {
                        return Err(format!(
                            "Interface Description Block has if_tsresol option with length {len} != 1"
                        ));
                    }
                    if saw_tsresol {
                        return Err(
                            "Interface Description Block has more than one if_tsresol option"
                                .into(),
                        );
                    }
                    saw_tsresol = true;
                    let raw = value[0];
                    if raw & 0x80 != 0 {
                        let shift = raw & 0x7F;
                        if shift > 63 {
                            return Err(format!(
                                "Interface Description Block if_tsresol option resolution 2^-{shift} is too high"
                            ));
                        }
                        (tsresol, binary) = (1 << shift, true);
                    } else {
                        if raw > 19 {
                            return Err(format!(
                                "Interface Description Block if_tsresol option resolution 10^-{raw} is too high"
                            ));
                        }
                        (tsresol, binary) = (10u64.pow(u32::from(raw)), false);
                    }
                }
                IF_TSOFFSET => {
                    if len != 8 {
                        return Err(format!(
                            "Interface Description Block has if_tsoffset option with length {len} != 8"
                        ));
                    }
                    if saw_tsoffset {
                        return Err(
                            "Interface Description Block has more than one if_tsoffset option"
                                .into(),
                        );
                    }
                    saw_tsoffset = true;
                    let b: [u8; 8] = [
                        value[0], value[1], value[2], value[3], value[4], value[5], value[6],
                        value[7],
                    ];
                    tsoffset = if self.big_endian {
                        i64::from_be_bytes(b)
                    } else {
                        i64::from_le_bytes(b)
                    };
                }
                _ => {}
            }
        }
        Ok((tsresol, binary, tsoffset))
    }

    /// A section header after the first: the section's interfaces are forgotten.
    fn section(&mut self, block: &mut Block) -> Result<(), String> {
        let mut fixed = [0u8; 16];
        let n = block.body().min(16) as usize;
        self.take(block, &mut fixed[..n])?;
        self.end(block)?;
        if n < 16 {
            return Err(too_short(SHB));
        }
        match self.u32(&fixed, 0) {
            BYTE_ORDER => {}
            m if m.swap_bytes() == BYTE_ORDER => {
                return Err("the file has sections with different byte orders".into());
            }
            _ => {
                return Err("the file has a section with a bad byte order magic field".into());
            }
        }
        let major = self.u16(&fixed, 4);
        if major != 1 {
            return Err(format!(
                "unknown pcapng savefile major version number {major}"
            ));
        }
        self.interfaces.clear();
        Ok(())
    }

    /// Reads the block's next `out.len()` bytes (fewer at the end of the file).
    fn take(&mut self, block: &mut Block, out: &mut [u8]) -> Result<(), String> {
        block.used += out.len() as u32;
        block.got += read_up_to(&mut self.input, out).map_err(read_error)? as u32;
        Ok(())
    }

    /// Appends the block's next `n` bytes to `data` (fewer at the end of the file).
    fn take_into(&mut self, block: &mut Block, data: &mut Vec<u8>, n: u32) -> Result<(), String> {
        block.used += n;
        let buffered = self.input.fill_buf().map_err(read_error)?;
        if let Some(bytes) = buffered.get(..n as usize) {
            data.extend_from_slice(bytes);
            self.input.consume(n as usize);
            block.got += n;
            return Ok(());
        }
        let start = data.len();
        data.resize(start + n as usize, 0);
        let got = read_up_to(&mut self.input, &mut data[start..]).map_err(read_error)?;
        data.truncate(start + got);
        block.got += got as u32;
        Ok(())
    }

    /// Skips what is left of the block's body, reads its trailer and checks it: libpcap's
    /// errors for a block cut by the end of the file or whose two lengths differ.
    fn end(&mut self, block: &mut Block) -> Result<(), String> {
        let rest = block.body() - block.used;
        block.got += skip(&mut self.input, u64::from(rest)).map_err(read_error)? as u32;
        let mut trailer = [0u8; 4];
        block.got += read_up_to(&mut self.input, &mut trailer).map_err(read_error)? as u32;
        if block.got < block.total - 8 {
            return Err(truncated(block.total - 8, block.got));
        }
        let trailer = self.u32(&trailer, 0);
        if trailer != block.total {
            return Err("block total length in header and trailer don't match".into());
        }
        Ok(())
    }

    fn u32(&self, b: &[u8], at: usize) -> u32 {
        u32_in(b, at, self.big_endian)
    }

    fn u16(&self, b: &[u8], at: usize) -> u16 {
        u16_in(b, at, self.big_endian)
    }
}

/// libpcap's `DLT_` number for a `LINKTYPE_` number, for the link types that differ on this
/// system (`LINKTYPE_RAW`, `LINKTYPE_LOOP`); the others are the same.
pub(super) fn linktype_to_dlt(linktype: u32) -> i32 {
    match linktype {
        101 => DLT_RAW,
        108 => DLT_LOOP,
        other => other as i32,
    }
}

/// Skips `n` bytes of `input` without copying them; the number skipped, fewer only at the end.
fn skip(input: &mut impl BufRead, n: u64) -> io::Result<u64> {
    let mut left = n;
    while left > 0 {
        let buffered = match input.fill_buf() {
            Ok([]) => break,
            Ok(b) => b.len(),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let k = buffered.min(usize::try_from(left).unwrap_or(usize::MAX));
        input.consume(k);
        left -= k as u64;
    }
    Ok(n - left)
}

/// libpcap's words for a file that ends inside what it tried to read.
fn truncated(wanted: u32, got: u32) -> String {
    format!("truncated pcapng dump file; tried to read {wanted} bytes, only got {got}")
}

/// libpcap's words for a block too short for what it holds.
fn too_short(kind: u32) -> String {
    format!("block of type {kind} in pcapng dump file is too short")
}

/// libpcap's words for a failed read.
fn read_error(e: io::Error) -> String {
    format!("error reading dump file: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::classic::tests::{Seen, bundled_read_as_libpcap_reads_them, read_all};
    use proptest::prelude::*;

    /// One block of a generated file. Link type and snapshot length are the file's, so that
    /// libpcap reads every interface (it refuses a second of another type or length).
    #[derive(Clone, Debug)]
    enum Blk {
        /// An interface description with these options (code, value), then maybe the end
        /// option.
        Idb(Vec<(u16, Vec<u8>)>, bool),
        /// An enhanced packet block: interface, timestamp, caplen field (the data's length
        /// unless given), data, wire length, bytes of options after the data.
        Epb(u32, u64, Option<u32>, Vec<u8>, u32, u8),
        /// An obsolete packet block: the same, with a 16-bit interface.
        Pb(u16, u64, Option<u32>, Vec<u8>, u32),
        /// A simple packet block: wire length, data.
        Spb(u32, Vec<u8>),
        /// A section header: its magic in the other byte order, a bad magic, its major
        /// version.
        Shb(bool, bool, u16),
        /// A block of another type, with this many words of body.
        Other(u32, u8),
    }

    /// Damage to one block's framing.
    #[derive(Clone, Copy, Debug)]
    enum Harm {
        None,
        /// The trailer's length differs from the header's.
        Trailer,
        /// The header's length is this much more (not a multiple of four unless 4).
        Longer(u32),
        /// The header's length is this (below 12).
        Tiny(u32),
    }

    struct Writer {
        big_endian: bool,
        out: Vec<u8>,
    }

    impl Writer {
        fn w32(&mut self, v: u32) {
            let b = if self.big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            self.out.extend_from_slice(&b);
        }
        fn w16(&mut self, v: u16) {
            let b = if self.big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            };
            self.out.extend_from_slice(&b);
        }
        fn bytes(&mut self, b: &[u8]) {
            self.out.extend_from_slice(b);
            while !self.out.len().is_multiple_of(4) {
                self.out.push(0);
            }
        }
        /// A block of `kind` whose body `body` writes.
        fn block(&mut self, kind: u32, harm: Harm, body: impl FnOnce(&mut Writer)) {
            let start = self.out.len();
            self.w32(kind);
            self.w32(0);
            body(self);
            let total = (self.out.len() - start + 4) as u32;
            self.w32(total);
            let header = match harm {
                Harm::Longer(n) => total + n,
                Harm::Tiny(n) => n,
                Harm::None | Harm::Trailer => total,
            };
            let header = if self.big_endian {
                header.to_be_bytes()
            } else {
                header.to_le_bytes()
            };
            self.out[start + 4..start + 8].copy_from_slice(&header);
            if let Harm::Trailer = harm {
                let at = self.out.len() - 4;
                self.out[at] ^= 0x10;
            }
        }
    }

    fn file_bytes(
        big_endian: bool,
        linktype: u16,
        snaplen: u32,
        blocks: &[(Blk, Harm)],
    ) -> Vec<u8> {
        let mut w = Writer {
            big_endian,
            out: Vec::new(),
        };
        w.block(SHB, Harm::None, |w| {
            w.w32(BYTE_ORDER);
            w.w16(1);
            w.w16(0);
            w.w32(u32::MAX);
            w.w32(u32::MAX);
        });
        for (blk, harm) in blocks {
            match blk {
                Blk::Idb(opts, end) => w.block(IDB, *harm, |w| {
                    w.w16(linktype);
                    w.w16(0);
                    w.w32(snaplen);
                    for (code, value) in opts {
                        w.w16(*code);
                        w.w16(value.len() as u16);
                        w.bytes(value);
                    }
                    if *end {
                        w.w32(0);
                    }
                }),
                Blk::Epb(iface, ts, caplen, data, origlen, opts) => w.block(EPB, *harm, |w| {
                    w.w32(*iface);
                    w.w32((ts >> 32) as u32);
                    w.w32(*ts as u32);
                    w.w32(caplen.unwrap_or(data.len() as u32));
                    w.w32(*origlen);
                    w.bytes(data);
                    for _ in 0..*opts {
                        w.w32(0x0001_0000);
                    }
                }),
                Blk::Pb(iface, ts, caplen, data, origlen) => w.block(PB, *harm, |w| {
                    w.w16(*iface);
                    w.w16(0);
                    w.w32((ts >> 32) as u32);
                    w.w32(*ts as u32);
                    w.w32(caplen.unwrap_or(data.len() as u32));
                    w.w32(*origlen);
                    w.bytes(data);
                }),
                Blk::Spb(len, data) => w.block(SPB, *harm, |w| {
                    w.w32(*len);
                    w.bytes(data);
                }),
                Blk::Shb(other_order, bad, major) => w.block(SHB, *harm, |w| {
                    w.w32(match (other_order, bad) {
                        (_, true) => 0x1234_5678,
                        (true, false) => BYTE_ORDER.swap_bytes(),
                        (false, false) => BYTE_ORDER,
                    });
                    w.w16(*major);
                    w.w16(0);
                    w.w32(u32::MAX);
                    w.w32(u32::MAX);
                }),
                Blk::Other(kind, words) => w.block(*kind, *harm, |w| {
                    for i in 0..*words {
                        w.w32(u32::from(i));
                    }
                }),
            }
        }
        w.out
    }

    fn both(bytes: &[u8], filter: Option<&str>) -> (Seen, Seen) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.pcapng");
        std::fs::write(&path, bytes).unwrap();
        let path = path.to_str().unwrap();
        (read_all(path, filter, false), read_all(path, filter, true))
    }

    /// The file read as a stream (gzip-compressed, so that it is decompressed through a
    /// pipe): what our reader gives after looking at the first blocks, and what libpcap gives.
    fn both_streamed(bytes: &[u8], filter: Option<&str>) -> (Seen, Seen) {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.pcapng.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let path = path.to_str().unwrap();
        (read_all(path, filter, false), read_all(path, filter, true))
    }

    fn option() -> impl Strategy<Value = (u16, Vec<u8>)> {
        prop_oneof![
            // Resolutions libpcap takes: powers of ten and of two, above and below nanoseconds.
            12 => prop_oneof![
                Just(6u8), Just(9), Just(3), Just(0), Just(12), Just(19), Just(0x80 | 10),
                Just(0x80 | 30), Just(0x80 | 40), Just(0x80 | 63), Just(0x80),
            ]
            .prop_map(|r| (IF_TSRESOL, vec![r])),
            1 => prop_oneof![Just(20u8), Just(0x80 | 64), any::<u8>()]
                .prop_map(|r| (IF_TSRESOL, vec![r])),
            1 => Just((IF_TSRESOL, vec![9, 9])),
            8 => prop_oneof![any::<i64>(), -100i64..100, Just(1_000_000_000i64)]
                .prop_map(|o| (IF_TSOFFSET, o.to_le_bytes().to_vec())),
            1 => Just((IF_TSOFFSET, vec![1, 2, 3, 4])),
            6 => proptest::collection::vec(any::<u8>(), 0..9).prop_map(|v| (2u16, v)),
            1 => Just((OPT_ENDOFOPT, vec![1])),
        ]
    }

    fn data() -> impl Strategy<Value = Vec<u8>> {
        // An Ethernet frame carrying IPv4 now and then, so that a filter keeps some.
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..90),
            proptest::collection::vec(any::<u8>(), 20..70).prop_map(|mut v| {
                v.splice(0..0, [0u8; 12].iter().copied().chain([0x08, 0x00, 0x45]));
                v
            }),
        ]
    }

    fn stamp() -> impl Strategy<Value = u64> {
        prop_oneof![
            any::<u64>(),
            1_100_000_000_000_000u64..1_200_000_000_000_000,
            0u64..10_000
        ]
    }

    fn caplen() -> impl Strategy<Value = Option<u32>> {
        prop_oneof![
            20 => Just(None),
            1 => (0u32..200).prop_map(Some),
            1 => prop_oneof![Just(262_144u32), Just(262_145), Just(u32::MAX)].prop_map(Some),
        ]
    }

    fn blk() -> impl Strategy<Value = Blk> {
        prop_oneof![
            1 => (proptest::collection::vec(option(), 0..3), any::<bool>())
                .prop_map(|(o, e)| Blk::Idb(o, e)),
            8 => (
                prop_oneof![80 => Just(0u32), 4 => 0u32..3, 1 => any::<u32>()],
                stamp(),
                caplen(),
                data(),
                prop_oneof![any::<u32>(), 0u32..200],
                0u8..3,
            )
                .prop_map(|(i, t, c, d, o, x)| Blk::Epb(i, t, c, d, o, x)),
            1 => (0u16..3, stamp(), caplen(), data(), 0u32..200)
                .prop_map(|(i, t, c, d, o)| Blk::Pb(i, t, c, d, o)),
            1 => (prop_oneof![0u32..100, any::<u32>()], data()).prop_map(|(l, d)| Blk::Spb(l, d)),
            1 => (
                prop_oneof![12 => Just(false), 1 => Just(true)],
                prop_oneof![12 => Just(false), 1 => Just(true)],
                prop_oneof![12 => Just(1u16), 1 => Just(2u16)],
            )
                .prop_map(|(o, b, m)| Blk::Shb(o, b, m)),
            1 => (prop_oneof![Just(4u32), Just(5), Just(0x8000_0001), any::<u32>()], 0u8..6)
                .prop_map(|(k, w)| Blk::Other(k, w)),
        ]
    }

    fn harm() -> impl Strategy<Value = Harm> {
        prop_oneof![
            120 => Just(Harm::None),
            1 => Just(Harm::Trailer),
            1 => (1u32..5).prop_map(Harm::Longer),
            1 => (0u32..12).prop_map(Harm::Tiny),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Whatever the blocks, options, timestamps, damage and filter, our reader and libpcap
        /// give the same packets and the same final error.
        #[test]
        fn reads_as_libpcap_does(
            big_endian in any::<bool>(),
            linktype in prop_oneof![Just(1u16), Just(113), Just(0), Just(276), Just(228), Just(147)],
            snaplen in prop_oneof![
                3 => prop_oneof![Just(0u32), Just(65_535), Just(262_144), Just(300_000), Just(0x8000_0000)],
                1 => prop_oneof![Just(16u32), Just(60)],
            ],
            first in (prop_oneof![3 => Just(vec![]), 2 => proptest::collection::vec(option(), 1..3)], any::<bool>()),
            blocks in proptest::collection::vec((blk(), harm()), 0..10),
            cut in prop_oneof![3 => Just(None), 1 => any::<proptest::sample::Index>().prop_map(Some)],
            filter in proptest::option::of(Just("ip")),
        ) {
            let mut all = vec![(Blk::Idb(first.0, first.1), Harm::None)];
            all.extend(blocks);
            let mut bytes = file_bytes(big_endian, linktype, snaplen, &all);
            if let Some(cut) = cut {
                // Past the section header, which libpcap checks for both readers alike.
                let len = 28 + cut.index(bytes.len() - 27);
                bytes.truncate(len);
            }
            let (ours, libpcap) = both(&bytes, filter);
            prop_assert_eq!(&ours, &libpcap);
            // As a stream, our reader takes it after its first blocks, or leaves it to libpcap.
            let (ours, libpcap) = both_streamed(&bytes, filter);
            prop_assert_eq!(ours, libpcap);
        }
    }

    fn epb(iface: u32, data: &[u8]) -> (Blk, Harm) {
        let len = data.len() as u32;
        (
            Blk::Epb(
                iface,
                1_200_000_000_000_000 + u64::from(iface),
                None,
                data.to_vec(),
                len,
                0,
            ),
            Harm::None,
        )
    }

    /// A block longer than libpcap's largest is refused in libpcap's words, before any of it
    /// is read.
    #[test]
    fn a_block_past_the_largest_is_refused_as_libpcap_refuses_it() {
        let mut bytes = file_bytes(
            false,
            1,
            0,
            &[(Blk::Idb(vec![], true), Harm::None), epb(0, &[1; 60])],
        );
        bytes.extend_from_slice(&6u32.to_le_bytes());
        bytes.extend_from_slice(&(MAX_BLOCK + 4).to_le_bytes());
        bytes.extend_from_slice(&[0; 64]);
        let (ours, libpcap) = both(&bytes, None);
        assert_eq!(ours, libpcap);
        assert_eq!(ours.0.len(), 1);
        assert_eq!(
            ours.1.as_deref(),
            Some("pcapng block size 16777220 > maximum 16777216")
        );
    }

    /// One interface of raw IP (`LINKTYPE_RAW`, which libpcap turns into its own number).
    #[test]
    fn raw_ip_reads_as_libpcap_reads_it() {
        let bytes = file_bytes(
            true,
            101,
            65_535,
            &[(Blk::Idb(vec![], false), Harm::None), epb(0, &[0x45; 40])],
        );
        let (ours, libpcap) = both(&bytes, Some("ip"));
        assert_eq!(ours, libpcap);
        assert_eq!(ours.0.len(), 1);
        assert_eq!(ours.0[0].2, "Raw");
    }

    /// Interfaces of different link types in one file (libpcap stops at the second): every
    /// packet comes with its own interface's type, and a filter is compiled for each type.
    #[test]
    fn interfaces_of_different_link_types_are_each_read_with_their_own() {
        let ip = {
            let mut v = vec![
                0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
            ];
            v.extend_from_slice(&[0; 20]);
            v
        };
        let ether = [&[0u8; 12][..], &[0x08, 0x00], &ip].concat();
        let cooked = [
            &[0u8, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0][..],
            &[0x08, 0x00],
            &ip,
        ]
        .concat();
        let mut bytes = file_bytes(false, 1, 65_535, &[(Blk::Idb(vec![], true), Harm::None)]);
        // Interface 1: raw IP, nanoseconds; interface 2: Linux cooked, another snaplen.
        let idb = |linktype: u16, snaplen: u32, opts: &[u8]| {
            let mut b = Vec::new();
            let total = 20 + opts.len() as u32;
            for w in [IDB, total] {
                b.extend_from_slice(&w.to_le_bytes());
            }
            b.extend_from_slice(&linktype.to_le_bytes());
            b.extend_from_slice(&[0, 0]);
            b.extend_from_slice(&snaplen.to_le_bytes());
            b.extend_from_slice(opts);
            b.extend_from_slice(&total.to_le_bytes());
            b
        };
        bytes.extend(idb(101, 262_144, &[9, 0, 1, 0, 9, 0, 0, 0]));
        bytes.extend(idb(113, 1500, &[]));
        let rest = file_bytes(
            false,
            1,
            65_535,
            &[
                epb(0, &ether),
                epb(1, &ip),
                epb(2, &cooked),
                epb(1, &[1; 8]),
            ],
        );
        // The packets, without the second file's own section header.
        bytes.extend_from_slice(&rest[28..]);
        let (ours, libpcap) = both(&bytes, None);
        assert_eq!(both_streamed(&bytes, None).0, ours, "the same as a stream");
        assert!(libpcap.0.is_empty());
        assert!(
            libpcap
                .1
                .unwrap()
                .contains("different from the type of the first")
        );
        assert_eq!(ours.1, None);
        let types: Vec<&str> = ours.0.iter().map(|p| p.2.as_str()).collect();
        assert_eq!(types, ["Ethernet", "Raw", "LinuxSll", "Raw"]);
        // Microseconds on the first interface, nanoseconds on the second.
        assert_eq!(ours.0[0].1, "1200000000.000000000");
        assert_eq!(ours.0[1].1, "1200000.000000001");
        // The filter keeps the IPv4 packet of each type and drops the raw junk.
        let (kept, _) = both(&bytes, Some("ip and tcp"));
        assert_eq!(kept.1, None);
        let frames: Vec<u64> = kept.0.iter().map(|p| p.0).collect();
        assert_eq!(frames, [1, 2, 3]);
    }

    /// The bundled pcapng captures come out as libpcap gives them.
    #[test]
    fn bundled_captures_read_as_libpcap_reads_them() {
        bundled_read_as_libpcap_reads_them(crate::capture::FileKind::Pcapng);
    }
}
