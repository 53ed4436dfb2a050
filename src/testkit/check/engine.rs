//! The property engine: cases drawn with proptest's strategies from a fixed seed, a failure
//! shrunk by proptest's value trees, then its cuts minimized.
//!
//! The loop is this crate's own rather than `TestRunner::run`, for three reasons: each case's
//! messages are drawn from a random source of their own (`RngAlgorithm::Recorder`), so the bytes
//! behind a failing case can be written as a fuzz input; the plan is drawn independently of the
//! messages (a `(messages, plan)` tree), so shrinking the messages keeps the cut that fails;
//! and after shrinking, cuts the failure does not need are removed one by one and the rest moved
//! as early as they still fail, which proptest's shrinking of a chunk-length list cannot do.

use std::fmt;
use std::fs;

use proptest::strategy::{Just, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRng, TestRunner};
use proptest::tuple::TupleValueTree;

use super::examine::replayable;
use super::{
    CheckFailure, Checker, Compare, Encode, Examined, Prefixes, Render, Violation, DEFAULT_SEED,
    SHRINK_STEPS,
};
use crate::testkit::case::{fnv1a, plans, splitmix, Chunking, Plan};
use crate::testkit::shape::Subject;

/// Tries per cut when moving it earlier.
const MOVES_PER_CUT: usize = 64;

/// A 32-byte seed for case `case`'s source `source` (0: messages, 1: plan), from the checker's
/// seed: every case has its own sources, the same on every run.
fn case_seed(seed: u64, case: u64, source: u64) -> [u8; 32] {
    let mut state = seed
        ^ case.wrapping_mul(0xA076_1D64_78BD_642F)
        ^ source.wrapping_mul(0xE703_7ED1_A0B4_28DB);
    let mut out = [0u8; 32];
    for chunk in out.chunks_mut(8) {
        chunk.copy_from_slice(&splitmix(&mut state).to_le_bytes());
    }
    out
}

/// Same kind of violation (which run failed), whatever the fault: what cut minimization keeps.
fn same_kind(a: &Violation, b: &Violation) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

#[allow(clippy::result_large_err)] // A failure ends a test: its size costs nothing.
pub(super) fn run<M, S, E, C, R>(checker: &Checker<M, S, E, C, R>) -> Result<(), CheckFailure<M>>
where
    M: fmt::Debug + Clone,
    S: Subject,
    E: Encode<M>,
    C: Compare<M, S::Message>,
    R: Render<S::Message>,
{
    // The defaults read PROPTEST_CASES, PROPTEST_RNG_SEED and the other variables.
    let defaults = Config::default();
    let env_seed = match defaults.rng_seed {
        RngSeed::Fixed(seed) => Some(seed),
        RngSeed::Random => None,
    };
    let options = &checker.options;
    let cases = options.cases.unwrap_or(defaults.cases);
    let seed = options.seed.or(env_seed).unwrap_or(DEFAULT_SEED);
    // proptest's default, 4 steps per case, makes the report depend on the case count.
    let max_shrink = options
        .shrink_steps
        .unwrap_or(match defaults.max_shrink_iters {
            u32::MAX => SHRINK_STEPS,
            set => set,
        });
    // The runners only draw values (`new_tree`); nothing persists regression files.
    let config = defaults;
    let strategy = checker.messages.strategy();
    let plan_strategy = plans();

    let mut passed = 0;
    let mut rejected = 0;
    let mut attempt = 0u64;
    while passed < cases {
        attempt += 1;
        let mut message_runner = TestRunner::new_with_rng(
            config.clone(),
            TestRng::from_seed(RngAlgorithm::Recorder, &case_seed(seed, attempt, 0)),
        );
        let mut plan_runner = TestRunner::new_with_rng(
            config.clone(),
            TestRng::from_seed(RngAlgorithm::ChaCha, &case_seed(seed, attempt, 1)),
        );
        let messages_tree = strategy
            .new_tree(&mut message_runner)
            .unwrap_or_else(|reason| {
                panic!(
                    "the checker gave up drawing messages: {reason} (does the message strategy \
                 reject most values?)"
                )
            });
        let plan_tree = plan_strategy
            .new_tree(&mut plan_runner)
            .expect("plans are never rejected");
        let messages = messages_tree.current();
        let plan = plan_tree.current();
        let Ok(examined) = checker.examine(&messages, &plan, Prefixes::Many) else {
            rejected += 1;
            assert!(
                rejected <= config.max_global_rejects,
                "the checker gave up: the encoder failed on {rejected} cases (can it encode \
                 what the strategy draws?)"
            );
            continue;
        };
        if examined.violation.is_none() {
            passed += 1;
            continue;
        }
        let first = usize::try_from(attempt).unwrap_or(usize::MAX);
        // The property engine cuts every case short at many points; the fuzz format names one.
        // A failure found at one of them is recorded with it, or its input would pass.
        let mut input = replayable(&plan, examined.violation.as_ref()).to_bytes();
        input.extend_from_slice(&message_runner.rng().bytes_used());
        let recorded = record(checker, &input);
        // A failure that also shows with a cut after every byte shrinks with that plan: every
        // cut the failure needs stays in place however the messages shrink; the cuts it does
        // not need are removed afterwards.
        let dense = Plan {
            chunking: Chunking::EVERY_BYTE,
            ..plan.clone()
        };
        let kind = examined.violation.clone().expect("a failing case");
        let plan_tree: Box<dyn ValueTree<Value = Plan>> =
            match checker.examine(&messages, &dense, Prefixes::Many) {
                Ok(found)
                    if !matches!(kind, Violation::OnePiece(_))
                        && found
                            .violation
                            .as_ref()
                            .is_some_and(|v| same_kind(v, &kind)) =>
                {
                    Box::new(Just(dense))
                }
                _ => Box::new(plan_tree),
            };
        let tree = TupleValueTree::new((messages_tree, plan_tree));
        let (messages, plan, examined, steps) =
            shrink(checker, tree, (messages, plan, examined), max_shrink);
        let (plan, examined) = minimize(checker, &messages, plan, examined, Prefixes::Many);
        let (messages, plan, examined) =
            drop_messages(checker, messages, plan, examined, Prefixes::Many);
        let mut failure = checker.failure(messages, &plan, examined, first, steps, Some(input));
        failure.recorded = recorded;
        return Err(failure);
    }
    Ok(())
}

/// Writes a failing input where the checker or `LENFRAME_RECORD` says; the path written.
fn record<M, S, E, C, R>(
    checker: &Checker<M, S, E, C, R>,
    input: &[u8],
) -> Option<std::path::PathBuf> {
    let dir = checker
        .options
        .record
        .clone()
        .or_else(|| std::env::var_os("LENFRAME_RECORD").map(Into::into))?;
    let path = dir.join(format!("proptest-{:016x}", fnv1a(input)));
    match fs::create_dir_all(&dir).and_then(|()| fs::write(&path, input)) {
        Ok(()) => Some(path),
        Err(e) => {
            eprintln!(
                "lenframe::testkit: could not record {}: {e}",
                path.display()
            );
            None
        }
    }
}

type Found<M, T> = (Vec<M>, Plan, Examined<T>);

/// proptest's shrinking loop over the `(messages, plan)` tree: simplify while the case fails,
/// complicate when it passes. Returns the smallest failing case and the steps taken.
fn shrink<M, S, E, C, R, V>(
    checker: &Checker<M, S, E, C, R>,
    mut tree: V,
    mut best: Found<M, S::Message>,
    max_steps: u32,
) -> (Vec<M>, Plan, Examined<S::Message>, usize)
where
    M: fmt::Debug + Clone,
    S: Subject,
    E: Encode<M>,
    C: Compare<M, S::Message>,
    R: Render<S::Message>,
    V: ValueTree<Value = (Vec<M>, Plan)>,
{
    // Only failures of the same kind (the same run failing) count: a smaller case that fails
    // another way would report another bug than the one found.
    let kind = best.2.violation.clone();
    let mut steps = 0;
    if tree.simplify() {
        while steps < max_steps {
            steps += 1;
            let (messages, plan) = tree.current();
            let failed = match checker.examine(&messages, &plan, Prefixes::Many) {
                Ok(examined)
                    if examined
                        .violation
                        .as_ref()
                        .zip(kind.as_ref())
                        .is_some_and(|(v, k)| same_kind(v, k)) =>
                {
                    Some(examined)
                }
                _ => None,
            };
            let more = match failed {
                Some(examined) => {
                    best = (messages, plan, examined);
                    tree.simplify()
                }
                None => tree.complicate(),
            };
            if !more {
                break;
            }
        }
    }
    let (messages, plan, examined) = best;
    (messages, plan, examined, steps as usize)
}

/// Removes each cut the failure does not need, moves the others as early as they still fail,
/// then drops read errors and junk the failure does not need.
pub(super) fn minimize<M, S, E, C, R>(
    checker: &Checker<M, S, E, C, R>,
    messages: &[M],
    mut plan: Plan,
    mut examined: Examined<S::Message>,
    prefixes: Prefixes,
) -> (Plan, Examined<S::Message>)
where
    M: fmt::Debug + Clone,
    S: Subject,
    E: Encode<M>,
    C: Compare<M, S::Message>,
    R: Render<S::Message>,
{
    let Some(kind) = examined.violation.clone() else {
        return (plan, examined);
    };
    let try_plan =
        |candidate: Plan, examined: &mut Examined<S::Message>, plan: &mut Plan| match checker
            .examine(messages, &candidate, prefixes)
        {
            Ok(found)
                if found
                    .violation
                    .as_ref()
                    .is_some_and(|v| same_kind(v, &kind)) =>
            {
                *examined = found;
                *plan = candidate;
                true
            }
            _ => false,
        };
    let mut cuts = plan.chunking.cuts(examined.wire.len());
    let with_cuts = |plan: &Plan, cuts: &[usize]| Plan {
        chunking: Chunking::at(cuts),
        ..plan.clone()
    };
    // Already explicit and all needed when the chunking is a single cut list that fails
    // without each cut; the loops below find that out either way.
    for i in (0..cuts.len()).rev() {
        let mut fewer = cuts.clone();
        fewer.remove(i);
        if try_plan(with_cuts(&plan, &fewer), &mut examined, &mut plan) {
            cuts = fewer;
        }
    }
    for i in 0..cuts.len() {
        let earliest = if i == 0 { 1 } else { cuts[i - 1] + 1 };
        for at in (earliest..cuts[i]).take(MOVES_PER_CUT) {
            let mut moved = cuts.clone();
            moved[i] = at;
            if try_plan(with_cuts(&plan, &moved), &mut examined, &mut plan) {
                cuts = moved;
                break;
            }
        }
    }
    // The chunking as the explicit cuts it came to, for the report and the plan.
    if plan.chunking != Chunking::at(&cuts) {
        let explicit = with_cuts(&plan, &cuts);
        try_plan(explicit, &mut examined, &mut plan);
    }
    if plan.interrupt_every != 0 {
        let calm = Plan {
            interrupt_every: 0,
            ..plan.clone()
        };
        try_plan(calm, &mut examined, &mut plan);
    }
    if plan.junk > 1 {
        let little = Plan {
            junk: 1,
            ..plan.clone()
        };
        try_plan(little, &mut examined, &mut plan);
    }
    (plan, examined)
}

/// Removes each message the failure does not need (moving the cuts after it back by its
/// length), then minimizes the cuts again: what proptest's shrinking cannot do once the cuts are
/// explicit.
pub(super) fn drop_messages<M, S, E, C, R>(
    checker: &Checker<M, S, E, C, R>,
    mut messages: Vec<M>,
    mut plan: Plan,
    mut examined: Examined<S::Message>,
    prefixes: Prefixes,
) -> (Vec<M>, Plan, Examined<S::Message>)
where
    M: fmt::Debug + Clone,
    S: Subject,
    E: Encode<M>,
    C: Compare<M, S::Message>,
    R: Render<S::Message>,
{
    let Some(kind) = examined.violation.clone() else {
        return (messages, plan, examined);
    };
    let mut dropped = false;
    for i in (0..messages.len()).rev() {
        let start = if i == 0 { 0 } else { examined.ends[i - 1] };
        let len = examined.ends[i] - start;
        let cuts: Vec<usize> = examined
            .cuts
            .iter()
            .filter(|&&cut| cut <= start || cut > start + len)
            .map(|&cut| if cut > start { cut - len } else { cut })
            .collect();
        let mut fewer = messages.clone();
        fewer.remove(i);
        let candidate = Plan {
            chunking: Chunking::at(&cuts),
            ..plan.clone()
        };
        if let Ok(found) = checker.examine(&fewer, &candidate, prefixes) {
            if found
                .violation
                .as_ref()
                .is_some_and(|v| same_kind(v, &kind))
            {
                messages = fewer;
                plan = candidate;
                examined = found;
                dropped = true;
            }
        }
    }
    if dropped {
        let (p, e) = minimize(checker, &messages, plan, examined, prefixes);
        plan = p;
        examined = e;
    }
    (messages, plan, examined)
}
