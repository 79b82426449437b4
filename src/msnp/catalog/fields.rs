//! Named fields: the parameters of one command line, laid out by verb, direction and dialect
//! (reference §2.2), as a JSON object.
//!
//! Conventions, shared by every verb:
//!
//! * Names are snake_case and stable (the JSON output depends on them).
//! * URL-encoded text goes under its name decoded, and under `<name>_raw` as sent when the two
//!   differ. Text that does not decode stays raw under the name alone.
//! * Counts, lengths, IDs and versions become JSON numbers when they parse as unsigned
//!   integers, and stay strings otherwise.
//! * Handles lose their decorations into their own fields: `1:bob@x` gives `network_id` and
//!   `network`; `bob@x;{guid}` gives `machine_guid`.
//! * A missing parameter leaves its field out. Nothing here indexes without a check or panics.
//! * With no dialect, layouts are guessed from the number and shape of the parameters.

use serde_json::{Map, Value};

use super::presence::{
    client_caps, client_ext_caps, list_names, msnc_level, network_name, status_name,
};
use crate::Direction;
use crate::msnp::errors::error_meaning;
use crate::msnp::urlcode::url_decode;
use crate::msnp::{Dialect, Verb};

/// The parameters of one line, with checked access.
#[derive(Clone, Copy)]
struct Params<'a>(&'a [String]);

impl<'a> Params<'a> {
    fn get(&self, i: usize) -> Option<&'a str> {
        self.0.get(i).map(String::as_str)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn from(&self, i: usize) -> &'a [String] {
        self.0.get(i..).unwrap_or(&[])
    }
    fn last(&self) -> Option<&'a str> {
        self.0.last().map(String::as_str)
    }
    fn is(&self, i: usize, s: &str) -> bool {
        self.get(i) == Some(s)
    }
    fn digits(&self, i: usize) -> bool {
        self.get(i).is_some_and(is_digits)
    }
}

pub(super) fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_list_name(s: &str) -> bool {
    matches!(s, "FL" | "AL" | "BL" | "RL" | "PL")
}

/// The JSON object under construction.
struct Fields(Map<String, Value>);

impl Fields {
    fn set(&mut self, name: &str, value: Value) {
        self.0.insert(name.to_owned(), value);
    }

    /// Plain text.
    fn text(&mut self, name: &str, raw: Option<&str>) {
        if let Some(raw) = raw {
            self.set(name, Value::from(raw));
        }
    }

    /// URL-encoded text: decoded under `name`, raw under `name_raw` when different.
    fn url(&mut self, name: &str, raw: Option<&str>) {
        let Some(raw) = raw else { return };
        match url_decode(raw) {
            Some(decoded) if decoded != raw => {
                self.set(name, Value::from(decoded));
                self.set(&format!("{name}_raw"), Value::from(raw));
            }
            _ => self.set(name, Value::from(raw)),
        }
    }

    /// A number when it parses, the text otherwise.
    fn num(&mut self, name: &str, raw: Option<&str>) {
        if let Some(raw) = raw {
            self.set(name, number_or_text(raw));
        }
    }

    /// A list name (`FL`) as sent.
    fn list(&mut self, raw: Option<&str>) {
        self.text("list", raw);
    }

    /// A list-bits number, with the names of the lists it holds.
    fn list_bits(&mut self, raw: Option<&str>) {
        let Some(raw) = raw else { return };
        self.num("list_bits", Some(raw));
        if let Ok(bits) = raw.parse::<u32>() {
            self.set("lists", Value::from(list_names(bits)));
        }
    }

    /// A status code, with its display name.
    fn status(&mut self, raw: Option<&str>) {
        let Some(raw) = raw else { return };
        self.text("status", Some(raw));
        if let Some(name) = status_name(raw) {
            self.text("status_name", Some(name));
        }
    }

    /// A network ID, with the network's name.
    fn network(&mut self, prefix: &str, raw: Option<&str>) {
        let Some(raw) = raw else { return };
        self.num(&prefixed(prefix, "network_id"), Some(raw));
        if let Some(name) = raw.parse().ok().and_then(network_name) {
            self.text(&prefixed(prefix, "network"), Some(name));
        }
    }

    /// A handle in any of its forms: `bob@x`, `1:bob@x`, `bob@x;{guid}`, `1:bob@x;{guid}`.
    fn handle(&mut self, name: &str, raw: Option<&str>) {
        let Some(raw) = raw else { return };
        let (network, rest) = match raw.split_once(':') {
            Some((n, rest)) if is_digits(n) && !rest.is_empty() => (Some(n), rest),
            _ => (None, raw),
        };
        let (handle, guid) = match rest.split_once(';') {
            Some((h, g)) => (h, Some(g)),
            None => (rest, None),
        };
        self.text(name, Some(handle));
        let prefix = if name == "handle" { "" } else { name };
        self.text(&prefixed(prefix, "machine_guid"), guid);
        self.network(prefix, network);
    }

    /// A client ID, classic (`268435492`) or MSNP16+ (`2789003324:48`), with its decoding.
    fn client_id(&mut self, raw: Option<&str>) {
        let Some(raw) = raw else { return };
        let (caps, ext) = match raw.split_once(':') {
            Some((c, e)) => (c, Some(e)),
            None => (raw, None),
        };
        let Ok(id) = caps.parse::<u32>() else {
            self.text("client_id", Some(raw));
            return;
        };
        self.set("client_id", Value::from(id));
        self.set("client_caps", Value::from(client_caps(id)));
        self.set("msnc", Value::from(msnc_level(id)));
        let Some(ext) = ext else { return };
        match ext.parse::<u32>() {
            Ok(ext) => {
                self.set("client_id_ext", Value::from(ext));
                self.set("client_ext_caps", Value::from(client_ext_caps(ext)));
            }
            Err(_) => self.text("client_id_ext", Some(ext)),
        }
    }

    /// Comma-separated group IDs (numbers up to MSNP9, GUIDs after).
    fn group_ids(&mut self, raw: Option<&str>) {
        let Some(raw) = raw else { return };
        let ids: Vec<Value> = raw
            .split(',')
            .filter(|s| !s.is_empty())
            .map(number_or_text)
            .collect();
        self.set("group_ids", Value::from(ids));
    }

    /// `OK` (or another word) as `result`; anything numeric as `length`.
    fn result_or_length(&mut self, p: Params<'_>) {
        match p.get(0) {
            Some(first) if is_digits(first) => self.num("length", Some(first)),
            Some(first) => {
                self.text("result", Some(first));
                if p.digits(1) {
                    self.num("length", p.get(1));
                }
            }
            None => {}
        }
    }
}

fn prefixed(prefix: &str, what: &str) -> String {
    if prefix.is_empty() {
        what.to_owned()
    } else {
        format!("{prefix}_{what}")
    }
}

fn number_or_text(raw: &str) -> Value {
    match raw.parse::<u64>() {
        Ok(n) if is_digits(raw) => Value::from(n),
        _ => Value::from(raw),
    }
}

/// Everything about the line that layouts depend on.
#[derive(Clone, Copy)]
struct Line<'a> {
    dir: Direction,
    /// The dialect number, when known.
    d: Option<u8>,
    p: Params<'a>,
    has_trid: bool,
}

impl Line<'_> {
    fn c2s(&self) -> bool {
        self.dir == Direction::ClientToServer
    }
    /// `Some(true)` when the dialect is known and at least `n`.
    fn since(&self, n: u8) -> Option<bool> {
        self.d.map(|d| d >= n)
    }
}

/// The named fields of one command line. `params` are the parameters after the verb, without
/// the TrID when `has_trid`. See the module documentation for the conventions.
pub fn named_fields(
    verb: Verb,
    dir: Direction,
    dialect: Option<Dialect>,
    params: &[String],
    has_trid: bool,
) -> Map<String, Value> {
    let line = Line {
        dir,
        d: dialect.map(|d| d.0),
        p: Params(params),
        has_trid,
    };
    let mut f = Fields(Map::new());
    if let Some(code) = verb.error_code() {
        error_reply(&mut f, line, code);
        return f.0;
    }
    match &verb.0 {
        b"ACK" | b"NAK" | b"GSB" | b"PNG" | b"RFS" => {}
        b"ADC" => adc(&mut f, line),
        b"ADD" => add(&mut f, line),
        b"ADG" => adg(&mut f, line),
        b"RMG" => rmg(&mut f, line),
        b"REG" => reg(&mut f, line),
        b"ADL" | b"RML" | b"FQY" | b"UUX" | b"PUT" | b"DEL" | b"GET" | b"SDG" | b"FSL" | b"NOT"
        | b"IPG" => f.result_or_length(line.p),
        b"ANS" => ans(&mut f, line),
        b"BLP" => setting(&mut f, line, "privacy"),
        b"GTC" => setting(&mut f, line, "add_prompt"),
        b"IMS" => setting(&mut f, line, "mode"),
        b"BPR" => bpr(&mut f, line),
        b"BYE" => bye(&mut f, line),
        b"CAL" => cal(&mut f, line),
        b"CHG" => chg(&mut f, line),
        b"CHL" => f.text("challenge", line.p.get(0)),
        b"CVR" | b"CVQ" => cvr(&mut f, line),
        b"FLN" => fln(&mut f, line),
        b"FND" => fnd(&mut f, line),
        b"GCF" => gcf(&mut f, line),
        b"ILN" | b"NLN" => presence(&mut f, line, verb == Verb::new(b"ILN")),
        b"INF" => inf(&mut f, line),
        b"IRO" => iro(&mut f, line),
        b"JOI" => joi(&mut f, line),
        b"LSG" => lsg(&mut f, line),
        b"LST" => lst(&mut f, line),
        b"MSG" => msg(&mut f, line),
        b"NFY" => {
            f.text("operation", line.p.get(0));
            f.num("length", line.p.get(1));
        }
        b"OUT" => out(&mut f, line),
        b"PAG" | b"PGD" | b"VAS" => handle_then_length(&mut f, line),
        b"PRP" => prp(&mut f, line),
        b"QNG" => f.num("next_ping_seconds", line.p.get(0)),
        b"QRY" => {
            f.text("product_id", line.p.get(0));
            f.num("length", line.p.get(1));
        }
        b"REA" => rea(&mut f, line),
        b"REM" => rem(&mut f, line),
        b"RNG" => rng(&mut f, line),
        b"SBP" => sbp(&mut f, line),
        b"SBS" => f.text("value", line.p.get(0)),
        b"SDC" => sdc(&mut f, line),
        b"SND" => snd(&mut f, line),
        b"SYN" => syn(&mut f, line),
        b"UBM" => ubm(&mut f, line),
        b"UBN" | b"UUN" => user_notification(&mut f, line),
        b"UBX" => ubx(&mut f, line),
        b"URL" => url(&mut f, line),
        b"USR" => usr(&mut f, line),
        b"UUM" => uum(&mut f, line),
        b"VER" => ver(&mut f, line),
        b"XFR" => xfr(&mut f, line),
        _ => {}
    }
    f.0
}

/// `NNN trid [len]`.
fn error_reply(f: &mut Fields, l: Line<'_>, code: u16) {
    f.set("code", Value::from(code));
    if let Some(meaning) = error_meaning(code) {
        f.text("meaning", Some(meaning));
    }
    // Without the TrID split off, the first parameter is that TrID.
    let len_at = if l.has_trid { 0 } else { 1 };
    if l.p.len() == len_at + 1 && l.p.digits(len_at) {
        f.num("length", l.p.get(len_at));
    }
}

/// ADC (MSNP10–12): `LIST N=handle F=friendly C=guid` or `LIST C=guid group-guid`.
fn adc(f: &mut Fields, l: Line<'_>) {
    f.list(l.p.get(0));
    for token in l.p.from(1) {
        if let Some(h) = token.strip_prefix("N=") {
            f.handle("handle", Some(h));
        } else if let Some(name) = token.strip_prefix("F=") {
            f.url("friendly_name", Some(name));
        } else if let Some(guid) = token.strip_prefix("C=") {
            f.text("contact_guid", Some(guid));
        } else {
            f.text("group_id", Some(token));
        }
    }
}

/// ADD (MSNP2–9): `LIST [list-version] handle friendly [group-id]`.
fn add(f: &mut Fields, l: Line<'_>) {
    f.list(l.p.get(0));
    let mut i = 1;
    if !l.c2s() && l.p.digits(1) && l.p.len() >= 3 {
        f.num("list_version", l.p.get(1));
        i = 2;
    }
    f.handle("handle", l.p.get(i));
    f.url("friendly_name", l.p.get(i + 1));
    f.num("group_id", l.p.get(i + 2));
}

/// Whether group commands use the MSNP7–9 layout (with list versions and numeric IDs).
fn numbered_groups(l: Line<'_>, shape_says_old: bool) -> bool {
    match l.since(10) {
        Some(new) => !new,
        None => shape_says_old,
    }
}

/// ADG: `name [0]` → `[list-version] name group-id [0]`.
fn adg(f: &mut Fields, l: Line<'_>) {
    if l.c2s() {
        f.url("group_name", l.p.get(0));
    } else if numbered_groups(l, l.p.len() >= 3 && l.p.digits(0)) {
        f.num("list_version", l.p.get(0));
        f.url("group_name", l.p.get(1));
        f.num("group_id", l.p.get(2));
    } else {
        f.url("group_name", l.p.get(0));
        f.num("group_id", l.p.get(1));
    }
}

/// RMG: `group-id` → `[list-version] group-id`.
fn rmg(f: &mut Fields, l: Line<'_>) {
    if !l.c2s() && numbered_groups(l, l.p.len() >= 2) {
        f.num("list_version", l.p.get(0));
        f.num("group_id", l.p.get(1));
    } else {
        f.num("group_id", l.p.get(0));
    }
}

/// REG: `group-id name [0]` → `[list-version] group-id name [0]`.
fn reg(f: &mut Fields, l: Line<'_>) {
    if !l.c2s() && numbered_groups(l, l.p.len() >= 3 && l.p.digits(0) && l.p.digits(1)) {
        f.num("list_version", l.p.get(0));
        f.num("group_id", l.p.get(1));
        f.url("group_name", l.p.get(2));
    } else {
        f.num("group_id", l.p.get(0));
        f.url("group_name", l.p.get(1));
    }
}

/// ANS: `handle cookie session-id` → `OK`.
fn ans(f: &mut Fields, l: Line<'_>) {
    if l.p.len() == 1 {
        f.text("result", l.p.get(0));
        return;
    }
    f.handle("handle", l.p.get(0));
    f.text("cookie", l.p.get(1));
    f.num("session_id", l.p.get(2));
}

/// BLP, GTC, IMS: `[list-version] VALUE`.
fn setting(f: &mut Fields, l: Line<'_>, name: &str) {
    if l.p.len() >= 2 && l.p.digits(0) {
        f.num("list_version", l.p.get(0));
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

fn property(f: &mut Fields, code: Option<&str>, value: Option<&str>) {
    f.text("property", code);
    if let Some(name) = code.and_then(property_name) {
        f.text("property_name", Some(name));
    }
    f.url("value", value);
}

/// BPR: `[list-version] [handle] PROP value`.
fn bpr(f: &mut Fields, l: Line<'_>) {
    let mut i = 0;
    if l.p.len() >= 3 && l.p.digits(0) {
        f.num("list_version", l.p.get(0));
        i = 1;
    }
    if l.p.get(i).is_some_and(|s| !is_property_code(s)) && l.p.len() > i + 1 {
        f.handle("handle", l.p.get(i));
        i += 1;
    }
    property(f, l.p.get(i), l.p.get(i + 1));
}

/// Property codes are three upper-case letters (`PHH`, `MFN`).
fn is_property_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// PRP: `[list-version] PROP [value]`. An empty value deletes the property.
fn prp(f: &mut Fields, l: Line<'_>) {
    let versioned = !l.c2s() && l.p.digits(0) && l.p.get(1).is_some_and(is_property_code);
    let i = usize::from(versioned);
    if versioned {
        f.num("list_version", l.p.get(0));
    }
    property(f, l.p.get(i), l.p.get(i + 1));
}

/// SBP (MSNP10–12): `contact-id PROP value [flag]`.
fn sbp(f: &mut Fields, l: Line<'_>) {
    f.text("contact_id", l.p.get(0));
    property(f, l.p.get(1), l.p.get(2));
    f.num("flag", l.p.get(3));
}

/// BYE: `handle[;{guid}] [1]`.
fn bye(f: &mut Fields, l: Line<'_>) {
    f.handle("handle", l.p.get(0));
    if let Some(reason) = l.p.get(1) {
        f.num("reason", Some(reason));
        f.set("idle_timeout", Value::from(reason == "1"));
    }
}

/// CAL: `handle` → `RINGING session-id`.
fn cal(f: &mut Fields, l: Line<'_>) {
    if l.c2s() || !l.p.is(0, "RINGING") {
        f.handle("handle", l.p.get(0));
    } else {
        f.text("result", l.p.get(0));
        f.num("session_id", l.p.get(1));
    }
}

/// CHG: `STATUS [client-id] [msnobject]`, both ways.
fn chg(f: &mut Fields, l: Line<'_>) {
    f.status(l.p.get(0));
    f.client_id(l.p.get(1));
    f.url("msnobject", l.p.get(2));
}

/// CVR / CVQ: the version report and its reply.
fn cvr(f: &mut Fields, l: Line<'_>) {
    if l.c2s() {
        f.text("locale_id", l.p.get(0));
        f.text("os_type", l.p.get(1));
        f.text("os_version", l.p.get(2));
        f.text("cpu_arch", l.p.get(3));
        f.text("client_name", l.p.get(4));
        f.text("client_version", l.p.get(5));
        match (l.p.get(6), l.p.get(7)) {
            (Some(codebase), Some(handle)) => {
                f.text("client_codebase", Some(codebase));
                f.handle("handle", Some(handle));
            }
            (Some(last), None) if last.contains('@') => f.handle("handle", Some(last)),
            (Some(codebase), None) => f.text("client_codebase", Some(codebase)),
            _ => {}
        }
    } else {
        f.text("recommended_version", l.p.get(0));
        f.text("recommended_version_again", l.p.get(1));
        f.text("minimum_version", l.p.get(2));
        f.text("download_url", l.p.get(3));
        f.text("info_url", l.p.get(4));
    }
}

/// FLN: `handle` (2–13), `handle network-id [caps]` (14–17), `n:handle [caps:capsex]` (18+).
fn fln(f: &mut Fields, l: Line<'_>) {
    let handle = l.p.get(0);
    f.handle("handle", handle);
    let prefixed = f.0.contains_key("network_id");
    let Some(second) = l.p.get(1) else { return };
    let network_field = !prefixed
        && is_digits(second)
        && match l.d {
            Some(d) => (14..18).contains(&d) || (d >= 18 && l.p.len() >= 3),
            None => l.p.len() >= 3 || second.parse().ok().and_then(network_name).is_some(),
        };
    if network_field {
        f.network("", Some(second));
        f.client_id(l.p.get(2));
    } else {
        f.client_id(Some(second));
    }
}

/// FND (MSNP2–7): `fname=X lname=Y city=Z state=W country=V`; replies add `index total`.
fn fnd(f: &mut Fields, l: Line<'_>) {
    let mut i = 0;
    if !l.c2s() && l.p.digits(0) && l.p.digits(1) {
        f.num("index", l.p.get(0));
        f.num("total", l.p.get(1));
        i = 2;
    }
    for token in l.p.from(i) {
        let Some((key, value)) = token.split_once('=') else {
            continue;
        };
        let name = match key {
            "fname" => "first_name",
            "lname" => "last_name",
            "city" => "city",
            "state" => "state",
            "country" => "country",
            _ => continue,
        };
        f.url(name, Some(value));
    }
}

/// GCF: `Shields.xml` → `Shields.xml len`, or `len` pushed.
fn gcf(f: &mut Fields, l: Line<'_>) {
    match (l.p.get(0), l.p.get(1)) {
        (Some(len), None) if is_digits(len) => f.num("length", Some(len)),
        (file, len) => {
            f.text("file", file);
            f.num("length", len);
        }
    }
}

/// ILN / NLN, every dialect (reference §2.2).
fn presence(f: &mut Fields, l: Line<'_>, initial: bool) {
    f.status(l.p.get(0));
    f.handle("handle", l.p.get(1));
    let prefixed = f.0.contains_key("network_id");
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
        f.network("", third);
        i = 3;
    }
    f.url("friendly_name", l.p.get(i));
    f.client_id(l.p.get(i + 1));
    f.url("msnobject", l.p.get(i + 2));
    if initial {
        f.url("icon_url", l.p.get(i + 3));
    }
}

/// INF: nothing → `MD5 [...]`.
fn inf(f: &mut Fields, l: Line<'_>) {
    if !l.p.0.is_empty() {
        f.set("auth_methods", Value::from(l.p.0.to_vec()));
    }
}

/// IRO: `index total handle friendly [client-id]`.
fn iro(f: &mut Fields, l: Line<'_>) {
    f.num("index", l.p.get(0));
    f.num("total", l.p.get(1));
    f.handle("handle", l.p.get(2));
    f.url("friendly_name", l.p.get(3));
    f.client_id(l.p.get(4));
}

/// JOI: `handle friendly [client-id]`.
fn joi(f: &mut Fields, l: Line<'_>) {
    f.handle("handle", l.p.get(0));
    f.url("friendly_name", l.p.get(1));
    f.client_id(l.p.get(2));
}

/// LSG: MSNP7 `list-version index total group-id name 0`, MSNP8–9 `group-id name 0`,
/// MSNP10–12 `name group-guid`.
fn lsg(f: &mut Fields, l: Line<'_>) {
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
        f.num("list_version", l.p.get(0));
        f.num("index", l.p.get(1));
        f.num("total", l.p.get(2));
        f.num("group_id", l.p.get(3));
        f.url("group_name", l.p.get(4));
    } else if numbered {
        f.num("group_id", l.p.get(0));
        f.url("group_name", l.p.get(1));
    } else {
        f.url("group_name", l.p.get(0));
        f.num("group_id", l.p.get(1));
    }
}

/// LST, every dialect (reference §2.2).
fn lst(f: &mut Fields, l: Line<'_>) {
    match l.p.get(0) {
        Some(list) if is_list_name(list) => {
            // MSNP2–7: `LIST [list-version index total handle friendly [group-ids]]`.
            f.list(Some(list));
            f.num("list_version", l.p.get(1));
            f.num("index", l.p.get(2));
            f.num("total", l.p.get(3));
            f.handle("handle", l.p.get(4));
            f.url("friendly_name", l.p.get(5));
            f.group_ids(l.p.get(6));
        }
        Some(first) if first.starts_with("N=") => {
            // MSNP10–12: `N=handle F=friendly [C=guid] list-bits [network] [group-guids]`.
            let mut bare = 0;
            for token in l.p.0 {
                if let Some(h) = token.strip_prefix("N=") {
                    f.handle("handle", Some(h));
                } else if let Some(name) = token.strip_prefix("F=") {
                    f.url("friendly_name", Some(name));
                } else if let Some(guid) = token.strip_prefix("C=") {
                    f.text("contact_guid", Some(guid));
                } else {
                    match bare {
                        0 => f.list_bits(Some(token)),
                        _ if is_digits(token) && !f.0.contains_key("network_id") => {
                            f.network("", Some(token))
                        }
                        _ => f.group_ids(Some(token)),
                    }
                    bare += 1;
                }
            }
        }
        Some(_) => {
            // MSNP8–9: `handle friendly list-bits [group-ids]`.
            f.handle("handle", l.p.get(0));
            f.url("friendly_name", l.p.get(1));
            f.list_bits(l.p.get(2));
            f.group_ids(l.p.get(3));
        }
        None => {}
    }
}

/// MSG: `ACK-MODE len` from the client, `handle friendly len` from the server.
fn msg(f: &mut Fields, l: Line<'_>) {
    if l.c2s() {
        f.text("ack_mode", l.p.get(0));
        f.num("length", l.p.get(1));
    } else {
        f.handle("handle", l.p.get(0));
        f.url("friendly_name", l.p.get(1));
        f.num("length", l.p.get(2));
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
fn out(f: &mut Fields, l: Line<'_>) {
    let Some(reason) = l.p.get(0) else { return };
    f.text("reason", Some(reason));
    if let Some(meaning) = out_reason(reason) {
        f.text("reason_meaning", Some(meaning));
    }
}

/// PAG, PGD, VAS: `handle ... len`.
fn handle_then_length(f: &mut Fields, l: Line<'_>) {
    f.handle("handle", l.p.get(0));
    if l.p.len() >= 2 {
        f.num("length", l.p.last());
    }
}

/// REA (MSNP2–9): `handle friendly` → `list-version handle friendly`.
fn rea(f: &mut Fields, l: Line<'_>) {
    let i = usize::from(!l.c2s() && l.p.len() >= 3 && l.p.digits(0));
    if i == 1 {
        f.num("list_version", l.p.get(0));
    }
    f.handle("handle", l.p.get(i));
    f.url("friendly_name", l.p.get(i + 1));
}

fn looks_like_guid(s: &str) -> bool {
    s.len() == 36 && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') && s.contains('-')
}

/// REM: `LIST [list-version] handle-or-guid [group-id]`.
fn rem(f: &mut Fields, l: Line<'_>) {
    f.list(l.p.get(0));
    let mut i = 1;
    if !l.c2s() && l.p.len() >= 3 && l.p.digits(1) {
        f.num("list_version", l.p.get(1));
        i = 2;
    }
    match l.p.get(i) {
        Some(who) if looks_like_guid(who) => f.text("contact_guid", Some(who)),
        who => f.handle("handle", who),
    }
    f.num("group_id", l.p.get(i + 1));
}

/// The tail of XFR SB / RNG from MSNP13: `U hostname [direct-connect]`.
fn switchboard_tail(f: &mut Fields, p: Params<'_>, at: usize) {
    if p.is(at, "U") {
        f.text("hostname", p.get(at + 1));
        f.num("direct_connect", p.get(at + 2));
    }
}

/// RNG: `session-id ip:port CKI cookie handle friendly [U host [1]]`.
fn rng(f: &mut Fields, l: Line<'_>) {
    f.num("session_id", l.p.get(0));
    f.text("address", l.p.get(1));
    f.text("auth", l.p.get(2));
    f.text("cookie", l.p.get(3));
    f.handle("handle", l.p.get(4));
    f.url("friendly_name", l.p.get(5));
    switchboard_tail(f, l.p, 6);
}

/// SDC: `email lcid client-lib codebase X X sender-friendly len` → `OK`.
fn sdc(f: &mut Fields, l: Line<'_>) {
    if !l.c2s() {
        f.text("result", l.p.get(0));
        return;
    }
    f.text("email", l.p.get(0));
    f.text("locale_id", l.p.get(1));
    f.text("client_name", l.p.get(2));
    f.text("client_codebase", l.p.get(3));
    f.url("sender_friendly_name", l.p.get(6));
    f.num("length", l.p.get(7));
}

/// SND: `email [lcid client-lib [codebase]]` → `OK`.
fn snd(f: &mut Fields, l: Line<'_>) {
    if !l.c2s() {
        f.text("result", l.p.get(0));
        return;
    }
    f.text("email", l.p.get(0));
    f.text("locale_id", l.p.get(1));
    f.text("client_name", l.p.get(2));
    f.text("client_codebase", l.p.get(3));
}

/// SYN: list versions (MSNP2–9) or timestamps (MSNP10–12), and counts in replies.
fn syn(f: &mut Fields, l: Line<'_>) {
    let n = l.p.len();
    let timestamps = match l.d {
        Some(d) => d >= 10,
        None => n == 2 || n == 4 || l.p.get(0).is_some_and(|s| s.contains('T')),
    };
    let counts_at = if timestamps {
        f.text("contacts_timestamp", l.p.get(0));
        f.text("settings_timestamp", l.p.get(1));
        2
    } else {
        f.num("list_version", l.p.get(0));
        1
    };
    if !l.c2s() {
        f.num("contact_count", l.p.get(counts_at));
        f.num("group_count", l.p.get(counts_at + 1));
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

fn message_type(f: &mut Fields, raw: Option<&str>) {
    f.num("message_type", raw);
    if let Some(name) = raw.and_then(message_type_name) {
        f.text("message_type_name", Some(name));
    }
}

/// UUM (MSNP14+): `recipient network-id msg-type len`.
fn uum(f: &mut Fields, l: Line<'_>) {
    f.handle("recipient", l.p.get(0));
    f.network("", l.p.get(1));
    message_type(f, l.p.get(2));
    f.num("length", l.p.get(3));
}

/// UBM (MSNP14+): `sender network-id recipient recipient-network msg-type len`. Only the
/// field count (six) is documented; the middle names mirror UUM.
fn ubm(f: &mut Fields, l: Line<'_>) {
    f.handle("handle", l.p.get(0));
    f.network("", l.p.get(1));
    if l.p.len() >= 6 {
        f.handle("recipient", l.p.get(2));
        f.network("recipient", l.p.get(3));
        message_type(f, l.p.get(4));
    }
    if l.p.len() >= 3 {
        f.num("length", l.p.last());
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
fn user_notification(f: &mut Fields, l: Line<'_>) {
    if l.p.len() == 1 {
        f.text("result", l.p.get(0));
        return;
    }
    f.handle("handle", l.p.get(0));
    f.num("notification_type", l.p.get(1));
    if let Some(name) = l.p.get(1).and_then(notification_type_name) {
        f.text("notification_type_name", Some(name));
    }
    f.num("length", l.p.get(2));
}

/// UBX: `handle len` (11–13), `handle network-id len` (14–17), `n:handle len` (18+).
fn ubx(f: &mut Fields, l: Line<'_>) {
    f.handle("handle", l.p.get(0));
    if l.p.len() >= 3 {
        f.network("", l.p.get(1));
        f.num("length", l.p.get(2));
    } else {
        f.num("length", l.p.get(1));
    }
}

/// URL: `SERVICE [param]` → `redirect-url post-url site-id`.
fn url(f: &mut Fields, l: Line<'_>) {
    if l.c2s() {
        f.text("service", l.p.get(0));
        f.text("service_param", l.p.get(1));
    } else {
        f.text("redirect_url", l.p.get(0));
        f.text("post_url", l.p.get(1));
        f.num("site_id", l.p.get(2));
    }
}

/// USR: MD5 / TWN / SSO / SHA login steps, `OK` in each dialect, and the switchboard forms.
fn usr(f: &mut Fields, l: Line<'_>) {
    let p = l.p;
    match p.get(0) {
        Some(method @ ("MD5" | "TWN" | "SSO" | "SHA" | "CTP")) => {
            f.text("auth_method", Some(method));
            f.text("stage", p.get(1));
            match (method, p.get(1), l.c2s()) {
                (_, Some("I"), _) => f.handle("handle", p.get(2)),
                ("MD5", Some("S"), true) => f.text("response", p.get(2)),
                ("MD5", Some("S"), false) => f.text("salt", p.get(2)),
                ("TWN", Some("S"), true) => f.text("ticket", p.get(2)),
                ("TWN", Some("S"), false) => f.text("passport_challenge", p.get(2)),
                ("SSO", Some("S"), true) => {
                    f.text("ticket", p.get(2));
                    f.text("response", p.get(3));
                    f.text("machine_guid", p.get(4));
                }
                ("SSO", Some("S"), false) => {
                    f.text("policy", p.get(2));
                    f.text("nonce", p.get(3));
                }
                ("SHA", Some("A"), _) => f.text("circle_ticket", p.get(2)),
                _ => {}
            }
        }
        Some("OK") => {
            f.text("result", Some("OK"));
            f.handle("handle", p.get(1));
            let rest = p.from(2);
            let digits = |i: usize| rest.get(i).is_some_and(|s| is_digits(s));
            match rest.len() {
                0 => {}
                1 if digits(0) && l.since(10) == Some(true) => f.num("verified", p.get(2)),
                1 => f.url("friendly_name", p.get(2)),
                2 if digits(0) && digits(1) && l.since(10) != Some(false) => {
                    f.num("verified", p.get(2));
                    f.num("restricted", p.get(3));
                }
                2 => {
                    f.url("friendly_name", p.get(2));
                    f.num("verified", p.get(3));
                }
                _ => {
                    f.url("friendly_name", p.get(2));
                    f.num("verified", p.get(3));
                    f.num("restricted", p.get(4));
                }
            }
        }
        Some(_) => {
            // Switchboard: `handle[;{guid}] cookie`.
            f.handle("handle", p.get(0));
            f.text("cookie", p.get(1));
        }
        None => {}
    }
}

/// VER: `dialect ... [CVR0]` both ways; the server's first entry is its pick, `0` for none.
fn ver(f: &mut Fields, l: Line<'_>) {
    if l.p.0.is_empty() {
        return;
    }
    f.set("dialects", Value::from(l.p.0.to_vec()));
    if !l.c2s() {
        match l.p.get(0) {
            Some("0") => f.set("no_common_dialect", Value::from(true)),
            chosen => f.text("dialect", chosen),
        }
    }
}

/// XFR: `SB` from the client; `SB ip:port CKI cookie [U host [1]]` or `NS ip:port ...` back.
fn xfr(f: &mut Fields, l: Line<'_>) {
    f.text("server_type", l.p.get(0));
    if l.p.len() < 2 {
        return;
    }
    f.text("address", l.p.get(1));
    match l.p.get(0) {
        Some("SB") => {
            f.text("auth", l.p.get(2));
            f.text("cookie", l.p.get(3));
            switchboard_tail(f, l.p, 4);
        }
        // MSNP7–12: `NS ip:port 0 current-ip:port`. MSNP3–6 add a bare `0`, MSNP13+ `U D`.
        Some("NS") if l.p.is(2, "0") => f.text("current_address", l.p.get(3)),
        _ => {}
    }
}
