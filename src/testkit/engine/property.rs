//! The property engine: cases drawn with proptest's strategies from a fixed seed, a failure
//! shrunk by proptest's value trees, then its cuts and messages minimized.
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

use super::{Prefixes, Unexamined, Verdict};
use crate::testkit::checker::Checker;
use crate::testkit::plan::{fnv1a, plans, splitmix, Plan};
use crate::testkit::report::{Failure, Run};
use crate::testkit::watch::Watch;

/// The seed the checker draws its cases from unless told otherwise: the same cases on every
/// run.
const DEFAULT_SEED: u64 = 0x6c65_6e66_7261_6d65; // "lenframe"

/// Most cases tried while shrinking a failure, unless `PROPTEST_MAX_SHRINK_ITERS` says
/// otherwise: enough to take a case of 8 messages cut after every byte down to a few bytes and
/// cuts.
const SHRINK_STEPS: u32 = 16 * 1024;

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

/// Examines `messages` under `plan`: the verdict, and where each message ends (`None` when the
/// encoder refused one).
fn examined<M: fmt::Debug + 'static>(
    checker: &Checker<M>,
    messages: &[&M],
    plan: &Plan,
    watch: &Watch,
    prefixes: Prefixes,
) -> Option<(Option<Verdict>, Vec<usize>)> {
    checker.note(watch, messages, plan, None);
    match checker.examine(messages, plan, prefixes, watch, false) {
        Ok((verdict, _, ends, _)) => Some((verdict, ends)),
        Err(Unexamined::Refused(_)) => None,
    }
}

/// Whether `messages` under `plan` fail the same way as `kind`: the verdict if so.
fn fails_like<M: fmt::Debug + 'static>(
    checker: &Checker<M>,
    messages: &[&M],
    plan: &Plan,
    watch: &Watch,
    prefixes: Prefixes,
    kind: &Verdict,
) -> Option<(Verdict, Vec<usize>)> {
    match examined(checker, messages, plan, watch, prefixes)? {
        (Some(verdict), ends) if verdict.same_kind(kind) => Some((verdict, ends)),
        _ => None,
    }
}
pub(crate) fn run<M: fmt::Debug + 'static>(checker: &Checker<M>) -> Result<(), Box<Failure<M>>> {
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
    let watch = checker.watch();
    let strategy = &checker.messages.strategy;
    let plan_strategy = plans(checker.check.draws());

    let mut passed = 0;
    let mut rejected = 0;
    let mut attempt = 0u64;
    while passed < cases {
        attempt += 1;
        // The runners only draw values (`new_tree`); nothing persists regression files.
        let mut message_runner = TestRunner::new_with_rng(
            defaults.clone(),
            TestRng::from_seed(RngAlgorithm::Recorder, &case_seed(seed, attempt, 0)),
        );
        let mut plan_runner = TestRunner::new_with_rng(
            defaults.clone(),
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
        let refs: Vec<&M> = messages.iter().collect();
        let Some((verdict, _)) = examined(checker, &refs, &plan, &watch, Prefixes::Many) else {
            rejected += 1;
            assert!(
                rejected <= defaults.max_global_rejects,
                "the checker gave up: the encoder refused {rejected} cases (can it encode what \
                 the strategy draws?)"
            );
            continue;
        };
        let Some(verdict) = verdict else {
            passed += 1;
            continue;
        };
        let first = usize::try_from(attempt).unwrap_or(usize::MAX);
        // The property engine cuts every case short at many points; the fuzz format names one.
        // A failure found at one of them is recorded with it, or its input would pass.
        let mut input = super::replayable(&plan, &verdict).to_bytes();
        input.extend_from_slice(&message_runner.rng().bytes_used());
        let recorded = record(checker, &input);
        // A failure that also shows with a cut after every byte shrinks with that plan: every
        // cut the failure needs stays in place however the messages shrink; the cuts it does
        // not need are removed afterwards.
        let dense = Plan {
            chunks: Vec::new(),
            then_every: 1,
            ..plan.clone()
        };
        let keeps_dense = verdict.run != Run::OnePiece
            && fails_like(checker, &refs, &dense, &watch, Prefixes::Many, &verdict).is_some();
        drop(refs);
        let plan_tree: Box<dyn ValueTree<Value = Plan>> = if keeps_dense {
            Box::new(Just(dense))
        } else {
            Box::new(plan_tree)
        };
        let tree = TupleValueTree::new((messages_tree, plan_tree));
        let (messages, plan, verdict, steps) =
            shrink(checker, tree, (messages, plan, verdict), max_shrink, &watch);
        let (messages, plan, verdict) =
            minimize_case(checker, messages, plan, verdict, Prefixes::Many, &watch);
        let mut failure =
            checker.failure(messages, &plan, verdict, first, steps, Some(input), &watch);
        failure.recorded = recorded;
        return Err(Box::new(failure));
    }
    Ok(())
}

/// Writes a failing input where the checker or `LENFRAME_RECORD` says; the path written.
fn record<M>(checker: &Checker<M>, input: &[u8]) -> Option<std::path::PathBuf> {
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

/// proptest's shrinking loop over the `(messages, plan)` tree: simplify while the case fails
/// the same way, complicate when it does not. Returns the smallest failing case and the steps
/// taken.
fn shrink<M, V>(
    checker: &Checker<M>,
    mut tree: V,
    mut best: (Vec<M>, Plan, Verdict),
    max_steps: u32,
    watch: &Watch,
) -> (Vec<M>, Plan, Verdict, usize)
where
    M: fmt::Debug + 'static,
    V: ValueTree<Value = (Vec<M>, Plan)>,
{
    let kind = best.2.clone();
    let mut steps = 0;
    if tree.simplify() {
        while steps < max_steps {
            steps += 1;
            let (messages, plan) = tree.current();
            let refs: Vec<&M> = messages.iter().collect();
            let failed = fails_like(checker, &refs, &plan, watch, Prefixes::Many, &kind);
            drop(refs);
            let more = match failed {
                Some((verdict, _)) => {
                    best = (messages, plan, verdict);
                    tree.simplify()
                }
                None => tree.complicate(),
            };
            if !more {
                break;
            }
        }
    }
    let (messages, plan, verdict) = best;
    (messages, plan, verdict, steps as usize)
}

/// Drops what a failure does not need: each cut, then each message (moving the cuts after it
/// back by its length), then read errors and junk; moves each cut left as early as it still
/// fails. What proptest's shrinking cannot do once the cuts are explicit. Shared with the fuzz
/// engine.
pub(crate) fn minimize_case<M: fmt::Debug + 'static>(
    checker: &Checker<M>,
    mut messages: Vec<M>,
    plan: Plan,
    verdict: Verdict,
    prefixes: Prefixes,
    watch: &Watch,
) -> (Vec<M>, Plan, Verdict) {
    if verdict.run == Run::Encoding {
        return drop_for_encoder(checker, messages, plan, verdict, watch);
    }
    let refs: Vec<&M> = messages.iter().collect();
    let Some((_, ends)) = examined(checker, &refs, &plan, watch, prefixes) else {
        return (messages, plan, verdict);
    };
    let (mut plan, mut verdict) =
        minimize_cuts(checker, &refs, plan, verdict, &ends, prefixes, watch);
    // Messages, last first: the indexes of the ones kept.
    let mut kept: Vec<usize> = (0..messages.len()).collect();
    let mut ends = ends;
    let mut dropped = false;
    // Lists of their own (a handshake first) lose no message here.
    let droppable = if checker.messages.any_list {
        kept.len()
    } else {
        0
    };
    for i in (0..droppable).rev() {
        let start = if i == 0 { 0 } else { ends[i - 1] };
        let len = ends[i] - start;
        let cuts: Vec<usize> = plan
            .cuts(*ends.last().unwrap_or(&0))
            .into_iter()
            .filter(|&cut| cut <= start || cut > start + len)
            .map(|cut| if cut > start { cut - len } else { cut })
            .collect();
        let mut fewer = kept.clone();
        fewer.remove(i);
        let candidate = plan.with_cuts(&cuts);
        let fewer_refs: Vec<&M> = fewer.iter().map(|&k| &messages[k]).collect();
        if let Some((found, found_ends)) =
            fails_like(checker, &fewer_refs, &candidate, watch, prefixes, &verdict)
        {
            kept = fewer;
            plan = candidate;
            verdict = found;
            ends = found_ends;
            dropped = true;
        }
    }
    if dropped {
        let kept_refs: Vec<&M> = kept.iter().map(|&k| &messages[k]).collect();
        let (p, v) = minimize_cuts(checker, &kept_refs, plan, verdict, &ends, prefixes, watch);
        plan = p;
        verdict = v;
    }
    drop(refs);
    // The messages kept, in order, taken out of the list without cloning them.
    let mut index = 0;
    messages.retain(|_| {
        let keep = kept.binary_search(&index).is_ok();
        index += 1;
        keep
    });
    (messages, plan, verdict)
}

/// An encoder's failure needs no cut: drops each message it does not need, and the plan's cuts.
fn drop_for_encoder<M: fmt::Debug + 'static>(
    checker: &Checker<M>,
    mut messages: Vec<M>,
    plan: Plan,
    mut verdict: Verdict,
    watch: &Watch,
) -> (Vec<M>, Plan, Verdict) {
    let plan = plan.with_cuts(&[]);
    let mut kept: Vec<usize> = (0..messages.len()).collect();
    let droppable = if checker.messages.any_list {
        kept.len()
    } else {
        0
    };
    for i in (0..droppable).rev() {
        let mut fewer = kept.clone();
        fewer.remove(i);
        let refs: Vec<&M> = fewer.iter().map(|&k| &messages[k]).collect();
        if let Some((found, _)) =
            fails_like(checker, &refs, &plan, watch, Prefixes::Planned, &verdict)
        {
            kept = fewer;
            verdict = found;
        }
    }
    let mut index = 0;
    messages.retain(|_| {
        let keep = kept.binary_search(&index).is_ok();
        index += 1;
        keep
    });
    (messages, plan, verdict)
}

/// Removes each cut the failure does not need, moves the others as early as they still fail,
/// then drops read errors and junk the failure does not need.
fn minimize_cuts<M: fmt::Debug + 'static>(
    checker: &Checker<M>,
    messages: &[&M],
    mut plan: Plan,
    mut verdict: Verdict,
    ends: &[usize],
    prefixes: Prefixes,
    watch: &Watch,
) -> (Plan, Verdict) {
    let kind = verdict.clone();
    let try_plan = |candidate: Plan, plan: &mut Plan, verdict: &mut Verdict| match fails_like(
        checker, messages, &candidate, watch, prefixes, &kind,
    ) {
        Some((found, _)) => {
            *verdict = found;
            *plan = candidate;
            true
        }
        None => false,
    };
    let len = ends.last().copied().unwrap_or(0);
    let mut cuts = plan.cuts(len);
    // A plan with other cuts, and a cancel point if the plan has one: the same, or (the cuts
    // number the `Pending`s, so one moves with them) any up to one past the last chunk.
    let with = |plan: &Plan, cuts: &[usize]| -> Vec<Plan> {
        let base = plan.with_cuts(cuts);
        let mut out = vec![base.clone()];
        if let Some(at) = plan.cancel_at {
            out.extend((0..=cuts.len() + 1).filter(|&k| k != at).map(|k| Plan {
                cancel_at: Some(k),
                ..base.clone()
            }));
        }
        out
    };
    for i in (0..cuts.len()).rev() {
        let mut fewer = cuts.clone();
        fewer.remove(i);
        for candidate in with(&plan, &fewer) {
            if try_plan(candidate, &mut plan, &mut verdict) {
                cuts = fewer;
                break;
            }
        }
    }
    for i in 0..cuts.len() {
        let earliest = if i == 0 { 1 } else { cuts[i - 1] + 1 };
        for at in (earliest..cuts[i]).take(MOVES_PER_CUT) {
            let mut moved = cuts.clone();
            moved[i] = at;
            if try_plan(plan.with_cuts(&moved), &mut plan, &mut verdict) {
                cuts = moved;
                break;
            }
        }
    }
    // The plan as the explicit cuts it came to, for the report.
    let explicit = plan.with_cuts(&cuts);
    if plan != explicit {
        try_plan(explicit, &mut plan, &mut verdict);
    }
    if plan.interrupt_every != 0 {
        let calm = Plan {
            interrupt_every: 0,
            ..plan.clone()
        };
        try_plan(calm, &mut plan, &mut verdict);
    }
    if plan.junk > 1 {
        let little = Plan {
            junk: 1,
            ..plan.clone()
        };
        try_plan(little, &mut plan, &mut verdict);
    }
    if plan.would_block_every != 0 {
        let never = Plan {
            would_block_every: 0,
            ..plan.clone()
        };
        try_plan(never, &mut plan, &mut verdict);
    }
    // No cancel if the failure needs none, else the earliest that still fails.
    if let Some(at) = plan.cancel_at {
        let candidates = std::iter::once(None).chain((0..at).map(Some));
        for cancel_at in candidates {
            let earlier = Plan {
                cancel_at,
                ..plan.clone()
            };
            if try_plan(earlier, &mut plan, &mut verdict) {
                break;
            }
        }
    }
    (plan, verdict)
}
