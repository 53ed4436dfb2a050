//! lenframe's own test fixtures, shared by its integration tests (`tests/*/main.rs`) and its fuzz
//! targets (`fuzz/`): not part of the published crate, which the harness
//! (`lenframe::testkit`) is.
//!
//! - [`fuzz`]: the oracle of each fuzz target, written once: `fuzz/fuzz_targets/*.rs` call it,
//!   and `tests/codec/corpus.rs` replays the committed corpus through it.
//! - [`feeder`]: a stream fed to lenframe's codec chunk by chunk, every invariant checked.
//! - [`strategy`]: layouts, frame sequences, cut points and chunk sizes.
//! - [`tiny`], [`default_framing`]: small framings and decoders for the harness's own tests.
//! - [`rng`]: a small deterministic random source for tests that need one without proptest.

pub mod default_framing;
pub mod feeder;
pub mod fuzz;
pub mod rng;
pub mod strategy;
pub mod tiny;

use std::fs;
use std::path::PathBuf;

use lenframe::testkit::IoOp;

/// `usize` to `u64`: lossless on every platform Rust supports (pointer width at most 64).
pub fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// A folder of its own under the system's temporary folder, empty.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lenframe-tests-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// The text a panic was raised with.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

/// A schedule of read (or write) sizes with `Interrupted` errors among them: `sizes` cycling
/// (none: no limit), and every `interrupt_every`-th call `Interrupted` (0 and 1: never). One
/// cycle of the schedule covers `sizes.len() * (interrupt_every - 1)` moves, a whole number of
/// both cycles.
///
/// ```
/// use lenframe::testkit::IoOp::{Interrupted as I, Limit as L};
/// assert_eq!(lenframe_support::sized_reads(&[3, 1], 3), [L(3), L(1), I, L(3), L(1), I]);
/// ```
#[must_use]
pub fn sized_reads(sizes: &[usize], interrupt_every: usize) -> Vec<IoOp> {
    let sizes = if sizes.is_empty() {
        &[usize::MAX][..]
    } else {
        sizes
    };
    let limits = sizes.iter().map(|&size| IoOp::Limit(size));
    let Some(reads_between) = interrupt_every.checked_sub(1).filter(|&n| n > 0) else {
        return limits.collect();
    };
    let mut ops = Vec::new();
    for (i, op) in limits.cycle().take(sizes.len() * reads_between).enumerate() {
        ops.push(op);
        if (i + 1) % reads_between == 0 {
            ops.push(IoOp::Interrupted);
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_schedule_interrupts_every_nth_call_and_cycles_the_sizes() {
        use IoOp::{Interrupted as I, Limit as L};
        assert_eq!(sized_reads(&[3, 1], 3), [L(3), L(1), I, L(3), L(1), I]);
        assert_eq!(sized_reads(&[5], 4), [L(5), L(5), L(5), I]);
        assert_eq!(sized_reads(&[], 2), [L(usize::MAX), I]);
        assert_eq!(sized_reads(&[2, 7], 0), [L(2), L(7)]);
        assert_eq!(sized_reads(&[2, 7], 1), [L(2), L(7)]);
    }
}
