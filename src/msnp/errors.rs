//! What MSNP error numbers mean.
//!
//! An error reply is a three-digit number in the command slot, `NNN trid [len]`, and takes the
//! place of the normal reply to the request with that TrID. The table covers every code the
//! protocol reference lists (MSNP2 to MSNP21). Sources disagree on some names; where they do,
//! the text below keeps both readings. Meanings are short, lower-case phrases meant to follow
//! `error 217: ` in a note.

/// The short meaning of an MSNP error code, or `None` for a code nobody has documented.
pub fn error_meaning(code: u16) -> Option<&'static str> {
    let text = match code {
        200 => "syntax error",
        201 => "invalid parameter",
        203 => "invalid federated user",
        204 => "invalid network id or unroutable user",
        205 => "invalid user",
        206 => "domain name missing from handle",
        207 => "already logged in",
        208 => "invalid user name",
        209 => "friendly name not allowed",
        210 => "list full",
        213 => "invalid rename request",
        215 => "already on that list or already in the switchboard",
        216 => "not on that list",
        217 => "principal not online",
        218 => "already in that mode",
        219 => "principal is on the opposite list",
        220 => "not accepting pages",
        223 => "too many groups",
        224 => "invalid group",
        225 => "principal not in that group",
        227 => "group not empty",
        228 => "group name already exists",
        229 => "group name too long",
        230 => "cannot remove group 0",
        231 => "invalid group",
        232 => "invalid mobile number",
        233 => "unknown mobile number",
        234 => "unknown keitai domain",
        240 => "empty domain element in list xml",
        241 => "invalid list xml or membership",
        280 => "switchboard failed",
        281 => "transfer to switchboard failed",
        282 => "p2p error or invalid p2p message",
        283 => "unknown user notification type",
        285 => "message too long",
        290 => "sms: out of funds",
        300 => "required field missing",
        301 => "too many search hits",
        302 => "not logged in",
        402 => "error accessing the contact list",
        403 => "address book error",
        413 => "sms subscription required",
        414 => "sms subscription disabled",
        415 => "sms out of funds",
        416 => "sms disabled in this market",
        417 => "sms disabled globally",
        418 => "try again later",
        419 => "no market specified",
        420 => "invalid account permissions",
        500 => "internal server error",
        501 => "database server error",
        502 => "command disabled",
        503 => "malformed request (seen after a bad snd)",
        504 => "presence service down",
        508 => "federated partner error",
        509 => "page-mode message error",
        510 => "file operation failed",
        511 => "detailed error or banned account",
        520 => "memory allocation failed",
        540 => "challenge response wrong",
        550 => "sms account muted",
        551 => "sms account disabled",
        552 => "sms account maxed out",
        580 => "sms internal server error",
        590 => "sms carrier invalid",
        591 => "sms carrier has no route",
        592 => "sms carrier error",
        593 => "sms address mapping full",
        594 => "sms incorrect source country",
        595 => "sms mobile cache full",
        596 => "sms incorrect format",
        597 => "sms invalid text",
        598 => "sms message too long",
        600 => "server busy",
        601 => "server unavailable",
        602 => "peer notification server down",
        603 => "database connection failed",
        604 => "server going down",
        605 => "server unavailable",
        606 => "paging unavailable",
        700 => "could not create connection",
        707 => "error creating connection",
        710 => "bad cvr parameters",
        711 => "write would block or session restricted",
        712 => "session overloaded",
        713 => "user too active",
        714 => "too many sessions",
        715 => "not expected or passport account not verified",
        717 => "bad friend file",
        718 => "user restricted",
        719 => "session federated",
        726 => "user federated",
        731 => "not expected (cvr out of place)",
        733 => "roaming logoff",
        734 => "too many endpoints",
        800 => "changing too rapidly",
        801 => "datagram could not be delivered",
        910 => "server too busy",
        911 => "authentication failed",
        912 => "server too busy",
        913 => "not allowed while offline or invisible",
        914..=916 => "server unavailable",
        917 => "authentication failed",
        918 | 919 => "server too busy",
        920 => "not accepting new users",
        921 => "server too busy or timed out",
        922 => "server too busy",
        923 => "kids passport without parental consent",
        924 => "passport account not yet verified",
        926 => "managed account with limited access",
        927 => "account suspended or access denied",
        928 => "bad ticket",
        931 => "domain reserved",
        933 => "invalid circle membership or contact list",
        935 => "invalid signature",
        _ => return None,
    };
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::error_meaning;

    /// The codes of the protocol reference's table (§3.1), transcribed in the order printed.
    const REFERENCE_CODES: &[u16] = &[
        200, 201, 203, 204, 205, 206, 207, 208, 209, 210, 213, 215, 216, 217, 218, 219, 220, 223,
        224, 225, 227, 228, 229, 230, 231, 232, 233, 234, 240, 241, 280, 281, 282, 283, 285, 290,
        300, 301, 302, 402, 403, 413, 414, 415, 416, 417, 418, 419, 420, 500, 501, 502, 503, 504,
        508, 509, 510, 511, 520, 540, 550, 551, 552, 580, 590, 591, 592, 593, 594, 595, 596, 597,
        598, 600, 601, 602, 603, 604, 605, 606, 700, 707, 710, 711, 712, 713, 714, 715, 717, 718,
        719, 726, 731, 733, 734, 800, 801, 910, 911, 912, 913, 914, 915, 916, 917, 918, 919, 920,
        921, 922, 923, 924, 926, 927, 928, 931, 933, 935,
    ];

    #[test]
    fn reference_list_is_sorted_unique_and_three_digits() {
        assert!(
            REFERENCE_CODES.windows(2).all(|w| w[0] < w[1]),
            "transcription out of order or repeated"
        );
        assert!(REFERENCE_CODES.iter().all(|c| (100..=999).contains(c)));
        assert_eq!(REFERENCE_CODES.len(), 118, "rows in the reference table");
    }

    /// Exactly the reference's codes are known: none missing, none invented.
    #[test]
    fn known_codes_are_exactly_the_reference_codes() {
        for code in 0..=u16::MAX {
            assert_eq!(
                error_meaning(code).is_some(),
                REFERENCE_CODES.contains(&code),
                "code {code}"
            );
        }
    }

    /// A word or two of the reference's own wording for some codes, written down apart from
    /// the table in this file.
    #[test]
    fn meanings_follow_the_reference() {
        for (code, words) in [
            (200, "syntax"),
            (201, "invalid parameter"),
            (207, "already logged in"),
            (209, "friendly name"),
            (215, "already"),
            (217, "not online"),
            (223, "too many groups"),
            (230, "group 0"),
            (241, "xml"),
            (280, "switchboard"),
            (302, "not logged in"),
            (500, "internal server error"),
            (540, "challenge"),
            (600, "busy"),
            (604, "going down"),
            (710, "cvr"),
            (713, "too active"),
            (800, "too rapidly"),
            (911, "authentication failed"),
            (913, "offline"),
            (928, "ticket"),
        ] {
            let meaning = error_meaning(code).unwrap_or_else(|| panic!("{code} unknown"));
            assert!(
                meaning.contains(words),
                "{code}: {meaning:?} lacks {words:?}"
            );
        }
    }

    /// Meanings are written to follow `error 217: ` in a note.
    #[test]
    fn meanings_are_short_lower_case_phrases() {
        for &code in REFERENCE_CODES {
            let m = error_meaning(code).unwrap();
            assert!(!m.is_empty() && m.len() <= 60, "{code}: {m:?}");
            assert_eq!(m, m.to_lowercase(), "{code}");
            assert_eq!(m, m.trim(), "{code}");
            assert!(!m.ends_with('.'), "{code}: {m:?}");
            assert!(
                !m.starts_with(|c: char| c.is_ascii_digit()),
                "{code}: {m:?}"
            );
        }
    }
}
