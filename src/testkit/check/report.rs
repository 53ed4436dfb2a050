//! What a check found: each decoding run ([`Decoded`]), the property a failing case broke
//! ([`Violation`], [`Fault`]), and the report of the smallest failing case ([`CheckFailure`]).

use std::fmt;

use crate::testkit::strategy::chunk_lengths;
#[cfg(doc)]
use crate::testkit::Checker;

/// What one decoding run returned.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decoded<M> {
    /// The messages, in order.
    pub messages: Vec<M>,
    /// How the run ended.
    pub ending: Ending,
    /// Bytes left in the buffer when the run ended.
    pub leftover: usize,
}

impl<M: PartialEq> Decoded<M> {
    /// The first property this run breaks, given the messages that were encoded.
    pub fn fault(&self, encoded: &[M]) -> Option<Fault> {
        match self.ending {
            Ending::Error(_) => Some(Fault::Error),
            Ending::Panicked(_) => Some(Fault::Panicked),
            Ending::Overran => Some(Fault::TooManyMessages),
            Ending::Clean if self.messages != encoded => Some(Fault::WrongMessages),
            Ending::Clean if self.leftover > 0 => Some(Fault::Leftover),
            Ending::Clean => None,
        }
    }
}

impl<M: fmt::Debug> fmt::Display for Decoded<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}, ", self.messages)?;
        match &self.ending {
            Ending::Clean => write!(f, "then a clean end")?,
            Ending::Error(e) => write!(f, "then the error {e}")?,
            Ending::Panicked(message) => write!(f, "then a panic: {message}")?,
            Ending::Overran => write!(f, "and still more, where the check stopped")?,
        }
        match self.leftover {
            1 => write!(f, ", 1 byte left in the buffer"),
            n => write!(f, ", {n} bytes left in the buffer"),
        }
    }
}

/// How a decoding run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ending {
    /// `decode_eof` returned `Ok(None)` at the end of the stream.
    Clean,
    /// The decoder returned an error, shown with `Debug`.
    Error(String),
    /// The decoder panicked, with this message.
    Panicked(String),
    /// The decoder returned one message more than were encoded, and the run stopped there.
    Overran,
}

/// A property a decoding run broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The decoder returned an error.
    Error,
    /// The decoder panicked.
    Panicked,
    /// The decoder returned more messages than were encoded (say, one message twice, because
    /// it did not consume its bytes, or empty messages at the end of the stream).
    TooManyMessages,
    /// The decoder returned other messages than were encoded, or fewer.
    WrongMessages,
    /// The decoder left bytes in the buffer at the end of the stream.
    Leftover,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fault::Error => "returned an error",
            Fault::Panicked => "panicked",
            Fault::TooManyMessages => "returned more messages than were encoded",
            Fault::WrongMessages => "returned other messages than were encoded",
            Fault::Leftover => "left bytes in the buffer at the end of the stream",
        })
    }
}

/// What a failing case broke.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// Decoding the stream in one piece already fails: the decoder and the encoder disagree,
    /// whatever the cuts.
    OnePiece(Fault),
    /// Decoding in one piece is right; decoding the same stream cut into chunks is not: the
    /// decoder depends on how the bytes arrive.
    Chunked(Fault),
    /// A case failed during the search but passed when checked again: the decoder or the
    /// encoder depends on more than its input (global state, time, randomness).
    NotRepeatable {
        /// What the failure was during the search.
        reason: String,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::OnePiece(fault) => write!(f, "decoding in one piece, the decoder {fault}"),
            Violation::Chunked(fault) => write!(
                f,
                "decoding in one piece was right, but in chunks the decoder {fault}"
            ),
            Violation::NotRepeatable { reason } => write!(
                f,
                "a case failed ({reason}) but passed when checked again: the decoder or the \
                 encoder depends on more than its input"
            ),
        }
    }
}

/// The smallest failing case [`Checker::run`] found, and what went wrong. Its `Display` is the
/// report [`Checker::assert`] panics with.
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
    /// Where the chunked run cut the stream (after shrinking: as few cuts as still fail).
    pub cuts: Vec<usize>,
    /// What decoding the stream in one piece returned.
    pub one_piece: Decoded<M>,
    /// What decoding it in the chunks between `cuts` returned.
    pub chunked: Decoded<M>,
    /// Which generated case failed first (1 for the first; 0 from [`Checker::check_case`]).
    pub case: usize,
    /// Cases tried while shrinking it to this one.
    pub shrink_steps: usize,
}

impl<M> CheckFailure<M> {
    /// The sizes of the chunks the chunked run was fed, in order.
    pub fn chunk_lengths(&self) -> Vec<usize> {
        chunk_lengths(&self.cuts, self.wire.len())
    }
}

/// Bytes of the stream shown in a report; the rest is counted.
const SHOWN_BYTES: usize = 64;

impl<M: fmt::Debug> fmt::Display for CheckFailure<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.violation)?;
        writeln!(
            f,
            "  messages encoded ({}): {:?}",
            self.messages.len(),
            self.messages
        )?;
        write!(f, "  stream ({} bytes):", self.wire.len())?;
        for byte in self.wire.iter().take(SHOWN_BYTES) {
            write!(f, " {byte:02x}")?;
        }
        if self.wire.len() > SHOWN_BYTES {
            write!(f, " ... ({} more)", self.wire.len() - SHOWN_BYTES)?;
        }
        writeln!(f)?;
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
        writeln!(f, "  decoded in one piece: {}", self.one_piece)?;
        write!(f, "  decoded in chunks:    {}", self.chunked)?;
        if self.case > 0 {
            write!(
                f,
                "\n  (case {} of the search failed; {} cases tried while shrinking it)",
                self.case, self.shrink_steps
            )?;
        }
        Ok(())
    }
}

impl<M: fmt::Debug> std::error::Error for CheckFailure<M> {}
