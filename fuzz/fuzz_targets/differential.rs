#![no_main]
//! `lenframe::fuzzing::differential`: see its documentation for the input format, the oracles
//! and the documented differences from tokio-util.

#[global_allocator]
static ALLOC: lenframe_fuzz::CappedAlloc<{ lenframe_fuzz::DIFFERENTIAL_CAP }> =
    lenframe_fuzz::CappedAlloc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| lenframe::fuzzing::differential(data));
