//! URL decoding for MSNP parameters.
//!
//! MSNP writes any parameter that may hold spaces or non-ASCII text (friendly names, group
//! names, `PRP`/`BPR`/`SBP` values, MSNObjects) with `%XX` escapes over its UTF-8 bytes. Only
//! `%XX` is an escape: `+` stays a plus sign. Real traffic holds invalid escapes too (servers
//! re-encode a bad `%` as `%3D` in SDC, so `%3DXX` shows up), so decoding is all or nothing and
//! a caller that gets `None` keeps the raw text. Decoded bytes that are not UTF-8 (a Latin-1
//! name, a hostile one) come back escaped, as the bytes of any parameter do.
//!
//! Parameters reach this module in the JSON form of [`crate::escape`] (a literal backslash as
//! `\\`, an invalid byte as `\xNN`), and the decoded text comes back in the same form, so a
//! decoded `%5C` can never pass for an escaped byte.

use crate::escape::{into_field, unescape_field};

/// Decodes every `%XX` escape in `raw` (a parameter in the JSON form of [`crate::escape`]),
/// giving text in that same form.
///
/// Returns `None` when an escape is cut short or not hexadecimal. Never panics.
pub fn url_decode(raw: &str) -> Option<String> {
    if !raw.contains('%') {
        return Some(raw.to_owned());
    }
    // Without a backslash the data form is the bytes themselves (the usual case: no copy).
    let unescaped;
    let bytes = if raw.contains('\\') {
        unescaped = unescape_field(raw);
        unescaped.as_slice()
    } else {
        raw.as_bytes()
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = hex_value(*bytes.get(i + 1)?)?;
            let lo = hex_value(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(into_field(out))
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::url_decode;

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(url_decode("Bob").as_deref(), Some("Bob"));
        assert_eq!(url_decode("").as_deref(), Some(""));
    }

    #[test]
    fn spaces_and_punctuation_decode() {
        assert_eq!(url_decode("Bob%20(busy)").as_deref(), Some("Bob (busy)"));
        assert_eq!(url_decode("100%25").as_deref(), Some("100%"));
        assert_eq!(
            url_decode("http%3A%2F%2Fmessenger%2Emsn%2Ecom").as_deref(),
            Some("http://messenger.msn.com")
        );
    }

    #[test]
    fn plus_is_not_a_space() {
        assert_eq!(url_decode("a+b").as_deref(), Some("a+b"));
    }

    #[test]
    fn utf8_bytes_decode_to_characters() {
        assert_eq!(url_decode("Jos%C3%A9").as_deref(), Some("José"));
        assert_eq!(url_decode("%E2%98%BA%20hi").as_deref(), Some("☺ hi"));
        // Lower-case hex digits work too.
        assert_eq!(url_decode("%c3%a9").as_deref(), Some("é"));
    }

    #[test]
    fn sdc_reencoded_escape_decodes_once() {
        // The server writes a stray `%XX` as `%3DXX`; decoding once gives `=XX`.
        assert_eq!(url_decode("%3DXX").as_deref(), Some("=XX"));
        assert_eq!(url_decode("a%3D4F").as_deref(), Some("a=4F"));
    }

    #[test]
    fn invalid_escapes_give_none() {
        assert_eq!(url_decode("100%"), None);
        assert_eq!(url_decode("%4"), None);
        assert_eq!(url_decode("%ZZ"), None);
        assert_eq!(url_decode("a%G1b"), None);
        assert_eq!(url_decode("%%41"), None);
    }

    #[test]
    fn non_utf8_results_are_escaped_like_any_parameter() {
        assert_eq!(url_decode("%E9t%E9").as_deref(), Some("\\xE9t\\xE9"));
        assert_eq!(url_decode("%C3").as_deref(), Some("\\xC3"));
        assert_eq!(url_decode("%FF").as_deref(), Some("\\xFF"));
    }

    #[test]
    fn a_decoded_backslash_stays_apart_from_an_escaped_byte() {
        // `%5CxFF` is a backslash and the letters x, F, F: it must not read as the byte 0xFF.
        assert_eq!(url_decode("%5CxFF").as_deref(), Some("\\\\xFF"));
        // A backslash already in the field (written `\\`) stays one backslash.
        assert_eq!(url_decode("a\\\\b%20c").as_deref(), Some("a\\\\b c"));
        // An invalid byte in the field (`\xE9`) decodes with its neighbours or not at all.
        assert_eq!(url_decode("\\xC3%A9").as_deref(), Some("é"));
        assert_eq!(url_decode("\\xFF%20").as_deref(), Some("\\xFF "));
    }

    #[test]
    fn non_ascii_raw_text_survives() {
        assert_eq!(url_decode("José%20B").as_deref(), Some("José B"));
    }
}
