//! The MSNP decoder: framing each direction into commands and payloads, the command grammar,
//! and what commands mean. Pure: bytes in, frames and anomalies out.

pub mod challenge;
pub mod command;
pub mod errors;
pub mod framer;
pub mod named;
pub mod rules;
pub mod sniff;
pub mod urlcode;
pub mod verbs;

use std::fmt;

pub use command::{Command, LineError, parse_command_line};
pub use framer::{Eol, Frame, Framer, FramerEvent, FramerStats, Payload};
pub use rules::Shape;

/// A protocol dialect, by its MSNP version number (`MSNP8` is `Dialect(8)`), or
/// [`Dialect::MSNFTP`], the file-transfer protocol between two clients.
///
/// MSNFTP is no MSNP version: it is `Dialect(0)`, a number no `VER` can name, written
/// `MSNFTP`. It sorts before every MSNP dialect, so a version test such as `d >= Dialect(13)`
/// is false for it; code that needs the version number asks [`Dialect::msnp`], which has none
/// for MSNFTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dialect(pub u8);

impl Dialect {
    /// The MSNFTP file transfer (reference §7): text commands without TrIDs, then binary
    /// blocks.
    pub const MSNFTP: Dialect = Dialect(0);

    /// Parses `MSNP8` (case-insensitive), or `MSNFTP`. `CVR0` and anything else give `None`.
    pub fn parse(s: &str) -> Option<Dialect> {
        if s.eq_ignore_ascii_case("MSNFTP") {
            return Some(Dialect::MSNFTP);
        }
        let s = s.as_bytes();
        if s.len() < 5 || !s[..4].eq_ignore_ascii_case(b"MSNP") {
            return None;
        }
        let n: u8 = std::str::from_utf8(&s[4..]).ok()?.parse().ok()?;
        (1..=99).contains(&n).then_some(Dialect(n))
    }

    /// Whether this is MSNFTP.
    pub fn is_msnftp(self) -> bool {
        self == Dialect::MSNFTP
    }

    /// The MSNP version number; `None` for MSNFTP.
    pub fn msnp(self) -> Option<u8> {
        (!self.is_msnftp()).then_some(self.0)
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.msnp() {
            Some(n) => write!(f, "MSNP{n}"),
            None => f.write_str("MSNFTP"),
        }
    }
}

/// `text.split_once(sep)` for an ASCII separator, found by byte (every handle of every
/// command is cut this way; a `char` searcher costs several times more on such short text).
pub fn split_once_ascii(text: &str, sep: u8) -> Option<(&str, &str)> {
    debug_assert!(sep.is_ascii());
    let at = text.bytes().position(|b| b == sep)?;
    Some((&text[..at], &text[at + 1..]))
}

/// A command name: three upper-case letters, or a three-digit error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Verb(pub [u8; 3]);

impl Verb {
    pub const fn new(s: &[u8; 3]) -> Verb {
        Verb(*s)
    }

    /// The verb as text (`???` for bytes that are not UTF-8, which the parser never makes).
    /// Called several times per command, so the usual ASCII case skips the general UTF-8
    /// check (about fifty instructions for three bytes).
    #[inline]
    pub fn as_str(&self) -> &str {
        if self.0.is_ascii() {
            // SAFETY: ASCII bytes are valid UTF-8.
            unsafe { std::str::from_utf8_unchecked(&self.0) }
        } else {
            std::str::from_utf8(&self.0).unwrap_or("???")
        }
    }

    /// The error number when this verb is a three-digit error code.
    pub fn error_code(&self) -> Option<u16> {
        if self.0.iter().all(u8::is_ascii_digit) {
            Some(self.0.iter().fold(0u16, |n, d| n * 10 + (d - b'0') as u16))
        } else {
            None
        }
    }
}

/// A verb equals its text (`verb == "MSG"`).
impl PartialEq<str> for Verb {
    fn eq(&self, other: &str) -> bool {
        self.0 == *other.as_bytes()
    }
}

impl PartialEq<&str> for Verb {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other.as_bytes()
    }
}

/// Written as its text.
impl serde::Serialize for Verb {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting_by_byte_is_splitting_by_char() {
        for text in [
            "1:bob@x",
            "bob@x;{g}",
            "a:b:c",
            ":",
            "",
            "é:ü;x",
            "no separator",
        ] {
            for sep in [':', ';'] {
                assert_eq!(
                    split_once_ascii(text, sep as u8),
                    text.split_once(sep),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn a_verb_reads_as_its_text_and_never_as_invalid_utf8() {
        assert_eq!(Verb::new(b"USR").as_str(), "USR");
        assert_eq!(Verb::new(b"217").as_str(), "217");
        // Not made by the parser, but the type allows it.
        assert_eq!(Verb([0xC3, 0xA9, b'X']).as_str(), "éX");
        assert_eq!(Verb([0xFF, b'A', b'B']).as_str(), "???");
    }

    #[test]
    fn dialect_names() {
        assert_eq!(Dialect::parse("MSNP8"), Some(Dialect(8)));
        assert_eq!(Dialect::parse("msnp18"), Some(Dialect(18)));
        assert_eq!(Dialect::parse("CVR0"), None);
        assert_eq!(Dialect::parse("MSNP"), None);
        assert_eq!(Dialect(11).to_string(), "MSNP11");
        assert_eq!(Dialect::parse("MSNFTP"), Some(Dialect::MSNFTP));
        assert_eq!(Dialect::MSNFTP.to_string(), "MSNFTP");
        assert_eq!(Dialect::MSNFTP.msnp(), None);
        assert_eq!(Dialect(8).msnp(), Some(8));
        assert!(Dialect::MSNFTP < Dialect(2));
    }

    #[test]
    fn error_verbs() {
        assert_eq!(Verb::new(b"217").error_code(), Some(217));
        assert_eq!(Verb::new(b"MSG").error_code(), None);
    }
}
