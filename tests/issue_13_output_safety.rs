//! Output safety (issue 13): every byte value and every Unicode format character, sent as
//! chat text on a switchboard, through each output: the dialogue (no raw control byte, no
//! format character), JSON events (valid, and the text comes back exactly), and the text,
//! HTML and JSON transcripts (no raw control byte in text; in HTML no markup from the data).

use msnsniff::conversation::Correlator;
use msnsniff::event::{Collect, Event, Sink};
use msnsniff::output::dialogue::{Dialogue, Notes};
use msnsniff::output::json::JsonLines;
use msnsniff::output::transcript::{html, json, txt};

/// Every Unicode format character (general category Cf), and the line and paragraph
/// separators.
fn format_chars() -> Vec<char> {
    use unicode_general_category::{GeneralCategory, get_general_category};
    (0..=0x10FFFFu32)
        .filter_map(char::from_u32)
        .filter(|c| {
            matches!(get_general_category(*c), GeneralCategory::Format)
                || matches!(*c, '\u{2028}' | '\u{2029}')
        })
        .collect()
}

/// A chat message whose text holds `payload`, as a client writes it.
fn message(payload: &[u8]) -> Vec<u8> {
    let mut body =
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nbefore ".to_vec();
    body.extend_from_slice(payload);
    body.extend_from_slice(b" after");
    body
}

/// The payloads: each byte value alone, and the format characters in groups.
fn payloads() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
    let fmt = format_chars();
    assert!(
        fmt.len() > 150,
        "Unicode has some 170 format characters: {}",
        fmt.len()
    );
    for group in fmt.chunks(16) {
        out.push(group.iter().collect::<String>().into_bytes());
    }
    // The usual attack strings too.
    out.push(b"\x1b]0;owned\x07\x1b[2J<script>alert(1)</script></html>&amp;".to_vec());
    out
}

fn dialogue_of(events: &[Event]) -> String {
    let mut buf = Vec::new();
    {
        let mut d = Dialogue::new(&mut buf, Notes::Full, false, false);
        for e in events {
            d.event(e).unwrap();
        }
        d.finish().unwrap();
    }
    String::from_utf8(buf).expect("the dialogue is UTF-8")
}

fn assert_terminal_safe(text: &str, what: &str) {
    for c in text.chars() {
        let bad = (c.is_control() && c != '\n')
            || msnsniff::escape::is_format(c)
            || matches!(c, '\u{2028}' | '\u{2029}');
        assert!(!bad, "{what}: raw {:?} in {text:?}", c);
    }
}

#[test]
fn every_byte_and_format_character_stays_inert_in_every_output() {
    let fmt = format_chars();
    for payload in payloads() {
        let body = message(&payload);
        let mut collect = Collect::default();
        msnsniff::fuzzing::message_into(&body, &mut collect);
        let events = collect.0;
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::Command(c) if c.verb == "MSG")),
            "{payload:?}"
        );

        // The dialogue: one line per line, nothing raw.
        assert_terminal_safe(&dialogue_of(&events), &format!("dialogue of {payload:?}"));

        // JSON: valid, and the text as the client sent it, byte for byte where it was UTF-8.
        let mut buf = Vec::new();
        {
            let mut j = JsonLines::new(&mut buf);
            for e in &events {
                j.event(e).unwrap();
            }
        }
        let mut texts = Vec::new();
        for line in String::from_utf8(buf).expect("JSON is UTF-8").lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
            if let Some(t) = v.get("text").and_then(|t| t.as_str()) {
                texts.push(t.to_string());
            }
        }
        assert!(!texts.is_empty(), "{payload:?}");
        if let Ok(s) = std::str::from_utf8(&payload)
            && !s.contains('\\')
        {
            assert!(
                texts.iter().all(|t| t.contains(s)),
                "{payload:?}: {texts:?}"
            );
        }

        // Transcripts.
        let mut corr = Correlator::new();
        for e in &events {
            corr.event(e);
        }
        let mut conversations = corr.take_finished();
        conversations.extend(corr.finish().conversations);
        assert!(!conversations.is_empty(), "{payload:?}");
        for c in &conversations {
            assert_terminal_safe(&txt::render_txt(c), &format!("txt of {payload:?}"));
            let page = html::render_html(c);
            assert!(!page.contains("<script"), "{payload:?}");
            assert!(!page.contains("</html>&") && page.matches("</html>").count() == 1);
            for ch in page.chars() {
                let raw = (ch.is_control() && ch != '\n') || fmt.contains(&ch);
                assert!(!raw, "html of {payload:?}: raw {ch:?}");
            }
            serde_json::from_str::<serde_json::Value>(&json::render_json(c))
                .expect("transcript JSON is valid");
        }
    }
}
