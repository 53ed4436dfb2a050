//! Target `decode`: any layout, chunking and stream; one-piece, chunked and borrowed decoding
//! agree, and every frame re-encodes to its bytes.

use super::*;

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
