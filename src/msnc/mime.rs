//! The MIME-style envelope of a message body: the header block, the body after it, the
//! content type and its charset, and the `Name: value` lines many bodies are made of.
//!
//! Why it exists: every kind of message is told apart by its `Content-Type` header, and read
//! from header lines or body lines of the same shape, so the one lenient reading lives here.
//!
//! Guarantees: the header block ends at the first empty line (a line end is `\r\n` or a bare
//! `\n`; a bare `\r` ends nothing), found within the first [`MAX_HEADER_BLOCK`] bytes; header
//! names are matched without regard to ASCII case; a line is split at its first `:` and both
//! sides are trimmed of spaces and tabs; lines without a `:` are skipped. At most
//! [`MAX_HEADERS`] header lines and [`MAX_FIELDS`] body lines are kept, and the rest are
//! counted. Names and values are kept in the data form of [`crate::escape`] (a backslash as
//! `\\`, an invalid byte as `\xNN`). Total on any input.

use crate::escape::{escape_field, unescape_field};
use std::borrow::Cow;

/// Bytes searched for the empty line that ends the header block. Real header blocks are a few
/// hundred bytes; past this, what is left is taken as the body.
pub const MAX_HEADER_BLOCK: usize = 16 * 1024;

/// Header lines kept per message; later ones are counted in [`Mime::dropped`].
pub const MAX_HEADERS: usize = 64;

/// `Name: value` lines read from a body; later ones are ignored.
pub const MAX_FIELDS: usize = 64;

/// One `Name: value` line, both sides in the data form of [`crate::escape`]. A name the
/// protocol uses all the time, sent exactly as the clients send it, is the static text
/// (no allocation for it per message; see [`known_name`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub name: Cow<'static, str>,
    /// The value in the data form; the values of nearly every message are static text (no
    /// allocation for them per message; see [`known_value`]).
    pub value: Cow<'static, str>,
}

/// How the header block ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadersEnd {
    /// At an empty line, as the protocol wants.
    Blank,
    /// The payload ended first: everything was headers and the body is empty.
    Missing,
    /// No empty line within [`MAX_HEADER_BLOCK`] bytes: what follows the last line read is
    /// taken as the body.
    TooLong,
}

/// A message body split into its header block and its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mime<'a> {
    pub headers: Vec<Header>,
    /// Header lines past [`MAX_HEADERS`], not kept.
    pub dropped: usize,
    pub end: HeadersEnd,
    /// What follows the header block.
    pub body: &'a [u8],
}

impl<'a> Mime<'a> {
    /// Splits a payload. Never fails: a payload without headers has none.
    pub fn parse(payload: &'a [u8]) -> Mime<'a> {
        // Room for the usual few headers before the first reallocation.
        let mut headers = Vec::with_capacity(4);
        let mut dropped = 0;
        let (end, body_at) = walk(payload, |line| {
            if let Some(h) = split_line(line) {
                if headers.len() < MAX_HEADERS {
                    headers.push(h);
                } else {
                    dropped += 1;
                }
            }
        });
        Mime {
            headers,
            dropped,
            end,
            body: &payload[body_at..],
        }
    }

    /// How the header block ends, where the body starts, and [`Mime::content_type`], as
    /// [`Mime::parse`] would give them, without keeping the other headers: for an output
    /// that only asks whether a payload is text.
    pub fn content_type_of(payload: &[u8]) -> (HeadersEnd, usize, Option<String>) {
        let (mut seen, mut value) = (0, None);
        let (end, body_at) = walk(payload, |line| {
            // The same lines count as headers as in `parse`, so that the cap is the same.
            let Some((name, v)) = split_raw(line) else {
                return;
            };
            seen += 1;
            if value.is_none() && seen <= MAX_HEADERS && name.eq_ignore_ascii_case(b"Content-Type")
            {
                value = Some(escape_field(v));
            }
        });
        (end, body_at, value.map(|v| kind_of(&v)))
    }

    /// The value of the first header of that name (ASCII case ignored).
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// `Content-Type` without its parameters, in lower case: `text/plain`.
    pub fn content_type(&self) -> Option<String> {
        Some(kind_of(self.header("Content-Type")?))
    }

    /// The `charset` parameter of `Content-Type`, as given (quotes removed).
    pub fn charset(&self) -> Option<String> {
        let value = self.header("Content-Type")?;
        split_ascii(value, b';').skip(1).find_map(|p| {
            let eq = p.bytes().position(|b| b == b'=')?;
            trim_text(&p[..eq])
                .eq_ignore_ascii_case("charset")
                .then(|| trim_text(&p[eq + 1..]).trim_matches('"').to_string())
        })
    }
}

/// A `Content-Type` value without its parameters, in lower case: `text/plain`.
fn kind_of(value: &str) -> String {
    let kind = value.split(';').next().unwrap_or("").trim();
    // Without an escape, the data form is the text itself (the usual case: one copy).
    if !kind.contains('\\') {
        return kind.to_ascii_lowercase();
    }
    // Lower-cased as bytes, so that an escaped byte keeps its upper-case hex.
    let mut bytes = unescape_field(kind);
    bytes.make_ascii_lowercase();
    escape_field(&bytes)
}

/// The first value of that name among `fields` (ASCII case ignored).
pub fn find<'h>(fields: &'h [Header], name: &str) -> Option<&'h str> {
    fields
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_ref())
}

/// The `Name: value` lines of a body, empty lines and lines without `:` skipped, at most
/// [`MAX_FIELDS`].
pub fn fields(body: &[u8]) -> Vec<Header> {
    lines(body)
        .filter_map(split_line)
        .take(MAX_FIELDS)
        .collect()
}

/// Lines split at `\n`, each without a `\r` before it; a last line without an end is a line.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    // A final `\n` ends the last line; it does not start another.
    let whole = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let empty = bytes.is_empty();
    whole
        .split(|&b| b == b'\n')
        .map(strip_cr)
        .filter(move |_| !empty)
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes
        .iter()
        .position(|b| !is_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |n| n + 1);
    &bytes[start..end.max(start)]
}

/// `text` split at each `sep` (an ASCII byte, so every cut is at a character boundary), as
/// `str::split` with a `char` would give it.
pub(crate) fn split_ascii(text: &str, sep: u8) -> impl Iterator<Item = &str> {
    debug_assert!(sep.is_ascii());
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let t = rest?;
        match t.bytes().position(|b| b == sep) {
            Some(at) => {
                rest = Some(&t[at + 1..]);
                Some(&t[..at])
            }
            None => {
                rest = None;
                Some(t)
            }
        }
    })
}

/// `str::trim`, with the usual case (ASCII at both ends) decided without a Unicode table.
pub(crate) fn trim_text(text: &str) -> &str {
    let t = text.trim_ascii();
    // `trim_ascii` leaves what `trim` would also remove only at a non-ASCII character or a
    // vertical tab (Unicode white space that ASCII's definition leaves out).
    let unusual = |b: Option<&u8>| b.is_some_and(|&b| !b.is_ascii() || b == 0x0B);
    if unusual(t.as_bytes().first()) || unusual(t.as_bytes().last()) {
        t.trim()
    } else {
        t
    }
}

/// Calls `keep` with each line of the header block; how the block ended and where the body
/// starts. A line is searched for no further than [`MAX_HEADER_BLOCK`] bytes in.
fn walk(payload: &[u8], mut keep: impl FnMut(&[u8])) -> (HeadersEnd, usize) {
    let limit = payload.len().min(MAX_HEADER_BLOCK);
    let mut pos = 0;
    loop {
        if pos >= payload.len() {
            return (HeadersEnd::Missing, payload.len());
        }
        // The next line end, searched no further than the cap.
        let window = &payload[pos..limit.max(pos)];
        match memchr::memchr(b'\n', window) {
            Some(n) => {
                let line = strip_cr(&payload[pos..pos + n]);
                let next = pos + n + 1;
                if line.is_empty() {
                    return (HeadersEnd::Blank, next);
                }
                keep(line);
                pos = next;
            }
            None if payload.len() > limit => return (HeadersEnd::TooLong, pos),
            None => {
                keep(&payload[pos..]);
                return (HeadersEnd::Missing, payload.len());
            }
        }
    }
}

/// `Name: value` → the two sides, trimmed, as bytes; `None` without a colon or a name.
fn split_raw(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = memchr::memchr(b':', line)?;
    let name = trim(&line[..colon]);
    if name.is_empty() {
        return None;
    }
    Some((name, trim(&line[colon + 1..])))
}

/// `Name: value` → the two sides, trimmed, in the data form.
fn split_line(line: &[u8]) -> Option<Header> {
    let (name, value) = split_raw(line)?;
    Some(Header {
        name: match known_name(name) {
            Some(known) => Cow::Borrowed(known),
            None => Cow::Owned(escape_field(name)),
        },
        value: match known_value(value) {
            Some(known) => Cow::Borrowed(known),
            None => Cow::Owned(escape_field(value)),
        },
    })
}

/// The header values of nearly every message (`MIME-Version` and the usual `Content-Type`
/// lines), byte for byte as clients and servers send them: their own data form too.
pub fn known_value(value: &[u8]) -> Option<&'static str> {
    Some(match value {
        b"1.0" => "1.0",
        b"text/plain; charset=UTF-8" => "text/plain; charset=UTF-8",
        b"text/x-msmsgscontrol" => "text/x-msmsgscontrol",
        b"application/x-msnmsgrp2p" => "application/x-msnmsgrp2p",
        b"text/x-msmsgsinvite; charset=UTF-8" => "text/x-msmsgsinvite; charset=UTF-8",
        b"text/x-msmsgsprofile; charset=UTF-8" => "text/x-msmsgsprofile; charset=UTF-8",
        b"text/x-clientcaps" => "text/x-clientcaps",
        b"text/x-keepalive" => "text/x-keepalive",
        b"text/x-mms-emoticon" => "text/x-mms-emoticon",
        b"text/x-msnmsgr-datacast" => "text/x-msnmsgr-datacast",
        _ => return None,
    })
}

/// The header names of nearly every message, byte for byte as clients send them: these are
/// their own data form (ASCII, no backslash), so the static text stands for them.
pub fn known_name(name: &[u8]) -> Option<&'static str> {
    Some(match name {
        b"MIME-Version" => "MIME-Version",
        b"Content-Type" => "Content-Type",
        b"X-MMS-IM-Format" => "X-MMS-IM-Format",
        b"TypingUser" => "TypingUser",
        b"P2P-Dest" => "P2P-Dest",
        b"P2P-Src" => "P2P-Src",
        b"Message-ID" => "Message-ID",
        b"Chunks" => "Chunks",
        b"Chunk" => "Chunk",
        b"P4-Context" => "P4-Context",
        b"Invitation-Command" => "Invitation-Command",
        b"Invitation-Cookie" => "Invitation-Cookie",
        b"Application-Name" => "Application-Name",
        b"Application-GUID" => "Application-GUID",
        b"Application-File" => "Application-File",
        b"Application-FileSize" => "Application-FileSize",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<'a>(m: &'a Mime<'_>) -> Vec<&'a str> {
        m.headers.iter().map(|h| h.name.as_ref()).collect()
    }

    #[test]
    fn headers_end_at_the_first_blank_line() {
        let m = Mime::parse(
            b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhi\r\n\r\nthere",
        );
        assert_eq!(names(&m), ["MIME-Version", "Content-Type"]);
        assert_eq!(m.end, HeadersEnd::Blank);
        assert_eq!(m.body, b"hi\r\n\r\nthere");
        assert_eq!(m.content_type().as_deref(), Some("text/plain"));
        assert_eq!(m.charset().as_deref(), Some("UTF-8"));
    }

    #[test]
    fn bare_newlines_and_any_case_are_accepted() {
        let m = Mime::parse(b"content-TYPE:Text/X-MsMsgsControl ; Charset=\"utf-8\"\nTypingUser:  bob@x.com \n\n\r\n");
        assert_eq!(m.content_type().as_deref(), Some("text/x-msmsgscontrol"));
        assert_eq!(m.charset().as_deref(), Some("utf-8"));
        assert_eq!(m.header("typinguser"), Some("bob@x.com"));
        assert_eq!(m.end, HeadersEnd::Blank);
        assert_eq!(m.body, b"\r\n");
    }

    #[test]
    fn the_content_type_is_lower_cased_but_an_escaped_byte_keeps_its_hex() {
        let m = Mime::parse(b"Content-Type: Text/PLAIN\xAB; charset=UTF-8\r\n\r\n");
        assert_eq!(m.content_type().as_deref(), Some("text/plain\\xAB"));
        let m = Mime::parse(b"Content-Type: A\\B/C\r\n\r\n");
        assert_eq!(m.content_type().as_deref(), Some("a\\\\b/c"));
    }

    #[test]
    fn without_a_blank_line_everything_is_headers() {
        let m = Mime::parse(b"Content-Type: text/x-msmsgsinvite\r\nInvitation-Command: ACCEPT");
        assert_eq!(m.end, HeadersEnd::Missing);
        assert_eq!(m.header("Invitation-Command"), Some("ACCEPT"));
        assert!(m.body.is_empty());
        let m = Mime::parse(b"Content-Type: a/b\r\n");
        assert_eq!(m.end, HeadersEnd::Missing);
        assert_eq!(m.header("content-type"), Some("a/b"));
        let m = Mime::parse(b"");
        assert_eq!(m.end, HeadersEnd::Missing);
        assert!(m.headers.is_empty() && m.content_type().is_none());
    }

    #[test]
    fn a_body_may_start_at_once() {
        let m = Mime::parse(b"\r\nbody");
        assert_eq!(m.end, HeadersEnd::Blank);
        assert_eq!(m.body, b"body");
        let m = Mime::parse(b"\nbody");
        assert_eq!(m.body, b"body");
    }

    #[test]
    fn a_bare_cr_ends_no_line() {
        let m = Mime::parse(b"A: 1\r\rB: 2\r\n\r\nx");
        assert_eq!(names(&m), ["A"]);
        assert_eq!(m.header("A"), Some("1\r\rB: 2"));
        assert_eq!(m.body, b"x");
    }

    #[test]
    fn a_huge_header_block_is_capped() {
        let mut p = Vec::new();
        for i in 0..5000 {
            p.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "y".repeat(20)).as_bytes());
        }
        p.extend_from_slice(b"\r\nbody");
        let m = Mime::parse(&p);
        assert_eq!(m.end, HeadersEnd::TooLong);
        assert_eq!(m.headers.len(), MAX_HEADERS);
        assert!(m.dropped > 0);
        assert!(p.len() - m.body.len() <= MAX_HEADER_BLOCK);
        // One endless line.
        let long = vec![b'a'; MAX_HEADER_BLOCK * 3];
        let m = Mime::parse(&long);
        assert_eq!(m.end, HeadersEnd::TooLong);
        assert!(m.headers.is_empty());
        assert_eq!(m.body.len(), long.len());
    }

    #[test]
    fn names_and_values_keep_the_data_form() {
        let m = Mime::parse(b"Na\xffme: v\\al\xc3\r\n\r\n");
        assert_eq!(m.headers[0].name, "Na\\xFFme");
        assert_eq!(m.headers[0].value, "v\\\\al\\xC3");
    }

    #[test]
    fn body_fields_and_lines() {
        let f = fields(b"ID: 1\r\n\r\nData: <msnobj/>\r\nno colon\r\n:empty name\r\n");
        assert_eq!(find(&f, "id"), Some("1"));
        assert_eq!(find(&f, "DATA"), Some("<msnobj/>"));
        assert_eq!(f.len(), 2);
        let l: Vec<&[u8]> = lines(b"a\r\nb\n\nc").collect();
        assert_eq!(l, [&b"a"[..], b"b", b"", b"c"]);
        assert_eq!(lines(b"a\n").count(), 1);
        assert_eq!(lines(b"").count(), 0);
        let many: Vec<u8> = (0..200)
            .flat_map(|i| format!("K{i}: v\n").into_bytes())
            .collect();
        assert_eq!(fields(&many).len(), MAX_FIELDS);
    }

    /// A known name is its own data form and stands only for itself; any other spelling is
    /// escaped as before.
    #[test]
    fn known_header_names_are_their_own_text() {
        for name in [
            "MIME-Version",
            "Content-Type",
            "X-MMS-IM-Format",
            "TypingUser",
            "P2P-Dest",
            "P2P-Src",
            "Message-ID",
            "Chunks",
            "Chunk",
            "P4-Context",
            "Invitation-Command",
            "Invitation-Cookie",
            "Application-Name",
            "Application-GUID",
            "Application-File",
            "Application-FileSize",
        ] {
            assert_eq!(known_name(name.as_bytes()), Some(name));
            assert_eq!(escape_field(name.as_bytes()), name);
        }
        for value in [
            "1.0",
            "text/plain; charset=UTF-8",
            "text/x-msmsgscontrol",
            "application/x-msnmsgrp2p",
            "text/x-msmsgsinvite; charset=UTF-8",
            "text/x-msmsgsprofile; charset=UTF-8",
            "text/x-clientcaps",
            "text/x-keepalive",
            "text/x-mms-emoticon",
            "text/x-msnmsgr-datacast",
        ] {
            assert_eq!(known_value(value.as_bytes()), Some(value));
            assert_eq!(escape_field(value.as_bytes()), value);
        }
        let m =
            Mime::parse(b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
        assert!(matches!(m.headers[0].value, Cow::Borrowed("1.0")));
        assert!(matches!(&m.headers[1].value, Cow::Owned(v) if v == "text/plain; charset=utf-8"));
        let m = Mime::parse(b"Content-Type: text/plain\r\ncontent-type: x\r\nN\\\xffme: v\r\n\r\n");
        assert!(matches!(m.headers[0].name, Cow::Borrowed("Content-Type")));
        assert!(matches!(&m.headers[1].name, Cow::Owned(n) if n == "content-type"));
        assert_eq!(m.headers[2].name, r"N\\\xFFme");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1024))]

        /// The byte-wise splitting and trimming give what `str::split` and `str::trim` give,
        /// white space of every kind included.
        #[test]
        fn split_and_trim_are_the_str_ones(
            text in "[ a;=\\t\u{b}\u{c}\u{85}\u{a0}\u{3000}é€]{0,24}"
        ) {
            let ours: Vec<&str> = split_ascii(&text, b';').collect();
            let std: Vec<&str> = text.split(';').collect();
            proptest::prop_assert_eq!(ours, std);
            proptest::prop_assert_eq!(trim_text(&text), text.trim());
        }
    }
}
