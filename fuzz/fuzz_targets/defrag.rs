//! IPv4 fragments in any order, size, overlap and timing, through the defragmenter, whose
//! bounds are checked after every fragment.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| msnsniff::fuzzing::defrag(data));
