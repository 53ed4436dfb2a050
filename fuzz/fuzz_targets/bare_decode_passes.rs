#![no_main]
//! A measuring stick, not a fuzz target: `decode`'s inputs read as the target reads them, and
//! the decoding passes of the check each one picks made with no check: the floor under the
//! `decode` target (`benches/scripts/measure.sh`, `instructions.sh`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| lenframe_support::fuzz::passes::decode(data));
