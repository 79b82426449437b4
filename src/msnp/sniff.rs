//! Recognising an MSNP connection by its first bytes, whatever its port.
//!
//! Why it exists: the flow layer must find MSN connections on ports it was not told about
//! (a switchboard on 1864, an MSNFTP transfer on 6891), but it must not know the protocol. It
//! takes a sniffer through its configuration (`FlowConfig::sniff`); this is the one for MSNP,
//! and [`crate::pipeline::msn_config`] hands it over.
//!
//! Guarantees: [`looks_like_msnp`] looks only at the first line of what it is given, never
//! panics, and answers `None` (wait for more) only while the bytes so far are a prefix of an
//! opening it recognises and shorter than [`MAX_OPENING_LINE`]; it says yes only to openings
//! a client sends first: `VER n MSNPx ...`, `VER MSNFTP`, `USR n ...`, `ANS n ...`.

use super::Dialect;

/// An opening line longer than this without a line end is judged as it stands. The longest
/// opening we look for (`VER 1 MSNP18 MSNP17 ... CVR0`) fits easily.
pub const MAX_OPENING_LINE: usize = 256;

/// Whether the first bytes of a direction are plainly an MSNP command: `Some(true)` yes,
/// `Some(false)` no, `None` not enough bytes yet to tell.
pub fn looks_like_msnp(buf: &[u8]) -> Option<bool> {
    let line_end = buf.iter().position(|&b| b == b'\n');
    let line = match line_end {
        Some(n) => &buf[..n],
        None if buf.len() >= MAX_OPENING_LINE => buf,
        None => {
            // A prefix that already cannot match is a no; otherwise wait for the line.
            return if could_start_msnp(buf) {
                None
            } else {
                Some(false)
            };
        }
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Ok(text) = std::str::from_utf8(line) else {
        return Some(false);
    };
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    let numeric = |w: &str| !w.is_empty() && w.len() <= 10 && w.bytes().all(|b| b.is_ascii_digit());
    let ok = match words.as_slice() {
        ["VER", "MSNFTP", ..] => true,
        ["VER", trid, rest @ ..] => {
            numeric(trid) && !rest.is_empty() && rest.iter().any(|w| Dialect::parse(w).is_some())
        }
        ["USR", trid, _, ..] | ["ANS", trid, _, ..] => numeric(trid),
        _ => false,
    };
    Some(ok)
}

/// Whether `prefix` could still grow into one of the openings [`looks_like_msnp`] accepts.
fn could_start_msnp(prefix: &[u8]) -> bool {
    const OPENINGS: [&[u8]; 3] = [b"VER ", b"USR ", b"ANS "];
    OPENINGS.iter().any(|o| {
        let n = prefix.len().min(o.len());
        prefix[..n] == o[..n]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_msnp_openings() {
        assert_eq!(looks_like_msnp(b"VER 1 MSNP8 CVR0\r\n"), Some(true));
        assert_eq!(looks_like_msnp(b"VER 3 MSNP18 MSNP17 CVR0\r\n"), Some(true));
        assert_eq!(looks_like_msnp(b"VER MSNFTP\r\n"), Some(true));
        assert_eq!(looks_like_msnp(b"USR 1 alice@x 123.456\r\n"), Some(true));
        assert_eq!(looks_like_msnp(b"ANS 1 bob@x 849.52 1175\r\n"), Some(true));
        assert_eq!(looks_like_msnp(b"VER 1 SOMETHING\r\n"), Some(false));
        assert_eq!(looks_like_msnp(b"USR x y\r\n"), Some(false));
        assert_eq!(looks_like_msnp(b"GET / HTTP/1.1\r\n"), Some(false));
        assert_eq!(looks_like_msnp(b"VE"), None);
        assert_eq!(looks_like_msnp(b"GE"), Some(false));
    }

    #[test]
    fn waits_for_the_line_only_up_to_its_cap() {
        // A plausible start without a line end: wait...
        let mut long = b"VER 1 MSNP8".to_vec();
        assert_eq!(looks_like_msnp(&long), None);
        // ...but not forever: at the cap the line is judged as it stands.
        long.resize(MAX_OPENING_LINE, b'x');
        assert_eq!(looks_like_msnp(&long), Some(false));
        let mut ok = b"VER 1 MSNP8 ".to_vec();
        ok.resize(MAX_OPENING_LINE, b' ');
        assert_eq!(looks_like_msnp(&ok), Some(true));
    }

    #[test]
    fn only_the_first_line_counts_and_odd_bytes_are_a_no() {
        assert_eq!(looks_like_msnp(b"HELO x\r\nVER 1 MSNP8\r\n"), Some(false));
        assert_eq!(looks_like_msnp(b"VER 1 \xff\xfe\r\n"), Some(false));
        assert_eq!(looks_like_msnp(b"VER 12345678901 MSNP8\r\n"), Some(false));
        assert_eq!(looks_like_msnp(b"\n"), Some(false));
        assert_eq!(looks_like_msnp(b""), None);
    }
}
