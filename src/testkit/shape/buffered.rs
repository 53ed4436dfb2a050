//! Decoders that take messages off the front of a `&mut BytesMut` the stream is appended to:
//! the [`Decode`] trait, for functions, for [`Codec`], and for tokio `Decoder`s
//! ([`TokioDecoder`]).

use std::fmt;

use bytes::{Bytes, BytesMut};

use std::panic::{self, AssertUnwindSafe};

use super::{Flow, Log, RunSpec, Subject};
use crate::testkit::feeder::{feed, Step};
use crate::{Codec, DecodeError};

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
    type Error: fmt::Debug + 'static;

    /// The next message, `Ok(None)` when the buffer holds no whole message yet.
    ///
    /// # Errors
    ///
    /// Whatever the decoder reports; the checker counts an error as a failure unless it
    /// expects one there (recovery).
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
    E: fmt::Debug + 'static,
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
/// `decode_eof` are the decoder's own, called directly. To run it under `FramedRead` instead,
/// see [`framed`](crate::testkit::framed).
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// use lenframe::testkit::{Checker, TokioDecoder, Truncation};
/// use tokio_util::codec::LinesCodec;
///
/// let encode = |line: &String, dst: &mut BytesMut| {
///     dst.put_slice(line.as_bytes());
///     dst.put_u8(b'\n');
/// };
/// Checker::new(|| TokioDecoder(LinesCodec::new()), encode, "[a-z ]{0,8}")
///     .truncation(Truncation::AllowRest) // a last line may end with the stream
///     .assert();
/// ```
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
#[derive(Clone, Debug, Default)]
pub struct TokioDecoder<D>(pub D);

#[cfg(feature = "tokio")]
impl<D> Decode for TokioDecoder<D>
where
    D: tokio_util::codec::Decoder,
    D::Error: fmt::Debug + 'static,
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

/// The subject for a factory of [`Decode`]rs: each run appends the chunks to a `BytesMut`,
/// calls `decode` after each until it returns `Ok(None)`, then `decode_eof` until it does.
#[derive(Clone, Copy, Debug)]
pub struct Buffered<N>(pub(crate) N);

impl<N, D> Subject for Buffered<N>
where
    N: Fn() -> D,
    D: Decode,
{
    type Message = D::Message;

    fn run(&self, spec: &RunSpec<'_>, log: &mut Log<'_, D::Message>) {
        let mut decoder = (self.0)();
        run_decoder(&mut decoder, spec, log);
    }
}

/// Feeds `spec`'s chunks to `decoder` through one `BytesMut`, logging everything. One
/// `catch_unwind` for the run, not one per call: a panic ends the run either way, and the
/// bytes left in the buffer are logged before each call.
pub(crate) fn run_decoder<D: Decode>(
    decoder: &mut D,
    spec: &RunSpec<'_>,
    log: &mut Log<'_, D::Message>,
) {
    let run = panic::catch_unwind(AssertUnwindSafe(|| {
        feed(spec.stream, spec.chunks, |buf, at_eof, fed| {
            let before = buf.len();
            let capacity = buf.capacity();
            log.finish(before);
            let result = if at_eof {
                decoder.decode_eof(buf)
            } else {
                decoder.decode(buf)
            };
            log.capacity(before, capacity, buf.capacity());
            let flow = match result {
                Ok(Some(message)) => log.message(message),
                Ok(None) => {
                    if !at_eof {
                        log.waiting(fed);
                    }
                    return Step::More;
                }
                Err(e) => {
                    let consumed = buf.len() < before;
                    log.error(e, consumed)
                }
            };
            match flow {
                Flow::Go => Step::Again,
                Flow::Stop => Step::Stop,
            }
        })
    }));
    match run {
        Ok(leftover) => log.finish(leftover),
        Err(payload) => log.panicked(payload.as_ref()),
    }
}
