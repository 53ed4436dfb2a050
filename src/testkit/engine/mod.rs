//! One case examined: the messages encoded, the stream decoded in one piece, in the plan's
//! chunks, with junk in front and cut short inside messages, each run judged by the oracles;
//! and the report of a failing case. The property engine (`property.rs`), the fuzz engine and
//! corpus replay (`fuzz.rs`) and [`Checker::check`] come here.
//!
//! The checker holds its decoder behind [`Check`], so that `Checker<M>` names no decoder type:
//! one virtual call per case, nothing per decoder call. The engines only need a verdict; the
//! runs are rendered for a report by examining the failing case once more, which also tells a
//! failure that does not repeat.

use std::fmt;

use bytes::BytesMut;

use crate::testkit::checker::{Checker, Options, Truncation};
use crate::testkit::decoder::{Decoder, LogRules, RunError, RunSpec, Trace};
use crate::testkit::oracle::{judge, judge_stream, judge_trailer_cut, judge_truncated, Expect};
use crate::testkit::plan::{Draws, Plan};
use crate::testkit::report::{Decoded, Ending, Failure, Fault, Run};
use crate::testkit::watch::{noted, Note, Watch};

pub(crate) mod fuzz;
pub(crate) mod property;

/// Which truncation points a check visits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prefixes {
    /// Many: the start of each message, its first bytes, its middle and its last byte (and,
    /// with an optional trailer, where it starts), and the plan's.
    Many,
    /// The plan's one (a fuzz input's).
    Planned,
}

/// Truncation points visited per message (besides its last byte and its middle).
const TRUNCATE_HEAD: usize = 8;
/// Most truncation points per case.
const TRUNCATE_MOST: usize = 96;

/// What went wrong with a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) run: Run,
    pub(crate) fault: Fault,
}

impl Verdict {
    /// The same kind of failure (the same run failing), whatever the fault: what shrinking
    /// keeps, so that a smaller case does not report another bug than the one found.
    pub(crate) fn same_kind(&self, other: &Verdict) -> bool {
        std::mem::discriminant(&self.run) == std::mem::discriminant(&other.run)
    }
}

/// The runs of a failing case, as the report shows them.
pub(crate) struct Rendered {
    pub(crate) one_piece: Decoded,
    pub(crate) chunked: Decoded,
    pub(crate) failing: Option<Decoded>,
    /// Writer checks: what the peer received under the plan.
    pub(crate) written: Option<Vec<u8>>,
    /// Conversation checks: the answers of the polite exchange, and under the plan.
    pub(crate) answers: Option<(Vec<u8>, Vec<u8>)>,
}

/// One case, encoded: what every decoder run of it needs.
pub(crate) struct Case<'a, M> {
    pub(crate) messages: &'a [&'a M],
    pub(crate) expected: &'a [Expect<'a, M>],
    pub(crate) wire: &'a [u8],
    pub(crate) ends: &'a [usize],
    pub(crate) plan: &'a Plan,
    pub(crate) prefixes: Prefixes,
}

/// The options a decoder's runs need, whatever the message type.
pub(crate) struct RunOptions<'a> {
    pub(crate) truncation: Truncation,
    pub(crate) recover: bool,
    pub(crate) lookahead: bool,
    pub(crate) interrupts: bool,
    pub(crate) capacity_bound: Option<&'a dyn Fn(usize) -> usize>,
    pub(crate) same_error: fn(&RunError, &RunError) -> bool,
    pub(crate) watch: &'a Watch,
}

/// A stream a subject made itself, and where each message ends in it.
pub(crate) type Made = (Vec<u8>, Vec<usize>);

/// A decoder and how its messages are judged, with the decoded type erased.
pub(crate) trait Check<M> {
    /// Examines the case: its verdict, and, with `render`, its runs as a report shows them.
    fn examine(
        &self,
        case: &Case<'_, M>,
        options: &RunOptions<'_>,
        render: bool,
    ) -> (Option<Verdict>, Option<Rendered>);

    /// Which of a plan's fields beyond its cuts mean something for the subject.
    fn draws(&self) -> Draws {
        Draws::default()
    }

    /// The stream of `messages` and where each ends, when the subject makes it itself (a
    /// writer's polite run) rather than the checker's encoder; `Err` when making it failed.
    fn stream(&self, _messages: &[&M], _watch: &Watch) -> Option<Result<Made, Verdict>> {
        None
    }
}

/// A decoder whose messages must be the encoded ones: [`Checker::new`].
pub(crate) struct Bound<T> {
    decoder: Decoder<T>,
}

impl<T: 'static> Bound<T> {
    pub(crate) fn new(decoder: Decoder<T>) -> Bound<T> {
        Bound { decoder }
    }
}

/// The rules a run over `ends` is logged with.
fn rules<'a>(options: &RunOptions<'a>, ends: &'a [usize]) -> LogRules<'a> {
    LogRules {
        ends,
        limit: ends.len() + 1,
        recover: options.recover,
        lookahead: options.lookahead,
        capacity_bound: options.capacity_bound,
        watch: options.watch,
    }
}

impl<M, T: PartialEq<M> + fmt::Debug + 'static> Check<M> for Bound<T> {
    fn draws(&self) -> Draws {
        Draws {
            cancels: self.decoder.cancellable(),
            would_block: false,
        }
    }

    fn examine(
        &self,
        case: &Case<'_, M>,
        options: &RunOptions<'_>,
        render: bool,
    ) -> (Option<Verdict>, Option<Rendered>) {
        let same = |e: &M, d: &T| d == e;
        let plan = case.plan;
        let wire = case.wire;
        let watch = options.watch;
        let interrupt_every = if options.interrupts {
            plan.interrupt_every
        } else {
            0
        };
        let log_rules = rules(options, case.ends);

        watch.run("in one piece");
        let whole = [wire.len()];
        let one_chunk: &[usize] = if wire.is_empty() { &[] } else { &whole };
        let one_piece = self.decoder.run(
            &RunSpec {
                stream: wire,
                chunks: one_chunk,
                interrupt_every: 0,
                junk: 0,
                cancel_at: None,
            },
            log_rules,
        );
        watch.run("in chunks");
        let chunks = plan.chunk_lengths(wire.len());
        let chunked_spec = RunSpec {
            stream: wire,
            chunks: &chunks,
            interrupt_every,
            junk: 0,
            cancel_at: plan.cancel_at,
        };
        let chunked = self.decoder.run(&chunked_spec, log_rules);
        let mut verdict = judge(case.expected, &one_piece, &same)
            .map(|fault| Verdict {
                run: Run::OnePiece,
                fault,
            })
            .or_else(|| {
                judge(case.expected, &chunked, &same).map(|fault| Verdict {
                    run: Run::Chunked,
                    fault,
                })
            });
        let mut failing: Option<(String, Trace<T>)> = None;

        if verdict.is_none() && plan.junk > 0 && self.decoder.takes_junk() {
            watch.run("with junk first");
            let junk = self.decoder.run(
                &RunSpec {
                    junk: plan.junk,
                    cancel_at: None,
                    ..chunked_spec
                },
                log_rules,
            );
            if let Some(fault) = judge(case.expected, &junk, &same) {
                verdict = Some(Verdict {
                    run: Run::Junk,
                    fault,
                });
                failing = Some((format!("with {} bytes of junk first", plan.junk), junk));
            }
        }

        if verdict.is_none() && options.truncation != Truncation::Off {
            watch.run("cut short");
            let trailer = match options.truncation {
                Truncation::TrailerOptional(trailer) => trailer,
                _ => &[],
            };
            for at in truncation_points(case.ends, wire, trailer, plan, case.prefixes) {
                let k = case.ends.partition_point(|&end| end <= at);
                // A cut where message k's trailer starts ends a whole stream of k + 1 messages.
                let trailer_cut = !trailer.is_empty()
                    && case.ends.get(k).is_some_and(|&end| {
                        end >= trailer.len()
                            && end - trailer.len() == at
                            && &wire[at..end] == trailer
                    });
                let whole = if trailer_cut { k + 1 } else { k };
                let chunks = plan.chunk_lengths(at);
                let run = self.decoder.run(
                    &RunSpec {
                        stream: &wire[..at],
                        chunks: &chunks,
                        interrupt_every,
                        junk: 0,
                        cancel_at: plan.cancel_at,
                    },
                    // One item past those before the cut: the oracle judges what the cut
                    // message came out as.
                    LogRules {
                        limit: whole + 1 + usize::from(!trailer_cut),
                        ..rules(options, &case.ends[..whole])
                    },
                );
                let fault = if trailer_cut {
                    judge_trailer_cut(&case.expected[..whole], &run, &same, options.truncation)
                } else {
                    judge_truncated(&case.expected[..k], &run, &same, options.truncation)
                };
                if let Some(fault) = fault {
                    verdict = Some(Verdict {
                        run: Run::Truncated { at },
                        fault,
                    });
                    failing = Some((format!("cut short at byte {at}, in chunks"), run));
                    break;
                }
            }
        }
        let rendered = render.then(|| Rendered {
            one_piece: Decoded::of("in one piece", &one_piece),
            chunked: Decoded::of("in chunks", &chunked),
            failing: failing.as_ref().map(|(name, run)| Decoded::of(name, run)),
            written: None,
            answers: None,
        });
        (verdict, rendered)
    }
}

/// A decoder checked on any bytes: [`Checker::any_stream`].
pub(crate) struct AnyStream<T> {
    decoder: Decoder<T>,
}

impl<T: 'static> AnyStream<T> {
    pub(crate) fn new(decoder: Decoder<T>) -> AnyStream<T> {
        AnyStream { decoder }
    }
}

impl<T: PartialEq + fmt::Debug + 'static> Check<u8> for AnyStream<T> {
    fn examine(
        &self,
        case: &Case<'_, u8>,
        options: &RunOptions<'_>,
        render: bool,
    ) -> (Option<Verdict>, Option<Rendered>) {
        let stream = case.wire;
        let run = |chunks: &[usize]| {
            self.decoder.run(
                &RunSpec {
                    stream,
                    chunks,
                    interrupt_every: 0,
                    junk: 0,
                    cancel_at: None,
                },
                LogRules {
                    ends: &[],
                    // Each message uses a byte at least; one more means one did not.
                    limit: stream.len() + 2,
                    recover: true,
                    lookahead: true,
                    capacity_bound: options.capacity_bound,
                    watch: options.watch,
                },
            )
        };
        options.watch.run("in one piece");
        let one_chunk = [stream.len()];
        let one_piece = run(if stream.is_empty() { &[] } else { &one_chunk });
        let chunks = case.plan.chunk_lengths(stream.len());
        // A plan of one chunk is the run in one piece again: the same calls, the same run.
        options.watch.run("in chunks");
        let chunked = (chunks.len() > 1).then(|| run(&chunks));
        let chunked = chunked.as_ref().unwrap_or(&one_piece);
        let verdict = judge_stream(&one_piece, chunked, &options.same_error)
            .err()
            .map(|(fault, in_one_piece)| Verdict {
                run: if in_one_piece {
                    Run::OnePiece
                } else {
                    Run::Chunked
                },
                fault,
            });
        let rendered = render.then(|| Rendered {
            one_piece: Decoded::of("in one piece", &one_piece),
            chunked: Decoded::of("in chunks", chunked),
            failing: None,
            written: None,
            answers: None,
        });
        (verdict, rendered)
    }
}

/// The stream positions a truncation run stops at: inside a message, never at a boundary.
fn truncation_points(
    ends: &[usize],
    wire: &[u8],
    trailer: &[u8],
    plan: &Plan,
    prefixes: Prefixes,
) -> Vec<usize> {
    let Some(&len) = ends.last() else {
        return Vec::new();
    };
    let inside = |at: usize| at > 0 && at < len && ends.binary_search(&at).is_err();
    let planned = plan.truncate.map(|t| t % len).filter(|&at| inside(at));
    match prefixes {
        Prefixes::Planned => planned.into_iter().collect(),
        Prefixes::Many => {
            let mut points = Vec::new();
            let mut start = 0;
            for &end in ends {
                points.extend((start + 1..end).take(TRUNCATE_HEAD));
                points.push((start + end) / 2);
                points.push(end.saturating_sub(1));
                // Where the message's trailer would start.
                if !trailer.is_empty() && end >= start + trailer.len() {
                    let at = end - trailer.len();
                    if &wire[at..end] == trailer {
                        points.push(at);
                    }
                }
                start = end;
            }
            points.retain(|&at| inside(at));
            points.sort_unstable();
            points.dedup();
            if points.len() > TRUNCATE_MOST {
                let step = points.len().div_ceil(TRUNCATE_MOST);
                points = points.into_iter().step_by(step).collect();
            }
            points.extend(planned);
            points
        }
    }
}

/// Why a case could not be examined.
pub(crate) enum Unexamined {
    /// The encoder refused a message: the case means nothing.
    Refused(String),
}

impl<M: fmt::Debug + 'static> Checker<M> {
    fn run_options<'a>(&'a self, watch: &'a Watch) -> RunOptions<'a> {
        let options: &Options<M> = &self.options;
        RunOptions {
            truncation: options.truncation,
            recover: options.errors_on.is_some(),
            lookahead: options.lookahead,
            interrupts: options.interrupts,
            capacity_bound: options.capacity_bound.as_deref(),
            same_error: options.same_error,
            watch,
        }
    }

    /// A watch for one verb's calls.
    pub(crate) fn watch(&self) -> Watch {
        Watch::new(self.options.budget)
    }

    /// Encodes `messages` and examines the case: the verdict (an encoder that panics is one),
    /// the stream and where each message ends in it, and the runs rendered if asked.
    #[allow(clippy::type_complexity)]
    pub(crate) fn examine(
        &self,
        messages: &[&M],
        plan: &Plan,
        prefixes: Prefixes,
        watch: &Watch,
        render: bool,
    ) -> Result<(Option<Verdict>, Vec<u8>, Vec<usize>, Option<Rendered>), Unexamined> {
        let mut wire = BytesMut::new();
        let mut ends = Vec::with_capacity(messages.len());
        if let Some(made) = self.check.stream(messages, watch) {
            match made {
                Ok((stream, stream_ends)) => {
                    wire.extend_from_slice(&stream);
                    ends = stream_ends;
                }
                Err(verdict) => {
                    return Ok((Some(verdict), Vec::new(), ends, render.then(not_run)));
                }
            }
        } else {
            let mut encoder = self.encoder.borrow_mut();
            watch.run("encoding");
            let started = watch.call(|| encoder.start(plan.seed));
            let Ok(mut rng) = started else {
                let verdict = Verdict {
                    run: Run::Encoding,
                    fault: Fault::EncoderPanicked {
                        index: 0,
                        message: started.err().unwrap_or_default(),
                    },
                };
                return Ok((Some(verdict), Vec::new(), ends, render.then(not_run)));
            };
            for (index, message) in messages.iter().enumerate() {
                match watch.call(|| encoder.encode(message, &mut wire, &mut rng)) {
                    Ok(Ok(())) => ends.push(wire.len()),
                    Ok(Err(refusal)) => return Err(Unexamined::Refused(refusal)),
                    Err(panic) => {
                        let verdict = Verdict {
                            run: Run::Encoding,
                            fault: Fault::EncoderPanicked {
                                index,
                                message: panic,
                            },
                        };
                        return Ok((Some(verdict), wire.to_vec(), ends, render.then(not_run)));
                    }
                }
            }
        }
        let wire = wire.to_vec();
        let expected: Vec<Expect<'_, M>> = messages
            .iter()
            .map(|&m| match &self.options.errors_on {
                Some(errors_on) if errors_on(m) => Expect::Error,
                _ => Expect::Message(m),
            })
            .collect();
        let case = Case {
            messages,
            expected: &expected,
            wire: &wire,
            ends: &ends,
            plan,
            prefixes,
        };
        let (verdict, rendered) = self.check.examine(&case, &self.run_options(watch), render);
        Ok((verdict, wire, ends, rendered))
    }

    /// Notes the case for a hang report, when calls are timed.
    pub(crate) fn note(&self, watch: &Watch, messages: &[&M], plan: &Plan, input: Option<&[u8]>) {
        if watch.is_timed() {
            watch.note(|| Note {
                messages: noted(format!("{messages:?}")),
                plan: plan.to_string(),
                input: input.map(<[u8]>::to_vec),
                run: "",
            });
        }
    }

    /// The report of a failing case, its runs rendered by examining it again: a case whose
    /// verdict changes is reported as not repeatable.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn failure(
        &self,
        messages: Vec<M>,
        plan: &Plan,
        seen: Verdict,
        case: usize,
        shrink_steps: usize,
        input: Option<Vec<u8>>,
        watch: &Watch,
    ) -> Failure<M> {
        let refs: Vec<&M> = messages.iter().collect();
        let prefixes = match seen.run {
            Run::Truncated { .. } => Prefixes::Planned,
            _ => Prefixes::Many,
        };
        let plan = replayable(plan, &seen);
        let (verdict, stream, ends, rendered) =
            match self.examine(&refs, &plan, prefixes, watch, true) {
                Ok((verdict, stream, ends, rendered)) => (verdict, stream, ends, rendered),
                Err(Unexamined::Refused(_)) => (None, Vec::new(), Vec::new(), None),
            };
        let rendered = rendered.unwrap_or_else(not_run);
        let Verdict { run, fault } = match verdict {
            Some(verdict) if verdict == seen => verdict,
            _ => Verdict {
                run: seen.run,
                fault: Fault::NotRepeatable {
                    seen: format!("{} {}", seen.run, seen.fault),
                },
            },
        };
        Failure {
            run,
            fault,
            messages,
            stream,
            ends,
            plan,
            one_piece: rendered.one_piece,
            chunked: rendered.chunked,
            failing: rendered.failing,
            written: rendered.written,
            answers: rendered.answers,
            case,
            shrink_steps,
            input,
            recorded: None,
            kind: self.options.kind,
        }
    }
}

/// The runs of a case whose messages were not all encoded, or of a check that decodes nothing
/// (a writer's, a conversation's): empty.
pub(crate) fn not_run() -> Rendered {
    let nothing = |run: &str| Decoded {
        run: run.to_owned(),
        messages: Vec::new(),
        ending: Ending::Clean,
        leftover: 0,
    };
    Rendered {
        one_piece: nothing("in one piece"),
        chunked: nothing("in chunks"),
        failing: None,
        written: None,
        answers: None,
    }
}

/// `plan`, naming the point where a stream cut short failed (the property engine visits many;
/// a plan, and the fuzz format, hold one): with it, the plan and the messages are the case
/// again.
pub(crate) fn replayable(plan: &Plan, verdict: &Verdict) -> Plan {
    let truncate = match verdict.run {
        Run::Truncated { at } => Some(at),
        _ => plan.truncate,
    };
    Plan {
        truncate,
        ..plan.clone()
    }
}

/// [`Checker::check`]: one given case.
pub(crate) fn check_case<M: fmt::Debug + Clone + 'static>(
    checker: &Checker<M>,
    messages: &[M],
    plan: &Plan,
) -> Result<(), Box<Failure<M>>> {
    let watch = checker.watch();
    let refs: Vec<&M> = messages.iter().collect();
    checker.note(&watch, &refs, plan, None);
    let (verdict, ..) = match checker.examine(&refs, plan, Prefixes::Many, &watch, false) {
        Ok(examined) => examined,
        Err(Unexamined::Refused(refusal)) => {
            panic!("the encoder refused a message of the case: {refusal}")
        }
    };
    match verdict {
        None => Ok(()),
        Some(verdict) => Err(Box::new(checker.failure(
            messages.to_vec(),
            plan,
            verdict,
            0,
            0,
            None,
            &watch,
        ))),
    }
}
