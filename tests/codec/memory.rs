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

/// While a frame is incomplete, the buffer has room for a 4 KiB read at least, so a frame
/// arriving in small reads does not regrow the buffer at each of them.
#[test]
fn a_waiting_frame_gets_room_for_a_4_kib_read() {
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&(1u32 << 20).to_be_bytes());
    assert_eq!(Codec::new().decode(&mut buf), Ok(None));
    assert!(
        buf.capacity() >= 4 + 4096,
        "capacity {} after a 1 MiB header",
        buf.capacity()
    );
}

/// `encode` reserves the whole frame before writing it (payload, parts, and room for the widest
/// header): into an empty buffer, one allocation of the frame plus a few bytes, never a regrowth
/// mid-frame (which would leave about twice the frame).
#[test]
fn encoding_into_an_empty_buffer_reserves_the_frame_once() {
    let plain = Codec::new();
    let prefixed = Codec::builder().length_field_offset(2).build().unwrap();
    let gapped = Codec::builder().num_skip(7).build().unwrap();
    let payload = vec![7u8; 1000];
    for (codec, prefix, gap) in [
        (&plain, &b""[..], &b""[..]),
        (&prefixed, b"\xCA\xFE", b""),
        (&gapped, b"", b"gap"),
    ] {
        let mut dst = BytesMut::new();
        codec.encode_parts(prefix, gap, &payload, &mut dst).unwrap();
        let wire = prefix.len() + 4 + gap.len() + payload.len();
        assert_eq!(dst.len(), wire);
        assert!(
            dst.capacity() < wire + 64,
            "capacity {} for a {wire}-byte frame",
            dst.capacity()
        );
    }
}
