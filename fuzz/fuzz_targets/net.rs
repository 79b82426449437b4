//! One frame of any link type through the link, IP and TCP decoder.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msnsniff::fuzzing::net(data));
