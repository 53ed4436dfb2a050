//! The bytes the echo server may hold for large frames, across all its connections. Part of
//! `support/echo.rs`, which re-exports what is here.

use std::sync::atomic::{AtomicUsize, Ordering};

/// A frame larger than this is large: it is admitted only while the budget has room for it
/// (twice: its bytes as they arrive, and its echo). Smaller frames stay within a connection's
/// read buffer, which the connection limit bounds.
pub const LARGE_FRAME: usize = 64 * 1024;

/// A shared count of bytes held, and the most it may reach.
#[derive(Debug)]
pub struct Budget {
    held: AtomicUsize,
    max: usize,
}

impl Budget {
    /// A budget of `max` bytes, none held.
    pub fn new(max: usize) -> Budget {
        Budget {
            held: AtomicUsize::new(0),
            max,
        }
    }

    /// The most the budget holds.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Takes `bytes` if they fit: `Err` with what is held when they do not (nothing taken).
    pub fn take(&self, bytes: usize) -> Result<(), usize> {
        self.held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                held.checked_add(bytes).filter(|&total| total <= self.max)
            })
            .map(drop)
    }

    /// Gives back `bytes` taken earlier.
    pub fn give(&self, bytes: usize) {
        self.held.fetch_sub(bytes, Ordering::AcqRel);
    }
}
