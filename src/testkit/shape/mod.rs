//! Decoder shapes: the ways decoders take their bytes, each run by the checker as it runs in
//! production, with no glue in the test.
//!
//! | shape | file | the checker runs it |
//! |---|---|---|
//! | `&mut BytesMut` decoders: a `FnMut`, a [`Decode`] type, [`Codec`](crate::Codec), a tokio `Decoder` (`TokioDecoder`, feature `tokio`) | `buffered.rs` | chunks appended to a `BytesMut`, `decode` after each, `decode_eof` at the end |
//! | slice parsers, `&[u8]` -> message and bytes used, or "incomplete" ([`parser`]) | `parser.rs` | the same, the harness keeping the buffer and mapping "incomplete" to "wait" |
//! | cursor parsers, `&mut Cursor<&[u8]>` ([`cursor_parser`]) | `parser.rs` | the same, and once with junk in front of the input |
//! | decoders that read from a `std::io::Read` ([`reader`]) | `reader.rs` | over a [`StreamReader`] returning the chunks, with `Interrupted` errors |
//! | tokio `Decoder`s under `FramedRead` (`framed`, feature `tokio`) | `framed.rs` | over an `AsyncRead` that returns `Pending` before each chunk |
//!
//! Each shape implements [`Subject`]: given a stream and how to cut it, it runs a fresh decoder
//! and tells a [`Log`] what came out, what it waited for and how much memory it held. The
//! oracles judge the log.

use std::any::Any;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

mod buffered;
#[cfg(feature = "tokio")]
mod framed;
mod parser;
mod reader;

pub use buffered::Decode;
#[cfg(feature = "tokio")]
pub use buffered::TokioDecoder;
#[cfg(feature = "tokio")]
pub use framed::{framed, Framed, PendingReader};
pub use parser::{
    cursor_parser, parser, unexpected_eof, CursorParser, Incomplete, Never, Parse, Parser,
};
pub use reader::{reader, Reader, StreamReader};

pub(crate) use buffered::Buffered;

/// One run of a decoder: the stream (all of it, or a prefix for a truncation run), the chunks
/// it arrives in, and the shape-specific extras.
#[derive(Clone, Copy, Debug)]
pub struct RunSpec<'a> {
    /// The bytes of the run, followed by the end of the stream.
    pub stream: &'a [u8],
    /// Chunk lengths covering `stream` exactly, in order (none for an empty stream).
    pub chunks: &'a [usize],
    /// Readers: an `Interrupted` error before every k-th read (0 and 1: never).
    pub interrupt_every: usize,
    /// Cursor and slice parsers: bytes of junk in front of the input (0: none).
    pub junk: usize,
}

/// A decoder under test, of some shape: runs a fresh decoder over a stream and tells the log
/// what happened. Implemented by the shapes of this module ([`Checker::new`] takes any of them,
/// or a factory of [`Decode`]rs).
///
/// [`Checker::new`]: crate::testkit::Checker::new
pub trait Subject {
    /// What the decoder returns.
    type Message;

    /// Whether a junk run means something for this shape (parsers).
    fn takes_junk(&self) -> bool {
        false
    }

    /// Runs a fresh decoder over `spec`, telling `log` each message, error, wait and buffer
    /// size, and how the run ended.
    fn run(&self, spec: &RunSpec<'_>, log: &mut Log<'_, Self::Message>);
}

/// What converts into a [`Subject`]: the shapes themselves, and any factory of [`Decode`]rs
/// (`Fn() -> D`), so that `Checker::new(|| decode_fn, encode, messages)` works.
pub trait IntoSubject {
    /// The subject.
    type Subject: Subject;
    /// Converts.
    fn into_subject(self) -> Self::Subject;
}

impl<N, D> IntoSubject for N
where
    N: Fn() -> D,
    D: Decode,
{
    type Subject = Buffered<N>;
    fn into_subject(self) -> Buffered<N> {
        Buffered(self)
    }
}

/// One thing a run produced, in order.
#[derive(Debug)]
pub enum Item<T> {
    /// A message.
    Message(T),
    /// An error the run went on after (recovery; otherwise an error ends the run).
    Error(RunError),
}

/// An error a decoder returned, kept as it is: shown (`Debug`) only when a report needs it,
/// or when two runs' errors are compared without a typed comparison
/// ([`StreamCheck::errors_eq`](crate::testkit::StreamCheck::errors_eq)). Formatting every error
/// as it comes was the most expensive part of a fuzz input's check.
pub struct RunError(Box<dyn AnyDebug>);

/// `Any` and `Debug` in one object.
trait AnyDebug: Any + fmt::Debug {
    fn as_any(&self) -> &dyn Any;
}

impl<E: Any + fmt::Debug> AnyDebug for E {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl RunError {
    /// Keeps `error`.
    pub fn new<E: fmt::Debug + 'static>(error: E) -> RunError {
        RunError(Box::new(error))
    }

    /// The error, if it is an `E`.
    pub fn downcast_ref<E: 'static>(&self) -> Option<&E> {
        // The box's content: `Box<dyn AnyDebug>` is itself an `AnyDebug`.
        (*self.0).as_any().downcast_ref()
    }

    /// The error, shown with `Debug`.
    pub fn shown(&self) -> String {
        format!("{:?}", self.0)
    }
}

impl fmt::Debug for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (*self.0).fmt(f)
    }
}

impl Ending<RunError> {
    /// The ending as a report shows it.
    pub(crate) fn shown(&self) -> Ending {
        match self {
            Ending::Clean => Ending::Clean,
            Ending::Error(e) => Ending::Error(e.shown()),
            Ending::Panicked(m) => Ending::Panicked(m.clone()),
            Ending::Overran => Ending::Overran,
            Ending::NoProgress(w) => Ending::NoProgress(w.clone()),
            Ending::Broken(h) => Ending::Broken(h.clone()),
        }
    }
}

impl From<&str> for RunError {
    fn from(shown: &str) -> RunError {
        RunError::new(shown.to_owned())
    }
}

/// How a run ended. In a report the error is shown (`Ending<String>`, the default); while the
/// checker judges, it is the error itself ([`RunError`]), shown only if needed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ending<E = String> {
    /// The decoder reported the end of the stream with no error.
    Clean,
    /// The decoder returned this error, which ended the run.
    Error(E),
    /// The decoder panicked, with this message.
    Panicked(String),
    /// The decoder returned more than were encoded, and the run stopped there.
    Overran,
    /// The decoder made no progress in a bounded number of calls (reads, polls) and the run
    /// stopped it; says what it kept doing.
    NoProgress(String),
    /// The decoder broke its own contract (a parser claimed more bytes than it was given);
    /// says how.
    Broken(String),
}

/// The decoder waited for more bytes while a whole message was delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stall {
    /// Which message (or expected error) was whole: items returned before the wait.
    pub index: usize,
    /// Stream bytes delivered when it waited.
    pub delivered: usize,
    /// Where that message ends in the stream.
    pub end: usize,
}

/// The decoder's buffer grew past the bound for the bytes it held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Excess {
    /// The buffer's capacity after the call.
    pub capacity: usize,
    /// Bytes buffered when the call began.
    pub buffered: usize,
    /// The bound for that many bytes.
    pub bound: usize,
}

/// Whether a run goes on after what was just logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Call the decoder again.
    Go,
    /// Stop the run.
    Stop,
}

/// What the checker knows while a run goes (where each expected message ends, how far a run
/// may go) and what the run produced: filled by a [`Subject`], read by the oracles.
pub struct Log<'a, T> {
    ends: &'a [usize],
    limit: usize,
    recover: bool,
    lookahead: bool,
    capacity_bound: Option<&'a dyn Fn(usize) -> usize>,
    /// The last call returned an error.
    stuck_error: bool,
    run: Run<T>,
}

/// What one run produced, for the oracles.
#[derive(Debug)]
pub(crate) struct Run<T> {
    pub items: Vec<Item<T>>,
    pub ending: Ending<RunError>,
    pub leftover: usize,
    pub stall: Option<Stall>,
    pub excess: Option<Excess>,
}

impl<T> fmt::Debug for Log<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Log")
            .field("items", &self.run.items.len())
            .field("ending", &self.run.ending)
            .field("leftover", &self.run.leftover)
            .finish_non_exhaustive()
    }
}

/// How a [`Log`] judges a run as it goes.
#[derive(Clone, Copy)]
pub(crate) struct LogRules<'a> {
    /// Where each expected item ends in the stream (for waits): empty when not known.
    pub ends: &'a [usize],
    /// Items after which the run stops (one past what is expected).
    pub limit: usize,
    /// Errors do not end the run.
    pub recover: bool,
    /// Waiting with a whole message delivered is allowed.
    pub lookahead: bool,
    /// The bound on the buffer's capacity for the bytes it held.
    pub capacity_bound: Option<&'a dyn Fn(usize) -> usize>,
}

impl<'a, T> Log<'a, T> {
    pub(crate) fn new(rules: LogRules<'a>) -> Log<'a, T> {
        Log {
            ends: rules.ends,
            limit: rules.limit,
            recover: rules.recover,
            lookahead: rules.lookahead,
            capacity_bound: rules.capacity_bound,
            stuck_error: false,
            run: Run {
                // Most runs return a few items: no regrowth for them.
                items: Vec::with_capacity(8),
                ending: Ending::Clean,
                leftover: 0,
                stall: None,
                excess: None,
            },
        }
    }

    /// What the run produced.
    pub(crate) fn into_run(self) -> Run<T> {
        self.run
    }

    /// Items logged so far.
    pub fn returned(&self) -> usize {
        self.run.items.len()
    }

    /// The decoder returned a message.
    pub fn message(&mut self, message: T) -> Flow {
        self.stuck_error = false;
        self.run.items.push(Item::Message(message));
        self.bounded()
    }

    /// The decoder returned an error, having consumed input in that call or not. The run goes
    /// on only when the check expects recovery, and not when the call before returned an error
    /// too and this one consumed nothing: that error would repeat for ever.
    pub fn error<E: fmt::Debug + 'static>(&mut self, error: E, consumed: bool) -> Flow {
        let repeats = !consumed && self.stuck_error;
        self.stuck_error = true;
        if self.recover && !repeats {
            self.run.items.push(Item::Error(RunError::new(error)));
            self.bounded()
        } else {
            self.run.ending = Ending::Error(RunError::new(error));
            Flow::Stop
        }
    }

    fn bounded(&mut self) -> Flow {
        if self.run.items.len() >= self.limit {
            self.run.ending = Ending::Overran;
            Flow::Stop
        } else {
            Flow::Go
        }
    }

    /// The decoder panicked (the payload of `catch_unwind`).
    pub fn panicked(&mut self, payload: &(dyn std::any::Any + Send)) {
        self.run.ending = Ending::Panicked(panic_message(payload));
    }

    /// The decoder broke its own contract: the run stops.
    pub fn broken(&mut self, how: &str) {
        self.run.ending = Ending::Broken(how.to_owned());
    }

    /// The run stopped a decoder that made no progress.
    pub fn no_progress(&mut self, what: &str) {
        self.run.ending = Ending::NoProgress(what.to_owned());
    }

    /// The decoder waits for more bytes (returned "no message yet", read again, returned
    /// `Pending`) with `delivered` bytes of the stream handed to it.
    pub fn waiting(&mut self, delivered: usize) {
        self.stuck_error = false;
        if self.lookahead || self.run.stall.is_some() {
            return;
        }
        let index = self.run.items.len();
        if let Some(&end) = self.ends.get(index) {
            if end <= delivered {
                self.run.stall = Some(Stall {
                    index,
                    delivered,
                    end,
                });
            }
        }
    }

    /// A call began with `buffered` bytes in the decoder's buffer and `before` bytes of
    /// capacity, and left it with `capacity`. Only growth counts: capacity the buffer kept from
    /// bytes consumed earlier is not the call's doing.
    pub fn capacity(&mut self, buffered: usize, before: usize, capacity: usize) {
        let Some(bound) = self.capacity_bound else {
            return;
        };
        if self.run.excess.is_none() && capacity > before {
            let bound = bound(buffered);
            if capacity > bound {
                self.run.excess = Some(Excess {
                    capacity,
                    buffered,
                    bound,
                });
            }
        }
    }

    /// The run ended with `leftover` bytes in the decoder's buffer.
    pub fn finish(&mut self, leftover: usize) {
        self.run.leftover = leftover;
    }
}

/// Calls `f`, turning a panic into the log's ending: `None` when the decoder panicked.
pub(crate) fn guarded<T, R>(log: &mut Log<'_, T>, f: impl FnOnce() -> R) -> Option<R> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => Some(r),
        Err(payload) => {
            log.panicked(payload.as_ref());
            None
        }
    }
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".to_owned())
}

/// The shapes of this module are subjects already.
macro_rules! subject_as_is {
    ($($shape:ident<$($param:ident),*>),*) => {$(
        impl<$($param),*> IntoSubject for $shape<$($param),*>
        where
            $shape<$($param),*>: Subject,
        {
            type Subject = Self;
            fn into_subject(self) -> Self {
                self
            }
        }
    )*};
}

subject_as_is!(Parser<N, I>, CursorParser<N, I>, Reader<N>);
#[cfg(feature = "tokio")]
subject_as_is!(Framed<N>);

#[cfg(test)]
mod tests {
    use super::{Log, LogRules, RunError};

    #[test]
    fn a_log_shows_what_it_holds() {
        let mut log: Log<'_, u8> = Log::new(LogRules {
            ends: &[],
            limit: 4,
            recover: false,
            lookahead: false,
            capacity_bound: None,
        });
        let _ = log.message(1);
        log.finish(3);
        let shown = format!("{log:?}");
        assert!(shown.starts_with("Log {"), "{shown}");
        assert!(shown.contains("items: 1"), "{shown}");
        assert!(shown.contains("leftover: 3"), "{shown}");
    }

    #[test]
    fn a_run_error_is_the_error_it_keeps() {
        let error = RunError::new(7u16);
        assert_eq!(error.downcast_ref::<u16>(), Some(&7));
        assert_eq!(error.downcast_ref::<u32>(), None);
        assert_eq!(error.shown(), "7");
        assert_eq!(format!("{error:?}"), "7");
    }
}
