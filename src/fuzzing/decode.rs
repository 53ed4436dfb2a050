//! Target `decode`: any layout and any stream, one of three checks per input (chosen by a byte,
//! so that each input runs two decoding passes at most): the testkit's any-stream check
//! ([`StreamCheck`]: the same result in one piece and in the plan's chunks) with lenframe's
//! invariants on every call; the borrowed path against `decode`; or a re-encode of every frame.

use super::*;
use crate::testkit::{checked_decode, Decode, Plan, StreamCheck};

/// Check: decoding in one piece and in the plan's chunks agree ([`StreamCheck`]).
pub const CUTS: u8 = 0;
/// Check: the borrowed path (`Codec::frames`) on the plan's chunks agrees with `decode`.
pub const BORROWED: u8 = 1;
/// Check: every frame, re-encoded with the layout, gives back the bytes its call consumed.
pub const REENCODE: u8 = 2;

/// lenframe's `Codec` with its invariants asserted around every call
/// ([`checked_decode`]): the subject of the any-stream check.
struct Watched(Codec);

impl Decode for Watched {
    type Message = Bytes;
    type Error = DecodeError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, DecodeError> {
        checked_decode(&mut self.0, buf, false)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, DecodeError> {
        checked_decode(&mut self.0, buf, true)
    }
}

/// Target `decode`: arbitrary layout (valid or not), check, chunking and stream.
///
/// ```text
/// layout (7 bytes, lenframe::fuzzing's format), check (% 3: CUTS, BORROWED, REENCODE), then a
/// testkit input (testkit::case): its plan's chunking cuts the stream, the rest is the stream
/// ```
///
/// Oracles, on every input: building never panics, and a field width outside 1..=8 or
/// `num_skip` with a varint is the matching [`ConfigError`]; every call keeps lenframe's
/// invariants ([`checked_decode`]: capacity within [`capacity_bound`], a frame consumes input,
/// never waiting with a whole frame's worth buffered, a fatal error repeats without consuming).
/// Then by the check byte: [`CUTS`], the testkit's [`StreamCheck`] (one piece and the chunks
/// give the same frames, errors, ending and leftover; no panic, no overrun); [`BORROWED`], the
/// borrowed path ([`Codec::frames`], through [`feed_borrowed_each`]) on the chunks gives the
/// same frames, spans, errors and leftover as `decode`; [`REENCODE`], every frame, re-encoded
/// with the same layout, gives back exactly the bytes its call consumed (under the skip policy,
/// the end of them: the call may first have finished discarding an oversize frame).
pub fn decode(data: &[u8]) {
    let _limit = AllocationLimit::set(lenframe_allocations(data.len(), data.len()));
    let mut input = Input::new(data);
    let layout = LayoutBytes::parse(&mut input);
    let check = input.byte() % 3;
    let (plan, stream) = Plan::parse(input.rest);
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

    if check == CUTS {
        let check = StreamCheck::new(|| Watched(codec.clone())).errors_eq::<DecodeError>();
        if let Err(failure) = check.check(stream, &plan.chunking) {
            panic!("{failure}");
        }
        return;
    }
    let chunks = plan.chunking.chunk_lengths(stream.len());
    let owned = run(codec.clone(), stream, &chunks);
    if check == BORROWED {
        borrowed_agrees(&codec, stream, &chunks, &owned);
    } else {
        for (frame, &(start, end)) in owned.frames.iter().zip(&owned.spans) {
            reencode_matches(&codec, layout, frame, &stream[start..end]);
        }
    }
}

/// The borrowed path, on the same chunks: the same frames at the same places (compared as they
/// come, uncopied), the same errors, the same bytes left over.
fn borrowed_agrees(codec: &Codec, stream: &[u8], chunks: &[usize], owned: &Outcome) {
    let mut taken = 0;
    let borrowed = feed_borrowed_each(&mut codec.clone(), stream, chunks, |frame, span| {
        assert_eq!(
            Some(frame),
            owned.frames.get(taken).map(|f| &f[..]),
            "borrowed and owned frames differ at frame {taken}"
        );
        assert_eq!(
            Some(&span),
            owned.spans.get(taken),
            "borrowed and owned spans differ at frame {taken}"
        );
        taken += 1;
    });
    assert_eq!(
        taken,
        owned.frames.len(),
        "borrowed and owned frames differ"
    );
    assert_eq!(
        borrowed.errors, owned.errors,
        "borrowed and owned errors differ"
    );
    assert_eq!(
        borrowed.leftover, owned.leftover,
        "borrowed and owned leftovers differ"
    );
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
