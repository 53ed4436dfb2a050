//! serde_json: `StreamDeserializer` over the bytes that arrived (a slice parser that skips the
//! whitespace between values, the last newline optional) and over a reader.

use lenframe::testkit::{parser, reader, Checker, Parsed, Truncation};
use proptest::collection::vec;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Event {
    id: u32,
    tags: Vec<String>,
    weight: Option<f64>,
}

fn event() -> impl Strategy<Value = Event> {
    (
        any::<u32>(),
        vec("[a-z\\\\\"é ]{0,6}", 0..3),
        proptest::option::of(-1e6f64..1e6),
    )
        .prop_map(|(id, tags, weight)| Event { id, tags, weight })
}

/// JSON Lines: each value, then a newline.
fn encode_line(event: &Event, dst: &mut bytes::BytesMut) {
    dst.extend_from_slice(&serde_json::to_vec(event).unwrap());
    dst.extend_from_slice(b"\n");
}

#[test]
fn stream_deserializer_over_a_slice() {
    // Glue: a value and its end, "incomplete" (an error at the end of the input), or whitespace
    // consumed without a value.
    let decoder = parser(|| {
        |input: &[u8]| {
            let mut values = serde_json::Deserializer::from_slice(input).into_iter::<Event>();
            match values.next() {
                Some(Ok(event)) => Ok(Parsed::Message(event, values.byte_offset())),
                Some(Err(e)) if e.is_eof() => Ok(Parsed::Incomplete),
                Some(Err(e)) => Err(e),
                None => Ok(Parsed::Skip(values.byte_offset())),
            }
        }
    });
    Checker::new(decoder, encode_line, event())
        .truncation(Truncation::TrailerOptional(b"\n"))
        .assert();
}

#[test]
fn stream_deserializer_over_a_reader() {
    // Glue: the iterator's `next`, turned into "next message".
    let decoder = reader(|stream| {
        let mut values = serde_json::Deserializer::from_reader(stream).into_iter::<Event>();
        move || values.next().transpose()
    });
    Checker::new(decoder, encode_line, event())
        .truncation(Truncation::TrailerOptional(b"\n"))
        .assert();
}
