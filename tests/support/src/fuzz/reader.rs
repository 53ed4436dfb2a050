//! Target `reader`: `FrameReader`, alternating `read_frame` and `read_frame_ref`, through the
//! testkit's checker as a reader-shaped decoder (encoded frames), or against the sans-IO decoder
//! on any stream.

use super::*;
use lenframe::testkit::{reader as reader_shape, Checker, Plan};

use crate::sized_reads;

/// Mode flag: any stream, against the sans-IO decoder (else: encoded frames, through the
/// checker).
pub const ANY_STREAM: u8 = 1;

/// `FrameReader` over `stream`, alternating `read_frame` and `read_frame_ref` call by call: the
/// two paths, and the switch between them, must not show.
fn alternating<R: io::Read>(stream: R, codec: Codec) -> impl FnMut() -> io::Result<Option<Bytes>> {
    let mut reader = FrameReader::with_codec(stream, codec);
    let mut call = 0u64;
    move || {
        call += 1;
        if call.is_multiple_of(2) {
            reader
                .read_frame_ref()
                .map(|frame| frame.map(Bytes::copy_from_slice))
        } else {
            reader.read_frame()
        }
    }
}

/// Target `reader`: `FrameReader` over a reader whose read sizes and `Interrupted` errors come
/// from the input.
///
/// ```text
/// layout (7 bytes, lenframe::fuzzing's format), mode (ANY_STREAM or not), then a testkit
/// input (testkit::case): its plan (chunks as read sizes, interrupts), then
///   encoded frames: the payloads, as `arbitrary` `Vec<u8>`s (up to 64)
///   ANY_STREAM: the stream itself
/// ```
///
/// Oracles, encoded frames: the checker's, with `FrameReader` as a reader-shaped decoder
/// ([`reader`](crate::testkit::reader)): exact frames in one piece and over the plan's reads and
/// interrupts, truncation at the plan's point, no read with a whole frame buffered. Any stream:
/// the same frames and errors as the sans-IO decoder on the whole stream.
pub fn reader(data: &[u8]) {
    let _limit = AllocationLimit::set(lenframe_allocations(data.len(), data.len()));
    let mut input = Input::new(data);
    let layout = LayoutBytes::parse(&mut input);
    let mode = input.byte();
    let Ok(codec) = layout.builder().build() else {
        return;
    };
    if mode & ANY_STREAM == 0 {
        encoded_frames(codec, layout, input.rest);
    } else {
        any_stream(codec, input.rest);
    }
}

fn encoded_frames(codec: Codec, layout: LayoutBytes, rest: &[u8]) {
    let Some((lo, hi)) = crate::strategy::payload_range(&codec, rest.len().max(64)) else {
        return;
    };
    if codec.prefix_len() > 64 || codec.gap_len() > 64 {
        return;
    }
    let (prefix, gap) = (vec![0xA5; codec.prefix_len()], vec![0x5A; codec.gap_len()]);
    // The payload a message stands for: cut to the longest the layout allows, padded to the
    // shortest, so that every one encodes.
    let payload = move |bytes: &Vec<u8>| {
        let mut bytes = bytes[..bytes.len().min(hi)].to_vec();
        bytes.resize(bytes.len().max(lo), 0x33);
        bytes
    };
    let (sending, sent_prefix) = (codec.clone(), prefix.clone());
    let send = move |bytes: &Vec<u8>, dst: &mut BytesMut| {
        sending
            .encode_parts(&sent_prefix, &gap, &payload(bytes), dst)
            .expect("a payload within the layout's range encodes");
    };
    let reading = codec.clone();
    let decoder = reader_shape(move |stream| alternating(stream, reading.clone())).map(Judged::by(
        move |bytes: &Vec<u8>, frame| frame_is(layout, &codec, &prefix, &payload(bytes), frame),
    ));
    Checker::arbitrary(decoder, send).fuzz(rest);
}

fn any_stream(codec: Codec, rest: &[u8]) {
    let (plan, stream) = Plan::parse(rest);
    let expected = run(codec.clone(), stream, &[]);
    let chunks = plan.chunk_lengths(stream.len());
    let chunked = ChunkedReader::new(stream, sized_reads(&chunks, plan.interrupt_every));
    let mut next = alternating(chunked, codec);
    let mut frames = Vec::new();
    let mut errors = Vec::new();
    // Each call returns a frame (consuming input), a recoverable error (consuming input), the
    // end, or a fatal error: bounded by the stream's length.
    for _ in 0..=2 * stream.len() + 2 {
        match next() {
            Ok(Some(frame)) => frames.push(frame),
            Ok(None) => break,
            Err(e) => {
                let typed = typed_decode_error(&e);
                let fatal = typed.as_ref().is_none_or(DecodeError::is_fatal);
                errors.push(typed.unwrap_or_else(|| panic!("a scripted reader's error: {e}")));
                if fatal {
                    break;
                }
            }
        }
    }
    assert_eq!(
        frames.iter().map(|f| &f[..]).collect::<Vec<_>>(),
        frame_bytes(&expected),
        "FrameReader's frames differ from the decoder's"
    );
    assert_eq!(
        errors, expected.errors,
        "FrameReader's errors differ from the decoder's"
    );
}

fn typed_decode_error(e: &io::Error) -> Option<DecodeError> {
    e.get_ref()?.downcast_ref::<DecodeError>().cloned()
}
