//! The message layer (MSNC): what the body of an `MSG` (and of the federated `UUM`/`UBM`)
//! says. Every such body is a MIME-style message, a header block, an empty line, then a body,
//! and its `Content-Type` says what it is: chat text, a typing notice, an invitation, a nudge,
//! custom emoticons, a P2P packet, or, from the notification server, the login profile and
//! the e-mail notices.
//!
//! Why it exists: the framer delivers a payload as bytes; a reader of a capture wants to know
//! who wrote it and what it is, named, without reading MIME by hand. This module turns one
//! payload into a typed [`Message`] and its notes, and nothing else: it keeps no state between
//! messages (the parts of a chunked message are recognised and said, not joined), does no I/O,
//! and is told the sender by the session, which knows the connection.
//!
//! Layout: [`mime`] splits the header block from the body; [`text`] reads `text/plain` and its
//! `X-MMS-IM-Format`; [`invite`] reads MSNC0 invitations; [`control`] the other switchboard
//! kinds (datacast, emoticons, client capabilities, ink, the P2P envelope); [`notify`] the
//! notification server's; [`msnobject`] the `<msnobj/>` element several of them carry;
//! [`p2p`] the binary P2P packets inside `application/x-msnmsgrp2p` bodies and the bounded
//! reassembly of their SLP messages; [`slp`] those MSNSLP messages and their contexts.
//!
//! Guarantees: [`decode`] is total and never panics on any bytes (a property test feeds it
//! arbitrary ones); every list it builds has a named cap ([`mime::MAX_HEADERS`],
//! [`mime::MAX_FIELDS`], [`control::MAX_EMOTICONS`], ...) and the text it keeps is bounded
//! ([`text::MAX_TEXT`]); text taken from the capture is in the data form of [`crate::escape`]
//! (a backslash as `\\`, an invalid byte as `\xNN`); [`Message::notes`] are one line each,
//! made so by [`crate::escape::one_line`]. A content type this module does not know keeps its
//! headers ([`Kind::Unknown`]).

pub mod control;
pub mod invite;
pub mod mime;
pub mod msnobject;
pub mod notify;
pub mod p2p;
pub mod slp;
pub mod text;

use crate::escape::one_line;
use mime::{Header, HeadersEnd, Mime};

/// What kind of message a body is, with what its kind carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `text/plain`: an instant message.
    Text(text::TextMessage),
    /// `text/x-msmsgscontrol`: `TypingUser` is typing.
    Typing { user: Option<String> },
    /// `text/x-msmsgsinvite`: an MSNC0 invitation.
    Invitation(invite::Invitation),
    /// `text/x-msnmsgr-datacast`: nudge, wink, voice clip, action message.
    Datacast(control::Datacast),
    /// `text/x-mms-emoticon`.
    Emoticons(control::Emoticons),
    /// `text/x-mms-animemoticon`.
    AnimatedEmoticons(control::Emoticons),
    /// `text/x-clientcaps`, `text/x-clientinfo`.
    ClientCaps(control::ClientCaps),
    /// `text/x-keepalive`.
    Keepalive,
    /// `image/gif`, `application/x-ms-ink`: handwriting.
    Ink(control::Ink),
    /// `application/x-msnmsgrp2p`: a P2P packet (its binary body is not read here).
    P2p(control::P2p),
    /// `text/x-msmsgsprofile`.
    Profile(notify::Profile),
    /// `text/x-msmsgsinitialemailnotification`.
    InitialEmail(notify::InitialEmail),
    /// `text/x-msmsgsemailnotification`.
    NewEmail(notify::NewEmail),
    /// `text/x-msmsgsactivemailnotification`.
    EmailActivity(notify::EmailActivity),
    /// `text/x-msmsgsinitialmdatanotification`.
    InitialMailData(notify::MailData),
    /// `text/x-msmsgsoimnotification`.
    OimNotification(notify::MailData),
    /// `application/x-msmsgssystemmessage`.
    SystemMessage(notify::SystemMessage),
    /// A later part of a chunked message: it has no `Content-Type` of its own.
    ChunkPart,
    /// No `Content-Type`, or one this module does not know: the headers say what there is.
    Unknown,
}

/// A part of a message sent in chunks (`Message-ID` with `Chunks: N` on the first part,
/// `Chunk: n` with n from 1 to N-1 on the others).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// `Message-ID` (data form).
    pub message_id: String,
    /// 1 for the first part, n+1 for `Chunk: n`.
    pub part: u64,
    /// `Chunks`, on the first part.
    pub parts: Option<u64>,
}

/// One decoded message body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Who wrote it, as the session knows (data form).
    pub sender: Option<String>,
    /// `Content-Type` without parameters, in lower case.
    pub content_type: Option<String>,
    /// The `charset` parameter, as given.
    pub charset: Option<String>,
    /// The header lines, at most [`mime::MAX_HEADERS`].
    pub headers: Vec<Header>,
    /// Header lines past the cap.
    pub dropped_headers: usize,
    pub headers_end: HeadersEnd,
    pub chunk: Option<Chunk>,
    pub kind: Kind,
}

/// Decodes one payload. `sender` is whoever wrote it, when the session knows.
pub fn decode(payload: &[u8], sender: Option<String>) -> Message {
    decode_with(payload, sender, TextBody::Read)
}

/// How much of a `text/plain` body [`decode_with`] reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextBody {
    /// The text and its format: [`decode`].
    Read,
    /// What the notes tell, the encoding and the cut, with no text and no format
    /// ([`text::TextMessage::measured`]): for outputs that never read the text (`stats`, the
    /// dialogue, which shows the payload's own bytes).
    Measure,
    /// Nothing: the [`Kind::Text`] is empty. For a run whose outputs read no command
    /// (`flows`).
    Skip,
}

/// [`decode`], reading as much of a `text/plain` body as `reading` says; the rest as [`decode`]
/// gives it. What the session's state takes from a message (invitations, P2P, capabilities)
/// is never in a text body, so reading less of one changes no connection and no other event.
pub fn decode_with(payload: &[u8], sender: Option<String>, reading: TextBody) -> Message {
    let m = Mime::parse(payload);
    let content_type = m.content_type();
    let body_fields = || mime::fields(m.body);
    let chunk = chunk(&m);
    let kind = match content_type.as_deref() {
        Some("text/plain") => Kind::Text(match reading {
            TextBody::Read => text::TextMessage::new(m.body, m.header("X-MMS-IM-Format")),
            TextBody::Measure => text::TextMessage::measured(m.body),
            TextBody::Skip => text::TextMessage::new(b"", None),
        }),
        Some("text/x-msmsgscontrol") => Kind::Typing {
            user: m.header("TypingUser").map(str::to_string),
        },
        Some("text/x-msmsgsinvite") => {
            Kind::Invitation(invite::Invitation::parse(&body_fields(), &m.headers))
        }
        Some("text/x-msnmsgr-datacast") => Kind::Datacast(control::Datacast::parse(&body_fields())),
        Some("text/x-mms-emoticon") => Kind::Emoticons(control::Emoticons::parse(m.body)),
        Some("text/x-mms-animemoticon") => {
            Kind::AnimatedEmoticons(control::Emoticons::parse(m.body))
        }
        Some("text/x-clientcaps" | "text/x-clientinfo") => {
            Kind::ClientCaps(control::ClientCaps::parse(&body_fields(), &m.headers))
        }
        Some("text/x-keepalive") => Kind::Keepalive,
        Some("image/gif") => Kind::Ink(control::Ink::Gif),
        Some("application/x-ms-ink") => Kind::Ink(control::Ink::Isf),
        Some("application/x-msnmsgrp2p") => Kind::P2p(control::P2p::parse(
            &m.headers,
            m.body,
            payload.len() - m.body.len(),
        )),
        Some("text/x-msmsgsprofile") => {
            Kind::Profile(notify::Profile::parse(&m.headers, &body_fields()))
        }
        Some("text/x-msmsgsinitialemailnotification") => {
            Kind::InitialEmail(notify::InitialEmail::parse(&body_fields(), &m.headers))
        }
        Some("text/x-msmsgsemailnotification") => {
            Kind::NewEmail(notify::NewEmail::parse(&body_fields(), &m.headers))
        }
        Some("text/x-msmsgsactivemailnotification") => {
            Kind::EmailActivity(notify::EmailActivity::parse(&body_fields(), &m.headers))
        }
        Some("text/x-msmsgsinitialmdatanotification") => {
            Kind::InitialMailData(notify::MailData::parse(&body_fields(), &m.headers))
        }
        Some("text/x-msmsgsoimnotification") => {
            Kind::OimNotification(notify::MailData::parse(&body_fields(), &m.headers))
        }
        Some("application/x-msmsgssystemmessage") => {
            Kind::SystemMessage(notify::SystemMessage::parse(&body_fields(), &m.headers))
        }
        None if chunk.as_ref().is_some_and(|c| c.part > 1) => Kind::ChunkPart,
        _ => Kind::Unknown,
    };
    Message {
        sender,
        charset: m.charset(),
        content_type,
        headers: m.headers,
        dropped_headers: m.dropped,
        headers_end: m.end,
        chunk,
        kind,
    }
}

/// The chunk headers, when the message has them.
fn chunk(m: &Mime<'_>) -> Option<Chunk> {
    let message_id = m.header("Message-ID")?.to_string();
    if let Some(n) = m.header("Chunks") {
        return Some(Chunk {
            message_id,
            part: 1,
            parts: n.parse().ok(),
        });
    }
    let n: u64 = m.header("Chunk")?.parse().ok()?;
    Some(Chunk {
        message_id,
        part: n.saturating_add(1),
        parts: None,
    })
}

impl Message {
    /// The short sentences that say what the message is, each one inert line. Plain text
    /// speaks for itself and has none, unless it was not UTF-8 or was cut.
    pub fn notes(&self) -> Vec<String> {
        let sender = self.sender.as_deref();
        let mut notes = Vec::new();
        match &self.kind {
            Kind::Text(t) => {
                match t.encoding {
                    text::Encoding::Utf8 => {}
                    text::Encoding::Latin1 { bytes: 1 } => {
                        notes.push("1 byte of the text is not UTF-8: read as Latin-1".to_string())
                    }
                    text::Encoding::Latin1 { bytes } => notes.push(format!(
                        "{bytes} bytes of the text are not UTF-8: read as Latin-1"
                    )),
                }
                if t.truncated {
                    notes.push(format!(
                        "text: only the first {} bytes are read",
                        text::MAX_TEXT
                    ));
                }
            }
            Kind::Typing { user } => notes.push(match user.as_deref().or(sender) {
                Some(u) => format!("{u} is typing"),
                None => "someone is typing".to_string(),
            }),
            Kind::Invitation(i) => notes.push(i.note()),
            Kind::Datacast(d) => notes.push(d.note(sender)),
            Kind::Emoticons(e) => notes.push(e.note(false)),
            Kind::AnimatedEmoticons(e) => notes.push(e.note(true)),
            Kind::ClientCaps(c) => notes.push(c.note()),
            Kind::Keepalive => notes.push("keep-alive".to_string()),
            Kind::Ink(control::Ink::Gif) => notes.push("handwriting (ink) as a GIF".to_string()),
            Kind::Ink(control::Ink::Isf) => {
                notes.push("handwriting (ink) in Ink Serialized Format".to_string())
            }
            Kind::P2p(p) => notes.extend(p.notes()),
            Kind::Profile(p) => notes.push(p.note()),
            Kind::InitialEmail(e) => notes.push(e.note()),
            Kind::NewEmail(e) => notes.push(e.note()),
            Kind::EmailActivity(e) => notes.push(e.note()),
            Kind::InitialMailData(m) => notes.push(m.note(true)),
            Kind::OimNotification(m) => notes.push(m.note(false)),
            Kind::SystemMessage(s) => notes.push(s.note()),
            Kind::ChunkPart => {}
            Kind::Unknown => notes.push(match &self.content_type {
                Some(t) => format!("message of type {t}, not decoded"),
                None => "message without a Content-Type".to_string(),
            }),
        }
        if let Some(c) = &self.chunk {
            notes.push(match c.parts {
                Some(n) => format!("part {} of {n} of chunked message {}", c.part, c.message_id),
                None => format!("part {} of chunked message {}", c.part, c.message_id),
            });
        }
        match self.headers_end {
            HeadersEnd::Blank => {}
            HeadersEnd::Missing => notes.push("no empty line ends the headers".to_string()),
            HeadersEnd::TooLong => notes.push(format!(
                "headers longer than {} bytes: the rest is read as the body",
                mime::MAX_HEADER_BLOCK
            )),
        }
        if self.dropped_headers > 0 {
            notes.push(format!(
                "{} header lines past the first {} ignored",
                self.dropped_headers,
                mime::MAX_HEADERS
            ));
        }
        notes.iter().map(|n| one_line(n)).collect()
    }

    /// The text of a `text/plain` message.
    pub fn text(&self) -> Option<&text::TextMessage> {
        match &self.kind {
            Kind::Text(t) => Some(t),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
