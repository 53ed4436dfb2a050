//! The check for any bytes: [`StreamCheck`] decodes a stream that need not be made of encoded
//! messages (a fuzzer's bytes, a capture from a hostile peer) in one piece and in chunks, and
//! checks that both give the same result and neither panics, stalls nor (opt-in) grows its
//! buffer past a bound. What the result should be nobody says; that it must not depend on the
//! cuts is the sticky-packet property itself.

use std::fmt;

use super::{Debugged, Decoded, Fault, Render, RenderWith};
use crate::testkit::case::{Chunking, Plan};
use crate::testkit::oracle::judge_stream;
use crate::testkit::shape::{IntoSubject, Log, LogRules, Run, RunError, RunSpec, Subject};

/// Checks a decoder on any bytes (a fuzzer's, a capture from a hostile peer): nothing says what
/// it must return, but it must return the same whatever the cut. It decodes the bytes in one
/// piece and in chunks, and checks that both give the same messages, errors (shown with
/// `Debug`), ending and leftover, and that neither panics, stops making progress or (opt-in)
/// grows its buffer past a bound.
///
/// ```
/// use lenframe::testkit::{Chunking, StreamCheck};
///
/// let check = StreamCheck::new(lenframe::Codec::new);
/// // Not a valid stream: a header announcing 5 bytes, and 3 of them. Whatever the cut, the
/// // same frames (none) and the same error.
/// assert!(check.check(b"\x00\x00\x00\x05abc", &Chunking::EVERY_BYTE).is_ok());
/// ```
pub struct StreamCheck<S, R = Debugged> {
    subject: S,
    render: R,
    capacity_bound: Option<Box<dyn Fn(usize) -> usize>>,
    same_error: fn(&RunError, &RunError) -> bool,
}

/// Two errors are the same when they show the same (`Debug`).
fn shown_alike(a: &RunError, b: &RunError) -> bool {
    a.shown() == b.shown()
}

impl<S> fmt::Debug for StreamCheck<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamCheck").finish_non_exhaustive()
    }
}

impl<S: Subject> StreamCheck<S> {
    /// A check of the decoder `subject` (any shape, as [`Checker::new`](super::Checker::new)
    /// takes).
    pub fn new<I: IntoSubject<Subject = S>>(subject: I) -> Self {
        StreamCheck {
            subject: subject.into_subject(),
            render: Debugged,
            capacity_bound: None,
            same_error: shown_alike,
        }
    }
}

impl<S, R> StreamCheck<S, R> {
    /// Checks memory too: see [`Checker::capacity_bound`](super::Checker::capacity_bound).
    #[must_use]
    pub fn capacity_bound(mut self, bound: impl Fn(usize) -> usize + 'static) -> Self {
        self.capacity_bound = Some(Box::new(bound));
        self
    }

    /// Shows a decoded message in a report by `show`, for decoded types without `Debug`.
    #[must_use]
    pub fn render<F>(self, show: F) -> StreamCheck<S, RenderWith<F>> {
        StreamCheck {
            subject: self.subject,
            render: RenderWith(show),
            capacity_bound: self.capacity_bound,
            same_error: self.same_error,
        }
    }

    /// Compares the two runs' errors of type `E` with `PartialEq` instead of by their `Debug`
    /// text (errors of another type still by their text): for error types whose `Debug` is
    /// slow, or says less than their equality.
    ///
    /// ```
    /// use lenframe::testkit::{Chunking, StreamCheck};
    ///
    /// let check = StreamCheck::new(lenframe::Codec::new).errors_eq::<lenframe::DecodeError>();
    /// assert!(check.check(b"\x00\x00\x00\x05abc", &Chunking::EVERY_BYTE).is_ok());
    /// ```
    #[must_use]
    pub fn errors_eq<E: PartialEq + 'static>(mut self) -> Self {
        fn typed<E: PartialEq + 'static>(a: &RunError, b: &RunError) -> bool {
            match (a.downcast_ref::<E>(), b.downcast_ref::<E>()) {
                (Some(a), Some(b)) => a == b,
                _ => shown_alike(a, b),
            }
        }
        self.same_error = typed::<E>;
        self
    }
}

/// How a stream failed [`StreamCheck`]: the fault, and both runs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamFailure {
    /// What went wrong.
    pub fault: Fault,
    /// Whether the run in one piece shows it (else the run in chunks, or the two disagree).
    pub in_one_piece: bool,
    /// The stream.
    pub stream: Vec<u8>,
    /// Where the run in chunks cut it.
    pub cuts: Vec<usize>,
    /// What decoding the stream in one piece returned.
    pub one_piece: Decoded,
    /// What decoding it in chunks returned.
    pub chunked: Decoded,
}

impl fmt::Display for StreamFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let run = if self.in_one_piece {
            "in one piece"
        } else {
            "in chunks"
        };
        writeln!(f, "decoding any bytes {run}, the decoder {}", self.fault)?;
        write!(f, "  stream ({} bytes):", self.stream.len())?;
        for byte in self.stream.iter().take(64) {
            write!(f, " {byte:02x}")?;
        }
        if self.stream.len() > 64 {
            write!(f, " ... ({} more)", self.stream.len() - 64)?;
        }
        writeln!(f)?;
        writeln!(f, "  cut at {:?}", self.cuts)?;
        writeln!(f, "  decoded in one piece: {}", self.one_piece)?;
        write!(f, "  decoded in chunks:    {}", self.chunked)
    }
}

impl std::error::Error for StreamFailure {}

impl<S, R> StreamCheck<S, R>
where
    S: Subject,
    S::Message: PartialEq,
    R: Render<S::Message>,
{
    fn run_one(&self, stream: &[u8], chunks: &[usize]) -> Run<S::Message> {
        let mut log = Log::new(LogRules {
            ends: &[],
            // Each message uses a byte at least; one more means one did not.
            limit: stream.len() + 2,
            recover: true,
            lookahead: true,
            capacity_bound: self.capacity_bound.as_deref(),
        });
        self.subject.run(
            &RunSpec {
                stream,
                chunks,
                interrupt_every: 0,
                junk: 0,
            },
            &mut log,
        );
        log.into_run()
    }

    /// Checks `stream` in one piece against `stream` in `chunking`'s chunks. Errors do not end
    /// a run (a decoder that resynchronizes must do it the same way whatever the cut), and
    /// both runs may return at most one message per byte.
    ///
    /// # Errors
    ///
    /// A [`StreamFailure`] when the runs disagree, one panics, stalls or overruns, or the
    /// buffer passes the bound.
    #[allow(clippy::result_large_err)] // A failure ends a test: its size costs nothing.
    pub fn check(&self, stream: &[u8], chunking: &Chunking) -> Result<(), StreamFailure> {
        let one_chunk = [stream.len()];
        let one_piece = self.run_one(stream, if stream.is_empty() { &[] } else { &one_chunk });
        let chunks = chunking.chunk_lengths(stream.len());
        // A chunking of one chunk is the run in one piece again: the same calls, the same run.
        let chunked = (chunks.len() > 1).then(|| self.run_one(stream, &chunks));
        let chunked = chunked.as_ref().unwrap_or(&one_piece);
        judge_stream(&one_piece, chunked, &self.same_error).map_err(|(fault, in_one_piece)| {
            StreamFailure {
                fault,
                in_one_piece,
                stream: stream.to_vec(),
                cuts: chunking.cuts(stream.len()),
                one_piece: self.decoded("in one piece", &one_piece),
                chunked: self.decoded("in chunks", chunked),
            }
        })
    }

    /// [`StreamCheck::check`] on a fuzz input: a [`Plan`] (its chunking is used), then the
    /// stream; panics with the report.
    ///
    /// # Panics
    ///
    /// With the [`StreamFailure`] report, when the check fails.
    pub fn fuzz(&self, data: &[u8]) {
        let (plan, stream) = Plan::parse(data);
        if let Err(failure) = self.check(stream, &plan.chunking) {
            panic!("{failure}");
        }
    }

    fn decoded(&self, name: &str, run: &Run<S::Message>) -> Decoded {
        Decoded::of(name, run, &self.render)
    }
}
