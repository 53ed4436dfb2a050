//! Readers and writers that behave like a congested or non-blocking socket: short reads, short
//! writes, `Interrupted` and `WouldBlock` errors, on a schedule.
//!
//! Framing code that is right over a `Vec<u8>` can still be wrong over TCP, where a `read`
//! returns whatever has arrived, a `write` takes what fits, and a non-blocking socket says
//! `WouldBlock` when there is nothing to read or no room to write. [`ChunkedReader`] and
//! [`ChunkedWriter`] wrap any reader or writer and replay a schedule of [`IoOp`]s, cycling, so
//! every such cut is reproducible: a property test draws the schedule ([`IoOp::short`],
//! [`IoOp::nonblocking`]) and shrinks it, a fuzz target takes it from its input. (The `partial-io` crate offers the
//! same idea with a schedule that runs out; here the schedule cycles, so `[IoOp::Limit(1)]`
//! means "one byte at a time, for ever".)
//!
//! ```
//! use std::io::{ErrorKind, Read};
//! use lenframe::testkit::{ChunkedReader, IoOp};
//!
//! let schedule = vec![IoOp::Limit(3), IoOp::WouldBlock];
//! let mut reader = ChunkedReader::new(&b"hello"[..], schedule);
//! let mut buf = [0u8; 16];
//! assert_eq!(reader.read(&mut buf)?, 3); // "hel"
//! assert_eq!(reader.read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
//! assert_eq!(reader.read(&mut buf)?, 2); // "lo": the schedule cycles
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, IoSlice, Read, Write};

use proptest::collection::vec;
use proptest::prelude::*;

/// One call of a [`ChunkedReader`]'s or [`ChunkedWriter`]'s schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoOp {
    /// Move at most this many bytes (the inner reader or writer may move fewer). `Limit(0)` is
    /// taken as `Limit(1)`: a read of 0 bytes would fake the end of the stream, a write of 0 a
    /// writer that accepts nothing.
    Limit(usize),
    /// Fail with [`io::ErrorKind::Interrupted`], moving nothing: the caller retries at once.
    Interrupted,
    /// Fail with [`io::ErrorKind::WouldBlock`], moving nothing: a non-blocking socket with
    /// nothing to read or no room to write. The caller retries later.
    WouldBlock,
}

impl IoOp {
    /// Schedules of short reads or writes (1 to `max_move` bytes, often 1) with `Interrupted`
    /// errors among them, 1 to 8 ops: what a congested blocking socket does. They shrink
    /// toward fewer ops of 1 byte.
    ///
    /// ```
    /// use lenframe::testkit::IoOp;
    /// use proptest::strategy::{Strategy, ValueTree};
    /// use proptest::test_runner::TestRunner;
    ///
    /// let mut runner = TestRunner::deterministic();
    /// let schedule = IoOp::short(64).new_tree(&mut runner).unwrap().current();
    /// assert!(schedule.iter().all(|op| matches!(op, IoOp::Limit(1..=64) | IoOp::Interrupted)));
    /// ```
    pub fn short(max_move: usize) -> impl Strategy<Value = Vec<IoOp>> {
        vec(
            prop_oneof![
                6 => moves(max_move),
                1 => Just(IoOp::Interrupted),
            ],
            1..=8,
        )
    }

    /// As [`IoOp::short`], with [`IoOp::WouldBlock`] errors too: what a non-blocking socket
    /// produces. Code under test must retry a `WouldBlock` later (and a test must bound its
    /// retries: each cycle of a schedule moves bytes at least once).
    ///
    /// ```
    /// use std::io::{ErrorKind, Read};
    /// use lenframe::testkit::{ChunkedReader, IoOp};
    /// use proptest::prelude::*;
    ///
    /// proptest!(|(schedule in IoOp::nonblocking(16))| {
    ///     let mut reader = ChunkedReader::new(&b"hello, world"[..], schedule);
    ///     let mut got = Vec::new();
    ///     let mut buf = [0u8; 32];
    ///     // Bounded: a schedule of at most 8 ops moves a byte at least once per cycle.
    ///     for _ in 0..8 * 13 {
    ///         match reader.read(&mut buf) {
    ///             Ok(0) => break,
    ///             Ok(n) => got.extend_from_slice(&buf[..n]),
    ///             Err(e) => prop_assert!(matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted)),
    ///         }
    ///     }
    ///     prop_assert_eq!(&got[..], b"hello, world");
    /// });
    /// ```
    pub fn nonblocking(max_move: usize) -> impl Strategy<Value = Vec<IoOp>> {
        vec(
            prop_oneof![
                6 => moves(max_move),
                1 => Just(IoOp::Interrupted),
                2 => Just(IoOp::WouldBlock),
            ],
            1..=8,
        )
    }
}

fn moves(max_move: usize) -> impl Strategy<Value = IoOp> {
    prop_oneof![Just(1usize), 1..=max_move.max(1)].prop_map(IoOp::Limit)
}

/// The schedule both chunked types follow: the ops cycle; a schedule with no
/// [`IoOp::Limit`] gets `Limit(usize::MAX)` at its end, so every cycle moves bytes and a
/// retrying caller always ends.
#[derive(Clone, Debug)]
struct Schedule {
    ops: Vec<IoOp>,
    next: usize,
}

impl Schedule {
    fn new(mut ops: Vec<IoOp>) -> Schedule {
        if !ops.iter().any(|op| matches!(op, IoOp::Limit(_))) {
            ops.push(IoOp::Limit(usize::MAX));
        }
        Schedule { ops, next: 0 }
    }

    /// This call's op: the most bytes it may move, or its scripted error.
    fn next_call(&mut self, counts: &mut IoCounts) -> io::Result<usize> {
        // `ops` is never empty (see `new`).
        let op = self.ops[self.next];
        self.next = (self.next + 1) % self.ops.len();
        match op {
            IoOp::Limit(n) => {
                counts.moved += 1;
                Ok(n.max(1))
            }
            IoOp::Interrupted => {
                counts.interrupted += 1;
                Err(io::Error::new(
                    io::ErrorKind::Interrupted,
                    "scheduled interrupt",
                ))
            }
            IoOp::WouldBlock => {
                counts.would_block += 1;
                Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "scheduled would-block",
                ))
            }
        }
    }
}

/// What a [`ChunkedReader`] or [`ChunkedWriter`] has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoCounts {
    /// Calls that reached the inner reader or writer (an [`IoOp::Limit`] call).
    pub moved: usize,
    /// `Interrupted` errors returned.
    pub interrupted: usize,
    /// `WouldBlock` errors returned.
    pub would_block: usize,
    /// `flush` calls (writers only; a flush is not scheduled).
    pub flushes: usize,
}

/// A reader that replays a schedule of short reads, `Interrupted` and `WouldBlock` over an
/// inner reader (for bytes in memory, `&[u8]`).
///
/// Each `read` takes the next [`IoOp`] (cycling): [`IoOp::Limit`] reads at most that many bytes
/// from the inner reader, the errors return without reading. An empty schedule reads without a
/// limit. At the inner reader's end, `Limit` calls return `Ok(0)`: the end of the stream.
///
/// ```
/// use std::io::{ErrorKind, Read};
/// use lenframe::testkit::{ChunkedReader, IoOp};
///
/// let schedule = vec![IoOp::Limit(3), IoOp::Limit(1), IoOp::Interrupted];
/// let mut reader = ChunkedReader::new(&b"hellojason"[..], schedule);
/// let mut buf = [0u8; 16];
/// assert_eq!(reader.read(&mut buf)?, 3); // "hel"
/// assert_eq!(reader.read(&mut buf)?, 1); // "l"
/// assert_eq!(reader.read(&mut buf).unwrap_err().kind(), ErrorKind::Interrupted);
/// assert_eq!(reader.read(&mut buf)?, 3); // "oja": the schedule cycles
/// assert_eq!(reader.read(&mut buf)?, 1); // "s"
/// assert_eq!(reader.read(&mut buf).unwrap_err().kind(), ErrorKind::Interrupted);
/// assert_eq!(reader.read(&mut buf)?, 2); // "on", all that is left
/// assert_eq!(reader.read(&mut buf)?, 0); // the end
/// assert_eq!((reader.counts().moved, reader.counts().interrupted), (6, 2));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ChunkedReader<R> {
    inner: R,
    schedule: Schedule,
    counts: IoCounts,
}

impl<R: Read> ChunkedReader<R> {
    /// Reads from `inner` following `schedule` (cycling; empty: no limit).
    pub fn new(inner: R, schedule: Vec<IoOp>) -> Self {
        ChunkedReader {
            inner,
            schedule: Schedule::new(schedule),
            counts: IoCounts::default(),
        }
    }

    /// What this reader has done so far.
    pub fn counts(&self) -> IoCounts {
        self.counts
    }

    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner reader, mutably.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The inner reader.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for ChunkedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let limit = self.schedule.next_call(&mut self.counts)?;
        let n = limit.min(buf.len());
        self.inner.read(&mut buf[..n])
    }
}

/// A writer that replays a schedule of short writes, `Interrupted` and `WouldBlock` over an
/// inner writer (to record what was written, a `Vec<u8>`).
///
/// Each `write` or `write_vectored` takes the next [`IoOp`] (cycling): [`IoOp::Limit`] passes
/// at most that many bytes to the inner writer (spanning the slices of a vectored write), the
/// errors return without writing. An empty schedule writes without a limit. `flush` is not
/// scheduled: it flushes the inner writer.
///
/// ```
/// use std::io::{ErrorKind, IoSlice, Write};
/// use lenframe::testkit::{ChunkedWriter, IoOp};
///
/// let schedule = vec![IoOp::Limit(2), IoOp::Limit(5), IoOp::WouldBlock];
/// let mut writer = ChunkedWriter::new(Vec::new(), schedule);
/// assert_eq!(writer.write(b"hello")?, 2);
/// assert_eq!(writer.write_vectored(&[IoSlice::new(b"llo"), IoSlice::new(b"!!")])?, 5);
/// assert_eq!(writer.write(b"?").unwrap_err().kind(), ErrorKind::WouldBlock);
/// assert_eq!(writer.get_ref(), b"hello!!");
/// assert_eq!((writer.counts().moved, writer.counts().would_block), (2, 1));
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ChunkedWriter<W> {
    inner: W,
    schedule: Schedule,
    counts: IoCounts,
}

impl<W: Write> ChunkedWriter<W> {
    /// Writes to `inner` following `schedule` (cycling; empty: no limit).
    pub fn new(inner: W, schedule: Vec<IoOp>) -> Self {
        ChunkedWriter {
            inner,
            schedule: Schedule::new(schedule),
            counts: IoCounts::default(),
        }
    }

    /// What this writer has done so far.
    pub fn counts(&self) -> IoCounts {
        self.counts
    }

    /// The inner writer (for a `Vec<u8>`: everything written so far).
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The inner writer, mutably.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The inner writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for ChunkedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let limit = self.schedule.next_call(&mut self.counts)?;
        self.inner.write(&buf[..limit.min(buf.len())])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut left = self.schedule.next_call(&mut self.counts)?;
        let mut limited = Vec::with_capacity(bufs.len());
        for buf in bufs {
            if left == 0 {
                break;
            }
            let n = left.min(buf.len());
            limited.push(IoSlice::new(&buf[..n]));
            left -= n;
        }
        self.inner.write_vectored(&limited)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.counts.flushes += 1;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_of_errors_alone_still_moves_bytes_every_cycle() {
        let mut reader = ChunkedReader::new(&b"abc"[..], vec![IoOp::WouldBlock]);
        let mut buf = [0u8; 8];
        assert_eq!(
            reader.read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        assert_eq!(reader.read(&mut buf).unwrap(), 3);
        assert_eq!(
            reader.read(&mut buf).unwrap_err().kind(),
            io::ErrorKind::WouldBlock
        );
        assert_eq!(reader.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn limit_zero_moves_one_byte() {
        let mut writer = ChunkedWriter::new(Vec::new(), vec![IoOp::Limit(0)]);
        assert_eq!(writer.write(b"abc").unwrap(), 1);
        assert_eq!(
            writer
                .write_vectored(&[IoSlice::new(b""), IoSlice::new(b"de")])
                .unwrap(),
            1
        );
        assert_eq!(writer.get_ref(), b"ad");
    }
}
