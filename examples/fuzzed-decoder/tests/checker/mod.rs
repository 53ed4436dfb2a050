//! The check, written once: `tests/decoder.rs` runs it under proptest and over the committed
//! corpus, `fuzz/fuzz_targets/*.rs` under libFuzzer.

use bytes::BytesMut;
use lenframe::testkit::{Checker, Encoder};
use proptest::collection::vec;
use proptest::prelude::*;
use tlv::Message;

/// A decoder of this crate's shape.
pub type DecodeFn = fn(&mut BytesMut) -> Result<Option<Message>, std::convert::Infallible>;

/// Messages of any kind, with bodies of up to 64 bytes.
pub fn message() -> impl Strategy<Value = Message> {
    (any::<u16>(), vec(any::<u8>(), 0..64)).prop_map(|(kind, body)| Message { kind, body })
}

/// The checker for `decode`: every cut, truncation, liveness.
pub fn checker(decode: DecodeFn) -> Checker<Message> {
    Checker::new(move || decode, Encoder::fallible(tlv::encode), message())
}
