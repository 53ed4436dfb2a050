//! [`Socket`]: the harness's end of a connection, which an async reader reads the stream from
//! and a writer writes its bytes to, each under the case's plan.

use std::cell::RefCell;
use std::fmt;
use std::io::{self, Write};
use std::rc::Rc;

/// The harness's end of a connection, as a subject under test sees it: what `async_reader`,
/// `stream` and `handoff` decoders read from (feature `tokio`), and what a
/// [`Writer`](crate::testkit::Writer) writes to.
///
/// - Read side (`tokio::io::AsyncRead`, feature `tokio`): the stream in the case's chunks.
///   Before each chunk, and before the end, a read returns `Pending` once, having woken the
///   task, as a socket does before data arrives; then the chunk, in as many reads as the
///   caller's buffer needs; then the end (a read of nothing).
/// - Write side (`std::io::Write`, and `tokio::io::AsyncWrite` with feature `tokio`): each write
///   takes at most the plan's next chunk length (then as much as it is given), and before every
///   k-th write fails with `Interrupted` or `WouldBlock` as the plan says (async writes return
///   `Pending`, having woken the task, for both). What it takes is what the peer receives.
///   `flush` and `shutdown` always succeed.
///
/// The harness makes sockets; a test names the type only in its own helpers.
pub struct Socket {
    pub(crate) shared: Rc<RefCell<Shared>>,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = self.shared.borrow();
        f.debug_struct("Socket")
            .field("delivered", &shared.pos)
            .field("received", &shared.received.len())
            .finish_non_exhaustive()
    }
}

/// What a socket and the run that made it share. (Without feature `tokio`, nothing reads from
/// a socket: only writers use it.)
#[derive(Debug, Default)]
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
pub(crate) struct Shared {
    // The read side.
    data: Vec<u8>,
    /// Stream bytes delivered so far.
    pub(crate) pos: usize,
    chunks: Vec<usize>,
    next_chunk: usize,
    chunk_left: usize,
    pending_due: bool,
    /// `Pending`s returned by reads so far.
    pub(crate) pendings: usize,
    // The write side.
    /// What the peer received.
    pub(crate) received: Vec<u8>,
    limits: Vec<usize>,
    next_limit: usize,
    /// Write calls so far (errors included).
    writes: usize,
    interrupt_every: usize,
    would_block_every: usize,
}

/// What a write call does under the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WriteOp {
    /// Take at most this many bytes.
    Take(usize),
    Interrupted,
    WouldBlock,
}

#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
impl Shared {
    /// The next write's op, counting the call.
    pub(crate) fn next_write(&mut self) -> WriteOp {
        self.writes += 1;
        let every = |k: usize| k >= 2 && self.writes.is_multiple_of(k);
        if every(self.interrupt_every) {
            return WriteOp::Interrupted;
        }
        if every(self.would_block_every) {
            return WriteOp::WouldBlock;
        }
        let limit = self.limits.get(self.next_limit).copied();
        self.next_limit += 1;
        WriteOp::Take(limit.map_or(usize::MAX, |n| n.max(1)))
    }

    /// Takes what `op` allows of `buf`.
    pub(crate) fn take(&mut self, limit: usize, buf: &[u8]) -> usize {
        let n = limit.min(buf.len());
        self.received.extend_from_slice(&buf[..n]);
        n
    }

    /// The read side's next step: `None` for `Pending` (counted), else the bytes the read may
    /// return (0: the end).
    pub(crate) fn next_read(&mut self, room: usize) -> Option<&[u8]> {
        if self.chunk_left == 0 {
            if self.pending_due {
                self.pending_due = false;
                self.pendings += 1;
                return None;
            }
            if self.next_chunk == self.chunks.len() {
                return Some(&[]);
            }
            self.chunk_left = self.chunks[self.next_chunk];
            self.next_chunk += 1;
            self.pending_due = true;
        }
        let n = room.min(self.chunk_left);
        let start = self.pos;
        self.pos += n;
        self.chunk_left -= n;
        Some(&self.data[start..start + n])
    }
}

#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
impl Socket {
    /// A socket whose read side delivers `data` in `chunks` (covering it; none: one chunk),
    /// `Pending` before each and before the end. Its write side takes anything.
    pub(crate) fn reading(data: &[u8], chunks: &[usize]) -> Socket {
        let chunks = if chunks.is_empty() && !data.is_empty() {
            vec![data.len()]
        } else {
            chunks.to_vec()
        };
        Socket::new(Shared {
            data: data.to_vec(),
            chunks,
            pending_due: true,
            ..Shared::default()
        })
    }

    /// A socket whose write side takes at most `limits[i]` bytes in its i-th write that moves
    /// bytes (then any), with `Interrupted` before every `interrupt_every`-th write and
    /// `WouldBlock` before every `would_block_every`-th (0 and 1: never). Its read side is at
    /// its end.
    pub(crate) fn writing(
        limits: Vec<usize>,
        interrupt_every: usize,
        would_block_every: usize,
    ) -> Socket {
        Socket::new(Shared {
            limits,
            interrupt_every,
            would_block_every,
            ..Shared::default()
        })
    }

    fn new(shared: Shared) -> Socket {
        Socket {
            shared: Rc::new(RefCell::new(shared)),
        }
    }

    /// Another handle on the same state, for the run.
    pub(crate) fn handle(&self) -> Rc<RefCell<Shared>> {
        Rc::clone(&self.shared)
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut shared = self.shared.borrow_mut();
        match shared.next_write() {
            WriteOp::Take(limit) => Ok(shared.take(limit, buf)),
            WriteOp::Interrupted => Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "scheduled interrupt",
            )),
            WriteOp::WouldBlock => Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "scheduled would-block",
            )),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(feature = "tokio")]
mod tokio_io {
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    use super::{Socket, WriteOp};

    impl AsyncRead for Socket {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let mut shared = self.shared.borrow_mut();
            match shared.next_read(buf.remaining()) {
                None => {
                    // The next chunk (or the end) comes as soon as the task is polled again.
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
                Some(bytes) => {
                    buf.put_slice(bytes);
                    Poll::Ready(Ok(()))
                }
            }
        }
    }

    impl AsyncWrite for Socket {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let mut shared = self.shared.borrow_mut();
            match shared.next_write() {
                WriteOp::Take(limit) => Poll::Ready(Ok(shared.take(limit, buf))),
                // An async writer has no `Interrupted`: both wait, the socket waking the task.
                WriteOp::Interrupted | WriteOp::WouldBlock => {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            }
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_follow_the_limits_then_take_anything() {
        let mut socket = Socket::writing(vec![2, 1], 0, 0);
        assert_eq!(socket.write(b"hello").unwrap(), 2);
        assert_eq!(socket.write(b"llo").unwrap(), 1);
        assert_eq!(socket.write(b"lo, world").unwrap(), 9);
        assert_eq!(socket.shared.borrow().received, b"hello, world");
    }

    #[test]
    fn scheduled_errors_take_nothing() {
        let mut socket = Socket::writing(vec![], 3, 2);
        let kinds: Vec<_> = (0..6)
            .map(|_| socket.write(b"a").map_err(|e| e.kind()))
            .collect();
        use io::ErrorKind::{Interrupted, WouldBlock};
        assert_eq!(
            kinds,
            [
                Ok(1),
                Err(WouldBlock),
                Err(Interrupted),
                Err(WouldBlock),
                Ok(1),
                Err(Interrupted)
            ]
        );
        assert_eq!(socket.shared.borrow().received, b"aa");
    }

    #[test]
    fn reads_are_pending_before_each_chunk_and_the_end() {
        let socket = Socket::reading(b"abcdef", &[2, 4]);
        let mut shared = socket.shared.borrow_mut();
        let mut seen = Vec::new();
        for _ in 0..10 {
            match shared.next_read(16) {
                None => seen.push("pending".to_owned()),
                Some([]) => {
                    seen.push("end".to_owned());
                    break;
                }
                Some(bytes) => seen.push(String::from_utf8(bytes.to_vec()).unwrap()),
            }
        }
        assert_eq!(seen, ["pending", "ab", "pending", "cdef", "pending", "end"]);
        assert_eq!((shared.pendings, shared.pos), (3, 6));
    }
}
