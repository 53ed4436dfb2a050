//! What a check found: which [`Run`] of a case went wrong and what went wrong in it (its
//! [`Fault`]), what each run returned ([`Decoded`], [`Ending`]), and the report of the smallest
//! failing case ([`Failure`]).

use std::fmt;
use std::path::PathBuf;

use crate::testkit::decoder::{End, Item, Trace};
use crate::testkit::plan::Plan;
#[cfg(doc)]
use crate::testkit::Checker;

/// Which run of a case went wrong. A case's stream is decoded by fresh decoders in one piece,
/// in the plan's chunks, with junk in front (cursor parsers) and cut short inside its messages;
/// the messages are encoded first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Run {
    /// Encoding the messages (the encoder panicked).
    Encoding,
    /// Decoding the stream in one piece: the decoder and the encoder disagree, whatever the
    /// cuts.
    OnePiece,
    /// Decoding in the plan's chunks, where decoding in one piece was right: the decoder
    /// depends on how the bytes arrive.
    Chunked,
    /// Decoding in chunks with junk in front of a cursor parser's input, where it was right
    /// without: the parser indexes from the buffer's start instead of its position.
    Junk,
    /// Decoding the stream cut short, `at` bytes in, inside a message.
    Truncated {
        /// Bytes of the stream the run got before its end.
        at: usize,
    },
    /// Writing the messages to a peer that takes short writes and fails with `Interrupted` and
    /// `WouldBlock` as the plan says, where writing them to one that takes everything was right
    /// ([`Checker::for_writer`]).
    Written,
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Run::Encoding => write!(f, "encoding"),
            Run::OnePiece => write!(f, "in one piece"),
            Run::Chunked => write!(f, "in chunks"),
            Run::Junk => write!(f, "with junk in front of the input"),
            Run::Truncated { at } => write!(f, "with the stream cut short at byte {at}"),
            Run::Written => write!(f, "writing under the plan"),
        }
    }
}

/// What went wrong in a run. Indexes count the items (messages, and errors the check expects)
/// from 0, in stream order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// An error ended the run after `index` items.
    Error {
        /// Items returned before it.
        index: usize,
    },
    /// The decoder panicked after `index` items.
    Panicked {
        /// Items returned before it.
        index: usize,
    },
    /// The decoder made no progress (it kept reading nothing, or kept being polled without an
    /// end) after `index` items.
    NoProgress {
        /// Items returned before it.
        index: usize,
    },
    /// The decoder broke its own contract (a parser claimed more bytes than it was given)
    /// after `index` items.
    Broken {
        /// Items returned before it.
        index: usize,
    },
    /// Item `index` is another message than the one encoded there.
    WrongMessage {
        /// The first item that differs.
        index: usize,
    },
    /// The run ended cleanly after `index` items, before the rest: messages lost.
    MissingMessages {
        /// Items returned.
        index: usize,
    },
    /// After the error the check expected at `error`, the run ended before item `index`: the
    /// decoder does not recover.
    NotRecovered {
        /// The first item that never came.
        index: usize,
        /// Where the error was.
        error: usize,
    },
    /// An error where message `index` was expected (the run went on after it).
    UnexpectedError {
        /// The item.
        index: usize,
    },
    /// A message where the check expected an error, at item `index`.
    MessageWhereErrorExpected {
        /// The item.
        index: usize,
    },
    /// Message `index` came out as two messages, and the ones after it were right again.
    SplitMessage {
        /// The message.
        index: usize,
    },
    /// Message `index` came out twice: the decoder did not consume its bytes.
    DuplicatedMessage {
        /// The message.
        index: usize,
    },
    /// More items than were encoded, from item `index` on.
    ExtraMessages {
        /// The first one too many.
        index: usize,
    },
    /// The run ended with bytes left in the buffer.
    Leftover {
        /// How many.
        bytes: usize,
    },
    /// The decoder waited for more bytes while message `index` had arrived whole: over a
    /// connection whose peer waits for the answer, it would wait forever.
    Stalled {
        /// The message that was whole.
        index: usize,
        /// Stream bytes delivered when it waited.
        delivered: usize,
        /// Where the message ends.
        end: usize,
    },
    /// The buffer's capacity passed the bound for the bytes it held
    /// ([`Checker::capacity_bound`]); the run stopped there.
    Memory {
        /// The capacity.
        capacity: usize,
        /// Bytes buffered when the call began.
        buffered: usize,
        /// The bound for that many.
        bound: usize,
    },
    /// The stream ended inside message `index`, and the decoder returned a message for it.
    TruncatedMessageReturned {
        /// The cut message.
        index: usize,
    },
    /// The stream ended inside message `index`, and the run ended cleanly with nothing left in
    /// the buffer: the cut message vanished without a trace.
    TruncationLost {
        /// The cut message.
        index: usize,
    },
    /// The stream ended inside message `index` and the run ended without an error (its bytes
    /// left in the buffer), where the check demands an error.
    TruncationNotAnError {
        /// The cut message.
        index: usize,
        /// Bytes left in the buffer.
        leftover: usize,
    },
    /// Decoding the same bytes in chunks gave another result than in one piece, from item
    /// `index` on (messages, errors, the ending or the bytes left).
    Differs {
        /// The first item that differs.
        index: usize,
    },
    /// The encoder panicked on message `index`.
    EncoderPanicked {
        /// The message.
        index: usize,
        /// The panic's message.
        message: String,
    },
    /// A writer returned an error (other than a `WouldBlock` its caller retries) writing
    /// message `index` (or flushing, at the index past the last message).
    WriterFailed {
        /// The message.
        index: usize,
        /// The error, shown with `Debug`.
        error: String,
    },
    /// The peer received other bytes than in the polite run (a peer that takes everything;
    /// a client that writes one message at a time), from byte `at` on: bytes lost, sent twice,
    /// out of order, or other answers.
    BytesDiffer {
        /// The first byte that differs (or where the shorter of the two ends).
        at: usize,
    },
    /// A client printed other output, or ended otherwise, than in the polite exchange
    /// ([`Checker::for_client`](crate::testkit::Checker::for_client)).
    PrintedOtherwise {
        /// The first byte of its output that differs (or where the shorter of the two ends).
        at: usize,
    },
    /// A server left part of what it was sent unread for 2 s: in the planned exchange
    /// (`planned`), or in the polite one.
    StoppedReading {
        /// Whether it was the planned exchange.
        planned: bool,
    },
    /// A case failed during the search but passed when checked again: the decoder or the
    /// encoder depends on more than its input (global state, time, randomness).
    NotRepeatable {
        /// The failure seen during the search.
        seen: String,
    },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Error { index } => write!(f, "returned an error after {index} messages"),
            Fault::Panicked { index } => write!(f, "panicked after {index} messages"),
            Fault::NoProgress { index } => write!(f, "made no progress after {index} messages"),
            Fault::Broken { index } => {
                write!(f, "broke its own contract after {index} messages")
            }
            Fault::WrongMessage { index } => {
                write!(f, "returned another message than message {index}")
            }
            Fault::MissingMessages { index } => write!(
                f,
                "ended after {index} messages, without the rest: messages lost"
            ),
            Fault::NotRecovered { index, error } => write!(
                f,
                "did not recover after the error at item {error}: item {index} never came"
            ),
            Fault::UnexpectedError { index } => {
                write!(f, "returned an error where message {index} was expected")
            }
            Fault::MessageWhereErrorExpected { index } => write!(
                f,
                "returned a message where an error was expected, at item {index}"
            ),
            Fault::SplitMessage { index } => write!(f, "split message {index} into two"),
            Fault::DuplicatedMessage { index } => write!(
                f,
                "returned message {index} twice (did it consume its bytes?)"
            ),
            Fault::ExtraMessages { index } => write!(
                f,
                "returned more messages than were encoded, from item {index} on"
            ),
            Fault::Leftover { bytes: 1 } => {
                write!(f, "left 1 byte in the buffer at the end of the stream")
            }
            Fault::Leftover { bytes } => {
                write!(
                    f,
                    "left {bytes} bytes in the buffer at the end of the stream"
                )
            }
            Fault::Stalled {
                index,
                delivered,
                end,
            } => write!(
                f,
                "waited for more bytes with message {index} whole (it ends at byte {end}, \
                 {delivered} had arrived): a peer waiting for the answer would wait forever"
            ),
            Fault::Memory {
                capacity,
                buffered,
                bound,
            } => write!(
                f,
                "held a buffer of {capacity} bytes for {buffered} bytes buffered, over the \
                 bound of {bound}"
            ),
            Fault::TruncatedMessageReturned { index } => write!(
                f,
                "returned message {index} although the stream ended inside it"
            ),
            Fault::TruncationLost { index } => write!(
                f,
                "ended cleanly with message {index} cut short and its bytes gone: the \
                 truncation went unreported"
            ),
            Fault::TruncationNotAnError { index, leftover } => write!(
                f,
                "ended without an error with message {index} cut short ({leftover} bytes left \
                 in the buffer)"
            ),
            Fault::Differs { index } => write!(
                f,
                "gave another result than in one piece, from item {index} on"
            ),
            Fault::EncoderPanicked { index, message } => {
                write!(f, "panicked on message {index}: {message}")
            }
            Fault::WriterFailed { index, error } => {
                write!(f, "returned the error {error} on message {index}")
            }
            Fault::BytesDiffer { at } => {
                write!(
                    f,
                    "sent other bytes than in the polite run, from byte {at} on"
                )
            }
            Fault::PrintedOtherwise { at } => write!(
                f,
                "printed other output than in the polite exchange, from byte {at} on"
            ),
            Fault::StoppedReading { planned: true } => write!(
                f,
                "stopped reading with part of a chunk unread (2 s), in the planned exchange"
            ),
            Fault::StoppedReading { planned: false } => write!(
                f,
                "stopped reading with part of a message unread (2 s), in the polite exchange"
            ),
            Fault::NotRepeatable { seen } => write!(
                f,
                "failed during the search ({seen}) but passed when checked again: the decoder \
                 or the encoder depends on more than its input"
            ),
        }
    }
}

/// How a run ended, as a report shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ending {
    /// The decoder reported the end of the stream with no error.
    Clean,
    /// The decoder returned this error (shown with `Debug`), which ended the run.
    Error(String),
    /// The decoder panicked, with this message.
    Panicked(String),
    /// The decoder returned more than was encoded, and the run stopped there.
    Overran,
    /// The decoder made no progress in a bounded number of calls (reads, polls) and the run
    /// stopped it; says what it kept doing.
    NoProgress(String),
    /// The decoder broke its own contract (a parser claimed more bytes than it was given);
    /// says how.
    Broken(String),
    /// The decoder's buffer passed the memory bound, and the run stopped there.
    OverBound,
}

impl Ending {
    pub(crate) fn of(end: &End) -> Ending {
        match end {
            End::Clean => Ending::Clean,
            End::Error(e) => Ending::Error(e.shown()),
            End::Panicked(m) => Ending::Panicked(m.clone()),
            End::Overran => Ending::Overran,
            End::NoProgress(w) => Ending::NoProgress(w.clone()),
            End::Broken(h) => Ending::Broken(h.clone()),
            End::OverBound => Ending::OverBound,
        }
    }
}

/// How a run ended, in the words of a report line ("then a clean end").
impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Clean => write!(f, "then a clean end"),
            Ending::Error(e) => write!(f, "then the error {e}"),
            Ending::Panicked(message) => write!(f, "then a panic: {message}"),
            Ending::Overran => write!(f, "and still more, where the check stopped"),
            Ending::NoProgress(what) => write!(f, "then no progress: it {what}"),
            Ending::Broken(how) => write!(f, "then a broken contract: {how}"),
            Ending::OverBound => write!(f, "then a buffer over the bound, where the check stopped"),
        }
    }
}

/// What one decoding run returned, as shown in a report.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decoded {
    /// Which run: "in one piece", "in chunks", ...
    pub run: String,
    /// What it returned, in order, each shown with `Debug`; an error the run went on after
    /// shows as `error: ...`.
    pub messages: Vec<String>,
    /// How the run ended.
    pub ending: Ending,
    /// Bytes left in the decoder's buffer when the run ended (for readers: bytes never read;
    /// for push parsers: bytes pushed since the last message).
    pub leftover: usize,
}

impl Decoded {
    /// The run `name` as a report shows it.
    pub(crate) fn of<T: fmt::Debug>(name: &str, trace: &Trace<T>) -> Decoded {
        Decoded {
            run: name.to_owned(),
            messages: trace
                .items
                .iter()
                .map(|item| match item {
                    Item::Message(m) => shorten(format!("{m:?}")),
                    Item::Error(e) => shorten(format!("error: {}", e.shown())),
                })
                .collect(),
            ending: Ending::of(&trace.ending),
            leftover: trace.leftover,
        }
    }
}

/// What the run returned, how it ended, and what it left: `[a, b], then a clean end, 0 bytes
/// left in the buffer`.
impl fmt::Display for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}], {}", self.messages.join(", "), self.ending)?;
        match self.leftover {
            1 => write!(f, ", 1 byte left in the buffer"),
            n => write!(f, ", {n} bytes left in the buffer"),
        }
    }
}

/// The smallest failing case a check found, and what went wrong. Its `Display` is the report
/// [`Checker::assert`] panics with.
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// use lenframe::testkit::{Checker, Fault, Run};
///
/// /// Bug: an empty buffer is taken as an empty message.
/// fn eager(buf: &mut BytesMut) -> Result<Option<Vec<u8>>, ()> {
///     Ok(Some(buf.split().to_vec()))
/// }
/// let encode = |msg: &Vec<u8>, dst: &mut BytesMut| dst.put_slice(msg);
/// let failure = Checker::new(|| eager, encode, proptest::collection::vec(1u8.., 1..4))
///     .run()
///     .unwrap_err();
/// assert_eq!((failure.run, failure.fault.clone()), (Run::OnePiece, Fault::ExtraMessages { index: 0 }));
/// let report = failure.to_string();
/// assert!(report.starts_with("decoding in one piece, the decoder returned more messages"));
/// assert!(report.contains("messages encoded (0): []"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure<M> {
    /// Which run went wrong.
    pub run: Run,
    /// What went wrong in it.
    pub fault: Fault,
    /// The messages encoded (after shrinking: as few and as small as still fail). For the
    /// any-stream check, the stream's bytes.
    pub messages: Vec<M>,
    /// Their encoding, back to back: the stream decoded.
    pub stream: Vec<u8>,
    /// Where each message ends in `stream`.
    pub ends: Vec<usize>,
    /// The case's plan (after shrinking: only the cuts, read errors and junk it needs, and the
    /// point where a stream cut short failed): `checker.check(&failure.messages,
    /// &failure.plan)` fails again, the way to pin a failure as a named test.
    pub plan: Plan,
    /// What decoding the stream in one piece returned.
    pub one_piece: Decoded,
    /// What decoding it in the plan's chunks returned.
    pub chunked: Decoded,
    /// The failing run, when it is another (the junk run, a truncated stream).
    pub failing: Option<Decoded>,
    /// Writer checks ([`Checker::for_writer`]): what the peer received when the messages were
    /// written under the plan. (`stream` is what a peer that takes everything received.)
    pub written: Option<Vec<u8>>,
    /// Conversation checks ([`Checker::for_server`]): what the client received in the polite
    /// exchange, then in the planned one. Client checks ([`Checker::for_client`]): what the
    /// client printed, and how it ended when that was not a success.
    pub answers: Option<(Vec<u8>, Vec<u8>)>,
    /// Which generated case failed first (1 for the first; 0 when the case was given).
    pub case: usize,
    /// Cases tried while shrinking it to this one.
    pub shrink_steps: usize,
    /// The input that reproduces the failure before shrinking, in the fuzz format: a fuzz
    /// input, or what [`Checker::record_failures`] wrote.
    pub input: Option<Vec<u8>>,
    /// Where that input was written, if it was.
    pub recorded: Option<PathBuf>,
    /// Which check the case is from.
    pub(crate) kind: Kind,
}

/// Which check a case is from: its report reads accordingly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A decoder against an encoder.
    #[default]
    Decoder,
    /// A decoder on any bytes.
    AnyStream,
    /// A writer against its polite run.
    Writer,
    /// A server against its polite exchange.
    Conversation,
    /// A client against its polite exchange.
    Client,
}

impl<M> Failure<M> {
    /// Where the chunked run cut the stream.
    #[must_use]
    pub fn cuts(&self) -> Vec<usize> {
        self.plan.cuts(self.stream.len())
    }
}

/// Bytes of the stream shown in a report; the rest is counted.
const SHOWN_BYTES: usize = 64;

/// Characters of one message shown in a report; the rest is counted.
const SHOWN_CHARS: usize = 120;

/// `shown`, cut to [`SHOWN_CHARS`] characters with a count of the rest: a report of a failure
/// with 64 KiB messages stays readable.
pub(crate) fn shorten(shown: String) -> String {
    match shown.char_indices().nth(SHOWN_CHARS) {
        None => shown,
        Some((at, _)) => {
            let more = shown[at..].chars().count();
            format!("{}... ({more} more characters)", &shown[..at])
        }
    }
}

impl<M: fmt::Debug> fmt::Display for Failure<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fault = &self.fault;
        let any_stream = self.kind == Kind::AnyStream;
        match (self.run, self.kind) {
            (_, _) if matches!(fault, Fault::NotRepeatable { .. }) => {
                writeln!(f, "a case {fault}")?;
            }
            (Run::Encoding, Kind::Conversation) => {
                let who = match fault {
                    Fault::StoppedReading { .. } => "server",
                    _ => "client",
                };
                writeln!(
                    f,
                    "talking to the server politely (a write per message, each answer awaited), \
                     the {who} {fault}"
                )?;
            }
            (_, Kind::Conversation) => writeln!(
                f,
                "talking to the server politely was right, but with the requests cut as planned \
                 the server {fault}"
            )?,
            (Run::Encoding, Kind::Client) => writeln!(
                f,
                "serving the client politely (a write per message, each read before the \
                 next), the client {fault}"
            )?,
            (_, Kind::Client) => writeln!(
                f,
                "serving the client politely was right, but with the messages cut as planned \
                 the client {fault}"
            )?,
            (Run::Encoding, Kind::Writer) => writeln!(
                f,
                "writing the messages to a peer that takes everything, the writer {fault}"
            )?,
            (_, Kind::Writer) => writeln!(
                f,
                "writing to a peer that takes everything was right, but under the plan the \
                 writer {fault}"
            )?,
            (Run::Encoding, _) => writeln!(f, "encoding the messages, the encoder {fault}")?,
            (run, Kind::AnyStream) => {
                writeln!(f, "decoding any bytes {run}, the decoder {fault}")?;
            }
            (Run::OnePiece, _) => writeln!(f, "decoding in one piece, the decoder {fault}")?,
            (Run::Chunked, _) => writeln!(
                f,
                "decoding in one piece was right, but in chunks the decoder {fault}"
            )?,
            (Run::Junk, _) => writeln!(
                f,
                "decoding in chunks was right, but with junk in front of its input the parser \
                 {fault} (does it index from the buffer's start, not the input's?)"
            )?,
            (Run::Truncated { at }, _) => writeln!(
                f,
                "with the stream cut short at byte {at}, the decoder {fault}"
            )?,
            (Run::Written, _) => writeln!(f, "writing under the plan, the writer {fault}")?,
        }
        if self.kind == Kind::Writer {
            return self.fmt_writer(f);
        }
        if matches!(self.kind, Kind::Conversation | Kind::Client) {
            return self.fmt_conversation(f);
        }
        if !any_stream {
            self.fmt_messages(f, "encoded")?;
        }
        write!(f, "  stream ({} bytes):", self.stream.len())?;
        hex(f, &self.stream)?;
        writeln!(f)?;
        if self.ends.len() > 1 {
            writeln!(f, "  messages end at {:?}", self.ends)?;
        }
        let cuts = self.cuts();
        if cuts.is_empty() {
            writeln!(f, "  cut nowhere: one chunk")?;
        } else {
            writeln!(
                f,
                "  cut at {cuts:?}: chunks of {:?} bytes",
                self.plan.chunk_lengths(self.stream.len())
            )?;
        }
        if self.run == Run::Junk {
            writeln!(f, "  junk: {} bytes in front of the input", self.plan.junk)?;
        }
        if self.plan.interrupt_every >= 2 {
            writeln!(
                f,
                "  read errors: Interrupted before every read number {} (a multiple of it)",
                self.plan.interrupt_every
            )?;
        }
        if let Some(at) = self.plan.cancel_at {
            writeln!(
                f,
                "  in chunks, the read cancelled at its Pending number {at} (dropped, then \
                 called again)"
            )?;
        }
        writeln!(f, "  decoded in one piece: {}", self.one_piece)?;
        write!(f, "  decoded in chunks:    {}", self.chunked)?;
        if let Some(failing) = &self.failing {
            write!(f, "\n  decoded {}: {failing}", failing.run)?;
        }
        self.fmt_search(f)
    }
}

/// The first byte where `got` and `expected` differ (where the shorter ends, when one is a
/// prefix of the other); `None` when they are equal.
pub(crate) fn first_difference(got: &[u8], expected: &[u8]) -> Option<usize> {
    match got.iter().zip(expected).position(|(a, b)| a != b) {
        Some(at) => Some(at),
        None if got.len() != expected.len() => Some(got.len().min(expected.len())),
        None => None,
    }
}

/// `bytes` as a report line shows them: the first [`SHOWN_BYTES`] in hex, and a count of the
/// rest.
fn hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for byte in bytes.iter().take(SHOWN_BYTES) {
        write!(f, " {byte:02x}")?;
    }
    if bytes.len() > SHOWN_BYTES {
        write!(f, " ... ({} more)", bytes.len() - SHOWN_BYTES)?;
    }
    Ok(())
}

/// `bytes` as a report line shows text: a string when they are UTF-8, else a byte string,
/// escaped; the first [`SHOWN_CHARS`] characters, and a count of the rest.
fn escaped(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => shorten(format!("{text:?}")),
        Err(_) => shorten(format!("b\"{}\"", bytes.escape_ascii())),
    }
}

impl<M: fmt::Debug> Failure<M> {
    /// The report's line of messages: `  messages {verb} (n): [...]`.
    fn fmt_messages(&self, f: &mut fmt::Formatter<'_>, verb: &str) -> fmt::Result {
        let shown: Vec<String> = self
            .messages
            .iter()
            .map(|m| shorten(format!("{m:?}")))
            .collect();
        writeln!(
            f,
            "  messages {verb} ({}): [{}]",
            self.messages.len(),
            shown.join(", ")
        )
    }

    /// The report's last lines: which case failed, and where it was recorded.
    fn fmt_search(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.case > 0 {
            write!(
                f,
                "\n  (case {} of the search failed; {} cases tried while shrinking it)",
                self.case, self.shrink_steps
            )?;
        }
        if let Some(path) = &self.recorded {
            write!(f, "\n  recorded as {}", path.display())?;
        }
        Ok(())
    }

    /// The rest of a conversation check's report: the messages, the requests, the cuts, both
    /// exchanges' answers.
    fn fmt_conversation(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (sent, to, done) = match self.kind {
            Kind::Client => ("served", "client", "printed"),
            _ => ("requests", "server", "answered"),
        };
        self.fmt_messages(f, "sent")?;
        writeln!(
            f,
            "  {sent} ({} bytes): {}",
            self.stream.len(),
            escaped(&self.stream)
        )?;
        if self.ends.len() > 1 {
            writeln!(f, "  messages end at {:?}", self.ends)?;
        }
        let cuts = self.cuts();
        if cuts.is_empty() {
            writeln!(f, "  planned: all of it in one read at the {to}")?;
        } else {
            writeln!(
                f,
                "  planned: cut at {cuts:?}, reads of {:?} bytes at the {to}",
                self.plan.chunk_lengths(self.stream.len())
            )?;
        }
        if let Some((polite, planned)) = &self.answers {
            writeln!(
                f,
                "  {done} politely ({} bytes): {}",
                polite.len(),
                escaped(polite)
            )?;
            write!(
                f,
                "  {done} as planned ({} bytes): {}",
                planned.len(),
                escaped(planned)
            )?;
        }
        self.fmt_search(f)
    }

    /// The rest of a writer check's report: the messages, both runs' bytes, the plan.
    fn fmt_writer(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_messages(f, "written")?;
        write!(
            f,
            "  received by a peer that takes everything ({} bytes):",
            self.stream.len()
        )?;
        hex(f, &self.stream)?;
        writeln!(f)?;
        if self.ends.len() > 1 {
            writeln!(f, "  messages end at {:?}", self.ends)?;
        }
        let limits = self.plan.chunk_lengths(self.stream.len());
        if limits.len() > 1 {
            writeln!(f, "  writes take at most {limits:?} bytes, in turn")?;
        } else {
            writeln!(f, "  writes take what they are given")?;
        }
        if self.plan.interrupt_every >= 2 {
            writeln!(
                f,
                "  Interrupted before every write number {} (a multiple of it)",
                self.plan.interrupt_every
            )?;
        }
        if self.plan.would_block_every >= 2 {
            writeln!(
                f,
                "  WouldBlock before every write number {} (a multiple of it), then the call \
                 again",
                self.plan.would_block_every
            )?;
        }
        if let Some(written) = &self.written {
            write!(f, "  received under the plan ({} bytes):", written.len())?;
            hex(f, written)?;
        }
        self.fmt_search(f)
    }
}

impl<M: fmt::Debug> std::error::Error for Failure<M> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_type_reads_as_words() {
        assert_eq!(
            Run::Truncated { at: 3 }.to_string(),
            "with the stream cut short at byte 3"
        );
        assert_eq!(Run::Junk.to_string(), "with junk in front of the input");
        assert_eq!(Ending::Clean.to_string(), "then a clean end");
        assert_eq!(
            Ending::Error("E".to_owned()).to_string(),
            "then the error E"
        );
        let decoded = Decoded {
            run: "in chunks".to_owned(),
            messages: vec!["1".to_owned()],
            ending: Ending::Overran,
            leftover: 1,
        };
        assert_eq!(
            decoded.to_string(),
            "[1], and still more, where the check stopped, 1 byte left in the buffer"
        );
    }

    #[test]
    fn long_messages_are_shortened_with_a_count() {
        assert_eq!(shorten("abc".to_owned()), "abc");
        let long = "x".repeat(130);
        assert_eq!(
            shorten(long),
            format!("{}... (10 more characters)", "x".repeat(120))
        );
    }
}
