//! Small text helpers shared by the formatters: UTC times, and the terminal rule for text
//! from the capture.
//!
//! Guarantees: what [`escape_bytes`] and [`escape_text`] return holds no control character
//! (so no escape sequence, bell or carriage return from the wire reaches the terminal), no
//! Unicode format character (bidi overrides, zero-width characters, tags) and no line or
//! paragraph separator: it is one line that shows what was sent. The rule itself is the display
//! form of [`crate::escape`], shared with the JSON anomaly details and notes.

use crate::capture::Timestamp;
use crate::escape;

/// `2011-03-02 10:22:33.123456` (UTC, microseconds).
pub fn utc(ts: Timestamp) -> String {
    let mut out = String::with_capacity(26);
    push_utc(&mut out, ts, ' ');
    out
}

/// [`utc`] with `sep` between the date and the time, onto the end of `out`. Written once per
/// connection note: the usual years (0 to 9999) digit by digit, the rest by `format!`.
fn push_utc(out: &mut String, ts: Timestamp, sep: char) {
    let days = ts.secs.div_euclid(86_400);
    let secs = ts.secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let Ok(year @ 0..=9999) = u32::try_from(y) else {
        out.push_str(&format!(
            "{y:04}-{m:02}-{d:02}{sep}{:02}:{:02}:{:02}.{:06}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            ts.nanos / 1000
        ));
        return;
    };
    /// The last `width` decimal digits of `n`, with leading zeros.
    fn digits(out: &mut String, n: u32, width: u32) {
        for place in (0..width).rev() {
            out.push(char::from(b'0' + (n / 10u32.pow(place) % 10) as u8));
        }
    }
    digits(out, year, 4);
    out.push('-');
    digits(out, m, 2);
    out.push('-');
    digits(out, d, 2);
    out.push(sep);
    // Below 86,400: fits a u32.
    let secs = secs as u32;
    digits(out, secs / 3600, 2);
    out.push(':');
    digits(out, secs / 60 % 60, 2);
    out.push(':');
    digits(out, secs % 60, 2);
    out.push('.');
    // Nanoseconds below 1e9 give six digits; a larger value (never made by the readers)
    // keeps all of its digits, as `{:06}` does.
    let micros = ts.nanos / 1000;
    if micros < 1_000_000 {
        digits(out, micros, 6);
    } else {
        out.push_str(&micros.to_string());
    }
}

/// `2011-08-10T03:17:29.750284Z` (ISO 8601, microseconds): UTC, or with `local` the time
/// of this machine's zone with its offset (`2011-08-10T05:17:29.750284+02:00`), as tcpdump
/// shows local time unless told otherwise.
pub fn iso_time(ts: Timestamp, local: bool) -> String {
    let offset = if local { local_offset(ts.secs) } else { 0 };
    let mut out = String::with_capacity(32);
    push_utc(
        &mut out,
        Timestamp::new(ts.secs.saturating_add(offset), ts.nanos),
        'T',
    );
    if !local {
        out.push('Z');
        return out;
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let o = offset.unsigned_abs();
    out.push_str(&format!("{sign}{:02}:{:02}", o / 3600, o / 60 % 60));
    out
}

/// This machine's offset from UTC, in seconds, at the instant `secs` (daylight saving
/// included), from the C library's idea of the local zone (`TZ`, `/etc/localtime`).
// time_t is i64 here but narrower on some platforms: the conversion is checked everywhere.
#[allow(clippy::useless_conversion)]
pub fn local_offset(secs: i64) -> i64 {
    let Some(t) = libc::time_t::try_from(secs).ok() else {
        return 0;
    };
    // SAFETY: `tm` is plain data that localtime_r fills in; both pointers are valid for the
    // call, and localtime_r (unlike localtime) shares no static buffer.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return 0;
        }
        tm.tm_gmtoff
    }
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

/// Writes `addr` as its `Display` does (`192.0.2.1:1863`, `[2001:db8::1]:1863`), an IPv4
/// address digit by digit: the connection notes write two for every connection, and the
/// formatting machinery cost more than the rest of the note.
pub fn push_socket_addr(out: &mut String, addr: &std::net::SocketAddr) {
    match addr {
        std::net::SocketAddr::V4(a) => {
            let mut digits = itoa::Buffer::new();
            for (i, octet) in a.ip().octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(digits.format(octet));
            }
            out.push(':');
            out.push_str(digits.format(a.port()));
        }
        std::net::SocketAddr::V6(_) => {
            use std::fmt::Write as _;
            let _ = write!(out, "{addr}");
        }
    }
}

/// Capture bytes for the terminal (the display form of [`crate::escape`]): valid UTF-8 is kept,
/// except that a backslash is doubled (`\\`), a tab is `\t`, other C0 controls and DEL are
/// `\xNN`, C1 controls, format characters and U+2028/U+2029 are `\u{NNNN}`; each byte that is
/// not UTF-8 is `\xNN`. Hex is upper case. Every escape on the terminal was written by msnsniff,
/// and the exact bytes can be read back from it.
pub fn escape_bytes(bytes: &[u8]) -> String {
    escape::escape_line(bytes)
}

/// Text that msnsniff built, possibly around capture text already in the data form of
/// [`crate::escape`] (notes, anomaly details, role reasons, handles), made safe for the
/// terminal: hidden characters spelt out as by [`escape_bytes`], backslashes kept as they are
/// (they are already doubled). Text that is already safe comes back unchanged.
pub fn escape_text(text: &str) -> String {
    escape::one_line(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Addresses are written as `Display` writes them, IPv4 and IPv6.
        #[test]
        fn socket_addrs_are_written_as_display_writes_them(
            v4 in proptest::prelude::any::<std::net::SocketAddrV4>(),
            v6 in proptest::prelude::any::<std::net::SocketAddrV6>(),
        ) {
            for addr in [std::net::SocketAddr::V4(v4), std::net::SocketAddr::V6(v6)] {
                let mut out = String::from("x");
                push_socket_addr(&mut out, &addr);
                proptest::prop_assert_eq!(out, format!("x{addr}"));
            }
        }
    }

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

    /// The times as `format!` writes them, for any instant: the digit-by-digit path and the
    /// `format!` one for the years outside 0 to 9999 give the same text.
    #[test]
    fn times_are_written_as_format_writes_them() {
        let reference = |ts: Timestamp, sep: char| {
            let days = ts.secs.div_euclid(86_400);
            let secs = ts.secs.rem_euclid(86_400);
            let (y, m, d) = civil_from_days(days);
            format!(
                "{y:04}-{m:02}-{d:02}{sep}{:02}:{:02}:{:02}.{:06}",
                secs / 3600,
                secs / 60 % 60,
                secs % 60,
                ts.nanos / 1000
            )
        };
        use proptest::prelude::*;
        let secs = prop_oneof![
            any::<i64>(),
            -62_167_219_200i64..253_402_300_800, // years 0 to 9999
            Just(-62_167_219_201i64),
            Just(253_402_300_800i64),
            Just(i64::MIN),
            Just(i64::MAX),
        ];
        let nanos = prop_oneof![0u32..1_000_000_000, Just(999_999_999u32), Just(u32::MAX)];
        proptest::test_runner::TestRunner::default()
            .run(&(secs, nanos), |(secs, nanos)| {
                let ts = Timestamp { secs, nanos };
                prop_assert_eq!(utc(ts), reference(ts, ' '));
                prop_assert_eq!(iso_time(ts, false), format!("{}Z", reference(ts, 'T')));
                Ok(())
            })
            .expect("the same text");
    }

    #[test]
    fn escapes_control_and_invalid_bytes() {
        assert_eq!(escape_bytes(b"hi\x1b[31mred"), "hi\\x1B[31mred");
        assert_eq!(escape_bytes(b"caf\xc3\xa9 \xff"), "café \\xFF");
        assert_eq!(escape_bytes(b"a\r\nb\x00\tc"), "a\\x0D\\x0Ab\\x00\\tc");
        assert_eq!(escape_bytes("\u{9b}x".as_bytes()), "\\u{9B}x");
        assert_eq!(escape_bytes(b"\\x1B"), "\\\\x1B");
    }

    #[test]
    fn bidi_override_cannot_reverse_a_file_name() {
        let shown = escape_bytes("photo gnp\u{202e}.exe".as_bytes());
        assert_eq!(shown, "photo gnp\\u{202E}.exe");
        assert!(!shown.contains('\u{202e}'));
    }

    #[test]
    fn text_already_escaped_is_not_escaped_twice() {
        let note = "bob\\x1B is now \u{202e}Busy\x07";
        assert_eq!(escape_text(note), "bob\\x1B is now \\u{202E}Busy\\x07");
        assert_eq!(escape_text(&escape_text(note)), escape_text(note));
    }
}
