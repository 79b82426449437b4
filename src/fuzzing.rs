//! Entry points for fuzzing: whole-pipeline functions that take arbitrary bytes and must never
//! panic, whatever they are given (and [`message`], one message body through the decoder and
//! both output writers). The `fuzz/` targets (cargo fuzz) and the property tests below
//! call the same functions, so the stable test suite exercises them on every run.

use crate::capture::{CaptureError, LinkType, PacketSource, RawPacket, Timestamp};
use crate::event::Discard;
use crate::session::Decoder;

/// Frames handed out one after another, as if read from a capture.
pub struct FrameSource<'a> {
    frames: Vec<&'a [u8]>,
    linktype: LinkType,
    next: usize,
}

impl<'a> FrameSource<'a> {
    pub fn new(linktype: LinkType, frames: Vec<&'a [u8]>) -> Self {
        FrameSource {
            frames,
            linktype,
            next: 0,
        }
    }
}

impl PacketSource for FrameSource<'_> {
    fn next_packet(&mut self) -> Result<Option<RawPacket<'_>>, CaptureError> {
        let Some(data) = self.frames.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        Ok(Some(RawPacket {
            index: self.next as u64,
            ts: Timestamp::new(1_000_000 + self.next as i64, 0),
            linktype: self.linktype,
            data,
            origlen: data.len() as u32,
        }))
    }
}

/// Runs frames of the given link type through every stage, decoder included.
pub fn pipeline_frames(linktype: LinkType, frames: Vec<&[u8]>) {
    let mut source = FrameSource::new(linktype, frames);
    let mut sink = Discard;
    let mut decoder = Decoder::new(&mut sink);
    let _ = crate::pipeline::run(&mut source, crate::pipeline::msn_config(), &mut decoder);
}

/// Splits arbitrary bytes into frames (a link-type byte, whose top bit sets a tiny memcap and
/// next bit a table of three connections, then for each frame a length byte and that many
/// bytes) and runs them four times: for an output that reads every field, for one that
/// reads none (the dialogue), for `stats`, which reads a few verbs' fields, and for one that
/// leaves every command's note and fields for later. The second run's commands, their
/// fields named afterwards (as the output thread of a two-thread run names them), must be
/// the first run's events; the fourth run's, their notes and fields written afterwards,
/// must be the first run's and the second's; and `stats` must report what it reports from
/// the first run's events.
pub fn pipeline(data: &[u8]) {
    use crate::event::{Collect, Event, Sink};

    /// Every event, for an output that reads no named field.
    struct NoFields(Collect);
    impl Sink for NoFields {
        fn event(&mut self, ev: &Event) -> std::io::Result<()> {
            self.0.event(ev)
        }
        fn wants_fields(&self) -> crate::event::FieldsWanted {
            crate::event::FieldsWanted::None
        }
    }
    let mut full = Collect::default();
    frames_into(data, &mut full);
    // `stats` asks for a few verbs' fields only: its report is the one it makes from all.
    let mut lean = crate::output::stats::Stats::new();
    frames_into(data, &mut lean);
    let mut every = crate::output::stats::Stats::new();
    for ev in &full.0 {
        every.event(ev).expect("stats");
    }
    assert_eq!(
        lean.report(),
        every.report(),
        "stats without some fields differs"
    );
    /// Every event, each command's note and fields left for later (as the hand-over to the
    /// output thread asks while that thread keeps up).
    struct Later(Collect);
    impl Sink for Later {
        fn event(&mut self, ev: &Event) -> std::io::Result<()> {
            self.0.event(ev)
        }
        fn wants_fields(&self) -> crate::event::FieldsWanted {
            crate::event::FieldsWanted::None
        }
        fn fields_vary(&self) -> bool {
            true
        }
        fn notes_later(&self) -> bool {
            true
        }
    }
    let mut without = NoFields(Collect::default());
    frames_into(data, &mut without);
    let mut later = Later(Collect::default());
    frames_into(data, &mut later);
    assert_eq!(full.0.len(), without.0.0.len(), "the same events");
    assert_eq!(full.0.len(), later.0.0.len(), "the same events");
    for ((a, mut b), l) in full.0.into_iter().zip(without.0.0).zip(later.0.0) {
        // Written afterwards for an output that reads no field: the second run's event.
        let (mut for_json, mut for_dialogue) = (l.clone(), l);
        if let Event::Command(c) = &mut for_dialogue {
            crate::session::build::complete_note(c, false);
        }
        assert_eq!(
            format!("{b:?}"),
            format!("{for_dialogue:?}"),
            "a note written afterwards differs"
        );
        if let Event::Command(c) = &mut b {
            crate::session::build::complete_fields(c, true);
        }
        assert_eq!(
            format!("{a:?}"),
            format!("{b:?}"),
            "fields named afterwards differ"
        );
        if let Event::Command(c) = &mut for_json {
            crate::session::build::complete_note(c, true);
        }
        assert_eq!(
            format!("{a:?}"),
            format!("{for_json:?}"),
            "a note and fields written afterwards differ"
        );
    }
}

/// One message body, sent by a client and relayed by the server on a switchboard, through the
/// decoder and into both outputs (JSON lines and the dialogue, written nowhere): whatever the
/// message layer makes of the bytes must be writable. Each event's JSON, written by the
/// hand-made writer (`wire::write_event`), must also be byte for byte the derived form's.
pub fn message(body: &[u8]) {
    use crate::event::{Event, Sink};
    use crate::output::dialogue::{Dialogue, Notes};
    use crate::output::json::{JsonLines, wire};

    struct Both(JsonLines<std::io::Sink>, Dialogue<std::io::Sink>);
    impl Sink for Both {
        fn event(&mut self, ev: &Event) -> std::io::Result<()> {
            let mut ours = Vec::new();
            wire::write_event(&mut ours, ev, None).expect("written");
            let derived = serde_json::to_vec(&wire::event(ev)).expect("derived");
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&derived),
                "the JSON writer and the derived form differ"
            );
            self.0.event(ev)?;
            self.1.event(ev)
        }
    }
    let mut sink = Both(
        JsonLines::new(std::io::sink()),
        Dialogue::new(std::io::sink(), Notes::Full, true, false),
    );
    message_into(body, &mut sink);
}

/// The switchboard session of [`message`], into any sink.
pub fn message_into(body: &[u8], sink: &mut dyn crate::event::Sink) {
    use crate::Direction;
    use crate::flow::{At, Detection, FlowConsumer, FlowEvent, FlowId, Opening};

    let mut decoder = Decoder::new(sink);
    let flow = FlowId(1);
    let at = At {
        frame: 1,
        ts: Timestamp::new(0, 0),
    };
    let detection = Detection::Port { port: 1863 };
    let mut c2s = format!("USR 1 a@b.c 1.2\r\nMSG 2 N {}\r\n", body.len()).into_bytes();
    c2s.extend_from_slice(body);
    let mut s2c = format!("MSG b@c.d B {}\r\n", body.len()).into_bytes();
    s2c.extend_from_slice(body);
    let events = [
        FlowEvent::Opened {
            flow,
            at,
            client: ([10, 0, 0, 1], 4000).into(),
            server: ([10, 0, 0, 2], 1863).into(),
            detection: &detection,
            opening: Opening::Syn,
        },
        FlowEvent::Data {
            flow,
            at,
            dir: Direction::ClientToServer,
            offset: 0,
            bytes: &c2s,
        },
        FlowEvent::Data {
            flow,
            at,
            dir: Direction::ServerToClient,
            offset: 0,
            bytes: &s2c,
        },
    ];
    for ev in &events {
        let _ = decoder.event(ev);
    }
}

/// One direction's framer, fed arbitrary pushes and gaps, in one dialect. The first byte
/// picks the dialect (none, MSNFTP or MSNP2 to MSNP18) and the direction; then each step is
/// an opcode byte (odd: a gap; even: bytes), a length byte and, for bytes, that many bytes.
/// Every event is drained with the dialect after each step, and at the end.
pub fn framer(data: &[u8]) {
    use crate::Direction;
    use crate::msnp::Dialect;
    use crate::msnp::framer::Framer;

    let Some((&head, mut rest)) = data.split_first() else {
        return;
    };
    let dialect = match head % 19 {
        0 => None,
        1 => Some(Dialect::MSNFTP),
        n => Some(Dialect(n)),
    };
    let dir = if head & 0x80 == 0 {
        Direction::ClientToServer
    } else {
        Direction::ServerToClient
    };
    let mut f = Framer::new(dir);
    let mut offset = 0u64;
    while let [op, len, tail @ ..] = rest {
        let n = usize::from(*len);
        if op % 2 == 1 {
            f.gap(offset, n as u64);
            offset += n as u64;
            rest = tail;
        } else {
            let n = n.min(tail.len());
            f.push(offset, &tail[..n]);
            offset += n as u64;
            rest = &tail[n..];
        }
        while f.next_event(dialect).is_some() {}
    }
    let _ = f.finish();
}

/// One direction's reassembly, fed arbitrary segments and acknowledgements: each step is a
/// flags byte (bit 0: SYN first, bit 1: FIN, bit 2: an ACK instead of data), a 16-bit
/// sequence delta (big-endian, from the initial sequence number, wrapping), a length byte and
/// that many payload bytes. Delivered data must come in order without overlap.
pub fn reassembler(data: &[u8]) {
    use crate::reassembly::{HalfEvent, HalfStream, Limits};

    let mut s = HalfStream::new(Limits {
        max_buffered: 4096,
        max_segments: 16,
    });
    let isn = u32::MAX - 300;
    let mut next = 0u64;
    let mut check = |ev: HalfEvent<'_>| match ev {
        HalfEvent::Data { offset, bytes } => {
            assert_eq!(offset, next, "data in order, without overlap");
            next += bytes.len() as u64;
        }
        HalfEvent::Gap { offset, len, .. } => {
            assert_eq!(offset, next, "a gap where the data stopped");
            next += len;
        }
        _ => {}
    };
    let mut rest = data;
    let mut first = true;
    while let [flags, hi, lo, len, tail @ ..] = rest {
        if first && flags & 1 == 1 {
            s.syn(isn);
        }
        first = false;
        let seq = isn
            .wrapping_add(1)
            .wrapping_add(u32::from(u16::from_be_bytes([*hi, *lo])));
        let n = usize::from(*len).min(tail.len());
        if flags & 4 == 4 {
            s.acked(seq, &mut check);
        } else {
            s.segment(seq, &tail[..n], 0, flags & 2 == 2, &mut check);
        }
        rest = &tail[n..];
    }
    s.finish(crate::reassembly::GapReason::Eof, &mut check);
}

/// IPv4 fragments in any order, size and overlap: each step is a datagram-id byte (a few ids,
/// so that fragments meet), a 16-bit offset in 8-byte units (big-endian), a flags byte (bit 0:
/// more fragments; bits 1-7: seconds to wait before this fragment, so that datagrams time
/// out), a length byte and that many bytes. A completed datagram is no longer than the bound,
/// and no more datagrams are in progress than the bound.
pub fn defrag(data: &[u8]) {
    use crate::net::ip::Fragment;
    use crate::net::ipv4_defrag::{Defrag, Key, MAX_DATAGRAM_SIZE, MAX_DATAGRAMS, Outcome};

    let mut d = Defrag::default();
    let mut rest = data;
    let mut secs = 0i64;
    while let [id, hi, lo, flags, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        secs += i64::from(flags >> 1);
        let key = Key {
            src: [10, 0, 0, 1].into(),
            dst: [10, 0, 0, 2].into(),
            proto: 6,
            id: u16::from(id % 4),
        };
        let frag = Fragment {
            id: key.id,
            offset: usize::from(u16::from_be_bytes([*hi, *lo])) * 8,
            more: flags & 1 == 1,
        };
        if d.add(key, Timestamp::new(secs, 0), frag, &tail[..n]) == Outcome::Complete {
            assert!(
                d.done.len() <= MAX_DATAGRAM_SIZE,
                "a datagram past the bound"
            );
        }
        assert!(
            d.in_progress() <= MAX_DATAGRAMS,
            "too many datagrams in progress"
        );
        while d.take_anomaly().is_some() {}
        rest = &tail[n..];
    }
    d.finish();
    while d.take_anomaly().is_some() {}
}

/// Arbitrary frames (as [`pipeline`] splits them) through the decoder and the correlator, then
/// every transcript rendered: text, HTML and JSON, for each conversation, the index and the
/// contact lists. Every JSON document must parse.
pub fn transcripts(data: &[u8]) {
    use crate::conversation::Correlator;
    use crate::output::transcript::{self, html, json, txt};

    let mut correlator = Correlator::new();
    frames_into(data, &mut correlator);
    let mut conversations = correlator.take_finished();
    let rest = correlator.finish();
    conversations.extend(rest.conversations);
    let parses = |s: String| {
        serde_json::from_str::<serde_json::Value>(&s).expect("a transcript is valid JSON");
    };
    for c in &conversations {
        let _ = txt::render_txt(c);
        let _ = html::render_html(c);
        parses(json::render_json(c));
    }
    let mut index = transcript::Index::of(&conversations).expect("the index fits in memory");
    let _ = txt::render_index_txt(&mut index, &rest.login_sessions);
    let _ = html::render_index_html(&mut index, &rest.login_sessions);
    parses(json::render_index_json(&mut index, &rest.login_sessions).expect("in memory"));
    let _ = txt::render_contacts_txt(&rest.contact_lists, &rest.presence);
    let _ = html::render_contacts_html(&rest.contact_lists, &rest.presence);
    parses(json::render_contacts_json(
        &rest.contact_lists,
        &rest.presence,
    ));
}

/// One message body as in [`message`], and the same bytes as frames as in [`pipeline`], with
/// every redaction on (secrets, handles, text) before both output writers.
pub fn redact(data: &[u8]) {
    use crate::output::dialogue::{Dialogue, Notes};
    use crate::output::json::JsonLines;
    use crate::redact::{Policy, Redact, Redactor};

    let all = Policy {
        handles: true,
        text: true,
    };
    let mut json = JsonLines::new(std::io::sink());
    let mut dialogue = Dialogue::new(std::io::sink(), Notes::Full, true, false);
    let mut both = crate::event::Tee(vec![&mut json, &mut dialogue]);
    let mut redact = Redact::new(&mut both, Some(Redactor::new(b"fuzz", all)));
    message_into(data, &mut redact);
    frames_into(data, &mut redact);
}

/// Splits bytes into frames as [`pipeline`] does and runs them into `sink`.
fn frames_into(data: &[u8], sink: &mut dyn crate::event::Sink) {
    let Some((&lt, mut rest)) = data.split_first() else {
        return;
    };
    let linktype = match lt % 4 {
        0 => LinkType::Ethernet,
        1 => LinkType::Raw,
        2 => LinkType::LinuxSll,
        _ => LinkType::Null,
    };
    // The top bit of the first byte sets a memcap of 2 KiB, so that giving buffers up (the
    // reassembly's holes, the framers' lines and payloads) is explored too.
    let memcap = if lt & 0x80 != 0 {
        2048
    } else {
        crate::flow::DEFAULT_MEMCAP / 2
    };
    let mut frames = Vec::new();
    while let Some((&n, tail)) = rest.split_first() {
        let n = (n as usize).min(tail.len());
        frames.push(&tail[..n]);
        rest = &tail[n..];
    }
    // The next bit caps the connection table at three, so that eviction (and the reuse of
    // the LRU's slots it brings) is explored too.
    let max_connections = if lt & 0x40 != 0 {
        3
    } else {
        crate::pipeline::msn_config().max_connections
    };
    let mut source = FrameSource::new(linktype, frames);
    let mut decoder = Decoder::new(sink).with_memcap(memcap);
    let config = crate::flow::FlowConfig {
        memcap,
        max_connections,
        ..crate::pipeline::msn_config()
    };
    let _ = crate::pipeline::run(&mut source, config, &mut decoder);
}

/// One frame through the link, IP and TCP decoder, for each link type: the first byte picks
/// the link type, the rest is the frame, and `origlen` claims a few bytes more than it holds
/// when the second byte is odd (a snaplen cut). A decoded segment's payload lies within the
/// frame, and what it says is missing is no more than the headers can announce.
pub fn net(data: &[u8]) {
    use crate::net::{Decoded, NetDecoder};

    let Some((&lt, frame)) = data.split_first() else {
        return;
    };
    let linktype = match lt % 9 {
        0 => LinkType::Null,
        1 => LinkType::Ethernet,
        2 => LinkType::Raw,
        3 => LinkType::Loop,
        4 => LinkType::LinuxSll,
        5 => LinkType::Ipv4,
        6 => LinkType::Ipv6,
        7 => LinkType::LinuxSll2,
        _ => LinkType::Other(i32::from(lt)),
    };
    let cut = frame.get(1).is_some_and(|b| b % 2 == 1);
    let origlen = frame.len() as u32 + if cut { 40 } else { 0 };
    let mut d = NetDecoder::new();
    let pkt = RawPacket {
        index: 1,
        ts: Timestamp::new(0, 0),
        linktype,
        data: frame,
        origlen,
    };
    if let Decoded::Tcp(seg) = d.decode(&pkt) {
        let inside = (seg.payload.as_ptr() as usize)
            .checked_sub(frame.as_ptr() as usize)
            .is_some_and(|at| at + seg.payload.len() <= frame.len());
        assert!(
            seg.payload.is_empty() || inside,
            "the payload lies in the frame"
        );
        // What the headers announce and the frame lacks is reported as missing, never
        // invented; it cannot exceed what an IP header can announce (or, for a total length
        // of 0, what the snaplen cut off).
        let announced = seg.payload.len() as u64 + u64::from(seg.missing);
        let bound = 65_535 + u64::from(origlen) - frame.len() as u64;
        assert!(announced <= bound, "{announced} bytes announced");
    }
    while d.take_anomaly().is_some() {}
    d.finish();
    while d.take_anomaly().is_some() {}
}

/// A capture file, whatever its bytes (pcap, pcapng, compressed, damaged), read by
/// [`crate::capture::FileSource`] and run through every stage. The caller writes the bytes to
/// `path` (reading a capture is I/O, which the library leaves to `capture/`).
pub fn capture_file(path: &std::path::Path) {
    let name = path.to_string_lossy().into_owned();
    if crate::capture::check_inputs(std::slice::from_ref(&name)).is_err() {
        return;
    }
    let mut source = crate::capture::FileSource::new(vec![name], None);
    let mut sink = Discard;
    let mut decoder = Decoder::new(&mut sink);
    let _ = crate::pipeline::run(&mut source, crate::pipeline::msn_config(), &mut decoder);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A raw IPv4 + TCP packet between a client and port 1863.
    fn packet(c2s: bool, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
        let (sp, dp) = if c2s {
            (40000u16, 1863u16)
        } else {
            (1863, 40000)
        };
        let (sa, da) = if c2s {
            ([10, 0, 0, 1], [10, 0, 0, 2])
        } else {
            ([10, 0, 0, 2], [10, 0, 0, 1])
        };
        let total = 20 + 20 + payload.len();
        let mut p = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            6,
            0,
            0,
        ];
        p.extend_from_slice(&sa);
        p.extend_from_slice(&da);
        p.extend_from_slice(&sp.to_be_bytes());
        p.extend_from_slice(&dp.to_be_bytes());
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ack.to_be_bytes());
        p.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        p.extend_from_slice(payload);
        p
    }

    const CLIENT: &[u8] = b"VER 1 MSNP13 CVR0\r\nUSR 2 TWN I a@b.c\r\nADL 3 41\r\n<ml l=\"1\"><d n=\"b.c\"><c n=\"x\"/></d></ml>QRY 4 msmsgs@msnmsgr.com 32\r\n0123456789abcdef0123456789abcdefMSG 5 N 3\r\nhi!OUT\r\n";
    const SERVER: &[u8] = b"VER 1 MSNP13\r\nUSR 2 OK a@b.c 1 0\r\nADL 3 OK\r\nCHL 0 1234\r\nNLN BSY b@c.d 1:Bob 0\r\n241 9 5\r\nxxxxxXFR 7 SB 1.2.3.4:1863 CKI 1.2 U messenger.msn.com\r\nRNG 1 2.3.4.5:1863 CKI 9.9 x@y.z X\r\n";

    #[test]
    fn a_message_reaches_the_message_layer_both_ways() {
        let mut all = crate::event::Collect::default();
        message_into(
            b"Content-Type: text/x-msmsgscontrol\r\nTypingUser: a@b.c\r\n\r\n\r\n",
            &mut all,
        );
        let senders: Vec<Option<String>> = all
            .0
            .iter()
            .filter_map(|e| match e {
                crate::event::Event::Command(c) => c.msnc.as_ref().map(|m| m.sender.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            senders,
            [Some("a@b.c".to_string()), Some("b@c.d".to_string())]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Arbitrary message bodies, and bodies with a content type the message layer
        /// reads, decoded and written as JSON and as the dialogue.
        #[test]
        fn arbitrary_messages_never_panic(
            ctype in proptest::sample::select(vec![
                "", "text/plain", "text/x-msmsgsinvite", "text/x-msnmsgr-datacast",
                "text/x-mms-emoticon", "text/x-msmsgsprofile", "application/x-msnmsgrp2p",
                "text/x-msmsgsemailnotification", "text/x-msmsgsoimnotification",
            ]),
            headers in prop::collection::vec(any::<u8>(), 0..64),
            body in prop::collection::vec(any::<u8>(), 0..256),
        ) {
            let mut m = format!("Content-Type: {ctype}\r\n").into_bytes();
            m.extend_from_slice(&headers);
            m.extend_from_slice(b"\r\n\r\n");
            m.extend_from_slice(&body);
            message(&m);
            message(&body);
        }

        /// P2P packets near the shape of real ones (P2Pv1 headers with small sessions, ids,
        /// offsets and totals, so SLP reassembly and object data are reached; P2Pv2 bodies from
        /// arbitrary bytes, empty messages included), each sent both ways.
        #[test]
        fn arbitrary_p2p_packets_never_panic(
            v2 in any::<bool>(),
            session in 0u32..3,
            id in 0u32..4,
            offset in 0u64..600,
            total in 0u64..700,
            flags in proptest::sample::select(vec![0u32, 2, 0x20, 0x0100_0030, 0xffff_ffff]),
            data in prop::collection::vec(any::<u8>(), 0..300),
            raw in prop::collection::vec(any::<u8>(), 0..80),
        ) {
            let mut m = b"Content-Type: application/x-msnmsgrp2p\r\n".to_vec();
            if v2 {
                m.extend_from_slice(b"P2P-Src: a@b.c;{1}\r\nP2P-Dest: b@c.d;{2}\r\n\r\n");
                m.extend_from_slice(&raw);
            } else {
                m.extend_from_slice(b"P2P-Dest: b@c.d\r\n\r\n");
                m.extend_from_slice(&session.to_le_bytes());
                m.extend_from_slice(&id.to_le_bytes());
                m.extend_from_slice(&offset.to_le_bytes());
                m.extend_from_slice(&total.to_le_bytes());
                m.extend_from_slice(&(data.len() as u32).to_le_bytes());
                m.extend_from_slice(&flags.to_le_bytes());
                m.extend_from_slice(&[0u8; 16]);
                m.extend_from_slice(&data);
                m.extend_from_slice(&raw[..raw.len().min(4)]);
            }
            message(&m);
        }

        /// Arbitrary bytes, cut into arbitrary frames of every link type.
        #[test]
        fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..2000)) {
            pipeline(&data);
        }

        /// Real MSNP streams, cut at random points, sent out of order, duplicated, with random
        /// flags and bit flips: the whole pipeline copes.
        #[test]
        fn mangled_msnp_sessions_never_panic(
            cuts in prop::collection::vec((any::<bool>(), 0usize..200, 1usize..64, any::<u8>(), any::<u8>(), any::<u16>()), 0..60),
        ) {
            let mut frames = vec![packet(true, 999, 0, 0x02, b""), packet(false, 4999, 1000, 0x12, b"")];
            for (c2s, start, len, flags, flip, at) in cuts {
                let stream = if c2s { CLIENT } else { SERVER };
                let s = start % stream.len();
                let e = (s + len).min(stream.len());
                let mut payload = stream[s..e].to_vec();
                if flip & 1 == 1 && !payload.is_empty() {
                    let i = at as usize % payload.len();
                    payload[i] ^= flip;
                }
                let (seq, ack) = if c2s { (1000 + s as u32, 5000) } else { (5000 + s as u32, 1000) };
                frames.push(packet(c2s, seq, ack, flags | 0x10, &payload));
            }
            pipeline_frames(LinkType::Raw, frames.iter().map(Vec::as_slice).collect());
        }
    }
}
