//! The borrowed path (`Codec::frames`) is the owned path (`Codec::decode`) without the `Bytes`:
//! on any layout, any stream and any cut, the same frames at the same stream positions, the same
//! errors in the same order, the same bytes left over, and the two can be mixed on one stream.
//! Generators: `testkit::layout` (every layout the builder accepts), `testkit::frames_for`,
//! `testkit::chunk_sizes`, and arbitrary bytes biased towards small length values (so that
//! headers announce short frames, oversize frames and malformed lengths alike).

use std::io;

use bytes::{Buf, Bytes, BytesMut};
use lenframe::io::FrameReader;
use lenframe::testkit::ChunkedReader;
use lenframe::{Codec, DecodeError, OversizePolicy};
use lenframe_support::feeder::{feed, feed_borrowed, feed_in_chunks, Step};
use lenframe_support::sized_reads;
use lenframe_support::strategy::{cases_or, chunk_sizes, frames_for, layout, LayoutSpec};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Cases per property; `PROPTEST_CASES` overrides.
fn config() -> Config {
    Config::with_cases(cases_or(512))
}

/// Bytes that make plausible and implausible headers alike.
fn arbitrary_stream() -> impl Strategy<Value = Vec<u8>> {
    vec(prop_oneof![3 => 0u8..4, 1 => any::<u8>()], 0..512)
}

/// A layout and a valid stream of encoded frames for it.
fn layout_and_wire() -> impl Strategy<Value = (LayoutSpec, Vec<u8>)> {
    layout().prop_flat_map(|spec| {
        let codec = spec.build().expect("layout() only yields valid layouts");
        let frames = frames_for(&codec, 600);
        (Just(spec), frames).prop_map(|(spec, plans)| {
            let codec = spec.build().unwrap();
            let mut wire = BytesMut::new();
            for plan in &plans {
                codec
                    .encode_parts(&plan.prefix, &plan.gap, &plan.payload, &mut wire)
                    .expect("frames_for makes encodable frames");
            }
            (spec, wire.to_vec())
        })
    })
}

/// Both paths over `stream` cut by `sizes`: everything they report must be equal.
fn assert_paths_agree(
    spec: &LayoutSpec,
    stream: &[u8],
    sizes: &[usize],
) -> Result<(), TestCaseError> {
    let owned = feed_in_chunks(&mut spec.build().unwrap(), stream, sizes);
    let borrowed = feed_borrowed(&mut spec.build().unwrap(), stream, sizes);
    prop_assert_eq!(&borrowed.frames, &owned.frames);
    prop_assert_eq!(&borrowed.spans, &owned.spans);
    prop_assert_eq!(&borrowed.errors, &owned.errors);
    prop_assert_eq!(borrowed.leftover, owned.leftover);
    Ok(())
}

/// What a `FrameReader` returned, call by call, until the end, a fatal decoding error, or 10 000
/// calls; `borrowed[i % len]` picks `read_frame_ref` for call `i`, else `read_frame`.
fn read_all(
    spec: &LayoutSpec,
    stream: &[u8],
    sizes: &[usize],
    borrowed: &[bool],
) -> Vec<Result<Bytes, (io::ErrorKind, Option<DecodeError>)>> {
    // Every third call interrupted, the others of the given sizes.
    let reader = ChunkedReader::new(stream, sized_reads(sizes, 3));
    let mut reader = FrameReader::with_codec(reader, spec.build().unwrap());
    let mut out = Vec::new();
    for call in 0..10_000 {
        let result = if borrowed[call % borrowed.len()] {
            reader
                .read_frame_ref()
                .map(|frame| frame.map(Bytes::copy_from_slice))
        } else {
            reader.read_frame()
        };
        match result {
            Ok(Some(frame)) => out.push(Ok(frame)),
            Ok(None) => break,
            Err(e) => {
                let typed = e
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<DecodeError>())
                    .cloned();
                let fatal = typed.as_ref().is_none_or(DecodeError::is_fatal);
                out.push(Err((e.kind(), typed)));
                if fatal {
                    break;
                }
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(config())]

    /// Generator: `testkit::layout`, arbitrary bytes or encoded frames, `testkit::chunk_sizes` as
    /// read sizes, an `Interrupted` error every third read. `read_frame_ref`, alone or mixed
    /// call by call with `read_frame`, returns what `read_frame` alone returns.
    #[test]
    fn frame_reader_lends_what_it_would_give(
        (spec, stream) in prop_oneof![
            (layout(), arbitrary_stream()),
            layout_and_wire(),
        ],
        sizes in chunk_sizes(),
        borrowed in vec(any::<bool>(), 1..8),
    ) {
        let owned = read_all(&spec, &stream, &sizes, &[false]);
        prop_assert_eq!(&read_all(&spec, &stream, &sizes, &[true]), &owned);
        prop_assert_eq!(&read_all(&spec, &stream, &sizes, &borrowed), &owned);
    }

    #[test]
    fn borrowed_and_owned_paths_agree_on_arbitrary_bytes(
        spec in layout(),
        stream in arbitrary_stream(),
        sizes in chunk_sizes(),
    ) {
        assert_paths_agree(&spec, &stream, &sizes)?;
    }

    #[test]
    fn borrowed_and_owned_paths_agree_on_encoded_frames(
        (spec, wire) in layout_and_wire(),
        sizes in chunk_sizes(),
    ) {
        assert_paths_agree(&spec, &wire, &sizes)?;
        // And on a valid stream, that is every frame, cleanly.
        let borrowed = feed_borrowed(&mut spec.build().unwrap(), &wire, &sizes);
        prop_assert!(borrowed.errors.is_empty(), "{:?}", borrowed.errors);
        prop_assert_eq!(borrowed.leftover, 0);
    }

    /// Each feeding step picks `decode` or `frames` from `paths` (cycling): the frames, errors
    /// and leftover are those of `decode` alone.
    #[test]
    fn mixing_decode_and_frames_on_one_stream_changes_nothing(
        spec in layout(),
        stream in prop_oneof![
            arbitrary_stream(),
            layout_and_wire().prop_map(|(_, wire)| wire),
        ],
        sizes in chunk_sizes(),
        paths in vec(any::<bool>(), 1..8),
    ) {
        let owned = feed_in_chunks(&mut spec.build().unwrap(), &stream, &sizes);
        let mut codec = spec.build().unwrap();
        let (mut frames, mut errors) = (Vec::new(), Vec::new());
        let mut step = 0;
        let leftover = feed(&stream, &sizes, |buf, at_eof, _| {
            let borrowed = paths[step % paths.len()];
            step += 1;
            let fatal = if borrowed {
                let mut it = codec.frames(buf);
                let mut fatal = false;
                for item in &mut it {
                    match item {
                        Ok(frame) => frames.push(Bytes::copy_from_slice(frame)),
                        Err(e) => {
                            fatal = e.is_fatal();
                            errors.push(e);
                        }
                    }
                }
                let consumed = it.consumed();
                let end = if at_eof && !fatal { it.finish().err() } else { None };
                buf.advance(consumed);
                if let Some(e) = end {
                    errors.push(e);
                    fatal = true;
                }
                fatal
            } else {
                loop {
                    let result = if at_eof { codec.decode_eof(buf) } else { codec.decode(buf) };
                    match result {
                        Ok(Some(frame)) => frames.push(frame),
                        Ok(None) => break false,
                        Err(e) => {
                            let fatal = e.is_fatal();
                            errors.push(e);
                            if fatal {
                                break true;
                            }
                        }
                    }
                }
            };
            if fatal { Step::Stop } else { Step::More }
        });
        prop_assert_eq!(frames, owned.frames);
        prop_assert_eq!(errors, owned.errors);
        prop_assert_eq!(leftover, owned.leftover);
    }
}

#[test]
fn frames_are_slices_of_the_callers_buffer() {
    let mut codec = Codec::new();
    let buf = b"\x00\x00\x00\x05hello\x00\x00\x00\x00\x00\x00\x00\x02hi";
    let frames: Vec<&[u8]> = codec.frames(buf).map(Result::unwrap).collect();
    assert_eq!(frames, [&b"hello"[..], b"", b"hi"]);
    let range = buf.as_ptr_range();
    for frame in frames {
        assert!(range.contains(&frame.as_ptr()) || frame.is_empty());
    }
    assert_eq!(
        buf[4..9].as_ptr(),
        codec.frames(buf).next().unwrap().unwrap().as_ptr()
    );
}

#[test]
fn a_fatal_error_ends_the_iterator_consumes_nothing_and_repeats() {
    let mut codec = Codec::builder().max_frame_length(8).build().unwrap();
    let buf = b"\x00\x00\x00\x02hi\x00\x00\x00\x09too long!\x00\x00\x00\x02ok";
    let mut frames = codec.frames(buf);
    assert_eq!(frames.next(), Some(Ok(&b"hi"[..])));
    let too_large = DecodeError::FrameTooLarge {
        announced: 9,
        max: 8,
    };
    assert_eq!(frames.next(), Some(Err(too_large.clone())));
    assert_eq!(frames.next(), None);
    assert_eq!(frames.next(), None, "fused");
    assert_eq!(frames.consumed(), 6, "the offending header is not consumed");
    assert_eq!(frames.remaining(), &buf[6..]);
    let mut again = codec.frames(&buf[6..]);
    assert_eq!(again.next(), Some(Err(too_large.clone())));
    assert_eq!(again.consumed(), 0);
    assert_eq!(again.finish(), Err(too_large.clone()));
    // decode agrees, on the same bytes, from the same state.
    let mut rest = BytesMut::from(&buf[6..]);
    assert_eq!(codec.decode(&mut rest), Err(too_large));
}

/// A header announcing 2^60 bytes under the skip policy: every call consumes all it is given,
/// so the caller never holds more than one read of the frame.
#[test]
fn an_announced_exabyte_is_discarded_as_it_arrives() {
    let mut codec = Codec::builder()
        .length_field_type::<u64>()
        .max_frame_length(1024)
        .oversize(OversizePolicy::Skip)
        .build()
        .unwrap();
    let announced = 1u64 << 60;
    let mut buf = announced.to_be_bytes().to_vec();
    buf.extend_from_slice(&[0xAB; 4088]);
    let mut reported = 0;
    for read in 0..256 {
        let mut frames = codec.frames(&buf);
        for item in &mut frames {
            assert_eq!(
                item,
                Err(DecodeError::FrameDiscarded {
                    announced,
                    max: 1024,
                    wire_len: announced + 8,
                })
            );
            reported += 1;
        }
        assert_eq!(
            frames.consumed(),
            buf.len(),
            "read {read}: all of it is discarded"
        );
        buf.clear();
        buf.extend_from_slice(&[0xCD; 4096]);
    }
    assert_eq!(reported, 1, "reported once");
    assert!(!codec.is_idle(), "still discarding");
    let err = codec.frames(&[]).finish().unwrap_err();
    assert_eq!(
        err,
        DecodeError::TruncatedFrame {
            buffered: 256 * 4096,
            expected: announced + 8,
        }
    );
}

#[test]
fn a_frame_cut_by_the_buffer_carries_over_to_decode() {
    let mut codec = Codec::new();
    let wire = b"\x00\x00\x00\x05hello\x00\x00\x00\x05jason";
    let mut frames = codec.frames(&wire[..12]);
    assert_eq!(frames.next(), Some(Ok(&b"hello"[..])));
    assert_eq!(frames.next(), None);
    let consumed = frames.consumed();
    assert_eq!(consumed, 9);
    // The header of "jason" is parsed; decode continues from it.
    let mut rest = BytesMut::from(&wire[consumed..]);
    assert_eq!(
        codec.decode(&mut rest).unwrap().as_deref(),
        Some(&b"jason"[..])
    );
    assert!(codec.is_idle());
}
