//! The blocking adapters, `FrameReader` and `FrameWriter`, over readers and writers that
//! misbehave (short reads and writes, `Interrupted`, `WouldBlock`, errors, claims of more bytes
//! than were given), and the reader's in-place blocks. One module per claim:
//!
//! - `io_adapters`: both adapters under every read and write schedule;
//! - `batched_writes`: `write_frames` writes what `write_frame` writes, in one vectored write;
//! - `writer_failures`: a failing writer loses and duplicates nothing;
//! - `reader_blocks`: frames are views of the block a read landed in, and never change.

mod batched_writes;
mod io_adapters;
mod reader_blocks;
mod writer_failures;
