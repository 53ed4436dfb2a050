//! The write side: a [`Writer`] under test writes messages to a [`Socket`] that takes short
//! writes, fails with `Interrupted` and `WouldBlock` (or returns `Pending`) as the plan says, and
//! the peer must receive exactly what a peer that takes everything receives.
//!
//! The reference is the same writer run politely: every write taken whole, no error. The
//! messages are written in order, then flushed; a write or flush that would block is called
//! again, as a caller of a non-blocking socket does once it is writable. Nothing may be lost,
//! sent twice or reordered, and the flush must end. This catches a `write` where `write_all` was
//! meant, a buffer reused before it was flushed, an `Interrupted` taken as fatal, and a retry
//! after `WouldBlock` that sends a frame's start again.

use std::fmt;
use std::io;

use crate::testkit::engine::{not_run, Case, Check, Made, Rendered, RunOptions, Verdict};
use crate::testkit::plan::{Draws, Plan};
use crate::testkit::report::{first_difference, Fault, Run};
use crate::testkit::socket::Socket;
use crate::testkit::watch::Watch;

/// Calls of a write or flush that would block (polls of an async one that return `Pending`) in a
/// row, the peer receiving nothing meanwhile, before a run stops a writer that makes no
/// progress.
const RETRIES: usize = 64;

/// A writer under test: what [`Checker::for_writer`](crate::testkit::Checker::for_writer)
/// takes. It is made fresh for each run, from the [`Socket`] it writes to.
///
/// - [`Writer::blocking`]: a `std::io::Write` user (lenframe's `FrameWriter`, a `BufWriter`,
///   your encoder writing to the socket), a write function and a flush function, over a
///   blocking socket: short writes and `Interrupted`;
/// - [`Writer::nonblocking`]: the same over a non-blocking socket: `WouldBlock` too, and the
///   call retried;
/// - `Writer::from_async`: the same for async writers (feature `tokio`): an `AsyncWrite`
///   wrapper (a compressor, a record layer), a `FramedWrite` as a `Sink`.
pub struct Writer<M> {
    subject: Box<dyn Subject<M>>,
}

impl<M> fmt::Debug for Writer<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("kind", &self.subject.name())
            .finish()
    }
}

/// The most bytes a run lets the peer receive, for a stream of `len` bytes: past that, a writer
/// that keeps sending (a retry that sends again each time) is stopped, and the bytes compared.
fn most_received(len: usize) -> usize {
    len.saturating_mul(2).saturating_add(64)
}

/// How one write run went.
pub(crate) struct Written {
    /// What the peer received after each message was written.
    pub(crate) ends: Vec<usize>,
    /// What went wrong, if anything.
    pub(crate) fault: Option<Fault>,
}

/// A writer's shape: writes `messages` to `socket` with a fresh writer, then flushes.
trait Subject<M> {
    fn name(&self) -> &'static str;
    /// Whether the socket says `WouldBlock` (or `Pending`).
    fn would_block(&self) -> bool;
    /// Writes `messages` to `socket`, then flushes; stops once the peer has received more
    /// than `most` bytes.
    fn run(&self, socket: Socket, messages: &[&M], most: usize, watch: &Watch) -> Written;
}

impl<M: 'static> Writer<M> {
    /// A writer over `std::io::Write`, on a blocking socket: `new` makes it from the socket,
    /// `write` writes one message, `flush` flushes. The socket takes short writes and fails
    /// with `Interrupted` as the plan says; an error from `write` or `flush` fails the check,
    /// an `Interrupted` included (`Write` users retry it themselves, as `write_all` does).
    ///
    /// ```
    /// use std::io::{BufWriter, Write};
    /// use lenframe::testkit::{Checker, Writer};
    ///
    /// let writer = Writer::blocking(
    ///     BufWriter::new,
    ///     |w, line: &String| w.write_all(line.as_bytes()),
    ///     BufWriter::flush,
    /// );
    /// Checker::for_writer(writer, "[a-z]{0,40}").assert();
    /// ```
    pub fn blocking<W, N, F, L>(new: N, write: F, flush: L) -> Writer<M>
    where
        N: Fn(Socket) -> W + 'static,
        F: Fn(&mut W, &M) -> io::Result<()> + 'static,
        L: Fn(&mut W) -> io::Result<()> + 'static,
        W: 'static,
    {
        Writer::over_std(new, write, flush, false)
    }

    /// As [`Writer::blocking`], on a non-blocking socket: writes also fail with `WouldBlock` as
    /// the plan says, and a `write` or `flush` that returns `WouldBlock` is called again (with
    /// the same message), as a caller does once the socket is writable. Nothing may be sent
    /// twice: a writer that wrote part of a message before the `WouldBlock` must not write it
    /// again. (`write_all` cannot promise that: it returns the error with part of its buffer
    /// written.)
    ///
    /// ```
    /// use lenframe::io::FrameWriter;
    /// use lenframe::testkit::{Checker, Writer};
    ///
    /// let writer = Writer::nonblocking(
    ///     FrameWriter::new,
    ///     |frames, payload: &Vec<u8>| frames.write_frame(payload),
    ///     FrameWriter::flush,
    /// );
    /// Checker::for_writer(writer, proptest::collection::vec(0u8..=255, 0..200)).assert();
    /// ```
    pub fn nonblocking<W, N, F, L>(new: N, write: F, flush: L) -> Writer<M>
    where
        N: Fn(Socket) -> W + 'static,
        F: Fn(&mut W, &M) -> io::Result<()> + 'static,
        L: Fn(&mut W) -> io::Result<()> + 'static,
        W: 'static,
    {
        Writer::over_std(new, write, flush, true)
    }

    fn over_std<W, N, F, L>(new: N, write: F, flush: L, nonblocking: bool) -> Writer<M>
    where
        N: Fn(Socket) -> W + 'static,
        F: Fn(&mut W, &M) -> io::Result<()> + 'static,
        L: Fn(&mut W) -> io::Result<()> + 'static,
        W: 'static,
    {
        Writer {
            subject: Box::new(Blocking {
                new,
                write,
                flush,
                nonblocking,
            }),
        }
    }
}

impl<M> Writer<M> {
    /// Whether the writer's socket says `WouldBlock` (or `Pending`).
    fn would_block(&self) -> bool {
        self.subject.would_block()
    }
}

struct Blocking<N, F, L> {
    new: N,
    write: F,
    flush: L,
    nonblocking: bool,
}

/// Calls `f` until it does not fail with `WouldBlock`: `None` when it passed, else the fault.
/// It is stopped after [`RETRIES`] calls in a row in which the peer (`received`) got nothing,
/// and once the peer has more than `most` bytes.
fn retried(
    index: usize,
    watch: &Watch,
    received: impl Fn() -> usize,
    most: usize,
    mut f: impl FnMut() -> io::Result<()>,
) -> Option<Fault> {
    let mut idle = 0;
    while idle < RETRIES {
        // Past the most the peer may get: stopped, and the comparison finds the excess.
        if received() > most {
            return None;
        }
        let before = received();
        match watch.call(&mut f) {
            Ok(Ok(())) => return None,
            Ok(Err(e)) if e.kind() == io::ErrorKind::WouldBlock => {
                idle = if received() > before { 0 } else { idle + 1 };
            }
            Ok(Err(e)) => {
                return Some(Fault::WriterFailed {
                    index,
                    error: format!("{e:?}"),
                })
            }
            Err(_panic) => return Some(Fault::Panicked { index }),
        }
    }
    Some(Fault::NoProgress { index })
}

impl<M, W, N, F, L> Subject<M> for Blocking<N, F, L>
where
    N: Fn(Socket) -> W,
    F: Fn(&mut W, &M) -> io::Result<()>,
    L: Fn(&mut W) -> io::Result<()>,
{
    fn name(&self) -> &'static str {
        if self.nonblocking {
            "nonblocking"
        } else {
            "blocking"
        }
    }

    fn would_block(&self) -> bool {
        self.nonblocking
    }

    fn run(&self, socket: Socket, messages: &[&M], most: usize, watch: &Watch) -> Written {
        let shared = socket.handle();
        let mut ends = Vec::with_capacity(messages.len());
        let Ok(mut writer) = watch.call(|| (self.new)(socket)) else {
            return Written {
                ends,
                fault: Some(Fault::Panicked { index: 0 }),
            };
        };
        for (index, message) in messages.iter().enumerate() {
            let received = || shared.borrow().received.len();
            let write = || (self.write)(&mut writer, message);
            if let Some(fault) = retried(index, watch, received, most, write) {
                return Written {
                    ends,
                    fault: Some(fault),
                };
            }
            ends.push(shared.borrow().received.len());
        }
        let received = || shared.borrow().received.len();
        let flush = || (self.flush)(&mut writer);
        let fault = retried(messages.len(), watch, received, most, flush);
        // Bytes the flush wrote belong to the last message.
        if let Some(last) = ends.last_mut() {
            *last = shared.borrow().received.len();
        }
        Written { ends, fault }
    }
}

#[cfg(feature = "tokio")]
mod async_writer {
    use std::fmt;
    use std::future::Future;
    use std::pin::pin;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;
    use std::task::{Context, Poll, Waker};

    use super::{Fault, Socket, Subject, Watch, Writer, Written, RETRIES};
    use crate::testkit::decoder::framed::Wakes;

    impl<M: 'static> Writer<M> {
        /// An async writer (feature `tokio`): `new` makes it from the socket, `write` is an
        /// async closure that writes one message, `flush` one that flushes (or shuts down, for a
        /// writer that must finish its output). The socket returns `Pending` where the plan
        /// says `Interrupted` or `WouldBlock`; the run polls again. An error fails the check.
        ///
        /// ```
        /// use lenframe::testkit::{Checker, Writer};
        /// use tokio::io::{AsyncWriteExt, BufWriter};
        ///
        /// let writer = Writer::from_async(
        ///     BufWriter::new,
        ///     async |w, line: &String| w.write_all(line.as_bytes()).await,
        ///     async |w| w.flush().await,
        /// );
        /// Checker::for_writer(writer, "[a-z]{0,40}").assert();
        /// ```
        pub fn from_async<W, N, F, L, E>(new: N, write: F, flush: L) -> Writer<M>
        where
            N: Fn(Socket) -> W + 'static,
            F: AsyncFn(&mut W, &M) -> Result<(), E> + 'static,
            L: AsyncFn(&mut W) -> Result<(), E> + 'static,
            E: fmt::Debug + 'static,
            W: 'static,
        {
            Writer {
                subject: Box::new(Async { new, write, flush }),
            }
        }
    }

    struct Async<N, F, L> {
        new: N,
        write: F,
        flush: L,
    }

    /// Polls `future` to its end: `None` when it returned `Ok`. It is stopped after
    /// [`RETRIES`] `Pending`s in a row in which the peer (`received`) got nothing.
    fn polled<E: fmt::Debug>(
        index: usize,
        watch: &Watch,
        received: impl Fn() -> usize,
        most: usize,
        future: impl Future<Output = Result<(), E>>,
    ) -> Option<Fault> {
        let wakes = Arc::new(Wakes(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&wakes));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        let mut idle = 0;
        loop {
            let woken = wakes.0.load(std::sync::atomic::Ordering::Relaxed);
            let before = received();
            if before > most {
                return None;
            }
            match watch.call(|| future.as_mut().poll(&mut cx)) {
                Ok(Poll::Ready(Ok(()))) => return None,
                Ok(Poll::Ready(Err(e))) => {
                    return Some(Fault::WriterFailed {
                        index,
                        error: format!("{e:?}"),
                    })
                }
                Ok(Poll::Pending) => {
                    idle = if received() > before { 0 } else { idle + 1 };
                    let stuck = wakes.0.load(std::sync::atomic::Ordering::Relaxed) == woken;
                    if stuck || idle > RETRIES {
                        return Some(Fault::NoProgress { index });
                    }
                }
                Err(_panic) => return Some(Fault::Panicked { index }),
            }
        }
    }

    impl<M, W, N, F, L, E> Subject<M> for Async<N, F, L>
    where
        N: Fn(Socket) -> W,
        F: AsyncFn(&mut W, &M) -> Result<(), E>,
        L: AsyncFn(&mut W) -> Result<(), E>,
        E: fmt::Debug + 'static,
    {
        fn name(&self) -> &'static str {
            "async"
        }

        fn would_block(&self) -> bool {
            true
        }

        fn run(&self, socket: Socket, messages: &[&M], most: usize, watch: &Watch) -> Written {
            let shared = socket.handle();
            let mut ends = Vec::with_capacity(messages.len());
            let Ok(mut writer) = watch.call(|| (self.new)(socket)) else {
                return Written {
                    ends,
                    fault: Some(Fault::Panicked { index: 0 }),
                };
            };
            for (index, message) in messages.iter().enumerate() {
                let received = || shared.borrow().received.len();
                let write = (self.write)(&mut writer, message);
                if let Some(fault) = polled(index, watch, received, most, write) {
                    return Written {
                        ends,
                        fault: Some(fault),
                    };
                }
                ends.push(shared.borrow().received.len());
            }
            let received = || shared.borrow().received.len();
            let flush = (self.flush)(&mut writer);
            let fault = polled(messages.len(), watch, received, most, flush);
            if let Some(last) = ends.last_mut() {
                *last = shared.borrow().received.len();
            }
            Written { ends, fault }
        }
    }
}

/// A writer checked against its own polite run: [`Checker::for_writer`].
///
/// [`Checker::for_writer`]: crate::testkit::Checker::for_writer
pub(crate) struct WriterCheck<M> {
    writer: Writer<M>,
}

impl<M> WriterCheck<M> {
    pub(crate) fn new(writer: Writer<M>) -> WriterCheck<M> {
        WriterCheck { writer }
    }
}

impl<M> Check<M> for WriterCheck<M> {
    fn draws(&self) -> Draws {
        Draws {
            cancels: false,
            would_block: self.writer.would_block(),
        }
    }

    fn stream(&self, messages: &[&M], watch: &Watch) -> Option<Result<Made, Verdict>> {
        watch.run("writing politely");
        let socket = Socket::writing(Vec::new(), 0, 0);
        let shared = socket.handle();
        // A polite peer takes everything at once: the writer's own loop bounds the run.
        let written = self.writer.subject.run(socket, messages, usize::MAX, watch);
        let received = std::mem::take(&mut shared.borrow_mut().received);
        Some(match written.fault {
            None => Ok((received, written.ends)),
            Some(fault) => Err(Verdict {
                run: Run::Encoding,
                fault,
            }),
        })
    }

    fn examine(
        &self,
        case: &Case<'_, M>,
        options: &RunOptions<'_>,
        render: bool,
    ) -> (Option<Verdict>, Option<Rendered>) {
        let plan: &Plan = case.plan;
        let interrupt_every = if options.interrupts {
            plan.interrupt_every
        } else {
            0
        };
        options.watch.run("writing under the plan");
        let would_block_every = if self.writer.would_block() {
            plan.would_block_every
        } else {
            0
        };
        let socket = Socket::writing(
            plan.chunk_lengths(case.wire.len()),
            interrupt_every,
            would_block_every,
        );
        let shared = socket.handle();
        let most = most_received(case.wire.len());
        let written = self
            .writer
            .subject
            .run(socket, case.messages, most, options.watch);
        let received = std::mem::take(&mut shared.borrow_mut().received);
        let fault = written
            .fault
            .or_else(|| first_difference(&received, case.wire).map(|at| Fault::BytesDiffer { at }));
        let verdict = fault.map(|fault| Verdict {
            run: Run::Written,
            fault,
        });
        let rendered = render.then(|| Rendered {
            written: Some(received),
            ..not_run()
        });
        (verdict, rendered)
    }
}

#[cfg(test)]
mod tests {
    use crate::testkit::report::first_difference;

    #[test]
    fn the_first_difference_is_where_bytes_differ_or_one_ends() {
        assert_eq!(first_difference(b"abc", b"abc"), None);
        assert_eq!(first_difference(b"abd", b"abc"), Some(2));
        assert_eq!(first_difference(b"ab", b"abc"), Some(2));
        assert_eq!(first_difference(b"abcd", b"abc"), Some(3));
    }
}
