//! Prove any stream decoder immune to sticky packets in one call.
//!
//! A decoder for a stream protocol (length-prefixed frames, lines, RESP, MQTT) gets its bytes
//! in whatever pieces the network delivers: several messages glued in one read, one message cut
//! across many, a header split from its body or split in two. A decoder tested on whole
//! messages only can be wrong for every one of those cuts. [`Checker`] encodes lists of
//! messages drawn from your strategy, cuts the stream everywhere (randomly, after every byte,
//! not at all), decodes it with a fresh decoder each time, and checks that decoding returns
//! exactly the messages encoded, in order, leaves nothing behind, and agrees with decoding the
//! stream in one piece. When it fails, proptest's shrinking finds the smallest message list and
//! the fewest cuts that break the decoder, and [`CheckFailure`] shows them.
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
//! The decoder is anything that implements [`Decode`]: a `FnMut(&mut BytesMut) ->
//! Result<Option<T>, E>` (as above, made fresh by the factory for every run), a type of your
//! own, [`Codec`], or (feature `tokio`) any `tokio_util::codec::Decoder` wrapped
//! in `TokioDecoder`.
//!
//! # What is checked
//!
//! For each case (a message list and a set of cuts), the messages are encoded back to back into
//! one stream, and the stream is decoded twice with fresh decoders: in one piece, and in the
//! chunks between the cuts. Each run calls `decode` after each chunk until it returns
//! `Ok(None)`, then, at the end of the stream, `decode_eof` until it returns `Ok(None)`. Each run
//! must return exactly the encoded messages (by `PartialEq`) and end with an empty buffer; an
//! error or a panic fails it. A failure of the one-piece run means the decoder and the encoder
//! disagree whatever the cuts ([`Violation::OnePiece`]); a failure of the chunked run alone is
//! a cutting bug ([`Violation::Chunked`]).
//!
//! Progress is bounded: a run stops as soon as the decoder has returned one message more than
//! were encoded. A decoder that returns a message without consuming its bytes, or returns
//! messages for ever at the end of the stream, is reported ([`Fault::TooManyMessages`]) instead
//! of hanging the test: a run makes at most `chunks + messages + 2` calls. (A single call that
//! never returns cannot be caught.)
//!
//! # Determinism
//!
//! The checker seeds its random generator with a fixed seed (or `PROPTEST_RNG_SEED`, or
//! [`Checker::seed`]), so it checks the same cases on every run: a decoder caught once is
//! caught every time. It runs proptest's default number of cases (256; `PROPTEST_CASES`
//! overrides, as does [`Checker::cases`]), shrinks a failure for up to [`SHRINK_STEPS`] cases
//! whatever the case count (`PROPTEST_MAX_SHRINK_ITERS` overrides), and persists no regression
//! files.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use bytes::{Bytes, BytesMut};
use proptest::collection::{vec, VecStrategy};
use proptest::strategy::{Just, Strategy};
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

use crate::testkit::feeder::{feed, Step};
use crate::testkit::strategy::{chunk_lengths, cuts};
use crate::{Codec, DecodeError};

mod report;

pub use report::{CheckFailure, Decoded, Ending, Fault, Violation};

/// The seed the checker uses unless told otherwise: the cases it checks are the same on every
/// run.
pub const DEFAULT_SEED: u64 = 0x6c65_6e66_7261_6d65; // "lenframe"

/// Most cases tried while shrinking a failure, unless `PROPTEST_MAX_SHRINK_ITERS` says
/// otherwise: enough to take a case of [`MAX_MESSAGES`] messages cut after every byte down to a
/// few bytes and cuts.
pub const SHRINK_STEPS: u32 = 16 * 1024;

/// Most messages in one case of [`Checker::new`].
pub const MAX_MESSAGES: usize = 8;

/// A stream decoder: takes messages off the front of a buffer the stream's bytes are appended
/// to.
///
/// Implemented for every `FnMut(&mut BytesMut) -> Result<Option<T>, E>`, for
/// [`Codec`], and (feature `tokio`) for any `tokio_util::codec::Decoder` through
/// `TokioDecoder`.
///
/// ```
/// use bytes::{Buf, BytesMut};
/// use lenframe::testkit::Decode;
///
/// /// One-byte length, then that many bytes.
/// #[derive(Default)]
/// struct Tiny;
///
/// impl Decode for Tiny {
///     type Message = Vec<u8>;
///     type Error = std::convert::Infallible;
///     fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<u8>>, Self::Error> {
///         match buf.first() {
///             Some(&len) if buf.len() > usize::from(len) => {
///                 buf.advance(1);
///                 Ok(Some(buf.split_to(usize::from(len)).to_vec()))
///             }
///             _ => Ok(None),
///         }
///     }
/// }
///
/// let encode = |msg: &Vec<u8>, dst: &mut BytesMut| {
///     dst.extend_from_slice(&[u8::try_from(msg.len()).unwrap()]);
///     dst.extend_from_slice(msg);
/// };
/// let message = proptest::collection::vec(0u8..=255, 0..20);
/// lenframe::testkit::Checker::new(Tiny::default, encode, message).assert();
/// ```
pub trait Decode {
    /// What one call returns.
    type Message;
    /// What a failed call returns; shown with `Debug` in a failure report.
    type Error: fmt::Debug;

    /// The next message, `Ok(None)` when the buffer holds no whole message yet.
    ///
    /// # Errors
    ///
    /// Whatever the decoder reports; the checker counts any error as a failure.
    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Self::Message>, Self::Error>;

    /// The next message once the stream has ended (no more bytes will be appended). By default,
    /// [`Decode::decode`].
    ///
    /// # Errors
    ///
    /// As [`Decode::decode`]; a decoder may also report a stream that ended inside a message.
    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Self::Message>, Self::Error> {
        self.decode(buf)
    }
}

impl<F, M, E> Decode for F
where
    F: FnMut(&mut BytesMut) -> Result<Option<M>, E>,
    E: fmt::Debug,
{
    type Message = M;
    type Error = E;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<M>, E> {
        self(buf)
    }
}

/// [`Codec::decode`] and [`Codec::decode_eof`].
impl Decode for Codec {
    type Message = Bytes;
    type Error = DecodeError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, DecodeError> {
        Codec::decode(self, buf)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, DecodeError> {
        Codec::decode_eof(self, buf)
    }
}

/// Any `tokio_util::codec::Decoder` as a [`Decode`] (feature `tokio`): `decode` and
/// `decode_eof` are the decoder's own.
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// use lenframe::testkit::{Checker, TokioDecoder};
/// use tokio_util::codec::LinesCodec;
///
/// let encode = |line: &String, dst: &mut BytesMut| {
///     dst.put_slice(line.as_bytes());
///     dst.put_u8(b'\n');
/// };
/// Checker::new(|| TokioDecoder(LinesCodec::new()), encode, "[a-z ]{0,8}").assert();
/// ```
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
#[derive(Clone, Debug, Default)]
pub struct TokioDecoder<D>(pub D);

#[cfg(feature = "tokio")]
impl<D> Decode for TokioDecoder<D>
where
    D: tokio_util::codec::Decoder,
    D::Error: fmt::Debug,
{
    type Message = D::Item;
    type Error = D::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<D::Item>, D::Error> {
        self.0.decode(buf)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<D::Item>, D::Error> {
        self.0.decode_eof(buf)
    }
}

/// Checks a decoder against an encoder under every generated cut of the stream. See the
/// [module documentation](self) for what is checked.
///
/// Built from a factory of fresh decoders (`Fn() -> D`), an encoder that appends one message
/// to a buffer (`Fn(&Message, &mut BytesMut)`, expected not to fail for any generated message),
/// and a strategy of messages ([`Checker::new`]) or of message lists
/// ([`Checker::with_lists`]).
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
pub struct Checker<N, E, S> {
    new_decoder: N,
    encode: E,
    lists: S,
    cases: Option<u32>,
    seed: Option<u64>,
}

impl<N, E, S> fmt::Debug for Checker<N, E, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checker")
            .field("cases", &self.cases)
            .field("seed", &self.seed)
            .finish_non_exhaustive()
    }
}

impl<N, D, E, MS> Checker<N, E, VecStrategy<MS>>
where
    N: Fn() -> D,
    D: Decode,
    E: Fn(&D::Message, &mut BytesMut),
    MS: Strategy<Value = D::Message>,
{
    /// Checks lists of 0 to [`MAX_MESSAGES`] messages drawn from `message`.
    pub fn new(new_decoder: N, encode: E, message: MS) -> Self {
        Checker::with_lists(new_decoder, encode, vec(message, 0..=MAX_MESSAGES))
    }
}

impl<N, D, E, S> Checker<N, E, S>
where
    N: Fn() -> D,
    D: Decode,
    E: Fn(&D::Message, &mut BytesMut),
    S: Strategy<Value = Vec<D::Message>>,
{
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
    pub fn with_lists(new_decoder: N, encode: E, lists: S) -> Self {
        Checker {
            new_decoder,
            encode,
            lists,
            cases: None,
            seed: None,
        }
    }
}

impl<N, E, S> Checker<N, E, S> {
    /// Checks this many cases instead of proptest's default (256, or `PROPTEST_CASES`).
    #[must_use]
    pub fn cases(mut self, cases: u32) -> Self {
        self.cases = Some(cases);
        self
    }

    /// Draws cases from this seed instead of [`DEFAULT_SEED`] (or `PROPTEST_RNG_SEED`): other
    /// cases, the same on every run with this seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
}

impl<N, D, E, S> Checker<N, E, S>
where
    N: Fn() -> D,
    D: Decode,
    D::Message: Clone + fmt::Debug + PartialEq,
    E: Fn(&D::Message, &mut BytesMut),
    S: Strategy<Value = Vec<D::Message>>,
{
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
    /// assert_eq!(failure.violation, Violation::Chunked(Fault::WrongMessages));
    /// assert_eq!(failure.messages, [vec![0]]); // one message of one byte,
    /// assert_eq!(failure.cuts, [2]); // its body cut from its header
    /// ```
    ///
    /// # Errors
    ///
    /// A [`CheckFailure`] with the smallest failing message list and cuts found.
    ///
    /// # Panics
    ///
    /// When the message strategy rejects so many values (with `prop_filter`) that proptest gives
    /// up, and when the encoder panics: both are mistakes in the test, not in the decoder.
    #[allow(clippy::result_large_err)] // A failure ends a test: its size costs nothing.
    pub fn run(&self) -> Result<(), CheckFailure<D::Message>> {
        // The defaults read PROPTEST_CASES, PROPTEST_RNG_SEED and the other variables.
        let defaults = Config::default();
        let env_seed = match defaults.rng_seed {
            RngSeed::Fixed(seed) => Some(seed),
            RngSeed::Random => None,
        };
        let config = Config {
            cases: self.cases.unwrap_or(defaults.cases),
            // proptest's default, 4 steps per case, makes the report depend on the case count;
            // a shrinking step decodes one small case twice.
            max_shrink_iters: match defaults.max_shrink_iters {
                u32::MAX => SHRINK_STEPS,
                set => set,
            },
            rng_seed: RngSeed::Fixed(self.seed.or(env_seed).unwrap_or(DEFAULT_SEED)),
            // No regression files: the cases are the same on every run anyway, and a library
            // call has no source file to put them next to.
            failure_persistence: None,
            // Forking needs a test name for the child process to find; this runs in-process.
            fork: false,
            ..defaults
        };
        let mut runner = TestRunner::new(config);

        let strategy = (&self.lists).prop_flat_map(|messages| {
            let len = self.encode_all(&messages).len();
            (Just(messages), cuts(len))
        });
        let calls = Cell::new(0usize);
        let first_failure = Cell::new(None);
        // The last failing case and its report: proptest returns that case after shrinking, so
        // the report need not be made again (outside proptest, where a panic of the decoder
        // would print).
        let last_failure = RefCell::new(None);
        let result = runner.run(&strategy, |(messages, cuts)| {
            calls.set(calls.get() + 1);
            let report = self.examine(&messages, &cuts);
            let Some(violation) = &report.violation else {
                return Ok(());
            };
            let reason = violation.to_string();
            if first_failure.get().is_none() {
                first_failure.set(Some(calls.get()));
            }
            *last_failure.borrow_mut() = Some((messages, cuts, report));
            Err(TestCaseError::fail(reason))
        });
        match result {
            Ok(()) => Ok(()),
            Err(TestError::Fail(reason, (messages, cuts))) => {
                let report = match last_failure.into_inner() {
                    Some((last, last_cuts, report)) if last == messages && last_cuts == cuts => {
                        report
                    }
                    _ => self.examine(&messages, &cuts),
                };
                let first = first_failure.get().unwrap_or(0);
                Err(CheckFailure {
                    violation: report.violation.unwrap_or(Violation::NotRepeatable {
                        reason: reason.message().to_owned(),
                    }),
                    messages,
                    wire: report.wire,
                    cuts: report.cuts,
                    one_piece: report.one_piece,
                    chunked: report.chunked,
                    case: first,
                    shrink_steps: calls.get().saturating_sub(first),
                })
            }
            Err(TestError::Abort(reason)) => panic!(
                "the checker gave up before finishing its cases: {reason} (does the message \
                 strategy reject most values?)"
            ),
        }
    }

    /// Runs the check and panics with the failure's report if it fails.
    ///
    /// # Panics
    ///
    /// When [`Checker::run`] returns a failure (or panics).
    #[track_caller]
    pub fn assert(&self) {
        if let Err(failure) = self.run() {
            panic!("{failure}");
        }
    }

    /// Checks one case: `messages` encoded back to back, cut at `cuts` (positions in the stream,
    /// as [`cuts`] makes them; those outside the stream are ignored). To
    /// pin a failure found once as a named test.
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
    #[allow(clippy::result_large_err)] // A failure ends a test: its size costs nothing.
    pub fn check_case(
        &self,
        messages: &[D::Message],
        cuts: &[usize],
    ) -> Result<(), CheckFailure<D::Message>> {
        let report = self.examine(messages, cuts);
        match report.violation {
            None => Ok(()),
            Some(violation) => Err(CheckFailure {
                violation,
                messages: messages.to_vec(),
                wire: report.wire,
                cuts: report.cuts,
                one_piece: report.one_piece,
                chunked: report.chunked,
                case: 0,
                shrink_steps: 0,
            }),
        }
    }

    fn encode_all(&self, messages: &[D::Message]) -> Vec<u8> {
        let mut wire = BytesMut::new();
        for message in messages {
            (self.encode)(message, &mut wire);
        }
        wire.to_vec()
    }

    /// Decodes one case in one piece and in chunks, and says what broke first.
    fn examine(&self, messages: &[D::Message], cuts: &[usize]) -> Report<D::Message> {
        let wire = self.encode_all(messages);
        let chunks = chunk_lengths(cuts, wire.len());
        // The cuts as reported: inside the stream, sorted, each once.
        let cuts: Vec<usize> = chunks
            .iter()
            .scan(0, |end, len| {
                *end += len;
                Some(*end)
            })
            .filter(|&end| end < wire.len())
            .collect();
        let one_piece = self.decode_run(&wire, &[], messages.len());
        let chunked = self.decode_run(&wire, &chunks, messages.len());
        let violation = match (one_piece.fault(messages), chunked.fault(messages)) {
            (Some(fault), _) => Some(Violation::OnePiece(fault)),
            (None, Some(fault)) => Some(Violation::Chunked(fault)),
            (None, None) => None,
        };
        Report {
            wire,
            cuts,
            one_piece,
            chunked,
            violation,
        }
    }

    /// Feeds `wire` to a fresh decoder in chunks of the given lengths (none: one piece), then
    /// ends the stream.
    fn decode_run(&self, wire: &[u8], chunks: &[usize], encoded: usize) -> Decoded<D::Message> {
        let mut decoder = (self.new_decoder)();
        let mut messages = Vec::new();
        let mut ending = Ending::Clean;
        let leftover = feed(wire, chunks, |buf, at_eof, _| {
            // A panicking decoder fails the case with its message instead of unwinding through
            // proptest; the decoder is dropped after this run, so no broken state is reused.
            let result = panic::catch_unwind(AssertUnwindSafe(|| {
                if at_eof {
                    decoder.decode_eof(buf)
                } else {
                    decoder.decode(buf)
                }
            }));
            match result {
                Ok(Ok(Some(message))) => {
                    messages.push(message);
                    // The bound that keeps a run finite: every `Again` adds a message.
                    if messages.len() > encoded {
                        ending = Ending::Overran;
                        return Step::Stop;
                    }
                    Step::Again
                }
                Ok(Ok(None)) => Step::More,
                Ok(Err(e)) => {
                    ending = Ending::Error(format!("{e:?}"));
                    Step::Stop
                }
                Err(payload) => {
                    ending = Ending::Panicked(panic_message(payload.as_ref()));
                    Step::Stop
                }
            }
        });
        Decoded {
            messages,
            ending,
            leftover,
        }
    }
}

struct Report<M> {
    wire: Vec<u8>,
    cuts: Vec<usize>,
    one_piece: Decoded<M>,
    chunked: Decoded<M>,
    violation: Option<Violation>,
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".to_owned())
}
