//! The messages a notification server sends from `Hotmail`: the login profile, the e-mail
//! notices (unread mail at login, new mail, mail moved or deleted), the mail data that lists
//! offline messages, and the system message that announces maintenance.
//!
//! Why it exists: these are not chat but facts about the account (what the server saw of the
//! client's address, how much mail is waiting, when the server goes down); each is a short
//! list of `Name: value` lines, in the header block for the profile and in the body for the
//! rest, and a reader wants them named.
//!
//! Guarantees: every field is looked up in the block the protocol puts it in, then in the
//! other one (lenient); values stay in the data form of [`crate::escape`]; numbers and flags
//! that do not parse are left out (the payload keeps them). MIME encoded words (`=?utf-8?B?
//! ...?=`) in a new mail's sender and subject are decoded when their charset is UTF-8, Latin-1
//! or ASCII, with the text as sent kept beside. Total on any input.

use super::mime::{Header, find};
use crate::escape::escape_field;
use base64::Engine as _;

/// Looks a field up in `first`, then in `second`.
fn lookup<'h>(first: &'h [Header], second: &'h [Header], name: &str) -> Option<&'h str> {
    find(first, name).or_else(|| find(second, name))
}

fn flag(v: Option<&str>) -> Option<bool> {
    match v? {
        "1" => Some(true),
        "0" => Some(false),
        _ => None,
    }
}

fn num(v: Option<&str>) -> Option<u64> {
    v?.parse().ok()
}

/// `1 message`, `2 messages`.
fn count(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn text(v: Option<&str>) -> Option<String> {
    v.map(str::to_string)
}

/// `text/x-msmsgsprofile`: the login profile, in the header block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    pub login_time: Option<u64>,
    pub email_enabled: Option<bool>,
    pub member_id_high: Option<u64>,
    pub member_id_low: Option<u64>,
    pub lang_preference: Option<u64>,
    pub preferred_email: Option<String>,
    pub country: Option<String>,
    pub postal_code: Option<String>,
    pub gender: Option<String>,
    pub kid: Option<bool>,
    pub age: Option<String>,
    pub birthday: Option<String>,
    pub flags: Option<u64>,
    /// 507 is Messenger.
    pub sid: Option<u64>,
    /// The client's address as the server saw it.
    pub client_ip: Option<String>,
    pub client_port: Option<u64>,
    pub abch_migrated: Option<bool>,
    pub mpop_enabled: Option<bool>,
}

impl Profile {
    pub fn parse(headers: &[Header], body: &[Header]) -> Profile {
        let g = |n: &str| lookup(headers, body, n);
        Profile {
            login_time: num(g("LoginTime")),
            email_enabled: flag(g("EmailEnabled")),
            member_id_high: num(g("MemberIdHigh")),
            member_id_low: num(g("MemberIdLow")),
            lang_preference: num(g("lang_preference")),
            preferred_email: text(g("preferredEmail")),
            country: text(g("country")),
            postal_code: text(g("PostalCode")),
            gender: text(g("Gender")),
            kid: flag(g("Kid")),
            age: text(g("Age")),
            birthday: text(g("Birthday")),
            flags: num(g("Flags")),
            sid: num(g("sid")),
            client_ip: text(g("ClientIP")),
            client_port: num(g("ClientPort")),
            abch_migrated: flag(g("ABCHMigrated")),
            mpop_enabled: flag(g("MPOPEnabled")),
        }
    }

    pub fn note(&self) -> String {
        match (&self.client_ip, self.client_port) {
            (Some(ip), Some(port)) => {
                format!("login profile: the server sees the client at {ip}:{port}")
            }
            (Some(ip), None) => format!("login profile: the server sees the client at {ip}"),
            _ => "login profile".to_string(),
        }
    }
}

/// `text/x-msmsgsinitialemailnotification`: unread mail at login.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InitialEmail {
    pub inbox_unread: Option<u64>,
    pub folders_unread: Option<u64>,
    pub inbox_url: Option<String>,
    pub folders_url: Option<String>,
    pub post_url: Option<String>,
}

impl InitialEmail {
    pub fn parse(body: &[Header], headers: &[Header]) -> InitialEmail {
        let g = |n: &str| lookup(body, headers, n);
        InitialEmail {
            inbox_unread: num(g("Inbox-Unread")),
            folders_unread: num(g("Folders-Unread")),
            inbox_url: text(g("Inbox-URL")),
            folders_url: text(g("Folders-URL")),
            post_url: text(g("Post-URL")),
        }
    }

    pub fn note(&self) -> String {
        let n = |v: Option<u64>| v.map_or("?".to_string(), |n| n.to_string());
        format!(
            "unread e-mail: {} in the inbox, {} in other folders",
            n(self.inbox_unread),
            n(self.folders_unread)
        )
    }
}

/// A header value that may hold MIME encoded words: the text to show, and the text as sent
/// when the two differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Words {
    pub text: String,
    pub raw: Option<String>,
}

impl Words {
    fn new(raw: &str) -> Words {
        match decode_words(raw) {
            Some(text) if text != raw => Words {
                text,
                raw: Some(raw.to_string()),
            },
            _ => Words {
                text: raw.to_string(),
                raw: None,
            },
        }
    }
}

/// `text/x-msmsgsemailnotification`: new mail arrived.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewEmail {
    pub from: Option<Words>,
    pub from_addr: Option<String>,
    pub subject: Option<Words>,
    pub dest_folder: Option<String>,
    pub message_url: Option<String>,
    pub post_url: Option<String>,
    pub id: Option<String>,
}

impl NewEmail {
    pub fn parse(body: &[Header], headers: &[Header]) -> NewEmail {
        let g = |n: &str| lookup(body, headers, n);
        NewEmail {
            from: g("From").map(Words::new),
            from_addr: text(g("From-Addr")),
            subject: g("Subject").map(Words::new),
            dest_folder: text(g("Dest-Folder")),
            message_url: text(g("Message-URL")),
            post_url: text(g("Post-URL")),
            id: text(g("id")),
        }
    }

    pub fn note(&self) -> String {
        let mut s = "new e-mail".to_string();
        match (&self.from, &self.from_addr) {
            (Some(f), Some(a)) => s.push_str(&format!(" from {} <{a}>", f.text)),
            (Some(f), None) => s.push_str(&format!(" from {}", f.text)),
            (None, Some(a)) => s.push_str(&format!(" from <{a}>")),
            (None, None) => {}
        }
        if let Some(sub) = &self.subject {
            s.push_str(&format!(": \"{}\"", sub.text));
        }
        s
    }
}

/// `text/x-msmsgsactivemailnotification`: mail moved or deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmailActivity {
    pub src_folder: Option<String>,
    pub dest_folder: Option<String>,
    pub message_delta: Option<u64>,
}

impl EmailActivity {
    pub fn parse(body: &[Header], headers: &[Header]) -> EmailActivity {
        let g = |n: &str| lookup(body, headers, n);
        EmailActivity {
            src_folder: text(g("Src-Folder")),
            dest_folder: text(g("Dest-Folder")),
            message_delta: num(g("Message-Delta")),
        }
    }

    pub fn note(&self) -> String {
        let count = match self.message_delta {
            Some(n) => count(n, "message"),
            None => "messages".to_string(),
        };
        let from = self.src_folder.as_deref().unwrap_or("?");
        let to = self.dest_folder.as_deref().unwrap_or("?");
        format!("mailbox activity: {count} moved from {from} to {to}")
    }
}

/// `Mail-Data` of `text/x-msmsgsinitialmdatanotification` and `text/x-msmsgsoimnotification`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailData {
    /// The value as sent (an `<MD>` XML document, or `too-large`).
    pub mail_data: Option<String>,
    /// `<IU>`: unread in the inbox.
    pub inbox_unread: Option<u64>,
    /// `<OU>`: unread in other folders.
    pub other_unread: Option<u64>,
    /// `<M>` elements: offline messages waiting.
    pub offline_messages: u64,
    /// `Mail-Data: too-large`: the list is to be fetched separately.
    pub too_large: bool,
}

impl MailData {
    pub fn parse(body: &[Header], headers: &[Header]) -> MailData {
        let Some(md) = lookup(body, headers, "Mail-Data") else {
            return MailData::default();
        };
        let element = |tag: &str| {
            let open = format!("<{tag}>");
            let start = md.find(&open)? + open.len();
            let end = md[start..].find('<')? + start;
            md[start..end].trim().parse().ok()
        };
        MailData {
            mail_data: Some(md.to_string()),
            inbox_unread: element("IU"),
            other_unread: element("OU"),
            offline_messages: md.matches("<M>").count() as u64,
            too_large: md.trim().eq_ignore_ascii_case("too-large"),
        }
    }

    pub fn note(&self, initial: bool) -> String {
        let what = if initial {
            "mail data at login"
        } else {
            "offline message notice"
        };
        if self.too_large {
            return format!("{what}: too large to send, the client fetches it separately");
        }
        if self.mail_data.is_none() {
            return format!("{what}: no Mail-Data");
        }
        let mut s = format!(
            "{what}: {}",
            count(self.offline_messages, "offline message")
        );
        if let Some(n) = self.inbox_unread {
            s.push_str(&format!(", {} in the inbox", count(n, "unread e-mail")));
        }
        s
    }
}

/// `application/x-msmsgssystemmessage`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SystemMessage {
    /// `Type`: 1 is maintenance.
    pub message_type: Option<u64>,
    /// `Arg1`: for maintenance, the minutes left.
    pub arg1: Option<String>,
}

impl SystemMessage {
    pub fn parse(body: &[Header], headers: &[Header]) -> SystemMessage {
        let g = |n: &str| lookup(body, headers, n);
        SystemMessage {
            message_type: num(g("Type")),
            arg1: text(g("Arg1")),
        }
    }

    /// For maintenance: the minutes left.
    pub fn minutes(&self) -> Option<u64> {
        (self.message_type == Some(1))
            .then(|| self.arg1.as_deref()?.parse().ok())
            .flatten()
    }

    pub fn note(&self) -> String {
        match (self.message_type, self.minutes()) {
            (Some(1), Some(m)) => {
                format!("the server goes down for maintenance in {m} minutes")
            }
            (Some(1), None) => "the server goes down for maintenance".to_string(),
            (Some(t), _) => format!("system message of type {t}"),
            (None, _) => "system message".to_string(),
        }
    }
}

/// Encoded words longer than this are left as sent.
const MAX_ENCODED_WORD: usize = 4096;

/// Decodes the MIME encoded words (`=?charset?B|Q?text?=`) of a value in the data form, when
/// there are any and every one decodes (charsets UTF-8, ISO-8859-1 and US-ASCII); the result
/// is in the data form. Whitespace between two encoded words is dropped, as RFC 2047 says.
pub fn decode_words(raw: &str) -> Option<String> {
    if !raw.contains("=?") || raw.len() > MAX_ENCODED_WORD {
        return None;
    }
    let mut out: Vec<u8> = Vec::new();
    let mut rest = raw;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let between = &rest[..start];
        let after = &rest[start + 2..];
        let (charset, after) = after.split_once('?')?;
        let (enc, after) = after.split_once('?')?;
        let end = after.find("?=")?;
        let payload = &after[..end];
        if !(last_was_word && between.trim().is_empty()) {
            out.extend_from_slice(&crate::escape::unescape_field(between));
        }
        let bytes = match enc {
            "B" | "b" => base64::engine::general_purpose::STANDARD
                .decode(payload)
                .ok()?,
            "Q" | "q" => q_decode(payload)?,
            _ => return None,
        };
        match charset.to_ascii_lowercase().as_str() {
            "utf-8" | "us-ascii" => out.extend_from_slice(&bytes),
            "iso-8859-1" | "latin1" => {
                let s: String = bytes.iter().map(|&b| char::from(b)).collect();
                out.extend_from_slice(s.as_bytes());
            }
            _ => return None,
        }
        rest = &after[end + 2..];
        last_was_word = true;
    }
    out.extend_from_slice(&crate::escape::unescape_field(rest));
    Some(escape_field(&out))
}

/// The `Q` encoding: `_` is a space, `=XX` a byte.
fn q_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msnc::mime::{Mime, fields};

    fn split(p: &[u8]) -> (Vec<Header>, Vec<Header>) {
        let m = Mime::parse(p);
        (m.headers.clone(), fields(m.body))
    }

    #[test]
    fn profile_from_the_header_block() {
        let (h, b) = split(b"MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsprofile; charset=UTF-8\r\nLoginTime: 1136000000\r\nEmailEnabled: 1\r\nMemberIdHigh: 1\r\nMemberIdLow: 2\r\nlang_preference: 1033\r\ncountry: US\r\nKid: 0\r\nFlags: 1073742915\r\nsid: 507\r\nClientIP: 10.1.1.5\r\nClientPort: 3001\r\n\r\n");
        let p = Profile::parse(&h, &b);
        assert_eq!(p.login_time, Some(1136000000));
        assert_eq!(p.email_enabled, Some(true));
        assert_eq!(p.kid, Some(false));
        assert_eq!(p.lang_preference, Some(1033));
        assert_eq!(p.sid, Some(507));
        assert_eq!(
            p.note(),
            "login profile: the server sees the client at 10.1.1.5:3001"
        );
        assert_eq!(Profile::default().note(), "login profile");
    }

    #[test]
    fn mail_notices() {
        let (h, b) = split(b"Content-Type: text/x-msmsgsinitialemailnotification; charset=UTF-8\r\n\r\nInbox-Unread: 3\r\nFolders-Unread: 0\r\nInbox-URL: /cgi-bin/HoTMaiL\r\n\r\n");
        let i = InitialEmail::parse(&b, &h);
        assert_eq!((i.inbox_unread, i.folders_unread), (Some(3), Some(0)));
        assert_eq!(
            i.note(),
            "unread e-mail: 3 in the inbox, 0 in other folders"
        );

        let (h, b) = split(b"Content-Type: text/x-msmsgsemailnotification\r\n\r\nFrom: =?utf-8?B?w4lsaXNl?= =?iso-8859-1?Q?_M=FCller?=\r\nMessage-URL: /x\r\nSubject: =?utf-8?Q?Caf=C3=A9_tonight?=\r\nDest-Folder: ACTIVE\r\nFrom-Addr: elise@example.com\r\nid: 2\r\n");
        let n = NewEmail::parse(&b, &h);
        assert_eq!(
            n.from.as_ref().map(|w| w.text.as_str()),
            Some("Élise Müller")
        );
        assert!(n.from.as_ref().is_some_and(|w| w.raw.is_some()));
        assert_eq!(
            n.note(),
            "new e-mail from Élise Müller <elise@example.com>: \"Café tonight\""
        );

        let (h, b) = split(b"Content-Type: text/x-msmsgsactivemailnotification\r\n\r\nSrc-Folder: ACTIVE\r\nDest-Folder: .!!trAsH\r\nMessage-Delta: 1\r\n");
        assert_eq!(
            EmailActivity::parse(&b, &h).note(),
            "mailbox activity: 1 message moved from ACTIVE to .!!trAsH"
        );
    }

    #[test]
    fn mail_data() {
        let (h, b) = split(b"Content-Type: text/x-msmsgsinitialmdatanotification\r\n\r\nMail-Data: <MD><E><I>5</I><IU>2</IU><O>1</O><OU>1</OU></E><Q><QTM>409600</QTM><QNM>204800</QNM></Q><M><T>11</T><S>6</S></M><M><T>11</T></M></MD>\r\n");
        let m = MailData::parse(&b, &h);
        assert_eq!(m.inbox_unread, Some(2));
        assert_eq!(m.other_unread, Some(1));
        assert_eq!(m.offline_messages, 2);
        assert_eq!(
            m.note(true),
            "mail data at login: 2 offline messages, 2 unread e-mails in the inbox"
        );
        let (h, b) =
            split(b"Content-Type: text/x-msmsgsoimnotification\r\n\r\nMail-Data: too-large\r\n");
        let m = MailData::parse(&b, &h);
        assert!(m.too_large);
        assert!(
            m.note(false)
                .starts_with("offline message notice: too large")
        );
        assert_eq!(
            MailData::default().note(false),
            "offline message notice: no Mail-Data"
        );
    }

    #[test]
    fn system_message() {
        let (h, b) =
            split(b"Content-Type: application/x-msmsgssystemmessage\r\n\r\nType: 1\r\nArg1: 5\r\n");
        let s = SystemMessage::parse(&b, &h);
        assert_eq!(s.minutes(), Some(5));
        assert_eq!(
            s.note(),
            "the server goes down for maintenance in 5 minutes"
        );
        let (h, b) = split(b"Content-Type: application/x-msmsgssystemmessage\r\n\r\nType: 3\r\n");
        assert_eq!(
            SystemMessage::parse(&b, &h).note(),
            "system message of type 3"
        );
    }

    #[test]
    fn encoded_words() {
        assert_eq!(decode_words("plain"), None);
        assert_eq!(decode_words("=?utf-8?B?aGk=?=").as_deref(), Some("hi"));
        assert_eq!(
            decode_words("a =?UTF-8?q?b_c?= d").as_deref(),
            Some("a b c d")
        );
        // Unknown charset, broken base64, unterminated: left as sent.
        assert_eq!(decode_words("=?koi8-r?B?aGk=?="), None);
        assert_eq!(decode_words("=?utf-8?B?!!?="), None);
        assert_eq!(decode_words("=?utf-8?B?aGk="), None);
        assert_eq!(decode_words("=?utf-8?Q?=4?="), None);
        // Decoded bytes that are not UTF-8, and a backslash, by the data rule.
        assert_eq!(
            decode_words("=?utf-8?Q?=FF=5C?=").as_deref(),
            Some("\\xFF\\\\")
        );
    }
}
