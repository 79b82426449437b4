//! MSNFTP end to end, on `captures/synthetic_msnftp.pcap` (built by `tests/fixtures.rs`): a
//! login, a switchboard carrying three file invitations, and their transfers. report.txt goes
//! to port 6892 and is a text file whose lines look like MSNP commands; photo.jpg is cancelled
//! by its sender; notes.txt uses Sender-Connect (the sender is the TCP client) and is cancelled
//! by its receiver with `CCL`.

mod support;

use serde_json::Value;
use support::{jsonl, msnsniff, stdout};

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/captures/synthetic_msnftp.pcap"
);

fn events() -> Vec<Value> {
    jsonl(&msnsniff(&["read", "--format", "jsonl", CAPTURE]))
}

fn of<'a>(events: &'a [Value], kind: &str, flow: u64) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["type"] == kind && e["flow"] == flow)
        .collect()
}

/// The last connection event of a flow: what the decoder finally knew.
fn connection(events: &[Value], flow: u64) -> &Value {
    events
        .iter()
        .rev()
        .find(|e| {
            (e["type"] == "connection_opened" || e["type"] == "connection_update")
                && e["flow"] == flow
        })
        .unwrap()
}

fn transfer(events: &[Value], flow: u64) -> &Value {
    of(events, "msnftp_transfer", flow)[0]
}

#[test]
fn no_msnp_anomaly_and_every_transfer_is_msnftp_linked_to_its_invitation() {
    let ev = events();
    let anomalies: Vec<_> = ev.iter().filter(|e| e["type"] == "anomaly").collect();
    assert!(anomalies.is_empty(), "{anomalies:?}");
    for (flow, file) in [(3, "report.txt"), (4, "photo.jpg"), (5, "notes.txt")] {
        let c = connection(&ev, flow);
        assert_eq!(c["role"], "MSNFTP");
        assert_eq!(c["dialect"], "MSNFTP");
        assert_eq!(c["announced_by"], 2);
        assert_eq!(c["detection"]["kind"], "file_transfer");
        let reason = c["role_reason"].as_str().unwrap();
        assert!(
            reason.starts_with("file transfer address announced on connection 2, for ")
                && reason.contains(file)
                && reason.ends_with("from bob@hotmail.com"),
            "{reason}"
        );
        for cmd in of(&ev, "command", flow) {
            assert!(cmd["trid"].is_null(), "{cmd}");
            assert_eq!(cmd["dialect"], "MSNFTP");
            assert_eq!(cmd["channel"], "MSNC");
            assert!(cmd["payload_len"].is_null());
        }
    }
    // The transfer on port 6892 (not the default 6891).
    assert_eq!(connection(&ev, 3)["server"], "10.0.0.9:6892");
}

#[test]
fn a_text_file_is_blocks_not_commands() {
    let ev = events();
    let cmds = of(&ev, "command", 3);
    let lines: Vec<(String, String)> = cmds
        .iter()
        .map(|c| {
            let words: Vec<&str> = std::iter::once(&c["verb"])
                .chain(c["params"].as_array().unwrap())
                .map(|p| p.as_str().unwrap())
                .collect();
            (c["dir"].as_str().unwrap().to_string(), words.join(" "))
        })
        .collect();
    let expected = [
        ("c2s", "VER MSNFTP"),
        ("s2c", "VER MSNFTP"),
        ("c2s", "USR alice@hotmail.com 41728291"),
        ("s2c", "FIL 4107"),
        ("c2s", "TFR"),
        ("c2s", "BYE 16777989"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(d, l)| (d.to_string(), l.to_string()))
        .collect();
    assert_eq!(lines, expected);
    let usr = cmds[2];
    assert_eq!(usr["fields"]["handle"], "alice@hotmail.com");
    assert_eq!(usr["fields"]["cookie"], "41728291");
    assert_eq!(
        usr["note"],
        "receiver alice@hotmail.com presents AuthCookie 41728291; it matches the invitation \
         on connection 2: report.txt (4107 bytes) from bob@hotmail.com"
    );
    assert_eq!(cmds[3]["fields"]["file_size"], 4107);
    assert_eq!(cmds[5]["fields"]["code"], 16777989u64);
    assert_eq!(cmds[5]["note"], "the receiver got the whole file");

    let blocks = of(&ev, "msnftp_block", 3);
    let lens: Vec<u64> = blocks.iter().map(|b| b["len"].as_u64().unwrap()).collect();
    assert_eq!(lens, [2045, 2045, 17]);
    let offsets: Vec<u64> = blocks
        .iter()
        .map(|b| b["file_offset"].as_u64().unwrap())
        .collect();
    assert_eq!(offsets, [0, 2045, 4090]);
    for (i, b) in blocks.iter().enumerate() {
        assert_eq!(b["index"], i as u64 + 1);
        assert_eq!(b["dir"], "s2c");
        assert_eq!(b["cancel"], false);
        assert!(b.get("received").is_none());
    }
    let t = transfer(&ev, 3);
    assert_eq!(t["file_name"], "report.txt");
    assert_eq!(t["file_size"], 4107);
    assert_eq!(t["blocks"], 3);
    assert_eq!(t["bytes"], 4107);
    assert_eq!(t["complete"], true);
    assert!(t["cancelled_by"].is_null());

    // The dialogue shows the lines of the protocol, never the file's.
    let text = stdout(&msnsniff(&["read", "--flow", "3", CAPTURE]));
    for bad in [
        "BYE 1\\r\\n",
        "MSG 1 N 50",
        "joining a switchboard",
        "left the conversation",
        "anomaly",
    ] {
        assert!(!text.contains(bad), "{bad} in\n{text}");
    }
    assert!(text.contains("connection 3 opened: 10.0.0.1:1032 -> 10.0.0.9:6892, MSNFTP;"));
    assert!(
        text.contains("<o> transfer of report.txt: 3 blocks, 4107 bytes, the size FIL announced\n")
    );
    assert!(!text.contains("<o> block "));
    let full = stdout(&msnsniff(&[
        "read", "--flow", "3", "--notes", "full", CAPTURE,
    ]));
    assert!(
        full.contains("<o> block 1: 2045 bytes\n<o> block 2: 2045 bytes\n<o> block 3: 17 bytes\n")
    );
}

#[test]
fn cancelled_transfers_say_who_cancelled() {
    let ev = events();
    // photo.jpg: one block, then the sender's cancel marker.
    let blocks = of(&ev, "msnftp_block", 4);
    assert_eq!(blocks.len(), 2);
    assert_eq!(
        (&blocks[0]["len"], &blocks[0]["cancel"]),
        (&Value::from(2045), &Value::from(false))
    );
    assert_eq!(
        (&blocks[1]["len"], &blocks[1]["cancel"]),
        (&Value::from(0), &Value::from(true))
    );
    let t = transfer(&ev, 4);
    assert_eq!(t["cancelled_by"], "sender");
    assert_eq!(
        (t["blocks"].as_u64(), t["bytes"].as_u64()),
        (Some(1), Some(2045))
    );
    assert_eq!(t["complete"], false);
    let bye = of(&ev, "command", 4)
        .into_iter()
        .find(|c| c["verb"] == "BYE")
        .unwrap();
    assert_eq!(bye["note"], "the sender cancelled the transfer");

    // notes.txt: the sender connected (Sender-Connect), so its blocks go client to server;
    // the receiver, the TCP server, still spoke first and cancels with CCL.
    let cmds = of(&ev, "command", 5);
    let verbs: Vec<(&str, &str)> = cmds
        .iter()
        .map(|c| (c["dir"].as_str().unwrap(), c["verb"].as_str().unwrap()))
        .collect();
    assert_eq!(
        verbs,
        [
            ("s2c", "VER"),
            ("c2s", "VER"),
            ("s2c", "USR"),
            ("c2s", "FIL"),
            ("s2c", "TFR"),
            ("s2c", "CCL")
        ]
    );
    assert_eq!(cmds[5]["note"], "the receiver cancels the transfer");
    let blocks = of(&ev, "msnftp_block", 5);
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0]["dir"], "c2s");
    let t = transfer(&ev, 5);
    assert_eq!(t["cancelled_by"], "receiver");
    assert_eq!(
        (t["bytes"].as_u64(), t["file_size"].as_u64()),
        (Some(2045), Some(3000))
    );

    let text = stdout(&msnsniff(&["read", CAPTURE]));
    assert!(text.contains("<o> the sender cancels the transfer (cancel marker)\n"));
    assert!(text.contains(
        "<o> transfer of photo.jpg: 1 block, 2045 of the 6000 bytes FIL announced; the sender cancelled\n"
    ));
    assert!(text.contains(
        "<o> transfer of notes.txt: 1 block, 2045 of the 3000 bytes FIL announced; the receiver cancelled\n"
    ));
}

#[test]
fn selections_keep_blocks_with_their_connection_and_drop_them_for_verbs() {
    let only_ns = jsonl(&msnsniff(&[
        "read", "--format", "jsonl", "--only", "ns", CAPTURE,
    ]));
    assert!(only_ns.iter().all(|e| e["type"] != "msnftp_block"));
    let msnc = jsonl(&msnsniff(&[
        "read", "--format", "jsonl", "--only", "msnc", CAPTURE,
    ]));
    assert_eq!(
        msnc.iter().filter(|e| e["type"] == "msnftp_block").count(),
        6
    );
    let fil = jsonl(&msnsniff(&[
        "read", "--format", "jsonl", "--verb", "FIL", CAPTURE,
    ]));
    assert!(fil.iter().all(|e| e["type"] != "msnftp_block"));
    assert_eq!(fil.iter().filter(|e| e["type"] == "command").count(), 3);
}
