//! One case examined: the messages encoded, the stream decoded in one piece, in the plan's
//! chunks, with junk in front, and cut short inside messages, each run judged by the oracles.
//! Both engines (the property engine and the fuzz entry point) and `check_plan` come here.

use std::fmt;

use bytes::BytesMut;

use super::report::{CheckFailure, Decoded, Violation};
use super::{Checker, Compare, Render, Truncation};
use crate::testkit::case::Plan;
use crate::testkit::encode::{Encode, EncodeContext};
use crate::testkit::oracle::{judge, judge_truncated, Expect};
use crate::testkit::shape::{Log, LogRules, Run, RunSpec, Subject};

/// Which truncation points a check visits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Prefixes {
    /// Many: the start of each message, its first bytes, its middle and its last byte.
    Many,
    /// The plan's one (a fuzz input's).
    Planned,
}

/// One case examined: the stream, the runs, and what broke first.
pub(super) struct Examined<T> {
    pub(super) wire: Vec<u8>,
    pub(super) ends: Vec<usize>,
    pub(super) cuts: Vec<usize>,
    pub(super) one_piece: Run<T>,
    pub(super) chunked: Run<T>,
    pub(super) failing: Option<(String, Run<T>)>,
    pub(super) violation: Option<Violation>,
}

/// Truncation points visited per message (besides its last byte and its middle).
const TRUNCATE_HEAD: usize = 8;
/// Most truncation points per case.
const TRUNCATE_MOST: usize = 96;

impl<M, S, E, C, R> Checker<M, S, E, C, R>
where
    M: fmt::Debug,
    S: Subject,
    E: Encode<M>,
    C: Compare<M, S::Message>,
    R: Render<S::Message>,
{
    /// The rules runs over `ends` are logged with.
    fn rules<'a>(&'a self, ends: &'a [usize]) -> LogRules<'a> {
        LogRules {
            ends,
            limit: ends.len() + 1,
            recover: self.options.errors_on.is_some(),
            lookahead: self.options.lookahead,
            capacity_bound: self.options.capacity_bound.as_deref(),
        }
    }

    fn run_one(&self, spec: &RunSpec<'_>, rules: LogRules<'_>) -> Run<S::Message> {
        let mut log = Log::new(rules);
        self.subject.run(spec, &mut log);
        log.into_run()
    }

    /// Encodes `messages` and runs every check of the case; `Err` when the encoder fails.
    pub(super) fn examine(
        &self,
        messages: &[M],
        plan: &Plan,
        prefixes: Prefixes,
    ) -> Result<Examined<S::Message>, String> {
        let mut wire = BytesMut::new();
        let mut ends = Vec::with_capacity(messages.len());
        {
            let mut encoder = self.encoder.borrow_mut();
            encoder.start();
            let mut cx = EncodeContext::new(plan.seed);
            for message in messages {
                encoder.encode(message, &mut wire, &mut cx)?;
                ends.push(wire.len());
            }
        }
        let wire = wire.to_vec();
        let expected: Vec<Expect<'_, M>> = messages
            .iter()
            .map(|m| match &self.options.errors_on {
                Some(errors_on) if errors_on(m) => Expect::Error,
                _ => Expect::Message(m),
            })
            .collect();
        let same = |e: &M, d: &S::Message| self.compare.same(e, d);
        let rules = self.rules(&ends);
        let interrupt_every = if self.options.interrupts {
            plan.interrupt_every
        } else {
            0
        };

        let whole = [wire.len()];
        let one_chunk: &[usize] = if wire.is_empty() { &[] } else { &whole };
        let one_piece = self.run_one(
            &RunSpec {
                stream: &wire,
                chunks: one_chunk,
                interrupt_every: 0,
                junk: 0,
            },
            rules,
        );
        let chunks = plan.chunking.chunk_lengths(wire.len());
        let cuts = plan.chunking.cuts(wire.len());
        let chunked_spec = RunSpec {
            stream: &wire,
            chunks: &chunks,
            interrupt_every,
            junk: 0,
        };
        let chunked = self.run_one(&chunked_spec, rules);
        let mut examined = Examined {
            violation: None,
            failing: None,
            one_piece,
            chunked,
            cuts,
            ends: Vec::new(),
            wire: Vec::new(),
        };
        examined.violation = judge(&expected, &examined.one_piece, &same)
            .map(Violation::OnePiece)
            .or_else(|| judge(&expected, &examined.chunked, &same).map(Violation::Chunked));

        if examined.violation.is_none() && plan.junk > 0 && self.subject.takes_junk() {
            let junk = self.run_one(
                &RunSpec {
                    junk: plan.junk,
                    ..chunked_spec
                },
                rules,
            );
            if let Some(fault) = judge(&expected, &junk, &same) {
                examined.violation = Some(Violation::Junk(fault));
                examined.failing = Some((format!("with {} bytes of junk first", plan.junk), junk));
            }
        }

        if examined.violation.is_none() && self.options.truncation != Truncation::Off {
            for at in truncation_points(&ends, plan, prefixes) {
                let k = ends.partition_point(|&end| end <= at);
                let chunks = plan.chunking.chunk_lengths(at);
                let run = self.run_one(
                    &RunSpec {
                        stream: &wire[..at],
                        chunks: &chunks,
                        interrupt_every,
                        junk: 0,
                    },
                    // One item past those before the cut: the oracle judges what the cut
                    // message came out as.
                    LogRules {
                        limit: k + 2,
                        ..self.rules(&ends[..k])
                    },
                );
                if let Some(fault) =
                    judge_truncated(&expected[..k], &run, &same, self.options.truncation)
                {
                    examined.violation = Some(Violation::Truncated { at, fault });
                    examined.failing = Some((format!("cut short at byte {at}, in chunks"), run));
                    break;
                }
            }
        }
        examined.wire = wire;
        examined.ends = ends;
        Ok(examined)
    }

    /// The report of a failing case.
    pub(super) fn failure(
        &self,
        messages: Vec<M>,
        plan: &Plan,
        examined: Examined<S::Message>,
        case: usize,
        shrink_steps: usize,
        input: Option<Vec<u8>>,
    ) -> CheckFailure<M> {
        let junk = match examined.violation {
            Some(Violation::Junk(_)) => plan.junk,
            _ => 0,
        };
        let plan = replayable(plan, examined.violation.as_ref());
        CheckFailure {
            violation: examined.violation.unwrap_or(Violation::NotRepeatable {
                reason: "no failure".to_owned(),
            }),
            one_piece: self.decoded("in one piece", &examined.one_piece),
            chunked: self.decoded("in chunks", &examined.chunked),
            failing: examined
                .failing
                .as_ref()
                .map(|(name, run)| self.decoded(name, run)),
            messages,
            wire: examined.wire,
            ends: examined.ends,
            cuts: examined.cuts,
            junk,
            case,
            shrink_steps,
            input,
            recorded: None,
            plan,
        }
    }

    fn decoded(&self, name: &str, run: &Run<S::Message>) -> Decoded {
        Decoded::of(name, run, &self.render)
    }
}

/// `plan`, naming the point where a stream cut short failed (the property engine visits many;
/// a plan, and the fuzz format, hold one): with it, the plan and the messages are the case again.
pub(super) fn replayable(plan: &Plan, violation: Option<&Violation>) -> Plan {
    let truncate = match violation {
        Some(Violation::Truncated { at, .. }) => Some(*at),
        _ => plan.truncate,
    };
    Plan {
        truncate,
        ..plan.clone()
    }
}

/// The stream positions a truncation run stops at: inside a message, never at a boundary.
fn truncation_points(ends: &[usize], plan: &Plan, prefixes: Prefixes) -> Vec<usize> {
    let Some(&len) = ends.last() else {
        return Vec::new();
    };
    let inside = |at: usize| at > 0 && at < len && ends.binary_search(&at).is_err();
    match prefixes {
        Prefixes::Planned => plan
            .truncate
            .map(|t| t % len)
            .filter(|&at| inside(at))
            .into_iter()
            .collect(),
        Prefixes::Many => {
            let mut points = Vec::new();
            let mut start = 0;
            for &end in ends {
                points.extend((start + 1..end).take(TRUNCATE_HEAD));
                points.push((start + end) / 2);
                points.push(end.saturating_sub(1));
                start = end;
            }
            points.retain(|&at| inside(at));
            points.sort_unstable();
            points.dedup();
            if points.len() > TRUNCATE_MOST {
                let step = points.len().div_ceil(TRUNCATE_MOST);
                points = points.into_iter().step_by(step).collect();
            }
            points
        }
    }
}
