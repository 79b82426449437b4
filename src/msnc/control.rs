//! The switchboard messages that are not chat text: datacasts (nudge, wink, voice clip, action
//! message), custom and animated emoticons, client capabilities, ink, and the envelope of
//! peer-to-peer (P2P) data.
//!
//! Why it exists: each of these has a small body format of its own (`ID: n` lines, tab-
//! separated shortcut and MSNObject pairs, `Client-Name` lines, `P2P-Dest` headers); reading
//! them here keeps [`super`] a plain table from content type to kind.
//!
//! Guarantees: values stay in the data form of [`crate::escape`]; at most [`MAX_EMOTICONS`]
//! emoticons are kept per message (the rest are counted); nothing here reads past the body it
//! is given. The binary P2P body is not parsed here.

use super::mime::{Header, find};
use super::msnobject::MsnObject;
use crate::escape::escape_field;

/// Emoticons kept from one message (a message announces those of one text: a handful).
pub const MAX_EMOTICONS: usize = 32;

/// `text/x-msnmsgr-datacast`: `ID: n` and maybe `Data: ...`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Datacast {
    pub id: Option<u64>,
    /// `Data`, as sent (data form): an MSNObject for a wink or a voice clip, the text of an
    /// action message.
    pub data: Option<String>,
    /// `Data` read as an MSNObject, for a wink (2) and a voice clip (3).
    pub msnobject: Option<MsnObject>,
}

impl Datacast {
    pub fn parse(body: &[Header]) -> Datacast {
        let id = find(body, "ID").and_then(|v| v.parse().ok());
        let data = find(body, "Data").map(str::to_string);
        let msnobject = match id {
            Some(2 | 3) => data.as_deref().map(MsnObject::parse),
            _ => None,
        };
        Datacast {
            id,
            data,
            msnobject,
        }
    }

    pub fn note(&self, sender: Option<&str>) -> String {
        let from = sender.map(|s| format!(" from {s}")).unwrap_or_default();
        let friendly = self
            .msnobject
            .as_ref()
            .and_then(|o| o.friendly.as_deref())
            .map(|f| format!(": \"{f}\""))
            .unwrap_or_default();
        match self.id {
            Some(1) => format!("nudge{from}"),
            Some(2) => format!("wink{from}{friendly}"),
            Some(3) => format!("voice clip{from}"),
            Some(4) => match &self.data {
                Some(d) => format!("action message{from}: {d}"),
                None => format!("action message{from}"),
            },
            Some(n) => format!("datacast {n}{from}"),
            None => format!("datacast without an ID{from}"),
        }
    }
}

/// One custom emoticon: the text it replaces and the object that draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Emoticon {
    /// The shortcut (data form).
    pub shortcut: String,
    pub msnobject: MsnObject,
}

/// `text/x-mms-emoticon` and `text/x-mms-animemoticon`: `shortcut\tmsnobject\t` pairs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Emoticons {
    pub list: Vec<Emoticon>,
    /// Pairs past [`MAX_EMOTICONS`], not kept.
    pub dropped: usize,
}

impl Emoticons {
    pub fn parse(body: &[u8]) -> Emoticons {
        let text = escape_field(body);
        let mut pieces = text
            .split('\t')
            .map(|p| p.trim_matches(|c: char| c == '\r' || c == '\n' || c == ' '));
        let mut out = Emoticons::default();
        while let Some(shortcut) = pieces.next() {
            if shortcut.is_empty() {
                continue;
            }
            let object = pieces.next().unwrap_or("");
            if out.list.len() < MAX_EMOTICONS {
                out.list.push(Emoticon {
                    shortcut: shortcut.to_string(),
                    msnobject: MsnObject::parse(object),
                });
            } else {
                out.dropped += 1;
            }
        }
        out
    }

    pub fn note(&self, animated: bool) -> String {
        let what = if animated {
            "animated emoticons"
        } else {
            "custom emoticons"
        };
        if self.list.is_empty() {
            return format!("{what}: none listed");
        }
        let names: Vec<&str> = self.list.iter().map(|e| e.shortcut.as_str()).collect();
        let more = match self.dropped {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        format!("{what}: {}{more}", names.join(" "))
    }
}

/// `text/x-clientcaps` (and `text/x-clientinfo`): a third-party client says what it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientCaps {
    pub client_name: Option<String>,
    /// `Chat-Logging`: `Y`, `N` or `S` (secure).
    pub chat_logging: Option<String>,
}

impl ClientCaps {
    /// Reads the body lines, then the header lines.
    pub fn parse(body: &[Header], headers: &[Header]) -> ClientCaps {
        let get = |n: &str| {
            find(body, n)
                .or_else(|| find(headers, n))
                .map(str::to_string)
        };
        ClientCaps {
            client_name: get("Client-Name"),
            chat_logging: get("Chat-Logging"),
        }
    }

    pub fn logging_meaning(&self) -> Option<&'static str> {
        Some(match self.chat_logging.as_deref()? {
            "Y" => "logs conversations",
            "N" => "does not log conversations",
            "S" => "logs conversations securely",
            _ => return None,
        })
    }

    pub fn note(&self) -> String {
        let mut s = match &self.client_name {
            Some(n) => format!("client capabilities: {n}"),
            None => "client capabilities".to_string(),
        };
        if let Some(m) = self.logging_meaning() {
            s.push_str(&format!(", {m}"));
        }
        s
    }
}

/// How ink (handwriting) is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ink {
    /// `image/gif`: a base64 GIF.
    Gif,
    /// `application/x-ms-ink`: `base64:` and Ink Serialized Format data.
    Isf,
}

/// `application/x-msnmsgrp2p`: the envelope of one P2P packet.
///
/// The binary packet after the headers (the 48-byte P2Pv1 or the P2Pv2 header, the data, the
/// 4-byte footer, and the MSNSLP text it may carry) is not read here: the P2P parsers add
/// their fields to this struct, next to the envelope's, and their notes to
/// [`super::Message::notes`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct P2p {
    /// `P2P-Dest`: `handle`, or `handle;{guid}` from MSNP16.
    pub dest: Option<String>,
    /// `P2P-Src` (MSNP16+).
    pub src: Option<String>,
    /// Bytes after the header block: the binary packet.
    pub body_len: usize,
}

impl P2p {
    pub fn parse(headers: &[Header], body: &[u8]) -> P2p {
        P2p {
            dest: find(headers, "P2P-Dest").map(str::to_string),
            src: find(headers, "P2P-Src").map(str::to_string),
            body_len: body.len(),
        }
    }

    pub fn note(&self) -> String {
        match &self.dest {
            Some(d) => format!("P2P data for {d} ({} bytes)", self.body_len),
            None => format!("P2P data ({} bytes)", self.body_len),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msnc::mime::fields;

    #[test]
    fn datacasts() {
        let n = Datacast::parse(&fields(b"ID: 1\r\n\r\n"));
        assert_eq!(n.id, Some(1));
        assert_eq!(n.note(Some("bob@x.com")), "nudge from bob@x.com");
        let w = Datacast::parse(&fields(
            b"ID: 2\r\nData: <msnobj Creator=\"bob@x.com\" Type=\"8\" Friendly=\"SABpAA==\"/>\r\n\r\n",
        ));
        assert_eq!(w.msnobject.as_ref().and_then(|o| o.object_type), Some(8));
        assert_eq!(w.note(None), "wink: \"Hi\"");
        let a = Datacast::parse(&fields(b"ID: 4\r\nData: waves\r\n\r\n"));
        assert_eq!(a.msnobject, None);
        assert_eq!(a.note(Some("a@b")), "action message from a@b: waves");
        let v = Datacast::parse(&fields(b"ID: 3\r\nData: <msnobj Type=\"11\"/>\r\n"));
        assert_eq!(v.note(None), "voice clip");
        assert_eq!(
            Datacast::parse(&fields(b"ID: 9\r\n")).note(None),
            "datacast 9"
        );
        assert_eq!(
            Datacast::parse(&fields(b"ID: x\r\n")).note(None),
            "datacast without an ID"
        );
    }

    #[test]
    fn emoticon_pairs() {
        let e = Emoticons::parse(
            b":cat:\t<msnobj Creator=\"a@b\" Type=\"2\"/>\t(x)\t<msnobj Type=\"2\"/>\t\r\n",
        );
        assert_eq!(e.list.len(), 2);
        assert_eq!(e.list[0].shortcut, ":cat:");
        assert_eq!(e.list[0].msnobject.creator.as_deref(), Some("a@b"));
        assert_eq!(e.list[1].shortcut, "(x)");
        assert_eq!(e.note(false), "custom emoticons: :cat: (x)");
        assert_eq!(e.note(true), "animated emoticons: :cat: (x)");
        let many: Vec<u8> = (0..100)
            .flat_map(|i| format!("s{i}\t<msnobj/>\t").into_bytes())
            .collect();
        let e = Emoticons::parse(&many);
        assert_eq!(
            (e.list.len(), e.dropped),
            (MAX_EMOTICONS, 100 - MAX_EMOTICONS)
        );
        assert!(e.note(false).ends_with(" and 68 more"));
        assert_eq!(
            Emoticons::parse(b"").note(false),
            "custom emoticons: none listed"
        );
        // A shortcut with no object after it.
        assert_eq!(Emoticons::parse(b"lonely").list[0].msnobject.raw, "");
    }

    #[test]
    fn client_caps() {
        let c = ClientCaps::parse(
            &fields(b"Client-Name: Gaim/0.79\r\nChat-Logging: Y\r\n"),
            &[],
        );
        assert_eq!(
            c.note(),
            "client capabilities: Gaim/0.79, logs conversations"
        );
        assert_eq!(ClientCaps::default().note(), "client capabilities");
    }

    #[test]
    fn p2p_envelope() {
        let m = crate::msnc::mime::Mime::parse(
            b"Content-Type: application/x-msnmsgrp2p\r\nP2P-Dest: bob@x.com;{0d0e}\r\nP2P-Src: a@b;{1}\r\n\r\n\x00\x01\x02",
        );
        let p = P2p::parse(&m.headers, m.body);
        assert_eq!(p.dest.as_deref(), Some("bob@x.com;{0d0e}"));
        assert_eq!(p.src.as_deref(), Some("a@b;{1}"));
        assert_eq!(p.body_len, 3);
        assert_eq!(p.note(), "P2P data for bob@x.com;{0d0e} (3 bytes)");
    }
}
