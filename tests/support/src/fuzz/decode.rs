//! Target `decode`: any layout and any stream, one of four checks per input (chosen by a byte,
//! so that each input runs two decoding passes at most): the testkit's any-stream check
//! ([`StreamCheck`]: the same result in one piece and in the plan's chunks) with lenframe's
//! invariants on every call in chunks; the borrowed path against `decode`; a re-encode of every
//! frame; or every call in the plan's chunks against a reference decoding written apart from
//! the codec.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use super::reference::{fatal_error_agrees, verdict, Verdict};
use super::*;
use crate::feeder::{checked_decode, feed_borrowed_seen, Seen};
use crate::to_u64;
use lenframe::testkit::{Checker, Decode, Plan};

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
/// Check: every call, the stream fed in the plan's chunks, returns and consumes exactly what a
/// reference decoding of the stream, written apart from the codec (`fuzzing::reference`), says
/// it must: the frame (its bytes), the wait, or the error (its numbers), up to the same byte.
pub const REFERENCE: u8 = 3;

/// lenframe's `Codec` in a run of the any-stream check ([`CUTS`]): bare, or with each call held
/// to lenframe's invariants ([`checked_decode`]) and each fatal error to the header it stopped
/// at ([`fatal_error_agrees`]).
struct Held {
    codec: Codec,
    layout: LayoutBytes,
    checked: bool,
}

impl Held {
    fn call(&mut self, buf: &mut BytesMut, at_eof: bool) -> Result<Option<Bytes>, DecodeError> {
        if !self.checked {
            return if at_eof {
                self.codec.decode_eof(buf)
            } else {
                self.codec.decode(buf)
            };
        }
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

impl Decode for Held {
    type Message = Bytes;
    type Error = DecodeError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, DecodeError> {
        self.call(buf, false)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, DecodeError> {
        self.call(buf, true)
    }
}

/// lenframe's `Codec` in a run over `stream`, each call held to a reference decoding
/// ([`REFERENCE`]): what it must return and consume, worked out from the header the stream is
/// at, read without the codec ([`verdict`]), and from the oversize frame being discarded, if
/// any.
struct Watched<'a> {
    codec: Codec,
    layout: LayoutBytes,
    /// The stream the run feeds, in whole: the buffer holds `stream[consumed..]` of what
    /// arrived.
    stream: &'a [u8],
    /// Stream bytes consumed so far: where the buffer starts.
    consumed: usize,
    /// The oversize frame being discarded while its end has not arrived: where it starts, and
    /// its length on the wire.
    discarding: Option<(usize, u64)>,
    /// The reference reading of the header at a stream position, once it is whole (more bytes
    /// cannot change it).
    read: Option<(usize, Verdict)>,
}

/// What a call returns, as the reference and the codec say it.
#[derive(PartialEq)]
enum Call<'s> {
    Frame(&'s [u8]),
    Wait,
    Error(DecodeError),
}

impl fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Call::Frame(frame) => write!(f, "a frame of {} bytes", frame.len()),
            Call::Wait => write!(f, "no frame yet"),
            Call::Error(error) => write!(f, "{error:?}"),
        }
    }
}

impl<'a> Watched<'a> {
    fn new(codec: Codec, layout: LayoutBytes, stream: &'a [u8]) -> Watched<'a> {
        Watched {
            codec,
            layout,
            stream,
            consumed: 0,
            discarding: None,
            read: None,
        }
    }

    fn call(&mut self, buf: &mut BytesMut, at_eof: bool) -> Result<Option<Bytes>, DecodeError> {
        let received = self.consumed + buf.len();
        let result = if at_eof {
            self.codec.decode_eof(buf)
        } else {
            self.codec.decode(buf)
        };
        self.agrees(received, received - buf.len(), at_eof, &result);
        result
    }

    /// Holds a call that returned `result`, with `received` stream bytes arrived, and left the
    /// bytes from `consumed` on in the buffer, to the reference decoding.
    fn agrees(
        &mut self,
        received: usize,
        consumed: usize,
        at_eof: bool,
        result: &Result<Option<Bytes>, DecodeError>,
    ) {
        let (expected, ends_at) = self.reference(received, at_eof);
        let returned = match result {
            Ok(Some(frame)) => Call::Frame(frame),
            Ok(None) => Call::Wait,
            Err(error) => Call::Error(error.clone()),
        };
        assert!(
            returned == expected && consumed == ends_at,
            "with {received} stream bytes arrived{}, {before} consumed before the call: the \
             reference decoding calls for {expected:?}, consuming up to byte {ends_at}; the \
             codec returned {returned:?}, consuming up to byte {consumed}",
            if at_eof { " (all of them)" } else { "" },
            before = self.consumed,
        );
        self.consumed = consumed;
    }

    /// What the next call must return, with `received` stream bytes arrived, and the stream
    /// position it must consume up to; notes a discard that goes on past what arrived.
    fn reference(&mut self, received: usize, at_eof: bool) -> (Call<'a>, usize) {
        let mut head = self.consumed;
        if let Some((start, wire_len)) = self.discarding {
            let arrived = to_u64(received - start);
            if arrived < wire_len {
                // All of it discarded as it arrives.
                let outcome = if at_eof {
                    Call::Error(DecodeError::TruncatedFrame {
                        buffered: arrived,
                        expected: wire_len,
                    })
                } else {
                    Call::Wait
                };
                return (outcome, received);
            }
            // The discard ends within what arrived; the next header follows it.
            self.discarding = None;
            head = start + usize::try_from(wire_len).expect("within what arrived");
        }
        let stream = self.stream;
        let arrived = &stream[head..received];
        let max = self.codec.max_frame_length();
        let header = match &self.read {
            Some((at, read)) if *at == head => read.clone(),
            _ => {
                let read = verdict(self.layout, max, arrived);
                if !matches!(read, Verdict::Incomplete { .. }) {
                    self.read = Some((head, read.clone()));
                }
                read
            }
        };
        let wait_or = |error: DecodeError| {
            if at_eof {
                Call::Error(error)
            } else {
                Call::Wait
            }
        };
        match header {
            // At the end, nothing left is a clean end; a part of a header is not.
            Verdict::Incomplete { .. } if arrived.is_empty() => (Call::Wait, head),
            Verdict::Incomplete { needed } => (
                wait_or(DecodeError::TruncatedHeader {
                    buffered: arrived.len(),
                    needed,
                }),
                head,
            ),
            Verdict::Fatal(error) => (Call::Error(error), head),
            Verdict::Frame {
                announced,
                wire_len,
                discarded: true,
                ..
            } => {
                // Whatever of it arrived goes now; the rest as it arrives.
                let here =
                    usize::try_from(wire_len).map_or(arrived.len(), |n| n.min(arrived.len()));
                if to_u64(here) < wire_len {
                    self.discarding = Some((head, wire_len));
                }
                let error = DecodeError::FrameDiscarded {
                    announced,
                    max,
                    wire_len,
                };
                (Call::Error(error), head + here)
            }
            Verdict::Frame { skip, wire_len, .. } => match usize::try_from(wire_len) {
                Ok(end) if end <= arrived.len() => (Call::Frame(&arrived[skip..end]), head + end),
                _ => (
                    wait_or(DecodeError::TruncatedFrame {
                        buffered: to_u64(arrived.len()),
                        expected: wire_len,
                    }),
                    head,
                ),
            },
        }
    }
}

/// Feeds `stream` to `watched` in chunks of `sizes` as a caller does: `decode` after each chunk
/// until it waits, `decode_eof` at the end, stopping at a fatal error.
fn feed_watched(watched: &mut Watched<'_>, stream: &[u8], sizes: &[usize]) {
    feed(stream, sizes, |buf, at_eof, _| {
        match watched.call(buf, at_eof) {
            Ok(Some(_)) => Step::Again,
            Ok(None) => Step::More,
            Err(e) if e.is_fatal() => Step::Stop,
            Err(_) => Step::Again,
        }
    });
}

/// Whether `plan` cuts a stream of `len` bytes: makes more than one chunk of it (as
/// [`Plan::chunk_lengths`] does), without listing the chunks.
fn cuts(plan: &Plan, len: usize) -> bool {
    let first = match (plan.chunks.first(), plan.then_every) {
        (Some(&length), _) => length.max(1),
        (None, 0) => len,
        (None, every) => every,
    };
    len > first
}

/// Target `decode`: arbitrary layout (valid or not), check, chunking and stream.
///
/// ```text
/// layout (7 bytes, lenframe::fuzzing's format), check (% 4: CUTS, BORROWED, REENCODE,
/// REFERENCE), then a testkit input (testkit::case): its plan's chunking cuts the stream, the
/// rest is the stream
/// ```
///
/// Oracles, on every input: building never panics, and a field width outside 1..=8 or
/// `num_skip` with a varint is the matching [`ConfigError`]. Every call of [`CUTS`]'s run in
/// chunks (or its one run, when the plan does not cut the stream), and of decoding in one piece
/// for [`BORROWED`] and [`REENCODE`], keeps lenframe's invariants ([`checked_decode`]: capacity within [`capacity_bound`], a frame consumes input
/// and is within the limit, a refused frame is over it, discards are counted, never waiting
/// with a whole frame's worth buffered, truncation errors name the bytes left, a fatal error
/// repeats without consuming).
/// Every fatal error (in [`CUTS`]'s checked run, and where decoding in one piece ends for
/// [`BORROWED`] and [`REENCODE`]) is the one the header it stopped at calls for, read and
/// worked out without the codec (`fuzzing::reference::fatal_error`): a varint's errors, a
/// header cut short by the end, the adjusted length out of range, a frame that ends inside its
/// header, a frame over the limit, each exactly where the reading finds it, with the same
/// numbers.
/// Then by the check byte: [`CUTS`], the testkit's [`StreamCheck`] (one piece and the chunks
/// give the same frames, errors, ending and leftover; no panic, no overrun); [`BORROWED`], the
/// borrowed path ([`Codec::frames`], fed as by
/// [`feed_borrowed_each`](crate::testkit::feed_borrowed_each)) on the chunks gives the same
/// frames, frame ends, errors and leftover as `decode` in one piece, each frame as soon as it is
/// whole; [`REENCODE`], every frame (in one piece), re-encoded with the same layout, gives back
/// exactly the bytes its call consumed; [`REFERENCE`], every call in the plan's chunks returns
/// what a reference decoding of the stream (`fuzzing::reference::verdict`, and where the
/// oversize frame being discarded ends) calls for, with what had arrived: the frame with its
/// bytes, a wait, or the error with its numbers (a discard's, a truncated frame's, a fatal
/// one), consuming exactly up to the same byte.
pub fn decode(data: &[u8]) {
    let _limit = AllocationLimit::set(lenframe_allocations(data.len(), data.len()));
    let mut input = Input::new(data);
    let layout = LayoutBytes::parse(&mut input);
    let check = input.byte() % 4;
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
        // The any-stream check runs the stream in one piece, then (when the plan cuts it) in
        // chunks, and holds the two runs to each other: the run in chunks is held to
        // lenframe's invariants (and so, through it, are the frames and errors of the run in
        // one piece, whose own calls BORROWED and REENCODE check), or the one run there is.
        let runs = Rc::new(Cell::new(0));
        let cut = cuts(&plan, stream.len());
        let check = Checker::any_stream(move || {
            let run = runs.get();
            runs.set(run + 1);
            Held {
                codec: codec.clone(),
                layout,
                checked: !(run == 0 && cut),
            }
        })
        .errors_eq::<DecodeError>();
        if let Err(failure) = check.check(stream, &plan) {
            panic!("{failure}");
        }
        return;
    }
    if check == REFERENCE {
        let chunks = plan.chunk_lengths(stream.len());
        let mut watched = Watched::new(codec, layout, stream);
        feed_watched(&mut watched, stream, &chunks);
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
        let chunks = plan.chunk_lengths(stream.len());
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

    use crate::panic_text as panic_message;

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

    /// A `Watched` codec of `layout`, checked, over `stream`.
    fn watched<'a>(layout: &[u8], stream: &'a [u8]) -> Watched<'a> {
        let layout = LayoutBytes::parse(&mut Input::new(layout));
        Watched::new(layout.builder().build().unwrap(), layout, stream)
    }

    /// Feeds `stream` to lenframe held to the reference decoding, in chunks of `sizes`, as
    /// [`REFERENCE`] does: panics where the two disagree.
    fn watch(layout: &[u8], stream: &[u8], sizes: &[usize]) {
        feed_watched(&mut watched(layout, stream), stream, sizes);
    }

    /// The panic message of `watched` told that a call with `received` bytes arrived returned
    /// `result`, consuming up to `consumed`.
    fn refused(
        watched: &mut Watched<'_>,
        received: usize,
        consumed: usize,
        at_eof: bool,
        result: Result<Option<Bytes>, DecodeError>,
    ) -> String {
        panic_text(std::panic::AssertUnwindSafe(|| {
            watched.agrees(received, consumed, at_eof, &result);
        }))
    }

    /// The default layout with a 2-byte limit, under the skip policy.
    const SKIP_2: [u8; 7] = [0, 4, SKIP_POLICY | MAX, 0, 0, 2, 0];

    #[test]
    fn lenframe_decodes_as_the_reference_does() {
        let mut stream = [frame(b"ab"), frame(b"too long"), frame(b""), frame(b"a")].concat();
        let whole = stream.len();
        stream.extend_from_slice(&frame(b"cut")[..5]);
        let oversize_cut = [frame(b"ab"), frame(b"too long")[..7].to_vec()].concat();
        for layout in [&[0, 4][..], &SKIP_2, &[0, 4, MAX, 0, 0, 2, 0]] {
            for stream in [&stream[..whole], &stream[..], &oversize_cut] {
                for sizes in [&[][..], &[1], &[2, 3], &[7], &[16, 6], &[16]] {
                    watch(layout, stream, sizes);
                }
            }
        }
        // A varint after a prefix, then a header cut short.
        watch(&[2, 10], &[9, 9, 3, 1, 2, 3, 9, 9, 0x80], &[1]);
        // The whole header kept (num_skip 0: the length counts from its first byte).
        watch(&[2, 2, NUM_SKIP], &[9, 9, 0, 6, 1, 2, 9], &[1]);
    }

    #[test]
    fn a_truncated_discard_that_miscounts_its_bytes_is_caught() {
        // 5 bytes announced over a 2-byte limit: discarded; 3 of its 5 arrive, then the end.
        let stream = &frame(b"abcde")[..7];
        let mut watched = watched(&SKIP_2, stream);
        let discarded = DecodeError::FrameDiscarded {
            announced: 5,
            max: 2,
            wire_len: 9,
        };
        watched.agrees(4, 4, false, &Err(discarded));
        watched.agrees(7, 7, false, &Ok(None));
        // What `wire_len / remaining` for `wire_len - remaining` (planted by hand) reports:
        // 9 / 2, where 7 arrived.
        let message = refused(
            &mut watched,
            7,
            7,
            true,
            Err(DecodeError::TruncatedFrame {
                buffered: 4,
                expected: 9,
            }),
        );
        assert!(
            message.contains("calls for TruncatedFrame { buffered: 7, expected: 9 }"),
            "{message}"
        );
    }

    #[test]
    fn a_wait_with_a_whole_frame_and_a_wrong_frame_are_caught() {
        let stream = frame(b"ab");
        let message = refused(&mut watched(&[0, 4], &stream), 6, 0, false, Ok(None));
        assert!(
            message.contains(
                "calls for a frame of 2 bytes, consuming up to byte 6; the codec \
                 returned no frame yet, consuming up to byte 0"
            ),
            "{message}"
        );
        // The header kept with the payload: the bytes differ.
        let with_header = Ok(Some(Bytes::copy_from_slice(&stream)));
        let message = refused(&mut watched(&[0, 4], &stream), 6, 6, false, with_header);
        assert!(
            message.contains("the codec returned a frame of 6 bytes"),
            "{message}"
        );
        // The right frame, consuming one byte too few.
        let payload = Ok(Some(Bytes::from_static(b"ab")));
        let message = refused(&mut watched(&[0, 4], &stream), 6, 5, false, payload);
        assert!(message.contains("consuming up to byte 5"), "{message}");
    }

    #[test]
    fn a_discard_that_names_or_takes_the_wrong_bytes_is_caught() {
        let stream = frame(b"abcde");
        let wrong_length = Err(DecodeError::FrameDiscarded {
            announced: 5,
            max: 2,
            wire_len: 5,
        });
        let message = refused(&mut watched(&SKIP_2, &stream), 9, 9, false, wrong_length);
        assert!(
            message.contains("calls for FrameDiscarded { announced: 5, max: 2, wire_len: 9 }"),
            "{message}"
        );
        let right = Err(DecodeError::FrameDiscarded {
            announced: 5,
            max: 2,
            wire_len: 9,
        });
        let message = refused(&mut watched(&SKIP_2, &stream), 9, 4, false, right);
        assert!(message.contains("consuming up to byte 9"), "{message}");
    }

    #[test]
    fn cuts_says_what_chunk_lengths_does() {
        for lengths in [vec![], vec![0], vec![3], vec![5, 1]] {
            for then_every in [0, 1, 4] {
                let mut plan = Plan::at(&[]);
                plan.chunks.clone_from(&lengths);
                plan.then_every = then_every;
                for len in 0..8 {
                    assert_eq!(
                        cuts(&plan, len),
                        plan.chunk_lengths(len).len() > 1,
                        "{plan:?} on {len} bytes"
                    );
                }
            }
        }
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
