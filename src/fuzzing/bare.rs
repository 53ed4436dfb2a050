//! Each target's work done bare, with no oracle: the measuring sticks of `fuzz/measure.sh`,
//! which runs a target and its bare twin on the same corpus and reports how much the oracle
//! costs. A few lines each, on purpose.

use bytes::BytesMut;

use crate::io::FrameReader;
use crate::Codec;

/// `decode`'s work: the default codec over the input, one piece.
pub fn decode(data: &[u8]) {
    let mut codec = Codec::new();
    let mut buf = BytesMut::from(data);
    while let Ok(Some(frame)) = codec.decode(&mut buf) {
        std::hint::black_box(frame);
    }
}

/// `decode`'s inputs decoded as the target reads them: the layout, the check byte and the plan
/// parsed, the stream decoded once with that layout, in one piece. Not the bare loop
/// (that is [`decode`]) but one pass of the work every check does at least once, for
/// `fuzz/instructions.sh`.
pub fn decode_stream(data: &[u8]) {
    let mut input = super::Input::new(data);
    let layout = super::LayoutBytes::parse(&mut input);
    let _check = input.byte();
    let (_plan, stream) = crate::testkit::Plan::parse(input.rest);
    let Ok(mut codec) = layout.builder().build() else {
        return;
    };
    let mut buf = BytesMut::from(stream);
    while let Ok(Some(frame)) = codec.decode_eof(&mut buf) {
        std::hint::black_box(frame);
    }
}

/// `roundtrip`'s work: the input sent as frames (a length byte, then that many bytes), decoded.
pub fn roundtrip(data: &[u8]) {
    let codec = Codec::new();
    let mut wire = BytesMut::new();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let (payload, tail) = tail.split_at(usize::from(len).min(tail.len()));
        let _ = codec.encode(payload, &mut wire);
        rest = tail;
    }
    let mut codec = Codec::new();
    while let Ok(Some(frame)) = codec.decode(&mut wire) {
        std::hint::black_box(frame);
    }
}

/// `reader`'s work: `FrameReader` over the input.
pub fn reader(data: &[u8]) {
    let mut reader = FrameReader::new(data);
    while let Ok(Some(frame)) = reader.read_frame() {
        std::hint::black_box(frame);
    }
}

/// `differential`'s work: lenframe and tokio-util over the input, one piece each.
pub fn differential(data: &[u8]) {
    use tokio_util::codec::{Decoder, LengthDelimitedCodec};
    decode(data);
    let mut theirs = LengthDelimitedCodec::new();
    let mut buf = BytesMut::from(data);
    while let Ok(Some(frame)) = theirs.decode(&mut buf) {
        std::hint::black_box(frame);
    }
}
