//! The checker has teeth: a gallery of decoders with the bugs people really write, each caught by
//! `testkit::Checker` with its default settings (256 cases, the same on every run), each
//! reported as a small shrunk case; one planted bug per oracle and shape (memory, truncation,
//! recovery, junk, a stall under `FramedRead`, a failure that needs exactly one cut), each next
//! to its correct twin, which passes; and the correct decoders (lenframe's `Codec`, through its
//! own API and through tokio-util's `Decoder`) pass the same check, where tokio-util's
//! `LengthDelimitedCodec` is caught losing a frame cut after its header.
//!
//! Every planted decoder of the gallery reads the same framing, a length then the body (4 bytes
//! big-endian unless said otherwise), and differs from a correct one by its bug alone.
//! Generator: `frame()`, payloads of 0 to 31 bytes, a quarter of them empty; lists of 0 to 8.

use std::io;

use bytes::{Buf, Bytes, BytesMut};
use lenframe::testkit::{Checker, Failure, Fault, Run, Truncation};
use lenframe::Codec;
use proptest::collection::vec;
use proptest::prelude::*;

type Frame = io::Result<Option<Bytes>>;

fn frame() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        1 => Just(Bytes::new()),
        3 => vec(any::<u8>(), 1..32).prop_map(Bytes::from),
    ]
}

/// The reference encoder: lenframe's default layout, a 4-byte big-endian length.
fn encode(frame: &Bytes, dst: &mut BytesMut) {
    Codec::new()
        .encode(frame, dst)
        .expect("frames under 8 MiB encode");
}

fn be(header: &[u8]) -> usize {
    header
        .iter()
        .fold(0, |len, &byte| (len << 8) | usize::from(byte))
}

fn le(header: &[u8]) -> usize {
    header
        .iter()
        .rev()
        .fold(0, |len, &byte| (len << 8) | usize::from(byte))
}

/// Runs the checker on a planted decoder with the default case count, and returns its failure,
/// found early (from the default seed, every bug fails the first case).
fn caught<D>(new_decoder: fn() -> D) -> Box<Failure<Bytes>>
where
    D: lenframe::testkit::Decode<Message = Bytes> + 'static,
{
    let failure = Checker::new(new_decoder, encode, frame())
        .run()
        .expect_err("the planted bug must be caught");
    eprintln!("{failure}");
    assert!(failure.case <= 16, "caught late: {failure}");
    failure
}

/// Bug: takes whatever the first read brought as the whole 4-byte header (as `recv(4)` is
/// taken to return 4 bytes).
fn header_assumed_whole() -> impl FnMut(&mut BytesMut) -> Frame {
    let mut body_len = None;
    move |buf| {
        let len = match body_len {
            Some(len) => len,
            None if buf.is_empty() => return Ok(None),
            None => *body_len.insert(be(&buf.split_to(buf.len().min(4)))),
        };
        if buf.len() < len {
            return Ok(None);
        }
        body_len = None;
        Ok(Some(buf.split_to(len).freeze()))
    }
}

#[test]
fn catches_header_assumed_whole() {
    let failure = caught(header_assumed_whole);
    // Shrunk to one empty frame cut after its first byte: each piece of the header is taken as
    // a header announcing an empty frame, so the one empty frame comes out twice.
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::Chunked, Fault::DuplicatedMessage { index: 0 })
    );
    assert_eq!(failure.messages, [Bytes::new()], "{failure}");
    assert_eq!(failure.cuts(), [1], "{failure}");
}

/// Bug: once the header is there, takes the body from what arrived with it, whole or not.
fn body_assumed_with_header() -> impl FnMut(&mut BytesMut) -> Frame {
    |buf| {
        if buf.len() < 4 {
            return Ok(None);
        }
        let len = be(&buf.split_to(4));
        Ok(Some(buf.split_to(len.min(buf.len())).freeze()))
    }
}

#[test]
fn catches_body_assumed_with_header() {
    let failure = caught(body_assumed_with_header);
    // One frame of one byte, its body cut from its header: an empty frame comes out instead.
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::Chunked, Fault::WrongMessage { index: 0 })
    );
    assert_eq!(failure.messages, [Bytes::from_static(b"\0")], "{failure}");
    assert_eq!(failure.cuts(), [4], "{failure}");
}

/// Bug: one read, one message: whatever follows the frame in the buffer (the next frame, or
/// its start) is thrown away.
fn drops_bytes_after_a_frame() -> impl FnMut(&mut BytesMut) -> Frame {
    |buf| {
        if buf.len() < 4 || buf.len() < 4 + be(&buf[..4]) {
            return Ok(None);
        }
        let frame = Bytes::copy_from_slice(&buf[4..4 + be(&buf[..4])]);
        buf.clear();
        Ok(Some(frame))
    }
}

#[test]
fn catches_bytes_dropped_after_a_frame() {
    let failure = caught(drops_bytes_after_a_frame);
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::OnePiece, Fault::MissingMessages { index: 1 })
    );
    assert_eq!(failure.messages.len(), 2, "two glued frames: {failure}");
    assert!(failure.cuts().is_empty(), "{failure}");
}

/// Bug: the 2-byte length counts itself, and the decoder subtracts 1 instead of 2.
fn off_by_one_adjustment() -> impl FnMut(&mut BytesMut) -> Frame {
    |buf| {
        if buf.len() < 2 {
            return Ok(None);
        }
        let len = be(&buf[..2])
            .checked_sub(1)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "length under 1"))?;
        if buf.len() < 2 + len {
            return Ok(None);
        }
        buf.advance(2);
        Ok(Some(buf.split_to(len).freeze()))
    }
}

#[test]
fn catches_off_by_one_length_adjustment() {
    let failure = Checker::new(off_by_one_adjustment, encode_counting_itself, frame())
        .run()
        .expect_err("the planted bug must be caught");
    eprintln!("{failure}");
    assert!(failure.case <= 16, "caught late: {failure}");
    // An empty frame, whose length field says 2, is read as one byte more, for which the
    // decoder waits with the whole frame there.
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (
            Run::OnePiece,
            Fault::Stalled {
                index: 0,
                delivered: 2,
                end: 2
            }
        )
    );
    assert_eq!(failure.messages, [Bytes::new()], "{failure}");
    // The layout itself is right: lenframe decodes it.
    Checker::new(counting_itself, encode_counting_itself, frame()).assert();
}

/// The layout `off_by_one_adjustment` means to read: a 2-byte length that counts itself.
fn counting_itself() -> Codec {
    Codec::builder()
        .length_field_length(2)
        .length_adjustment(-2)
        .build()
        .expect("a valid layout")
}

fn encode_counting_itself(frame: &Bytes, dst: &mut BytesMut) {
    counting_itself()
        .encode(frame, dst)
        .expect("frames under 64 KiB encode");
}

/// Bug: a whole header is read big-endian, but a header split across reads is put together
/// byte by byte little-endian (the slow path nobody tested).
fn split_header_read_little_endian() -> impl FnMut(&mut BytesMut) -> Frame {
    let mut header = Vec::new();
    let mut body_len = None;
    move |buf| {
        let len = match body_len {
            Some(len) => len,
            None if header.is_empty() && buf.len() >= 4 => be(&buf.split_to(4)),
            None => {
                let take = (4 - header.len()).min(buf.len());
                header.extend_from_slice(&buf.split_to(take));
                if header.len() < 4 {
                    return Ok(None);
                }
                let len = le(&header);
                header.clear();
                len
            }
        };
        if buf.len() < len {
            body_len = Some(len);
            return Ok(None);
        }
        body_len = None;
        Ok(Some(buf.split_to(len).freeze()))
    }
}

#[test]
fn catches_split_header_read_with_the_wrong_endianness() {
    // Found first another way: the half header it keeps inside is lost when the stream ends
    // there (no `decode_eof` says so).
    let failure = caught(split_header_read_little_endian);
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::Truncated { at: 1 }, Fault::TruncationLost { index: 0 })
    );
    // Without the truncation oracle, the byte order: a header split across reads announces
    // 16 MiB instead of 1 byte, and the decoder waits for them with the frame there.
    let failure = Checker::new(split_header_read_little_endian, encode, frame())
        .truncation(Truncation::Off)
        .run()
        .expect_err("the planted bug must be caught");
    assert!(
        matches!(
            (failure.run, failure.fault.clone()),
            (Run::Chunked, Fault::Stalled { index: 0, .. })
        ),
        "{failure}"
    );
    assert_eq!(failure.messages.len(), 1, "{failure}");
    assert_eq!(failure.cuts().len(), 1, "{failure}");
    assert!(failure.cuts()[0] < 4, "a cut inside the header: {failure}");
}

/// Bug: waits for more than the header (`buf.len() > 4`), so an empty frame at the end of the
/// stream is never returned.
fn loses_a_zero_length_frame() -> impl FnMut(&mut BytesMut) -> Frame {
    |buf| {
        if buf.len() <= 4 || buf.len() < 4 + be(&buf[..4]) {
            return Ok(None);
        }
        let len = be(&buf.split_to(4));
        Ok(Some(buf.split_to(len).freeze()))
    }
}

#[test]
fn catches_a_lost_zero_length_frame() {
    let failure = caught(loses_a_zero_length_frame);
    // An empty frame, whole after its 4 bytes, waits for a fifth: it comes out only when the
    // next frame's bytes arrive.
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (
            Run::Chunked,
            Fault::Stalled {
                index: 0,
                delivered: 4,
                end: 4
            }
        )
    );
    assert_eq!(failure.messages[0], Bytes::new(), "{failure}");
    assert_eq!(failure.cuts(), [4], "{failure}");
}

/// Bug: the parsed length lives in a local variable: when the body is not all there, the
/// header is already consumed and its length forgotten, and the body is read as a header.
fn resets_state_at_a_chunk_boundary() -> impl FnMut(&mut BytesMut) -> Frame {
    |buf| {
        if buf.len() < 4 {
            return Ok(None);
        }
        let len = be(&buf.split_to(4));
        if buf.len() < len {
            return Ok(None);
        }
        Ok(Some(buf.split_to(len).freeze()))
    }
}

#[test]
fn catches_state_reset_at_a_chunk_boundary() {
    let failure = caught(resets_state_at_a_chunk_boundary);
    // The body is read as a header, and the decoder waits for what it announces.
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (
            Run::Chunked,
            Fault::Stalled {
                index: 0,
                delivered: 5,
                end: 5
            }
        )
    );
    assert_eq!(failure.messages.len(), 1, "{failure}");
    assert_eq!(
        failure.cuts(),
        [4],
        "the body cut from its header: {failure}"
    );
}

/// Bug: copies the frame out and returns it, but never advances the buffer past it.
fn forgets_to_advance() -> impl FnMut(&mut BytesMut) -> Frame {
    |buf| {
        if buf.len() < 4 || buf.len() < 4 + be(&buf[..4]) {
            return Ok(None);
        }
        Ok(Some(Bytes::copy_from_slice(&buf[4..4 + be(&buf[..4])])))
    }
}

#[test]
fn catches_a_frame_returned_without_advancing() {
    let failure = caught(forgets_to_advance);
    // The same frame, again and again: the check stops it one message past the encoded ones.
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::OnePiece, Fault::DuplicatedMessage { index: 0 })
    );
    assert_eq!(failure.messages.len(), 1, "{failure}");
    assert_eq!(failure.one_piece.messages.len(), 2, "{failure}");
}

/// Bug: a read that brought nothing is taken as an (empty) message.
fn empty_read_as_a_frame() -> impl FnMut(&mut BytesMut) -> Frame {
    |buf| {
        if buf.is_empty() {
            return Ok(Some(Bytes::new()));
        }
        if buf.len() < 4 || buf.len() < 4 + be(&buf[..4]) {
            return Ok(None);
        }
        let len = be(&buf.split_to(4));
        Ok(Some(buf.split_to(len).freeze()))
    }
}

#[test]
fn catches_an_empty_read_taken_as_a_frame() {
    let failure = caught(empty_read_as_a_frame);
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::OnePiece, Fault::ExtraMessages { index: 0 })
    );
    assert!(failure.messages.is_empty(), "no message at all: {failure}");
}

/// Bug: slices the 4-byte header before checking that 4 bytes arrived (it panics).
fn slices_a_short_header() -> impl FnMut(&mut BytesMut) -> Frame {
    |buf| {
        if buf.is_empty() {
            return Ok(None);
        }
        let len = be(&buf[..4]);
        if buf.len() < 4 + len {
            return Ok(None);
        }
        buf.advance(4);
        Ok(Some(buf.split_to(len).freeze()))
    }
}

#[test]
fn catches_a_panic_on_a_short_header() {
    let failure = caught(slices_a_short_header);
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::Chunked, Fault::Panicked { index: 0 })
    );
    assert!(
        failure
            .chunked
            .to_string()
            .contains("range end index 4 out of range"),
        "{failure}"
    );
    assert_eq!(failure.messages.len(), 1, "{failure}");
    assert_eq!(failure.cuts(), [1], "{failure}");
}

type Planted = Box<dyn FnMut(&mut BytesMut) -> Frame>;

/// A planted decoder, with the encoder of the framing it means to read.
struct Bug {
    name: &'static str,
    new_decoder: fn() -> Planted,
    encode: fn(&Bytes, &mut BytesMut),
}

const GALLERY: [Bug; 10] = [
    Bug {
        name: "header assumed whole",
        new_decoder: || Box::new(header_assumed_whole()),
        encode,
    },
    Bug {
        name: "body assumed with header",
        new_decoder: || Box::new(body_assumed_with_header()),
        encode,
    },
    Bug {
        name: "drops bytes after a frame",
        new_decoder: || Box::new(drops_bytes_after_a_frame()),
        encode,
    },
    Bug {
        name: "off-by-one adjustment",
        new_decoder: || Box::new(off_by_one_adjustment()),
        encode: encode_counting_itself,
    },
    Bug {
        name: "split header little-endian",
        new_decoder: || Box::new(split_header_read_little_endian()),
        encode,
    },
    Bug {
        name: "loses a zero-length frame",
        new_decoder: || Box::new(loses_a_zero_length_frame()),
        encode,
    },
    Bug {
        name: "resets state at a chunk boundary",
        new_decoder: || Box::new(resets_state_at_a_chunk_boundary()),
        encode,
    },
    Bug {
        name: "forgets to advance",
        new_decoder: || Box::new(forgets_to_advance()),
        encode,
    },
    Bug {
        name: "empty read as a frame",
        new_decoder: || Box::new(empty_read_as_a_frame()),
        encode,
    },
    Bug {
        name: "slices a short header",
        new_decoder: || Box::new(slices_a_short_header()),
        encode,
    },
];

/// Not the luck of one seed: from 32 other seeds too, every planted bug is caught within 64
/// cases, a quarter of the default.
#[test]
fn every_planted_bug_is_caught_within_64_cases_from_other_seeds_too() {
    for bug in GALLERY {
        for seed in 1..=32 {
            let checker = Checker::new(bug.new_decoder, bug.encode, frame())
                .seed(seed)
                .cases(64);
            assert!(
                checker.run().is_err(),
                "{}: missed from seed {seed}",
                bug.name
            );
        }
    }
}

#[test]
fn the_same_failure_is_found_on_every_run() {
    let first = Checker::new(header_assumed_whole, encode, frame()).run();
    let second = Checker::new(header_assumed_whole, encode, frame()).run();
    assert!(first.is_err());
    assert_eq!(first, second);
}

#[test]
fn lenframe_codec_passes() {
    Checker::new(Codec::new, encode, frame()).assert();
}

#[test]
fn lenframe_reports_every_truncation_as_an_error_directly_and_through_tokio_decoder() {
    use lenframe::testkit::TokioDecoder;

    Checker::new(Codec::new, encode, frame())
        .truncation(Truncation::MustError)
        .assert();
    Checker::new(|| TokioDecoder(Codec::new()), encode, frame())
        .truncation(Truncation::MustError)
        .assert();
}

#[test]
fn lenframe_codec_passes_under_other_layouts() {
    let layouts = [
        Codec::builder().length_field_type::<u16>().little_endian(),
        Codec::builder().varint(),
        // A type byte, then a 3-byte length that counts itself.
        Codec::builder()
            .length_field_offset(1)
            .length_field_length(3)
            .length_adjustment(-3),
    ];
    for builder in layouts {
        let codec = builder.build().unwrap();
        let prefix = vec![0xAB; codec.prefix_len()];
        let encoder = codec.clone();
        let encode = move |frame: &Bytes, dst: &mut BytesMut| {
            encoder.encode_parts(&prefix, &[], frame, dst).unwrap();
        };
        Checker::new(move || codec.clone(), encode, frame()).assert();
    }
}

#[test]
fn lenframe_passes_through_tokio_decoder_and_under_framed_read() {
    use lenframe::testkit::{framed, TokioDecoder};

    Checker::new(|| TokioDecoder(Codec::new()), encode, frame()).assert();
    Checker::new(framed(Codec::new), encode, frame()).assert();
}

/// A finding in a published crate: tokio-util 0.7's `LengthDelimitedCodec` consumes a header
/// before its body arrives, and when the stream ends right there its `decode_eof` (the
/// `Decoder` default) sees an empty buffer and reports a clean end. The frame vanishes without
/// an error; lenframe reports `TruncatedFrame` (docs/differences-from-tokio-util.md, 3).
#[test]
fn tokio_util_loses_a_frame_cut_right_after_its_header() {
    use lenframe::testkit::TokioDecoder;
    use tokio_util::codec::LengthDelimitedCodec;

    let theirs = || TokioDecoder(LengthDelimitedCodec::new());
    let encode_mut = |frame: &BytesMut, dst: &mut BytesMut| encode(&frame.clone().freeze(), dst);
    let frame_mut = || frame().prop_map(|f| BytesMut::from(&f[..]));
    let failure = Checker::new(theirs, encode_mut, frame_mut())
        .run()
        .expect_err("tokio-util drops the cut frame");
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::Truncated { at: 4 }, Fault::TruncationLost { index: 0 }),
        "{failure}"
    );
    assert_eq!(failure.messages.len(), 1, "{failure}");
    assert!(!failure.messages[0].is_empty(), "{failure}");
    // Every other property holds.
    Checker::new(theirs, encode_mut, frame_mut())
        .truncation(Truncation::Off)
        .assert();
}
