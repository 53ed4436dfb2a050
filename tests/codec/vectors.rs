//! Exact-byte vectors: the decoding diagrams of tokio-util's `length_delimited` documentation,
//! the examples of Netty's `LengthFieldBasedFrameDecoder` javadoc, and the tutorial's Python
//! `struct` headers. Each input decodes to exactly the output, fed whole and byte by byte, and
//! the encoder rebuilds the input from the output.

use bytes::BytesMut;
use lenframe::{Builder, Codec, DecodeError};

struct Vector {
    name: &'static str,
    builder: Builder,
    input: &'static [u8],
    decoded: &'static [u8],
    /// Bytes of `input` before the length field, and between it and `num_skip`: what the
    /// encoder takes from the caller.
    prefix: &'static [u8],
    gap: &'static [u8],
    /// Bytes at the start of `decoded` that belong to the header (kept by a short `num_skip`).
    header_tail: usize,
}

fn check(v: &Vector) {
    let codec = v
        .builder
        .build()
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    // Whole.
    let mut c = codec.clone();
    let mut wire = BytesMut::from(v.input);
    assert_eq!(
        c.decode(&mut wire).unwrap().as_deref(),
        Some(v.decoded),
        "{}",
        v.name
    );
    assert!(wire.is_empty(), "{}: {} bytes left", v.name, wire.len());
    // Byte by byte.
    let mut c = codec.clone();
    let mut wire = BytesMut::new();
    let mut frames = Vec::new();
    for &byte in v.input {
        wire.extend_from_slice(&[byte]);
        if let Some(frame) = c.decode(&mut wire).unwrap() {
            frames.push(frame);
        }
    }
    assert_eq!(frames, [v.decoded], "{}: byte by byte", v.name);
    // Re-encoded from the decoded frame.
    let mut out = BytesMut::new();
    codec
        .encode_parts(v.prefix, v.gap, &v.decoded[v.header_tail..], &mut out)
        .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    assert_eq!(&out[..], v.input, "{}: encoder", v.name);
}

fn plain(
    name: &'static str,
    builder: Builder,
    input: &'static [u8],
    decoded: &'static [u8],
) -> Vector {
    Vector {
        name,
        builder,
        input,
        decoded,
        prefix: b"",
        gap: b"",
        header_tail: 0,
    }
}

#[test]
fn tokio_util_documentation_diagrams() {
    let vectors = [
        plain(
            "u32 length, header stripped (the default)",
            Codec::builder()
                .length_field_offset(0)
                .length_field_type::<u32>()
                .length_adjustment(0)
                .num_skip(4),
            b"\x00\x00\x00\x0BHello world",
            b"Hello world",
        ),
        Vector {
            name: "u16 length, header kept (num_skip 0, adjustment counts the header)",
            builder: Codec::builder()
                .length_field_type::<u16>()
                .length_adjustment(2)
                .num_skip(0),
            input: b"\x00\x0BHello world",
            decoded: b"\x00\x0BHello world",
            prefix: b"",
            gap: b"",
            header_tail: 2,
        },
        plain(
            "u16 length that counts the header, header stripped",
            Codec::builder()
                .length_field_type::<u16>()
                .length_adjustment(-2),
            b"\x00\x0DHello world",
            b"Hello world",
        ),
        Vector {
            name: "3-byte length at offset 0 in a 5-byte head, head kept",
            builder: Codec::builder()
                .length_field_length(3)
                .length_adjustment(3 + 2)
                .num_skip(0),
            input: b"\x00\x00\x0B\xCA\xFEHello world",
            decoded: b"\x00\x00\x0B\xCA\xFEHello world",
            prefix: b"",
            gap: b"",
            header_tail: 3,
        },
        Vector {
            name: "u16 at offset 1 in a 4-byte head, first field and length stripped",
            builder: Codec::builder()
                .length_field_offset(1)
                .length_field_type::<u16>()
                .length_adjustment(1)
                .num_skip(3),
            input: b"\xCA\x00\x0B\xFEHello world",
            decoded: b"\xFEHello world",
            prefix: b"\xCA",
            gap: b"",
            header_tail: 0,
        },
        Vector {
            name: "u16 at offset 1 counting the whole frame, first field and length stripped",
            builder: Codec::builder()
                .length_field_offset(1)
                .length_field_type::<u16>()
                .length_adjustment(-3)
                .num_skip(3),
            input: b"\xCA\x00\x0F\xFEHello world",
            decoded: b"\xFEHello world",
            prefix: b"\xCA",
            gap: b"",
            header_tail: 0,
        },
        Vector {
            name: "3-byte length in a 4-byte head, the 4th byte skipped",
            builder: Codec::builder()
                .length_field_length(3)
                .length_adjustment(0)
                .num_skip(4),
            input: b"\x00\x00\x0B\xFFHello world",
            decoded: b"Hello world",
            prefix: b"",
            gap: b"\xFF",
            header_tail: 0,
        },
    ];
    for v in &vectors {
        check(v);
    }
}

/// Netty's javadoc examples, through `Builder::netty` with Netty's arguments verbatim.
#[test]
fn netty_javadoc_examples() {
    let netty = |offset, len, adj, strip| Builder::netty(1024, offset, len, adj, strip).unwrap();
    let vectors = [
        Vector {
            name: "2 bytes length field at offset 0, do not strip header",
            builder: netty(0, 2, 0, 0),
            input: b"\x00\x0CHELLO, WORLD",
            decoded: b"\x00\x0CHELLO, WORLD",
            prefix: b"",
            gap: b"",
            header_tail: 2,
        },
        plain("2 bytes length field at offset 0, strip header", netty(0, 2, 0, 2), b"\x00\x0CHELLO, WORLD", b"HELLO, WORLD"),
        Vector {
            name: "2 bytes length field at offset 0, do not strip header, the length field represents the length of the whole message",
            builder: netty(0, 2, -2, 0),
            input: b"\x00\x0EHELLO, WORLD",
            decoded: b"\x00\x0EHELLO, WORLD",
            prefix: b"",
            gap: b"",
            header_tail: 2,
        },
        Vector {
            name: "3 bytes length field at the end of 5 bytes header, do not strip header",
            builder: netty(2, 3, 0, 0),
            input: b"\xCA\xFE\x00\x00\x0CHELLO, WORLD",
            decoded: b"\xCA\xFE\x00\x00\x0CHELLO, WORLD",
            prefix: b"\xCA\xFE",
            gap: b"",
            header_tail: 5,
        },
        Vector {
            name: "3 bytes length field at the beginning of 5 bytes header, do not strip header",
            builder: netty(0, 3, 2, 0),
            input: b"\x00\x00\x0C\xCA\xFEHELLO, WORLD",
            decoded: b"\x00\x00\x0C\xCA\xFEHELLO, WORLD",
            prefix: b"",
            gap: b"",
            header_tail: 3,
        },
        Vector {
            name: "2 bytes length field at offset 1 in the middle of 4 bytes header, strip the first header field and the length field",
            builder: netty(1, 2, 1, 3),
            input: b"\xCA\x00\x0C\xFEHELLO, WORLD",
            decoded: b"\xFEHELLO, WORLD",
            prefix: b"\xCA",
            gap: b"",
            header_tail: 0,
        },
        Vector {
            name: "2 bytes length field at offset 1 in the middle of 4 bytes header, strip the first header field and the length field, the length field represents the length of the whole message",
            builder: netty(1, 2, -3, 3),
            input: b"\xCA\x00\x10\xFEHELLO, WORLD",
            decoded: b"\xFEHELLO, WORLD",
            prefix: b"\xCA",
            gap: b"",
            header_tail: 0,
        },
    ];
    for v in &vectors {
        check(v);
    }
}

#[test]
fn netty_arguments_map_to_the_tokio_vocabulary() {
    // Netty example 7 written with tokio-util's options gives the same codec behaviour.
    let mut netty = Builder::netty(1024, 1, 2, -3, 3).unwrap().build().unwrap();
    let mut tokio_style = Codec::builder()
        .length_field_offset(1)
        .length_field_type::<u16>()
        .length_adjustment(-3)
        .num_skip(3)
        .build()
        .unwrap();
    let input = b"\xCA\x00\x10\xFEHELLO, WORLD";
    let a = netty.decode(&mut BytesMut::from(&input[..])).unwrap();
    let b = tokio_style.decode(&mut BytesMut::from(&input[..])).unwrap();
    assert_eq!(a, b);
    // Netty's maxFrameLength counts the stripped bytes; lenframe's limit does not.
    assert_eq!(netty.max_frame_length(), 1024 - 3);
}

#[test]
fn python_struct_headers() {
    let native: &'static [u8] = if cfg!(target_endian = "little") {
        b"\x05\x00\x00\x00hello"
    } else {
        b"\x00\x00\x00\x05hello"
    };
    let vectors = [
        plain(
            "struct.pack('i', n)",
            Codec::builder().native_endian(),
            native,
            b"hello",
        ),
        plain(
            "struct.pack('<i', n)",
            Codec::builder().little_endian(),
            b"\x05\x00\x00\x00hello",
            b"hello",
        ),
        plain(
            "struct.pack('!I', n)",
            Codec::builder(),
            b"\x00\x00\x00\x05hello",
            b"hello",
        ),
        plain(
            "struct.pack('!H', n)",
            Codec::builder().length_field_type::<u16>(),
            b"\x00\x05hello",
            b"hello",
        ),
        plain(
            "struct.pack('>Q', n)",
            Codec::builder().length_field_type::<u64>(),
            b"\x00\x00\x00\x00\x00\x00\x00\x05hello",
            b"hello",
        ),
    ];
    for v in &vectors {
        check(v);
    }
}

#[test]
fn protobuf_varint_lengths() {
    let mut codec = Codec::builder().varint().build().unwrap();
    for (len, header) in [
        (0usize, &b"\x00"[..]),
        (1, b"\x01"),
        (127, b"\x7F"),
        (128, b"\x80\x01"),
        (300, b"\xAC\x02"),
        (16_384, b"\x80\x80\x01"),
    ] {
        let body = vec![0x5A; len];
        let mut wire = BytesMut::new();
        codec.encode(&body, &mut wire).unwrap();
        assert_eq!(&wire[..header.len()], header, "length {len}");
        assert_eq!(codec.decode(&mut wire).unwrap().as_deref(), Some(&body[..]));
        assert!(wire.is_empty());
    }
}

#[test]
fn a_varint_past_64_bits_overflows_at_its_tenth_byte() {
    let mut codec = Codec::builder()
        .varint()
        .max_frame_length(1000)
        .build()
        .unwrap();
    // Nine continuation bytes, then a tenth carrying bit 64 and up: no u64 holds it.
    let mut too_wide = [0x80u8; 10];
    too_wide[9] = 0x02;
    assert_eq!(
        codec.decode(&mut BytesMut::from(&too_wide[..])),
        Err(DecodeError::VarintOverflow { bytes: 10 })
    );
    // A tenth byte of 1 is bit 63: a length, if an absurd one.
    let mut widest = [0x80u8; 10];
    widest[9] = 0x01;
    assert_eq!(
        codec.decode(&mut BytesMut::from(&widest[..])),
        Err(DecodeError::FrameTooLarge {
            announced: 1 << 63,
            max: 1000
        })
    );
}
