//! P2P and MSNSLP on `captures/synthetic_p2p.pcap` (built by `tests/fixtures.rs` `p2p`): a
//! file transfer whose MSNSLP INVITE comes in two chunks and names a hostile file, its data in
//! three chunks of session 7, acks, a BYE, and a P2P packet cut short.

mod support;

use serde_json::Value;
use support::*;

const CAPTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/synthetic_p2p.pcap");

fn events() -> Vec<Value> {
    let out = msnsniff(&["read", "--format", "jsonl", CAPTURE]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    jsonl(&out)
}

fn p2p_messages(evs: &[Value]) -> Vec<&Value> {
    evs.iter().filter(|e| e["msnc"]["kind"] == "p2p").collect()
}

#[test]
fn an_slp_invite_in_two_chunks_is_put_together_and_its_file_context_read() {
    let evs = events();
    let msgs = p2p_messages(&evs);
    let first = msgs[0];
    assert_eq!(first["msnc"]["packet"]["offset"], 0);
    assert!(first["msnc"].get("slp").is_none(), "not complete yet");
    let second = msgs[1];
    assert_eq!(second["msnc"]["packet"]["offset"], 600);
    let slp = &second["msnc"]["slp"];
    assert_eq!(slp["start"], "INVITE MSNMSGR:alice@hotmail.com MSNSLP/1.0");
    assert_eq!(slp["application"], "file transfer");
    assert_eq!(slp["session_id"], "7");
    assert_eq!(slp["call_id"], "{6B7D3CE0-9A1E-4F59-8C2B-7E1F0A2B3C4D}");
    let ctx = &slp["context"];
    assert_eq!(ctx["kind"], "file");
    assert_eq!(ctx["file_size"], 2500);
    // The name is data: backslashes doubled, the bidi override kept as a character.
    assert_eq!(ctx["file_name"], "..\\\\..\\\\evil\u{202e}gnp.exe");
    // The 200 OK and the BYE are single chunks.
    let starts: Vec<&str> = msgs
        .iter()
        .filter_map(|m| m["msnc"]["slp"]["start"].as_str())
        .collect();
    assert_eq!(
        starts,
        [
            "INVITE MSNMSGR:alice@hotmail.com MSNSLP/1.0",
            "MSNSLP/1.0 200 OK",
            "BYE MSNMSGR:alice@hotmail.com MSNSLP/1.0",
            "INVITE MSNMSGR:bob@hotmail.com MSNSLP/1.0",
            "MSNSLP/1.0 200 OK",
            "BYE MSNMSGR:bob@hotmail.com MSNSLP/1.0"
        ]
    );
    // The display picture's INVITE names its MSNObject.
    let dp = msgs
        .iter()
        .find(|m| m["msnc"]["slp"]["start"] == "INVITE MSNMSGR:bob@hotmail.com MSNSLP/1.0")
        .unwrap();
    let ctx = &dp["msnc"]["slp"]["context"];
    assert_eq!(ctx["kind"], "msnobject");
    assert_eq!(ctx["object_type_name"], "display picture");
    assert_eq!(ctx["creator"], "bob@hotmail.com");
    assert_eq!(ctx["size"], 300);
}

#[test]
fn data_chunks_and_acks_have_their_headers_in_json() {
    let evs = events();
    let data: Vec<&Value> = p2p_messages(&evs)
        .into_iter()
        .filter(|m| {
            m["msnc"]["packet"]["session_id"] == "7" && m["msnc"]["packet"]["data_len"] != 0
        })
        .collect();
    let offsets: Vec<u64> = data
        .iter()
        .map(|m| m["msnc"]["packet"]["offset"].as_u64().unwrap())
        .collect();
    assert_eq!(offsets, [0, 1202, 2404]);
    for m in &data {
        let p = &m["msnc"]["packet"];
        assert_eq!(p["total_size"], 2500);
        assert_eq!(p["footer"], 2);
        assert_eq!(p["message_id"], "102");
        assert_eq!(m["sender"], "bob@hotmail.com");
    }
    let acks: Vec<&Value> = p2p_messages(&evs)
        .into_iter()
        .filter(|m| m["msnc"]["packet"]["flag_names"] == serde_json::json!(["ack"]))
        .collect();
    // Three acks of the file transfer's messages, one of the picture.
    assert_eq!(acks.len(), 4);
    assert_eq!(acks[2]["msnc"]["packet"]["ack_id"], "102");
    assert_eq!(acks[3]["msnc"]["packet"]["ack_id"], "106");
}

#[test]
fn a_packet_cut_short_is_an_anomaly_and_nothing_else_is() {
    let evs = events();
    let anomalies: Vec<&str> = evs
        .iter()
        .filter(|e| e["type"] == "anomaly")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(anomalies, ["p2p.truncated"]);
    let last = *p2p_messages(&evs).last().unwrap();
    assert_eq!(last["msnc"]["error"], "p2p.truncated");
    assert!(last["msnc"].get("packet").is_none());
}

#[test]
fn the_dialogue_tells_packets_in_notes_and_never_dumps_them() {
    let out = msnsniff(&["read", "--color", "never", CAPTURE]);
    let text = stdout(&out);
    assert!(
        text.contains("<o> P2P session 7 message 102: bytes 1202-2403 of 2500 (file data, wlm)"),
        "{text}"
    );
    assert!(text.contains(
        "file transfer, session 7, file \"..\\\\..\\\\evil\\u{202E}gnp.exe\" (2500 bytes)"
    ));
    assert!(
        !text.contains('\u{202e}'),
        "a raw bidi override reached the terminal"
    );
    // Only the packet cut short is dumped.
    assert_eq!(text.matches("bytes of binary data").count(), 1, "{text}");
    // A data chunk is two lines: its command and its note.
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("bytes 0-1201 of 2500"))
        .unwrap();
    assert!(
        lines[at - 1].starts_with("<<< MSG bob@hotmail.com Bob "),
        "{}",
        lines[at - 1]
    );
    // Without notes, a marker stands for each data chunk and ack.
    let none = stdout(&msnsniff(&[
        "read", "--color", "never", "--notes", "none", CAPTURE,
    ]));
    // The file's three data chunks and three acks, the picture's preparation packet, its
    // data and its ack, and the P2Pv2 packet; the packet cut short is dumped.
    assert_eq!(
        none.matches("bytes of P2P data]").count(),
        3 + 3 + 3 + 1,
        "{none}"
    );
}

#[test]
fn a_p2pv2_packet_between_endpoints_shows_its_fields() {
    let evs = events();
    let v2: Vec<&Value> = p2p_messages(&evs)
        .into_iter()
        .filter(|m| m["msnc"]["packet"]["version"] == 2)
        .collect();
    assert_eq!(v2.len(), 1);
    let p = &v2[0]["msnc"]["packet"];
    assert_eq!(p["session_id"], "9");
    assert_eq!(p["base_id"], 0x0001_0203.to_string());
    assert_eq!(p["message_length"], 13);
    assert_eq!(p["package_number"], 3);
    assert_eq!(p["tf_name"], "msnobject data");
    assert_eq!(p["data_len"], 5);
    assert_eq!(p["footer"], 1);
    assert!(p.get("message_id").is_none(), "no P2Pv1 fields");
    assert_eq!(
        p["description"],
        "P2Pv2 seq 66051: session 9 package 3, 5 bytes (first, msnobject data)"
    );
}

#[test]
fn extract_writes_the_file_and_the_display_picture_whose_sha1_matches_its_msnobject() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("objects");
    let out_arg = out_dir.to_str().unwrap();
    let out = msnsniff(&["read", "--format", "jsonl", "--extract", out_arg, CAPTURE]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let extracted: Vec<Value> = jsonl(&out)
        .into_iter()
        .filter(|e| e["type"] == "extracted")
        .collect();
    assert_eq!(extracted.len(), 2);
    // The file: bob's 2500 bytes under a name that cannot leave the directory.
    let file = &extracted[0];
    assert_eq!(file["object_kind"], "file");
    assert_eq!(file["transport"], "p2p");
    assert_eq!(file["sender"], "bob@hotmail.com");
    assert_eq!(file["receiver"], "alice@hotmail.com");
    assert_eq!(file["partial"], false);
    let path = std::path::Path::new(file["path"].as_str().unwrap());
    assert_eq!(path.parent(), Some(out_dir.as_path()));
    // Exactly the file the fixture sent (`tests/fixtures.rs` `p2p_file`), and its sha256.
    let original = filler("p2p file", 2500);
    assert_eq!(std::fs::read(path).unwrap(), original);
    use sha2::Digest as _;
    let sha256: String = sha2::Sha256::digest(&original)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(file["sha256"], sha256.as_str());
    // The picture: its SHA-1 is the SHA1D of the MSNObject the INVITE named.
    let pic = &extracted[1];
    assert_eq!(pic["object_kind"], "display_picture");
    assert_eq!(pic["sender"], "bob@hotmail.com");
    assert_eq!(pic["size"], 300);
    assert_eq!(pic["sha1d_matches"], true);
    let pic_bytes = std::fs::read(pic["path"].as_str().unwrap()).unwrap();
    assert!(pic_bytes.starts_with(b"\x89PNG"));
    // Only these two files and their sidecars were written.
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
}

/// The real Escargot capture (`captures/escargot_msnp11_full.pcap`) holds a display picture
/// sent over P2P; both clients' switchboard connections were captured, so it is extracted
/// once from each, and both copies are the picture its MSNObject's SHA1D names.
#[test]
fn a_real_display_picture_is_extracted_and_matches_its_sha1d() {
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/captures/escargot_msnp11_full.pcap"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().to_str().unwrap();
    let out = msnsniff(&["read", "--format", "jsonl", "--extract", out_dir, capture]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let pictures: Vec<Value> = jsonl(&out)
        .into_iter()
        .filter(|e| e["type"] == "extracted")
        .collect();
    assert_eq!(pictures.len(), 2);
    for p in &pictures {
        assert_eq!(p["object_kind"], "display_picture");
        assert_eq!(p["size"], 5718);
        assert_eq!(p["bytes_written"], 5718);
        assert_eq!(p["partial"], false);
        assert_eq!(p["sha1d_matches"], true, "{p}");
    }
    assert_eq!(pictures[0]["sha256"], pictures[1]["sha256"]);
}
