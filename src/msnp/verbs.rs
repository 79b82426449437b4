//! The verb table: everything msnsniff knows about each MSNP command, one row per verb.
//!
//! Why it exists: what a command means used to be spread over a framing table, a catalogue,
//! a field module, a note module and the session's classifier, with two parallel verb lists
//! and nothing tying them together. Here each [`VerbSpec`] row holds, for one verb:
//!
//! * its **framing rule** per direction (whether field 0 is a TrID, whether a payload follows
//!   and where its length is: [`super::rules`] explains the rules and applies them);
//! * **who speaks it** per direction ([`Servers`]: dispatch, notification, switchboard, MSNFTP
//!   peer), which is also evidence of a connection's role when only one kind speaks it;
//! * the **dialect range** that has it and a **one-line summary**;
//! * the function that **names its parameters** (module `fields`) and the one that **writes its
//!   note** (module `notes`).
//!
//! Adding a verb, or finding out all that msnsniff knows about one, is this one row and the
//! two functions it names. `docs/PROTOCOL.md` lists the same verbs (written from the protocol
//! reference); a test checks the two agree row for row.
//!
//! Three-digit error replies are not rows: their framing is [`super::rules::shape`]'s, their
//! fields and note come from [`super::errors`]. Unknown verbs get the framing fallback of
//! [`super::rules::UNKNOWN`], no fields and no note.
//!
//! Guarantees: [`VERBS`] is sorted by verb with no duplicates, and [`lookup`] finds every row
//! (through an index of all three-letter names) and nothing else;
//! [`describe`] and [`named_fields`] are total (any verb, any parameters, any dialect) and
//! never panic.
//!
//! # Field names
//!
//! Names are [`Name`](super::named::Name)s with stable snake_case JSON keys:
//!
//! * URL-encoded text (`friendly_name`, `group_name`, `value`, `msnobject`, `icon_url`,
//!   `sender_friendly_name`, FND's name fields) holds the decoded text; JSON adds `<name>_raw`
//!   with the text as sent, only when the two differ. Text that does not decode stays raw.
//! * Numbers (`length`, `list_version`, `session_id`, `index`, `total`, `group_id`, counts,
//!   `client_id`, ...) are numbers when they parse as unsigned integers, text otherwise
//!   (MSNP10+ group IDs are GUID strings).
//! * A handle is split: `handle` (or `recipient`), plus `network_id` / `network` from an
//!   `n:handle` prefix and `machine_guid` from a `;{guid}` suffix (`recipient_network_id`, ...
//!   for the recipient). A separate network-ID parameter fills the same two fields.
//! * A client ID gives `client_id`, `client_caps` (flag names), `msnc` (level), and from MSNP16
//!   `client_id_ext` and `client_ext_caps`.
//! * `status` / `status_name`; `list` (a list name) or `list_bits` / `lists` (names);
//!   `property` / `property_name` / `value`; `result` for `OK` / `RINGING` replies; `code` /
//!   `meaning` / `length` for error replies.
//! * Login: `auth_method`, `stage`, then `handle`, `salt`, `response`, `ticket`,
//!   `passport_challenge`, `policy`, `nonce`, `machine_guid`, `circle_ticket`, or for `OK`
//!   `handle`, `friendly_name`, `verified`, `restricted` as the dialect has them.
//! * Switchboard hand-over (XFR SB, RNG): `address`, `auth` (`CKI`), `cookie`, `hostname`,
//!   `direct_connect`; XFR also `server_type` and, for NS, `current_address`.
//! * A missing parameter leaves its field out.

mod fields;
mod notes;
mod presence;
#[cfg(test)]
mod tests;

pub use fields::Builder;
pub use presence::{
    client_caps, client_ext_caps, infer_dialect_from_client_id, list_meaning, list_names,
    msnc_level, network_name, status_name,
};

use super::errors::error_meaning;
use super::named::{Fields, Value};
use super::rules::{Len, Trid};
use super::{Dialect, Verb};
use crate::Direction;
use std::ops::BitOr;

/// Which kinds of server (or peer) speak a command in one direction: for client-to-server,
/// who receives it; for server-to-client, who sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Servers(u8);

impl Servers {
    /// Not sent in this direction.
    pub const NONE: Servers = Servers(0);
    /// The dispatch server.
    pub const DS: Servers = Servers(1);
    /// The notification server.
    pub const NS: Servers = Servers(2);
    /// A switchboard.
    pub const SB: Servers = Servers(4);
    /// An MSNFTP peer (the sender of a file; its client is the receiver).
    pub const FTP: Servers = Servers(8);

    pub const fn or(self, other: Servers) -> Servers {
        Servers(self.0 | other.0)
    }

    pub const fn contains(self, other: Servers) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The names of the kinds, as `docs/PROTOCOL.md` writes them (`DS, NS`), or `-`.
    pub fn names(self) -> String {
        let all = [
            (Servers::DS, "DS"),
            (Servers::NS, "NS"),
            (Servers::SB, "SB"),
            (Servers::FTP, "MSNFTP"),
        ];
        let names: Vec<&str> = all
            .iter()
            .filter(|(s, _)| self.contains(*s))
            .map(|(_, n)| *n)
            .collect();
        if names.is_empty() {
            "-".to_string()
        } else {
            names.join(", ")
        }
    }
}

impl BitOr for Servers {
    type Output = Servers;
    fn bitor(self, rhs: Servers) -> Servers {
        self.or(rhs)
    }
}

/// The rule of one verb in one direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Side {
    /// Whether field 0 is the TrID slot.
    pub trid: Trid,
    /// Whether a payload follows, and where its length is.
    pub len: Len,
    /// Who speaks it this way ([`Servers::NONE`]: nobody; the framing rule still applies, so
    /// a connection whose sides were guessed the wrong way round still frames).
    pub servers: Servers,
}

/// Everything an all-parameters view of one command line needs.
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    pub dir: Direction,
    /// The MSNP dialect number, when known (never for MSNFTP: see `ftp`).
    pub d: Option<u8>,
    /// The line belongs to an MSNFTP file transfer ([`Dialect::MSNFTP`]), where the verbs
    /// `USR`, `BYE` and `VER` mean other things than on a server.
    pub ftp: bool,
    /// The parameters after the verb, without the TrID when `has_trid`.
    pub p: Params<'a>,
    pub has_trid: bool,
}

impl<'a> Line<'a> {
    pub fn new(
        dir: Direction,
        dialect: Option<Dialect>,
        params: &'a [String],
        has_trid: bool,
    ) -> Line<'a> {
        Line {
            dir,
            d: dialect.and_then(Dialect::msnp),
            ftp: dialect.is_some_and(Dialect::is_msnftp),
            p: Params(params),
            has_trid,
        }
    }

    pub fn c2s(&self) -> bool {
        self.dir == Direction::ClientToServer
    }

    /// `Some(true)` when the dialect is known and at least `n`.
    pub fn since(&self, n: u8) -> Option<bool> {
        self.d.map(|d| d >= n)
    }
}

/// The parameters of one line, with checked access.
#[derive(Clone, Copy, Debug)]
pub struct Params<'a>(pub &'a [String]);

impl<'a> Params<'a> {
    pub fn get(&self, i: usize) -> Option<&'a str> {
        self.0.get(i).map(String::as_str)
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn from(&self, i: usize) -> &'a [String] {
        self.0.get(i..).unwrap_or(&[])
    }
    pub fn last(&self) -> Option<&'a str> {
        self.0.last().map(String::as_str)
    }
    pub fn is(&self, i: usize, s: &str) -> bool {
        self.get(i) == Some(s)
    }
    pub fn digits(&self, i: usize) -> bool {
        self.get(i).is_some_and(is_digits)
    }
}

/// True for a non-empty run of ASCII digits.
pub fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Names the parameters of one line.
pub type FieldsFn = fn(&mut Builder, Line<'_>);

/// Writes the note of one line from its fields, or `None` when the line speaks for itself.
pub type NoteFn = fn(&Fields, Line<'_>) -> Option<String>;

/// One verb: the row of the table.
#[derive(Clone, Copy)]
pub struct VerbSpec {
    pub verb: Verb,
    pub c2s: Side,
    pub s2c: Side,
    /// First dialect that has the command.
    pub since: u8,
    /// Last dialect that has it, when it was removed.
    pub until: Option<u8>,
    /// What the command does, in one line.
    pub summary: &'static str,
    pub fields: FieldsFn,
    /// The note, made from the fields; `None` when the line speaks for itself.
    pub note: Option<NoteFn>,
}

impl std::fmt::Debug for VerbSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerbSpec")
            .field("verb", &self.verb)
            .field("c2s", &self.c2s)
            .field("s2c", &self.s2c)
            .field("since", &self.since)
            .field("until", &self.until)
            .finish()
    }
}

impl VerbSpec {
    /// The rule for one direction.
    pub fn side(&self, dir: Direction) -> &Side {
        match dir {
            Direction::ClientToServer => &self.c2s,
            Direction::ServerToClient => &self.s2c,
        }
    }

    /// Whether the command belongs to this dialect. Unknown dialects accept everything;
    /// MSNFTP has the verbs an MSNFTP peer speaks.
    pub fn in_dialect(&self, dialect: Option<Dialect>) -> bool {
        match dialect.map(Dialect::msnp) {
            None => true,
            Some(None) => self.servers().contains(Servers::FTP),
            Some(Some(d)) => d >= self.since && self.until.is_none_or(|u| d <= u),
        }
    }

    /// Who speaks it in either direction.
    pub fn servers(&self) -> Servers {
        self.c2s.servers | self.s2c.servers
    }
}

// Short names for the table.
const DS: Servers = Servers::DS;
const NS: Servers = Servers::NS;
const SB: Servers = Servers::SB;
const FTP: Servers = Servers::FTP;
const NOBODY: Servers = Servers::NONE;
const DS_NS: Servers = DS.or(NS);
const SERVERS: Servers = DS.or(NS).or(SB);

/// A request and its reply: a TrID, no payload.
const fn req(servers: Servers) -> Side {
    Side {
        trid: Trid::Yes,
        len: Len::No,
        servers,
    }
}

/// No TrID, no payload.
const fn bare(servers: Servers) -> Side {
    Side {
        trid: Trid::No,
        len: Len::No,
        servers,
    }
}

const fn side(trid: Trid, len: Len, servers: Servers) -> Side {
    Side { trid, len, servers }
}

#[allow(clippy::too_many_arguments)]
const fn row(
    verb: &[u8; 3],
    c2s: Side,
    s2c: Side,
    since: u8,
    until: Option<u8>,
    summary: &'static str,
    fields: FieldsFn,
    note: Option<NoteFn>,
) -> VerbSpec {
    VerbSpec {
        verb: Verb::new(verb),
        c2s,
        s2c,
        since,
        until,
        summary,
        fields,
        note,
    }
}

use Len::{Always, IfField1Numeric, IfLastNumeric};
use Trid::{IfNumeric, Lsg, Lst};
use fields as f;
use notes as n;

/// The table, sorted by verb: framing per direction (TrID, payload), who speaks it each way,
/// dialect range, summary, the fields function and the note function, if the verb has a note.
#[rustfmt::skip]
pub static VERBS: &[VerbSpec] = &[
    row(b"ACK", req(NOBODY), req(SB), 2, None, "message delivered", f::none, Some(n::ack)),
    row(b"ADC", req(NS), req(NS), 10, Some(12), "add a contact to a list or group", f::adc, Some(n::added)),
    row(b"ADD", req(NS), req(NS), 2, Some(9), "add a handle to a list", f::add, Some(n::added)),
    row(b"ADG", req(NS), req(NS), 7, Some(12), "create a contact group", f::adg, None),
    row(b"ADL", side(Trid::Yes, Always, NS), side(Trid::Yes, IfField1Numeric, NS), 13, None, "add contacts to lists (XML)", f::result_or_length, None),
    row(b"ANS", req(SB), req(SB), 2, None, "join a switchboard after an invitation", f::ans, Some(n::ans)),
    row(b"BLP", req(NS), side(IfNumeric, Len::No, NS), 2, None, "default privacy setting", f::blp, Some(n::blp)),
    row(b"BPR", bare(NOBODY), bare(NS), 5, Some(12), "a contact's phone or mobile property", f::bpr, None),
    row(b"BYE", bare(FTP), bare(SB), 2, None, "a participant left the switchboard (MSNFTP: the receiver ends the transfer)", f::bye, Some(n::bye)),
    row(b"CAL", req(SB), req(SB), 2, None, "invite a user into the switchboard", f::cal, Some(n::cal)),
    row(b"CCL", bare(FTP), bare(NOBODY), 2, None, "MSNFTP: the receiver cancels the transfer", f::none, Some(n::ccl)),
    row(b"CHG", req(NS), req(NS), 2, None, "set own status", f::chg, Some(n::chg)),
    row(b"CHL", req(NS), req(NS), 6, None, "challenge to be answered with QRY", f::chl, Some(n::chl)),
    row(b"CVQ", req(DS_NS), req(DS_NS), 2, None, "version query under CVR0", f::cvr, None),
    row(b"CVR", req(DS_NS), req(DS_NS), 2, None, "client and OS version report", f::cvr, None),
    row(b"DEL", side(Trid::Yes, Always, NS), side(Trid::Yes, IfLastNumeric, NS), 18, None, "delete stored documents or endpoint data", f::result_or_length, None),
    row(b"FIL", bare(NOBODY), bare(FTP), 2, None, "MSNFTP: the size of the file about to be sent", f::fil, Some(n::fil)),
    row(b"FLN", bare(NOBODY), bare(NS), 2, None, "a contact went offline", f::fln, Some(n::fln)),
    row(b"FND", req(NS), req(NS), 2, Some(7), "member directory search", f::fnd, None),
    row(b"FQY", side(Trid::Yes, Always, NS), side(Trid::Yes, Always, NS), 14, None, "federation query", f::result_or_length, None),
    row(b"FSL", side(IfNumeric, Always, NOBODY), side(IfNumeric, Always, NS), 21, None, "undocumented MSNP21 payload command", f::result_or_length, None),
    row(b"GCF", req(NS), side(Trid::Yes, Always, NS), 11, None, "download a configuration file", f::gcf, None),
    row(b"GET", side(Trid::Yes, Always, NS), side(Trid::Yes, IfLastNumeric, NS), 21, None, "fetch stored data", f::result_or_length, None),
    row(b"GSB", req(NS), req(NOBODY), 11, Some(11), "rarely seen MSNP11 request", f::none, None),
    row(b"GTC", req(NS), side(IfNumeric, Len::No, NS), 2, Some(12), "whether to ask when someone adds you", f::gtc, Some(n::gtc)),
    row(b"ILN", req(NOBODY), req(NS), 2, None, "initial presence of a contact", f::iln, Some(n::presence)),
    row(b"IMS", req(NS), req(NS), 3, None, "switch incoming switchboard sessions on or off", f::ims, None),
    row(b"INF", req(DS_NS), req(DS_NS), 2, Some(7), "ask for the supported login methods", f::inf, None),
    row(b"IPG", side(Trid::No, Always, NOBODY), side(Trid::No, Always, NS), 6, None, "incoming page or mobile message", f::result_or_length, None),
    row(b"IRO", req(NOBODY), req(SB), 2, None, "a participant already in the switchboard", f::iro, Some(n::iro)),
    row(b"JOI", bare(NOBODY), bare(SB), 2, None, "a participant joined the switchboard", f::joi, Some(n::joi)),
    row(b"LSG", req(NS), side(Lsg, Len::No, NS), 7, Some(12), "group list entry", f::lsg, None),
    row(b"LST", req(NS), side(Lst, Len::No, NS), 2, Some(12), "contact list entry", f::lst, None),
    row(b"MSG", side(Trid::Yes, Always, SB), side(Trid::No, Always, NS.or(SB)), 2, None, "message with a MIME body", f::msg, None),
    row(b"NAK", req(NOBODY), req(SB), 2, None, "message not delivered", f::none, Some(n::nak)),
    row(b"NFY", side(Trid::No, Always, NOBODY), side(Trid::No, Always, NS), 18, None, "someone's stored document changed", f::nfy, None),
    row(b"NLN", bare(NOBODY), bare(NS), 2, None, "a contact came online or changed presence", f::nln, Some(n::presence)),
    row(b"NOT", side(Trid::No, Always, NS), side(Trid::No, Always, NS), 5, None, "MSN Alerts notification", f::result_or_length, None),
    row(b"OUT", bare(SERVERS), bare(SERVERS), 2, None, "close the session", f::out, Some(n::out)),
    row(b"PAG", side(Trid::Yes, Always, NS), side(Trid::Yes, IfLastNumeric, NS), 5, None, "page a mobile device", f::handle_then_length, None),
    row(b"PGD", side(Trid::Yes, Always, NS), side(Trid::Yes, IfLastNumeric, NS), 9, None, "page or mobile message", f::handle_then_length, None),
    row(b"PNG", bare(NS), bare(NOBODY), 2, None, "keep-alive ping", f::none, None),
    row(b"PRP", req(NS), side(IfNumeric, Len::No, NS), 5, None, "own property (phone numbers, friendly name)", f::prp, None),
    row(b"PUT", side(Trid::Yes, Always, NS), side(Trid::Yes, IfLastNumeric, NS), 18, None, "store data or presence documents", f::result_or_length, None),
    row(b"QNG", bare(NOBODY), bare(NS), 2, None, "reply to a ping", f::qng, Some(n::qng)),
    row(b"QRY", side(Trid::Yes, Always, NS), req(NS), 6, None, "answer to a challenge", f::qry, Some(n::qry)),
    row(b"REA", req(NS), req(NS), 2, Some(9), "rename yourself or a contact", f::rea, None),
    row(b"REG", req(NS), req(NS), 7, Some(12), "rename a group", f::reg, None),
    row(b"REM", req(NS), req(NS), 2, Some(12), "remove from a list or group", f::rem, Some(n::removed)),
    row(b"RFS", side(IfNumeric, Len::No, NOBODY), side(IfNumeric, Len::No, NS), 13, None, "refresh the address book", f::none, Some(n::rfs)),
    row(b"RMG", req(NS), req(NS), 7, Some(12), "delete a group", f::rmg, None),
    row(b"RML", side(Trid::Yes, Always, NS), side(Trid::Yes, IfField1Numeric, NS), 13, None, "remove contacts from lists (XML)", f::result_or_length, None),
    row(b"RNG", bare(NOBODY), bare(NS), 2, None, "invitation into a switchboard", f::rng, Some(n::rng)),
    row(b"SBP", req(NS), req(NS), 10, Some(12), "set a contact's cached property", f::sbp, None),
    row(b"SBS", req(NOBODY), req(NS), 11, None, "undocumented notice after login", f::sbs, None),
    row(b"SDC", side(Trid::Yes, Always, NS), side(Trid::Yes, IfLastNumeric, NS), 5, None, "send an e-mail invitation with a note", f::sdc, None),
    row(b"SDG", side(Trid::Yes, Always, NS), side(Trid::Yes, Always, NS), 18, None, "datagram to a circle or endpoint", f::result_or_length, None),
    row(b"SND", req(NS), req(NS), 2, None, "send an e-mail invitation", f::snd, None),
    row(b"SYN", req(NS), req(NS), 2, Some(12), "synchronise lists and settings", f::syn, None),
    row(b"TFR", bare(FTP), bare(NOBODY), 2, None, "MSNFTP: the receiver asks the sender to start", f::none, Some(n::tfr)),
    row(b"UBM", side(Trid::No, Always, NOBODY), side(Trid::No, Always, NS), 14, None, "message from a federated (Yahoo!) user", f::ubm, None),
    row(b"UBN", side(Trid::No, Always, NOBODY), side(Trid::No, Always, NS), 13, None, "incoming user notification", f::user_notification, Some(n::user_notification)),
    row(b"UBX", side(Trid::No, Always, NOBODY), side(Trid::No, Always, NS), 11, None, "a contact's personal message or endpoint data", f::ubx, None),
    row(b"URL", req(NS), req(NS), 2, None, "ask for a web service URL", f::url, None),
    row(b"USR", req(SERVERS.or(FTP)), req(SERVERS), 2, None, "authentication, joining a switchboard as caller, or (MSNFTP) the receiver's AuthCookie", f::usr, Some(n::usr)),
    row(b"UUM", side(Trid::Yes, Always, NS), side(Trid::Yes, IfLastNumeric, NS), 14, None, "message to a federated (Yahoo!) user", f::uum, None),
    row(b"UUN", side(Trid::Yes, Always, NS), side(Trid::Yes, IfLastNumeric, NS), 13, None, "send a user notification", f::user_notification, Some(n::user_notification)),
    row(b"UUX", side(Trid::Yes, Always, NS), side(Trid::Yes, IfField1Numeric, NS), 11, None, "set own personal message or endpoint data", f::result_or_length, None),
    row(b"VAS", side(Trid::Yes, Always, NS), side(Trid::Yes, IfLastNumeric, NS), 18, None, "report a contact for abuse", f::handle_then_length, None),
    row(b"VER", req(DS_NS.or(FTP)), req(DS_NS.or(FTP)), 2, None, "dialect negotiation (MSNFTP: protocol check)", f::ver, Some(n::ver)),
    row(b"XFR", req(DS_NS), req(DS_NS), 2, None, "switchboard request or notification server referral", f::xfr, Some(n::xfr)),
];

/// The row of a letter verb.
pub fn lookup(verb: Verb) -> Option<&'static VerbSpec> {
    // Every command looks its verb up several times: three upper-case letters index a
    // table of 26³ row numbers (35 KB, built once) instead of a binary search.
    static INDEX: std::sync::OnceLock<Vec<u16>> = std::sync::OnceLock::new();
    let slot = |v: Verb| {
        v.0.iter()
            .all(u8::is_ascii_uppercase)
            .then(|| v.0.iter().fold(0, |n, b| n * 26 + usize::from(b - b'A')))
    };
    let index = INDEX.get_or_init(|| {
        let mut index = vec![u16::MAX; 26 * 26 * 26];
        for (i, row) in VERBS.iter().enumerate() {
            if let Some(at) = slot(row.verb) {
                index[at] = i as u16;
            }
        }
        index
    });
    let row = *index.get(slot(verb)?)?;
    VERBS.get(usize::from(row))
}

/// Whether the verb is known at all (any dialect, any server). Error numbers count when their
/// meaning is documented.
pub fn known_verb(verb: Verb) -> bool {
    match verb.error_code() {
        Some(code) => error_meaning(code).is_some(),
        None => lookup(verb).is_some(),
    }
}

/// The named fields of one command line, built once. `params` are the parameters after the
/// verb, without the TrID when `has_trid`.
pub fn named_fields(
    verb: Verb,
    dir: Direction,
    dialect: Option<Dialect>,
    params: &[String],
    has_trid: bool,
) -> Fields {
    let line = Line::new(dir, dialect, params, has_trid);
    let mut b = Builder::new();
    if let Some(code) = verb.error_code() {
        fields::error_reply(&mut b, line, code);
    } else if let Some(row) = lookup(verb) {
        (row.fields)(&mut b, line);
    }
    b.finish()
}

/// Whether the verb's note is made from its fields: its row has a note. An error reply has
/// no row (its note is its code's meaning), so never.
pub fn has_note(verb: Verb) -> bool {
    lookup(verb).is_some_and(|row| row.note.is_some())
}

/// The fields of one command line and its note, from one build of the fields. With
/// `all_fields` false the fields are built only when the verb's note is made from them (an
/// error reply's note is not), and are empty otherwise: for an output that prints notes but
/// not fields.
pub fn describe(
    verb: Verb,
    dir: Direction,
    dialect: Option<Dialect>,
    params: &[String],
    has_trid: bool,
    all_fields: bool,
) -> (Fields, Option<String>) {
    // As `has_note`, with the one lookup.
    let note_fn = lookup(verb).and_then(|row| row.note);
    let fields = if all_fields || note_fn.is_some() {
        named_fields(verb, dir, dialect, params, has_trid)
    } else {
        Fields::new()
    };
    let line = Line::new(dir, dialect, params, has_trid);
    let note = match verb.error_code() {
        Some(code) => Some(notes::error(code)),
        None => note_fn.and_then(|note| note(&fields, line)),
    };
    (fields, note.map(crate::escape::into_one_line))
}

/// A short sentence saying what this command means, or `None` when the line speaks for itself
/// (`params` without the TrID).
pub fn note(
    verb: Verb,
    dir: Direction,
    dialect: Option<Dialect>,
    params: &[String],
) -> Option<String> {
    describe(verb, dir, dialect, params, true, false).1
}

/// A field value as a number when it parses, as text otherwise.
pub(crate) fn number_or_text(raw: &str) -> Value {
    match raw.parse::<u64>() {
        Ok(n) if is_digits(raw) => Value::Num(n),
        _ => Value::Text(raw.to_owned()),
    }
}
