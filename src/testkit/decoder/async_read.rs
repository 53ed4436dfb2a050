//! Async decoders that read from a [`Socket`] themselves: a read loop's "next message" function
//! ([`async_reader`]), a `Stream` of messages ([`stream`]), and two streams with a handoff
//! between them ([`handoff`]). Each run polls them itself (no runtime) over a socket that
//! returns `Pending` before each chunk.
//!
//! An async read can be cancelled: `tokio::select!` and `tokio::time::timeout` drop the read
//! that loses, wherever it was. A read built on `read_exact` (or `read_line` into a local)
//! keeps the bytes it has read in the future being dropped, and they are gone: the stream is out
//! of step from there on. The chunked runs of an [`async_reader`] drop the read at the `Pending`
//! the plan names ([`Plan::cancel_at`]) and call it again, as a losing branch does; the
//! messages must be the same. tokio documents which of its reads are cancel safe; this checks a
//! user's own.
//!
//! [`Plan::cancel_at`]: crate::testkit::Plan::cancel_at

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_core::Stream;

use super::framed::Wakes;
use super::{Decoder, Flow, Log, RunSpec, Shape};
use crate::testkit::socket::{Shared, Socket};

/// Polls allowed per chunk and per message, before a run stops a decoder that neither ends
/// nor returns.
const POLLS_PER_STEP: usize = 4;

/// What a run's polls share: the waker, its count of wake-ups, the socket's state, the polls
/// left.
struct Poller {
    wakes: Arc<Wakes>,
    waker: Waker,
    shared: Rc<RefCell<Shared>>,
    polls_left: usize,
}

/// What one poll found.
enum Polled<R> {
    Ready(R),
    /// `Pending`; `true` when the socket returned it (a `Pending` the plan can cancel at).
    Pending(bool),
    /// The run is over (a panic, no progress): the log says why.
    Stop,
}

impl Poller {
    fn new(socket: &Socket, chunks: usize, limit: usize) -> Poller {
        let wakes = Arc::new(Wakes(AtomicUsize::new(0)));
        Poller {
            waker: Waker::from(Arc::clone(&wakes)),
            wakes,
            shared: socket.handle(),
            polls_left: POLLS_PER_STEP * (chunks + limit) + 16,
        }
    }

    fn delivered(&self) -> usize {
        self.shared.borrow().pos
    }

    /// Polls once with `poll`, telling `log` of a wait or a panic.
    fn poll<T, R>(
        &mut self,
        log: &mut Log<'_, T>,
        poll: impl FnOnce(&mut Context<'_>) -> Poll<R>,
    ) -> Polled<R> {
        if self.polls_left == 0 {
            log.no_progress("neither ended nor returned a message in the polls the run allows");
            return Polled::Stop;
        }
        self.polls_left -= 1;
        let woken = self.wakes.0.load(Ordering::Relaxed);
        let pendings = self.shared.borrow().pendings;
        let mut cx = Context::from_waker(&self.waker);
        match log.call(|| poll(&mut cx)) {
            None => Polled::Stop,
            Some(Poll::Ready(r)) => Polled::Ready(r),
            Some(Poll::Pending) => {
                if self.wakes.0.load(Ordering::Relaxed) == woken {
                    log.no_progress("returned Pending without arranging to be woken");
                    return Polled::Stop;
                }
                log.waiting(self.delivered());
                Polled::Pending(self.shared.borrow().pendings > pendings)
            }
        }
    }

    /// The socket's `Pending`s so far.
    fn pendings(&self) -> usize {
        self.shared.borrow().pendings
    }
}

/// An async read loop: `new_reader` takes the [`Socket`] and returns its "next message"
/// function, an async closure that reads one message and returns it, or `Ok(None)` at the end
/// of the stream (feature `tokio`). The closure owns what must outlive one read: the socket, a
/// `BufReader` over it, a buffer of bytes read ahead.
///
/// In the chunked runs, the read is dropped at the `Pending` the plan names
/// ([`Plan::cancel_at`](crate::testkit::Plan::cancel_at)) and called again, as a branch of
/// `tokio::select!` that loses is dropped: a read that keeps what it has read in the future (a
/// `read_exact` into a local array, a `read_line` into a local `String`) loses it. Keep a
/// partial message in the closure's state, or use reads tokio documents as cancel safe.
///
/// ```
/// use bytes::BytesMut;
/// use lenframe::testkit::{async_reader, Checker};
/// use lenframe::Codec;
/// use tokio::io::AsyncReadExt;
/// # use proptest::strategy::Strategy;
///
/// // Cancel safe: the bytes read stay in `buf`, which outlives each read.
/// let decoder = async_reader(|mut socket| {
///     let (mut codec, mut buf) = (Codec::new(), BytesMut::new());
///     async move || loop {
///         if let Some(frame) = codec.decode(&mut buf)? {
///             return Ok(Some(frame));
///         }
///         if socket.read_buf(&mut buf).await? == 0 {
///             return codec.decode_eof(&mut buf).map_err(std::io::Error::from);
///         }
///     }
/// });
/// let encode = |frame: &bytes::Bytes, dst: &mut BytesMut| Codec::new().encode(frame, dst).unwrap();
/// let frame = proptest::collection::vec(0u8..=255, 0..40).prop_map(bytes::Bytes::from);
/// Checker::new(decoder, encode, frame).assert();
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub fn async_reader<N, F, T, E>(new_reader: N) -> Decoder<T>
where
    N: Fn(Socket) -> F + 'static,
    F: AsyncFnMut() -> Result<Option<T>, E>,
    E: fmt::Debug + 'static,
    T: 'static,
{
    Decoder::new(AsyncReader(new_reader))
}

struct AsyncReader<N>(N);

impl<N, F, T, E> Shape<T> for AsyncReader<N>
where
    N: Fn(Socket) -> F,
    F: AsyncFnMut() -> Result<Option<T>, E>,
    E: fmt::Debug + 'static,
{
    fn name(&self) -> &'static str {
        "async_reader"
    }

    fn cancellable(&self) -> bool {
        true
    }

    fn run(&self, spec: &RunSpec<'_>, log: &mut Log<'_, T>) {
        let socket = Socket::reading(spec.stream, spec.chunks);
        let mut poller = Poller::new(&socket, spec.chunks.len(), log.limit());
        let Some(mut read) = log.call(|| (self.0)(socket)) else {
            return;
        };
        'calls: loop {
            let before = poller.delivered();
            let result = {
                let mut future = pin!(read());
                loop {
                    match poller.poll(log, |cx| future.as_mut().poll(cx)) {
                        Polled::Ready(result) => break result,
                        Polled::Pending(true) if spec.cancel_at == Some(poller.pendings() - 1) => {
                            // Dropped where it waits, as a losing `select!` branch is; the
                            // next call starts afresh.
                            continue 'calls;
                        }
                        Polled::Pending(_) => {}
                        Polled::Stop => break 'calls,
                    }
                }
            };
            let flow = match result {
                Ok(Some(message)) => log.message(message),
                Ok(None) => break,
                Err(e) => log.error(e, poller.delivered() > before),
            };
            if flow == Flow::Stop {
                break;
            }
        }
        log.finish(spec.stream.len() - poller.delivered());
    }
}

/// A `Stream` of messages over the [`Socket`], from a factory given the socket: a
/// `FramedRead` with a codec of its own, a stream built with `futures::stream::unfold`, a
/// `LinesStream` (feature `tokio`). An error item does not end the stream; `None` does.
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// use lenframe::testkit::{stream, Checker, Truncation};
/// use tokio_util::codec::{FramedRead, LinesCodec};
///
/// let decoder = stream(|socket| FramedRead::new(socket, LinesCodec::new()));
/// let encode = |line: &String, dst: &mut BytesMut| {
///     dst.put_slice(line.as_bytes());
///     dst.put_u8(b'\n');
/// };
/// Checker::new(decoder, encode, "[a-z]{0,8}").truncation(Truncation::AllowRest).assert();
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub fn stream<N, S, T, E>(new_stream: N) -> Decoder<T>
where
    N: Fn(Socket) -> S + 'static,
    S: Stream<Item = Result<T, E>>,
    E: fmt::Debug + 'static,
    T: 'static,
{
    Decoder::new(StreamShape(new_stream))
}

struct StreamShape<N>(N);

impl<N, S, T, E> Shape<T> for StreamShape<N>
where
    N: Fn(Socket) -> S,
    S: Stream<Item = Result<T, E>>,
    E: fmt::Debug + 'static,
{
    fn name(&self) -> &'static str {
        "stream"
    }

    fn run(&self, spec: &RunSpec<'_>, log: &mut Log<'_, T>) {
        let socket = Socket::reading(spec.stream, spec.chunks);
        let mut poller = Poller::new(&socket, spec.chunks.len(), log.limit());
        let Some(stream) = log.call(|| (self.0)(socket)) else {
            return;
        };
        let mut stream = pin!(stream);
        drive(&mut stream, &mut poller, log, |_| false);
        log.finish(spec.stream.len() - poller.delivered());
    }
}

/// How [`drive`] ended.
#[derive(PartialEq, Eq)]
enum Driven {
    /// The stream ended, or the run stopped.
    Over,
    /// The message just logged is the one to hand off after.
    Switch,
}

/// Polls `stream` to its end (or until `switch` is true of a message it returned), logging.
fn drive<S, T, E>(
    stream: &mut Pin<&mut S>,
    poller: &mut Poller,
    log: &mut Log<'_, T>,
    switch: impl Fn(&T) -> bool,
) -> Driven
where
    S: Stream<Item = Result<T, E>> + ?Sized,
    E: fmt::Debug + 'static,
{
    loop {
        let before = poller.delivered();
        let item = match poller.poll(log, |cx| stream.as_mut().poll_next(cx)) {
            Polled::Ready(item) => item,
            Polled::Pending(_) => continue,
            Polled::Stop => return Driven::Over,
        };
        let flow = match item {
            Some(Ok(message)) => {
                let switched = log.call(|| switch(&message));
                let Some(switched) = switched else {
                    return Driven::Over;
                };
                let flow = log.message(message);
                if switched && flow != Flow::Stop {
                    return Driven::Switch;
                }
                flow
            }
            Some(Err(e)) => match log.error(e, poller.delivered() > before) {
                // A stream goes on after an error item, reading if it needs to.
                Flow::Wait => Flow::Go,
                flow => flow,
            },
            None => return Driven::Over,
        };
        if flow == Flow::Stop {
            return Driven::Over;
        }
    }
}

/// A protocol that changes decoders mid-stream (after a handshake, an upgrade, `STARTTLS`):
/// `first` makes the first stream over the [`Socket`]; after it returns a message for which
/// `switch_after` is true, `then` turns it into the second, which decodes the rest (feature
/// `tokio`). Bytes the first stream read ahead belong to the second: a `then` that drops them
/// (builds a new `FramedRead` over `into_inner()`, losing its read buffer) loses messages,
/// wherever the stream's cuts put that read-ahead.
///
/// Both streams return the same message type; give codecs of different item types a common
/// enum. tokio-util's `FramedRead::map_decoder` keeps the read buffer:
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// use lenframe::testkit::{handoff, Checker, Truncation};
/// use tokio_util::codec::{FramedRead, LinesCodec};
/// # use proptest::prelude::*;
///
/// // Lines up to "upgrade", then lines of at most 16 bytes.
/// let decoder = handoff(
///     |socket| FramedRead::new(socket, LinesCodec::new()),
///     |line: &String| line == "upgrade",
///     |first| first.map_decoder(|_| LinesCodec::new_with_max_length(16)),
/// );
/// let encode = |line: &String, dst: &mut BytesMut| {
///     dst.put_slice(line.as_bytes());
///     dst.put_u8(b'\n');
/// };
/// let lines = (proptest::collection::vec("[a-z]{1,8}", 0..3), proptest::collection::vec("[a-z]{1,8}", 0..3))
///     .prop_map(|(before, after)| {
///         before.into_iter().chain(["upgrade".to_owned()]).chain(after).collect()
///     });
/// Checker::with_lists(decoder, encode, lines).truncation(Truncation::AllowRest).assert();
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub fn handoff<N, S1, P, G, S2, T, E1, E2>(first: N, switch_after: P, then: G) -> Decoder<T>
where
    N: Fn(Socket) -> S1 + 'static,
    S1: Stream<Item = Result<T, E1>> + Unpin,
    P: Fn(&T) -> bool + 'static,
    G: Fn(S1) -> S2 + 'static,
    S2: Stream<Item = Result<T, E2>> + Unpin,
    E1: fmt::Debug + 'static,
    E2: fmt::Debug + 'static,
    T: 'static,
{
    Decoder::new(Handoff {
        first,
        switch_after,
        then,
    })
}

struct Handoff<N, P, G> {
    first: N,
    switch_after: P,
    then: G,
}

impl<N, S1, P, G, S2, T, E1, E2> Shape<T> for Handoff<N, P, G>
where
    N: Fn(Socket) -> S1,
    S1: Stream<Item = Result<T, E1>> + Unpin,
    P: Fn(&T) -> bool,
    G: Fn(S1) -> S2,
    S2: Stream<Item = Result<T, E2>> + Unpin,
    E1: fmt::Debug + 'static,
    E2: fmt::Debug + 'static,
{
    fn name(&self) -> &'static str {
        "handoff"
    }

    fn run(&self, spec: &RunSpec<'_>, log: &mut Log<'_, T>) {
        let socket = Socket::reading(spec.stream, spec.chunks);
        let mut poller = Poller::new(&socket, spec.chunks.len(), log.limit());
        let Some(mut first) = log.call(|| (self.first)(socket)) else {
            return;
        };
        let driven = drive(
            &mut Pin::new(&mut first),
            &mut poller,
            log,
            &self.switch_after,
        );
        if driven == Driven::Switch {
            if let Some(mut second) = log.call(|| (self.then)(first)) {
                drive(&mut Pin::new(&mut second), &mut poller, log, |_| false);
            }
        }
        log.finish(spec.stream.len() - poller.delivered());
    }
}
