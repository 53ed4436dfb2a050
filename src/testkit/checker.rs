//! The checker: a value you build from a decoder, an encoder and the messages to encode, then
//! run. See the [module documentation](crate::testkit) for what it checks.

use std::cell::RefCell;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use crate::testkit::client::{Client, ClientCheck};
use crate::testkit::conversation::{ConversationCheck, Server};
use crate::testkit::decoder::{Decoder, RunError};
use crate::testkit::encoder::Encoder;
use crate::testkit::engine::{self, AnyStream, Bound, Check};
use crate::testkit::plan::Plan;
use crate::testkit::report::{Failure, Kind};
use crate::testkit::watch::DEFAULT_BUDGET;
use crate::testkit::writer::{Writer, WriterCheck};

/// Most messages in one case drawn by [`Checker::new`] (and for `Arbitrary` messages under
/// proptest).
pub(crate) const MAX_MESSAGES: usize = 8;

/// Most messages taken from the bytes of one fuzz input, for `Arbitrary` messages.
#[cfg(feature = "arbitrary")]
const MAX_FUZZ_MESSAGES: usize = 64;

/// How a stream that ends inside a message must end (the truncation oracle).
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
    /// (whatever it is): for protocols where any bytes at the end are a last message, as
    /// tokio-util's `LinesCodec` returns a last line without its newline.
    AllowRest,
    /// As [`Truncation::Reported`], except where a message ends with these bytes and the
    /// stream is cut just before them (the newline after the last JSON value or CSV row): that
    /// is a whole stream, whose last message may come out whole. A cut anywhere else is still a
    /// cut message: a JSON number cut in two must not come out as a shorter number.
    ///
    /// ```
    /// use bytes::{Buf, BytesMut};
    /// use lenframe::testkit::{Checker, Truncation};
    ///
    /// // Records in braces, each followed by a newline that the last one may lack: a record
    /// // comes out as soon as its closing brace is in, and newlines are skipped.
    /// let records = |buf: &mut BytesMut| -> Result<Option<String>, ()> {
    ///     while buf.first() == Some(&b'\n') {
    ///         buf.advance(1);
    ///     }
    ///     let Some(end) = buf.iter().position(|&b| b == b'}') else { return Ok(None) };
    ///     Ok(Some(String::from_utf8_lossy(&buf.split_to(end + 1)[1..end]).into_owned()))
    /// };
    /// let encode = |record: &String, dst: &mut BytesMut| {
    ///     dst.extend_from_slice(format!("{{{record}}}\n").as_bytes());
    /// };
    /// // By the default rule, a stream that ends before the last newline cut that record short.
    /// assert!(Checker::new(move || records, encode, "[a-z]{0,4}").run().is_err());
    /// Checker::new(move || records, encode, "[a-z]{0,4}")
    ///     .truncation(Truncation::TrailerOptional(b"\n"))
    ///     .assert();
    /// ```
    TrailerOptional(&'static [u8]),
}

/// Which messages the check expects an error for: [`Checker::errors_on`].
type ErrorsOn<M> = Box<dyn Fn(&M) -> bool>;

/// The messages a fuzz input's message bytes mean.
type FromBytes<M> = fn(&[u8]) -> Vec<M>;

/// Where the messages of a case come from.
pub(crate) struct Messages<M> {
    /// Lists of messages for the property engine (under a fuzzer: its `PassThrough` source,
    /// unless `from_bytes` says otherwise).
    pub(crate) strategy: BoxedStrategy<Vec<M>>,
    /// The messages a fuzz input's message bytes mean, when not drawn by `strategy`.
    pub(crate) from_bytes: Option<FromBytes<M>>,
    /// Any list of messages is a case (the strategy draws each message alone): a failure may
    /// be minimized by dropping messages. Not for [`Checker::with_lists`], whose lists keep
    /// an order of their own (a handshake first), which only its strategy's shrinking keeps.
    pub(crate) any_list: bool,
}

/// The options that are not types.
pub(crate) struct Options<M> {
    pub(crate) cases: Option<u32>,
    pub(crate) seed: Option<u64>,
    pub(crate) shrink_steps: Option<u32>,
    pub(crate) truncation: Truncation,
    pub(crate) errors_on: Option<ErrorsOn<M>>,
    pub(crate) capacity_bound: Option<Box<dyn Fn(usize) -> usize>>,
    pub(crate) lookahead: bool,
    pub(crate) interrupts: bool,
    pub(crate) record: Option<PathBuf>,
    pub(crate) budget: Option<Duration>,
    pub(crate) same_error: fn(&RunError, &RunError) -> bool,
    /// Which check: a decoder's, the any-stream check (its messages are the stream's bytes),
    /// a writer's.
    pub(crate) kind: Kind,
}

/// Checks a decoder against an encoder under every generated cut of the stream: see the
/// [module documentation](crate::testkit) for what is checked.
///
/// Built from a [`Decoder`] (any shape: a factory of `Decode`rs as it is, `parser(..)`,
/// `reader(..)`, ...), an [`Encoder`] (any `FnMut(&M, &mut BytesMut)` as it is, or a
/// constructor) and a strategy of messages. The decoder's messages may be of another type than
/// `M`: they are compared with `PartialEq` (`decoded == encoded`), and shown with `Debug`; see
/// [`Decoder::map`] and [`Decoder::compare_debug`] for types without either. `Checker<M>` is a
/// plain type, so a helper can return one.
///
/// Five verbs run it: [`run`](Checker::run) and [`assert`](Checker::assert) (the property
/// engine), [`check`](Checker::check) (one case), [`fuzz`](Checker::fuzz) (one fuzz input) and
/// [`replay`](Checker::replay) (a folder of them).
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use lenframe::{testkit::Checker, Codec};
/// use proptest::prelude::*;
///
/// fn checker() -> Checker<Bytes> {
///     let encode = |frame: &Bytes, dst: &mut BytesMut| Codec::new().encode(frame, dst).unwrap();
///     let frame = proptest::collection::vec(any::<u8>(), 0..100).prop_map(Bytes::from);
///     Checker::new(Codec::new, encode, frame)
/// }
/// assert!(checker().run().is_ok());
/// ```
pub struct Checker<M> {
    pub(crate) check: Box<dyn Check<M>>,
    pub(crate) encoder: RefCell<Encoder<M>>,
    pub(crate) messages: Messages<M>,
    pub(crate) options: Options<M>,
}

impl<M> fmt::Debug for Checker<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checker")
            .field("cases", &self.options.cases)
            .field("seed", &self.options.seed)
            .field("truncation", &self.options.truncation)
            .finish_non_exhaustive()
    }
}

/// Two errors are the same when they show the same (`Debug`).
fn shown_alike(a: &RunError, b: &RunError) -> bool {
    a.shown() == b.shown()
}

impl<M: fmt::Debug + 'static> Checker<M> {
    /// Checks lists of 0 to 8 messages drawn from `message`.
    pub fn new<T>(
        decoder: impl Into<Decoder<T>>,
        encoder: impl Into<Encoder<M>>,
        message: impl Strategy<Value = M> + 'static,
    ) -> Checker<M>
    where
        T: PartialEq<M> + fmt::Debug + 'static,
    {
        let mut checker = Checker::with_lists(decoder, encoder, vec(message, 0..=MAX_MESSAGES));
        checker.messages.any_list = true;
        checker
    }

    /// Checks the message lists `lists` draws: for protocols where not every list is valid (a
    /// handshake first, say), or to choose how many messages a case holds. A failure shrinks
    /// as the strategy shrinks its lists: the checker drops no message by itself.
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
    pub fn with_lists<T>(
        decoder: impl Into<Decoder<T>>,
        encoder: impl Into<Encoder<M>>,
        lists: impl Strategy<Value = Vec<M>> + 'static,
    ) -> Checker<M>
    where
        T: PartialEq<M> + fmt::Debug + 'static,
    {
        Checker::from_parts(
            Box::new(Bound::new(decoder.into())),
            encoder.into(),
            Messages {
                strategy: lists.boxed(),
                from_bytes: None,
                any_list: false,
            },
        )
    }

    fn from_parts(check: Box<dyn Check<M>>, encoder: Encoder<M>, messages: Messages<M>) -> Self {
        Checker {
            check,
            encoder: RefCell::new(encoder),
            messages,
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
                budget: Some(DEFAULT_BUDGET),
                same_error: shown_alike,
                kind: Kind::Decoder,
            },
        }
    }
}

#[cfg(feature = "arbitrary")]
impl<M> Checker<M>
where
    M: fmt::Debug + for<'a> arbitrary::Arbitrary<'a> + 'static,
{
    /// Checks lists of `arbitrary::Arbitrary` messages (features `testkit` and `arbitrary`):
    /// up to 8 taken from random bytes under proptest, up to 64 from the message bytes of a
    /// fuzz input (through `arbitrary::Unstructured`).
    ///
    /// ```
    /// use bytes::{BufMut, BytesMut};
    /// use lenframe::testkit::Checker;
    ///
    /// #[derive(Debug, PartialEq, arbitrary::Arbitrary)]
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
    pub fn arbitrary<T>(decoder: impl Into<Decoder<T>>, encoder: impl Into<Encoder<M>>) -> Self
    where
        T: PartialEq<M> + fmt::Debug + 'static,
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
        Checker::from_parts(
            Box::new(Bound::new(decoder.into())),
            encoder.into(),
            Messages {
                strategy,
                from_bytes: Some(|bytes| take::<M>(bytes, MAX_FUZZ_MESSAGES)),
                any_list: true,
            },
        )
    }
}

impl Checker<u8> {
    /// The any-stream check: for bytes that are not encoded messages (a fuzzer's, a capture
    /// from a hostile peer), nothing says what a decoder must return, but it must return the
    /// same whatever the cut. Each case is a stream, decoded in one piece and in chunks: both
    /// runs must give the same messages, errors (compared by their `Debug` text, or
    /// [`Checker::errors_eq`]), ending and bytes left over, and neither may panic, stall or
    /// (opt-in) grow its buffer past the bound. Errors do not end a run: a decoder that
    /// resynchronizes must do it the same way whatever the cut.
    ///
    /// The messages of this checker are the stream's bytes; a fuzz input is a plan, then the
    /// stream itself.
    ///
    /// ```
    /// use lenframe::testkit::{Checker, Plan};
    ///
    /// let checker = Checker::any_stream(lenframe::Codec::new);
    /// // A header announcing 5 bytes, and 3 of them: whatever the cut, no frame and the same
    /// // error.
    /// assert!(checker.check(b"\x00\x00\x00\x05abc", &Plan::every_byte()).is_ok());
    /// checker.assert(); // random bytes, random cuts
    /// ```
    pub fn any_stream<T>(decoder: impl Into<Decoder<T>>) -> Checker<u8>
    where
        T: PartialEq + fmt::Debug + 'static,
    {
        // Mostly small values: they read as short lengths, so that headers announce frames
        // that arrive, as well as long and malformed ones.
        let byte = prop_oneof![3 => 0u8..=8, 1 => any::<u8>()];
        let encode = |byte: &u8, dst: &mut bytes::BytesMut| dst.extend_from_slice(&[*byte]);
        let mut checker = Checker::from_parts(
            Box::new(AnyStream::new(decoder.into())),
            Encoder::from(encode),
            Messages {
                strategy: vec(byte, 0..=64).boxed(),
                from_bytes: Some(<[u8]>::to_vec),
                any_list: true,
            },
        );
        // Bytes are not messages: a run may return up to one item per byte, and nothing is
        // cut short inside a message.
        checker.options.truncation = Truncation::Off;
        checker.options.kind = Kind::AnyStream;
        checker
    }
}

impl<M: fmt::Debug + 'static> Checker<M> {
    /// Checks a writer ([`Writer`]): lists of 0 to 8 messages drawn from `message` are written
    /// by a fresh writer to a peer that takes everything, then to one that takes short writes
    /// and fails with `Interrupted` and `WouldBlock` as the plan says, each run ending with a
    /// flush. The second peer must receive exactly the bytes of the first: nothing lost, sent
    /// twice or reordered, and the flush must end. The same verbs run it as a decoder's check.
    ///
    /// ```
    /// use std::io::Write;
    /// use lenframe::testkit::{Checker, Socket, Writer};
    ///
    /// // Bug: `write` where `write_all` was meant; a short write loses the rest.
    /// let writer = Writer::blocking(
    ///     |socket: Socket| socket,
    ///     |socket, line: &String| socket.write(line.as_bytes()).map(drop),
    ///     |socket| socket.flush(),
    /// );
    /// let failure = Checker::for_writer(writer, "[a-z]{1,8}").run().unwrap_err();
    /// assert!(failure.to_string().contains("sent other bytes than in the polite run"));
    /// ```
    pub fn for_writer(
        writer: Writer<M>,
        message: impl Strategy<Value = M> + 'static,
    ) -> Checker<M> {
        let mut checker = Checker::from_parts(
            Box::new(WriterCheck::new(writer)),
            // Not called: the writer's polite run makes the stream.
            Encoder::from(|_: &M, _: &mut bytes::BytesMut| {}),
            Messages {
                strategy: vec(message, 0..=MAX_MESSAGES).boxed(),
                from_bytes: None,
                any_list: true,
            },
        );
        checker.options.truncation = Truncation::Off;
        checker.options.kind = Kind::Writer;
        checker
    }
}

impl<M: fmt::Debug + 'static> Checker<M> {
    /// Checks a whole server over real loopback TCP ([`Server`]: one listening already, or a
    /// program in any language that the check starts): lists of 0 to 8 messages drawn from
    /// `message`, encoded by `encoder`, are sent to it politely (a write per message, each
    /// answer awaited), then at once through a segmenting [`Proxy`](crate::testkit::Proxy),
    /// which delivers them in the plan's chunks, each one read at the server. The client must
    /// receive the same answers both times. Each case talks to the server twice, so the check
    /// runs 32 cases unless told otherwise ([`Checker::cases`]), and shrinks a failure in at
    /// most 256 steps.
    ///
    /// ```no_run
    /// use bytes::BytesMut;
    /// use lenframe::testkit::{Checker, Server};
    ///
    /// // The tutorial's communication loop: one `recv(1024)` taken as one message.
    /// let server = Server::command("python3", ["examples/tutorial/loop_server.py", "{port}"]);
    /// let raw = |word: &String, dst: &mut BytesMut| dst.extend_from_slice(word.as_bytes());
    /// let failure = Checker::for_server(server, raw, "[a-z]{1,8}").run().unwrap_err();
    /// println!("{failure}"); // two messages merged into one answer
    /// ```
    pub fn for_server(
        server: Server,
        encoder: impl Into<Encoder<M>>,
        message: impl Strategy<Value = M> + 'static,
    ) -> Checker<M> {
        Checker::over_tcp(
            Box::new(ConversationCheck::new(server)),
            Kind::Conversation,
            encoder.into(),
            message.boxed(),
        )
    }

    /// Checks a whole client program over real loopback TCP, in any language ([`Client`]):
    /// the checker is its server. Lists of 0 to 8 messages drawn from `message`, encoded by
    /// `encoder`, are sent to it politely (a write per message, each read by the client before
    /// the next), then, to a second run of it, at once through a segmenting
    /// [`Proxy`](crate::testkit::Proxy), which delivers them in the plan's chunks, each one
    /// read at the client. The client must print the same output and end the same way both
    /// times. Like [`Checker::for_server`], 32 cases unless told otherwise, and at most 256
    /// shrinking steps.
    ///
    /// ```no_run
    /// use bytes::{BufMut, BytesMut};
    /// use lenframe::testkit::{Checker, Client};
    ///
    /// // A client that prints each message it reads, behind a 4-byte length.
    /// let client = Client::command("python3", ["my_client.py", "{port}"]);
    /// let framed = |word: &String, dst: &mut BytesMut| {
    ///     dst.put_u32(word.len() as u32);
    ///     dst.put_slice(word.as_bytes());
    /// };
    /// Checker::for_client(client, framed, "[a-z]{1,8}").assert();
    /// ```
    pub fn for_client(
        client: Client,
        encoder: impl Into<Encoder<M>>,
        message: impl Strategy<Value = M> + 'static,
    ) -> Checker<M> {
        Checker::over_tcp(
            Box::new(ClientCheck::new(client)),
            Kind::Client,
            encoder.into(),
            message.boxed(),
        )
    }

    /// A check of a whole program over loopback TCP: lists of 0 to 8 messages, no truncation
    /// runs (the programs get the whole stream), and fewer cases, each of which starts or
    /// talks to the program twice.
    fn over_tcp(
        check: Box<dyn Check<M>>,
        kind: Kind,
        encoder: Encoder<M>,
        message: BoxedStrategy<M>,
    ) -> Checker<M> {
        let mut checker = Checker::from_parts(
            check,
            encoder,
            Messages {
                strategy: vec(message, 0..=MAX_MESSAGES).boxed(),
                from_bytes: None,
                any_list: true,
            },
        );
        checker.options.truncation = Truncation::Off;
        checker.options.kind = kind;
        checker.options.cases = Some(SERVER_CASES);
        checker.options.shrink_steps = Some(SERVER_SHRINK_STEPS);
        checker
    }
}

/// Cases a conversation or client check runs unless told otherwise.
const SERVER_CASES: u32 = 32;

/// Most cases a conversation or client check tries while shrinking, unless told otherwise.
const SERVER_SHRINK_STEPS: u32 = 256;

impl<M> Checker<M> {
    /// Checks this many cases instead of proptest's default (256, or `PROPTEST_CASES`).
    #[must_use]
    pub fn cases(mut self, cases: u32) -> Self {
        self.options.cases = Some(cases);
        self
    }

    /// Draws cases from this seed instead of the default (or `PROPTEST_RNG_SEED`): other
    /// cases, the same on every run with this seed.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.options.seed = Some(seed);
        self
    }

    /// Shrinks a failure for at most this many cases (default 16 384, or
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
    /// bytes of capacity, `buffered` being the bytes it held when the call began; a run stops
    /// at the first call past it. Readers and parsers own no buffer the checker sees. Off by
    /// default.
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

    /// Each call into the code under test (a decoder call, an encoder call) may take at most
    /// `budget` (default 10 s); `None` for no limit. A call that takes longer ends the process
    /// (a thread cannot be stopped) after writing a report that names the case on the
    /// standard error stream: a hung test becomes a failure with a reproduction.
    #[must_use]
    pub fn timeout(mut self, budget: Option<Duration>) -> Self {
        self.options.budget = budget;
        self
    }

    /// Compares errors of type `E` with `PartialEq` instead of by their `Debug` text (errors of
    /// another type still by their text), where two runs' errors are compared (the any-stream
    /// check): for error types whose `Debug` is slow, or says less than their equality.
    ///
    /// ```
    /// use lenframe::testkit::{Checker, Plan};
    ///
    /// let check = Checker::any_stream(lenframe::Codec::new).errors_eq::<lenframe::DecodeError>();
    /// assert!(check.check(b"\x00\x00\x00\x05abc", &Plan::every_byte()).is_ok());
    /// ```
    #[must_use]
    pub fn errors_eq<E: PartialEq + 'static>(mut self) -> Self {
        fn typed<E: PartialEq + 'static>(a: &RunError, b: &RunError) -> bool {
            match (a.downcast_ref::<E>(), b.downcast_ref::<E>()) {
                (Some(a), Some(b)) => a == b,
                _ => shown_alike(a, b),
            }
        }
        self.options.same_error = typed::<E>;
        self
    }
}

impl<M: fmt::Debug + 'static> Checker<M> {
    /// Runs the check (the property engine): `Ok` when every case passed, else the smallest
    /// failing case found. The cases come from a fixed seed, so a decoder caught once is caught
    /// on every run.
    ///
    /// ```
    /// use bytes::{Buf, BufMut, BytesMut};
    /// use lenframe::testkit::{Checker, Fault, Run};
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
    /// assert_eq!(failure.run, Run::Truncated { at: 2 });
    /// assert_eq!(failure.fault, Fault::TruncatedMessageReturned { index: 0 });
    /// assert_eq!(failure.messages, [vec![0]]); // one message of one byte:
    /// // the stream cut after its header gave an empty message
    /// assert_eq!(failure.failing.unwrap().messages, ["[]"]);
    /// ```
    ///
    /// # Errors
    ///
    /// A [`Failure`] with the smallest failing case found.
    ///
    /// # Panics
    ///
    /// When the message strategy rejects so many values (with `prop_filter`) that proptest gives
    /// up, or when the encoder refuses most messages: mistakes in the test, not in the decoder.
    pub fn run(&self) -> Result<(), Box<Failure<M>>> {
        engine::property::run(self)
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

    /// Checks one case: `messages` encoded back to back, decoded under `plan` (its truncation
    /// point, if any, is checked with the many the property engine visits). A failure's own
    /// messages and plan are its case again, `checker.check(&failure.messages,
    /// &failure.plan)`: the way to pin a failure found once as a named test.
    ///
    /// ```
    /// use bytes::{Bytes, BytesMut};
    /// use lenframe::{testkit::{Checker, Plan}, Codec};
    ///
    /// let encode = |frame: &Bytes, dst: &mut BytesMut| Codec::new().encode(frame, dst).unwrap();
    /// let checker = Checker::new(Codec::new, encode, proptest::strategy::Just(Bytes::new()));
    /// // Two frames, "hi" and "", cut inside the first header and between the frames.
    /// let frames = [Bytes::from_static(b"hi"), Bytes::new()];
    /// assert!(checker.check(&frames, &Plan::at(&[2, 6])).is_ok());
    /// ```
    ///
    /// # Errors
    ///
    /// A [`Failure`] for this case (its `case` and `shrink_steps` are 0).
    ///
    /// # Panics
    ///
    /// When the encoder refuses one of `messages`.
    pub fn check(&self, messages: &[M], plan: &Plan) -> Result<(), Box<Failure<M>>>
    where
        M: Clone,
    {
        engine::check_case(self, messages, plan)
    }

    /// Checks the case a fuzzer's input means (the format is in [`Plan`]'s module: a plan,
    /// then the bytes the messages are drawn from), and panics with the report if it fails:
    /// the body of a `fuzz_target!`. The report is minimized: the messages and cuts the
    /// failure does not need are dropped. An input whose messages the strategy rejects, or the
    /// encoder refuses, passes: it means no case.
    ///
    /// ```no_run
    /// # use bytes::{Bytes, BytesMut};
    /// # fn checker() -> lenframe::testkit::Checker<Bytes> {
    /// #     let encode = |f: &Bytes, dst: &mut BytesMut| lenframe::Codec::new().encode(f, dst).unwrap();
    /// #     lenframe::testkit::Checker::new(lenframe::Codec::new, encode, proptest::strategy::Just(Bytes::new()))
    /// # }
    /// // fuzz/fuzz_targets/decode.rs:
    /// // libfuzzer_sys::fuzz_target!(|data: &[u8]| checker().fuzz(data));
    /// checker().fuzz(&[]);
    /// ```
    ///
    /// # Panics
    ///
    /// With the [`Failure`] report, when the case fails.
    #[track_caller]
    pub fn fuzz(&self, data: &[u8]) {
        if let Err(failure) = engine::fuzz::check_input(self, data) {
            panic!("{failure}");
        }
    }

    /// Replays every input in `dir` through [`Checker::fuzz`], libFuzzer's findings first
    /// (files named `crash-*`, `leak-*`, `timeout-*`, `oom-*`, `slow-unit-*`), then the rest
    /// in name order, and returns how many it ran: for a `#[test]` next to the fuzz target, on
    /// stable Rust. Every entry it does not run is named with the reason (not a regular file,
    /// unreadable, over 1 MiB, libFuzzer's largest by default being 4 KiB); it goes on past
    /// each, and fails at the end naming all of them and every failing input.
    ///
    /// ```no_run
    /// # use bytes::{Bytes, BytesMut};
    /// # let encode = |f: &Bytes, dst: &mut BytesMut| lenframe::Codec::new().encode(f, dst).unwrap();
    /// # let checker = lenframe::testkit::Checker::new(lenframe::Codec::new, encode, proptest::strategy::Just(Bytes::new()));
    /// checker.replay(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/decode"));
    /// ```
    ///
    /// # Panics
    ///
    /// Naming each input that fails, with its report, and each entry skipped; and when `dir`
    /// cannot be read or holds no input (a replay that runs nothing proves nothing: commit a
    /// seed).
    #[track_caller]
    pub fn replay(&self, dir: impl AsRef<Path>) -> usize {
        engine::fuzz::replay(self, dir.as_ref())
    }
}
