//! Issue 12: reading the file on one thread, decoding on another and writing on a third
//! (`--threads`, on by default on a machine with two processors; `transcripts` reads on its
//! decoding thread) changes nothing in what is written: the same events in the same order,
//! the same notices and errors, the same exit status, and an output that fails stops the
//! decoding.

mod support;

use msnsniff::capture::{CaptureError, FileSource, PacketSource, RawPacket};
use msnsniff::event::{Collect, Event, EveryField, FieldsWanted, Sink};
use msnsniff::msnp::Verb;
use msnsniff::output::stats::Stats;
use msnsniff::pipeline;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use support::msngen::{self, Options};

fn msnsniff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_msnsniff"))
        .args(args)
        // A fixed key, so that redacted runs can be compared.
        .env("MSNSNIFF_REDACT_KEY", "threads test")
        .output()
        .expect("msnsniff runs")
}

fn bundled() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/captures"))
            .expect("captures/")
            .map(|e| e.expect("entry").path())
            .filter(|p| {
                matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("pcap" | "pcapng")
                )
            })
            .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    files
}

/// A generated capture of a few MB: thousands of events, so many hand-overs between threads.
fn generated(dir: &Path) -> PathBuf {
    let path = dir.join("gen.pcap");
    std::fs::write(&path, msngen::generate(&Options::new(12, 3_000_000)).pcap).expect("write");
    path
}

/// The files under `dir`, by name, with their contents (none when it does not exist).
fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|r| {
            r.map(|e| {
                let p = e.expect("entry").path();
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read(&p).expect("read"),
                )
            })
            .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Runs `args` on `file` with one thread and with two, and checks that both wrote the same,
/// on stdout and stderr, and in the directory an argument `DIR` stands for.
fn same_both_ways(args: &[&str], file: &Path) {
    same_both_ways_on(args, &[file]);
}

/// [`same_both_ways`] on several files read as one capture.
fn same_both_ways_on(args: &[&str], files: &[&Path]) {
    let files: Vec<&str> = files
        .iter()
        .map(|f| f.to_str().expect("UTF-8 path"))
        .collect();
    let file = files.join(" ");
    let scratch = tempfile::tempdir().expect("tempdir");
    let dir = scratch.path().join("out");
    let run = |threads: &str| {
        let _ = std::fs::remove_dir_all(&dir);
        let mut all: Vec<&str> = args
            .iter()
            .map(|&a| if a == "DIR" { dir.to_str().unwrap() } else { a })
            .collect();
        all.extend(["--threads", threads]);
        all.extend(&files);
        (msnsniff(&all), files_in(&dir))
    };
    let ((one, one_files), (two, two_files)) = (run("1"), run("2"));
    assert_eq!(one.status.code(), two.status.code(), "{args:?} {file}");
    assert_eq!(one.stderr, two.stderr, "{args:?} {file}");
    assert!(
        one.stdout == two.stdout,
        "{args:?} {file}: output differs between one thread and two"
    );
    assert!(
        one_files == two_files,
        "{args:?} {file}: files differ between one thread and two"
    );
}

#[test]
fn every_bundled_capture_is_written_the_same_on_one_thread_and_on_two() {
    for file in bundled() {
        for args in [
            &["read", "-q", "--format", "jsonl"][..],
            &["read", "-q", "--format", "json", "--only", "sb"],
            &["read", "-q", "--format", "jsonl", "--extract", "DIR"],
            &["read", "-q", "--format", "jsonl", "--redact-handles"],
            &["read", "-q"],
            &["read", "-q", "--group", "--extract", "DIR"],
            &["stats", "-q"],
            &["stats", "-q", "--format", "json", "--extract", "DIR"],
            // Written on the decoding thread, the file read ahead on another.
            &["flows", "-q", "--format", "jsonl"],
        ] {
            same_both_ways(args, &file);
        }
        same_both_ways(&["transcripts", "-q", "-o", "DIR"], &file);
    }
}

#[test]
fn a_large_capture_is_written_the_same_on_one_thread_and_on_two() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = generated(dir.path());
    same_both_ways(&["read", "-q", "--format", "jsonl"], &file);
    same_both_ways(&["read", "-q", "--format", "json", "--verb", "MSG"], &file);
    same_both_ways(&["transcripts", "-q", "-o", "DIR"], &file);
    same_both_ways(&["read", "-q"], &file);
    same_both_ways(&["stats", "-q"], &file);
}

/// Reading ahead gives what the files give, in the same place: a notice between two files
/// (the second starts before the first ended) and a truncated last record's error.
#[test]
fn notices_and_errors_come_in_the_same_place_on_one_thread_and_on_two() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = generated(dir.path());
    let bytes = std::fs::read(&file).expect("read");
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3 + 5]).expect("write");
    for args in [
        &["read", "-q", "--format", "jsonl"][..],
        &["read", "-q"],
        &["stats", "-q"],
    ] {
        same_both_ways_on(args, &[&file, &file]);
        same_both_ways_on(args, &[&file, &cut]);
    }
    // The cases happen: the notice is written, and the truncation is said on stderr with
    // a failing status.
    let run = msnsniff(&[
        "read",
        "-q",
        "--format",
        "jsonl",
        "--threads",
        "2",
        file.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&run.stdout).contains("capture.file_time_backwards"));
    let run = msnsniff(&["read", "-q", "--threads", "2", cut.to_str().unwrap()]);
    assert_ne!(run.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("truncated"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn the_split_run_hands_on_every_event_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = generated(dir.path()).to_string_lossy().into_owned();
    let source = || FileSource::new(vec![file.clone()], None);
    let (mut one, mut two) = (Collect::default(), Collect::default());
    let (s1, c1) =
        pipeline::decode(&mut source(), pipeline::msn_config(), &mut one).expect("decode");
    let (s2, c2) =
        pipeline::decode_split(&mut source(), pipeline::msn_config(), &mut two).expect("split");
    assert_eq!(
        (s1.frames, s1.msn_connections, c1),
        (s2.frames, s2.msn_connections, c2)
    );
    // Many more events than one hand-over carries, so many batches crossed.
    assert!(
        one.0.len() > 20 * pipeline::HANDOFF_EVENTS,
        "{} events",
        one.0.len()
    );
    assert_eq!(one.0.len(), two.0.len());
    for (i, (a, b)) in one.0.iter().zip(&two.0).enumerate() {
        assert_eq!(format!("{a:?}"), format!("{b:?}"), "event {i}");
    }
    // The same with the fields of every batch that finds room named on the output thread
    // (the first one always does), with them named on the decoding thread throughout, and
    // with the two taking turns batch by batch (a command built for one batch may be handed
    // over in the next: its connection's opening, handed over first, can close a batch).
    for room in [Some(0), Some(u32::MAX), None] {
        let mut late = Collect::default();
        pipeline::decode_split_with(&mut source(), pipeline::msn_config(), &mut late, room)
            .expect("split");
        same_events(&one.0, &late.0, room);
    }
}

/// The events of a run on one thread and of one on two, `room` the two-thread run's setting.
fn same_events(one: &[Event], two: &[Event], room: Option<u32>) {
    assert_eq!(one.len(), two.len(), "room {room:?}");
    for (i, (a, b)) in one.iter().zip(two).enumerate() {
        assert_eq!(
            format!("{a:?}"),
            format!("{b:?}"),
            "event {i}, room {room:?}"
        );
    }
}

/// An output that reads notes and no field, as the dialogue does.
struct NotesOnly(Collect);

impl Sink for NotesOnly {
    fn event(&mut self, ev: &Event) -> std::io::Result<()> {
        self.0.event(ev)
    }

    fn wants_fields(&self) -> FieldsWanted {
        FieldsWanted::None
    }
}

/// For an output that reads notes but no field (the dialogue), the notes written on the
/// output thread (with the few fields they are made from) are the ones the decoding thread
/// writes: whichever thread writes them, batch by batch.
#[test]
fn notes_written_on_either_thread_are_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = generated(dir.path()).to_string_lossy().into_owned();
    let source = || FileSource::new(vec![file.clone()], None);
    let mut one = NotesOnly(Collect::default());
    pipeline::decode(&mut source(), pipeline::msn_config(), &mut one).expect("decode");
    let notes = one
        .0
        .0
        .iter()
        .filter(|e| matches!(e, Event::Command(c) if c.note.is_some()))
        .count();
    assert!(notes > 1000, "{notes} notes");
    for room in [Some(0), Some(u32::MAX), None] {
        let mut two = NotesOnly(Collect::default());
        pipeline::decode_split_with(&mut source(), pipeline::msn_config(), &mut two, room)
            .expect("split");
        same_events(&one.0.0, &two.0.0, room);
    }
}

/// `stats` asks for the named fields of a few verbs only. Its report on a generated capture
/// (91 sign-ins, 252 conversations, the presence of 346 contacts) is the one it makes from
/// every field: on one thread, and on two with the fields it reads named on either thread.
#[test]
fn stats_reports_the_same_from_the_fields_it_asks_for_as_from_all() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = generated(dir.path()).to_string_lossy().into_owned();
    let source = || FileSource::new(vec![file.clone()], None);
    let mut every = EveryField(Stats::new());
    pipeline::decode(&mut source(), pipeline::msn_config(), &mut every).expect("decode");
    let every = every.0.report();
    assert!(every.conversations.len() > 100, "{every:?}");
    let mut lean = Stats::new();
    assert!(!lean.wants_fields().of(Verb::new(b"LST")));
    pipeline::decode(&mut source(), pipeline::msn_config(), &mut lean).expect("decode");
    assert_eq!(lean.report(), every, "one thread");
    for room in [Some(0), Some(u32::MAX), None] {
        let mut lean = Stats::new();
        pipeline::decode_split_with(&mut source(), pipeline::msn_config(), &mut lean, room)
            .expect("split");
        assert_eq!(lean.report(), every, "two threads, room {room:?}");
    }
}

/// A source that counts the packets it has handed out.
struct Counting {
    inner: FileSource,
    read: Arc<AtomicU64>,
}

impl PacketSource for Counting {
    fn next_packet(&mut self) -> Result<Option<RawPacket<'_>>, CaptureError> {
        self.read.fetch_add(1, Ordering::Relaxed);
        self.inner.next_packet()
    }
}

/// An output that fails at its `n`th event, as a full disk would.
struct FailsAt(usize);

impl Sink for FailsAt {
    fn event(&mut self, _: &Event) -> std::io::Result<()> {
        self.0 = self.0.saturating_sub(1);
        if self.0 == 0 {
            return Err(std::io::Error::other("disk full"));
        }
        Ok(())
    }
}

#[test]
fn an_output_failure_stops_the_decoding_thread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = generated(dir.path()).to_string_lossy().into_owned();
    let read = Arc::new(AtomicU64::new(0));
    let mut source = Counting {
        inner: FileSource::new(vec![file.clone()], None),
        read: read.clone(),
    };
    // On a thread of its own, so that a decoding thread left waiting for an output that has
    // gone fails this test instead of hanging the suite.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let run = pipeline::decode_split(&mut source, pipeline::msn_config(), &mut FailsAt(100));
        let _ = done.send(run.map(|_| ()));
    });
    let err = finished
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("the run ends after its output failed")
        .expect_err("the output failed");
    assert_eq!(err.to_string(), "disk full");
    // The whole capture, for comparison.
    let (all, _) = pipeline::decode(
        &mut FileSource::new(vec![file], None),
        pipeline::msn_config(),
        &mut msnsniff::event::Discard,
    )
    .expect("decode");
    let stopped_at = read.load(Ordering::Relaxed);
    assert!(
        stopped_at < all.frames / 4,
        "the decoding read {stopped_at} of {} packets after the output failed",
        all.frames
    );
}

#[test]
fn a_closed_pipe_ends_a_two_thread_run_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = generated(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_msnsniff"))
        .args(["read", "--threads", "2", "--format", "jsonl"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = [0u8; 4096];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("some output");
    // The pipe is closed here, with most of the output still to come.
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn threads_must_be_at_least_one() {
    let o = msnsniff(&[
        "read",
        "--threads",
        "0",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/captures/independent_msnp8_twn.pcap"
        ),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--threads"));
}

/// `msnsniff transcripts -q -o OUT FILE`, which must succeed.
fn transcripts_into(out: &Path, file: &Path) -> Output {
    let o = msnsniff(&[
        "transcripts",
        "-q",
        "-o",
        out.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    o
}

#[test]
fn transcripts_are_written_as_their_conversations_end() {
    use msnsniff::output::transcript::{Transcribe, TranscriptFormat, TranscriptWriter};
    let dir = tempfile::tempdir().expect("tempdir");
    let file = generated(dir.path());
    let out = dir.path().join("streamed");
    let mut listing: Vec<u8> = Vec::new();
    let mut transcribe = Transcribe::new(
        TranscriptWriter::new(&out, &TranscriptFormat::ALL).expect("directory"),
        Some(&mut listing),
    );
    pipeline::decode(
        &mut FileSource::new(vec![file.to_string_lossy().into_owned()], None),
        pipeline::msn_config(),
        &mut transcribe,
    )
    .expect("decode");
    // Before the end: the conversations that ended are on disk, the indexes are not.
    let before = files_in(&out);
    let html = before.iter().filter(|(n, _)| n.ends_with(".html")).count();
    assert!(html > 20, "{html} conversations written before the end");
    assert!(before.iter().all(|(n, _)| !n.starts_with("index.")));
    let count = transcribe.finish().expect("finish");
    // The same files, and the same list of them, as the command writes.
    let whole = dir.path().join("whole");
    let o = transcripts_into(&whole, &file);
    assert!(files_in(&out) == files_in(&whole), "the files differ");
    let listed: Vec<String> = String::from_utf8(o.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| l.replace(whole.to_str().unwrap(), out.to_str().unwrap()))
        .collect();
    let written: Vec<String> = String::from_utf8(listing)
        .expect("UTF-8")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(listed, written);
    assert_eq!(count, written.len() as u64);
}

#[test]
fn transcripts_are_all_written_when_the_reader_of_the_list_goes_away() {
    use std::process::Stdio;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = generated(dir.path());
    let whole = dir.path().join("whole");
    transcripts_into(&whole, &file);
    // The same run with its stdout closed before it starts writing (as `| head -0`).
    let cut = dir.path().join("cut");
    let mut child = Command::new(env!("CARGO_BIN_EXE_msnsniff"))
        .args([
            "transcripts",
            "-q",
            "-o",
            cut.to_str().unwrap(),
            file.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("msnsniff runs");
    drop(child.stdout.take());
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (all, cut) = (files_in(&whole), files_in(&cut));
    assert!(all.len() > 100, "{} files", all.len());
    assert!(cut == all, "every file and index is written all the same");
}
