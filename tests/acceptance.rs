//! Acceptance on traffic with exact ground truth: captures made by the project's synthetic
//! generator (`../shared/tools/gen_msn_pcap.py`) must decode to exactly the per-verb command
//! counts, connection roles and stream bytes of its truth file. Skipped (with a message) when
//! the generator or python3 is not there.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

fn generator() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/gen_msn_pcap.py");
    let python = Command::new("python3").arg("--version").output().is_ok();
    (p.exists() && python).then_some(p)
}

fn check_seed(seed: u32, extra: &[&str]) {
    let Some(gen_py) = generator() else {
        eprintln!("skipped: ../shared/tools/gen_msn_pcap.py or python3 not available");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("gen.pcap");
    let truth = dir.path().join("gen.truth.json");
    let status = Command::new("python3")
        .arg(&gen_py)
        .args([
            "-o",
            pcap.to_str().unwrap(),
            "--size",
            "1M",
            "--seed",
            &seed.to_string(),
        ])
        .args(["--truth", truth.to_str().unwrap()])
        .args(extra)
        .output()
        .expect("run generator");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let truth: Value = serde_json::from_slice(&std::fs::read(&truth).unwrap()).unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_msnsniff"))
        .args(["read", "--format", "jsonl", pcap.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut roles: BTreeMap<String, u64> = BTreeMap::new();
    let mut bytes: BTreeMap<&str, u64> = BTreeMap::new();
    let mut anomalies = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        match e["type"].as_str().unwrap() {
            "command" => {
                let key = (
                    e["dir"].as_str().unwrap().to_string(),
                    e["verb"].as_str().unwrap().to_string(),
                );
                *counts.entry(key).or_default() += 1;
            }
            "anomaly" => anomalies.push(e["name"].to_string()),
            "connection_closed" => {
                *roles
                    .entry(e["role"].as_str().unwrap().to_string())
                    .or_default() += 1;
                *bytes.entry("c2s").or_default() += e["summary"]["client_bytes"].as_u64().unwrap();
                *bytes.entry("s2c").or_default() += e["summary"]["server_bytes"].as_u64().unwrap();
            }
            _ => {}
        }
    }
    let mut expected: BTreeMap<(String, String), u64> = BTreeMap::new();
    for dir in ["c2s", "s2c"] {
        for (verb, n) in truth["msn_commands"][dir].as_object().unwrap() {
            expected.insert((dir.to_string(), verb.clone()), n.as_u64().unwrap());
        }
    }
    assert_eq!(counts, expected, "per-verb command counts, seed {seed}");
    assert!(anomalies.is_empty(), "seed {seed}: anomalies {anomalies:?}");
    let s = &truth["msn_sessions"];
    let sb = s["sb_in"].as_u64().unwrap() + s["sb_out"].as_u64().unwrap();
    assert_eq!(
        roles.get("DS").copied().unwrap_or(0),
        s["ds"].as_u64().unwrap()
    );
    assert_eq!(
        roles.get("NS").copied().unwrap_or(0),
        s["ns"].as_u64().unwrap()
    );
    assert_eq!(roles.get("SB").copied().unwrap_or(0), sb);
    assert_eq!(
        bytes["c2s"],
        truth["msn_stream_bytes"]["c2s"].as_u64().unwrap()
    );
    assert_eq!(
        bytes["s2c"],
        truth["msn_stream_bytes"]["s2c"].as_u64().unwrap()
    );
}

#[test]
fn generator_seed_1_with_default_impairments() {
    check_seed(1, &[]);
}

#[test]
fn generator_seed_2_with_heavy_reordering_and_retransmission() {
    check_seed(2, &["--retrans", "0.1", "--ooo", "0.1", "--nanosecond"]);
}
