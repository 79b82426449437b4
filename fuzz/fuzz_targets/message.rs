//! Arbitrary bytes as the body of a switchboard message (MIME, text, invitations, P2P and
//! MSNSLP, MSNObjects...), through the decoder and both output writers.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msnsniff::fuzzing::message(data));
