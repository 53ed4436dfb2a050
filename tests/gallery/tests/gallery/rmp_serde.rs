//! rmp-serde: `from_read` over a cursor, MessagePack values read one after another from the
//! cursor's position.

use std::io::Cursor;

use lenframe::testkit::{cursor_parser, Checker};
use proptest::collection::vec;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Order {
    id: u64,
    items: Vec<(String, u16)>,
    note: Option<String>,
}

fn order() -> impl Strategy<Value = Order> {
    (
        any::<u64>(),
        vec(("[a-z]{0,5}", any::<u16>()), 0..3),
        proptest::option::of("[a-z ]{0,40}"),
    )
        .prop_map(|(id, items, note)| Order { id, items, note })
}

fn encode(order: &Order, dst: &mut bytes::BytesMut) {
    dst.extend_from_slice(&rmp_serde::to_vec(order).unwrap());
}

#[test]
fn from_read_over_a_cursor() {
    // Glue: "incomplete" is a read that ended early.
    let decoder =
        cursor_parser(|| |cursor: &mut Cursor<&[u8]>| rmp_serde::from_read::<_, Order>(cursor))
            .incomplete_when(|e: &rmp_serde::decode::Error| match e {
                rmp_serde::decode::Error::InvalidMarkerRead(io)
                | rmp_serde::decode::Error::InvalidDataRead(io) => {
                    io.kind() == std::io::ErrorKind::UnexpectedEof
                }
                _ => false,
            });
    Checker::new(decoder, encode, order()).assert();
}
