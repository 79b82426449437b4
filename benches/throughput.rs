//! `make bench`: how fast msnsniff reads a large capture, next to tcpdump and tshark on the
//! same file, in the same run.
//!
//! The capture is made by the project's own generator (`tests/support/msngen.rs`), so the
//! harness needs nothing from outside the repository: `BENCH_MB` megabytes (default 100) of
//! overlapping MSNP8 sessions with retransmissions, reordering and background traffic. Each
//! command runs `BENCH_RUNS` times (default 3); the table gives the median wall time, MB/s,
//! packets/s, the peak resident memory of the process (from wait4's rusage), and the ratio to
//! `tcpdump -r FILE -w /dev/null tcp port 1863` measured in the same run. A peer that is not
//! installed is left out, with a note. When `BENCH_PGO_BIN` names the profile-guided build
//! (`make bench` makes it with `make pgo`), every msnsniff command runs with it too, marked
//! `[PGO]`, in the same run. Before timing, the per-verb counts of `read --format jsonl` are
//! checked against the generator's truth, for each build: a fast wrong answer is no answer.
//! `stats` also reads the same packets written as pcapng (its MB/s are of the pcap file's
//! size, so that the two rows compare), and that file's counts are checked too.
//! `transcripts` writes into an empty directory for every run, in memory (`/dev/shm`) where
//! the system has it, so that its row is msnsniff's work and not the disk's.
//!
//! The last msnsniff rows are floors: this harness itself (asked through `BENCH_FLOOR` or
//! `BENCH_FRAMING`) running msnsniff's library on one thread, with the binary's allocator
//! (`tests/support/floors.rs`, where a test checks their counts against the generator's).
//! `capture layer only` has no decoder behind it: reading, link, IP and TCP headers, the flow
//! table and reassembly, every MSN byte delivered in order and then dropped. `capture layer
//! and framing` adds an MSNP framer for each direction: every command line cut out and
//! parsed, every payload cut to its length, the commands counted and nothing decoded.
//! Before anything is timed, both floors' counts (stream bytes delivered, commands framed)
//! are checked against the generator's. What a command takes beyond the first is the MSNP
//! decoding and the output; beyond the second, the meaning of the commands (session state,
//! named fields, message bodies, notes), the events and the output.
//!
//! No number here is asserted: the machine is shared and noisy, so speed is judged from the
//! ratios, never from a timed test.

#[path = "../tests/support/mod.rs"]
mod support;

/// The binary's allocator, so that the floors allocate as the commands do.
#[global_allocator]
static GLOBAL: msnsniff::allocator::Allocator = msnsniff::allocator::Allocator;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_msnsniff");

struct Run {
    wall: Duration,
    max_rss_kb: i64,
}

/// Runs `argv` with stdout to /dev/null; its wall time and peak RSS.
fn run_once(argv: &[String]) -> Option<Run> {
    let start = Instant::now();
    let child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data wait4 fills in for the child this harness started.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    if r != pid {
        return None;
    }
    Some(Run {
        wall,
        max_rss_kb: usage.ru_maxrss,
    })
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn installed(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn main() {
    // `cargo bench` passes --bench; nothing else is taken.
    let mb: usize = std::env::var("BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    // The capture is made by a child process (this same program, asked to generate), so
    // that the measured commands are not started from a process holding the capture in
    // memory: a spawned child's peak RSS counts what it was forked from.
    if let Ok(path) = std::env::var("BENCH_GENERATE_TO") {
        let generated = support::msngen::generate(&support::msngen::Options::new(42, mb << 20));
        std::fs::write(&path, &generated.pcap).expect("write capture");
        std::fs::write(format!("{path}ng"), to_pcapng(&generated.pcap)).expect("write pcapng");
        let truth: Vec<(String, String, u64)> = generated
            .truth
            .commands()
            .into_iter()
            .map(|((d, v), n)| (d, v, n))
            .collect();
        let stream_bytes: u64 = generated
            .truth
            .connections
            .iter()
            .map(|c| c.c2s_bytes + c.s2c_bytes)
            .sum();
        let summary = serde_json::json!({
            "packets": count_packets(&generated.pcap),
            "connections": generated.truth.connections.len(),
            "stream_bytes": stream_bytes,
            "commands": truth,
        });
        std::fs::write(format!("{path}.truth.json"), summary.to_string()).expect("truth");
        return;
    }
    if let Ok(path) = std::env::var("BENCH_FLOOR") {
        floor(&path);
        return;
    }
    if let Ok(path) = std::env::var("BENCH_FRAMING") {
        framing_floor(&path);
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bench.pcap");
    eprintln!("generating a {mb} MB capture...");
    let me = std::env::current_exe().expect("own path");
    let status = Command::new(me)
        .env("BENCH_GENERATE_TO", &file)
        .env("BENCH_MB", mb.to_string())
        .status()
        .expect("generate");
    assert!(status.success(), "the generator failed");
    let summary: serde_json::Value = serde_json::from_slice(
        &std::fs::read(format!("{}.truth.json", file.display())).expect("truth"),
    )
    .expect("truth json");
    let bytes = std::fs::metadata(&file).expect("capture").len() as f64;
    let packets = summary["packets"].as_u64().unwrap_or(0);
    let truth: BTreeMap<(String, String), u64> = summary["commands"]
        .as_array()
        .expect("commands")
        .iter()
        .map(|t| {
            (
                (
                    t[0].as_str().unwrap_or("").to_string(),
                    t[1].as_str().unwrap_or("").to_string(),
                ),
                t[2].as_u64().unwrap_or(0),
            )
        })
        .collect();
    // The profile-guided build (`make pgo`), measured beside the plain one when given.
    let pgo = std::env::var("BENCH_PGO_BIN")
        .ok()
        .filter(|p| !p.is_empty() && Path::new(p).is_file());
    let mut builds = vec![("", BIN.to_string())];
    match pgo {
        Some(p) => builds.push((" [PGO]", p)),
        None => eprintln!("note: no profile-guided build given (BENCH_PGO_BIN); left out"),
    }
    // The same packets as pcapng, as Wireshark and dumpcap write them: `stats` reads them too.
    let file_ng = dir.path().join("bench.pcapng");
    for (_, bin) in &builds {
        check_truth(bin, &file, &truth);
        check_truth(bin, &file_ng, &truth);
    }
    // The floors too: every stream byte delivered, every command framed.
    let commands: u64 = truth.values().sum();
    let stream_bytes = summary["stream_bytes"].as_u64().expect("stream bytes");
    check_floor("BENCH_FLOOR", &file, stream_bytes);
    check_floor("BENCH_FRAMING", &file, commands);

    let f = file.to_string_lossy().into_owned();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    // Groups of commands: the builds of one msnsniff command run in turn, run after run, so
    // that the machine's drift falls on both alike.
    let mut groups: Vec<Vec<(String, Vec<String>)>> = Vec::new();
    if installed("tcpdump") {
        groups.push(vec![(
            "tcpdump -r FILE -w /dev/null tcp port 1863".into(),
            s(&[
                "tcpdump",
                "-r",
                &f,
                "-w",
                "/dev/null",
                "tcp",
                "port",
                "1863",
            ]),
        )]);
    } else {
        eprintln!("note: tcpdump is not installed; no ratios");
    }
    // Transcripts write a file per conversation and format (about 12,500 files for 100 MB):
    // into a directory of their own, removed at the end and emptied before every run
    // (untimed), as a user's new output directory is. In memory (`/dev/shm`) where the
    // system has it, so that the row measures msnsniff rather than the disk: on ext4, writing
    // over the last run's files made the kernel truncate each one, and making new files
    // soon after thousands were deleted made it search its inode bitmaps (`recently_deleted`)
    // for seconds, 0.6 to 15 s for the same run.
    let shm = Path::new("/dev/shm");
    let transcripts = if shm.is_dir() {
        tempfile::Builder::new().tempdir_in(shm)
    } else {
        eprintln!("note: no /dev/shm; transcripts are written to disk, and time its file system");
        tempfile::tempdir()
    }
    .expect("a temporary directory");
    let out_dir = transcripts.path().to_string_lossy().into_owned();
    let empty_out_dir = || {
        std::fs::remove_dir_all(transcripts.path()).expect("empty the transcripts' directory");
        std::fs::create_dir(transcripts.path()).expect("make the transcripts' directory");
    };
    let ng = file_ng.to_string_lossy().into_owned();
    for (name, args) in [
        ("msnsniff stats", vec!["stats", "-q"]),
        // The same capture as pcapng.
        ("msnsniff stats (pcapng input)", vec!["stats", "-q", &ng]),
        (
            "msnsniff flows --format jsonl",
            vec!["flows", "--format", "jsonl", "-q"],
        ),
        // The default output, a table: its rows wait for the end (in a temporary file).
        ("msnsniff flows (table)", vec!["flows", "-q"]),
        (
            "msnsniff read --format jsonl",
            vec!["read", "--format", "jsonl", "-q"],
        ),
        ("msnsniff read (dialogue)", vec!["read", "-q"]),
        // The same on one thread, to show what the other two bring.
        ("msnsniff stats -j1", vec!["stats", "-q", "-j1"]),
        (
            "msnsniff read --format jsonl -j1",
            vec!["read", "--format", "jsonl", "-q", "-j1"],
        ),
        ("msnsniff read (dialogue) -j1", vec!["read", "-q", "-j1"]),
        (
            "msnsniff transcripts",
            vec!["transcripts", "-q", "-o", &out_dir],
        ),
    ] {
        let group = builds
            .iter()
            .map(|(label, bin)| {
                let mut argv = vec![bin.clone()];
                argv.extend(args.iter().map(|a| a.to_string()));
                if !args.contains(&ng.as_str()) {
                    argv.push(f.clone());
                }
                (format!("{name}{label}"), argv)
            })
            .collect();
        groups.push(group);
    }
    // The capture layer alone (see the module's comment): this program, asked to.
    let me = std::env::current_exe()
        .expect("own path")
        .to_string_lossy()
        .into_owned();
    groups.push(vec![(
        "capture layer only (no MSNP decoding)".into(),
        s(&["env", &format!("BENCH_FLOOR={f}"), &me]),
    )]);
    groups.push(vec![(
        "capture layer and framing (lines cut and parsed, not decoded)".into(),
        s(&["env", &format!("BENCH_FRAMING={f}"), &me]),
    )]);
    if installed("tshark") {
        groups.push(vec![(
            "tshark -Y msnms -T fields -e frame.number".into(),
            s(&[
                "tshark",
                "-r",
                &f,
                "-Y",
                "msnms",
                "-T",
                "fields",
                "-e",
                "frame.number",
            ]),
        )]);
    } else {
        eprintln!("note: tshark is not installed; left out");
    }

    let mut results: Vec<(String, Duration, i64)> = Vec::new();
    for group in &groups {
        // tshark is slow: once is enough to place it.
        let n = if group[0].0.starts_with("tshark") {
            1
        } else {
            runs
        };
        let mut walls = vec![Vec::new(); group.len()];
        let mut rss = vec![0; group.len()];
        for _ in 0..n {
            for (i, (name, argv)) in group.iter().enumerate() {
                if argv.contains(&out_dir) {
                    empty_out_dir();
                }
                match run_once(argv) {
                    Some(r) => {
                        walls[i].push(r.wall);
                        rss[i] = rss[i].max(r.max_rss_kb);
                    }
                    None => eprintln!("note: {name} did not run"),
                }
            }
        }
        for (i, (name, _)) in group.iter().enumerate() {
            let w = std::mem::take(&mut walls[i]);
            if !w.is_empty() {
                results.push((name.clone(), median(w), rss[i]));
            }
        }
    }
    let base = results
        .iter()
        .find(|r| r.0.starts_with("tcpdump"))
        .map(|r| r.1.as_secs_f64());
    let mut table = comfy_table::Table::new();
    table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header([
        "command",
        "median wall",
        "MB/s",
        "packets/s",
        "peak RSS",
        "× tcpdump",
    ]);
    for (name, wall, rss) in &results {
        let secs = wall.as_secs_f64().max(1e-9);
        table.add_row([
            name.clone(),
            format!("{secs:.2} s"),
            format!("{:.0}", bytes / secs / 1e6),
            format!("{:.0}", packets as f64 / secs),
            format!("{:.1} MB", *rss as f64 / 1024.0),
            base.map_or("-".into(), |b| format!("{:.2}", secs / b)),
        ]);
    }
    println!(
        "{mb} MB capture, {packets} packets, {} MSN connections; {runs} runs each (tshark once)",
        summary["connections"]
    );
    println!("{table}");
}

/// Runs a floor of this harness once over `file` and checks the second count of the line it
/// prints (stream bytes delivered, or commands framed; the first is the frames read)
/// against the generator's.
fn check_floor(var: &str, file: &Path, expected: u64) {
    let me = std::env::current_exe().expect("own path");
    let out = Command::new(me)
        .env(var, file)
        .stdout(Stdio::null())
        .output()
        .expect("run the floor");
    assert!(out.status.success(), "{var} failed");
    let said = String::from_utf8_lossy(&out.stderr);
    let count = said
        .split(", ")
        .nth(1)
        .and_then(|part| part.split(' ').next())
        .and_then(|n| n.parse::<u64>().ok());
    assert_eq!(count, Some(expected), "{var}: {said}");
    eprintln!("{var}: {expected}, as the generator's truth");
}

/// Runs the capture layer over `path` with nothing behind it but a count of the MSN bytes
/// delivered, which it prints to stderr (so that the work cannot be skipped, and a run that
/// found nothing shows).
fn floor(path: &str) {
    let (frames, bytes) = support::floors::capture_layer(path);
    eprintln!("capture layer: {frames} frames, {bytes} MSN bytes delivered");
}

/// The capture layer with an MSNP framer behind it (`support::floors::framing`); prints the
/// commands it counted to stderr.
fn framing_floor(path: &str) {
    let (frames, commands) = support::floors::framing(path);
    eprintln!("capture layer and framing: {frames} frames, {commands} MSNP frames");
}

/// Frames in a classic pcap (24-byte file header, 16-byte record headers).
fn count_packets(pcap: &[u8]) -> u64 {
    let mut at = 24;
    let mut n = 0;
    while at + 16 <= pcap.len() {
        let len = u32::from_le_bytes([pcap[at + 8], pcap[at + 9], pcap[at + 10], pcap[at + 11]]);
        at += 16 + len as usize;
        n += 1;
    }
    n
}

/// The packets of a classic little-endian pcap file as pcapng: one section, one interface
/// (the file's link type and snapshot length, its timestamp resolution), an enhanced packet
/// block per record.
fn to_pcapng(pcap: &[u8]) -> Vec<u8> {
    let word = |at: usize| u32::from_le_bytes([pcap[at], pcap[at + 1], pcap[at + 2], pcap[at + 3]]);
    let nanos = word(0) == 0xA1B2_3C4D;
    let mut out = Vec::with_capacity(pcap.len() + pcap.len() / 4);
    let put = |out: &mut Vec<u8>, words: &[u32]| {
        for w in words {
            out.extend_from_slice(&w.to_le_bytes());
        }
    };
    // Section header: byte-order magic, version 1.0, section length unknown.
    put(
        &mut out,
        &[0x0A0D_0D0A, 28, 0x1A2B_3C4D, 1, u32::MAX, u32::MAX, 28],
    );
    // Interface: link type, snapshot length, if_tsresol (6 or 9), end of options.
    let tsresol = if nanos { 9 } else { 6 };
    put(
        &mut out,
        &[
            1,
            32,
            word(20) & 0xFFFF,
            word(16),
            0x0001_0009,
            tsresol,
            0,
            32,
        ],
    );
    let scale: u64 = if nanos { 1_000_000_000 } else { 1_000_000 };
    let mut at = 24;
    while at + 16 <= pcap.len() {
        let (secs, frac, caplen, origlen) = (word(at), word(at + 4), word(at + 8), word(at + 12));
        let data = &pcap[at + 16..(at + 16 + caplen as usize).min(pcap.len())];
        let t = u64::from(secs) * scale + u64::from(frac);
        let total = 32 + data.len().next_multiple_of(4) as u32;
        put(
            &mut out,
            &[
                6,
                total,
                0,
                (t >> 32) as u32,
                t as u32,
                data.len() as u32,
                origlen,
            ],
        );
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(4), 0);
        put(&mut out, &[total]);
        at += 16 + caplen as usize;
    }
    out
}

/// The per-verb counts of `read --format jsonl` by `bin` equal the generator's.
fn check_truth(bin: &str, file: &Path, truth: &BTreeMap<(String, String), u64>) {
    use std::io::BufRead;
    // Read line by line: the whole output held at once would swell this process, and every
    // child spawned from it afterwards would report that as its own peak memory.
    let mut child = Command::new(bin)
        .args(["read", "--format", "jsonl", "-q"])
        .arg(file)
        .stdout(Stdio::piped())
        .spawn()
        .expect("run msnsniff");
    let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
    let stdout = child.stdout.take().expect("stdout");
    for line in std::io::BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if v["type"] == "command" {
            let key = (
                v["dir"].as_str().unwrap_or("").to_string(),
                v["verb"].as_str().unwrap_or("").to_string(),
            );
            *counts.entry(key).or_default() += 1;
        }
    }
    assert!(child.wait().expect("wait").success());
    assert_eq!(&counts, truth, "per-verb counts differ from the truth");
    eprintln!("per-verb counts of {bin} equal the generator's truth");
}
