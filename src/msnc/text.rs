//! Instant messages (`text/plain`): the body as text, and the `X-MMS-IM-Format` header that
//! says how the sender's client showed it (font, effects, colour, character set).
//!
//! Why it exists: the body is bytes. Official clients send UTF-8, but older and third-party
//! clients send other 8-bit text, so the bytes that are not valid UTF-8 are read as Latin-1
//! (each byte the character of the same number), libpurple's fallback, and the message says
//! how many there were; the valid UTF-8 around them is kept as it is. The format header packs
//! its values tightly (a URL-encoded font name, a colour in BGR order with leading zeros
//! dropped, a Windows charset code in hex); here they get their plain meaning.
//!
//! Guarantees: the text is in the data form of [`crate::escape`] (a backslash as `\\`), made
//! from at most [`MAX_TEXT`] bytes of the body (never cut inside a UTF-8 character); a colour
//! that is not hexadecimal, or wider than six digits, is left out rather than guessed. Total on
//! any input.

use super::mime;
use crate::escape::escape_field;
use crate::msnp::urlcode::url_decode;

/// Body bytes turned into `text`. A switchboard message holds about 1664 bytes; anything far
/// beyond is not chat, and the whole body is still in the payload.
pub const MAX_TEXT: usize = 64 * 1024;

/// How the body's bytes were read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// Not all valid UTF-8: this many bytes, those outside valid UTF-8 sequences, were each
    /// read as the Latin-1 character of the same number.
    Latin1 {
        bytes: usize,
    },
}

/// A `text/plain` message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextMessage {
    /// The body as text, in the data form.
    pub text: String,
    pub encoding: Encoding,
    /// Only the first [`MAX_TEXT`] bytes were read.
    pub truncated: bool,
    /// `X-MMS-IM-Format`, when sent.
    pub format: Option<Format>,
}

impl TextMessage {
    /// Reads a body, with the value of its `X-MMS-IM-Format` header.
    pub fn new(body: &[u8], format: Option<&str>) -> TextMessage {
        let (text, encoding, truncated) = decode(body);
        TextMessage {
            text,
            encoding,
            truncated,
            format: format.map(Format::parse),
        }
    }

    /// What [`TextMessage::new`] tells of a body but the text and the format, both left
    /// empty: the encoding and the cut (and so the notes about them), for a run whose outputs
    /// never read the text.
    pub fn measured(body: &[u8]) -> TextMessage {
        let (encoding, truncated) = measure(body);
        TextMessage {
            text: String::new(),
            encoding,
            truncated,
            format: None,
        }
    }
}

/// The body as text: valid UTF-8 as it is, every other byte as its Latin-1 character. Reads
/// at most [`MAX_TEXT`] bytes, and drops a character the cut split. Gives (text in the data
/// form, encoding, cut).
pub fn decode(body: &[u8]) -> (String, Encoding, bool) {
    let truncated = body.len() > MAX_TEXT;
    let mut head = &body[..body.len().min(MAX_TEXT)];
    if truncated {
        head = without_split_character(head);
    }
    // Valid UTF-8 (the usual case) is kept as it is: one copy.
    if let Ok(text) = std::str::from_utf8(head) {
        return (escape_field(text.as_bytes()), Encoding::Utf8, truncated);
    }
    let mut text = String::with_capacity(head.len());
    let mut latin1 = 0;
    for chunk in head.utf8_chunks() {
        text.push_str(chunk.valid());
        for &b in chunk.invalid() {
            text.push(char::from(b));
            latin1 += 1;
        }
    }
    let encoding = match latin1 {
        0 => Encoding::Utf8,
        bytes => Encoding::Latin1 { bytes },
    };
    (escape_field(text.as_bytes()), encoding, truncated)
}

/// [`decode`]'s encoding and cut, without making the text.
pub fn measure(body: &[u8]) -> (Encoding, bool) {
    let truncated = body.len() > MAX_TEXT;
    let mut head = &body[..body.len().min(MAX_TEXT)];
    if truncated {
        head = without_split_character(head);
    }
    if std::str::from_utf8(head).is_ok() {
        return (Encoding::Utf8, truncated);
    }
    let encoding = match head.utf8_chunks().map(|c| c.invalid().len()).sum() {
        0 => Encoding::Utf8,
        bytes => Encoding::Latin1 { bytes },
    };
    (encoding, truncated)
}

/// `bytes` without a UTF-8 sequence its end cut short.
fn without_split_character(bytes: &[u8]) -> &[u8] {
    let n = bytes.len();
    for back in 1..=n.min(3) {
        let b = bytes[n - back];
        if b & 0xC0 == 0x80 {
            continue;
        }
        let needs = match b {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        };
        return if needs > back {
            &bytes[..n - back]
        } else {
            bytes
        };
    }
    bytes
}

/// A text effect of `EF=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    Bold,
    Italic,
    Underline,
    Strikethrough,
}

/// `X-MMS-IM-Format: FN=...; EF=...; CO=...; CS=...; PF=...[; RL=1]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Format {
    /// `FN`, URL-decoded (the data form; the raw text when the escapes are broken).
    pub font: Option<String>,
    /// `EF`: each known letter once, in the order B, I, U, S.
    pub effects: Vec<Effect>,
    /// `CO`, turned from BGR into red, green, blue.
    pub color: Option<[u8; 3]>,
    /// `CS`: the Windows character-set code (sent in hex).
    pub charset: Option<u8>,
    /// `PF`: pitch and family, as sent.
    pub pitch_family: Option<String>,
    /// `RL=1`: right-to-left text.
    pub right_to_left: bool,
}

impl Format {
    /// Parses the header's value; unknown or broken parts are left out.
    pub fn parse(value: &str) -> Format {
        let mut f = Format::default();
        // Split at the ASCII `;` and `=` by byte (a char searcher costs more than these
        // few short parts).
        for part in mime::split_ascii(value, b';') {
            let Some(eq) = part.bytes().position(|b| b == b'=') else {
                continue;
            };
            let v = mime::trim_text(&part[eq + 1..]);
            // Keys in any case, compared without making an upper-case copy of each.
            let key = mime::trim_text(&part[..eq]).as_bytes();
            let is = |name: &[u8]| key.eq_ignore_ascii_case(name);
            if is(b"FN") {
                f.font = Some(url_decode(v).unwrap_or_else(|| v.to_string()));
            } else if is(b"EF") {
                f.effects = [
                    (b'B', Effect::Bold),
                    (b'I', Effect::Italic),
                    (b'U', Effect::Underline),
                    (b'S', Effect::Strikethrough),
                ]
                .into_iter()
                .filter(|(c, _)| v.bytes().any(|b| b.eq_ignore_ascii_case(c)))
                .map(|(_, e)| e)
                .collect();
            } else if is(b"CO") {
                f.color = bgr_to_rgb(v);
            } else if is(b"CS") {
                f.charset = u8::from_str_radix(v, 16).ok();
            } else if is(b"PF") && !v.is_empty() {
                f.pitch_family = Some(v.to_string());
            } else if is(b"RL") {
                f.right_to_left = v == "1";
            }
        }
        f
    }
}

/// `CO=` (BGR hex, leading zeros dropped: `ff` is red, `ff0000` blue) → `[r, g, b]`.
pub fn bgr_to_rgb(hex: &str) -> Option<[u8; 3]> {
    if hex.is_empty() || hex.len() > 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let v = u32::from_str_radix(hex, 16).ok()?;
    Some([v as u8, (v >> 8) as u8, (v >> 16) as u8])
}

/// `#rrggbb`.
pub fn color_hex(rgb: [u8; 3]) -> String {
    // By hand rather than `format!`: written for every text message's format.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(7);
    out.push('#');
    for b in rgb {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xF)]));
    }
    out
}

/// The name of a Windows character-set code (`CS=`).
pub fn charset_name(code: u8) -> Option<&'static str> {
    Some(match code {
        0x00 => "ANSI",
        0x01 => "default",
        0x02 => "symbol",
        0x4d => "Mac",
        0x80 => "Shift-JIS",
        0x81 => "Hangul",
        0x82 => "Johab",
        0x86 => "GB2312",
        0x88 => "Big5",
        0xa1 => "Greek",
        0xa2 => "Turkish",
        0xa3 => "Vietnamese",
        0xb1 => "Hebrew",
        0xb2 => "Arabic",
        0xba => "Baltic",
        0xcc => "Cyrillic",
        0xde => "Thai",
        0xee => "Eastern European",
        0xff => "OEM",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    proptest! {
        /// `measure` tells what `decode` tells of the encoding and the cut, on any bytes:
        /// short, past the cap, cut inside a character, UTF-8 mixed with other bytes.
        #[test]
        fn measure_agrees_with_decode(
            parts in proptest::collection::vec(prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..8),
                any::<char>().prop_map(|c| c.to_string().into_bytes()),
            ], 0..16),
            pad in prop_oneof![Just(0usize), MAX_TEXT - 40..MAX_TEXT + 8],
        ) {
            let mut body = vec![b'a'; pad];
            body.extend(parts.concat());
            let (_, encoding, cut) = decode(&body);
            prop_assert_eq!(measure(&body), (encoding, cut));
            let m = TextMessage::measured(&body);
            prop_assert_eq!((m.text.as_str(), m.encoding, m.truncated, m.format), ("", encoding, cut, None));
        }
    }

    #[test]
    fn utf8_is_kept_and_backslashes_doubled() {
        assert_eq!(
            decode("ça va? \\o/".as_bytes()),
            ("ça va? \\\\o/".to_string(), Encoding::Utf8, false)
        );
        assert_eq!(decode(b""), (String::new(), Encoding::Utf8, false));
    }

    #[test]
    fn other_bytes_are_read_as_latin1() {
        // "café" and "ñ" in Latin-1, and a byte that is a C1 control there.
        let (t, e, cut) = decode(b"caf\xe9 \xf1 \x9b");
        assert_eq!(t, "café ñ \u{9b}");
        assert_eq!(e, Encoding::Latin1 { bytes: 3 });
        assert!(!cut);
        // Valid UTF-8 around them is kept.
        let mut mixed = "ünï ".as_bytes().to_vec();
        mixed.extend_from_slice(b"\xc3\x28 \xe9");
        let (t, e, _) = decode(&mixed);
        assert_eq!(t, "ünï Ã( é");
        assert_eq!(e, Encoding::Latin1 { bytes: 2 });
    }

    #[test]
    fn long_text_is_cut_at_a_character() {
        for (at, c) in [(1, "é"), (1, "€"), (2, "€"), (3, "🍕")] {
            let mut body = vec![b'a'; MAX_TEXT - at];
            body.extend_from_slice(c.as_bytes());
            body.extend_from_slice(b" and more");
            let (t, e, cut) = decode(&body);
            assert!(cut);
            assert_eq!(e, Encoding::Utf8, "{c} {at}");
            let keep = if c.len() <= at {
                MAX_TEXT
            } else {
                MAX_TEXT - at
            };
            assert_eq!(t.len(), keep, "{c} {at}");
        }
        assert_eq!(without_split_character(b""), b"");
        assert_eq!(
            without_split_character(b"\x80\x80\x80\x80"),
            b"\x80\x80\x80\x80"
        );
    }

    #[test]
    fn format_header() {
        let f = Format::parse("FN=MS%20Shell%20Dlg%202; EF=BU; CO=ff; CS=80; PF=22; RL=1");
        assert_eq!(f.font.as_deref(), Some("MS Shell Dlg 2"));
        assert_eq!(f.effects, [Effect::Bold, Effect::Underline]);
        assert_eq!(f.color, Some([0xff, 0, 0]));
        assert_eq!(f.charset, Some(0x80));
        assert_eq!(f.charset.and_then(charset_name), Some("Shift-JIS"));
        assert_eq!(f.pitch_family.as_deref(), Some("22"));
        assert!(f.right_to_left);
        let f = Format::parse("FN=Arial; EF=; CO=0; CS=0; PF=0");
        assert!(f.effects.is_empty());
        assert_eq!(f.color.map(color_hex).as_deref(), Some("#000000"));
        assert_eq!(f.charset.and_then(charset_name), Some("ANSI"));
        assert!(!f.right_to_left);
        // Keys and effect letters in any case.
        let f = Format::parse(" fn=Tahoma ;ef=si; Co=ff00; rl=1; pF=31");
        assert_eq!(f.font.as_deref(), Some("Tahoma"));
        assert_eq!(f.effects, [Effect::Italic, Effect::Strikethrough]);
        assert_eq!(f.color, Some([0, 0xff, 0]));
        assert!(f.right_to_left);
        assert_eq!(f.pitch_family.as_deref(), Some("31"));
    }

    #[test]
    fn colours_are_bgr() {
        assert_eq!(
            bgr_to_rgb("ff0000").map(color_hex).as_deref(),
            Some("#0000ff")
        );
        assert_eq!(
            bgr_to_rgb("ff00").map(color_hex).as_deref(),
            Some("#00ff00")
        );
        assert_eq!(
            bgr_to_rgb("123456").map(color_hex).as_deref(),
            Some("#563412")
        );
        assert_eq!(
            bgr_to_rgb("8000").map(color_hex).as_deref(),
            Some("#008000")
        );
        for bad in ["", "1234567", "zz", "-1", "+f"] {
            assert_eq!(bgr_to_rgb(bad), None, "{bad}");
        }
    }

    #[test]
    fn hostile_format_values_stay_data() {
        let f = Format::parse("FN=%1B%5B31m%E2%80%AEx%FF; EF=BBBxyz; CO=nothex; CS=zz");
        assert_eq!(f.font.as_deref(), Some("\x1b[31m\u{202e}x\\xFF"));
        assert_eq!(f.effects, [Effect::Bold]);
        assert_eq!(f.color, None);
        assert_eq!(f.charset, None);
        // A broken escape keeps the raw text.
        assert_eq!(Format::parse("FN=a%zz").font.as_deref(), Some("a%zz"));
    }
}
