//! Fuzz oracles, shared by the cargo-fuzz targets in `fuzz/` and by `tests/corpus.rs`, which
//! replays the committed corpus through the same functions on stable Rust. Not a stable API.
//!
//! Each oracle takes the raw fuzz input and panics when a property fails. Inputs are parsed
//! here, by hand, from a small byte format (missing bytes read as zero), so any file replays the
//! same way everywhere and seeds can be written by hand:
//!
//! ```text
//! layout (7 bytes): offset, field, flags, adjustment (i8), num_skip, max (u16 LE)
//!   offset: % 8; num_skip: % 24
//!   field: % 12 -> 0..=9 fixed width (0 and 9 are invalid), 10 and 11 varint
//!   flags: bit 0 little-endian, bit 1 skip policy, bit 2 num_skip set, bit 3 max set;
//!          bits 4, 5, 6, 7 replace offset, adjustment, num_skip, max by an extreme value
//!          picked by their (high) byte, near usize::MAX, isize::MIN/MAX or 2^32 (bits 6 and 7
//!          also set num_skip and max): the builder's overflow checks
//! schedule: a count byte (% 16), then that many chunk or read sizes (0 is read as 1)
//! reader only: a byte n, an `Interrupted` error every n reads (0 and 1: never)
//! then the stream; for roundtrip, frames: a length byte then that many payload bytes, where
//!   0xFF is the longest payload the limit allows (up to 1 KiB) and 0xFE one byte more
//! ```
//!
//! Each oracle also sets [`allocation_limit`], the largest single allocation the input may
//! cause, which the fuzz crate's global allocator enforces by aborting.

use std::cell::Cell;
use std::io;
use std::ops::Range;

use bytes::{Bytes, BytesMut};

use crate::io::FrameReader;
use crate::testkit::{
    capacity_bound, feed, feed_borrowed, feed_in_chunks, ChunkedReader, IoOp, Outcome, Step,
};
use crate::{
    Builder, Codec, ConfigError, DecodeError, EncodeError, OversizePolicy, MAX_READ_AHEAD,
};

const LITTLE_ENDIAN: u8 = 1;
const SKIP_POLICY: u8 = 2;
const NUM_SKIP: u8 = 4;
const MAX: u8 = 8;
const EXTREME_OFFSET: u8 = 16;
const EXTREME_ADJUSTMENT: u8 = 32;
const EXTREME_NUM_SKIP: u8 = 64;
const EXTREME_MAX: u8 = 128;

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
/// [`MAX_READ_AHEAD`]), and the oracles' lists of frames, spans and errors hold well under 256
/// bytes per step.
fn lenframe_allocations(stream_len: usize, calls: usize) -> usize {
    capacity_bound(stream_len)
        .saturating_add(calls.saturating_mul(256))
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

fn frame_bytes(out: &Outcome) -> Vec<&[u8]> {
    out.frames.iter().map(|f| &f[..]).collect()
}

/// Target `decode`: arbitrary layout (valid or not), chunking and stream.
///
/// Oracles: building never panics, and a field width outside 1..=8 or `num_skip` with a varint
/// is the matching [`ConfigError`]; decoding never panics; the buffer stays within
/// [`capacity_bound`] and below `max_wire_length` while waiting (checked by the feeder); the
/// stream in one chunk and in the fuzzed chunks gives the same frames and errors; the borrowed
/// path ([`Codec::frames`], through [`feed_borrowed`]) on the fuzzed chunks gives the same
/// frames, spans, errors and leftover as the owned one; every frame,
/// re-encoded with the same layout, gives back exactly the bytes its call consumed (under the
/// skip policy, the end of them: the call may first have finished discarding an oversize frame).
pub fn decode(data: &[u8]) {
    let _limit = AllocationLimit::set(lenframe_allocations(data.len(), data.len()));
    let mut input = Input::new(data);
    let layout = LayoutBytes::parse(&mut input);
    let sizes = input.schedule();
    let stream = input.rest;
    let built = layout.builder().build();
    if layout.is_varint() && layout.num_skip_set() {
        assert!(
            matches!(built, Err(ConfigError::VarintNumSkip { .. })),
            "num_skip with a varint gave {built:?}"
        );
    } else if !layout.is_varint() && !(1..=8).contains(&layout.field) {
        assert!(
            matches!(built, Err(ConfigError::FieldLength { .. })),
            "a {}-byte field gave {built:?}",
            layout.field
        );
    }
    let Ok(codec) = built else {
        return;
    };
    assert!(codec.max_wire_length() >= codec.max_frame_length());

    let whole = run(codec.clone(), stream, &[]);
    let chunked = run(codec.clone(), stream, &sizes);
    assert_eq!(
        frame_bytes(&whole),
        frame_bytes(&chunked),
        "frames depend on the cut"
    );
    assert_eq!(whole.errors, chunked.errors, "errors depend on the cut");

    // The borrowed path, on the same chunks: the same frames at the same places, the same
    // errors, the same bytes left over.
    let borrowed = feed_borrowed(&mut codec.clone(), stream, &sizes);
    assert_eq!(
        frame_bytes(&borrowed),
        frame_bytes(&chunked),
        "borrowed and owned frames differ"
    );
    assert_eq!(
        borrowed.spans, chunked.spans,
        "borrowed and owned spans differ"
    );
    assert_eq!(
        borrowed.errors, chunked.errors,
        "borrowed and owned errors differ"
    );
    assert_eq!(
        borrowed.leftover, chunked.leftover,
        "borrowed and owned leftovers differ"
    );

    for (frame, &(start, end)) in chunked.frames.iter().zip(&chunked.spans) {
        reencode_matches(&codec, layout, frame, &stream[start..end]);
    }
}

/// Re-encodes `frame` and checks it against the bytes its call consumed.
fn reencode_matches(codec: &Codec, layout: LayoutBytes, frame: &[u8], consumed: &[u8]) {
    // Only under the skip policy can a call consume more than its frame: the tail of a discard.
    let exact = codec.oversize_policy() == OversizePolicy::Error;
    // A fixed field has one width; a varint's is the one that re-encodes.
    let widths = if layout.is_varint() {
        1..=10
    } else {
        let width = usize::from(layout.field);
        width..=width
    };
    let matched = widths.into_iter().any(|width| {
        let Some((header, skip)) = layout.header_and_skip(width) else {
            return false;
        };
        let Some(wire_len) = skip.checked_add(frame.len()) else {
            return false;
        };
        if wire_len > consumed.len() || (exact && wire_len != consumed.len()) {
            return false;
        }
        let wire = &consumed[consumed.len() - wire_len..];
        // The frame keeps the header bytes after num_skip; the payload is what follows them.
        let (Some(payload), Some(prefix)) = (
            frame.get(header.saturating_sub(skip)..),
            wire.get(..layout.offset),
        ) else {
            return false;
        };
        let gap = wire.get(header..skip.max(header)).unwrap_or(&[]);
        let mut out = BytesMut::new();
        codec.encode_parts(prefix, gap, payload, &mut out).is_ok() && out[..] == *wire
    });
    assert!(
        matched,
        "frame of {} bytes does not re-encode to the {} bytes its call consumed",
        frame.len(),
        consumed.len()
    );
}

/// Roundtrip streams stop growing past this many bytes: 16 of the longest payloads. (At 64 KiB,
/// inputs full of `0xFF` cost more executions per second than they found.)
const ROUNDTRIP_WIRE_CAP: usize = 16 * 1024;
/// The longest payload a roundtrip input asks for with `0xFF`.
const ROUNDTRIP_LONGEST: usize = 1024;
/// Payload bytes for `0xFF` and `0xFE`: 0, 1, 2, ... wrapping.
static PATTERN: [u8; ROUNDTRIP_LONGEST + 1] = {
    let mut pattern = [0u8; ROUNDTRIP_LONGEST + 1];
    let mut i = 0;
    while i < pattern.len() {
        // Truncation intended: the pattern wraps at 256.
        pattern[i] = i as u8;
        i += 1;
    }
    pattern
};
/// Layouts needing more prefix or gap bytes than this per frame (extreme offsets or `num_skip`)
/// are not round-tripped.
const ROUNDTRIP_PARTS_CAP: usize = 64;

/// Target `roundtrip`: arbitrary frames under an arbitrary layout, encoded, cut at arbitrary
/// points, decoded: the frames the layout defines, in order, and nothing else.
///
/// Oracles: the longest payload the limit allows encodes, one byte more is
/// [`EncodeError::FrameTooLarge`]; a failed encode writes nothing and never blames the parts; the
/// decoded frames are exactly what follows `num_skip` in each encoded frame, and no error occurs.
pub fn roundtrip(data: &[u8]) {
    let limit = AllocationLimit::set(lenframe_allocations(
        ROUNDTRIP_WIRE_CAP + ROUNDTRIP_LONGEST + 2 * ROUNDTRIP_PARTS_CAP + 10,
        data.len(),
    ));
    let mut input = Input::new(data);
    let layout = LayoutBytes::parse(&mut input);
    let sizes = input.schedule();
    let Ok(codec) = layout.builder().build() else {
        return;
    };
    if codec.prefix_len() > ROUNDTRIP_PARTS_CAP || codec.gap_len() > ROUNDTRIP_PARTS_CAP {
        return;
    }
    let prefix = vec![0xA5; codec.prefix_len()];
    let gap = vec![0x5A; codec.gap_len()];
    // Header bytes the decoded frame keeps (num_skip inside a fixed header): the longest payload
    // is the limit minus those.
    let kept = match (layout.is_varint(), layout.num_skip_set()) {
        (false, true) => {
            (layout.offset + usize::from(layout.field)).saturating_sub(layout.num_skip)
        }
        _ => 0,
    };
    let longest = codec.max_frame_length().checked_sub(kept);

    let mut wire = BytesMut::new();
    let mut expected: Vec<Range<usize>> = Vec::new();
    while wire.len() < ROUNDTRIP_WIRE_CAP {
        let Some(len) = input.next() else {
            break;
        };
        // `at_limit`: Some(true) for the longest payload, Some(false) for one byte more.
        let (payload, at_limit) = match (len, longest) {
            (0xFF, Some(l)) if l <= ROUNDTRIP_LONGEST => (&PATTERN[..l], Some(true)),
            (0xFE, Some(l)) if l < ROUNDTRIP_LONGEST => (&PATTERN[..=l], Some(false)),
            (0xFF, Some(_)) => (&PATTERN[..ROUNDTRIP_LONGEST], None),
            _ => (input.take(usize::from(len)), None),
        };
        let start = wire.len();
        match codec.encode_parts(&prefix, &gap, payload, &mut wire) {
            Ok(()) => {
                assert_ne!(
                    at_limit,
                    Some(false),
                    "a payload over the limit was encoded"
                );
                // Independently of the decoder: everything after num_skip.
                let frame = &wire[start..];
                let width = frame.len() - prefix.len() - gap.len() - payload.len();
                let (_, skip) = layout
                    .header_and_skip(width)
                    .expect("an encoded header's length fits in usize");
                assert!(frame.ends_with(payload), "the payload is not last");
                expected.push(start + skip..wire.len());
            }
            Err(e) => {
                assert_eq!(wire.len(), start, "a failed encode wrote bytes");
                assert_ne!(at_limit, Some(true), "the longest payload failed: {e}");
                match (e, at_limit) {
                    (EncodeError::FrameTooLarge { .. }, _)
                    | (EncodeError::LengthNotRepresentable { .. }, None) => {}
                    (e, _) => panic!("unexpected encode error {e:?}"),
                }
            }
        }
    }
    drop(limit);
    let _limit = AllocationLimit::set(lenframe_allocations(wire.len(), data.len()));
    let out = run(codec, &wire, &sizes);
    assert!(
        out.errors.is_empty(),
        "errors on a valid stream: {:?}",
        out.errors
    );
    let expected: Vec<&[u8]> = expected.into_iter().map(|r| &wire[r]).collect();
    assert_eq!(frame_bytes(&out), expected, "frames differ from those sent");
}

/// How tokio-util's decoder stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TheirEnd {
    /// `decode_eof` returned `Ok(None)`.
    Clean,
    /// `LengthDelimitedCodecError`: the raw length field is over the limit.
    Limit,
    /// Any other error ("provided length would overflow after adjustment", "bytes remaining on
    /// stream").
    Other,
    /// Frames without end: empty frames that consume nothing.
    Spin,
}

/// A documented difference from tokio-util (docs/differences-from-tokio-util.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Difference {
    /// 1: the frame ends inside its header.
    FrameEndsInHeader,
    /// 2: lenframe bounds the adjusted frame, tokio-util the raw field value.
    WhatTheLimitBounds,
    /// 3: the stream ends right after a header and `num_skip`.
    TruncatedAfterHeader,
}

/// Target `differential`: the same bytes, chunking and layout through lenframe and tokio-util's
/// `LengthDelimitedCodec`, built with the same builder calls. Layouts are fixed fields with the
/// error policy (tokio-util has neither varints nor a skip policy) and ordinary sizes (its own
/// arithmetic overflows on extreme ones); adjustments and explicit limits are fuzzed.
///
/// Oracles: both settle on the same `max_frame_length`; frames and error-or-not agree, or the
/// first place they part is a header where one of the documented differences applies, computed
/// from that header's bytes:
/// 1. lenframe reports [`DecodeError::FrameEndsInHeader`] (tokio-util returns header bytes, or
///    empty frames without consuming anything);
/// 2. the limit: exactly one of them rejects the header, lenframe because the adjusted length
///    is over it, tokio-util because the raw field value is;
/// 3. the stream ends right after a header and a `num_skip` at or past it, announcing a
///    non-empty frame: lenframe reports it truncated, tokio-util ends cleanly.
///
/// Nothing after that point is compared: the two have parted on what the stream means.
pub fn differential(data: &[u8]) {
    compare_with_tokio(data);
}

/// [`differential`]'s work: `Some` of the difference where the two codecs parted, `None` when
/// they agreed on everything (or the layout is not one both implement).
fn compare_with_tokio(data: &[u8]) -> Option<Difference> {
    use tokio_util::codec::LengthDelimitedCodec;

    let mut input = Input::new(data);
    let mut layout = LayoutBytes::parse_masked(&mut input, LITTLE_ENDIAN | NUM_SKIP | MAX);
    let sizes = input.schedule();
    let stream = input.rest;
    // Widths 1..=8 as in the other targets; the rest (0, 9, varints) become 1..=4.
    if !(1..=8).contains(&layout.field) {
        layout.field = 1 + layout.field % 8;
    }
    let codec = layout.builder().build().ok()?;

    let mut b = LengthDelimitedCodec::builder();
    b.length_field_offset(layout.offset)
        .length_field_length(usize::from(layout.field))
        .length_adjustment(layout.adjustment);
    if layout.flags & LITTLE_ENDIAN != 0 {
        b.little_endian();
    }
    if layout.num_skip_set() {
        b.num_skip(layout.num_skip);
    }
    if layout.max_set() {
        b.max_frame_length(layout.max);
    }
    let theirs = b.new_codec();
    // tokio-util lowers any limit to what the field can announce; lenframe lowers the default
    // the same way and refuses an explicit limit it cannot reach: the same number either way.
    let max = codec.max_frame_length();
    assert_eq!(theirs.max_frame_length(), max, "the limits differ");

    // tokio-util reserves what a header announces, up to its limit (plus the adjustment); with
    // its buffer's doubling, under four times that.
    let tokio_allocations = max
        .saturating_add(128 + 64)
        .saturating_add(stream.len())
        .saturating_mul(4);
    let _limit = AllocationLimit::set(
        lenframe_allocations(data.len(), data.len())
            .saturating_add(data.len().saturating_mul(512))
            .max(tokio_allocations),
    );

    let ours = run(codec, stream, &sizes);
    let (their_frames, their_end) = run_tokio(theirs, stream, &sizes);
    let our_frames = frame_bytes(&ours);
    let their: Vec<&[u8]> = their_frames.iter().map(|f| &f[..]).collect();
    // Under the error policy every error is fatal: at most one, the last thing that happened.
    let our_end = ours.errors.last();
    if our_frames == their && our_end.is_some() == (their_end != TheirEnd::Clean) {
        return None;
    }

    // Both agree on every frame before the first difference, so both read the next header at
    // the end of the last common frame.
    let common = our_frames
        .iter()
        .zip(&their)
        .take_while(|(a, b)| a == b)
        .count();
    let at = common.checked_sub(1).map_or(0, |i| ours.spans[i].1);
    let why = explain(
        layout,
        max,
        &stream[at..],
        (our_frames.len() == common, our_end),
        (their.len() == common, their_end),
    );
    assert!(
        why.is_some(),
        "unexplained difference from tokio-util after {common} common frames (stream byte {at}): \
         lenframe then {} frames and {our_end:?}; tokio-util then {} frames and {their_end:?}",
        our_frames.len() - common,
        their.len() - common,
    );
    why
}

/// tokio-util's frames for `stream` fed in chunks of `sizes`, and how it stopped.
fn run_tokio(
    mut theirs: tokio_util::codec::LengthDelimitedCodec,
    stream: &[u8],
    sizes: &[usize],
) -> (Vec<Bytes>, TheirEnd) {
    use tokio_util::codec::{Decoder, LengthDelimitedCodecError};

    let mut frames = Vec::new();
    let mut end = TheirEnd::Clean;
    // tokio-util can return empty frames forever without consuming (difference 1): bound the
    // calls. Any other call consumes input or asks for more.
    let mut calls_left = 4 * stream.len() + 64;
    feed(stream, sizes, |buf, at_eof, _| {
        if calls_left == 0 {
            end = TheirEnd::Spin;
            return Step::Stop;
        }
        calls_left -= 1;
        let result = if at_eof {
            theirs.decode_eof(buf)
        } else {
            theirs.decode(buf)
        };
        match result {
            Ok(Some(frame)) => {
                frames.push(frame.freeze());
                Step::Again
            }
            Ok(None) => Step::More,
            Err(e) => {
                end = match e.get_ref() {
                    Some(inner) if inner.is::<LengthDelimitedCodecError>() => TheirEnd::Limit,
                    _ => TheirEnd::Other,
                };
                Step::Stop
            }
        }
    });
    (frames, end)
}

/// Which documented difference explains the codecs parting at the header at the start of
/// `rest`. `ours` and `theirs`: whether each returned no frame for that header, and how each
/// stopped.
fn explain(
    layout: LayoutBytes,
    max: usize,
    rest: &[u8],
    ours: (bool, Option<&DecodeError>),
    theirs: (bool, TheirEnd),
) -> Option<Difference> {
    let (ours_stopped, our_end) = ours;
    let (theirs_stopped, their_end) = theirs;
    if ours_stopped && matches!(our_end, Some(DecodeError::FrameEndsInHeader { .. })) {
        return Some(Difference::FrameEndsInHeader);
    }
    // The rest needs a whole header: a stream that ends inside one is an error to both.
    let width = usize::from(layout.field);
    let (header, skip) = layout.header_and_skip(width)?;
    let field = rest.get(layout.offset..header)?;
    let raw = if layout.flags & LITTLE_ENDIAN == 0 {
        field.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
    } else {
        field
            .iter()
            .rev()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
    };
    // Both fit in an i128: a u64 plus an isize, and a usize.
    let frame_len = i128::from(raw) + i128::try_from(layout.adjustment).unwrap_or(0);
    let max = i128::try_from(max).unwrap_or(i128::MAX);
    let tokio_rejects = i128::from(raw) > max;
    let ours_rejects = frame_len > max;
    let our_too_large = matches!(
        our_end,
        Some(DecodeError::FrameTooLarge { announced, .. }) if i128::from(*announced) == frame_len
    );
    if (ours_stopped && our_too_large && !tokio_rejects)
        || (theirs_stopped && their_end == TheirEnd::Limit && tokio_rejects && !ours_rejects)
    {
        return Some(Difference::WhatTheLimitBounds);
    }
    if ours_stopped
        && theirs_stopped
        && matches!(our_end, Some(DecodeError::TruncatedFrame { .. }))
        && their_end == TheirEnd::Clean
        && skip >= header
        && rest.len() == skip
        && frame_len > 0
    {
        return Some(Difference::TruncatedAfterHeader);
    }
    None
}

/// Target `reader`: `FrameReader` over a reader whose read sizes and `Interrupted` errors come
/// from the input (the testkit's [`ChunkedReader`]), alternating `read_frame` and
/// `read_frame_ref` call by call, gives the same frames and errors as the sans-IO decoder on the
/// whole stream.
pub fn reader(data: &[u8]) {
    let _limit = AllocationLimit::set(lenframe_allocations(data.len(), data.len()));
    let mut input = Input::new(data);
    let layout = LayoutBytes::parse(&mut input);
    let sizes = input.schedule();
    let interrupt_every = match input.byte() % 8 {
        1 => 0,
        n => usize::from(n),
    };
    let stream = input.rest;
    let Ok(codec) = layout.builder().build() else {
        return;
    };
    let expected = run(codec.clone(), stream, &[]);
    let chunked = ChunkedReader::new(stream, read_schedule(&sizes, interrupt_every));
    let mut reader = FrameReader::with_codec(chunked, codec);
    let mut frames = Vec::new();
    let mut errors = Vec::new();
    // Each call returns a frame (consuming input), a recoverable error (consuming input), the
    // end, or a fatal error: bounded by the stream's length.
    for call in 0..=2 * stream.len() + 2 {
        // Odd calls borrow the frame (read_frame_ref), even ones take it as Bytes: the two
        // paths, and the switch between them, must not show.
        let result = if call % 2 == 1 {
            reader
                .read_frame_ref()
                .map(|frame| frame.map(Bytes::copy_from_slice))
        } else {
            reader.read_frame()
        };
        match result {
            Ok(Some(frame)) => frames.push(frame),
            Ok(None) => break,
            Err(e) => {
                let typed = typed_decode_error(&e);
                let fatal = typed.as_ref().is_none_or(DecodeError::is_fatal);
                errors.push(typed.unwrap_or_else(|| panic!("a scripted reader's error: {e}")));
                if fatal {
                    break;
                }
            }
        }
    }
    assert_eq!(
        frames.iter().map(|f| &f[..]).collect::<Vec<_>>(),
        frame_bytes(&expected),
        "FrameReader's frames differ from the decoder's"
    );
    assert_eq!(
        errors, expected.errors,
        "FrameReader's errors differ from the decoder's"
    );
}

/// The reads of the `reader` target as a [`ChunkedReader`] schedule: `sizes` cycling (none: no
/// limit), and every `interrupt_every`-th call `Interrupted` (0 and 1: never). One cycle of the
/// schedule covers `sizes.len() * (interrupt_every - 1)` reads, a whole number of both cycles.
fn read_schedule(sizes: &[usize], interrupt_every: usize) -> Vec<IoOp> {
    let sizes = if sizes.is_empty() {
        &[usize::MAX][..]
    } else {
        sizes
    };
    let limits = sizes.iter().map(|&size| IoOp::Limit(size));
    let Some(reads_between) = interrupt_every.checked_sub(1).filter(|&n| n > 0) else {
        return limits.collect();
    };
    let mut ops = Vec::new();
    for (i, op) in limits.cycle().take(sizes.len() * reads_between).enumerate() {
        ops.push(op);
        if (i + 1) % reads_between == 0 {
            ops.push(IoOp::Interrupted);
        }
    }
    ops
}

fn typed_decode_error(e: &io::Error) -> Option<DecodeError> {
    e.get_ref()?.downcast_ref::<DecodeError>().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_schedule_interrupts_every_nth_call_and_cycles_the_sizes() {
        use IoOp::{Interrupted as I, Limit as L};
        assert_eq!(read_schedule(&[3, 1], 3), [L(3), L(1), I, L(3), L(1), I]);
        assert_eq!(read_schedule(&[5], 4), [L(5), L(5), L(5), I]);
        assert_eq!(read_schedule(&[], 2), [L(usize::MAX), I]);
        assert_eq!(read_schedule(&[2, 7], 0), [L(2), L(7)]);
        assert_eq!(read_schedule(&[2, 7], 1), [L(2), L(7)]);
    }

    /// An input for the differential: layout bytes, no schedule (one chunk), the stream.
    fn input(layout: [u8; 7], stream: &[u8]) -> Vec<u8> {
        [&layout[..], &[0], stream].concat()
    }

    #[test]
    fn each_documented_difference_is_recognised_where_it_applies() {
        let spin = input([0, 2, NUM_SKIP, 0, 0, 0, 0], &[0, 0]);
        assert_eq!(
            compare_with_tokio(&spin),
            Some(Difference::FrameEndsInHeader)
        );
        // u8, adjustment -2: raw 254 over tokio-util's 253, the 252-byte frame within ours.
        let raw_over = input([0, 1, 0, 0xFE, 0, 0, 0], &[&[0xFE][..], &[7; 252]].concat());
        assert_eq!(
            compare_with_tokio(&raw_over),
            Some(Difference::WhatTheLimitBounds)
        );
        // u8, adjustment +2, limit 10: raw 9 within tokio-util's limit, 11 bytes over ours.
        let frame_over = input([0, 1, MAX, 2, 0, 10, 0], b"\x09abcdefghijk");
        assert_eq!(
            compare_with_tokio(&frame_over),
            Some(Difference::WhatTheLimitBounds)
        );
        let after_header = input([0, 4, 0, 0, 0, 0, 0], &[0, 0, 0, 5]);
        assert_eq!(
            compare_with_tokio(&after_header),
            Some(Difference::TruncatedAfterHeader)
        );
        let after_gap = input([0, 1, NUM_SKIP, 0, 3, 0, 0], &[5, 0xFE, 0xFE]);
        assert_eq!(
            compare_with_tokio(&after_gap),
            Some(Difference::TruncatedAfterHeader)
        );
    }

    #[test]
    fn agreeing_streams_need_no_explanation() {
        let hello = input(
            [0, 4, 0, 0, 0, 0, 0],
            b"\x00\x00\x00\x05hello\x00\x00\x00\x00",
        );
        assert_eq!(compare_with_tokio(&hello), None);
        // Both reject a header over the limit, both report a stream cut inside a frame.
        let both_over = input([0, 1, MAX, 0, 0, 4, 0], b"\x05hello");
        assert_eq!(compare_with_tokio(&both_over), None);
        let cut = input([0, 4, 0, 0, 0, 0, 0], &[0, 0, 0, 5, b'h']);
        assert_eq!(compare_with_tokio(&cut), None);
        // Widths 1..=8 mean what they mean in the other targets: here a 4-byte field.
        let four = input([0, 4, 0, 0, 0, 0, 0], &[0, 0, 0, 1, b'x']);
        assert_eq!(compare_with_tokio(&four), None);
        // Extreme-value flags do not apply: flags 0xAF would pick a 2^56 - 1 limit and a 2^16
        // adjustment, and tokio-util would reserve the 7-byte length the header announces.
        let mut extremes = input([0, 7, 0xAF, 0xAF, 0xAF, 0xAF, 0xAF], &[0xAF; 7]);
        extremes.extend_from_slice(b"\x04\x00A\x00");
        assert_eq!(compare_with_tokio(&extremes), None);
    }

    #[test]
    fn a_near_miss_is_not_explained() {
        let layout = LayoutBytes::parse(&mut Input::new(&[0, 4, 0, 0, 0, 0, 0]));
        let truncated = DecodeError::TruncatedFrame {
            buffered: 5,
            expected: 9,
        };
        // Truncated one byte after the header: tokio-util cannot have ended cleanly there.
        assert_eq!(
            explain(
                layout,
                100,
                &[0, 0, 0, 5, b'h'],
                (true, Some(&truncated)),
                (true, TheirEnd::Clean)
            ),
            None
        );
        // A limit error from tokio-util on a header within its limit.
        assert_eq!(
            explain(
                layout,
                100,
                &[0, 0, 0, 5],
                (false, None),
                (true, TheirEnd::Limit)
            ),
            None
        );
    }

    /// Difference 4 (docs/differences-from-tokio-util.md): not an output difference on a whole
    /// stream, which the differential compares, but one of timing on a stalled one.
    #[test]
    fn a_header_is_checked_before_its_gap_arrives_where_tokio_util_waits() {
        use tokio_util::codec::{Decoder, LengthDelimitedCodec};
        // u8 field, num_skip 3 (a 2-byte gap), limit 4; the header announces 9 bytes.
        let mut ours = Codec::builder()
            .length_field_length(1)
            .num_skip(3)
            .max_frame_length(4)
            .build()
            .unwrap();
        let mut theirs = LengthDelimitedCodec::builder()
            .length_field_length(1)
            .num_skip(3)
            .max_frame_length(4)
            .new_codec();
        let mut buf = BytesMut::from(&[9u8][..]);
        assert_eq!(
            ours.decode(&mut buf),
            Err(DecodeError::FrameTooLarge {
                announced: 9,
                max: 4
            })
        );
        assert!(theirs.decode(&mut buf).unwrap().is_none());
        buf.extend_from_slice(&[0, 0]);
        assert!(theirs.decode(&mut buf).is_err());
    }

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
