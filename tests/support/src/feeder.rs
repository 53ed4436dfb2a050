//! Feeders: a stream fed to a decoder chunk by chunk, every decoder invariant checked on the way,
//! and what came out ([`Outcome`]). The property tests and the fuzz oracles share them.

use bytes::{Bytes, BytesMut};

use lenframe::{Codec, DecodeError};

use crate::to_u64;

/// What feeding a stream produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Frames, in order.
    pub frames: Vec<Bytes>,
    /// For each frame, the stream positions before and after the call that returned it (the
    /// call may also have consumed the tail of a discarded oversize frame before it).
    pub spans: Vec<(usize, usize)>,
    /// Every error, in order (only recoverable ones, then at most one fatal one, which ends the
    /// feeding).
    pub errors: Vec<DecodeError>,
    /// Bytes left in the buffer at the end.
    pub leftover: usize,
}

/// The capacity [`feed`]'s buffer starts with (or the stream's length, when shorter):
/// tokio-util's `FramedRead`'s, 8 KiB.
pub const INITIAL_CAPACITY: usize = 8 * 1024;

/// What a decoding step tells [`feed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Call again on the same buffer.
    Again,
    /// Feed the next chunk (or, at the end of the stream, finish).
    More,
    /// Stop feeding.
    Stop,
}

/// Feeds `stream` into a buffer in chunks of the given sizes (cycling; none: one chunk), calling
/// `step(buf, at_eof, fed)` after each chunk until it asks for more, and once the stream is all
/// fed, with `at_eof` set, until it asks for more or stops. `fed` is the number of stream bytes
/// put into the buffer so far. Returns the buffer's final length.
///
/// `step` must make progress on [`Step::Again`] (return a frame, consume input, or report an
/// error that ends the feeding); the loop is not otherwise bounded.
pub fn feed(
    stream: &[u8],
    sizes: &[usize],
    mut step: impl FnMut(&mut BytesMut, bool, usize) -> Step,
) -> usize {
    // What tokio-util's `FramedRead` starts with (less for a shorter stream): a decoder sees the
    // room a real one has.
    let mut buf = BytesMut::with_capacity(INITIAL_CAPACITY.min(stream.len()));
    let mut fed = 0;
    for end in chunk_ends(stream.len(), sizes) {
        buf.extend_from_slice(&stream[fed..end]);
        fed = end;
        loop {
            match step(&mut buf, false, fed) {
                Step::Again => {}
                Step::More => break,
                Step::Stop => return buf.len(),
            }
        }
    }
    while step(&mut buf, true, fed) == Step::Again {}
    buf.len()
}

/// Where each chunk of a stream of `len` bytes ends, cut in chunks of `sizes` (cycling, 0 read
/// as 1; none: one chunk): [`feed`]'s cutting, shared by the feeders that need no buffer.
pub(crate) fn chunk_ends(len: usize, sizes: &[usize]) -> impl Iterator<Item = usize> + '_ {
    let mut fed = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        if fed == len {
            return None;
        }
        let size = match sizes {
            [] => len,
            _ => sizes[i % sizes.len()].max(1),
        };
        fed += size.min(len - fed);
        i += 1;
        Some(fed)
    })
}

/// The capacity [`Codec::decode`] may leave a buffer with, given the bytes it held before the
/// call: it asks for at most [`MAX_READ_AHEAD`](lenframe::MAX_READ_AHEAD) more, and `BytesMut` at
/// most doubles.
#[must_use]
pub fn capacity_bound(buffered: usize) -> usize {
    2 * (buffered + lenframe::MAX_READ_AHEAD)
}

/// One call of `codec` on `buf` (`decode`, or `decode_eof` at the end of the stream), with
/// every invariant of the decoder asserted (panicking with a message, as a test or fuzz
/// assertion):
///
/// - the buffer's capacity stays within [`capacity_bound`] of the bytes it held;
/// - a frame consumed input, is within `codec.max_frame_length()`, and leaves the codec idle
///   ([`Codec::is_idle`]);
/// - a frame refused as too large ([`DecodeError::FrameTooLarge`],
///   [`DecodeError::FrameDiscarded`]) announced more than that limit, and the error names it;
/// - discards are counted as they happen ([`Codec::discarded_frames`],
///   [`Codec::discarded_bytes`]): one frame by the call that reports it, none by any other; every
///   byte a call consumes without returning a frame is a discarded byte;
/// - while waiting, fewer than `codec.max_wire_length()` bytes are buffered;
/// - at the end of the stream, [`DecodeError::TruncatedHeader`] leaves the codec idle and names
///   the bytes left, fewer than it needs; [`DecodeError::TruncatedFrame`] leaves it inside the
///   frame and names fewer bytes than the frame's length, at least those left;
/// - a fatal error repeats when called again, consuming nothing.
pub fn checked_decode(
    codec: &mut Codec,
    buf: &mut BytesMut,
    at_eof: bool,
) -> Result<Option<Bytes>, DecodeError> {
    let call = |codec: &mut Codec, buf: &mut BytesMut| {
        if at_eof {
            codec.decode_eof(buf)
        } else {
            codec.decode(buf)
        }
    };
    let before = buf.len();
    let counted = (codec.discarded_frames(), codec.discarded_bytes());
    let result = call(codec, buf);
    assert!(
        buf.capacity() <= capacity_bound(before),
        "capacity {} after a call with {before} bytes buffered",
        buf.capacity()
    );
    assert_within_limit(codec, &result);
    assert_discards_counted(codec, counted, before - buf.len(), &result);
    assert_state(codec, buf.len(), &result);
    match &result {
        Ok(Some(_)) => assert!(
            buf.len() < before,
            "a frame was returned without consuming input"
        ),
        Ok(None) => assert!(
            buf.len() < codec.max_wire_length(),
            "decoder waits with {} bytes buffered, max wire length {}",
            buf.len(),
            codec.max_wire_length()
        ),
        Err(e) if e.is_fatal() => {
            let left = buf.len();
            let again = call(codec, buf);
            assert_eq!(
                again.err().as_ref(),
                Some(e),
                "a fatal error did not repeat"
            );
            assert_eq!(buf.len(), left, "a repeated fatal error consumed input");
        }
        Err(_) => {}
    }
    result
}

/// [`checked_decode`]'s limit, both ways: no frame over it, no frame refused within it.
fn assert_within_limit(codec: &Codec, result: &Result<Option<Bytes>, DecodeError>) {
    let max = codec.max_frame_length();
    match result {
        Ok(Some(frame)) => assert!(
            frame.len() <= max,
            "a {}-byte frame returned, max frame length {max}",
            frame.len()
        ),
        Err(
            DecodeError::FrameTooLarge {
                announced,
                max: said,
            }
            | DecodeError::FrameDiscarded {
                announced,
                max: said,
                ..
            },
        ) => assert!(
            *announced > to_u64(max) && *said == max,
            "a {announced}-byte frame refused as over {said}, max frame length {max}"
        ),
        _ => {}
    }
}

/// [`checked_decode`]'s discard counters, against what one call consumed and returned: the
/// counts before the call were `(frames, bytes)`.
fn assert_discards_counted(
    codec: &Codec,
    (frames, bytes): (u64, u64),
    consumed: usize,
    result: &Result<Option<Bytes>, DecodeError>,
) {
    // Wrapping: a counter that went down shows as a huge count, and fails below.
    let new_frames = codec.discarded_frames().wrapping_sub(frames);
    let new_bytes = codec.discarded_bytes().wrapping_sub(bytes);
    let reported = matches!(result, Err(DecodeError::FrameDiscarded { .. }));
    assert_eq!(
        new_frames,
        u64::from(reported),
        "a call that reported {} discarded frames counted {new_frames}",
        u64::from(reported)
    );
    let consumed = to_u64(consumed);
    let frame = matches!(result, Ok(Some(_)));
    assert!(
        new_bytes <= consumed && (frame || new_bytes == consumed),
        "discarded bytes counted: {new_bytes} by a call that consumed {consumed} and {}",
        if frame {
            "returned a frame"
        } else {
            "returned no frame"
        }
    );
}

/// [`checked_decode`]'s codec state after a frame or at the end of the stream, `left` bytes
/// still buffered.
fn assert_state(codec: &Codec, left: usize, result: &Result<Option<Bytes>, DecodeError>) {
    match result {
        Ok(Some(_)) => assert!(codec.is_idle(), "not idle after returning a frame"),
        Err(DecodeError::TruncatedHeader { buffered, needed }) => assert!(
            codec.is_idle() && *buffered == left && buffered < needed,
            "a truncated header of {buffered} bytes, {needed} needed, with {left} bytes left \
             (idle: {})",
            codec.is_idle()
        ),
        Err(DecodeError::TruncatedFrame { buffered, expected }) => assert!(
            !codec.is_idle() && to_u64(left) <= *buffered && buffered < expected,
            "a truncated frame of {buffered} bytes, {expected} expected, with {left} bytes left \
             (idle: {})",
            codec.is_idle()
        ),
        _ => {}
    }
}

/// Feeds `stream` into `codec` in chunks of the given sizes (cycling), decoding after each chunk
/// until the decoder asks for more, then calls `decode_eof` until it returns `Ok(None)` or an
/// error. Stops at the first fatal error. Every call is a [`checked_decode`].
pub fn feed_in_chunks(codec: &mut Codec, stream: &[u8], sizes: &[usize]) -> Outcome {
    let mut out = Outcome::default();
    out.leftover = feed(stream, sizes, |buf, at_eof, fed| {
        let before = buf.len();
        match checked_decode(codec, buf, at_eof) {
            Ok(Some(frame)) => {
                out.frames.push(frame);
                out.spans.push((fed - before, fed - buf.len()));
                Step::Again
            }
            Ok(None) => Step::More,
            Err(e) if e.is_fatal() => {
                out.errors.push(e);
                Step::Stop
            }
            Err(e) => {
                out.errors.push(e);
                Step::Again
            }
        }
    });
    out
}

/// [`feed_in_chunks`] for the borrowed path: the same chunks, [`Codec::frames`] called after
/// each on the bytes a caller's buffer would hold (those fed and not yet consumed: the caller
/// takes the whole frames, drops [`Frames::consumed`](crate::Frames::consumed) bytes, keeps the
/// rest, appends the next chunk), and [`Frames::finish`](crate::Frames::finish) at the end of
/// the stream. Those bytes are borrowed from `stream` itself, uncopied: `frames` takes a slice,
/// and the slice holds the same bytes a buffer would.
///
/// The [`Outcome`] means what `feed_in_chunks`' does, so the two compare field by field: a
/// frame's span runs from the position before the `next` call that returned it to the position
/// after. Checks on the way (panicking): every frame ends the bytes its call consumed;
/// [`Frames::remaining`](crate::Frames::remaining) is the rest of the buffer after what was
/// consumed; from a codec between frames, [`Frames::finish`](crate::Frames::finish) with
/// nothing taken gives the first item's error, or [`DecodeError::FrameNotTaken`] for a whole
/// frame; whenever the iterator ends without a fatal error, fewer than
/// `codec.max_wire_length()` bytes are left unconsumed; a fatal error repeats, consuming
/// nothing, when `frames` is called again on the bytes left (the call that first returned it
/// may have finished a discard before it).
pub fn feed_borrowed(codec: &mut Codec, stream: &[u8], sizes: &[usize]) -> Outcome {
    let mut frames = Vec::new();
    let mut spans = Vec::new();
    let mut out = feed_borrowed_each(codec, stream, sizes, |frame, span| {
        frames.push(Bytes::copy_from_slice(frame));
        spans.push(span);
    });
    out.frames = frames;
    out.spans = spans;
    out
}

/// [`feed_borrowed`], handing each frame to `each` as it comes (borrowed, with its span)
/// instead of copying it: the returned [`Outcome`] holds the errors and the leftover only.
pub fn feed_borrowed_each(
    codec: &mut Codec,
    stream: &[u8],
    sizes: &[usize],
    mut each: impl FnMut(&[u8], (usize, usize)),
) -> Outcome {
    feed_borrowed_seen(codec, stream, sizes, |seen| {
        if let Seen::Frame(frame, span) = seen {
            each(frame, span);
        }
    })
}

/// What [`feed_borrowed_seen`] shows its caller as it goes.
pub(crate) enum Seen<'a> {
    /// A frame, and its span.
    Frame(&'a [u8], (usize, usize)),
    /// `frames` asked for more before the end of the stream, with this many stream bytes fed.
    Waiting(usize),
}

/// [`feed_borrowed_each`], showing `seen` the waits too: for a caller that checks when each
/// frame comes.
pub(crate) fn feed_borrowed_seen(
    codec: &mut Codec,
    stream: &[u8],
    sizes: &[usize],
    mut seen: impl FnMut(Seen<'_>),
) -> Outcome {
    let mut out = Outcome::default();
    // Stream position of the first byte not consumed yet: the caller's buffer is
    // `stream[start..fed]`.
    let mut start = 0;
    // After the bytes up to `fed` arrived (at the end of the stream: `at_eof`), `frames` until
    // it asks for more (`true`: feed on) or the feeding ends.
    let mut step = |fed: usize, at_eof: bool| -> bool {
        let buf = &stream[start..fed];
        // `finish` before taking anything, from a codec between frames: the first item's error,
        // or a whole frame named as not taken.
        let mut untaken = codec.is_idle().then(|| codec.clone().frames(buf).finish());
        let mut frames = codec.frames(buf);
        let mut fatal = None;
        let mut before = 0;
        while let Some(item) = frames.next() {
            let after = frames.consumed();
            if let Some(untaken) = untaken.take() {
                let expected = match &item {
                    Ok(_) => DecodeError::FrameNotTaken {
                        buffered: buf.len(),
                        wire_len: after,
                    },
                    Err(e) => e.clone(),
                };
                assert_eq!(
                    untaken.as_ref().err(),
                    Some(&expected),
                    "finish with the first item of {} bytes not taken",
                    buf.len()
                );
            }
            match item {
                Ok(frame) => {
                    let used = &buf[before..after];
                    assert!(
                        frame.len() <= used.len()
                            && used.as_ptr_range().end == frame.as_ptr_range().end,
                        "a frame is not the end of the bytes its call consumed"
                    );
                    seen(Seen::Frame(frame, (start + before, start + after)));
                }
                // The call may have finished discarding an oversize frame first: only the
                // offending header must stay, which the repeat below checks.
                Err(e) if e.is_fatal() => fatal = Some(e),
                Err(e) => out.errors.push(e),
            }
            before = after;
        }
        let consumed = frames.consumed();
        assert!(
            frames.remaining().as_ptr_range() == buf[consumed..].as_ptr_range(),
            "remaining is not the {} bytes after the {consumed} consumed",
            buf.len() - consumed
        );
        let end = if at_eof && fatal.is_none() {
            frames.finish().err()
        } else {
            None
        };
        start += consumed;
        let buf = &stream[start..fed];
        if let Some(e) = fatal {
            let mut again = codec.frames(buf);
            assert_eq!(
                again.next(),
                Some(Err(e.clone())),
                "a fatal error did not repeat"
            );
            assert_eq!(again.consumed(), 0, "a repeated fatal error consumed input");
            out.errors.push(e);
            return false;
        }
        if let Some(e) = end {
            let again = codec.frames(buf).finish();
            assert_eq!(
                again,
                Err(e.clone()),
                "an end-of-stream error did not repeat"
            );
            out.errors.push(e);
            return false;
        }
        assert!(
            buf.len() < codec.max_wire_length(),
            "frames waits with {} bytes unconsumed, max wire length {}",
            buf.len(),
            codec.max_wire_length()
        );
        if !at_eof {
            seen(Seen::Waiting(fed));
        }
        true
    };
    let mut fed = 0;
    let mut feeding = true;
    for end in chunk_ends(stream.len(), sizes) {
        fed = end;
        feeding = step(fed, false);
        if !feeding {
            break;
        }
    }
    if feeding {
        step(fed, true);
    }
    out.leftover = fed - start;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_starts_with_framed_reads_room_or_the_streams_length() {
        let first_capacity = |len: usize| {
            let stream = vec![0; len];
            let mut first = None;
            feed(&stream, &[1], |buf, _, _| {
                first.get_or_insert(buf.capacity());
                Step::Stop
            });
            first.expect("one call at least")
        };
        assert_eq!(first_capacity(5000), 5000);
        assert_eq!(first_capacity(20_000), INITIAL_CAPACITY);
    }

    #[test]
    fn checked_decode_allows_twice_the_bytes_and_read_ahead_and_no_more() {
        // A buffer handed in with spare room: the codec leaves it as it is, so the capacity
        // after the call is the one given; the bound decides.
        let call = |capacity: usize| {
            std::panic::catch_unwind(move || {
                let mut buf = BytesMut::with_capacity(capacity);
                buf.extend_from_slice(&[0, 0, 0, 9, 1]);
                checked_decode(&mut Codec::new(), &mut buf, false)
            })
        };
        let bound = capacity_bound(5);
        assert_eq!(bound, 2 * (5 + lenframe::MAX_READ_AHEAD));
        assert!(matches!(call(bound), Ok(Ok(None))));
        assert!(
            call(bound + 4096).is_err(),
            "past the bound, the check panics"
        );
    }
}
