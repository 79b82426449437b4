//! Small text helpers shared by the formatters: UTC times and making capture bytes safe to
//! print on a terminal.

use crate::capture::Timestamp;
use std::fmt::Write;

/// `2011-03-02 10:22:33.123456` (UTC, microseconds).
pub fn utc(ts: Timestamp) -> String {
    let days = ts.secs.div_euclid(86_400);
    let secs = ts.secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:06}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        ts.nanos / 1000
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day): Howard Hinnant's
/// `civil_from_days` algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Capture bytes as printable text: valid UTF-8 is kept except control characters, which
/// become `\xNN` (so an ESC sequence from the wire can never reach the terminal), as do
/// bytes that are not UTF-8. A backslash stays a backslash.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() {
                push_hex_char(&mut out, c);
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

fn push_hex_char(out: &mut String, c: char) {
    let n = c as u32;
    if n <= 0xff {
        let _ = write!(out, "\\x{n:02x}");
    } else {
        let _ = write!(out, "\\u{{{n:x}}}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(Timestamp::new(0, 0)), "1970-01-01 00:00:00.000000");
        assert_eq!(
            utc(Timestamp::new(1_136_073_600, 123_456_789)),
            "2006-01-01 00:00:00.123456"
        );
        assert_eq!(
            utc(Timestamp::new(951_782_400 + 3661, 0)),
            "2000-02-29 01:01:01.000000"
        );
    }

    #[test]
    fn escapes_control_and_invalid_bytes() {
        assert_eq!(escape_bytes(b"hi\x1b[31mred"), "hi\\x1b[31mred");
        assert_eq!(escape_bytes(b"caf\xc3\xa9 \xff"), "café \\xff");
        assert_eq!(escape_bytes(b"a\r\nb\x00"), "a\\x0d\\x0ab\\x00");
        assert_eq!(escape_bytes("\u{9b}x".as_bytes()), "\\x9bx");
    }
}
