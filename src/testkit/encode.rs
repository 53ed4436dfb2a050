//! Encoders: how the checker turns generated messages into the stream it cuts. Any
//! `FnMut(&M, &mut BytesMut)` is one; the adapters here take the other shapes encoders come in:
//! fallible ([`fallible`]), by value ([`by_value`], and `TokioEncoder` with feature `tokio`),
//! drawing random numbers ([`randomized`]) and keeping state across the messages of a stream
//! ([`stateful`]).
//!
//! A failing encoder is a message the protocol cannot carry, not a decoder bug: the checker
//! skips that case (as proptest does for a rejected value) and draws another.

use std::fmt;
use std::marker::PhantomData;

use bytes::BytesMut;
use proptest::test_runner::{RngAlgorithm, TestRng};

/// What an encoder gets beside the message: random numbers drawn from the case's seed, the same
/// on every run of the case (under proptest and under a fuzzer alike).
#[derive(Debug)]
pub struct EncodeContext {
    rng: TestRng,
}

impl EncodeContext {
    /// A context whose random numbers come from `seed`.
    #[must_use]
    pub fn new(seed: u64) -> EncodeContext {
        let mut key = [0u8; 32];
        let mut state = seed;
        for chunk in key.chunks_mut(8) {
            chunk.copy_from_slice(&crate::testkit::case::splitmix(&mut state).to_le_bytes());
        }
        EncodeContext {
            rng: TestRng::from_seed(RngAlgorithm::ChaCha, &key),
        }
    }

    /// The random source; its methods (`next_u32`, `fill_bytes`, `random`, ...) come with
    /// `proptest::prelude::Rng` in scope.
    pub fn rng(&mut self) -> &mut TestRng {
        &mut self.rng
    }
}

/// An encoder of messages of type `M`, for the checker.
///
/// Implemented by every `FnMut(&M, &mut BytesMut)` (an encoder that cannot fail), and by the
/// adapters of this module.
pub trait Encode<M> {
    /// Called before the first message of each stream: an encoder with state starts afresh.
    fn start(&mut self) {}

    /// Appends `message` to `dst`.
    ///
    /// # Errors
    ///
    /// The encoder's error, shown with `Debug`: the case is skipped.
    fn encode(
        &mut self,
        message: &M,
        dst: &mut BytesMut,
        cx: &mut EncodeContext,
    ) -> Result<(), String>;
}

impl<M, F> Encode<M> for F
where
    F: FnMut(&M, &mut BytesMut),
{
    fn encode(
        &mut self,
        message: &M,
        dst: &mut BytesMut,
        _: &mut EncodeContext,
    ) -> Result<(), String> {
        self(message, dst);
        Ok(())
    }
}

fn shown<E: fmt::Debug>(result: Result<(), E>) -> Result<(), String> {
    result.map_err(|e| format!("{e:?}"))
}

/// An encoder that can fail: `Err` means the protocol cannot carry the message, and the case is
/// skipped. See [`fallible`].
pub struct Fallible<F, M>(F, PhantomData<fn(&M)>);

/// An encoder that can fail, from `FnMut(&M, &mut BytesMut) -> Result<(), E>`.
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// use lenframe::testkit::{fallible, Checker};
///
/// // A one-byte length: longer messages cannot be sent.
/// let encode = fallible(|msg: &Vec<u8>, dst: &mut BytesMut| {
///     dst.put_u8(u8::try_from(msg.len())?);
///     dst.put_slice(msg);
///     Ok::<(), std::num::TryFromIntError>(())
/// });
/// let decode = |buf: &mut BytesMut| -> Result<Option<Vec<u8>>, ()> {
///     match buf.first() {
///         Some(&n) if buf.len() > usize::from(n) => Ok(Some(buf.split_to(1 + usize::from(n))[1..].to_vec())),
///         _ => Ok(None),
///     }
/// };
/// let message = proptest::collection::vec(0u8..=255, 0..300);
/// Checker::new(move || decode, encode, message).assert();
/// ```
pub fn fallible<M, E, F>(encode: F) -> Fallible<F, M>
where
    F: FnMut(&M, &mut BytesMut) -> Result<(), E>,
    E: fmt::Debug,
{
    Fallible(encode, PhantomData)
}

impl<M, E, F> Encode<M> for Fallible<F, M>
where
    F: FnMut(&M, &mut BytesMut) -> Result<(), E>,
    E: fmt::Debug,
{
    fn encode(
        &mut self,
        message: &M,
        dst: &mut BytesMut,
        _: &mut EncodeContext,
    ) -> Result<(), String> {
        shown((self.0)(message, dst))
    }
}

/// An encoder that takes its messages by value. See [`by_value`].
pub struct ByValue<F, M>(F, PhantomData<fn(M)>);

/// An encoder that takes each message by value (a clone of the generated one), as
/// tokio-util's and asynchronous-codec's encoders do: `FnMut(M, &mut BytesMut) -> Result<(), E>`.
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// use lenframe::testkit::{by_value, Checker};
///
/// let encode = by_value(|line: String, dst: &mut BytesMut| {
///     dst.put_slice(line.as_bytes());
///     dst.put_u8(b'\n');
///     Ok::<(), std::convert::Infallible>(())
/// });
/// let decode = |buf: &mut BytesMut| -> Result<Option<String>, std::string::FromUtf8Error> {
///     let Some(end) = buf.iter().position(|&b| b == b'\n') else { return Ok(None) };
///     String::from_utf8(buf.split_to(end + 1)[..end].to_vec()).map(Some)
/// };
/// Checker::new(move || decode, encode, "[a-z]{0,6}").assert();
/// ```
pub fn by_value<M, E, F>(encode: F) -> ByValue<F, M>
where
    M: Clone,
    F: FnMut(M, &mut BytesMut) -> Result<(), E>,
    E: fmt::Debug,
{
    ByValue(encode, PhantomData)
}

impl<M, E, F> Encode<M> for ByValue<F, M>
where
    M: Clone,
    F: FnMut(M, &mut BytesMut) -> Result<(), E>,
    E: fmt::Debug,
{
    fn encode(
        &mut self,
        message: &M,
        dst: &mut BytesMut,
        _: &mut EncodeContext,
    ) -> Result<(), String> {
        shown((self.0)(message.clone(), dst))
    }
}

/// An encoder that draws random numbers. See [`randomized`].
pub struct Randomized<F, M>(F, PhantomData<fn(&M)>);

/// An encoder that draws random numbers (a WebSocket client's masks, random padding), from a
/// source the checker seeds for each case, so a failure replays exactly:
/// `FnMut(&M, &mut BytesMut, &mut TestRng) -> Result<(), E>`.
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// use lenframe::testkit::{randomized, Checker};
/// use proptest::prelude::Rng;
///
/// // Each message masked with a random byte, sent before it.
/// let encode = randomized(|msg: &Vec<u8>, dst: &mut BytesMut, rng: &mut proptest::test_runner::TestRng| {
///     let mask = rng.next_u32() as u8;
///     dst.put_u8(u8::try_from(msg.len()).unwrap());
///     dst.put_u8(mask);
///     dst.extend(msg.iter().map(|b| b ^ mask));
///     Ok::<(), std::convert::Infallible>(())
/// });
/// let decode = |buf: &mut BytesMut| -> Result<Option<Vec<u8>>, ()> {
///     match buf.first() {
///         Some(&n) if buf.len() >= 2 + usize::from(n) => {
///             let frame = buf.split_to(2 + usize::from(n));
///             Ok(Some(frame[2..].iter().map(|b| b ^ frame[1]).collect()))
///         }
///         _ => Ok(None),
///     }
/// };
/// Checker::new(move || decode, encode, proptest::collection::vec(0u8..=255, 0..20)).assert();
/// ```
pub fn randomized<M, E, F>(encode: F) -> Randomized<F, M>
where
    F: FnMut(&M, &mut BytesMut, &mut TestRng) -> Result<(), E>,
    E: fmt::Debug,
{
    Randomized(encode, PhantomData)
}

impl<M, E, F> Encode<M> for Randomized<F, M>
where
    F: FnMut(&M, &mut BytesMut, &mut TestRng) -> Result<(), E>,
    E: fmt::Debug,
{
    fn encode(
        &mut self,
        message: &M,
        dst: &mut BytesMut,
        cx: &mut EncodeContext,
    ) -> Result<(), String> {
        shown((self.0)(message, dst, cx.rng()))
    }
}

/// An encoder with state that lasts one stream. See [`stateful`].
pub struct Stateful<N, E> {
    new_encoder: N,
    current: Option<E>,
}

/// An encoder with state across the messages of a stream (sequence numbers, a compression
/// table): a fresh one from `new_encoder` for each stream, so every case starts the same way.
///
/// ```
/// use bytes::{Buf, BufMut, BytesMut};
/// use lenframe::testkit::{stateful, Checker};
///
/// // Each message carries its sequence number; the decoder checks them.
/// let encode = stateful(|| {
///     let mut seq = 0u8;
///     move |msg: &u8, dst: &mut BytesMut| {
///         dst.put_slice(&[seq, *msg]);
///         seq = seq.wrapping_add(1);
///     }
/// });
/// let new_decoder = || {
///     let mut seq = 0u8;
///     move |buf: &mut BytesMut| -> Result<Option<u8>, String> {
///         if buf.len() < 2 {
///             return Ok(None);
///         }
///         let (got, msg) = (buf.get_u8(), buf.get_u8());
///         if got != seq {
///             return Err(format!("sequence {got}, expected {seq}"));
///         }
///         seq = seq.wrapping_add(1);
///         Ok(Some(msg))
///     }
/// };
/// Checker::new(new_decoder, encode, proptest::num::u8::ANY).assert();
/// ```
pub fn stateful<M, N, E>(new_encoder: N) -> Stateful<N, E>
where
    N: FnMut() -> E,
    E: Encode<M>,
{
    Stateful {
        new_encoder,
        current: None,
    }
}

impl<M, N, E> Encode<M> for Stateful<N, E>
where
    N: FnMut() -> E,
    E: Encode<M>,
{
    fn start(&mut self) {
        let mut encoder = (self.new_encoder)();
        encoder.start();
        self.current = Some(encoder);
    }

    fn encode(
        &mut self,
        message: &M,
        dst: &mut BytesMut,
        cx: &mut EncodeContext,
    ) -> Result<(), String> {
        let encoder = self.current.get_or_insert_with(&mut self.new_encoder);
        encoder.encode(message, dst, cx)
    }
}

/// Any `tokio_util::codec::Encoder<M>` as an [`Encode`] (feature `tokio`): each message is
/// encoded by value, a clone of the generated one.
///
/// ```
/// use lenframe::testkit::{Checker, TokioDecoder, TokioEncoder, Truncation};
/// use tokio_util::codec::LinesCodec;
///
/// let (decoder, encoder) = (|| TokioDecoder(LinesCodec::new()), TokioEncoder(LinesCodec::new()));
/// Checker::new(decoder, encoder, "[a-z ]{0,8}")
///     .truncation(Truncation::AllowRest) // a last line may end with the stream
///     .assert();
/// ```
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
#[derive(Clone, Debug, Default)]
pub struct TokioEncoder<E>(pub E);

#[cfg(feature = "tokio")]
impl<M, E> Encode<M> for TokioEncoder<E>
where
    M: Clone,
    E: tokio_util::codec::Encoder<M>,
    E::Error: fmt::Debug,
{
    fn encode(
        &mut self,
        message: &M,
        dst: &mut BytesMut,
        _: &mut EncodeContext,
    ) -> Result<(), String> {
        shown(self.0.encode(message.clone(), dst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::Rng;

    #[test]
    fn the_same_seed_gives_the_same_numbers_and_others_differ() {
        let draw = |seed| {
            let mut cx = EncodeContext::new(seed);
            (cx.rng().next_u64(), cx.rng().next_u64())
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        assert_ne!(draw(0), draw(1));
    }

    #[test]
    fn a_stateful_encoder_starts_afresh_with_each_stream() {
        let mut encoder = stateful(|| {
            let mut n = 0u8;
            move |_: &(), dst: &mut BytesMut| {
                dst.extend_from_slice(&[n]);
                n += 1;
            }
        });
        let mut cx = EncodeContext::new(0);
        let mut dst = BytesMut::new();
        for _ in 0..2 {
            encoder.start();
            for _ in 0..3 {
                encoder.encode(&(), &mut dst, &mut cx).unwrap();
            }
        }
        assert_eq!(&dst[..], [0, 1, 2, 0, 1, 2]);
    }
}
