//! One direction's framer in one dialect, fed arbitrary pushes and gaps (`msnsniff::fuzzing::framer`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msnsniff::fuzzing::framer(data));
