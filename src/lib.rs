//! Length-prefixed framing for byte streams: the fix for "sticky packets", proven.
//!
//! TCP delivers a stream of bytes, not messages. Send `hello`, `jason` and `kevin` as three
//! writes and the peer's first read can return `hellojasonkevin`; send one large message and it
//! can arrive in many reads. The classic fix puts the length in front of every message and reads
//! exactly that many bytes. This crate is that fix as a [`Codec`] that never touches a socket
//! (sans IO): [`Codec::decode`] takes whatever bytes have arrived, in any cut, and returns whole
//! frames; [`Codec::frames`] does the same without allocating, borrowing the frames from a
//! `&[u8]` the caller manages; [`Codec::encode`] writes them.
//!
//! ```
//! use bytes::BytesMut;
//!
//! let mut codec = lenframe::Codec::new(); // 4-byte big-endian length, frames up to 8 MiB
//! let mut wire = BytesMut::new();
//! for word in ["hello", "jason", "kevin"] {
//!     codec.encode(word.as_bytes(), &mut wire)?;
//! }
//! // However the stream is cut, the frames come out whole and in order.
//! let mut rx = BytesMut::new();
//! let mut frames = Vec::new();
//! for chunk in wire.chunks(4) {
//!     rx.extend_from_slice(chunk);
//!     while let Some(frame) = codec.decode(&mut rx)? {
//!         frames.push(frame);
//!     }
//! }
//! assert_eq!(frames, ["hello", "jason", "kevin"]);
//! assert_eq!(codec.decode_eof(&mut rx)?, None); // a clean end
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Adapters: [`io::FrameReader`] and [`io::FrameWriter`] over blocking `std::io`, and (feature
//! `tokio`) `tokio_util::codec::{Decoder, Encoder}` for [`Codec`], so
//! `tokio_util::codec::Framed::new(stream, codec)` works.
//!
//! # Layouts
//!
//! [`Codec::builder`] speaks tokio-util's `length_delimited::Builder` vocabulary, with the same
//! meaning, so moving from `LengthDelimitedCodec` is a change of import (and `.new_codec()`
//! becomes `.build()?`, which checks the layout instead of panicking). Netty's
//! `LengthFieldBasedFrameDecoder` arguments are taken by [`Builder::netty`].
//!
//! A frame on the wire:
//!
//! ```text
//! +------- prefix -------+--- length field ---+-- gap --+------------- rest -------------+
//! | length_field_offset  | length_field_length|         |                                |
//! | bytes                | bytes, or a varint |         |                                |
//! +----------------------+--------------------+---------+--------------------------------+
//! |<-------------------- num_skip -------------------->|<- value + length_adjustment -->|
//!                                                       ^ the frame `decode` returns
//! ```
//!
//! By default `num_skip` is the whole header, so the frame is the body alone.
//!
//! ## `length_field_length` / `length_field_type` and byte order
//!
//! One to eight bytes, big-endian unless [`Builder::little_endian`] or
//! [`Builder::native_endian`] is chained.
//!
//! ```text
//! +-- len: u16 LE --+--- body ---+        decoded
//! |    \x05\x00     |   hello    |  -->   hello
//! +-----------------+------------+
//! ```
//!
//! ```
//! use bytes::BytesMut;
//! let mut codec = lenframe::Codec::builder().length_field_type::<u16>().little_endian().build()?;
//! let mut wire = BytesMut::from(&b"\x05\x00hello"[..]);
//! assert_eq!(codec.decode(&mut wire)?.as_deref(), Some(&b"hello"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## `length_field_offset`: bytes before the length field
//!
//! ```text
//! +- type -+-- len: u16 --+--- body ---+        decoded
//! |  \x01  |   \x00\x05   |   hello    |  -->   hello
//! +--------+--------------+------------+
//! ```
//!
//! The decoder skips the prefix with the header; the encoder takes it from the caller
//! ([`Codec::encode_parts`]).
//!
//! ```
//! use bytes::BytesMut;
//! let mut codec = lenframe::Codec::builder()
//!     .length_field_offset(1)
//!     .length_field_length(2)
//!     .build()?;
//! let mut wire = BytesMut::new();
//! codec.encode_parts(b"\x01", b"", b"hello", &mut wire)?;
//! assert_eq!(&wire[..], b"\x01\x00\x05hello");
//! assert_eq!(codec.decode(&mut wire)?.as_deref(), Some(&b"hello"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## `length_adjustment`: the length counts more, or less, than the frame
//!
//! When the length field counts its own two bytes, subtract them:
//!
//! ```text
//! +-- len: u16 --+--- body ---+        decoded
//! |   \x00\x07   |   hello    |  -->   hello
//! +--------------+------------+
//! ```
//!
//! ```
//! use bytes::BytesMut;
//! let mut codec = lenframe::Codec::builder()
//!     .length_field_length(2)
//!     .length_adjustment(-2)
//!     .build()?;
//! let mut wire = BytesMut::from(&b"\x00\x07hello"[..]);
//! assert_eq!(codec.decode(&mut wire)?.as_deref(), Some(&b"hello"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## `num_skip`: keep the header, or skip past it
//!
//! `num_skip(0)` keeps the header in the frame; the adjustment then counts it:
//!
//! ```text
//! +-- len: u16 --+--- body ---+        decoded
//! |   \x00\x05   |   hello    |  -->   \x00\x05hello
//! +--------------+------------+
//! ```
//!
//! ```
//! use bytes::BytesMut;
//! let mut codec = lenframe::Codec::builder()
//!     .length_field_length(2)
//!     .num_skip(0)
//!     .length_adjustment(2)
//!     .build()?;
//! let mut wire = BytesMut::from(&b"\x00\x05hello"[..]);
//! assert_eq!(codec.decode(&mut wire)?.as_deref(), Some(&b"\x00\x05hello"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A frame must end after its header: with `num_skip(0)` and no adjustment, the two bytes
//! `00 00` announce a frame that ends inside its header. That is an error here
//! ([`DecodeError::FrameEndsInHeader`]), where tokio-util returns an empty frame without
//! consuming anything, forever.
//!
//! ```
//! use bytes::BytesMut;
//! let mut codec = lenframe::Codec::builder().length_field_length(2).num_skip(0).build()?;
//! let mut wire = BytesMut::from(&b"\x00\x00"[..]);
//! let err = codec.decode(&mut wire).unwrap_err();
//! assert_eq!(err.to_string(), "announced frame ends at byte 0, inside its 2-byte header");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A `num_skip` past the header drops the bytes in between (the gap), which the encoder takes
//! from the caller:
//!
//! ```text
//! +-- len: u8 --+- flags -+--- body ---+        decoded
//! |    \x05     |  \x80   |   hello    |  -->   hello
//! +-------------+---------+------------+
//! ```
//!
//! ```
//! use bytes::BytesMut;
//! let mut codec = lenframe::Codec::builder().length_field_length(1).num_skip(2).build()?;
//! let mut wire = BytesMut::new();
//! codec.encode_parts(b"", b"\x80", b"hello", &mut wire)?;
//! assert_eq!(&wire[..], b"\x05\x80hello");
//! assert_eq!(codec.decode(&mut wire)?.as_deref(), Some(&b"hello"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## `varint`: protobuf's length-delimited format
//!
//! An unsigned LEB128 length, 1 to 10 bytes. Only the shortest form is accepted.
//!
//! ```text
//! +-- len: varint 300 --+--- 300-byte body ---+
//! |       \xAC\x02      |         ...         |
//! +---------------------+---------------------+
//! ```
//!
//! ```
//! use bytes::BytesMut;
//! let mut codec = lenframe::Codec::builder().varint().build()?;
//! let mut wire = BytesMut::new();
//! codec.encode(&[7; 300], &mut wire)?;
//! assert_eq!(&wire[..2], b"\xAC\x02");
//! assert_eq!(codec.decode(&mut wire)?.map(|f| f.len()), Some(300));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## `max_frame_length` and the oversize policy
//!
//! A header announcing more than the limit is an error, or with [`OversizePolicy::Skip`] the
//! frame is discarded as it arrives, reported once, and decoding goes on:
//!
//! ```
//! use bytes::BytesMut;
//! use lenframe::{DecodeError, OversizePolicy};
//! let mut codec = lenframe::Codec::builder()
//!     .max_frame_length(4)
//!     .oversize(OversizePolicy::Skip)
//!     .build()?;
//! let mut wire = BytesMut::from(&b"\x00\x00\x00\x08too long\x00\x00\x00\x02ok"[..]);
//! assert_eq!(
//!     codec.decode(&mut wire),
//!     Err(DecodeError::FrameDiscarded { announced: 8, max: 4, wire_len: 12 })
//! );
//! assert_eq!(codec.decode(&mut wire)?.as_deref(), Some(&b"ok"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Memory follows what arrived
//!
//! A header is a promise, not a fact. While a frame is incomplete, [`Codec::decode`] asks the
//! buffer for room for at most as many bytes as it already holds (at least 4 KiB, at most
//! [`MAX_READ_AHEAD`], 64 KiB), never for the announced length. A peer that sends a 4-byte header
//! announcing 8 MiB and stalls costs a few KiB of buffer, not 8 MiB (tokio-util reserves the whole
//! announced length); as the frame arrives the buffer doubles with it, so a large frame still
//! costs O(log n) reallocations. The decoder never waits for more than
//! [`Codec::max_wire_length`] bytes: by then it has returned a frame or an error, and under
//! [`OversizePolicy::Skip`] an oversize frame's bytes are dropped as they come.
//!
//! # Zero copy
//!
//! A decoded frame is a [`bytes::Bytes`] view of the read buffer (`split_to` then `freeze`):
//! O(1), no copy. The encoder copies the payload into the destination buffer; to send a large
//! body without copying it, write [`Codec::encode_header`]'s bytes and the body in one vectored
//! write, as [`io::FrameWriter`] does.
//!
//! # Errors
//!
//! [`DecodeError`], [`EncodeError`] and [`ConfigError`] are enums whose messages name the
//! numbers (announced length, limit, bytes buffered). Each converts into [`std::io::Error`]:
//! `InvalidData` for a stream that breaks the framing rules, `UnexpectedEof` for one that ends
//! inside a frame, `InvalidInput` for a frame or layout the caller asked for that cannot work.
//! Nothing panics on any input; after a fatal decoding error the offending header is still at the
//! front of the buffer, and the next call returns the same error.
//!
//! # Features
//!
//! - `tokio`: `Decoder` and `Encoder<Bytes>`/`Encoder<&[u8]>` for [`Codec`].
//! - `testkit`: a harness for any stream decoder, yours too: `testkit::Checker` proves a
//!   decoder of any shape (a `BytesMut` decoder, a slice, rest, push or cursor parser, a
//!   reader, a tokio decoder under `FramedRead`) immune to sticky packets in one call (every
//!   cut of encoded message lists, truncation, recovery, liveness, memory; shrunk to the
//!   smallest failure), under proptest or a fuzzer; and readers and writers that replay short
//!   reads and writes, `Interrupted` and `WouldBlock`. `Codec` is a `testkit::Decode`.
//! - `arbitrary`: `arbitrary::Arbitrary` for the layout enums.
//!
//! The default build depends on `bytes` only.
// `unsafe` is denied everywhere but in src/io/block.rs, the reader's in-place buffer, which says
// why it needs it and why it is sound.
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod codec;
mod encode;
mod error;
mod frames;
mod header;
pub mod io;

#[cfg(feature = "tokio")]
mod tokio;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use builder::{Builder, LengthFieldType, OversizePolicy, DEFAULT_MAX_FRAME_LENGTH};
pub use codec::{Codec, MAX_READ_AHEAD};
pub use error::{ConfigError, DecodeError, EncodeError};
pub use frames::Frames;
pub use header::{Endian, Header};

/// README.md's Rust snippets, run as doctests by `cargo test` so that the README cannot drift
/// from the API. They use the `tokio` and `testkit` features, which the crate's own tests
/// enable (through the dev-dependency on `tests/support`, which asks for every feature).
#[cfg(all(doctest, feature = "tokio", feature = "testkit"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
