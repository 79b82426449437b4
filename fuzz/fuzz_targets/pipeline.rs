//! Arbitrary bytes as frames of one of four link types, through every stage of the pipeline
//! (link, IP with defragmentation, TCP, reassembly, framer, grammar, decoder, message layer).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msnsniff::fuzzing::pipeline(data));
