//! [`Builder`]: the frame layout, in tokio-util's vocabulary (and Netty's, through
//! [`Builder::netty`]), checked once by [`Builder::build`].

use crate::codec::Codec;
use crate::error::ConfigError;
use crate::header::{Endian, LengthField, VARINT_MAX_BYTES};

/// tokio-util's default `max_frame_length`: 8 MiB.
pub const DEFAULT_MAX_FRAME_LENGTH: usize = 8 * 1024 * 1024;

/// What the decoder does with a frame whose header announces more than `max_frame_length`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum OversizePolicy {
    /// Fail with [`DecodeError::FrameTooLarge`](crate::DecodeError::FrameTooLarge); the stream is
    /// unusable afterwards (tokio-util's only behaviour).
    #[default]
    Error,
    /// Report the frame once with
    /// [`DecodeError::FrameDiscarded`](crate::DecodeError::FrameDiscarded), discard its bytes as
    /// they arrive (never buffering them), and continue with the next frame (Netty's discarding
    /// mode).
    Skip,
}

/// A frame layout under construction. Start from [`Codec::builder`].
///
/// The options mean what they mean in tokio-util's `length_delimited::Builder`:
///
/// ```text
/// +--------- prefix ---------+-- length field --+--- gap ---+------ rest of the frame ------+
/// | length_field_offset bytes| 1..=8 bytes or   |           |                               |
/// |                          | a varint         |           |                               |
/// +--------------------------+------------------+-----------+-------------------------------+
/// ^ frame start                                 ^ header end
/// |<------------- num_skip (default: through the header) ---->|<- length field + adjustment ->|
///                                                             |     = the frame `decode` returns
/// ```
///
/// - `num_skip` bytes are dropped from the front of each frame; by default the whole header.
/// - The frame `decode` returns is the `value + length_adjustment` bytes that follow them.
/// - `max_frame_length` bounds that returned frame (see the crate docs for how this differs from
///   tokio-util, which bounds the raw field value).
///
/// Every option has a diagram and a decoding example in the [crate documentation](crate).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Builder {
    length_field_offset: usize,
    field_width: usize,
    varint: bool,
    endian: Endian,
    length_adjustment: isize,
    num_skip: Option<usize>,
    max_frame_length: usize,
    /// Set by `max_frame_length`: a limit the field cannot reach is then an error, where the
    /// default limit is quietly lowered to what the field can announce.
    max_is_explicit: bool,
    oversize: OversizePolicy,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            length_field_offset: 0,
            field_width: 4,
            varint: false,
            endian: Endian::Big,
            length_adjustment: 0,
            num_skip: None,
            max_frame_length: DEFAULT_MAX_FRAME_LENGTH,
            max_is_explicit: false,
            oversize: OversizePolicy::Error,
        }
    }
}

/// The unsigned integer types [`Builder::length_field_type`] accepts.
pub trait LengthFieldType: sealed::Sealed {
    /// Width in bytes.
    const WIDTH: usize;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! length_field_types {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl LengthFieldType for $t {
            const WIDTH: usize = std::mem::size_of::<$t>();
        }
    )*};
}
length_field_types!(u8, u16, u32, u64);

impl Builder {
    /// The default layout: a 4-byte big-endian length, then the frame, at most 8 MiB.
    #[must_use]
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The layout of Netty's `LengthFieldBasedFrameDecoder(maxFrameLength, lengthFieldOffset,
    /// lengthFieldLength, lengthAdjustment, initialBytesToStrip)`, with Netty's meaning of each
    /// argument, so a protocol written down for a Java server needs no new arithmetic:
    ///
    /// - Netty's `lengthAdjustment` is counted from the end of the length field, tokio-util's
    ///   from `num_skip`: this sets `length_adjustment = lengthAdjustment + lengthFieldOffset +
    ///   lengthFieldLength - initialBytesToStrip`.
    /// - Netty's `maxFrameLength` bounds the whole frame before stripping; this sets
    ///   `max_frame_length = maxFrameLength - initialBytesToStrip`, lowered to what the field can
    ///   announce, as Netty would never see a larger length.
    ///
    /// Big-endian, as Netty's default; chain [`Builder::little_endian`] for Netty's `ByteOrder`
    /// variant.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// // Netty's javadoc, "2 bytes length field at offset 1 in the middle of 4 bytes header,
    /// // strip the first header field and the length field":
    /// // lengthFieldOffset 1, lengthFieldLength 2, lengthAdjustment 1, initialBytesToStrip 3
    /// let mut codec = lenframe::Builder::netty(1024, 1, 2, 1, 3)?.build()?;
    /// let mut wire = BytesMut::from(&b"\xCA\x00\x0C\xFEHELLO, WORLD"[..]);
    /// assert_eq!(codec.decode(&mut wire)?.as_deref(), Some(&b"\xFEHELLO, WORLD"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ConfigError::StripExceedsMax`] when `initial_bytes_to_strip > max_frame_length`, and
    /// [`ConfigError::SizeOverflow`] when the adjustment does not fit in an `isize`.
    pub fn netty(
        max_frame_length: usize,
        length_field_offset: usize,
        length_field_length: usize,
        length_adjustment: isize,
        initial_bytes_to_strip: usize,
    ) -> Result<Builder, ConfigError> {
        let max = max_frame_length.checked_sub(initial_bytes_to_strip).ok_or(
            ConfigError::StripExceedsMax {
                strip: initial_bytes_to_strip,
                max: max_frame_length,
            },
        )?;
        let field_end = length_field_offset
            .checked_add(length_field_length)
            .and_then(|end| isize::try_from(end).ok())
            .ok_or(ConfigError::SizeOverflow)?;
        let strip =
            isize::try_from(initial_bytes_to_strip).map_err(|_| ConfigError::SizeOverflow)?;
        let adjustment = length_adjustment
            .checked_add(field_end)
            .and_then(|a| a.checked_sub(strip))
            .ok_or(ConfigError::SizeOverflow)?;
        Ok(Builder {
            length_field_offset,
            field_width: length_field_length,
            varint: false,
            endian: Endian::Big,
            length_adjustment: adjustment,
            num_skip: Some(initial_bytes_to_strip),
            max_frame_length: max,
            max_is_explicit: false,
            oversize: OversizePolicy::Error,
        })
    }

    /// Bytes before the length field (default 0). The encoder takes them from the caller: see
    /// [`Codec::encode_parts`].
    #[must_use]
    pub fn length_field_offset(mut self, offset: usize) -> Builder {
        self.length_field_offset = offset;
        self
    }

    /// Width of a fixed length field in bytes, 1 to 8 (default 4). Replaces [`Builder::varint`].
    #[must_use]
    pub fn length_field_length(mut self, width: usize) -> Builder {
        self.field_width = width;
        self.varint = false;
        self
    }

    /// Width of a fixed length field as an unsigned integer type: `length_field_type::<u16>()` is
    /// `length_field_length(2)`.
    #[must_use]
    pub fn length_field_type<T: LengthFieldType>(self) -> Builder {
        self.length_field_length(T::WIDTH)
    }

    /// An unsigned LEB128 length (protobuf's length-delimited messages) instead of a fixed field.
    /// Replaces [`Builder::length_field_length`]; the byte order setting does not apply. A varint
    /// that is not in its shortest form, or that overflows 64 bits, is a decoding error.
    #[must_use]
    pub fn varint(mut self) -> Builder {
        self.varint = true;
        self
    }

    /// Added to the length field's value to get the length of the frame after `num_skip`
    /// (default 0). Negative when the field counts bytes that `num_skip` removes, such as the
    /// header itself.
    #[must_use]
    pub fn length_adjustment(mut self, adjustment: isize) -> Builder {
        self.length_adjustment = adjustment;
        self
    }

    /// Bytes dropped from the front of each frame (default: `length_field_offset` plus the field
    /// width, that is, the whole header). Smaller keeps (part of) the header in the frame.
    #[must_use]
    pub fn num_skip(mut self, num_skip: usize) -> Builder {
        self.num_skip = Some(num_skip);
        self
    }

    /// Big-endian (network order) length field; the default.
    #[must_use]
    pub fn big_endian(mut self) -> Builder {
        self.endian = Endian::Big;
        self
    }

    /// Little-endian length field.
    #[must_use]
    pub fn little_endian(mut self) -> Builder {
        self.endian = Endian::Little;
        self
    }

    /// The byte order of the machine this runs on, like Python's `struct.pack('i', n)`.
    #[must_use]
    pub fn native_endian(mut self) -> Builder {
        self.endian = Endian::native();
        self
    }

    /// Byte order as a value.
    #[must_use]
    pub fn endian(mut self, endian: Endian) -> Builder {
        self.endian = endian;
        self
    }

    /// Longest frame `decode` may return and `encode` may write (default 8 MiB, lowered to what
    /// the length field can announce). A limit above what the field can announce is a
    /// [`ConfigError::MaxNotExpressible`].
    #[must_use]
    pub fn max_frame_length(mut self, max: usize) -> Builder {
        self.max_frame_length = max;
        self.max_is_explicit = true;
        self
    }

    /// What to do with a frame over the limit (default [`OversizePolicy::Error`]).
    #[must_use]
    pub fn oversize(mut self, policy: OversizePolicy) -> Builder {
        self.oversize = policy;
        self
    }

    /// Checks the layout and makes a codec.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the setting that cannot work: a field width outside 1..=8, a
    /// `max_frame_length` the field cannot announce, a layout where no frame can end after its
    /// header, `num_skip` with a varint, or sizes that overflow `usize`.
    pub fn build(&self) -> Result<Codec, ConfigError> {
        Layout::new(self).map(Codec::from_layout)
    }
}

/// A checked layout: every invariant `Codec` relies on holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    pub(crate) field: LengthField,
    pub(crate) offset: usize,
    pub(crate) adjustment: isize,
    /// `None`: skip through the header, whatever the field's width.
    pub(crate) num_skip: Option<usize>,
    pub(crate) max_frame: usize,
    /// Longest frame on the wire, header included: the most the decoder ever waits for.
    pub(crate) max_wire: usize,
    pub(crate) oversize: OversizePolicy,
    /// Header bytes after `num_skip` (when it stops inside the header), which the decoded frame
    /// keeps: the encoder counts them into the frame's length.
    pub(crate) header_tail: usize,
    /// The payload lengths the encoder accepts, and their length field values.
    pub(crate) encodable: EncodeRange,
}

/// The payload lengths the encoder accepts under a layout, and how each becomes the length
/// field's value: worked out once, in `i128`, so that encoding a frame is a range check and an
/// addition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EncodeRange {
    /// Shortest payload; `min > max` when no payload is encodable.
    pub(crate) min: usize,
    /// Longest payload.
    pub(crate) max: usize,
    /// For a payload of `len` bytes within `min..=max`, the field carries `len + bias` (modulo
    /// 2^64: the bias may stand for a negative number), which the range keeps within the
    /// field's values.
    pub(crate) bias: u64,
}

impl EncodeRange {
    /// `header_tail`: header bytes after `num_skip`, which the decoded frame keeps;
    /// `adjustment`: the layout's; `max_frame`: the limit on the decoded frame.
    fn new(field: LengthField, header_tail: usize, adjustment: i128, max_frame: usize) -> Self {
        let wide = |n: usize| i128::try_from(n).unwrap_or(i128::MAX);
        let tail = wide(header_tail);
        // frame = payload + tail <= max_frame, and value = frame - adjustment in 0..=field max.
        let min = (adjustment - tail).max(0);
        let max = (wide(max_frame) - tail).min(i128::from(field.max_value()) + adjustment - tail);
        let bias = u64::try_from((tail - adjustment).rem_euclid(1 << 64)).unwrap_or(0);
        match (
            usize::try_from(min),
            usize::try_from(max.min(wide(usize::MAX))),
        ) {
            (Ok(min), Ok(max)) if min <= max => EncodeRange { min, max, bias },
            _ => EncodeRange {
                min: 1,
                max: 0,
                bias: 0,
            },
        }
    }
}

impl Layout {
    fn new(b: &Builder) -> Result<Layout, ConfigError> {
        let field = if b.varint {
            if let Some(num_skip) = b.num_skip {
                return Err(ConfigError::VarintNumSkip { num_skip });
            }
            LengthField::Varint
        } else {
            if !(1..=8).contains(&b.field_width) {
                return Err(ConfigError::FieldLength { len: b.field_width });
            }
            LengthField::Fixed {
                width: b.field_width,
                endian: b.endian,
            }
        };
        let adjustment =
            i128::try_from(b.length_adjustment).map_err(|_| ConfigError::SizeOverflow)?;
        // The longest frame the field can announce with this adjustment.
        let field_limit = i128::from(field.max_value()) + adjustment;
        let max_frame = if b.max_is_explicit {
            if i128::try_from(b.max_frame_length).is_ok_and(|m| m > field_limit) {
                return Err(ConfigError::MaxNotExpressible {
                    max: b.max_frame_length,
                    field_limit: u64::try_from(field_limit.max(0)).unwrap_or(u64::MAX),
                });
            }
            b.max_frame_length
        } else {
            // Lower the default to the field's reach, as tokio-util does.
            usize::try_from(field_limit.clamp(0, i128::MAX))
                .unwrap_or(usize::MAX)
                .min(b.max_frame_length)
        };

        let min_header = b
            .length_field_offset
            .checked_add(field.min_width())
            .ok_or(ConfigError::SizeOverflow)?;
        // Shortest frame (after num_skip): not negative, not below what a zero field gives, and
        // long enough to end after the header. (A varint, whose width varies, has no num_skip:
        // refused above.)
        let header_tail = b.num_skip.map_or(0, |skip| min_header.saturating_sub(skip));
        let min_frame = adjustment
            .max(0)
            .max(i128::try_from(header_tail).map_err(|_| ConfigError::SizeOverflow)?);
        let max_frame_i = i128::try_from(max_frame).map_err(|_| ConfigError::SizeOverflow)?;
        if min_frame > max_frame_i.min(field_limit) {
            return Err(ConfigError::NoValidFrame {
                min_frame: u64::try_from(min_frame).unwrap_or(u64::MAX),
                max_frame: u64::try_from(max_frame_i.min(field_limit).max(0)).unwrap_or(0),
            });
        }

        let max_skip = match (b.num_skip, field) {
            (Some(skip), _) => skip,
            (None, LengthField::Fixed { width, .. }) => b.length_field_offset + width,
            (None, LengthField::Varint) => b
                .length_field_offset
                .checked_add(VARINT_MAX_BYTES)
                .ok_or(ConfigError::SizeOverflow)?,
        };
        // A frame ends at or after its header, so waiting for the header never exceeds this
        // either, except for a varint header with a small limit: take the larger.
        let max_wire = max_skip
            .checked_add(max_frame)
            .ok_or(ConfigError::SizeOverflow)?
            .max(min_header);
        Ok(Layout {
            encodable: EncodeRange::new(field, header_tail, adjustment, max_frame),
            header_tail,
            field,
            offset: b.length_field_offset,
            adjustment: b.length_adjustment,
            num_skip: b.num_skip,
            max_frame,
            max_wire,
            oversize: b.oversize,
        })
    }
}
