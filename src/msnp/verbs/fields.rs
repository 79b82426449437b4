//! Named fields: the parameters of one command line, laid out by verb, direction and dialect
//! (reference §2.2), as typed values ([`Fields`]). The verb table names one function of this
//! module per verb.
//!
//! Conventions, shared by every verb:
//!
//! * URL-encoded text goes under its name decoded ([`Value::Decoded`], written to JSON with a
//!   `<name>_raw` twin) when decoding changes it. Text that does not decode stays as sent.
//! * Counts, lengths, IDs and versions become numbers when they parse as unsigned integers,
//!   and stay text otherwise.
//! * Handles lose their decorations into their own fields: `1:bob@x` gives `network_id` and
//!   `network`; `bob@x;{guid}` gives `machine_guid`.
//! * A missing parameter leaves its field out. Nothing here indexes without a check or panics.
//! * With no dialect, layouts are guessed from the number and shape of the parameters.

use super::presence::{
    client_caps, client_ext_caps, each_list_name, msnc_level, network_name, status_name,
};
use super::{Line, Params, is_digits, number_or_text};
use crate::msnp::errors::error_meaning;
use crate::msnp::named::{Fields, Name as N, Value};
use crate::msnp::split_once_ascii;
use crate::msnp::urlcode::url_decode;

fn is_list_name(s: &str) -> bool {
    matches!(s, "FL" | "AL" | "BL" | "RL" | "PL")
}

/// The fields of one line under construction.
#[derive(Default)]
pub struct Builder(Fields);

impl Builder {
    pub fn new() -> Builder {
        Builder(Fields::with_capacity(8))
    }

    pub fn finish(self) -> Fields {
        self.0
    }

    fn set(&mut self, name: N, value: Value) {
        self.0.set(name, value);
    }

    fn has(&self, name: N) -> bool {
        self.0.has(name)
    }

    /// Plain text.
    fn text(&mut self, name: N, raw: Option<&str>) {
        if let Some(raw) = raw {
            self.set(name, Value::Text(raw.to_owned()));
        }
    }

    /// URL-encoded text: decoded, with the raw text kept when the two differ.
    fn url(&mut self, name: N, raw: Option<&str>) {
        let Some(raw) = raw else { return };
        // Nothing to decode (the usual case): one copy, not two and a comparison.
        if !raw.contains('%') {
            return self.set(name, Value::Text(raw.to_owned()));
        }
        match url_decode(raw) {
            Some(decoded) if decoded != raw => self.set(
                name,
                Value::Decoded {
                    text: decoded,
                    raw: raw.to_owned(),
                },
            ),
            _ => self.set(name, Value::Text(raw.to_owned())),
        }
    }

    /// A number when it parses, the text otherwise.
    fn num(&mut self, name: N, raw: Option<&str>) {
        if let Some(raw) = raw {
            self.set(name, number_or_text(raw));
        }
    }

    /// A list name (`FL`) as sent.
    fn list(&mut self, raw: Option<&str>) {
        self.text(N::List, raw);
    }

    /// A list-bits number, with the names of the lists it holds.
    fn list_bits(&mut self, raw: Option<&str>) {
        let Some(raw) = raw else { return };
        self.num(N::ListBits, Some(raw));
        if let Ok(bits) = raw.parse::<u32>() {
            let mut names = Vec::with_capacity(bits.count_ones() as usize);
            each_list_name(bits, |name| names.push(Value::Text(name)));
            self.set(N::Lists, Value::List(names));
        }
    }

    /// A status code, with its display name.
    fn status(&mut self, raw: Option<&str>) {
        let Some(raw) = raw else { return };
        self.text(N::Status, Some(raw));
        if let Some(name) = status_name(raw) {
            self.text(N::StatusName, Some(name));
        }
    }

    /// A network ID (under `id`), with the network's name (under `name`).
    fn network(&mut self, id: N, name: N, raw: Option<&str>) {
        let Some(raw) = raw else { return };
        self.num(id, Some(raw));
        if let Some(network) = raw.parse().ok().and_then(network_name) {
            self.text(name, Some(network));
        }
    }

    /// The handle's own network.
    fn own_network(&mut self, raw: Option<&str>) {
        self.network(N::NetworkId, N::Network, raw);
    }

    /// A handle in any of its forms: `bob@x`, `1:bob@x`, `bob@x;{guid}`, `1:bob@x;{guid}`,
    /// under `handle` or `recipient` (whose decorations go under `recipient_*`).
    fn handle(&mut self, name: N, raw: Option<&str>) {
        let Some(raw) = raw else { return };
        let (network, rest) = match split_once_ascii(raw, b':') {
            Some((n, rest)) if is_digits(n) && !rest.is_empty() => (Some(n), rest),
            _ => (None, raw),
        };
        let (handle, guid) = match split_once_ascii(rest, b';') {
            Some((h, g)) => (h, Some(g)),
            None => (rest, None),
        };
        self.text(name, Some(handle));
        let (guid_name, id_name, network_name) = if name == N::Recipient {
            (
                N::RecipientMachineGuid,
                N::RecipientNetworkId,
                N::RecipientNetwork,
            )
        } else {
            (N::MachineGuid, N::NetworkId, N::Network)
        };
        self.text(guid_name, guid);
        self.network(id_name, network_name, network);
    }

    /// A client ID, classic (`268435492`) or MSNP16+ (`2789003324:48`), with its decoding.
    fn client_id(&mut self, raw: Option<&str>) {
        let Some(raw) = raw else { return };
        let (caps, ext) = match split_once_ascii(raw, b':') {
            Some((c, e)) => (c, Some(e)),
            None => (raw, None),
        };
        let Ok(id) = caps.parse::<u32>() else {
            self.text(N::ClientId, Some(raw));
            return;
        };
        self.set(N::ClientId, Value::Num(id.into()));
        self.set(N::ClientCaps, Value::texts(client_caps(id)));
        self.set(N::Msnc, Value::Num(msnc_level(id).into()));
        let Some(ext) = ext else { return };
        match ext.parse::<u32>() {
            Ok(ext) => {
                self.set(N::ClientIdExt, Value::Num(ext.into()));
                self.set(N::ClientExtCaps, Value::texts(client_ext_caps(ext)));
            }
            Err(_) => self.text(N::ClientIdExt, Some(ext)),
        }
    }

    /// Comma-separated group IDs (numbers up to MSNP9, GUIDs after), as strings either way:
    /// an identifier has one JSON type.
    fn group_ids(&mut self, raw: Option<&str>) {
        let Some(raw) = raw else { return };
        let ids: Vec<Value> = raw
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|id| Value::Text(id.to_string()))
            .collect();
        self.set(N::GroupIds, Value::List(ids));
    }
}

/// ACK, NAK, GSB, PNG, RFS, CCL, TFR: nothing to name.
pub(super) fn none(_: &mut Builder, _: Line<'_>) {}

/// `OK` (or another word) as `result`; anything numeric as `length`: ADL, RML, FQY, UUX, PUT,
/// DEL, GET, SDG, FSL, NOT, IPG.
pub(super) fn result_or_length(f: &mut Builder, l: Line<'_>) {
    let p = l.p;
    match p.get(0) {
        Some(first) if is_digits(first) => f.num(N::Length, Some(first)),
        Some(first) => {
            f.text(N::Result, Some(first));
            if p.digits(1) {
                f.num(N::Length, p.get(1));
            }
        }
        None => {}
    }
}

/// CHL: `challenge`.
pub(super) fn chl(f: &mut Builder, l: Line<'_>) {
    f.text(N::Challenge, l.p.get(0));
}

/// NFY: `operation len`.
pub(super) fn nfy(f: &mut Builder, l: Line<'_>) {
    f.text(N::Operation, l.p.get(0));
    f.num(N::Length, l.p.get(1));
}

/// QNG: `[seconds]`.
pub(super) fn qng(f: &mut Builder, l: Line<'_>) {
    f.num(N::NextPingSeconds, l.p.get(0));
}

/// QRY: `product-id len` → nothing.
pub(super) fn qry(f: &mut Builder, l: Line<'_>) {
    f.text(N::ProductId, l.p.get(0));
    f.num(N::Length, l.p.get(1));
}

/// SBS: `value`.
pub(super) fn sbs(f: &mut Builder, l: Line<'_>) {
    f.text(N::Value, l.p.get(0));
}

/// FIL (MSNFTP): `size`, the file's size in bytes.
pub(super) fn fil(f: &mut Builder, l: Line<'_>) {
    f.num(N::FileSize, l.p.get(0));
}

/// BLP: `[list-version] AL|BL`.
pub(super) fn blp(f: &mut Builder, l: Line<'_>) {
    setting(f, l, N::Privacy);
}

/// GTC: `[list-version] A|N`.
pub(super) fn gtc(f: &mut Builder, l: Line<'_>) {
    setting(f, l, N::AddPrompt);
}

/// IMS: `ON|OFF`.
pub(super) fn ims(f: &mut Builder, l: Line<'_>) {
    setting(f, l, N::Mode);
}

/// ILN: presence with an icon URL.
pub(super) fn iln(f: &mut Builder, l: Line<'_>) {
    presence(f, l, true);
}

/// NLN: presence.
pub(super) fn nln(f: &mut Builder, l: Line<'_>) {
    presence(f, l, false);
}

/// `NNN trid [len]`.
pub(super) fn error_reply(f: &mut Builder, l: Line<'_>, code: u16) {
    f.set(N::Code, Value::Num(code.into()));
    if let Some(meaning) = error_meaning(code) {
        f.text(N::Meaning, Some(meaning));
    }
    // Without the TrID split off, the first parameter is that TrID.
    let len_at = if l.has_trid { 0 } else { 1 };
    if l.p.len() == len_at + 1 && l.p.digits(len_at) {
        f.num(N::Length, l.p.get(len_at));
    }
}

/// ADC (MSNP10–12): `LIST N=handle F=friendly C=guid` or `LIST C=guid group-guid`.
pub(super) fn adc(f: &mut Builder, l: Line<'_>) {
    f.list(l.p.get(0));
    for token in l.p.from(1) {
        if let Some(h) = token.strip_prefix("N=") {
            f.handle(N::Handle, Some(h));
        } else if let Some(name) = token.strip_prefix("F=") {
            f.url(N::FriendlyName, Some(name));
        } else if let Some(guid) = token.strip_prefix("C=") {
            f.text(N::ContactGuid, Some(guid));
        } else {
            f.text(N::GroupId, Some(token));
        }
    }
}

/// ADD (MSNP2–9): `LIST [list-version] handle friendly [group-id]`.
pub(super) fn add(f: &mut Builder, l: Line<'_>) {
    f.list(l.p.get(0));
    let mut i = 1;
    if !l.c2s() && l.p.digits(1) && l.p.len() >= 3 {
        f.num(N::ListVersion, l.p.get(1));
        i = 2;
    }
    f.handle(N::Handle, l.p.get(i));
    f.url(N::FriendlyName, l.p.get(i + 1));
    f.text(N::GroupId, l.p.get(i + 2));
}

/// Whether group commands use the MSNP7–9 layout (with list versions and numeric IDs).
fn numbered_groups(l: Line<'_>, shape_says_old: bool) -> bool {
    match l.since(10) {
        Some(new) => !new,
        None => shape_says_old,
    }
}

/// ADG: `name [0]` → `[list-version] name group-id [0]`.
pub(super) fn adg(f: &mut Builder, l: Line<'_>) {
    if l.c2s() {
        f.url(N::GroupName, l.p.get(0));
    } else if numbered_groups(l, l.p.len() >= 3 && l.p.digits(0)) {
        f.num(N::ListVersion, l.p.get(0));
        f.url(N::GroupName, l.p.get(1));
        f.text(N::GroupId, l.p.get(2));
    } else {
        f.url(N::GroupName, l.p.get(0));
        f.text(N::GroupId, l.p.get(1));
    }
}

/// RMG: `group-id` → `[list-version] group-id`.
pub(super) fn rmg(f: &mut Builder, l: Line<'_>) {
    if !l.c2s() && numbered_groups(l, l.p.len() >= 2) {
        f.num(N::ListVersion, l.p.get(0));
        f.text(N::GroupId, l.p.get(1));
    } else {
        f.text(N::GroupId, l.p.get(0));
    }
}

/// REG: `group-id name [0]` → `[list-version] group-id name [0]`.
pub(super) fn reg(f: &mut Builder, l: Line<'_>) {
    if !l.c2s() && numbered_groups(l, l.p.len() >= 3 && l.p.digits(0) && l.p.digits(1)) {
        f.num(N::ListVersion, l.p.get(0));
        f.text(N::GroupId, l.p.get(1));
        f.url(N::GroupName, l.p.get(2));
    } else {
        f.text(N::GroupId, l.p.get(0));
        f.url(N::GroupName, l.p.get(1));
    }
}

/// ANS: `handle cookie session-id` → `OK`.
pub(super) fn ans(f: &mut Builder, l: Line<'_>) {
    if l.p.len() == 1 {
        f.text(N::Result, l.p.get(0));
        return;
    }
    f.handle(N::Handle, l.p.get(0));
    f.text(N::Cookie, l.p.get(1));
    f.text(N::SessionId, l.p.get(2));
}

/// BLP, GTC, IMS: `[list-version] VALUE`.
pub(super) fn setting(f: &mut Builder, l: Line<'_>, name: N) {
    if l.p.len() >= 2 && l.p.digits(0) {
        f.num(N::ListVersion, l.p.get(0));
        f.text(name, l.p.get(1));
    } else {
        f.text(name, l.p.get(0));
    }
}

/// What a property code holds.
pub(super) fn property_name(code: &str) -> Option<&'static str> {
    Some(match code {
        "PHH" => "home phone",
        "PHW" => "work phone",
        "PHM" => "mobile phone",
        "MOB" => "may be paged",
        "MBE" => "mobile device enabled",
        "WWE" => "MSN Direct device enabled",
        "HSB" => "has a blog",
        "MFN" => "friendly name",
        _ => return None,
    })
}

pub(super) fn property(f: &mut Builder, code: Option<&str>, value: Option<&str>) {
    f.text(N::Property, code);
    if let Some(name) = code.and_then(property_name) {
        f.text(N::PropertyName, Some(name));
    }
    f.url(N::Value, value);
}

/// BPR: `[list-version] [handle] PROP value`.
pub(super) fn bpr(f: &mut Builder, l: Line<'_>) {
    let mut i = 0;
    if l.p.len() >= 3 && l.p.digits(0) {
        f.num(N::ListVersion, l.p.get(0));
        i = 1;
    }
    if l.p.get(i).is_some_and(|s| !is_property_code(s)) && l.p.len() > i + 1 {
        f.handle(N::Handle, l.p.get(i));
        i += 1;
    }
    property(f, l.p.get(i), l.p.get(i + 1));
}

/// Property codes are three upper-case letters (`PHH`, `MFN`).
fn is_property_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// PRP: `[list-version] PROP [value]`. An empty value deletes the property.
pub(super) fn prp(f: &mut Builder, l: Line<'_>) {
    let versioned = !l.c2s() && l.p.digits(0) && l.p.get(1).is_some_and(is_property_code);
    let i = usize::from(versioned);
    if versioned {
        f.num(N::ListVersion, l.p.get(0));
    }
    property(f, l.p.get(i), l.p.get(i + 1));
}

/// SBP (MSNP10–12): `contact-id PROP value [flag]`.
pub(super) fn sbp(f: &mut Builder, l: Line<'_>) {
    f.text(N::ContactId, l.p.get(0));
    property(f, l.p.get(1), l.p.get(2));
    f.num(N::Flag, l.p.get(3));
}

/// What the code of an MSNFTP `BYE` says (ref §7).
pub(super) fn msnftp_bye_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "16777989" => "the receiver got the whole file",
        "16777987" => "the receiver stopped before the end of the file",
        "2147942405" => "the receiver's disk is full or it may not write there",
        "2164261682" => "the receiver cancelled the transfer",
        "2164261683" => "the sender cancelled the transfer",
        "2164261694" => "the transfer timed out or its connection was blocked",
        _ => return None,
    })
}

/// BYE: `handle[;{guid}] [1]` on a switchboard; `code` on MSNFTP.
pub(super) fn bye(f: &mut Builder, l: Line<'_>) {
    if l.ftp {
        f.num(N::Code, l.p.get(0));
        f.text(N::Meaning, l.p.get(0).and_then(msnftp_bye_meaning));
        return;
    }
    f.handle(N::Handle, l.p.get(0));
    if let Some(reason) = l.p.get(1) {
        f.text(N::Reason, Some(reason));
        f.set(N::IdleTimeout, Value::Bool(reason == "1"));
    }
}

/// CAL: `handle` → `RINGING session-id`.
pub(super) fn cal(f: &mut Builder, l: Line<'_>) {
    if l.c2s() || !l.p.is(0, "RINGING") {
        f.handle(N::Handle, l.p.get(0));
    } else {
        f.text(N::Result, l.p.get(0));
        f.text(N::SessionId, l.p.get(1));
    }
}

/// CHG: `STATUS [client-id] [msnobject]`, both ways.
pub(super) fn chg(f: &mut Builder, l: Line<'_>) {
    f.status(l.p.get(0));
    f.client_id(l.p.get(1));
    f.url(N::Msnobject, l.p.get(2));
}

/// CVR / CVQ: the version report and its reply.
pub(super) fn cvr(f: &mut Builder, l: Line<'_>) {
    if l.c2s() {
        f.text(N::LocaleId, l.p.get(0));
        f.text(N::OsType, l.p.get(1));
        f.text(N::OsVersion, l.p.get(2));
        f.text(N::CpuArch, l.p.get(3));
        f.text(N::ClientName, l.p.get(4));
        f.text(N::ClientVersion, l.p.get(5));
        match (l.p.get(6), l.p.get(7)) {
            (Some(codebase), Some(handle)) => {
                f.text(N::ClientCodebase, Some(codebase));
                f.handle(N::Handle, Some(handle));
            }
            (Some(last), None) if last.contains('@') => f.handle(N::Handle, Some(last)),
            (Some(codebase), None) => f.text(N::ClientCodebase, Some(codebase)),
            _ => {}
        }
    } else {
        f.text(N::RecommendedVersion, l.p.get(0));
        f.text(N::RecommendedVersionAgain, l.p.get(1));
        f.text(N::MinimumVersion, l.p.get(2));
        f.text(N::DownloadUrl, l.p.get(3));
        f.text(N::InfoUrl, l.p.get(4));
    }
}

/// FLN: `handle` (2–13), `handle network-id [caps]` (14–17), `n:handle [caps:capsex]` (18+).
pub(super) fn fln(f: &mut Builder, l: Line<'_>) {
    let handle = l.p.get(0);
    f.handle(N::Handle, handle);
    let prefixed = f.has(N::NetworkId);
    let Some(second) = l.p.get(1) else { return };
    let network_field = !prefixed
        && is_digits(second)
        && match l.d {
            Some(d) => (14..18).contains(&d) || (d >= 18 && l.p.len() >= 3),
            None => l.p.len() >= 3 || second.parse().ok().and_then(network_name).is_some(),
        };
    if network_field {
        f.own_network(Some(second));
        f.client_id(l.p.get(2));
    } else {
        f.client_id(Some(second));
    }
}

/// FND (MSNP2–7): `fname=X lname=Y city=Z state=W country=V`; replies add `index total`.
pub(super) fn fnd(f: &mut Builder, l: Line<'_>) {
    let mut i = 0;
    if !l.c2s() && l.p.digits(0) && l.p.digits(1) {
        f.num(N::Index, l.p.get(0));
        f.num(N::Total, l.p.get(1));
        i = 2;
    }
    for token in l.p.from(i) {
        let Some((key, value)) = token.split_once('=') else {
            continue;
        };
        let name = match key {
            "fname" => N::FirstName,
            "lname" => N::LastName,
            "city" => N::City,
            "state" => N::State,
            "country" => N::Country,
            _ => continue,
        };
        f.url(name, Some(value));
    }
}

/// GCF: `Shields.xml` → `Shields.xml len`, or `len` pushed.
pub(super) fn gcf(f: &mut Builder, l: Line<'_>) {
    match (l.p.get(0), l.p.get(1)) {
        (Some(len), None) if is_digits(len) => f.num(N::Length, Some(len)),
        (file, len) => {
            f.text(N::File, file);
            f.num(N::Length, len);
        }
    }
}

/// ILN / NLN, every dialect (reference §2.2).
pub(super) fn presence(f: &mut Builder, l: Line<'_>, initial: bool) {
    f.status(l.p.get(0));
    f.handle(N::Handle, l.p.get(1));
    let prefixed = f.has(N::NetworkId);
    let third = l.p.get(2);
    let network_field = !prefixed
        && third.is_some_and(is_digits)
        && match l.d {
            Some(d) if d >= 18 => true,
            Some(d) => d >= 14,
            // Guess: a known network ID followed by a friendly name and a client ID.
            None => {
                l.p.len() >= 5
                    && third
                        .and_then(|t| t.parse().ok())
                        .and_then(network_name)
                        .is_some()
                    && l.p
                        .get(4)
                        .is_some_and(|c| is_digits(c.split(':').next().unwrap_or("")))
            }
        };
    let mut i = 2;
    if network_field {
        f.own_network(third);
        i = 3;
    }
    f.url(N::FriendlyName, l.p.get(i));
    f.client_id(l.p.get(i + 1));
    f.url(N::Msnobject, l.p.get(i + 2));
    if initial {
        f.url(N::IconUrl, l.p.get(i + 3));
    }
}

/// INF: nothing → `MD5 [...]`.
pub(super) fn inf(f: &mut Builder, l: Line<'_>) {
    if !l.p.0.is_empty() {
        f.set(N::AuthMethods, Value::texts(l.p.0.iter().cloned()));
    }
}

/// IRO: `index total handle friendly [client-id]`.
pub(super) fn iro(f: &mut Builder, l: Line<'_>) {
    f.num(N::Index, l.p.get(0));
    f.num(N::Total, l.p.get(1));
    f.handle(N::Handle, l.p.get(2));
    f.url(N::FriendlyName, l.p.get(3));
    f.client_id(l.p.get(4));
}

/// JOI: `handle friendly [client-id]`.
pub(super) fn joi(f: &mut Builder, l: Line<'_>) {
    f.handle(N::Handle, l.p.get(0));
    f.url(N::FriendlyName, l.p.get(1));
    f.client_id(l.p.get(2));
}

/// LSG: MSNP7 `list-version index total group-id name 0`, MSNP8–9 `group-id name 0`,
/// MSNP10–12 `name group-guid`.
pub(super) fn lsg(f: &mut Builder, l: Line<'_>) {
    if l.c2s() {
        return;
    }
    let msnp7 = match l.d {
        Some(d) => d <= 7,
        None => l.has_trid && l.p.len() >= 5 && (0..4).all(|i| l.p.digits(i)),
    };
    let numbered = match l.d {
        Some(d) => d <= 9,
        None => l.p.digits(0),
    };
    if msnp7 {
        f.num(N::ListVersion, l.p.get(0));
        f.num(N::Index, l.p.get(1));
        f.num(N::Total, l.p.get(2));
        f.text(N::GroupId, l.p.get(3));
        f.url(N::GroupName, l.p.get(4));
    } else if numbered {
        f.text(N::GroupId, l.p.get(0));
        f.url(N::GroupName, l.p.get(1));
    } else {
        f.url(N::GroupName, l.p.get(0));
        f.text(N::GroupId, l.p.get(1));
    }
}

/// LST, every dialect (reference §2.2).
pub(super) fn lst(f: &mut Builder, l: Line<'_>) {
    match l.p.get(0) {
        Some(list) if is_list_name(list) => {
            // MSNP2–7: `LIST [list-version index total handle friendly [group-ids]]`.
            f.list(Some(list));
            f.num(N::ListVersion, l.p.get(1));
            f.num(N::Index, l.p.get(2));
            f.num(N::Total, l.p.get(3));
            f.handle(N::Handle, l.p.get(4));
            f.url(N::FriendlyName, l.p.get(5));
            f.group_ids(l.p.get(6));
        }
        Some(first) if first.starts_with("N=") => {
            // MSNP10–12: `N=handle F=friendly [C=guid] list-bits [network] [group-guids]`.
            let mut bare = 0;
            for token in l.p.0 {
                if let Some(h) = token.strip_prefix("N=") {
                    f.handle(N::Handle, Some(h));
                } else if let Some(name) = token.strip_prefix("F=") {
                    f.url(N::FriendlyName, Some(name));
                } else if let Some(guid) = token.strip_prefix("C=") {
                    f.text(N::ContactGuid, Some(guid));
                } else {
                    match bare {
                        0 => f.list_bits(Some(token)),
                        _ if is_digits(token) && !f.has(N::NetworkId) => f.own_network(Some(token)),
                        _ => f.group_ids(Some(token)),
                    }
                    bare += 1;
                }
            }
        }
        Some(_) => {
            // MSNP8–9: `handle friendly list-bits [group-ids]`.
            f.handle(N::Handle, l.p.get(0));
            f.url(N::FriendlyName, l.p.get(1));
            f.list_bits(l.p.get(2));
            f.group_ids(l.p.get(3));
        }
        None => {}
    }
}

/// MSG: `ACK-MODE len` from the client, `handle friendly len` from the server.
pub(super) fn msg(f: &mut Builder, l: Line<'_>) {
    if l.c2s() {
        f.text(N::AckMode, l.p.get(0));
        f.num(N::Length, l.p.get(1));
    } else {
        f.handle(N::Handle, l.p.get(0));
        f.url(N::FriendlyName, l.p.get(1));
        f.num(N::Length, l.p.get(2));
    }
}

/// The meaning of an `OUT` reason.
pub(super) fn out_reason(reason: &str) -> Option<&'static str> {
    Some(match reason {
        "OTH" => "signed in from another place",
        "SSD" => "server shutting down",
        "RCT" => "server asks the client to reconnect",
        "MIG" => "migration",
        "TOU" => "terms of use",
        _ => return None,
    })
}

/// OUT: `[reason]`.
pub(super) fn out(f: &mut Builder, l: Line<'_>) {
    let Some(reason) = l.p.get(0) else { return };
    f.text(N::Reason, Some(reason));
    if let Some(meaning) = out_reason(reason) {
        f.text(N::ReasonMeaning, Some(meaning));
    }
}

/// PAG, PGD, VAS: `handle ... len`.
pub(super) fn handle_then_length(f: &mut Builder, l: Line<'_>) {
    f.handle(N::Handle, l.p.get(0));
    if l.p.len() >= 2 {
        f.num(N::Length, l.p.last());
    }
}

/// REA (MSNP2–9): `handle friendly` → `list-version handle friendly`.
pub(super) fn rea(f: &mut Builder, l: Line<'_>) {
    let i = usize::from(!l.c2s() && l.p.len() >= 3 && l.p.digits(0));
    if i == 1 {
        f.num(N::ListVersion, l.p.get(0));
    }
    f.handle(N::Handle, l.p.get(i));
    f.url(N::FriendlyName, l.p.get(i + 1));
}

fn looks_like_guid(s: &str) -> bool {
    s.len() == 36 && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') && s.contains('-')
}

/// REM: `LIST [list-version] handle-or-guid [group-id]`.
pub(super) fn rem(f: &mut Builder, l: Line<'_>) {
    f.list(l.p.get(0));
    let mut i = 1;
    if !l.c2s() && l.p.len() >= 3 && l.p.digits(1) {
        f.num(N::ListVersion, l.p.get(1));
        i = 2;
    }
    match l.p.get(i) {
        Some(who) if looks_like_guid(who) => f.text(N::ContactGuid, Some(who)),
        who => f.handle(N::Handle, who),
    }
    f.text(N::GroupId, l.p.get(i + 1));
}

/// The tail of XFR SB / RNG from MSNP13: `U hostname [direct-connect]`.
pub(super) fn switchboard_tail(f: &mut Builder, p: Params<'_>, at: usize) {
    if p.is(at, "U") {
        f.text(N::Hostname, p.get(at + 1));
        f.num(N::DirectConnect, p.get(at + 2));
    }
}

/// RNG: `session-id ip:port CKI cookie handle friendly [U host [1]]`.
pub(super) fn rng(f: &mut Builder, l: Line<'_>) {
    f.text(N::SessionId, l.p.get(0));
    f.text(N::Address, l.p.get(1));
    f.text(N::Auth, l.p.get(2));
    f.text(N::Cookie, l.p.get(3));
    f.handle(N::Handle, l.p.get(4));
    f.url(N::FriendlyName, l.p.get(5));
    switchboard_tail(f, l.p, 6);
}

/// SDC: `email lcid client-lib codebase X X sender-friendly len` → `OK`.
pub(super) fn sdc(f: &mut Builder, l: Line<'_>) {
    if !l.c2s() {
        f.text(N::Result, l.p.get(0));
        return;
    }
    f.text(N::Email, l.p.get(0));
    f.text(N::LocaleId, l.p.get(1));
    f.text(N::ClientName, l.p.get(2));
    f.text(N::ClientCodebase, l.p.get(3));
    f.url(N::SenderFriendlyName, l.p.get(6));
    f.num(N::Length, l.p.get(7));
}

/// SND: `email [lcid client-lib [codebase]]` → `OK`.
pub(super) fn snd(f: &mut Builder, l: Line<'_>) {
    if !l.c2s() {
        f.text(N::Result, l.p.get(0));
        return;
    }
    f.text(N::Email, l.p.get(0));
    f.text(N::LocaleId, l.p.get(1));
    f.text(N::ClientName, l.p.get(2));
    f.text(N::ClientCodebase, l.p.get(3));
}

/// SYN: list versions (MSNP2–9) or timestamps (MSNP10–12), and counts in replies.
pub(super) fn syn(f: &mut Builder, l: Line<'_>) {
    let n = l.p.len();
    let timestamps = match l.d {
        Some(d) => d >= 10,
        None => n == 2 || n == 4 || l.p.get(0).is_some_and(|s| s.contains('T')),
    };
    let counts_at = if timestamps {
        f.text(N::ContactsTimestamp, l.p.get(0));
        f.text(N::SettingsTimestamp, l.p.get(1));
        2
    } else {
        f.num(N::ListVersion, l.p.get(0));
        1
    };
    if !l.c2s() {
        f.num(N::ContactCount, l.p.get(counts_at));
        f.num(N::GroupCount, l.p.get(counts_at + 1));
    }
}

/// What a UUM/UBM message type means.
pub(super) fn message_type_name(t: &str) -> Option<&'static str> {
    Some(match t {
        "1" => "text",
        "2" => "typing",
        "3" => "nudge",
        _ => return None,
    })
}

pub(super) fn message_type(f: &mut Builder, raw: Option<&str>) {
    f.num(N::MessageType, raw);
    if let Some(name) = raw.and_then(message_type_name) {
        f.text(N::MessageTypeName, Some(name));
    }
}

/// UUM (MSNP14+): `recipient network-id msg-type len`.
pub(super) fn uum(f: &mut Builder, l: Line<'_>) {
    f.handle(N::Recipient, l.p.get(0));
    f.own_network(l.p.get(1));
    message_type(f, l.p.get(2));
    f.num(N::Length, l.p.get(3));
}

/// UBM (MSNP14+): `sender network-id recipient recipient-network msg-type len`. Only the
/// field count (six) is documented; the middle names mirror UUM.
pub(super) fn ubm(f: &mut Builder, l: Line<'_>) {
    f.handle(N::Handle, l.p.get(0));
    f.own_network(l.p.get(1));
    if l.p.len() >= 6 {
        f.handle(N::Recipient, l.p.get(2));
        f.network(N::RecipientNetworkId, N::RecipientNetwork, l.p.get(3));
        message_type(f, l.p.get(4));
    }
    if l.p.len() >= 3 {
        f.num(N::Length, l.p.last());
    }
}

/// What a UUN/UBN notification type means.
pub(super) fn notification_type_name(t: &str) -> Option<&'static str> {
    Some(match t {
        "1" => "shared media",
        "2" => "sip invite",
        "3" => "p2p data",
        "4" => "sign-out request",
        "5" => "conversation closed",
        "6" => "address book re-sync",
        "8" => "forward to other endpoints",
        "10" => "turn setup",
        "11" => "sip metadata",
        "12" => "tunnelled sip invite",
        _ => return None,
    })
}

/// UUN / UBN (MSNP13+): `handle[;{guid}] type len`; the UUN reply is `OK`.
pub(super) fn user_notification(f: &mut Builder, l: Line<'_>) {
    if l.p.len() == 1 {
        f.text(N::Result, l.p.get(0));
        return;
    }
    f.handle(N::Handle, l.p.get(0));
    f.num(N::NotificationType, l.p.get(1));
    if let Some(name) = l.p.get(1).and_then(notification_type_name) {
        f.text(N::NotificationTypeName, Some(name));
    }
    f.num(N::Length, l.p.get(2));
}

/// UBX: `handle len` (11–13), `handle network-id len` (14–17), `n:handle len` (18+).
pub(super) fn ubx(f: &mut Builder, l: Line<'_>) {
    f.handle(N::Handle, l.p.get(0));
    if l.p.len() >= 3 {
        f.own_network(l.p.get(1));
        f.num(N::Length, l.p.get(2));
    } else {
        f.num(N::Length, l.p.get(1));
    }
}

/// URL: `SERVICE [param]` → `redirect-url post-url site-id`.
pub(super) fn url(f: &mut Builder, l: Line<'_>) {
    if l.c2s() {
        f.text(N::Service, l.p.get(0));
        f.text(N::ServiceParam, l.p.get(1));
    } else {
        f.text(N::RedirectUrl, l.p.get(0));
        f.text(N::PostUrl, l.p.get(1));
        f.num(N::SiteId, l.p.get(2));
    }
}

/// USR: MD5 / TWN / SSO / SHA login steps, `OK` in each dialect, and the switchboard forms.
pub(super) fn usr(f: &mut Builder, l: Line<'_>) {
    let p = l.p;
    match p.get(0) {
        Some(method @ ("MD5" | "TWN" | "SSO" | "SHA" | "CTP")) => {
            f.text(N::AuthMethod, Some(method));
            f.text(N::Stage, p.get(1));
            match (method, p.get(1), l.c2s()) {
                (_, Some("I"), _) => f.handle(N::Handle, p.get(2)),
                ("MD5", Some("S"), true) => f.text(N::Response, p.get(2)),
                ("MD5", Some("S"), false) => f.text(N::Salt, p.get(2)),
                ("TWN", Some("S"), true) => f.text(N::Ticket, p.get(2)),
                ("TWN", Some("S"), false) => f.text(N::PassportChallenge, p.get(2)),
                ("SSO", Some("S"), true) => {
                    f.text(N::Ticket, p.get(2));
                    f.text(N::Response, p.get(3));
                    f.text(N::MachineGuid, p.get(4));
                }
                ("SSO", Some("S"), false) => {
                    f.text(N::Policy, p.get(2));
                    f.text(N::Nonce, p.get(3));
                }
                ("SHA", Some("A"), _) => f.text(N::CircleTicket, p.get(2)),
                _ => {}
            }
        }
        Some("OK") => {
            f.text(N::Result, Some("OK"));
            f.handle(N::Handle, p.get(1));
            let rest = p.from(2);
            let digits = |i: usize| rest.get(i).is_some_and(|s| is_digits(s));
            match rest.len() {
                0 => {}
                1 if digits(0) && l.since(10) == Some(true) => f.num(N::Verified, p.get(2)),
                1 => f.url(N::FriendlyName, p.get(2)),
                2 if digits(0) && digits(1) && l.since(10) != Some(false) => {
                    f.num(N::Verified, p.get(2));
                    f.num(N::Restricted, p.get(3));
                }
                2 => {
                    f.url(N::FriendlyName, p.get(2));
                    f.num(N::Verified, p.get(3));
                }
                _ => {
                    f.url(N::FriendlyName, p.get(2));
                    f.num(N::Verified, p.get(3));
                    f.num(N::Restricted, p.get(4));
                }
            }
        }
        Some(_) => {
            // Switchboard: `handle[;{guid}] cookie`.
            f.handle(N::Handle, p.get(0));
            f.text(N::Cookie, p.get(1));
        }
        None => {}
    }
}

/// VER: `dialect ... [CVR0]` both ways; the server's first entry is its pick, `0` for none.
pub(super) fn ver(f: &mut Builder, l: Line<'_>) {
    if l.p.0.is_empty() {
        return;
    }
    f.set(N::Dialects, Value::texts(l.p.0.iter().cloned()));
    if !l.c2s() {
        match l.p.get(0) {
            Some("0") => f.set(N::NoCommonDialect, Value::Bool(true)),
            chosen => f.text(N::Dialect, chosen),
        }
    }
}

/// XFR: `SB` from the client; `SB ip:port CKI cookie [U host [1]]` or `NS ip:port ...` back.
pub(super) fn xfr(f: &mut Builder, l: Line<'_>) {
    f.text(N::ServerType, l.p.get(0));
    if l.p.len() < 2 {
        return;
    }
    f.text(N::Address, l.p.get(1));
    match l.p.get(0) {
        Some("SB") => {
            f.text(N::Auth, l.p.get(2));
            f.text(N::Cookie, l.p.get(3));
            switchboard_tail(f, l.p, 4);
        }
        // MSNP7–12: `NS ip:port 0 current-ip:port`. MSNP3–6 add a bare `0`, MSNP13+ `U D`.
        Some("NS") if l.p.is(2, "0") => f.text(N::CurrentAddress, l.p.get(3)),
        _ => {}
    }
}
