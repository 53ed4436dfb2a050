//! [`FrameReader`]: frames from a blocking reader.

use std::fmt;
use std::io::{self, Read};
use std::ops::Range;

use bytes::{Bytes, BytesMut};

use super::block::Block;
use crate::codec::{Advance, Codec, MAX_READ_AHEAD};
use crate::error::DecodeError;

/// Least bytes a read asks for, so that small frames arrive many to a syscall.
const MIN_READ: usize = 8 * 1024;

/// How many earlier blocks a reader keeps to read into again.
const SPARE_BLOCKS: usize = 2;

/// The largest block an idle reader keeps: a block a large frame grew is given back once the
/// reader has nothing pending and reads again, so that memory follows what is held. Twice the
/// most a read asks for, times two: the block a stream of small frames settles on is kept.
const KEEP_WHEN_IDLE: usize = 4 * MAX_READ_AHEAD;

/// Reads frames from a blocking reader.
///
/// Reads land in place, in a block of memory the reader owns, and frames are [`Bytes`] views of
/// it: no copy, neither of what arrives nor of the frames. A frame you keep never changes; once
/// you drop the frames cut from a block, the reader reads into it again (no allocation, and no
/// zeroing: the block was zeroed once). Each `read` asks for at most [`MAX_READ_AHEAD`] bytes
/// (and at least 8 KiB, so small frames batch), never for the length a header announces: memory
/// follows what arrived.
///
/// ```
/// use lenframe::io::FrameReader;
/// let wire: &[u8] = b"\x00\x00\x00\x05hello\x00\x00\x00\x00";
/// let mut reader = FrameReader::new(wire);
/// assert_eq!(reader.read_frame()?.as_deref(), Some(&b"hello"[..]));
/// assert_eq!(reader.read_frame()?.as_deref(), Some(&b""[..]));
/// assert_eq!(reader.read_frame()?, None); // a clean end
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct FrameReader<R> {
    inner: R,
    codec: Codec,
    /// The block reads land in; `block.filled()[start..]` is what arrived and was not consumed.
    block: Block,
    start: usize,
    /// A view of the block's filled bytes, made at the first frame after a read and sliced into
    /// the frames until the next read: one allocation per read, not per frame.
    view: Option<Bytes>,
    /// Earlier blocks, kept to read into again once the frames cut from them are dropped.
    spares: Vec<Block>,
    /// How many bytes the next read asks for: from MIN_READ, doubling while reads fill it, up to
    /// MAX_READ_AHEAD.
    read_size: usize,
    eof: bool,
    /// Set when the iterator has returned a fatal decoding error: it ends there.
    failed: bool,
}

impl<R: Read> FrameReader<R> {
    /// A reader with the default layout ([`Codec::new`]).
    pub fn new(inner: R) -> FrameReader<R> {
        FrameReader::with_codec(inner, Codec::new())
    }

    /// A reader with any layout.
    pub fn with_codec(inner: R, codec: Codec) -> FrameReader<R> {
        FrameReader {
            inner,
            codec,
            block: Block::new(0),
            start: 0,
            view: None,
            spares: Vec::new(),
            read_size: MIN_READ,
            eof: false,
            failed: false,
        }
    }

    /// The next frame; `Ok(None)` at a clean end of stream (between frames).
    ///
    /// # Errors
    ///
    /// The reader's own errors (but `Interrupted`, which is retried), and the codec's
    /// [`DecodeError`]s as `io::Error` (the typed error is the source):
    /// `InvalidData` for broken framing, `UnexpectedEof` for a stream that ends inside a frame.
    /// After [`DecodeError::FrameDiscarded`] (the skip policy) the next call goes on with the
    /// next frame; after any other decoding error the next call returns the same error, and the
    /// bytes from the offending header on stay buffered ([`FrameReader::into_parts`]). After an
    /// error of the inner reader (a read timeout, or `WouldBlock` from a non-blocking socket),
    /// calling again resumes where it stopped: nothing read is lost.
    pub fn read_frame(&mut self) -> io::Result<Option<Bytes>> {
        let Some(span) = self.next_span()? else {
            return Ok(None);
        };
        let block = &self.block;
        Ok(Some(
            self.view.get_or_insert_with(|| block.share()).slice(span),
        ))
    }

    /// The next frame, borrowed from the reader's buffer until the next call: the borrowed
    /// path, with no `Bytes` and no reference count per frame. For many small frames handled in
    /// place it costs less than [`FrameReader::read_frame`] (`benches/tcp.rs` compares the two).
    /// Same frames, errors and end of stream as
    /// `read_frame`; the two can be mixed.
    ///
    /// ```
    /// use lenframe::io::FrameReader;
    /// let wire: &[u8] = b"\x00\x00\x00\x05hello\x00\x00\x00\x05jason";
    /// let mut reader = FrameReader::new(wire);
    /// let mut total = 0;
    /// while let Some(frame) = reader.read_frame_ref()? {
    ///     total += frame.len(); // handle the frame here; it is gone at the next call
    /// }
    /// assert_eq!(total, 10);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`FrameReader::read_frame`].
    pub fn read_frame_ref(&mut self) -> io::Result<Option<&[u8]>> {
        Ok(self.next_span()?.map(|span| &self.block.filled()[span]))
    }

    /// Where the next frame is in the block (consumed already), reading as needed; `None` at a
    /// clean end. The codec's one state machine ([`Codec::step`]), as [`Codec::decode`] and
    /// [`Codec::frames`] run it.
    fn next_span(&mut self) -> io::Result<Option<Range<usize>>> {
        loop {
            // The block's bytes, not `self.pending()`: the step borrows the codec mutably.
            let pending = &self.block.filled()[self.start..];
            match self.codec.step(pending)? {
                Advance::Frame { skip, end } => {
                    let span = self.start + skip..self.start + end;
                    self.start += end;
                    return Ok(Some(span));
                }
                Advance::Discarded { len, report } => {
                    self.start += len;
                    if let Some(error) = report {
                        return Err(error.into());
                    }
                }
                Advance::Wait { .. } if self.eof => {
                    return match self.codec.end_of_stream(pending.len()) {
                        None => Ok(None),
                        Some(error) => Err(error.into()),
                    };
                }
                Advance::Wait { .. } => self.fill()?,
            }
        }
    }

    /// Reads once into the block; sets `eof` on a zero-length read.
    fn fill(&mut self) -> io::Result<()> {
        // Reads land in the block, in place: no copy, and the block was zeroed only once, when
        // allocated (src/io/block.rs says why that needs `unsafe`), instead of into a scratch
        // buffer appended to a `BytesMut`.
        self.view = None; // the reader's own view must not keep the block shared
        if self.start == self.block.filled().len() {
            self.release_large_blocks();
        }
        let want = self.read_size;
        if self.block.spare().len() < want || self.start == self.block.filled().len() {
            self.make_room(want);
        }
        let spare = self.block.spare();
        let spare = &mut spare[..want];
        let n = loop {
            match self.inner.read(spare) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
                // A reader that claims more than the buffer holds broke `Read`'s contract:
                // what it wrote is unknown, and no byte of it is taken as data.
                Ok(n) if n > want => return Err(ReadOverclaimed { n, buffer: want }.into()),
                Ok(n) => break n,
            }
        };
        self.block.commit(n);
        if n == want && n < MAX_READ_AHEAD {
            self.read_size = (want * 2).min(MAX_READ_AHEAD);
        }
        self.eof = n == 0;
        Ok(())
    }

    /// Makes room for a read of `want` bytes after the unconsumed ones. In the block if no
    /// frame holds it (the unconsumed bytes move to the front), else in a spare block that no
    /// frame holds any more, else in a new one, twice as large as what it must hold: memory
    /// grows with what arrived, never with what a header announces.
    /// With nothing pending: gives back the blocks larger than [`KEEP_WHEN_IDLE`] (the
    /// frames cut from them keep them as long as they need them).
    fn release_large_blocks(&mut self) {
        self.spares.retain(|spare| spare.len() <= KEEP_WHEN_IDLE);
        if self.block.len() > KEEP_WHEN_IDLE {
            self.block = Block::new(0);
            self.start = 0;
        }
    }

    fn make_room(&mut self, want: usize) {
        let pending = self.start..self.block.filled().len();
        if self.block.len() - pending.len() >= want && self.block.compact(pending.clone()) {
            self.start = 0;
            return;
        }
        if self.block.spare().len() >= want && self.block.is_shared() {
            return; // a read past frames that are held: room enough already
        }
        let needed = pending.len() + want;
        let mut next = match self
            .spares
            .iter()
            .position(|spare| spare.len() >= needed && !spare.is_shared())
        {
            Some(i) => self.spares.swap_remove(i),
            None => Block::new(2 * needed),
        };
        // Only this reader makes views, so a block found unshared above is unshared still.
        assert!(next.compact(0..0), "an unshared block compacts");
        next.spare()[..pending.len()].copy_from_slice(&self.block.filled()[pending.clone()]);
        next.commit(pending.len());
        self.start = 0;
        let previous = std::mem::replace(&mut self.block, next);
        // Frames still hold the previous block: keep it, to read into once they are dropped.
        // A block left because it was too small, or beyond SPARE_BLOCKS, is freed (once its
        // frames are).
        if previous.len() >= needed && self.spares.len() < SPARE_BLOCKS {
            self.spares.push(previous);
        }
    }

    /// The codec, with its layout and decoding state.
    pub fn codec(&self) -> &Codec {
        &self.codec
    }

    /// Bytes read from the inner reader but not yet returned as frames.
    pub fn buffered(&self) -> usize {
        self.pending().len()
    }

    /// Bytes of memory this reader holds for pending input: its read blocks, the one it reads
    /// into and up to two it keeps to read into again once no frame holds them. A block is at
    /// most twice the sum of what it had to hold when it was allocated and [`MAX_READ_AHEAD`].
    pub fn buffer_capacity(&self) -> usize {
        self.block.len() + self.spares.iter().map(Block::len).sum::<usize>()
    }

    /// The inner reader.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner reader, mutably. Reading from it directly desynchronizes the framing.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The inner reader and the bytes read from it but not yet returned as frames.
    pub fn into_parts(self) -> (R, BytesMut) {
        let pending = BytesMut::from(self.pending());
        (self.inner, pending)
    }

    /// The inner reader. Bytes buffered but not yet returned are dropped: see
    /// [`FrameReader::into_parts`] to keep them.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

/// The frames of [`FrameReader::read_frame`], ending at a clean end of stream, or right after a
/// fatal decoding error (one where [`DecodeError::is_fatal`] holds, such as a stream that ends
/// inside a frame): `read_frame` would return that error forever, and a loop that skips errors
/// (`filter_map(Result::ok)`) would spin. After a
/// [`FrameDiscarded`](DecodeError::FrameDiscarded) error or an error of the inner reader, the
/// iterator goes on.
///
/// ```
/// use lenframe::io::FrameReader;
/// // "hi", then a frame announcing 9 bytes of which 3 arrive before the end.
/// let wire: &[u8] = b"\x00\x00\x00\x02hi\x00\x00\x00\x09abc";
/// let mut frames = FrameReader::new(wire);
/// assert_eq!(frames.next().transpose()?.as_deref(), Some(&b"hi"[..]));
/// let err = frames.next().unwrap().unwrap_err();
/// assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
/// assert!(frames.next().is_none());
/// # Ok::<(), std::io::Error>(())
/// ```
impl<R: Read> Iterator for FrameReader<R> {
    type Item = io::Result<Bytes>;

    fn next(&mut self) -> Option<io::Result<Bytes>> {
        if self.failed {
            return None;
        }
        let result = self.read_frame().transpose()?;
        if let Err(e) = &result {
            self.failed = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<DecodeError>())
                .is_some_and(DecodeError::is_fatal);
        }
        Some(result)
    }
}

impl<R> FrameReader<R> {
    /// What arrived and was not consumed yet.
    fn pending(&self) -> &[u8] {
        &self.block.filled()[self.start..]
    }
}

impl<R> fmt::Debug for FrameReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameReader")
            .field("codec", &self.codec)
            .field("buffered", &self.pending().len())
            .field("eof", &self.eof)
            .finish_non_exhaustive()
    }
}

/// A reader's `read` returned more bytes than the buffer it was given holds: it broke
/// `std::io::Read`'s contract, and what it wrote is unknown. `FrameReader` returns it as an
/// `io::Error` of kind `InvalidData`, and takes no byte of that read as data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadOverclaimed {
    /// What `read` returned.
    pub n: usize,
    /// The length of the buffer it was given.
    pub buffer: usize,
}

impl fmt::Display for ReadOverclaimed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the reader returned {} bytes read into a buffer of {}",
            self.n, self.buffer
        )
    }
}

impl std::error::Error for ReadOverclaimed {}

impl From<ReadOverclaimed> for io::Error {
    fn from(e: ReadOverclaimed) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}
