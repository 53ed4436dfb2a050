//! A reference reading of a header, written apart from the codec's (`crate::header`,
//! `Codec::parse_head`) and as plainly as possible: a fixed field folded byte by byte, a varint
//! summed in a `u128` so that no bound is needed to read it, the adjusted length and the frame's
//! end in `i128` so that no sum can overflow. From it, the fatal error a header calls for; the
//! oracles hold the codec's errors against it.

use super::*;

/// What a header's length field says, read without the codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reading {
    /// The field is whole, `width` bytes, and carries `value`.
    Value { value: u64, width: usize },
    /// The stream ends before the field does; the header needs at least `needed` bytes: a
    /// fixed field's whole header, or one more byte than arrived of a varint's (at least its
    /// first).
    Incomplete { needed: usize },
    /// A varint that continues past 10 bytes, or whose value does not fit in a `u64`
    /// ([`DecodeError::VarintOverflow`]).
    Overflow { bytes: usize },
    /// A varint longer than its shortest form: it ends with a `0x00` byte
    /// ([`DecodeError::VarintOverlong`]).
    Overlong { bytes: usize, value: u64 },
}

/// The most bytes a varint of a `u64` takes: 64 bits in groups of 7.
const VARINT_BYTES: usize = 64_usize.div_ceil(7);

/// Reads the length field of the header at the start of `rest` (the layout's prefix first).
pub(super) fn read_field(layout: LayoutBytes, rest: &[u8]) -> Reading {
    let offset = layout.offset;
    if layout.is_varint() {
        return match rest.get(offset..) {
            Some(field) => match read_varint(field) {
                Reading::Incomplete { needed } => Reading::Incomplete {
                    needed: offset.saturating_add(needed),
                },
                reading => reading,
            },
            None => Reading::Incomplete {
                needed: offset.saturating_add(1),
            },
        };
    }
    let width = usize::from(layout.field);
    let Some(bytes) = rest.get(offset..).and_then(|field| field.get(..width)) else {
        return Reading::Incomplete {
            needed: offset.saturating_add(width),
        };
    };
    let fold = |acc: u64, &b: &u8| (acc << 8) | u64::from(b);
    let value = if layout.flags & LITTLE_ENDIAN == 0 {
        bytes.iter().fold(0, fold)
    } else {
        bytes.iter().rev().fold(0, fold)
    };
    Reading::Value { value, width }
}

/// A varint: 7 bits per byte, least significant group first, high bit set on every byte but
/// the last.
fn read_varint(field: &[u8]) -> Reading {
    let mut value = 0u128;
    for (i, &byte) in field.iter().enumerate() {
        value |= u128::from(byte & 0x7f) << (7 * i);
        let bytes = i + 1;
        let last = byte & 0x80 == 0;
        if !last && bytes < VARINT_BYTES {
            continue;
        }
        // Ends here, or would need more bytes than any u64 does.
        let Ok(value) = u64::try_from(value) else {
            return Reading::Overflow { bytes };
        };
        return match (last, byte) {
            (false, _) => Reading::Overflow { bytes },
            (true, 0) if bytes > 1 => Reading::Overlong { bytes, value },
            (true, _) => Reading::Value {
                value,
                width: bytes,
            },
        };
    }
    Reading::Incomplete {
        needed: field.len() + 1,
    }
}

/// What decoding must do at a header, read without the codec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Not whole yet: at least `needed` bytes make it whole (or tell it wrong).
    Incomplete { needed: usize },
    /// A fatal error stops decoding here.
    Fatal(DecodeError),
    /// A frame: `announced` bytes (the adjusted length), `wire_len` on the wire counted from
    /// the header's first byte, of which the first `skip` are dropped. `discarded`: over the
    /// limit under the skip policy.
    Frame {
        announced: u64,
        skip: usize,
        wire_len: u64,
        discarded: bool,
    },
}

/// Reads the header at the start of `rest` and works out, in `i128` (which holds any field
/// value plus any adjustment and `num_skip`), what a codec of this layout and limit must do at
/// it. In the codec's order: the length field's own errors (a varint's), the adjusted length
/// below zero, the adjusted length or the frame's end past `u64::MAX`, a frame that ends inside
/// its header, then a frame over the limit (an error, or under the skip policy, a discard).
pub(super) fn verdict(layout: LayoutBytes, max: usize, rest: &[u8]) -> Verdict {
    let (value, width) = match read_field(layout, rest) {
        Reading::Value { value, width } => (value, width),
        Reading::Incomplete { needed } => return Verdict::Incomplete { needed },
        Reading::Overflow { bytes } => {
            return Verdict::Fatal(DecodeError::VarintOverflow { bytes })
        }
        Reading::Overlong { bytes, value } => {
            return Verdict::Fatal(DecodeError::VarintOverlong { bytes, value })
        }
    };
    let adjustment = layout.adjustment;
    let header_len = layout.offset.saturating_add(width);
    let skip = if layout.num_skip_set() {
        layout.num_skip
    } else {
        header_len
    };
    // Each term fits in an i128, and so do their sums.
    let wide = |n: usize| i128::try_from(n).unwrap_or(i128::MAX);
    let frame_len = i128::from(value) + i128::try_from(adjustment).unwrap_or(0);
    let frame_end = frame_len + wide(skip);
    let in_u64 = |n: i128| u64::try_from(n).ok();
    if frame_len < 0 {
        return Verdict::Fatal(DecodeError::LengthUnderflow { value, adjustment });
    }
    let (Some(announced), Some(wire_len)) = (in_u64(frame_len), in_u64(frame_end)) else {
        return Verdict::Fatal(DecodeError::LengthOverflow { value, adjustment });
    };
    if i128::from(wire_len) < wide(header_len) {
        return Verdict::Fatal(DecodeError::FrameEndsInHeader {
            frame_end: wire_len,
            header_len,
        });
    }
    let over = i128::from(announced) > wide(max);
    if over && layout.flags & SKIP_POLICY == 0 {
        return Verdict::Fatal(DecodeError::FrameTooLarge { announced, max });
    }
    Verdict::Frame {
        announced,
        skip,
        wire_len,
        discarded: over,
    }
}

/// The fatal error a header at the start of `rest` must stop decoding with ([`verdict`]), for
/// a codec of this layout and limit; `None` when the header is sound and no fatal error may
/// stop there. Once the stream has ended (`at_eof`), a header cut short is one too.
pub(super) fn fatal_error(
    layout: LayoutBytes,
    max: usize,
    rest: &[u8],
    at_eof: bool,
) -> Option<DecodeError> {
    match verdict(layout, max, rest) {
        Verdict::Incomplete { needed } => at_eof.then_some(DecodeError::TruncatedHeader {
            buffered: rest.len(),
            needed,
        }),
        Verdict::Fatal(error) => Some(error),
        Verdict::Frame { .. } => None,
    }
}

/// Holds a fatal error a call returned (`error`) against the one the header it stopped at calls
/// for ([`fatal_error`]; a fatal error consumes nothing of its header, so the bytes left in the
/// buffer, `rest`, start with it): the same error, numbers included. `at_eof`: the call was
/// `decode_eof`. A truncated frame is about a header already consumed: nothing to check.
pub(super) fn fatal_error_agrees(
    layout: LayoutBytes,
    max: usize,
    rest: &[u8],
    at_eof: bool,
    error: &DecodeError,
) {
    if matches!(error, DecodeError::TruncatedFrame { .. }) {
        return;
    }
    let expected = fatal_error(layout, max, rest, at_eof);
    assert!(
        expected.as_ref() == Some(error),
        "the header the codec stopped at reads as {:?}, which calls for {expected:?}; the codec \
         stopped with {error:?} ({} bytes left: {:02x?})",
        read_field(layout, rest),
        rest.len(),
        &rest[..rest.len().min(24)]
    );
}

/// What the encoder must put in the length field for a payload of `payload_len` bytes, worked
/// out in `i128` from the layout and the limit, apart from the codec: the field value, or the
/// error with its numbers. In the encoder's order: the frame the decoder will return (the
/// payload and the header bytes kept after `num_skip`) over the limit, then a field value
/// (the frame's length less the adjustment) below zero or past what the field holds.
pub(super) fn field_value(
    layout: LayoutBytes,
    max: usize,
    payload_len: usize,
) -> Result<u64, EncodeError> {
    let wide = |n: usize| i128::try_from(n).unwrap_or(i128::MAX);
    // A varint takes no num_skip, so keeps no header bytes; a fixed field's header bytes after
    // num_skip stay in the frame.
    let kept = if layout.is_varint() || !layout.num_skip_set() {
        0
    } else {
        (wide(layout.offset) + i128::from(layout.field) - wide(layout.num_skip)).max(0)
    };
    let frame_len = wide(payload_len) + kept;
    let len = u64::try_from(frame_len).unwrap_or(u64::MAX);
    if frame_len > wide(max) {
        return Err(EncodeError::FrameTooLarge { len, max });
    }
    let field_max = match layout.field {
        width @ 1..=7 => (1 << (8 * u32::from(width))) - 1,
        _ => u64::MAX,
    };
    let value = frame_len - i128::try_from(layout.adjustment).unwrap_or(0);
    u64::try_from(value)
        .ok()
        .filter(|&value| value <= field_max)
        .ok_or(EncodeError::LengthNotRepresentable {
            len,
            adjustment: layout.adjustment,
            field_max,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint_layout() -> LayoutBytes {
        LayoutBytes::parse(&mut Input::new(&[0, 10]))
    }

    #[test]
    fn varints_read_as_the_codec_writes_them() {
        // The codec writes a varint field through `encode_header`: the field carries the
        // payload's length minus the adjustment. Values from 2^63 need the adjustment at
        // isize::MIN (a payload's length is at most isize::MAX).
        let plain = Codec::builder()
            .varint()
            .max_frame_length(1 << 62)
            .build()
            .unwrap();
        let shifted = Codec::builder()
            .varint()
            .length_adjustment(isize::MIN)
            .max_frame_length(1 << 62)
            .build()
            .unwrap();
        let fields = [0u64, 1, 127, 128, 300, 1 << 56, 1 << 62]
            .map(|value| (value, plain.encode_header(usize::try_from(value).unwrap())))
            .into_iter()
            .chain([0u64, 1 << 62].map(|payload| {
                let value = payload + (1 << 63);
                (
                    value,
                    shifted.encode_header(usize::try_from(payload).unwrap()),
                )
            }));
        for (value, header) in fields {
            let header = header.unwrap_or_else(|e| panic!("{value}: {e}"));
            let out = header.as_bytes();
            let n = out.len();
            assert_eq!(
                read_varint(out),
                Reading::Value { value, width: n },
                "{value}"
            );
            assert_eq!(
                read_varint(&out[..n - 1]),
                Reading::Incomplete { needed: n },
                "{value}"
            );
        }
    }

    #[test]
    fn the_tenth_byte_carries_bit_63_only() {
        let mut bytes = [0xff; 10];
        bytes[9] = 0x01;
        assert_eq!(
            read_varint(&bytes),
            Reading::Value {
                value: u64::MAX,
                width: 10
            }
        );
        bytes[9] = 0x02;
        assert_eq!(read_varint(&bytes), Reading::Overflow { bytes: 10 });
        bytes[9] = 0x81;
        assert_eq!(read_varint(&bytes), Reading::Overflow { bytes: 10 });
        assert_eq!(
            read_varint(&[0x80, 0x80, 0x00]),
            Reading::Overlong { bytes: 3, value: 0 }
        );
        assert_eq!(read_varint(&[0x00]), Reading::Value { value: 0, width: 1 });
    }

    /// The panic message of `fatal_error_agrees` on a codec of `layout` that stopped at the
    /// start of `rest` with `error`.
    fn disagreement(layout: LayoutBytes, rest: &[u8], error: &DecodeError) -> String {
        let max = layout.builder().build().unwrap().max_frame_length();
        crate::panic_text(
            std::panic::catch_unwind(|| fatal_error_agrees(layout, max, rest, true, error))
                .expect_err("the check passed")
                .as_ref(),
        )
    }

    /// lenframe in one piece on `stream`: its fatal error, which passes the check.
    fn lenframe_agrees(layout: LayoutBytes, stream: &[u8]) -> DecodeError {
        let codec = layout.builder().build().unwrap();
        let max = codec.max_frame_length();
        let out = run(codec, stream, &[]);
        let error = out.errors.last().expect("an error").clone();
        fatal_error_agrees(
            layout,
            max,
            &stream[stream.len() - out.leftover..],
            true,
            &error,
        );
        error
    }

    #[test]
    fn a_varint_error_where_the_reference_reads_a_value_is_caught() {
        // 2^63: ten bytes, the last group 1. What a codec that refuses any tenth group but 0
        // (`group > 1` as `group >= 1`, planted by hand) reports.
        let mut header = [0x80; 10];
        header[9] = 0x01;
        let layout = varint_layout();
        let message = disagreement(layout, &header, &DecodeError::VarintOverflow { bytes: 10 });
        assert!(
            message
                .contains("Some(FrameTooLarge { announced: 9223372036854775808, max: 8388608 })"),
            "{message}"
        );
        // lenframe: the frame is over the limit.
        assert!(matches!(
            lenframe_agrees(layout, &header),
            DecodeError::FrameTooLarge { .. }
        ));
    }

    #[test]
    fn a_truncated_header_names_the_least_the_header_needs() {
        // The default layout, one byte of its 4-byte header: lenframe says 4 are needed.
        let layout = LayoutBytes::parse(&mut Input::new(&[0, 4]));
        assert_eq!(
            lenframe_agrees(layout, &[0]),
            DecodeError::TruncatedHeader {
                buffered: 1,
                needed: 4
            }
        );
        // One more than arrived (what `offset * width` for `offset + width` gives with no
        // offset, planted by hand) is not enough.
        let short = DecodeError::TruncatedHeader {
            buffered: 1,
            needed: 2,
        };
        let message = disagreement(layout, &[0], &short);
        assert!(
            message.contains("calls for Some(TruncatedHeader { buffered: 1, needed: 4 })"),
            "{message}"
        );
    }

    #[test]
    fn a_header_cut_short_is_an_error_only_at_the_end_of_the_stream() {
        let layout = LayoutBytes::parse(&mut Input::new(&[0, 4]));
        assert_eq!(fatal_error(layout, 100, &[0, 0], false), None);
        assert_eq!(
            fatal_error(layout, 100, &[0, 0], true),
            Some(DecodeError::TruncatedHeader {
                buffered: 2,
                needed: 4
            })
        );
    }

    #[test]
    fn an_empty_frame_refused_as_ending_in_its_header_is_caught() {
        // The default layout's header, announcing 0: an empty frame, which ends with its
        // header, not inside it. What `wire_len <= header_len` for `<` (planted by hand) reports.
        let layout = LayoutBytes::parse(&mut Input::new(&[0, 4]));
        let ends_in_header = DecodeError::FrameEndsInHeader {
            frame_end: 4,
            header_len: 4,
        };
        let message = disagreement(layout, &[0, 0, 0, 0], &ends_in_header);
        assert!(message.contains("calls for None"), "{message}");
        // With num_skip 0 the frame counts from the header's first byte: announcing 2 ends it
        // inside the 4-byte header, and lenframe says so.
        let keep_header = LayoutBytes::parse(&mut Input::new(&[0, 4, NUM_SKIP]));
        assert_eq!(
            lenframe_agrees(keep_header, &[0, 0, 0, 2, 9]),
            DecodeError::FrameEndsInHeader {
                frame_end: 2,
                header_len: 4
            }
        );
    }

    #[test]
    fn a_frame_refused_at_the_limit_is_caught_and_one_over_is_not() {
        // u8 length, limit 2.
        let layout = LayoutBytes::parse(&mut Input::new(&[0, 1, MAX, 0, 0, 2, 0]));
        let refused = |announced| DecodeError::FrameTooLarge { announced, max: 2 };
        let message = disagreement(layout, &[2, 7, 7], &refused(2));
        assert!(message.contains("calls for None"), "{message}");
        assert_eq!(lenframe_agrees(layout, &[3, 7, 7, 7]), refused(3));
    }

    #[test]
    fn the_adjusted_length_out_of_range_is_named_with_the_field_value() {
        let minus_2 = LayoutBytes::parse(&mut Input::new(&[0, 1, 0, 0xfe]));
        assert_eq!(
            lenframe_agrees(minus_2, &[1]),
            DecodeError::LengthUnderflow {
                value: 1,
                adjustment: -2
            }
        );
        let wrong_value = DecodeError::LengthUnderflow {
            value: 0,
            adjustment: -2,
        };
        let message = disagreement(minus_2, &[1], &wrong_value);
        assert!(
            message.contains("calls for Some(LengthUnderflow { value: 1,"),
            "{message}"
        );
        // u64 field, adjustment +1: u64::MAX + 1 does not fit.
        let plus_1 = LayoutBytes::parse(&mut Input::new(&[0, 8, 0, 1]));
        assert_eq!(
            lenframe_agrees(plus_1, &[0xff; 8]),
            DecodeError::LengthOverflow {
                value: u64::MAX,
                adjustment: 1
            }
        );
    }

    #[test]
    fn field_values_are_worked_out_as_lenframe_encodes_them() {
        // Layouts: the default; u8 with +2; u16 little-endian at offset 1, num_skip 0 (the
        // header kept), limit 300; a varint, -3; u8 with limit 200 under the skip policy.
        let layouts: [&[u8]; 5] = [
            &[0, 4],
            &[0, 1, 0, 2],
            &[1, 2, LITTLE_ENDIAN | NUM_SKIP | MAX, 0, 0, 44, 1],
            &[0, 10, 0, 0xfd],
            &[0, 1, SKIP_POLICY | MAX, 0, 0, 200, 0],
        ];
        for bytes in layouts {
            let layout = LayoutBytes::parse(&mut Input::new(bytes));
            let codec = layout.builder().build().unwrap();
            let prefix = vec![0xA5; codec.prefix_len()];
            let gap = vec![0x5A; codec.gap_len()];
            for len in 0..=300 {
                let mut out = BytesMut::new();
                let encoded = codec.encode_parts(&prefix, &gap, &vec![7; len], &mut out);
                let expected = field_value(layout, codec.max_frame_length(), len);
                match (encoded, expected) {
                    (Ok(()), Ok(value)) => assert!(
                        matches!(read_field(layout, &out), Reading::Value { value: v, .. } if v == value),
                        "{bytes:?}, {len} bytes: {:?}, {value} worked out",
                        read_field(layout, &out)
                    ),
                    (encoded, expected) => {
                        assert_eq!(encoded, expected.map(|_| ()), "{bytes:?}, {len} bytes");
                    }
                }
            }
        }
    }

    #[test]
    fn field_values_name_the_numbers_at_each_edge() {
        let plus_2 = LayoutBytes::parse(&mut Input::new(&[0, 1, 0, 2]));
        let not_representable = |len| EncodeError::LengthNotRepresentable {
            len,
            adjustment: 2,
            field_max: 255,
        };
        assert_eq!(field_value(plus_2, 1000, 1), Err(not_representable(1)));
        assert_eq!(field_value(plus_2, 1000, 2), Ok(0));
        assert_eq!(field_value(plus_2, 1000, 257), Ok(255));
        assert_eq!(field_value(plus_2, 1000, 258), Err(not_representable(258)));
        // The limit is checked first, on the frame the decoder returns: 3 header bytes kept.
        let kept = LayoutBytes::parse(&mut Input::new(&[1, 2, NUM_SKIP, 0, 0]));
        assert_eq!(field_value(kept, 10, 7), Ok(10));
        assert_eq!(
            field_value(kept, 10, 8),
            Err(EncodeError::FrameTooLarge { len: 11, max: 10 })
        );
    }

    #[test]
    fn a_fixed_field_reads_in_its_byte_order() {
        let big = LayoutBytes::parse(&mut Input::new(&[1, 2]));
        let little = LayoutBytes::parse(&mut Input::new(&[1, 2, LITTLE_ENDIAN]));
        assert_eq!(
            read_field(big, &[9, 1, 2]),
            Reading::Value {
                value: 0x0102,
                width: 2
            }
        );
        assert_eq!(
            read_field(little, &[9, 1, 2]),
            Reading::Value {
                value: 0x0201,
                width: 2
            }
        );
        assert_eq!(read_field(big, &[9, 1]), Reading::Incomplete { needed: 3 });
        assert_eq!(read_field(big, &[]), Reading::Incomplete { needed: 3 });
        // A varint after a 1-byte prefix: the prefix and one byte, then one more than arrived.
        let varint = LayoutBytes::parse(&mut Input::new(&[1, 10]));
        assert_eq!(read_field(varint, &[]), Reading::Incomplete { needed: 2 });
        assert_eq!(
            read_field(varint, &[9, 0x80, 0x80]),
            Reading::Incomplete { needed: 4 }
        );
    }
}
