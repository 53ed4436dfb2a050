//! lenframe's default framing (a 4-byte big-endian length, then the body) as the encoder planted
//! decoders read, and small frames to feed it.

use bytes::{Bytes, BytesMut};
use lenframe::Codec;
use proptest::collection::vec;
use proptest::prelude::*;

/// A big-endian length field's value.
pub fn be(header: &[u8]) -> usize {
    header
        .iter()
        .fold(0, |len, &byte| (len << 8) | usize::from(byte))
}

/// lenframe's default layout: a 4-byte big-endian length, then the body.
pub fn encode(frame: &Bytes, dst: &mut BytesMut) {
    lenframe::Codec::new()
        .encode(frame, dst)
        .expect("frames under 8 MiB encode");
}

/// Frames of up to 31 bytes.
pub fn frame() -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..32).prop_map(Bytes::from)
}

/// Encodes `frames` with the default layout, as the wire must carry them.
pub fn encoded(frames: &[impl AsRef<[u8]>]) -> Vec<u8> {
    let mut wire = BytesMut::new();
    for frame in frames {
        Codec::new().encode(frame.as_ref(), &mut wire).unwrap();
    }
    wire.to_vec()
}
