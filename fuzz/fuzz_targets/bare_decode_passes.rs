#![no_main]
//! A measuring stick, not a fuzz target: `decode`'s inputs read as the target reads them, and
//! the decoding passes of the check each one picks made with no check: the floor under the
//! `decode` target (`fuzz/measure.sh`, `fuzz/instructions.sh`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| lenframe_support::fuzz::passes::decode(data));
