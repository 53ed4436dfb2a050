//! postcard: `take_from_bytes` (a parser that returns the rest of its input, the rest second)
//! and `CobsAccumulator` (a push parser of COBS frames).

use lenframe::testkit::{push_parser, rest_parser, Checker, Fault, Parsed, Run};
use postcard::accumulator::{CobsAccumulator, FeedResult};
use proptest::collection::vec;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use crate::shown;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Reading {
    sensor: u16,
    values: Vec<i32>,
    label: String,
}

fn reading(values: usize) -> impl Strategy<Value = Reading> {
    (any::<u16>(), vec(any::<i32>(), 0..values), "[a-z]{0,6}").prop_map(
        |(sensor, values, label)| Reading {
            sensor,
            values,
            label,
        },
    )
}

#[test]
fn take_from_bytes() {
    // Glue: the rest comes second (one `map`), and "incomplete" is an error.
    let decoder = rest_parser(|| {
        |input: &[u8]| {
            postcard::take_from_bytes::<Reading>(input).map(|(reading, rest)| (rest, reading))
        }
    })
    .incomplete_when(|e: &postcard::Error| *e == postcard::Error::DeserializeUnexpectedEnd);
    let encode = |reading: &Reading, dst: &mut bytes::BytesMut| {
        dst.extend_from_slice(&postcard::to_stdvec(reading).unwrap());
    };
    Checker::new(decoder, encode, reading(8)).assert();
}

/// A `CobsAccumulator` of `N` bytes as a push parser: each `FeedResult` says what it used.
fn accumulator<const N: usize>() -> lenframe::testkit::Decoder<Reading> {
    // Glue: one line per `FeedResult`.
    push_parser(|| {
        let mut accumulator = CobsAccumulator::<N>::new();
        move |pushed: &[u8]| {
            let used = |rest: &[u8]| pushed.len() - rest.len();
            match accumulator.feed::<Reading>(pushed) {
                FeedResult::Consumed => Parsed::Incomplete,
                FeedResult::Success { data, remaining } => Parsed::Message(data, used(remaining)),
                FeedResult::OverFull(rest) => Parsed::Error("over full", used(rest)),
                FeedResult::DeserError(rest) => Parsed::Error("not a reading", used(rest)),
            }
        }
    })
}

fn encode_cobs(reading: &Reading, dst: &mut bytes::BytesMut) {
    dst.extend_from_slice(&postcard::to_stdvec_cobs(reading).unwrap());
}

#[test]
fn cobs_accumulator_with_room_for_every_message() {
    Checker::new(accumulator::<256>(), encode_cobs, reading(8)).assert();
}

/// Found: `CobsAccumulator::feed` drops a frame over its size as an error and goes on with the
/// next. When the frame arrives in one piece, the next frame comes out whole. When a piece
/// without the frame's end overflows it, the accumulator keeps only what is left of that piece
/// and starts again from there, in the middle of the frame: at the frame's end it decodes that
/// tail as a message (another error, or a reading that was never sent).
#[test]
fn trophy_cobs_accumulator_resync_after_an_oversize_frame_depends_on_the_cut() {
    // 32 bytes of room; readings of up to 16 values, some over it, which must be rejected.
    let oversize = |reading: &Reading| postcard::to_stdvec_cobs(reading).unwrap().len() > 32;
    let failure = Checker::new(accumulator::<32>(), encode_cobs, reading(16))
        .errors_on(oversize)
        .run()
        .map_err(shown)
        .expect_err("the resync depends on the cut");
    assert_eq!(failure.run, Run::Chunked, "{failure}");
    assert!(
        matches!(
            failure.fault,
            Fault::ExtraMessages { .. }
                | Fault::WrongMessage { .. }
                | Fault::MessageWhereErrorExpected { .. }
                | Fault::UnexpectedError { .. }
        ),
        "{failure}"
    );
    // In one piece, every oversize frame is rejected once and the next comes out whole.
    assert!(failure.one_piece.ending == lenframe::testkit::Ending::Clean);
}

/// The same without lenframe: one oversize frame then a small one, fed whole and in two pieces.
#[test]
fn reproduction_cobs_accumulator_resync_after_an_oversize_frame_depends_on_the_cut() {
    let big = Reading {
        sensor: 1,
        values: vec![i32::MIN; 8],
        label: String::new(),
    };
    let small = Reading {
        sensor: 2,
        values: vec![],
        label: "ok".to_owned(),
    };
    let mut stream = postcard::to_stdvec_cobs(&big).unwrap();
    assert!(stream.len() > 32 && stream.len() < 64);
    stream.extend(postcard::to_stdvec_cobs(&small).unwrap());

    let outcomes = |pieces: &[&[u8]]| {
        let mut accumulator = CobsAccumulator::<32>::new();
        let mut seen = Vec::new();
        for piece in pieces {
            let mut window = *piece;
            while !window.is_empty() {
                window = match accumulator.feed::<Reading>(window) {
                    FeedResult::Consumed => break,
                    FeedResult::OverFull(rest) => {
                        seen.push("over full".to_owned());
                        rest
                    }
                    FeedResult::DeserError(rest) => {
                        seen.push("not a reading".to_owned());
                        rest
                    }
                    FeedResult::Success { data, remaining } => {
                        seen.push(format!("{data:?}"));
                        remaining
                    }
                };
            }
        }
        seen
    };
    let whole = outcomes(&[&stream]);
    assert_eq!(whole, ["over full", &format!("{small:?}")]);
    // Cut after 33 bytes, inside the oversize frame: its tail is read as a frame of its own.
    let cut = outcomes(&[&stream[..33], &stream[33..]]);
    assert_ne!(cut, whole, "{cut:?}");
}
