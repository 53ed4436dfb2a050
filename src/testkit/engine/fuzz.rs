//! The fuzz engine: a case from a fuzzer's bytes (the format is in the `plan` module), checked
//! with every oracle the property engine uses and reported the same way; and corpus replay,
//! the same check over a folder of inputs, under `cargo test`, on stable.

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::property::minimize_case;
use super::{Prefixes, Unexamined};
use crate::testkit::checker::Checker;
use crate::testkit::plan::{fnv1a, splitmix, Plan};
use crate::testkit::report::Failure;
use crate::testkit::watch::Note;

/// Bytes of pseudo-random tail after an input's message bytes.
const TAIL: usize = 8 * 1024;

/// The largest input [`replay`] runs: larger ones are named and skipped (libFuzzer's inputs are
/// at most 4 KiB unless `-max_len` says otherwise).
const MAX_INPUT: u64 = 1 << 20;

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

/// The messages the message bytes of an input mean.
fn messages_from<M: fmt::Debug>(checker: &Checker<M>, bytes: &[u8]) -> Option<Vec<M>> {
    if let Some(from_bytes) = checker.messages.from_bytes {
        return Some(from_bytes(bytes));
    }
    let rng = TestRng::from_seed(RngAlgorithm::PassThrough, &with_tail(bytes));
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    checker
        .messages
        .strategy
        .new_tree(&mut runner)
        .ok()
        .map(|tree| tree.current())
}

/// Checks the case an input in the fuzz format means: `Err` with the report (minimized) when
/// it fails. An input whose messages the strategy rejects, or the encoder refuses, passes.
pub(crate) fn check_input<M: fmt::Debug + 'static>(
    checker: &Checker<M>,
    data: &[u8],
) -> Result<(), Box<Failure<M>>> {
    let watch = checker.watch();
    if watch.is_timed() {
        watch.note(|| Note {
            messages: "drawn from the fuzz input below".to_owned(),
            plan: String::new(),
            input: Some(data.to_vec()),
            run: "",
        });
    }
    let (plan, message_bytes) = Plan::parse(data);
    let Some(messages) = messages_from(checker, message_bytes) else {
        return Ok(());
    };
    let refs: Vec<&M> = messages.iter().collect();
    let verdict = match checker.examine(&refs, &plan, Prefixes::Planned, &watch, false) {
        Ok((verdict, ..)) => verdict,
        Err(Unexamined::Refused(_)) => return Ok(()),
    };
    drop(refs);
    let Some(verdict) = verdict else {
        return Ok(());
    };
    let (messages, plan, verdict) =
        minimize_case(checker, messages, plan, verdict, Prefixes::Planned, &watch);
    Err(Box::new(checker.failure(
        messages,
        &plan,
        verdict,
        0,
        0,
        Some(data.to_vec()),
        &watch,
    )))
}

/// An entry of the folder that was not run, and why.
fn skipped(path: &Path, why: impl fmt::Display) -> String {
    format!("{}: skipped, {why}", path.display())
}

/// [`Checker::replay`].
pub(crate) fn replay<M: fmt::Debug + 'static>(checker: &Checker<M>, dir: &Path) -> usize {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|e| panic!("corpus folder {}: {e}", dir.display()));
    let mut problems = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                problems.push(format!(
                    "{}: an entry could not be listed: {e}",
                    dir.display()
                ));
                continue;
            }
        };
        let path = entry.path();
        // Follows links: a link to a regular file is an input, a dangling one is not.
        match fs::metadata(&path) {
            Ok(meta) if meta.is_file() => files.push(path),
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => problems.push(skipped(&path, "not a regular file")),
            Err(e) => problems.push(skipped(&path, format!("unreadable: {e}"))),
        }
    }
    // Sorted by (not a finding, name): findings first, each group in name order.
    let not_a_finding = |path: &PathBuf| {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        !FINDINGS.iter().any(|prefix| name.starts_with(prefix))
    };
    files.sort_by(|a, b| (not_a_finding(a), a).cmp(&(not_a_finding(b), b)));
    let mut ran = 0;
    let mut failures = Vec::new();
    for file in &files {
        let data = match read_capped(file) {
            Ok(data) => data,
            Err(why) => {
                problems.push(skipped(file, why));
                continue;
            }
        };
        ran += 1;
        // The report as text at once: only its text is kept.
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            check_input(checker, &data).map_err(|failure| failure.to_string())
        }));
        match checked {
            Ok(Ok(())) => {}
            Ok(Err(report)) => failures.push(format!("{}: {report}", file.display())),
            Err(panic) => failures.push(format!(
                "{}: the check panicked: {}",
                file.display(),
                crate::testkit::watch::panic_message(panic.as_ref())
            )),
        }
    }
    assert!(
        failures.is_empty() && problems.is_empty(),
        "{} of {} inputs in {} fail{}:\n{}",
        failures.len(),
        ran,
        dir.display(),
        match problems.len() {
            0 => String::new(),
            n => format!(", and {n} entries were not run"),
        },
        problems
            .iter()
            .chain(&failures)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    assert!(
        ran > 0,
        "{} holds no input: commit at least one (a seed)",
        dir.display()
    );
    ran
}

/// The bytes of `file`, if it is at most [`MAX_INPUT`]: read through a limit, so that a file
/// that grows, or a link to an endless device, costs no more than that.
fn read_capped(file: &Path) -> Result<Vec<u8>, String> {
    let opened = fs::File::open(file).map_err(|e| format!("unreadable: {e}"))?;
    let mut data = Vec::new();
    opened
        .take(MAX_INPUT + 1)
        .read_to_end(&mut data)
        .map_err(|e| format!("unreadable: {e}"))?;
    if data.len() as u64 > MAX_INPUT {
        return Err(format!(
            "over the {MAX_INPUT}-byte limit on an input (libFuzzer's -max_len)"
        ));
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::with_tail;

    #[test]
    fn the_tail_is_a_function_of_the_bytes() {
        assert_eq!(with_tail(b"ab"), with_tail(b"ab"));
        assert_ne!(with_tail(b"ab")[2..], with_tail(b"ac")[2..]);
        assert_eq!(with_tail(b"ab").len(), 2 + super::TAIL);
    }
}
