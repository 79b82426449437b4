//! The framing rules: per verb and direction, whether a command line carries a TrID and
//! whether a payload follows it (and which field holds its byte count). The rule of each verb
//! is a column of its row in the verb table ([`super::verbs::VERBS`]); this module says what
//! the rules mean and applies them ([`shape`]).
//!
//! Why it exists: MSNP cannot be framed or split into fields without this knowledge. "The first
//! field is a number, so it is a TrID" is wrong for `QNG 50`, `IPG 123`, `NOT 456` and MSNP8
//! `LSG 0 Other%20Contacts 0`; "the last field is a number, so it is a length" is wrong for
//! `BYE bob@x 1`, `XFR … 1`, `CHG 1 NLN 0` (ref §2.3, §2.4). Every such decision lives in the
//! verb table and here, so the framer ([`super::framer`]) and the grammar ([`super::command`]) contain no
//! special cases of their own.
//!
//! Guarantees: [`shape`] is a pure, total function (any verb, any fields, any dialect) and never
//! panics. A [`Shape::length`] index may point past the end of the fields; the framer reports that
//! as `msnp.bad_length`.
//!
//! # Fields
//!
//! "Fields" are the space-separated tokens after the verb, **the TrID slot included**, so the
//! length positions below match the reference (ref §2.4: `MSG trid mode len` has its length in
//! field 2). [`super::command::Command::params`] is the same list without the TrID.
//!
//! # TrID rules (ref §2.3)
//!
//! * Always a TrID: every request and its replies (`USR`, `VER`, `CHL 0 …`, `SBS 0 null`,
//!   `ADL 0 len`, `ILN`, `IRO`, `ACK`, …) and every three-digit error (`911 3`).
//! * Never a TrID: server `NLN`, `FLN`, `RNG`, `JOI`, `BYE`, `OUT`, `QNG`, `MSG`, `NOT`, `IPG`,
//!   `UBX`, `UBN`, `UBM`, `NFY`, `BPR` (its async form `BPR list-version handle PROP value` starts
//!   with a list version, not a TrID); client `PNG`, `OUT`.
//! * Decided from the line's shape, in every dialect (the shape rules agree with the version rule
//!   "no TrID in the MSNP8–12 SYN stream" on every layout of ref §2.2, and keep working when the
//!   dialect is unknown — an SB connection, a capture started mid-session — or mis-tracked):
//!   - server `GTC`, `BLP`, `PRP`: a TrID iff field 0 is all digits. The SYN-stream forms start
//!     with a word (`GTC A`, `BLP AL`, `PRP MFN name`); the replies start with the TrID.
//!   - server `LST`: a TrID iff field 0 is all digits and field 1 is a list name (`FL`, `AL`,
//!     `BL`, `RL`, `PL`): MSNP2–7 `LST trid FL ver …`; MSNP8+ starts with a handle or `N=`.
//!   - server `LSG`: a TrID iff there are at least 4 fields and fields 0–3 are all digits:
//!     MSNP7 `LSG trid ver index total …` (or `LSG trid ver 0 0`), while MSNP8–9
//!     `LSG 0 Other%20Contacts 0` has 3 fields and MSNP10–12 `LSG name guid` has 2.
//!   - `RFS`, `FSL` (undocumented) and unknown verbs: a TrID iff field 0 is all digits.
//!
//! The grammar then only fills [`super::command::Command::trid`] when the slot parses as a `u32`;
//! otherwise the field stays in `params` and the framer raises `msnp.bad_trid`.
//!
//! # Payload rules (ref §2.4, §3.2, §10 quirk 5)
//!
//! The length is the last field (the reference says so of every payload command) unless noted:
//!
//! * Always, both directions: `MSG` (`MSG trid mode len`, `MSG handle friendly len`), `NOT`,
//!   `IPG` (`NOT len`), `FQY`, `SDG`.
//! * Always, server only (the same rule is applied to the other direction, so a connection whose
//!   sides were guessed the wrong way round still frames): `UBX`, `UBN`, `UBM`, `NFY`, `FSL`.
//! * Client always; server only when the reply ends in a number after the TrID (at least two
//!   fields and the last one all digits): `UUN`, `UUM`, `SDC`, `PAG`, `PGD`, `VAS`, `PUT`, `DEL`,
//!   `GET`. So `UUN trid OK` has none, `PUT trid OK 0` an empty one.
//! * `ADL`, `RML`, `UUX`: client always (field 1); server only when field 1 is all digits, so
//!   `ADL trid OK` has none, `ADL 0 123` has 123 bytes and `UUX trid 0` an empty payload.
//! * `GCF`: server always (`GCF 0 len`, `GCF trid Shields.xml len`); client never
//!   (`GCF trid Shields.xml`).
//! * `QRY`: client always (`QRY trid product-id 32`); server never (`QRY trid`).
//! * Errors `NNN`: in MSNP13+ (or an unknown dialect) when field 1 (the third token of the line,
//!   which ref §2.4 calls "position 2") exists and is all digits (`241 trid len`, libpurple's
//!   `adl_error` reads the second parameter); never before MSNP13.
//! * Unknown verbs (MSNPSharp's fallback, ref §2.4): when there are at least two fields and the
//!   last is all digits. The framer flags every unknown verb with `msnp.unknown_verb`, because
//!   this guess can be wrong.
//! * Every other known verb: never (`BYE bob@x 1`, `QNG 50`, `XFR … 1`, `CHG trid NLN 0`).
//!
//! # MSNFTP (ref §7)
//!
//! The file transfer between two clients has its own rules, applied in place of the rows'
//! when the dialect is [`Dialect::MSNFTP`]:
//!
//! * No line carries a TrID and none has a payload: `VER MSNFTP`, `USR handle cookie`,
//!   `FIL size`, `TFR`, `BYE code`, `CCL`. A verb no MSNFTP peer speaks (its row names no
//!   [`Servers::FTP`](super::verbs::Servers::FTP) either way) is unknown there, so the framer
//!   flags it.
//! * `VER MSNFTP` (field 0 is `MSNFTP`) has no TrID in any dialect: it is the line that tells
//!   a connection found by its content, or announced by a switchboard, that it is MSNFTP.
//! * After `FIL`, the sender's direction carries nothing but binary blocks, to its end
//!   ([`Shape::blocks`]): the sender waits for the receiver's `TFR`, then sends them, and
//!   has no other line to send. The framer's block mode ([`super::framer`]) reads them. This
//!   holds under MSNFTP and when the dialect is not known; under an MSNP dialect `FIL` is
//!   framed as a line and nothing more.

use super::verbs::{self, Servers};
use super::{Dialect, Verb};
use crate::Direction;

const FIL: Verb = Verb::new(b"FIL");
const VER: Verb = Verb::new(b"VER");

/// What the rules say about one command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// The verb has a row in the verb table or is a three-digit error code.
    pub known: bool,
    /// Field 0 is the TrID slot.
    pub trid: bool,
    /// A payload follows the line; its byte count is in this field (an index into the fields,
    /// TrID slot included). May be out of range when the line is short.
    pub length: Option<usize>,
    /// What follows the line in its direction, to the end, is MSNFTP binary blocks (`FIL`).
    pub blocks: bool,
}

/// Whether field 0 is the TrID slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trid {
    Yes,
    No,
    /// Iff field 0 is all digits.
    IfNumeric,
    /// Server `LST`: field 0 all digits and field 1 a list name.
    Lst,
    /// Server `LSG`: at least 4 fields, fields 0–3 all digits.
    Lsg,
}

/// Whether a payload follows, and where its length is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Len {
    No,
    /// Always; the length is the last field.
    Always,
    /// Iff field 1 is all digits; the length is field 1.
    IfField1Numeric,
    /// Iff there are at least two fields and the last is all digits.
    IfLastNumeric,
}

/// The rule used for letter verbs missing from the verb table.
pub const UNKNOWN: (Trid, Len) = (Trid::IfNumeric, Len::IfLastNumeric);

/// First dialect whose error replies may carry a payload (ref §3.2).
pub const ERROR_PAYLOAD_SINCE: Dialect = Dialect(13);

/// True when every byte is an ASCII digit and there is at least one.
pub fn all_digits(field: &[u8]) -> bool {
    !field.is_empty() && field.iter().all(u8::is_ascii_digit)
}

/// Applies the rules to one line: `fields` are the tokens after the verb, TrID slot included.
pub fn shape(verb: Verb, dir: Direction, dialect: Option<Dialect>, fields: &[&[u8]]) -> Shape {
    let numeric = |i: usize| fields.get(i).is_some_and(|f| all_digits(f));
    let ftp_verb = verb == FIL || (verb == VER && fields.first() == Some(&&b"MSNFTP"[..]));
    if dialect.is_some_and(Dialect::is_msnftp) || ftp_verb {
        let known = verbs::lookup(verb).is_some_and(|row| row.servers().contains(Servers::FTP));
        return Shape {
            known,
            trid: false,
            length: None,
            blocks: verb == FIL && dialect.is_none_or(Dialect::is_msnftp),
        };
    }
    if verb.error_code().is_some() {
        let payload_era = dialect.is_none_or(|d| d >= ERROR_PAYLOAD_SINCE);
        return Shape {
            known: true,
            trid: true,
            length: (payload_era && numeric(1)).then_some(1),
            blocks: false,
        };
    }
    let (known, (trid_rule, len_rule)) = match verbs::lookup(verb) {
        Some(row) => {
            let side = row.side(dir);
            (true, (side.trid, side.len))
        }
        None => (false, UNKNOWN),
    };
    let trid = match trid_rule {
        Trid::Yes => true,
        Trid::No => false,
        Trid::IfNumeric => numeric(0),
        Trid::Lst => {
            numeric(0)
                && fields
                    .get(1)
                    .is_some_and(|f| matches!(*f, b"FL" | b"AL" | b"BL" | b"RL" | b"PL"))
        }
        Trid::Lsg => (0..4).all(numeric),
    };
    let last = fields.len().saturating_sub(1);
    let length = match len_rule {
        Len::No => None,
        Len::Always => Some(last),
        Len::IfField1Numeric => numeric(1).then_some(1),
        Len::IfLastNumeric => (fields.len() >= 2 && numeric(last)).then_some(last),
    };
    Shape {
        known,
        trid,
        length,
        blocks: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{ClientToServer as C2S, ServerToClient as S2C};

    fn sh(line: &str, dir: Direction, dialect: Option<u8>) -> Shape {
        let mut it = line.split(' ');
        let verb = it.next().unwrap().as_bytes();
        let fields: Vec<&[u8]> = it.map(str::as_bytes).collect();
        shape(
            Verb([verb[0], verb[1], verb[2]]),
            dir,
            dialect.map(Dialect),
            &fields,
        )
    }

    fn trid(line: &str, dir: Direction, dialect: Option<u8>) -> bool {
        sh(line, dir, dialect).trid
    }

    fn len(line: &str, dir: Direction, dialect: Option<u8>) -> Option<usize> {
        sh(line, dir, dialect).length
    }

    #[test]
    fn numbers_that_are_not_trids() {
        assert!(!trid("IPG 123", S2C, Some(8)));
        assert!(!trid("NOT 456", S2C, Some(8)));
        assert!(!trid("QNG 50", S2C, Some(9)));
        assert!(!trid("LSG 0 Other%20Contacts 0", S2C, Some(8)));
        assert!(!trid("LSG 0 Other%20Contacts 0", S2C, None));
        assert!(!trid("BYE bob@x 1", S2C, None));
        assert!(!trid("BPR 12 bob@x PHH 555", S2C, Some(7)));
        assert!(!trid("MSG Hotmail Hotmail 12", S2C, Some(8)));
        assert!(!trid("NLN NLN bob@x Bob 0", S2C, Some(8)));
        assert!(!trid("PNG", C2S, Some(8)));
        assert!(!trid("OUT OTH", S2C, None));
    }

    #[test]
    fn trids_that_are_zero_or_borrowed() {
        assert!(trid("CHL 0 12345678901234567890", S2C, Some(8)));
        assert!(trid("SBS 0 null", S2C, Some(11)));
        assert!(trid("ADL 0 88", S2C, Some(13)));
        assert!(trid("IRO 1 1 1 bob@x Bob", S2C, None));
        assert!(trid("MSG 4 A 12", C2S, None));
        assert!(trid("911 3", S2C, Some(8)));
    }

    #[test]
    fn syn_stream_lines_by_shape() {
        // MSNP2–7: replies in the SYN stream carry the SYN TrID.
        assert!(trid("LST 5 FL 12 1 3 bob@x Bob", S2C, Some(5)));
        assert!(trid("LST 5 RL 12 0 0", S2C, None));
        assert!(trid("LSG 5 12 1 2 0 Other%20Contacts 0", S2C, Some(7)));
        assert!(trid("LSG 5 12 0 0", S2C, Some(7)));
        assert!(trid("GTC 5 12 A", S2C, Some(7)));
        assert!(trid("BLP 5 12 AL", S2C, Some(7)));
        // MSNP8–12: no TrID.
        assert!(!trid("LST bob@x Bob 11 0", S2C, Some(8)));
        assert!(!trid("LST N=bob@x F=Bob C=guid 11 1", S2C, Some(12)));
        assert!(!trid("LSG Friends guid", S2C, Some(10)));
        assert!(!trid("GTC A", S2C, Some(8)));
        assert!(!trid("BLP AL", S2C, Some(11)));
        assert!(!trid("PRP MFN Alice", S2C, Some(11)));
        // Replies to a client GTC/BLP/PRP outside the stream.
        assert!(trid("GTC 9 N", S2C, Some(10)));
        assert!(trid("PRP 9 MFN Alice", S2C, Some(11)));
        // The client always sends one.
        assert!(trid("LSG 4", C2S, Some(7)));
        assert!(trid("BLP 4 AL", C2S, Some(8)));
    }

    #[test]
    fn payload_by_direction_param_and_version() {
        assert_eq!(len("QRY 9 PROD0090YUAUV{2B 32", C2S, Some(11)), Some(2));
        assert_eq!(len("QRY 9", S2C, Some(11)), None);
        assert_eq!(len("ADL 9 OK", S2C, Some(13)), None);
        assert_eq!(len("ADL 0 123", S2C, Some(13)), Some(1));
        assert_eq!(len("ADL 9 77", C2S, Some(13)), Some(1));
        assert_eq!(len("UUX 9 0", S2C, Some(11)), Some(1));
        assert_eq!(len("UUN 9 OK", S2C, Some(13)), None);
        assert_eq!(len("UUN 9 bob@x 1 40", C2S, Some(13)), Some(3));
        assert_eq!(len("GCF 9 Shields.xml", C2S, Some(11)), None);
        assert_eq!(len("GCF 9 Shields.xml 1234", S2C, Some(11)), Some(2));
        assert_eq!(len("GCF 0 1234", S2C, Some(13)), Some(1));
        assert_eq!(len("PUT 9 OK 0", S2C, Some(18)), Some(2));
        assert_eq!(len("PUT 9 OK", S2C, Some(18)), None);
        assert_eq!(len("MSG bob@x Bob 120", S2C, None), Some(2));
        assert_eq!(len("MSG 3 D 1300", C2S, None), Some(2));
        assert_eq!(len("NOT 456", S2C, Some(8)), Some(0));
        assert_eq!(len("IPG 123", S2C, Some(8)), Some(0));
        assert_eq!(len("UBM bob@yahoo.com 32 1 1 x 55", S2C, Some(14)), Some(5));
        assert_eq!(len("NFY PUT 300", S2C, Some(18)), Some(1));
        assert_eq!(len("SDG 0 300", S2C, Some(18)), Some(1));
        // Numbers at the end that are not lengths.
        assert_eq!(len("BYE bob@x 1", S2C, None), None);
        assert_eq!(len("QNG 50", S2C, Some(9)), None);
        assert_eq!(
            len("XFR 9 SB 1.2.3.4:1863 CKI c U m 1", S2C, Some(14)),
            None
        );
        assert_eq!(len("CHG 9 NLN 0", C2S, Some(8)), None);
        assert_eq!(len("USR 9 OK bob@x 1 0", S2C, Some(10)), None);
        assert_eq!(len("LST bob@x Bob 11 0", S2C, Some(8)), None);
    }

    #[test]
    fn errors_carry_a_payload_from_msnp13() {
        assert_eq!(len("241 9 120", S2C, Some(13)), Some(1));
        assert_eq!(len("241 9 120", S2C, None), Some(1));
        assert_eq!(len("241 9 120", S2C, Some(12)), None);
        assert_eq!(len("241 9", S2C, Some(13)), None);
        assert_eq!(len("911 9 x", S2C, Some(15)), None);
    }

    #[test]
    fn unknown_verbs_use_the_last_digits_heuristic() {
        let s = sh("ZZZ 3 foo 12", C2S, None);
        assert!(!s.known && s.trid);
        assert_eq!(s.length, Some(2));
        let s = sh("ZZZ 12", S2C, None);
        assert!(s.trid);
        assert_eq!(s.length, None);
        assert_eq!(sh("ZZZ foo", S2C, None).length, None);
        assert!(!sh("ZZZ foo 1", S2C, None).trid);
    }

    #[test]
    fn msnftp_lines_have_no_trid_and_fil_starts_the_blocks() {
        let ftp = Some(Dialect::MSNFTP.0);
        for (line, dir) in [
            ("VER MSNFTP", C2S),
            ("VER MSNFTP", S2C),
            ("USR bob@x.com 41728291", C2S),
            ("TFR", C2S),
            ("BYE 16777989", C2S),
            ("CCL", C2S),
        ] {
            let s = sh(line, dir, ftp);
            assert!(s.known && !s.trid && !s.blocks, "{line}");
            assert_eq!(s.length, None, "{line}");
        }
        // The sender's FIL: blocks follow, in either direction.
        for dir in [S2C, C2S] {
            let s = sh("FIL 30210", dir, ftp);
            assert!(s.known && !s.trid && s.blocks);
            assert_eq!(s.length, None);
        }
        // Verbs MSNFTP does not have are unknown there, and never take a payload.
        let s = sh("MSG 1 N 50", S2C, ftp);
        assert!(!s.known && !s.trid);
        assert_eq!(s.length, None);
        assert!(!sh("911 3", S2C, ftp).known);
        // `VER MSNFTP` tells an MSNP connection (or one not known yet) what it is.
        assert!(!trid("VER MSNFTP", C2S, None));
        assert!(!trid("VER MSNFTP", C2S, Some(8)));
        assert!(trid("VER 1 MSNP8", C2S, None));
        // FIL starts blocks when the dialect is unknown, not under an MSNP dialect.
        assert!(sh("FIL 5", S2C, None).blocks);
        assert!(!sh("FIL 5", S2C, Some(8)).blocks);
        // Under MSNP, a USR has its TrID as before.
        assert!(trid("USR 1 bob@x.com 1.2", C2S, Some(8)));
    }

    #[test]
    fn short_lines_point_past_the_fields() {
        // `MSG` with no fields: the length is "missing" (index 0 of nothing).
        let s = sh("MSG", C2S, None);
        assert_eq!(s.length, Some(0));
    }
}
