//! The one way msnsniff shows capture bytes as text, in two forms.
//!
//! Why it exists: bytes from the capture are untrusted. They reach people through JSON strings
//! and through a terminal, and both must say exactly which bytes were sent, with nothing from
//! the wire able to pass for something msnsniff wrote (an escape sequence, a line end, a
//! character that reorders the text around it). Both the pure layers (the command grammar, the
//! framer's anomaly details, the notes) and the output use these functions, so there is one
//! rule, written once.
//!
//! **Data form** ([`escape_field`], for JSON `params` and wherever capture bytes become a JSON
//! string): valid UTF-8 is kept as it is; a backslash becomes `\\`; each byte of a sequence that
//! is not valid UTF-8 becomes `\xNN`. JSON's own string escapes then take care of control
//! characters. Since every backslash from the wire is doubled, a `\x` that is not preceded by
//! another backslash can only be an invalid byte: the text `\xFF` typed by a user is
//! `\\xFF`, the byte 0xFF alone is `\xFF`.
//!
//! **Display form** ([`escape_line`] = [`one_line`] over the data form, for the terminal and for
//! sentences such as notes and anomaly details): the data form, and then every character that
//! is invisible or moves the cursor spelt out as well:
//!
//! | what | shown as |
//! |---|---|
//! | tab | `\t` |
//! | other C0 controls (U+0000–U+001F) and DEL (U+007F) | `\x1B` (the byte's value) |
//! | C1 controls (U+0080–U+009F) | `\u{9B}` (two bytes in UTF-8; `\x9B` is the lone invalid byte) |
//! | format characters ([`FORMAT_CHARACTERS`]: bidi controls, zero-width characters, tags...), U+2028, U+2029 | `\u{202E}` |
//!
//! Hex digits are always upper case. Neither form is ever ambiguous: [`unescape_field`] gives
//! back the exact bytes from either (the property tests below check it on arbitrary bytes).
//!
//! Guarantees: total and panic-free on any input; the display form holds no control, format or
//! line-separator character, so it is always one inert line; [`one_line`] is idempotent.

use std::fmt::Write as _;

/// Unicode general category Cf (Format), as listed in `DerivedGeneralCategory.txt` of the
/// Unicode Character Database, version 16.0.0 (<https://www.unicode.org/Public/16.0.0/ucd/extracted/DerivedGeneralCategory.txt>).
/// Inclusive ranges, in order. These characters are invisible or change how the text around
/// them is shown (U+202E RIGHT-TO-LEFT OVERRIDE turns `gnp.exe` into what reads as `exe.png`).
pub const FORMAT_CHARACTERS: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),   // SOFT HYPHEN
    ('\u{0600}', '\u{0605}'),   // ARABIC NUMBER SIGN..ARABIC NUMBER MARK ABOVE
    ('\u{061C}', '\u{061C}'),   // ARABIC LETTER MARK
    ('\u{06DD}', '\u{06DD}'),   // ARABIC END OF AYAH
    ('\u{070F}', '\u{070F}'),   // SYRIAC ABBREVIATION MARK
    ('\u{0890}', '\u{0891}'),   // ARABIC POUND MARK ABOVE..ARABIC PIASTRE MARK ABOVE
    ('\u{08E2}', '\u{08E2}'),   // ARABIC DISPUTED END OF AYAH
    ('\u{180E}', '\u{180E}'),   // MONGOLIAN VOWEL SEPARATOR
    ('\u{200B}', '\u{200F}'),   // ZERO WIDTH SPACE..RIGHT-TO-LEFT MARK
    ('\u{202A}', '\u{202E}'),   // LEFT-TO-RIGHT EMBEDDING..RIGHT-TO-LEFT OVERRIDE
    ('\u{2060}', '\u{2064}'),   // WORD JOINER..INVISIBLE PLUS
    ('\u{2066}', '\u{206F}'),   // LEFT-TO-RIGHT ISOLATE..NOMINAL DIGIT SHAPES
    ('\u{FEFF}', '\u{FEFF}'),   // ZERO WIDTH NO-BREAK SPACE (byte order mark)
    ('\u{FFF9}', '\u{FFFB}'),   // INTERLINEAR ANNOTATION ANCHOR..TERMINATOR
    ('\u{110BD}', '\u{110BD}'), // KAITHI NUMBER SIGN
    ('\u{110CD}', '\u{110CD}'), // KAITHI NUMBER SIGN ABOVE
    ('\u{13430}', '\u{1343F}'), // EGYPTIAN HIEROGLYPH VERTICAL JOINER..END WALLED ENCLOSURE
    ('\u{1BCA0}', '\u{1BCA3}'), // SHORTHAND FORMAT LETTER OVERLAP..SHORTHAND FORMAT UP STEP
    ('\u{1D173}', '\u{1D17A}'), // MUSICAL SYMBOL BEGIN BEAM..MUSICAL SYMBOL END PHRASE
    ('\u{E0001}', '\u{E0001}'), // LANGUAGE TAG
    ('\u{E0020}', '\u{E007F}'), // TAG SPACE..CANCEL TAG
];

/// Whether `c` is in [`FORMAT_CHARACTERS`].
pub fn is_format(c: char) -> bool {
    FORMAT_CHARACTERS
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// Whether the display form spells `c` out: control characters (C0, DEL, C1), format
/// characters, and the line and paragraph separators U+2028 and U+2029.
pub fn is_hidden(c: char) -> bool {
    c.is_control() || is_format(c) || c == '\u{2028}' || c == '\u{2029}'
}

/// Data form: bytes → text. Valid UTF-8 kept, `\` as `\\`, each invalid byte as `\xNN`.
/// Reversible with [`unescape_field`].
pub fn escape_field(bytes: &[u8]) -> String {
    // Most fields are short ASCII without a backslash: one pass, one copy, no UTF-8 check.
    if bytes.is_ascii() && memchr::memchr(b'\\', bytes).is_none() {
        // SAFETY: every byte is ASCII, so the bytes are valid UTF-8.
        return unsafe { String::from_utf8_unchecked(bytes.to_vec()) };
    }
    // Then valid UTF-8 without a backslash: one check and one copy.
    if !bytes.contains(&b'\\')
        && let Ok(text) = std::str::from_utf8(bytes)
    {
        return text.to_owned();
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        let mut valid = chunk.valid();
        while let Some(at) = valid.find('\\') {
            out.push_str(&valid[..at]);
            out.push_str("\\\\");
            valid = &valid[at + 1..];
        }
        out.push_str(valid);
        for &b in chunk.invalid() {
            push_hex_byte(&mut out, b);
        }
    }
    out
}

/// [`escape_field`] of bytes the caller owns: when they are valid UTF-8 without a backslash
/// (the usual case) they become the text as they are, without a copy.
pub fn into_field(bytes: Vec<u8>) -> String {
    if bytes.contains(&b'\\') {
        return escape_field(&bytes);
    }
    String::from_utf8(bytes).unwrap_or_else(|e| escape_field(e.as_bytes()))
}

/// `\xNN`, upper case.
fn push_hex_byte(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push_str("\\x");
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0xF)]));
}

/// Makes text one inert line: spells out every character [`is_hidden`] says is hidden (tab
/// as `\t`, C0 controls and DEL as `\xNN`, anything else as `\u{NNNN}`) and keeps the rest,
/// backslashes included.
///
/// For text already in the data form (where every backslash from the wire is doubled) or
/// written by msnsniff itself, such as a note built from command fields. Idempotent.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_one_line(&mut out, text);
    out
}

/// [`one_line`] of a string the caller owns: printable ASCII (most notes) is its own display
/// form and comes back as it is, without a copy.
pub fn into_one_line(text: String) -> String {
    if text
        .bytes()
        .fold(true, |ok, b| ok & (0x20..0x7F).contains(&b))
    {
        text
    } else {
        one_line(&text)
    }
}

/// [`one_line`], appended to `out` (no string of its own).
pub fn push_one_line(out: &mut String, text: &str) {
    // Printable ASCII is shown as it is: the common case is one check and one copy. No
    // early exit, so that the check runs over whole vectors (as in `push_line`).
    if text
        .bytes()
        .fold(true, |ok, b| ok & (0x20..0x7F).contains(&b))
    {
        out.push_str(text);
        return;
    }
    out.reserve(text.len() + 8);
    let mut kept = 0;
    for (at, c) in text.char_indices() {
        if (' '..='~').contains(&c) || !is_hidden(c) {
            continue;
        }
        out.push_str(&text[kept..at]);
        kept = at + c.len_utf8();
        let n = u32::from(c);
        if c == '\t' {
            out.push_str("\\t");
        } else if n < 0x80 {
            push_hex_byte(out, n as u8);
        } else {
            let _ = write!(out, "\\u{{{n:X}}}");
        }
    }
    out.push_str(&text[kept..]);
}

/// Display form: bytes → one inert line of text, for the terminal and for anomaly details.
/// `one_line(&escape_field(bytes))`; reversible with [`unescape_field`].
pub fn escape_line(bytes: &[u8]) -> String {
    one_line(&escape_field(bytes))
}

/// [`escape_line`] written onto the end of `out`. Printable ASCII without a backslash (most
/// lines of MSNP) is its own display form: copied once, without the two strings between.
pub fn push_line(out: &mut String, bytes: &[u8]) {
    // No early exit, so that the check runs over whole vectors.
    let plain = bytes
        .iter()
        .fold(true, |ok, &b| ok & (0x20..0x7F).contains(&b) & (b != b'\\'));
    if plain {
        // SAFETY: every byte is printable ASCII, so the bytes are valid UTF-8 (checking
        // them again cost a third of this function).
        out.push_str(unsafe { std::str::from_utf8_unchecked(bytes) });
    } else {
        out.push_str(&escape_line(bytes));
    }
}

/// The bytes behind text in the data or the display form: `\\`, `\xNN`, `\t` and `\u{N..}`
/// are read back (hex digits in either case); a backslash followed by anything else is kept
/// as is.
pub fn unescape_field(text: &str) -> Vec<u8> {
    let s = text.as_bytes();
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' {
            match s.get(i + 1) {
                Some(b'\\') => {
                    out.push(b'\\');
                    i += 2;
                    continue;
                }
                Some(b't') => {
                    out.push(b'\t');
                    i += 2;
                    continue;
                }
                Some(b'x') => {
                    if let Some(b) = s.get(i + 2..i + 4).and_then(hex_u8) {
                        out.push(b);
                        i += 4;
                        continue;
                    }
                }
                Some(b'u') => {
                    if let Some((c, len)) = braced_char(&s[i + 2..]) {
                        let mut buf = [0; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        i += 2 + len;
                        continue;
                    }
                }
                _ => {}
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

fn hex_u8(hex: &[u8]) -> Option<u8> {
    if !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
}

/// `{1F600}` at the start of `s`: the character and the length of the braced part.
fn braced_char(s: &[u8]) -> Option<(char, usize)> {
    if s.first() != Some(&b'{') {
        return None;
    }
    let close = s.iter().take(8).position(|&b| b == b'}')?;
    let hex = &s[1..close];
    if hex.is_empty() || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let n = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
    Some((char::from_u32(n)?, close + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn data_form_doubles_backslashes_and_marks_invalid_bytes() {
        assert_eq!(escape_field(b"a\xffb c\\d \xc3\xa9"), "a\\xFFb c\\\\d é");
        // A user typing `\xFF` and the byte 0xFF look different.
        assert_eq!(escape_field(b"\\xFF"), "\\\\xFF");
        assert_eq!(escape_field(b"\xff"), "\\xFF");
        // Controls stay: JSON escapes them itself.
        assert_eq!(escape_field(b"\x1b[0m\t"), "\x1b[0m\t");
    }

    #[test]
    fn display_form_spells_out_controls() {
        assert_eq!(escape_line(b"hi\x1b[31mred"), "hi\\x1B[31mred");
        assert_eq!(escape_line(b"caf\xc3\xa9 \xff"), "café \\xFF");
        assert_eq!(escape_line(b"a\r\nb\x00\x7f"), "a\\x0D\\x0Ab\\x00\\x7F");
        assert_eq!(escape_line(b"a\tb"), "a\\tb");
        assert_eq!(escape_line(b"C:\\temp"), "C:\\\\temp");
        // Text that is printable ASCII but for one DEL, the last byte below the fast path's
        // bound, in both display-form writers.
        assert_eq!(one_line("ok\x7f"), "ok\\x7F");
        let mut out = String::new();
        push_line(&mut out, b"ok\x7f");
        assert_eq!(out, "ok\\x7F");
    }

    #[test]
    fn c1_controls_differ_from_invalid_bytes() {
        // U+009B (CSI, two bytes in UTF-8) and the lone invalid byte 0x9B.
        assert_eq!(escape_line("\u{9b}x".as_bytes()), "\\u{9B}x");
        assert_eq!(escape_line(b"\x9bx"), "\\x9Bx");
        assert_eq!(escape_line("\u{85}".as_bytes()), "\\u{85}");
    }

    #[test]
    fn bidi_and_invisible_characters_are_spelt_out() {
        let name = "gnp\u{202e}.exe";
        assert_eq!(escape_line(name.as_bytes()), "gnp\\u{202E}.exe");
        for (c, shown) in [
            ('\u{00AD}', "\\u{AD}"),
            ('\u{061C}', "\\u{61C}"),
            ('\u{180E}', "\\u{180E}"),
            ('\u{200B}', "\\u{200B}"),
            ('\u{200E}', "\\u{200E}"),
            ('\u{200F}', "\\u{200F}"),
            ('\u{202A}', "\\u{202A}"),
            ('\u{2060}', "\\u{2060}"),
            ('\u{2064}', "\\u{2064}"),
            ('\u{2066}', "\\u{2066}"),
            ('\u{2069}', "\\u{2069}"),
            ('\u{206F}', "\\u{206F}"),
            ('\u{FEFF}', "\\u{FEFF}"),
            ('\u{FFF9}', "\\u{FFF9}"),
            ('\u{E0001}', "\\u{E0001}"),
            ('\u{E0041}', "\\u{E0041}"),
            ('\u{E007F}', "\\u{E007F}"),
            ('\u{2028}', "\\u{2028}"),
            ('\u{2029}', "\\u{2029}"),
        ] {
            assert_eq!(one_line(&c.to_string()), shown, "U+{:04X}", u32::from(c));
        }
        // Visible neighbours are kept.
        for c in [
            '\u{00AC}',
            '\u{00AE}',
            '\u{2065}',
            '\u{2070}',
            '\u{E0080}',
            'é',
            '☺',
        ] {
            assert_eq!(one_line(&c.to_string()), c.to_string());
        }
    }

    #[test]
    fn format_table_is_exactly_unicode_category_cf() {
        use unicode_general_category::{GeneralCategory, UNICODE_VERSION, get_general_category};
        assert_eq!(
            UNICODE_VERSION,
            (16, 0, 0),
            "update FORMAT_CHARACTERS and its source"
        );
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let cf = get_general_category(c) == GeneralCategory::Format;
            assert_eq!(is_format(c), cf, "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn format_table_is_sorted_and_disjoint() {
        for w in FORMAT_CHARACTERS.windows(2) {
            assert!(w[0].0 <= w[0].1 && w[0].1 < w[1].0, "{w:?}");
        }
    }

    #[test]
    fn one_line_keeps_backslashes_of_text_already_escaped() {
        assert_eq!(one_line("bob\\\\x \\xFF"), "bob\\\\x \\xFF");
        assert_eq!(one_line("bob\n\r@x"), "bob\\x0A\\x0D@x");
    }

    #[test]
    fn unescape_reads_both_forms() {
        assert_eq!(unescape_field("a\\qb\\x4"), b"a\\qb\\x4");
        assert_eq!(unescape_field("\\x41\\\\"), b"A\\");
        assert_eq!(unescape_field("\\xff\\xFF"), b"\xff\xff");
        assert_eq!(
            unescape_field("\\t\\u{202E}\\u{9B}"),
            "\t\u{202e}\u{9b}".as_bytes()
        );
        // Not a character: kept as text.
        assert_eq!(
            unescape_field("\\u{D800}\\u{}\\u{110000}"),
            b"\\u{D800}\\u{}\\u{110000}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn data_form_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(unescape_field(&escape_field(&bytes)), bytes);
        }

        /// Pushed lines are the escaped ones, after whatever was there.
        #[test]
        fn pushed_lines_are_escaped_lines(
            bytes in proptest::collection::vec(
                prop_oneof![any::<u8>(), Just(b'\\'), Just(b'a'), Just(b' '), Just(0x7F)],
                0..24,
            )
        ) {
            let mut out = String::from(">>> ");
            push_line(&mut out, &bytes);
            prop_assert_eq!(out, format!(">>> {}", escape_line(&bytes)));
        }

        /// Owned bytes give the same text as borrowed ones, backslashes and invalid bytes
        /// included.
        #[test]
        fn owned_bytes_escape_as_borrowed_ones(
            bytes in proptest::collection::vec(
                prop_oneof![any::<u8>(), Just(b'\\'), Just(b'a'), Just(0xC3), Just(0xA9)],
                0..24,
            )
        ) {
            prop_assert_eq!(into_field(bytes.clone()), escape_field(&bytes));
        }

        /// Owned text is made one line as borrowed text is, printable or not.
        #[test]
        fn owned_text_is_one_line_as_borrowed_text(
            chars in proptest::collection::vec(
                prop_oneof![any::<char>(), Just('a'), Just(' '), Just('\x7f'), Just('\t')],
                0..24,
            )
        ) {
            let text: String = chars.into_iter().collect();
            prop_assert_eq!(into_one_line(text.clone()), one_line(&text));
        }

        /// Arbitrary bytes mixed with the characters the display form spells out.
        #[test]
        fn display_form_round_trips_and_is_inert(
            parts in proptest::collection::vec(prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..6),
                any::<char>().prop_map(|c| c.to_string().into_bytes()),
                proptest::sample::select(vec!["\u{202e}", "\u{2028}", "\u{9b}", "\t", "\\", "\\x41", "\\u{41}"])
                    .prop_map(|s| s.as_bytes().to_vec()),
            ], 0..12)
        ) {
            let bytes = parts.concat();
            let shown = escape_line(&bytes);
            prop_assert!(!shown.chars().any(is_hidden), "{:?}", shown);
            prop_assert_eq!(one_line(&shown), shown.clone());
            prop_assert_eq!(unescape_field(&shown), bytes);
        }
    }
}
