//! What a check found: the property a failing case broke ([`Violation`], [`Fault`]), what each
//! run returned ([`Decoded`]), and the report of the smallest failing case ([`CheckFailure`]).

use std::fmt;
use std::path::PathBuf;

use super::Render;
use crate::testkit::case::{Chunking, Plan};
pub use crate::testkit::shape::Ending;
use crate::testkit::shape::{Item, Run};
#[cfg(doc)]
use crate::testkit::Checker;

/// What one decoding run returned, as shown in a report.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decoded {
    /// Which run: "in one piece", "in chunks", ...
    pub run: String,
    /// What it returned, in order, each shown by the check's renderer (`Debug` unless
    /// [`Checker::render`] says otherwise); an error the run went on after shows as
    /// `error: ...`.
    pub messages: Vec<String>,
    /// How the run ended.
    pub ending: Ending,
    /// Bytes left in the decoder's buffer when the run ended (for readers: bytes never read).
    pub leftover: usize,
}

impl Decoded {
    /// The run `name` as a report shows it, its messages shown by `render`.
    pub(crate) fn of<T>(name: &str, run: &Run<T>, render: &impl Render<T>) -> Decoded {
        Decoded {
            run: name.to_owned(),
            messages: run
                .items
                .iter()
                .map(|item| match item {
                    Item::Message(m) => shorten(render.render(m)),
                    Item::Error(e) => shorten(format!("error: {}", e.shown())),
                })
                .collect(),
            ending: run.ending.shown(),
            leftover: run.leftover,
        }
    }
}

impl fmt::Display for Decoded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}], ", self.messages.join(", "))?;
        match &self.ending {
            Ending::Clean => write!(f, "then a clean end")?,
            Ending::Error(e) => write!(f, "then the error {e}")?,
            Ending::Panicked(message) => write!(f, "then a panic: {message}")?,
            Ending::Overran => write!(f, "and still more, where the check stopped")?,
            Ending::NoProgress(what) => write!(f, "then no progress: it {what}")?,
            Ending::Broken(how) => write!(f, "then a broken contract: {how}")?,
        }
        match self.leftover {
            1 => write!(f, ", 1 byte left in the buffer"),
            n => write!(f, ", {n} bytes left in the buffer"),
        }
    }
}

/// What was wrong with a run. Indexes count the items (messages, and errors the check expects)
/// from 0, in stream order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// The decoder made no progress (it kept reading after the end, or kept being polled
    /// without an end) after `index` items.
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
    /// The buffer's capacity passed the bound for the bytes it held.
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
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
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
        }
    }
}

/// What a failing case broke: which run, and its [`Fault`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// Decoding the stream in one piece already fails: the decoder and the encoder disagree,
    /// whatever the cuts.
    OnePiece(Fault),
    /// Decoding in one piece is right; decoding the same stream cut into chunks is not: the
    /// decoder depends on how the bytes arrive.
    Chunked(Fault),
    /// A parser is right on its input, and wrong when the input starts after junk in the same
    /// buffer: it indexes from the buffer's start instead of the input's.
    Junk(Fault),
    /// The stream cut short inside a message, `at` bytes in.
    Truncated {
        /// Bytes of the stream the run got before its end.
        at: usize,
        /// What went wrong.
        fault: Fault,
    },
    /// A case failed during the search but passed when checked again: the decoder or the
    /// encoder depends on more than its input (global state, time, randomness).
    NotRepeatable {
        /// What the failure was during the search.
        reason: String,
    },
}

impl Violation {
    /// The fault, for the violations that have one.
    #[must_use]
    pub fn fault(&self) -> Option<Fault> {
        match *self {
            Violation::OnePiece(fault) | Violation::Chunked(fault) | Violation::Junk(fault) => {
                Some(fault)
            }
            Violation::Truncated { fault, .. } => Some(fault),
            Violation::NotRepeatable { .. } => None,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::OnePiece(fault) => write!(f, "decoding in one piece, the decoder {fault}"),
            Violation::Chunked(fault) => write!(
                f,
                "decoding in one piece was right, but in chunks the decoder {fault}"
            ),
            Violation::Junk(fault) => write!(
                f,
                "decoding in chunks was right, but with junk in front of its input the parser \
                 {fault} (does it index from the buffer's start, not the input's?)"
            ),
            Violation::Truncated { at, fault } => {
                write!(
                    f,
                    "with the stream cut short at byte {at}, the decoder {fault}"
                )
            }
            Violation::NotRepeatable { reason } => write!(
                f,
                "a case failed ({reason}) but passed when checked again: the decoder or the \
                 encoder depends on more than its input"
            ),
        }
    }
}

/// The smallest failing case a check found, and what went wrong. Its `Display` is the report
/// [`Checker::assert`] panics with.
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// use lenframe::testkit::Checker;
///
/// /// Bug: an empty buffer is taken as an empty message.
/// fn eager(buf: &mut BytesMut) -> Result<Option<Vec<u8>>, ()> {
///     Ok(Some(buf.split().to_vec()))
/// }
/// let encode = |msg: &Vec<u8>, dst: &mut BytesMut| dst.put_slice(msg);
/// let failure = Checker::new(|| eager, encode, proptest::collection::vec(1u8.., 1..4))
///     .run()
///     .unwrap_err();
/// let report = failure.to_string();
/// assert!(report.starts_with("decoding in one piece, the decoder returned more messages"));
/// assert!(report.contains("messages encoded (0): []"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckFailure<M> {
    /// What broke.
    pub violation: Violation,
    /// The messages encoded (after shrinking: as few and as small as still fail).
    pub messages: Vec<M>,
    /// Their encoding, back to back: the stream decoded.
    pub wire: Vec<u8>,
    /// Where each message ends in `wire`.
    pub ends: Vec<usize>,
    /// Where the chunked run cut the stream (after shrinking: only cuts that are needed).
    pub cuts: Vec<usize>,
    /// Bytes of junk in front of a parser's input, when the junk run failed.
    pub junk: usize,
    /// What decoding the stream in one piece returned.
    pub one_piece: Decoded,
    /// What decoding it in the chunks between `cuts` returned.
    pub chunked: Decoded,
    /// The failing run, when it is another (the junk run, a truncated stream).
    pub failing: Option<Decoded>,
    /// Which generated case failed first (1 for the first; 0 when the case was given).
    pub case: usize,
    /// Cases tried while shrinking it to this one.
    pub shrink_steps: usize,
    /// The input that reproduces the failure before shrinking, in the fuzz format: a fuzz
    /// input, or what [`Checker::record_failures`] wrote.
    pub input: Option<Vec<u8>>,
    /// Where that input was written, if it was.
    pub recorded: Option<PathBuf>,
    /// The case's plan (after shrinking: only the cuts, read errors and junk it needs, and the
    /// point where a stream cut short failed): `checker.check_plan(&failure.messages,
    /// &failure.plan)` fails again, the way to pin a failure as a named test.
    pub plan: Plan,
}

impl<M> CheckFailure<M> {
    /// The sizes of the chunks the chunked run was fed, in order.
    pub fn chunk_lengths(&self) -> Vec<usize> {
        Chunking::at(&self.cuts).chunk_lengths(self.wire.len())
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

impl<M: fmt::Debug> fmt::Display for CheckFailure<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.violation)?;
        let shown: Vec<String> = self
            .messages
            .iter()
            .map(|m| shorten(format!("{m:?}")))
            .collect();
        writeln!(
            f,
            "  messages encoded ({}): [{}]",
            self.messages.len(),
            shown.join(", ")
        )?;
        write!(f, "  stream ({} bytes):", self.wire.len())?;
        for byte in self.wire.iter().take(SHOWN_BYTES) {
            write!(f, " {byte:02x}")?;
        }
        if self.wire.len() > SHOWN_BYTES {
            write!(f, " ... ({} more)", self.wire.len() - SHOWN_BYTES)?;
        }
        writeln!(f)?;
        if self.ends.len() > 1 {
            writeln!(f, "  messages end at {:?}", self.ends)?;
        }
        if self.cuts.is_empty() {
            writeln!(f, "  cut nowhere: one chunk")?;
        } else {
            writeln!(
                f,
                "  cut at {:?}: chunks of {:?} bytes",
                self.cuts,
                self.chunk_lengths()
            )?;
        }
        if self.junk > 0 {
            writeln!(f, "  junk: {} bytes in front of the input", self.junk)?;
        }
        if self.plan.interrupt_every >= 2 {
            writeln!(
                f,
                "  read errors: Interrupted before every read number {} (a multiple of it)",
                self.plan.interrupt_every
            )?;
        }
        writeln!(f, "  decoded in one piece: {}", self.one_piece)?;
        write!(f, "  decoded in chunks:    {}", self.chunked)?;
        if let Some(failing) = &self.failing {
            write!(f, "\n  decoded {}: {failing}", failing.run)?;
        }
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
}

impl<M: fmt::Debug> std::error::Error for CheckFailure<M> {}
