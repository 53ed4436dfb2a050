//! Decoders that take messages off the front of a `&mut BytesMut` the stream is appended to:
//! the [`Decode`] trait, for functions and types, and for tokio `Decoder`s ([`TokioDecoder`]).
//!
//! [`TokioDecoder`]: crate::testkit::TokioDecoder

use std::fmt;

use bytes::BytesMut;

use super::{feed, step, Decoder, Flow, Log, RunSpec, Shape, Step};

/// A stream decoder: takes messages off the front of a buffer the stream's bytes are appended
/// to. Implemented for every `FnMut(&mut BytesMut) -> Result<Option<T>, E>`, and (feature
/// `tokio`) for any `tokio_util::codec::Decoder` through `TokioDecoder`; a factory of them,
/// `Fn() -> D`, is a [`Decoder`].
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
    /// expects one there (recovery) or it means "incomplete" (`Decoder::incomplete_when`).
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

/// A factory of fresh [`Decode`]rs is a decoder: each run appends the chunks to a `BytesMut`,
/// calls `decode` after each until it returns `Ok(None)`, then `decode_eof` until it does.
impl<N, D> From<N> for Decoder<D::Message>
where
    N: Fn() -> D + 'static,
    D: Decode + 'static,
    D::Message: 'static,
{
    fn from(new_decoder: N) -> Decoder<D::Message> {
        Decoder::new(Buffered(new_decoder))
    }
}

/// The shape of a factory of [`Decode`]rs.
struct Buffered<N>(N);

impl<N, D> Shape<D::Message> for Buffered<N>
where
    N: Fn() -> D,
    D: Decode,
{
    fn name(&self) -> &'static str {
        "decode"
    }

    fn run(&self, spec: &RunSpec<'_>, log: &mut Log<'_, D::Message>) {
        let Some(mut decoder) = log.call(&self.0) else {
            return;
        };
        let leftover = feed(spec.stream, spec.chunks, |buf, at_eof, fed| {
            let before = buf.len();
            let capacity = buf.capacity();
            // What is buffered now stays if the call panics or never returns.
            log.finish(before);
            let Some(result) = log.call(|| {
                if at_eof {
                    decoder.decode_eof(buf)
                } else {
                    decoder.decode(buf)
                }
            }) else {
                return Step::Stop;
            };
            if log.capacity(before, capacity, buf.capacity()) == Flow::Stop {
                return Step::Stop;
            }
            let flow = match result {
                Ok(Some(message)) => log.message(message),
                Ok(None) => Flow::Wait,
                Err(e) => {
                    let consumed = buf.len() < before;
                    log.error(e, consumed)
                }
            };
            if flow == Flow::Wait && !at_eof {
                log.waiting(fed);
            }
            step(flow)
        });
        log.finish(leftover);
    }
}
