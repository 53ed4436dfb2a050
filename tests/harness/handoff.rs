//! A handoff between decoders: lines until "upgrade", then length-prefixed frames, in one
//! stream cut anywhere (rust-libp2p #31, tentacle #425, tokio-io #45: bytes the first decoder
//! read ahead are lost at the switch). The planted handoff rebuilds `FramedRead` over
//! `into_inner()`, dropping its read buffer, and is caught at default settings from the default
//! seed and from 32 others; its twin keeps the buffer (`map_decoder`) and passes. Moving the
//! buffer by hand into a new `FramedRead` loses nothing but stalls, and is caught too.

use bytes::{Bytes, BytesMut};
use lenframe::testkit::{handoff, Checker, Decoder, Fault, Run, Socket, Truncation};
use lenframe::Codec;
use proptest::prelude::*;
use tokio_util::codec::{self, FramedRead, LinesCodec, LinesCodecError};

#[derive(Clone, Debug, PartialEq)]
enum Msg {
    Line(String),
    Frame(Bytes),
}

/// Either codec of the protocol, one item type: lines before the switch, frames after.
enum Phase {
    Lines(LinesCodec),
    Frames(Codec),
}

#[derive(Debug)]
#[allow(dead_code)] // shown in reports
enum PhaseError {
    Lines(LinesCodecError),
    Frames(std::io::Error),
}

impl From<std::io::Error> for PhaseError {
    fn from(e: std::io::Error) -> PhaseError {
        PhaseError::Lines(LinesCodecError::Io(e))
    }
}

impl codec::Decoder for Phase {
    type Item = Msg;
    type Error = PhaseError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Msg>, PhaseError> {
        match self {
            Phase::Lines(c) => c
                .decode(buf)
                .map(|l| l.map(Msg::Line))
                .map_err(PhaseError::Lines),
            Phase::Frames(c) => codec::Decoder::decode(c, buf)
                .map(|f| f.map(Msg::Frame))
                .map_err(PhaseError::Frames),
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Msg>, PhaseError> {
        match self {
            Phase::Lines(c) => c
                .decode_eof(buf)
                .map(|l| l.map(Msg::Line))
                .map_err(PhaseError::Lines),
            Phase::Frames(c) => codec::Decoder::decode_eof(c, buf)
                .map(|f| f.map(Msg::Frame))
                .map_err(PhaseError::Frames),
        }
    }
}

fn upgrade(m: &Msg) -> bool {
    *m == Msg::Line("upgrade".to_owned())
}

fn encode(m: &Msg, dst: &mut BytesMut) {
    match m {
        Msg::Line(l) => {
            dst.extend_from_slice(l.as_bytes());
            dst.extend_from_slice(b"\n");
        }
        Msg::Frame(f) => Codec::new().encode(f, dst).expect("small frames encode"),
    }
}

/// A few lines, "upgrade", a few frames.
fn conversation() -> impl Strategy<Value = Vec<Msg>> {
    let lines = proptest::collection::vec("[a-t]{1,6}".prop_map(Msg::Line), 0..3);
    let frames = proptest::collection::vec(
        proptest::collection::vec(any::<u8>(), 0..12).prop_map(|f| Msg::Frame(Bytes::from(f))),
        1..4,
    );
    (lines, frames).prop_map(|(lines, frames)| {
        let upgrade = Msg::Line("upgrade".to_owned());
        lines.into_iter().chain([upgrade]).chain(frames).collect()
    })
}

type First = FramedRead<Socket, Phase>;

fn checker(then: fn(First) -> First) -> Checker<Msg> {
    let decoder: Decoder<Msg> = handoff(
        |socket| FramedRead::new(socket, Phase::Lines(LinesCodec::new())),
        upgrade,
        then,
    );
    // A stream cut inside a line ends with that line (LinesCodec's way).
    Checker::with_lists(decoder, encode, conversation()).truncation(Truncation::AllowRest)
}

/// Planted: a new `FramedRead` over the socket; the bytes the first read ahead are gone.
fn drops_read_ahead(first: First) -> First {
    FramedRead::new(first.into_inner(), Phase::Frames(Codec::new()))
}

/// The twin: tokio-util's `map_decoder` keeps the read buffer.
fn maps_decoder(first: First) -> First {
    first.map_decoder(|_| Phase::Frames(Codec::new()))
}

/// The read buffer moved by hand into a new `FramedRead`: no byte is lost, but a new
/// `FramedRead` reads before it decodes what its buffer holds, so with the rest of the stream
/// already buffered it waits for bytes a peer waiting for its answer never sends.
fn moves_buffer(mut first: First) -> First {
    let read_ahead = std::mem::take(first.read_buffer_mut());
    let mut second = FramedRead::new(first.into_inner(), Phase::Frames(Codec::new()));
    *second.read_buffer_mut() = read_ahead;
    second
}

#[test]
fn a_handoff_that_drops_the_read_ahead_is_caught() {
    let failure = checker(drops_read_ahead).run().expect_err("caught");
    eprintln!("{failure}");
    assert!(
        matches!(failure.run, Run::OnePiece | Run::Chunked),
        "{failure}"
    );
    assert!(
        matches!(
            failure.fault,
            Fault::MissingMessages { .. } | Fault::WrongMessage { .. } | Fault::Error { .. }
        ),
        "{failure}"
    );
    assert!(failure.cuts().len() <= 2, "{failure}");
}

#[test]
fn the_dropped_read_ahead_is_caught_from_32_other_seeds() {
    for seed in 1..=32 {
        assert!(
            checker(drops_read_ahead).seed(seed).run().is_err(),
            "seed {seed}"
        );
    }
}

#[test]
fn a_handoff_that_keeps_the_read_ahead_passes() {
    checker(maps_decoder).assert();
}

/// A finding about tokio-util's `FramedRead` (0.7.20), shown by the handoff check: a buffer put
/// into a new `FramedRead` with `read_buffer_mut` is not decoded until the reader has read
/// again. (`Framed::from_parts` marks a non-empty buffer readable; `FramedRead` has no such
/// constructor.)
#[test]
fn a_read_buffer_moved_into_a_new_framed_read_stalls() {
    let failure = checker(moves_buffer).run().expect_err("caught");
    eprintln!("{failure}");
    assert!(matches!(failure.fault, Fault::Stalled { .. }), "{failure}");
}
