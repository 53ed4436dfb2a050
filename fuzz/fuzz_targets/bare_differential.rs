#![no_main]
//! A measuring stick, not a fuzz target: the work the `differential` target checks, done bare, on the
//! same inputs (`benches/scripts/measure.sh` runs the two side by side and prints the ratio).

libfuzzer_sys::fuzz_target!(|data: &[u8]| lenframe_support::fuzz::bare::differential(data));
