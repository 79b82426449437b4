//! The synthetic fixtures in `captures/synthetic_*.pcap`, built here from scripted sessions
//! with the test pcap writer: one per dialect family (MD5 logins of MSNP2-7, TWN of MSNP8-12,
//! ADL/FQY of MSNP13-14, SSO of MSNP15-18), one of reassembly edge cases, one of hostile text,
//! one of MSNFTP file transfers, one of the message layer (every kind of MSG body).
//!
//! The test checks that each committed file is exactly what its builder makes, so a fixture
//! cannot drift from the script that documents it. `UPDATE_FIXTURES=1 cargo test --test
//! fixtures` rewrites them (then `make golden` for their golden outputs).

mod support;

use msnsniff::msnp::challenge::{answer_md5, answer_msnp11};
use std::path::PathBuf;
use support::*;

const E: u32 = LINKTYPE_ETHERNET;

/// A payload command: `head len\r\n` then the body.
fn payload(head: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!("{head} {}\r\n", body.len()).into_bytes();
    v.extend_from_slice(body);
    v
}

/// A MIME message body.
fn mime(content_type: &str, extra: &str, text: &[u8]) -> Vec<u8> {
    let mut v =
        format!("MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n{extra}\r\n").into_bytes();
    v.extend_from_slice(text);
    v
}

fn text_msg(text: &[u8]) -> Vec<u8> {
    mime(
        "text/plain; charset=UTF-8",
        "X-MMS-IM-Format: FN=Segoe%20UI; EF=; CO=0; CS=1; PF=0\r\n",
        text,
    )
}

fn typing(handle: &str) -> Vec<u8> {
    mime(
        "text/x-msmsgscontrol",
        &format!("TypingUser: {handle}\r\n"),
        b"\r\n",
    )
}

/// Plays a script: `>` lines from the client, `<` from the server.
fn play(p: &mut Pcap, c: &mut Conv, script: &[(char, Vec<u8>)]) {
    for (who, bytes) in script {
        match who {
            '>' => c.client(p, bytes),
            _ => c.server(p, bytes),
        }
    }
}

fn c(s: &str) -> (char, Vec<u8>) {
    ('>', s.as_bytes().to_vec())
}
fn s(x: &str) -> (char, Vec<u8>) {
    ('<', x.as_bytes().to_vec())
}
fn cb(b: Vec<u8>) -> (char, Vec<u8>) {
    ('>', b)
}
fn sb(b: Vec<u8>) -> (char, Vec<u8>) {
    ('<', b)
}

/// MSNP2-7: dispatch, MD5 login, list sync with TrIDs, presence, an MD5 challenge, a
/// switchboard with a refused invitation (217), typing, texts, ACK, BYE.
fn msnp7_md5() -> Pcap {
    let mut p = Pcap::new(E);
    let me = "alice@hotmail.com";
    let mut ds = Conv::new(
        E,
        "192.168.1.10:1025",
        "207.46.104.20:1863",
        0xfffff000,
        0x1000,
    );
    ds.handshake(&mut p);
    play(
        &mut p,
        &mut ds,
        &[
            c("VER 0 MSNP7 MSNP6 MSNP5 MSNP4 CVR0\r\n"),
            s("VER 0 MSNP7\r\n"),
            c("INF 1\r\n"),
            s("INF 1 MD5\r\n"),
            c(&format!("USR 2 MD5 I {me}\r\n")),
            s("XFR 2 NS 207.46.106.35:1863 0 207.46.104.20:1863\r\n"),
        ],
    );
    ds.server_fin(&mut p);
    ds.client_fin(&mut p);

    let mut ns = Conv::new(
        E,
        "192.168.1.10:1026",
        "207.46.106.35:1863",
        0x7000_0000,
        0xffff_ff00,
    );
    ns.handshake(&mut p);
    let chl = "15570131571988941333";
    let md5 = answer_md5("1013928519.693957190", "secret");
    play(
        &mut p,
        &mut ns,
        &[
            c("VER 3 MSNP7 CVR0\r\n"),
            s("VER 3 MSNP7\r\n"),
            c("INF 4\r\n"),
            s("INF 4 MD5\r\n"),
            c(&format!("USR 5 MD5 I {me}\r\n")),
            s("USR 5 MD5 S 1013928519.693957190\r\n"),
            c(&format!("USR 6 MD5 S {md5}\r\n")),
            s(&format!("USR 6 OK {me} Alice%20A. 1\r\n")),
            c("SYN 7 0\r\n"),
            s(concat!(
                "SYN 7 12\r\nGTC 7 12 A\r\nBLP 7 12 AL\r\n",
                "LSG 7 12 1 2 0 Other%20Contacts 0\r\nLSG 7 12 2 2 1 Work 0\r\n",
                "LST 7 FL 12 1 2 bob@hotmail.com Bob 0\r\nLST 7 FL 12 2 2 carol@hotmail.com Carol 1\r\n",
                "LST 7 AL 12 1 1 bob@hotmail.com Bob\r\nLST 7 BL 12 0 0\r\nLST 7 RL 12 1 1 bob@hotmail.com Bob\r\n"
            )),
            c("CHG 8 NLN\r\n"),
            s("CHG 8 NLN\r\nILN 8 NLN bob@hotmail.com Bob\r\n"),
            s(&format!("CHL 0 {chl}\r\n")),
            cb(payload(
                "QRY 9 msmsgs@msnmsgr.com",
                answer_md5(chl, "Q1P7W2E4J9R8U3S5").as_bytes(),
            )),
            s("QRY 9\r\n"),
            s("NLN AWY bob@hotmail.com Bob\r\n"),
            c("REA 10 alice@hotmail.com Alice%20in%20Wonderland\r\n"),
            s("REA 10 13 alice@hotmail.com Alice%20in%20Wonderland\r\n"),
            c("XFR 11 SB\r\n"),
            s("XFR 11 SB 207.46.108.37:1863 CKI 17262740.1050826919.32308\r\n"),
            c("PNG\r\n"),
            s("QNG\r\n"),
        ],
    );

    let mut sbc = Conv::new(
        E,
        "192.168.1.10:1027",
        "207.46.108.37:1863",
        0x10,
        0xffff_fffe,
    );
    sbc.handshake(&mut p);
    play(
        &mut p,
        &mut sbc,
        &[
            c(&format!("USR 1 {me} 17262740.1050826919.32308\r\n")),
            s(&format!("USR 1 OK {me} Alice%20A.\r\n")),
            c("CAL 2 carol@hotmail.com\r\n"),
            s("217 2\r\n"),
            c("CAL 3 bob@hotmail.com\r\n"),
            s("CAL 3 RINGING 11752013\r\n"),
            s("JOI bob@hotmail.com Bob\r\n"),
            cb(payload("MSG 4 U", &typing(me))),
            cb(payload(
                "MSG 5 A",
                &text_msg(b"hi bob\r\n\r\nsecond paragraph"),
            )),
            s("ACK 5\r\n"),
            sb(payload(
                "MSG bob@hotmail.com Bob",
                &text_msg("hello alice, ça va?".as_bytes()),
            )),
            s("BYE bob@hotmail.com\r\n"),
            c("OUT\r\n"),
        ],
    );
    sbc.close(&mut p);
    ns.client(&mut p, b"OUT\r\n");
    ns.close(&mut p);
    p
}

/// MSNP8-12 (MSNP11): TWN login, the SYN stream without TrIDs, client ids and MSNObjects,
/// personal messages (UUX/UBX), an MSNP11 challenge, a profile from Hotmail, a notification,
/// and an invitation (RNG) to a switchboard on port 1864.
fn msnp11_twn() -> Pcap {
    let mut p = Pcap::new(E);
    let me = "alice@hotmail.com";
    let mut ns = Conv::new(E, "10.1.1.5:3001", "207.46.0.10:1863", 0x1234, 0xffff_f000);
    ns.handshake(&mut p);
    let chl = "22210219642164014968";
    let qry = answer_msnp11(chl, "PROD0090YUAUV{2B", "YMM8C_H7KCQ2S_KL");
    let psm = b"<Data><PSM>at the beach</PSM><CurrentMedia></CurrentMedia></Data>";
    let profile = mime(
        "text/x-msmsgsprofile; charset=UTF-8",
        "LoginTime: 1136000000\r\nEmailEnabled: 1\r\nMemberIdHigh: 1\r\nMemberIdLow: 2\r\nlang_preference: 1033\r\ncountry: US\r\nKid: 0\r\nFlags: 1073742915\r\nsid: 507\r\nClientIP: 10.1.1.5\r\nClientPort: 3001\r\n",
        b"",
    );
    let note = b"<NOTIFICATION ver=\"2\" id=\"1\" siteid=\"111100200\" siteurl=\"http://calendar.msn.com\"><TO pid=\"0x1:0x2\" name=\"alice@hotmail.com\"/><MSG pri=\"1\" id=\"1\"><ACTION url=\"a.asp\"/><SUBSCR url=\"s.asp\"/><BODY lang=\"1033\">Meeting at 3</BODY></MSG></NOTIFICATION>";
    play(
        &mut p,
        &mut ns,
        &[
            c("VER 1 MSNP11 MSNP10 CVR0\r\n"),
            s("VER 1 MSNP11\r\n"),
            c(&format!(
                "CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 7.0.0816 msmsgs {me}\r\n"
            )),
            s(
                "CVR 2 7.0.0816 7.0.0816 7.0.0425 http://download.microsoft.com/download/msn.exe http://messenger.msn.com\r\n",
            ),
            c(&format!("USR 3 TWN I {me}\r\n")),
            s(
                "USR 3 TWN S lc=1033,id=507,tw=40,fs=1,ru=http%3A%2F%2Fmessenger%2Emsn%2Ecom,ct=1136000000,kpp=1,kv=7,ver=2.1.6000.1,rn=abcdefgh,tpf=0123456789abcdef\r\n",
            ),
            c("USR 4 TWN S t=ticket123&p=profile456\r\n"),
            s(&format!("USR 4 OK {me} 1 0\r\n")),
            sb(payload("MSG Hotmail Hotmail", &profile)),
            s("SBS 0 null\r\n"),
            c("SYN 5 2005-04-23T18:57:44.8130000-07:00 2005-04-23T18:57:54.2070000-07:00\r\n"),
            s(concat!(
                "SYN 5 2005-04-23T18:57:44.8130000-07:00 2005-04-23T18:57:54.2070000-07:00 2 1\r\n",
                "GTC A\r\nBLP AL\r\nPRP MFN Alice%20A.\r\n",
                "LSG Friends 9b6b4a4d-6b7c-4a4b-9c3b-2e0c8e1c7a11\r\n",
                "LST N=bob@hotmail.com F=Bob C=1a2b3c4d-0000-0000-0000-000000000001 11 9b6b4a4d-6b7c-4a4b-9c3b-2e0c8e1c7a11\r\n",
                "BPR PHH 555%201234\r\n",
                "LST N=carol@hotmail.com F=Carol%20%E2%98%BA C=1a2b3c4d-0000-0000-0000-000000000002 3\r\n"
            )),
            c("CHG 6 NLN 1342177280 0\r\n"),
            s("CHG 6 NLN 1342177280 0\r\n"),
            s(
                "ILN 6 NLN bob@hotmail.com Bob 1342177312 %3Cmsnobj%20Creator%3D%22bob%40hotmail.com%22%20Size%3D%2223000%22%20Type%3D%223%22%2F%3E\r\n",
            ),
            sb(payload("UBX bob@hotmail.com", psm)),
            cb(payload(
                "UUX 7",
                b"<Data><PSM>busy coding</PSM><CurrentMedia></CurrentMedia></Data>",
            )),
            s("UUX 7 0\r\n"),
            s(&format!("CHL 0 {chl}\r\n")),
            cb(payload("QRY 8 PROD0090YUAUV{2B", qry.as_bytes())),
            s("QRY 8\r\n"),
            sb(payload("NOT", note)),
            s("NLN BSY carol@hotmail.com Carol%20%E2%98%BA 1342177280 0\r\n"),
            s("RNG 987654321 207.46.27.44:1864 CKI 1136000111.22233 bob@hotmail.com Bob\r\n"),
            c("PNG\r\n"),
            s("QNG 50\r\n"),
        ],
    );
    let mut sw = Conv::new(E, "10.1.1.5:3002", "207.46.27.44:1864", 0xffff_ff80, 0x5555);
    sw.handshake(&mut p);
    play(
        &mut p,
        &mut sw,
        &[
            c(&format!("ANS 1 {me} 1136000111.22233 987654321\r\n")),
            s("IRO 1 1 1 bob@hotmail.com Bob\r\n"),
            s("ANS 1 OK\r\n"),
            sb(payload(
                "MSG bob@hotmail.com Bob",
                &typing("bob@hotmail.com"),
            )),
            sb(payload(
                "MSG bob@hotmail.com Bob",
                &text_msg("lunch? 🍕".as_bytes()),
            )),
            cb(payload("MSG 2 N", &text_msg(b"sure, noon"))),
            sb(payload(
                "MSG bob@hotmail.com Bob",
                &mime("text/x-msnmsgr-datacast", "", b"ID: 1\r\n\r\n"),
            )),
            s("BYE bob@hotmail.com 1\r\n"),
        ],
    );
    sw.server_fin(&mut p);
    sw.client_fin(&mut p);
    ns.client(&mut p, b"OUT\r\n");
    ns.server(&mut p, b"OUT OTH\r\n");
    ns.server_fin(&mut p);
    ns.client_fin(&mut p);
    p
}

/// MSNP13-14 (MSNP14): ADL and FQY with XML payloads both ways, an error with a payload,
/// the pushed GCF, UUN/UBN, Yahoo interop (UUM/UBM), and the MSNP13+ XFR SB layout.
fn msnp14_adl() -> Pcap {
    let mut p = Pcap::new(E);
    let me = "alice@live.com";
    let mut ns = Conv::new(E, "172.16.0.9:49200", "65.54.239.20:1863", 0xfffffff0, 42);
    ns.handshake(&mut p);
    let adl = b"<ml l=\"1\"><d n=\"hotmail.com\"><c n=\"bob\" l=\"3\" t=\"1\"/><c n=\"carol\" l=\"1\" t=\"1\"/></d><d n=\"yahoo.com\"><c n=\"yuki\" l=\"1\" t=\"32\"/></d></ml>";
    let fqy = b"<ml><d n=\"yahoo.com\"><c n=\"yuki\"/></d></ml>";
    let fqy_reply = b"<ml><d n=\"yahoo.com\"><c n=\"yuki\" t=\"32\"/></d></ml>";
    let gcf = b"<Policies><Policy type=\"SHIELDS\"><config><shield><cli maj=\"7\" min=\"0\" minbld=\"0\" maxbld=\"9999\" deny=\" \"/></shield></config></Policy></Policies>";
    let bad = b"<ml><d n=\"x\"><c n=\"\"/></d></ml>";
    play(
        &mut p,
        &mut ns,
        &[
            c("VER 1 MSNP14 MSNP13 CVR0\r\n"),
            s("VER 1 MSNP14\r\n"),
            c(&format!(
                "CVR 2 0x0409 winnt 6.0 i386 MSNMSGR 8.1.0178 msmsgs {me}\r\n"
            )),
            s(
                "CVR 2 8.1.0178 8.1.0178 8.1.0178 http://msgr.dlservice.microsoft.com http://messenger.msn.com\r\n",
            ),
            c(&format!("USR 3 TWN I {me}\r\n")),
            s(
                "USR 3 TWN S ct=1,rver=5,wp=FS_40SEC_0_COMPACT,lc=1033,id=507,ru=http:%2F%2Fmessenger.msn.com,tw=0,kpp=1,kv=4,ver=2.1.6000.1,rn=1lgjBfIL,tpf=b0735e3a873dfb5e\r\n",
            ),
            c("USR 4 TWN S t=abc&p=def\r\n"),
            s(&format!("USR 4 OK {me} 1 0\r\n")),
            sb(payload("GCF 0", gcf)),
            cb(payload("ADL 5", adl)),
            s("ADL 5 OK\r\n"),
            cb(payload("FQY 6", fqy)),
            sb(payload("FQY 6", fqy_reply)),
            cb(payload("ADL 7", bad)),
            sb(payload("241 7", bad)),
            c("CHG 8 NLN 1986655788 0\r\n"),
            s("CHG 8 NLN 1986655788 0\r\n"),
            s("ILN 8 NLN bob@hotmail.com 1 Bob 1986655788 0\r\n"),
            s("ILN 8 AWY yuki@yahoo.com 32 Yuki 0\r\n"),
            sb(payload(
                "UBX bob@hotmail.com 1",
                b"<Data><PSM></PSM><CurrentMedia></CurrentMedia></Data>",
            )),
            cb(payload(
                "UUN 9 bob@hotmail.com 1",
                b"<SNM opcode=\"SNM\" csid=\"{5f6f7a8b-0000-0000-0000-000000000001}\" />",
            )),
            s("UUN 9 OK\r\n"),
            sb(payload(
                "UBN bob@hotmail.com 1",
                b"<SNM opcode=\"ACK\" csid=\"{5f6f7a8b-0000-0000-0000-000000000001}\" />",
            )),
            cb(payload(
                "UUM 10 yuki@yahoo.com 32 1",
                &text_msg(b"hi from msn"),
            )),
            sb(payload(
                "UBM yuki@yahoo.com 32 alice@live.com 1 1",
                &text_msg(b"hi from yahoo"),
            )),
            c("XFR 11 SB\r\n"),
            s("XFR 11 SB 65.54.228.15:1863 CKI 2081154848.1208212.1234 U messenger.msn.com 1\r\n"),
        ],
    );
    let mut sw = Conv::new(E, "172.16.0.9:49201", "65.54.228.15:1863", 7, 8);
    sw.handshake(&mut p);
    play(
        &mut p,
        &mut sw,
        &[
            c(&format!("USR 1 {me} 2081154848.1208212.1234\r\n")),
            s(&format!("USR 1 OK {me} Alice\r\n")),
            c("CAL 2 bob@hotmail.com\r\n"),
            s("CAL 2 RINGING 2081154848\r\n"),
            s("JOI bob@hotmail.com Bob 1986655788\r\n"),
            cb(payload("MSG 3 N", &text_msg(b"ping"))),
            sb(payload("MSG bob@hotmail.com Bob", &text_msg(b"pong"))),
            c("OUT\r\n"),
        ],
    );
    sw.close(&mut p);
    ns.client(&mut p, b"OUT\r\n");
    ns.close(&mut p);
    p
}

/// MSNP15-18 (MSNP18): SSO login, network-prefixed handles and endpoints, caps:capsex client
/// ids, endpoint data, PUT/NFY/SDG, and an MSNP16+ switchboard (IRO/JOI per endpoint).
fn msnp18_sso() -> Pcap {
    let mut p = Pcap::new(E);
    let me = "alice@live.com";
    let guid = "{f52973b6-c926-4bad-9ba8-7c1e840e4ab0}";
    let mut ns = Conv::new(
        E,
        "[2001:db8::10]:50100",
        "[2001:db8:1::5]:1863",
        0xffff_0000,
        0xfffffffe,
    );
    ns.handshake(&mut p);
    let uux = format!(
        "<Data><PSM>hello</PSM><CurrentMedia></CurrentMedia><MachineGuid>{guid}</MachineGuid><DDP></DDP><SignatureSound></SignatureSound><Scene></Scene><ColorScheme>-3</ColorScheme></Data>"
    );
    let put = format!(
        "Routing: 1.0\r\nTo: 1:{me}\r\nFrom: 1:{me};epid={guid}\r\n\r\nReliability: 1.0\r\n\r\nPublication: 1.0\r\nUri: /user\r\nContent-Type: application/user+xml\r\nContent-Length: 23\r\n\r\n<user><s n=\"IM\"/></user>"
    );
    let nfy = "Routing: 1.0\r\nTo: 1:alice@live.com\r\nFrom: 1:bob@hotmail.com\r\n\r\nReliability: 1.0\r\n\r\nNotification: 1.0\r\nUri: /user\r\nContent-Type: application/user+xml\r\nContent-Length: 23\r\n\r\n<user><s n=\"IM\"/></user>";
    let sdg = format!(
        "Routing: 1.0\r\nTo: 1:bob@hotmail.com\r\nFrom: 1:{me};epid={guid}\r\n\r\nReliability: 1.0\r\n\r\nMessaging: 2.0\r\nMessage-Type: Nudge\r\nContent-Type: Text/plain\r\nContent-Length: 0\r\n\r\n"
    );
    play(&mut p, &mut ns, &[
        c("VER 1 MSNP18 MSNP17 CVR0\r\n"),
        s("VER 1 MSNP18\r\n"),
        c(&format!("CVR 2 0x0409 winnt 6.1.0 i386 MSNMSGR 14.0.8117.0416 msmsgs {me}\r\n")),
        s("CVR 2 14.0.8117.0416 14.0.8117.0416 14.0.8117.0416 http://msgr.dlservice.microsoft.com http://messenger.msn.com\r\n"),
        c(&format!("USR 3 SSO I {me}\r\n")),
        s("GCF 0 11\r\n<Policies/>"),
        s("USR 3 SSO S MBI_KEY_OLD 8CLhG/xfgYZ7TyRQ/jIAWyDmd/w4R4GF2yKLS6tYrnjzi4cFag/Nr+hxsfg5zlCf\r\n"),
        c(&format!("USR 4 SSO S t=EwCoARAnAAAU&p= HAAAAAEAAAADZgAABIAAAAgAAAAUAAAASAAAAAAAAAAAAAAA {guid}\r\n")),
        s(&format!("USR 4 OK {me} 1 0\r\n")),
        s("SBS 0 null\r\n"),
        cb(payload("ADL 5", b"<ml l=\"1\"><d n=\"hotmail.com\"><c n=\"bob\" l=\"3\" t=\"1\"/></d></ml>")),
        s("ADL 5 OK\r\n"),
        cb(payload("UUX 6", uux.as_bytes())),
        s("UUX 6 0\r\n"),
        c("CHG 7 NLN 2789003324:48 0\r\n"),
        s("CHG 7 NLN 2789003324:48 0\r\n"),
        s("ILN 7 NLN 1:bob@hotmail.com Bob 2789003324:48 0\r\n"),
        sb(payload("UBX 1:bob@hotmail.com", b"<Data><PSM>at work</PSM><CurrentMedia></CurrentMedia><EndpointData id=\"{0d0e0f10-0000-0000-0000-000000000002}\"><Capabilities>2789003324:48</Capabilities></EndpointData></Data>")),
        cb(payload("PUT 8", put.as_bytes())),
        s("PUT 8 OK 0\r\n"),
        sb(payload("NFY PUT", nfy.as_bytes())),
        cb(payload("SDG 9", sdg.as_bytes())),
        c("XFR 10 SB\r\n"),
        s("XFR 10 SB 207.46.70.33:1863 CKI 1743299616.1432412.92154 U messenger.msn.com 1\r\n"),
    ]);
    let mut sw = Conv::new(E, "[2001:db8::10]:50101", "[2001:db8:1::9]:1863", 100, 200);
    // The switchboard is on another address than announced (IPv6 vs IPv4): found by content.
    sw.handshake(&mut p);
    play(
        &mut p,
        &mut sw,
        &[
            c(&format!("USR 1 {me};{guid} 1743299616.1432412.92154\r\n")),
            s(&format!("USR 1 OK {me};{guid} Alice\r\n")),
            c("CAL 2 bob@hotmail.com\r\n"),
            s("CAL 2 RINGING 1743299616\r\n"),
            s("JOI bob@hotmail.com;{0d0e0f10-0000-0000-0000-000000000002} Bob 2789003324:48\r\n"),
            s("JOI bob@hotmail.com Bob 2789003324:48\r\n"),
            cb(payload(
                "MSG 3 N",
                &text_msg("new dialects, same old \r\n chat".as_bytes()),
            )),
            c("OUT\r\n"),
        ],
    );
    sw.close(&mut p);
    ns.client(&mut p, b"OUT\r\n");
    ns.close(&mut p);
    p
}

/// Reassembly edge cases in MSNP8: a message split over three segments, five commands in one
/// segment, a segment sent out of order and retransmitted, a hole the server's peer
/// acknowledges past, a connection picked up mid-stream, and one that ends with RST.
fn edge_segmentation() -> Pcap {
    let mut p = Pcap::new(E);
    let me = "dave@hotmail.com";
    let mut ns = Conv::new(
        E,
        "10.9.9.9:1100",
        "207.46.1.1:1863",
        0xffff_fffa,
        0xffff_fff9,
    );
    ns.handshake(&mut p);
    ns.client(&mut p, b"VER 1 MSNP8 CVR0\r\n");
    ns.server(&mut p, b"VER 1 MSNP8\r\n");
    ns.client(&mut p, format!("USR 2 TWN I {me}\r\n").as_bytes());
    ns.server(&mut p, format!("USR 2 OK {me} Dave 1 0\r\n").as_bytes());
    // Five commands in one segment.
    ns.server(&mut p, b"ILN 0 NLN a@x.com A 0\r\nILN 0 AWY b@x.com B 0\r\nILN 0 BSY c@x.com C 0\r\nNLN IDL d@x.com D 0\r\nFLN e@x.com\r\n");
    // A message split over three segments, the second sent after the third, then resent.
    let msg = payload(
        "MSG Hotmail Hotmail",
        &mime(
            "text/x-msmsgsinitialemailnotification; charset=UTF-8",
            "",
            b"Inbox-Unread: 3\r\nFolders-Unread: 0\r\n\r\n",
        ),
    );
    let (a, rest) = msg.split_at(20);
    let (b, c3) = rest.split_at(30);
    let s0 = ns.server_seq();
    let ack = ns.client_seq();
    ns.raw(&mut p, false, s0, ack, "A", a);
    ns.raw(
        &mut p,
        false,
        s0.wrapping_add((a.len() + b.len()) as u32),
        ack,
        "PA",
        c3,
    );
    ns.raw(&mut p, false, s0.wrapping_add(a.len() as u32), ack, "A", b);
    ns.raw(&mut p, false, s0.wrapping_add(a.len() as u32), ack, "A", b);
    let after_msg = s0.wrapping_add(msg.len() as u32);
    // A segment the capture never saw: the client acknowledges past it.
    let lost = b"NLN NLN f@x.com F 0\r\n";
    let next = b"FLN a@x.com\r\n";
    ns.raw(
        &mut p,
        false,
        after_msg.wrapping_add(lost.len() as u32),
        ack,
        "PA",
        next,
    );
    let end = after_msg.wrapping_add((lost.len() + next.len()) as u32);
    ns.raw(&mut p, true, ack, end, "A", b"");
    for i in 0..8u32 {
        let line = format!("NLN NLN g{i}@x.com G 0\r\n");
        let seq = end.wrapping_add(i * line.len() as u32);
        ns.raw(&mut p, false, seq, ack, "PA", line.as_bytes());
    }
    ns.client_rst(&mut p);

    // Picked up mid-stream: no handshake, the first server bytes start inside a line.
    let mut mid = Conv::new(E, "10.9.9.9:1101", "207.46.1.2:1863", 5000, 9000);
    mid.server(&mut p, b"ail.com Eve 0\r\nNLN BRB f@x.com F 0\r\n");
    mid.client(&mut p, b"PNG\r\n");
    mid.server(&mut p, b"QNG\r\n");
    p
}

/// Chat text and names that try to act on a terminal or a page: escape sequences, BEL, NUL,
/// invalid UTF-8, HTML and script.
fn hostile_text() -> Pcap {
    let mut p = Pcap::new(E);
    let me = "mallory@hotmail.com";
    let mut sw = Conv::new(E, "10.6.6.6:2000", "207.46.2.2:1863", 1, 2);
    sw.handshake(&mut p);
    play(
        &mut p,
        &mut sw,
        &[
            c(&format!("USR 1 {me} 1234.5678\r\n")),
            s(&format!("USR 1 OK {me} %1B%5B31mMal%1B%5B0m\r\n")),
            c("CAL 2 victim@hotmail.com\r\n"),
            s("CAL 2 RINGING 42\r\n"),
            sb(b"JOI victim@hotmail.com \xff\xfeVic\x1b[5m\r\n".to_vec()),
            cb(payload(
                "MSG 3 N",
                &text_msg(b"\x1b[31mred\x1b[0m \x1b]0;pwned\x07 \x1b[2J\x1b[H"),
            )),
            cb(payload(
                "MSG 4 N",
                &text_msg(b"<script>alert('x')</script> &amp; <b>bold</b>"),
            )),
            cb(payload(
                "MSG 5 N",
                &text_msg(b"nul\x00byte, bad utf-8 \xc3\x28, bare\rcr"),
            )),
            sb(payload("MSG victim@hotmail.com Vic", &text_msg(b"\x1b[6n"))),
        ],
    );
    sw.close(&mut p);
    p
}

/// `data` as MSNFTP blocks: full 2045-byte blocks, then the rest; `cancel` adds the sender's
/// cancel marker after them.
fn ftp_blocks(data: &[u8], cancel: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in data.chunks(2045) {
        out.push(0);
        out.extend_from_slice(&(chunk.len() as u16).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    if cancel {
        out.extend_from_slice(&[1, 0, 0]);
    }
    out
}

/// An invitation body (`text/x-msmsgsinvite`): the fields, one a line, then an empty line.
fn invite(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut body = String::new();
    for (k, v) in fields {
        body.push_str(&format!("{k}: {v}\r\n"));
    }
    body.push_str("\r\n");
    mime("text/x-msmsgsinvite; charset=UTF-8", "", body.as_bytes())
}

const FTP_GUID: &str = "{5D3E02AB-6190-11D3-BBBB-00C04F795683}";

/// MSNC0 file transfers over MSNFTP (MSNP8): a login, a switchboard with bob, three file
/// invitations (INVITE, the receiver's ACCEPT, the listener's ACCEPT with IP-Address, Port
/// and AuthCookie), and their MSNFTP connections: report.txt on port 6892, a text file with
/// lines that look like MSNP commands (`BYE 1`, `MSG 1 N 50`, `VER MSNFTP`) at block starts,
/// in three blocks over segments that cut a block header; photo.jpg, which the sender
/// cancels after one block (marker `01 00 00`); and notes.txt with Sender-Connect, where the
/// sender connects to the receiver, which cancels with `CCL` after one block.
fn msnftp() -> Pcap {
    let mut p = Pcap::new(E);
    let me = "alice@hotmail.com";
    let bob = "bob@hotmail.com";
    let mut ns = Conv::new(E, "10.0.0.1:1030", "207.46.0.20:1863", 0x100, 0x200);
    ns.handshake(&mut p);
    play(
        &mut p,
        &mut ns,
        &[
            c("VER 1 MSNP8 CVR0\r\n"),
            s("VER 1 MSNP8\r\n"),
            c(&format!("USR 2 TWN I {me}\r\n")),
            s("USR 2 TWN S lc=1033,id=507,tw=40,ct=1136000000,kpp=1,kv=5\r\n"),
            c("USR 3 TWN S t=ticket&p=profile\r\n"),
            s(&format!("USR 3 OK {me} Alice 1 0\r\n")),
            c("CHG 4 NLN 0\r\n"),
            s("CHG 4 NLN 0\r\n"),
            c("XFR 5 SB\r\n"),
            s("XFR 5 SB 207.46.108.40:1863 CKI 1136000222.4455\r\n"),
        ],
    );
    let mut sw = Conv::new(E, "10.0.0.1:1031", "207.46.108.40:1863", 0x300, 0x400);
    sw.handshake(&mut p);
    let offer = |cookie: &str, file: &str, size: usize| {
        invite(&[
            ("Application-Name", "File Transfer"),
            ("Application-GUID", FTP_GUID),
            ("Invitation-Command", "INVITE"),
            ("Invitation-Cookie", cookie),
            ("Application-File", file),
            ("Application-FileSize", &size.to_string()),
            ("Connectivity", "N"),
        ])
    };
    let ask_address = |cookie: &str| {
        invite(&[
            ("Invitation-Command", "ACCEPT"),
            ("Invitation-Cookie", cookie),
            ("Launch-Application", "FALSE"),
            ("Request-Data", "IP-Address:"),
        ])
    };
    let address = |cookie: &str, ip: &str, port: &str, auth: &str, extra: &[(&str, &str)]| {
        let mut f = vec![
            ("Invitation-Command", "ACCEPT"),
            ("Invitation-Cookie", cookie),
            ("IP-Address", ip),
            ("Port", port),
            ("AuthCookie", auth),
        ];
        f.extend_from_slice(extra);
        f.extend_from_slice(&[
            ("Launch-Application", "FALSE"),
            ("Request-Data", "IP-Address:"),
        ]);
        invite(&f)
    };

    // report.txt: bob offers, alice accepts, bob listens on 6892.
    let mut report = filler("report", 2045 - 26);
    report.extend_from_slice(b"end of part one\r\nVER 8\r\n\r\n");
    report.extend_from_slice(b"BYE 1\r\nMSG 1 N 50\r\n");
    report.extend_from_slice(&filler("summary", 2045 - 19 - 12));
    report.extend_from_slice(b"VER MSNFTP\r\n");
    report.extend_from_slice(b"FIL 12\r\nthe end\r\n");
    assert_eq!(report.len(), 2045 + 2045 + 17);
    let them = format!("MSG {bob} Bob");
    play(
        &mut p,
        &mut sw,
        &[
            c(&format!("USR 1 {me} 1136000222.4455\r\n")),
            s(&format!("USR 1 OK {me} Alice\r\n")),
            c(&format!("CAL 2 {bob}\r\n")),
            s("CAL 2 RINGING 11223344\r\n"),
            s(&format!("JOI {bob} Bob\r\n")),
            sb(payload(&them, &offer("57496", "report.txt", report.len()))),
            cb(payload("MSG 3 N", &ask_address("57496"))),
            sb(payload(
                &them,
                &address("57496", "10.0.0.9", "6892", "41728291", &[]),
            )),
        ],
    );
    let mut ft = Conv::new(E, "10.0.0.1:1032", "10.0.0.9:6892", 0x500, 0x600);
    ft.handshake(&mut p);
    play(
        &mut p,
        &mut ft,
        &[
            c("VER MSNFTP\r\n"),
            s("VER MSNFTP\r\n"),
            c(&format!("USR {me} 41728291\r\n")),
            s(&format!("FIL {}\r\n", report.len())),
            c("TFR\r\n"),
        ],
    );
    // The blocks, over segments that end inside the second block's header.
    let blocks = ftp_blocks(&report, false);
    for part in [
        &blocks[..1460],
        &blocks[1460..2049],
        &blocks[2049..3509],
        &blocks[3509..],
    ] {
        ft.server(&mut p, part);
    }
    ft.client(&mut p, b"BYE 16777989\r\n");
    ft.server_fin(&mut p);
    ft.client_fin(&mut p);

    // photo.jpg: the sender cancels after one block.
    let photo: Vec<u8> = (0..6000u32).map(|i| (i * 7 % 251) as u8).collect();
    play(
        &mut p,
        &mut sw,
        &[
            sb(payload(&them, &offer("61002", "photo.jpg", photo.len()))),
            cb(payload("MSG 4 N", &ask_address("61002"))),
            sb(payload(
                &them,
                &address("61002", "10.0.0.9", "6891", "90817263", &[]),
            )),
        ],
    );
    let mut ft = Conv::new(E, "10.0.0.1:1033", "10.0.0.9:6891", 0x700, 0x800);
    ft.handshake(&mut p);
    play(
        &mut p,
        &mut ft,
        &[
            c("VER MSNFTP\r\n"),
            s("VER MSNFTP\r\n"),
            c(&format!("USR {me} 90817263\r\n")),
            s(&format!("FIL {}\r\n", photo.len())),
            c("TFR\r\n"),
        ],
    );
    let blocks = ftp_blocks(&photo[..2045], true);
    ft.server(&mut p, &blocks[..1000]);
    ft.server(&mut p, &blocks[1000..]);
    ft.client(&mut p, b"BYE 2164261683\r\n");
    ft.server_fin(&mut p);
    ft.client_fin(&mut p);

    // notes.txt with Sender-Connect: alice (the receiver) listens, bob connects to her and
    // sends; alice still speaks first, and cancels with CCL after the first block.
    let notes = filler("notes", 3000);
    play(
        &mut p,
        &mut sw,
        &[
            sb(payload(&them, &offer("70001", "notes.txt", notes.len()))),
            cb(payload(
                "MSG 5 N",
                &address(
                    "70001",
                    "10.0.0.1",
                    "6891",
                    "5550123",
                    &[("Sender-Connect", "TRUE")],
                ),
            )),
        ],
    );
    let mut ft = Conv::new(E, "10.0.0.9:4100", "10.0.0.1:6891", 0x900, 0xa00);
    ft.handshake(&mut p);
    play(
        &mut p,
        &mut ft,
        &[
            s("VER MSNFTP\r\n"),
            c("VER MSNFTP\r\n"),
            s(&format!("USR {me} 5550123\r\n")),
            c(&format!("FIL {}\r\n", notes.len())),
            s("TFR\r\n"),
            cb(ftp_blocks(&notes[..2045], false)),
            s("CCL\r\n"),
        ],
    );
    ft.close(&mut p);

    sw.client(&mut p, b"OUT\r\n");
    sw.close(&mut p);
    ns.client(&mut p, b"OUT\r\n");
    ns.close(&mut p);
    p
}

/// The message layer (issue 8): a notification server that sends the login profile, the
/// e-mail notices, the mail data and a maintenance notice, and a switchboard with every kind
/// of message: text in UTF-8 and in Latin-1 bytes with X-MMS-IM-Format, typing, the four
/// datacasts, custom and animated emoticons, client capabilities, a keep-alive, ink, a
/// NetMeeting invitation declined, a file invitation offered, accepted and cancelled (its file
/// name a hostile path with a bidi override), a text sent in two chunks, and a type nobody
/// knows.
fn msnc_messages() -> Pcap {
    let mut p = Pcap::new(E);
    let me = "alice@hotmail.com";
    let bob = "bob@hotmail.com";
    let mut ns = Conv::new(E, "10.20.0.5:4100", "207.46.5.5:1863", 0x3000, 0x4000);
    ns.handshake(&mut p);
    let profile = mime(
        "text/x-msmsgsprofile; charset=UTF-8",
        "LoginTime: 1136000000\r\nEmailEnabled: 1\r\nMemberIdHigh: 3\r\nMemberIdLow: -1\r\nlang_preference: 1036\r\npreferredEmail: alice@hotmail.com\r\ncountry: FR\r\nPostalCode: \r\nGender: \r\nKid: 0\r\nAge: \r\nBDayPre: \r\nBirthday: \r\nWallet: \r\nFlags: 1027\r\nsid: 507\r\nkv: 7\r\nMSPAuth: 7Yz0Ab$$\r\nClientIP: 203.0.113.9\r\nClientPort: 52225\r\nABCHMigrated: 1\r\n",
        b"",
    );
    let hotmail = |body: &[u8]| sb(payload("MSG Hotmail Hotmail", body));
    play(
        &mut p,
        &mut ns,
        &[
            c("VER 1 MSNP11 CVR0\r\n"),
            s("VER 1 MSNP11\r\n"),
            c(&format!("USR 2 TWN I {me}\r\n")),
            s("USR 2 TWN S ct=1,rver=1,id=507\r\n"),
            c("USR 3 TWN S t=ticket&p=profile\r\n"),
            s(&format!("USR 3 OK {me} 1 0\r\n")),
            hotmail(&profile),
            hotmail(&mime(
                "text/x-msmsgsinitialemailnotification; charset=UTF-8",
                "",
                b"Inbox-Unread: 4\r\nFolders-Unread: 2\r\nInbox-URL: /cgi-bin/HoTMaiL\r\nFolders-URL: /cgi-bin/folders\r\nPost-URL: http://mail.example.com/\r\n\r\n",
            )),
            hotmail(&mime(
                "text/x-msmsgsinitialmdatanotification; charset=UTF-8",
                "",
                b"Mail-Data: <MD><E><I>4</I><IU>4</IU><O>2</O><OU>2</OU></E><Q><QTM>409600</QTM><QNM>204800</QNM></Q><M><T>11</T><S>6</S><RT>2006-01-01T00:00:00.000Z</RT><RS>0</RS><SZ>850</SZ><E>carol@hotmail.com</E><I>1A2B</I><F>00000000-0000-0000-0000-000000000009</F><N>Carol</N></M></MD>\r\n\r\n",
            )),
            s("CHG 4 NLN 1342177280\r\n"),
            hotmail(&mime(
                "text/x-msmsgsemailnotification; charset=UTF-8",
                "",
                b"From: =?iso-8859-1?Q?Ren=E9_Dupont?=\r\nMessage-URL: /cgi-bin/getmsg?msg=MSG1136000001\r\nPost-URL: http://mail.example.com/\r\nSubject: =?utf-8?B?UmU6IGTDrm5lcg==?=\r\nDest-Folder: ACTIVE\r\nFrom-Addr: rene@example.fr\r\nid: 2\r\n\r\n",
            )),
            hotmail(&mime(
                "text/x-msmsgsactivemailnotification; charset=UTF-8",
                "",
                b"Src-Folder: ACTIVE\r\nDest-Folder: trAsH\r\nMessage-Delta: 1\r\n\r\n",
            )),
            hotmail(&mime(
                "text/x-msmsgsoimnotification; charset=UTF-8",
                "",
                b"Mail-Data: <MD><M><T>11</T><S>6</S><E>dave@hotmail.com</E><I>3C4D</I><N>Dave</N></M></MD>\r\n\r\n",
            )),
            c("XFR 5 SB\r\n"),
            s("XFR 5 SB 207.46.6.6:1863 CKI 1136000222.33344\r\n"),
        ],
    );
    let mut sw = Conv::new(E, "10.20.0.5:4101", "207.46.6.6:1863", 0x10, 0x20);
    sw.handshake(&mut p);
    let from_bob = |body: &[u8]| sb(payload(&format!("MSG {bob} Bob"), body));
    let wink = b"ID: 2\r\nData: <msnobj Creator=\"bob@hotmail.com\" Size=\"24539\" Type=\"8\" Location=\"TFR2C.tmp\" Friendly=\"VwBhAHYAZQAAAA==\" SHA1D=\"trC8SlFx2sWQxZMIBAWSEnXc8oQ=\" SHA1C=\"U32o6bosZzluJq82eAtMpx5dIEI=\"/>\r\n\r\n";
    let voice = b"ID: 3\r\nData: <msnobj Creator=\"alice@hotmail.com\" Size=\"5120\" Type=\"11\" Location=\"0\" Friendly=\"AAA=\" SHA1D=\"a2V5\"/>\r\n\r\n";
    let emoticons = b":cat:\t<msnobj Creator=\"alice@hotmail.com\" Size=\"1201\" Type=\"2\" Location=\"TFR1.dat\" Friendly=\"AAA=\" SHA1D=\"Y2F0\"/>\t(pizza)\t<msnobj Creator=\"alice@hotmail.com\" Size=\"988\" Type=\"2\" Location=\"TFR2.dat\" Friendly=\"AAA=\" SHA1D=\"cGl6\"/>\t";
    let animated = b"(dance)\t<msnobj Creator=\"bob@hotmail.com\" Size=\"30442\" Type=\"2\" Location=\"TFR3.dat\" Friendly=\"AAA=\" SHA1D=\"ZGFu\"/>\t";
    let hostile_file = "..\\..\\evil\u{202e}gnp.exe";
    let cookie = "57496";
    play(
        &mut p,
        &mut sw,
        &[
            c(&format!("USR 1 {me} 1136000222.33344\r\n")),
            s(&format!("USR 1 OK {me} Alice\r\n")),
            c(&format!("CAL 2 {bob}\r\n")),
            s("CAL 2 RINGING 1136000333\r\n"),
            s(&format!("JOI {bob} Bob 1342177280\r\n")),
            cb(payload(
                "MSG 3 U",
                &mime("text/x-clientcaps", "", b"Client-Name: Gaim/0.79\r\nChat-Logging: Y\r\n"),
            )),
            cb(payload(
                "MSG 4 A",
                &mime(
                    "text/plain; charset=UTF-8",
                    "X-MMS-IM-Format: FN=Comic%20Sans%20MS; EF=BI; CO=ff0000; CS=0; PF=22\r\n",
                    "bonjour Bob, ça va ? ☕".as_bytes(),
                ),
            )),
            s("ACK 4\r\n"),
            from_bob(&typing(bob)),
            from_bob(&mime(
                "text/plain; charset=ISO-8859-1",
                "X-MMS-IM-Format: FN=Arial; EF=; CO=ff; CS=0; PF=0\r\n",
                b"tr\xe8s bien, merci. Un caf\xe9 ?",
            )),
            from_bob(&mime("text/x-msnmsgr-datacast", "", b"ID: 1\r\n\r\n")),
            from_bob(&mime("text/x-msnmsgr-datacast", "", wink)),
            cb(payload("MSG 5 N", &mime("text/x-msnmsgr-datacast", "", voice))),
            cb(payload(
                "MSG 6 N",
                &mime("text/x-msnmsgr-datacast", "", b"ID: 4\r\nData: offers a coffee\r\n\r\n"),
            )),
            cb(payload("MSG 7 N", &mime("text/x-mms-emoticon", "", emoticons))),
            cb(payload("MSG 8 A", &text_msg(b"look :cat: (pizza)"))),
            s("ACK 8\r\n"),
            from_bob(&mime("text/x-mms-animemoticon", "", animated)),
            from_bob(&mime("text/x-keepalive", "", b"")),
            from_bob(&mime("image/gif", "", b"base64:R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=")),
            cb(payload(
                "MSG 9 N",
                &invite(&[
                    ("Application-Name", "NetMeeting"),
                    ("Application-GUID", "{44BBA842-CC51-11CF-AAFA-00AA00B6015C}"),
                    ("Session-Protocol", "SM1"),
                    ("Invitation-Command", "INVITE"),
                    ("Invitation-Cookie", "31337"),
                    ("Session-ID", "{F1A2B3C4-0000-0000-0000-000000000001}"),
                ]),
            )),
            from_bob(&invite(&[
                ("Invitation-Command", "CANCEL"),
                ("Invitation-Cookie", "31337"),
                ("Cancel-Code", "REJECT"),
                ("Session-ID", "{F1A2B3C4-0000-0000-0000-000000000001}"),
            ])),
            cb(payload(
                "MSG 10 N",
                &invite(&[
                    ("Application-Name", "File Transfer"),
                    ("Application-GUID", "{5D3E02AB-6190-11D3-BBBB-00C04F795683}"),
                    ("Invitation-Command", "INVITE"),
                    ("Invitation-Cookie", cookie),
                    ("Application-File", hostile_file),
                    ("Application-FileSize", "30210"),
                    ("Connectivity", "N"),
                ]),
            )),
            from_bob(&invite(&[
                ("Invitation-Command", "ACCEPT"),
                ("Invitation-Cookie", cookie),
                ("Launch-Application", "FALSE"),
                ("Request-Data", "IP-Address:"),
            ])),
            cb(payload(
                "MSG 11 N",
                &invite(&[
                    ("Invitation-Command", "ACCEPT"),
                    ("Invitation-Cookie", cookie),
                    ("IP-Address", "198.51.100.7"),
                    ("Port", "6891"),
                    ("PortX", "11178"),
                    ("AuthCookie", "1618033988"),
                    ("Launch-Application", "FALSE"),
                    ("Request-Data", "IP-Address:"),
                ]),
            )),
            from_bob(&invite(&[
                ("Invitation-Command", "CANCEL"),
                ("Invitation-Cookie", cookie),
                ("Cancel-Code", "FTTIMEOUT"),
            ])),
            cb(payload(
                "MSG 12 A",
                &mime(
                    "text/plain; charset=UTF-8",
                    "X-MMS-IM-Format: FN=Segoe%20UI; EF=; CO=0; CS=1; PF=0\r\nMessage-ID: {8A5D7E2C-3B1F-4C6D-9E0A-1B2C3D4E5F60}\r\nChunks: 2\r\n",
                    b"a long message, sent in two parts: here is the first, ",
                ),
            )),
            cb(payload(
                "MSG 13 A",
                b"Message-ID: {8A5D7E2C-3B1F-4C6D-9E0A-1B2C3D4E5F60}\r\nChunk: 1\r\n\r\nand here the second.",
            )),
            s("ACK 12\r\n"),
            s("ACK 13\r\n"),
            from_bob(&mime(
                "application/x-msnmsgr-sharedcanvas; version=2",
                "X-Canvas-Id: 7\r\n",
                b"<canvas/>",
            )),
            s(&format!("BYE {bob}\r\n")),
            c("OUT\r\n"),
        ],
    );
    sw.close(&mut p);
    ns.server(
        &mut p,
        &payload(
            "MSG Hotmail Hotmail",
            &mime(
                "application/x-msmsgssystemmessage",
                "",
                b"Type: 1\r\nArg1: 5\r\n\r\n",
            ),
        ),
    );
    ns.client(&mut p, b"OUT\r\n");
    ns.close(&mut p);
    p
}

/// A P2P ack of message `id` (`total` bytes), from message `own_id`.
fn p2p_ack(session: u32, own_id: u32, id: u32, total: u64) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&session.to_le_bytes());
    v.extend_from_slice(&own_id.to_le_bytes());
    v.extend_from_slice(&0u64.to_le_bytes());
    v.extend_from_slice(&total.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&2u32.to_le_bytes());
    v.extend_from_slice(&id.to_le_bytes());
    v.extend_from_slice(&0x5eed_u32.to_le_bytes());
    v.extend_from_slice(&total.to_le_bytes());
    v.extend_from_slice(&0u32.to_be_bytes());
    v
}

/// An `application/x-msnmsgrp2p` message body for `dest`.
fn p2p_msg(dest: &str, packet: &[u8]) -> Vec<u8> {
    mime(
        "application/x-msnmsgrp2p",
        &format!("P2P-Dest: {dest}\r\n"),
        packet,
    )
}

/// An MSNSLP message: start line, the usual headers, and the body with its NUL.
fn slp(
    start: &str,
    to: &str,
    from: &str,
    call_id: &str,
    content_type: &str,
    body: &str,
) -> Vec<u8> {
    let body = format!("{body}\r\n\0");
    format!(
        "{start}\r\nTo: <msnmsgr:{to}>\r\nFrom: <msnmsgr:{from}>\r\nVia: MSNSLP/1.0/TLP ;branch={{33A2D1C6-8B37-4A1A-9DB6-2F2E4B8C1A00}}\r\nCSeq: 0 \r\nCall-ID: {call_id}\r\nMax-Forwards: 0\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A file-transfer context (reference section 6.4): version 2, no preview, the name in
/// UTF-16LE in its 520-byte field, the 0xFFFFFFFF marker at byte 570.
fn file_context(name: &str, size: u64) -> String {
    let mut v = Vec::new();
    v.extend_from_slice(&574u32.to_le_bytes());
    v.extend_from_slice(&2u32.to_le_bytes());
    v.extend_from_slice(&size.to_le_bytes());
    v.extend_from_slice(&1u32.to_le_bytes());
    let mut field = [0u8; 520];
    for (i, unit) in name.encode_utf16().take(259).enumerate() {
        field[2 * i..2 * i + 2].copy_from_slice(&unit.to_le_bytes());
    }
    v.extend_from_slice(&field);
    v.extend_from_slice(&[0u8; 30]);
    v.extend_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    base64_encode(&v)
}

/// Standard base64 with padding (fixtures only).
fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The display picture of the P2P fixture: 300 bytes that start like a PNG.
fn p2p_picture() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend((0..292u32).map(|i| (i * 7 % 251) as u8));
    v
}

/// SHA-1, for an MSNObject's SHA1D.
fn sha1_of(bytes: &[u8]) -> Vec<u8> {
    use sha1::Digest as _;
    sha1::Sha1::digest(bytes).to_vec()
}

/// The file of the P2P fixture's transfer: 2500 bytes of text lines.
fn p2p_file() -> Vec<u8> {
    filler("p2p file", 2500)
}

/// A P2P file transfer (MSNC1+, MSNP11) on a switchboard: bob's MSNSLP INVITE for
/// `..\\..\\evil` U+202E `gnp.exe` (its file context in base64) sent in two chunks, alice's
/// ack and 200 OK, the file's 2500 bytes in three data chunks of session 7 (footer 2, file
/// transfer), acks, bob's BYE; alice's request for bob's display picture (an MSNObject whose
/// SHA1D is the picture's SHA-1) and its 300 bytes; a P2Pv2 packet between endpoints; then a
/// P2P packet cut short (20 bytes: `p2p.truncated`).
fn p2p() -> Pcap {
    let mut p = Pcap::new(E);
    let me = "alice@hotmail.com";
    let bob = "bob@hotmail.com";
    let mut sw = Conv::new(E, "10.30.0.5:4200", "207.46.7.7:1863", 0x70, 0x80);
    sw.handshake(&mut p);
    let from_bob = |packet: Vec<u8>| sb(payload(&format!("MSG {bob} Bob"), &p2p_msg(me, &packet)));
    let from_me =
        |trid: u32, packet: Vec<u8>| cb(payload(&format!("MSG {trid} D"), &p2p_msg(bob, &packet)));
    let call = "{6B7D3CE0-9A1E-4F59-8C2B-7E1F0A2B3C4D}";
    let invite = slp(
        &format!("INVITE MSNMSGR:{me} MSNSLP/1.0"),
        me,
        bob,
        call,
        "application/x-msnmsgr-sessionreqbody",
        &format!(
            "EUF-GUID: {FTP_GUID}\r\nSessionID: 7\r\nAppID: 2\r\nContext: {}\r\n",
            file_context("..\\..\\evil\u{202e}gnp.exe", 2500)
        ),
    );
    let total = invite.len() as u64;
    let (first, second) = invite.split_at(600);
    let ok = slp(
        "MSNSLP/1.0 200 OK",
        bob,
        me,
        call,
        "application/x-msnmsgr-sessionreqbody",
        "SessionID: 7\r\n",
    );
    let bye = slp(
        &format!("BYE MSNMSGR:{me} MSNSLP/1.0"),
        me,
        bob,
        call,
        "application/x-msnmsgr-sessionclosebody",
        "SessionID: 7\r\n",
    );
    let file = p2p_file();
    let mut script = vec![
        c(&format!("USR 1 {me} 1136000444.55566\r\n")),
        s(&format!("USR 1 OK {me} Alice\r\n")),
        c(&format!("CAL 2 {bob}\r\n")),
        s("CAL 2 RINGING 1136000555\r\n"),
        s(&format!("JOI {bob} Bob 1342177280\r\n")),
        from_bob(p2p_packet(0, 100, 0, total, 0, first, 0)),
        from_bob(p2p_packet(0, 100, 600, total, 0, second, 0)),
        from_me(3, p2p_ack(0, 500, 100, total)),
        from_me(4, p2p_packet(0, 501, 0, ok.len() as u64, 0, &ok, 0)),
        from_bob(p2p_ack(0, 101, 501, ok.len() as u64)),
    ];
    let mut offset = 0u64;
    for chunk in file.chunks(1202) {
        script.push(from_bob(p2p_packet(
            7,
            102,
            offset,
            file.len() as u64,
            0x0100_0030,
            chunk,
            2,
        )));
        offset += chunk.len() as u64;
    }
    script.push(from_me(5, p2p_ack(7, 502, 102, file.len() as u64)));
    script.push(from_bob(p2p_packet(
        0,
        103,
        0,
        bye.len() as u64,
        0,
        &bye,
        0,
    )));
    // Alice asks for bob's display picture: an INVITE naming its MSNObject (with the SHA-1 of
    // the picture, SHA1D), bob's 200 OK, the data preparation packet, the 300 bytes of the
    // picture in one chunk (MSNObject data), alice's ack and BYE.
    let picture = p2p_picture();
    let msnobj = format!(
        "<msnobj Creator=\"{bob}\" Size=\"{}\" Type=\"3\" Location=\"TFR2C2.tmp\" Friendly=\"AAA=\" SHA1D=\"{}\" SHA1C=\"bm90IGNoZWNrZWQ=\"/>\0",
        picture.len(),
        base64_encode(&sha1_of(&picture))
    );
    let dp_call = "{0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0}";
    let dp_invite = slp(
        &format!("INVITE MSNMSGR:{bob} MSNSLP/1.0"),
        bob,
        me,
        dp_call,
        "application/x-msnmsgr-sessionreqbody",
        &format!(
            "EUF-GUID: {{A4268EEC-FEC5-49E5-95C3-F126696BDBF6}}\r\nSessionID: 11\r\nAppID: 1\r\nContext: {}\r\n",
            base64_encode(msnobj.as_bytes())
        ),
    );
    let dp_ok = slp(
        "MSNSLP/1.0 200 OK",
        me,
        bob,
        dp_call,
        "application/x-msnmsgr-sessionreqbody",
        "SessionID: 11\r\n",
    );
    let dp_bye = slp(
        &format!("BYE MSNMSGR:{bob} MSNSLP/1.0"),
        bob,
        me,
        dp_call,
        "application/x-msnmsgr-sessionclosebody",
        "SessionID: 11\r\n",
    );
    script.push(from_me(
        6,
        p2p_packet(0, 503, 0, dp_invite.len() as u64, 0, &dp_invite, 0),
    ));
    script.push(from_bob(p2p_packet(
        0,
        104,
        0,
        dp_ok.len() as u64,
        0,
        &dp_ok,
        0,
    )));
    script.push(from_bob(p2p_packet(11, 105, 0, 4, 0, &[0; 4], 1)));
    script.push(from_bob(p2p_packet(
        11,
        106,
        0,
        picture.len() as u64,
        0x20,
        &picture,
        1,
    )));
    script.push(from_me(7, p2p_ack(11, 504, 106, picture.len() as u64)));
    script.push(from_me(
        8,
        p2p_packet(0, 505, 0, dp_bye.len() as u64, 0, &dp_bye, 0),
    ));
    // A P2Pv2 packet between endpoints (MSNP16+): header, data header (session 9, package
    // 3, the first of an MSNObject's data), 5 bytes, footer.
    let mut v2 = vec![8, 0];
    v2.extend_from_slice(&(8u16 + 5).to_be_bytes());
    v2.extend_from_slice(&0x0001_0203u32.to_be_bytes());
    v2.extend_from_slice(&[8, 0x05]);
    v2.extend_from_slice(&3u16.to_be_bytes());
    v2.extend_from_slice(&9u32.to_be_bytes());
    v2.extend_from_slice(b"hello");
    v2.extend_from_slice(&1u32.to_be_bytes());
    script.push(sb(payload(
        &format!("MSG {bob} Bob"),
        &mime(
            "application/x-msnmsgrp2p",
            &format!("P2P-Dest: {me};{{00000000-0000-0000-0000-00000000000a}}\r\nP2P-Src: {bob};{{00000000-0000-0000-0000-00000000000b}}\r\n"),
            &v2,
        ),
    )));
    script.push(sb(payload(
        &format!("MSG {bob} Bob"),
        &p2p_msg(me, &[0u8; 20]),
    )));
    play(&mut p, &mut sw, &script);
    sw.close(&mut p);
    p
}

fn fixtures() -> Vec<(&'static str, Pcap)> {
    vec![
        ("synthetic_msnp7_md5", msnp7_md5()),
        ("synthetic_msnp11_twn", msnp11_twn()),
        ("synthetic_msnp14_adl", msnp14_adl()),
        ("synthetic_msnp18_sso", msnp18_sso()),
        ("synthetic_edge_segmentation", edge_segmentation()),
        ("synthetic_hostile_text", hostile_text()),
        ("synthetic_msnftp", msnftp()),
        ("synthetic_msnc_messages", msnc_messages()),
        ("synthetic_p2p", p2p()),
    ]
}

#[test]
fn committed_fixtures_are_what_their_builders_make() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("captures");
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    let mut stale = Vec::new();
    for (name, pcap) in fixtures() {
        let path = dir.join(format!("{name}.pcap"));
        let bytes = pcap.to_bytes();
        if update {
            std::fs::write(&path, &bytes).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(bytes.as_slice()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "stale fixtures {stale:?}: run UPDATE_FIXTURES=1 cargo test --test fixtures"
    );
}
