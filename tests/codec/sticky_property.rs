//! The sticky-packet property: however a stream of frames is cut, the decoder returns exactly the
//! frames that were sent, in order, with nothing left over. Generators: `testkit::layout` (every
//! layout the builder accepts), `testkit::frames_for`, `testkit::chunk_sizes`.

use bytes::BytesMut;
use lenframe::{Codec, DecodeError, OversizePolicy, MAX_READ_AHEAD};
use lenframe_support::feeder::feed_in_chunks;
use lenframe_support::strategy::{
    cases_or, chunk_sizes, frames_for, layout, layout_and_frames, FieldSpec, FramePlan, LayoutSpec,
};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Cases per property; `PROPTEST_CASES` overrides.
fn config() -> Config {
    Config::with_cases(cases_or(512))
}

/// Encodes `plans`, and computes each frame's expected decoding from its wire bytes and the
/// layout alone (not from the decoder): everything after `num_skip`, where `num_skip` defaults
/// to the whole header.
fn encode(spec: &LayoutSpec, codec: &Codec, plans: &[FramePlan]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut wire = BytesMut::new();
    let mut expected = Vec::new();
    for plan in plans {
        let start = wire.len();
        codec
            .encode_parts(&plan.prefix, &plan.gap, &plan.payload, &mut wire)
            .expect("frames_for makes encodable frames");
        let frame = &wire[start..];
        let skip = spec
            .num_skip
            .unwrap_or(frame.len() - plan.gap.len() - plan.payload.len());
        expected.push(frame[skip..].to_vec());
        // The wire bytes are prefix, field, gap, payload, in order.
        assert!(frame.starts_with(&plan.prefix));
        assert!(frame.ends_with(&plan.payload));
    }
    (wire.to_vec(), expected)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_cut_of_the_stream_yields_the_frames_sent(
        (spec, plans) in layout_and_frames(600),
        sizes in chunk_sizes(),
    ) {
        let mut codec = spec.build().unwrap();
        let (wire, expected) = encode(&spec, &codec, &plans);
        let out = feed_in_chunks(&mut codec, &wire, &sizes);
        prop_assert_eq!(&out.errors, &Vec::<DecodeError>::new());
        prop_assert_eq!(out.frames.iter().map(|f| f.to_vec()).collect::<Vec<_>>(), expected);
        prop_assert_eq!(out.leftover, 0);
        prop_assert!(codec.is_idle());
    }

    #[test]
    fn every_single_byte_cut_and_one_chunk_agree(
        (spec, plans) in layout_and_frames(600),
    ) {
        let (wire, expected) = encode(&spec, &spec.build().unwrap(), &plans);
        for sizes in [vec![1], vec![usize::MAX]] {
            let out = feed_in_chunks(&mut spec.build().unwrap(), &wire, &sizes);
            prop_assert!(out.errors.is_empty(), "{:?}", out.errors);
            prop_assert_eq!(out.frames.iter().map(|f| f.to_vec()).collect::<Vec<_>>(), expected.clone());
        }
    }

    #[test]
    fn cuts_at_frame_boundaries_yield_one_frame_per_chunk(
        (spec, plans) in layout_and_frames(600),
    ) {
        let codec = spec.build().unwrap();
        let mut sizes = Vec::new();
        for plan in &plans {
            let mut one = BytesMut::new();
            codec.encode_parts(&plan.prefix, &plan.gap, &plan.payload, &mut one).unwrap();
            sizes.push(one.len());
        }
        let (wire, expected) = encode(&spec, &codec, &plans);
        sizes.push(1);
        let out = feed_in_chunks(&mut spec.build().unwrap(), &wire, &sizes);
        prop_assert!(out.errors.is_empty());
        prop_assert_eq!(out.frames.iter().map(|f| f.to_vec()).collect::<Vec<_>>(), expected);
    }

    /// With the skip policy, oversize frames interleaved with valid ones are each reported once
    /// and dropped; every valid frame survives in order.
    #[test]
    fn skip_policy_drops_only_the_oversize_frames(
        (spec, plans) in layout().prop_filter("small limit", |s| s.max_frame_length.is_some_and(|m| m < 200))
            .prop_map(|s| LayoutSpec { oversize: OversizePolicy::Skip, ..s })
            .prop_flat_map(|spec| {
                let codec = spec.build().unwrap();
                (Just(spec), frames_for(&codec, 200))
            }),
        oversize_at in proptest::collection::vec((0usize..8, 1u64..100), 1..4),
        sizes in chunk_sizes(),
    ) {
        let codec = spec.build().unwrap();
        let max = codec.max_frame_length() as u64;
        let (mut wire, mut expected_frames) = (Vec::new(), Vec::new());
        let mut announced = Vec::new();
        let oversize = |excess: u64| -> Option<(Vec<u8>, u64, u64)> {
            // A frame of max + excess bytes after num_skip, written by hand.
            let frame_len = max + excess;
            let value = u64::try_from(i128::from(frame_len) - spec.length_adjustment as i128).ok()?;
            let field = spec.write_field(value)?;
            let header = spec.length_field_offset + field.len();
            let skip = spec.num_skip.unwrap_or(header);
            let wire_len = skip as u64 + frame_len;
            let mut bytes = vec![0xEE; spec.length_field_offset];
            bytes.extend_from_slice(&field);
            bytes.resize(usize::try_from(wire_len).ok()?, 0xDD);
            Some((bytes, frame_len, wire_len))
        };
        for (i, plan) in plans.iter().enumerate() {
            for &(at, excess) in &oversize_at {
                if at == i {
                    if let Some((bytes, frame_len, wire_len)) = oversize(excess) {
                        wire.extend_from_slice(&bytes);
                        announced.push((frame_len, wire_len));
                    }
                }
            }
            let (one, exp) = encode(&spec, &codec, std::slice::from_ref(plan));
            wire.extend_from_slice(&one);
            expected_frames.extend(exp);
        }
        let out = feed_in_chunks(&mut spec.build().unwrap(), &wire, &sizes);
        let expected_errors: Vec<_> = announced
            .iter()
            .map(|&(announced, wire_len)| DecodeError::FrameDiscarded { announced, max: codec.max_frame_length(), wire_len })
            .collect();
        prop_assert_eq!(out.errors, expected_errors);
        prop_assert_eq!(out.frames.iter().map(|f| f.to_vec()).collect::<Vec<_>>(), expected_frames);
        prop_assert_eq!(out.leftover, 0);
    }

    /// Arbitrary bytes under any layout: no panic, every frame consumed input, and the decoder
    /// never waits with a whole maximal frame buffered (checked inside `feed_in_chunks`), and the
    /// buffer's capacity stays within twice what was fed plus the read-ahead.
    #[test]
    fn arbitrary_bytes_never_panic_nor_hold_more_than_the_limit(
        spec in layout(),
        stream in proptest::collection::vec(prop_oneof![3 => 0u8..4, 1 => any::<u8>()], 0..512),
        sizes in chunk_sizes(),
    ) {
        let mut codec = spec.build().unwrap();
        let out = feed_in_chunks(&mut codec, &stream, &sizes);
        let fatal = out.errors.iter().filter(|e| e.is_fatal()).count();
        prop_assert!(fatal <= 1);
        if fatal == 0 {
            prop_assert_eq!(out.leftover, 0, "a clean end leaves nothing");
        }
        // Capacity: decode asks for at most MAX_READ_AHEAD beyond what it holds.
        let mut codec = spec.build().unwrap();
        let mut buf = BytesMut::new();
        for chunk in stream.chunks(7) {
            buf.extend_from_slice(chunk);
            let fed = buf.len();
            match codec.decode(&mut buf) {
                Ok(_) => {}
                Err(e) if !e.is_fatal() => {}
                Err(_) => break,
            }
            prop_assert!(buf.capacity() <= 2 * (fed + MAX_READ_AHEAD), "capacity {} after {} bytes", buf.capacity(), fed);
        }
    }
}

#[test]
fn varint_layouts_are_generated() {
    // The generator must reach varints and every fixed width, or the properties above prove
    // less than they claim.
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen_varint = false;
    let mut widths = [false; 9];
    let mut skip_inside_header = false;
    for _ in 0..2000 {
        let spec = layout().new_tree(&mut runner).unwrap().current();
        match spec.field {
            FieldSpec::Varint => seen_varint = true,
            FieldSpec::Fixed { width, .. } => {
                widths[width] = true;
                if spec
                    .num_skip
                    .is_some_and(|s| s < spec.length_field_offset + width)
                {
                    skip_inside_header = true;
                }
            }
        }
    }
    assert!(seen_varint);
    assert!(widths[1..].iter().all(|&w| w), "{widths:?}");
    assert!(skip_inside_header);
}
