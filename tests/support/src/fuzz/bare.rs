//! Each target's work done bare, with no oracle: the measuring sticks of
//! `benches/scripts/measure.sh`, which runs a target and its bare twin on the same corpus and
//! reports how much the oracle costs. A few lines each, on purpose, and on lenframe's public API
//! alone (`Codec`, `FrameReader`).
//! (`decode`'s passes, which read the input as the target does, are [`super::passes`].)

use bytes::BytesMut;

use lenframe::io::FrameReader;
use lenframe::Codec;

/// `decode`'s work: the default codec over the input, one piece.
pub fn decode(data: &[u8]) {
    let mut codec = Codec::new();
    let mut buf = BytesMut::from(data);
    while let Ok(Some(frame)) = codec.decode(&mut buf) {
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
