//! Every error variant through the public API, with its exact message, its `io::Error` kind, and
//! the guarantee that goes with it (nothing written, nothing consumed).

use std::io;

use bytes::BytesMut;
use lenframe::{Builder, Codec, ConfigError, DecodeError, EncodeError, OversizePolicy};

fn decode_err(builder: Builder, input: &[u8]) -> DecodeError {
    let mut codec = builder.build().unwrap();
    let mut buf = BytesMut::from(input);
    let err = codec.decode(&mut buf).unwrap_err();
    if err.is_fatal() {
        assert_eq!(&buf[..], input, "a fatal error consumes nothing");
        assert_eq!(codec.decode(&mut buf).unwrap_err(), err, "and repeats");
    }
    err
}

#[test]
fn decode_errors_name_the_numbers() {
    let cases: Vec<(DecodeError, &str)> = vec![
        (
            decode_err(Codec::builder().max_frame_length(10), b"\x00\x00\x00\x0B"),
            "frame of 11 bytes announced, over the limit of 10 bytes",
        ),
        (
            decode_err(
                Codec::builder().max_frame_length(10).oversize(OversizePolicy::Skip),
                b"\x00\x00\x00\x0B",
            ),
            "frame of 11 bytes announced, over the limit of 10 bytes: discarding its 15 bytes and continuing",
        ),
        (
            decode_err(Codec::builder().length_adjustment(-4), b"\x00\x00\x00\x03"),
            "length field 3 with length adjustment -4 gives a negative frame length",
        ),
        (
            decode_err(
                Codec::builder().length_field_type::<u64>().length_adjustment(1),
                b"\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF",
            ),
            "length field 18446744073709551615 with length adjustment 1 overflows a 64-bit frame length",
        ),
        (
            decode_err(Codec::builder().length_field_length(2).num_skip(0).length_adjustment(1), b"\x00\x00"),
            "announced frame ends at byte 1, inside its 2-byte header",
        ),
        (
            decode_err(Codec::builder().varint(), &[0xFF; 10]),
            "varint length overflows 64 bits after 10 bytes",
        ),
        (
            decode_err(Codec::builder().varint(), b"\x85\x00"),
            "varint length 5 sent in 2 bytes, longer than its shortest form",
        ),
    ];
    for (err, message) in cases {
        assert_eq!(err.to_string(), message);
        let io_err = io::Error::from(err.clone());
        assert_eq!(io_err.kind(), io::ErrorKind::InvalidData, "{message}");
        assert_eq!(
            io_err.get_ref().unwrap().downcast_ref::<DecodeError>(),
            Some(&err)
        );
    }
}

#[test]
fn the_oversize_error_carries_the_announced_length() {
    assert_eq!(
        decode_err(Codec::builder().max_frame_length(10), b"\x00\x00\x00\x0B"),
        DecodeError::FrameTooLarge {
            announced: 11,
            max: 10
        }
    );
}

#[test]
fn decode_eof_tells_a_clean_end_from_a_truncated_one() {
    let mut codec = Codec::new();
    assert_eq!(codec.decode_eof(&mut BytesMut::new()), Ok(None));

    let err = codec
        .decode_eof(&mut BytesMut::from(&b"\x00\x00"[..]))
        .unwrap_err();
    assert_eq!(
        err,
        DecodeError::TruncatedHeader {
            buffered: 2,
            needed: 4
        }
    );
    assert_eq!(
        err.to_string(),
        "stream ended inside a header: 2 bytes buffered, at least 4 needed"
    );

    let mut codec = Codec::new();
    let err = codec
        .decode_eof(&mut BytesMut::from(&b"\x00\x00\x00\x0Ahello"[..]))
        .unwrap_err();
    assert_eq!(
        err,
        DecodeError::TruncatedFrame {
            buffered: 9,
            expected: 14
        }
    );
    assert_eq!(io::Error::from(err).kind(), io::ErrorKind::UnexpectedEof);

    // A varint header cut short needs at least one more byte.
    let mut codec = Codec::builder().varint().build().unwrap();
    let err = codec
        .decode_eof(&mut BytesMut::from(&b"\x80\x80"[..]))
        .unwrap_err();
    assert_eq!(
        err,
        DecodeError::TruncatedHeader {
            buffered: 2,
            needed: 3
        }
    );

    // The stream ends while an oversize frame is being skipped.
    let mut codec = Codec::builder()
        .max_frame_length(2)
        .oversize(OversizePolicy::Skip)
        .build()
        .unwrap();
    let mut buf = BytesMut::from(&b"\x00\x00\x00\x05ab"[..]);
    assert!(codec.decode(&mut buf).is_err());
    assert_eq!(
        codec.decode_eof(&mut buf),
        Err(DecodeError::TruncatedFrame {
            buffered: 6,
            expected: 9
        })
    );
}

#[test]
fn zero_length_frames_are_frames_and_always_consume_input() {
    let mut codec = Codec::new();
    let mut buf = BytesMut::from(&b"\x00\x00\x00\x00\x00\x00\x00\x00"[..]);
    assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some(&b""[..]));
    assert_eq!(buf.len(), 4);
    assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some(&b""[..]));
    assert!(buf.is_empty());
    assert_eq!(codec.decode(&mut buf), Ok(None));
}

#[test]
fn encode_errors_write_nothing() {
    /// Codec, prefix, payload, the error, its message.
    type Case = (
        Codec,
        &'static [u8],
        &'static [u8],
        EncodeError,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            Codec::builder().max_frame_length(3).build().unwrap(),
            b"",
            b"four",
            EncodeError::FrameTooLarge { len: 4, max: 3 },
            "frame of 4 bytes is over the limit of 3 bytes",
        ),
        (
            Codec::builder().length_field_length(1).length_adjustment(2).build().unwrap(),
            b"",
            b"x",
            EncodeError::LengthNotRepresentable { len: 1, adjustment: 2, field_max: 255 },
            "frame of 1 bytes with length adjustment 2 needs a length value outside 0..=255, the range of the length field",
        ),
        (
            Codec::builder().length_field_offset(2).build().unwrap(),
            b"\x01",
            b"x",
            EncodeError::PartsMismatch { part: "prefix", expected: 2, got: 1 },
            "layout needs a prefix of 2 bytes, 1 supplied",
        ),
    ];
    for (codec, prefix, payload, expected, message) in cases {
        let mut dst = BytesMut::from(&b"before"[..]);
        let err = codec
            .encode_parts(prefix, b"", payload, &mut dst)
            .unwrap_err();
        assert_eq!(err, expected);
        assert_eq!(err.to_string(), message);
        assert_eq!(&dst[..], b"before", "nothing written");
        assert_eq!(io::Error::from(err).kind(), io::ErrorKind::InvalidInput);
    }
    // The gap, too.
    let codec = Codec::builder()
        .length_field_length(1)
        .num_skip(3)
        .build()
        .unwrap();
    assert_eq!(
        codec.encode(b"x", &mut BytesMut::new()),
        Err(EncodeError::PartsMismatch {
            part: "gap",
            expected: 2,
            got: 0
        })
    );
}

#[test]
fn config_errors_name_the_setting() {
    let cases: Vec<(Result<Codec, ConfigError>, ConfigError, &str)> = vec![
        (
            Codec::builder().length_field_length(0).build(),
            ConfigError::FieldLength { len: 0 },
            "length field of 0 bytes; it must be 1 to 8 bytes",
        ),
        (
            Codec::builder().length_field_length(9).build(),
            ConfigError::FieldLength { len: 9 },
            "length field of 9 bytes; it must be 1 to 8 bytes",
        ),
        (
            Codec::builder().length_field_length(2).max_frame_length(70_000).build(),
            ConfigError::MaxNotExpressible { max: 70_000, field_limit: 65_535 },
            "max_frame_length 70000 is more than the 65535 bytes the length field can announce",
        ),
        (
            Codec::builder().length_field_length(4).num_skip(0).max_frame_length(3).build(),
            ConfigError::NoValidFrame { min_frame: 4, max_frame: 3 },
            "no frame fits: frames must be at least 4 bytes to end after the header but at most 3 bytes are allowed",
        ),
        (
            Codec::builder().varint().num_skip(1).build(),
            ConfigError::VarintNumSkip { num_skip: 1 },
            "num_skip 1 set with a varint length field, whose width varies; leave num_skip unset",
        ),
        (
            Codec::builder().length_field_offset(usize::MAX).build(),
            ConfigError::SizeOverflow,
            "length_field_offset, num_skip and max_frame_length add up past usize::MAX",
        ),
        (
            Builder::netty(2, 0, 4, 0, 4).and_then(|b| b.build()),
            ConfigError::StripExceedsMax { strip: 4, max: 2 },
            "initial_bytes_to_strip 4 is more than max_frame_length 2",
        ),
    ];
    for (result, expected, message) in cases {
        let err = result.unwrap_err();
        assert_eq!(err, expected);
        assert_eq!(err.to_string(), message);
        assert_eq!(io::Error::from(err).kind(), io::ErrorKind::InvalidInput);
    }
}

#[test]
fn defaults_match_tokio_util() {
    let codec = Codec::new();
    assert_eq!(codec.max_frame_length(), 8 * 1024 * 1024);
    let mut wire = BytesMut::new();
    codec.encode(b"hi", &mut wire).unwrap();
    assert_eq!(&wire[..], b"\x00\x00\x00\x02hi");
    // A narrow field lowers the default limit to what it can announce, without an error.
    let narrow = Codec::builder().length_field_length(2).build().unwrap();
    assert_eq!(narrow.max_frame_length(), 65_535);
    let narrow = Codec::builder()
        .length_field_length(1)
        .length_adjustment(-1)
        .build()
        .unwrap();
    assert_eq!(narrow.max_frame_length(), 254);
}

#[test]
fn finishing_with_a_whole_frame_not_taken_names_the_mistake() {
    let mut codec = Codec::new();
    let buf = b"\x00\x00\x00\x02hi\x00\x00\x00\x05hello\x00";
    let mut frames = codec.frames(buf);
    assert_eq!(frames.next(), Some(Ok(&b"hi"[..])));
    let err = frames.finish().unwrap_err();
    assert_eq!(
        err,
        DecodeError::FrameNotTaken {
            buffered: 10,
            wire_len: 9
        }
    );
    assert_eq!(
        err.to_string(),
        "finish called with a whole frame not taken: the 10 bytes buffered start with a frame of 9 bytes"
    );
    assert!(err.is_fatal());
    assert_eq!(io::Error::from(err).kind(), io::ErrorKind::InvalidInput);
    // Nothing was consumed by asking: the frame is still there to take.
    let mut frames = codec.frames(&buf[6..]);
    assert_eq!(frames.next(), Some(Ok(&b"hello"[..])));
    assert_eq!(
        frames.finish(),
        Err(DecodeError::TruncatedHeader {
            buffered: 1,
            needed: 4
        })
    );

    // A frame whose header an earlier call read (the codec waits for its body) counts too.
    let mut codec = Codec::new();
    assert_eq!(codec.frames(b"\x00\x00\x00\x02h").next(), None);
    assert_eq!(
        codec.frames(b"\x00\x00\x00\x02hi").finish(),
        Err(DecodeError::FrameNotTaken {
            buffered: 6,
            wire_len: 6
        })
    );
}

#[test]
fn an_idle_codec_may_still_end_inside_a_header() {
    let mut codec = Codec::new();
    let mut buf = BytesMut::from(&b"\x00\x00"[..]);
    assert_eq!(codec.decode(&mut buf), Ok(None));
    assert!(codec.is_idle(), "no header parsed");
    assert_eq!(
        codec.decode_eof(&mut buf),
        Err(DecodeError::TruncatedHeader {
            buffered: 2,
            needed: 4
        })
    );
}
