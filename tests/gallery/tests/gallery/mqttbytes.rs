//! mqttbytes: `v4::read(&mut BytesMut, max)`, an MQTT 3.1.1 packet off the front of a buffer,
//! "incomplete" said with an error.

use bytes::BytesMut;
use lenframe::testkit::{Checker, Decoder};
use mqttbytes::v4::{Disconnect, Packet, PingReq, Publish};
use mqttbytes::QoS;
use proptest::collection::vec;
use proptest::prelude::*;

fn packet() -> impl Strategy<Value = Packet> {
    prop_oneof![
        Just(Packet::PingReq),
        Just(Packet::Disconnect),
        ("[a-z/]{1,12}", vec(any::<u8>(), 0..200)).prop_map(|(topic, payload)| Packet::Publish(
            Publish::new(topic, QoS::AtMostOnce, payload)
        )),
    ]
}

fn encode(packet: &Packet, dst: &mut BytesMut) {
    let written = match packet {
        Packet::PingReq => PingReq.write(dst),
        Packet::Disconnect => Disconnect.write(dst),
        Packet::Publish(publish) => publish.write(dst),
        other => unreachable!("not drawn: {other:?}"),
    };
    written.unwrap();
}

#[test]
fn v4_read() {
    // Glue: `read` returns a packet, not an option (`map(Some)`), and "incomplete" is an error.
    let decoder =
        Decoder::from(|| |buf: &mut BytesMut| mqttbytes::v4::read(buf, 1 << 16).map(Some))
            .incomplete_when(|e: &mqttbytes::Error| {
                matches!(e, mqttbytes::Error::InsufficientBytes(_))
            });
    Checker::new(decoder, encode, packet()).assert();
}
