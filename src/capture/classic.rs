//! Classic pcap records read straight from the file, without libpcap's per-packet calls.
//!
//! Why it exists: libpcap reads each record of a savefile with two `fread` calls into a buffer
//! of its own, about 450 instructions a packet, which is as much as `tcpdump -r` spends in
//! total and about a twentieth of a whole `msnsniff stats` run. Most captures are classic
//! pcap files on disk; for those this reader takes the records from one large buffer.
//!
//! What it reads ([`ClassicReader::open`] says `None` to anything else, which stays with
//! libpcap): a regular file in classic pcap, version 2.4, micro- or nanosecond magic in either
//! byte order, of a link type msnsniff decodes (for all of these libpcap's largest sane record
//! is [`MAX_RECORD`]).
//!
//! Guarantees: for those files it gives what libpcap gives when opened at nanosecond
//! precision, record for record: the same bytes and lengths; the same timestamps (libpcap
//! reads the two fields as signed numbers in a file of this machine's byte order and as
//! unsigned ones in a file of the other, and scales microseconds by 1,000); a record
//! longer than the file's snapshot length cut to it, the rest skipped; and the same error
//! text for a damaged file (a record longer than [`MAX_RECORD`], a header or record cut by
//! the end of the file). A differential test in this module holds it to libpcap's answers on
//! generated and damaged files. Panic-free on any bytes; memory is one read buffer and one
//! record.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};

/// libpcap's largest record for the link types read here (`MAXIMUM_SNAPLEN`).
pub const MAX_RECORD: u32 = 262_144;

/// Bytes read from the file at a time.
const READ_BUFFER: usize = 1 << 20;

/// The link types (as the file header spells them, `LINKTYPE_*`) read here: the ones the
/// decoder understands, for all of which libpcap allows records up to [`MAX_RECORD`].
const LINKTYPES: [u32; 8] = [0, 1, 101, 108, 113, 228, 229, 276];

/// One record's header, as libpcap would report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Seconds, from the 32-bit field as libpcap reads it ([`ClassicReader::time_field`]).
    pub secs: i64,
    /// The fraction, in nanoseconds, before any clamping: microseconds are scaled by 1,000.
    pub frac_nanos: i64,
    /// The length on the wire.
    pub origlen: u32,
}

/// A classic pcap file past its 24-byte header.
pub struct ClassicReader<R> {
    input: R,
    /// The file was written in the other byte order.
    swapped: bool,
    /// The fraction field counts nanoseconds (else microseconds).
    nanos: bool,
    /// The file's snapshot length, as libpcap adjusts it.
    snapshot: u32,
    /// The file's link type (`LINKTYPE_`), without the frame check sequence bits.
    linktype: u32,
}

impl ClassicReader<BufReader<File>> {
    /// Opens `path` when it is a file this reader takes; `Ok(None)` when it is not (libpcap
    /// reads it then).
    pub fn open(path: &str) -> io::Result<Option<ClassicReader<BufReader<File>>>> {
        let mut file = BufReader::with_capacity(READ_BUFFER, File::open(path)?);
        let mut head = [0u8; 24];
        if read_up_to(&mut file, &mut head)? < head.len() {
            return Ok(None);
        }
        Ok(ClassicReader::after_header(&head, file))
    }
}

impl<R: BufRead> ClassicReader<R> {
    /// The reader for records that follow `head` in `input`, when the header is one this
    /// reader takes.
    pub fn after_header(head: &[u8; 24], input: R) -> Option<ClassicReader<R>> {
        let magic = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let (swapped, nanos) = match magic {
            0xA1B2_C3D4 => (false, false),
            0xA1B2_3C4D => (false, true),
            0xD4C3_B2A1 => (true, false),
            0x4D3C_B2A1 => (true, true),
            _ => return None,
        };
        // Version 2.4 only: earlier ones may have the two lengths the other way round.
        if (u16_in(head, 4, swapped), u16_in(head, 6, swapped)) != (2, 4) {
            return None;
        }
        // The low 26 bits name the link type; the bits above describe a frame check sequence.
        let linktype = u32_in(head, 20, swapped) & 0x03FF_FFFF;
        if !LINKTYPES.contains(&linktype) {
            return None;
        }
        Some(ClassicReader {
            input,
            swapped,
            nanos,
            snapshot: libpcap_snapshot(u32_in(head, 16, swapped)),
            linktype,
        })
    }

    /// The same reader on `f(input)` (the input wrapped, at the same place).
    pub fn map_input<S>(self, f: impl FnOnce(R) -> S) -> ClassicReader<S> {
        ClassicReader {
            input: f(self.input),
            swapped: self.swapped,
            nanos: self.nanos,
            snapshot: self.snapshot,
            linktype: self.linktype,
        }
    }

    /// libpcap's link type (`DLT_`) of the file, for compiling a filter.
    pub fn dlt(&self) -> i32 {
        super::pcapng::linktype_to_dlt(self.linktype)
    }

    /// Fills `out` from the input, straight from its buffer when that holds enough (nearly
    /// always); the number of bytes read, fewer only at the end of the file.
    fn fill(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let buffered = self.input.fill_buf()?;
        if let Some(bytes) = buffered.get(..out.len()) {
            out.copy_from_slice(bytes);
            self.input.consume(out.len());
            return Ok(out.len());
        }
        read_up_to(&mut self.input, out)
    }

    /// Appends `n` bytes of the input to `data`, as [`ClassicReader::fill`] does; the number
    /// appended.
    fn append(&mut self, data: &mut Vec<u8>, n: usize) -> io::Result<usize> {
        let buffered = self.input.fill_buf()?;
        if let Some(bytes) = buffered.get(..n) {
            data.extend_from_slice(bytes);
            self.input.consume(n);
            return Ok(n);
        }
        let start = data.len();
        data.resize(start + n, 0);
        let got = read_up_to(&mut self.input, &mut data[start..])?;
        data.truncate(start + got);
        Ok(got)
    }

    /// A time field as libpcap reads it: a signed 32-bit number in a file of this machine's
    /// byte order, an unsigned one in a file of the other (its byte swap gives an unsigned
    /// value).
    fn time_field(&self, b: &[u8; 16], at: usize) -> i64 {
        let raw = u32_in(b, at, self.swapped);
        if self.swapped == cfg!(target_endian = "little") {
            i64::from(raw)
        } else {
            i64::from(raw as i32)
        }
    }

    /// The next record, its captured bytes in `data`; `Ok(None)` at the end of the file. The
    /// error is libpcap's text for the same damage.
    pub fn next(&mut self, data: &mut Vec<u8>) -> Result<Option<Record>, String> {
        let mut header = [0u8; 16];
        match self.fill(&mut header).map_err(read_error)? {
            0 => return Ok(None),
            16 => {}
            got => {
                return Err(format!(
                    "truncated dump file; tried to read 16 header bytes, only got {got}"
                ));
            }
        }
        let secs = self.time_field(&header, 0);
        let frac = self.time_field(&header, 4);
        let caplen = u32_in(&header, 8, self.swapped);
        let origlen = u32_in(&header, 12, self.swapped);
        if caplen > MAX_RECORD {
            return Err(if caplen > self.snapshot {
                format!(
                    "invalid packet capture length {caplen}, bigger than snaplen of {}",
                    self.snapshot
                )
            } else {
                format!(
                    "invalid packet capture length {caplen}, bigger than maximum of {MAX_RECORD}"
                )
            });
        }
        let kept = caplen.min(self.snapshot);
        data.clear();
        let got = self.append(data, kept as usize).map_err(read_error)?;
        if got < kept as usize {
            return Err(format!(
                "truncated dump file; tried to read {kept} captured bytes, only got {got}"
            ));
        }
        if caplen > kept {
            // Past the snapshot length: skipped, as libpcap does.
            let rest = u64::from(caplen - kept);
            let skipped =
                io::copy(&mut (&mut self.input).take(rest), &mut io::sink()).map_err(read_error)?;
            if skipped < rest {
                return Err(format!(
                    "truncated dump file; tried to read {caplen} captured bytes, only got {}",
                    u64::from(kept) + skipped
                ));
            }
        }
        Ok(Some(Record {
            secs,
            frac_nanos: if self.nanos { frac } else { frac * 1000 },
            origlen,
        }))
    }
}

/// A snapshot length as libpcap adjusts it for the link types read here: 0 and lengths past
/// `INT_MAX` become its largest record.
pub(super) fn libpcap_snapshot(snaplen: u32) -> u32 {
    if snaplen == 0 || snaplen > i32::MAX as u32 {
        MAX_RECORD
    } else {
        snaplen
    }
}

/// The 32-bit number at `at` of a header, in the file's byte order (`swapped`: big-endian,
/// the other one than the little-endian magic says).
pub(super) fn u32_in(b: &[u8], at: usize, swapped: bool) -> u32 {
    let b = [b[at], b[at + 1], b[at + 2], b[at + 3]];
    if swapped {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    }
}

/// The 16-bit number at `at` of a header, in the file's byte order.
pub(super) fn u16_in(b: &[u8], at: usize, swapped: bool) -> u16 {
    let b = [b[at], b[at + 1]];
    if swapped {
        u16::from_be_bytes(b)
    } else {
        u16::from_le_bytes(b)
    }
}

/// libpcap's words for a failed read.
fn read_error(e: io::Error) -> String {
    format!("error reading dump file: {e}")
}

/// Reads until `buf` is full or the input ends; the number of bytes read.
pub(super) fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::capture::{FileSource, PacketSource};
    use proptest::prelude::*;

    /// What a source gives for a file: each packet's number, time, link type, bytes and
    /// wire length, then the error that ended it, if any.
    pub(in crate::capture) type Seen = (Vec<(u64, String, String, Vec<u8>, u32)>, Option<String>);

    pub(in crate::capture) fn read_all(
        path: &str,
        filter: Option<&str>,
        libpcap_only: bool,
    ) -> Seen {
        let mut source = FileSource::new(vec![path.to_string()], filter.map(str::to_string));
        if libpcap_only {
            source = source.libpcap_only();
        }
        let mut seen = Vec::new();
        loop {
            match source.next_packet() {
                Ok(Some(p)) => seen.push((
                    p.index,
                    p.ts.to_string(),
                    format!("{:?}", p.linktype),
                    p.data.to_vec(),
                    p.origlen,
                )),
                Ok(None) => return (seen, None),
                Err(e) => return (seen, Some(e.message)),
            }
        }
    }

    /// One record: seconds, fraction, the caplen field (the data's length unless given),
    /// the data, the wire length.
    type Rec = (u32, u32, Option<u32>, Vec<u8>, u32);

    fn file_bytes(
        swapped: bool,
        nanos: bool,
        minor: u16,
        snaplen: u32,
        linktype: u32,
        recs: &[Rec],
    ) -> Vec<u8> {
        let w32 = |out: &mut Vec<u8>, v: u32| {
            out.extend_from_slice(&if swapped {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            })
        };
        let w16 = |out: &mut Vec<u8>, v: u16| {
            out.extend_from_slice(&if swapped {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            })
        };
        let mut out = Vec::new();
        w32(&mut out, if nanos { 0xA1B2_3C4D } else { 0xA1B2_C3D4 });
        w16(&mut out, 2);
        w16(&mut out, minor);
        w32(&mut out, 0);
        w32(&mut out, 0);
        w32(&mut out, snaplen);
        w32(&mut out, linktype);
        for (secs, frac, caplen, data, origlen) in recs {
            w32(&mut out, *secs);
            w32(&mut out, *frac);
            w32(&mut out, caplen.unwrap_or(data.len() as u32));
            w32(&mut out, *origlen);
            out.extend_from_slice(data);
        }
        out
    }

    fn compare(bytes: &[u8], filter: Option<&str>) -> Result<(), TestCaseError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.pcap");
        std::fs::write(&path, bytes).unwrap();
        let path = path.to_str().unwrap();
        let ours = read_all(path, filter, false);
        let libpcap = read_all(path, filter, true);
        prop_assert_eq!(ours, libpcap);
        // As a stream (gzip-compressed, decompressed through a pipe): our reader after the
        // header it reads from the stream, or libpcap given the header again.
        use std::io::Write;
        let gz_path = dir.path().join("f.pcap.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
        let gz_path = gz_path.to_str().unwrap();
        prop_assert_eq!(
            read_all(gz_path, filter, false),
            read_all(gz_path, filter, true)
        );
        Ok(())
    }

    fn record() -> impl Strategy<Value = Rec> {
        (
            prop_oneof![any::<u32>(), 0u32..2_000_000_000, Just(0x8000_0000u32)],
            prop_oneof![any::<u32>(), 0u32..1_000_000, 999_999_000u32..1_000_001_000],
            prop_oneof![
                6 => Just(None),
                1 => (0u32..400).prop_map(Some),
                1 => prop_oneof![Just(262_144u32), Just(262_145), Just(300_000), Just(u32::MAX)]
                    .prop_map(Some),
            ],
            // An Ethernet frame carrying IPv4 now and then, so that a filter keeps some.
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..120),
                proptest::collection::vec(any::<u8>(), 20..80).prop_map(|mut v| {
                    v.splice(0..0, [0u8; 12].iter().copied().chain([0x08, 0x00, 0x45]));
                    v
                }),
            ],
            prop_oneof![any::<u32>(), 0u32..200],
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Whatever the header, records, damage and filter, our reader and libpcap give the
        /// same packets and the same final error.
        #[test]
        fn reads_as_libpcap_does(
            swapped in any::<bool>(),
            nanos in any::<bool>(),
            minor in prop_oneof![8 => Just(4u16), 1 => Just(3u16), 1 => Just(2u16)],
            snaplen in prop_oneof![
                Just(0u32), Just(16), Just(60), Just(1514), Just(65_535), Just(262_144),
                Just(300_000), Just(0x8000_0000),
            ],
            linktype in prop_oneof![
                Just(1u32), Just(101), Just(113), Just(0), Just(276), Just(228), Just(147),
                Just(1 | 0x1000_0000),
            ],
            recs in proptest::collection::vec(record(), 0..6),
            cut in proptest::option::of(any::<proptest::sample::Index>()),
            filter in proptest::option::of(Just("ip")),
        ) {
            let mut bytes = file_bytes(swapped, nanos, minor, snaplen, linktype, &recs);
            if let Some(cut) = cut {
                // Past the file header, which libpcap checks for both readers alike.
                let len = 24 + cut.index(bytes.len() - 23);
                bytes.truncate(len);
            }
            compare(&bytes, filter)?;
        }
    }

    #[test]
    fn takes_only_the_files_it_reads_exactly() {
        let head = |swapped, nanos, minor, linktype| {
            let bytes = file_bytes(swapped, nanos, minor, 65_535, linktype, &[]);
            <[u8; 24]>::try_from(&bytes[..24]).unwrap()
        };
        let takes = |h: [u8; 24]| ClassicReader::after_header(&h, io::empty()).is_some();
        assert!(takes(head(false, false, 4, 1)));
        assert!(takes(head(true, true, 4, 113)));
        assert!(takes(head(false, true, 4, 1 | 0x1000_0000)));
        // Older versions (lengths maybe the other way round) and other link types: libpcap.
        assert!(!takes(head(false, false, 3, 1)));
        assert!(!takes(head(false, false, 4, 147)));
        let mut ng = head(false, false, 4, 1);
        ng[..4].copy_from_slice(&[0x0A, 0x0D, 0x0D, 0x0A]);
        assert!(!takes(ng));
    }

    /// The records of every bundled classic pcap file come out as libpcap gives them.
    #[test]
    fn bundled_captures_read_as_libpcap_reads_them() {
        bundled_read_as_libpcap_reads_them(crate::capture::FileKind::Pcap);
    }

    /// Every bundled capture of `kind` (there is at least one) gives packets, and the same
    /// ones from our reader as from libpcap.
    pub(in crate::capture) fn bundled_read_as_libpcap_reads_them(kind: crate::capture::FileKind) {
        let files = bundled(kind);
        assert!(!files.is_empty(), "no {kind:?} file in captures/");
        for name in &files {
            let ours = read_all(name, None, false);
            assert!(!ours.0.is_empty(), "{name}");
            assert_eq!(ours, read_all(name, None, true), "{name}");
        }
    }

    /// The bundled captures (in `captures/`) of one kind, by path.
    fn bundled(kind: crate::capture::FileKind) -> Vec<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/captures");
        let mut out: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && crate::capture::FileKind::sniff(&std::fs::read(p).unwrap_or_default())
                        == Some(kind)
            })
            .filter_map(|p| p.to_str().map(str::to_string))
            .collect();
        out.sort();
        out
    }
}
