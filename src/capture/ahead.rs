//! Reading ahead: a source's packets read on a thread of their own, handed over in blocks.
//!
//! Why: reading a capture file (the system calls that copy it from the page cache, and
//! cutting it into records) is about a third of what the capture layer costs, and it needs
//! nothing from the decoding. On a machine with two processors [`ReadAhead`] does it on a
//! second thread while the first reassembles and decodes the packets read before, so the
//! decoding thread, which sets the pace of every offline command, does less.
//!
//! What it guarantees: the packets, the source's notices and its error come out exactly as
//! the source gives them, in the same order, each notice after the same packet; only the
//! thread that reads them differs. What is read ahead has a cap: at most [`BLOCKS_AHEAD`]
//! blocks wait, and five are made in all; each is closed once it holds [`BLOCK_BYTES`] of
//! packet bytes (so at most that and one packet more) or [`BLOCK_PACKETS`] packets; and the
//! reading thread waits while more than [`AHEAD_BYTES`] are handed over and not given back,
//! so that very large packets cross one at a time. A panic on the reading thread is passed
//! on to the reader of the packets. If the packets stop being read (an output failed), the
//! reading thread stops at its next hand-over.
//!
//! A block is handed over when it is full or the source has ended, so this is for sources
//! whose next packet is never long in coming: files on disk. Live captures, standard input
//! and named pipes do not use it: a packet that has come would wait in a half-full block
//! for packets that have not (and a reader of `--line-buffered` output for its line).
//! Nor does `transcripts`, whose decoding and writing threads already keep two processors
//! busy (`src/app.rs`).

use super::{CaptureError, LinkType, PacketSource, RawPacket, SourceNotice, Timestamp};
use std::collections::VecDeque;
use std::sync::mpsc;
use std::thread::JoinHandle;

/// Packet bytes a block gathers before it is handed over.
pub const BLOCK_BYTES: usize = 1 << 18;
/// Packets a block gathers before it is handed over, at most.
pub const BLOCK_PACKETS: usize = 2048;
/// Blocks read and waiting to be decoded, at most.
pub const BLOCKS_AHEAD: usize = 2;
/// Blocks made, at most: those waiting, the one being filled, the one being read out, and
/// one on its way back. They go round rather than being made and freed, because a new
/// block is paid in page faults, and a freed one in the other processor's TLB flush.
const BLOCKS: usize = BLOCKS_AHEAD + 3;
/// Packet bytes handed over and not yet given back, past which the reading thread waits for
/// blocks to come back: room for the blocks waiting, the one being read out and one more,
/// so that it never waits for this in the steady state. A block may hold one packet past
/// [`BLOCK_BYTES`], and a pcapng file may hold packets of up to 16 MiB: those are read one
/// at a time.
pub const AHEAD_BYTES: usize = (BLOCKS_AHEAD + 2) * BLOCK_BYTES;
/// What a block's bytes are made to hold; a block that grew past it for a large packet is
/// made anew rather than kept that large.
const BLOCK_CAPACITY: usize = BLOCK_BYTES + (1 << 16);

/// A packet of a block: where its bytes are in the block's `data`, and the rest of the
/// source's [`RawPacket`].
#[derive(Clone, Copy)]
struct Meta {
    index: u64,
    ts: Timestamp,
    linktype: LinkType,
    start: usize,
    len: usize,
    origlen: u32,
}

/// Packets read together, their notices, and, in the last block, how the source ended.
#[derive(Default)]
struct Block {
    data: Vec<u8>,
    packets: Vec<Meta>,
    /// Each notice with the number of the block's packets read before it came, one more
    /// for those that came with the end.
    notices: VecDeque<(usize, SourceNotice)>,
    /// `Some` in the last block: the end of the packets, or the source's error.
    end: Option<Result<(), CaptureError>>,
}

impl Block {
    fn new() -> Block {
        Block {
            data: Vec::with_capacity(BLOCK_CAPACITY),
            packets: Vec::with_capacity(BLOCK_PACKETS),
            ..Block::default()
        }
    }

    fn clear(&mut self) {
        self.data.clear();
        self.packets.clear();
        self.notices.clear();
        self.end = None;
    }
}

/// A [`PacketSource`] that gives `S`'s packets, read on this thread or on one of its own.
pub struct ReadAhead<S> {
    how: How<S>,
}

enum How<S> {
    Here(S),
    Apart(Apart),
}

/// The reading end of a source read on another thread.
struct Apart {
    blocks: mpsc::Receiver<Block>,
    /// Blocks read out, to fill again (the reading thread makes a new one when none came
    /// back).
    back: mpsc::SyncSender<Block>,
    /// The block being read out, and how many of its packets have been given.
    block: Block,
    given: usize,
    /// The source has ended (its end has been given).
    ended: bool,
    thread: Option<JoinHandle<()>>,
}

impl<S: PacketSource + Send + 'static> ReadAhead<S> {
    /// `source`, read on a thread of its own when `apart`, else here (as `source` itself).
    /// Fails only when the system has no thread to give.
    pub fn new(source: S, apart: bool) -> std::io::Result<ReadAhead<S>> {
        if !apart {
            return Ok(ReadAhead {
                how: How::Here(source),
            });
        }
        let (tx, blocks) = mpsc::sync_channel(BLOCKS_AHEAD);
        let (back, back_rx) = mpsc::sync_channel(BLOCKS);
        let thread = std::thread::Builder::new()
            .name("read".into())
            .spawn(move || read(source, &tx, &back_rx))
            .map_err(|e| std::io::Error::other(format!("cannot start the reading thread: {e}")))?;
        Ok(ReadAhead {
            how: How::Apart(Apart {
                blocks,
                back,
                block: Block::default(),
                given: 0,
                ended: false,
                thread: Some(thread),
            }),
        })
    }
}

/// The reading thread: fills blocks from `source` and hands them over, until the source
/// ends or nobody reads them any more.
fn read<S: PacketSource>(
    mut source: S,
    tx: &mpsc::SyncSender<Block>,
    back: &mpsc::Receiver<Block>,
) {
    // Blocks given back and not yet filled again, how many were made, and the packet bytes
    // handed over and not given back.
    let mut free: Vec<Block> = Vec::with_capacity(BLOCKS);
    let mut made = 0;
    let mut out = 0;
    fn given_back(block: Block, out: &mut usize, free: &mut Vec<Block>) {
        *out -= block.data.len();
        free.push(block);
    }
    loop {
        while let Ok(block) = back.try_recv() {
            given_back(block, &mut out, &mut free);
        }
        // Too much out, or every block out: wait for one to come back (none comes when the
        // packets are no longer read).
        while out > AHEAD_BYTES || (free.is_empty() && made == BLOCKS) {
            match back.recv() {
                Ok(block) => given_back(block, &mut out, &mut free),
                Err(_) => return,
            }
        }
        let mut block = match free.pop() {
            Some(block) if block.data.capacity() <= BLOCK_CAPACITY => block,
            // Grown for a large packet: made anew, its memory given back now.
            Some(_) => Block::new(),
            None => {
                made += 1;
                Block::new()
            }
        };
        block.clear();
        loop {
            match source.next_packet() {
                Ok(Some(p)) => {
                    let start = block.data.len();
                    block.data.extend_from_slice(p.data);
                    block.packets.push(Meta {
                        index: p.index,
                        ts: p.ts,
                        linktype: p.linktype,
                        start,
                        len: p.data.len(),
                        origlen: p.origlen,
                    });
                }
                Ok(None) => block.end = Some(Ok(())),
                Err(e) => block.end = Some(Err(e)),
            }
            // Notices that came with a packet follow it; those that came with the end follow
            // the end.
            let after = block.packets.len() + usize::from(block.end.is_some());
            while let Some(n) = source.take_notice() {
                block.notices.push_back((after, n));
            }
            if block.end.is_some()
                || block.data.len() >= BLOCK_BYTES
                || block.packets.len() >= BLOCK_PACKETS
            {
                break;
            }
        }
        let last = block.end.is_some();
        out += block.data.len();
        if tx.send(block).is_err() || last {
            return;
        }
    }
}

impl Apart {
    /// Makes the next packet the one at `given` in `block`: `Ok(false)` at the source's end.
    fn ready(&mut self) -> Result<bool, CaptureError> {
        while self.given == self.block.packets.len() {
            if self.ended {
                return Ok(false);
            }
            if let Some(end) = self.block.end.take() {
                self.ended = true;
                return end.map(|()| false);
            }
            // Read out: given back first, so that the reading thread can go on whatever it
            // waits for; the notices not asked for yet stay, ahead of the next block's. (The
            // empty block this side starts with is not the reading thread's: not given.)
            let mut done = std::mem::take(&mut self.block);
            let kept = std::mem::take(&mut done.notices);
            if done.packets.capacity() > 0 {
                let _ = self.back.try_send(done);
            }
            self.given = 0;
            let next = match self.blocks.recv() {
                Ok(next) => next,
                Err(_) => {
                    // The reading thread is gone without an end: it panicked.
                    self.ended = true;
                    if let Some(t) = self.thread.take()
                        && let Err(panic) = t.join()
                    {
                        std::panic::resume_unwind(panic);
                    }
                    return Ok(false);
                }
            };
            self.block = next;
            for (_, n) in kept.into_iter().rev() {
                self.block.notices.push_front((0, n));
            }
        }
        Ok(true)
    }
}

impl<S: PacketSource> PacketSource for ReadAhead<S> {
    fn next_packet(&mut self) -> Result<Option<RawPacket<'_>>, CaptureError> {
        let apart = match &mut self.how {
            How::Here(source) => return source.next_packet(),
            How::Apart(apart) => apart,
        };
        if !apart.ready()? {
            return Ok(None);
        }
        let m = apart.block.packets[apart.given];
        apart.given += 1;
        Ok(Some(RawPacket {
            index: m.index,
            ts: m.ts,
            linktype: m.linktype,
            data: &apart.block.data[m.start..m.start + m.len],
            origlen: m.origlen,
        }))
    }

    fn take_notice(&mut self) -> Option<SourceNotice> {
        match &mut self.how {
            How::Here(source) => source.take_notice(),
            How::Apart(apart) => {
                let &(after, _) = apart.block.notices.front()?;
                let given = if apart.ended { usize::MAX } else { apart.given };
                (after <= given)
                    .then(|| apart.block.notices.pop_front().map(|(_, n)| n))
                    .flatten()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    /// What a scripted source does next.
    #[derive(Clone, Debug)]
    enum Step {
        /// A packet of this many bytes.
        Packet(usize),
        /// A notice, reported after the next packet (or at the end).
        Notice,
        /// The end: an error with this text, or the end of the packets.
        End(Option<String>),
        Panic,
    }

    /// A source that follows a script, then goes on with empty packets for ever when the
    /// script has no end; it counts the packets it gave and says when it is dropped.
    struct Scripted {
        steps: Vec<Step>,
        at: usize,
        index: u64,
        notices: VecDeque<SourceNotice>,
        data: Vec<u8>,
        given: Arc<AtomicU64>,
        dropped: Arc<AtomicBool>,
    }

    impl Scripted {
        fn new(steps: Vec<Step>) -> Scripted {
            Scripted {
                steps,
                at: 0,
                index: 0,
                notices: VecDeque::new(),
                data: Vec::new(),
                given: Arc::default(),
                dropped: Arc::default(),
            }
        }

        fn packet(&mut self, len: usize) -> RawPacket<'_> {
            self.index += 1;
            self.given.fetch_add(1, Ordering::SeqCst);
            // Bytes that differ from packet to packet, so a packet given from the wrong place
            // shows.
            self.data.clear();
            self.data
                .extend((0..len).map(|i| (i as u64).wrapping_mul(31) as u8 ^ self.index as u8));
            RawPacket {
                index: self.index,
                ts: Timestamp {
                    secs: self.index as i64,
                    nanos: 7,
                },
                linktype: LinkType::Ethernet,
                data: &self.data,
                origlen: len as u32 + 4,
            }
        }
    }

    impl Drop for Scripted {
        fn drop(&mut self) {
            self.dropped.store(true, Ordering::SeqCst);
        }
    }

    impl PacketSource for Scripted {
        fn next_packet(&mut self) -> Result<Option<RawPacket<'_>>, CaptureError> {
            loop {
                let Some(step) = self.steps.get(self.at).cloned() else {
                    return Ok(Some(self.packet(0)));
                };
                self.at += 1;
                match step {
                    Step::Packet(len) => return Ok(Some(self.packet(len))),
                    Step::Notice => self.notices.push_back(SourceNotice {
                        name: "test.notice",
                        detail: format!("before step {}", self.at),
                    }),
                    Step::End(None) => return Ok(None),
                    Step::End(Some(message)) => {
                        return Err(CaptureError {
                            source: "scripted".into(),
                            message,
                        });
                    }
                    Step::Panic => panic!("the scripted source panics"),
                }
            }
        }

        fn take_notice(&mut self) -> Option<SourceNotice> {
            self.notices.pop_front()
        }
    }

    /// What the pipeline sees of a source, asked as the pipeline asks: a packet, then its
    /// notices, until the end, then the notices left.
    fn seen(source: &mut dyn PacketSource) -> Vec<String> {
        seen_asking(source, true)
    }

    /// [`seen`], asking for notices after every packet or only at the end (none may be
    /// lost then).
    fn seen_asking(source: &mut dyn PacketSource, every_packet: bool) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            match source.next_packet() {
                Ok(Some(p)) => seen.push(format!(
                    "packet {} {:?} {:?} {} {:?}",
                    p.index, p.ts, p.linktype, p.origlen, p.data
                )),
                Ok(None) => {
                    seen.push("end".into());
                    break;
                }
                Err(e) => {
                    seen.push(format!("error {e}"));
                    break;
                }
            }
            while every_packet && let Some(n) = source.take_notice() {
                seen.push(format!("notice {} {}", n.name, n.detail));
            }
        }
        while let Some(n) = source.take_notice() {
            seen.push(format!("notice {} {}", n.name, n.detail));
        }
        seen
    }

    /// The first place where two views differ, if any (the whole views are too long to
    /// print).
    fn first_difference(
        a: &[String],
        b: &[String],
    ) -> Option<(usize, Option<String>, Option<String>)> {
        (0..a.len().max(b.len()))
            .find(|&i| a.get(i) != b.get(i))
            .map(|i| (i, a.get(i).cloned(), b.get(i).cloned()))
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (0usize..70_000).prop_map(Step::Packet),
            4 => (0usize..64).prop_map(Step::Packet),
            2 => Just(Step::Notice),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Packets, notices and the end come out as the source gives them, in the same
        /// order, whether blocks end on a byte count, a packet count or the source's end.
        #[test]
        fn gives_what_the_source_gives_in_the_same_order(
            mut steps in proptest::collection::vec(step(), 0..60),
            error in proptest::option::of("[a-z ]{1,12}"),
        ) {
            steps.push(Step::End(error));
            for every_packet in [true, false] {
                let direct = seen_asking(&mut Scripted::new(steps.clone()), every_packet);
                let mut ahead = ReadAhead::new(Scripted::new(steps.clone()), true).expect("thread");
                let ahead = seen_asking(&mut ahead, every_packet);
                prop_assert_eq!(first_difference(&direct, &ahead), None);
            }
        }
    }

    #[test]
    fn many_small_packets_cross_blocks_with_their_notices() {
        let mut steps = Vec::new();
        for i in 0..3 * BLOCK_PACKETS + 5 {
            if i % 700 == 0 {
                steps.extend([Step::Notice, Step::Notice]);
            }
            steps.push(Step::Packet(i % 5));
        }
        steps.extend([Step::Notice, Step::End(None)]);
        let direct = seen(&mut Scripted::new(steps.clone()));
        assert_eq!(direct.len(), 3 * BLOCK_PACKETS + 5 + 2 * 9 + 1 + 1);
        let here = seen(&mut ReadAhead::new(Scripted::new(steps.clone()), false).expect("here"));
        assert_eq!(first_difference(&direct, &here), None);
        let ahead = seen(&mut ReadAhead::new(Scripted::new(steps), true).expect("thread"));
        assert_eq!(first_difference(&direct, &ahead), None);
    }

    #[test]
    fn a_panic_while_reading_is_passed_on() {
        let steps = vec![Step::Packet(10), Step::Packet(20), Step::Panic];
        let mut ahead = ReadAhead::new(Scripted::new(steps), true).expect("thread");
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut packets = 0;
            while let Ok(Some(_)) = ahead.next_packet() {
                packets += 1;
            }
            packets
        }));
        let panic = caught.expect_err("the reading thread's panic reaches the reader");
        assert_eq!(
            panic.downcast_ref::<&str>(),
            Some(&"the scripted source panics")
        );
    }

    /// Packets larger than what may be out at once cross one at a time: the reading
    /// thread waits for each block to come back before it reads the next packet, however
    /// long the reader takes. (Bounded by blocks alone, it read five ahead.)
    #[test]
    fn very_large_packets_are_read_one_at_a_time() {
        let big = 2 * AHEAD_BYTES;
        let mut steps = vec![Step::Packet(big); 6];
        steps.push(Step::End(None));
        let direct = seen(&mut Scripted::new(steps.clone()));
        let source = Scripted::new(steps);
        let given = source.given.clone();
        let mut ahead = ReadAhead::new(source, true).expect("thread");
        assert!(matches!(ahead.next_packet(), Ok(Some(p)) if p.data.len() == big));
        for _ in 0..20 {
            std::thread::sleep(std::time::Duration::from_millis(10));
            assert!(
                given.load(Ordering::SeqCst) <= 1,
                "read ahead of a large packet"
            );
        }
        // The rest comes as the source gives it.
        let mut rest = vec![direct[0].clone()];
        rest.extend(seen(&mut ahead));
        assert_eq!(first_difference(&direct, &rest), None);
    }

    #[test]
    fn reads_at_most_a_few_blocks_ahead_and_stops_when_dropped() {
        // A source without end, of empty packets: only the blocks' packet cap stops a block.
        let source = Scripted::new(Vec::new());
        let (given, dropped) = (source.given.clone(), source.dropped.clone());
        let mut ahead = ReadAhead::new(source, true).expect("thread");
        assert!(matches!(ahead.next_packet(), Ok(Some(_))));
        // However long the reading thread runs, it stops when every block is out: the one
        // being read out, those waiting, and the one it fills. (Unbounded, it would read
        // millions of packets in this time.)
        let cap = (BLOCKS as u64 + 1) * BLOCK_PACKETS as u64;
        for _ in 0..20 {
            std::thread::sleep(std::time::Duration::from_millis(10));
            assert!(given.load(Ordering::SeqCst) <= cap);
        }
        assert!(given.load(Ordering::SeqCst) >= BLOCK_PACKETS as u64);
        // Read out, then dropped: the thread notices at its next hand-over and lets go of
        // the source.
        for _ in 0..3 * BLOCK_PACKETS {
            assert!(matches!(ahead.next_packet(), Ok(Some(_))));
        }
        drop(ahead);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !dropped.load(Ordering::SeqCst) {
            assert!(
                std::time::Instant::now() < deadline,
                "the reading thread went on"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}
