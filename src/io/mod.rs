//! Blocking adapters over `std::io`: [`FrameReader`] and [`FrameWriter`].
//!
//! Over TCP, the frames come out as they were written, however the stream was cut: both sides
//! are correct under short reads and writes, retry [`io::ErrorKind::Interrupted`], and over a
//! non-blocking socket return [`io::ErrorKind::WouldBlock`] with nothing lost: call again later.
//!
//! - [`FrameReader`] returns each frame as a [`Bytes`] view of its read buffer (no copy), or
//!   lends it as a `&[u8]` ([`FrameReader::read_frame_ref`], no reference count either), and
//!   reads at most [`MAX_READ_AHEAD`] bytes at a time whatever length a header announces: a
//!   peer that announces 8 MiB and stalls costs kilobytes; once idle, it gives back what a
//!   large frame made it grow. Errors keep the codec's [`DecodeError`] as their source, and a
//!   reader that claims more bytes than it was given is an error ([`ReadOverclaimed`]), never
//!   data.
//! - [`FrameWriter`] batches small frames into one `write` and sends large payloads with a
//!   vectored write, uncopied. An error means the frame was not taken: retrying the call
//!   neither loses nor duplicates it.
//!
//! ```
//! use lenframe::io::{FrameReader, FrameWriter};
//!
//! let mut writer = FrameWriter::new(Vec::new());
//! for word in ["hello", "jason", "kevin"] {
//!     writer.write_frame(word.as_bytes())?;
//! }
//! let wire = writer.into_inner()?;
//!
//! let frames: Vec<_> = FrameReader::new(&wire[..]).collect::<Result<_, _>>()?;
//! assert_eq!(frames, ["hello", "jason", "kevin"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`io::ErrorKind::Interrupted`]: std::io::ErrorKind::Interrupted
//! [`io::ErrorKind::WouldBlock`]: std::io::ErrorKind::WouldBlock
//! [`Bytes`]: bytes::Bytes
//! [`MAX_READ_AHEAD`]: crate::MAX_READ_AHEAD
//! [`DecodeError`]: crate::DecodeError

mod block;
mod reader;
mod writer;

pub use reader::{FrameReader, ReadOverclaimed};
pub use writer::{FrameWriter, IntoInnerError};
