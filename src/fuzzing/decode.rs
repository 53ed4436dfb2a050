//! Target `decode`: any layout and any stream, one of three checks per input (chosen by a byte,
//! so that each input runs two decoding passes at most): the testkit's any-stream check
//! ([`StreamCheck`]: the same result in one piece and in the plan's chunks) with lenframe's
//! invariants on every call; the borrowed path against `decode`; or a re-encode of every frame.

use super::reference::fatal_error_agrees;
use super::*;
use crate::testkit::feeder::{feed_borrowed_seen, Seen};
use crate::testkit::{checked_decode, Decode, Plan, StreamCheck};

/// Check: decoding in one piece and in the plan's chunks agree ([`StreamCheck`]).
pub const CUTS: u8 = 0;
/// Check: the borrowed path (`Codec::frames`) on the plan's chunks agrees with `decode` in one
/// piece, and returns each frame as soon as it is whole.
pub const BORROWED: u8 = 1;
/// Check: every frame of the stream decoded in one piece, re-encoded with the layout
/// ([`Codec::encode`], or [`Codec::encode_parts`] where the layout has a prefix or a gap), gives
/// back the bytes its call consumed. In one piece: what it checks does not depend on the cuts,
/// and that the frames do not is [`CUTS`]'s check.
pub const REENCODE: u8 = 2;

/// lenframe's `Codec` with its invariants asserted around every call
/// ([`checked_decode`]), and each fatal error held against the header it stopped at
/// ([`fatal_error_agrees`]): the subject of the any-stream check.
struct Watched {
    codec: Codec,
    layout: LayoutBytes,
}

impl Watched {
    fn call(&mut self, buf: &mut BytesMut, at_eof: bool) -> Result<Option<Bytes>, DecodeError> {
        let result = checked_decode(&mut self.codec, buf, at_eof);
        if let Err(error) = &result {
            if error.is_fatal() {
                let max = self.codec.max_frame_length();
                fatal_error_agrees(self.layout, max, buf, at_eof, error);
            }
        }
        result
    }
}

impl Decode for Watched {
    type Message = Bytes;
    type Error = DecodeError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, DecodeError> {
        self.call(buf, false)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, DecodeError> {
        self.call(buf, true)
    }
}

/// Target `decode`: arbitrary layout (valid or not), check, chunking and stream.
///
/// ```text
/// layout (7 bytes, lenframe::fuzzing's format), check (% 3: CUTS, BORROWED, REENCODE), then a
/// testkit input (testkit::case): its plan's chunking cuts the stream, the rest is the stream
/// ```
///
/// Oracles, on every input: building never panics, and a field width outside 1..=8 or
/// `num_skip` with a varint is the matching [`ConfigError`]; every call keeps lenframe's
/// invariants ([`checked_decode`]: capacity within [`capacity_bound`], a frame consumes input
/// and is within the limit, a refused frame is over it, discards are counted, never waiting
/// with a whole frame's worth buffered, truncation errors name the bytes left, a fatal error
/// repeats without consuming).
/// Every fatal error (in [`CUTS`]'s runs, and where decoding in one piece ends for [`BORROWED`]
/// and [`REENCODE`]) is the one the header it stopped at calls for, read and worked out without
/// the codec (`fuzzing::reference::fatal_error`): a varint's errors, a header cut short by the
/// end, the adjusted length out of range, a frame that ends inside its header, a frame over the
/// limit, each exactly where the reading finds it, with the same numbers.
/// Then by the check byte: [`CUTS`], the testkit's [`StreamCheck`] (one piece and the chunks
/// give the same frames, errors, ending and leftover; no panic, no overrun); [`BORROWED`], the
/// borrowed path ([`Codec::frames`], fed as by
/// [`feed_borrowed_each`](crate::testkit::feed_borrowed_each)) on the chunks gives the same
/// frames, frame ends, errors and leftover as `decode` in one piece, each frame as soon as it is
/// whole; [`REENCODE`], every frame (in one piece), re-encoded with the same layout, gives back
/// exactly the bytes its call consumed.
pub fn decode(data: &[u8]) {
    let _limit = AllocationLimit::set(lenframe_allocations(data.len(), data.len()));
    let mut input = Input::new(data);
    let layout = LayoutBytes::parse(&mut input);
    let check = input.byte() % 3;
    let (plan, stream) = Plan::parse(input.rest);
    let built = layout.builder().build();
    if layout.is_varint() && layout.num_skip_set() {
        assert!(
            matches!(built, Err(ConfigError::VarintNumSkip { .. })),
            "num_skip with a varint gave {built:?}"
        );
    } else if !layout.is_varint() && !(1..=8).contains(&layout.field) {
        assert!(
            matches!(built, Err(ConfigError::FieldLength { .. })),
            "a {}-byte field gave {built:?}",
            layout.field
        );
    }
    let Ok(codec) = built else {
        return;
    };
    assert!(codec.max_wire_length() >= codec.max_frame_length());

    if check == CUTS {
        let check = StreamCheck::new(|| Watched {
            codec: codec.clone(),
            layout,
        })
        .errors_eq::<DecodeError>();
        if let Err(failure) = check.check(stream, &plan.chunking) {
            panic!("{failure}");
        }
        return;
    }
    // Both other checks start from `decode` in one piece, and a fatal error that ended it is
    // about the header it stopped at: read it without the codec.
    let owned = run(codec.clone(), stream, &[]);
    if let Some(error) = owned.errors.last().filter(|e| e.is_fatal()) {
        let rest = &stream[stream.len() - owned.leftover..];
        // In one piece every byte is in; the run only ends inside a header at the end.
        fatal_error_agrees(layout, codec.max_frame_length(), rest, true, error);
    }
    if check == BORROWED {
        let chunks = plan.chunking.chunk_lengths(stream.len());
        borrowed_agrees(&codec, stream, &chunks, &owned);
    } else {
        // One buffer for every re-encoding: no allocation per frame.
        let mut out = BytesMut::new();
        for (frame, &(start, end)) in owned.frames.iter().zip(&owned.spans) {
            reencode_matches(&codec, layout, frame, &stream[start..end], &mut out);
        }
    }
}

/// The borrowed path in the plan's chunks against `decode` in one piece (`owned`): the same
/// frames (compared as they come, uncopied), each ending where it does in one piece and
/// returned as soon as it is whole (never a wait with the next frame's last byte fed), the same
/// errors, and the same bytes left over (after a fatal error, no more: the run in chunks stops
/// where its chunk ended). A frame may start earlier than in one piece (its call may first
/// have finished a discard), never before the frame ahead of it ended.
fn borrowed_agrees(codec: &Codec, stream: &[u8], chunks: &[usize], owned: &Outcome) {
    let mut taken = 0;
    let borrowed = feed_borrowed_seen(&mut codec.clone(), stream, chunks, |seen| match seen {
        Seen::Frame(frame, (start, end)) => {
            assert_eq!(
                Some(frame),
                owned.frames.get(taken).map(|f| &f[..]),
                "borrowed frame {taken} differs from decode's in one piece"
            );
            let (owned_start, owned_end) = owned.spans[taken];
            let ahead_end = taken.checked_sub(1).map_or(0, |ahead| owned.spans[ahead].1);
            assert!(
                end == owned_end && (ahead_end..=owned_start).contains(&start),
                "borrowed frame {taken} spans {start}..{end}, in one piece {owned_start}..\
                 {owned_end} (the frame ahead ends at {ahead_end})"
            );
            taken += 1;
        }
        Seen::Waiting(fed) => {
            if let Some(&(_, end)) = owned.spans.get(taken) {
                assert!(
                    end > fed,
                    "the borrowed path waits with {fed} bytes fed, frame {taken} whole (it ends \
                     at {end})"
                );
            }
        }
    });
    assert_eq!(
        taken,
        owned.frames.len(),
        "the borrowed path returned {taken} frames, decode in one piece {}",
        owned.frames.len()
    );
    assert_eq!(
        borrowed.errors, owned.errors,
        "borrowed and owned errors differ"
    );
    if owned.errors.last().is_some_and(DecodeError::is_fatal) {
        assert!(
            borrowed.leftover <= owned.leftover,
            "after a fatal error the borrowed path left {} bytes, decode in one piece {}",
            borrowed.leftover,
            owned.leftover
        );
    } else {
        assert_eq!(
            borrowed.leftover, owned.leftover,
            "borrowed and owned leftovers differ"
        );
    }
}

/// Re-encodes `frame` (into `out`, cleared first) and checks it against the bytes its call
/// consumed.
fn reencode_matches(
    codec: &Codec,
    layout: LayoutBytes,
    frame: &[u8],
    consumed: &[u8],
    out: &mut BytesMut,
) {
    // A fixed field has one width; a varint's is the one that re-encodes.
    let widths = if layout.is_varint() {
        1..=10
    } else {
        let width = usize::from(layout.field);
        width..=width
    };
    let matched = widths.into_iter().any(|width| {
        let Some((header, skip)) = layout.header_and_skip(width) else {
            return false;
        };
        let Some(wire_len) = skip.checked_add(frame.len()) else {
            return false;
        };
        // Exactly: in one piece, even under the skip policy, a discard ends in the call that
        // reports it, so no call before a frame takes the tail of one.
        if wire_len != consumed.len() {
            return false;
        }
        // The frame keeps the header bytes after num_skip; the payload is what follows them.
        let (Some(payload), Some(prefix)) = (
            frame.get(header.saturating_sub(skip)..),
            consumed.get(..layout.offset),
        ) else {
            return false;
        };
        let gap = consumed.get(header..skip.max(header)).unwrap_or(&[]);
        out.clear();
        // `encode` where the layout has no parts: both entry points get checked.
        let encoded = if prefix.is_empty() && gap.is_empty() {
            codec.encode(payload, out)
        } else {
            codec.encode_parts(prefix, gap, payload, out)
        };
        encoded.is_ok() && out[..] == *consumed
    });
    assert!(
        matched,
        "frame of {} bytes does not re-encode to the {} bytes its call consumed",
        frame.len(),
        consumed.len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testkit::shape::panic_message;

    /// The default framing: a 4-byte big-endian length, then the payload.
    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut wire = BytesMut::new();
        Codec::new().encode(payload, &mut wire).unwrap();
        wire.to_vec()
    }

    fn panic_text(run: impl FnOnce() + std::panic::UnwindSafe) -> String {
        panic_message(
            std::panic::catch_unwind(run)
                .expect_err("the check passed")
                .as_ref(),
        )
    }

    #[test]
    fn the_borrowed_path_in_chunks_matches_decode_in_one_piece() {
        // Under the skip policy with a 4-byte limit: frames, a discarded oversize frame whose
        // tail a later call finishes, an empty frame, and a frame cut short by the end. Cut at
        // 16 and 22, the call that finishes the discard also has the empty frame whole: a
        // `Frames::next` that returned `None` after finishing a discard (planted by hand, it
        // failed here: "waits with 22 bytes fed, frame 1 whole (it ends at 22)") is caught.
        let skipping = Codec::builder()
            .max_frame_length(4)
            .oversize(OversizePolicy::Skip)
            .build()
            .unwrap();
        let mut stream = [frame(b"ab"), frame(b"too long"), frame(b""), frame(b"abcd")].concat();
        let whole = stream.len();
        stream.extend_from_slice(&frame(b"cut")[..5]);
        for codec in [Codec::new(), skipping] {
            for stream in [&stream[..whole], &stream[..]] {
                for chunks in [&[][..], &[1], &[2, 3], &[7], &[16, 6], &[16]] {
                    let owned = run(codec.clone(), stream, &[]);
                    borrowed_agrees(&codec, stream, chunks, &owned);
                }
            }
        }
    }

    #[test]
    fn a_borrowed_run_that_waits_with_a_whole_frame_is_caught() {
        // The reference says frame 1 ends at byte 11; the stream the borrowed path reads
        // announces one byte more there, so it waits past byte 11: what a decoder that holds
        // a whole frame back does.
        let reference = [frame(b"ab"), frame(b"c")].concat();
        let mut late = reference.clone();
        late[9] = 2;
        late.push(b'd');
        let owned = run(Codec::new(), &reference, &[]);
        let message = panic_text(|| borrowed_agrees(&Codec::new(), &late, &[1], &owned));
        assert!(
            message.contains("waits with 11 bytes fed, frame 1 whole (it ends at 11)"),
            "{message}"
        );
    }
}
