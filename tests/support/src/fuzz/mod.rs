//! Fuzz oracles, shared by the cargo-fuzz targets in `fuzz/` and by `tests/corpus.rs`, which
//! replays the committed corpus through the same functions on stable Rust. Not a stable API.
//!
//! Each oracle takes the raw fuzz input and panics when a property fails. Where it fits, the
//! oracle is the testkit's own public check (`decode`: [`StreamCheck`](crate::testkit::StreamCheck);
//! `roundtrip` and `reader`: [`Checker::check_input`](crate::testkit::Checker::check_input)),
//! the one users fuzz their decoders with; what is lenframe's alone is here: the layout format,
//! lenframe's invariants on every call, a reference decoding (headers read apart from the
//! codec) that calls and fatal errors are held against, the borrowed path, the encoder's
//! limits, and the differential against tokio-util.
//!
//! Every input starts with a layout, parsed here by hand (missing bytes read as zero), so any
//! file replays the same way everywhere and seeds can be written by hand:
//!
//! ```text
//! layout (7 bytes): offset, field, flags, adjustment (i8), num_skip, max (u16 LE)
//!   offset: % 8; num_skip: % 24
//!   field: % 12 -> 0..=9 fixed width (0 and 9 are invalid), 10 and 11 varint
//!   flags: bit 0 little-endian, bit 1 skip policy, bit 2 num_skip set, bit 3 max set;
//!          bits 4, 5, 6, 7 replace offset, adjustment, num_skip, max by an extreme value
//!          picked by their (high) byte, near usize::MAX, isize::MIN/MAX or 2^32 (bits 6 and 7
//!          also set num_skip and max): the builder's overflow checks
//! decode:       layout, a check byte (% 4: CUTS, BORROWED, REENCODE, REFERENCE), then a
//!               testkit input (crate::testkit::case): a plan, then the stream
//! roundtrip:    layout, then a testkit input: a plan, then `roundtrip::Payload`s (arbitrary)
//! reader:       layout, a mode byte (reader::ANY_STREAM), then a testkit input: a plan, then
//!               payloads (arbitrary `Vec<u8>`s) or, with ANY_STREAM, the stream
//! differential: layout, a schedule (a count byte % 16, then that many chunk sizes, 0 read as
//!               1, cycling), then the stream
//! ```
//!
//! Each oracle also sets [`allocation_limit`], the largest single allocation the input may
//! cause, which the fuzz crate's global allocator enforces by aborting.

use std::cell::Cell;
use std::io;
use std::rc::Rc;

use bytes::{Bytes, BytesMut};

use lenframe::io::FrameReader;
use lenframe::testkit::ChunkedReader;
use lenframe::{
    Builder, Codec, ConfigError, DecodeError, EncodeError, OversizePolicy, MAX_READ_AHEAD,
};

use crate::feeder::{capacity_bound, feed, feed_in_chunks, Outcome, Step};

/// Layout flag: a little-endian fixed field.
pub const LITTLE_ENDIAN: u8 = 1;
/// Layout flag: the skip policy.
pub const SKIP_POLICY: u8 = 2;
/// Layout flag: `num_skip` set.
pub const NUM_SKIP: u8 = 4;
/// Layout flag: `max_frame_length` set.
pub const MAX: u8 = 8;
/// Layout flag: an extreme `length_field_offset`, picked by the offset byte.
pub const EXTREME_OFFSET: u8 = 16;
/// Layout flag: an extreme `length_adjustment`, picked by the adjustment byte.
pub const EXTREME_ADJUSTMENT: u8 = 32;
/// Layout flag: an extreme `num_skip`, picked by the `num_skip` byte.
pub const EXTREME_NUM_SKIP: u8 = 64;
/// Layout flag: an extreme `max_frame_length`, picked by the high byte of the max.
pub const EXTREME_MAX: u8 = 128;

/// Sizes at the edges of `usize` and `u32`, where sums overflow.
const EXTREME_SIZES: [u64; 8] = [
    u64::MAX,
    u64::MAX - 1,
    u64::MAX / 2,
    u64::MAX / 2 + 1,
    1 << 32,
    (1 << 32) - 1,
    1 << 56,
    (1 << 56) - 1,
];

/// Adjustments at the edges of `isize`, and beyond what fields of 1 to 4 bytes can carry.
const EXTREME_ADJUSTMENTS: [i64; 8] = [
    i64::MIN,
    i64::MIN + 1,
    i64::MAX,
    i64::MAX - 1,
    -(1 << 32),
    1 << 32,
    -(1 << 16) - 1,
    1 << 16,
];

/// Single allocations outside an oracle (the fuzzer's own glue) may be this large.
const DEFAULT_ALLOCATION_LIMIT: usize = 256 << 20;

thread_local! {
    // Per thread: an oracle runs on one thread, and parallel tests must not see each other's
    // limits. `const` and without a destructor, so reading it from inside the global allocator
    // neither allocates nor fails during thread teardown.
    static ALLOCATION_LIMIT: Cell<usize> = const { Cell::new(DEFAULT_ALLOCATION_LIMIT) };
}

/// The largest single allocation the input being run on this thread may cause, in bytes. The
/// fuzz crate's global allocator aborts the run above it: a decoder that reserves what a hostile
/// header announces is caught even without a sanitizer. Oracles set it once they know the
/// input's layout and length.
pub fn allocation_limit() -> usize {
    ALLOCATION_LIMIT
        .try_with(Cell::get)
        .unwrap_or(DEFAULT_ALLOCATION_LIMIT)
}

/// Sets [`allocation_limit`] until dropped.
struct AllocationLimit;

impl AllocationLimit {
    fn set(bytes: usize) -> AllocationLimit {
        ALLOCATION_LIMIT.with(|limit| limit.set(bytes));
        AllocationLimit
    }
}

impl Drop for AllocationLimit {
    fn drop(&mut self) {
        ALLOCATION_LIMIT.with(|limit| limit.set(DEFAULT_ALLOCATION_LIMIT));
    }
}

/// The most lenframe and an oracle may allocate at once for a stream of `stream_len` bytes
/// decoded in at most `calls` steps, whatever the layout and its limit: lenframe's buffers
/// follow what arrived (see [`capacity_bound`]; `FrameReader`'s read buffer is at most
/// [`MAX_READ_AHEAD`]); the oracles' lists of frames, spans and errors hold well under 256
/// bytes per step; the testkit's chunk lengths and cuts, a `usize` per stream byte each at
/// most, and their vectors' doubling.
fn lenframe_allocations(stream_len: usize, calls: usize) -> usize {
    capacity_bound(stream_len)
        .saturating_add(calls.saturating_mul(256))
        .saturating_add(stream_len.saturating_mul(4 * std::mem::size_of::<usize>()))
        .saturating_add(MAX_READ_AHEAD)
}

/// A forward-only reader over the input; reads past the end give zeros.
struct Input<'a> {
    rest: &'a [u8],
}

impl<'a> Input<'a> {
    fn new(data: &'a [u8]) -> Input<'a> {
        Input { rest: data }
    }

    fn next(&mut self) -> Option<u8> {
        let (&b, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(b)
    }

    fn byte(&mut self) -> u8 {
        self.next().unwrap_or(0)
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.rest.split_at(n.min(self.rest.len()));
        self.rest = rest;
        head
    }

    fn schedule(&mut self) -> Vec<usize> {
        let len = usize::from(self.byte() % 16);
        self.take(len)
            .iter()
            .map(|&b| usize::from(b).max(1))
            .collect()
    }
}

/// The layout part of an input, decoded.
#[derive(Clone, Copy, Debug)]
struct LayoutBytes {
    offset: usize,
    /// 0..=9: a fixed field of that width (0 and 9 are invalid); 10 and 11: a varint.
    field: u8,
    flags: u8,
    adjustment: isize,
    num_skip: usize,
    max: usize,
}

fn extreme_size(byte: u8) -> usize {
    let value = EXTREME_SIZES[usize::from(byte) % EXTREME_SIZES.len()];
    usize::try_from(value).unwrap_or(usize::MAX)
}

fn extreme_adjustment(byte: u8) -> isize {
    let value = EXTREME_ADJUSTMENTS[usize::from(byte) % EXTREME_ADJUSTMENTS.len()];
    isize::try_from(value).unwrap_or(if value < 0 { isize::MIN } else { isize::MAX })
}

impl LayoutBytes {
    fn parse(input: &mut Input<'_>) -> LayoutBytes {
        LayoutBytes::parse_masked(input, u8::MAX)
    }

    /// [`LayoutBytes::parse`] with the flag bits outside `mask` cleared before any value is
    /// picked.
    fn parse_masked(input: &mut Input<'_>, mask: u8) -> LayoutBytes {
        let [offset, field, flags, adjustment, num_skip, max_lo, max_hi] =
            [(); 7].map(|()| input.byte());
        let flags = flags & mask;
        let pick = |flag: u8, byte: u8, small: usize| {
            if flags & flag == 0 {
                small
            } else {
                extreme_size(byte)
            }
        };
        LayoutBytes {
            offset: pick(EXTREME_OFFSET, offset, usize::from(offset % 8)),
            field: field % 12,
            flags,
            adjustment: if flags & EXTREME_ADJUSTMENT == 0 {
                isize::from(i8::from_le_bytes([adjustment]))
            } else {
                extreme_adjustment(adjustment)
            },
            num_skip: pick(EXTREME_NUM_SKIP, num_skip, usize::from(num_skip % 24)),
            max: pick(
                EXTREME_MAX,
                max_hi,
                usize::from(u16::from_le_bytes([max_lo, max_hi])),
            ),
        }
    }

    fn is_varint(self) -> bool {
        self.field >= 10
    }

    fn num_skip_set(self) -> bool {
        self.flags & (NUM_SKIP | EXTREME_NUM_SKIP) != 0
    }

    fn max_set(self) -> bool {
        self.flags & (MAX | EXTREME_MAX) != 0
    }

    fn builder(self) -> Builder {
        let mut b = Codec::builder()
            .length_field_offset(self.offset)
            .length_adjustment(self.adjustment);
        b = if self.is_varint() {
            b.varint()
        } else {
            b.length_field_length(usize::from(self.field))
        };
        if self.flags & LITTLE_ENDIAN != 0 {
            b = b.little_endian();
        }
        if self.flags & SKIP_POLICY != 0 {
            b = b.oversize(OversizePolicy::Skip);
        }
        if self.num_skip_set() {
            b = b.num_skip(self.num_skip);
        }
        if self.max_set() {
            b = b.max_frame_length(self.max);
        }
        b
    }

    /// The header bytes a frame keeps: those after `num_skip`, when it is set inside the
    /// header (a varint's layouts take no `num_skip`).
    fn kept(self) -> usize {
        if self.is_varint() {
            return 0;
        }
        self.header_and_skip(usize::from(self.field))
            .map_or(0, |(header, skip)| header.saturating_sub(skip))
    }

    /// Header length and bytes skipped before a frame whose length field is `width` bytes;
    /// `None` when they overflow (extreme offsets: no such frame can arrive).
    fn header_and_skip(self, width: usize) -> Option<(usize, usize)> {
        let header = self.offset.checked_add(width)?;
        let skip = if self.num_skip_set() {
            self.num_skip
        } else {
            header
        };
        Some((header, skip))
    }
}

/// The codec the oracles build from a layout in the input format (the first 7 bytes of an
/// input; missing bytes read as zero), for tools that write seeds.
///
/// # Errors
///
/// The [`ConfigError`] of a layout no codec implements.
pub fn layout_codec(layout: &[u8]) -> Result<Codec, ConfigError> {
    LayoutBytes::parse(&mut Input::new(layout))
        .builder()
        .build()
}

/// Feeds `stream` in chunks with every decoder invariant checked (see
/// [`feed_in_chunks`](crate::testkit::feed_in_chunks)).
fn run(mut codec: Codec, stream: &[u8], sizes: &[usize]) -> Outcome {
    feed_in_chunks(&mut codec, stream, sizes)
}

/// A decoded frame, compared with the message it stands for by a function the oracle gives:
/// how an oracle whose messages are not the frames they encode to (payloads cut or padded to
/// the layout's range, frames that keep header bytes) compares them, mapping the decoder's
/// frames into it (`Decoder::map`). Shown as the frame.
struct Judged<M> {
    frame: Bytes,
    is: Rc<Is<M>>,
}

/// Whether a frame is what a message stands for.
type Is<M> = dyn Fn(&M, &[u8]) -> bool;

impl<M> Judged<M> {
    /// The mapping from a frame into a `Judged` by `is`.
    fn by(is: impl Fn(&M, &[u8]) -> bool + 'static) -> impl Fn(Bytes) -> Judged<M> {
        let is: Rc<Is<M>> = Rc::new(is);
        move |frame| Judged {
            frame,
            is: Rc::clone(&is),
        }
    }
}

impl<M> PartialEq<M> for Judged<M> {
    fn eq(&self, message: &M) -> bool {
        (self.is)(message, &self.frame)
    }
}

impl<M> std::fmt::Debug for Judged<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.frame.fmt(f)
    }
}

/// Whether `frame` is what decoding the frame `codec` encodes from `prefix` and `payload`
/// returns, computed independently of the decoder and without encoding the frame: the header
/// bytes the layout keeps after `num_skip` (the end of the prefix and the length field), then
/// the payload.
fn frame_is(
    layout: LayoutBytes,
    codec: &Codec,
    prefix: &[u8],
    payload: &[u8],
    frame: &[u8],
) -> bool {
    let kept = layout.kept();
    if frame.len() != kept + payload.len() || frame[kept..] != *payload {
        return false;
    }
    if kept == 0 {
        return true;
    }
    let Ok(field) = codec.encode_header(payload.len()) else {
        return false;
    };
    let field = field.as_bytes();
    let Some(start) = (prefix.len() + field.len()).checked_sub(kept) else {
        return false;
    };
    (0..kept).all(|i| {
        let at = start + i;
        let byte = if at < prefix.len() {
            prefix[at]
        } else {
            field[at - prefix.len()]
        };
        frame[i] == byte
    })
}

fn frame_bytes(out: &Outcome) -> Vec<&[u8]> {
    out.frames.iter().map(|f| &f[..]).collect()
}

pub mod bare;
mod decode;
mod differential;
pub mod passes;
mod reader;
mod reference;
mod roundtrip;

pub use decode::{decode, BORROWED, CUTS, REENCODE, REFERENCE};
pub use differential::differential;
pub use reader::{reader, ANY_STREAM};
pub use roundtrip::{roundtrip, Payload};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_limit_is_set_during_an_oracle_only() {
        assert_eq!(allocation_limit(), DEFAULT_ALLOCATION_LIMIT);
        {
            let _limit = AllocationLimit::set(1234);
            assert_eq!(allocation_limit(), 1234);
        }
        assert_eq!(allocation_limit(), DEFAULT_ALLOCATION_LIMIT);
    }
}
