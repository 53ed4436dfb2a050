//! Prove any stream decoder immune to sticky packets in one call.
//!
//! A decoder for a stream protocol (length-prefixed frames, lines, RESP, MQTT) gets its bytes
//! in whatever pieces the network delivers: several messages glued in one read, one message cut
//! across many, a header split from its body or split in two. A decoder tested on whole
//! messages only can be wrong for every one of those cuts. [`Checker`] encodes lists of
//! messages drawn from your strategy, cuts the stream everywhere (randomly, after every byte,
//! not at all), decodes it with a fresh decoder each time, and checks the oracles (see
//! [`oracle`](crate::testkit::oracle)). When it fails, it shrinks the case to the fewest,
//! smallest messages and the fewest cuts that still fail, and [`CheckFailure`] shows them.
//!
//! ```
//! use bytes::{BufMut, BytesMut};
//! use lenframe::testkit::Checker;
//!
//! /// One message per line.
//! fn decode_line(buf: &mut BytesMut) -> Result<Option<String>, std::string::FromUtf8Error> {
//!     let Some(end) = buf.iter().position(|&b| b == b'\n') else { return Ok(None) };
//!     let line = buf.split_to(end + 1);
//!     String::from_utf8(line[..end].to_vec()).map(Some)
//! }
//!
//! let encode = |line: &String, dst: &mut BytesMut| {
//!     dst.put_slice(line.as_bytes());
//!     dst.put_u8(b'\n');
//! };
//! Checker::new(|| decode_line, encode, "[a-z ]{0,8}").assert();
//! ```
//!
//! # What a case is, and what is checked
//!
//! A case is a list of messages and a [`Plan`]: how the stream is cut, read errors for readers,
//! junk for parsers, the encoder's seed. The messages are encoded back to back into one stream
//! and decoded by fresh decoders, each run ending with the end of the stream:
//!
//! 1. in one piece ([`Violation::OnePiece`]: the decoder and the encoder disagree, whatever
//!    the cuts);
//! 2. in the plan's chunks ([`Violation::Chunked`]: a cutting bug);
//! 3. parsers: in chunks, with junk in front of the input ([`Violation::Junk`]);
//! 4. cut short inside a message, at many points ([`Violation::Truncated`]).
//!
//! Each run must return exactly the encoded messages (compared by `PartialEq`, or by
//! [`Checker::compare`]), in order, as soon as each has arrived, then end cleanly with nothing
//! left over; see the [oracles](crate::testkit::oracle) for each rule, including recovery after
//! expected errors ([`Checker::errors_on`]) and memory ([`Checker::capacity_bound`]).
//!
//! Progress is bounded: a run stops one message past those encoded, so a decoder that returns
//! a message without consuming its bytes is reported instead of hanging the test. (A single call
//! that never returns cannot be caught.)
//!
//! # Two engines, one check
//!
//! [`Checker::run`] draws cases with proptest, from a fixed seed (so a decoder caught once is
//! caught every time), and shrinks a failure. [`Checker::fuzz`] takes the case from a fuzzer's
//! bytes instead (see [`case`](crate::testkit::case) for what each byte means), and
//! [`Checker::replay`] runs a folder of such inputs under `cargo test`. A proptest failure can
//! be written as such an input ([`Checker::record_failures`]).
//!
//! The property engine runs proptest's default number of cases (256; `PROPTEST_CASES`
//! overrides, as does [`Checker::cases`]), shrinks a failure for up to [`SHRINK_STEPS`] cases
//! (`PROPTEST_MAX_SHRINK_ITERS` overrides), then removes every cut the failure does not need and
//! moves the rest as early as they still fail. It persists no regression files.

use std::cell::RefCell;
use std::fmt;
use std::path::PathBuf;

use proptest::collection::vec;
use proptest::strategy::{BoxedStrategy, Strategy};

use crate::testkit::case::Plan;
use crate::testkit::encode::Encode;
use crate::testkit::shape::{IntoSubject, Subject};

mod compare;
mod engine;
mod examine;
mod fuzz;
pub(crate) mod report;
mod stream;

pub use compare::{Compare, CompareWith, Debugged, Equal, Render, RenderWith};
use examine::{Examined, Prefixes};
pub use report::{CheckFailure, Decoded, Ending, Fault, Violation};
pub use stream::{StreamCheck, StreamFailure};

/// The seed the checker uses unless told otherwise: the cases it checks are the same on every
/// run.
pub const DEFAULT_SEED: u64 = 0x6c65_6e66_7261_6d65; // "lenframe"

/// Most cases tried while shrinking a failure, unless `PROPTEST_MAX_SHRINK_ITERS` says
/// otherwise: enough to take a case of [`MAX_MESSAGES`] messages cut after every byte down to a
/// few bytes and cuts.
pub const SHRINK_STEPS: u32 = 16 * 1024;

/// Most messages in one case of [`Checker::new`].
pub const MAX_MESSAGES: usize = 8;

/// How a stream that ends inside a message must end (see the truncation oracle,
/// [`oracle`](crate::testkit::oracle)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Truncation {
    /// Not checked.
    Off,
    /// With an error, or with the cut message's bytes left in the buffer, where the caller (or
    /// `FramedRead`, "bytes remaining on stream") sees them: never as a clean end with the
    /// bytes gone, never with the cut message returned.
    #[default]
    Reported,
    /// With an error.
    MustError,
    /// As [`Truncation::Reported`], and the cut message may also come out as a last message
    /// (whatever it is): for protocols whose last message may end with the stream, as
    /// tokio-util's `LinesCodec` returns a last line without its newline.
    AllowRest,
}

/// Where the messages of a case come from.
pub(crate) enum Messages<M> {
    /// A proptest strategy of message lists (under a fuzzer: its `PassThrough` source).
    Strategy(BoxedStrategy<Vec<M>>),
    /// `Arbitrary` messages: the strategy draws bytes for the property engine; a fuzzer's bytes
    /// go to `from_bytes` directly.
    #[cfg(feature = "arbitrary")]
    Arbitrary {
        strategy: BoxedStrategy<Vec<M>>,
        from_bytes: fn(&[u8]) -> Vec<M>,
    },
}

impl<M> Messages<M> {
    fn strategy(&self) -> &BoxedStrategy<Vec<M>> {
        match self {
            Messages::Strategy(strategy) => strategy,
            #[cfg(feature = "arbitrary")]
            Messages::Arbitrary { strategy, .. } => strategy,
        }
    }
}

/// Which messages the check expects an error for: [`Checker::errors_on`].
type ErrorsOn<M> = Box<dyn Fn(&M) -> bool>;

/// The options that are not types.
struct Options<M> {
    cases: Option<u32>,
    seed: Option<u64>,
    shrink_steps: Option<u32>,
    truncation: Truncation,
    errors_on: Option<ErrorsOn<M>>,
    capacity_bound: Option<Box<dyn Fn(usize) -> usize>>,
    lookahead: bool,
    interrupts: bool,
    record: Option<PathBuf>,
}

/// Checks a decoder against an encoder under every generated cut of the stream. See the
/// [module documentation](self) for what is checked.
///
/// Built from a decoder of any shape ([`shape`](crate::testkit::shape): a factory of fresh
/// [`Decode`](crate::testkit::Decode)rs, `Fn() -> D`, or one of the adapters), an encoder
/// ([`encode`](crate::testkit::encode): any `FnMut(&Message, &mut BytesMut)`, or an adapter),
/// and a strategy of messages ([`Checker::new`]) or of message lists ([`Checker::with_lists`]).
/// What is encoded and what is decoded may be different types: they are compared by
/// `PartialEq` between them, or by [`Checker::compare`].
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use lenframe::{testkit::Checker, Codec};
/// use proptest::prelude::*;
///
/// let encode = |frame: &Bytes, dst: &mut BytesMut| Codec::new().encode(frame, dst).unwrap();
/// let frame = proptest::collection::vec(any::<u8>(), 0..100).prop_map(Bytes::from);
/// assert!(Checker::new(Codec::new, encode, frame).run().is_ok());
/// ```
pub struct Checker<M, S, E, C = Equal, R = Debugged> {
    subject: S,
    encoder: RefCell<E>,
    messages: Messages<M>,
    compare: C,
    render: R,
    options: Options<M>,
}

impl<M, S, E, C, R> fmt::Debug for Checker<M, S, E, C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checker")
            .field("cases", &self.options.cases)
            .field("seed", &self.options.seed)
            .field("truncation", &self.options.truncation)
            .finish_non_exhaustive()
    }
}

impl<M, S, E> Checker<M, S, E>
where
    M: fmt::Debug + 'static,
    S: Subject,
    E: Encode<M>,
{
    /// Checks lists of 0 to [`MAX_MESSAGES`] messages drawn from `message` (a `'static`
    /// strategy: the checker keeps it).
    pub fn new<I, MS>(subject: I, encode: E, message: MS) -> Self
    where
        I: IntoSubject<Subject = S>,
        MS: Strategy<Value = M> + 'static,
    {
        Checker::with_lists(subject, encode, vec(message, 0..=MAX_MESSAGES))
    }

    /// Checks the message lists `lists` draws: for protocols where not every list is valid (a
    /// handshake first, say), or to choose how many messages a case holds.
    ///
    /// ```
    /// use bytes::{Bytes, BytesMut};
    /// use lenframe::{testkit::Checker, Codec};
    /// use proptest::prelude::*;
    ///
    /// let encode = |frame: &Bytes, dst: &mut BytesMut| Codec::new().encode(frame, dst).unwrap();
    /// // Always one empty frame first, then up to 20 others.
    /// let lists = proptest::collection::vec(any::<Vec<u8>>(), 0..20).prop_map(|rest| {
    ///     std::iter::once(Bytes::new()).chain(rest.into_iter().map(Bytes::from)).collect()
    /// });
    /// Checker::with_lists(Codec::new, encode, lists).assert();
    /// ```
    pub fn with_lists<I, LS>(subject: I, encode: E, lists: LS) -> Self
    where
        I: IntoSubject<Subject = S>,
        LS: Strategy<Value = Vec<M>> + 'static,
    {
        Checker::from_source(
            subject.into_subject(),
            encode,
            Messages::Strategy(lists.boxed()),
        )
    }

    fn from_source(subject: S, encode: E, messages: Messages<M>) -> Self {
        Checker {
            subject,
            encoder: RefCell::new(encode),
            messages,
            compare: Equal,
            render: Debugged,
            options: Options {
                cases: None,
                seed: None,
                shrink_steps: None,
                truncation: Truncation::default(),
                errors_on: None,
                capacity_bound: None,
                lookahead: false,
                interrupts: true,
                record: None,
            },
        }
    }
}

#[cfg(feature = "arbitrary")]
impl<M, S, E> Checker<M, S, E>
where
    M: fmt::Debug + for<'a> arbitrary::Arbitrary<'a> + 'static,
    S: Subject,
    E: Encode<M>,
{
    /// Checks lists of `arbitrary::Arbitrary` messages (features `testkit` and `arbitrary`):
    /// up to [`MAX_MESSAGES`] taken from random bytes under proptest, up to 64 from the
    /// message bytes of a fuzz input (through `arbitrary::Unstructured`).
    ///
    /// ```
    /// use bytes::{BufMut, BytesMut};
    /// use lenframe::testkit::Checker;
    ///
    /// #[derive(Clone, Debug, PartialEq, arbitrary::Arbitrary)]
    /// enum Command { Ping, Set(u8, u16) }
    ///
    /// let encode = |c: &Command, dst: &mut BytesMut| match c {
    ///     Command::Ping => dst.put_u8(0),
    ///     Command::Set(k, v) => { dst.put_u8(1); dst.put_u8(*k); dst.put_u16(*v) }
    /// };
    /// let decode = |buf: &mut BytesMut| -> Result<Option<Command>, u8> {
    ///     use bytes::Buf;
    ///     match buf.first() {
    ///         None => Ok(None),
    ///         Some(0) => { buf.advance(1); Ok(Some(Command::Ping)) }
    ///         Some(1) if buf.len() < 4 => Ok(None),
    ///         Some(1) => { buf.advance(1); Ok(Some(Command::Set(buf.get_u8(), buf.get_u16()))) }
    ///         Some(&other) => Err(other),
    ///     }
    /// };
    /// Checker::arbitrary(move || decode, encode).assert();
    /// ```
    pub fn arbitrary<I>(subject: I, encode: E) -> Self
    where
        I: IntoSubject<Subject = S>,
    {
        fn take<M: for<'a> arbitrary::Arbitrary<'a>>(bytes: &[u8], most: usize) -> Vec<M> {
            let mut u = arbitrary::Unstructured::new(bytes);
            let mut messages = Vec::new();
            while messages.len() < most && !u.is_empty() {
                match M::arbitrary(&mut u) {
                    Ok(message) => messages.push(message),
                    Err(_) => break,
                }
            }
            messages
        }
        let strategy = vec(proptest::num::u8::ANY, 0..=256)
            .prop_map(|bytes| take::<M>(&bytes, MAX_MESSAGES))
            .boxed();
        Checker::from_source(
            subject.into_subject(),
            encode,
            Messages::Arbitrary {
                strategy,
                from_bytes: |bytes| take::<M>(bytes, 64),
            },
        )
    }
}

impl<M, S, E, C, R> Checker<M, S, E, C, R> {
    /// Checks this many cases instead of proptest's default (256, or `PROPTEST_CASES`).
    #[must_use]
    pub fn cases(mut self, cases: u32) -> Self {
        self.options.cases = Some(cases);
        self
    }

    /// Draws cases from this seed instead of [`DEFAULT_SEED`] (or `PROPTEST_RNG_SEED`): other
    /// cases, the same on every run with this seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.options.seed = Some(seed);
        self
    }

    /// Shrinks a failure for at most this many cases (default [`SHRINK_STEPS`], or
    /// `PROPTEST_MAX_SHRINK_ITERS`).
    #[must_use]
    pub fn shrink_steps(mut self, steps: u32) -> Self {
        self.options.shrink_steps = Some(steps);
        self
    }

    /// How a stream cut short inside a message must end (default [`Truncation::Reported`]).
    #[must_use]
    pub fn truncation(mut self, truncation: Truncation) -> Self {
        self.options.truncation = truncation;
        self
    }

    /// The messages for which `expects_error` is true are ones the decoder must reject: it
    /// must return one error there, and go on with the next message (a line over the limit
    /// for tokio-util's `LinesCodec::new_with_max_length`; an oversize frame under lenframe's
    /// `OversizePolicy::Skip`). Errors no longer end a run.
    ///
    /// With feature `tokio` too:
    ///
    #[cfg_attr(feature = "tokio", doc = "```")]
    #[cfg_attr(not(feature = "tokio"), doc = "```ignore")]
    /// use bytes::{BufMut, BytesMut};
    /// use lenframe::testkit::{Checker, TokioDecoder, Truncation};
    /// use tokio_util::codec::LinesCodec;
    ///
    /// let encode = |line: &String, dst: &mut BytesMut| {
    ///     dst.put_slice(line.as_bytes());
    ///     dst.put_u8(b'\n');
    /// };
    /// Checker::new(|| TokioDecoder(LinesCodec::new_with_max_length(4)), encode, "[a-z]{0,8}")
    ///     .errors_on(|line: &String| line.len() > 4)
    ///     .truncation(Truncation::AllowRest) // a last line may end with the stream
    ///     .assert();
    /// ```
    #[must_use]
    pub fn errors_on(mut self, expects_error: impl Fn(&M) -> bool + 'static) -> Self {
        self.options.errors_on = Some(Box::new(expects_error));
        self
    }

    /// Checks memory: after each call, the decoder's buffer may hold at most `bound(buffered)`
    /// bytes of capacity, `buffered` being the bytes it held when the call began (see the
    /// memory oracle, [`oracle`](crate::testkit::oracle)). Off by default.
    #[must_use]
    pub fn capacity_bound(mut self, bound: impl Fn(usize) -> usize + 'static) -> Self {
        self.options.capacity_bound = Some(Box::new(bound));
        self
    }

    /// Lets the decoder wait for bytes past a message's end before returning it (protocols
    /// where a message ends only where the next begins): turns the stall check off.
    #[must_use]
    pub fn allow_lookahead(mut self) -> Self {
        self.options.lookahead = true;
        self
    }

    /// Readers: no `Interrupted` errors (for decoders documented not to retry them).
    #[must_use]
    pub fn without_interrupts(mut self) -> Self {
        self.options.interrupts = false;
        self
    }

    /// Writes the input of each property failure (before shrinking, in the fuzz format:
    /// replayed by [`Checker::replay`] and by the fuzzer) into `dir`, named
    /// `proptest-<hash>`; the report says where. The environment variable
    /// `LENFRAME_RECORD=dir` does the same for every checker, with no code change.
    #[must_use]
    pub fn record_failures(mut self, dir: impl Into<PathBuf>) -> Self {
        self.options.record = Some(dir.into());
        self
    }

    /// Compares an encoded message with a decoded one by `same`, for decoded types without
    /// `PartialEq` (or with another notion of equal).
    ///
    /// ```
    /// use bytes::{Buf, BufMut, BytesMut};
    /// use lenframe::testkit::Checker;
    ///
    /// /// A decoded message with no `Clone`, `Debug` or `PartialEq`.
    /// struct Row { columns: Vec<String> }
    ///
    /// let encode = |row: &Vec<String>, dst: &mut BytesMut| {
    ///     dst.put_slice(row.join(",").as_bytes());
    ///     dst.put_u8(b'\n');
    /// };
    /// let decode = |buf: &mut BytesMut| -> Result<Option<Row>, std::str::Utf8Error> {
    ///     let Some(end) = buf.iter().position(|&b| b == b'\n') else { return Ok(None) };
    ///     let line = buf.split_to(end + 1);
    ///     let text = std::str::from_utf8(&line[..end])?;
    ///     Ok(Some(Row { columns: text.split(',').map(String::from).collect() }))
    /// };
    /// let row = proptest::collection::vec("[a-z]{1,3}", 1..4);
    /// Checker::new(move || decode, encode, row)
    ///     .compare(|expected: &Vec<String>, got: &Row| &got.columns == expected)
    ///     .render(|got: &Row| got.columns.join(","))
    ///     .assert();
    /// ```
    #[must_use]
    pub fn compare<F>(self, same: F) -> Checker<M, S, E, CompareWith<F>, R> {
        Checker {
            subject: self.subject,
            encoder: self.encoder,
            messages: self.messages,
            compare: CompareWith(same),
            render: self.render,
            options: self.options,
        }
    }

    /// Shows a decoded message in a report by `show`, for decoded types without `Debug`.
    #[must_use]
    pub fn render<F>(self, show: F) -> Checker<M, S, E, C, RenderWith<F>> {
        Checker {
            subject: self.subject,
            encoder: self.encoder,
            messages: self.messages,
            compare: self.compare,
            render: RenderWith(show),
            options: self.options,
        }
    }
}

impl<M, S, E, C, R> Checker<M, S, E, C, R>
where
    M: fmt::Debug,
    S: Subject,
    E: Encode<M>,
    C: Compare<M, S::Message>,
    R: Render<S::Message>,
{
    /// Checks one case: `messages` encoded back to back, cut at `cuts` (positions in the stream;
    /// those outside it are ignored). To pin a failure found once as a named test.
    ///
    /// ```
    /// use bytes::{Bytes, BytesMut};
    /// use lenframe::{testkit::Checker, Codec};
    ///
    /// let encode = |frame: &Bytes, dst: &mut BytesMut| Codec::new().encode(frame, dst).unwrap();
    /// let checker = Checker::new(Codec::new, encode, proptest::strategy::Just(Bytes::new()));
    /// // Two frames, "hi" and "", cut inside the first header and between the frames.
    /// let frames = [Bytes::from_static(b"hi"), Bytes::new()];
    /// assert!(checker.check_case(&frames, &[2, 6]).is_ok());
    /// ```
    ///
    /// # Errors
    ///
    /// A [`CheckFailure`] for this case (its `case` and `shrink_steps` are 0).
    ///
    /// # Panics
    ///
    /// When the encoder fails on one of `messages`.
    #[allow(clippy::result_large_err)] // A failure ends a test: its size costs nothing.
    pub fn check_case(&self, messages: &[M], cuts: &[usize]) -> Result<(), CheckFailure<M>>
    where
        M: Clone,
    {
        let plan = Plan {
            chunking: crate::testkit::Chunking::at(cuts),
            ..Plan::default()
        };
        self.check_plan(messages, &plan)
    }

    /// Checks one case: `messages` and a [`Plan`] (its truncation point, if any, is checked
    /// with the many the property engine visits). A failure's own messages and plan are its
    /// case again: `checker.check_plan(&failure.messages, &failure.plan)` fails the same way,
    /// the way to pin a failure found once as a named test.
    ///
    /// # Errors
    ///
    /// A [`CheckFailure`] for this case.
    ///
    /// # Panics
    ///
    /// When the encoder fails on one of `messages`.
    #[allow(clippy::result_large_err)] // A failure ends a test: its size costs nothing.
    pub fn check_plan(&self, messages: &[M], plan: &Plan) -> Result<(), CheckFailure<M>>
    where
        M: Clone,
    {
        let examined = self
            .examine(messages, plan, Prefixes::Many)
            .unwrap_or_else(|e| panic!("the encoder failed on a message of the case: {e}"));
        match examined.violation.is_some() {
            false => Ok(()),
            true => Err(self.failure(messages.to_vec(), plan, examined, 0, 0, None)),
        }
    }

    /// Runs the check: `Ok` when every case passed, else the smallest failing case found.
    ///
    /// ```
    /// use bytes::{Buf, BufMut, BytesMut};
    /// use lenframe::testkit::{Checker, Fault, Violation};
    ///
    /// /// A decoder that assumes each read holds one whole message.
    /// fn whole_reads(buf: &mut BytesMut) -> Result<Option<Vec<u8>>, ()> {
    ///     if buf.len() < 2 {
    ///         return Ok(None);
    ///     }
    ///     let len = usize::from(buf.get_u16());
    ///     Ok(Some(buf.split_to(len.min(buf.len())).to_vec()))
    /// }
    /// let encode = |msg: &Vec<u8>, dst: &mut BytesMut| {
    ///     dst.put_u16(u16::try_from(msg.len()).unwrap());
    ///     dst.put_slice(msg);
    /// };
    /// let message = proptest::collection::vec(0u8..=255, 0..10);
    /// let failure = Checker::new(|| whole_reads, encode, message).run().unwrap_err();
    /// let truncated = Fault::TruncatedMessageReturned { index: 0 };
    /// assert_eq!(failure.violation, Violation::Truncated { at: 2, fault: truncated });
    /// assert_eq!(failure.messages, [vec![0]]); // one message of one byte:
    /// // the stream cut after its header gave an empty message
    /// assert_eq!(failure.failing.unwrap().messages, ["[]"]);
    /// ```
    ///
    /// # Errors
    ///
    /// A [`CheckFailure`] with the smallest failing case found.
    ///
    /// # Panics
    ///
    /// When the message strategy rejects so many values (with `prop_filter`) that proptest gives
    /// up, when the encoder fails on most messages, and when it panics: mistakes in the test,
    /// not in the decoder.
    #[allow(clippy::result_large_err)] // A failure ends a test: its size costs nothing.
    pub fn run(&self) -> Result<(), CheckFailure<M>>
    where
        M: Clone,
    {
        engine::run(self)
    }

    /// Runs the check and panics with the failure's report if it fails.
    ///
    /// # Panics
    ///
    /// When [`Checker::run`] returns a failure (or panics).
    #[track_caller]
    pub fn assert(&self)
    where
        M: Clone,
    {
        if let Err(failure) = self.run() {
            panic!("{failure}");
        }
    }
}
