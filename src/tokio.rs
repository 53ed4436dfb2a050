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
//! tokio-util's `Framed` yields `None` once after any `Err` and resumes reading if polled again.
//! So a `while let Some(item) = framed.next().await` loop sees a fatal error once and ends; and
//! under [`OversizePolicy::Skip`](crate::OversizePolicy::Skip), keep polling after a
//! [`FrameDiscarded`](crate::DecodeError::FrameDiscarded) error (and the `None` after it) to
//! receive the frames after the discarded one:
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
//! tx.write_all(b"\x00\x00\x00\x09too long!\x00\x00\x00\x02ok").await?;
//! drop(tx);
//! let mut frames = FramedRead::new(rx, codec);
//! assert!(frames.next().await.unwrap().is_err()); // FrameDiscarded
//! assert!(frames.next().await.is_none()); // Framed's pause after an error
//! assert_eq!(frames.next().await.transpose()?.as_deref(), Some(&b"ok"[..]));
//! assert!(frames.next().await.is_none()); // the end
//! # Ok(())
//! # }
//! ```

use std::io;

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::codec::Codec;

impl Decoder for Codec {
    type Item = Bytes;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<Bytes>> {
        Ok(Codec::decode(self, src)?)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> io::Result<Option<Bytes>> {
        Ok(Codec::decode_eof(self, src)?)
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
