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
use super::p2p::{self, AppId, V1Header};
use super::slp::{Context, ContextError, SlpMessage};
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

/// `application/x-msnmsgrp2p`: the envelope of one P2P packet, and the packet itself as
/// [`super::p2p`] reads it (the version from the envelope: a `P2P-Src`/`P2P-Dest` naming an
/// endpoint `handle;{guid}` means P2Pv2).
///
/// The packet is read here, message by message; what needs the messages before it (an SLP
/// message spread over several chunks) is put together by the session, which adds the
/// finished SLP message as [`P2p::slp`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct P2p {
    /// `P2P-Dest`: `handle`, or `handle;{guid}` from MSNP16.
    pub dest: Option<String>,
    /// `P2P-Src` (MSNP16+).
    pub src: Option<String>,
    /// Bytes after the header block: the binary packet.
    pub body_len: usize,
    /// The packet's header fields, or why it could not be read (a stable anomaly name).
    pub packet: Result<PacketInfo, &'static str>,
    /// The SLP message this chunk completed, if any (set by the session).
    pub slp: Option<Box<SlpInfo>>,
}

/// What a P2P packet's headers say, owned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PacketInfo {
    /// 1 or 2.
    pub version: u8,
    pub session_id: u32,
    /// P2Pv1: the header as sent; `None` for P2Pv2.
    pub v1: Option<V1Header>,
    /// P2Pv2: its header and data header fields; `None` for P2Pv1.
    pub v2: Option<V2Info>,
    /// The application id of the footer, when there is one.
    pub footer: Option<AppId>,
    /// Where the packet's data starts in the `MSG` payload, and how long it is.
    pub data_at: usize,
    pub data_len: usize,
    /// One line: `P2P session 4 message 7: bytes 1202-2403 of 5718`, `ack of message 7`.
    pub summary: String,
}

impl PacketInfo {
    /// Whether the data is MSNSLP text: session 0 with data (acks carry none).
    pub fn is_slp(&self) -> bool {
        self.session_id == 0 && self.data_len > 0 && !self.v1.is_some_and(|h| h.is_ack())
    }
}

/// The fields of a P2Pv2 packet, owned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct V2Info {
    pub op_code: u8,
    pub op_code_name: Option<&'static str>,
    pub message_length: u16,
    /// The sequence number (base id).
    pub base_id: u32,
    /// The ack TLV: acknowledged up to this sequence number.
    pub ack: Option<u64>,
    /// The data header, when there is data: TF combination, package number, bytes left.
    pub tf: Option<u8>,
    pub tf_name: Option<&'static str>,
    pub package_number: Option<u16>,
    pub bytes_remaining: Option<u64>,
}

/// A finished MSNSLP message and its decoded `Context`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlpInfo {
    pub message: SlpMessage,
    pub context: Option<Result<Context, ContextError>>,
}

impl P2p {
    /// `body_at`: where `body` starts in the `MSG` payload.
    pub fn parse(headers: &[Header], body: &[u8], body_at: usize) -> P2p {
        let dest = find(headers, "P2P-Dest").map(str::to_string);
        let src = find(headers, "P2P-Src").map(str::to_string);
        let v2 = [&src, &dest]
            .iter()
            .any(|v| v.as_deref().is_some_and(p2p::is_v2_endpoint));
        let packet = match p2p::parse(body, v2) {
            Ok(packet) => {
                let data = packet.data();
                // Where `data` starts in `body`: the difference of the pointers when it lies
                // within `body` (an empty `data` may be a slice of its own: then the end).
                let within = (data.as_ptr() as usize)
                    .checked_sub(body.as_ptr() as usize)
                    .filter(|at| at + data.len() <= body.len());
                let data_at = body_at + within.unwrap_or(body.len());
                let data = if within.is_some() { data } else { &[][..] };
                Ok(PacketInfo {
                    version: if v2 { 2 } else { 1 },
                    session_id: packet.session_id(),
                    v1: match packet {
                        p2p::Packet::V1(p) => Some(p.header),
                        p2p::Packet::V2(_) => None,
                    },
                    v2: match packet {
                        p2p::Packet::V1(_) => None,
                        p2p::Packet::V2(p) => Some(V2Info {
                            op_code: p.header.op_code.0,
                            op_code_name: p.header.op_code.name(),
                            message_length: p.header.message_length,
                            base_id: p.header.base_id,
                            ack: p.header.ack(),
                            tf: p.data_header.map(|d| d.tf.0),
                            tf_name: p.data_header.and_then(|d| d.tf.payload_kind()),
                            package_number: p.data_header.map(|d| d.package_number),
                            bytes_remaining: p.data_header.and_then(|d| d.bytes_remaining()),
                        }),
                    },
                    footer: packet.footer(),
                    data_at,
                    data_len: data.len(),
                    summary: packet.summary(),
                })
            }
            Err(e) => Err(e.anomaly_name()),
        };
        P2p {
            dest,
            src,
            body_len: body.len(),
            packet,
            slp: None,
        }
    }

    /// The packet's summary, then the SLP message it completed.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = vec![match &self.packet {
            Ok(p) => p.summary.clone(),
            Err(name) => format!(
                "P2P packet of {} bytes that cannot be read ({name})",
                self.body_len
            ),
        }];
        if let Some(slp) = &self.slp {
            notes.push(slp.message.summary());
        }
        notes
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
    fn a_p2pv2_packet_without_data_has_its_data_at_the_end() {
        // P2Pv2 header only (message length 0): no data header, no data.
        let mut body = vec![8, 0, 0, 0, 0, 0, 0, 7];
        body.extend_from_slice(&0u32.to_be_bytes());
        let headers = crate::msnc::mime::Mime::parse(
            b"Content-Type: application/x-msnmsgrp2p\r\nP2P-Src: a@b;{1}\r\n\r\n",
        )
        .headers;
        let p = P2p::parse(&headers, &body, 100);
        let packet = p.packet.expect("a P2Pv2 packet");
        assert_eq!(packet.version, 2);
        assert_eq!((packet.data_at, packet.data_len), (100 + body.len(), 0));
    }

    #[test]
    fn p2p_envelope() {
        let m = crate::msnc::mime::Mime::parse(
            b"Content-Type: application/x-msnmsgrp2p\r\nP2P-Dest: bob@x.com;{0d0e}\r\nP2P-Src: a@b;{1}\r\n\r\n\x00\x01\x02",
        );
        let p = P2p::parse(&m.headers, m.body, 0);
        assert_eq!(p.dest.as_deref(), Some("bob@x.com;{0d0e}"));
        assert_eq!(p.src.as_deref(), Some("a@b;{1}"));
        assert_eq!(p.body_len, 3);
        // An endpoint in P2P-Src: read as P2Pv2, and 3 bytes are too few for its header.
        assert_eq!(p.packet, Err("p2p.truncated"));
        assert_eq!(
            p.notes(),
            ["P2P packet of 3 bytes that cannot be read (p2p.truncated)"]
        );
    }
}
