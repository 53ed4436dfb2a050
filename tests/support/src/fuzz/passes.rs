//! The `decode` target's decoding passes with no check ([`decode`], fuzz binary
//! `bare_decode_passes`): the floor under the target, which `benches/scripts/measure.sh` and
//! `benches/scripts/instructions.sh` run beside it, so that the target's cost over its bare twin
//! ([`super::bare::decode`]) splits into the passes' and the checks'.

use bytes::{Bytes, BytesMut};

use lenframe::Codec;

use crate::feeder::{chunk_ends, feed, Step};

/// `decode`'s decoding passes with no check: the input read as the target reads it (layout,
/// check byte, plan), then the passes the chosen check makes, unchecked. [`CUTS`]: the stream in
/// one piece and in the plan's chunks; [`BORROWED`]: in one piece, then [`Codec::frames`] on
/// the chunks; [`REENCODE`]: in one piece, every frame re-encoded; [`REFERENCE`]: in the plan's
/// chunks. Not the bare loop ([`super::bare::decode`]) but the floor under the target: what it
/// costs is the cost of the passes, and the target's cost above it is the checks'.
///
/// [`CUTS`]: super::CUTS
/// [`BORROWED`]: super::BORROWED
/// [`REENCODE`]: super::REENCODE
/// [`REFERENCE`]: super::REFERENCE
pub fn decode(data: &[u8]) {
    let Some((codec, check, chunks, stream)) = decode_input(data) else {
        return;
    };
    if check == super::REFERENCE {
        decode_in_chunks(&mut codec.clone(), stream, &chunks, |frame| {
            std::hint::black_box(frame);
        });
        return;
    }
    let mut one_piece = codec.clone();
    let mut out = BytesMut::new();
    decode_in_chunks(&mut one_piece, stream, &[], |frame| {
        if check == super::REENCODE {
            out.clear();
            let _ = codec.encode(&frame[..], &mut out);
        }
        std::hint::black_box(frame);
    });
    if check == super::CUTS {
        decode_in_chunks(&mut codec.clone(), stream, &chunks, |frame| {
            std::hint::black_box(frame);
        });
    } else if check == super::BORROWED {
        std::hint::black_box(frames_in_chunks(&mut codec.clone(), stream, &chunks));
    }
}

/// A `decode` input read as the target reads it: the codec of its layout (`None` when the
/// layout builds none), the check, the plan's chunk lengths and the stream.
fn decode_input(data: &[u8]) -> Option<(Codec, u8, Vec<usize>, &[u8])> {
    let mut input = super::Input::new(data);
    let layout = super::LayoutBytes::parse(&mut input);
    let check = input.byte() % 4;
    let (plan, stream) = lenframe::testkit::Plan::parse(input.rest);
    let codec = layout.builder().build().ok()?;
    Some((codec, check, plan.chunk_lengths(stream.len()), stream))
}

/// `codec.decode` after each chunk until it waits, `decode_eof` at the end; stops at a fatal
/// error. Returns the bytes left over.
fn decode_in_chunks(
    codec: &mut Codec,
    stream: &[u8],
    sizes: &[usize],
    mut each: impl FnMut(Bytes),
) -> usize {
    feed(stream, sizes, |buf, at_eof, _| {
        let result = if at_eof {
            codec.decode_eof(buf)
        } else {
            codec.decode(buf)
        };
        match result {
            Ok(Some(frame)) => {
                each(frame);
                Step::Again
            }
            Ok(None) => Step::More,
            Err(e) if e.is_fatal() => Step::Stop,
            Err(_) => Step::Again,
        }
    })
}

/// [`Codec::frames`] after each chunk on the bytes not consumed yet, as a caller's buffer holds
/// them; stops at a fatal error. Returns the frames and the bytes left over.
fn frames_in_chunks(codec: &mut Codec, stream: &[u8], sizes: &[usize]) -> (usize, usize) {
    let mut taken = 0;
    let mut start = 0;
    let mut fed = 0;
    for end in chunk_ends(stream.len(), sizes) {
        fed = end;
        let mut frames = codec.frames(&stream[start..end]);
        let mut fatal = false;
        for item in frames.by_ref() {
            match item {
                Ok(frame) => {
                    std::hint::black_box(frame);
                    taken += 1;
                }
                Err(e) => fatal = e.is_fatal(),
            }
        }
        start += frames.consumed();
        if fatal {
            return (taken, fed - start);
        }
    }
    let _ = codec.frames(&stream[start..]).finish();
    (taken, fed - start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeder::{feed_borrowed, feed_in_chunks};

    /// The floor makes the passes the `decode` target checks: on every committed `decode`
    /// input, the same frames and leftover as the testkit's checked feeders, in one piece and
    /// in the input's chunks, owned and borrowed.
    #[test]
    fn the_passes_decode_what_the_checked_feeders_decode() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpus/decode");
        let mut compared = 0;
        for entry in std::fs::read_dir(dir).expect("corpus/decode") {
            let data = std::fs::read(entry.expect("an entry").path()).expect("a corpus file");
            let Some((codec, _check, chunks, stream)) = decode_input(&data) else {
                continue;
            };
            for sizes in [&[][..], &chunks[..]] {
                let checked = feed_in_chunks(&mut codec.clone(), stream, sizes);
                let mut frames = Vec::new();
                let leftover =
                    decode_in_chunks(&mut codec.clone(), stream, sizes, |f| frames.push(f));
                assert_eq!((frames, leftover), (checked.frames, checked.leftover));
                let borrowed = feed_borrowed(&mut codec.clone(), stream, sizes);
                assert_eq!(
                    frames_in_chunks(&mut codec.clone(), stream, sizes),
                    (borrowed.frames.len(), borrowed.leftover)
                );
            }
            compared += 1;
        }
        assert!(compared > 50, "only {compared} corpus inputs build a codec");
    }
}
