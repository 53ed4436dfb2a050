//! A reference reading of a length field, written apart from the codec's (`crate::header`) and
//! as plainly as possible: a fixed field folded byte by byte, a varint summed in a `u128` so
//! that no bound is needed to read it. The oracles hold the codec's verdict on a header against
//! it.

use super::*;

/// What a header's length field says, read without the codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reading {
    /// The field is whole and carries `value`.
    Value(u64),
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
                    needed: offset + needed,
                },
                reading => reading,
            },
            None => Reading::Incomplete { needed: offset + 1 },
        };
    }
    let width = usize::from(layout.field);
    let Some(bytes) = rest.get(offset..).and_then(|field| field.get(..width)) else {
        return Reading::Incomplete {
            needed: offset + width,
        };
    };
    let fold = |acc: u64, &b: &u8| (acc << 8) | u64::from(b);
    Reading::Value(if layout.flags & LITTLE_ENDIAN == 0 {
        bytes.iter().fold(0, fold)
    } else {
        bytes.iter().rev().fold(0, fold)
    })
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
            (true, _) => Reading::Value(value),
        };
    }
    Reading::Incomplete {
        needed: field.len() + 1,
    }
}

/// Holds the fatal error that ended a run (`error`) against the reference reading of the header
/// it stopped at, `rest` (a fatal error consumes nothing: the bytes left start with that header).
/// A varint error is reported exactly when the reference finds one, with the same numbers; a
/// stream that ends inside the length field is a truncated header naming the bytes left and
/// the least the header needs; an error that names the field's value names the reference's. A truncated frame is about a header already consumed:
/// nothing to check.
pub(super) fn fatal_error_agrees(layout: LayoutBytes, rest: &[u8], error: &DecodeError) {
    if matches!(error, DecodeError::TruncatedFrame { .. }) {
        return;
    }
    let reading = read_field(layout, rest);
    let agrees = match (reading, error) {
        (Reading::Overflow { bytes }, DecodeError::VarintOverflow { bytes: got }) => bytes == *got,
        (
            Reading::Overlong { bytes, value },
            DecodeError::VarintOverlong {
                bytes: got,
                value: got_value,
            },
        ) => bytes == *got && value == *got_value,
        (Reading::Incomplete { needed }, e) => {
            *e == DecodeError::TruncatedHeader {
                buffered: rest.len(),
                needed,
            }
        }
        (
            Reading::Value(value),
            DecodeError::LengthUnderflow { value: got, .. }
            | DecodeError::LengthOverflow { value: got, .. },
        ) => value == *got,
        (
            Reading::Value(_),
            DecodeError::VarintOverflow { .. }
            | DecodeError::VarintOverlong { .. }
            | DecodeError::TruncatedHeader { .. },
        ) => false,
        (Reading::Value(_), _) => true,
        (Reading::Overflow { .. } | Reading::Overlong { .. }, _) => false,
    };
    assert!(
        agrees,
        "the header at the end of the stream reads as {reading:?}, the codec stopped with \
         {error:?} ({} bytes left: {:02x?})",
        rest.len(),
        &rest[..rest.len().min(24)]
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint_layout() -> LayoutBytes {
        LayoutBytes::parse(&mut Input::new(&[0, 10]))
    }

    #[test]
    fn varints_read_as_the_codec_writes_them() {
        use crate::header::{LengthField, MAX_FIELD_BYTES};

        for value in [
            0,
            1,
            127,
            128,
            300,
            1 << 56,
            (1 << 63) - 1,
            1 << 63,
            u64::MAX,
        ] {
            let mut out = [0; MAX_FIELD_BYTES];
            let n = LengthField::Varint.write(value, &mut out);
            assert_eq!(read_varint(&out[..n]), Reading::Value(value), "{value}");
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
        assert_eq!(read_varint(&bytes), Reading::Value(u64::MAX));
        bytes[9] = 0x02;
        assert_eq!(read_varint(&bytes), Reading::Overflow { bytes: 10 });
        bytes[9] = 0x81;
        assert_eq!(read_varint(&bytes), Reading::Overflow { bytes: 10 });
        assert_eq!(
            read_varint(&[0x80, 0x80, 0x00]),
            Reading::Overlong { bytes: 3, value: 0 }
        );
        assert_eq!(read_varint(&[0x00]), Reading::Value(0));
    }

    #[test]
    fn a_varint_error_where_the_reference_reads_a_value_is_caught() {
        // 2^63: ten bytes, the last group 1. What a codec that refuses any tenth group but 0
        // (`group > 1` as `group >= 1`, planted by hand) reports.
        let mut header = [0x80; 10];
        header[9] = 0x01;
        let layout = varint_layout();
        let overflow = DecodeError::VarintOverflow { bytes: 10 };
        let message = crate::testkit::shape::panic_message(
            std::panic::catch_unwind(|| fatal_error_agrees(layout, &header, &overflow))
                .expect_err("the check passed")
                .as_ref(),
        );
        assert!(
            message.contains("reads as Value(9223372036854775808)"),
            "{message}"
        );
        // What lenframe reports instead: the frame is over the limit.
        let too_large = DecodeError::FrameTooLarge {
            announced: 1 << 63,
            max: 8 << 20,
        };
        fatal_error_agrees(layout, &header, &too_large);
        // And lenframe itself, in one piece.
        let out = run(layout.builder().build().unwrap(), &header, &[]);
        assert_eq!(out.errors, [too_large.clone()]);
        fatal_error_agrees(layout, &header[header.len() - out.leftover..], &too_large);
    }

    #[test]
    fn a_truncated_header_names_the_least_the_header_needs() {
        // The default layout, one byte of its 4-byte header: lenframe says 4 are needed.
        let layout = LayoutBytes::parse(&mut Input::new(&[0, 4]));
        let out = run(layout.builder().build().unwrap(), &[0], &[]);
        let truncated = DecodeError::TruncatedHeader {
            buffered: 1,
            needed: 4,
        };
        assert_eq!(out.errors, [truncated.clone()]);
        fatal_error_agrees(layout, &[0], &truncated);
        // One more than arrived (what `offset * width` for `offset + width` gives with no
        // offset, planted by hand) is not enough.
        let short = DecodeError::TruncatedHeader {
            buffered: 1,
            needed: 2,
        };
        let message = crate::testkit::shape::panic_message(
            std::panic::catch_unwind(|| fatal_error_agrees(layout, &[0], &short))
                .expect_err("the check passed")
                .as_ref(),
        );
        assert!(
            message.contains("reads as Incomplete { needed: 4 }"),
            "{message}"
        );
    }

    #[test]
    fn a_fixed_field_reads_in_its_byte_order() {
        let big = LayoutBytes::parse(&mut Input::new(&[1, 2]));
        let little = LayoutBytes::parse(&mut Input::new(&[1, 2, LITTLE_ENDIAN]));
        assert_eq!(read_field(big, &[9, 1, 2]), Reading::Value(0x0102));
        assert_eq!(read_field(little, &[9, 1, 2]), Reading::Value(0x0201));
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
