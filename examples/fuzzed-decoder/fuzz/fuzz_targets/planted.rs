#![no_main]
//! `tlv::planted::decode` (a planted bug) under libFuzzer, through the same checker.

#[path = "../../tests/checker/mod.rs"]
mod checker;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checker::checker(tlv::planted::decode).fuzz(data));
