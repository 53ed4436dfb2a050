#![no_main]
//! `tlv::decode` under libFuzzer, through the same checker as `tests/decoder.rs`.

#[path = "../../tests/checker/mod.rs"]
mod checker;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checker::checker(tlv::decode).fuzz(data));
