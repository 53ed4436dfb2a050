//! The fuzz engine: a case from a fuzzer's bytes (the format is in
//! [`case`](crate::testkit::case)), checked with every oracle the property engine uses, and a
//! failure reported the same way; and corpus replay, the same check over a folder of inputs,
//! under `cargo test`, on stable.

use std::fmt;
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::engine::{drop_messages, minimize};
use super::{CheckFailure, Checker, Compare, Encode, Messages, Prefixes, Render};
use crate::testkit::case::{fnv1a, splitmix, Plan};
use crate::testkit::shape::{panic_message, Subject};

/// Bytes of pseudo-random tail after an input's message bytes.
const TAIL: usize = 8 * 1024;

/// `bytes`, then [`TAIL`] pseudo-random bytes drawn from them: what `PassThrough` reads. Past
/// its data, `PassThrough` gives zeros, and rand's uniform sampling (Lemire's method) rejects a
/// zero for ever for some ranges (`0..=8`, a `vec`'s length): a strategy that needs more than
/// the input holds would never finish. The tail makes that need 8 KiB more than the input first,
/// and keeps the same input meaning the same case (the tail is a function of the bytes).
fn with_tail(bytes: &[u8]) -> Vec<u8> {
    let mut state = fnv1a(bytes);
    let mut out = Vec::with_capacity(bytes.len() + TAIL);
    out.extend_from_slice(bytes);
    while out.len() < bytes.len() + TAIL {
        out.extend_from_slice(&splitmix(&mut state).to_le_bytes());
    }
    out
}

/// File-name prefixes libFuzzer gives the inputs that broke a target: replayed first.
const FINDINGS: [&str; 5] = ["crash-", "leak-", "timeout-", "oom-", "slow-unit-"];

impl<M, S, E, C, R> Checker<M, S, E, C, R>
where
    M: fmt::Debug + Clone,
    S: Subject,
    E: Encode<M>,
    C: Compare<M, S::Message>,
    R: Render<S::Message>,
{
    /// Checks the case a fuzzer's input means, and panics with the report if it fails: the
    /// body of a `fuzz_target!`.
    ///
    /// ```no_run
    /// # // A fuzz target is a binary of its own; this shows its body.
    /// # use bytes::{Bytes, BytesMut};
    /// # fn checker() -> lenframe::testkit::Checker<Bytes, impl lenframe::testkit::Subject<Message = Bytes>, impl lenframe::testkit::Encode<Bytes>> {
    /// #     let encode = |f: &Bytes, dst: &mut BytesMut| lenframe::Codec::new().encode(f, dst).unwrap();
    /// #     lenframe::testkit::Checker::new(lenframe::Codec::new, encode, proptest::strategy::Just(Bytes::new()))
    /// # }
    /// // fuzz/fuzz_targets/decode.rs
    /// // libfuzzer_sys::fuzz_target!(|data: &[u8]| checker().fuzz(data));
    /// checker().fuzz(&[]);
    /// ```
    ///
    /// # Panics
    ///
    /// With the [`CheckFailure`] report, when the case fails.
    pub fn fuzz(&self, data: &[u8]) {
        if let Err(failure) = self.check_input(data) {
            panic!("{failure}");
        }
    }

    /// Checks the case an input in the fuzz format means: `Err` with the report (cuts
    /// minimized) when it fails. An input whose messages the strategy rejects, or the encoder
    /// cannot encode, passes: it means no case.
    ///
    /// # Errors
    ///
    /// The [`CheckFailure`] of the case.
    #[allow(clippy::result_large_err)] // A failure ends a test: its size costs nothing.
    pub fn check_input(&self, data: &[u8]) -> Result<(), CheckFailure<M>> {
        let (plan, message_bytes) = Plan::parse(data);
        let Some(messages) = self.messages_from(message_bytes) else {
            return Ok(());
        };
        let Ok(examined) = self.examine(&messages, &plan, Prefixes::Planned) else {
            return Ok(());
        };
        if examined.violation.is_none() {
            return Ok(());
        }
        let (plan, examined) = minimize(self, &messages, plan, examined, Prefixes::Planned);
        let (messages, plan, examined) =
            drop_messages(self, messages, plan, examined, Prefixes::Planned);
        Err(self.failure(messages, &plan, examined, 0, 0, Some(data.to_vec())))
    }

    /// The messages the message bytes of an input mean.
    fn messages_from(&self, bytes: &[u8]) -> Option<Vec<M>> {
        match &self.messages {
            Messages::Strategy(strategy) => {
                let rng = TestRng::from_seed(RngAlgorithm::PassThrough, &with_tail(bytes));
                let mut runner = TestRunner::new_with_rng(Config::default(), rng);
                strategy
                    .new_tree(&mut runner)
                    .ok()
                    .map(|tree| tree.current())
            }
            #[cfg(feature = "arbitrary")]
            Messages::Arbitrary { from_bytes, .. } => Some(from_bytes(bytes)),
        }
    }

    /// Replays every input in `dir` through the check, libFuzzer's findings first (files named
    /// `crash-*`, `leak-*`, `timeout-*`, `oom-*`), then the rest in name order; returns how
    /// many. For a `#[test]` next to the fuzz target, on stable Rust:
    ///
    /// ```no_run
    /// # use bytes::{Bytes, BytesMut};
    /// # let encode = |f: &Bytes, dst: &mut BytesMut| lenframe::Codec::new().encode(f, dst).unwrap();
    /// # let checker = lenframe::testkit::Checker::new(lenframe::Codec::new, encode, proptest::strategy::Just(Bytes::new()));
    /// checker.replay(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/decode"));
    /// ```
    ///
    /// # Panics
    ///
    /// Naming each input that fails, with its report; and when `dir` cannot be read or holds
    /// no input (a replay that runs nothing proves nothing: commit a seed).
    #[allow(clippy::result_large_err)] // A failure ends a test: its size costs nothing.
    pub fn replay(&self, dir: impl AsRef<Path>) -> usize {
        let dir = dir.as_ref();
        let mut files: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("corpus folder {}: {e}", dir.display()))
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.is_file())
            .collect();
        // Sorted by (not a finding, name): findings first, each group in name order.
        let not_a_finding = |path: &PathBuf| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !FINDINGS.iter().any(|prefix| name.starts_with(prefix))
        };
        files.sort_by(|a, b| (not_a_finding(a), a).cmp(&(not_a_finding(b), b)));
        assert!(
            !files.is_empty(),
            "{} holds no input: commit at least one (a seed)",
            dir.display()
        );
        let mut failures = Vec::new();
        for file in &files {
            let data = fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            match panic::catch_unwind(AssertUnwindSafe(|| self.check_input(&data))) {
                Ok(Ok(())) => {}
                Ok(Err(failure)) => failures.push(format!("{}: {failure}", file.display())),
                Err(payload) => failures.push(format!(
                    "{}: the check panicked: {}",
                    file.display(),
                    panic_message(payload.as_ref())
                )),
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} inputs in {} fail:\n{}",
            failures.len(),
            files.len(),
            dir.display(),
            failures.join("\n\n")
        );
        files.len()
    }
}
