//! The command grammar: one complete line (without its terminator) → [`Command`].
//!
//! Why it exists: the framer ([`super::framer`]) cuts the byte stream into lines; this module says
//! what a line is made of, with nom `complete` combinators (the line is whole, so running out of
//! input is a grammar error here, never "need more").
//!
//! Grammar (ref §0):
//!
//! ```text
//! line   = verb *( 1*SP field ) *SP
//! verb   = 3UPPER / 3DIGIT        ; case-sensitive, followed by a space or the end of the line
//! field  = 1*( any byte but SP )
//! ```
//!
//! * Only the space (0x20) separates fields, in runs. A tab or any other byte, `\r` included, is
//!   part of a field: real traffic uses single spaces, and keeping such bytes in a field (rather
//!   than splitting on them) means nothing is lost.
//! * Leading spaces, an empty line, a verb of the wrong case or length (`msg`, `MSGX`) are
//!   [`LineError`]s.
//! * Whether field 0 is a TrID comes from [`super::rules`]. [`Command::trid`] is set only when the
//!   rules give the line a TrID slot **and** that field is all digits and fits a `u32`; otherwise
//!   the field stays in [`Command::params`].
//! * Fields are kept as text: valid UTF-8 as is, every byte of an invalid sequence as `\xNN`, and
//!   a literal backslash as `\\`, so [`unescape_field`] (and [`Command::render`]) give back the
//!   exact bytes.
//!
//! Guarantees: total and panic-free on any bytes.

use std::fmt;

use nom::{
    IResult, Parser,
    branch::alt,
    bytes::complete::{take_till1, take_while, take_while_m_n, take_while1},
    combinator::{all_consuming, eof, map, peek},
    multi::many0,
    sequence::preceded,
};

use super::rules::{self, Shape};
use super::{Dialect, Verb};
use crate::Direction;

/// One parsed command line.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Command {
    pub verb: Verb,
    /// Only when the rules say this verb/direction carries one and it parses as a `u32`.
    pub trid: Option<u32>,
    /// The parameters after the verb (and after the TrID when there is one), split on runs of
    /// spaces. Bytes that are not valid UTF-8 appear as `\xNN`, a literal backslash as `\\`.
    pub params: Vec<String>,
}

impl Command {
    /// The line this command was parsed from, in canonical form: fields joined by single
    /// spaces, no terminator. Parsing it again gives an equal command.
    pub fn render(&self) -> Vec<u8> {
        let mut out = self.verb.0.to_vec();
        if let Some(trid) = self.trid {
            out.push(b' ');
            out.extend_from_slice(trid.to_string().as_bytes());
        }
        for p in &self.params {
            out.push(b' ');
            out.extend_from_slice(&unescape_field(p));
        }
        out
    }
}

/// Why a line is not a command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineError {
    /// Nothing (or only spaces) on the line.
    Empty,
    /// The line does not start with three upper-case letters or three digits.
    BadVerb,
    /// The verb is followed by something other than a space or the end of the line
    /// (`MSGX`, `2001`).
    JunkAfterVerb { byte: u8 },
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::Empty => f.write_str("empty line"),
            LineError::BadVerb => {
                f.write_str("no command name (three upper-case letters or three digits)")
            }
            LineError::JunkAfterVerb { byte } => {
                write!(f, "byte 0x{byte:02x} right after the command name")
            }
        }
    }
}

impl std::error::Error for LineError {}

/// A parsed line with what the framer needs beyond the [`Command`]: the rules' verdict and the
/// raw fields (TrID slot included), which [`Shape::length`] indexes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedLine<'a> {
    pub command: Command,
    pub shape: Shape,
    pub fields: Vec<&'a [u8]>,
}

/// Parses one line (without its `\r\n`) sent in direction `dir` under `dialect` (`None` when not
/// known yet).
pub fn parse_command_line(
    line: &[u8],
    dir: Direction,
    dialect: Option<Dialect>,
) -> Result<Command, LineError> {
    parse_line(line, dir, dialect).map(|p| p.command)
}

/// Like [`parse_command_line`], keeping the raw fields and the rules' [`Shape`].
pub fn parse_line(
    line: &[u8],
    dir: Direction,
    dialect: Option<Dialect>,
) -> Result<ParsedLine<'_>, LineError> {
    let (verb, fields) = match grammar(line) {
        Ok((_, parsed)) => parsed,
        Err(_) => return Err(classify_error(line)),
    };
    let shape = rules::shape(verb, dir, dialect, &fields);
    let trid = if shape.trid {
        fields
            .first()
            .filter(|f| rules::all_digits(f))
            .and_then(|f| std::str::from_utf8(f).ok()?.parse::<u32>().ok())
    } else {
        None
    };
    let skip = usize::from(trid.is_some());
    let params = fields.iter().skip(skip).map(|f| escape_field(f)).collect();
    Ok(ParsedLine {
        command: Command { verb, trid, params },
        shape,
        fields,
    })
}

fn is_sp(b: u8) -> bool {
    b == b' '
}

fn verb(input: &[u8]) -> IResult<&[u8], Verb> {
    map(
        alt((
            take_while_m_n(3, 3, |b: u8| b.is_ascii_uppercase()),
            take_while_m_n(3, 3, |b: u8| b.is_ascii_digit()),
        )),
        |v: &[u8]| Verb([v[0], v[1], v[2]]),
    )
    .parse(input)
}

/// `verb *( 1*SP field ) *SP`, the whole line.
fn grammar(input: &[u8]) -> IResult<&[u8], (Verb, Vec<&[u8]>)> {
    let (input, v) = verb(input)?;
    let (input, _) = peek(alt((eof, take_while1(is_sp)))).parse(input)?;
    let (input, fields) = all_consuming(|i| {
        let (i, fields) = many0(preceded(take_while1(is_sp), take_till1(is_sp))).parse(i)?;
        let (i, _) = take_while(is_sp).parse(i)?;
        Ok((i, fields))
    })
    .parse(input)?;
    Ok((input, (v, fields)))
}

/// Says which rule a line broke (the grammar only says that it broke one).
fn classify_error(line: &[u8]) -> LineError {
    if line.iter().all(|&b| is_sp(b)) {
        return LineError::Empty;
    }
    match verb(line) {
        Ok((rest, _)) => match rest.first() {
            Some(&byte) => LineError::JunkAfterVerb { byte },
            // Unreachable: a bare verb parses.
            None => LineError::BadVerb,
        },
        Err(_) => LineError::BadVerb,
    }
}

/// Parameters are kept in the data form of [`crate::escape`] (the rule for every JSON string
/// made from capture bytes): valid UTF-8 as is, `\\` for a backslash, `\xNN` (upper case) for
/// each invalid byte. [`unescape_field`] gives the bytes back.
pub use crate::escape::{escape_field, unescape_field};

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{ClientToServer as C2S, ServerToClient as S2C};
    use proptest::prelude::*;

    fn parse(line: &str, dir: Direction, dialect: Option<u8>) -> Command {
        parse_command_line(line.as_bytes(), dir, dialect.map(Dialect)).unwrap()
    }

    fn cmd(verb: &str, trid: Option<u32>, params: &[&str]) -> Command {
        let v = verb.as_bytes();
        Command {
            verb: Verb([v[0], v[1], v[2]]),
            trid,
            params: params.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn request_with_trid() {
        assert_eq!(
            parse("VER 1 MSNP8 CVR0", C2S, None),
            cmd("VER", Some(1), &["MSNP8", "CVR0"])
        );
        assert_eq!(
            parse("CHL 0 nonce", S2C, Some(8)),
            cmd("CHL", Some(0), &["nonce"])
        );
        assert_eq!(parse("911 3", S2C, None), cmd("911", Some(3), &[]));
    }

    #[test]
    fn lines_whose_numbers_are_not_trids() {
        assert_eq!(parse("IPG 123", S2C, Some(8)), cmd("IPG", None, &["123"]));
        assert_eq!(parse("NOT 456", S2C, Some(8)), cmd("NOT", None, &["456"]));
        assert_eq!(parse("QNG 50", S2C, Some(9)), cmd("QNG", None, &["50"]));
        assert_eq!(
            parse("LSG 0 Other%20Contacts 0", S2C, Some(8)),
            cmd("LSG", None, &["0", "Other%20Contacts", "0"])
        );
        assert_eq!(
            parse("BYE bob@x 1", S2C, None),
            cmd("BYE", None, &["bob@x", "1"])
        );
        assert_eq!(parse("PNG", C2S, None), cmd("PNG", None, &[]));
    }

    #[test]
    fn runs_of_spaces_and_trailing_spaces() {
        assert_eq!(
            parse("USR  1   TWN I  bob@x  ", C2S, None),
            cmd("USR", Some(1), &["TWN", "I", "bob@x"])
        );
        assert_eq!(parse("OUT ", C2S, None), cmd("OUT", None, &[]));
    }

    #[test]
    fn tabs_and_cr_stay_inside_fields() {
        assert_eq!(
            parse("OUT a\tb\r", S2C, None),
            cmd("OUT", None, &["a\tb\r"])
        );
    }

    #[test]
    fn trid_slot_that_is_not_a_u32_stays_a_param() {
        assert_eq!(
            parse("USR x TWN", C2S, None),
            cmd("USR", None, &["x", "TWN"])
        );
        assert_eq!(
            parse("USR 4294967296 TWN", C2S, None),
            cmd("USR", None, &["4294967296", "TWN"])
        );
        assert_eq!(
            parse("USR +5 TWN", C2S, None),
            cmd("USR", None, &["+5", "TWN"])
        );
        assert_eq!(
            parse("USR 4294967295", C2S, None),
            cmd("USR", Some(u32::MAX), &[])
        );
    }

    #[test]
    fn bad_lines() {
        let p = |l: &[u8]| parse_command_line(l, C2S, None);
        assert_eq!(p(b""), Err(LineError::Empty));
        assert_eq!(p(b"   "), Err(LineError::Empty));
        assert_eq!(p(b" MSG 1 N 3"), Err(LineError::BadVerb));
        assert_eq!(p(b"msg 1 N 3"), Err(LineError::BadVerb));
        assert_eq!(p(b"MS"), Err(LineError::BadVerb));
        assert_eq!(p(b"M2G"), Err(LineError::BadVerb));
        assert_eq!(p(b"MSGX 1"), Err(LineError::JunkAfterVerb { byte: b'X' }));
        assert_eq!(p(b"2001 1"), Err(LineError::JunkAfterVerb { byte: b'1' }));
        assert_eq!(p(b"MSG\t1"), Err(LineError::JunkAfterVerb { byte: b'\t' }));
        assert_eq!(p(b"\xff\xfe\x00"), Err(LineError::BadVerb));
    }

    #[test]
    fn invalid_utf8_and_backslashes_are_escaped() {
        let c = parse_command_line(b"OUT a\xffb c\\d \xc3\xa9", S2C, None).unwrap();
        assert_eq!(c.params, vec!["a\\xFFb", "c\\\\d", "é"]);
        assert_eq!(c.render(), b"OUT a\xffb c\\d \xc3\xa9");
    }

    #[test]
    fn unescape_leaves_stray_backslashes() {
        assert_eq!(unescape_field("a\\qb\\x4"), b"a\\qb\\x4");
        assert_eq!(unescape_field("\\x41\\\\"), b"A\\");
    }

    fn field() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            "[A-Za-z0-9@.%=:;{}-]{1,12}".prop_map(String::into_bytes),
            "[0-9]{1,6}".prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>().prop_filter("no space", |b| *b != b' '), 1..8),
        ]
    }

    fn verb_strategy() -> impl Strategy<Value = Verb> {
        prop_oneof![
            proptest::sample::select(
                crate::msnp::verbs::VERBS
                    .iter()
                    .map(|e| e.verb)
                    .collect::<Vec<_>>()
            ),
            "[A-Z]{3}".prop_map(|s| Verb::new(s.as_bytes().try_into().unwrap())),
            "[1-9][0-9]{2}".prop_map(|s| Verb::new(s.as_bytes().try_into().unwrap())),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Render → parse gives the command back, for every command the rules allow.
        #[test]
        fn render_then_parse_round_trips(
            verb in verb_strategy(),
            s2c in any::<bool>(),
            dialect in proptest::option::of(2u8..=18),
            trid in proptest::option::of(any::<u32>()),
            fields in proptest::collection::vec(field(), 0..6),
        ) {
            let dir = if s2c { S2C } else { C2S };
            let dialect = dialect.map(Dialect);
            let command = Command {
                verb,
                trid,
                params: fields.iter().map(|f| escape_field(f)).collect(),
            };
            let line = command.render();
            // Keep only commands consistent with the rules: a TrID exactly when the rendered
            // line has a u32 in a TrID slot.
            let mut all: Vec<&[u8]> = line.split(|&b| b == b' ').skip(1).collect();
            all.retain(|f| !f.is_empty());
            let shape = rules::shape(verb, dir, dialect, &all);
            let slot_is_u32 = shape.trid
                && all.first().is_some_and(|f| rules::all_digits(f)
                    && std::str::from_utf8(f).unwrap().parse::<u32>().is_ok());
            prop_assume!(slot_is_u32 == trid.is_some());
            let parsed = parse_command_line(&line, dir, dialect).unwrap();
            prop_assert_eq!(&parsed, &command);
            prop_assert_eq!(parsed.render(), line);
        }

        /// Any bytes: never a panic, and a parsed line renders to the same fields.
        #[test]
        fn any_line_parses_or_errs(line in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(c) = parse_command_line(&line, S2C, None) {
                let again = parse_command_line(&c.render(), S2C, None).unwrap();
                prop_assert_eq!(again, c);
            }
        }

        #[test]
        fn escape_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(unescape_field(&escape_field(&bytes)), bytes);
        }
    }
}
