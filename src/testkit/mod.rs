//! A harness for stream decoders (feature `testkit`): prove yours immune to sticky packets.
//!
//! TCP delivers bytes, not messages: one read can hold several messages glued together, or part
//! of one, a header without its body, half a header. Any decoder for a stream protocol (this
//! crate's framing, your own, lines, RESP, MQTT) must return the same messages however the
//! stream is cut, and a decoder tested on whole messages only is not proven. [`Checker`] proves
//! it in one call: it cuts encoded message lists everywhere, decodes them, and reports the
//! smallest message list and the fewest cuts that break the decoder.
//!
//! ```
//! use bytes::{BufMut, BytesMut};
//!
//! fn decode_line(buf: &mut BytesMut) -> Result<Option<Vec<u8>>, ()> {
//!     let Some(end) = buf.iter().position(|&b| b == b'\n') else { return Ok(None) };
//!     Ok(Some(buf.split_to(end + 1)[..end].to_vec()))
//! }
//! let encode = |line: &Vec<u8>, dst: &mut BytesMut| { dst.put_slice(line); dst.put_u8(b'\n') };
//! let line = proptest::collection::vec(b'a'..=b'z', 0..8);
//! lenframe::testkit::Checker::new(|| decode_line, encode, line).assert();
//! ```
//!
//! The parts, each usable alone:
//!
//! - [`check`]: the [`Checker`], for any [`Decode`] (a decode function, a type of your own,
//!   [`Codec`](crate::Codec), a `tokio_util::codec::Decoder` with feature `tokio`).
//! - [`strategy`]: proptest strategies for cut points of a stream ([`cuts`]: random, after every
//!   byte, none), every layout the builder accepts ([`layout`]), frame sequences for a layout
//!   ([`frames_for`]), read and write schedules ([`short_io`], [`nonblocking_io`]).
//! - [`feeder`]: a stream fed to a decoder chunk by chunk with every invariant checked ([`feed`],
//!   [`feed_in_chunks`], [`feed_borrowed`] for [`Codec::frames`](crate::Codec::frames)).
//! - [`io`](mod@io): [`ChunkedReader`] and [`ChunkedWriter`], which wrap a reader or writer and
//!   replay a schedule of short reads and writes, `Interrupted` and `WouldBlock` errors.
//!
//! The strategies are built from proptest combinators only, so failing cases shrink.

pub mod check;
pub mod feeder;
pub mod io;
pub mod strategy;

#[cfg(feature = "tokio")]
pub use check::TokioDecoder;
pub use check::{CheckFailure, Checker, Decode, Decoded, Ending, Fault, Violation};
pub use feeder::{capacity_bound, feed, feed_borrowed, feed_in_chunks, Outcome, Step};
pub use io::{sized_reads, ChunkedReader, ChunkedWriter, IoCounts, IoOp};
pub use strategy::{
    any_layout_spec, cases_or, chunk_lengths, chunk_sizes, cuts, every_byte, frames_for, layout,
    layout_and_frames, nonblocking_io, random_cuts, short_io, FieldSpec, FramePlan, LayoutSpec,
};
