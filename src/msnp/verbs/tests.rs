//! Tests of the named fields and notes, verb by verb, with the lines of the protocol reference.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::Direction::{self, ClientToServer as C2S, ServerToClient as S2C};
use crate::msnp::Dialect;

fn split(line: &str) -> Vec<String> {
    line.split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Fields of `VERB params...` (TrID already removed), as one JSON object.
fn fields(dir: Direction, dialect: Option<u8>, line: &str) -> Value {
    fields_trid(dir, dialect, line, true)
}

fn fields_trid(dir: Direction, dialect: Option<u8>, line: &str, has_trid: bool) -> Value {
    let mut words = split(line);
    let verb = words.remove(0);
    let verb = Verb::new(verb.as_bytes().try_into().expect("three-letter verb"));
    Value::Object(named_fields(verb, dir, dialect.map(Dialect), &words, has_trid).to_json())
}

fn note_of(dir: Direction, dialect: Option<u8>, line: &str) -> Option<String> {
    let mut words = split(line);
    let verb = words.remove(0);
    let verb = Verb::new(verb.as_bytes().try_into().expect("three-letter verb"));
    note(verb, dir, dialect.map(Dialect), &words)
}

/// Checks that every key of `expected` is in `actual` with that value.
#[track_caller]
fn has(actual: &Value, expected: Value) {
    for (k, v) in expected.as_object().expect("object") {
        assert_eq!(actual.get(k), Some(v), "field {k} in {actual}");
    }
}

#[track_caller]
fn lacks(actual: &Value, keys: &[&str]) {
    for k in keys {
        assert!(actual.get(k).is_none(), "unexpected {k} in {actual}");
    }
}

// ---- dispatch, login ---------------------------------------------------------------------

#[test]
fn ver_both_ways() {
    assert_eq!(
        fields(C2S, None, "VER MSNP8 MSNP7 CVR0"),
        json!({"dialects": ["MSNP8", "MSNP7", "CVR0"]})
    );
    assert_eq!(
        fields(S2C, None, "VER MSNP8 CVR0"),
        json!({"dialects": ["MSNP8", "CVR0"], "dialect": "MSNP8"})
    );
    assert_eq!(
        fields(S2C, None, "VER 0"),
        json!({"dialects": ["0"], "no_common_dialect": true})
    );
}

#[test]
fn cvr_request_and_reply() {
    assert_eq!(
        fields(
            C2S,
            Some(8),
            "CVR 0x0409 winnt 5.1 i386 MSNMSGR 5.0.0540 MSMSGS alice@hotmail.com"
        ),
        json!({
            "locale_id": "0x0409", "os_type": "winnt", "os_version": "5.1", "cpu_arch": "i386",
            "client_name": "MSNMSGR", "client_version": "5.0.0540", "client_codebase": "MSMSGS",
            "handle": "alice@hotmail.com"
        })
    );
    // MSNP4–7: no handle.
    let f = fields(
        C2S,
        Some(5),
        "CVR 0x0409 win 4.10 i386 MSNMSGR 3.0.0286 MSMSGS",
    );
    has(&f, json!({"client_codebase": "MSMSGS"}));
    lacks(&f, &["handle"]);
    assert_eq!(
        fields(
            S2C,
            Some(8),
            "CVR 5.0.0540 5.0.0540 1.0.0863 http://dl/x.exe http://messenger.msn.com"
        ),
        json!({
            "recommended_version": "5.0.0540", "recommended_version_again": "5.0.0540",
            "minimum_version": "1.0.0863", "download_url": "http://dl/x.exe",
            "info_url": "http://messenger.msn.com"
        })
    );
    // CVQ has the same fields.
    has(
        &fields(S2C, None, "CVQ 7.0 7.0 6.0 http://a http://b"),
        json!({"minimum_version": "6.0"}),
    );
}

#[test]
fn inf_reply() {
    assert_eq!(fields(C2S, Some(7), "INF"), json!({}));
    assert_eq!(
        fields(S2C, Some(7), "INF MD5"),
        json!({"auth_methods": ["MD5"]})
    );
}

#[test]
fn usr_md5_steps() {
    assert_eq!(
        fields(C2S, Some(7), "USR MD5 I alice@hotmail.com"),
        json!({"auth_method": "MD5", "stage": "I", "handle": "alice@hotmail.com"})
    );
    assert_eq!(
        fields(S2C, Some(7), "USR MD5 S 1013928519.693957190"),
        json!({"auth_method": "MD5", "stage": "S", "salt": "1013928519.693957190"})
    );
    assert_eq!(
        fields(C2S, Some(7), "USR MD5 S 9b6c61e6a3b2a7ec4a52ac5c4c3d3c5e"),
        json!({"auth_method": "MD5", "stage": "S", "response": "9b6c61e6a3b2a7ec4a52ac5c4c3d3c5e"})
    );
}

#[test]
fn usr_twn_and_sso_steps() {
    assert_eq!(
        fields(S2C, Some(8), "USR TWN S lc=1033,id=507,tw=40"),
        json!({"auth_method": "TWN", "stage": "S", "passport_challenge": "lc=1033,id=507,tw=40"})
    );
    assert_eq!(
        fields(C2S, Some(8), "USR TWN S t=53*1hAu8&p=5*x"),
        json!({"auth_method": "TWN", "stage": "S", "ticket": "t=53*1hAu8&p=5*x"})
    );
    assert_eq!(
        fields(S2C, Some(18), "USR SSO S MBI_KEY_OLD 8CLhG/xfgYZ7"),
        json!({"auth_method": "SSO", "stage": "S", "policy": "MBI_KEY_OLD", "nonce": "8CLhG/xfgYZ7"})
    );
    assert_eq!(
        fields(
            C2S,
            Some(18),
            "USR SSO S t=Ew&p= HAAAAAEAAAAD {7A2D5C3E-1B2C}"
        ),
        json!({
            "auth_method": "SSO", "stage": "S", "ticket": "t=Ew&p=",
            "response": "HAAAAAEAAAAD", "machine_guid": "{7A2D5C3E-1B2C}"
        })
    );
    assert_eq!(
        fields(C2S, Some(18), "USR SHA A Zm9v"),
        json!({"auth_method": "SHA", "stage": "A", "circle_ticket": "Zm9v"})
    );
    has(
        &fields(C2S, Some(15), "USR SSO I alice@hotmail.com"),
        json!({"handle": "alice@hotmail.com"}),
    );
}

#[test]
fn usr_ok_by_dialect() {
    // MSNP6–7: handle friendly verified.
    assert_eq!(
        fields(S2C, Some(7), "USR OK alice@hotmail.com Alice%20A. 1"),
        json!({
            "result": "OK", "handle": "alice@hotmail.com", "friendly_name": "Alice A.",
            "friendly_name_raw": "Alice%20A.", "verified": 1
        })
    );
    // MSNP2–5: handle friendly.
    assert_eq!(
        fields(S2C, Some(2), "USR OK alice@hotmail.com Alice"),
        json!({"result": "OK", "handle": "alice@hotmail.com", "friendly_name": "Alice"})
    );
    // MSNP8–9: handle friendly verified restricted.
    assert_eq!(
        fields(S2C, Some(8), "USR OK alice@hotmail.com Alice%20A. 1 0"),
        json!({
            "result": "OK", "handle": "alice@hotmail.com", "friendly_name": "Alice A.",
            "friendly_name_raw": "Alice%20A.", "verified": 1, "restricted": 0
        })
    );
    // MSNP10+: handle verified restricted.
    for d in [Some(10), Some(18), None] {
        assert_eq!(
            fields(S2C, d, "USR OK alice@hotmail.com 1 0"),
            json!({"result": "OK", "handle": "alice@hotmail.com", "verified": 1, "restricted": 0}),
            "{d:?}"
        );
    }
    // A digit-only friendly name in MSNP6 is still a friendly name.
    has(
        &fields(S2C, Some(6), "USR OK a@b.c 1 1"),
        json!({"friendly_name": "1", "verified": 1}),
    );
}

#[test]
fn usr_switchboard() {
    assert_eq!(
        fields(
            C2S,
            Some(8),
            "USR alice@hotmail.com 17262740.1050826919.32308"
        ),
        json!({"handle": "alice@hotmail.com", "cookie": "17262740.1050826919.32308"})
    );
    assert_eq!(
        fields(C2S, Some(16), "USR alice@hotmail.com;{7A2D} 1726.1050"),
        json!({"handle": "alice@hotmail.com", "machine_guid": "{7A2D}", "cookie": "1726.1050"})
    );
    // The SB answer keeps the friendly name even in a dialect whose NS `OK` has none.
    assert_eq!(
        fields(S2C, Some(12), "USR OK alice@hotmail.com Alice%20A."),
        json!({
            "result": "OK", "handle": "alice@hotmail.com", "friendly_name": "Alice A.",
            "friendly_name_raw": "Alice%20A."
        })
    );
}

#[test]
fn xfr_ns_by_dialect() {
    assert_eq!(
        fields(S2C, Some(2), "XFR NS 10.0.0.1:1863"),
        json!({"server_type": "NS", "address": "10.0.0.1:1863"})
    );
    assert_eq!(
        fields(S2C, Some(5), "XFR NS 10.0.0.1:1863 0"),
        json!({"server_type": "NS", "address": "10.0.0.1:1863"})
    );
    assert_eq!(
        fields(
            S2C,
            Some(8),
            "XFR NS 207.46.106.145:1863 0 207.46.104.20:1863"
        ),
        json!({
            "server_type": "NS", "address": "207.46.106.145:1863",
            "current_address": "207.46.104.20:1863"
        })
    );
    assert_eq!(
        fields(S2C, Some(15), "XFR NS 207.46.124.241:1863 U D"),
        json!({"server_type": "NS", "address": "207.46.124.241:1863"})
    );
}

#[test]
fn xfr_sb_by_dialect() {
    assert_eq!(fields(C2S, Some(8), "XFR SB"), json!({"server_type": "SB"}));
    assert_eq!(
        fields(
            S2C,
            Some(8),
            "XFR SB 207.46.108.37:1863 CKI 17262740.1050826919.32308"
        ),
        json!({
            "server_type": "SB", "address": "207.46.108.37:1863", "auth": "CKI",
            "cookie": "17262740.1050826919.32308"
        })
    );
    assert_eq!(
        fields(
            S2C,
            Some(13),
            "XFR SB 10.0.0.7:1864 CKI 1234.5678 U messenger.msn.com"
        ),
        json!({
            "server_type": "SB", "address": "10.0.0.7:1864", "auth": "CKI", "cookie": "1234.5678",
            "hostname": "messenger.msn.com"
        })
    );
    has(
        &fields(
            S2C,
            Some(14),
            "XFR SB 10.0.0.7:1864 CKI 1234.5678 U messenger.msn.com 1",
        ),
        json!({"hostname": "messenger.msn.com", "direct_connect": 1}),
    );
}

// ---- presence ----------------------------------------------------------------------------

#[test]
fn chg_by_dialect() {
    assert_eq!(
        fields(C2S, Some(7), "CHG BSY"),
        json!({"status": "BSY", "status_name": "Busy"})
    );
    assert_eq!(
        fields(C2S, Some(8), "CHG NLN 268435492"),
        json!({
            "status": "NLN", "status_name": "Online", "client_id": 268435492,
            "client_caps": ["ink_gif", "packet"], "msnc_level": 1
        })
    );
    has(
        &fields(
            S2C,
            Some(9),
            "CHG AWY 268435492 %3Cmsnobj%20Creator%3D%22a%22%2F%3E",
        ),
        json!({"msnobject_xml": "<msnobj Creator=\"a\"/>", "msnobject_xml_raw": "%3Cmsnobj%20Creator%3D%22a%22%2F%3E"}),
    );
    let f = fields(C2S, Some(18), "CHG NLN 2789003324:48 0");
    has(
        &f,
        json!({
            "client_id": 2789003324u32, "msnc_level": 10, "client_id_ext": 48,
            "client_ext_caps": ["rtc_video", "p2pv2"], "msnobject_xml": "0"
        }),
    );
    assert!(
        f["client_caps"]
            .as_array()
            .unwrap()
            .contains(&json!("p2p_bootstrap_via_uun"))
    );
}

#[test]
fn iln_msnp2_to_msnp9() {
    assert_eq!(
        fields(S2C, Some(7), "ILN NLN bob@hotmail.com Bob"),
        json!({"status": "NLN", "status_name": "Online", "handle": "bob@hotmail.com", "friendly_name": "Bob"})
    );
    assert_eq!(
        fields(S2C, Some(8), "ILN NLN bob@hotmail.com Bob 268435492"),
        json!({
            "status": "NLN", "status_name": "Online", "handle": "bob@hotmail.com",
            "friendly_name": "Bob", "client_id": 268435492, "client_caps": ["ink_gif", "packet"],
            "msnc_level": 1
        })
    );
    has(
        &fields(
            S2C,
            Some(9),
            "ILN BSY bob@hotmail.com Bob%20(busy) 268435492 %3Cmsnobj%2F%3E",
        ),
        json!({
            "status": "BSY", "friendly_name": "Bob (busy)", "friendly_name_raw": "Bob%20(busy)",
            "client_id": 268435492, "msnobject_xml": "<msnobj/>"
        }),
    );
}

#[test]
fn nln_msnp14_has_a_network_field() {
    let f = fields(S2C, Some(14), "NLN BSY bob@yahoo.com 32 Bob 1879048228 0");
    assert_eq!(
        f,
        json!({
            "status": "BSY", "status_name": "Busy", "handle": "bob@yahoo.com", "network_id": 32,
            "network": "Yahoo!", "friendly_name": "Bob", "client_id": 1879048228u32,
            "client_caps": ["ink_gif", "packet"], "msnc_level": 7, "msnobject_xml": "0"
        })
    );
    // A friendly name made of digits is still the friendly name in MSNP14.
    has(
        &fields(S2C, Some(14), "NLN NLN bob@hotmail.com 1 42 1879048228"),
        json!({"network_id": 1, "friendly_name": "42", "client_id": 1879048228u32}),
    );
    // The same line read as MSNP9 has no network field.
    has(
        &fields(S2C, Some(9), "NLN NLN bob@hotmail.com 1 42 1879048228"),
        json!({"friendly_name": "1", "client_id": 42, "msnobject_xml": "1879048228"}),
    );
    // ILN in MSNP14 may end with an icon URL.
    has(
        &fields(
            S2C,
            Some(14),
            "ILN NLN bob@hotmail.com 1 Bob 1879048228 0 http%3A%2F%2Fx%2Fi.png",
        ),
        json!({"icon_url": "http://x/i.png"}),
    );
}

#[test]
fn nln_msnp18_prefixed_handle() {
    let f = fields(
        S2C,
        Some(18),
        "NLN NLN 1:bob@hotmail.com Bob 2788999228:48 %3Cmsnobj%20Creator%3D%22bob%40hotmail.com%22%2F%3E",
    );
    has(
        &f,
        json!({
            "status": "NLN", "handle": "bob@hotmail.com", "network_id": 1,
            "network": "Windows Live", "friendly_name": "Bob", "client_id": 2788999228u32,
            "client_id_ext": 48, "msnc_level": 10,
            "msnobject_xml": "<msnobj Creator=\"bob@hotmail.com\"/>"
        }),
    );
}

#[test]
fn nln_without_dialect_guesses_the_layout() {
    has(
        &fields(S2C, None, "NLN BSY bob@yahoo.com 32 Bob 1879048228"),
        json!({"network_id": 32, "friendly_name": "Bob", "client_id": 1879048228u32}),
    );
    let f = fields(S2C, None, "NLN BSY bob@hotmail.com Bob 268435492");
    has(&f, json!({"friendly_name": "Bob", "client_id": 268435492}));
    lacks(&f, &["network_id"]);
    has(
        &fields(S2C, None, "NLN AWY 1:bob@hotmail.com Bob 1:2"),
        json!({"network_id": 1, "client_id": 1, "client_id_ext": 2}),
    );
}

#[test]
fn fln_by_dialect() {
    assert_eq!(
        fields(S2C, Some(8), "FLN bob@hotmail.com"),
        json!({"handle": "bob@hotmail.com"})
    );
    assert_eq!(
        fields(S2C, Some(14), "FLN bob@yahoo.com 32"),
        json!({"handle": "bob@yahoo.com", "network_id": 32, "network": "Yahoo!"})
    );
    has(
        &fields(S2C, Some(16), "FLN bob@hotmail.com 1 0:0"),
        json!({"network_id": 1, "client_id": 0, "client_id_ext": 0}),
    );
    has(
        &fields(S2C, Some(18), "FLN 1:bob@hotmail.com 0:0"),
        json!({"handle": "bob@hotmail.com", "network_id": 1, "client_id": 0, "client_id_ext": 0}),
    );
    has(
        &fields(S2C, None, "FLN bob@yahoo.com 32"),
        json!({"network_id": 32}),
    );
}

#[test]
fn ubx_by_dialect() {
    assert_eq!(
        fields(S2C, Some(11), "UBX bob@hotmail.com 60"),
        json!({"handle": "bob@hotmail.com", "length": 60})
    );
    assert_eq!(
        fields(S2C, Some(14), "UBX bob@yahoo.com 32 60"),
        json!({"handle": "bob@yahoo.com", "network_id": 32, "network": "Yahoo!", "length": 60})
    );
    has(
        &fields(S2C, Some(18), "UBX 1:bob@hotmail.com 60"),
        json!({"handle": "bob@hotmail.com", "network_id": 1, "length": 60}),
    );
}

// ---- lists -------------------------------------------------------------------------------

#[test]
fn syn_by_dialect() {
    assert_eq!(fields(C2S, Some(7), "SYN 0"), json!({"list_version": 0}));
    assert_eq!(fields(S2C, Some(7), "SYN 42"), json!({"list_version": 42}));
    assert_eq!(
        fields(S2C, Some(8), "SYN 42 3 2"),
        json!({"list_version": 42, "contact_count": 3, "group_count": 2})
    );
    assert_eq!(
        fields(
            C2S,
            Some(10),
            "SYN 2005-04-23T18:57:44.8130000-07:00 2005-04-23T18:57:54.2070000-07:00"
        ),
        json!({
            "contacts_timestamp": "2005-04-23T18:57:44.8130000-07:00",
            "settings_timestamp": "2005-04-23T18:57:54.2070000-07:00"
        })
    );
    assert_eq!(
        fields(S2C, None, "SYN 0 0 12 3"),
        json!({"contacts_timestamp": "0", "settings_timestamp": "0", "contact_count": 12, "group_count": 3})
    );
}

#[test]
fn lst_msnp2_to_msnp7() {
    assert_eq!(fields(C2S, Some(5), "LST FL"), json!({"list": "FL"}));
    assert_eq!(
        fields(S2C, Some(7), "LST FL 42 1 1 bob@hotmail.com Bob 1"),
        json!({
            "list": "FL", "list_version": 42, "index": 1, "total": 1, "handle": "bob@hotmail.com",
            "friendly_name": "Bob", "group_ids": ["1"]
        })
    );
    assert_eq!(
        fields(S2C, Some(7), "LST BL 42 0 0"),
        json!({"list": "BL", "list_version": 42, "index": 0, "total": 0})
    );
}

#[test]
fn lst_msnp8_to_msnp12() {
    assert_eq!(
        fields_trid(S2C, Some(8), "LST bob@hotmail.com Bob 11 0,1", false),
        json!({
            "handle": "bob@hotmail.com", "friendly_name": "Bob", "list_bits": 11,
            "lists": ["FL", "AL", "RL"], "group_ids": ["0", "1"]
        })
    );
    assert_eq!(
        fields_trid(
            S2C,
            Some(11),
            "LST N=bob@hotmail.com F=Bob%20B C=0b7e-11 3 6a1f-22,7b2e-33",
            false
        ),
        json!({
            "handle": "bob@hotmail.com", "friendly_name": "Bob B", "friendly_name_raw": "Bob%20B",
            "contact_guid": "0b7e-11", "list_bits": 3, "lists": ["FL", "AL"],
            "group_ids": ["6a1f-22", "7b2e-33"]
        })
    );
    has(
        &fields_trid(
            S2C,
            Some(12),
            "LST N=bob@yahoo.com F=Bob C=0b7e-11 11 32",
            false,
        ),
        json!({"list_bits": 11, "network_id": 32, "network": "Yahoo!"}),
    );
}

#[test]
fn lsg_by_dialect() {
    assert_eq!(
        fields(S2C, Some(7), "LSG 42 1 2 0 Other%20Contacts 0"),
        json!({
            "list_version": 42, "index": 1, "total": 2, "group_id": "0",
            "group_name": "Other Contacts", "group_name_raw": "Other%20Contacts"
        })
    );
    let msnp8 = json!({"group_id": "0", "group_name": "Other Contacts", "group_name_raw": "Other%20Contacts"});
    assert_eq!(
        fields_trid(S2C, Some(8), "LSG 0 Other%20Contacts 0", false),
        msnp8
    );
    assert_eq!(
        fields_trid(S2C, None, "LSG 0 Other%20Contacts 0", false),
        msnp8
    );
    assert_eq!(
        fields_trid(S2C, Some(10), "LSG Friends 6a1f-22", false),
        json!({"group_name": "Friends", "group_id": "6a1f-22"})
    );
    assert_eq!(fields(C2S, Some(7), "LSG"), json!({}));
}

#[test]
fn gtc_blp_prp_bpr() {
    assert_eq!(fields(C2S, Some(7), "GTC N"), json!({"add_prompt": "N"}));
    assert_eq!(
        fields(S2C, Some(7), "GTC 42 A"),
        json!({"list_version": 42, "add_prompt": "A"})
    );
    assert_eq!(
        fields_trid(S2C, Some(8), "GTC A", false),
        json!({"add_prompt": "A"})
    );
    assert_eq!(
        fields(S2C, Some(9), "BLP 42 AL"),
        json!({"list_version": 42, "privacy": "AL"})
    );
    assert_eq!(fields(S2C, Some(18), "BLP BL"), json!({"privacy": "BL"}));
    assert_eq!(
        fields_trid(S2C, Some(8), "PRP PHH 01%20234", false),
        json!({"property": "PHH", "property_name": "home phone", "value": "01 234", "value_raw": "01%20234"})
    );
    assert_eq!(
        fields(S2C, Some(7), "PRP 43 MOB Y"),
        json!({"list_version": 43, "property": "MOB", "property_name": "may be paged", "value": "Y"})
    );
    assert_eq!(
        fields(C2S, Some(10), "PRP MFN Alice%20A."),
        json!({
            "property": "MFN", "property_name": "friendly name", "value": "Alice A.",
            "value_raw": "Alice%20A."
        })
    );
    assert_eq!(
        fields(C2S, Some(10), "PRP PHH"),
        json!({"property": "PHH", "property_name": "home phone"})
    );
    assert_eq!(
        fields_trid(S2C, Some(8), "BPR PHH 1%20(555)%20123", false),
        json!({"property": "PHH", "property_name": "home phone", "value": "1 (555) 123", "value_raw": "1%20(555)%20123"})
    );
    assert_eq!(
        fields_trid(S2C, Some(7), "BPR 44 bob@hotmail.com MOB Y", false),
        json!({"list_version": 44, "handle": "bob@hotmail.com", "property": "MOB", "property_name": "may be paged", "value": "Y"})
    );
}

#[test]
fn deleted_properties_have_no_value() {
    assert_eq!(
        fields(S2C, Some(7), "PRP 43 PHH"),
        json!({"list_version": 43, "property": "PHH", "property_name": "home phone"})
    );
    assert_eq!(
        fields_trid(S2C, Some(7), "BPR 44 bob@hotmail.com PHW", false),
        json!({"list_version": 44, "handle": "bob@hotmail.com", "property": "PHW", "property_name": "work phone"})
    );
    assert_eq!(
        fields_trid(S2C, Some(10), "BPR bob@hotmail.com HSB 1", false),
        json!({"handle": "bob@hotmail.com", "property": "HSB", "property_name": "has a blog", "value": "1"})
    );
    assert_eq!(
        fields_trid(S2C, Some(8), "BPR MOB", false),
        json!({"property": "MOB", "property_name": "may be paged"})
    );
}

#[test]
fn add_rem_rea() {
    assert_eq!(
        fields(C2S, Some(7), "ADD FL bob@hotmail.com Bob 1"),
        json!({"list": "FL", "handle": "bob@hotmail.com", "friendly_name": "Bob", "group_id": "1"})
    );
    assert_eq!(
        fields(S2C, Some(7), "ADD FL 43 bob@hotmail.com Bob 1"),
        json!({"list": "FL", "list_version": 43, "handle": "bob@hotmail.com", "friendly_name": "Bob", "group_id": "1"})
    );
    assert_eq!(
        fields(S2C, Some(9), "ADD RL 44 bob@hotmail.com Bob%20B"),
        json!({
            "list": "RL", "list_version": 44, "handle": "bob@hotmail.com",
            "friendly_name": "Bob B", "friendly_name_raw": "Bob%20B"
        })
    );
    assert_eq!(
        fields(S2C, Some(9), "REM AL 45 bob@hotmail.com"),
        json!({"list": "AL", "list_version": 45, "handle": "bob@hotmail.com"})
    );
    assert_eq!(
        fields(
            C2S,
            Some(11),
            "REM FL 0b7e8b2c-1111-2222-3333-444455556666 6a1f8b2c-1111-2222-3333-444455556666"
        ),
        json!({
            "list": "FL", "contact_guid": "0b7e8b2c-1111-2222-3333-444455556666",
            "group_id": "6a1f8b2c-1111-2222-3333-444455556666"
        })
    );
    assert_eq!(
        fields(S2C, Some(11), "REM RL bob@hotmail.com"),
        json!({"list": "RL", "handle": "bob@hotmail.com"})
    );
    assert_eq!(
        fields(S2C, Some(7), "REA 46 alice@hotmail.com Alice%20A."),
        json!({
            "list_version": 46, "handle": "alice@hotmail.com", "friendly_name": "Alice A.",
            "friendly_name_raw": "Alice%20A."
        })
    );
    assert_eq!(
        fields(C2S, Some(7), "REA alice@hotmail.com Al"),
        json!({"handle": "alice@hotmail.com", "friendly_name": "Al"})
    );
}

#[test]
fn adc_forms() {
    assert_eq!(
        fields(C2S, Some(10), "ADC FL N=bob@hotmail.com F=Bob"),
        json!({"list": "FL", "handle": "bob@hotmail.com", "friendly_name": "Bob"})
    );
    assert_eq!(
        fields(S2C, Some(10), "ADC FL C=0b7e-11 6a1f-22"),
        json!({"list": "FL", "contact_guid": "0b7e-11", "group_id": "6a1f-22"})
    );
    assert_eq!(
        fields(S2C, Some(11), "ADC RL N=bob@hotmail.com F=Bob%20B"),
        json!({"list": "RL", "handle": "bob@hotmail.com", "friendly_name": "Bob B", "friendly_name_raw": "Bob%20B"})
    );
}

#[test]
fn group_commands_by_dialect() {
    assert_eq!(
        fields(C2S, Some(7), "ADG New%20Group 0"),
        json!({"group_name": "New Group", "group_name_raw": "New%20Group"})
    );
    assert_eq!(
        fields(S2C, Some(7), "ADG 47 Work 3 0"),
        json!({"list_version": 47, "group_name": "Work", "group_id": "3"})
    );
    assert_eq!(
        fields(S2C, Some(10), "ADG Work 6a1f-22"),
        json!({"group_name": "Work", "group_id": "6a1f-22"})
    );
    assert_eq!(
        fields(S2C, None, "ADG 47 Work 3 0"),
        json!({"list_version": 47, "group_name": "Work", "group_id": "3"})
    );
    assert_eq!(fields(C2S, Some(7), "RMG 3"), json!({"group_id": "3"}));
    assert_eq!(
        fields(S2C, Some(7), "RMG 48 3"),
        json!({"list_version": 48, "group_id": "3"})
    );
    assert_eq!(
        fields(S2C, Some(11), "RMG 6a1f-22"),
        json!({"group_id": "6a1f-22"})
    );
    assert_eq!(
        fields(C2S, Some(7), "REG 3 Mates 0"),
        json!({"group_id": "3", "group_name": "Mates"})
    );
    assert_eq!(
        fields(S2C, Some(7), "REG 49 3 Mates 0"),
        json!({"list_version": 49, "group_id": "3", "group_name": "Mates"})
    );
    assert_eq!(
        fields(S2C, Some(12), "REG 6a1f-22 Mates"),
        json!({"group_id": "6a1f-22", "group_name": "Mates"})
    );
}

#[test]
fn sbp_and_address_book_era_payloads() {
    assert_eq!(
        fields(C2S, Some(11), "SBP 0b7e-11 PHM 555%201234 1"),
        json!({
            "contact_id": "0b7e-11", "property": "PHM", "property_name": "mobile phone",
            "value": "555 1234", "value_raw": "555%201234", "flag": 1
        })
    );
    assert_eq!(fields(C2S, Some(13), "ADL 88"), json!({"length": 88}));
    assert_eq!(fields(S2C, Some(13), "ADL OK"), json!({"result": "OK"}));
    assert_eq!(fields(S2C, Some(13), "RML 120"), json!({"length": 120}));
    assert_eq!(fields(C2S, Some(14), "FQY 55"), json!({"length": 55}));
}

// ---- switchboard -------------------------------------------------------------------------

#[test]
fn rng_by_dialect() {
    let base = json!({
        "session_id": "11752013", "address": "207.46.108.38:1863", "auth": "CKI",
        "cookie": "849102291.520491113", "handle": "alice@hotmail.com",
        "friendly_name": "Alice A.", "friendly_name_raw": "Alice%20A."
    });
    assert_eq!(
        fields(
            S2C,
            Some(8),
            "RNG 11752013 207.46.108.38:1863 CKI 849102291.520491113 alice@hotmail.com Alice%20A."
        ),
        base
    );
    let f = fields(
        S2C,
        Some(14),
        "RNG 11752013 207.46.108.38:1863 CKI 849102291.520491113 alice@hotmail.com Alice%20A. U messenger.hotmail.com 1",
    );
    has(&f, base);
    has(
        &f,
        json!({"hostname": "messenger.hotmail.com", "direct_connect": 1}),
    );
}

#[test]
fn ans_cal_bye() {
    assert_eq!(
        fields(
            C2S,
            Some(8),
            "ANS bob@hotmail.com 849102291.520491113 11752013"
        ),
        json!({"handle": "bob@hotmail.com", "cookie": "849102291.520491113", "session_id": "11752013"})
    );
    has(
        &fields(C2S, Some(16), "ANS bob@hotmail.com;{AA-BB} 8491.5204 117"),
        json!({"handle": "bob@hotmail.com", "machine_guid": "{AA-BB}"}),
    );
    assert_eq!(fields(S2C, Some(8), "ANS OK"), json!({"result": "OK"}));
    assert_eq!(
        fields(C2S, Some(8), "CAL bob@hotmail.com"),
        json!({"handle": "bob@hotmail.com"})
    );
    assert_eq!(
        fields(S2C, Some(8), "CAL RINGING 11752013"),
        json!({"result": "RINGING", "session_id": "11752013"})
    );
    assert_eq!(
        fields(S2C, None, "BYE bob@hotmail.com"),
        json!({"handle": "bob@hotmail.com"})
    );
    assert_eq!(
        fields(S2C, None, "BYE bob@hotmail.com 1"),
        json!({"handle": "bob@hotmail.com", "reason": "1", "idle_timeout": true})
    );
    has(
        &fields(S2C, Some(16), "BYE bob@hotmail.com;{AA-BB}"),
        json!({"machine_guid": "{AA-BB}"}),
    );
}

#[test]
fn msnftp_fields_and_notes() {
    let ftp = Some(Dialect::MSNFTP.0);
    let usr = fields_trid(C2S, ftp, "USR alice@hotmail.com 41728291", false);
    assert_eq!(
        usr,
        json!({"handle": "alice@hotmail.com", "cookie": "41728291"})
    );
    assert_eq!(
        note_of(C2S, ftp, "USR alice@hotmail.com 41728291").as_deref(),
        Some("receiver alice@hotmail.com presents AuthCookie 41728291")
    );
    // The sender may be the TCP client (Sender-Connect): the receiver's USR comes back.
    assert_eq!(
        note_of(S2C, ftp, "USR alice@hotmail.com 41728291").as_deref(),
        Some("receiver alice@hotmail.com presents AuthCookie 41728291")
    );
    assert_eq!(
        fields_trid(S2C, ftp, "FIL 30210", false),
        json!({"file_size": 30210})
    );
    assert_eq!(
        note_of(S2C, ftp, "FIL 30210").as_deref(),
        Some("the file is 30210 bytes")
    );
    assert_eq!(
        note_of(C2S, ftp, "TFR").as_deref(),
        Some("the receiver asks the sender to start sending")
    );
    assert_eq!(
        note_of(C2S, ftp, "CCL").as_deref(),
        Some("the receiver cancels the transfer")
    );
    assert_eq!(note_of(C2S, ftp, "VER MSNFTP"), None);
    assert_eq!(note_of(S2C, ftp, "VER MSNFTP"), None);
    assert_eq!(
        fields_trid(C2S, ftp, "BYE 16777989", false),
        json!({"code": 16777989, "meaning": "the receiver got the whole file"})
    );
    for (code, meaning) in [
        ("16777989", "the receiver got the whole file"),
        (
            "16777987",
            "the receiver stopped before the end of the file",
        ),
        (
            "2147942405",
            "the receiver's disk is full or it may not write there",
        ),
        ("2164261682", "the receiver cancelled the transfer"),
        ("2164261683", "the sender cancelled the transfer"),
        (
            "2164261694",
            "the transfer timed out or its connection was blocked",
        ),
    ] {
        for dir in [C2S, S2C] {
            let line = format!("BYE {code}");
            assert_eq!(note_of(dir, ftp, &line).as_deref(), Some(meaning));
        }
    }
    assert_eq!(
        note_of(C2S, ftp, "BYE 42").as_deref(),
        Some("the receiver ends the transfer (code 42)")
    );
    // Never a switchboard's words.
    let n = note_of(C2S, ftp, "BYE 16777989").unwrap();
    assert!(!n.contains("left the conversation"));
    let n = note_of(C2S, ftp, "USR bob@x.com 1").unwrap();
    assert!(!n.contains("switchboard"));
    // On a switchboard, the same verbs keep their meaning.
    assert_eq!(
        note_of(C2S, Some(8), "USR bob@x.com 1.2").as_deref(),
        Some("joining a switchboard as bob@x.com")
    );
    assert_eq!(
        note_of(S2C, Some(8), "BYE bob@x.com").as_deref(),
        Some("bob@x.com left the conversation")
    );
}

#[test]
fn iro_and_joi_by_dialect() {
    assert_eq!(
        fields(S2C, Some(8), "IRO 1 2 alice@hotmail.com Alice%20A."),
        json!({
            "index": 1, "total": 2, "handle": "alice@hotmail.com", "friendly_name": "Alice A.",
            "friendly_name_raw": "Alice%20A."
        })
    );
    assert_eq!(
        fields(S2C, Some(12), "IRO 1 1 alice@hotmail.com Alice 1342177280"),
        json!({
            "index": 1, "total": 1, "handle": "alice@hotmail.com", "friendly_name": "Alice",
            "client_id": 1342177280, "client_caps": [], "msnc_level": 5
        })
    );
    has(
        &fields(
            S2C,
            Some(16),
            "IRO 1 3 alice@hotmail.com;{7A2D} Alice 2789003324:48",
        ),
        json!({"handle": "alice@hotmail.com", "machine_guid": "{7A2D}", "client_id": 2789003324u32, "client_id_ext": 48}),
    );
    assert_eq!(
        fields(S2C, Some(8), "JOI bob@hotmail.com Bob"),
        json!({"handle": "bob@hotmail.com", "friendly_name": "Bob"})
    );
    has(
        &fields(S2C, Some(12), "JOI bob@hotmail.com Bob 1342177280"),
        json!({"client_id": 1342177280, "msnc_level": 5}),
    );
    has(
        &fields(S2C, Some(16), "JOI bob@hotmail.com;{AA} Bob 2789003324:48"),
        json!({"handle": "bob@hotmail.com", "machine_guid": "{AA}", "client_id_ext": 48}),
    );
}

#[test]
fn msg_ack_nak() {
    assert_eq!(
        fields(C2S, Some(8), "MSG N 119"),
        json!({"ack_mode": "N", "length": 119})
    );
    assert_eq!(
        fields(S2C, Some(8), "MSG bob@hotmail.com Bob%20B 88"),
        json!({"handle": "bob@hotmail.com", "friendly_name": "Bob B", "friendly_name_raw": "Bob%20B", "length": 88})
    );
    assert_eq!(
        fields(S2C, Some(8), "MSG Hotmail Hotmail 367"),
        json!({"handle": "Hotmail", "friendly_name": "Hotmail", "length": 367})
    );
    assert_eq!(fields(S2C, Some(8), "ACK"), json!({}));
    assert_eq!(fields(S2C, Some(8), "NAK"), json!({}));
}

// ---- everything else ---------------------------------------------------------------------

#[test]
fn challenge_and_ping() {
    assert_eq!(
        fields(S2C, Some(8), "CHL 15570131571988941333"),
        json!({"challenge": "15570131571988941333"})
    );
    assert_eq!(
        fields(C2S, Some(8), "QRY msmsgs@msnmsgr.com 32"),
        json!({"product_id": "msmsgs@msnmsgr.com", "length": 32})
    );
    assert_eq!(fields(S2C, Some(8), "QRY"), json!({}));
    assert_eq!(fields_trid(C2S, Some(8), "PNG", false), json!({}));
    assert_eq!(
        fields_trid(S2C, Some(9), "QNG 50", false),
        json!({"next_ping_seconds": 50})
    );
    assert_eq!(fields_trid(S2C, Some(8), "QNG", false), json!({}));
}

#[test]
fn out_reasons() {
    assert_eq!(fields_trid(C2S, None, "OUT", false), json!({}));
    assert_eq!(
        fields_trid(S2C, None, "OUT OTH", false),
        json!({"reason": "OTH", "reason_meaning": "signed in from another place"})
    );
    assert_eq!(
        fields_trid(S2C, None, "OUT XYZ", false),
        json!({"reason": "XYZ"})
    );
}

#[test]
fn payload_commands() {
    assert_eq!(
        fields_trid(S2C, Some(8), "NOT 456", false),
        json!({"length": 456})
    );
    assert_eq!(
        fields_trid(S2C, Some(8), "IPG 123", false),
        json!({"length": 123})
    );
    assert_eq!(fields(C2S, Some(11), "UUX 123"), json!({"length": 123}));
    assert_eq!(fields(S2C, Some(11), "UUX 0"), json!({"length": 0}));
    assert_eq!(
        fields(C2S, Some(11), "GCF Shields.xml"),
        json!({"file": "Shields.xml"})
    );
    assert_eq!(
        fields(S2C, Some(11), "GCF Shields.xml 1234"),
        json!({"file": "Shields.xml", "length": 1234})
    );
    assert_eq!(fields(S2C, Some(15), "GCF 1209"), json!({"length": 1209}));
    assert_eq!(fields(C2S, Some(18), "PUT 300"), json!({"length": 300}));
    assert_eq!(
        fields(S2C, Some(18), "PUT OK 0"),
        json!({"result": "OK", "length": 0})
    );
    assert_eq!(fields(S2C, Some(18), "SDG 250"), json!({"length": 250}));
    assert_eq!(fields(C2S, Some(21), "DEL 90"), json!({"length": 90}));
    assert_eq!(
        fields_trid(S2C, Some(18), "NFY PUT 410", false),
        json!({"operation": "PUT", "length": 410})
    );
    assert_eq!(fields(S2C, Some(11), "SBS null"), json!({"value": "null"}));
    assert_eq!(fields(C2S, Some(11), "GSB"), json!({}));
    assert_eq!(fields(S2C, Some(13), "RFS"), json!({}));
}

#[test]
fn user_notifications() {
    assert_eq!(
        fields(C2S, Some(16), "UUN alice@hotmail.com;{7A2D} 4 14"),
        json!({
            "handle": "alice@hotmail.com", "machine_guid": "{7A2D}", "notification_type": 4,
            "notification_type_name": "sign-out request", "length": 14
        })
    );
    assert_eq!(fields(S2C, Some(16), "UUN OK"), json!({"result": "OK"}));
    assert_eq!(
        fields_trid(S2C, Some(13), "UBN bob@hotmail.com 1 200", false),
        json!({
            "handle": "bob@hotmail.com", "notification_type": 1,
            "notification_type_name": "shared media", "length": 200
        })
    );
}

#[test]
fn federated_messages() {
    assert_eq!(
        fields(C2S, Some(14), "UUM bob@yahoo.com 32 1 120"),
        json!({
            "recipient": "bob@yahoo.com", "network_id": 32, "network": "Yahoo!", "message_type": 1,
            "message_type_name": "text", "length": 120
        })
    );
    assert_eq!(
        fields_trid(
            S2C,
            Some(14),
            "UBM bob@yahoo.com 32 alice@hotmail.com 1 2 67",
            false
        ),
        json!({
            "handle": "bob@yahoo.com", "network_id": 32, "network": "Yahoo!",
            "recipient": "alice@hotmail.com", "recipient_network_id": 1,
            "recipient_network": "Windows Live", "message_type": 2, "message_type_name": "typing",
            "length": 67
        })
    );
}

#[test]
fn invitations_search_and_urls() {
    assert_eq!(
        fields(
            C2S,
            Some(8),
            "SDC bob@hotmail.com 0x0409 MSMSGS MSMSGS X X Alice%20A. 0"
        ),
        json!({
            "email": "bob@hotmail.com", "locale_id": "0x0409", "client_name": "MSMSGS",
            "client_codebase": "MSMSGS", "sender_friendly_name": "Alice A.",
            "sender_friendly_name_raw": "Alice%20A.", "length": 0
        })
    );
    assert_eq!(fields(S2C, Some(8), "SDC OK"), json!({"result": "OK"}));
    assert_eq!(
        fields(C2S, Some(5), "SND bob@hotmail.com 0x0409 MSMSGS"),
        json!({"email": "bob@hotmail.com", "locale_id": "0x0409", "client_name": "MSMSGS"})
    );
    assert_eq!(fields(S2C, Some(5), "SND OK"), json!({"result": "OK"}));
    assert_eq!(
        fields(
            C2S,
            Some(7),
            "FND fname=Bob lname=Smith%20Jr city=* state=* country=US"
        ),
        json!({
            "first_name": "Bob", "last_name": "Smith Jr", "last_name_raw": "Smith%20Jr",
            "city": "*", "state": "*", "country": "US"
        })
    );
    has(
        &fields(S2C, Some(7), "FND 1 3 fname=Bob lname=Smith"),
        json!({"index": 1, "total": 3, "first_name": "Bob"}),
    );
    assert_eq!(
        fields(C2S, Some(8), "URL COMPOSE bob@hotmail.com"),
        json!({"service": "COMPOSE", "service_param": "bob@hotmail.com"})
    );
    assert_eq!(
        fields(
            S2C,
            Some(8),
            "URL /cgi-bin/compose https://login.passport.com/ppsecure/md5auth.srf?lc=1033 2"
        ),
        json!({
            "redirect_url": "/cgi-bin/compose",
            "post_url": "https://login.passport.com/ppsecure/md5auth.srf?lc=1033", "site_id": 2
        })
    );
    assert_eq!(
        fields(C2S, Some(9), "PGD bob@hotmail.com 1 30"),
        json!({"handle": "bob@hotmail.com", "length": 30})
    );
    assert_eq!(
        fields(C2S, Some(18), "VAS bob@hotmail.com 1 2 40"),
        json!({"handle": "bob@hotmail.com", "length": 40})
    );
    assert_eq!(fields(C2S, Some(5), "IMS OFF"), json!({"mode": "OFF"}));
    assert_eq!(
        fields(S2C, Some(5), "IMS 0 OFF"),
        json!({"list_version": 0, "mode": "OFF"})
    );
}

#[test]
fn error_replies() {
    assert_eq!(
        fields(S2C, Some(8), "217"),
        json!({"code": 217, "meaning": "principal not online"})
    );
    assert_eq!(
        fields(S2C, Some(13), "241 120"),
        json!({"code": 241, "meaning": "invalid list xml or membership", "length": 120})
    );
    assert_eq!(fields(S2C, Some(8), "999"), json!({"code": 999}));
    // Unsplit TrID: the length follows it.
    assert_eq!(
        fields_trid(S2C, Some(13), "241 9 120", false)["length"],
        json!(120)
    );
}

// ---- URL-encoded fields ------------------------------------------------------------------

#[test]
fn url_fields_keep_raw_only_when_different() {
    let f = fields(S2C, Some(8), "JOI bob@hotmail.com Bob");
    lacks(&f, &["friendly_name_raw"]);
    // Invalid escape: the raw text stays under the name.
    let f = fields(S2C, Some(8), "JOI bob@hotmail.com 100%");
    assert_eq!(f["friendly_name"], json!("100%"));
    lacks(&f, &["friendly_name_raw"]);
    // UTF-8.
    has(
        &fields(S2C, Some(8), "JOI bob@hotmail.com Jos%C3%A9"),
        json!({"friendly_name": "José"}),
    );
    // Re-encoded stray escape.
    has(
        &fields(S2C, Some(8), "JOI bob@hotmail.com a%3DXX"),
        json!({"friendly_name": "a=XX", "friendly_name_raw": "a%3DXX"}),
    );
}

#[test]
fn missing_params_just_omit_fields() {
    assert_eq!(
        fields(S2C, Some(8), "RNG 11752013"),
        json!({"session_id": "11752013"})
    );
    assert_eq!(
        fields(S2C, Some(14), "NLN BSY"),
        json!({"status": "BSY", "status_name": "Busy"})
    );
    assert_eq!(fields(S2C, Some(8), "USR OK"), json!({"result": "OK"}));
    assert_eq!(fields(S2C, Some(8), "XFR NS"), json!({"server_type": "NS"}));
    assert_eq!(fields(S2C, Some(8), "IRO"), json!({}));
}

#[test]
fn non_numeric_numbers_stay_strings() {
    has(
        &fields(S2C, Some(8), "RNG abc 1.2.3.4:1863 CKI 1.2 a@b.c A"),
        json!({"session_id": "abc"}),
    );
    has(
        &fields(S2C, Some(8), "ILN NLN a@b.c A x1"),
        json!({"client_id": "x1"}),
    );
    lacks(
        &fields(S2C, Some(8), "ILN NLN a@b.c A x1"),
        &["client_caps"],
    );
}

// ---- notes -------------------------------------------------------------------------------

#[test]
fn presence_notes() {
    assert_eq!(
        note_of(
            S2C,
            Some(8),
            "NLN BSY bob@example.com Bob%20(busy) 268435492"
        )
        .as_deref(),
        Some("bob@example.com is now Busy")
    );
    assert_eq!(
        note_of(S2C, Some(18), "ILN AWY 1:bob@example.com Bob 2789003324:48").as_deref(),
        Some("bob@example.com is now Away")
    );
    assert_eq!(
        note_of(S2C, Some(8), "FLN bob@example.com").as_deref(),
        Some("bob@example.com went offline")
    );
    assert_eq!(
        note_of(C2S, Some(8), "CHG BSY 268435492").as_deref(),
        Some("you set your status to Busy")
    );
    assert_eq!(
        note_of(C2S, Some(8), "CHG HDN 0").as_deref(),
        Some("you set your status to Appear Offline")
    );
    assert_eq!(
        note_of(S2C, Some(8), "CHG NLN 0").as_deref(),
        Some("status changed to Online")
    );
}

#[test]
fn session_notes() {
    assert_eq!(
        note_of(S2C, Some(8), "217").as_deref(),
        Some("error 217: principal not online")
    );
    assert_eq!(
        note_of(S2C, Some(8), "999").as_deref(),
        Some("error 999 (undocumented)")
    );
    assert_eq!(
        note_of(S2C, Some(8), "XFR SB 10.0.0.7:1864 CKI 1234.5678").as_deref(),
        Some("switchboard 10.0.0.7:1864 offered with cookie 1234.5678")
    );
    assert_eq!(
        note_of(S2C, Some(8), "XFR NS 207.46.1.2:1863 0 207.46.104.20:1863").as_deref(),
        Some("redirected to notification server 207.46.1.2:1863")
    );
    assert_eq!(
        note_of(
            S2C,
            Some(8),
            "RNG 11752013 10.0.0.7:1864 CKI 849.520 bob@example.com Bob"
        )
        .as_deref(),
        Some("bob@example.com invites you to a switchboard at 10.0.0.7:1864")
    );
    assert_eq!(
        note_of(S2C, None, "JOI bob@example.com Bob").as_deref(),
        Some("bob@example.com joined the conversation")
    );
    assert_eq!(
        note_of(S2C, None, "BYE bob@example.com").as_deref(),
        Some("bob@example.com left the conversation")
    );
    assert_eq!(
        note_of(S2C, None, "BYE bob@example.com 1").as_deref(),
        Some("bob@example.com left the conversation (idle timeout)")
    );
    assert_eq!(
        note_of(S2C, None, "OUT OTH").as_deref(),
        Some("signed in from another place")
    );
    assert_eq!(
        note_of(S2C, None, "OUT SSD").as_deref(),
        Some("server shutting down")
    );
    assert_eq!(
        note_of(C2S, None, "OUT").as_deref(),
        Some("client ends the session")
    );
    assert_eq!(
        note_of(S2C, Some(10), "USR OK alice@example.com 1 0").as_deref(),
        Some("login accepted for alice@example.com")
    );
    assert_eq!(
        note_of(S2C, None, "VER MSNP8 CVR0").as_deref(),
        Some("dialect MSNP8 chosen")
    );
    assert_eq!(
        note_of(S2C, None, "VER 0").as_deref(),
        Some("no common dialect")
    );
    assert_eq!(note_of(C2S, None, "VER MSNP8 CVR0"), None);
    assert_eq!(
        note_of(S2C, Some(9), "ADD RL 44 bob@example.com Bob").as_deref(),
        Some("bob@example.com added you to their contact list")
    );
    assert_eq!(
        note_of(S2C, Some(9), "REM RL 45 bob@example.com").as_deref(),
        Some("bob@example.com removed you from their contact list")
    );
    assert_eq!(
        note_of(S2C, Some(9), "QNG 50").as_deref(),
        Some("next ping due in 50 s")
    );
    assert_eq!(
        note_of(S2C, Some(8), "IRO 1 2 bob@example.com Bob").as_deref(),
        Some("bob@example.com is already in the conversation (1 of 2)")
    );
}

#[test]
fn obvious_lines_have_no_note() {
    assert_eq!(note_of(C2S, Some(8), "PNG"), None);
    assert_eq!(note_of(C2S, Some(8), "MSG N 119"), None);
    assert_eq!(
        note_of(S2C, Some(8), "LST FL 42 1 1 bob@hotmail.com Bob"),
        None
    );
}

#[test]
fn notes_escape_control_characters() {
    // Raw control bytes in a handle must not break the line.
    let n = note_of(S2C, Some(8), "NLN BSY bob\n\r@example.com Bob").unwrap();
    assert_eq!(n, "bob\\x0A\\x0D@example.com is now Busy");
    let n = note_of(S2C, None, "OUT A\u{1b}[31m").unwrap();
    assert_eq!(n, "signed out (reason A\\x1B[31m)");
}

// ---- catalogue ---------------------------------------------------------------------------

#[test]
fn dialect_ranges_and_servers() {
    let adc = lookup(Verb::new(b"ADC")).unwrap();
    assert!(!adc.in_dialect(Some(Dialect(9))));
    assert!(adc.in_dialect(Some(Dialect(10))));
    assert!(adc.in_dialect(Some(Dialect(12))));
    assert!(!adc.in_dialect(Some(Dialect(13))));
    assert!(adc.in_dialect(None));
    assert!(!adc.in_dialect(Some(Dialect::MSNFTP)));
    for v in [b"VER", b"USR", b"FIL", b"TFR", b"BYE", b"CCL"] {
        assert!(
            lookup(Verb::new(v))
                .unwrap()
                .in_dialect(Some(Dialect::MSNFTP))
        );
    }
    let msg = lookup(Verb::new(b"MSG")).unwrap();
    assert_eq!(msg.c2s.servers, Servers::SB);
    assert_eq!(msg.s2c.servers, Servers::NS | Servers::SB);
    assert!(msg.servers().contains(Servers::NS) && !msg.servers().contains(Servers::DS));
    assert_eq!(Servers::NONE.names(), "-");
    assert_eq!((Servers::DS | Servers::NS).names(), "DS, NS");
}

#[test]
fn known_verbs() {
    for v in [b"USR", b"MSG", b"UBX", b"VAS", b"FND", b"RFS"] {
        assert!(known_verb(Verb::new(v)), "{}", Verb::new(v));
    }
    assert!(known_verb(Verb::new(b"217")));
    assert!(!known_verb(Verb::new(b"999")));
    assert!(!known_verb(Verb::new(b"XYZ")));
    assert!(!known_verb(Verb::new(b"usr")));
}

// ---- never panic -------------------------------------------------------------------------

fn any_param() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,12}",
        "[0-9]{1,12}",
        "[0-9]{1,3}:[0-9a-z@.;{}-]{0,12}",
        "[A-Z]{2,3}",
        "%[0-9A-Fa-fG-Z%]{0,3}",
        "\\PC{0,6}",
        Just(String::new()),
        Just("4294967296:99999999999".to_owned()),
    ]
}

fn any_verb() -> impl Strategy<Value = Verb> {
    let named: Vec<Verb> = VERBS.iter().map(|i| i.verb).collect();
    prop_oneof![
        proptest::sample::select(named),
        (100u16..1000).prop_map(|n| {
            let s = n.to_string();
            Verb::new(s.as_bytes().try_into().unwrap())
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn fields_and_notes_never_panic(
        verb in any_verb(),
        c2s in any::<bool>(),
        dialect in proptest::option::of(prop_oneof![Just(0u8), 2u8..=18]),
        params in proptest::collection::vec(any_param(), 0..10),
        has_trid in any::<bool>(),
    ) {
        let dir = if c2s { C2S } else { S2C };
        let dialect = dialect.map(Dialect);
        let _ = named_fields(verb, dir, dialect, &params, has_trid);
        if let Some(n) = note(verb, dir, dialect, &params) {
            prop_assert!(!n.chars().any(|c| (c as u32) < 0x20), "{:?}", n);
        }
    }
}

#[test]
fn every_verb_every_dialect_tolerates_short_and_long_lines() {
    let long: Vec<String> = (0..12).map(|i| format!("p%{i}")).collect();
    for info in VERBS {
        for d in (2u8..=18).chain([0]).map(Some).chain([None]) {
            for dir in [C2S, S2C] {
                for n in 0..=long.len() {
                    let _ = named_fields(info.verb, dir, d.map(Dialect), &long[..n], n % 2 == 0);
                    let _ = note(info.verb, dir, d.map(Dialect), &long[..n]);
                }
            }
        }
    }
}

// ---- the table against docs/PROTOCOL.md ----------------------------------------------------

/// The verb catalogue of `docs/PROTOCOL.md`: one `| VERB | c2s | s2c | dialects | summary |`
/// row per verb, between the `<!-- verbs -->` and `<!-- /verbs -->` markers.
fn documented_verbs() -> Vec<[String; 5]> {
    let doc = include_str!("../../../docs/PROTOCOL.md");
    let start = doc
        .find("<!-- verbs -->")
        .expect("verb catalogue start marker");
    let end = doc
        .find("<!-- /verbs -->")
        .expect("verb catalogue end marker");
    doc[start..end]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect();
            assert_eq!(cells.len(), 5, "catalogue row {l:?}");
            [
                cells[0].clone(),
                cells[1].clone(),
                cells[2].clone(),
                cells[3].clone(),
                cells[4].clone(),
            ]
        })
        .collect()
}

fn dialect_range(row: &VerbSpec) -> String {
    match row.until {
        None => format!("{}+", row.since),
        Some(u) if u == row.since => format!("{u}"),
        Some(u) => format!("{}-{u}", row.since),
    }
}

#[test]
fn every_documented_verb_has_exactly_one_row_that_agrees_with_the_doc() {
    let doc = documented_verbs();
    assert!(doc.len() >= 60, "catalogue too short: {}", doc.len());
    for [verb, c2s, s2c, dialects, summary] in &doc {
        let rows: Vec<&VerbSpec> = VERBS.iter().filter(|r| r.verb.as_str() == verb).collect();
        assert_eq!(rows.len(), 1, "{verb}: {} rows in the table", rows.len());
        let row = rows[0];
        assert_eq!(
            &row.c2s.servers.names(),
            c2s,
            "{verb}: who hears it from the client"
        );
        assert_eq!(
            &row.s2c.servers.names(),
            s2c,
            "{verb}: who sends it to the client"
        );
        assert_eq!(&dialect_range(row), dialects, "{verb}: dialects");
        assert_eq!(row.summary, summary, "{verb}: summary");
    }
    for row in VERBS {
        let documented = doc.iter().filter(|d| d[0] == row.verb.as_str()).count();
        assert_eq!(documented, 1, "{}: documented {documented} times", row.verb);
    }
}

#[test]
fn every_row_is_reachable_and_the_table_is_sorted() {
    for pair in VERBS.windows(2) {
        assert!(
            pair[0].verb < pair[1].verb,
            "{} / {}",
            pair[0].verb,
            pair[1].verb
        );
    }
    for row in VERBS {
        assert!(
            row.verb.0.iter().all(u8::is_ascii_uppercase),
            "{}",
            row.verb
        );
        let found = lookup(row.verb).expect("lookup finds every row");
        assert!(std::ptr::eq(found, row), "{}", row.verb);
        assert!(row.until.is_none_or(|u| u >= row.since), "{}", row.verb);
        assert!(!row.summary.is_empty());
        assert!(!row.servers().is_empty(), "{}: nobody speaks it", row.verb);
        // The framing rule the framer uses is this row's.
        let shape = crate::msnp::rules::shape(row.verb, C2S, None, &[]);
        assert!(shape.known, "{}", row.verb);
    }
    assert!(lookup(Verb::new(b"XYZ")).is_none());
    // Every three letters, and what is not three upper-case letters, find a row exactly
    // when the table has one.
    for a in b'A'..=b'Z' {
        for b in b'A'..=b'Z' {
            for c in b'A'..=b'Z' {
                let v = Verb([a, b, c]);
                let row = VERBS.iter().find(|r| r.verb == v);
                assert_eq!(lookup(v).map(|r| r.verb), row.map(|r| r.verb), "{v}");
            }
        }
    }
    for odd in [b"usr", b"US1", b"217", b"U\xffR", b"[[[", b"@AZ"] {
        assert!(lookup(Verb(*odd)).is_none());
    }
}
