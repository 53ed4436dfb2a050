//! Target `differential`: lenframe against tokio-util's `LengthDelimitedCodec`, parting only where
//! a documented difference applies.

use super::reference::{read_field, Reading};
use super::*;

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
    // The rest needs a whole header: a stream that ends inside one is an error to both.
    let width = usize::from(layout.field);
    let (header, skip) = layout.header_and_skip(width)?;
    let Reading::Value { value: raw, .. } = read_field(layout, rest) else {
        return None;
    };
    // Both fit in an i128: a u64 plus an isize, and a usize.
    let frame_len = i128::from(raw) + i128::try_from(layout.adjustment).unwrap_or(0);
    let ends_in_header = frame_len + i128::try_from(skip).unwrap_or(i128::MAX)
        < i128::try_from(header).unwrap_or(i128::MAX);
    if ours_stopped
        && ends_in_header
        && matches!(our_end, Some(DecodeError::FrameEndsInHeader { .. }))
    {
        return Some(Difference::FrameEndsInHeader);
    }
    let max = i128::try_from(max).unwrap_or(i128::MAX);
    let tokio_rejects = i128::from(raw) > max;
    let ours_rejects = frame_len > max;
    let our_too_large = matches!(
        our_end,
        Some(DecodeError::FrameTooLarge { announced, .. }) if i128::from(*announced) == frame_len
    );
    if (ours_stopped && our_too_large && ours_rejects && !tokio_rejects)
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

#[cfg(test)]
mod tests {
    use super::*;

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
        // A limit error from lenframe on a frame exactly at the limit (tokio-util's too): an
        // off-by-one in lenframe, not what the limit bounds.
        let at_limit = DecodeError::FrameTooLarge {
            announced: 100,
            max: 100,
        };
        assert_eq!(
            explain(
                layout,
                100,
                &[0, 0, 0, 100],
                (true, Some(&at_limit)),
                (false, TheirEnd::Clean)
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
        // An empty frame refused as ending inside its header (`wire_len <= header_len` for `<`
        // in `Codec::parse_head`, planted by hand): it ends with its header, not inside it.
        let ends_in_header = DecodeError::FrameEndsInHeader {
            frame_end: 4,
            header_len: 4,
        };
        assert_eq!(
            explain(
                layout,
                100,
                &[0, 0, 0, 0],
                (true, Some(&ends_in_header)),
                (false, TheirEnd::Clean)
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
}
