//! Arbitrary bytes as a capture file (pcap, pcapng, compressed or damaged), read from a
//! temporary file through libpcap and every stage.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("msnsniff-fuzz-{}.cap", std::process::id()));
    std::fs::write(&path, data).expect("write the capture");
    msnsniff::fuzzing::capture_file(&path);
    let _ = std::fs::remove_file(&path);
});
