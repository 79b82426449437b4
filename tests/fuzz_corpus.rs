//! Replays the fuzz corpora and crash regressions (`fuzz/corpus/<target>/`,
//! `fuzz/regressions/<target>/`) through the entry points the cargo-fuzz targets call, so
//! stable Rust checks on every `cargo test` that none of them panics. The corpora start from
//! the bundled captures' frames and messages; a fuzzing run adds what it finds.

use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|x| x != "md"))
        .collect();
    out.sort();
    out
}

fn replay(target: &str, run: fn(&[u8])) -> usize {
    replay_with(target, run)
}

fn replay_with(target: &str, mut run: impl FnMut(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut n = 0;
    for dir in ["corpus", "regressions"] {
        for file in files(&root.join(dir).join(target)) {
            let data = std::fs::read(&file).expect("read");
            // A panic names the file: the test harness shows this line before it.
            eprintln!("{}", file.display());
            run(&data);
            n += 1;
        }
    }
    n
}

#[test]
fn the_pipeline_corpus_replays_without_a_panic() {
    let n = replay("pipeline", msnsniff::fuzzing::pipeline);
    assert!(n >= 20, "the seed corpus is in the repository: {n} files");
}

#[test]
fn the_message_corpus_replays_without_a_panic() {
    let n = replay("message", msnsniff::fuzzing::message);
    assert!(n >= 15, "the seed corpus is in the repository: {n} files");
}

#[test]
fn the_framer_corpus_replays_without_a_panic() {
    let n = replay("framer", msnsniff::fuzzing::framer);
    assert!(n >= 5, "the seed corpus is in the repository: {n} files");
}

#[test]
fn the_reassembler_corpus_replays_without_a_panic() {
    let n = replay("reassembler", msnsniff::fuzzing::reassembler);
    assert!(n >= 5, "the seed corpus is in the repository: {n} files");
}

#[test]
fn the_defrag_corpus_replays_without_a_panic() {
    let n = replay("defrag", msnsniff::fuzzing::defrag);
    assert!(n >= 5, "the seed corpus is in the repository: {n} files");
}

#[test]
fn the_transcripts_corpus_replays_without_a_panic() {
    let n = replay("transcripts", msnsniff::fuzzing::transcripts);
    assert!(n >= 10, "the seed corpus is in the repository: {n} files");
}

#[test]
fn the_redact_corpus_replays_without_a_panic() {
    let n = replay("redact", msnsniff::fuzzing::redact);
    assert!(n >= 10, "the seed corpus is in the repository: {n} files");
}

#[test]
fn the_net_corpus_replays_without_a_panic() {
    let n = replay("net", msnsniff::fuzzing::net);
    assert!(n >= 10, "the seed corpus is in the repository: {n} files");
}

#[test]
fn the_capture_corpus_replays_without_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("capture");
    let n = replay_with("capture", |data| {
        std::fs::write(&path, data).expect("write");
        msnsniff::fuzzing::capture_file(&path);
    });
    assert!(n >= 5, "the seed corpus is in the repository: {n} files");
}

/// Property tests on the entry points that have no captures behind their seeds, so that
/// stable Rust explores them too.
mod properties {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn framer_never_panics(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            msnsniff::fuzzing::framer(&data);
        }

        #[test]
        fn net_never_panics(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            msnsniff::fuzzing::net(&data);
        }

        #[test]
        fn defrag_stays_within_its_bounds(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            msnsniff::fuzzing::defrag(&data);
        }

        #[test]
        fn redaction_never_panics(data in proptest::collection::vec(any::<u8>(), 0..1024)) {
            msnsniff::fuzzing::redact(&data);
        }

        #[test]
        fn reassembler_delivers_in_order(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            msnsniff::fuzzing::reassembler(&data);
        }
    }
}
