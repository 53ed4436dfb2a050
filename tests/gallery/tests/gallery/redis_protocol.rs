//! redis-protocol: `resp2::decode::decode`, a RESP2 frame and the bytes it used.

use bytes::BytesMut;
use lenframe::testkit::{parser, Checker};
use proptest::collection::vec;
use proptest::prelude::*;
use redis_protocol::resp2::types::OwnedFrame;

fn frame() -> impl Strategy<Value = OwnedFrame> {
    let leaf = prop_oneof![
        "[a-zA-Z ]{0,8}".prop_map(|s| OwnedFrame::SimpleString(s.into_bytes())),
        "[a-z ]{0,8}".prop_map(OwnedFrame::Error),
        any::<i64>().prop_map(OwnedFrame::Integer),
        vec(any::<u8>(), 0..20).prop_map(OwnedFrame::BulkString),
        Just(OwnedFrame::Null),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        vec(inner, 0..4).prop_map(OwnedFrame::Array)
    })
}

fn encode(frame: &OwnedFrame, dst: &mut BytesMut) {
    redis_protocol::resp2::encode::extend_encode(dst, &frame.clone().into_bytes_frame(), false)
        .unwrap();
}

#[test]
fn resp2_decode() {
    // Glue: none.
    Checker::new(
        parser(|| redis_protocol::resp2::decode::decode),
        encode,
        frame(),
    )
    .assert();
}
