//! [`Frames`]: the borrowed decoding path, frames as `&[u8]` slices of the caller's buffer.

use std::fmt;
use std::iter::FusedIterator;

use crate::codec::{Advance, Codec};
use crate::error::DecodeError;

impl Codec {
    /// The whole frames at the front of `buf`, borrowed from it: no allocation, no copy, no
    /// reference count, O(1) per frame for fixed fields. The caller owns the buffer: once the
    /// iterator is done (or dropped), drop the first [`Frames::consumed`] bytes, keep the rest,
    /// append what arrives next and call `frames` (or [`Codec::decode`]) again.
    ///
    /// Same layouts, limits, errors and error order as [`Codec::decode`]: both run the same
    /// state machine, one step per item. Items:
    ///
    /// - `Ok(frame)`: a whole frame (the bytes after `num_skip`), borrowed from `buf`.
    /// - `Err(`[`DecodeError::FrameDiscarded`]`)` (skip policy only): an oversize frame, reported
    ///   once; the bytes of it in `buf` count as consumed, its bytes still to come will be
    ///   consumed by the next calls, and iteration goes on.
    /// - `Err(e)` with [`e.is_fatal()`](DecodeError::is_fatal): the iterator ends there; the
    ///   offending header is not consumed, so calling `frames` again on the unconsumed bytes
    ///   repeats the error, as `decode` does.
    ///
    /// `None` when `buf` holds no whole frame after those taken (and forever after: the
    /// iterator is fused).
    ///
    /// Takes `&mut self`, not `&self`: a frame cut by the end of `buf` leaves a parsed header,
    /// and an oversize frame under [`OversizePolicy::Skip`](crate::OversizePolicy::Skip) a count
    /// of bytes still to discard, and both must carry over to the next call. Without that state
    /// a caller would have to keep an announced oversize frame (up to 2^64 bytes) buffered
    /// whole just to skip it. The state is consistent at every point of the iteration: after
    /// any item (or none), advancing the buffer by [`Frames::consumed`] and continuing with
    /// `frames` or `decode` gives the same frames as decoding all along.
    ///
    /// ```
    /// let mut codec = lenframe::Codec::new();
    /// let mut buf = b"\x00\x00\x00\x05hello\x00\x00\x00\x05jas".to_vec();
    ///
    /// let mut frames = codec.frames(&buf);
    /// assert_eq!(frames.next(), Some(Ok(&b"hello"[..])));
    /// assert_eq!(frames.next(), None); // "jas": not a whole frame yet
    /// let consumed = frames.consumed();
    /// assert_eq!(consumed, 9);
    ///
    /// buf.drain(..consumed); // keep the unconsumed tail, append what arrives next
    /// buf.extend_from_slice(b"on");
    /// let frames: Vec<&[u8]> = codec.frames(&buf).collect::<Result<_, _>>()?;
    /// assert_eq!(frames, [&b"jason"[..]]);
    /// # Ok::<(), lenframe::DecodeError>(())
    /// ```
    ///
    /// A read loop over any `std::io::Read`, with the frames handled in place:
    ///
    /// ```
    /// use std::io::Read;
    ///
    /// let mut socket: &[u8] = b"\x00\x00\x00\x05hello\x00\x00\x00\x05jason\x00\x00\x00\x05kevin";
    /// let mut codec = lenframe::Codec::new();
    /// let mut buf = Vec::new();
    /// let mut chunk = [0u8; 7]; // any read size works
    /// let mut total = 0;
    /// loop {
    ///     let n = socket.read(&mut chunk)?;
    ///     if n == 0 {
    ///         break;
    ///     }
    ///     buf.extend_from_slice(&chunk[..n]);
    ///     let mut frames = codec.frames(&buf);
    ///     for frame in &mut frames {
    ///         total += frame?.len();
    ///     }
    ///     let consumed = frames.consumed();
    ///     buf.drain(..consumed);
    /// }
    /// assert_eq!(total, 15);
    /// codec.frames(&buf).finish()?; // a clean end: no partial frame left
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn frames<'buf>(&mut self, buf: &'buf [u8]) -> Frames<'_, 'buf> {
        Frames {
            codec: self,
            rest: buf,
            given: buf.len(),
            done: false,
        }
    }
}

/// The frames at the front of a buffer: see [`Codec::frames`].
///
/// Each item is a step of the codec; between items, the codec's state matches
/// [`Frames::consumed`]. Dropping the iterator early is fine: the frames not taken are simply
/// not consumed.
pub struct Frames<'codec, 'buf> {
    codec: &'codec mut Codec,
    /// The bytes not consumed yet.
    rest: &'buf [u8],
    /// Length of the buffer given to `Codec::frames`.
    given: usize,
    /// Set once the buffer holds no whole frame, or after a fatal error: fused.
    done: bool,
}

impl<'buf> Frames<'_, 'buf> {
    /// Bytes of the buffer used so far: the frames returned, their headers and skipped bytes,
    /// and bytes of oversize frames discarded. Drop that many from the front of the buffer
    /// before the next call; the bytes of an unfinished frame are not counted.
    #[must_use]
    pub fn consumed(&self) -> usize {
        self.given - self.rest.len()
    }

    /// The bytes not consumed: the buffer after [`Frames::consumed`].
    #[must_use]
    pub fn remaining(&self) -> &'buf [u8] {
        self.rest
    }

    /// The stream ends after this buffer: `Ok(())` for a clean end (the iterator has taken
    /// every frame, and nothing is left over), else the error [`Codec::decode_eof`] gives for
    /// the same bytes: the fatal error the iterator ended with,
    /// [`DecodeError::TruncatedHeader`] or [`DecodeError::TruncatedFrame`]. Take every frame
    /// first: a whole frame not taken is [`DecodeError::FrameNotTaken`] (and a discard not
    /// yet reported, its [`DecodeError::FrameDiscarded`]).
    ///
    /// ```
    /// let mut codec = lenframe::Codec::new();
    /// let buf = b"\x00\x00\x00\x02hi\x00\x00\x00\x09abc";
    /// let mut frames = codec.frames(buf);
    /// assert_eq!(frames.next(), Some(Ok(&b"hi"[..])));
    /// assert_eq!(frames.next(), None);
    /// let err = frames.finish().unwrap_err();
    /// assert_eq!(err.to_string(), "stream ended inside a frame: 7 bytes buffered of 13 expected");
    ///
    /// let mut codec = lenframe::Codec::new();
    /// let frames = codec.frames(b"\x00\x00\x00\x05hello"); // not taken
    /// let err = frames.finish().unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "finish called with a whole frame not taken: the 9 bytes buffered start with a frame \
    ///      of 9 bytes"
    /// );
    /// ```
    ///
    /// # Errors
    ///
    /// As above.
    pub fn finish(self) -> Result<(), DecodeError> {
        if self.done {
            // After a fatal error the state is unchanged and the header still in `rest`: the
            // same step fails the same way.
            self.codec.step(self.rest)?;
        } else if !self.rest.is_empty() {
            // Items not taken: find what the next one is, on a copy, so that this call does not
            // consume it. A whole frame is the caller's mistake, and is named as one, instead
            // of being called a truncated header.
            match self.codec.clone().step(self.rest)? {
                Advance::Frame { end, .. } => {
                    return Err(DecodeError::FrameNotTaken {
                        buffered: self.rest.len(),
                        wire_len: end,
                    })
                }
                Advance::Discarded { report, .. } => {
                    if let Some(report) = report {
                        return Err(report);
                    }
                }
                Advance::Wait { .. } => {}
            }
        }
        match self.codec.end_of_stream(self.rest.len()) {
            None => Ok(()),
            Some(error) => Err(error),
        }
    }
}

impl<'buf> Iterator for Frames<'_, 'buf> {
    type Item = Result<&'buf [u8], DecodeError>;

    // Inlined into the caller's loop, with the step it runs: see `Codec::step`.
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            match self.codec.step(self.rest) {
                Ok(Advance::Frame { skip, end }) => {
                    let (wire, rest) = self.rest.split_at(end);
                    self.rest = rest;
                    return Some(Ok(&wire[skip..]));
                }
                Ok(Advance::Discarded { len, report }) => {
                    self.rest = &self.rest[len..];
                    if let Some(error) = report {
                        return Some(Err(error));
                    }
                }
                Ok(Advance::Wait { .. }) => {
                    self.done = true;
                    return None;
                }
                Err(error) => {
                    self.done = true;
                    return Some(Err(error));
                }
            }
        }
    }
}

impl FusedIterator for Frames<'_, '_> {}

impl fmt::Debug for Frames<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frames")
            .field("codec", &self.codec)
            .field("consumed", &self.consumed())
            .field("remaining", &self.rest.len())
            .field("done", &self.done)
            .finish()
    }
}
