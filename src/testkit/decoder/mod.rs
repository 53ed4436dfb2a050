//! Decoder shapes: the ways decoders take their bytes, each run by the checker as it runs in
//! production, with no glue in the test. Every shape becomes a [`Decoder`].
//!
//! | shape | file | the checker runs it |
//! |---|---|---|
//! | `&mut BytesMut` decoders: a `FnMut`, a [`Decode`] type, a tokio `Decoder` ([`TokioDecoder`], feature `tokio`) | `buffered.rs` | chunks appended to a `BytesMut`, `decode` after each, `decode_eof` at the end |
//! | slice parsers, `&[u8]` -> a message and the bytes it used ([`parser`]) | `parser.rs` | the same, the harness keeping the buffer |
//! | cursor parsers, `&mut Cursor<&[u8]>` ([`cursor_parser`]) | `cursor.rs` | the same, and once with junk in front of the input |
//! | parsers that return the rest of their input, nom's shape ([`rest_parser`]) | `rest.rs` | the same |
//! | push parsers, `&[u8]` in, messages out ([`push_parser`]) | `push.rs` | each chunk pushed, what is left after a message pushed again |
//! | decoders that read from a `std::io::Read` ([`reader`]) | `reader.rs` | over a [`StreamReader`] returning the chunks, with `Interrupted` errors |
//! | tokio `Decoder`s under `FramedRead` ([`framed`], feature `tokio`) | `framed.rs` | over an `AsyncRead` that returns `Pending` before each chunk |
//! | async read loops, `Stream`s, and a handoff between two streams ([`async_reader`], [`stream`], [`handoff`], feature `tokio`) | `async_read.rs` | over a [`Socket`] that returns `Pending` before each chunk; read loops dropped and called again at a planned `Pending` |
//!
//! Each shape runs a fresh decoder over a stream and tells a log what came out, what it waited
//! for and how much memory it held; the oracles judge the log.
//!
//! [`parser`]: crate::testkit::parser
//! [`cursor_parser`]: crate::testkit::cursor_parser
//! [`rest_parser`]: crate::testkit::rest_parser
//! [`push_parser`]: crate::testkit::push_parser
//! [`reader`]: crate::testkit::reader
//! [`StreamReader`]: crate::testkit::StreamReader
//! [`Socket`]: crate::testkit::Socket
#![cfg_attr(
    feature = "tokio",
    doc = "[`TokioDecoder`]: crate::testkit::TokioDecoder"
)]
#![cfg_attr(feature = "tokio", doc = "[`framed`]: crate::testkit::framed")]
#![cfg_attr(
    feature = "tokio",
    doc = "[`async_reader`]: crate::testkit::async_reader"
)]
#![cfg_attr(feature = "tokio", doc = "[`stream`]: crate::testkit::stream")]
#![cfg_attr(feature = "tokio", doc = "[`handoff`]: crate::testkit::handoff")]
#![cfg_attr(
    not(feature = "tokio"),
    doc = "[`async_reader`]: https://docs.rs/lenframe/latest/lenframe/testkit/fn.async_reader.html"
)]
#![cfg_attr(
    not(feature = "tokio"),
    doc = "[`stream`]: https://docs.rs/lenframe/latest/lenframe/testkit/fn.stream.html"
)]
#![cfg_attr(
    not(feature = "tokio"),
    doc = "[`handoff`]: https://docs.rs/lenframe/latest/lenframe/testkit/fn.handoff.html"
)]
#![cfg_attr(
    not(feature = "tokio"),
    doc = "[`TokioDecoder`]: https://docs.rs/lenframe/latest/lenframe/testkit/struct.TokioDecoder.html"
)]
#![cfg_attr(
    not(feature = "tokio"),
    doc = "[`framed`]: https://docs.rs/lenframe/latest/lenframe/testkit/fn.framed.html"
)]

use std::any::{type_name, Any};
use std::fmt;

use bytes::BytesMut;

use crate::testkit::watch::Watch;

#[cfg(feature = "tokio")]
pub(crate) mod async_read;
pub(crate) mod buffered;
pub(crate) mod cursor;
#[cfg(feature = "tokio")]
pub(crate) mod framed;
pub(crate) mod parser;
pub(crate) mod push;
pub(crate) mod reader;
pub(crate) mod rest;

/// A decoder under test, of any shape: what [`Checker::new`](crate::testkit::Checker::new)
/// takes. The shape functions ([`parser`](crate::testkit::parser),
/// [`reader`](crate::testkit::reader), ...) return one, and any factory of
/// [`Decode`](crate::testkit::Decode)rs converts into one, so `|| decode_fn` and
/// `lenframe::Codec::new` are decoders as they are.
///
/// Three adapters say how its messages and errors are read:
///
/// - [`Decoder::map`] turns each message into another type (an owned copy, what the encoder
///   takes, a summary);
/// - [`Decoder::compare_debug`] compares its messages with the encoded ones by their `Debug`
///   text, for types without `PartialEq`;
/// - [`Decoder::incomplete_when`] says which of its errors mean "wait for more bytes".
///
/// ```
/// use bytes::BytesMut;
/// use lenframe::testkit::Decoder;
///
/// // A line decoder that returns a borrowed-looking type: turned into `String`s.
/// struct Line(Vec<u8>);
/// let decode = |buf: &mut BytesMut| -> Result<Option<Line>, ()> {
///     let Some(end) = buf.iter().position(|&b| b == b'\n') else { return Ok(None) };
///     Ok(Some(Line(buf.split_to(end + 1)[..end].to_vec())))
/// };
/// let decoder: Decoder<String> =
///     Decoder::from(move || decode).map(|line| String::from_utf8_lossy(&line.0).into_owned());
/// let encode = |line: &String, dst: &mut BytesMut| {
///     dst.extend_from_slice(line.as_bytes());
///     dst.extend_from_slice(b"\n");
/// };
/// lenframe::testkit::Checker::new(decoder, encode, "[a-z]{0,5}").assert();
/// ```
pub struct Decoder<T> {
    shape: Box<dyn Shape<T>>,
    incomplete: Option<Incomplete>,
}

type IncompleteTest = dyn Fn(&RunError) -> Option<bool>;

/// Which errors mean "incomplete": the test, and the error type it takes (for the message
/// when the decoder's errors are of another type).
struct Incomplete {
    /// Whether an error means "incomplete"; `None` when it is not of the type the test takes.
    test: Box<IncompleteTest>,
    takes: &'static str,
}

impl<T> fmt::Debug for Decoder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("shape", &self.shape.name())
            .field(
                "incomplete_when",
                &self.incomplete.as_ref().map(|i| i.takes),
            )
            .finish()
    }
}

impl<T: 'static> Decoder<T> {
    pub(crate) fn new(shape: impl Shape<T> + 'static) -> Decoder<T> {
        Decoder {
            shape: Box::new(shape),
            incomplete: None,
        }
    }

    /// Each message the decoder returns, turned into another by `f`: to compare it with what
    /// the encoder took (another type, an owned copy of a borrowed message), or to check less
    /// of it. A panic in `f` is reported as the decoder's.
    #[must_use]
    pub fn map<U: 'static>(self, f: impl Fn(T) -> U + 'static) -> Decoder<U> {
        Decoder {
            shape: Box::new(Mapped {
                inner: self.shape,
                f,
            }),
            incomplete: self.incomplete,
        }
    }

    /// Compares the decoder's messages with the encoded ones by their `Debug` text, for message
    /// types without `PartialEq` (the messages show in reports as that text).
    ///
    /// ```
    /// use bytes::{Buf, BytesMut};
    /// use lenframe::testkit::{Checker, Decoder};
    ///
    /// #[derive(Debug)] // and no PartialEq
    /// struct Ping(u8);
    ///
    /// let decode = |buf: &mut BytesMut| -> Result<Option<Ping>, ()> {
    ///     Ok((!buf.is_empty()).then(|| Ping(buf.get_u8())))
    /// };
    /// let encode = |ping: &Ping, dst: &mut BytesMut| dst.extend_from_slice(&[ping.0]);
    /// let pings = proptest::num::u8::ANY.prop_map(Ping);
    /// # use proptest::strategy::Strategy;
    /// Checker::new(Decoder::from(move || decode).compare_debug(), encode, pings).assert();
    /// ```
    #[must_use]
    pub fn compare_debug(self) -> Decoder<Shown>
    where
        T: fmt::Debug,
    {
        self.map(|message| Shown(format!("{message:?}")))
    }

    /// The decoder's errors of type `E` for which `incomplete` is true mean "wait for more
    /// bytes", not an error: for decoders and parsers that say "incomplete" with an error
    /// (nom's `Err::Incomplete`, `io::ErrorKind::UnexpectedEof`, an `InsufficientBytes`). Its
    /// other errors stay errors. The type of `E` must be the decoder's error type: the check
    /// panics, naming both, when it is not.
    ///
    /// ```
    /// use bytes::{BufMut, BytesMut};
    /// use lenframe::testkit::{parser, Checker};
    ///
    /// #[derive(Debug)]
    /// enum Error { Insufficient(usize), Invalid }
    ///
    /// fn parse(input: &[u8]) -> Result<(u16, usize), Error> {
    ///     match input {
    ///         [0xAA, hi, lo, ..] => Ok((u16::from_be_bytes([*hi, *lo]), 3)),
    ///         [0xAA, ..] | [] => Err(Error::Insufficient(3 - input.len())),
    ///         _ => Err(Error::Invalid),
    ///     }
    /// }
    /// let encode = |n: &u16, dst: &mut BytesMut| { dst.put_u8(0xAA); dst.put_u16(*n) };
    /// let decoder = parser(|| parse).incomplete_when(|e: &Error| matches!(e, Error::Insufficient(_)));
    /// Checker::new(decoder, encode, proptest::num::u16::ANY).assert();
    /// ```
    #[must_use]
    pub fn incomplete_when<E: 'static>(
        mut self,
        incomplete: impl Fn(&E) -> bool + 'static,
    ) -> Decoder<T> {
        self.incomplete = Some(Incomplete {
            test: Box::new(move |error: &RunError| error.downcast_ref::<E>().map(&incomplete)),
            takes: type_name::<E>(),
        });
        self
    }

    /// Runs a fresh decoder over `spec`, logging under `rules`.
    pub(crate) fn run(&self, spec: &RunSpec<'_>, rules: LogRules<'_>) -> Trace<T> {
        let mut log = Log::new(rules);
        log.incomplete = self.incomplete.as_ref();
        self.shape.run(spec, &mut log);
        log.into_trace()
    }

    /// Whether a run with junk in front of the input means something for this shape.
    pub(crate) fn takes_junk(&self) -> bool {
        self.shape.takes_junk()
    }

    /// Whether the shape's reads can be cancelled (async readers).
    pub(crate) fn cancellable(&self) -> bool {
        self.shape.cancellable()
    }
}

/// A decoded message as its `Debug` text: what [`Decoder::compare_debug`] turns messages into.
/// Equal to any message whose `Debug` text is the same; shown as that text.
#[derive(Clone)]
pub struct Shown(String);

impl<M: fmt::Debug> PartialEq<M> for Shown {
    fn eq(&self, message: &M) -> bool {
        // Written into a reusable buffer would save an allocation; a report-only path.
        self.0 == format!("{message:?}")
    }
}

impl fmt::Debug for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One run of a decoder: the stream (all of it, or a prefix for a truncation run), the chunks
/// it arrives in, and the shape-specific extras.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunSpec<'a> {
    /// The bytes of the run, followed by the end of the stream.
    pub(crate) stream: &'a [u8],
    /// Chunk lengths covering `stream` exactly, in order (none for an empty stream).
    pub(crate) chunks: &'a [usize],
    /// Readers: an `Interrupted` error before every k-th read (0 and 1: never).
    pub(crate) interrupt_every: usize,
    /// Cursor parsers: bytes of junk in front of the input (0: none).
    pub(crate) junk: usize,
    /// Async readers: the read is dropped at the socket's `Pending` number k, and called again.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) cancel_at: Option<usize>,
}

/// A decoder shape: runs a fresh decoder over a stream and tells the log what happened.
pub(crate) trait Shape<T> {
    /// The shape's name, for `Debug`.
    fn name(&self) -> &'static str;

    /// Whether a junk run means something for this shape (cursor parsers).
    fn takes_junk(&self) -> bool {
        false
    }

    /// Whether the shape's reads can be cancelled (async readers): plans draw cancel points.
    fn cancellable(&self) -> bool {
        false
    }

    /// Runs a fresh decoder over `spec`, telling `log` each message, error, wait and buffer
    /// size, and how the run ended.
    fn run(&self, spec: &RunSpec<'_>, log: &mut Log<'_, T>);
}

/// [`Decoder::map`]'s shape: the inner run, its messages mapped.
struct Mapped<T, F> {
    inner: Box<dyn Shape<T>>,
    f: F,
}

impl<T, U, F: Fn(T) -> U> Shape<U> for Mapped<T, F> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn takes_junk(&self) -> bool {
        self.inner.takes_junk()
    }

    fn cancellable(&self) -> bool {
        self.inner.cancellable()
    }

    fn run(&self, spec: &RunSpec<'_>, log: &mut Log<'_, U>) {
        let mut inner = Log::new(log.rules);
        inner.incomplete = log.incomplete;
        self.inner.run(spec, &mut inner);
        let trace = inner.into_trace();
        // The mapping sees the messages after the run, in order; the log's bounds counted
        // them as they came, which mapping does not change.
        let mut items = Vec::with_capacity(trace.items.len());
        let mut ending = trace.ending;
        for item in trace.items {
            match item {
                Item::Message(message) => match log.watch.call(|| (self.f)(message)) {
                    Ok(mapped) => items.push(Item::Message(mapped)),
                    Err(panic) => {
                        ending = End::Panicked(panic);
                        break;
                    }
                },
                Item::Error(e) => items.push(Item::Error(e)),
            }
        }
        log.trace = Trace {
            items,
            ending,
            leftover: trace.leftover,
            stall: trace.stall,
            excess: trace.excess,
        };
    }
}

/// One thing a run produced, in order.
#[derive(Debug)]
pub(crate) enum Item<T> {
    /// A message.
    Message(T),
    /// An error the run went on after (recovery; otherwise an error ends the run).
    Error(RunError),
}

/// An error a decoder returned, kept as it is: shown (`Debug`) only when a report needs it, or
/// when two runs' errors are compared without a typed comparison. Formatting every error as it
/// comes was the most expensive part of a fuzz input's check.
pub(crate) struct RunError {
    error: Box<dyn AnyDebug>,
    type_name: &'static str,
}

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
    pub(crate) fn new<E: fmt::Debug + 'static>(error: E) -> RunError {
        RunError {
            error: Box::new(error),
            type_name: type_name::<E>(),
        }
    }

    /// The error, if it is an `E`.
    pub(crate) fn downcast_ref<E: 'static>(&self) -> Option<&E> {
        (*self.error).as_any().downcast_ref()
    }

    /// The error, shown with `Debug`.
    pub(crate) fn shown(&self) -> String {
        format!("{:?}", self.error)
    }
}

impl fmt::Debug for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (*self.error).fmt(f)
    }
}

impl From<&str> for RunError {
    fn from(shown: &str) -> RunError {
        RunError::new(shown.to_owned())
    }
}

/// How a run ended, as the checker judges it (the report shows it as an
/// [`Ending`](crate::testkit::Ending)).
#[derive(Debug)]
pub(crate) enum End {
    /// The decoder reported the end of the stream with no error.
    Clean,
    /// The decoder returned this error, which ended the run.
    Error(RunError),
    /// The decoder panicked, with this message.
    Panicked(String),
    /// The decoder returned more than was encoded, and the run stopped there.
    Overran,
    /// The decoder made no progress in a bounded number of calls; says what it kept doing.
    NoProgress(String),
    /// The decoder broke its own contract; says how.
    Broken(String),
    /// The decoder's buffer passed the memory bound, and the run stopped there.
    OverBound,
}

/// The decoder waited for more bytes while a whole message was delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stall {
    /// Which message (or expected error) was whole: items returned before the wait.
    pub(crate) index: usize,
    /// Stream bytes delivered when it waited.
    pub(crate) delivered: usize,
    /// Where that message ends in the stream.
    pub(crate) end: usize,
}

/// The decoder's buffer grew past the bound for the bytes it held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Excess {
    /// The buffer's capacity after the call.
    pub(crate) capacity: usize,
    /// Bytes buffered when the call began.
    pub(crate) buffered: usize,
    /// The bound for that many bytes.
    pub(crate) bound: usize,
}

/// What one run produced, for the oracles.
#[derive(Debug)]
pub(crate) struct Trace<T> {
    pub(crate) items: Vec<Item<T>>,
    pub(crate) ending: End,
    pub(crate) leftover: usize,
    pub(crate) stall: Option<Stall>,
    pub(crate) excess: Option<Excess>,
}

/// What a run does after what was just logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Call the decoder again.
    Go,
    /// The error meant "incomplete": feed more bytes (at the end of the stream: end).
    Wait,
    /// Stop the run.
    Stop,
}

/// How a [`Log`] judges a run as it goes.
#[derive(Clone, Copy)]
pub(crate) struct LogRules<'a> {
    /// Where each expected item ends in the stream (for waits): empty when not known.
    pub(crate) ends: &'a [usize],
    /// Items after which the run stops (one past what is expected).
    pub(crate) limit: usize,
    /// Errors do not end the run.
    pub(crate) recover: bool,
    /// Waiting with a whole message delivered is allowed.
    pub(crate) lookahead: bool,
    /// The bound on the buffer's capacity for the bytes it held.
    pub(crate) capacity_bound: Option<&'a dyn Fn(usize) -> usize>,
    /// Times every decoder call (and quiets its panics).
    pub(crate) watch: &'a Watch,
}

/// What the checker knows while a run goes and what the run produced: filled by a shape, read
/// by the oracles.
pub(crate) struct Log<'a, T> {
    rules: LogRules<'a>,
    pub(crate) watch: &'a Watch,
    incomplete: Option<&'a Incomplete>,
    /// The last call returned an error.
    stuck_error: bool,
    trace: Trace<T>,
}

impl<'a, T> Log<'a, T> {
    pub(crate) fn new(rules: LogRules<'a>) -> Log<'a, T> {
        Log {
            rules,
            watch: rules.watch,
            incomplete: None,
            stuck_error: false,
            trace: Trace {
                // Most runs return a few items: no regrowth for them.
                items: Vec::with_capacity(8),
                ending: End::Clean,
                leftover: 0,
                stall: None,
                excess: None,
            },
        }
    }

    pub(crate) fn into_trace(self) -> Trace<T> {
        self.trace
    }

    /// Where each expected message ends.
    pub(crate) fn ends(&self) -> &'a [usize] {
        self.rules.ends
    }

    /// Items after which the run stops.
    #[cfg(feature = "tokio")]
    pub(crate) fn limit(&self) -> usize {
        self.rules.limit
    }

    /// Items logged so far.
    pub(crate) fn returned(&self) -> usize {
        self.trace.items.len()
    }

    /// Calls the decoder: `None` when it panicked (the run's ending says so).
    pub(crate) fn call<R>(&mut self, f: impl FnOnce() -> R) -> Option<R> {
        match self.watch.call(f) {
            Ok(r) => Some(r),
            Err(message) => {
                self.trace.ending = End::Panicked(message);
                None
            }
        }
    }

    /// The decoder returned a message.
    pub(crate) fn message(&mut self, message: T) -> Flow {
        self.stuck_error = false;
        self.trace.items.push(Item::Message(message));
        self.bounded()
    }

    /// The decoder returned an error, having consumed input in that call or not. An error that
    /// means "incomplete" ([`Decoder::incomplete_when`]) is a wait. Otherwise the run goes on
    /// only when the check expects recovery, and not when the call before returned an error
    /// too and this one consumed nothing: that error would repeat for ever.
    pub(crate) fn error<E: fmt::Debug + 'static>(&mut self, error: E, consumed: bool) -> Flow {
        let error = RunError::new(error);
        if let Some(incomplete) = self.incomplete {
            match (incomplete.test)(&error) {
                Some(true) => return Flow::Wait,
                Some(false) => {}
                None => panic!(
                    "incomplete_when takes errors of type `{}`, but the decoder returned an \
                     error of type `{}`: {error:?}",
                    incomplete.takes, error.type_name
                ),
            }
        }
        let repeats = !consumed && self.stuck_error;
        self.stuck_error = true;
        if self.rules.recover && !repeats {
            self.trace.items.push(Item::Error(error));
            self.bounded()
        } else {
            self.trace.ending = End::Error(error);
            Flow::Stop
        }
    }

    fn bounded(&mut self) -> Flow {
        if self.trace.items.len() >= self.rules.limit {
            self.trace.ending = End::Overran;
            Flow::Stop
        } else {
            Flow::Go
        }
    }

    /// The decoder broke its own contract: the run stops.
    pub(crate) fn broken(&mut self, how: String) {
        self.trace.ending = End::Broken(how);
    }

    /// The run stopped a decoder that made no progress.
    pub(crate) fn no_progress(&mut self, what: &str) {
        self.trace.ending = End::NoProgress(what.to_owned());
    }

    /// The decoder waits for more bytes (returned "no message yet", read again, returned
    /// `Pending`) with `delivered` bytes of the stream handed to it.
    pub(crate) fn waiting(&mut self, delivered: usize) {
        self.stuck_error = false;
        if self.rules.lookahead || self.trace.stall.is_some() {
            return;
        }
        let index = self.trace.items.len();
        if let Some(&end) = self.rules.ends.get(index) {
            if end <= delivered {
                self.trace.stall = Some(Stall {
                    index,
                    delivered,
                    end,
                });
            }
        }
    }

    /// A call began with `buffered` bytes in the decoder's buffer and `before` bytes of
    /// capacity, and left it with `capacity`. Only growth counts: capacity the buffer kept from
    /// bytes consumed earlier is not the call's doing. Past the bound the run stops at once, so
    /// a buffer that grows on every call is reported before it exhausts memory.
    pub(crate) fn capacity(&mut self, buffered: usize, before: usize, capacity: usize) -> Flow {
        let Some(bound) = self.rules.capacity_bound else {
            return Flow::Go;
        };
        if capacity > before {
            let bound = bound(buffered);
            if capacity > bound {
                self.trace.excess = Some(Excess {
                    capacity,
                    buffered,
                    bound,
                });
                self.trace.ending = End::OverBound;
                return Flow::Stop;
            }
        }
        Flow::Go
    }

    /// The run ended with `leftover` bytes in the decoder's buffer.
    pub(crate) fn finish(&mut self, leftover: usize) {
        self.trace.leftover = leftover;
    }
}

/// What a decoding step tells [`feed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Call again on the same buffer.
    Again,
    /// Feed the next chunk (or, at the end of the stream, finish).
    More,
    /// Stop feeding.
    Stop,
}

/// What a call's [`Flow`] means for the feeding.
pub(crate) fn step(flow: Flow) -> Step {
    match flow {
        Flow::Go => Step::Again,
        Flow::Wait => Step::More,
        Flow::Stop => Step::Stop,
    }
}

/// The capacity the buffer of a run starts with (or the stream's length, when shorter):
/// tokio-util's `FramedRead`'s, 8 KiB, so a decoder sees the room a real one has.
const INITIAL_CAPACITY: usize = 8 * 1024;

/// Feeds `stream` into a buffer in `chunks`, calling `step(buf, at_eof, fed)` after each chunk
/// until it asks for more, and once the stream is all fed, with `at_eof` set, until it asks for
/// more or stops. `fed` is the number of stream bytes put into the buffer so far. Returns the
/// buffer's final length. Appending is amortized: the whole run costs time linear in the
/// stream, whatever the cuts, besides what the decoder does.
pub(crate) fn feed(
    stream: &[u8],
    chunks: &[usize],
    mut step: impl FnMut(&mut BytesMut, bool, usize) -> Step,
) -> usize {
    let mut buf = BytesMut::with_capacity(INITIAL_CAPACITY.min(stream.len()));
    let mut fed = 0;
    for &n in chunks {
        buf.extend_from_slice(&stream[fed..fed + n]);
        fed += n;
        loop {
            match step(&mut buf, false, fed) {
                Step::Again => {}
                Step::More => break,
                Step::Stop => return buf.len(),
            }
        }
    }
    while step(&mut buf, true, fed) == Step::Again {}
    buf.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_error_is_the_error_it_keeps() {
        let error = RunError::new(7u16);
        assert_eq!(error.downcast_ref::<u16>(), Some(&7));
        assert_eq!(error.downcast_ref::<u32>(), None);
        assert_eq!(error.shown(), "7");
        assert_eq!(format!("{error:?}"), "7");
        assert_eq!(error.type_name, "u16");
    }

    #[test]
    fn shown_messages_equal_what_shows_the_same() {
        let shown = Shown("[1, 2]".to_owned());
        assert_eq!(shown, vec![1u8, 2]);
        assert_ne!(shown, vec![1u8]);
        assert_eq!(format!("{shown:?}"), "[1, 2]");
    }
}
