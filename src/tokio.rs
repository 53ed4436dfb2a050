//! `tokio_util::codec::{Decoder, Encoder}` for [`Codec`] (feature `tokio`), so
//! `Framed::new(stream, codec)` works.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use futures_util::{SinkExt, StreamExt};
//! use tokio_util::codec::Framed;
//!
//! let (client, server) = tokio::io::duplex(64);
//! let mut tx = Framed::new(client, lenframe::Codec::new());
//! let mut rx = Framed::new(server, lenframe::Codec::new());
//! tx.send(bytes::Bytes::from_static(b"hello")).await?;
//! tx.send(&b"jason"[..]).await?;
//! assert_eq!(rx.next().await.transpose()?.as_deref(), Some(&b"hello"[..]));
//! assert_eq!(rx.next().await.transpose()?.as_deref(), Some(&b"jason"[..]));
//! # Ok(())
//! # }
//! ```
//!
//! Errors reach the stream as `io::Error`s whose source is the [`DecodeError`](crate::DecodeError)
//! (or, for `send`, the [`EncodeError`](crate::EncodeError): nothing of that frame is written).
//! Every error the stream yields is fatal: tokio-util's `Framed` answers any decoder error by
//! yielding it, then `None`, and reading the socket again before it decodes what is buffered,
//! so a `while let Some(item) = framed.next().await` loop ends at the first one.
//!
//! That is why, under [`OversizePolicy::Skip`](crate::OversizePolicy::Skip), the `Decoder`
//! does not yield [`FrameDiscarded`](crate::DecodeError::FrameDiscarded): it drops the oversize
//! frame's bytes as they arrive and goes on to the frames after it, in the same call, so the
//! loop sees every frame whether the peer is still connected or has closed, and a flood of
//! oversize frames costs no buffer. [`Codec::discarded_frames`] and
//! [`Codec::discarded_bytes`] (through `framed.codec()`, or `decoder()` on a `FramedRead`) count what was dropped. A stream that
//! ends inside a frame, a discarded one included, is still an error
//! ([`TruncatedFrame`](crate::DecodeError::TruncatedFrame)).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use futures_util::StreamExt;
//! use tokio::io::AsyncWriteExt;
//! use tokio_util::codec::FramedRead;
//!
//! let codec = lenframe::Codec::builder()
//!     .max_frame_length(4)
//!     .oversize(lenframe::OversizePolicy::Skip)
//!     .build()?;
//! let (mut tx, rx) = tokio::io::duplex(64);
//! tx.write_all(b"\x00\x00\x00\x09too long!\x00\x00\x00\x02ok").await?; // tx stays open
//! let mut frames = FramedRead::new(rx, codec);
//! assert_eq!(frames.next().await.transpose()?.as_deref(), Some(&b"ok"[..]));
//! assert_eq!(frames.decoder().discarded_frames(), 1);
//! assert_eq!(frames.decoder().discarded_bytes(), 13);
//! # Ok(())
//! # }
//! ```

use std::io;

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::codec::Codec;

/// [`Codec::decode`] and [`Codec::decode_eof`], with discards not reported as errors (see the
/// module documentation): each `FrameDiscarded` step consumed the bytes of the oversize frame
/// that were buffered, so the loops end.
impl Decoder for Codec {
    type Item = Bytes;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<Bytes>> {
        loop {
            match Codec::decode(self, src) {
                Err(e) if !e.is_fatal() => {}
                result => return Ok(result?),
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<Bytes>> {
        loop {
            match Codec::decode_eof(self, src) {
                Err(e) if !e.is_fatal() => {}
                result => return Ok(result?),
            }
        }
    }
}

impl Encoder<Bytes> for Codec {
    type Error = io::Error;

    fn encode(&mut self, payload: Bytes, dst: &mut BytesMut) -> io::Result<()> {
        Ok(Codec::encode(self, &payload, dst)?)
    }
}

impl<'a> Encoder<&'a [u8]> for Codec {
    type Error = io::Error;

    fn encode(&mut self, payload: &'a [u8], dst: &mut BytesMut) -> io::Result<()> {
        Ok(Codec::encode(self, payload, dst)?)
    }
}
