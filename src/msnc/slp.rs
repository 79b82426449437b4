//! MSNSLP, the SIP-like text that sets up P2P sessions (reference §6.3, §6.4, §5.5): its start
//! line, headers and body fields, and the two contexts an INVITE carries in base64: the
//! MSNObject of a display picture or emoticon, and the binary context of a file transfer.
//!
//! Why it exists: what two clients agreed to exchange (which picture, which file, under what
//! name and size, over which address) is written only here, in session 0 of the P2P transport.
//! The text comes whole from [`super::p2p::SlpReassembler`]; this module reads it, and is pure
//! so that tests can feed it the reference's samples and hostile variants.
//!
//! Text: every value read from the message is in the **data form** of [`crate::escape`]:
//! valid UTF-8 kept, a backslash doubled, each invalid byte as `\xNN`. UTF-16 text (a file
//! name, an MSNObject's `Friendly`) is decoded to the same form, an unpaired surrogate
//! written `\u{D800}`. Hostile values (a file name with `..\`, control characters, a bidi
//! override) are kept as they are: nothing here interprets them, and whoever shows them uses
//! the display form ([`crate::escape::one_line`]), as [`SlpMessage::summary`] does.
//!
//! Guarantees: [`parse`], [`decode_context`], [`parse_msnobject`] and [`parse_file_context`]
//! are total and never panic (property tests feed them arbitrary bytes); input over
//! [`MAX_SLP_TEXT`] is refused; the lists they build are capped ([`MAX_HEADERS`],
//! [`MAX_BODY_FIELDS`], [`MAX_MSNOBJ_ATTRIBUTES`]) and what is left out is counted. Unknown
//! methods, status codes, content types, EUF-GUIDs and MSNObject types are kept as sent.

use super::p2p::{AppId, MAX_SLP_MESSAGE};
use crate::escape::{escape_field, one_line};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use std::fmt;
use std::fmt::Write as _;

/// The longest text [`parse`] reads: the reassembler's cap, since that is where SLP text
/// comes from.
pub const MAX_SLP_TEXT: usize = MAX_SLP_MESSAGE;

/// Header lines kept per message. A real message has eight (To, From, Via, CSeq, Call-ID,
/// Max-Forwards, Content-Type, Content-Length); more is noise or an attack on memory.
pub const MAX_HEADERS: usize = 32;

/// Body fields kept per message. The largest real body, a WLM transport request, has about
/// fifteen.
pub const MAX_BODY_FIELDS: usize = 64;

/// Attributes kept per MSNObject. The reference lists about ten (Creator, Size, Type,
/// Location, Friendly, SHA1D, SHA1C, Stamp, AvatarID, contenttype...).
pub const MAX_MSNOBJ_ATTRIBUTES: usize = 32;

// ---------------------------------------------------------------------------------------------
// Small code books

/// The method of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    Invite,
    Bye,
    /// Any other method, as sent (data form).
    Other(String),
}

impl Method {
    fn from_token(token: &[u8]) -> Method {
        match token {
            b"INVITE" => Method::Invite,
            b"BYE" => Method::Bye,
            _ => Method::Other(escape_field(token)),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Bye => "BYE",
            Method::Other(m) => m,
        }
    }
}

/// The status code of a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Status(pub u16);

impl Status {
    pub const OK: Status = Status(200);
    pub const INTERNAL_ERROR: Status = Status(500);
    pub const DECLINE: Status = Status(603);

    /// The reference's reason phrase for the codes it lists.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            200 => "OK",
            500 => "Internal Error",
            603 => "Decline",
            _ => return None,
        })
    }
}

/// The `Content-Type` of an SLP message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentType {
    /// `application/x-msnmsgr-sessionreqbody`: set up a session.
    SessionRequest,
    /// `application/x-msnmsgr-transreqbody`: ask for a direct connection.
    TransportRequest,
    /// `application/x-msnmsgr-transrespbody`: the answer about a direct connection.
    TransportResponse,
    /// `application/x-msnmsgr-transdestaddrupdate`: WLM's address update.
    AddressUpdate,
    /// `application/x-msnmsgr-sessionclosebody`: BYE.
    SessionClose,
    /// `null`.
    Null,
    /// Anything else; the header holds the text.
    Other,
}

const CONTENT_TYPES: [(&str, ContentType, &str); 6] = [
    (
        "application/x-msnmsgr-sessionreqbody",
        ContentType::SessionRequest,
        "session request",
    ),
    (
        "application/x-msnmsgr-transreqbody",
        ContentType::TransportRequest,
        "transport request",
    ),
    (
        "application/x-msnmsgr-transrespbody",
        ContentType::TransportResponse,
        "transport response",
    ),
    (
        "application/x-msnmsgr-transdestaddrupdate",
        ContentType::AddressUpdate,
        "address update",
    ),
    (
        "application/x-msnmsgr-sessionclosebody",
        ContentType::SessionClose,
        "session close",
    ),
    ("null", ContentType::Null, "null"),
];

impl ContentType {
    /// The type a header value names (compared without case, parameters ignored).
    pub fn from_header(value: &str) -> ContentType {
        let mime = value.split(';').next().unwrap_or_default().trim();
        CONTENT_TYPES
            .iter()
            .find(|(text, _, _)| text.eq_ignore_ascii_case(mime))
            .map_or(ContentType::Other, |(_, t, _)| *t)
    }

    /// `session request`, `transport response`...; `None` for [`ContentType::Other`].
    pub fn name(self) -> Option<&'static str> {
        CONTENT_TYPES
            .iter()
            .find(|(_, t, _)| *t == self)
            .map(|(_, _, name)| *name)
    }
}

/// The application an INVITE's `EUF-GUID` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EufGuid {
    /// MSNObject transfer: display picture, custom emoticon, background, wink data.
    MsnObject,
    FileTransfer,
    /// Webcam: the sender offers its own camera.
    WebcamPush,
    /// Webcam: the sender asks for the other's camera.
    WebcamPull,
    PhotoSharing,
    /// Activities (games and applications).
    Activities,
}

const EUF_GUIDS: [(&str, EufGuid, &str); 6] = [
    (
        "{A4268EEC-FEC5-49E5-95C3-F126696BDBF6}",
        EufGuid::MsnObject,
        "display picture/emoticon",
    ),
    (
        "{5D3E02AB-6190-11D3-BBBB-00C04F795683}",
        EufGuid::FileTransfer,
        "file transfer",
    ),
    (
        "{4BD96FC0-AB17-4425-A14A-439185962DC8}",
        EufGuid::WebcamPush,
        "webcam (sending)",
    ),
    (
        "{1C9AA97E-9C05-4583-A3BD-908A196F1E92}",
        EufGuid::WebcamPull,
        "webcam (asking)",
    ),
    (
        "{41D3E74E-04A2-4B37-96F8-08ACDB610874}",
        EufGuid::PhotoSharing,
        "photo sharing",
    ),
    (
        "{6A13AF9C-5308-4F35-923A-67E8DDA40C2F}",
        EufGuid::Activities,
        "activities",
    ),
];

impl EufGuid {
    /// The application of a GUID (compared without case; spaces around it ignored).
    pub fn from_guid(guid: &str) -> Option<EufGuid> {
        let guid = guid.trim();
        EUF_GUIDS
            .iter()
            .find(|(g, _, _)| g.eq_ignore_ascii_case(guid))
            .map(|(_, app, _)| *app)
    }

    /// The GUID, in upper case with braces.
    pub fn guid(self) -> &'static str {
        EUF_GUIDS
            .iter()
            .find(|(_, app, _)| *app == self)
            .map_or("", |(g, _, _)| g)
    }

    pub fn name(self) -> &'static str {
        EUF_GUIDS
            .iter()
            .find(|(_, app, _)| *app == self)
            .map_or("", |(_, _, name)| name)
    }
}

/// The `Type` of an MSNObject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MsnObjectType(pub u32);

impl MsnObjectType {
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            2 => "custom emoticon",
            3 => "display picture",
            5 => "background",
            7 => "dynamic display picture",
            8 => "wink",
            11 => "voice clip",
            12 => "saved state",
            _ => return None,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Why bytes are not an SLP message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlpError {
    /// Longer than [`MAX_SLP_TEXT`].
    TooLong { len: usize },
    /// Nothing but NULs and white space.
    Empty,
    /// The first line is neither `METHOD target MSNSLP/x` nor `MSNSLP/x code reason`.
    BadStartLine,
}

impl SlpError {
    /// A stable dotted name, for anomaly events.
    pub fn anomaly_name(&self) -> &'static str {
        match self {
            SlpError::TooLong { .. } => "slp.too_long",
            SlpError::Empty => "slp.empty",
            SlpError::BadStartLine => "slp.bad_start_line",
        }
    }
}

impl fmt::Display for SlpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SlpError::TooLong { len } => write!(
                f,
                "{len} bytes of SLP text is over the cap of {MAX_SLP_TEXT}"
            ),
            SlpError::Empty => f.write_str("the SLP message is empty"),
            SlpError::BadStartLine => {
                f.write_str("the SLP start line is not a request or a response")
            }
        }
    }
}

impl std::error::Error for SlpError {}

/// Why a context (or an MSNObject, or UTF-16 text in one) could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextError {
    /// The text is not base64.
    Base64,
    /// UTF-16 text of an odd number of bytes.
    OddUtf16 { len: usize },
    /// No `<msnobj` element in the text.
    NotMsnObject,
    /// The `<msnobj` element breaks off or is malformed at this byte of the decoded text.
    MsnObjectSyntax { at: usize },
    /// A file-transfer context too short to hold the file name (540 bytes).
    FileContextShort { have: usize },
}

impl ContextError {
    /// A stable dotted name, for anomaly events.
    pub fn anomaly_name(&self) -> &'static str {
        match self {
            ContextError::Base64 => "slp.bad_base64",
            ContextError::OddUtf16 { .. } => "slp.odd_utf16",
            ContextError::NotMsnObject => "slp.not_msnobject",
            ContextError::MsnObjectSyntax { .. } => "slp.bad_msnobject",
            ContextError::FileContextShort { .. } => "slp.short_file_context",
        }
    }
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContextError::Base64 => f.write_str("the context is not valid base64"),
            ContextError::OddUtf16 { len } => {
                write!(f, "UTF-16 text of {len} bytes (an odd number)")
            }
            ContextError::NotMsnObject => f.write_str("the context holds no <msnobj> element"),
            ContextError::MsnObjectSyntax { at } => {
                write!(f, "the <msnobj> element is malformed at byte {at}")
            }
            ContextError::FileContextShort { have } => write!(
                f,
                "a file-transfer context of {have} bytes ends before the file name does ({FILE_NAME_END})"
            ),
        }
    }
}

impl std::error::Error for ContextError {}

// ---------------------------------------------------------------------------------------------
// The message

/// A `Name: value` line of the header block or the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// As sent (data form), spaces around it trimmed.
    pub name: String,
    /// As sent (data form), spaces around it trimmed.
    pub value: String,
    /// The line was written reversed character by character (WLM 2009 does so with the
    /// IPv4 address fields: `srddA-lanretxE4vPI`) and is given here the right way round.
    pub reversed: bool,
}

/// The first line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartLine {
    /// `INVITE MSNMSGR:bob@hotmail.com MSNSLP/1.0`.
    Request {
        method: Method,
        /// `MSNMSGR:handle` (MSNP16: `MSNMSGR:handle;{guid}`), data form.
        target: String,
        /// `MSNSLP/1.0`.
        version: String,
    },
    /// `MSNSLP/1.0 603 Decline`.
    Response {
        version: String,
        status: Status,
        /// The reason phrase as sent (data form), possibly empty.
        reason: String,
    },
}

impl fmt::Display for StartLine {
    /// The line as sent, in the data form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartLine::Request {
                method,
                target,
                version,
            } => write!(f, "{} {target} {version}", method.as_str()),
            StartLine::Response {
                version,
                status,
                reason,
            } if reason.is_empty() => write!(f, "{version} {}", status.0),
            StartLine::Response {
                version,
                status,
                reason,
            } => write!(f, "{version} {} {reason}", status.0),
        }
    }
}

/// An SLP message: start line, headers, body fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlpMessage {
    pub start: StartLine,
    /// The header lines, in order (at most [`MAX_HEADERS`]).
    pub headers: Vec<Field>,
    /// The body's `Key: value` lines, in order, up to the NUL that ends the body (at most
    /// [`MAX_BODY_FIELDS`]).
    pub body: Vec<Field>,
    /// Bytes after the empty line that ends the headers, the terminating NUL included: what
    /// `Content-Length` counts.
    pub body_len: usize,
    /// Whether an empty line ended the header block (if not, the text stopped in it).
    pub blank_line: bool,
    /// Lines left out: past the caps, or without a `:`.
    pub dropped_lines: usize,
}

/// Lines of `bytes`: split at `\n`, a `\r` before it dropped. Each with the offset just past
/// its end (its `\n` included).
fn lines(bytes: &[u8]) -> impl Iterator<Item = (&[u8], usize)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let rest = bytes.get(at..).filter(|r| !r.is_empty())?;
        let (line, used) = match rest.iter().position(|&b| b == b'\n') {
            Some(n) => (&rest[..n], n + 1),
            None => (rest, rest.len()),
        };
        at += used;
        Some((line.strip_suffix(b"\r").unwrap_or(line), at))
    })
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// Body keys WLM 2009 may write reversed (key and value), spelt the right way round.
const REVERSIBLE_KEYS: [&str; 6] = [
    "IPv4External-Addrs",
    "IPv4External-Port",
    "IPv4Internal-Addrs",
    "IPv4Internal-Port",
    "IPv4ExternalAddrsAndPorts",
    "IPv4InternalAddrsAndPorts",
];

/// Splits a `Name: value` line; `None` without a `:`. `reversible` turns lines whose
/// reversed key is one of [`REVERSIBLE_KEYS`] the right way round.
fn field(line: &[u8], reversible: bool) -> Option<Field> {
    let colon = line.iter().position(|&b| b == b':')?;
    let (name, value) = (trim(&line[..colon]), trim(&line[colon + 1..]));
    if reversible {
        let back: Vec<u8> = name.iter().rev().copied().collect();
        if REVERSIBLE_KEYS
            .iter()
            .any(|k| k.as_bytes().eq_ignore_ascii_case(&back))
        {
            let value: Vec<u8> = value.iter().rev().copied().collect();
            return Some(Field {
                name: escape_field(&back),
                value: escape_field(&value),
                reversed: true,
            });
        }
    }
    Some(Field {
        name: escape_field(name),
        value: escape_field(value),
        reversed: false,
    })
}

/// The first space-separated token of `bytes` (leading spaces skipped) and what follows it.
fn token(bytes: &[u8]) -> (&[u8], &[u8]) {
    let bytes = bytes.trim_ascii_start();
    let end = bytes
        .iter()
        .position(|b| b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes.split_at(end)
}

fn is_version(token: &[u8]) -> bool {
    token.len() > 7
        && token
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"MSNSLP/"))
}

fn start_line(line: &[u8]) -> Result<StartLine, SlpError> {
    let (first, rest) = token(line);
    if is_version(first) {
        let (code, reason) = token(rest);
        let status = match code {
            [a, b, c] if code.iter().all(u8::is_ascii_digit) => {
                u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
            }
            _ => return Err(SlpError::BadStartLine),
        };
        return Ok(StartLine::Response {
            version: escape_field(first),
            status: Status(status),
            reason: escape_field(trim(reason)),
        });
    }
    let (target, rest) = token(rest);
    let (version, rest) = token(rest);
    if first.is_empty() || target.is_empty() || !is_version(version) || !trim(rest).is_empty() {
        return Err(SlpError::BadStartLine);
    }
    Ok(StartLine::Request {
        method: Method::from_token(first),
        target: escape_field(target),
        version: escape_field(version),
    })
}

/// Parses an SLP message (the whole text of a session-0 P2P message).
///
/// Lenient where clients differ: lines may end in `\r\n` or `\n`; header and key names are
/// matched without case; a body may lack its NUL. What does not fit is counted in
/// [`SlpMessage::dropped_lines`] rather than refused; only a missing or malformed start line
/// makes the text not SLP.
pub fn parse(bytes: &[u8]) -> Result<SlpMessage, SlpError> {
    if bytes.len() > MAX_SLP_TEXT {
        return Err(SlpError::TooLong { len: bytes.len() });
    }
    if bytes.iter().all(|&b| b == 0 || b.is_ascii_whitespace()) {
        return Err(SlpError::Empty);
    }
    let mut lines = lines(bytes);
    let (first, _) = lines.next().ok_or(SlpError::Empty)?;
    let start = start_line(first)?;
    let mut headers = Vec::new();
    let mut dropped_lines = 0;
    let mut body_start = None;
    for (line, end) in lines.by_ref() {
        if line.is_empty() {
            body_start = Some(end);
            break;
        }
        match field(line, false) {
            Some(f) if headers.len() < MAX_HEADERS => headers.push(f),
            _ => dropped_lines += 1,
        }
    }
    let body_bytes = body_start.and_then(|s| bytes.get(s..)).unwrap_or_default();
    // The body ends at its NUL.
    let text = match body_bytes.iter().position(|&b| b == 0) {
        Some(n) => &body_bytes[..n],
        None => body_bytes,
    };
    let mut body = Vec::new();
    for (line, _) in self::lines(text) {
        if trim(line).is_empty() {
            continue;
        }
        match field(line, true) {
            Some(f) if body.len() < MAX_BODY_FIELDS => body.push(f),
            _ => dropped_lines += 1,
        }
    }
    Ok(SlpMessage {
        start,
        headers,
        body,
        body_len: body_bytes.len(),
        blank_line: body_start.is_some(),
        dropped_lines,
    })
}

/// The `Via` header: `MSNSLP/1.0/TLP ;branch={GUID}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Via<'a> {
    /// `MSNSLP/1.0/TLP`.
    pub transport: &'a str,
    /// The GUID that ties a reply to its request.
    pub branch: Option<&'a str>,
}

/// The handle in `<msnmsgr:bob@hotmail.com>` or `MSNMSGR:bob@hotmail.com;{guid}`: the text
/// between the scheme and any `;`, angle brackets removed.
pub fn address_handle(value: &str) -> &str {
    let v = value.trim();
    let v = v.strip_prefix('<').unwrap_or(v);
    let v = v.strip_suffix('>').unwrap_or(v);
    let v = match v.get(..8) {
        Some(scheme) if scheme.eq_ignore_ascii_case("msnmsgr:") => v.get(8..).unwrap_or_default(),
        _ => v,
    };
    v.split(';').next().unwrap_or_default().trim()
}

fn find<'a>(fields: &'a [Field], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .map(|f| f.value.as_str())
}

impl SlpMessage {
    /// The first header of that name (compared without case).
    pub fn header(&self, name: &str) -> Option<&str> {
        find(&self.headers, name)
    }

    /// The first body field of that name (compared without case).
    pub fn field(&self, name: &str) -> Option<&str> {
        find(&self.body, name)
    }

    pub fn to(&self) -> Option<&str> {
        self.header("To")
    }

    pub fn from(&self) -> Option<&str> {
        self.header("From")
    }

    pub fn via(&self) -> Option<Via<'_>> {
        let v = self.header("Via")?;
        let mut parts = v.split(';');
        let transport = parts.next().unwrap_or_default().trim();
        let branch = parts.find_map(|p| {
            let (k, val) = p.split_once('=')?;
            k.trim().eq_ignore_ascii_case("branch").then(|| val.trim())
        });
        Some(Via { transport, branch })
    }

    pub fn cseq(&self) -> Option<u64> {
        self.header("CSeq")?.parse().ok()
    }

    pub fn call_id(&self) -> Option<&str> {
        self.header("Call-ID")
    }

    pub fn max_forwards(&self) -> Option<u64> {
        self.header("Max-Forwards")?.parse().ok()
    }

    pub fn content_type(&self) -> Option<ContentType> {
        self.header("Content-Type").map(ContentType::from_header)
    }

    /// The declared body length (the NUL included).
    pub fn content_length(&self) -> Option<u64> {
        self.header("Content-Length")?.parse().ok()
    }

    /// Whether `Content-Length` matches the body's bytes; `None` without a usable header.
    pub fn length_matches(&self) -> Option<bool> {
        Some(self.content_length()? == self.body_len as u64)
    }

    pub fn euf_guid(&self) -> Option<&str> {
        self.field("EUF-GUID")
    }

    /// The application the `EUF-GUID` names.
    pub fn application(&self) -> Option<EufGuid> {
        EufGuid::from_guid(self.euf_guid()?)
    }

    pub fn session_id(&self) -> Option<u32> {
        self.field("SessionID")?.parse().ok()
    }

    pub fn app_id(&self) -> Option<AppId> {
        self.field("AppID")?.parse().ok().map(AppId)
    }

    /// What the `Context` holds: decided by the `EUF-GUID`, or without one by the `AppID`.
    pub fn context_kind(&self) -> ContextKind {
        match self.application() {
            Some(EufGuid::MsnObject) => ContextKind::MsnObject,
            Some(EufGuid::FileTransfer) => ContextKind::File,
            Some(_) => ContextKind::Other,
            None => match self.app_id() {
                Some(AppId(1 | 11 | 12)) => ContextKind::MsnObject,
                Some(AppId(2)) => ContextKind::File,
                _ => ContextKind::Other,
            },
        }
    }

    /// The decoded `Context`, when there is one.
    pub fn context(&self) -> Option<Result<Context, ContextError>> {
        let raw = self.field("Context")?;
        Some(decode_context(raw, self.context_kind()))
    }

    /// The direct-connection fields of a transport request or response.
    pub fn transport(&self) -> Transport<'_> {
        let f = |name| self.field(name);
        Transport {
            bridges: f("Bridges"),
            bridge: f("Bridge"),
            net_id: f("NetID"),
            conn_type: f("Conn-Type"),
            tcp_conn_type: f("TCP-Conn-Type"),
            upnp_nat: f("UPnPNat"),
            icf: f("ICF"),
            nonce: f("Nonce"),
            hashed_nonce: f("Hashed-Nonce"),
            listening: f("Listening"),
            external_addrs: f("IPv4External-Addrs"),
            external_port: f("IPv4External-Port"),
            internal_addrs: f("IPv4Internal-Addrs"),
            internal_port: f("IPv4Internal-Port"),
            external_addrs_and_ports: f("IPv4ExternalAddrsAndPorts"),
            internal_addrs_and_ports: f("IPv4InternalAddrsAndPorts"),
            nat_trav_msg_type: f("Nat-Trav-Msg-Type"),
            capabilities_flags: f("Capabilities-Flags"),
        }
    }

    /// One line for the dialogue, in the display form (nothing from the wire can act on a
    /// terminal): `SLP`, the start line as sent, the content type's name in parentheses, then
    /// what the body says:
    ///
    /// * `SLP INVITE MSNMSGR:bob@hotmail.com MSNSLP/1.0 (session request): display
    ///   picture/emoticon, session 1980589, display picture "Bob"`
    /// * `SLP INVITE MSNMSGR:bob@hotmail.com MSNSLP/1.0 (session request): file transfer,
    ///   session 7, file "..\\..\\evil\u{202E}gnp.exe" (123456789012 bytes)`
    /// * `SLP MSNSLP/1.0 200 OK (session request): session 1980589`
    /// * `SLP MSNSLP/1.0 603 Decline (session request): session 1980589`
    /// * `SLP BYE MSNMSGR:alice@hotmail.com MSNSLP/1.0 (session close)`
    /// * a transport request or response: `bridges TCPv1 SBBridge`, or `bridge TCPv1,
    ///   listening true, external 10.0.0.10 1.2.3.4, port 2433, internal ..., port ...`
    /// * a context that does not decode: `context: the context is not valid base64`.
    pub fn summary(&self) -> String {
        let mut out = format!("SLP {}", self.start);
        if let Some(name) = self.content_type().and_then(ContentType::name)
            && name != "null"
        {
            let _ = write!(out, " ({name})");
        }
        let mut parts: Vec<String> = Vec::new();
        if let Some(guid) = self.euf_guid() {
            parts.push(match EufGuid::from_guid(guid) {
                Some(app) => app.name().to_owned(),
                None => format!("application {guid}"),
            });
        }
        if let Some(id) = self.field("SessionID") {
            parts.push(format!("session {id}"));
        }
        match self.context() {
            Some(Ok(Context::MsnObject(o))) => {
                let kind = o.kind().map_or_else(
                    || format!("msnobject type {}", o.attribute("Type").unwrap_or("?")),
                    |t| {
                        t.name()
                            .map_or(format!("msnobject type {}", t.0), str::to_owned)
                    },
                );
                match o.friendly() {
                    Some(Ok(name)) if !name.is_empty() => parts.push(format!("{kind} \"{name}\"")),
                    _ => parts.push(kind),
                }
            }
            Some(Ok(Context::File(c))) => {
                parts.push(format!("file \"{}\" ({} bytes)", c.name(), c.file_size))
            }
            Some(Ok(Context::Other(_))) => {}
            Some(Err(e)) => parts.push(format!("context: {e}")),
            None => {}
        }
        let t = self.transport();
        for (label, value) in [
            ("bridges", t.bridges),
            ("bridge", t.bridge),
            ("listening", t.listening),
            ("external", t.external_addrs),
            ("port", t.external_port),
            ("internal", t.internal_addrs),
            ("port", t.internal_port),
        ] {
            if let Some(v) = value {
                parts.push(format!("{label} {v}"));
            }
        }
        if !parts.is_empty() {
            out.push_str(": ");
            out.push_str(&parts.join(", "));
        }
        one_line(&out)
    }
}

/// The direct-connection fields of a transport request or response (reference §6.3), as
/// sent (data form); reversed WLM lines are already the right way round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transport<'a> {
    /// `TCPv1`, `TCPv1 SBBridge`...
    pub bridges: Option<&'a str>,
    pub bridge: Option<&'a str>,
    pub net_id: Option<&'a str>,
    pub conn_type: Option<&'a str>,
    pub tcp_conn_type: Option<&'a str>,
    pub upnp_nat: Option<&'a str>,
    pub icf: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub hashed_nonce: Option<&'a str>,
    pub listening: Option<&'a str>,
    pub external_addrs: Option<&'a str>,
    pub external_port: Option<&'a str>,
    pub internal_addrs: Option<&'a str>,
    pub internal_port: Option<&'a str>,
    pub external_addrs_and_ports: Option<&'a str>,
    pub internal_addrs_and_ports: Option<&'a str>,
    pub nat_trav_msg_type: Option<&'a str>,
    pub capabilities_flags: Option<&'a str>,
}

impl Transport<'_> {
    /// `Listening: true` / `false` (without case).
    pub fn is_listening(&self) -> Option<bool> {
        let v = self.listening?;
        if v.eq_ignore_ascii_case("true") {
            Some(true)
        } else if v.eq_ignore_ascii_case("false") {
            Some(false)
        } else {
            None
        }
    }

    /// The addresses and the port to connect to from outside the sender's network.
    pub fn external(&self) -> (Vec<&str>, Option<u16>) {
        addresses(self.external_addrs, self.external_port)
    }

    /// The same inside the sender's network.
    pub fn internal(&self) -> (Vec<&str>, Option<u16>) {
        addresses(self.internal_addrs, self.internal_port)
    }
}

fn addresses<'a>(addrs: Option<&'a str>, port: Option<&str>) -> (Vec<&'a str>, Option<u16>) {
    let addrs = addrs.map_or_else(Vec::new, |a| a.split_ascii_whitespace().collect());
    (addrs, port.and_then(|p| p.trim().parse().ok()))
}

// ---------------------------------------------------------------------------------------------
// Contexts

/// Which decoding a `Context` gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextKind {
    MsnObject,
    File,
    /// Webcam and other applications: base64 only.
    Other,
}

/// A decoded `Context`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Context {
    MsnObject(MsnObject),
    File(FileContext),
    /// The decoded bytes of a context this module does not read further.
    Other(Vec<u8>),
}

/// Base64 as clients write it: the standard alphabet, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

fn base64(text: &str) -> Result<Vec<u8>, ContextError> {
    BASE64.decode(text.trim()).map_err(|_| ContextError::Base64)
}

/// Decodes a `Context` value: base64, then an MSNObject or a file context as `kind` says.
pub fn decode_context(value: &str, kind: ContextKind) -> Result<Context, ContextError> {
    let bytes = base64(value)?;
    match kind {
        ContextKind::MsnObject => parse_msnobject(&bytes).map(Context::MsnObject),
        ContextKind::File => parse_file_context(&bytes).map(Context::File),
        ContextKind::Other => Ok(Context::Other(bytes)),
    }
}

/// UTF-16 code units to text in the data form: a backslash doubled, an unpaired surrogate
/// written `\u{D800}`.
pub fn utf16_text(units: &[u16]) -> String {
    let mut out = String::with_capacity(units.len());
    for c in char::decode_utf16(units.iter().copied()) {
        match c {
            Ok('\\') => out.push_str("\\\\"),
            Ok(c) => out.push(c),
            Err(e) => {
                let _ = write!(out, "\\u{{{:X}}}", e.unpaired_surrogate());
            }
        }
    }
    out
}

/// Little-endian UTF-16 bytes to code units; an odd length is an error.
pub fn utf16le_units(bytes: &[u8]) -> Result<Vec<u16>, ContextError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(ContextError::OddUtf16 { len: bytes.len() });
    }
    Ok(bytes
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect())
}

/// An MSNObject: the attributes of its `<msnobj .../>` element (reference §5.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsnObject {
    /// (name, value) in order, as sent (data form; XML entities are not decoded), at most
    /// [`MAX_MSNOBJ_ATTRIBUTES`].
    pub attributes: Vec<(String, String)>,
    /// Attributes past the cap.
    pub dropped: usize,
}

impl MsnObject {
    /// The first attribute of that name (compared without case).
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The handle of the object's owner.
    pub fn creator(&self) -> Option<&str> {
        self.attribute("Creator")
    }

    /// The size of the object's data in bytes.
    pub fn size(&self) -> Option<u64> {
        self.attribute("Size")?.trim().parse().ok()
    }

    pub fn kind(&self) -> Option<MsnObjectType> {
        self.attribute("Type")?
            .trim()
            .parse()
            .ok()
            .map(MsnObjectType)
    }

    pub fn location(&self) -> Option<&str> {
        self.attribute("Location")
    }

    /// The base64 SHA-1 of the data.
    pub fn sha1d(&self) -> Option<&str> {
        self.attribute("SHA1D")
    }

    /// The base64 SHA-1 of the other fields.
    pub fn sha1c(&self) -> Option<&str> {
        self.attribute("SHA1C")
    }

    /// The `Friendly` name: base64 of UTF-16LE, trailing NULs removed, in the data form.
    pub fn friendly(&self) -> Option<Result<String, ContextError>> {
        let raw = self.attribute("Friendly")?;
        Some(base64(raw).and_then(|b| {
            let mut units = utf16le_units(&b)?;
            while units.last() == Some(&0) {
                units.pop();
            }
            Ok(utf16_text(&units))
        }))
    }
}

/// Reads the `<msnobj .../>` element in `bytes` (an SLP context's decoded text, an emoticon
/// body, a URL-decoded presence field). Attribute values may be quoted with `"` or `'`.
pub fn parse_msnobject(bytes: &[u8]) -> Result<MsnObject, ContextError> {
    const TAG: &[u8] = b"<msnobj";
    let start = bytes
        .windows(TAG.len())
        .position(|w| w.eq_ignore_ascii_case(TAG))
        .ok_or(ContextError::NotMsnObject)?;
    let mut at = start + TAG.len();
    let syntax = |at| ContextError::MsnObjectSyntax { at };
    let mut attributes = Vec::new();
    let mut dropped = 0;
    let at_end = |at: usize| bytes.get(at).copied();
    // The tag name must end here.
    match at_end(at) {
        Some(b) if b.is_ascii_whitespace() || b == b'/' || b == b'>' => {}
        _ => return Err(syntax(at)),
    }
    loop {
        while at_end(at).is_some_and(|b| b.is_ascii_whitespace()) {
            at += 1;
        }
        match at_end(at) {
            None => return Err(syntax(at)),
            Some(b'/' | b'>') => break,
            Some(_) => {}
        }
        let name_start = at;
        while at_end(at).is_some_and(|b| !b.is_ascii_whitespace() && !b"=/>".contains(&b)) {
            at += 1;
        }
        let name = bytes.get(name_start..at).unwrap_or_default();
        while at_end(at).is_some_and(|b| b.is_ascii_whitespace()) {
            at += 1;
        }
        if at_end(at) != Some(b'=') {
            return Err(syntax(at));
        }
        at += 1;
        while at_end(at).is_some_and(|b| b.is_ascii_whitespace()) {
            at += 1;
        }
        let quote = match at_end(at) {
            Some(q @ (b'"' | b'\'')) => q,
            _ => return Err(syntax(at)),
        };
        let value_start = at + 1;
        let len = bytes
            .get(value_start..)
            .and_then(|rest| rest.iter().position(|&b| b == quote))
            .ok_or(syntax(at))?;
        let value = bytes
            .get(value_start..value_start + len)
            .unwrap_or_default();
        at = value_start + len + 1;
        if attributes.len() < MAX_MSNOBJ_ATTRIBUTES {
            attributes.push((escape_field(name), escape_field(value)));
        } else {
            dropped += 1;
        }
    }
    Ok(MsnObject {
        attributes,
        dropped,
    })
}

/// Where the file name starts in a file-transfer context.
const FILE_NAME_AT: usize = 20;
/// Bytes of the file name field: 260 UTF-16 units.
const FILE_NAME_LEN: usize = 520;
/// Where the file name ends: the least length [`parse_file_context`] reads.
const FILE_NAME_END: usize = FILE_NAME_AT + FILE_NAME_LEN;
/// Where the `0xFFFFFFFF` word sits.
const FILE_MARKER_AT: usize = 570;
/// The base structure's length; the preview follows it (or the header length, in version 3).
const FILE_BASE_LEN: usize = 574;

/// The binary context of a file-transfer INVITE (reference §6.4, little-endian).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileContext {
    /// As sent: 574 in version 2 (not to be relied on), 637 or 638 in version 3.
    pub header_length: u32,
    /// 2 (MSN 6 and 7) or 3 (WLM).
    pub version: u32,
    pub file_size: u64,
    /// 0: a preview image follows; 1: no preview; other values for backgrounds.
    pub kind: u32,
    /// The file name's UTF-16 units, up to the first NUL.
    pub name_units: Vec<u16>,
    /// Units other than NUL follow the first NUL in the name field: text the receiving
    /// client does not show.
    pub hidden_after_nul: bool,
    /// The word at byte 570 (libpurple writes 0xFFFFFFFF), when the context reaches it.
    pub marker: Option<u32>,
    /// The preview image when `kind` is 0: the bytes after the header length (when it lies
    /// between 574 and the end) or after the 574-byte base.
    pub preview: Vec<u8>,
}

impl FileContext {
    /// The file name in the data form (backslashes doubled, an unpaired surrogate as
    /// `\u{D800}`); show it with [`crate::escape::one_line`].
    pub fn name(&self) -> String {
        utf16_text(&self.name_units)
    }
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_le_bytes(b))
}

/// Reads a file-transfer context (already base64-decoded). Only the fixed fields and the
/// whole name field are required; the rest is read when present.
pub fn parse_file_context(bytes: &[u8]) -> Result<FileContext, ContextError> {
    let short = ContextError::FileContextShort { have: bytes.len() };
    let name_field = bytes.get(FILE_NAME_AT..FILE_NAME_END).ok_or(short)?;
    let header_length = le_u32(bytes, 0).ok_or(short)?;
    let version = le_u32(bytes, 4).ok_or(short)?;
    let size_lo = le_u32(bytes, 8).ok_or(short)?;
    let size_hi = le_u32(bytes, 12).ok_or(short)?;
    let kind = le_u32(bytes, 16).ok_or(short)?;
    let units = utf16le_units(name_field)?;
    let nul = units.iter().position(|&u| u == 0).unwrap_or(units.len());
    let hidden_after_nul = units.get(nul..).is_some_and(|r| r.iter().any(|&u| u != 0));
    let preview = if kind == 0 {
        let from = match usize::try_from(header_length) {
            Ok(n) if (FILE_BASE_LEN..=bytes.len()).contains(&n) => n,
            _ => FILE_BASE_LEN,
        };
        bytes.get(from..).unwrap_or_default().to_vec()
    } else {
        Vec::new()
    };
    Ok(FileContext {
        header_length,
        version,
        file_size: u64::from(size_lo) | (u64::from(size_hi) << 32),
        kind,
        name_units: units.get(..nul).unwrap_or_default().to_vec(),
        hidden_after_nul,
        marker: le_u32(bytes, FILE_MARKER_AT),
        preview,
    })
}

#[cfg(test)]
mod tests;
