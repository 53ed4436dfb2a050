//! The small parts of the public API, pinned: builder calls chain and keep each other's
//! settings, the codec reports the layout it was built with, and the header and iterator types
//! show their bytes.

use bytes::BytesMut;
use lenframe::{Codec, OversizePolicy};

#[test]
fn byte_order_calls_chain_and_the_last_one_wins() {
    let encoded = |codec: Codec| {
        let mut wire = BytesMut::new();
        codec.encode(b"hi", &mut wire).unwrap();
        wire.to_vec()
    };
    let builder = Codec::builder()
        .length_field_length(2)
        .max_frame_length(300);
    let big = builder
        .clone()
        .little_endian()
        .big_endian()
        .build()
        .unwrap();
    assert_eq!(big.max_frame_length(), 300, "big_endian kept the limit");
    assert_eq!(encoded(big), b"\x00\x02hi", "big_endian kept the width");
    let little = builder.big_endian().little_endian().build().unwrap();
    assert_eq!(little.max_frame_length(), 300);
    assert_eq!(encoded(little), b"\x02\x00hi");
}

#[test]
fn the_codec_reports_its_layout() {
    let codec = Codec::builder()
        .length_field_offset(2)
        .length_field_length(3)
        .num_skip(7)
        .max_frame_length(1000)
        .oversize(OversizePolicy::Skip)
        .build()
        .unwrap();
    assert_eq!(codec.prefix_len(), 2);
    assert_eq!(codec.gap_len(), 2, "num_skip 7 past a 5-byte header");
    assert_eq!(codec.max_frame_length(), 1000);
    assert_eq!(codec.max_wire_length(), 1007);
    assert_eq!(codec.oversize_policy(), OversizePolicy::Skip);
    assert_eq!(Codec::new().oversize_policy(), OversizePolicy::Error);
    assert!(codec.is_idle());
}

#[test]
fn a_header_shows_its_bytes_every_way() {
    let header = Codec::builder()
        .length_field_length(2)
        .build()
        .unwrap()
        .encode_header(1000)
        .unwrap();
    assert_eq!(header.as_bytes(), [0x03, 0xE8]);
    assert_eq!(header.as_ref(), [0x03, 0xE8]);
    assert_eq!(header.len(), 2);
    assert_eq!(format!("{header:?}"), "Header([3, 232])");

    let varint = Codec::builder().varint().build().unwrap();
    let header = varint.encode_header(300).unwrap();
    assert_eq!((header.as_bytes(), header.len()), (&[0xAC, 0x02][..], 2));
}

#[test]
fn frames_debug_shows_its_progress() {
    let mut codec = Codec::new();
    let buf = b"\x00\x00\x00\x02hi\x00\x00";
    let mut frames = codec.frames(buf);
    assert_eq!(frames.next(), Some(Ok(&b"hi"[..])));
    let shown = format!("{frames:?}");
    assert!(shown.starts_with("Frames { codec: Codec {"), "{shown}");
    assert!(
        shown.ends_with("consumed: 6, remaining: 2, done: false }"),
        "{shown}"
    );
}
