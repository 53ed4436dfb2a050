#![no_main]
//! `lenframe_support::fuzz::reader`: see its documentation for the input format and the oracles.

/// Aborts on any single allocation over the limit the oracle set for this input.
#[global_allocator]
static ALLOC: lenframe_fuzz::CappedAlloc = lenframe_fuzz::CappedAlloc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| lenframe_support::fuzz::reader(data));
