//! Tests of MSNSLP: the reference's samples (§6.3), a file-transfer INVITE with a hostile
//! name, broken base64 and odd UTF-16, and arbitrary bytes.

use super::*;
use crate::escape::is_hidden;
use crate::msnc::p2p::{self, SlpReassembler, V1Header};
use proptest::prelude::*;

/// Joins lines with `\r\n`.
fn crlf(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

/// An SLP message: start line, headers (Content-Length added from the body), empty line,
/// body.
fn slp(start: &str, headers: &[&str], body: &str) -> Vec<u8> {
    let mut text = crlf(&[start]);
    text.push_str(&crlf(headers));
    text.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    text.push_str(body);
    text.into_bytes()
}

/// The MSNObject of a display picture, base64 as an INVITE's `Context:` carries it: its
/// `Friendly` is "Bob" in UTF-16LE with a NUL, and the XML ends with a NUL.
const DP_CONTEXT: &str = "PG1zbm9iaiBDcmVhdG9yPSJib2JAaG90bWFpbC5jb20iIFNpemU9IjI0NTM5IiBUeXBlPSIzIiBMb2NhdGlvbj0iVEZSMkMudG1wIiBGcmllbmRseT0iUWdCdkFHSUFBQUE9IiBTSEExRD0idHJDOFNsRngyc1dReFpNSUJBV1NFblhjOG9RPSIgU0hBMUM9IlUzMm82Ym9zWnpsdUpxODJlQXRNcHg1ZElFST0iLz4A";

const BRANCH: &str = "{33517CE4-02FC-4428-B6F4-39927229B722}";
const CALL_ID: &str = "{9D79AE57-1BD5-444B-B14E-3FC9BB2B5D58}";

fn dp_invite() -> Vec<u8> {
    slp(
        "INVITE MSNMSGR:bob@hotmail.com MSNSLP/1.0",
        &[
            "To: <msnmsgr:bob@hotmail.com>",
            "From: <msnmsgr:alice@hotmail.com>",
            &format!("Via: MSNSLP/1.0/TLP ;branch={BRANCH}"),
            "CSeq: 0 ",
            &format!("Call-ID: {CALL_ID}"),
            "Max-Forwards: 0",
            "Content-Type: application/x-msnmsgr-sessionreqbody",
        ],
        &format!(
            "EUF-GUID: {{A4268EEC-FEC5-49E5-95C3-F126696BDBF6}}\r\nSessionID: 1980589\r\nAppID: 1\r\nContext: {DP_CONTEXT}\r\n\r\n\0"
        ),
    )
}

fn reply(start: &str, content_type: &str, body: &str) -> Vec<u8> {
    slp(
        start,
        &[
            "To: <msnmsgr:alice@hotmail.com>",
            "From: <msnmsgr:bob@hotmail.com>",
            &format!("Via: MSNSLP/1.0/TLP ;branch={BRANCH}"),
            "CSeq: 1 ",
            &format!("Call-ID: {CALL_ID}"),
            "Max-Forwards: 0",
            &format!("Content-Type: {content_type}"),
        ],
        body,
    )
}

#[test]
fn a_display_picture_invite_is_read_field_by_field() {
    let m = parse(&dp_invite()).expect("SLP");
    assert_eq!(
        m.start,
        StartLine::Request {
            method: Method::Invite,
            target: "MSNMSGR:bob@hotmail.com".into(),
            version: "MSNSLP/1.0".into(),
        }
    );
    assert_eq!(m.to(), Some("<msnmsgr:bob@hotmail.com>"));
    assert_eq!(m.to().map(address_handle), Some("bob@hotmail.com"));
    assert_eq!(m.from().map(address_handle), Some("alice@hotmail.com"));
    assert_eq!(
        m.via(),
        Some(Via {
            transport: "MSNSLP/1.0/TLP",
            branch: Some(BRANCH)
        })
    );
    assert_eq!(m.cseq(), Some(0));
    assert_eq!(m.call_id(), Some(CALL_ID));
    assert_eq!(m.max_forwards(), Some(0));
    assert_eq!(m.content_type(), Some(ContentType::SessionRequest));
    assert_eq!(m.content_length(), Some(330));
    assert_eq!(m.body_len, 330);
    assert_eq!(m.length_matches(), Some(true));
    assert!(m.blank_line);
    assert_eq!(m.dropped_lines, 0);
    assert_eq!(m.application(), Some(EufGuid::MsnObject));
    assert_eq!(m.session_id(), Some(1_980_589));
    assert_eq!(m.app_id(), Some(AppId::MSNOBJECT));
    assert_eq!(m.context_kind(), ContextKind::MsnObject);
    let Some(Ok(Context::MsnObject(o))) = m.context() else {
        panic!("an MSNObject: {:?}", m.context());
    };
    assert_eq!(o.creator(), Some("bob@hotmail.com"));
    assert_eq!(o.size(), Some(24539));
    assert_eq!(o.kind(), Some(MsnObjectType(3)));
    assert_eq!(
        o.kind().and_then(MsnObjectType::name),
        Some("display picture")
    );
    assert_eq!(o.location(), Some("TFR2C.tmp"));
    assert_eq!(o.attribute("friendly"), Some("QgBvAGIAAAA="));
    assert_eq!(o.friendly(), Some(Ok("Bob".to_owned())));
    assert_eq!(o.sha1d(), Some("trC8SlFx2sWQxZMIBAWSEnXc8oQ="));
    assert_eq!(o.sha1c(), Some("U32o6bosZzluJq82eAtMpx5dIEI="));
    assert_eq!(o.attributes.len(), 7);
    assert_eq!(
        m.summary(),
        "SLP INVITE MSNMSGR:bob@hotmail.com MSNSLP/1.0 (session request): display picture/emoticon, session 1980589, display picture \"Bob\""
    );
}

#[test]
fn the_reference_sample_context_decodes_to_its_shortened_msnobject() {
    // §6.3's own sample, with its MSNObject cut short to `...`: not a whole element.
    let raw = "PG1zbm9iaiBDcmVhdG9yPSJib2JAaG90bWFpbC5jb20iIC4uLi8+AA==";
    assert_eq!(
        decode_context(raw, ContextKind::Other),
        Ok(Context::Other(
            b"<msnobj Creator=\"bob@hotmail.com\" .../>\0".to_vec()
        ))
    );
    assert_eq!(
        decode_context(raw, ContextKind::MsnObject),
        Err(ContextError::MsnObjectSyntax { at: 37 })
    );
}

#[test]
fn replies_and_bye() {
    let ok = parse(&reply(
        "MSNSLP/1.0 200 OK",
        "application/x-msnmsgr-sessionreqbody",
        "SessionID: 1980589\r\n\r\n\0",
    ))
    .expect("SLP");
    assert_eq!(
        ok.start,
        StartLine::Response {
            version: "MSNSLP/1.0".into(),
            status: Status::OK,
            reason: "OK".into()
        }
    );
    assert_eq!(ok.cseq(), Some(1));
    assert_eq!(ok.session_id(), Some(1_980_589));
    assert_eq!(ok.length_matches(), Some(true));
    assert_eq!(ok.via().and_then(|v| v.branch), Some(BRANCH));
    assert_eq!(
        ok.summary(),
        "SLP MSNSLP/1.0 200 OK (session request): session 1980589"
    );

    let decline = parse(&reply(
        "MSNSLP/1.0 603 Decline",
        "application/x-msnmsgr-sessionreqbody",
        "SessionID: 1980589\r\n\r\n\0",
    ))
    .expect("SLP");
    let StartLine::Response { status, .. } = decline.start else {
        panic!("a response");
    };
    assert_eq!((status, status.name()), (Status::DECLINE, Some("Decline")));
    assert_eq!(
        decline.summary(),
        "SLP MSNSLP/1.0 603 Decline (session request): session 1980589"
    );

    let error = parse(b"MSNSLP/1.0 500 Internal Error\r\n\r\n").expect("SLP");
    assert_eq!(
        error.start.to_string(),
        "MSNSLP/1.0 500 Internal Error",
        "a reason with a space"
    );
    assert_eq!(Status(500).name(), Some("Internal Error"));
    assert_eq!(Status(404).name(), None);

    let bye = parse(&slp(
        "BYE MSNMSGR:alice@hotmail.com MSNSLP/1.0",
        &[
            "To: <msnmsgr:alice@hotmail.com>",
            "From: <msnmsgr:bob@hotmail.com>",
            "Via: MSNSLP/1.0/TLP ;branch={A0D624A6-6C0C-4283-A9E0-BC97B4B46D32}",
            "CSeq: 0 ",
            &format!("Call-ID: {CALL_ID}"),
            "Max-Forwards: 0",
            "Content-Type: application/x-msnmsgr-sessionclosebody",
        ],
        "\r\n\0",
    ))
    .expect("SLP");
    assert!(matches!(
        bye.start,
        StartLine::Request {
            method: Method::Bye,
            ..
        }
    ));
    assert_eq!(bye.content_type(), Some(ContentType::SessionClose));
    assert!(bye.body.is_empty());
    assert_eq!(bye.body_len, 3);
    assert_eq!(
        bye.summary(),
        "SLP BYE MSNMSGR:alice@hotmail.com MSNSLP/1.0 (session close)"
    );
}

/// A file-transfer context: `version`, `size`, `kind` and the name's UTF-16 units, padded
/// to the 574-byte base (or to `header_length` when longer), then `preview`.
fn file_context(
    version: u32,
    size: u64,
    kind: u32,
    name: &[u16],
    header_length: u32,
    preview: &[u8],
) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&header_length.to_le_bytes());
    b.extend_from_slice(&version.to_le_bytes());
    b.extend_from_slice(&size.to_le_bytes());
    b.extend_from_slice(&kind.to_le_bytes());
    for u in name {
        b.extend_from_slice(&u.to_le_bytes());
    }
    b.resize(540, 0);
    b.resize(570, 0);
    b.extend_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    b.resize((header_length as usize).max(574), 0);
    b.extend_from_slice(preview);
    b
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

const EVIL: &str = "..\\..\\evil\u{202E}gnp.exe";

fn ft_invite(context: &str) -> Vec<u8> {
    slp(
        "INVITE MSNMSGR:bob@hotmail.com MSNSLP/1.0",
        &[
            "To: <msnmsgr:bob@hotmail.com>",
            "From: <msnmsgr:mallory@hotmail.com>",
            "Via: MSNSLP/1.0/TLP ;branch={2B8B2C9B-7F43-4FC4-9A0D-7C1C0C1E5D11}",
            "CSeq: 0 ",
            "Call-ID: {7BC4C7B4-8C13-4B8D-8F3A-6C2D1E0F9A01}",
            "Max-Forwards: 0",
            "Content-Type: application/x-msnmsgr-sessionreqbody",
        ],
        &format!(
            "EUF-GUID: {{5D3E02AB-6190-11D3-BBBB-00C04F795683}}\r\nSessionID: 7\r\nAppID: 2\r\nContext: {context}\r\n\r\n\0"
        ),
    )
}

#[test]
fn a_file_transfer_invite_keeps_a_hostile_name_as_data() {
    let name: Vec<u16> = EVIL.encode_utf16().collect();
    let ctx = file_context(2, 123_456_789_012, 1, &name, 574, &[]);
    assert_eq!(ctx.len(), 574);
    let m = parse(&ft_invite(&b64(&ctx))).expect("SLP");
    assert_eq!(m.application(), Some(EufGuid::FileTransfer));
    assert_eq!(m.app_id(), Some(AppId::FILE));
    let Some(Ok(Context::File(f))) = m.context() else {
        panic!("a file context: {:?}", m.context());
    };
    assert_eq!(f.header_length, 574);
    assert_eq!(f.version, 2);
    assert_eq!(f.file_size, 123_456_789_012, "a u64, past 4 GiB");
    assert_eq!(f.kind, 1);
    assert_eq!(f.name_units, name, "the units as sent, NUL padding trimmed");
    assert!(!f.hidden_after_nul);
    assert_eq!(f.marker, Some(0xFFFF_FFFF));
    assert!(f.preview.is_empty());
    // The data form: the backslashes doubled, the override kept as a character.
    assert_eq!(f.name(), "..\\\\..\\\\evil\u{202E}gnp.exe");
    assert_eq!(crate::escape::unescape_field(&f.name()), EVIL.as_bytes());
    // The summary shows it inert: the override spelt out.
    let s = m.summary();
    assert_eq!(
        s,
        r#"SLP INVITE MSNMSGR:bob@hotmail.com MSNSLP/1.0 (session request): file transfer, session 7, file "..\\..\\evil\u{202E}gnp.exe" (123456789012 bytes)"#
    );
    assert!(!s.chars().any(is_hidden));
}

#[test]
fn file_contexts_are_read_loosely() {
    // Version 3 with a 638-byte header and a preview after it.
    let name: Vec<u16> = "a.txt".encode_utf16().collect();
    let ctx = file_context(3, 0, 0, &name, 638, b"\x89PNG");
    let f = parse_file_context(&ctx).expect("context");
    assert_eq!((f.version, f.header_length, f.kind), (3, 638, 0));
    assert_eq!(f.name(), "a.txt");
    assert_eq!(f.preview, b"\x89PNG");
    // A header length that does not fit: the preview follows the 574-byte base.
    let mut ctx = file_context(2, 5, 0, &name, 574, b"img");
    ctx[..4].copy_from_slice(&9999u32.to_le_bytes());
    assert_eq!(parse_file_context(&ctx).expect("context").preview, b"img");
    // Only the name field is required; the marker is read when it is there.
    let short = &file_context(2, 5, 1, &name, 574, &[])[..540];
    let f = parse_file_context(short).expect("context");
    assert_eq!((f.name().as_str(), f.marker), ("a.txt", None));
    assert_eq!(
        parse_file_context(&short[..539]),
        Err(ContextError::FileContextShort { have: 539 })
    );
    assert_eq!(
        parse_file_context(&[]),
        Err(ContextError::FileContextShort { have: 0 })
    );
}

#[test]
fn file_names_with_hidden_parts_and_broken_utf16() {
    // Text after the first NUL is not part of the name the client shows, but is flagged.
    let mut units: Vec<u16> = "photo.jpg".encode_utf16().collect();
    units.push(0);
    units.extend("evil.exe".encode_utf16());
    let f = parse_file_context(&file_context(2, 1, 1, &units, 574, &[])).expect("context");
    assert_eq!(f.name(), "photo.jpg");
    assert!(f.hidden_after_nul);
    // An unpaired surrogate, a control character and a newline: kept, in the data form.
    let units = [0x61, 0xD800, 0x62, 0x1B, 0x0A, 0xDC00];
    let f = parse_file_context(&file_context(2, 1, 1, &units, 574, &[])).expect("context");
    assert_eq!(f.name(), "a\\u{D800}b\u{1b}\n\\u{DC00}");
    assert_eq!(one_line(&f.name()), "a\\u{D800}b\\x1B\\x0A\\u{DC00}");
}

#[test]
fn broken_base64_and_odd_utf16_are_typed_errors() {
    let m = parse(&ft_invite("fgIAAAMAAAA!!not base64")).expect("SLP");
    assert_eq!(m.context(), Some(Err(ContextError::Base64)));
    assert_eq!(
        m.summary(),
        "SLP INVITE MSNMSGR:bob@hotmail.com MSNSLP/1.0 (session request): file transfer, session 7, context: the context is not valid base64"
    );
    assert_eq!(ContextError::Base64.anomaly_name(), "slp.bad_base64");
    // Base64 of a context too short for the name.
    let m = parse(&ft_invite(&b64(b"short"))).expect("SLP");
    assert_eq!(
        m.context(),
        Some(Err(ContextError::FileContextShort { have: 5 }))
    );
    // Padding is optional, as some clients leave it out.
    assert_eq!(
        decode_context("QgBvAGIA", ContextKind::Other),
        Ok(Context::Other(b"B\0o\0b\0".to_vec()))
    );
    // Friendly of three bytes: odd UTF-16.
    let obj = parse_msnobject(b"<msnobj Friendly=\"QgBv\" Type=\"2\"/>").expect("msnobj");
    assert_eq!(obj.friendly(), Some(Err(ContextError::OddUtf16 { len: 3 })));
    assert_eq!(
        utf16le_units(b"abc"),
        Err(ContextError::OddUtf16 { len: 3 })
    );
    assert_eq!(utf16le_units(b"a\0b\0"), Ok(vec![0x61, 0x62]));
    let obj = parse_msnobject(b"<msnobj Friendly=\"%%%\"/>").expect("msnobj");
    assert_eq!(obj.friendly(), Some(Err(ContextError::Base64)));
    // Friendly "AAA=" is one NUL: the empty name.
    let obj = parse_msnobject(b"<msnobj Friendly=\"AAA=\"/>").expect("msnobj");
    assert_eq!(obj.friendly(), Some(Ok(String::new())));
}

#[test]
fn msnobject_syntax() {
    let o =
        parse_msnobject(b"junk <MSNOBJ Creator='a@b' Size = \"12\" Type=\"99\">").expect("msnobj");
    assert_eq!(o.creator(), Some("a@b"));
    assert_eq!(o.size(), Some(12));
    assert_eq!(o.kind(), Some(MsnObjectType(99)));
    assert_eq!(MsnObjectType(99).name(), None);
    assert_eq!(
        parse_msnobject(b"<img src=x>"),
        Err(ContextError::NotMsnObject)
    );
    assert_eq!(
        parse_msnobject(b"<msnobjx Creator=\"a\"/>"),
        Err(ContextError::MsnObjectSyntax { at: 7 })
    );
    assert_eq!(
        parse_msnobject(b"<msnobj Creator=\"a"),
        Err(ContextError::MsnObjectSyntax { at: 16 })
    );
    assert_eq!(
        parse_msnobject(b"<msnobj Creator"),
        Err(ContextError::MsnObjectSyntax { at: 15 })
    );
    assert_eq!(
        parse_msnobject(b"<msnobj Creator=a/>"),
        Err(ContextError::MsnObjectSyntax { at: 16 })
    );
    // Values are kept as sent: invalid UTF-8 escaped, entities not decoded.
    let o = parse_msnobject(b"<msnobj Location=\"a&amp;b\xff\"/>").expect("msnobj");
    assert_eq!(o.location(), Some("a&amp;b\\xFF"));
    // Past the cap, attributes are counted, not kept.
    let mut many = b"<msnobj".to_vec();
    for i in 0..MAX_MSNOBJ_ATTRIBUTES + 5 {
        many.extend_from_slice(format!(" A{i}=\"{i}\"").as_bytes());
    }
    many.extend_from_slice(b"/>");
    let o = parse_msnobject(&many).expect("msnobj");
    assert_eq!((o.attributes.len(), o.dropped), (MAX_MSNOBJ_ATTRIBUTES, 5));
    for (t, name) in [
        (2, "custom emoticon"),
        (3, "display picture"),
        (5, "background"),
        (7, "dynamic display picture"),
        (8, "wink"),
        (11, "voice clip"),
        (12, "saved state"),
    ] {
        assert_eq!(MsnObjectType(t).name(), Some(name));
    }
}

#[test]
fn euf_guids_are_named_without_regard_to_case() {
    for (guid, app) in [
        ("{A4268EEC-FEC5-49E5-95C3-F126696BDBF6}", EufGuid::MsnObject),
        (
            "{5D3E02AB-6190-11D3-BBBB-00C04F795683}",
            EufGuid::FileTransfer,
        ),
        (
            "{4BD96FC0-AB17-4425-A14A-439185962DC8}",
            EufGuid::WebcamPush,
        ),
        (
            "{1C9AA97E-9C05-4583-A3BD-908A196F1E92}",
            EufGuid::WebcamPull,
        ),
        (
            "{41D3E74E-04A2-4B37-96F8-08ACDB610874}",
            EufGuid::PhotoSharing,
        ),
        (
            "{6A13AF9C-5308-4F35-923A-67E8DDA40C2F}",
            EufGuid::Activities,
        ),
    ] {
        assert_eq!(EufGuid::from_guid(guid), Some(app));
        assert_eq!(EufGuid::from_guid(&guid.to_lowercase()), Some(app));
        assert_eq!(app.guid(), guid);
        assert!(!app.name().is_empty());
    }
    assert_eq!(
        EufGuid::from_guid("{00000000-0000-0000-0000-000000000000}"),
        None
    );
    // An unknown application keeps its GUID in the summary, and its context as bytes.
    let body = format!(
        "EUF-GUID: {{12345678-0000-0000-0000-000000000000}}\r\nContext: {}\r\n\0",
        b64(b"cam")
    );
    let m = parse(&slp("INVITE MSNMSGR:b@x MSNSLP/1.0", &[], &body)).expect("SLP");
    assert_eq!(m.context(), Some(Ok(Context::Other(b"cam".to_vec()))));
    assert_eq!(
        m.summary(),
        "SLP INVITE MSNMSGR:b@x MSNSLP/1.0: application {12345678-0000-0000-0000-000000000000}"
    );
    // Without an EUF-GUID, the AppID decides.
    let body = format!("AppID: 12\r\nContext: {DP_CONTEXT}\r\n\0");
    let m = parse(&slp("INVITE MSNMSGR:b@x MSNSLP/1.0", &[], &body)).expect("SLP");
    assert_eq!(m.context_kind(), ContextKind::MsnObject);
    assert!(matches!(m.context(), Some(Ok(Context::MsnObject(_)))));
}

#[test]
fn content_types_are_named() {
    for (text, t, name) in [
        (
            "application/x-msnmsgr-sessionreqbody",
            ContentType::SessionRequest,
            Some("session request"),
        ),
        (
            "application/x-msnmsgr-transreqbody",
            ContentType::TransportRequest,
            Some("transport request"),
        ),
        (
            "application/x-msnmsgr-transrespbody",
            ContentType::TransportResponse,
            Some("transport response"),
        ),
        (
            "application/x-msnmsgr-transdestaddrupdate",
            ContentType::AddressUpdate,
            Some("address update"),
        ),
        (
            "application/x-msnmsgr-sessionclosebody",
            ContentType::SessionClose,
            Some("session close"),
        ),
        ("null", ContentType::Null, Some("null")),
        ("text/plain", ContentType::Other, None),
    ] {
        assert_eq!(ContentType::from_header(text), t);
        assert_eq!(
            ContentType::from_header(&format!(" {} ; x=y", text.to_uppercase())),
            t
        );
        assert_eq!(t.name(), name);
    }
}

#[test]
fn transport_requests_and_reversed_wlm_fields() {
    let req = slp(
        "INVITE MSNMSGR:bob@hotmail.com MSNSLP/1.0",
        &["Content-Type: application/x-msnmsgr-transreqbody"],
        "Bridges: TCPv1 SBBridge\r\nNetID: -1388627126\r\nConn-Type: IP-Restrict-NAT\r\nTCP-Conn-Type: Symmetric-NAT\r\nUPnPNat: false\r\nICF: false\r\nHashed-Nonce: {2B95F56D-9CA0-9A64-82CE-ADC1F3C55845}\r\nSessionID: 7\r\n\r\n\0",
    );
    let m = parse(&req).expect("SLP");
    let t = m.transport();
    assert_eq!(t.bridges, Some("TCPv1 SBBridge"));
    assert_eq!(t.net_id, Some("-1388627126"));
    assert_eq!(t.conn_type, Some("IP-Restrict-NAT"));
    assert_eq!(t.tcp_conn_type, Some("Symmetric-NAT"));
    assert_eq!((t.upnp_nat, t.icf), (Some("false"), Some("false")));
    assert_eq!(
        t.hashed_nonce,
        Some("{2B95F56D-9CA0-9A64-82CE-ADC1F3C55845}")
    );
    assert_eq!(
        m.summary(),
        "SLP INVITE MSNMSGR:bob@hotmail.com MSNSLP/1.0 (transport request): session 7, bridges TCPv1 SBBridge"
    );

    // WLM 2009 writes the address fields reversed, key and value.
    let resp = reply(
        "MSNSLP/1.0 200 OK",
        "application/x-msnmsgr-transrespbody",
        "Bridge: TCPv1\r\nListening: true\r\nNonce: {2B95F56D-9CA0-9A64-82CE-ADC1F3C55845}\r\nsrddA-lanretxE4vPI: 4.3.2.1 01.0.0.01\r\ntroP-lanretxE4vPI: 3342\r\nIPv4Internal-Addrs: 192.168.1.20\r\nIPv4Internal-Port: 2433\r\n\r\n\0",
    );
    let m = parse(&resp).expect("SLP");
    let f = &m.body[3];
    assert_eq!(
        (f.name.as_str(), f.value.as_str(), f.reversed),
        ("IPv4External-Addrs", "10.0.0.10 1.2.3.4", true)
    );
    assert!(!m.body[5].reversed);
    let t = m.transport();
    assert_eq!(t.is_listening(), Some(true));
    assert_eq!(t.bridge, Some("TCPv1"));
    assert_eq!(t.external(), (vec!["10.0.0.10", "1.2.3.4"], Some(2433)));
    assert_eq!(t.internal(), (vec!["192.168.1.20"], Some(2433)));
    assert_eq!(
        m.summary(),
        "SLP MSNSLP/1.0 200 OK (transport response): bridge TCPv1, listening true, external 10.0.0.10 1.2.3.4, port 2433, internal 192.168.1.20, port 2433"
    );
    assert_eq!(Transport::default().is_listening(), None);
}

#[test]
fn start_lines_that_are_not_slp_are_refused() {
    for bad in [
        &b"HELLO\r\n\r\n"[..],
        b"INVITE MSNMSGR:bob@x\r\n\r\n",
        b"INVITE MSNMSGR:bob@x SIP/2.0\r\n\r\n",
        b"INVITE MSNMSGR:bob@x MSNSLP/1.0 extra\r\n\r\n",
        b"MSNSLP/1.0 20 OK\r\n",
        b"MSNSLP/1.0 2000 OK\r\n",
        b"MSNSLP/1.0\r\n",
        b"MSNSLP/ 200 OK\r\n",
        b"\xff\xfe\r\n",
    ] {
        assert_eq!(parse(bad), Err(SlpError::BadStartLine), "{bad:?}");
    }
    assert_eq!(parse(b""), Err(SlpError::Empty));
    assert_eq!(parse(b"\0\r\n \0"), Err(SlpError::Empty));
    let long = vec![b'a'; MAX_SLP_TEXT + 1];
    assert_eq!(
        parse(&long),
        Err(SlpError::TooLong {
            len: MAX_SLP_TEXT + 1
        })
    );
    assert_eq!(SlpError::BadStartLine.anomaly_name(), "slp.bad_start_line");
    // Other methods and codes are kept.
    let m = parse(b"ACK MSNMSGR:bob@x MSNSLP/1.0\n\n").expect("SLP");
    assert!(
        matches!(m.start, StartLine::Request { method: Method::Other(ref s), .. } if s == "ACK")
    );
    let m = parse(b"MSNSLP/1.0 404\r\n").expect("SLP");
    assert_eq!(m.start.to_string(), "MSNSLP/1.0 404");
    assert!(!m.blank_line);
}

#[test]
fn headers_are_read_leniently_and_capped() {
    // Bare \n line ends, a line without a colon, a value with a colon, invalid UTF-8.
    let m = parse(b"BYE MSNMSGR:b@x MSNSLP/1.0\nTo:<msnmsgr:b@x;{0A1B}>\nnonsense\nCall-ID: a:b\nX: \xff\x1b[31m\n\nk: v\n").expect("SLP");
    assert_eq!(m.to().map(address_handle), Some("b@x"));
    assert_eq!(m.call_id(), Some("a:b"));
    assert_eq!(
        m.header("x"),
        Some("\\xFF\u{1b}[31m"),
        "data form: controls kept for JSON"
    );
    assert_eq!(m.dropped_lines, 1);
    assert_eq!(m.field("K"), Some("v"));
    assert_eq!(m.length_matches(), None, "no Content-Length");
    // A Content-Length that disagrees with the body.
    let m = parse(b"BYE MSNMSGR:b@x MSNSLP/1.0\r\nContent-Length: 10\r\n\r\n\r\n\0").expect("SLP");
    assert_eq!(
        (m.content_length(), m.body_len, m.length_matches()),
        (Some(10), 3, Some(false))
    );
    // Past the caps, lines are counted.
    let mut text = String::from("BYE MSNMSGR:b@x MSNSLP/1.0\r\n");
    for i in 0..MAX_HEADERS + 3 {
        text.push_str(&format!("H{i}: {i}\r\n"));
    }
    text.push_str("\r\n");
    for i in 0..MAX_BODY_FIELDS + 2 {
        text.push_str(&format!("F{i}: {i}\r\n"));
    }
    let m = parse(text.as_bytes()).expect("SLP");
    assert_eq!(
        (m.headers.len(), m.body.len(), m.dropped_lines),
        (MAX_HEADERS, MAX_BODY_FIELDS, 5)
    );
    // The summary of hostile text is one inert line.
    let m = parse(
        b"INVITE MSNMSGR:evil\xe2\x80\xaeexe.png MSNSLP/1.0\r\n\r\nSessionID: 1\x1b[2J\r\n\0",
    )
    .expect("SLP");
    let s = m.summary();
    assert_eq!(
        s,
        "SLP INVITE MSNMSGR:evil\\u{202E}exe.png MSNSLP/1.0: session 1\\x1B[2J"
    );
    assert!(!s.chars().any(is_hidden));
}

#[test]
fn addresses_lose_their_brackets_scheme_and_endpoint() {
    assert_eq!(
        address_handle("<msnmsgr:bob@hotmail.com>"),
        "bob@hotmail.com"
    );
    assert_eq!(
        address_handle("MSNMSGR:bob@hotmail.com;{F2E9}"),
        "bob@hotmail.com"
    );
    assert_eq!(address_handle(" bob@x "), "bob@x");
    assert_eq!(address_handle("<>"), "");
    assert_eq!(address_handle("<msnmsgr:"), "");
}

/// An SLP INVITE sent in three P2P chunks, out of order: put back together, it parses to the
/// same message as the whole text.
#[test]
fn an_invite_split_over_p2p_chunks_reassembles_and_parses() {
    let text = dp_invite();
    let total = text.len() as u64;
    let cuts = [0usize, 150, 300, text.len()];
    let bodies: Vec<Vec<u8>> = cuts
        .windows(2)
        .map(|w| {
            let h = V1Header {
                message_id: 77,
                offset: w[0] as u64,
                total_size: total,
                length: (w[1] - w[0]) as u32,
                ack_id: 0xABCDEF,
                ..V1Header::default()
            };
            let mut b = h.to_bytes().to_vec();
            b.extend_from_slice(&text[w[0]..w[1]]);
            b.extend_from_slice(&0u32.to_be_bytes());
            b
        })
        .collect();
    let mut r = SlpReassembler::new();
    let mut whole = None;
    for i in [2, 0, 1] {
        let packet = p2p::parse_v1(&bodies[i]).expect("packet");
        assert_eq!(packet.footer, Some(AppId::SLP));
        if let Some(done) = r
            .push_v1("bob@hotmail.com", &packet)
            .expect("taken")
            .complete
        {
            whole = Some(done);
        }
    }
    let whole = whole.expect("complete after the third chunk");
    assert_eq!(whole, text);
    assert_eq!(parse(&whole), parse(&text));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(m) = parse(&bytes) {
            let s = m.summary();
            prop_assert!(!s.chars().any(is_hidden), "{:?}", s);
            let _ = (m.via(), m.transport().external(), m.context(), m.length_matches());
        }
        let _ = parse_msnobject(&bytes).map(|o| o.friendly());
        let _ = parse_file_context(&bytes).map(|f| f.name());
        let text = String::from_utf8_lossy(&bytes);
        for kind in [ContextKind::MsnObject, ContextKind::File, ContextKind::Other] {
            let _ = decode_context(&text, kind);
        }
        let _ = address_handle(&text);
    }

    /// Lines built from SLP-looking pieces reach deeper than random bytes do.
    #[test]
    fn slp_shaped_text_never_panics(
        lines in prop::collection::vec(
            prop_oneof![
                Just("INVITE MSNMSGR:a@b MSNSLP/1.0".to_owned()),
                Just("MSNSLP/1.0 200 OK".to_owned()),
                Just("".to_owned()),
                Just("Context: PG1zbm9iaiBDcmVhdG9yPSJ".to_owned()),
                Just(format!("Context: {DP_CONTEXT}")),
                Just("EUF-GUID: {5D3E02AB-6190-11D3-BBBB-00C04F795683}".to_owned()),
                Just("EUF-GUID: {A4268EEC-FEC5-49E5-95C3-F126696BDBF6}".to_owned()),
                Just("AppID: 12".to_owned()),
                Just("srddA-lanretxE4vPI: \u{202e}1.2".to_owned()),
                "[ -~]{0,20}",
                "Context: [A-Za-z0-9+/=]{0,80}",
            ],
            0..12,
        ),
        nul in any::<bool>(),
    ) {
        let mut text = lines.join("\r\n").into_bytes();
        if nul {
            text.push(0);
        }
        if let Ok(m) = parse(&text) {
            let s = m.summary();
            prop_assert!(!s.chars().any(is_hidden), "{:?}", s);
        }
    }

    /// Any UTF-16 name survives the file context: its units up to the first NUL, and text
    /// that the data form gives back exactly when the name is valid UTF-16.
    #[test]
    fn file_names_round_trip(units in prop::collection::vec(any::<u16>(), 0..260)) {
        let ctx = file_context(2, 1, 1, &units, 574, &[]);
        let f = parse_file_context(&ctx).expect("context");
        let nul = units.iter().position(|&u| u == 0).unwrap_or(units.len());
        prop_assert_eq!(&f.name_units[..], &units[..nul]);
        if let Ok(s) = String::from_utf16(&units[..nul]) {
            prop_assert_eq!(crate::escape::unescape_field(&f.name()), s.into_bytes());
        }
    }
}
