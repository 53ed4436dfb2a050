//! The encoder side of [`Codec`]: a frame's length field from its payload's length, and whole
//! frames written into a `BytesMut`.

use bytes::{BufMut, BytesMut};

use crate::codec::{to_u64, Codec};
use crate::error::EncodeError;
use crate::header::{Header, MAX_FIELD_BYTES};

impl Codec {
    /// The length field for a frame whose payload is `payload_len` bytes, alone: for writing a
    /// large body without copying it, as `[prefix, header, gap, payload]` in one vectored write.
    ///
    /// ```
    /// let codec = lenframe::Codec::builder().length_field_type::<u16>().build()?;
    /// let header = codec.encode_header(1000)?;
    /// assert_eq!(header.as_bytes(), &[0x03, 0xE8]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`EncodeError::FrameTooLarge`] or [`EncodeError::LengthNotRepresentable`].
    pub fn encode_header(&self, payload_len: usize) -> Result<Header, EncodeError> {
        Ok(Header::new(
            self.layout.field,
            self.field_value(payload_len)?,
        ))
    }

    /// The value the length field carries for a payload of `payload_len` bytes.
    fn field_value(&self, payload_len: usize) -> Result<u64, EncodeError> {
        let range = &self.layout.encodable;
        if range.min <= payload_len && payload_len <= range.max {
            // The builder worked out that every check below passes in this range.
            return Ok(to_u64(payload_len).wrapping_add(range.bias));
        }
        self.field_value_checked(payload_len)
    }

    /// [`Codec::field_value`] checked step by step against the limit and the field's range, in
    /// `u64` with checked operations: the error that names the failing number.
    fn field_value_checked(&self, payload_len: usize) -> Result<u64, EncodeError> {
        let layout = &self.layout;
        let field = layout.field;
        // The frame the decoder will return: the payload, plus the header bytes it keeps.
        let header_tail = layout.header_tail;
        let frame_len = payload_len
            .checked_add(header_tail)
            .filter(|&len| len <= layout.max_frame)
            .ok_or(EncodeError::FrameTooLarge {
                len: to_u64(payload_len).saturating_add(to_u64(header_tail)),
                max: layout.max_frame,
            })?;
        let frame_len = to_u64(frame_len);
        // value = frame_len - adjustment, in u64 with checked operations: None when negative or
        // past u64::MAX.
        let magnitude = to_u64(layout.adjustment.unsigned_abs());
        let value = if layout.adjustment < 0 {
            frame_len.checked_add(magnitude)
        } else {
            frame_len.checked_sub(magnitude)
        };
        let field_max = field.max_value();
        let value =
            value
                .filter(|&v| v <= field_max)
                .ok_or(EncodeError::LengthNotRepresentable {
                    len: frame_len,
                    adjustment: layout.adjustment,
                    field_max,
                })?;
        Ok(value)
    }

    /// Writes one frame: the length field, then `payload`. Nothing is written on error.
    ///
    /// For layouts with bytes before the length field (`length_field_offset`) or between it and
    /// the frame (`num_skip` past the header), use [`Codec::encode_parts`]; this method is
    /// `encode_parts(&[], &[], payload, dst)`.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// let codec = lenframe::Codec::new();
    /// let mut wire = BytesMut::new();
    /// for word in ["hello", "jason", "kevin"] {
    ///     codec.encode(word.as_bytes(), &mut wire)?;
    /// }
    /// assert_eq!(&wire[..9], b"\x00\x00\x00\x05hello");
    /// assert_eq!(wire.len(), 27);
    /// # Ok::<(), lenframe::EncodeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`EncodeError::FrameTooLarge`], [`EncodeError::LengthNotRepresentable`], or
    /// [`EncodeError::PartsMismatch`] when the layout needs a prefix or gap.
    pub fn encode(&self, payload: &[u8], dst: &mut BytesMut) -> Result<(), EncodeError> {
        self.put_frame(&[], &[], payload, dst)
    }

    /// Writes one frame of any layout: `prefix` (the `length_field_offset` bytes before the
    /// length field, such as a magic number or a message type), the length field, `gap` (the
    /// bytes between the length field and `num_skip`, when `num_skip` reaches past the header),
    /// then `payload`. The length field is computed from the layout; nothing is written on
    /// error.
    ///
    /// What `decode` returns for this frame is everything after `num_skip`: `payload`, preceded by
    /// the header bytes after `num_skip` when `num_skip` stops inside the header.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// // A 2-byte magic, a 3-byte length, then the body (Netty's "offset 2, length 3" example).
    /// let mut codec = lenframe::Codec::builder()
    ///     .length_field_offset(2)
    ///     .length_field_length(3)
    ///     .num_skip(0)
    ///     .length_adjustment(5)
    ///     .build()?;
    /// let mut wire = BytesMut::new();
    /// codec.encode_parts(b"\xCA\xFE", b"", b"HELLO, WORLD", &mut wire)?;
    /// assert_eq!(&wire[..], b"\xCA\xFE\x00\x00\x0CHELLO, WORLD");
    /// // num_skip(0) keeps the header in the decoded frame.
    /// assert_eq!(codec.decode(&mut wire)?.as_deref(), Some(&b"\xCA\xFE\x00\x00\x0CHELLO, WORLD"[..]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`EncodeError::PartsMismatch`] when `prefix` or `gap` has the wrong length, and the errors
    /// of [`Codec::encode_header`].
    pub fn encode_parts(
        &self,
        prefix: &[u8],
        gap: &[u8],
        payload: &[u8],
        dst: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        self.put_frame(prefix, gap, payload, dst)
    }

    /// The body of [`Codec::encode_parts`], inlined into it and into [`Codec::encode`] so that
    /// `encode` is one call with its empty parts folded away.
    #[inline(always)]
    fn put_frame(
        &self,
        prefix: &[u8],
        gap: &[u8],
        payload: &[u8],
        dst: &mut BytesMut,
    ) -> Result<(), EncodeError> {
        self.check_parts(prefix, gap)?;
        let value = self.field_value(payload.len())?;
        dst.reserve(prefix.len() + MAX_FIELD_BYTES + gap.len() + payload.len());
        if !prefix.is_empty() {
            dst.put_slice(prefix);
        }
        self.layout.field.put(value, dst);
        if !gap.is_empty() {
            dst.put_slice(gap);
        }
        dst.put_slice(payload);
        Ok(())
    }

    /// Checks that `prefix` and `gap` have the lengths the layout needs.
    ///
    /// # Errors
    ///
    /// [`EncodeError::PartsMismatch`] naming the part, the expected and the supplied length.
    pub fn check_parts(&self, prefix: &[u8], gap: &[u8]) -> Result<(), EncodeError> {
        if prefix.len() == self.layout.offset && gap.len() == self.gap_len() {
            return Ok(());
        }
        for (part, expected, got) in [
            ("prefix", self.prefix_len(), prefix.len()),
            ("gap", self.gap_len(), gap.len()),
        ] {
            if expected != got {
                return Err(EncodeError::PartsMismatch {
                    part,
                    expected,
                    got,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use crate::Codec;

    /// Builders of every kind: fixed fields of every width in both byte orders and varints,
    /// offsets, adjustments of both signs (up to the extremes), `num_skip` inside, at and past
    /// the header, limits from tiny to the default. Those the builder refuses are left out.
    fn codec() -> impl Strategy<Value = Codec> {
        (
            0usize..4,
            prop_oneof![4 => (1usize..=8).prop_map(Some), 1 => Just(None)],
            any::<bool>(),
            prop_oneof![3 => -16isize..16, 1 => any::<isize>()],
            prop_oneof![Just(None), (0usize..24).prop_map(Some)],
            prop_oneof![Just(None), (0usize..70_000).prop_map(Some)],
        )
            .prop_filter_map(
                "the builder accepts it",
                |(offset, width, little, adjustment, skip, max)| {
                    let mut b = Codec::builder()
                        .length_field_offset(offset)
                        .length_adjustment(adjustment);
                    b = match width {
                        Some(width) if little => b.length_field_length(width).little_endian(),
                        Some(width) => b.length_field_length(width),
                        None => b.varint(),
                    };
                    if let Some(skip) = skip {
                        b = b.num_skip(skip);
                    }
                    if let Some(max) = max {
                        b = b.max_frame_length(max);
                    }
                    b.build().ok()
                },
            )
    }

    proptest! {
        /// Generator: `codec()`. The range the builder precomputes for encoding agrees with
        /// the step-by-step checks at its edges, at the limit, and at the extremes.
        #[test]
        fn precomputed_encode_range_agrees_with_the_checked_path(codec in codec()) {
            let range = codec.layout.encodable;
            let max = codec.max_frame_length();
            let mut lens: Vec<usize> = (0..=20).collect();
            for edge in [range.min, range.max, max] {
                lens.extend((0..=2).map(|d| edge.saturating_sub(d)));
                lens.extend((1..=2).map(|d| edge.saturating_add(d)));
            }
            lens.extend([usize::MAX, usize::MAX - 1]);
            for len in lens {
                prop_assert_eq!(codec.field_value(len), codec.field_value_checked(len), "payload {}", len);
            }
        }
    }
}
