//! Golden outputs: every capture in `captures/` is run through `msnsniff` and the output is
//! compared with `tests/golden/<capture>.<kind>`. After an intended change, regenerate them
//! with `UPDATE_GOLDEN=1 cargo test --test golden` (or `make golden`) and review the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

const HEADER: &str = "# golden output: do not edit; regenerate with `make golden`\n";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("captures"))
        .expect("captures/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng")
            )
        })
        .collect();
    v.sort();
    v
}

fn run(args: &[&str], capture: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_msnsniff"))
        .args(args)
        .arg(capture)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("COLUMNS")
        .output()
        .expect("msnsniff runs");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "msnsniff {args:?} {} failed: {}",
        capture.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

/// Compares `actual` with the golden file, or rewrites it under UPDATE_GOLDEN.
fn check(name: &str, actual: &str) -> Result<(), String> {
    let path = root().join("tests/golden").join(name);
    let actual = format!("{HEADER}{actual}");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).expect("write golden file");
        return Ok(());
    }
    let expected = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {e} (run `make golden` to create it)", path.display()))?;
    if expected == actual {
        return Ok(());
    }
    let first = expected
        .lines()
        .zip(actual.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    let show = |s: &str| {
        s.lines()
            .skip(first.saturating_sub(3))
            .take(12)
            .collect::<Vec<_>>()
            .join("\n")
    };
    Err(format!(
        "{} differs from line {}:\n```expected\n{}\n```\n```actual\n{}\n```",
        path.display(),
        first + 1,
        show(&expected),
        show(&actual)
    ))
}

fn golden(kind: &str, args: &[&str]) {
    let mut failures = Vec::new();
    for cap in captures() {
        let name = cap.file_stem().unwrap().to_string_lossy().to_string();
        if let Err(e) = check(&format!("{name}.{kind}"), &run(args, &cap)) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn flows_tables() {
    golden("flows.txt", &["flows"]);
}

#[test]
fn flows_jsonl() {
    golden("flows.jsonl", &["flows", "--format", "jsonl"]);
}

#[test]
fn dialogues() {
    golden("dialogue.txt", &["read", "--color", "never"]);
}

#[test]
fn dialogues_with_every_note() {
    golden(
        "dialogue-full.txt",
        &["read", "--color", "never", "--notes", "full", "--group"],
    );
}

#[test]
fn json_events() {
    golden("events.jsonl", &["read", "--format", "jsonl"]);
}

#[test]
fn pcapng_reads_like_the_same_capture_in_pcap() {
    let dir = root().join("captures");
    let pcap = run(
        &["read", "--format", "jsonl"],
        &dir.join("synthetic_msnp11_twn.pcap"),
    );
    let ng = run(
        &["read", "--format", "jsonl"],
        &dir.join("synthetic_msnp11_twn_pcapng.pcapng"),
    );
    assert!(!pcap.is_empty());
    assert_eq!(pcap, ng);
}

/// Every transcript `msnsniff transcripts` writes for a capture, in one format, as one text:
/// each file's name (the temporary directory left out) and its content, in name order.
fn transcripts(capture: &Path, format: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_msnsniff"))
        .args(["transcripts", "--format", format, "-q", "-o"])
        .arg(dir.path())
        .arg(capture)
        .output()
        .expect("run msnsniff");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}: {}",
        capture.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read the output directory")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    let mut all = String::new();
    for path in names {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).expect("transcripts are UTF-8");
        all.push_str(&format!("==> {name} <==\n{text}\n"));
    }
    all
}

fn golden_transcripts(format: &str) {
    let mut failures = Vec::new();
    for cap in captures() {
        let name = cap.file_stem().unwrap().to_string_lossy().to_string();
        let text = transcripts(&cap, format);
        if let Err(e) = check(&format!("{name}.transcripts.{format}"), &text) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn transcripts_txt() {
    golden_transcripts("txt");
}

#[test]
fn transcripts_json() {
    golden_transcripts("json");
}

#[test]
fn transcripts_html() {
    golden_transcripts("html");
}
