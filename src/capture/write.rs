//! Writing the packets of a live run to a pcap file (`live -w FILE`), so the session can be
//! read again with `msnsniff read` or Wireshark.
//!
//! Why a module of its own: with `--write-msn-only` the writer keeps just the MSN
//! connections' packets, and a connection found by its first bytes is known to be MSN only
//! after its handshake has passed. Those first packets are held (at most
//! [`MAX_HELD_PACKETS`] per connection, for at most [`MAX_HELD_CONNECTIONS`] connections,
//! the oldest given up first) and written, in their order, once the flow table decides; so a
//! written connection starts with its SYN as it did on the wire. Without the option every
//! packet is written as it comes.
//!
//! Guarantees: packets are written in capture order, except that held packets of a
//! connection decided later are written when it is decided (before its next packet); memory
//! is bounded by the two caps above; the file is flushed at the end of the run.

use super::{ConnKey, Membership, PacketTap, RawPacket};
use crate::bounded::FifoMap;
use pcap::{PacketHeader, Savefile};
use std::io;

/// Packets held per undecided connection; the flow table decides within 16 packets.
pub const MAX_HELD_PACKETS: usize = 24;

/// Undecided connections whose packets are held at once.
pub const MAX_HELD_CONNECTIONS: usize = 4096;

struct HeldPacket {
    secs: i64,
    nanos: u32,
    origlen: u32,
    data: Vec<u8>,
}

/// Writes packets to a savefile (see the module documentation).
pub struct PcapWriter {
    file: Savefile,
    msn_only: bool,
    held: FifoMap<ConnKey, Vec<HeldPacket>>,
    /// Packets written so far.
    pub written: u64,
}

impl PcapWriter {
    pub fn new(file: Savefile, msn_only: bool) -> PcapWriter {
        PcapWriter {
            file,
            msn_only,
            held: FifoMap::new(MAX_HELD_CONNECTIONS),
            written: 0,
        }
    }

    fn write(&mut self, secs: i64, nanos: u32, origlen: u32, data: &[u8]) {
        // The savefile was opened from a nanosecond capture: libpcap keeps the nanoseconds
        // in `tv_usec` and writes a nanosecond file.
        let header = PacketHeader {
            ts: libc::timeval {
                tv_sec: secs as libc::time_t,
                tv_usec: nanos as libc::suseconds_t,
            },
            caplen: data.len() as u32,
            len: origlen,
        };
        self.file.write(&pcap::Packet::new(&header, data));
        self.written += 1;
    }
}

impl PacketTap for PcapWriter {
    fn packet(&mut self, p: &RawPacket<'_>, membership: Membership) -> io::Result<()> {
        if !self.msn_only {
            self.write(p.ts.secs, p.ts.nanos, p.origlen, p.data);
            return Ok(());
        }
        match membership {
            Membership::Msn(key) => {
                if let Some(held) = self.held.remove(&key) {
                    for h in held {
                        self.write(h.secs, h.nanos, h.origlen, &h.data);
                    }
                }
                self.write(p.ts.secs, p.ts.nanos, p.origlen, p.data);
            }
            Membership::Undecided(key) => {
                let copy = HeldPacket {
                    secs: p.ts.secs,
                    nanos: p.ts.nanos,
                    origlen: p.origlen,
                    data: p.data.to_vec(),
                };
                match self.held.get_mut(&key) {
                    Some(list) if list.len() < MAX_HELD_PACKETS => list.push(copy),
                    Some(_) => {}
                    None => {
                        self.held.insert(key, vec![copy]);
                    }
                }
            }
            Membership::Other(key) => {
                if let Some(key) = key {
                    self.held.remove(&key);
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.file
            .flush()
            .map_err(|e| io::Error::other(format!("writing the capture file: {e}")))
    }
}
