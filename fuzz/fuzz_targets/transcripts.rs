//! Arbitrary frames through the decoder and the conversation builder, then every transcript
//! rendered in text, HTML and JSON (which must parse).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msnsniff::fuzzing::transcripts(data));
