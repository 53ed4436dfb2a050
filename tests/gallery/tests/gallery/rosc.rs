//! rosc: `decoder::decode_tcp`, OSC packets over a stream, each after a 4-byte length.

use lenframe::testkit::{parser, Checker, Fault, Plan, Run};
use proptest::collection::vec;
use proptest::prelude::*;
use rosc::{OscMessage, OscPacket, OscType};

use crate::shown;

fn packet() -> impl Strategy<Value = OscPacket> {
    (
        "/[a-z]{1,6}",
        vec(
            prop_oneof![
                any::<i32>().prop_map(OscType::Int),
                "[a-z]{0,7}".prop_map(OscType::String),
                any::<bool>().prop_map(OscType::Bool),
            ],
            0..4,
        ),
    )
        .prop_map(|(addr, args)| OscPacket::Message(OscMessage { addr, args }))
}

fn encode(packet: &OscPacket, dst: &mut bytes::BytesMut) {
    dst.extend_from_slice(&rosc::encoder::encode_tcp(packet).unwrap());
}

/// `decode_tcp` as its documentation reads: the first packet and the rest, or `None` with the
/// input as it is while the packet has not arrived. With `skip_empty`, never called with
/// nothing buffered (glue a user would add to get past the first error below).
fn decode_tcp(skip_empty: bool) -> lenframe::testkit::Decoder<OscPacket> {
    // Glue: the packet, and the bytes before the rest.
    parser(move || {
        move |input: &[u8]| {
            if skip_empty && input.is_empty() {
                return Ok(None);
            }
            rosc::decoder::decode_tcp(input)
                .map(|(rest, packet)| packet.map(|p| (p, input.len() - rest.len())))
        }
    })
}

/// Found: `decode_tcp` (rosc 0.11.4) returns `None` for a packet that has not all arrived only
/// between its 4-byte length and its last 4 bytes. With fewer than 4 bytes (none at all, or a
/// length cut in two) it returns an error; and since it compares the packet's length with the
/// whole input, its length included, a packet missing its last 1 to 4 bytes is decoded anyway
/// and fails (`ReadError(Eof)`, or `BadPacket("Incomplete data")`). A stream cut at either
/// place is a dead connection.
#[test]
fn trophy_decode_tcp_fails_on_a_packet_that_has_not_all_arrived() {
    // The smallest case: no packet at all (a clean end is an error).
    let failure = Checker::new(decode_tcp(false), encode, packet())
        .run()
        .map_err(shown)
        .expect_err("an error where nothing has arrived");
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::OnePiece, Fault::Error { index: 0 }),
        "{failure}"
    );
    assert!(failure.messages.is_empty(), "{failure}");
    // Past it, the cuts: inside the length, or before a packet's last bytes.
    let failure = Checker::new(decode_tcp(true), encode, packet())
        .truncation(lenframe::testkit::Truncation::Off)
        .run()
        .map_err(shown)
        .expect_err("an error where a packet has not all arrived");
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::Chunked, Fault::Error { index: 0 }),
        "{failure}"
    );
    // A packet cut one byte before its end.
    let one = OscPacket::Message(OscMessage {
        addr: "/a".to_owned(),
        args: vec![OscType::Int(7)],
    });
    let len = rosc::encoder::encode_tcp(&one).unwrap().len();
    let failure = Checker::new(decode_tcp(true), encode, packet())
        .truncation(lenframe::testkit::Truncation::Off)
        .check(&[one.clone(), one], &Plan::at(&[len - 1]))
        .expect_err("an error where the packet misses its last byte");
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::Chunked, Fault::Error { index: 0 }),
        "{failure}"
    );
    assert!(failure.to_string().contains("ReadError(Eof)"), "{failure}");
}

/// The same without lenframe: no bytes, part of the length, a packet without its last byte.
#[test]
fn reproduction_decode_tcp_fails_on_a_packet_that_has_not_all_arrived() {
    let packet = OscPacket::Message(OscMessage {
        addr: "/a".to_owned(),
        args: vec![OscType::Int(7)],
    });
    let wire = rosc::encoder::encode_tcp(&packet).unwrap();
    // Nothing yet, or half of the length: an error.
    assert!(rosc::decoder::decode_tcp(&[]).is_err());
    assert!(rosc::decoder::decode_tcp(&wire[..2]).is_err());
    // The length and the packet's first byte: `None`, as documented.
    assert!(matches!(
        rosc::decoder::decode_tcp(&wire[..5]),
        Ok((_, None))
    ));
    // All but the last byte: an error.
    assert!(rosc::decoder::decode_tcp(&wire[..wire.len() - 1]).is_err());
    // Whole: the packet.
    assert_eq!(rosc::decoder::decode_tcp(&wire).unwrap().1, Some(packet));
}
