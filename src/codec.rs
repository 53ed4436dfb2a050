//! [`Codec`]: the layout and the decoder state machine, sans IO (the encoder is in `encode.rs`).

use bytes::{Buf, Bytes, BytesMut};

use crate::builder::{Builder, Layout, OversizePolicy};
use crate::error::DecodeError;
use crate::header::LengthField;

/// Most the decoder asks the buffer to grow by at once, beyond the bytes already buffered,
/// however long the announced frame: memory follows what arrived, not what was announced.
pub const MAX_READ_AHEAD: usize = 64 * 1024;

/// Least room the decoder asks for while a frame is incomplete, so small reads still batch.
const MIN_READ_AHEAD: usize = 4 * 1024;

/// A length-prefixed frame codec: [`Codec::decode`] turns a byte stream into frames,
/// [`Codec::encode`] turns frames into a byte stream. No IO inside: feed it any `BytesMut`.
///
/// Cheap to clone (a few words); a clone starts where the original is, so clone a freshly built
/// codec for each connection.
#[derive(Clone, Debug)]
pub struct Codec {
    pub(crate) layout: Layout,
    state: State,
    /// Oversize frames discarded under [`OversizePolicy::Skip`], counted when their header is
    /// read: the one record of a discard that an adapter which does not surface
    /// [`DecodeError::FrameDiscarded`] (tokio's `Decoder`) leaves.
    discarded_frames: u64,
    /// Bytes of those frames dropped so far, headers included.
    discarded_bytes: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Waiting for a complete header.
    Head,
    /// Header read and checked: the frame occupies `wire_len` bytes from the buffer's start, of
    /// which the first `skip` are dropped.
    Body { skip: usize, wire_len: usize },
    /// Skipping an oversize frame: `remaining` of its `wire_len` bytes have not arrived yet.
    Discard { remaining: u64, wire_len: u64 },
}

/// A parsed header, before the limit is applied.
struct Head {
    skip: usize,
    frame_len: u64,
    wire_len: u64,
}

/// What one [`Codec::step`] found at the front of the unconsumed bytes, and how many of them
/// the caller must consume.
#[derive(Debug)]
pub(crate) enum Advance {
    /// A whole frame: `buf[skip..end]`, `end <= buf.len()`. Consume `end` bytes.
    Frame { skip: usize, end: usize },
    /// `len` bytes (at least one) of an oversize frame are discarded: consume them. `report` is
    /// the frame's [`DecodeError::FrameDiscarded`] when this step read its header (once per
    /// frame).
    Discarded {
        len: usize,
        report: Option<DecodeError>,
    },
    /// No whole frame: consume nothing and wait for more bytes. `missing`: what the frame still
    /// lacks once its header is known (`None` while the header is incomplete or a discard
    /// waits for bytes).
    Wait { missing: Option<usize> },
}

impl Default for Codec {
    fn default() -> Self {
        Codec::new()
    }
}

impl Codec {
    /// The default layout (as tokio-util's `LengthDelimitedCodec::new()`): a 4-byte big-endian
    /// length, then that many bytes, at most 8 MiB.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// let mut codec = lenframe::Codec::new();
    /// let mut wire = BytesMut::from(&b"\x00\x00\x00\x05hello\x00\x00\x00\x05jason"[..]);
    /// assert_eq!(codec.decode(&mut wire)?.as_deref(), Some(&b"hello"[..]));
    /// assert_eq!(codec.decode(&mut wire)?.as_deref(), Some(&b"jason"[..]));
    /// assert_eq!(codec.decode(&mut wire)?, None);
    /// # Ok::<(), lenframe::DecodeError>(())
    /// ```
    #[must_use]
    pub fn new() -> Codec {
        // The default builder is valid by construction; a failure here is a bug in this crate.
        Builder::new().build().expect("the default layout is valid")
    }

    /// A builder for other layouts.
    #[must_use]
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_layout(layout: Layout) -> Codec {
        Codec {
            layout,
            state: State::Head,
            discarded_frames: 0,
            discarded_bytes: 0,
        }
    }

    /// Longest frame this codec decodes or encodes.
    #[must_use]
    pub fn max_frame_length(&self) -> usize {
        self.layout.max_frame
    }

    /// Longest frame on the wire, header and skipped bytes included: the decoder never waits
    /// for more than this many bytes before returning a frame or an error.
    #[must_use]
    pub fn max_wire_length(&self) -> usize {
        self.layout.max_wire
    }

    /// Bytes the layout has before the length field, which [`Codec::encode_parts`] takes from
    /// the caller.
    #[must_use]
    pub fn prefix_len(&self) -> usize {
        self.layout.offset
    }

    /// Bytes the layout has between the length field and the frame (`num_skip` past the header),
    /// which [`Codec::encode_parts`] takes from the caller.
    #[must_use]
    pub fn gap_len(&self) -> usize {
        match (self.layout.num_skip, self.layout.field) {
            (Some(skip), LengthField::Fixed { width, .. }) => {
                skip.saturating_sub(self.layout.offset + width)
            }
            _ => 0,
        }
    }

    /// The oversize policy.
    #[must_use]
    pub fn oversize_policy(&self) -> OversizePolicy {
        self.layout.oversize
    }

    /// Whether the decoder is between frames: it holds no parsed header, no frame is being
    /// assembled and no oversize frame is being discarded.
    ///
    /// The codec does not own the buffer, so this says nothing about bytes in it: the first
    /// bytes of the next header may be buffered while the codec is idle, and a stream ending
    /// then is still [`DecodeError::TruncatedHeader`]. To tell a clean end, call
    /// [`Codec::decode_eof`] (or [`Frames::finish`](crate::Frames::finish)).
    ///
    /// ```
    /// use bytes::BytesMut;
    /// let mut codec = lenframe::Codec::new();
    /// let mut wire = BytesMut::from(&b"\x00\x00"[..]); // half a header
    /// assert_eq!(codec.decode(&mut wire)?, None);
    /// assert!(codec.is_idle()); // no header parsed yet...
    /// assert!(codec.decode_eof(&mut wire).is_err()); // ...but the stream ended inside one
    ///
    /// let mut wire = BytesMut::from(&b"\x00\x00\x00\x05hel"[..]);
    /// assert_eq!(codec.decode(&mut wire)?, None);
    /// assert!(!codec.is_idle()); // the header is read: the frame is being assembled
    /// # Ok::<(), lenframe::DecodeError>(())
    /// ```
    #[must_use]
    pub fn is_idle(&self) -> bool {
        self.state == State::Head
    }

    /// Oversize frames discarded so far under [`OversizePolicy::Skip`] (counted as soon as
    /// their header is read), whichever path decoded them: `decode`, `frames`,
    /// [`FrameReader`](crate::io::FrameReader), or tokio's `Framed`, which does not surface
    /// [`DecodeError::FrameDiscarded`] and leaves this count as the record of discards.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use lenframe::{Codec, OversizePolicy};
    /// let mut codec = Codec::builder().max_frame_length(2).oversize(OversizePolicy::Skip).build()?;
    /// let mut wire = BytesMut::from(&b"\x00\x00\x00\x05hello\x00\x00\x00\x02ok"[..]);
    /// assert!(codec.decode(&mut wire).is_err()); // FrameDiscarded, reported once
    /// assert_eq!(codec.decode(&mut wire)?.as_deref(), Some(&b"ok"[..]));
    /// assert_eq!((codec.discarded_frames(), codec.discarded_bytes()), (1, 9));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn discarded_frames(&self) -> u64 {
        self.discarded_frames
    }

    /// Bytes of discarded oversize frames dropped so far, headers included (see
    /// [`Codec::discarded_frames`]). Grows as the bytes arrive, not when the header announces
    /// them.
    #[must_use]
    pub fn discarded_bytes(&self) -> u64 {
        self.discarded_bytes
    }

    /// Takes the next frame off the front of `src`.
    ///
    /// - `Ok(Some(frame))`: a whole frame; its bytes (and skipped header bytes) are gone from
    ///   `src`. The frame is a view of `src`'s memory: **no copy**, one reference count
    ///   increment (an atomic operation, as for any `Bytes` split off a shared buffer). A
    ///   zero-length frame is `Some` of an empty `Bytes`; every `Some` has consumed at least one
    ///   byte.
    /// - `Ok(None)`: `src` holds no whole frame yet; append what arrives next and call again.
    ///   Whatever length the header announces, `decode` asks `src` for room for at most as many
    ///   bytes as it already holds (at least 4 KiB, at most [`MAX_READ_AHEAD`]) and no more than
    ///   the frame still misses: capacity grows with what arrived.
    /// - `Err(e)`: see [`DecodeError`]; after a fatal error the offending header is still at the
    ///   front of `src`, and calling again returns the same error.
    ///
    /// For frames borrowed from a `&[u8]` (no `Bytes`, no reference count), see
    /// [`Codec::frames`]; the two can be mixed on one stream.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// let mut codec = lenframe::Codec::new();
    /// let mut wire = BytesMut::from(&b"\x00\x00\x00\x05hel"[..]);
    /// assert_eq!(codec.decode(&mut wire)?, None); // the frame is split: wait for more
    /// wire.extend_from_slice(b"lo\x00\x00\x00\x00");
    /// assert_eq!(codec.decode(&mut wire)?.as_deref(), Some(&b"hello"[..]));
    /// assert_eq!(codec.decode(&mut wire)?.as_deref(), Some(&b""[..])); // an empty frame
    /// assert!(wire.is_empty());
    /// # Ok::<(), lenframe::DecodeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] when the header is malformed, announces a length the layout forbids,
    /// or (under [`OversizePolicy::Skip`], once per frame) announces an oversize frame that is
    /// being discarded.
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, DecodeError> {
        loop {
            match self.step(src)? {
                Advance::Frame { skip, end } => {
                    // The whole frame off the buffer, then its header off the frame:
                    // `Bytes::advance` moves a pointer and a length, `BytesMut::advance` also
                    // its capacity and offset, so this order does less than advance then
                    // split_to (benches/codec.rs, owned decode).
                    let mut frame = src.split_to(end).freeze();
                    frame.advance(skip);
                    return Ok(Some(frame));
                }
                Advance::Discarded { len, report } => {
                    src.advance(len);
                    if let Some(error) = report {
                        return Err(error);
                    }
                }
                Advance::Wait { missing } => {
                    if let Some(missing) = missing {
                        // Room to read into that grows with what arrived (doubling, so a large
                        // frame costs O(log n) reallocations), capped by what is still missing
                        // and by MAX_READ_AHEAD, never by the announced length.
                        let read_ahead = src.len().clamp(MIN_READ_AHEAD, MAX_READ_AHEAD);
                        src.reserve(missing.min(read_ahead));
                    }
                    return Ok(None);
                }
            }
        }
    }

    /// One step of the decoder over the bytes at the front of `buf` (the bytes the caller has
    /// not consumed yet): the whole state machine, shared by [`Codec::decode`] and
    /// [`Codec::frames`] so the two paths cannot drift apart. The caller consumes exactly what
    /// the returned [`Advance`] says, and nothing else, before the next step.
    ///
    /// `Err`: a fatal error; nothing consumed, the state unchanged, so the next step on the same
    /// bytes returns it again. O(1) for fixed fields, O(10) at most for a varint; no allocation.
    // `#[inline]` here, on step_head, parse_head, the header parse and `Frames::next`: together
    // they let a loop over `frames` compile to one body; with any of them missing, the loop
    // calls out per frame (benches/codec.rs, 16-byte frames borrowed).
    #[inline]
    pub(crate) fn step(&mut self, buf: &[u8]) -> Result<Advance, DecodeError> {
        match self.state {
            State::Head => self.step_head(buf),
            State::Body { skip, wire_len } => match wire_len.checked_sub(buf.len()) {
                Some(missing) if missing > 0 => Ok(Advance::Wait {
                    missing: Some(missing),
                }),
                _ => {
                    self.state = State::Head;
                    Ok(Advance::Frame {
                        skip,
                        end: wire_len,
                    })
                }
            },
            State::Discard {
                remaining,
                wire_len,
            } => {
                if buf.is_empty() {
                    return Ok(Advance::Wait { missing: None });
                }
                let len = discard_len(remaining, buf.len());
                let remaining = remaining - to_u64(len);
                self.discarded_bytes = self.discarded_bytes.saturating_add(to_u64(len));
                self.state = if remaining == 0 {
                    State::Head
                } else {
                    State::Discard {
                        remaining,
                        wire_len,
                    }
                };
                Ok(Advance::Discarded { len, report: None })
            }
        }
    }

    /// [`Codec::step`] between frames: reads the header and, when the whole frame is there,
    /// returns it without storing a state (the common case for small frames).
    #[inline]
    fn step_head(&mut self, buf: &[u8]) -> Result<Advance, DecodeError> {
        let Some(head) = self.parse_head(buf)? else {
            return Ok(Advance::Wait { missing: None });
        };
        if head.frame_len > to_u64(self.layout.max_frame) {
            return self.oversize(buf, &head);
        }
        // Both fit: frame_len is within max_frame, and skip plus max_frame within max_wire, a
        // usize, as the builder checked.
        let wire_len =
            usize::try_from(head.wire_len).expect("a frame within max_frame_length fits in usize");
        match wire_len.checked_sub(buf.len()) {
            Some(missing) if missing > 0 => {
                self.state = State::Body {
                    skip: head.skip,
                    wire_len,
                };
                Ok(Advance::Wait {
                    missing: Some(missing),
                })
            }
            _ => Ok(Advance::Frame {
                skip: head.skip,
                end: wire_len,
            }),
        }
    }

    /// [`Codec::decode`] for the end of the stream: `Ok(None)` only for a clean end, where the
    /// buffer is empty between frames.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// let mut codec = lenframe::Codec::new();
    /// let mut wire = BytesMut::from(&b"\x00\x00\x00\x05hel"[..]);
    /// let err = codec.decode_eof(&mut wire).unwrap_err();
    /// assert_eq!(err.to_string(), "stream ended inside a frame: 7 bytes buffered of 9 expected");
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Codec::decode`], plus [`DecodeError::TruncatedHeader`] or
    /// [`DecodeError::TruncatedFrame`] when the stream ended inside a frame.
    pub fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, DecodeError> {
        if let Some(frame) = self.decode(src)? {
            return Ok(Some(frame));
        }
        match self.end_of_stream(src.len()) {
            None => Ok(None),
            Some(error) => Err(error),
        }
    }

    /// The error for a stream that ends with `buffered` bytes unconsumed, after the decoder
    /// asked for more; `None` for a clean end (nothing buffered, between frames).
    pub(crate) fn end_of_stream(&self, buffered: usize) -> Option<DecodeError> {
        match self.state {
            State::Head if buffered == 0 => None,
            State::Head => Some(DecodeError::TruncatedHeader {
                buffered,
                needed: (self.layout.offset + self.layout.field.min_width()).max(buffered + 1),
            }),
            State::Body { wire_len, .. } => Some(DecodeError::TruncatedFrame {
                buffered: to_u64(buffered),
                expected: to_u64(wire_len),
            }),
            State::Discard {
                remaining,
                wire_len,
            } => Some(DecodeError::TruncatedFrame {
                buffered: wire_len - remaining,
                expected: wire_len,
            }),
        }
    }

    /// Reads and checks the header at the front of `src`, without consuming it.
    ///
    /// The arithmetic is in `u64` with checked operations (no `i128`): the adjustment is added
    /// or subtracted by its magnitude, so each overflow names the error it is.
    #[inline]
    fn parse_head(&self, src: &[u8]) -> Result<Option<Head>, DecodeError> {
        let layout = &self.layout;
        let Some(field_bytes) = src.get(layout.offset..) else {
            return Ok(None);
        };
        let Some((value, width)) = layout.field.parse(field_bytes)? else {
            return Ok(None);
        };
        let header_len = layout.offset + width;
        let skip = layout.num_skip.unwrap_or(header_len);
        let adjustment = layout.adjustment;
        let magnitude = to_u64(adjustment.unsigned_abs());
        let frame_len = if adjustment < 0 {
            value
                .checked_sub(magnitude)
                .ok_or(DecodeError::LengthUnderflow { value, adjustment })?
        } else {
            value
                .checked_add(magnitude)
                .ok_or(DecodeError::LengthOverflow { value, adjustment })?
        };
        let wire_len = frame_len
            .checked_add(to_u64(skip))
            .ok_or(DecodeError::LengthOverflow { value, adjustment })?;
        if wire_len < to_u64(header_len) {
            return Err(DecodeError::FrameEndsInHeader {
                frame_end: wire_len,
                header_len,
            });
        }
        Ok(Some(Head {
            skip,
            frame_len,
            wire_len,
        }))
    }

    /// An oversize header at the front of `buf`: an error, or (skip policy) the start of a
    /// discard, which consumes what of the frame is already there.
    fn oversize(&mut self, buf: &[u8], head: &Head) -> Result<Advance, DecodeError> {
        let max = self.layout.max_frame;
        match self.layout.oversize {
            OversizePolicy::Error => Err(DecodeError::FrameTooLarge {
                announced: head.frame_len,
                max,
            }),
            OversizePolicy::Skip => {
                let len = discard_len(head.wire_len, buf.len());
                let remaining = head.wire_len - to_u64(len);
                self.discarded_frames = self.discarded_frames.saturating_add(1);
                self.discarded_bytes = self.discarded_bytes.saturating_add(to_u64(len));
                if remaining > 0 {
                    self.state = State::Discard {
                        remaining,
                        wire_len: head.wire_len,
                    };
                }
                Ok(Advance::Discarded {
                    len,
                    report: Some(DecodeError::FrameDiscarded {
                        announced: head.frame_len,
                        max,
                        wire_len: head.wire_len,
                    }),
                })
            }
        }
    }
}

/// How many of `buffered` bytes a discard with `remaining` bytes to go takes.
fn discard_len(remaining: u64, buffered: usize) -> usize {
    usize::try_from(remaining).map_or(buffered, |r| r.min(buffered))
}

/// `usize` to `u64`: lossless on every platform Rust supports (pointer width at most 64).
pub(crate) fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// [`Codec::decode`] and [`Codec::decode_eof`], for the harness: `lenframe::Codec::new` is a
/// decoder the checker takes as it is.
#[cfg(feature = "testkit")]
impl crate::testkit::Decode for Codec {
    type Message = Bytes;
    type Error = DecodeError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, DecodeError> {
        Codec::decode(self, buf)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, DecodeError> {
        Codec::decode_eof(self, buf)
    }
}
