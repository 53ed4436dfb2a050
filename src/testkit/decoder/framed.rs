//! tokio `Decoder`s run as production runs them: under `tokio_util::codec::FramedRead`, over a
//! [`Socket`] that returns `Poll::Pending` before each chunk (waking the task, as a socket does
//! when data arrives), polled by the run itself (no runtime).
//!
//! `FramedRead` calls the decoder until it returns `Ok(None)`, then reads. A decoder that says
//! `Ok(None)` while a whole message is buffered (it consumes one chunk per call, say) makes
//! `FramedRead` read again, and over a connection whose peer waits for an answer that read never
//! completes: a hang in production, reported here as a stall
//! ([`Fault::Stalled`](crate::testkit::Fault::Stalled)). A mock that wakes correctly was
//! written for this rather than taken from `tokio-test` (whose `io::Builder` needs a runtime
//! and panics on a read it was not told about) or `partial-io` (whose schedules return
//! `Pending` without a chunk structure): the stall check needs to know which bytes each read
//! delivered.

use std::fmt;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_core::Stream;
use tokio_util::codec::FramedRead;

use super::{Decoder, Flow, Log, RunSpec, Shape};
use crate::testkit::socket::Socket;

/// Counts wake-ups.
pub(crate) struct Wakes(pub(crate) AtomicUsize);

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

struct Framed<N> {
    new_decoder: N,
}

/// A tokio `Decoder`, from a factory of fresh ones, run under `FramedRead` as production runs
/// it, over an `AsyncRead` that returns `Pending` before each chunk and wakes the task (feature
/// `tokio`). A decoder that waits with a whole message buffered stalls there, as it would on a
/// connection whose peer waits for the answer.
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// use lenframe::testkit::{framed, Checker, Truncation};
/// use tokio_util::codec::LinesCodec;
///
/// let encode = |line: &String, dst: &mut BytesMut| {
///     dst.put_slice(line.as_bytes());
///     dst.put_u8(b'\n');
/// };
/// Checker::new(framed(LinesCodec::new), encode, "[a-z ]{0,8}")
///     .truncation(Truncation::AllowRest) // a last line may end with the stream
///     .assert();
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub fn framed<N, D>(new_decoder: N) -> Decoder<D::Item>
where
    N: Fn() -> D + 'static,
    D: tokio_util::codec::Decoder,
    D::Item: 'static,
    D::Error: fmt::Debug + 'static,
{
    Decoder::new(Framed { new_decoder })
}

impl<N, D> Shape<D::Item> for Framed<N>
where
    N: Fn() -> D,
    D: tokio_util::codec::Decoder,
    D::Error: fmt::Debug + 'static,
{
    fn name(&self) -> &'static str {
        "framed"
    }

    fn run(&self, spec: &RunSpec<'_>, log: &mut Log<'_, D::Item>) {
        let reader = Socket::reading(spec.stream, spec.chunks);
        let shared = reader.handle();
        let polls_allowed = 4 * (spec.chunks.len() + log.limit()) + 16;
        let Some(decoder) = log.call(&self.new_decoder) else {
            return;
        };
        let mut frames = FramedRead::new(reader, decoder);
        let wakes = Arc::new(Wakes(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&wakes));
        let mut cx = Context::from_waker(&waker);
        let mut after_error = false;
        for _ in 0..polls_allowed {
            let buffered = frames.read_buffer().len();
            let capacity = frames.read_buffer().capacity();
            let woken = wakes.0.load(Ordering::Relaxed);
            let Some(polled) = log.call(|| Pin::new(&mut frames).poll_next(&mut cx)) else {
                log.finish(buffered);
                return;
            };
            if log.capacity(buffered, capacity, frames.read_buffer().capacity()) == Flow::Stop {
                log.finish(frames.read_buffer().len());
                return;
            }
            let flow = match polled {
                Poll::Ready(Some(Ok(message))) => {
                    after_error = false;
                    log.message(message)
                }
                Poll::Ready(Some(Err(e))) => {
                    after_error = true;
                    // FramedRead stops decoding after an error until polled again: it cannot
                    // repeat one without reading.
                    match log.error(e, true) {
                        // FramedRead ends its stream after any error: waiting is going on.
                        Flow::Wait => Flow::Go,
                        flow => flow,
                    }
                }
                // FramedRead ends the stream once after an error, and reads on when polled
                // again: under recovery, that `None` is not the end.
                Poll::Ready(None) if after_error => {
                    after_error = false;
                    Flow::Go
                }
                Poll::Ready(None) => {
                    log.finish(frames.read_buffer().len());
                    return;
                }
                Poll::Pending => {
                    if wakes.0.load(Ordering::Relaxed) == woken {
                        log.no_progress("returned Pending without arranging to be woken");
                        return;
                    }
                    log.waiting(shared.borrow().pos);
                    Flow::Go
                }
            };
            if flow == Flow::Stop {
                log.finish(frames.read_buffer().len());
                return;
            }
        }
        log.no_progress("neither ended nor returned a message in the polls the run allows");
        log.finish(frames.read_buffer().len());
    }
}
