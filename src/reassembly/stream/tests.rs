//! Tests of one direction's reassembly. Every test starts its stream near the 2^32 wrap.

use super::*;
use proptest::prelude::*;

/// Stream offset 0 is ISN + 1 = u32::MAX - 2: the wrap falls at offset 3.
const ISN: u32 = u32::MAX - 3;

fn seq(off: u64) -> u32 {
    SeqNum(ISN).plus(1 + off).0
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Data(u64, Vec<u8>),
    Gap(u64, u64, GapReason),
    Fin(u64),
    Anomaly(&'static str),
}

struct T {
    s: HalfStream,
    evs: Vec<Ev>,
}

impl T {
    fn new() -> T {
        T::with(Limits::default())
    }
    fn with(limits: Limits) -> T {
        let mut s = HalfStream::new(limits);
        s.syn(ISN);
        T { s, evs: Vec::new() }
    }
    fn seg(&mut self, off: u64, data: &[u8]) -> &mut Self {
        self.seg_full(off, data, 0, false)
    }
    fn seg_full(&mut self, off: u64, data: &[u8], missing: u32, fin: bool) -> &mut Self {
        let evs = &mut self.evs;
        self.s
            .segment(seq(off), data, missing, fin, &mut |e| evs.push(own(e)));
        self
    }
    fn ack(&mut self, off: u64) -> &mut Self {
        let evs = &mut self.evs;
        self.s.acked(seq(off), &mut |e| evs.push(own(e)));
        self
    }
    fn finish(&mut self) -> &mut Self {
        let evs = &mut self.evs;
        self.s.finish(GapReason::Eof, &mut |e| evs.push(own(e)));
        self
    }
    /// Delivered bytes, with `_` for each byte of a gap.
    fn picture(&self) -> String {
        let mut s = String::new();
        for e in &self.evs {
            match e {
                Ev::Data(_, d) => s.push_str(&String::from_utf8_lossy(d)),
                Ev::Gap(_, n, _) => s.push_str(&"_".repeat(*n as usize)),
                _ => {}
            }
        }
        s
    }
    fn anomalies(&self) -> Vec<&'static str> {
        self.evs
            .iter()
            .filter_map(|e| match e {
                Ev::Anomaly(n) => Some(*n),
                _ => None,
            })
            .collect()
    }
}

fn own(e: HalfEvent<'_>) -> Ev {
    match e {
        HalfEvent::Data { offset, bytes } => Ev::Data(offset, bytes.to_vec()),
        HalfEvent::Gap {
            offset,
            len,
            reason,
        } => Ev::Gap(offset, len, reason),
        HalfEvent::Fin { offset } => Ev::Fin(offset),
        HalfEvent::Anomaly { name, .. } => Ev::Anomaly(name),
    }
}

#[test]
fn in_order_bytes_are_delivered_at_once_across_the_wrap() {
    let mut t = T::new();
    t.seg(0, b"abc").seg(3, b"def");
    assert_eq!(
        t.evs,
        vec![Ev::Data(0, b"abc".to_vec()), Ev::Data(3, b"def".to_vec())]
    );
}

#[test]
fn out_of_order_bytes_wait_for_the_hole() {
    let mut t = T::new();
    t.seg(3, b"def");
    assert!(t.evs.is_empty());
    assert_eq!(t.s.buffered_bytes(), 3);
    t.seg(0, b"abc");
    assert_eq!(t.picture(), "abcdef");
    assert_eq!(t.s.buffered_bytes(), 0);
}

#[test]
fn exact_retransmission_is_dropped_silently() {
    let mut t = T::new();
    t.seg(0, b"abc").seg(0, b"abc").seg(3, b"d");
    assert_eq!(t.picture(), "abcd");
    assert!(t.anomalies().is_empty());
}

#[test]
fn partial_overlap_delivers_only_the_new_bytes() {
    let mut t = T::new();
    t.seg(0, b"abcd").seg(2, b"cdef");
    assert_eq!(t.picture(), "abcdef");
    assert_eq!(t.evs.last(), Some(&Ev::Data(4, b"ef".to_vec())));
    assert!(t.anomalies().is_empty());
}

#[test]
fn overlap_with_different_bytes_keeps_the_first_copy_and_says_so() {
    // Against delivered bytes.
    let mut t = T::new();
    t.seg(0, b"abcd").seg(2, b"XYef");
    assert_eq!(t.picture(), "abcdef");
    assert_eq!(t.anomalies(), vec!["tcp.overlap_mismatch"]);
    // Against buffered bytes.
    let mut t = T::new();
    t.seg(4, b"efgh").seg(2, b"cdXXghij").seg(0, b"ab");
    assert_eq!(t.picture(), "abcdefghij");
    assert_eq!(t.anomalies(), vec!["tcp.overlap_mismatch"]);
}

#[test]
fn a_hole_acked_past_becomes_a_gap_after_the_grace_packets() {
    let mut t = T::new();
    t.seg(0, b"ab").seg(5, b"fg").ack(7);
    // The peer's ACKs alone do not give up on the hole; the sender moving on does.
    for _ in 0..20 {
        t.ack(7);
    }
    for i in 0..ACK_GRACE as u64 - 1 {
        t.seg(7 + i, b"x");
    }
    assert_eq!(t.picture(), "ab", "still waiting for the hole");
    t.seg(7 + ACK_GRACE as u64 - 1, b"x");
    assert!(t.picture().starts_with("ab___fg"), "{}", t.picture());
    assert!(t.evs.contains(&Ev::Gap(2, 3, GapReason::Acked)));
}

#[test]
fn an_ack_seen_before_the_data_it_acknowledges_is_not_a_gap() {
    let mut t = T::new();
    t.seg(0, b"ab").ack(7).seg(5, b"fg").ack(7).seg(2, b"cde");
    assert_eq!(t.picture(), "abcdefg");
    assert!(t.evs.iter().all(|e| !matches!(e, Ev::Gap(..))));
}

#[test]
fn an_ack_beyond_everything_seen_reports_the_missing_tail() {
    let mut t = T::new();
    t.seg(0, b"ab").ack(6);
    for i in 0..ACK_GRACE as u64 {
        t.seg(6 + i, b"y");
    }
    assert!(
        t.evs.contains(&Ev::Gap(2, 4, GapReason::Acked)),
        "{:?}",
        t.evs
    );
    // At the end of input, an acknowledged hole is still reported as acknowledged.
    let mut t = T::new();
    t.seg(0, b"ab").seg(5, b"f").ack(6).finish();
    assert!(t.evs.contains(&Ev::Gap(2, 3, GapReason::Acked)));
}

#[test]
fn the_ack_of_an_uncaptured_fin_is_not_a_gap() {
    // Everything seen delivered: the ACK one past it is the FIN's, whichever path gives up.
    let mut t = T::new();
    t.seg(0, b"ab").ack(3);
    assert!(!t.s.has_acked_hole());
    let evs = &mut t.evs;
    t.s.give_up_acked_holes(&mut |e| evs.push(own(e)));
    for i in 0..ACK_GRACE as u64 {
        t.seg(0, &b"ab"[..1 + i as usize % 2]); // retransmissions tick the grace too
    }
    t.finish();
    assert_eq!(t.evs, vec![Ev::Data(0, b"ab".to_vec())]);
    // With a hole before it: the hole is acknowledged past, the FIN's sequence number is not
    // a lost byte.
    let mut t = T::new();
    t.seg(0, b"ab").seg(4, b"ef").ack(7);
    assert!(t.s.has_acked_hole());
    let evs = &mut t.evs;
    t.s.give_up_acked_holes(&mut |e| evs.push(own(e)));
    t.finish();
    assert_eq!(
        t.evs,
        vec![
            Ev::Data(0, b"ab".to_vec()),
            Ev::Gap(2, 2, GapReason::Acked),
            Ev::Data(4, b"ef".to_vec())
        ]
    );
    // And at the end of input.
    let mut t = T::new();
    t.seg(0, b"ab").seg(4, b"ef").ack(7).finish();
    assert_eq!(t.picture(), "ab__ef");
    assert_eq!(t.evs[1], Ev::Gap(2, 2, GapReason::Acked));
}

#[test]
fn an_acknowledged_tail_the_capture_never_saw_is_a_gap_at_the_end() {
    // Issue 7: the peer acknowledged 4 bytes past everything captured, then the input ended.
    let mut t = T::new();
    t.seg(0, b"ab").ack(6).finish();
    assert_eq!(
        t.evs,
        vec![Ev::Data(0, b"ab".to_vec()), Ev::Gap(2, 4, GapReason::Acked)]
    );
    // Behind a hole and buffered bytes: the hole with its reason, then the tail.
    let mut t = T::new();
    t.seg(0, b"a").seg(3, b"d").ack(8).finish();
    assert_eq!(t.picture(), "a__d____");
    assert!(
        t.evs.contains(&Ev::Gap(4, 4, GapReason::Acked)),
        "{:?}",
        t.evs
    );
    // A reset ends the stream the same way.
    let mut t = T::new();
    t.seg(0, b"ab").ack(5);
    let evs = &mut t.evs;
    t.s.finish(GapReason::Reset, &mut |e| evs.push(own(e)));
    assert_eq!(t.evs.last(), Some(&Ev::Gap(2, 3, GapReason::Acked)));
    // With the FIN seen, the tail ends at the FIN, which is reported after it.
    let mut t = T::new();
    t.seg(0, b"ab").seg_full(5, b"", 0, true).ack(6).finish();
    assert_eq!(
        t.evs,
        vec![
            Ev::Data(0, b"ab".to_vec()),
            Ev::Gap(2, 3, GapReason::Acked),
            Ev::Fin(5)
        ]
    );
}

#[test]
fn acks_behind_or_absurdly_far_ahead_are_ignored() {
    let mut t = T::new();
    t.seg(0, b"ab").ack(1).ack(2);
    assert_eq!(t.picture(), "ab");
    t.ack(MAX_JUMP + 100);
    assert_eq!(t.anomalies(), vec!["tcp.ack_far_ahead"]);
}

#[test]
fn holes_open_at_the_end_become_gaps_and_buffered_bytes_are_delivered() {
    let mut t = T::new();
    t.seg(0, b"a").seg(3, b"d").seg(6, b"g").finish();
    assert_eq!(t.picture(), "a__d__g");
    assert!(t.evs.contains(&Ev::Gap(1, 2, GapReason::Eof)));
}

#[test]
fn fin_with_a_hole_before_it_waits_for_the_hole() {
    let mut t = T::new();
    t.seg_full(3, b"def", 0, true);
    assert!(t.evs.is_empty());
    t.seg(0, b"abc");
    assert_eq!(t.picture(), "abcdef");
    assert_eq!(t.evs.last(), Some(&Ev::Fin(6)));
    // And at the end when the hole never fills.
    let mut t = T::new();
    t.seg_full(3, b"def", 0, true).finish();
    assert_eq!(t.picture(), "___def");
    assert_eq!(t.evs.last(), Some(&Ev::Fin(6)));
}

#[test]
fn a_bare_fin_with_missing_data_before_it_gives_a_gap_at_finish() {
    let mut t = T::new();
    t.seg(0, b"ab").seg_full(5, b"", 0, true).finish();
    assert_eq!(t.picture(), "ab___");
    assert_eq!(t.evs.last(), Some(&Ev::Fin(5)));
}

#[test]
fn data_after_the_fin_is_an_anomaly_and_dropped() {
    let mut t = T::new();
    t.seg_full(0, b"ab", 0, true).seg(2, b"zz");
    assert_eq!(t.picture(), "ab");
    assert_eq!(t.anomalies(), vec!["tcp.data_after_fin"]);
}

#[test]
fn keep_alive_probes_are_dropped_silently() {
    let mut t = T::new();
    t.seg(0, b"abc").seg(2, b"\x00").seg(2, b"").seg(3, b"d");
    assert_eq!(t.picture(), "abcd");
    assert!(t.anomalies().is_empty());
    // A probe before any data sits at the ISN itself.
    let mut t = T::new();
    t.s.segment(ISN, b"\x00", 0, false, &mut |_| {
        panic!("probe must be silent")
    });
}

#[test]
fn a_midstream_capture_starts_at_the_first_segment_seen() {
    let mut s = HalfStream::new(Limits::default());
    let mut evs = Vec::new();
    s.segment(1000, b"VER", 0, false, &mut |e| evs.push(own(e)));
    s.segment(997, b"xyz", 0, false, &mut |e| evs.push(own(e)));
    s.segment(998, b"yzVER 1", 0, false, &mut |e| evs.push(own(e)));
    assert!(s.is_midstream());
    assert_eq!(
        evs,
        vec![
            Ev::Data(0, b"VER".to_vec()),
            Ev::Anomaly("tcp.before_stream_start"),
            Ev::Data(3, b" 1".to_vec())
        ]
    );
}

#[test]
fn bytes_cut_by_the_snaplen_are_a_truncated_gap() {
    let mut t = T::new();
    t.seg_full(0, b"ab", 3, false).seg(5, b"fg");
    assert_eq!(t.picture(), "ab___fg");
    assert!(t.evs.contains(&Ev::Gap(2, 3, GapReason::Truncated)));
}

#[test]
fn the_buffer_cap_turns_the_first_hole_into_a_gap() {
    let mut t = T::with(Limits {
        max_buffered: 3,
        max_segments: 100,
    });
    t.seg(0, b"a").seg(3, b"de").seg(6, b"gh");
    assert_eq!(t.anomalies(), vec!["tcp.buffer_full"]);
    assert!(t.evs.contains(&Ev::Gap(1, 2, GapReason::Capacity)));
    assert_eq!(t.picture(), "a__de");
    assert!(t.s.buffered_bytes() <= 3);
    t.seg(5, b"f");
    assert_eq!(t.picture(), "a__defgh");
}

#[test]
fn the_segment_count_cap_holds_too() {
    let mut t = T::with(Limits {
        max_buffered: 1 << 20,
        max_segments: 2,
    });
    t.seg(2, b"c").seg(4, b"e").seg(6, b"g");
    assert!(t.evs.contains(&Ev::Gap(0, 2, GapReason::Capacity)));
    assert_eq!(t.picture(), "__c");
}

#[test]
fn a_jump_far_ahead_is_dropped() {
    let mut t = T::new();
    t.seg(0, b"a").seg(MAX_JUMP + 10, b"zz").seg(1, b"b");
    assert_eq!(t.picture(), "ab");
    assert_eq!(t.anomalies(), vec!["tcp.seq_far_ahead"]);
}

#[test]
fn segments_after_finish_are_ignored() {
    let mut t = T::new();
    t.seg(0, b"a").finish().seg(1, b"b");
    assert_eq!(t.picture(), "a");
    assert_eq!(t.anomalies(), vec!["tcp.segment_after_close"]);
}

#[test]
fn offsets_are_64_bit_across_many_wraps() {
    // Push 9 MiB through in 64 KiB segments starting near the wrap; the offset keeps growing.
    let mut t = T::new();
    let chunk = vec![7u8; 65536];
    let mut total = 0u64;
    for i in 0..144u64 {
        let evs = &mut t.evs;
        t.s.segment(seq(i * 65536), &chunk, 0, false, &mut |e| evs.push(own(e)));
        total += 65536;
    }
    assert_eq!(t.s.next_offset(), total);
    assert!(t.anomalies().is_empty());
}

/// Model test: random segments of a random stream, some missing, some duplicated, in random
/// order, against a naive map of which bytes arrived.
fn check_against_model(len: usize, segs: Vec<(usize, usize)>, order: Vec<usize>) {
    let stream: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
    let mut model: Vec<Option<u8>> = vec![None; len];
    let mut t = T::new();
    let mut max_end = 0;
    for &i in &order {
        let (s, l) = segs[i % segs.len()];
        let s = s % len;
        let e = (s + l).min(len);
        for (j, m) in model.iter_mut().enumerate().take(e).skip(s) {
            *m = Some(stream[j]);
        }
        max_end = max_end.max(e);
        t.seg(s as u64, &stream[s..e]);
    }
    t.finish();
    let mut got: Vec<Option<u8>> = Vec::new();
    for e in &t.evs {
        match e {
            Ev::Data(off, d) => {
                assert_eq!(*off as usize, got.len());
                got.extend(d.iter().map(|b| Some(*b)));
            }
            Ev::Gap(off, n, _) => {
                assert_eq!(*off as usize, got.len());
                got.extend(std::iter::repeat_n(None, *n as usize));
            }
            Ev::Anomaly(a) => panic!("unexpected anomaly {a}"),
            Ev::Fin(_) => {}
        }
    }
    assert_eq!(got, model[..max_end].to_vec());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn matches_a_naive_byte_map(
        len in 1usize..400,
        segs in prop::collection::vec((0usize..400, 1usize..60), 1..40),
        order in prop::collection::vec(0usize..40, 1..80),
    ) {
        check_against_model(len, segs, order);
    }

    /// Any permutation, duplication or overlap of a complete stream's segments gives exactly
    /// the stream, with no gap and no anomaly.
    #[test]
    fn any_segmentation_and_order_gives_the_same_bytes(
        len in 1usize..600,
        cuts in prop::collection::vec(0usize..600, 0..30),
        extra in prop::collection::vec((0usize..600, 1usize..80), 0..20),
        seed in any::<u64>(),
    ) {
        let stream: Vec<u8> = (0..len).map(|i| (i * 31 + 5) as u8).collect();
        let mut points: Vec<usize> = cuts.iter().map(|c| c % len).chain([0, len]).collect();
        points.sort();
        points.dedup();
        let mut segs: Vec<(usize, usize)> = points.windows(2).map(|w| (w[0], w[1])).collect();
        segs.extend(extra.iter().map(|(s, l)| (s % len, (s % len + l).min(len))));
        // Deterministic shuffle from the seed.
        let mut x = seed | 1;
        for i in (1..segs.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            segs.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let mut t = T::new();
        for (s, e) in segs {
            t.seg(s as u64, &stream[s..e]);
        }
        t.finish();
        prop_assert!(t.anomalies().is_empty(), "{:?}", t.anomalies());
        let mut got = Vec::new();
        for e in &t.evs {
            match e {
                Ev::Data(_, d) => got.extend_from_slice(d),
                Ev::Gap(..) => prop_assert!(false, "gap in a complete stream"),
                _ => {}
            }
        }
        prop_assert_eq!(got, stream);
    }
}

#[test]
fn giving_up_holes_keeps_the_stream_open() {
    let mut t = T::new();
    t.seg(0, b"a").seg(3, b"d");
    let evs = &mut t.evs;
    t.s.give_up_holes(GapReason::Idle, &mut |e| evs.push(own(e)));
    assert!(t.evs.contains(&Ev::Gap(1, 2, GapReason::Idle)));
    t.seg(4, b"e");
    assert_eq!(t.picture(), "a__de");
    assert!(t.anomalies().is_empty());
}

#[test]
fn a_stream_carries_on_past_four_gib() {
    // Move the delivered point up by just under 1 GiB at a time: the peer acknowledges far
    // ahead and the sender moves on, so each hole is given up as a gap. After five rounds the
    // offsets are past 2^32, and reordered data still reassembles there.
    let mut t = T::new();
    let mut at = 0u64;
    for _ in 0..5 {
        let jump = MAX_JUMP - 1000;
        t.ack(at + jump);
        for i in 0..ACK_GRACE as u64 {
            t.seg(at + jump + i, b"x");
        }
        at += jump + ACK_GRACE as u64;
        assert_eq!(t.s.next_offset(), at);
    }
    assert!(at > 1 << 32);
    t.seg(at + 3, b"def").seg(at, b"abc");
    assert_eq!(t.s.next_offset(), at + 6);
    assert_eq!(t.evs.last(), Some(&Ev::Data(at + 3, b"def".to_vec())));
    assert!(t.anomalies().is_empty(), "{:?}", t.anomalies());
}
