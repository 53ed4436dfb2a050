//! Memory follows what arrived, and frames are views of the read buffer. Compared with
//! tokio-util's `LengthDelimitedCodec` on the same input (a documented difference, not a timing).

use bytes::BytesMut;
use lenframe::{Codec, MAX_READ_AHEAD};
use tokio_util::codec::{Decoder, LengthDelimitedCodec};

fn stalled_8_mib_header() -> BytesMut {
    let mut buf = BytesMut::with_capacity(64);
    buf.extend_from_slice(&(8u32 * 1024 * 1024 - 1).to_be_bytes());
    buf.extend_from_slice(b"first bytes");
    buf
}

#[test]
fn a_header_announcing_8_mib_reserves_kilobytes() {
    let mut ours = stalled_8_mib_header();
    assert_eq!(Codec::new().decode(&mut ours), Ok(None));
    assert!(
        ours.capacity() <= 8 * 1024,
        "lenframe reserved {}",
        ours.capacity()
    );

    let mut theirs = stalled_8_mib_header();
    assert!(LengthDelimitedCodec::new()
        .decode(&mut theirs)
        .unwrap()
        .is_none());
    assert!(
        theirs.capacity() >= 8 * 1024 * 1024 - 1,
        "tokio-util reserved {}",
        theirs.capacity()
    );
}

#[test]
fn capacity_grows_with_the_bytes_that_arrived() {
    let frame = vec![0xC3u8; 8 * 1024 * 1024 - 1];
    let mut wire = BytesMut::new();
    Codec::new().encode(&frame, &mut wire).unwrap();
    let mut codec = Codec::new();
    let mut buf = BytesMut::new();
    let mut got = None;
    for chunk in wire.chunks(4096) {
        buf.extend_from_slice(chunk);
        let buffered = buf.len();
        if let Some(f) = codec.decode(&mut buf).unwrap() {
            got = Some(f);
            break;
        }
        assert!(
            buf.capacity() <= 2 * (buffered + MAX_READ_AHEAD),
            "capacity {} with {buffered} bytes buffered",
            buf.capacity()
        );
    }
    assert_eq!(got.as_deref(), Some(&frame[..]));
}

#[test]
fn decoded_frames_are_views_of_the_read_buffer() {
    let mut buf = BytesMut::new();
    let codec = Codec::new();
    codec.encode(b"hello", &mut buf).unwrap();
    codec.encode(b"jason", &mut buf).unwrap();
    let start = buf.as_ptr() as usize;
    let end = start + buf.len();
    let mut codec = Codec::new();
    for _ in 0..2 {
        let frame = codec.decode(&mut buf).unwrap().unwrap();
        let at = frame.as_ptr() as usize;
        assert!(
            at >= start && at + frame.len() <= end,
            "the frame was copied"
        );
    }
}

#[test]
fn tokio_util_spins_where_lenframe_reports_a_frame_inside_its_header() {
    // `.length_field_length(2).num_skip(0)` and the two bytes `00 00`.
    let mut theirs = LengthDelimitedCodec::builder()
        .length_field_length(2)
        .num_skip(0)
        .new_codec();
    let mut buf = BytesMut::from(&b"\x00\x00"[..]);
    for _ in 0..3 {
        let frame = theirs.decode(&mut buf).unwrap();
        assert_eq!(frame.as_deref(), Some(&b""[..]), "an empty frame");
        assert_eq!(
            buf.len(),
            2,
            "and nothing consumed: a Framed stream would spin"
        );
    }
    let mut ours = Codec::builder()
        .length_field_length(2)
        .num_skip(0)
        .build()
        .unwrap();
    let mut buf = BytesMut::from(&b"\x00\x00"[..]);
    assert_eq!(
        ours.decode(&mut buf).unwrap_err().to_string(),
        "announced frame ends at byte 0, inside its 2-byte header"
    );
}
