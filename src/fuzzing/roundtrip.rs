//! Target `roundtrip`: frames encoded under any layout, cut anywhere, decode to themselves.

use super::*;

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
