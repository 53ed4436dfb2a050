//! The length field: how a frame's length is written on the wire.
//!
//! Two families:
//!
//! - **fixed**: 1 to 8 bytes, big- or little-endian, an unsigned integer (the tutorial's
//!   `struct.pack('!I', n)` is a 4-byte big-endian fixed field);
//! - **varint**: unsigned LEB128, 1 to 10 bytes, 7 bits per byte, low group first, high bit set on
//!   every byte but the last (protobuf's `writeDelimitedTo`). Only the shortest form of each value
//!   is accepted, so every accepted header re-encodes to the same bytes.
//!
//! This module only turns bytes into a value and back; what the value means (adjustment, skip,
//! limit) is the codec's business.

use bytes::{BufMut, BytesMut};

use crate::error::DecodeError;

/// Byte order of a fixed-width length field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Endian {
    /// Most significant byte first (network order; tokio-util's and Netty's default).
    Big,
    /// Least significant byte first.
    Little,
}

impl Endian {
    /// The byte order of the machine this code runs on (Python `struct`'s `'i'` without prefix).
    #[must_use]
    pub const fn native() -> Endian {
        if cfg!(target_endian = "big") {
            Endian::Big
        } else {
            Endian::Little
        }
    }
}

/// Widest varint: 10 groups of 7 bits cover 64 bits.
pub(crate) const VARINT_MAX_BYTES: usize = 10;

/// Widest encoded length field of any kind.
pub(crate) const MAX_FIELD_BYTES: usize = VARINT_MAX_BYTES;

/// The shape of the length field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum LengthField {
    /// `width` is 1..=8, checked by the builder.
    Fixed {
        width: usize,
        endian: Endian,
    },
    Varint,
}

impl LengthField {
    /// The largest value the field can carry.
    pub(crate) fn max_value(self) -> u64 {
        match self {
            LengthField::Fixed { width, .. } if width < 8 => (1u64 << (8 * width)) - 1,
            LengthField::Fixed { .. } | LengthField::Varint => u64::MAX,
        }
    }

    /// The fewest bytes a header of this kind can take.
    pub(crate) fn min_width(self) -> usize {
        match self {
            LengthField::Fixed { width, .. } => width,
            LengthField::Varint => 1,
        }
    }

    /// Reads the field from the start of `src`.
    ///
    /// `Ok(None)`: `src` holds only part of the field. `Ok(Some((value, width)))`: the field and
    /// the number of bytes it took.
    #[inline]
    pub(crate) fn parse(self, src: &[u8]) -> Result<Option<(u64, usize)>, DecodeError> {
        match self {
            LengthField::Fixed { width, endian } => {
                Ok(parse_fixed(src, width, endian).map(|value| (value, width)))
            }
            LengthField::Varint => parse_varint(src),
        }
    }

    /// Appends the field carrying `value` (at most [`LengthField::max_value`], as the caller
    /// checked) to `dst`, which has room for [`MAX_FIELD_BYTES`] more bytes.
    pub(crate) fn put(self, value: u64, dst: &mut BytesMut) {
        let LengthField::Fixed { width, endian } = self else {
            let mut out = [0u8; MAX_FIELD_BYTES];
            let width = self.write(value, &mut out);
            dst.put_slice(&out[..width]);
            return;
        };
        let bytes = fixed_bytes(value, width, endian);
        // All eight bytes, then back to the field's end: a copy of constant length is a few
        // moves, where one of `width` bytes is a call to memcpy (benches/codec.rs, encode, and
        // docs/notes/2026-12-07-source-figures.md).
        let end = dst.len() + width;
        dst.put_slice(&bytes);
        dst.truncate(end);
    }

    /// Writes `value`, which the caller has checked is at most [`LengthField::max_value`], to
    /// the start of `out`; returns its width.
    pub(crate) fn write(self, value: u64, out: &mut [u8; MAX_FIELD_BYTES]) -> usize {
        match self {
            LengthField::Fixed { width, endian } => {
                out[..8].copy_from_slice(&fixed_bytes(value, width, endian));
                width
            }
            LengthField::Varint => {
                let mut rest = value;
                let mut n = 0;
                loop {
                    // Truncation intended: the low 7 bits of `rest`.
                    let group = (rest & 0x7f) as u8;
                    rest >>= 7;
                    if rest == 0 {
                        out[n] = group;
                        return n + 1;
                    }
                    out[n] = group | 0x80;
                    n += 1;
                }
            }
        }
    }
}

/// A length field as written on the wire, alone (no prefix, gap or payload): at most 10 bytes,
/// held inline. Made by [`Codec::encode_header`](crate::Codec::encode_header).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    bytes: [u8; MAX_FIELD_BYTES],
    len: usize,
}

impl Header {
    /// `value` is at most `field.max_value()`, as the encoder checked.
    pub(crate) fn new(field: LengthField, value: u64) -> Header {
        let mut bytes = [0u8; MAX_FIELD_BYTES];
        let len = field.write(value, &mut bytes);
        Header { bytes, len }
    }

    /// The field's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The field's width in bytes.
    #[must_use]
    #[allow(clippy::len_without_is_empty)] // a length field is never empty
    pub fn len(&self) -> usize {
        self.len
    }
}

impl AsRef<[u8]> for Header {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::fmt::Debug for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Header").field(&self.as_bytes()).finish()
    }
}

/// A fixed field carrying `value` (below 2^(8 * width)) in the first `width` bytes of an 8-byte
/// array: shifted to the top for big-endian, so nothing is lost, as they are for little-endian.
fn fixed_bytes(value: u64, width: usize, endian: Endian) -> [u8; 8] {
    match endian {
        Endian::Big => (value << (8 * (8 - width))).to_be_bytes(),
        Endian::Little => value.to_le_bytes(),
    }
}

/// A fixed field of `width` bytes at the start of `src`; `None` when fewer have arrived.
///
/// The integer widths (1, 2, 4, 8) read the bytes as one array with `from_be_bytes` /
/// `from_le_bytes` (a single load, and a byte swap for the other order); 3, 5, 6 and 7 bytes
/// are assembled byte by byte.
#[inline]
fn parse_fixed(src: &[u8], width: usize, endian: Endian) -> Option<u64> {
    let big = endian == Endian::Big;
    match width {
        1 => src.first().map(|&b| u64::from(b)),
        2 => src.first_chunk::<2>().map(|&b| {
            u64::from(if big {
                u16::from_be_bytes(b)
            } else {
                u16::from_le_bytes(b)
            })
        }),
        4 => src.first_chunk::<4>().map(|&b| {
            u64::from(if big {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            })
        }),
        8 => src.first_chunk::<8>().map(|&b| {
            if big {
                u64::from_be_bytes(b)
            } else {
                u64::from_le_bytes(b)
            }
        }),
        _ => {
            let bytes = src.get(..width)?;
            let fold = |acc: u64, &b: &u8| (acc << 8) | u64::from(b);
            Some(if big {
                bytes.iter().fold(0, fold)
            } else {
                bytes.iter().rev().fold(0, fold)
            })
        }
    }
}

#[cfg(test)]
fn varint_width(value: u64) -> usize {
    // 1 byte per started group of 7 significant bits; zero takes one byte.
    let bits = 64 - value.leading_zeros() as usize;
    bits.div_ceil(7).max(1)
}

fn parse_varint(src: &[u8]) -> Result<Option<(u64, usize)>, DecodeError> {
    let mut value = 0u64;
    for (i, &byte) in src.iter().take(VARINT_MAX_BYTES).enumerate() {
        let group = u64::from(byte & 0x7f);
        let shift = 7 * i;
        // The tenth byte holds bit 63 only; anything above it does not fit.
        if i == VARINT_MAX_BYTES - 1 && group > 1 {
            return Err(DecodeError::VarintOverflow { bytes: i + 1 });
        }
        value |= group << shift;
        if byte & 0x80 == 0 {
            let width = i + 1;
            if width > 1 && byte == 0 {
                return Err(DecodeError::VarintOverlong {
                    bytes: width,
                    value,
                });
            }
            return Ok(Some((value, width)));
        }
    }
    if src.len() >= VARINT_MAX_BYTES {
        // Ten continuation bytes: an eleventh would be needed.
        return Err(DecodeError::VarintOverflow {
            bytes: VARINT_MAX_BYTES,
        });
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(field: LengthField, value: u64) {
        let mut out = [0u8; MAX_FIELD_BYTES];
        let n = field.write(value, &mut out);
        if field == LengthField::Varint {
            assert_eq!(n, varint_width(value));
        }
        assert_eq!(field.parse(&out[..n]), Ok(Some((value, n))));
        // One byte short is incomplete, never an error.
        assert_eq!(field.parse(&out[..n - 1]), Ok(None));
    }

    #[test]
    fn varint_boundaries_roundtrip_in_shortest_form() {
        for value in [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            roundtrip(LengthField::Varint, value);
        }
        assert_eq!(varint_width(127), 1);
        assert_eq!(varint_width(128), 2);
        assert_eq!(varint_width(u64::MAX), 10);
    }

    #[test]
    fn fixed_fields_roundtrip_at_their_maximum() {
        for width in 1..=8 {
            for endian in [Endian::Big, Endian::Little] {
                let field = LengthField::Fixed { width, endian };
                roundtrip(field, field.max_value());
                roundtrip(field, 0);
            }
        }
    }

    #[test]
    fn fixed_field_byte_order() {
        let be = LengthField::Fixed {
            width: 3,
            endian: Endian::Big,
        };
        let le = LengthField::Fixed {
            width: 3,
            endian: Endian::Little,
        };
        assert_eq!(be.parse(&[0x01, 0x02, 0x03]), Ok(Some((0x01_0203, 3))));
        assert_eq!(le.parse(&[0x01, 0x02, 0x03]), Ok(Some((0x03_0201, 3))));
    }

    #[test]
    fn every_fixed_width_reads_its_bytes_in_order() {
        // The widths with an integer type take a different path from 3, 5, 6 and 7 bytes.
        let bytes = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xFF];
        let expected_be: [u64; 8] = [
            0x01,
            0x0102,
            0x01_0203,
            0x0102_0304,
            0x01_0203_0405,
            0x0102_0304_0506,
            0x01_0203_0405_0607,
            0x0102_0304_0506_0708,
        ];
        for width in 1..=8 {
            let be = LengthField::Fixed {
                width,
                endian: Endian::Big,
            };
            let le = LengthField::Fixed {
                width,
                endian: Endian::Little,
            };
            let value = expected_be[width - 1];
            let reversed = value.swap_bytes() >> (8 * (8 - width));
            assert_eq!(be.parse(&bytes), Ok(Some((value, width))), "width {width}");
            assert_eq!(
                le.parse(&bytes),
                Ok(Some((reversed, width))),
                "width {width}"
            );
            assert_eq!(be.parse(&bytes[..width - 1]), Ok(None), "width {width}");
            assert_eq!(le.parse(&bytes[..width - 1]), Ok(None), "width {width}");
        }
    }

    #[test]
    fn varint_rejects_non_shortest_and_overflowing_forms() {
        assert_eq!(
            parse_varint(&[0x80, 0x00]),
            Err(DecodeError::VarintOverlong { bytes: 2, value: 0 })
        );
        assert_eq!(
            parse_varint(&[0xff; 10]),
            Err(DecodeError::VarintOverflow { bytes: 10 })
        );
        let mut eleven = [0x80u8; 11];
        eleven[10] = 0x01;
        assert_eq!(
            parse_varint(&eleven),
            Err(DecodeError::VarintOverflow { bytes: 10 })
        );
        assert_eq!(parse_varint(&[0x80; 9]), Ok(None));
    }
}
