//! Arbitrary bytes as a message body and as frames, through the decoder and `--redact` with
//! handles and text, then both output writers.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msnsniff::fuzzing::redact(data));
