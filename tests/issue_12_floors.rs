//! Issue 12: the floors `make bench` times (`tests/support/floors.rs`) do the work their rows
//! name. On a capture from the project's generator, the capture layer alone delivers every
//! stream byte of every MSN connection once, and with the framer behind it every command is
//! cut out, no more and no fewer: the counts equal the generator's truth. A floor that
//! skipped work would look fast and say nothing.

mod support;

use support::floors;
use support::msngen::{Options, generate};

#[test]
fn the_bench_floors_deliver_every_byte_and_frame_every_command_of_the_truth() {
    let generated = generate(&Options::new(7, 3 << 20));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("floors.pcap");
    std::fs::write(&path, &generated.pcap).unwrap();
    let path = path.to_string_lossy().into_owned();
    let truth = &generated.truth;
    let bytes: u64 = truth
        .connections
        .iter()
        .map(|c| c.c2s_bytes + c.s2c_bytes)
        .sum();
    let commands: u64 = truth
        .connections
        .iter()
        .map(|c| (c.c2s_verbs.len() + c.s2c_verbs.len()) as u64)
        .sum();
    assert!(commands > 10_000, "{commands}");

    let (frames, delivered) = floors::capture_layer(&path);
    assert!(frames > 10_000, "{frames}");
    assert_eq!(delivered, bytes);

    let (framed_frames, framed) = floors::framing(&path);
    assert_eq!(framed_frames, frames);
    assert_eq!(framed, commands);
}
