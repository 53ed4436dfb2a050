//! Encoders: how the checker turns generated messages into the stream it cuts. Any
//! `FnMut(&M, &mut BytesMut)` is one ([`Encoder`] converts from it); the constructors take the
//! other shapes encoders come in: fallible, by value, drawing random numbers, keeping state
//! across the messages of a stream, and tokio `Encoder`s.
//!
//! A refusal from a fallible encoder is a message the protocol cannot carry, not a decoder bug:
//! the checker skips that case (as proptest does for a rejected value) and draws another. A
//! panic is a bug, and is reported as one (the message, and which one it was).

use std::fmt;

use bytes::BytesMut;
use proptest::test_runner::{RngAlgorithm, TestRng};

use crate::testkit::plan::splitmix;

/// An encoder of messages of type `M`, for the checker. Any `FnMut(&M, &mut BytesMut)` converts
/// into one; the constructors below take the other shapes.
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// use lenframe::testkit::{Checker, Encoder};
///
/// // A one-byte length: longer messages cannot be sent, and are skipped.
/// let encode = Encoder::fallible(|msg: &Vec<u8>, dst: &mut BytesMut| {
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
/// Checker::new(move || decode, encode, proptest::collection::vec(0u8..=255, 0..300)).assert();
/// ```
pub struct Encoder<M> {
    inner: Box<dyn Encode<M>>,
}

impl<M> fmt::Debug for Encoder<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encoder").finish_non_exhaustive()
    }
}

/// What an encoder does, whatever its shape.
trait Encode<M> {
    /// Called before the first message of each stream, with the case's seed: an encoder with
    /// state starts afresh.
    fn start(&mut self, _seed: u64) {}

    /// Appends `message` to `dst`; `Err` with the refusal, shown.
    fn encode(&mut self, message: &M, dst: &mut BytesMut, rng: &mut TestRng) -> Result<(), String>;
}

struct Plain<F>(F);

impl<M, F: FnMut(&M, &mut BytesMut)> Encode<M> for Plain<F> {
    fn encode(&mut self, message: &M, dst: &mut BytesMut, _: &mut TestRng) -> Result<(), String> {
        (self.0)(message, dst);
        Ok(())
    }
}

impl<M: 'static, F> From<F> for Encoder<M>
where
    F: FnMut(&M, &mut BytesMut) + 'static,
{
    fn from(encode: F) -> Encoder<M> {
        Encoder::boxed(Plain(encode))
    }
}

fn shown<E: fmt::Debug>(result: Result<(), E>) -> Result<(), String> {
    result.map_err(|e| format!("{e:?}"))
}

struct Fallible<F>(F);

impl<M, E: fmt::Debug, F: FnMut(&M, &mut BytesMut) -> Result<(), E>> Encode<M> for Fallible<F> {
    fn encode(&mut self, message: &M, dst: &mut BytesMut, _: &mut TestRng) -> Result<(), String> {
        shown((self.0)(message, dst))
    }
}

struct ByValue<F>(F);

impl<M: Clone, E: fmt::Debug, F: FnMut(M, &mut BytesMut) -> Result<(), E>> Encode<M>
    for ByValue<F>
{
    fn encode(&mut self, message: &M, dst: &mut BytesMut, _: &mut TestRng) -> Result<(), String> {
        shown((self.0)(message.clone(), dst))
    }
}

struct Randomized<F>(F);

impl<M, E, F> Encode<M> for Randomized<F>
where
    E: fmt::Debug,
    F: FnMut(&M, &mut BytesMut, &mut TestRng) -> Result<(), E>,
{
    fn encode(&mut self, message: &M, dst: &mut BytesMut, rng: &mut TestRng) -> Result<(), String> {
        shown((self.0)(message, dst, rng))
    }
}

/// An encoder built afresh for each stream, from the case's seed.
struct PerStream<M, N> {
    new_encoder: N,
    current: Option<Encoder<M>>,
}

impl<M, N: FnMut(u64) -> Encoder<M>> Encode<M> for PerStream<M, N> {
    fn start(&mut self, seed: u64) {
        let mut encoder = (self.new_encoder)(seed);
        encoder.inner.start(seed);
        self.current = Some(encoder);
    }

    fn encode(&mut self, message: &M, dst: &mut BytesMut, rng: &mut TestRng) -> Result<(), String> {
        let encoder = self.current.get_or_insert_with(|| (self.new_encoder)(0));
        encoder.inner.encode(message, dst, rng)
    }
}

impl<M: 'static> Encoder<M> {
    fn boxed(encode: impl Encode<M> + 'static) -> Encoder<M> {
        Encoder {
            inner: Box::new(encode),
        }
    }

    /// An encoder that can refuse a message: `Err` means the protocol cannot carry it, and the
    /// case is skipped (a check whose encoder refuses nearly everything gives up, saying so).
    #[must_use]
    pub fn fallible<E, F>(encode: F) -> Encoder<M>
    where
        E: fmt::Debug,
        F: FnMut(&M, &mut BytesMut) -> Result<(), E> + 'static,
    {
        Encoder::boxed(Fallible(encode))
    }

    /// An encoder that takes each message by value (a clone of the generated one), as
    /// tokio-util's and asynchronous-codec's encoders do.
    ///
    /// ```
    /// use bytes::{BufMut, BytesMut};
    /// use lenframe::testkit::{Checker, Encoder};
    ///
    /// let encode = Encoder::by_value(|line: String, dst: &mut BytesMut| {
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
    #[must_use]
    pub fn by_value<E, F>(encode: F) -> Encoder<M>
    where
        M: Clone,
        E: fmt::Debug,
        F: FnMut(M, &mut BytesMut) -> Result<(), E> + 'static,
    {
        Encoder::boxed(ByValue(encode))
    }

    /// An encoder that draws random numbers (a WebSocket client's masks, random padding) from a
    /// source the checker seeds for each case, so a failure replays exactly.
    ///
    /// ```
    /// use bytes::{BufMut, BytesMut};
    /// use lenframe::testkit::{Checker, Encoder};
    /// use proptest::prelude::Rng;
    ///
    /// // Each message masked with a random byte, sent before it.
    /// let encode = Encoder::randomized(|msg: &Vec<u8>, dst: &mut BytesMut, rng: &mut proptest::test_runner::TestRng| {
    ///     let mask = rng.next_u32().to_le_bytes()[0];
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
    #[must_use]
    pub fn randomized<E, F>(encode: F) -> Encoder<M>
    where
        E: fmt::Debug,
        F: FnMut(&M, &mut BytesMut, &mut TestRng) -> Result<(), E> + 'static,
    {
        Encoder::boxed(Randomized(encode))
    }

    /// An encoder with state across the messages of a stream (sequence numbers, a compression
    /// table): a fresh one from `new_encoder` for each stream, so every case starts the same way.
    ///
    /// ```
    /// use bytes::{Buf, BufMut, BytesMut};
    /// use lenframe::testkit::{Checker, Encoder};
    ///
    /// // Each message carries its sequence number; the decoder checks them.
    /// let encode = Encoder::stateful(|| {
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
    #[must_use]
    pub fn stateful<E, N>(mut new_encoder: N) -> Encoder<M>
    where
        E: Into<Encoder<M>>,
        N: FnMut() -> E + 'static,
    {
        Encoder::seeded(move |_| new_encoder())
    }

    /// An encoder that draws its own random numbers (a WebSocket client with its own random
    /// source, a cipher's nonces), built afresh for each stream from the case's seed: give the
    /// seed to its random source, and a failure replays exactly.
    ///
    /// ```
    /// use bytes::{BufMut, BytesMut};
    /// use lenframe::testkit::{Checker, Encoder};
    ///
    /// /// Pads each message with 0 to 3 bytes of its own choosing.
    /// struct Padder { state: u64 }
    /// impl Padder {
    ///     fn encode(&mut self, msg: &u8, dst: &mut BytesMut) {
    ///         self.state = self.state.wrapping_mul(6364136223846793005).wrapping_add(1);
    ///         let pad = (self.state >> 62) as u8;
    ///         dst.put_slice(&[pad, *msg]);
    ///         dst.put_bytes(0, usize::from(pad));
    ///     }
    /// }
    /// let encode = Encoder::seeded(|seed| {
    ///     let mut padder = Padder { state: seed };
    ///     move |msg: &u8, dst: &mut BytesMut| padder.encode(msg, dst)
    /// });
    /// let decode = |buf: &mut BytesMut| -> Result<Option<u8>, ()> {
    ///     match buf.first() {
    ///         Some(&pad) if buf.len() >= 2 + usize::from(pad) => Ok(Some(buf.split_to(2 + usize::from(pad))[1])),
    ///         _ => Ok(None),
    ///     }
    /// };
    /// Checker::new(move || decode, encode, proptest::num::u8::ANY).assert();
    /// ```
    #[must_use]
    pub fn seeded<E, N>(mut new_encoder: N) -> Encoder<M>
    where
        E: Into<Encoder<M>>,
        N: FnMut(u64) -> E + 'static,
    {
        Encoder::boxed(PerStream {
            new_encoder: move |seed| new_encoder(seed).into(),
            current: None,
        })
    }

    /// Any `tokio_util::codec::Encoder<M>` (feature `tokio`): each message is encoded by value,
    /// a clone of the generated one.
    ///
    /// ```
    /// use lenframe::testkit::{Checker, Encoder, TokioDecoder, Truncation};
    /// use tokio_util::codec::LinesCodec;
    ///
    /// let (decoder, encoder) = (|| TokioDecoder(LinesCodec::new()), Encoder::tokio(LinesCodec::new()));
    /// Checker::new(decoder, encoder, "[a-z ]{0,8}")
    ///     .truncation(Truncation::AllowRest) // a last line may end with the stream
    ///     .assert();
    /// ```
    #[cfg(feature = "tokio")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
    #[must_use]
    pub fn tokio<E>(mut encoder: E) -> Encoder<M>
    where
        M: Clone,
        E: tokio_util::codec::Encoder<M> + 'static,
        E::Error: fmt::Debug,
    {
        Encoder::by_value(move |message: M, dst: &mut BytesMut| encoder.encode(message, dst))
    }

    /// Starts a stream: an encoder with state starts afresh; the random source is the case's.
    pub(crate) fn start(&mut self, seed: u64) -> TestRng {
        self.inner.start(seed);
        let mut key = [0u8; 32];
        let mut state = seed;
        for chunk in key.chunks_mut(8) {
            chunk.copy_from_slice(&splitmix(&mut state).to_le_bytes());
        }
        TestRng::from_seed(RngAlgorithm::ChaCha, &key)
    }

    /// Appends `message` to `dst`: `Err` with the refusal, shown.
    pub(crate) fn encode(
        &mut self,
        message: &M,
        dst: &mut BytesMut,
        rng: &mut TestRng,
    ) -> Result<(), String> {
        self.inner.encode(message, dst, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::Rng;

    #[test]
    fn the_same_seed_gives_the_same_numbers_and_others_differ() {
        let mut encoder = Encoder::from(|_: &u8, _: &mut BytesMut| {});
        let mut draw = |seed| {
            let mut rng = encoder.start(seed);
            (rng.next_u64(), rng.next_u64())
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        assert_ne!(draw(0), draw(1));
    }

    #[test]
    fn a_stateful_encoder_starts_afresh_with_each_stream() {
        let mut encoder = Encoder::stateful(|| {
            let mut n = 0u8;
            move |_: &(), dst: &mut BytesMut| {
                dst.extend_from_slice(&[n]);
                n += 1;
            }
        });
        let mut dst = BytesMut::new();
        for _ in 0..2 {
            let mut rng = encoder.start(0);
            for _ in 0..3 {
                encoder.encode(&(), &mut dst, &mut rng).unwrap();
            }
        }
        assert_eq!(&dst[..], [0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn a_seeded_encoder_gets_the_cases_seed() {
        let mut encoder = Encoder::seeded(|seed: u64| {
            move |_: &(), dst: &mut BytesMut| dst.extend_from_slice(&seed.to_le_bytes()[..1])
        });
        let mut dst = BytesMut::new();
        for seed in [3, 9] {
            let mut rng = encoder.start(seed);
            encoder.encode(&(), &mut dst, &mut rng).unwrap();
        }
        assert_eq!(&dst[..], [3, 9]);
    }
}
