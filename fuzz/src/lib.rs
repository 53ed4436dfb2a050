//! Support for the fuzz targets: a global allocator that aborts on any single allocation above
//! the limit the running oracle set ([`lenframe_support::fuzz::allocation_limit`], derived from the
//! input's length and configured maximum). A decoder that reserves what a hostile header
//! announces then fails the run even without a sanitizer: libFuzzer's `-malloc_limit_mb` only
//! works through sanitizer malloc hooks, and an untouched 4 GB reservation raises no RSS.
//!
//! This crate is the only place with `unsafe` (`GlobalAlloc` is an unsafe trait); every method
//! checks a size and forwards to the system allocator unchanged.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;

/// The system allocator, refusing (by aborting, which libFuzzer reports as a crash) any single
/// allocation over [`lenframe_support::fuzz::allocation_limit`].
pub struct CappedAlloc;

impl CappedAlloc {
    fn check(size: usize) {
        let limit = lenframe_support::fuzz::allocation_limit();
        // While panicking, the backtrace printer reads debug info in large buffers: let it, so
        // the report shows the real failure.
        if size > limit && !std::thread::panicking() {
            // Abort, never panic: unwinding out of an allocator is undefined behaviour. The
            // message is built on the stack: allocating here would recurse.
            let mut stderr = std::io::stderr();
            let _ = stderr.write_all(b"CappedAlloc: single allocation of ");
            let _ = stderr.write_all(decimal(size, &mut [0; 20]));
            let _ = stderr.write_all(b" bytes over this input's limit of ");
            let _ = stderr.write_all(decimal(limit, &mut [0; 20]));
            let _ = stderr.write_all(b" bytes\n");
            std::process::abort();
        }
    }
}

/// `n` in decimal, written into the end of `buf`, without allocating.
fn decimal(mut n: usize, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        // n % 10 < 10: the cast cannot truncate.
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[start..];
        }
    }
}

// SAFETY: every method checks the size, then forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees hold as they are.
unsafe impl GlobalAlloc for CappedAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::check(layout.size());
        // SAFETY: forwarded unchanged (see the impl).
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::check(layout.size());
        // SAFETY: forwarded unchanged (see the impl).
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged (see the impl).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::check(new_size);
        // SAFETY: forwarded unchanged (see the impl).
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
