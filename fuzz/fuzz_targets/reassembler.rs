//! One direction's reassembly, fed arbitrary segments and ACKs; data must come in order (`msnsniff::fuzzing::reassembler`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msnsniff::fuzzing::reassembler(data));
