//! Tests of the framer: one per rule and per framing quirk of ref §10, then properties
//! (prefixes, chunking invariance, round trip, arbitrary bytes).

use super::*;
use crate::msnp::Verb;
use Direction::{ClientToServer as C2S, ServerToClient as S2C};
use proptest::prelude::*;

/// A caller as the pipeline will be: pushes chunks at their offsets, drains after each push,
/// learns the dialect from a server `VER` reply, finishes at the end.
fn feed(
    dir: Direction,
    dialect: Option<u8>,
    midstream: bool,
    chunks: &[&[u8]],
) -> Vec<FramerEvent> {
    let mut framer = Framer::new(dir);
    if midstream {
        framer.set_midstream();
    }
    let mut dialect = dialect.map(Dialect);
    let mut events = Vec::new();
    let mut offset = 0u64;
    for chunk in chunks {
        framer.push(offset, chunk);
        offset += chunk.len() as u64;
        assert!(framer.buffered() <= MAX_HELD);
        while let Some(event) = framer.next_event(dialect) {
            if let FramerEvent::Frame(f) = &event
                && f.command.verb == Verb::new(b"VER")
                && dir == S2C
                && let Some(d) = f.command.params.first().and_then(|p| Dialect::parse(p))
            {
                dialect = Some(d);
            }
            events.push(event);
        }
    }
    events.extend(framer.finish());
    events
}

fn run(dir: Direction, dialect: Option<u8>, input: &[u8]) -> Vec<FramerEvent> {
    feed(dir, dialect, false, &[input])
}

fn frames(events: &[FramerEvent]) -> Vec<&Frame> {
    events
        .iter()
        .filter_map(|e| match e {
            FramerEvent::Frame(f) => Some(f),
            _ => None,
        })
        .collect()
}

fn anomalies(events: &[FramerEvent]) -> Vec<&'static str> {
    events
        .iter()
        .filter_map(|e| match e {
            FramerEvent::Anomaly { name, .. } => Some(*name),
            _ => None,
        })
        .collect()
}

fn details(events: &[FramerEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            FramerEvent::Anomaly { name, detail, .. } => Some(format!("{name}: {detail}")),
            _ => None,
        })
        .collect()
}

/// `VERB payload-or-dash` per frame: a compact picture of a framing.
fn picture(events: &[FramerEvent]) -> Vec<String> {
    frames(events)
        .iter()
        .map(|f| {
            let body = match &f.payload {
                None => "-".to_string(),
                Some(p) => format!("{}/{}", p.bytes.len(), p.declared),
            };
            format!("{} {}", f.command.verb, body)
        })
        .collect()
}

fn payload(events: &[FramerEvent], i: usize) -> Vec<u8> {
    frames(events)[i].payload.as_ref().unwrap().bytes.clone()
}

// ---- line mode -------------------------------------------------------------------------------

#[test]
fn several_commands_in_one_chunk() {
    let ev = run(
        S2C,
        Some(8),
        b"VER 1 MSNP8 CVR0\r\nCVR 2 6.0 6.0 6.0 x y\r\nUSR 3 TWN S lc=1\r\n",
    );
    assert_eq!(picture(&ev), ["VER -", "CVR -", "USR -"]);
    assert!(anomalies(&ev).is_empty());
    let f = frames(&ev);
    assert_eq!(f[1].offset, 18);
    assert_eq!(f[1].line, b"CVR 2 6.0 6.0 6.0 x y");
    assert_eq!(f[1].eol, Eol::CrLf);
    assert_eq!(f[2].command.trid, Some(3));
}

#[test]
fn bare_lf_ends_a_line() {
    let ev = run(C2S, None, b"PNG\nOUT\r\n");
    let f = frames(&ev);
    assert_eq!(picture(&ev), ["PNG -", "OUT -"]);
    assert_eq!((f[0].eol, f[1].eol), (Eol::Lf, Eol::CrLf));
    assert_eq!(f[1].offset, 4);
}

#[test]
fn bare_cr_does_not_end_a_line() {
    let ev = run(S2C, None, b"OUT OTH\rQNG 50\r\n");
    let f = frames(&ev);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].command.verb, Verb::new(b"OUT"));
    assert_eq!(f[0].command.params, ["OTH\rQNG", "50"]);
}

#[test]
fn need_more_is_none_without_anomaly() {
    let mut framer = Framer::new(C2S);
    framer.push(0, b"MSG 1 N 5\r\nhel");
    assert_eq!(framer.next_event(None), None);
    framer.push(14, b"lo");
    let Some(FramerEvent::Frame(f)) = framer.next_event(None) else {
        panic!("expected a frame");
    };
    assert_eq!(f.payload.unwrap().bytes, b"hello");
    assert_eq!(framer.next_event(None), None);
    assert!(framer.finish().is_empty());
}

// ---- payload mode (ref §10 quirks 1, 2, 5, 6) ------------------------------------------------

#[test]
fn payload_length_counts_bytes_not_characters() {
    // "héllo ✓" is 7 characters and 10 bytes.
    let body = "héllo ✓".as_bytes();
    assert_eq!(body.len(), 10);
    let mut input = b"MSG bob@x Bob 10\r\n".to_vec();
    input.extend_from_slice(body);
    input.extend_from_slice(b"BYE bob@x\r\n");
    let ev = run(S2C, None, &input);
    assert_eq!(picture(&ev), ["MSG 10/10", "BYE -"]);
    assert_eq!(payload(&ev, 0), body);
}

#[test]
fn payload_may_hold_crlf_nul_and_command_lookalikes() {
    let body = b"MIME-Version: 1.0\r\n\r\nOUT\r\n\0\0\x01\r\nMSG 1 N 99\r\n";
    let mut input = format!("MSG 7 D {}\r\n", body.len()).into_bytes();
    input.extend_from_slice(body);
    input.extend_from_slice(b"OUT\r\n");
    let ev = run(C2S, None, &input);
    assert_eq!(
        picture(&ev),
        [format!("MSG {0}/{0}", body.len()), "OUT -".into()]
    );
    assert_eq!(payload(&ev, 0), body);
    assert!(anomalies(&ev).is_empty());
}

#[test]
fn next_command_starts_on_the_byte_after_the_payload() {
    let ev = run(S2C, None, b"NOT 3\r\nabcQNG 50\r\n");
    let f = frames(&ev);
    assert_eq!(picture(&ev), ["NOT 3/3", "QNG -"]);
    assert_eq!(f[1].offset, 10);
}

#[test]
fn qry_client_has_32_bytes_server_none() {
    let hex = b"0123456789abcdef0123456789abcdef";
    let mut input = b"QRY 10 PROD0090YUAUV{2B 32\r\n".to_vec();
    input.extend_from_slice(hex);
    input.extend_from_slice(b"PNG\r\n");
    let ev = run(C2S, Some(11), &input);
    assert_eq!(picture(&ev), ["QRY 32/32", "PNG -"]);
    assert_eq!(payload(&ev, 0), hex);
    let ev = run(S2C, Some(11), b"QRY 10\r\nQNG 40\r\n");
    assert_eq!(picture(&ev), ["QRY -", "QNG -"]);
}

#[test]
fn adl_ok_has_no_payload_adl_number_has_one() {
    let ev = run(S2C, Some(13), b"ADL 5 OK\r\nADL 0 4\r\n<ml>ADL 6 OK\r\n");
    assert_eq!(picture(&ev), ["ADL -", "ADL 4/4", "ADL -"]);
    let ev = run(C2S, Some(13), b"ADL 5 4\r\n<ml>RML 6 3\r\n<m>");
    assert_eq!(picture(&ev), ["ADL 4/4", "RML 3/3"]);
}

#[test]
fn uux_reply_zero_is_an_empty_payload() {
    let ev = run(S2C, Some(11), b"UUX 8 0\r\nQNG 50\r\n");
    assert_eq!(picture(&ev), ["UUX 0/0", "QNG -"]);
    let ev = run(C2S, Some(11), b"UUX 8 6\r\n<Data>PNG\r\n");
    assert_eq!(picture(&ev), ["UUX 6/6", "PNG -"]);
}

#[test]
fn gcf_client_none_server_payload() {
    let ev = run(C2S, Some(11), b"GCF 4 Shields.xml\r\nPNG\r\n");
    assert_eq!(picture(&ev), ["GCF -", "PNG -"]);
    let ev = run(S2C, Some(11), b"GCF 4 Shields.xml 5\r\n<a/>\nQNG 50\r\n");
    assert_eq!(picture(&ev), ["GCF 5/5", "QNG -"]);
    let ev = run(S2C, Some(13), b"GCF 0 2\r\nhiSBS 0 null\r\n");
    assert_eq!(picture(&ev), ["GCF 2/2", "SBS -"]);
}

#[test]
fn uun_ok_put_ok_len() {
    let ev = run(
        S2C,
        Some(18),
        b"UUN 4 OK\r\nPUT 5 OK 0\r\nPUT 6 OK 2\r\nhiQNG 50\r\n",
    );
    assert_eq!(picture(&ev), ["UUN -", "PUT 0/0", "PUT 2/2", "QNG -"]);
}

#[test]
fn not_and_ipg_length_is_field_zero_not_a_trid() {
    let mut input = b"IPG 123\r\n".to_vec();
    input.extend_from_slice(&[b'x'; 123]);
    input.extend_from_slice(b"NOT 456\r\n");
    input.extend_from_slice(&[b'y'; 456]);
    input.extend_from_slice(b"QNG 50\r\n");
    let ev = run(S2C, Some(8), &input);
    assert_eq!(picture(&ev), ["IPG 123/123", "NOT 456/456", "QNG -"]);
    let f = frames(&ev);
    assert_eq!(f[0].command.trid, None);
    assert_eq!(f[0].command.params, ["123"]);
    assert_eq!(f[1].command.trid, None);
    assert_eq!(f[2].command.trid, None);
    assert_eq!(f[2].command.params, ["50"]);
}

#[test]
fn trid_cases_of_ref_2_3() {
    let ev = run(
        S2C,
        Some(8),
        b"LSG 0 Other%20Contacts 0\r\nBYE bob@x 1\r\nCHL 0 nonce\r\nLST bob@x Bob 11 0\r\nGTC A\r\nBLP AL\r\nPRP MFN Al\r\n",
    );
    let f = frames(&ev);
    let got: Vec<(Option<u32>, Vec<String>)> = f
        .iter()
        .map(|f| (f.command.trid, f.command.params.clone()))
        .collect();
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        got,
        [
            (None, s(&["0", "Other%20Contacts", "0"])),
            (None, s(&["bob@x", "1"])),
            (Some(0), s(&["nonce"])),
            (None, s(&["bob@x", "Bob", "11", "0"])),
            (None, s(&["A"])),
            (None, s(&["AL"])),
            (None, s(&["MFN", "Al"])),
        ]
    );
    assert!(anomalies(&ev).is_empty());
    // MSNP7: the same verbs carry the SYN TrID.
    let ev = run(
        S2C,
        Some(7),
        b"LSG 5 12 1 1 0 Other%20Contacts 0\r\nGTC 5 12 A\r\n",
    );
    assert!(frames(&ev).iter().all(|f| f.command.trid == Some(5)));
}

#[test]
fn error_with_payload_from_msnp13_only() {
    let ev = run(S2C, Some(13), b"241 9 5\r\n<ml/>201 10\r\n");
    assert_eq!(picture(&ev), ["241 5/5", "201 -"]);
    assert_eq!(frames(&ev)[0].command.trid, Some(9));
    // MSNP12: no error carries a payload; `5` is just a parameter.
    let ev = run(S2C, Some(12), b"241 9 5\r\n201 10\r\n");
    assert_eq!(picture(&ev), ["241 -", "201 -"]);
}

#[test]
fn dialect_learnt_from_ver_applies_to_the_next_line() {
    // Without the VER reply the dialect is unknown (payload allowed); with it, MSNP12 forbids
    // error payloads — in the same push.
    let ev = run(S2C, None, b"VER 1 MSNP12 CVR0\r\n241 9 5\r\n201 10\r\n");
    assert_eq!(picture(&ev), ["VER -", "241 -", "201 -"]);
    let ev = run(
        S2C,
        None,
        b"VER 1 MSNP13 CVR0\r\n241 9 5\r\n<ml/>201 10\r\n",
    );
    assert_eq!(picture(&ev), ["VER -", "241 5/5", "201 -"]);
}

#[test]
fn server_msg_has_no_trid_client_msg_has_one() {
    let ev = run(S2C, Some(8), b"MSG Hotmail Hotmail 2\r\nhi");
    assert_eq!(frames(&ev)[0].command.trid, None);
    assert_eq!(frames(&ev)[0].command.params, ["Hotmail", "Hotmail", "2"]);
    let ev = run(C2S, None, b"MSG 3 A 2\r\nhi");
    assert_eq!(frames(&ev)[0].command.trid, Some(3));
    assert_eq!(frames(&ev)[0].command.params, ["A", "2"]);
}

// ---- anomalies --------------------------------------------------------------------------------

#[test]
fn unknown_verb_uses_the_heuristic_and_is_flagged() {
    let ev = run(S2C, None, b"ZZZ 3 foo 2\r\nhiQNG 50\r\n");
    assert_eq!(anomalies(&ev), [anomaly::UNKNOWN_VERB]);
    assert_eq!(picture(&ev), ["ZZZ 2/2", "QNG -"]);
    assert_eq!(frames(&ev)[0].command.trid, Some(3));
}

#[test]
fn bad_line_is_dropped_then_the_next_line_framed() {
    let ev = run(C2S, None, b"msg 1 N 3\r\nPNG\r\n");
    assert_eq!(anomalies(&ev), [anomaly::BAD_LINE]);
    assert_eq!(picture(&ev), ["PNG -"]);
    assert_eq!(frames(&ev)[0].offset, 11);
}

#[test]
fn garbage_lines_give_one_bad_line_and_one_resync() {
    let ev = run(C2S, None, b"\x00\x01junk\r\nmore junk\r\nand more\nPNG\r\n");
    assert_eq!(anomalies(&ev), [anomaly::BAD_LINE, anomaly::RESYNC]);
    assert!(
        details(&ev)[1].contains("skipped 20 bytes"),
        "{:?}",
        details(&ev)
    );
    assert_eq!(picture(&ev), ["PNG -"]);
}

#[test]
fn bad_trid_is_flagged_and_kept_as_a_param() {
    let ev = run(C2S, None, b"USR x TWN I a@b\r\nUSR\r\n");
    assert_eq!(anomalies(&ev), [anomaly::BAD_TRID, anomaly::BAD_TRID]);
    assert_eq!(frames(&ev)[0].command.params, ["x", "TWN", "I", "a@b"]);
}

#[test]
fn bad_length_means_no_payload() {
    let ev = run(C2S, None, b"MSG 1 N abc\r\nPNG\r\nMSG\r\nOUT\r\n");
    // A bare `MSG` lacks its TrID as well as its length.
    assert_eq!(
        anomalies(&ev),
        [anomaly::BAD_LENGTH, anomaly::BAD_TRID, anomaly::BAD_LENGTH]
    );
    assert_eq!(picture(&ev), ["MSG -", "PNG -", "MSG -", "OUT -"]);
}

#[test]
fn payload_too_large_resyncs_at_the_next_line() {
    let big = MAX_PAYLOAD + 1;
    let input = format!("MSG 1 N {big}\r\nsome body\r\nMSG 2 N 2\r\nhiOUT\r\n");
    let ev = run(C2S, None, input.as_bytes());
    assert_eq!(
        anomalies(&ev),
        [anomaly::PAYLOAD_TOO_LARGE, anomaly::RESYNC]
    );
    assert_eq!(picture(&ev), ["MSG -", "MSG 2/2", "OUT -"]);
    // A length that overflows u64 is too large as well.
    let ev = run(C2S, None, b"MSG 1 N 99999999999999999999999\r\nOUT\r\n");
    assert_eq!(anomalies(&ev), [anomaly::PAYLOAD_TOO_LARGE]);
    assert_eq!(picture(&ev), ["MSG -", "OUT -"]);
}

#[test]
fn payload_at_the_cap_is_taken() {
    let mut input = format!("MSG 1 D {MAX_PAYLOAD}\r\n").into_bytes();
    input.resize(input.len() + MAX_PAYLOAD as usize, 0);
    input.extend_from_slice(b"OUT\r\n");
    let ev = run(C2S, None, &input);
    assert_eq!(
        picture(&ev),
        [format!("MSG {MAX_PAYLOAD}/{MAX_PAYLOAD}"), "OUT -".into()]
    );
}

#[test]
fn line_too_long_is_dropped_and_resynced() {
    let mut input = b"MSG ".to_vec();
    input.resize(MAX_LINE + 100, b'a');
    input.extend_from_slice(b"\r\nPNG\r\n");
    let ev = run(C2S, None, &input);
    assert_eq!(anomalies(&ev), [anomaly::LINE_TOO_LONG, anomaly::RESYNC]);
    assert!(details(&ev)[1].contains(&format!("skipped {} bytes", MAX_LINE + 102)));
    assert_eq!(picture(&ev), ["PNG -"]);
    // A line of exactly MAX_LINE bytes (with its \r) is fine.
    let mut input = b"OUT ".to_vec();
    input.resize(MAX_LINE - 1, b'a');
    input.extend_from_slice(b"\r\n");
    let ev = run(C2S, None, &input);
    assert_eq!(picture(&ev), ["OUT -"]);
    assert!(anomalies(&ev).is_empty());
}

#[test]
fn buffer_stays_bounded_without_draining() {
    let mut framer = Framer::new(C2S);
    let mut input = format!("MSG 1 D {MAX_PAYLOAD}\r\n").into_bytes();
    input.resize(input.len() + MAX_PAYLOAD as usize, 7);
    for _ in 0..3 {
        let end = framer.end();
        framer.push(end, &input);
        assert!(framer.buffered() <= MAX_HELD, "{}", framer.buffered());
    }
    let end = framer.end();
    framer.push(end, &vec![b'x'; 3 * MAX_LINE]);
    assert!(framer.buffered() <= MAX_HELD);
    let mut n = 0;
    while let Some(FramerEvent::Frame(_)) = framer.next_event(None) {
        n += 1;
    }
    assert_eq!(n, 3);
}

// ---- truncation, gaps, resync (ref §10 quirks 7, 22) -----------------------------------------

#[test]
fn truncated_last_line_is_flushed_at_finish() {
    let ev = run(S2C, Some(8), b"CHL 0 123\r\n911 3");
    assert_eq!(anomalies(&ev), [anomaly::CUT_LINE]);
    let f = frames(&ev);
    assert_eq!(f[1].eol, Eol::None);
    assert_eq!(f[1].command.trid, Some(3));
    // Cut between \r and \n: the \r is not part of the line.
    let ev = run(S2C, Some(8), b"OUT OTH\r");
    assert_eq!(frames(&ev)[0].line, b"OUT OTH");
    // Not a command at all.
    let ev = run(S2C, Some(8), b"OUT\r\nxy");
    assert_eq!(anomalies(&ev), [anomaly::CUT_LINE]);
    assert_eq!(picture(&ev), ["OUT -"]);
}

#[test]
fn truncated_payload_is_flushed_at_finish() {
    let ev = run(C2S, None, b"MSG 1 N 10\r\nhel");
    assert_eq!(anomalies(&ev), [anomaly::CUT_PAYLOAD]);
    let p = frames(&ev)[0].payload.clone().unwrap();
    assert_eq!((p.declared, p.bytes.as_slice()), (10, &b"hel"[..]));
    assert!(p.is_cut());
}

#[test]
fn gap_inside_a_payload_skips_the_rest_without_resync() {
    let mut framer = Framer::new(C2S);
    framer.push(0, b"MSG 1 D 10\r\nabc"); // payload spans [12, 22)
    assert_eq!(framer.next_event(None), None);
    framer.gap(15, 4); // lost [15, 19): the gap ends inside the payload
    framer.push(19, b"xyzPNG\r\n");
    let mut ev = Vec::new();
    while let Some(e) = framer.next_event(None) {
        ev.push(e);
    }
    assert_eq!(anomalies(&ev), [anomaly::CUT_PAYLOAD]);
    assert_eq!(picture(&ev), ["MSG 3/10", "PNG -"]);
    assert_eq!(frames(&ev)[1].offset, 22);
}

#[test]
fn gap_ending_at_the_payload_end_resumes_lines() {
    let mut framer = Framer::new(C2S);
    framer.push(0, b"MSG 1 D 10\r\nabc");
    framer.gap(15, 7);
    framer.push(22, b"PNG\r\n");
    let mut ev = Vec::new();
    while let Some(e) = framer.next_event(None) {
        ev.push(e);
    }
    assert_eq!(picture(&ev), ["MSG 3/10", "PNG -"]);
    assert_eq!(anomalies(&ev), [anomaly::CUT_PAYLOAD]);
}

#[test]
fn gap_beyond_the_payload_resyncs() {
    let mut framer = Framer::new(C2S);
    framer.push(0, b"MSG 1 D 10\r\nabc");
    framer.gap(15, 20);
    framer.push(35, b"G 2 N 1\r\nPNG\r\n");
    let mut ev = Vec::new();
    while let Some(e) = framer.next_event(None) {
        ev.push(e);
    }
    assert_eq!(picture(&ev), ["MSG 3/10", "PNG -"]);
    assert_eq!(anomalies(&ev), [anomaly::CUT_PAYLOAD, anomaly::RESYNC]);
    assert!(details(&ev)[1].contains("skipped 9 bytes"));
}

#[test]
fn gap_cuts_a_partial_line_then_resyncs() {
    let mut framer = Framer::new(S2C);
    framer.push(0, b"QNG 50\r\nNLN NLN bob");
    framer.gap(19, 100);
    framer.push(119, b"le Bob 0\r\nFLN bob@x\r\n");
    let mut ev = Vec::new();
    while let Some(e) = framer.next_event(None) {
        ev.push(e);
    }
    assert_eq!(picture(&ev), ["QNG -", "NLN -", "FLN -"]);
    assert_eq!(frames(&ev)[1].eol, Eol::None);
    assert_eq!(anomalies(&ev), [anomaly::CUT_LINE, anomaly::RESYNC]);
}

#[test]
fn push_past_the_end_is_a_gap_and_repeats_are_ignored() {
    let mut framer = Framer::new(C2S);
    framer.push(0, b"PNG\r\nMSG 1 N 4\r\nab");
    framer.push(3, b"\r\nMSG 1 N 4\r\nab"); // all seen already
    framer.push(20, b"PNG\r\n"); // bytes 18..20 lost: the end of the payload
    let mut ev = Vec::new();
    while let Some(e) = framer.next_event(None) {
        ev.push(e);
    }
    assert_eq!(picture(&ev), ["PNG -", "MSG 2/4", "PNG -"]);
}

#[test]
fn midstream_start_skips_to_the_first_command() {
    let ev = feed(
        S2C,
        Some(8),
        true,
        &[b"ly Bob 0\r\nmore\r\nNLN NLN bob@x Bob 0\r\n"],
    );
    assert_eq!(anomalies(&ev), [anomaly::RESYNC]);
    assert_eq!(
        ev[0],
        FramerEvent::Anomaly {
            name: anomaly::RESYNC,
            offset: 0,
            detail: "skipped 16 bytes to the next command line, at offset 16".into(),
        }
    );
    assert_eq!(picture(&ev), ["NLN -"]);
    // A stream that starts on a command boundary: nothing skipped, nothing reported.
    let ev = feed(S2C, Some(8), true, &[b"911 3\r\n"]);
    assert!(anomalies(&ev).is_empty());
    assert_eq!(picture(&ev), ["911 -"]);
}

#[test]
fn midstream_resync_waits_for_enough_bytes() {
    let ev = feed(S2C, None, true, &[b"xx\nMS", b"G a b 1\r\nZ", b"OUT\r\n"]);
    assert_eq!(picture(&ev), ["MSG 1/1", "OUT -"]);
    assert_eq!(anomalies(&ev), [anomaly::RESYNC]);
}

#[test]
fn resync_with_nothing_found_reports_at_the_end() {
    let ev = feed(S2C, None, true, &[b"no command here\r\nat all"]);
    assert_eq!(anomalies(&ev), [anomaly::RESYNC]);
    assert!(details(&ev)[0].contains("skipped 23 bytes before the end of the stream"));
    assert!(frames(&ev).is_empty());
}

#[test]
fn stats_count_resyncs_and_skipped_bytes() {
    let mut framer = Framer::new(S2C);
    framer.set_midstream();
    framer.push(100, b"junk\nOUT\r\n");
    while framer.next_event(None).is_some() {}
    assert_eq!(
        framer.stats(),
        FramerStats {
            frames: 1,
            anomalies: 1,
            resyncs: 1,
            skipped_bytes: 5,
            blocks: 0,
        }
    );
}

#[test]
fn gap_while_resyncing_reports_what_was_skipped_before_it() {
    let mut framer = Framer::new(S2C);
    framer.set_midstream();
    framer.push(0, b"junk junk");
    assert_eq!(framer.next_event(None), None);
    framer.gap(9, 3);
    framer.push(12, b"OUT\r\n");
    let mut ev = Vec::new();
    while let Some(e) = framer.next_event(None) {
        ev.push(e);
    }
    assert_eq!(details(&ev), ["msnp.resync: skipped 9 bytes before a gap"]);
    assert_eq!(picture(&ev), ["OUT -"]);
}

#[test]
fn stream_starting_with_a_gap_resyncs() {
    let mut framer = Framer::new(S2C);
    framer.gap(0, 10);
    framer.push(10, b"x\nOUT\r\n");
    let mut ev = Vec::new();
    while let Some(e) = framer.next_event(None) {
        ev.push(e);
    }
    assert_eq!(anomalies(&ev), [anomaly::RESYNC]);
    assert_eq!(frames(&ev)[0].offset, 12);
}

#[test]
fn offsets_near_the_top_do_not_overflow() {
    let mut framer = Framer::new(C2S);
    framer.push(u64::MAX - 4, b"MSG 1 N 9\r\nab");
    framer.gap(u64::MAX - 1, 10);
    framer.push(u64::MAX, b"OUT\r\n");
    while framer.next_event(None).is_some() {}
    framer.finish();
}

#[test]
fn looks_like_command_patterns() {
    assert_eq!(looks_like_command(b"MSG "), Some(true));
    assert_eq!(looks_like_command(b"PNG\r\n"), Some(true));
    assert_eq!(looks_like_command(b"PNG\n"), Some(true));
    assert_eq!(looks_like_command(b"911 3"), Some(true));
    assert_eq!(looks_like_command(b"PNG\r"), None);
    assert_eq!(looks_like_command(b"MS"), None);
    assert_eq!(looks_like_command(b""), None);
    assert_eq!(looks_like_command(b"Msg "), Some(false));
    assert_eq!(looks_like_command(b"911\r\n"), Some(false));
    assert_eq!(looks_like_command(b"MSGX"), Some(false));
}

// ---- realistic streams and properties ----------------------------------------------------------

fn msg(head: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!("{head} {}\r\n", body.len()).into_bytes();
    v.extend_from_slice(body);
    v
}

/// An MSNP13 login as the server sends it.
fn ns_s2c() -> Vec<u8> {
    let mut s = Vec::new();
    s.extend_from_slice(b"VER 1 MSNP13 CVR0\r\n");
    s.extend_from_slice(b"CVR 2 8.1.0178 8.1.0178 8.1.0178 http://x http://y\r\n");
    s.extend_from_slice(b"USR 3 TWN S ct=1,rver=1,wp=FS_40SEC_0_COMPACT,lc=1033\r\n");
    s.extend_from_slice(b"USR 4 OK alice@hotmail.com 1 0\r\n");
    s.extend_from_slice(b"SBS 0 null\r\n");
    s.extend(msg(
        "MSG Hotmail Hotmail",
        b"MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\n\r\n",
    ));
    s.extend(msg(
        "GCF 0",
        b"<Policies><Policy type=\"SHIELDS\"/></Policies>",
    ));
    s.extend(msg(
        "ADL 0",
        b"<ml><d n=\"x.com\"><c n=\"bob\" t=\"1\" l=\"8\"/></d></ml>",
    ));
    s.extend_from_slice(b"ADL 5 OK\r\n");
    s.extend(msg("241 6", b"<ml><d n=\"\"/></ml>"));
    s.extend_from_slice(b"ILN 7 NLN bob@x.com 1 Bob%20%C3%A9 2789003324 0\r\n");
    s.extend(msg(
        "UBX bob@x.com 1",
        "<Data><PSM>café \\0 ✓</PSM></Data>".as_bytes(),
    ));
    s.extend_from_slice(b"UUX 8 0\r\n");
    s.extend_from_slice(b"CHL 0 15570131571988941333\r\n");
    s.extend_from_slice(b"QRY 9\r\n");
    s.extend_from_slice(b"QNG 50\r\n");
    s.extend(msg(
        "NOT",
        b"<NOTIFICATION id=\"1\"><MSG><BODY>x</BODY></MSG></NOTIFICATION>",
    ));
    s.extend(msg("IPG", b"<NOTIFICATION ver=\"2\"/>"));
    s.extend_from_slice(b"NLN AWY bob@x.com 1 Bob 2789003324 0\r\n");
    s.extend_from_slice(
        b"XFR 10 SB 207.46.1.1:1863 CKI 17262740.1050826919.32308 U messenger.msn.com\r\n",
    );
    s.extend_from_slice(b"RNG 876 207.46.1.2:1863 CKI 849102291.520491932 carol@x.com Carol U messenger.hotmail.com\r\n");
    s.extend_from_slice(b"FLN bob@x.com 1\r\n");
    s.extend_from_slice(b"OUT OTH\r\n");
    s
}

/// A switchboard chat as the client sends it: typing, UTF-8 text, a binary P2P message.
fn sb_c2s() -> Vec<u8> {
    let mut p2p = vec![0u8; 48];
    p2p[0..4].copy_from_slice(&1234u32.to_le_bytes());
    p2p.extend_from_slice(b"INVITE MSNMSGR:bob@x.com MSNSLP/1.0\r\n\r\n\0");
    p2p.extend_from_slice(&[0, 0, 0, 1]);
    let mut p2p_msg = b"MIME-Version: 1.0\r\nContent-Type: application/x-msnmsgrp2p\r\nP2P-Dest: bob@x.com\r\n\r\n".to_vec();
    p2p_msg.extend_from_slice(&p2p);
    let mut s = Vec::new();
    s.extend_from_slice(b"USR 1 alice@hotmail.com 17262740.1050826919.32308\r\n");
    s.extend_from_slice(b"CAL 2 bob@x.com\r\n");
    s.extend(msg(
        "MSG 3 U",
        b"MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: alice@hotmail.com\r\n\r\n\r\n",
    ));
    s.extend(msg(
        "MSG 4 A",
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nSalut 😀\r\n\r\nligne 2".as_bytes(),
    ));
    s.extend(msg("MSG 5 D", &p2p_msg));
    s.extend_from_slice(b"OUT\r\n");
    s
}

/// The same chat as the server sends it.
fn sb_s2c() -> Vec<u8> {
    let mut s = Vec::new();
    s.extend_from_slice(b"USR 1 OK alice@hotmail.com Alice\r\n");
    s.extend_from_slice(b"CAL 2 RINGING 11752013\r\n");
    s.extend_from_slice(b"JOI bob@x.com Bob 1342177312\r\n");
    s.extend(msg(
        "MSG bob@x.com Bob",
        b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhi\0there\r\n",
    ));
    s.extend_from_slice(b"ACK 4\r\n");
    s.extend_from_slice(b"NAK 5\r\n");
    s.extend_from_slice(b"BYE bob@x.com 1\r\n");
    s
}

fn streams() -> Vec<(Direction, Vec<u8>)> {
    vec![(S2C, ns_s2c()), (C2S, sb_c2s()), (S2C, sb_s2c())]
}

#[test]
fn realistic_streams_frame_cleanly() {
    let ev = run(S2C, None, &ns_s2c());
    assert!(anomalies(&ev).is_empty(), "{:?}", details(&ev));
    assert_eq!(
        picture(&ev).join(", "),
        "VER -, CVR -, USR -, USR -, SBS -, MSG 72/72, GCF 45/45, ADL 50/50, ADL -, \
         241 18/18, ILN -, UBX 36/36, UUX 0/0, CHL -, QRY -, QNG -, NOT 61/61, IPG 23/23, \
         NLN -, XFR -, RNG -, FLN -, OUT -"
    );
    let ev = run(C2S, None, &sb_c2s());
    assert!(anomalies(&ev).is_empty(), "{:?}", details(&ev));
    assert_eq!(
        picture(&ev),
        [
            "USR -",
            "CAL -",
            "MSG 90/90",
            "MSG 83/83",
            "MSG 174/174",
            "OUT -"
        ]
    );
    let ev = run(S2C, None, &sb_s2c());
    assert!(anomalies(&ev).is_empty(), "{:?}", details(&ev));
    assert_eq!(
        picture(&ev),
        [
            "USR -",
            "CAL -",
            "JOI -",
            "MSG 57/57",
            "ACK -",
            "NAK -",
            "BYE -"
        ]
    );
}

#[test]
fn frames_point_at_their_bytes() {
    for (dir, stream) in streams() {
        let ev = run(dir, None, &stream);
        for f in frames(&ev) {
            let at = f.offset as usize;
            assert_eq!(&stream[at..at + f.line.len()], f.line.as_slice());
            let after = at + f.line.len() + 2;
            if let Some(p) = &f.payload {
                assert_eq!(&stream[after..after + p.bytes.len()], p.bytes.as_slice());
            }
        }
    }
}

#[test]
fn chunking_does_not_matter_at_any_split_point() {
    for (dir, stream) in streams() {
        let whole = run(dir, None, &stream);
        for i in 0..=stream.len() {
            let (a, b) = stream.split_at(i);
            assert_eq!(feed(dir, None, false, &[a, b]), whole, "split at {i}");
        }
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(feed(dir, None, false, &bytes), whole, "byte by byte");
    }
}

#[test]
fn every_proper_prefix_of_a_frame_needs_more() {
    let mut samples: Vec<(Direction, Vec<u8>)> = Vec::new();
    for (dir, stream) in streams() {
        // Cut each stream into its frames and test each frame alone.
        let ev = run(dir, None, &stream);
        let f = frames(&ev);
        for (i, frame) in f.iter().enumerate() {
            let start = frame.offset as usize;
            let end = f.get(i + 1).map_or(stream.len(), |n| n.offset as usize);
            samples.push((dir, stream[start..end].to_vec()));
        }
    }
    for (dir, frame) in samples {
        for cut in 0..frame.len() {
            let mut framer = Framer::new(dir);
            framer.push(0, &frame[..cut]);
            assert_eq!(framer.next_event(None), None, "{:?}", &frame[..cut]);
        }
        let mut framer = Framer::new(dir);
        framer.push(0, &frame);
        assert!(matches!(
            framer.next_event(None),
            Some(FramerEvent::Frame(_))
        ));
        assert_eq!(framer.next_event(None), None);
    }
}

#[test]
fn events_of_a_prefix_are_a_prefix_of_the_events() {
    for (dir, stream) in streams() {
        let mut framer = Framer::new(dir);
        framer.push(0, &stream);
        let mut whole = Vec::new();
        while let Some(e) = framer.next_event(None) {
            whole.push(e);
        }
        for cut in (0..stream.len()).step_by(7) {
            let mut framer = Framer::new(dir);
            framer.push(0, &stream[..cut]);
            let mut part = Vec::new();
            while let Some(e) = framer.next_event(None) {
                part.push(e);
            }
            assert_eq!(part[..], whole[..part.len()]);
        }
    }
}

// ---- MSNFTP blocks ---------------------------------------------------------------------------

const FTP: Option<u8> = Some(0);

fn blocks(events: &[FramerEvent]) -> Vec<Block> {
    events
        .iter()
        .filter_map(|e| match e {
            FramerEvent::Block(b) => Some(b.counters()),
            _ => None,
        })
        .collect()
}

/// `data` as MSNFTP blocks of at most 2045 bytes.
fn ftp_blocks(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in data.chunks(2045) {
        out.push(0);
        out.extend_from_slice(&(chunk.len() as u16).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

/// A text file whose lines look like MSNP commands, the first of both blocks' included.
fn ftp_text_file() -> Vec<u8> {
    let mut f = Vec::new();
    while f.len() < 2045 {
        f.extend_from_slice(b"MSG 1 N 50\r\nBYE 1\r\nline of the report\r\n");
    }
    f.truncate(2045);
    f.extend_from_slice(b"BYE 1\r\nMSG 1 N 50\r\nVER MSNFTP\r\nFIL 12\r\n");
    while f.len() < 4500 {
        f.extend_from_slice(b"USR a@b 1\r\nTFR\r\nCCL\r\n");
    }
    f
}

/// The sender's side of a transfer: its lines, then the blocks of `file`.
fn ftp_sender_stream(file: &[u8]) -> Vec<u8> {
    let mut s = format!("VER MSNFTP\r\nFIL {}\r\n", file.len()).into_bytes();
    s.extend_from_slice(&ftp_blocks(file));
    s
}

#[test]
fn msnftp_lines_have_no_trid_and_blocks_are_never_lines() {
    let file = ftp_text_file();
    let stream = ftp_sender_stream(&file);
    let ev = run(S2C, FTP, &stream);
    assert!(anomalies(&ev).is_empty(), "{:?}", details(&ev));
    assert_eq!(picture(&ev), ["VER -", "FIL -"]);
    let f = frames(&ev);
    assert_eq!(
        (f[0].command.trid, &f[0].command.params[..]),
        (None, &["MSNFTP".to_string()][..])
    );
    assert_eq!(f[1].command.params, [file.len().to_string()]);
    let b = blocks(&ev);
    assert_eq!(b.len(), 3);
    assert_eq!(b.iter().map(|b| b.len).sum::<u64>(), file.len() as u64);
    assert_eq!((b[0].index, b[0].offset, b[0].file_offset), (1, 22, 0));
    assert_eq!(
        (b[1].index, b[1].offset, b[1].file_offset),
        (2, 22 + 2048, 2045)
    );
    assert!(b.iter().all(|b| b.received == b.len && !b.cancel));
    // The receiver's side is lines, TrID-less.
    let ev = run(
        C2S,
        FTP,
        b"VER MSNFTP\r\nUSR bob@x.com 41728291\r\nTFR\r\nBYE 16777989\r\n",
    );
    assert!(anomalies(&ev).is_empty(), "{:?}", details(&ev));
    assert_eq!(picture(&ev), ["VER -", "USR -", "TFR -", "BYE -"]);
    assert!(frames(&ev).iter().all(|f| f.command.trid.is_none()));
}

#[test]
fn msnftp_blocks_do_not_depend_on_segmentation() {
    let stream = ftp_sender_stream(&ftp_text_file());
    let whole = run(S2C, FTP, &stream);
    for i in 0..=stream.len() {
        let (a, b) = stream.split_at(i);
        assert_eq!(feed(S2C, FTP, false, &[a, b]), whole, "split at {i}");
    }
    let bytes: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(feed(S2C, FTP, false, &bytes), whole, "byte by byte");
    // The dialect learnt from the sender's own `VER MSNFTP` is enough.
    assert_eq!(run(S2C, None, &stream), whole);
}

#[test]
fn every_proper_prefix_of_a_block_needs_more() {
    let file = ftp_text_file();
    let data = ftp_blocks(&file[..100]);
    for bytes in [&data[..], &[1, 0, 0][..], &[0, 0, 0][..]] {
        for cut in 0..bytes.len() {
            let mut framer = Framer::new(S2C);
            framer.push(0, b"FIL 100\r\n");
            assert!(matches!(
                framer.next_event(FTP.map(Dialect)),
                Some(FramerEvent::Frame(_))
            ));
            framer.push(9, &bytes[..cut]);
            assert_eq!(framer.next_event(FTP.map(Dialect)), None, "{cut}");
        }
        let mut framer = Framer::new(S2C);
        framer.push(0, b"FIL 100\r\n");
        framer.push(9, bytes);
        let mut ev = Vec::new();
        while let Some(e) = framer.next_event(FTP.map(Dialect)) {
            ev.push(e);
        }
        assert_eq!(blocks(&ev).len(), 1);
        assert!(anomalies(&ev).is_empty());
    }
}

#[test]
fn the_sender_cancels_with_its_marker_and_nothing_may_follow() {
    let mut stream = b"FIL 5000\r\n".to_vec();
    stream.extend_from_slice(&ftp_blocks(&[b'x'; 100]));
    stream.extend_from_slice(&[1, 0, 0]);
    let ev = run(S2C, FTP, &stream);
    assert!(anomalies(&ev).is_empty());
    let b = blocks(&ev);
    assert_eq!(b.len(), 2);
    assert!(!b[0].cancel && b[1].cancel);
    assert_eq!((b[1].index, b[1].len, b[1].file_offset), (2, 0, 100));
    // Bytes after the marker lose the structure and are skipped, never framed.
    stream.extend_from_slice(b"BYE 1\r\n");
    let ev = run(S2C, FTP, &stream);
    assert_eq!(picture(&ev), ["FIL -"]);
    assert_eq!(blocks(&ev).len(), 2);
    assert_eq!(anomalies(&ev), [anomaly::BAD_BLOCK, anomaly::SKIPPED]);
    assert!(details(&ev)[1].contains("skipped 7 bytes"));
}

#[test]
fn a_block_over_2045_bytes_is_reported_and_read_as_declared() {
    let mut stream = b"FIL 4100\r\n".to_vec();
    stream.extend_from_slice(&[0, 0x00, 0x10]); // 4096
    stream.extend_from_slice(&[b'a'; 4096]);
    stream.extend_from_slice(&ftp_blocks(b"tail"));
    let ev = run(S2C, FTP, &stream);
    assert_eq!(anomalies(&ev), [anomaly::BLOCK_TOO_LONG]);
    let b = blocks(&ev);
    assert_eq!(b.iter().map(|b| b.len).collect::<Vec<_>>(), [4096, 4]);
    assert_eq!(b[1].file_offset, 4096);
}

#[test]
fn a_bad_header_byte_loses_the_structure() {
    let mut stream = b"FIL 10\r\n".to_vec();
    stream.extend_from_slice(b"\x02\x05\x00hello BYE 1\r\n");
    let ev = run(S2C, FTP, &stream);
    assert_eq!(picture(&ev), ["FIL -"]);
    assert!(blocks(&ev).is_empty());
    assert_eq!(anomalies(&ev), [anomaly::BAD_BLOCK, anomaly::SKIPPED]);
    assert!(
        details(&ev)[1].contains("skipped 16 bytes"),
        "{:?}",
        details(&ev)
    );
    let mut framer = Framer::new(S2C);
    framer.push(0, &stream);
    while framer.next_event(FTP.map(Dialect)).is_some() {}
    framer.finish();
    assert_eq!(framer.stats().skipped_bytes, 16);
}

/// Frames `FIL`, then blocks with a gap of `len` bytes at `at` bytes into the blocks.
fn blocks_with_gap(data: &[u8], at: usize, len: usize) -> Vec<FramerEvent> {
    let head = b"FIL 9999\r\n";
    let mut framer = Framer::new(S2C);
    let d = FTP.map(Dialect);
    framer.push(0, head);
    framer.push(head.len() as u64, &data[..at]);
    let mut ev = Vec::new();
    while let Some(e) = framer.next_event(d) {
        ev.push(e);
    }
    let resume = (at + len).min(data.len());
    framer.gap((head.len() + at) as u64, len as u64);
    framer.push((head.len() + resume) as u64, &data[resume..]);
    while let Some(e) = framer.next_event(d) {
        ev.push(e);
    }
    ev.extend(framer.finish());
    ev
}

#[test]
fn a_gap_inside_a_block_shortens_it_and_the_next_header_is_found() {
    let data = ftp_blocks(&[b'z'; 3000]); // 2045 at [3, 2048), 955 at [2051, 3006)
    let ev = blocks_with_gap(&data, 100, 500);
    assert_eq!(anomalies(&ev), [anomaly::CUT_BLOCK]);
    let b = blocks(&ev);
    assert_eq!(b.len(), 2);
    assert_eq!((b[0].len, b[0].received), (2045, 1545));
    assert_eq!(
        (b[1].len, b[1].received, b[1].offset),
        (955, 955, 10 + 2048)
    );
    // A gap that ends right at the block's end.
    let ev = blocks_with_gap(&data, 1000, 1048);
    assert_eq!(blocks(&ev)[0].received, 997);
    assert_eq!(blocks(&ev).len(), 2);
}

#[test]
fn a_gap_past_a_block_or_between_blocks_loses_the_rest() {
    let data = ftp_blocks(&ftp_text_file());
    for (at, len, why) in [
        (100, 3000, "runs past the end of block 1"),
        (2048, 10, "between blocks"),
        (2049, 1, "cut a block header"),
    ] {
        let ev = blocks_with_gap(&data, at, len);
        assert_eq!(picture(&ev), ["FIL -"], "{why}");
        let names = anomalies(&ev);
        assert!(names.contains(&anomaly::LOST_BLOCKS), "{why}: {names:?}");
        assert_eq!(names.last(), Some(&anomaly::SKIPPED), "{why}");
        assert!(
            details(&ev).iter().any(|d| d.contains(why)),
            "{why}: {:?}",
            details(&ev)
        );
        // Whatever came before the gap was given; nothing after it.
        assert!(blocks(&ev).iter().all(|b| b.offset < (10 + at) as u64));
    }
}

#[test]
fn the_end_of_the_stream_cuts_a_header_or_a_block() {
    let data = ftp_blocks(&[b'q'; 100]);
    let ev = run(S2C, FTP, &[&b"FIL 100\r\n"[..], &data[..2]].concat());
    assert_eq!(anomalies(&ev), [anomaly::CUT_HEADER]);
    assert!(blocks(&ev).is_empty());
    let ev = run(S2C, FTP, &[&b"FIL 100\r\n"[..], &data[..50]].concat());
    assert_eq!(anomalies(&ev), [anomaly::CUT_BLOCK]);
    assert_eq!((blocks(&ev)[0].len, blocks(&ev)[0].received), (100, 47));
}

#[test]
fn fil_starts_blocks_only_under_msnftp_or_an_unknown_dialect() {
    let stream = [&b"FIL 5\r\n"[..], &ftp_blocks(b"BYE 1")].concat();
    assert_eq!(blocks(&run(S2C, None, &stream)).len(), 1);
    let ev = run(S2C, Some(8), &stream);
    assert!(blocks(&ev).is_empty());
    assert_eq!(picture(&ev)[0], "FIL -");
}

#[test]
fn a_gap_that_cuts_the_fil_line_loses_its_blocks() {
    let mut framer = Framer::new(S2C);
    let d = FTP.map(Dialect);
    framer.push(0, b"VER MSNFTP\r\nFIL 40");
    framer.gap(18, 3);
    framer.push(21, &ftp_blocks(b"x\r\nBYE 1\r\n"));
    let mut ev = Vec::new();
    while let Some(e) = framer.next_event(d) {
        ev.push(e);
    }
    ev.extend(framer.finish());
    assert_eq!(picture(&ev), ["VER -", "FIL -"]);
    assert_eq!(
        anomalies(&ev),
        [anomaly::CUT_LINE, anomaly::LOST_BLOCKS, anomaly::SKIPPED]
    );
}

#[test]
fn a_sender_picked_up_after_fil_has_its_blocks_resynchronised_as_lines() {
    // The documented limit: with no FIL seen, block mode never starts, and a text file's
    // lines pass for commands.
    let data = ftp_blocks(&ftp_text_file());
    let ev = feed(S2C, FTP, true, &[&data[1000..]]);
    assert!(blocks(&ev).is_empty());
    assert!(picture(&ev).iter().any(|p| p == "BYE -"));
}

#[test]
fn a_file_is_never_held_past_its_current_block() {
    let mut framer = Framer::new(S2C);
    let d = FTP.map(Dialect);
    framer.push(0, b"FIL 2045000\r\n");
    let mut at = 13u64;
    let block = ftp_blocks(&[7u8; 2045]);
    let mut n = 0;
    for _ in 0..1000 {
        framer.push(at, &block);
        at += block.len() as u64;
        while let Some(e) = framer.next_event(d) {
            n += usize::from(matches!(e, FramerEvent::Block(_)));
        }
        assert_eq!(framer.buffered(), 0);
    }
    assert_eq!(n, 1000);
    assert_eq!(framer.stats().blocks, 1000);
}

/// Splits `bytes` at the given (unsorted, possibly repeated) cut points.
fn split_at_points(bytes: &[u8], mut cuts: Vec<usize>) -> Vec<&[u8]> {
    cuts.iter_mut().for_each(|c| *c %= bytes.len() + 1);
    cuts.sort_unstable();
    let mut out = Vec::new();
    let mut at = 0;
    for c in cuts {
        out.push(&bytes[at..c]);
        at = c;
    }
    out.push(&bytes[at..]);
    out
}

/// Fields for the round trip: anything but a space or a line feed.
fn field() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[A-Za-z0-9@.%=:;{}-]{1,10}".prop_map(String::into_bytes),
        "[0-9]{1,4}".prop_map(String::into_bytes),
        proptest::collection::vec(
            any::<u8>().prop_filter("no separator", |b| *b != b' ' && *b != b'\n'),
            1..6
        ),
    ]
}

fn payload_verbs() -> Vec<Verb> {
    [
        "MSG", "NOT", "IPG", "UBX", "UBN", "UBM", "UUX", "ADL", "RML", "FQY", "GCF", "UUN", "UUM",
        "QRY", "PUT", "SDG", "NFY", "USR", "BYE", "QNG", "LST", "ZZZ", "241", "911",
    ]
    .iter()
    .map(|v| Verb::new(v.as_bytes().try_into().unwrap()))
    .collect()
}

/// One frame built so that the rules agree with it: the line (fields joined by single spaces,
/// the length field set to the payload's size when the rules want a payload) and its payload.
fn build_frame(
    verb: Verb,
    dir: Direction,
    mut fields: Vec<Vec<u8>>,
    body: Vec<u8>,
) -> (Vec<u8>, Option<Vec<u8>>) {
    let shape_of = |fields: &[Vec<u8>]| {
        let refs: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
        rules::shape(verb, dir, None, &refs)
    };
    let mut payload = None;
    if let Some(i) = shape_of(&fields).length {
        if i >= fields.len() {
            fields.push(Vec::new());
        }
        fields[i] = body.len().to_string().into_bytes();
        if shape_of(&fields).length == Some(i) {
            payload = Some(body);
        }
    }
    if payload.is_none() && shape_of(&fields).length.is_some() {
        // The rules still want a length this frame cannot give: drop the fields.
        fields.clear();
        return build_frame(verb, dir, fields, Vec::new());
    }
    let mut line = verb.0.to_vec();
    for f in &fields {
        line.push(b' ');
        line.extend_from_slice(f);
    }
    (line, payload)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random chunkings of the realistic streams give the same events as one push.
    #[test]
    fn random_chunkings_do_not_matter(
        which in 0usize..3,
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
    ) {
        let (dir, stream) = streams().swap_remove(which);
        let whole = run(dir, None, &stream);
        let chunks = split_at_points(&stream, cuts);
        prop_assert_eq!(feed(dir, None, false, &chunks), whole);
    }

    /// Random chunkings of an MSNFTP sender's stream give the same lines and blocks.
    #[test]
    fn random_chunkings_of_blocks_do_not_matter(
        cuts in proptest::collection::vec(any::<usize>(), 0..40),
    ) {
        let stream = ftp_sender_stream(&ftp_text_file());
        let whole = run(S2C, FTP, &stream);
        prop_assert_eq!(feed(S2C, FTP, false, &split_at_points(&stream, cuts)), whole);
    }

    /// Arbitrary bytes and gaps after `FIL`: no panic, nothing framed as a line, blocks in
    /// stream order, never more received than declared, nothing held beyond a header.
    #[test]
    fn arbitrary_bytes_after_fil_never_panic(
        ops in proptest::collection::vec(
            prop_oneof![
                4 => proptest::collection::vec(
                    prop_oneof![any::<u8>(), Just(0u8), Just(1u8), Just(b'\n')],
                    0..64,
                ).prop_map(Ok),
                1 => (0u64..50).prop_map(Err),
            ],
            0..30,
        ),
    ) {
        let d = FTP.map(Dialect);
        let mut framer = Framer::new(S2C);
        framer.push(0, b"FIL 100\r\n");
        let mut end = 9u64;
        let mut events = Vec::new();
        while let Some(e) = framer.next_event(d) {
            events.push(e);
        }
        for op in ops {
            match op {
                Ok(bytes) => {
                    framer.push(end, &bytes);
                    end += bytes.len() as u64;
                }
                Err(len) => {
                    framer.gap(end, len);
                    end += len;
                }
            }
            while let Some(e) = framer.next_event(d) {
                events.push(e);
            }
            // Block mode holds the data of the block in progress, no more.
            prop_assert!(framer.buffered() <= crate::msnp::framer::MAX_BLOCK_DATA);
        }
        events.extend(framer.finish());
        prop_assert_eq!(frames(&events).len(), 1);
        let mut last = 0;
        for b in blocks(&events) {
            prop_assert!(b.offset >= 9 && b.offset >= last);
            prop_assert!(b.received <= b.len);
            last = b.offset + 3;
        }
    }

    /// Commands rendered to bytes (with their payloads) frame back to the same commands.
    #[test]
    fn render_then_frame_round_trips(
        s2c in any::<bool>(),
        specs in proptest::collection::vec(
            (
                proptest::sample::select(payload_verbs()),
                proptest::collection::vec(field(), 0..5),
                proptest::collection::vec(any::<u8>(), 0..40),
            ),
            1..6,
        ),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
    ) {
        let dir = if s2c { S2C } else { C2S };
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for (verb, fields, body) in specs {
            let (line, payload) = build_frame(verb, dir, fields, body);
            let command = command::parse_command_line(&line, dir, None).unwrap();
            expected.push(Frame {
                offset: stream.len() as u64,
                line: line.clone(),
                eol: Eol::CrLf,
                command,
                payload: payload.as_ref().map(|b| Payload { declared: b.len() as u64, bytes: b.clone() }),
            });
            stream.extend_from_slice(&line);
            stream.extend_from_slice(b"\r\n");
            stream.extend_from_slice(&payload.unwrap_or_default());
        }
        let ev = feed(dir, None, false, &split_at_points(&stream, cuts));
        let got: Vec<Frame> = frames(&ev).into_iter().cloned().collect();
        prop_assert_eq!(got, expected);
        for name in anomalies(&ev) {
            prop_assert!(name == anomaly::UNKNOWN_VERB || name == anomaly::BAD_TRID, "{}", name);
        }
    }

    /// Arbitrary bytes, chunks and gaps: no panic, bounded buffer, frames in stream order and
    /// matching the input where no gap intervened.
    #[test]
    fn arbitrary_input_never_panics(
        s2c in any::<bool>(),
        midstream in any::<bool>(),
        dialect in proptest::option::of(2u8..=18),
        ops in proptest::collection::vec(
            prop_oneof![
                4 => proptest::collection::vec(
                    prop_oneof![
                        any::<u8>(),
                        Just(b'\n'),
                        Just(b' '),
                        Just(b'\r'),
                        proptest::sample::select(b"MSGNOTADLQRY0123456789".to_vec()),
                    ],
                    0..64,
                ).prop_map(Ok),
                1 => (0u64..50).prop_map(Err),
            ],
            0..30,
        ),
    ) {
        let dir = if s2c { S2C } else { C2S };
        let dialect = dialect.map(Dialect);
        let mut framer = Framer::new(dir);
        if midstream {
            framer.set_midstream();
        }
        let mut stream: Vec<Option<u8>> = Vec::new();
        let mut events = Vec::new();
        for op in ops {
            match op {
                Ok(bytes) => {
                    framer.push(stream.len() as u64, &bytes);
                    stream.extend(bytes.iter().map(|&b| Some(b)));
                }
                Err(len) => {
                    framer.gap(stream.len() as u64, len);
                    stream.extend(std::iter::repeat_n(None, len as usize));
                }
            }
            prop_assert!(framer.buffered() <= MAX_HELD);
            while let Some(e) = framer.next_event(dialect) {
                events.push(e);
            }
        }
        events.extend(framer.finish());
        let mut last = None;
        for f in frames(&events) {
            prop_assert!(last.is_none_or(|l| f.offset > l), "frames out of order");
            last = Some(f.offset);
            let at = f.offset as usize;
            let seen: Vec<Option<u8>> = f.line.iter().map(|&b| Some(b)).collect();
            prop_assert_eq!(&stream[at..at + f.line.len()], seen.as_slice());
            if let Some(p) = &f.payload {
                prop_assert!(p.bytes.len() as u64 <= p.declared);
            }
            let again = command::parse_command_line(&f.line, dir, None);
            prop_assert!(again.is_ok());
        }
    }
}

/// The data runs of every block, laid at their file offsets: `(file offset, bytes)`.
fn block_data(events: &[FramerEvent]) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    for e in events {
        if let FramerEvent::Block(b) = e {
            for (at, run) in &b.data {
                out.push((b.file_offset + at, run.clone()));
            }
        }
    }
    out
}

#[test]
fn blocks_give_their_data_at_its_offsets_and_a_gap_leaves_a_hole_not_bytes() {
    let file = ftp_text_file();
    let data = ftp_blocks(&file);
    // Whole, in pieces that split headers and data anywhere.
    for step in [1, 2, 3, 7, 1000, data.len()] {
        let chunks: Vec<&[u8]> = std::iter::once(&b"FIL 4500\r\n"[..])
            .chain(data.chunks(step))
            .collect();
        let runs = block_data(&feed(S2C, FTP, false, &chunks));
        let mut got = Vec::new();
        for (at, run) in runs {
            assert_eq!(at, got.len() as u64, "step {step}");
            got.extend_from_slice(&run);
        }
        assert_eq!(got, file, "step {step}");
    }
    // A gap of 500 bytes at 100 in the block bytes: file bytes 97..597 are missing.
    let ev = blocks_with_gap(&data, 100, 500);
    let runs = block_data(&ev);
    assert_eq!(runs[0], (0, file[..97].to_vec()));
    assert_eq!(runs[1], (597, file[597..2045].to_vec()));
    assert_eq!(runs[2].0, 2045);
    assert_eq!(runs[2].1, file[2045..2045 + runs[2].1.len()]);
    assert!(blocks(&ev).iter().all(|b| b.data.is_empty()));
}

#[test]
fn give_up_cuts_a_payload_skips_its_rest_and_leaves_an_idle_framer_alone() {
    let dialect = Some(crate::msnp::Dialect(8));
    let take = |f: &mut Framer| {
        let mut v = Vec::new();
        while let Some(e) = f.next_event(dialect) {
            v.push(e);
        }
        v
    };
    let mut f = Framer::new(C2S);
    f.push(0, b"VER 1 MSNP8 CVR0\r\n");
    assert_eq!(take(&mut f).len(), 1);
    // Between lines nothing is held: nothing is cut, and the next line frames as usual.
    assert!(!f.give_up("the memory cap"));
    f.push(18, b"MSG 2 N 10\r\nabc");
    assert!(take(&mut f).is_empty());
    assert!(f.buffered() > 0 && f.held_memory() >= f.buffered());
    assert!(f.give_up("the memory cap"));
    assert_eq!(f.buffered(), 0);
    let evs = take(&mut f);
    let cut = evs.iter().find_map(|e| match e {
        FramerEvent::Frame(fr) => Some(fr),
        _ => None,
    });
    let cut = cut.expect("the MSG comes out");
    assert_eq!(cut.command.verb, Verb::new(b"MSG"));
    assert_eq!(
        cut.payload.as_ref().map(|p| (&p.bytes[..], p.declared)),
        Some((&b"abc"[..], 10))
    );
    assert!(evs.iter().any(
        |e| matches!(e, FramerEvent::Anomaly { detail, .. } if detail.contains("the memory cap"))
    ));
    // The rest of the payload (7 bytes) is skipped; the next command is framed.
    f.push(33, b"defghijOUT\r\n");
    let evs = take(&mut f);
    let verbs: Vec<_> = evs
        .iter()
        .filter_map(|e| match e {
            FramerEvent::Frame(fr) => Some(fr.command.verb),
            _ => None,
        })
        .collect();
    assert_eq!(verbs, [Verb::new(b"OUT")]);
}
