#![no_main]
//! A measuring stick, not a fuzz target: `decode`'s inputs parsed as the target parses them and
//! their stream decoded once, in one piece, unchecked (`fuzz/instructions.sh`).

libfuzzer_sys::fuzz_target!(|data: &[u8]| lenframe::fuzzing::bare::decode_stream(data));
