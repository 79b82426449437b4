//! `--redact`: output that can be shared without the credentials the capture holds.
//!
//! Why it exists: captures are handed from one analyst to another, and what msnsniff prints
//! carries what crossed the wire: password hashes, Passport tickets, switchboard cookies. A
//! user who wants to show a dialogue, a transcript or a table to someone else needs those gone
//! from every format at once, while the output still reads (the same cookie in `XFR` and in
//! the switchboard's `USR` still visibly the same).
//!
//! How: the decoder sees the real bytes (it links switchboards by their cookies and checks
//! challenge answers); [`Redact`] sits between the decoder and every output and rewrites each
//! event before any output sees it. A secret is found where the protocol puts it (the named
//! fields of [`SECRET_FIELDS`], the `QRY` answer, the payload lines of [`SECRET_HEADERS`]) and
//! replaced by `redacted:` and six hex digits of an HMAC-SHA-256 under a key that is random for
//! each run unless [`KEY_ENV`] gives one. The same secret gives the same token within a run (and
//! across runs with the same key); the token cannot be turned back into the secret without the
//! key. Secrets of at least [`MIN_SCAN_LEN`] bytes are also remembered (at most
//! [`MAX_KNOWN_SECRETS`], the oldest forgotten first) and replaced wherever they show up again
//! as a word: in a later command, a note, an anomaly's detail, a payload.
//!
//! With [`Policy::handles`], every e-mail address (also in its `%40` form, and the split
//! `<d n="domain"><c n="name"/>` form of `ADL`/`RML`/`FQY`) becomes a pseudonym numbered in
//! order of appearance, `user-7@redacted`, and friendly names and phone numbers become
//! tokens. With
//! [`Policy::text`], the text of chat messages (`text/plain`), handwriting and personal
//! messages (`<PSM>`, `<CurrentMedia>`) becomes a token.
//!
//! Guarantees: pure and deterministic for a given key; never panics on any event; bounded
//! memory (the remembered secrets and the pseudonym table have named caps; past
//! [`MAX_PSEUDONYMS`] a handle's pseudonym is made from its keyed hash instead of a number);
//! a changed payload is re-read by [`crate::msnc`] so that the message every output shows is
//! the redacted one. Lengths declared on the wire are left as sent: a redacted payload may be
//! shorter or longer than its `MSG` line says. What is never redacted: addresses and ports,
//! the bytes of transferred files (`--extract` writes them as sent), and anything the decoder
//! does not know to be a secret (`docs/security.md` lists what is covered).

use crate::event::{ConnectionInfo, Event, FieldsWanted, Sink};
use crate::msnc::{self, Kind};
use crate::msnp::named::{Name, Value};
use crate::{Direction, bounded::FifoMap};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::collections::HashMap;

/// The environment variable that gives the key, so that tokens agree across runs (and across
/// captures). Without it every run draws a random key.
pub const KEY_ENV: &str = "MSNSNIFF_REDACT_KEY";

/// Named fields whose values are secrets: MD5 salts and password hashes (MSNP2-7), Passport
/// challenges and tickets (TWN), SSO tickets, nonces and responses, `CHL` challenges,
/// switchboard and MSNFTP cookies, circle tickets.
pub const SECRET_FIELDS: &[Name] = &[
    Name::Salt,
    Name::Response,
    Name::Ticket,
    Name::PassportChallenge,
    Name::Nonce,
    Name::Challenge,
    Name::Cookie,
    Name::CircleTicket,
];

/// Payload lines (`Key: value`, in MIME headers, invitation bodies and MSNSLP bodies) whose
/// values are secrets: the profile's Passport cookies, the MSNFTP AuthCookie, the direct
/// connection nonces of MSNSLP.
pub const SECRET_HEADERS: &[&str] = &["MSPAuth", "MSPProf", "AuthCookie", "Nonce", "Hashed-Nonce"];

/// Shorter secrets are replaced where the protocol puts them, but not searched for elsewhere
/// (a one-digit `MSPProf` would otherwise take every `1` with it).
pub const MIN_SCAN_LEN: usize = 6;

/// The punctuation around values, where the search of free text also splits a word (a
/// table: this is asked of every byte of every payload).
const IS_PUNCT: [bool; 256] = {
    let mut table = [false; 256];
    let punct = b",;:&\"'<>()[]{}|=\\";
    let mut i = 0;
    while i < punct.len() {
        table[punct[i] as usize] = true;
        i += 1;
    }
    table
};

/// The lengths of the secrets ever remembered, one bit each (the last one for every length
/// from 255 up). Lengths are only added, never taken out when the map forgets a secret: a
/// length set for nothing costs a lookup that finds nothing, and a word whose length is not
/// set cannot be a remembered secret. Most words of free text have a length no secret has,
/// and looking each up was most of the cost of `--redact`.
#[derive(Clone, Debug, Default)]
struct KnownLengths([u64; 4]);

impl KnownLengths {
    fn add(&mut self, len: usize) {
        let n = len.min(255);
        self.0[n / 64] |= 1 << (n % 64);
    }

    fn may_hold(&self, len: usize) -> bool {
        let n = len.min(255);
        self.0[n / 64] & (1 << (n % 64)) != 0
    }
}

/// Secrets remembered to be replaced wherever they show up again.
pub const MAX_KNOWN_SECRETS: usize = 4096;

/// Handles given numbered pseudonyms; past this, pseudonyms come from the keyed hash.
pub const MAX_PSEUDONYMS: usize = 65_536;

/// Addresses that are not people: the product ids of the challenge answers.
const NOT_HANDLES: &[&str] = &["msmsgs@msnmsgr.com"];

/// Names that are not people: the sender of the notification server's own messages.
const NOT_NAMES: &[&str] = &["Hotmail"];

/// Properties (`PRP`, `BPR`, `SBP`) whose value is personal under [`Policy::handles`]: the
/// friendly name and the phone numbers.
const PERSONAL_PROPERTIES: &[&str] = &["MFN", "PHH", "PHW", "PHM", "MOB"];

/// What to redact besides secrets, which always are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// Handles become `user-N@redacted`; friendly names and phone numbers, tokens.
    pub handles: bool,
    /// Message text, handwriting and personal messages become tokens.
    pub text: bool,
}

/// The rewriting of events; see the module documentation.
pub struct Redactor {
    mac: Hmac<Sha256>,
    policy: Policy,
    /// Secret bytes → token, for the search of free text.
    known: FifoMap<Vec<u8>, String>,
    /// The lengths of the secrets remembered ([`KnownLengths`]): a word of another length is
    /// not looked up.
    known_lengths: KnownLengths,
    /// Lower-case handle → number.
    handles: HashMap<String, usize>,
}

impl Redactor {
    pub fn new(key: &[u8], policy: Policy) -> Redactor {
        Redactor {
            mac: <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key"),
            policy,
            known: FifoMap::new(MAX_KNOWN_SECRETS),
            known_lengths: KnownLengths::default(),
            handles: HashMap::new(),
        }
    }

    /// The token of a secret: `redacted:` and six hex digits of its keyed hash.
    pub fn token(&self, secret: &[u8]) -> String {
        let mut mac = self.mac.clone();
        mac.update(secret);
        let h = mac.finalize().into_bytes();
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut token = String::with_capacity(15);
        token.push_str("redacted:");
        for b in &h[..3] {
            token.push(char::from(HEX[usize::from(b >> 4)]));
            token.push(char::from(HEX[usize::from(b & 15)]));
        }
        token
    }

    /// The pseudonym of a handle (local part and domain), `user-N` at `redacted`.
    pub fn pseudonym(&mut self, handle: &str) -> String {
        // Looked up as it is when it has no capital (the usual case): no lower-case copy.
        let known = if handle.bytes().any(|b| b.is_ascii_uppercase()) {
            self.handles.get(handle.to_ascii_lowercase().as_str())
        } else {
            self.handles.get(handle)
        };
        let mut out = String::with_capacity(24);
        out.push_str("user-");
        match known {
            Some(&n) => out.push_str(itoa::Buffer::new().format(n)),
            None if self.handles.len() < MAX_PSEUDONYMS => {
                let n = self.handles.len() + 1;
                self.handles.insert(handle.to_ascii_lowercase(), n);
                out.push_str(itoa::Buffer::new().format(n));
            }
            None => out.push_str(&self.token(handle.to_ascii_lowercase().as_bytes())[9..]),
        }
        out.push_str("@redacted");
        out
    }

    /// Remembers a secret (and the forms it may take elsewhere) and returns its token.
    fn secret(&mut self, secret: &[u8]) -> String {
        let token = self.token(secret);
        let mut remember = |s: &[u8]| {
            if s.len() >= MIN_SCAN_LEN {
                self.remember(s.to_vec(), token.clone());
            }
        };
        remember(secret);
        // Base64 padding, and the `t=`/`p=` parts of a Passport ticket.
        remember(trim_padding(secret));
        for part in secret.split(|&b| b == b'&') {
            remember(part);
            if let Some(v) = part.strip_prefix(b"t=").or(part.strip_prefix(b"p=")) {
                remember(v);
            }
        }
        token
    }

    /// Remembers `secret` for the search of free text.
    fn remember(&mut self, secret: Vec<u8>, token: String) {
        self.known_lengths.add(secret.len());
        self.known.insert(secret, token);
    }

    /// The token of a remembered secret.
    fn known_token(&self, word: &[u8]) -> Option<&String> {
        if !self.known_lengths.may_hold(word.len()) {
            return None;
        }
        self.known.get(word)
    }

    /// Rewrites a copy of one event; `None` when nothing in it could need redacting.
    pub fn event(&mut self, ev: &Event) -> Option<Event> {
        if matches!(
            ev,
            Event::ObjectData { .. }
                | Event::Gap { .. }
                | Event::MsnftpBlock(_)
                | Event::ObjectEnded { .. }
        ) {
            return None;
        }
        let mut ev = ev.clone();
        self.rewrite(&mut ev);
        Some(ev)
    }

    /// Rewrites one event in place: what [`Redactor::event`] does to its copy, for an event
    /// the caller gives away (no copy made).
    pub fn rewrite(&mut self, ev: &mut Event) {
        match ev {
            Event::Command(c) => self.command(c),
            Event::ConnectionOpened(c) | Event::ConnectionUpdate(c) => self.connection(c),
            Event::ConnectionClosed { principal, .. } => self.opt_handle(principal),
            Event::Anomaly { detail, .. } => self.free(detail),
            Event::MsnftpTransfer(t) => self.opt_free(&mut t.file_name),
            Event::ObjectStarted(o) => {
                self.opt_free(&mut o.name);
                self.opt_handle(&mut o.sender);
                self.opt_handle(&mut o.receiver);
            }
            Event::Extracted(x) => {
                self.opt_free(&mut x.name);
                self.opt_handle(&mut x.sender);
                self.opt_handle(&mut x.receiver);
            }
            Event::ObjectData { .. }
            | Event::Gap { .. }
            | Event::MsnftpBlock(_)
            | Event::ObjectEnded { .. } => {}
        }
    }

    fn connection(&mut self, c: &mut ConnectionInfo) {
        self.opt_handle(&mut c.principal);
        for p in &mut c.clients.participants {
            self.handle(&mut p.handle);
        }
        self.free(&mut c.role_reason);
        self.opt_free(&mut c.dialect_basis);
    }

    fn command(&mut self, c: &mut crate::event::CommandEvent) {
        // Secrets and names where the protocol puts them: these are replaced whatever their
        // length, in the fields, the parameters and the line.
        let mut exact: Vec<(String, String)> = Vec::new();
        let mut names: Vec<(String, String)> = Vec::new();
        // `PRP`/`BPR`/`SBP` values that are a friendly name or a phone number.
        let personal = c
            .fields
            .text(Name::Property)
            .is_some_and(|p| PERSONAL_PROPERTIES.contains(&p));
        for (name, value) in c.fields.iter_mut() {
            let is_name = matches!(name, Name::FriendlyName | Name::SenderFriendlyName)
                || (personal && *name == Name::Value);
            if is_name && value.as_text().is_some_and(|t| NOT_NAMES.contains(&t)) {
                continue;
            }
            if !(SECRET_FIELDS.contains(name) || (self.policy.handles && is_name)) {
                continue;
            }
            let forms: Vec<String> = match value {
                Value::Text(t) => vec![t.clone()],
                Value::Decoded { text, raw } => vec![raw.clone(), text.clone()],
                _ => continue,
            };
            let Some(first) = forms.first().filter(|f| !f.is_empty()) else {
                continue;
            };
            let token = if is_name {
                self.token(first.as_bytes())
            } else {
                self.secret(first.as_bytes())
            };
            for f in &forms {
                if is_name {
                    names.push((f.clone(), token.clone()));
                } else if f != first {
                    self.remember(f.as_bytes().to_vec(), token.clone());
                }
                exact.push((f.clone(), token.clone()));
            }
            *value = Value::Text(token);
        }
        // The payload: the QRY answer, secret lines, text; then what is known and handles.
        if let Some(bytes) = c.payload_bytes.take() {
            let mut p = bytes.clone();
            if c.verb == "QRY" && c.dir == Direction::ClientToServer {
                let answer = p.trim_ascii().to_vec();
                if !answer.is_empty() {
                    p = self.secret(&answer).into_bytes();
                }
            }
            p = self.secret_lines(&p);
            if self.policy.text {
                p = self.text(c, &p);
            }
            if self.policy.handles && p.windows(3).any(|w| w == b"<d ") {
                p = self.split_handles(&p);
            }
            if let Some(out) = self.scrubbed(&p) {
                p = out;
            }
            // Under `handles` the message is read again even when its bytes did not change:
            // its sender comes from the line.
            if p != bytes || self.policy.handles {
                self.new_payload(c, &p);
            }
            c.payload_bytes = Some(p);
        }
        // Everything else: fields left, parameters, line, note.
        for (_, value) in c.fields.iter_mut() {
            self.value(value, &exact);
        }
        for param in &mut c.params {
            if let Some(b) = self.word(param.as_bytes(), &exact) {
                *param = String::from_utf8_lossy(&b).into_owned();
            }
        }
        let line = std::mem::take(&mut c.line);
        let mut out = Vec::with_capacity(line.len());
        for (k, w) in line.split(|&b| b == b' ').enumerate() {
            if k > 0 {
                out.push(b' ');
            }
            match self.word(w, &exact) {
                Some(new) => out.extend_from_slice(&new),
                None => out.extend_from_slice(w),
            }
        }
        c.line = out;
        if let Some(note) = &mut c.note {
            for (name, token) in &names {
                if name.chars().count() >= 3 {
                    *note = note.replace(name.as_str(), token);
                }
            }
            self.free(note);
        }
        if let Some(m) = &mut c.msnc
            && let Kind::P2p(p) = &mut m.kind
        {
            self.p2p(p);
        }
    }

    /// A new payload: the message it holds read again (a P2P
    /// packet keeps its decoding, whose strings [`Redactor::p2p`] rewrites: the session put
    /// the SLP message it completed there).
    fn new_payload(&mut self, c: &mut crate::event::CommandEvent, p: &[u8]) {
        if let Some(m) = &c.msnc
            && !matches!(m.kind, Kind::P2p(_))
        {
            let mut sender = m.sender.clone();
            self.opt_handle(&mut sender);
            c.msnc = Some(Box::new(msnc::decode(p, sender)));
        } else if let Some(m) = &mut c.msnc {
            self.opt_handle(&mut m.sender);
        }
    }

    fn p2p(&mut self, p: &mut msnc::control::P2p) {
        self.opt_free(&mut p.dest);
        self.opt_free(&mut p.src);
        let Some(slp) = &mut p.slp else { return };
        if let msnc::slp::StartLine::Request { target, .. } = &mut slp.message.start {
            self.free(target);
        }
        for f in slp
            .message
            .headers
            .iter_mut()
            .chain(slp.message.body.iter_mut())
        {
            if SECRET_HEADERS
                .iter()
                .any(|h| h.eq_ignore_ascii_case(&f.name))
                && !f.value.is_empty()
            {
                f.value = self.secret(f.value.as_bytes());
            } else {
                self.free(&mut f.value);
            }
        }
        if let Some(Ok(msnc::slp::Context::MsnObject(o))) = &mut slp.context {
            for (_, value) in &mut o.attributes {
                self.free(value);
            }
        }
    }

    /// `Key: value` lines of [`SECRET_HEADERS`]: the value becomes its token.
    fn secret_lines(&mut self, p: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(p.len());
        let mut rest = p;
        while !rest.is_empty() {
            let end = rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(rest.len(), |n| n + 1);
            let (line, tail) = rest.split_at(end);
            rest = tail;
            let colon = line.iter().position(|&b| b == b':');
            let secret = colon.filter(|&at| {
                let key = line[..at].trim_ascii();
                SECRET_HEADERS
                    .iter()
                    .any(|h| h.as_bytes().eq_ignore_ascii_case(key))
            });
            let Some(at) = secret else {
                out.extend_from_slice(line);
                continue;
            };
            let value_and_end = &line[at + 1..];
            let value = value_and_end.trim_ascii();
            if value.is_empty() {
                out.extend_from_slice(line);
                continue;
            }
            let start = at
                + 1
                + value_and_end
                    .iter()
                    .position(|b| !b.is_ascii_whitespace())
                    .unwrap_or(0);
            let token = self.secret(value);
            out.extend_from_slice(&line[..start]);
            out.extend_from_slice(token.as_bytes());
            out.extend_from_slice(&line[start + value.len()..]);
        }
        out
    }

    /// Message text, handwriting and personal messages as tokens.
    fn text(&mut self, c: &crate::event::CommandEvent, p: &[u8]) -> Vec<u8> {
        let whole_body = c
            .msnc
            .as_ref()
            .is_some_and(|m| matches!(m.kind, Kind::Text(_) | Kind::Ink(_)));
        if whole_body {
            if let Some(at) = find(p, b"\r\n\r\n") {
                let body = &p[at + 4..];
                if !body.is_empty() {
                    let mut out = p[..at + 4].to_vec();
                    out.extend_from_slice(self.token(body).as_bytes());
                    return out;
                }
            }
            return p.to_vec();
        }
        let mut out = p.to_vec();
        for tag in ["PSM", "CurrentMedia"] {
            let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
            let mut from = 0;
            while let Some(s) = find(&out[from..], open.as_bytes()).map(|n| from + n + open.len()) {
                let Some(e) = find(&out[s..], close.as_bytes()).map(|n| s + n) else {
                    break;
                };
                if e > s {
                    let token = self.token(&out[s..e]);
                    out.splice(s..e, token.bytes());
                    from = s + token.len();
                } else {
                    from = e;
                }
            }
        }
        out
    }

    /// The split form of handles in `ADL`/`RML`/`FQY`: `<d n="domain"><c n="name" .../></d>`.
    /// Every contact becomes `user-N` in domain `redacted`.
    fn split_handles(&mut self, p: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(p.len());
        let mut domain: Option<Vec<u8>> = None;
        let mut i = 0;
        while i < p.len() {
            let rest = &p[i..];
            let attr = |tag: &[u8]| -> Option<(usize, usize)> {
                // `<d n="` or `<c n="`: the value's start and end in `rest`.
                let head_len = tag.len();
                if !rest.starts_with(tag) {
                    return None;
                }
                let q = rest[head_len..].iter().position(|&b| b == b'"')?;
                Some((head_len, head_len + q))
            };
            if let Some((s, e)) = attr(b"<d n=\"") {
                domain = Some(rest[s..e].to_vec());
                out.extend_from_slice(&rest[..s]);
                out.extend_from_slice(b"redacted");
                i += e;
            } else if let Some((s, e)) = attr(b"<c n=\"") {
                let handle = match &domain {
                    Some(d) => format!(
                        "{}@{}",
                        String::from_utf8_lossy(&rest[s..e]),
                        String::from_utf8_lossy(d)
                    ),
                    None => String::from_utf8_lossy(&rest[s..e]).into_owned(),
                };
                let pseudo = self.pseudonym(&handle);
                let local = pseudo.split('@').next().unwrap_or_default();
                out.extend_from_slice(&rest[..s]);
                out.extend_from_slice(local.as_bytes());
                i += e;
            } else {
                if rest.starts_with(b"</d>") {
                    domain = None;
                }
                out.push(p[i]);
                i += 1;
            }
        }
        out
    }

    /// A field's value: an exact secret or name becomes its token, the rest is searched.
    fn value(&mut self, v: &mut Value, exact: &[(String, String)]) {
        match v {
            Value::Text(t) => {
                if let Some(b) = self.word(t.as_bytes(), exact) {
                    *t = String::from_utf8_lossy(&b).into_owned();
                }
            }
            Value::Decoded { text, raw } => {
                let hit = exact.iter().find(|(s, _)| s == text || s == raw);
                if let Some((_, token)) = hit {
                    *v = Value::Text(token.clone());
                } else {
                    self.free(text);
                    self.free(raw);
                }
            }
            Value::List(items) => {
                for item in items {
                    self.value(item, exact);
                }
            }
            Value::Num(_) | Value::Bool(_) => {}
        }
    }

    /// One word of a line or one parameter: an exact secret (also as `x=secret`) becomes its
    /// token, anything else is searched. `None` when unchanged.
    fn word(&mut self, w: &[u8], exact: &[(String, String)]) -> Option<Vec<u8>> {
        for (s, token) in exact {
            if w == s.as_bytes() {
                return Some(token.clone().into_bytes());
            }
            if let Some(eq) = w.iter().position(|&b| b == b'=')
                && eq <= 3
                && &w[eq + 1..] == s.as_bytes()
            {
                let mut out = w[..=eq].to_vec();
                out.extend_from_slice(token.as_bytes());
                return Some(out);
            }
        }
        self.scrubbed(w)
    }

    fn free(&mut self, s: &mut String) {
        if let Some(out) = self.scrubbed(s.as_bytes()) {
            *s = String::from_utf8_lossy(&out).into_owned();
        }
    }

    fn opt_free(&mut self, s: &mut Option<String>) {
        if let Some(s) = s {
            self.free(s);
        }
    }

    fn handle(&mut self, h: &mut String) {
        if self.policy.handles && !h.is_empty() {
            self.free(h);
            if !h.contains("@redacted") {
                *h = self.pseudonym(h);
            }
        }
    }

    fn opt_handle(&mut self, h: &mut Option<String>) {
        if let Some(h) = h {
            self.handle(h);
        }
    }

    /// False when [`Redactor::scrub`] would give `text` back as it is: no remembered secret
    /// may be in it ([`Redactor::may_hold_secret`]) and, with [`Policy::handles`], it holds no
    /// address ([`Redactor::may_hold_address`]). Nothing copied: most text has nothing to
    /// redact. (The rewriting asks the two questions apart, in [`Redactor::scrubbed`].)
    #[cfg(test)]
    fn scrub_may_change(&self, text: &[u8]) -> bool {
        self.may_hold_address(text) || self.may_hold_secret(text)
    }

    /// With [`Policy::handles`]: whether `text` holds an `@` or a `%40`, so that it may hold
    /// an e-mail address to replace.
    fn may_hold_address(&self, text: &[u8]) -> bool {
        self.policy.handles
            && (memchr::memchr(b'@', text).is_some()
                || memchr::memmem::find(text, b"%40").is_some())
    }

    /// False when no word of `text` and no piece of a word (as [`Redactor::scrub`] splits
    /// them) is a remembered secret. One pass over the bytes, with a lookup only where a
    /// remembered secret has the length.
    fn may_hold_secret(&self, text: &[u8]) -> bool {
        let (mut word, mut piece) = (0, 0);
        for i in 0..=text.len() {
            let space = text.get(i).is_none_or(u8::is_ascii_whitespace);
            if !space && !IS_PUNCT[usize::from(text[i])] {
                continue;
            }
            let p = &text[piece..i];
            if p.len() >= MIN_SCAN_LEN && self.known_token(p).is_some() {
                return true;
            }
            piece = i + 1;
            if space {
                if self.known_token(&text[word..i]).is_some() {
                    return true;
                }
                word = i + 1;
            }
        }
        false
    }

    /// What [`Redactor::scrub`] makes of `text`, or `None` when it stays as it is. The
    /// search for remembered secrets word by word runs only when one may be there; text that
    /// only holds an address (a payload with an `@`, under [`Policy::handles`]) goes straight
    /// to the replacement of addresses, which is what `scrub` would end with.
    fn scrubbed(&mut self, text: &[u8]) -> Option<Vec<u8>> {
        let out = if self.may_hold_secret(text) {
            self.scrub(text)
        } else if self.may_hold_address(text) {
            self.emails(text)
        } else {
            return None;
        };
        (out != text).then_some(out)
    }

    /// Free text: every remembered secret that stands as a word is replaced; with
    /// [`Policy::handles`], every e-mail address too.
    fn scrub(&mut self, text: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len());
        let mut start = 0;
        // Words are split at spaces first (a whole Passport ticket is one), then at the
        // punctuation around values.
        for (i, &b) in text
            .iter()
            .enumerate()
            .chain(std::iter::once((text.len(), &b' ')))
        {
            if i < text.len() && !b.is_ascii_whitespace() {
                continue;
            }
            let word = &text[start..i];
            match self.known_token(word) {
                Some(token) => out.extend_from_slice(token.as_bytes()),
                None => self.scrub_fine(word, &mut out),
            }
            if i < text.len() {
                out.push(b);
            }
            start = i + 1;
        }
        if self.policy.handles && (out.contains(&b'@') || find(&out, b"%40").is_some()) {
            out = self.emails(&out);
        }
        out
    }

    fn scrub_fine(&mut self, word: &[u8], out: &mut Vec<u8>) {
        let mut start = 0;
        for i in 0..=word.len() {
            if i < word.len() && !IS_PUNCT[usize::from(word[i])] {
                continue;
            }
            let piece = &word[start..i];
            match (piece.len() >= MIN_SCAN_LEN)
                .then(|| self.known_token(piece))
                .flatten()
            {
                Some(token) => out.extend_from_slice(token.as_bytes()),
                None => out.extend_from_slice(piece),
            }
            if i < word.len() {
                out.push(word[i]);
            }
            start = i + 1;
        }
    }

    /// Every e-mail address, plain or with `%40`, as its pseudonym (in the same form).
    fn emails(&mut self, text: &[u8]) -> Vec<u8> {
        let local_char = |b: u8| b.is_ascii_alphanumeric() || b"._+-".contains(&b);
        let domain_char = |b: u8| b.is_ascii_alphanumeric() || b".-".contains(&b);
        let mut out = Vec::with_capacity(text.len());
        let mut copied = 0;
        let mut i = 0;
        // From one `@` or `%` to the next: the bytes between are copied as they are.
        while let Some(next) = memchr::memchr2(b'@', b'%', &text[i..]) {
            i += next;
            let at_len = if text[i] == b'@' {
                1
            } else if text[i..].starts_with(b"%40") {
                3
            } else {
                i += 1;
                continue;
            };
            let mut s = i;
            // Leftwards over the local part, stopping at a `%XX` escape before it.
            while s > copied && local_char(text[s - 1]) {
                if s >= copied + 3
                    && text[s - 3] == b'%'
                    && is_hex(text[s - 2])
                    && is_hex(text[s - 1])
                {
                    break;
                }
                s -= 1;
            }
            let mut e = i + at_len;
            while e < text.len() && domain_char(text[e]) {
                e += 1;
            }
            while e > i + at_len && matches!(text[e - 1], b'.' | b'-') {
                e -= 1;
            }
            let domain = &text[i + at_len..e];
            if s == i || !domain.contains(&b'.') || domain.starts_with(b".") {
                i += at_len;
                continue;
            }
            let mut handle = String::with_capacity(i - s + 1 + domain.len());
            handle.push_str(&String::from_utf8_lossy(&text[s..i]));
            handle.push('@');
            handle.push_str(&String::from_utf8_lossy(domain));
            if NOT_HANDLES.iter().any(|n| n.eq_ignore_ascii_case(&handle)) {
                i += at_len;
                continue;
            }
            let pseudo = self.pseudonym(&handle);
            out.extend_from_slice(&text[copied..s]);
            if at_len == 3 {
                out.extend_from_slice(pseudo.replace('@', "%40").as_bytes());
            } else {
                out.extend_from_slice(pseudo.as_bytes());
            }
            copied = e;
            i = e;
        }
        out.extend_from_slice(&text[copied..]);
        out
    }
}

fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn trim_padding(s: &[u8]) -> &[u8] {
    let mut s = s;
    while let [rest @ .., b'='] = s {
        s = rest;
    }
    s
}

/// A sink that redacts every event before `inner` sees it (with no redactor, it passes them
/// on as they are).
pub struct Redact<'a> {
    inner: &'a mut dyn Sink,
    redactor: Option<Redactor>,
}

impl<'a> Redact<'a> {
    pub fn new(inner: &'a mut dyn Sink, redactor: Option<Redactor>) -> Redact<'a> {
        Redact { inner, redactor }
    }
}

impl Sink for Redact<'_> {
    fn event(&mut self, ev: &Event) -> std::io::Result<()> {
        match self.redactor.as_mut().and_then(|r| r.event(ev)) {
            Some(changed) => self.inner.event(&changed),
            None => self.inner.event(ev),
        }
    }

    // An event given away (by the decoder) or lent to be changed (by the selection) is
    // rewritten where it is, not copied.
    fn event_owned(&mut self, mut ev: Event) -> std::io::Result<()> {
        if let Some(r) = self.redactor.as_mut() {
            r.rewrite(&mut ev);
        }
        self.inner.event_owned(ev)
    }

    fn event_mut(&mut self, ev: &mut Event) -> std::io::Result<()> {
        if let Some(r) = self.redactor.as_mut() {
            r.rewrite(ev);
        }
        self.inner.event(ev)
    }

    fn wants_commands(&self) -> bool {
        self.inner.wants_commands()
    }

    fn wants_notes(&self) -> bool {
        self.inner.wants_notes()
    }

    fn wants_text(&self) -> bool {
        self.inner.wants_text()
    }

    /// The redaction finds secrets and names by the fields they are in (a ticket, a
    /// password, a friendly name), and replaces them in the parameters and the line too:
    /// with a redactor the fields are built even when the output does not print them.
    fn wants_fields(&self) -> FieldsWanted {
        if self.redactor.is_some() {
            FieldsWanted::All
        } else {
            self.inner.wants_fields()
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.inner.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    fn r(policy: Policy) -> Redactor {
        Redactor::new(b"unit key", policy)
    }

    fn s(r: &mut Redactor, text: &str) -> String {
        String::from_utf8(r.scrub(text.as_bytes())).unwrap()
    }

    proptest::proptest! {
        /// The length filter never hides a remembered secret: a word is found exactly when
        /// the map holds it, whatever the lengths (past 255 they share one bit), and even
        /// after the map has forgotten older secrets.
        #[test]
        fn the_length_filter_never_hides_a_secret(
            secrets in proptest::collection::vec(
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300), 0..12),
            words in proptest::collection::vec(
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300), 0..12),
        ) {
            let mut a = r(Policy::default());
            a.known = FifoMap::new(4);
            for (i, secret) in secrets.iter().enumerate() {
                a.remember(secret.clone(), format!("t{i}"));
            }
            for w in secrets.iter().chain(&words) {
                proptest::prop_assert_eq!(a.known_token(w), a.known.get(w.as_slice()));
            }
        }
    }

    proptest::proptest! {
        /// Text the quick check passes is text the scrub leaves as it is, whatever the
        /// secrets, the words around them (split at spaces and punctuation), and the policy.
        #[test]
        fn what_the_quick_check_passes_the_scrub_leaves_alone(
            secrets in proptest::collection::vec("[a-z0-9]{1,9}", 0..6),
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    "[a-z0-9]{1,9}".prop_map(|s| s.into_bytes()),
                    proptest::sample::select(vec![" ", "=", "\t", "&", "\r\n", ":", "@", "%40", ";", "."])
                        .prop_map(|s| s.as_bytes().to_vec()),
                    proptest::collection::vec(proptest::prelude::any::<u8>(), 0..4),
                    // Addresses, plain and URL-encoded.
                    "[a-z]{1,5}(@|%40)[a-z]{1,5}\\.[a-z]{2,3}".prop_map(|s| s.into_bytes()),
                ],
                0..16,
            ),
            pick in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..4),
            handles in proptest::prelude::any::<bool>(),
        ) {
            // A redactor that remembers the secrets: `a`, and a twin `b` for the full path.
            let knowing = || {
                let mut r = r(Policy { handles, text: false });
                for (i, secret) in secrets.iter().enumerate() {
                    r.remember(secret.clone().into_bytes(), format!("[t{i}]"));
                }
                r
            };
            let mut a = knowing();
            let mut text = parts.concat();
            // Some remembered secrets in the text, as words or pieces.
            for (k, p) in pick.iter().enumerate() {
                if !secrets.is_empty() {
                    text.extend_from_slice(if k % 2 == 0 { b" " } else { b"=" });
                    text.extend_from_slice(p.get(&secrets).as_bytes());
                }
            }
            if !a.scrub_may_change(&text) {
                proptest::prop_assert_eq!(a.scrub(&text), text.clone());
            }
            // The shortcut gives what the full scrub gives, and numbers the same handles in
            // the same order (checked on a twin that took the full path).
            let mut b = knowing();
            let full = b.scrub(&text);
            proptest::prop_assert_eq!(a.scrubbed(&text), (full != text).then_some(full));
            proptest::prop_assert_eq!(&a.handles, &b.handles);
        }
    }

    /// An event rewritten where it is (given away, or lent to be changed) comes out as the
    /// rewritten copy of a lent one does, for every event of captures with secrets, handles,
    /// messages and transfers.
    #[test]
    fn events_rewritten_in_place_equal_rewritten_copies() {
        use crate::event::Collect;
        for capture in [
            "captures/synthetic_msnc_messages.pcap",
            "captures/synthetic_msnp11_twn.pcap",
        ] {
            let mut events = Collect::default();
            let mut source = crate::capture::FileSource::new(vec![capture.into()], None);
            crate::pipeline::decode(&mut source, crate::pipeline::msn_config(), &mut events)
                .unwrap();
            let policy = Policy {
                handles: true,
                text: true,
            };
            let (mut copied, mut given, mut lent) =
                (Collect::default(), Collect::default(), Collect::default());
            let mut a = Redact::new(&mut copied, Some(r(policy)));
            let mut b = Redact::new(&mut given, Some(r(policy)));
            let mut c = Redact::new(&mut lent, Some(r(policy)));
            for ev in &events.0 {
                a.event(ev).unwrap();
                b.event_owned(ev.clone()).unwrap();
                c.event_mut(&mut ev.clone()).unwrap();
            }
            let debug = |c: &Collect| c.0.iter().map(|e| format!("{e:?}")).collect::<Vec<_>>();
            assert_eq!(debug(&given), debug(&copied), "{capture}");
            assert_eq!(debug(&lent), debug(&copied), "{capture}");
            // The rewriting did something: the test is not comparing untouched events.
            assert_ne!(debug(&copied), debug(&events), "{capture}");
        }
    }

    #[test]
    fn the_quick_check_finds_secrets_as_words_and_pieces() {
        let mut a = r(Policy::default());
        a.remember(b"s3cr3tvalue".to_vec(), "[t]".into());
        assert!(a.scrub_may_change(b"x s3cr3tvalue y"));
        assert!(a.scrub_may_change(b"ticket=s3cr3tvalue&x=1"));
        assert!(!a.scrub_may_change(b"nothing here at all"));
        assert!(!a.scrub_may_change(b"s3cr3tvalu e"));
        let handles = r(Policy {
            handles: true,
            text: false,
        });
        assert!(handles.scrub_may_change(b"bob%40example.com"));
        assert!(!r(Policy::default()).scrub_may_change(b"bob@example.com"));
    }

    #[test]
    fn the_length_filter_skips_only_lengths_no_secret_has() {
        let mut lengths = KnownLengths::default();
        for n in [6, 63, 64, 254, 300] {
            lengths.add(n);
        }
        for n in [6, 63, 64, 254, 255, 256, 300, 10_000] {
            assert!(lengths.may_hold(n), "{n}");
        }
        for n in [0, 5, 7, 62, 65, 253] {
            assert!(!lengths.may_hold(n), "{n}");
        }
    }

    #[test]
    fn tokens_are_keyed_short_and_stable() {
        let a = r(Policy::default());
        let t = a.token(b"41728291");
        assert!(t.starts_with("redacted:") && t.len() == 15, "{t}");
        assert_eq!(t, a.token(b"41728291"));
        assert_ne!(t, a.token(b"41728292"));
        assert_ne!(
            t,
            Redactor::new(b"other key", Policy::default()).token(b"41728291")
        );
    }

    #[test]
    fn a_remembered_secret_is_replaced_as_a_word_and_nowhere_else() {
        let mut a = r(Policy::default());
        let t = a.secret(b"1136000222.4455");
        assert_eq!(
            s(&mut a, "cookie 1136000222.4455; (1136000222.4455)"),
            format!("cookie {t}; ({t})")
        );
        // Inside a longer word it is another value.
        assert_eq!(s(&mut a, "x1136000222.4455"), "x1136000222.4455");
        // Short secrets are not searched for.
        a.secret(b"1");
        assert_eq!(s(&mut a, "EmailEnabled: 1"), "EmailEnabled: 1");
    }

    #[test]
    fn a_passport_ticket_is_known_whole_and_by_its_parts() {
        let mut a = r(Policy::default());
        let t = a.secret(b"t=ticket123&p=profile456");
        assert_eq!(s(&mut a, "t=ticket123&p=profile456"), t);
        let part = a.token(b"t=ticket123&p=profile456");
        assert_eq!(part, t);
        let out = s(&mut a, "ticket123 and p=profile456");
        assert!(
            !out.contains("ticket123") && !out.contains("profile456"),
            "{out}"
        );
    }

    #[test]
    fn secret_lines_keep_their_key_and_line_end() {
        let mut a = r(Policy::default());
        let p = b"MIME-Version: 1.0\r\nMSPAuth: 7Yz0Ab$$\r\nmspprof:1\r\nkv: 7\r\n";
        let out = String::from_utf8(a.secret_lines(p)).unwrap();
        let (auth, prof) = (a.token(b"7Yz0Ab$$"), a.token(b"1"));
        assert_eq!(
            out,
            format!("MIME-Version: 1.0\r\nMSPAuth: {auth}\r\nmspprof:{prof}\r\nkv: 7\r\n")
        );
        // An empty value stays empty.
        assert_eq!(a.secret_lines(b"AuthCookie: \r\n"), b"AuthCookie: \r\n");
    }

    #[test]
    fn handles_become_numbered_pseudonyms_in_every_form() {
        let mut a = r(Policy {
            handles: true,
            text: false,
        });
        assert_eq!(
            s(&mut a, "1:Bob@Hotmail.com;{guid} bob@hotmail.com."),
            "1:user-1@redacted;{guid} user-1@redacted."
        );
        assert_eq!(s(&mut a, "carol%40x.org"), "user-2%40redacted");
        // A `%XX` escape before the address is not part of it.
        assert_eq!(
            s(&mut a, "Creator%3D%22carol%40x.org%22"),
            "Creator%3D%22user-2%40redacted%22"
        );
        // Product ids and things that only look like addresses stay.
        assert_eq!(
            s(&mut a, "msmsgs@msnmsgr.com PROD0061VRRZH@4F a@b @x.com"),
            "msmsgs@msnmsgr.com PROD0061VRRZH@4F a@b @x.com"
        );
        let xml = br#"<ml><d n="hotmail.com"><c n="bob" l="3"/><c n="dave"/></d><d n="x.org"><c n="carol"/></d></ml>"#;
        assert_eq!(
            String::from_utf8(a.split_handles(xml)).unwrap(),
            r#"<ml><d n="redacted"><c n="user-1" l="3"/><c n="user-3"/></d><d n="redacted"><c n="user-2"/></d></ml>"#
        );
    }

    #[test]
    fn past_the_cap_pseudonyms_come_from_the_hash() {
        let mut a = r(Policy {
            handles: true,
            text: false,
        });
        for i in 0..MAX_PSEUDONYMS {
            a.handles.insert(format!("h{i}"), i + 1);
        }
        let p = a.pseudonym("late@x.com");
        assert_eq!(p, a.pseudonym("LATE@x.com"));
        assert!(
            p.starts_with("user-") && p.ends_with("@redacted") && p.len() == 20,
            "{p}"
        );
        assert_eq!(a.handles.len(), MAX_PSEUDONYMS);
    }

    #[test]
    fn the_remembered_secrets_are_bounded() {
        let mut a = r(Policy::default());
        for i in 0..MAX_KNOWN_SECRETS * 2 {
            a.secret(format!("secret-{i:08}").as_bytes());
        }
        assert_eq!(a.known.len(), MAX_KNOWN_SECRETS);
    }
}
