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
//! The parts, by file:
//!
//! - [`check`]: the [`Checker`] (`check.rs`), its two engines (`check/engine.rs`: proptest,
//!   `check/fuzz.rs`: a fuzzer's bytes and corpus replay) and its report (`check/report.rs`).
//! - [`case`]: what one case is ([`Plan`], [`Chunking`]) and the fuzz input format.
//! - [`shape`]: the decoder shapes, one file each: `&mut BytesMut` decoders ([`Decode`], and
//!   with feature `tokio` `TokioDecoder`), slice and cursor parsers ([`parser`],
//!   [`cursor_parser`]), readers ([`reader`]), tokio decoders under `FramedRead` (`framed`,
//!   feature `tokio`).
//! - [`encode`]: encoders of every shape ([`fallible`], [`by_value`], [`randomized`],
//!   [`stateful`], and with feature `tokio` `TokioEncoder`).
//! - [`oracle`]: what a run must produce, one file per oracle: exact messages and recovery,
//!   liveness, truncation, memory, any stream.
//! - [`strategy`]: proptest strategies for cut points ([`cuts`]), every layout the builder
//!   accepts ([`layout`]), frame sequences ([`frames_for`]), read and write schedules
//!   ([`short_io`], [`nonblocking_io`]).
//! - [`feeder`]: a stream fed to lenframe's codec chunk by chunk with every invariant checked
//!   ([`feed`], [`feed_in_chunks`], [`feed_borrowed`]).
//! - [`io`](mod@io): [`ChunkedReader`] and [`ChunkedWriter`], which wrap a reader or writer and
//!   replay a schedule of short reads and writes, `Interrupted` and `WouldBlock` errors.
//!
//! The strategies are built from proptest combinators only, so failing cases shrink.

pub mod case;
pub mod check;
pub mod encode;
pub mod feeder;
pub mod io;
pub mod oracle;
pub mod shape;
pub mod strategy;

pub use case::{Chunking, Plan};
pub use check::{
    CheckFailure, Checker, Compare, CompareWith, Debugged, Decoded, Ending, Equal, Fault, Render,
    RenderWith, StreamCheck, StreamFailure, Truncation, Violation, DEFAULT_SEED, MAX_MESSAGES,
    SHRINK_STEPS,
};
#[cfg(feature = "tokio")]
pub use encode::TokioEncoder;
pub use encode::{by_value, fallible, randomized, stateful, Encode, EncodeContext};
pub use feeder::{
    capacity_bound, checked_decode, feed, feed_borrowed, feed_borrowed_each, feed_in_chunks,
    Outcome, Step, INITIAL_CAPACITY,
};
pub use io::{sized_reads, ChunkedReader, ChunkedWriter, IoCounts, IoOp};
pub use shape::{
    cursor_parser, parser, reader, unexpected_eof, CursorParser, Decode, IntoSubject, Item, Log,
    Parse, Parser, Reader, RunError, RunSpec, StreamReader, Subject,
};
#[cfg(feature = "tokio")]
pub use shape::{framed, Framed, PendingReader, TokioDecoder};
pub use strategy::{
    any_layout_spec, cases_or, chunk_lengths, chunk_sizes, cuts, every_byte, frames_for, layout,
    layout_and_frames, nonblocking_io, random_cuts, short_io, FieldSpec, FramePlan, LayoutSpec,
};
