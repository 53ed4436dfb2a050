//! Support for the fuzz targets: a global allocator that aborts on any single allocation above a
//! cap, so a decoder that reserves what a hostile header announces fails the run even without a
//! sanitizer (libFuzzer's `-malloc_limit_mb` only works through sanitizer malloc hooks, and an
//! untouched 4 GB reservation raises no RSS).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;

/// The system allocator, refusing (by aborting, which libFuzzer reports as a crash) any single
/// allocation of more than `LIMIT` bytes.
pub struct CappedAlloc<const LIMIT: usize>;

impl<const LIMIT: usize> CappedAlloc<LIMIT> {
    fn check(size: usize) {
        // While panicking, the backtrace printer reads debug info in large buffers: let it, so
        // the report shows the real failure.
        if size > LIMIT && !std::thread::panicking() {
            // Abort, never panic: unwinding out of an allocator is undefined behaviour. Writing
            // a fixed message to unbuffered stderr does not allocate.
            let _ = std::io::stderr().write_all(b"CappedAlloc: single allocation over the cap\n");
            std::process::abort();
        }
    }
}

// SAFETY: every method checks the size, then forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees hold as they are.
unsafe impl<const LIMIT: usize> GlobalAlloc for CappedAlloc<LIMIT> {
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

/// Cap for targets that run lenframe alone: fuzz inputs are at most a few KiB, and the decoder
/// asks for at most 64 KiB beyond what it holds, so any allocation near this is a reservation of
/// an announced length.
pub const LENFRAME_CAP: usize = 4 << 20;

/// Cap for the differential target: tokio-util reserves what a header announces, up to its
/// 8 MiB default limit.
pub const DIFFERENTIAL_CAP: usize = 64 << 20;
