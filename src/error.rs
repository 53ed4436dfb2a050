//! Errors: one enum for each side of the codec, each variant carrying the numbers that failed.
//!
//! Every error implements [`std::error::Error`] and converts into [`std::io::Error`], so the
//! blocking and tokio adapters can return it through `io::Result` without losing it:
//! `io::Error::get_ref()` (or `into_inner()`) followed by `downcast_ref::<DecodeError>()` gives the
//! typed value back.

use std::fmt;
use std::io;

/// The stream broke the framing rules, or ended inside a frame.
///
/// All variants but [`DecodeError::FrameDiscarded`] are *fatal*: the offending header is left at
/// the front of the buffer with everything after it (nothing of it is consumed, so nothing is
/// lost), and calling the decoder again returns the same error. (Only bytes before it can have
/// gone in the failing call: the tail of an oversize frame being discarded under
/// [`OversizePolicy::Skip`](crate::OversizePolicy::Skip).) After
/// [`DecodeError::FrameDiscarded`] the decoder has already consumed the oversize frame's bytes
/// that had arrived and keeps decoding; see [`DecodeError::is_fatal`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The header announces a frame longer than the configured maximum, and the oversize policy is
    /// [`OversizePolicy::Error`](crate::OversizePolicy::Error).
    FrameTooLarge {
        /// Length of the frame the header announces (the bytes `decode` would return).
        announced: u64,
        /// The configured `max_frame_length`.
        max: usize,
    },
    /// The header announces a frame longer than the configured maximum, and the oversize policy is
    /// [`OversizePolicy::Skip`](crate::OversizePolicy::Skip): the frame's bytes are being discarded
    /// as they arrive and decoding continues with the next frame. Reported once per frame.
    FrameDiscarded {
        /// Length of the frame the header announces (the bytes `decode` would have returned).
        announced: u64,
        /// The configured `max_frame_length`.
        max: usize,
        /// Bytes discarded from the stream for this frame, header included: the frame's whole
        /// length on the wire.
        wire_len: u64,
    },
    /// The length field plus `length_adjustment` is negative: no frame can have that length.
    LengthUnderflow {
        /// The value read from the length field.
        value: u64,
        /// The configured `length_adjustment`.
        adjustment: isize,
    },
    /// The length field plus `length_adjustment` (plus `num_skip`) does not fit in a `u64`.
    LengthOverflow {
        /// The value read from the length field.
        value: u64,
        /// The configured `length_adjustment`.
        adjustment: isize,
    },
    /// The announced frame would end inside its own header, before the end of the length field
    /// (possible when `num_skip` is smaller than the header and the adjusted length is small).
    /// Accepting it would return header bytes as a frame, or return a frame without consuming
    /// input.
    FrameEndsInHeader {
        /// Where the frame ends, counted from the first byte of the header.
        frame_end: u64,
        /// Length of the header: `length_field_offset` plus the length field's width.
        header_len: usize,
    },
    /// A varint length continues past 10 bytes, or its value does not fit in a `u64`.
    VarintOverflow {
        /// Bytes of the varint read when the overflow was detected.
        bytes: usize,
    },
    /// A varint length is not in its shortest form (it ends with a `0x00` continuation byte), so
    /// it would not re-encode to the same bytes.
    VarintOverlong {
        /// Width of the varint as sent.
        bytes: usize,
        /// The value it encodes.
        value: u64,
    },
    /// The stream ended inside a header.
    TruncatedHeader {
        /// Bytes of the unfinished header that arrived.
        buffered: usize,
        /// Bytes the header needs at least.
        needed: usize,
    },
    /// The stream ended inside a frame whose header was complete.
    TruncatedFrame {
        /// Bytes of the unfinished frame that arrived, header included.
        buffered: u64,
        /// The frame's whole length on the wire, header included.
        expected: u64,
    },
    /// [`Frames::finish`](crate::Frames::finish) was called while the buffer still held a whole
    /// frame that the iterator had not returned: a mistake of the caller, not of the stream
    /// (take every frame before calling `finish`).
    FrameNotTaken {
        /// Bytes not consumed when `finish` was called.
        buffered: usize,
        /// Length on the wire of the whole frame at their front, header included.
        wire_len: usize,
    },
}

impl DecodeError {
    /// Whether the stream is unusable after this error.
    ///
    /// `false` only for [`DecodeError::FrameDiscarded`]: the decoder skips the oversize frame and
    /// the next call to `decode` continues with the following one.
    #[must_use]
    pub fn is_fatal(&self) -> bool {
        !matches!(self, DecodeError::FrameDiscarded { .. })
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::FrameTooLarge { announced, max } => write!(
                f,
                "frame of {announced} bytes announced, over the limit of {max} bytes"
            ),
            DecodeError::FrameDiscarded { announced, max, wire_len } => write!(
                f,
                "frame of {announced} bytes announced, over the limit of {max} bytes: \
                 discarding its {wire_len} bytes and continuing"
            ),
            DecodeError::LengthUnderflow { value, adjustment } => write!(
                f,
                "length field {value} with length adjustment {adjustment} gives a negative frame length"
            ),
            DecodeError::LengthOverflow { value, adjustment } => write!(
                f,
                "length field {value} with length adjustment {adjustment} overflows a 64-bit frame length"
            ),
            DecodeError::FrameEndsInHeader { frame_end, header_len } => write!(
                f,
                "announced frame ends at byte {frame_end}, inside its {header_len}-byte header"
            ),
            DecodeError::VarintOverflow { bytes } => write!(
                f,
                "varint length overflows 64 bits after {bytes} bytes"
            ),
            DecodeError::VarintOverlong { bytes, value } => write!(
                f,
                "varint length {value} sent in {bytes} bytes, longer than its shortest form"
            ),
            DecodeError::TruncatedHeader { buffered, needed } => write!(
                f,
                "stream ended inside a header: {buffered} bytes buffered, at least {needed} needed"
            ),
            DecodeError::TruncatedFrame { buffered, expected } => write!(
                f,
                "stream ended inside a frame: {buffered} bytes buffered of {expected} expected"
            ),
            DecodeError::FrameNotTaken { buffered, wire_len } => write!(
                f,
                "finish called with a whole frame not taken: the {buffered} bytes buffered start \
                 with a frame of {wire_len} bytes"
            ),
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<DecodeError> for io::Error {
    /// `InvalidData` for broken framing, `UnexpectedEof` for a stream that ended inside a frame;
    /// the [`DecodeError`] is kept as the source.
    fn from(err: DecodeError) -> io::Error {
        let kind = match err {
            DecodeError::TruncatedHeader { .. } | DecodeError::TruncatedFrame { .. } => {
                io::ErrorKind::UnexpectedEof
            }
            DecodeError::FrameNotTaken { .. } => io::ErrorKind::InvalidInput,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, err)
    }
}

/// A frame cannot be written with this codec's layout. Nothing was written.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// The frame is longer than the configured maximum.
    FrameTooLarge {
        /// Length of the frame as the decoder would return it.
        len: u64,
        /// The configured `max_frame_length`.
        max: usize,
    },
    /// The value the length field must carry does not fit in the field, or is negative after
    /// removing `length_adjustment`.
    LengthNotRepresentable {
        /// Length of the frame as the decoder would return it.
        len: u64,
        /// The configured `length_adjustment`.
        adjustment: isize,
        /// The largest value the length field can carry.
        field_max: u64,
    },
    /// The layout has bytes before the length field (`length_field_offset`) or between it and the
    /// frame (`num_skip` past the header), and the caller supplied a different number of them.
    /// Use [`Codec::encode_parts`](crate::Codec::encode_parts).
    PartsMismatch {
        /// Which part: `"prefix"` (before the length field) or `"gap"` (after it).
        part: &'static str,
        /// Bytes the layout needs there.
        expected: usize,
        /// Bytes supplied.
        got: usize,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::FrameTooLarge { len, max } => {
                write!(f, "frame of {len} bytes is over the limit of {max} bytes")
            }
            EncodeError::LengthNotRepresentable {
                len,
                adjustment,
                field_max,
            } => write!(
                f,
                "frame of {len} bytes with length adjustment {adjustment} needs a length value \
                 outside 0..={field_max}, the range of the length field"
            ),
            EncodeError::PartsMismatch {
                part,
                expected,
                got,
            } => write!(
                f,
                "layout needs a {part} of {expected} bytes, {got} supplied"
            ),
        }
    }
}

impl std::error::Error for EncodeError {}

impl From<EncodeError> for io::Error {
    /// `InvalidInput`: the caller asked for a frame this layout cannot carry (as tokio-util's
    /// encoder reports an oversize frame). The [`EncodeError`] is kept as the source.
    fn from(err: EncodeError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, err)
    }
}

/// A [`Builder`](crate::Builder) configuration that no codec can implement.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `length_field_length` is 0 or more than 8.
    FieldLength {
        /// The requested width in bytes.
        len: usize,
    },
    /// `length_field_offset`, `num_skip` and `max_frame_length` add up past `usize::MAX`.
    SizeOverflow,
    /// `max_frame_length` was set explicitly to a length the length field cannot announce.
    MaxNotExpressible {
        /// The requested `max_frame_length`.
        max: usize,
        /// The longest frame the field can announce with this `length_adjustment`.
        field_limit: u64,
    },
    /// No frame is possible: every length the field can announce, within `max_frame_length`,
    /// would end inside the header or be negative after `length_adjustment`.
    NoValidFrame {
        /// The shortest frame length (after `num_skip`) that ends at or after the header.
        min_frame: u64,
        /// The longest frame length allowed by the field, the adjustment and the maximum.
        max_frame: u64,
    },
    /// `num_skip` was set with a varint length field. The varint's width varies with the length,
    /// so a fixed skip count cannot name where the body starts; leave `num_skip` unset to strip
    /// the header.
    VarintNumSkip {
        /// The requested `num_skip`.
        num_skip: usize,
    },
    /// Netty's `initialBytesToStrip` is larger than its `maxFrameLength`.
    StripExceedsMax {
        /// `initialBytesToStrip`.
        strip: usize,
        /// `maxFrameLength`.
        max: usize,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::FieldLength { len } => {
                write!(f, "length field of {len} bytes; it must be 1 to 8 bytes")
            }
            ConfigError::SizeOverflow => write!(
                f,
                "length_field_offset, num_skip and max_frame_length add up past usize::MAX"
            ),
            ConfigError::MaxNotExpressible { max, field_limit } => write!(
                f,
                "max_frame_length {max} is more than the {field_limit} bytes the length field can announce"
            ),
            ConfigError::NoValidFrame { min_frame, max_frame } => write!(
                f,
                "no frame fits: frames must be at least {min_frame} bytes to end after the header \
                 but at most {max_frame} bytes are allowed"
            ),
            ConfigError::VarintNumSkip { num_skip } => write!(
                f,
                "num_skip {num_skip} set with a varint length field, whose width varies; leave num_skip unset"
            ),
            ConfigError::StripExceedsMax { strip, max } => write!(
                f,
                "initial_bytes_to_strip {strip} is more than max_frame_length {max}"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

impl From<ConfigError> for io::Error {
    /// `InvalidInput`, with the [`ConfigError`] as the source.
    fn from(err: ConfigError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidInput, err)
    }
}
