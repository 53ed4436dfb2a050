//! [`FrameWriter`]: frames to a blocking writer, small ones batched, large ones uncopied.

use std::fmt;
use std::io::{self, IoSlice, Write};

use bytes::{BufMut, BytesMut};

use crate::codec::Codec;

/// A payload this long or longer goes out in a vectored write instead of being copied into the
/// pending buffer.
const LARGE_PAYLOAD: usize = 8 * 1024;

/// Pending small frames are written out once they pass this many bytes: one syscall for many
/// frames. Of 8, 16 and 64 KiB, 64 KiB wrote small frames over loopback TCP fastest
/// (`benches/tcp.rs`).
const WRITE_BUFFER: usize = 64 * 1024;

/// Writes frames to a blocking writer.
///
/// Small frames are collected and written together: one `write` for all the frames pending
/// when they pass 64 KiB, or on flush. A payload of 8 KiB or more is not copied: the pending
/// frames and its header go out with it in one vectored write (`[pending + header, payload]`;
/// a writer without vectored writes gets two writes, never one per header field). Call
/// [`FrameWriter::flush`] (or [`FrameWriter::into_inner`]) to push pending frames out; dropping
/// the writer also tries to, ignoring errors, as `std::io::BufWriter` does.
///
/// Errors follow `std::io::Write`'s rule: `Err` means the frame was not taken, `Ok` that it was.
/// So a caller retries the call that failed (later, for `WouldBlock`) and nothing is lost or
/// duplicated:
///
/// - When the inner writer fails before any byte of the frame reached it, the frame is taken
///   back and the error returned; frames queued before it stay pending.
/// - When it fails after part of the frame went out, the frame is taken (the peer holds its
///   start, so it must be finished, not resent): the rest stays pending, `Ok` is returned, and
///   the error is met again by the next write or flush, as `std::io::BufWriter` does.
///
/// Over a socket that takes a few bytes at a time (feature `testkit`'s `ChunkedWriter`):
///
#[cfg_attr(feature = "testkit", doc = "```")]
#[cfg_attr(not(feature = "testkit"), doc = "```ignore")]
/// use std::io::ErrorKind;
/// use lenframe::io::FrameWriter;
/// use lenframe::testkit::{ChunkedWriter, IoOp};
///
/// // A non-blocking socket that takes 3 bytes, then says WouldBlock, and so on.
/// let socket = ChunkedWriter::new(Vec::new(), vec![IoOp::Limit(3), IoOp::WouldBlock]);
/// let mut writer = FrameWriter::new(socket);
/// writer.write_frame(b"hello")?; // queued
/// while let Err(e) = writer.flush() {
///     assert_eq!(e.kind(), ErrorKind::WouldBlock); // try again later
/// }
/// assert_eq!(writer.get_ref().get_ref(), b"\x00\x00\x00\x05hello");
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// ```
/// use lenframe::io::FrameWriter;
/// let mut writer = FrameWriter::new(Vec::new());
/// writer.write_frame(b"hello")?;
/// assert_eq!(writer.get_ref().len(), 0); // still pending
/// writer.flush()?;
/// assert_eq!(writer.get_ref(), b"\x00\x00\x00\x05hello");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct FrameWriter<W: Write> {
    /// `None` only after `into_inner` took it.
    inner: Option<W>,
    codec: Codec,
    buf: BytesMut,
}

impl<W: Write> FrameWriter<W> {
    /// A writer with the default layout ([`Codec::new`]).
    pub fn new(inner: W) -> FrameWriter<W> {
        FrameWriter::with_codec(inner, Codec::new())
    }

    /// A writer with any layout.
    pub fn with_codec(inner: W, codec: Codec) -> FrameWriter<W> {
        FrameWriter {
            inner: Some(inner),
            codec,
            buf: BytesMut::new(),
        }
    }

    /// Queues one frame (see [`Codec::encode`]); it reaches the inner writer when the pending
    /// frames pass 64 KiB, when a payload of 8 KiB or more is written, or on flush.
    ///
    /// # Errors
    ///
    /// An [`EncodeError`](crate::EncodeError) as `InvalidInput`: nothing is queued or written.
    /// The inner writer's error, when no byte of this frame reached it: the frame is not queued
    /// (retry the call); frames queued before it stay pending. See [`FrameWriter`].
    pub fn write_frame(&mut self, payload: &[u8]) -> io::Result<()> {
        self.write_frame_parts(&[], &[], payload)
    }

    /// Queues one frame of a layout with bytes before the length field or between it and the
    /// frame (see [`Codec::encode_parts`]): `prefix` and `gap` must have the lengths the layout
    /// needs ([`Codec::prefix_len`], [`Codec::gap_len`]).
    ///
    /// ```
    /// use lenframe::{io::FrameWriter, Codec};
    /// // A message type byte, then a 2-byte length.
    /// let codec = Codec::builder().length_field_offset(1).length_field_length(2).build()?;
    /// let mut writer = FrameWriter::with_codec(Vec::new(), codec);
    /// writer.write_frame_parts(b"\x07", b"", b"hi")?;
    /// assert_eq!(writer.into_inner()?, b"\x07\x00\x02hi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`FrameWriter::write_frame`], with
    /// [`EncodeError::PartsMismatch`](crate::EncodeError::PartsMismatch) when a part has the
    /// wrong length.
    pub fn write_frame_parts(
        &mut self,
        prefix: &[u8],
        gap: &[u8],
        payload: &[u8],
    ) -> io::Result<()> {
        let queued = self.buf.len();
        if payload.len() < LARGE_PAYLOAD {
            self.codec
                .encode_parts(prefix, gap, payload, &mut self.buf)?;
            return self.flush_if_full(queued);
        }
        // Both checks before anything is queued: an encode error leaves no trace.
        self.codec.check_parts(prefix, gap)?;
        let header = self.codec.encode_header(payload.len())?;
        // The few header bytes join the pending frames (a copy of at most a few dozen bytes), so
        // the write has two slices whether or not the inner writer supports vectored writes.
        self.buf.put_slice(prefix);
        self.buf.put_slice(header.as_bytes());
        self.buf.put_slice(gap);
        let head = self.buf.split().freeze();
        self.write_parts(queued, &[&head, payload])
    }

    /// Queues several frames (of a layout without prefix or gap, as [`FrameWriter::write_frame`])
    /// and writes them, with the frames pending before them, in vectored writes: one `write` for
    /// the lot when the inner writer takes it all. Payloads of 8 KiB or more are not copied (the
    /// write alternates runs of pending bytes and headers with those payloads); smaller ones are
    /// copied into the pending buffer, and are written with the lot when the batch holds a large
    /// one, else left pending as by `write_frame`.
    ///
    /// For large frames that are at hand together, this saves a syscall a frame: it costs what
    /// writing all the bytes raw at once costs, where `write_frame` per frame costs what a
    /// `write_all` per frame does (`benches/tcp.rs`, 64 frames of 64 KiB).
    ///
    /// ```
    /// use lenframe::io::FrameWriter;
    /// let big = vec![7u8; 100_000];
    /// let mut writer = FrameWriter::new(Vec::new());
    /// writer.write_frames(&[&b"hi"[..], &big, &big])?; // one vectored write, bodies uncopied
    /// assert_eq!(writer.pending(), 0);
    /// assert_eq!(writer.get_ref().len(), (4 + 2) + 2 * (4 + 100_000));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// An [`EncodeError`](crate::EncodeError) for any of the payloads, or
    /// [`EncodeError::PartsMismatch`](crate::EncodeError::PartsMismatch) for a layout with a
    /// prefix or gap, as `InvalidInput`: nothing is queued or written. The inner writer's error,
    /// when no byte of these frames reached it: none of them is queued (retry the call); frames
    /// queued before them stay pending. When some of their bytes went out, all of them are
    /// taken, as for `write_frame`.
    pub fn write_frames<P: AsRef<[u8]>>(&mut self, payloads: &[P]) -> io::Result<()> {
        // Every check before anything is queued: an encode error leaves no trace.
        self.codec.check_parts(&[], &[])?;
        for payload in payloads {
            self.codec.encode_header(payload.as_ref().len())?;
        }
        let queued = self.buf.len();
        // Where each large payload goes: after the pending bytes up to this offset.
        let mut cuts: Vec<(usize, &[u8])> = Vec::new();
        for payload in payloads {
            let payload = payload.as_ref();
            if payload.len() < LARGE_PAYLOAD {
                self.codec.encode(payload, &mut self.buf)?;
            } else {
                let header = self.codec.encode_header(payload.len())?;
                self.buf.put_slice(header.as_bytes());
                cuts.push((self.buf.len(), payload));
            }
        }
        if cuts.is_empty() {
            return self.flush_if_full(queued);
        }
        let head = self.buf.split().freeze();
        let mut parts: Vec<&[u8]> = Vec::with_capacity(2 * cuts.len() + 1);
        let mut start = 0;
        for (end, payload) in cuts {
            parts.push(&head[start..end]);
            parts.push(payload);
            start = end;
        }
        parts.push(&head[start..]);
        self.write_parts(queued, &parts)
    }

    /// Writes `parts` in vectored writes; they start with the `queued` bytes that were pending
    /// before the current call, then hold its frames. When the inner writer fails:
    ///
    /// - before any byte of the call's frames went out, they are taken back (a retry sends them
    ///   once), the unsent rest of the queued bytes stays pending, and the error is returned;
    /// - after, the call's frames are taken: whatever did not go out becomes the pending bytes,
    ///   for the next write or flush to finish (the peer may hold the start of a frame), and the
    ///   call succeeds.
    fn write_parts(&mut self, queued: usize, parts: &[&[u8]]) -> io::Result<()> {
        let inner = self.inner.as_mut().expect("present until into_inner");
        let Err((e, written)) = write_all_vectored(inner, parts) else {
            return Ok(());
        };
        if written <= queued {
            // The queued bytes are the start of the first part: the call appended after them.
            self.buf.extend_from_slice(&parts[0][written..queued]);
            return Err(e);
        }
        let mut sent = written;
        for part in parts {
            let skip = sent.min(part.len());
            sent -= skip;
            self.buf.extend_from_slice(&part[skip..]);
        }
        Ok(())
    }

    /// Writes the pending bytes out once they pass [`WRITE_BUFFER`]. The bytes after `queued`
    /// are the current call's frames: if the inner writer fails before any of them went out,
    /// they are taken back and the error returned (a retry sends them once); if some went out,
    /// the call's frames are taken, the rest stays pending, and the next write or flush meets
    /// the error again.
    fn flush_if_full(&mut self, queued: usize) -> io::Result<()> {
        if self.buf.len() < WRITE_BUFFER {
            return Ok(());
        }
        let added = self.buf.len() - queued;
        match self.flush_buf() {
            Err((e, sent)) if sent <= queued => {
                self.buf.truncate(self.buf.len() - added);
                Err(e)
            }
            Ok(()) | Err(_) => Ok(()),
        }
    }

    /// Writes the pending frames to the inner writer, without flushing it. On error, also says
    /// how many bytes went out (they are gone from the pending buffer).
    fn flush_buf(&mut self) -> Result<(), (io::Error, usize)> {
        let inner = self.inner.as_mut().expect("present until into_inner");
        let mut sent = 0;
        while !self.buf.is_empty() {
            match inner.write(&self.buf) {
                Ok(0) => return Err((write_zero(), sent)),
                Ok(n) => {
                    // `min`: a writer claiming more than it was given must not make this panic.
                    let n = n.min(self.buf.len());
                    let _ = self.buf.split_to(n);
                    sent += n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err((e, sent)),
            }
        }
        Ok(())
    }

    /// Writes every pending frame and flushes the inner writer.
    ///
    /// # Errors
    ///
    /// The inner writer's error; frames not yet written stay pending.
    pub fn flush(&mut self) -> io::Result<()> {
        self.flush_buf().map_err(|(e, _)| e)?;
        self.inner
            .as_mut()
            .expect("present until into_inner")
            .flush()
    }

    /// Bytes of frames queued but not yet written.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The codec.
    pub fn codec(&self) -> &Codec {
        &self.codec
    }

    /// The inner writer.
    pub fn get_ref(&self) -> &W {
        self.inner.as_ref().expect("present until into_inner")
    }

    /// The inner writer, mutably. Writing to it directly, with frames pending, interleaves.
    pub fn get_mut(&mut self) -> &mut W {
        self.inner.as_mut().expect("present until into_inner")
    }

    /// Flushes, then gives back the inner writer.
    ///
    /// # Errors
    ///
    /// When flushing fails: the [`IntoInnerError`] holds the error and this writer, with the
    /// frames that were not written, so nothing is lost.
    pub fn into_inner(mut self) -> Result<W, IntoInnerError<W>> {
        if let Err(error) = self.flush() {
            return Err(IntoInnerError {
                writer: Box::new(self),
                error,
            });
        }
        Ok(self.inner.take().expect("present until into_inner"))
    }
}

impl<W: Write> Drop for FrameWriter<W> {
    fn drop(&mut self) {
        if self.inner.is_some() && !std::thread::panicking() {
            // As `BufWriter`: a best effort; call `flush` to see errors.
            let _ = self.flush_buf();
        }
    }
}

impl<W: Write> fmt::Debug for FrameWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameWriter")
            .field("codec", &self.codec)
            .field("pending", &self.buf.len())
            .finish_non_exhaustive()
    }
}

/// [`FrameWriter::into_inner`] failed to flush: the error, and the writer with its pending
/// frames.
pub struct IntoInnerError<W: Write> {
    /// Boxed: the writer is large, and the error path is rare.
    writer: Box<FrameWriter<W>>,
    error: io::Error,
}

impl<W: Write> IntoInnerError<W> {
    /// The error that stopped the flush.
    pub fn error(&self) -> &io::Error {
        &self.error
    }

    /// The writer, with the frames that were not written still pending.
    pub fn into_writer(self) -> FrameWriter<W> {
        *self.writer
    }

    /// The error and the writer.
    pub fn into_parts(self) -> (io::Error, FrameWriter<W>) {
        (self.error, *self.writer)
    }
}

impl<W: Write> fmt::Debug for IntoInnerError<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntoInnerError")
            .field("error", &self.error)
            .field("pending", &self.writer.pending())
            .finish()
    }
}

impl<W: Write> fmt::Display for IntoInnerError<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "flushing {} pending bytes of frames failed: {}",
            self.writer.pending(),
            self.error
        )
    }
}

impl<W: Write> std::error::Error for IntoInnerError<W> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl<W: Write> From<IntoInnerError<W>> for io::Error {
    fn from(err: IntoInnerError<W>) -> io::Error {
        err.error
    }
}

fn write_zero() -> io::Error {
    io::Error::new(
        io::ErrorKind::WriteZero,
        "writer accepted no bytes of a frame",
    )
}

/// `write_all` for several slices in vectored writes: retries short writes and `Interrupted`.
/// On error, also says how many bytes went out.
fn write_all_vectored<W: Write>(inner: &mut W, parts: &[&[u8]]) -> Result<(), (io::Error, usize)> {
    let mut slices: Vec<IoSlice<'_>> = parts.iter().map(|p| IoSlice::new(p)).collect();
    let mut slices = &mut slices[..];
    IoSlice::advance_slices(&mut slices, 0);
    let mut written = 0;
    let total: usize = parts.iter().map(|p| p.len()).sum();
    while !slices.is_empty() {
        match inner.write_vectored(slices) {
            Ok(0) => return Err((write_zero(), written)),
            Ok(n) => {
                // `min`: `advance_slices` panics past the end, and a writer may claim too much.
                let n = n.min(total - written);
                written += n;
                IoSlice::advance_slices(&mut slices, n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err((e, written)),
        }
    }
    Ok(())
}
